import { useRef, useState } from "preact/hooks";
import { api, type User } from "../lib/api";
import { dateTime } from "../lib/format";
import {
  ConfirmDialog,
  FeedbackRegions,
  ResendVerification,
  explain,
  fieldErrorsOf,
  isKind,
  useFeedback,
} from "./SettingsParts";
import SettingsTokens from "./SettingsTokens";

interface Props {
  me: User;
  onVerified: () => void;
}

/** Everything about the signed-in person rather than one business. */
export default function SettingsAccount({ me, onVerified }: Props) {
  return (
    <section class="settings-group" aria-labelledby="account-group-title">
      <h2 id="account-group-title">Your account</h2>
      <EmailCard me={me} onVerified={onVerified} />
      <PasswordCard />
      <SettingsTokens />
      <ExportCard />
      <DeleteAccountCard />
    </section>
  );
}

function EmailCard({ me, onVerified }: Props) {
  return (
    <section class="card settings-card" aria-labelledby="email-title">
      <h3 id="email-title">Email address</h3>
      <p class="email-line">
        <strong class="break">{me.email}</strong>{" "}
        {me.email_verified ? (
          <span class="pill pill-done">Verified</span>
        ) : (
          <span class="pill pill-open">Not verified</span>
        )}
      </p>
      <p class="muted small">Your account was created {dateTime(me.created_at)}.</p>
      {!me.email_verified && (
        <>
          <p>
            Open the link we mailed you to verify this address. You need a verified address to
            connect Stripe, invite people and share reports.
          </p>
          <ResendVerification me={me} onVerified={onVerified} />
        </>
      )}
    </section>
  );
}

type PasswordField = "current_password" | "new_password";

function PasswordCard() {
  const [busy, setBusy] = useState(false);
  const [fields, setFields] = useState<Partial<Record<PasswordField, string>>>({});
  const feedback = useFeedback();
  const currentRef = useRef<HTMLInputElement>(null);
  const newRef = useRef<HTMLInputElement>(null);

  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setBusy(true);
    setFields({});
    feedback.clear();
    try {
      await api.changePassword(String(data.get("current_password")), String(data.get("new_password")));
      form.reset();
      feedback.ok("Your password is changed. Every other session has been signed out.");
    } catch (err) {
      const found: Partial<Record<PasswordField, string>> = fieldErrorsOf(err);
      if (isKind(err, "wrong-password")) found.current_password = "That is not your current password.";
      // A weak password is a 422 whose detail names the rule, not one of the field errors.
      if (isKind(err, "weak-password")) found.new_password = explain(err);
      setFields(found);
      feedback.fail(err);
      if (found.current_password) currentRef.current?.focus();
      else if (found.new_password) newRef.current?.focus();
    }
    setBusy(false);
  }

  const invalid = (f: PasswordField) => (fields[f] ? "true" : undefined);

  return (
    <section class="card settings-card" aria-labelledby="password-title">
      <h3 id="password-title">Password</h3>
      <form class="settings-form" onSubmit={submit}>
        <div class="field">
          <label for="current-password">Current password</label>
          <input
            ref={currentRef}
            id="current-password"
            name="current_password"
            type="password"
            autocomplete="current-password"
            required
            aria-invalid={invalid("current_password")}
            aria-describedby={fields.current_password ? "current-password-error" : undefined}
          />
          {fields.current_password && (
            <p id="current-password-error" class="field-error">
              {fields.current_password}
            </p>
          )}
        </div>
        <div class="field">
          <label for="new-password">New password</label>
          <input
            ref={newRef}
            id="new-password"
            name="new_password"
            type="password"
            autocomplete="new-password"
            required
            minLength={10}
            maxLength={256}
            aria-invalid={invalid("new_password")}
            aria-describedby={fields.new_password ? "new-password-hint new-password-error" : "new-password-hint"}
          />
          <span id="new-password-hint" class="hint">
            At least 10 characters. Changing it signs you out everywhere else.
          </span>
          {fields.new_password && (
            <p id="new-password-error" class="field-error">
              {fields.new_password}
            </p>
          )}
        </div>
        <FeedbackRegions feedback={feedback} />
        <div>
          <button type="submit" class="button" disabled={busy} aria-busy={busy}>
            {busy ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </section>
  );
}

const EXPORT_NAME = "vaultra-export.zip";

function ExportCard() {
  const [busy, setBusy] = useState(false);
  const feedback = useFeedback();

  async function download() {
    setBusy(true);
    feedback.clear();
    try {
      save(await api.exportMyData(), EXPORT_NAME);
      feedback.ok(`Your data is downloading as ${EXPORT_NAME}.`);
    } catch (err) {
      feedback.fail(err);
    }
    setBusy(false);
  }

  return (
    <section class="card settings-card" aria-labelledby="export-title">
      <h3 id="export-title">Export my data</h3>
      <p>
        A ZIP file with your account, your memberships and your activity log, and for each business
        you own every table as CSV and every report. Stripe credentials and password or token
        hashes are left out.
      </p>
      <FeedbackRegions feedback={feedback} />
      <button type="button" class="button secondary" onClick={download} disabled={busy} aria-busy={busy}>
        {busy ? "Preparing your export…" : "Download my data (ZIP)"}
      </button>
    </section>
  );
}

/** Saves a Blob as a file through a temporary object URL and `<a download>`. */
function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Some browsers read the URL after click() returns; the blob is freed once the download began.
  window.setTimeout(() => URL.revokeObjectURL(url), 40_000);
}

function DeleteAccountCard() {
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState("");
  const [wrong, setWrong] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);

  async function remove() {
    setWrong(false);
    try {
      await api.deleteAccount(password);
    } catch (err) {
      if (isKind(err, "wrong-password")) {
        setWrong(true);
        passwordInput.current?.select();
      }
      throw err;
    }
    window.location.assign("/");
  }

  function close() {
    setConfirming(false);
    setPassword("");
    setWrong(false);
  }

  return (
    <section class="card settings-card danger-zone" aria-labelledby="delete-account-title">
      <h3 id="delete-account-title">Delete my account</h3>
      <p>
        This deletes your account for good: the businesses you alone own, with all their data and
        reports, your memberships of other businesses, your tokens and your invitations. It cannot
        be undone. Export your data first if you want a copy.
      </p>
      <button type="button" class="button secondary danger" onClick={() => setConfirming(true)}>
        Delete my account…
      </button>
      {confirming && (
        <ConfirmDialog
          title="Delete your account?"
          confirm="Delete my account for good"
          busyLabel="Deleting your account…"
          danger
          ready={password.length > 0}
          onConfirm={remove}
          onClose={close}
        >
          <p>Type your password to confirm. Everything listed on the page is deleted at once.</p>
          <div class="field">
            <label for="delete-account-password">Your password</label>
            <input
              ref={passwordInput}
              id="delete-account-password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              aria-invalid={wrong ? "true" : undefined}
              onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
        </ConfirmDialog>
      )}
    </section>
  );
}
