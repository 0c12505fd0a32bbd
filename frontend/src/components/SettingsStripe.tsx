import { useRef, useState } from "preact/hooks";
import { api, type Business, type SyncProgress, type SyncState, type User } from "../lib/api";
import { ago, dateTime } from "../lib/format";
import { useLoad } from "../lib/hooks";
import {
  CardError,
  CardLoading,
  ConfirmDialog,
  FeedbackRegions,
  OwnersOnly,
  ResendVerification,
  isKind,
  useFeedback,
  type Feedback,
} from "./SettingsParts";

const STATES: Record<SyncState, string> = {
  idle: "Not connected",
  importing: "Connected — importing your history",
  ready: "Connected and up to date",
  failed: "Connected — the import failed",
};

interface Props {
  business: Business;
  me: User;
  onVerified: () => void;
}

/** The business's Stripe connection: what is linked, and connecting or disconnecting it. */
export default function SettingsStripe({ business, me, onVerified }: Props) {
  const { load, reload } = useLoad(() => api.sync(business.id), [business.id]);
  const [disconnecting, setDisconnecting] = useState(false);
  // A refusal for an unverified address: offer the link again beside the explanation.
  const [needsVerification, setNeedsVerification] = useState(false);
  const feedback = useFeedback();
  const heading = useRef<HTMLHeadingElement>(null);
  const owner = business.role === "owner";

  function failed(err: unknown) {
    setNeedsVerification(isKind(err, "email-not-verified"));
    feedback.fail(err);
  }

  async function disconnect() {
    await api.disconnectStripe(business.id);
    feedback.ok(
      "Stripe is disconnected: Vaultra no longer reads the account, and the data imported so far stays. " +
        "Remove Vaultra from the connected applications in your Stripe dashboard too.",
    );
    reload();
  }

  const sync = load.state === "ready" ? load.data : null;
  const connection = sync?.connection ?? null;
  const connected = connection !== null && connection.disconnected_at === null;

  return (
    <section class="card settings-card" aria-labelledby="stripe-title">
      <h3 id="stripe-title" ref={heading} tabIndex={-1}>
        Stripe connection
      </h3>
      {load.state === "loading" && <CardLoading what="the Stripe connection" />}
      {load.state === "error" && <CardError what="The Stripe connection" error={load.error} retry={reload} />}
      {sync && <ConnectionFacts sync={sync} />}
      <FeedbackRegions feedback={feedback} />
      {needsVerification && <ResendVerification me={me} onVerified={onVerified} />}

      {sync && !owner && <OwnersOnly>Only owners can connect or disconnect Stripe.</OwnersOnly>}
      {sync && owner && connected && (
        <div class="settings-actions">
          <button type="button" class="button secondary danger" onClick={() => setDisconnecting(true)}>
            Disconnect Stripe…
          </button>
          <button type="button" class="button quiet small" onClick={reload}>
            Refresh status
          </button>
        </div>
      )}
      {sync && owner && !connected && (
        <Connect
          business={business}
          feedback={feedback}
          onFailed={failed}
          onConnected={() => {
            setNeedsVerification(false);
            reload();
          }}
        />
      )}

      {disconnecting && connection && (
        <ConfirmDialog
          title="Disconnect Stripe?"
          confirm="Disconnect Stripe"
          busyLabel="Disconnecting…"
          danger
          onConfirm={disconnect}
          onClose={() => setDisconnecting(false)}
          fallbackFocus={heading}
        >
          <p>
            Vaultra stops reading <code>{connection.account_id}</code> and forgets its credentials.
            The history imported so far stays, but the score no longer follows new activity.
          </p>
          <p class="muted small">
            You can reconnect this same account later. Another account needs a new business, since
            this one's data is this account's.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function ConnectionFacts({ sync }: { sync: SyncProgress }) {
  const connection = sync.connection;
  const connected = connection !== null && connection.disconnected_at === null;
  return (
    <>
      <dl class="settings-facts">
        <dt>Status</dt>
        <dd>{connected ? STATES[sync.state] : "Not connected"}</dd>
        {connection && (
          <>
            <dt>Account</dt>
            <dd>
              <code class="break">{connection.account_id}</code>{" "}
              {connection.demo && <span class="pill">Demo data</span>}
            </dd>
            <dt>Mode</dt>
            <dd>{connection.livemode ? "Live" : "Test"}</dd>
            <dt>Linked</dt>
            <dd>{dateTime(connection.linked_at)}</dd>
            {connection.disconnected_at && (
              <>
                <dt>Disconnected</dt>
                <dd>{dateTime(connection.disconnected_at)}</dd>
              </>
            )}
          </>
        )}
        {sync.last_event_at && (
          <>
            <dt>Latest Stripe event</dt>
            <dd>
              <time dateTime={sync.last_event_at} title={dateTime(sync.last_event_at)}>
                {ago(sync.last_event_at)}
              </time>
            </dd>
          </>
        )}
      </dl>
      {sync.state === "failed" && sync.error && <p class="alert">The import failed: {sync.error}</p>}
    </>
  );
}

interface ConnectProps {
  business: Business;
  feedback: Feedback;
  onFailed: (err: unknown) => void;
  onConnected: () => void;
  level?: 3 | 4;
}

/** Two read-only ways in: Stripe's own sign-in (OAuth), or a restricted key pasted here. Used by
 * the settings and by onboarding (whose card heading is one level up: `level`). */
export function Connect({ business, feedback, onFailed, onConnected, level = 4 }: ConnectProps) {
  const Heading = level === 3 ? "h3" : "h4";
  const [busy, setBusy] = useState<"oauth" | "key" | null>(null);
  // Uncontrolled on purpose: the key is read once on submit and never kept in the page's state.
  const keyInput = useRef<HTMLInputElement>(null);

  async function oauth() {
    setBusy("oauth");
    feedback.clear();
    try {
      const { authorize_url } = await api.connectStripe(business.id);
      window.location.assign(authorize_url);
      return; // stay busy while the browser leaves for Stripe
    } catch (err) {
      onFailed(err);
    }
    setBusy(null);
  }

  async function withKey(event: Event) {
    event.preventDefault();
    const input = keyInput.current;
    if (!input) return;
    const key = input.value.trim();
    setBusy("key");
    feedback.clear();
    try {
      const linked = await api.connectRestrictedKey(business.id, key);
      input.value = "";
      feedback.ok(
        `Connected ${linked.account_id} (${linked.livemode ? "live" : "test"} mode). Your history is being imported.`,
      );
      onConnected();
    } catch (err) {
      onFailed(err);
    }
    setBusy(null);
  }

  return (
    <div class="connect-options">
      <div>
        <Heading>Connect with Stripe</Heading>
        <p class="muted small">
          Sign in to Stripe and grant Vaultra read-only access. You need a verified email address.
        </p>
        <button type="button" class="button" onClick={oauth} disabled={busy !== null} aria-busy={busy === "oauth"}>
          {busy === "oauth" ? "Opening Stripe…" : "Connect Stripe (read-only)"}
        </button>
      </div>
      <form class="settings-form" onSubmit={withKey}>
        <Heading>Or paste a restricted key</Heading>
        <div class="field">
          <label for="restricted-key">Restricted key</label>
          <input
            ref={keyInput}
            id="restricted-key"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
            maxLength={255}
            aria-describedby="restricted-key-hint"
          />
          <span id="restricted-key-hint" class="hint">
            Starts with <code>rk_live_</code> or <code>rk_test_</code>, with read access only. Never
            paste a secret key (<code>sk_…</code>). Vaultra stores it encrypted and never shows it again.
          </span>
        </div>
        <div>
          <button type="submit" class="button secondary" disabled={busy !== null} aria-busy={busy === "key"}>
            {busy === "key" ? "Checking the key with Stripe…" : "Connect with this key"}
          </button>
        </div>
      </form>
    </div>
  );
}
