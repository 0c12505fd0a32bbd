import { useEffect, useState } from "preact/hooks";
import { ApiError, api, messageOf, type SyncProgress } from "../lib/api";
import { number } from "../lib/format";

/** Polls GET …/stripe/sync every second until the first score exists, showing the progress. */
export default function Importing(props: { businessId: string; onReady: () => void }) {
  const { businessId, onReady } = props;
  const [sync, setSync] = useState<SyncProgress | null>(null);
  const [problem, setProblem] = useState("");

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();

    const poll = async () => {
      try {
        const next = await api.sync(businessId, controller.signal);
        if (stopped) return;
        setSync(next);
        setProblem("");
        if (next.first_score_ready) {
          stopped = true;
          onReady();
          return;
        }
        if (next.state === "failed") return; // nothing more will come; the error is shown
      } catch (error) {
        if (stopped || controller.signal.aborted) return;
        // 403/404: the business went away; anything else may be passing (network, 5xx).
        if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
          setProblem(messageOf(error));
          return;
        }
        setProblem(`${messageOf(error)} Retrying…`);
      }
      timer = setTimeout(poll, 1000);
    };
    poll();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [businessId]);

  const objects = sync ? Object.values(sync.resources).reduce((n, r) => n + r.objects, 0) : 0;
  const failed = sync?.state === "failed";
  const stage = !sync
    ? "Checking the import…"
    : failed
      ? "The import failed."
      : sync.state === "ready"
        ? "History imported. Calculating your first score…"
        : sync.state === "idle"
          ? "Waiting for the import to start…"
          : sync.connection?.demo
            ? "Generating the demo history…"
            : "Importing your Stripe history…";

  return (
    <section class="card importing" aria-labelledby="importing-title" aria-busy={!failed}>
      <h2 id="importing-title">{sync?.connection?.demo ? "Loading demo data" : "Importing from Stripe"}</h2>
      <p role="status" class="import-stage">
        {stage}
      </p>
      {!failed && <progress class="import-progress" aria-labelledby="importing-title" />}
      {sync && (
        <dl class="import-stats">
          <div>
            <dt>Months imported</dt>
            <dd>{number(sync.months_done)}</dd>
          </div>
          <div>
            <dt>Stripe objects</dt>
            <dd>{number(objects)}</dd>
          </div>
          {sync.last_event_at && (
            <div>
              <dt>History up to</dt>
              <dd>{dateOnly(sync.last_event_at)}</dd>
            </div>
          )}
        </dl>
      )}
      {failed && (
        <p class="alert" role="alert">
          {sync?.error ?? "The import stopped."} Reload the page to check again, or contact support
          if it persists.
        </p>
      )}
      {problem && (
        <p class="alert" role="alert">
          {problem}
        </p>
      )}
      <p class="small muted">
        The first score is usually ready within a minute, while older months keep importing. You
        can leave this page; the import continues.
      </p>
    </section>
  );
}

function dateOnly(iso: string): string {
  return new Intl.DateTimeFormat(navigator.language, { dateStyle: "medium" }).format(new Date(iso));
}
