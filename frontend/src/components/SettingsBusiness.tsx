import { useState } from "preact/hooks";
import { api, type Business, type User } from "../lib/api";
import { dateTime } from "../lib/format";
import { ConfirmDialog, FeedbackRegions, OwnersOnly, fieldErrorsOf, useFeedback } from "./SettingsParts";
import { InvitationsCard, MembersCard } from "./SettingsMembers";
import SettingsStripe from "./SettingsStripe";

interface Props {
  business: Business;
  me: User;
  /** The business changed here (renamed, or the caller's own role). */
  onChanged: (business: Business) => void;
  /** The caller left it: it is no longer theirs to show. */
  onLeft: (business: Business) => void;
  onVerified: () => void;
}

/** One business: its name, people, Stripe connection, and deleting it. */
export default function SettingsBusiness({ business, me, onChanged, onLeft, onVerified }: Props) {
  const owner = business.role === "owner";
  return (
    <>
      {!owner && (
        <p class="notice">
          You are a <strong>viewer</strong> of {business.name}: you can see its settings, and only
          its owners can change them.
        </p>
      )}
      <NameCard business={business} onChanged={onChanged} />
      <MembersCard business={business} me={me} onChanged={onChanged} onLeft={onLeft} />
      <InvitationsCard business={business} me={me} onVerified={onVerified} />
      <SettingsStripe business={business} me={me} onVerified={onVerified} />
      <DeleteBusinessCard business={business} />
    </>
  );
}

function NameCard({ business, onChanged }: { business: Business; onChanged: (b: Business) => void }) {
  const [name, setName] = useState(business.name);
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState("");
  const feedback = useFeedback();
  const owner = business.role === "owner";
  const unchanged = name.trim() === business.name || name.trim() === "";

  async function submit(event: Event) {
    event.preventDefault();
    if (unchanged) return;
    setBusy(true);
    setFieldError("");
    feedback.clear();
    try {
      const renamed = await api.renameBusiness(business.id, name.trim());
      onChanged(renamed);
      setName(renamed.name);
      feedback.ok(`The business is now called ${renamed.name}.`);
    } catch (err) {
      setFieldError(fieldErrorsOf(err).name ?? "");
      feedback.fail(err);
    }
    setBusy(false);
  }

  return (
    <section class="card settings-card" aria-labelledby="name-title">
      <h3 id="name-title">Name</h3>
      <p class="muted small">
        Created {dateTime(business.created_at)} · your role: {business.role}
      </p>
      {owner ? (
        <form class="settings-form" onSubmit={submit}>
          <div class="field">
            <label for="business-name">Business name</label>
            <input
              id="business-name"
              type="text"
              autocomplete="organization"
              required
              maxLength={200}
              value={name}
              aria-invalid={fieldError ? "true" : undefined}
              aria-describedby={fieldError ? "business-name-error" : undefined}
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
            />
            {fieldError && (
              <p id="business-name-error" class="field-error">
                {fieldError}
              </p>
            )}
          </div>
          <FeedbackRegions feedback={feedback} />
          <div>
            <button type="submit" class="button secondary" disabled={busy || unchanged} aria-busy={busy}>
              {busy ? "Saving…" : "Save name"}
            </button>
          </div>
        </form>
      ) : (
        <>
          <p class="break">
            <strong>{business.name}</strong>
          </p>
          <OwnersOnly>Only owners can rename the business.</OwnersOnly>
        </>
      )}
    </section>
  );
}

function DeleteBusinessCard({ business }: { business: Business }) {
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const owner = business.role === "owner";

  async function remove() {
    await api.deleteBusiness(business.id);
    window.location.assign("/app");
  }

  function close() {
    setConfirming(false);
    setTyped("");
  }

  return (
    <section class="card settings-card danger-zone" aria-labelledby="delete-business-title">
      <h3 id="delete-business-title">Delete this business</h3>
      <p>
        Deletes {business.name} and all its data for good — the imported Stripe history, metrics,
        scores, reports and share links — for every member. Stripe itself is not touched.
      </p>
      {owner ? (
        <button type="button" class="button secondary danger" onClick={() => setConfirming(true)}>
          Delete this business…
        </button>
      ) : (
        <OwnersOnly>Only owners can delete the business. You can leave it under Members.</OwnersOnly>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${business.name}?`}
          confirm="Delete this business for good"
          busyLabel="Deleting…"
          danger
          ready={typed.trim() === business.name}
          onConfirm={remove}
          onClose={close}
        >
          <p>This cannot be undone. Export your data first if you want a copy.</p>
          <div class="field">
            <label for="delete-business-name">Type the business name to confirm</label>
            <input
              id="delete-business-name"
              type="text"
              autocomplete="off"
              spellcheck={false}
              required
              value={typed}
              aria-describedby="delete-business-name-hint"
              onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)}
            />
            <span id="delete-business-name-hint" class="hint">
              Type <strong class="break">{business.name}</strong> exactly.
            </span>
          </div>
        </ConfirmDialog>
      )}
    </section>
  );
}
