import { useEffect, useRef, useState } from "preact/hooks";
import { api, type PersonalToken, type PersonalTokenCreated } from "../lib/api";
import { ago, dateTime } from "../lib/format";
import { useLoad } from "../lib/hooks";
import {
  CardError,
  CardLoading,
  ConfirmDialog,
  FeedbackRegions,
  fieldErrorsOf,
  useFeedback,
} from "./SettingsParts";

const DEFAULT_DAYS = 30;

/** Personal access tokens: read-only credentials for scripts and MCP clients. */
export default function SettingsTokens() {
  const { load, reload, set } = useLoad(() => api.tokens().then((page) => page.items), []);
  const [created, setCreated] = useState<PersonalTokenCreated | null>(null);
  const [revoking, setRevoking] = useState<PersonalToken | null>(null);
  const feedback = useFeedback();
  const heading = useRef<HTMLHeadingElement>(null);
  const tokens = load.state === "ready" ? load.data : [];

  function added(token: PersonalTokenCreated) {
    setCreated(token);
    feedback.clear();
    // Only what the list shows is kept there; the secret stays with the one-time reveal.
    const { token: _secret, ...listed } = token;
    set([listed, ...tokens]);
  }

  async function revoke(token: PersonalToken) {
    await api.revokeToken(token.id);
    set(tokens.filter((t) => t.id !== token.id));
    if (created?.id === token.id) setCreated(null);
    feedback.ok(`The token “${token.name}” is revoked. Anything using it is refused from now on.`);
  }

  return (
    <section class="card settings-card" aria-labelledby="tokens-title">
      <h3 id="tokens-title" ref={heading} tabIndex={-1}>
        Personal access tokens
      </h3>
      <p class="muted">
        Read-only tokens for your scripts and AI assistants (MCP). A token reads everything you can
        read and changes nothing. Send it as <code>Authorization: Bearer vlt_pat_…</code>.
      </p>

      {created && <TokenReveal token={created} onDone={() => setCreated(null)} />}
      <FeedbackRegions feedback={feedback} />

      {load.state === "loading" && <CardLoading what="your tokens" />}
      {load.state === "error" && <CardError what="Your tokens" error={load.error} retry={reload} />}
      {load.state === "ready" &&
        (tokens.length === 0 ? (
          <p>You have no personal access tokens.</p>
        ) : (
          <ul class="settings-list" aria-label="Your tokens">
            {tokens.map((token) => (
              <TokenRow key={token.id} token={token} onRevoke={() => setRevoking(token)} />
            ))}
          </ul>
        ))}

      <CreateTokenForm onCreated={added} />

      {revoking && (
        <ConfirmDialog
          title={`Revoke the token “${revoking.name}”?`}
          confirm="Revoke token"
          busyLabel="Revoking…"
          danger
          onConfirm={() => revoke(revoking)}
          onClose={() => setRevoking(null)}
          fallbackFocus={heading}
        >
          <p>
            Scripts and assistants using <code>{revoking.prefix}…</code> are refused at once. This
            cannot be undone; you can create a new token.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function TokenRow({ token, onRevoke }: { token: PersonalToken; onRevoke: () => void }) {
  const expired = new Date(token.expires_at).getTime() <= Date.now();
  return (
    <li class="settings-item">
      <div class="settings-item-main">
        <p class="settings-item-title">
          <span class="break">{token.name}</span> <code class="break">{token.prefix}…</code>
          {expired && <span class="pill pill-dismissed">Expired</span>}
        </p>
        <ul class="facts muted">
          <li>Created {dateTime(token.created_at)}</li>
          <li>
            {expired ? "Expired" : "Expires"} {dateTime(token.expires_at)}
          </li>
          <li>
            {token.last_used_at ? (
              <>
                Last used <time dateTime={token.last_used_at} title={dateTime(token.last_used_at)}>{ago(token.last_used_at)}</time>
              </>
            ) : (
              "Never used"
            )}
          </li>
        </ul>
      </div>
      <button type="button" class="button quiet small" onClick={onRevoke}>
        Revoke<span class="visually-hidden"> the token {token.name}</span>
      </button>
    </li>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: PersonalTokenCreated) => void }) {
  const [name, setName] = useState("");
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  const [busy, setBusy] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const feedback = useFeedback();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setFields({});
    feedback.clear();
    try {
      onCreated(await api.createToken(name.trim(), Number(days)));
      setName("");
      setDays(String(DEFAULT_DAYS));
    } catch (err) {
      setFields(fieldErrorsOf(err));
      feedback.fail(err);
    }
    setBusy(false);
  }

  return (
    <form class="settings-form subform" onSubmit={submit} aria-labelledby="new-token-title">
      <h4 id="new-token-title">Create a token</h4>
      <div class="field-row">
        <div class="field">
          <label for="token-name">Token name</label>
          <input
            id="token-name"
            type="text"
            required
            maxLength={100}
            autocomplete="off"
            value={name}
            aria-invalid={fields.name ? "true" : undefined}
            aria-describedby={fields.name ? "token-name-hint token-name-error" : "token-name-hint"}
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
          <span id="token-name-hint" class="hint">
            What it is for, e.g. “Claude Desktop”.
          </span>
          {fields.name && (
            <p id="token-name-error" class="field-error">
              {fields.name}
            </p>
          )}
        </div>
        <div class="field field-days">
          <label for="token-days">Valid for (days)</label>
          <input
            id="token-days"
            type="number"
            inputMode="numeric"
            required
            min={1}
            max={365}
            step={1}
            value={days}
            aria-invalid={fields.expires_in_days ? "true" : undefined}
            aria-describedby={fields.expires_in_days ? "token-days-hint token-days-error" : "token-days-hint"}
            onInput={(e) => setDays((e.currentTarget as HTMLInputElement).value)}
          />
          <span id="token-days-hint" class="hint">
            1 to 365.
          </span>
          {fields.expires_in_days && (
            <p id="token-days-error" class="field-error">
              {fields.expires_in_days}
            </p>
          )}
        </div>
      </div>
      <FeedbackRegions feedback={feedback} />
      <div>
        <button type="submit" class="button secondary" disabled={busy} aria-busy={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}

/** The new token, this once: Vaultra keeps only its hash, so it can never be shown again. */
function TokenReveal({ token, onDone }: { token: PersonalTokenCreated; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState("");

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [token.id]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied("Copied to the clipboard.");
    } catch {
      // No clipboard permission (or no secure context): leave it selected for the keyboard.
      input.current?.focus();
      input.current?.select();
      setCopied("Copying was not allowed here. The token is selected: copy it with your keyboard.");
    }
  }

  return (
    <div class="token-reveal">
      <p id="token-warning">
        <strong>Copy your new token “{token.name}” now.</strong> It is shown only this once; if you
        lose it, revoke it and create another.
      </p>
      <label for="new-token-value">Your new token</label>
      <div class="copy-row">
        <input
          ref={input}
          id="new-token-value"
          type="text"
          class="token-value"
          readOnly
          value={token.token}
          spellcheck={false}
          autocomplete="off"
          aria-describedby="token-warning"
        />
        <button type="button" class="button small" onClick={copy}>
          Copy<span class="visually-hidden"> the token</span>
        </button>
      </div>
      <div role="status" class="small">
        {copied}
      </div>
      <button type="button" class="button quiet small" onClick={onDone}>
        I have copied it — hide the token
      </button>
    </div>
  );
}
