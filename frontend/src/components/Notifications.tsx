import { useState } from "preact/hooks";
import { api, messageOf, type Business, type Notification } from "../lib/api";
import { ago, dateTime } from "../lib/format";
import { useLoad } from "../lib/hooks";

const SEVERITY: Record<Notification["severity"], string> = {
  info: "Info",
  warning: "Warning",
  critical: "Critical",
};

/**
 * What changed that the founder should know: a score drop, a dispute warning, a failed payout,
 * stale data, Stripe access revoked. Newest first; owners mark them read (read state belongs to
 * the business, so a viewer cannot hide one from the owner).
 */
export default function Notifications({ business }: { business: Business }) {
  const { load, reload, set } = useLoad(() => api.notifications(business.id), [business.id]);
  const [error, setError] = useState("");
  const owner = business.role === "owner";

  async function markRead(n: Notification) {
    setError("");
    try {
      const read = await api.markNotificationRead(business.id, n.id);
      if (load.state === "ready") {
        set({
          ...load.data,
          unread: Math.max(0, load.data.unread - (n.read_at ? 0 : 1)),
          items: load.data.items.map((i) => (i.id === n.id ? read : i)),
        });
      }
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function markAll() {
    setError("");
    try {
      await api.markAllNotificationsRead(business.id);
      reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  const unread = load.state === "ready" ? load.data.unread : 0;
  const items = load.state === "ready" ? load.data.items : [];

  return (
    <section class="card notifications" aria-labelledby="notifications-title">
      <div class="card-head">
        <h2 id="notifications-title">
          Notifications{" "}
          {unread > 0 && (
            <span class="badge badge-count">
              {unread}
              <span class="visually-hidden"> unread</span>
            </span>
          )}
        </h2>
        {owner && unread > 0 && (
          <button type="button" class="button quiet small" onClick={markAll}>
            Mark all read
          </button>
        )}
      </div>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      {load.state === "loading" && <span class="skeleton skeleton-line" />}
      {load.state === "error" && (
        <p>
          Notifications could not load: {messageOf(load.error)}{" "}
          <button type="button" class="button quiet small" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      {load.state === "ready" && items.length === 0 && (
        <p class="muted">Nothing to report. You'll see score drops, dispute warnings and failed payouts here.</p>
      )}
      {items.length > 0 && (
        <ul class="notification-list">
          {items.slice(0, 6).map((n) => (
            <li key={n.id} class={`notification severity-${n.severity}${n.read_at ? " read" : ""}`}>
              <p>
                <span class={`pill pill-${n.severity}`}>{SEVERITY[n.severity]}</span>{" "}
                <strong>{n.title}</strong>{" "}
                <time class="muted small" dateTime={n.created_at} title={dateTime(n.created_at)}>
                  {ago(n.created_at)}
                </time>
              </p>
              <p class="small">{n.body}</p>
              {owner && !n.read_at && (
                <button type="button" class="button quiet small" onClick={() => markRead(n)}>
                  Mark read<span class="visually-hidden">: {n.title}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
