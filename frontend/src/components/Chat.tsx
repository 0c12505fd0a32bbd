import { useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  messageOf,
  type Business,
  type ChatMessage,
  type Citation,
  type Conversation,
  type KnowledgeArticle,
} from "../lib/api";
import { ago } from "../lib/format";
import { Markdown } from "../lib/markdown";

/**
 * Ask Vaultra: the agent's answers stream in as they are written; each cites the tools whose
 * results it used (links to that part of the dashboard) and the knowledge articles it quotes
 * (opened in a dialog). Answers are shown as text, never as HTML: a model's words are data.
 */

const SUGGESTIONS = [
  "What's hurting my funding readiness?",
  "Which lenders could I qualify for?",
  "What should I do this week?",
];
const MAX_LENGTH = 2000;

/** Where on the dashboard each tool's result is shown. */
const TOOL_PLACES: Record<string, { label: string; anchor: string | null }> = {
  get_readiness_breakdown: { label: "Score breakdown", anchor: "breakdown-title" },
  get_top_recommendations: { label: "This week's plan", anchor: "plan-title" },
  get_metric_history: { label: "Trends", anchor: "trend-title" },
  explain_metric: { label: "Metric definitions", anchor: "breakdown-title" },
  simulate_score: { label: "What-if simulation", anchor: "what-if-title" },
  check_lender_fit: { label: "Lender fit", anchor: "fit-title" },
  list_businesses: { label: "Your businesses", anchor: null },
};
const TOOL_ACTIVITY: Record<string, string> = {
  get_readiness_breakdown: "Reading your score breakdown…",
  get_top_recommendations: "Reading your plan…",
  get_metric_history: "Reading a metric's history…",
  explain_metric: "Looking up a metric's definition…",
  simulate_score: "Simulating a change…",
  check_lender_fit: "Checking lender fit…",
  search_knowledge: "Searching the knowledge base…",
  list_businesses: "Listing your businesses…",
};

interface Shown {
  id: string;
  role: "user" | "assistant";
  content: string;
  citations: Citation[];
  unverified: string[];
  streaming?: boolean;
  failed?: boolean;
}

export default function Chat({ business }: { business: Business }) {
  const [messages, setMessages] = useState<Shown[]>([]);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [question, setQuestion] = useState("");
  const [activity, setActivity] = useState("");
  const [error, setError] = useState("");
  const [asking, setAsking] = useState(false);
  const [history, setHistory] = useState<Conversation[]>([]);
  const [article, setArticle] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const logRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    loadHistory();
    return () => abort.current?.abort();
  }, [business.id]);

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages]);

  async function loadHistory() {
    try {
      setHistory((await api.conversations(business.id)).items);
    } catch {
      // The list is a convenience; asking still works without it.
    }
  }

  async function open(conversation: Conversation) {
    setError("");
    try {
      const detail = await api.conversation(business.id, conversation.id);
      setConversationId(detail.id);
      setMessages(detail.items.map(shownOf));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function forget(conversation: Conversation) {
    setError("");
    try {
      await api.deleteConversation(business.id, conversation.id);
      if (conversation.id === conversationId) startOver();
      setHistory((list) => list.filter((c) => c.id !== conversation.id));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  function startOver() {
    abort.current?.abort();
    setConversationId(null);
    setMessages([]);
    setError("");
  }

  async function ask(text: string) {
    const message = text.trim();
    if (!message || asking) return;
    setError("");
    setAsking(true);
    setQuestion("");
    const answerId = `pending-${Date.now()}`;
    setMessages((list) => [
      ...list,
      { id: `${answerId}-q`, role: "user", content: message, citations: [], unverified: [] },
      { id: answerId, role: "assistant", content: "", citations: [], unverified: [], streaming: true },
    ]);
    const update = (change: Partial<Shown> | ((m: Shown) => Partial<Shown>)) =>
      setMessages((list) =>
        list.map((m) =>
          m.id === answerId ? { ...m, ...(typeof change === "function" ? change(m) : change) } : m,
        ),
      );
    const controller = new AbortController();
    abort.current = controller;
    try {
      for await (const event of api.chat(business.id, message, conversationId, controller.signal)) {
        if (event.type === "tool") setActivity(TOOL_ACTIVITY[event.name] ?? "Reading your data…");
        else if (event.type === "delta") {
          setActivity("");
          update((m) => ({ content: m.content + event.text }));
        } else if (event.type === "regenerating") {
          setActivity("Checking the numbers and rewriting…");
          update({ content: "" });
        } else if (event.type === "done") {
          setConversationId(event.conversation_id);
          update({
            content: event.answer,
            citations: event.citations,
            unverified: event.unverified,
            streaming: false,
          });
        } else if (event.type === "error") {
          update({ content: event.message, streaming: false, failed: true });
        }
      }
      loadHistory();
    } catch (err) {
      if (controller.signal.aborted) return;
      // Refused before it started (rate limit, budget, …): the question was not asked.
      setMessages((list) => list.filter((m) => !m.id.startsWith(answerId)));
      setQuestion(message);
      setError(messageOf(err));
    } finally {
      update({ streaming: false });
      setActivity("");
      setAsking(false);
    }
  }

  return (
    <section class="card chat" aria-labelledby="chat-title">
      <div class="chat-head">
        <h2 id="chat-title">Ask Vaultra</h2>
        {messages.length > 0 && (
          <button type="button" class="button quiet small" onClick={startOver} disabled={asking}>
            New conversation
          </button>
        )}
      </div>
      <p class="muted small">
        Answers come from your own data and Vaultra's knowledge base; every number is checked
        against your data.
      </p>

      <div class="chat-log" ref={logRef} aria-live="polite" aria-busy={asking}>
        {messages.length === 0 && (
          <div class="chat-suggestions">
            {SUGGESTIONS.map((s) => (
              <button key={s} type="button" class="button secondary small" onClick={() => ask(s)}>
                {s}
              </button>
            ))}
          </div>
        )}
        {messages.map((m) => (
          <Message key={m.id} message={m} onArticle={setArticle} />
        ))}
        {activity && (
          <p class="chat-activity muted small" role="status">
            {activity}
          </p>
        )}
      </div>

      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      <form
        class="chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          ask(question);
        }}
      >
        <label for="chat-question">Your question</label>
        <textarea
          id="chat-question"
          rows={2}
          maxLength={MAX_LENGTH}
          value={question}
          placeholder="What's hurting my funding readiness?"
          onInput={(e) => setQuestion((e.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              ask(question);
            }
          }}
        />
        <button type="submit" class="button" disabled={asking || !question.trim()} aria-busy={asking}>
          {asking ? "Answering…" : "Ask"}
        </button>
      </form>

      {history.length > 0 && (
        <details class="chat-history">
          <summary>Earlier conversations ({history.length})</summary>
          <ul>
            {history.map((c) => (
              <li key={c.id}>
                <button type="button" class="link-button" onClick={() => open(c)}>
                  {c.title}
                </button>{" "}
                <span class="muted small">{ago(c.updated_at)}</span>{" "}
                <button
                  type="button"
                  class="button quiet small"
                  aria-label={`Delete the conversation “${c.title}”`}
                  onClick={() => forget(c)}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
      <ArticleDialog id={article} onClose={() => setArticle(null)} />
    </section>
  );
}

function shownOf(m: ChatMessage): Shown {
  return { id: m.id, role: m.role, content: m.content, citations: m.citations, unverified: m.unverified };
}

function Message({ message, onArticle }: { message: Shown; onArticle: (id: string) => void }) {
  if (message.role === "user") {
    return (
      <div class="chat-message chat-user">
        <p class="visually-hidden">You asked:</p>
        <p>{message.content}</p>
      </div>
    );
  }
  const tools = message.citations.filter((c) => c.kind === "tool");
  const articles = message.citations.filter((c) => c.kind === "article");
  return (
    <div
      class={`chat-message chat-assistant${message.failed ? " chat-failed" : ""}`}
      data-testid="chat-answer"
      aria-busy={message.streaming}
    >
      <p class="visually-hidden">Vaultra answered:</p>
      <AnswerText text={message.content} onArticle={onArticle} />
      {message.streaming && !message.content && <span class="skeleton skeleton-line" />}
      {message.unverified.length > 0 && (
        <p class="small chat-unverified">
          Not found in your data, so marked [unverified]: {message.unverified.join(", ")}.
        </p>
      )}
      {(tools.length > 0 || articles.length > 0) && (
        <div class="chat-citations small">
          <span class="muted">Sources: </span>
          <ul>
            {tools.map((c) => {
              const place = TOOL_PLACES[c.ref];
              return (
                <li key={c.ref}>
                  {place?.anchor ? (
                    <a href={`#${place.anchor}`} onClick={(e) => jump(e, place.anchor!)}>
                      {place.label}
                    </a>
                  ) : (
                    <span>{place?.label ?? c.ref}</span>
                  )}
                </li>
              );
            })}
            {articles.map((c) => (
              <li key={c.ref}>
                <button type="button" class="link-button" onClick={() => onArticle(c.ref)}>
                  {c.ref}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Moves to a part of the dashboard and gives its heading the focus, for keyboard users too. */
function jump(event: Event, anchor: string) {
  const target = document.getElementById(anchor);
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ behavior: "smooth", block: "start" });
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus({ preventScroll: true });
}

const REFERENCE = /\[(kb-[a-z0-9-]+)(?:#\d+)?\]/g;

/** The answer as Markdown (a model writes lists and bold), with each `[kb-…]` reference a button
 * that opens the article. */
function AnswerText({ text, onArticle }: { text: string; onArticle: (id: string) => void }) {
  return (
    <div class="chat-text">
      <Markdown text={text} hook={(span, key) => withReferences(span, key, onArticle)} />
    </div>
  );
}

function withReferences(text: string, key: string, onArticle: (id: string) => void) {
  const parts: (string | preact.JSX.Element)[] = [];
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    const at = match.index ?? 0;
    parts.push(text.slice(last, at));
    const id = match[1]!;
    parts.push(
      <button key={`${key}-${at}`} type="button" class="link-button citation" onClick={() => onArticle(id)}>
        {match[0]}
      </button>,
    );
    last = at + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** A knowledge-base article in a modal dialog (Escape and the Close button close it). */
function ArticleDialog({ id, onClose }: { id: string | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [article, setArticle] = useState<KnowledgeArticle | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!id) {
      if (dialog.open) dialog.close();
      return;
    }
    setArticle(null);
    setError("");
    if (!dialog.open) dialog.showModal();
    let current = true;
    api.article(id).then(
      (found) => current && setArticle(found),
      (err) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [id]);

  return (
    <dialog ref={ref} class="article-dialog" aria-labelledby="article-title" onClose={onClose}>
      <div class="article-head">
        <h2 id="article-title">{article?.title ?? id ?? "Article"}</h2>
        <button type="button" class="button quiet small" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
      {!article && !error && <p class="muted">Loading the article…</p>}
      {error && <p class="alert">{error}</p>}
      {article && (
        <div class="article-body">
          {article.sections.map((section, i) => (
            <section key={i}>
              {section.heading && <h3>{section.heading}</h3>}
              <Markdown text={section.body} />
            </section>
          ))}
          {article.sources.length > 0 && (
            <>
              <h3>Sources</h3>
              <ul class="article-sources">
                {article.sources.map((s) => (
                  <li key={s}>
                    {/^https:\/\//.test(s) ? (
                      <a href={s} rel="noopener noreferrer" target="_blank">
                        {s}
                      </a>
                    ) : (
                      s
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </dialog>
  );
}
