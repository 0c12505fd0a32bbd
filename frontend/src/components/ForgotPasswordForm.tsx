import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, auth, messageOf } from "../lib/api";
import { fieldProblem } from "./LinkPage";

/**
 * Asks for a password reset link. The API accepts every request alike (202) so that nobody can
 * learn which addresses have an account; the page says the same thing whatever the address.
 */
export default function ForgotPasswordForm() {
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState("");
  const [emailError, setEmailError] = useState("");
  const emailRef = useRef<HTMLInputElement>(null);

  // The button stays disabled until the island runs, so nothing is submitted as a plain form;
  // the page is this one field, so the cursor starts in it.
  useEffect(() => {
    setReady(true);
    emailRef.current?.focus();
  }, []);

  async function onSubmit(event: Event) {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(data.get("email") ?? "").trim();
    // Cleared first, so that asking again announces the confirmation again.
    setSent(false);
    setError("");
    setEmailError("");
    setBusy(true);
    try {
      await auth.requestPasswordReset(email);
      setSent(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        setEmailError(fieldProblem(err, "email"));
        emailRef.current?.focus();
      } else {
        setError(messageOf(err));
      }
    }
    setBusy(false);
  }

  return (
    <form method="post" action="/forgot-password" onSubmit={onSubmit}>
      <div role="status">
        {sent && (
          <p class="notice">
            If an account exists for that address, we've sent a link to set a new password. It works
            once, within the next hour. Nothing after a few minutes? Check your spam folder.
          </p>
        )}
      </div>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      <div class="field">
        <label for="email">Email</label>
        <input
          ref={emailRef}
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          inputMode="email"
          spellcheck={false}
          required
          aria-invalid={emailError ? "true" : undefined}
          aria-describedby={emailError ? "email-error" : undefined}
        />
        {emailError && (
          <p id="email-error" class="field-error">
            {emailError}
          </p>
        )}
      </div>
      <button class="button" type="submit" disabled={!ready || busy} aria-busy={busy}>
        {busy ? "Sending…" : "Send reset link"}
      </button>
    </form>
  );
}
