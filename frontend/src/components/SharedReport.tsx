import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  ApiError,
  api,
  messageOf,
  type FitStatus,
  type ReportSummary,
  type SharedReport as Shared,
} from "../lib/api";
import { dateTime, day } from "../lib/format";
import { useLinkToken } from "../lib/linkToken";
import { Checking, StateHeading } from "./LinkPage";

type State =
  | { kind: "loading" }
  | { kind: "ready"; shared: Shared }
  | { kind: "gone" }
  | { kind: "failed"; message: string };

const CONFIDENCE: Record<string, string> = {
  high: "High confidence: almost every criterion is backed by data.",
  medium: "Medium confidence: some criteria lack data and count at half marks.",
  low: "Low confidence: many criteria lack data and count at half marks.",
};

const STATUS: Record<FitStatus, string> = {
  eligible: "Eligible",
  not_yet: "Not yet",
  not_a_fit: "Not a fit",
};

const VERSIONS: Record<string, string> = {
  model: "Score model",
  metrics_policy: "Metrics policy",
  lender_criteria: "Lender criteria",
};

/**
 * What a lender sees through a share link: the report as it was made, read only, with no account.
 * Public: the token is the only credential, so it is read from the fragment and held in memory
 * only (and in the download links the API builds from it), never stored.
 */
export default function SharedReport() {
  const token = useLinkToken();
  const [state, setState] = useState<State>({ kind: "loading" });

  async function load(linkToken: string) {
    setState({ kind: "loading" });
    try {
      setState({ kind: "ready", shared: await api.shared(linkToken) });
    } catch (err) {
      // Unknown, expired and revoked links answer alike (404); a mangled token is refused (422).
      const gone = err instanceof ApiError && (err.status === 404 || err.status === 422);
      setState(gone ? { kind: "gone" } : { kind: "failed", message: messageOf(err) });
    }
  }

  useEffect(() => {
    if (token) load(token);
  }, [token]);

  if (token === null) return <MissingLink />;
  if (token === undefined || state.kind === "loading") {
    return (
      <Narrow>
        <StateHeading key="loading" id="shared-title" focus={false}>
          Shared funding readiness report
        </StateHeading>
        <Checking what="Opening the report" />
      </Narrow>
    );
  }
  switch (state.kind) {
    case "ready":
      return <Report shared={state.shared} />;
    case "gone":
      return <Gone />;
    case "failed":
      return (
        <Narrow>
          <StateHeading key="failed" id="shared-title">
            The report could not be opened
          </StateHeading>
          <p role="alert" class="alert">
            {state.message}
          </p>
          <button type="button" class="button" onClick={() => load(token)}>
            Try again
          </button>
        </Narrow>
      );
  }
}

function Report({ shared }: { shared: Shared }) {
  const s = shared.summary;
  return (
    <article class="shared-report" aria-labelledby="shared-title">
      <header class="shared-head">
        <p class="eyebrow">Funding readiness report</p>
        <StateHeading id="shared-title">{s.business_name}</StateHeading>
        <p class="muted">
          Shared with {shared.label}. This link works until{" "}
          <time dateTime={shared.expires_at}>{dateTime(shared.expires_at)}</time>.
        </p>
        <p class="link-actions">
          <a class="button" href={shared.pdf_path} download>
            Download PDF
          </a>
          <a class="button secondary" href={shared.csv_path} download>
            Download CSV
          </a>
        </p>
      </header>
      <section class="notice disclaimers" aria-labelledby="disclaimers-title">
        <h2 id="disclaimers-title" class="visually-hidden">
          Disclaimers
        </h2>
        <p>
          <strong>{s.disclaimer}</strong>
        </p>
        <p>{s.offer_disclaimer}</p>
      </section>
      <div class="shared-grid">
        <Score shared={shared} />
        <Components summary={s} />
      </div>
      <LenderFit summary={s} />
      <Versions summary={s} />
    </article>
  );
}

function Score({ shared }: { shared: Shared }) {
  const s = shared.summary;
  return (
    <section class="card" aria-labelledby="score-title">
      <h2 id="score-title">Readiness score</h2>
      <div class="score-ring" ref={(el) => el?.style.setProperty("--p", String(s.score))}>
        <p class="score-figure">
          <span class="score-number" data-testid="shared-score">
            {s.score}
          </span>
          <span class="score-max"> / 100</span>
        </p>
      </div>
      <p class={`confidence confidence-${s.confidence}`}>
        {CONFIDENCE[s.confidence] ?? `Confidence: ${s.confidence}.`}
      </p>
      <dl class="report-facts">
        <div>
          <dt>Scored for</dt>
          <dd>
            <time dateTime={s.as_of}>{day(s.as_of)}</time>
          </dd>
        </div>
        <div>
          <dt>Period covered</dt>
          <dd>
            <time dateTime={s.period.start}>{day(s.period.start)}</time> to{" "}
            <time dateTime={s.period.end}>{day(s.period.end)}</time>
          </dd>
        </div>
        <div>
          <dt>Data through</dt>
          <dd>
            {s.data_through ? (
              <time dateTime={s.data_through}>{dateTime(s.data_through)}</time>
            ) : (
              "Not known"
            )}
          </dd>
        </div>
        {s.last_synced_at && (
          <div>
            <dt>Stripe last heard from</dt>
            <dd>
              <time dateTime={s.last_synced_at}>{dateTime(s.last_synced_at)}</time>
            </dd>
          </div>
        )}
        <div>
          <dt>Report made</dt>
          <dd>
            <time dateTime={shared.created_at}>{dateTime(shared.created_at)}</time>
          </dd>
        </div>
      </dl>
    </section>
  );
}

function Components({ summary }: { summary: ReportSummary }) {
  return (
    <section class="card" aria-labelledby="components-title">
      <h2 id="components-title">How the score adds up</h2>
      <ul class="components">
        {summary.components.map((c) => {
          const ceiling = c.points < 0;
          return (
            <li key={c.key} class={`component${ceiling ? " is-ceiling" : ""}`}>
              <div class="component-head">
                <h3>{c.title}</h3>
                <span class="component-points">
                  {ceiling
                    ? `Ceiling: holds back ${-c.points} points`
                    : `${c.points} of ${c.max_points} points`}
                </span>
              </div>
              <p class="component-explanation">{c.explanation}</p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function LenderFit({ summary }: { summary: ReportSummary }) {
  return (
    <section class="card" aria-labelledby="fit-title">
      <h2 id="fit-title">Lender fit</h2>
      {summary.lender_fit.length === 0 ? (
        <p class="muted">No financing product was compared.</p>
      ) : (
        <div class="table-scroll">
          <table class="fit-table shared-fit" role="table">
            <caption class="visually-hidden">Each product's status on the report's day</caption>
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Lender</th>
                <th scope="col" role="columnheader">Product</th>
                <th scope="col" role="columnheader">Status</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {summary.lender_fit.map((f) => (
                <tr role="row" key={`${f.lender}|${f.product}`}>
                  <th scope="row" role="rowheader">
                    {f.lender}
                  </th>
                  <td role="cell" data-label="Product">
                    {f.product}
                  </td>
                  <td role="cell" data-label="Status">
                    <span class={`pill pill-${f.status}`}>{STATUS[f.status] ?? f.status}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Versions({ summary }: { summary: ReportSummary }) {
  return (
    <section class="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <p class="muted small">What made this report, for comparing it with another.</p>
      <dl class="report-facts">
        {Object.entries(summary.versions).map(([key, version]) => (
          <div key={key}>
            <dt>{VERSIONS[key] ?? key}</dt>
            <dd>
              <code>{version}</code>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Gone() {
  return (
    <Narrow>
      <StateHeading id="shared-title">This link has expired or was revoked</StateHeading>
      <p>Ask the business that shared the report with you for a new link.</p>
    </Narrow>
  );
}

function MissingLink() {
  return (
    <Narrow>
      <StateHeading id="shared-title">Open the full link you were sent</StateHeading>
      <p>
        A shared report opens from its link, and this address does not hold one. Open the link
        again exactly as you received it.
      </p>
    </Narrow>
  );
}

/** The states that are a sentence or two read as a card, like the site's other short pages. */
function Narrow({ children }: { children: ComponentChildren }) {
  return (
    <section class="card auth-card link-card" aria-labelledby="shared-title">
      {children}
    </section>
  );
}
