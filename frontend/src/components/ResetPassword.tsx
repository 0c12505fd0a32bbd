import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, auth, messageOf } from "../lib/api";
import { useLinkToken } from "../lib/linkToken";
import { Checking, StateHeading, fieldProblem, isInvalidToken } from "./LinkPage";

type Outcome = "form" | "done" | "invalid";

/** The page a password reset mail links to: a new password for the token in the link. */
export default function ResetPassword() {
  const token = useLinkToken();
  const [outcome, setOutcome] = useState<Outcome>("form");

  if (token === undefined) {
    return (
      <>
        <StateHeading id="reset-title" focus={false}>
          Set a new password
        </StateHeading>
        <Checking what="Reading your link" />
      </>
    );
  }
  if (token === null) return <MissingLink />;
  if (outcome === "done") return <PasswordSet />;
  if (outcome === "invalid") return <InvalidLink />;
  return <NewPasswordForm token={token} onOutcome={setOutcome} />;
}

function NewPasswordForm({
  token,
  onOutcome,
}: {
  token: string;
  onOutcome: (outcome: Outcome) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [passwordError, setPasswordError] = useState("");
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => passwordRef.current?.focus(), []);

  async function onSubmit(event: Event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const password = String(data.get("new-password") ?? "");
    setError("");
    setPasswordError("");
    setBusy(true);
    try {
      await auth.confirmPasswordReset(token, password);
      onOutcome("done");
      return;
    } catch (err) {
      if (isInvalidToken(err)) {
        onOutcome("invalid");
        return;
      }
      if (err instanceof ApiError && err.status === 422) {
        // A weak password leaves the link usable: the rule the API names, and another try.
        setPasswordError(fieldProblem(err, "new_password"));
        passwordRef.current?.focus();
      } else {
        setError(messageOf(err));
      }
    }
    setBusy(false);
  }

  const describedBy = passwordError ? "password-hint password-error" : "password-hint";
  return (
    <>
      <StateHeading id="reset-title" focus={false}>
        Set a new password
      </StateHeading>
      <p class="muted">Choose the password you will log in with from now on.</p>
      <form method="post" action="/reset-password" onSubmit={onSubmit}>
        <div role="alert">{error && <p class="alert">{error}</p>}</div>
        <div class="field">
          <label for="new-password">New password</label>
          <input
            ref={passwordRef}
            id="new-password"
            name="new-password"
            type="password"
            autocomplete="new-password"
            required
            aria-invalid={passwordError ? "true" : undefined}
            aria-describedby={describedBy}
          />
          <span id="password-hint" class="hint">
            Use a long passphrase you do not use anywhere else.
          </span>
          {passwordError && (
            <p id="password-error" class="field-error">
              {passwordError}
            </p>
          )}
        </div>
        <button class="button" type="submit" disabled={busy} aria-busy={busy}>
          {busy ? "Setting your password…" : "Set new password"}
        </button>
      </form>
    </>
  );
}

function PasswordSet() {
  return (
    <>
      <StateHeading id="reset-title">Your password is set</StateHeading>
      <p>
        For your security, you were signed out everywhere: every session on every device ended, and
        every personal access token was revoked.
      </p>
      <p>
        <a class="button" href="/login">
          Log in with your new password
        </a>
      </p>
    </>
  );
}

function InvalidLink() {
  return (
    <>
      <StateHeading id="reset-title">This link no longer works</StateHeading>
      <p>
        A reset link works once, for one hour, and only the newest one you asked for works. Ask for
        a new link and use it within the hour.
      </p>
      <p>
        <a class="button" href="/forgot-password">
          Ask for a new link
        </a>
      </p>
    </>
  );
}

function MissingLink() {
  return (
    <>
      <StateHeading id="reset-title">Open the link from your email</StateHeading>
      <p>
        This page sets a new password with the link we mail you, and that link is not here. Open it
        again from the email (the page forgets it once it has read it), or ask for a new one.
      </p>
      <p>
        <a class="button" href="/forgot-password">
          Ask for a reset link
        </a>
      </p>
    </>
  );
}
