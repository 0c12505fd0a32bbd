import { useState } from "preact/hooks";
import {
  api,
  messageOf,
  type Business,
  type Report,
  type ShareLink,
  type ShareLinkCreated,
} from "../lib/api";
import { dateTime, day, plural } from "../lib/format";
import { useLoad } from "../lib/hooks";
import { explain, isKind, ResendVerification } from "./SettingsParts";

/**
 * Lender reports: a PDF and CSV frozen from the stored score, downloaded through short-lived
 * links fetched at the moment of the click, and shared with a lender through a link that can be
 * revoked and whose views are counted.
 */
export default function Reports({ business }: { business: Business }) {
  const owner = business.role === "owner";
  const reports = useLoad(() => api.reports(business.id), [business.id]);
  const shares = useLoad(() => api.shares(business.id), [business.id]);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");

  async function create() {
    setCreating(true);
    setError("");
    try {
      const made = await api.createReport(business.id);
      setStatus(`Report for ${day(made.as_of)} created. Downloading the PDF.`);
      reports.reload();
      download(made.downloads.pdf_url);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setCreating(false);
    }
  }

  async function fetchFile(report: Report, kind: "pdf" | "csv") {
    setError("");
    try {
      const fresh = await api.report(business.id, report.id);
      download(kind === "pdf" ? fresh.downloads.pdf_url : fresh.downloads.csv_url);
    } catch (err) {
      setError(messageOf(err));
    }
  }

  const list = reports.load.state === "ready" ? reports.load.data.items : [];
  const links = shares.load.state === "ready" ? shares.load.data.items : [];

  return (
    <section class="card reports" aria-labelledby="reports-title">
      <div class="card-head">
        <h2 id="reports-title">Lender report</h2>
        {owner && (
          <button type="button" class="button small" onClick={create} disabled={creating} aria-busy={creating}>
            {creating ? "Creating…" : "Create report"}
          </button>
        )}
      </div>
      <p class="muted small">
        A PDF and a CSV of your score, metrics and lender fit as they stand, for a lender or your
        records. A report never changes once made.
      </p>
      <p class="visually-hidden" role="status">
        {status}
      </p>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      {reports.load.state === "loading" && <span class="skeleton skeleton-line" />}
      {reports.load.state === "error" && (
        <p>
          The reports could not load: {messageOf(reports.load.error)}{" "}
          <button type="button" class="button quiet small" onClick={reports.reload}>
            Try again
          </button>
        </p>
      )}
      {reports.load.state === "ready" && list.length === 0 && (
        <p class="muted">
          {owner ? "No report yet." : "No report yet. An owner of this business can create one."}
        </p>
      )}
      {list.length > 0 && (
        <ul class="report-list">
          {list.map((r) => (
            <li key={r.id} class="report-item">
              <div>
                <strong>Report for {day(r.as_of)}</strong>{" "}
                <span class="muted small">
                  score {r.score} · {day(r.period.start)} – {day(r.period.end)} · made{" "}
                  {dateTime(r.created_at)}
                </span>
              </div>
              <div class="report-actions">
                <button type="button" class="button secondary small" onClick={() => fetchFile(r, "pdf")}>
                  Download PDF<span class="visually-hidden"> of the report for {day(r.as_of)}</span>
                </button>
                <button type="button" class="button quiet small" onClick={() => fetchFile(r, "csv")}>
                  CSV<span class="visually-hidden"> of the report for {day(r.as_of)}</span>
                </button>
              </div>
              {owner && <ShareForm business={business} report={r} onShared={shares.reload} />}
              <ShareList
                business={business}
                links={links.filter((l) => l.report_id === r.id)}
                onChange={shares.reload}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Starts a download from a same-origin or signed link without leaving the dashboard. */
function download(url: string) {
  const a = document.createElement("a");
  a.href = url;
  a.rel = "noopener";
  a.download = "";
  document.body.append(a);
  a.click();
  a.remove();
}

function ShareForm({
  business,
  report,
  onShared,
}: {
  business: Business;
  report: Report;
  onShared: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [label, setLabel] = useState("");
  const [days, setDays] = useState(14);
  const [created, setCreated] = useState<ShareLinkCreated | null>(null);
  const [error, setError] = useState("");
  const [unverified, setUnverified] = useState(false);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const id = `share-${report.id}`;

  async function share(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      setCreated(await api.shareReport(business.id, report.id, label.trim(), days));
      setLabel("");
      onShared();
    } catch (err) {
      setUnverified(isKind(err, "email-not-verified"));
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  if (!open) {
    return (
      <button type="button" class="button quiet small" onClick={() => setOpen(true)}>
        Share with a lender<span class="visually-hidden"> (report for {day(report.as_of)})</span>
      </button>
    );
  }
  return (
    <div class="share-form">
      {created ? (
        <div class="notice">
          <p>
            <strong>Link for {created.label}.</strong> Copy it now: it is shown only once. It works
            until {dateTime(created.expires_at)} unless you revoke it.
          </p>
          <label for={`${id}-url`}>Share link</label>
          <div class="copy-row">
            <input id={`${id}-url`} readOnly value={created.url} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" class="button small" onClick={() => copy(created.url)}>
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
          <button
            type="button"
            class="button quiet small"
            onClick={() => {
              setCreated(null);
              setOpen(false);
              setCopied(false);
            }}
          >
            Done
          </button>
        </div>
      ) : (
        <form onSubmit={share} class="share-fields">
          <div class="field">
            <label for={`${id}-label`}>Who is it for?</label>
            <input
              id={`${id}-label`}
              required
              maxLength={200}
              value={label}
              placeholder="e.g. Lighter Capital"
              onInput={(e) => setLabel((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
          <div class="field">
            <label for={`${id}-days`}>Expires after (days)</label>
            <input
              id={`${id}-days`}
              type="number"
              min={1}
              max={90}
              required
              value={days}
              onInput={(e) => setDays(Number((e.currentTarget as HTMLInputElement).value))}
            />
          </div>
          <div class="share-buttons">
            <button type="submit" class="button small" disabled={busy || !label.trim()}>
              Create link
            </button>
            <button type="button" class="button quiet small" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
          <div role="alert">
            {error && <p class="alert">{error}</p>}
          </div>
          {unverified && <ResendVerification />}
        </form>
      )}
    </div>
  );
}

function ShareList({
  business,
  links,
  onChange,
}: {
  business: Business;
  links: ShareLink[];
  onChange: () => void;
}) {
  const [error, setError] = useState("");
  if (links.length === 0) return null;

  async function revoke(link: ShareLink) {
    if (!window.confirm(`Revoke the link for ${link.label}? It stops working at once.`)) return;
    setError("");
    try {
      await api.revokeShare(business.id, link.id);
      onChange();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <div class="share-list">
      <h3 class="small">Shared links</h3>
      <ul>
        {links.map((l) => (
          <li key={l.id}>
            <span>{l.label}</span>{" "}
            <span class={`pill pill-share-${l.status}`}>{l.status}</span>{" "}
            <span class="muted small">
              {plural(l.views, "view", "views")}
              {l.last_viewed_at && <>, last {dateTime(l.last_viewed_at)}</>}
              {l.status === "active" && <> · until {dateTime(l.expires_at)}</>}
            </span>{" "}
            {l.status === "active" && business.role === "owner" && (
              <button type="button" class="button quiet small" onClick={() => revoke(l)}>
                Revoke<span class="visually-hidden"> the link for {l.label}</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
    </div>
  );
}
