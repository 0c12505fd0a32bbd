import { useRef, useState } from "preact/hooks";
import {
  api,
  messageOf,
  type Business,
  type Recommendation,
  type RecommendationStatus,
} from "../lib/api";
import { useLoad } from "../lib/hooks";
import { plural } from "../lib/format";

const EFFORT: Record<string, string> = { low: "Low effort", medium: "Medium effort", high: "High effort" };
const STATUS: Record<RecommendationStatus, string> = { open: "Open", done: "Done", dismissed: "Dismissed" };

/** "This week's plan" (the first three open recommendations) and every recommendation. */
export default function Plan({ business }: { business: Business }) {
  const { load, reload, set } = useLoad(() => api.recommendations(business.id), [business.id]);
  const [pending, setPending] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const [error, setError] = useState("");
  const headingRef = useRef<HTMLHeadingElement>(null);
  const canWrite = business.role === "owner";

  async function mark(rec: Recommendation, status: RecommendationStatus) {
    setPending(rec.key);
    setError("");
    try {
      await api.setRecommendationStatus(business.id, rec.key, status);
      // this_week depends on the other items' status: read the plan again.
      set(await api.recommendations(business.id));
      setAnnounce(
        status === "done"
          ? `Marked done: ${rec.title}.`
          : status === "dismissed"
            ? `Dismissed: ${rec.title}.`
            : `Reopened: ${rec.title}.`,
      );
      headingRef.current?.focus();
    } catch (err) {
      setError(messageOf(err));
      reload();
    } finally {
      setPending(null);
    }
  }

  const items = load.state === "ready" ? load.data.items : [];
  const thisWeek = items.filter((r) => r.this_week);

  return (
    <>
      <section class="card plan" aria-labelledby="plan-title" aria-busy={load.state === "loading"}>
        <h2 id="plan-title" ref={headingRef} tabIndex={-1}>
          This week's plan
        </h2>
        <p class="visually-hidden" role="status">
          {announce}
        </p>
        <div role="alert">{error && <p class="alert">{error}</p>}</div>
        {load.state === "loading" && <Skeletons n={3} />}
        {load.state === "error" && (
          <p>
            The plan could not load: {messageOf(load.error)}{" "}
            <button type="button" class="button quiet small" onClick={reload}>
              Try again
            </button>
          </p>
        )}
        {load.state === "ready" && thisWeek.length === 0 && (
          <p class="muted">
            {items.length === 0
              ? "Nothing to do: your data triggers no recommendation right now."
              : "Every recommendation is done or dismissed. Well done — the plan updates as your data changes."}
          </p>
        )}
        {thisWeek.length > 0 && (
          <ol class="plan-list">
            {thisWeek.map((r) => (
              <li key={r.key} class="plan-item">
                <RecommendationBody rec={r} />
                {canWrite && (
                  <Actions rec={r} pending={pending === r.key} disabled={pending !== null} onMark={mark} />
                )}
              </li>
            ))}
          </ol>
        )}
        {!canWrite && load.state === "ready" && items.length > 0 && (
          <p class="small muted">You are a viewer of this business: only an owner can mark recommendations.</p>
        )}
      </section>

      <section class="card all-recs" aria-labelledby="recs-title" aria-busy={load.state === "loading"}>
        <h2 id="recs-title">All recommendations</h2>
        {load.state === "loading" && <Skeletons n={2} />}
        {load.state === "error" && <p class="muted">Not available right now.</p>}
        {load.state === "ready" && items.length === 0 && <p class="muted">None right now.</p>}
        {items.length > 0 && (
          <>
            <p class="small muted">
              {plural(items.length, "recommendation", "recommendations")} in plan order, ranked by
              the points they add for the effort they take.
            </p>
            <ol class="rec-list">
              {items.map((r) => (
                <li key={r.key} class={`rec rec-${r.status}`}>
                  <div class="rec-head">
                    <span class="rec-rank" aria-hidden="true">
                      {r.rank}
                    </span>
                    <span class="rec-title">{r.title}</span>
                    <span class={`pill pill-${r.status}`}>
                      {r.this_week ? "This week" : STATUS[r.status]}
                    </span>
                  </div>
                  <p class="rec-meta small muted">
                    +{plural(r.expected_gain, "point", "points")} · {EFFORT[r.effort]} · takes effect{" "}
                    {r.takes_effect}
                  </p>
                  {canWrite && (
                    <Actions rec={r} pending={pending === r.key} disabled={pending !== null} onMark={mark} />
                  )}
                </li>
              ))}
            </ol>
          </>
        )}
      </section>
    </>
  );
}

function RecommendationBody({ rec }: { rec: Recommendation }) {
  return (
    <>
      <h3 class="plan-title">{rec.title}</h3>
      {rec.trigger && <p class="small muted">Why: {rec.trigger}.</p>}
      <ul class="facts">
        <li>
          <strong>+{plural(rec.expected_gain, "point", "points")}</strong>
        </li>
        <li>{EFFORT[rec.effort]}</li>
        <li>Takes effect {rec.takes_effect}</li>
        {rec.unlocks.length > 0 && <li>Unlocks {rec.unlocks.join(", ")}</li>}
      </ul>
    </>
  );
}

function Actions(props: {
  rec: Recommendation;
  pending: boolean;
  disabled: boolean;
  onMark: (rec: Recommendation, status: RecommendationStatus) => void;
}) {
  const { rec, pending, disabled, onMark } = props;
  const about = <span class="visually-hidden">: {rec.title}</span>;
  return (
    <div class="rec-actions" aria-busy={pending}>
      {rec.status === "open" ? (
        <>
          <button type="button" class="button small" disabled={disabled} onClick={() => onMark(rec, "done")}>
            Mark done{about}
          </button>
          <button type="button" class="button quiet small" disabled={disabled} onClick={() => onMark(rec, "dismissed")}>
            Dismiss{about}
          </button>
        </>
      ) : (
        <button type="button" class="button quiet small" disabled={disabled} onClick={() => onMark(rec, "open")}>
          Reopen{about}
        </button>
      )}
    </div>
  );
}

function Skeletons({ n }: { n: number }) {
  return (
    <div aria-hidden="true" class="skeletons">
      {Array.from({ length: n }, (_, i) => (
        <span key={i} class="skeleton skeleton-line" />
      ))}
    </div>
  );
}
