import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, auth, messageOf } from "../lib/api";

interface Props {
  mode: "signup" | "login";
}

type Field = "email" | "password";

/** The sign-up and log-in form. Both end on /app with a refresh cookie set by the API. */
export default function AuthForm({ mode }: Props) {
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const signup = mode === "signup";

  // The button stays disabled until the island runs, so nothing is submitted as a plain form.
  useEffect(() => setReady(true), []);

  async function onSubmit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    setError("");
    setFieldErrors({});
    setBusy(true);
    try {
      if (signup) await auth.signup(email, password);
      await auth.login(email, password);
      window.location.assign("/app");
      return; // keep the button busy while the browser navigates
    } catch (err) {
      const { message, fields } = explain(err);
      setError(message);
      setFieldErrors(fields);
      if (fields.email) emailRef.current?.focus();
      else if (fields.password) passwordRef.current?.focus();
    }
    setBusy(false);
  }

  const invalid = (f: Field) => (fieldErrors[f] ? "true" : undefined);
  const describedBy = (f: Field, hint?: string) =>
    [hint, fieldErrors[f] ? `${f}-error` : undefined].filter(Boolean).join(" ") || undefined;

  return (
    <form method="post" action={signup ? "/signup" : "/login"} onSubmit={onSubmit}>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      <div class="field">
        <label for="email">Email</label>
        <input
          ref={emailRef}
          id="email"
          name="email"
          type="email"
          autocomplete={signup ? "email" : "username"}
          inputMode="email"
          spellcheck={false}
          required
          aria-invalid={invalid("email")}
          aria-describedby={describedBy("email")}
        />
        {fieldErrors.email && (
          <p id="email-error" class="field-error">
            {fieldErrors.email}
          </p>
        )}
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input
          ref={passwordRef}
          id="password"
          name="password"
          type="password"
          autocomplete={signup ? "new-password" : "current-password"}
          required
          aria-invalid={invalid("password")}
          aria-describedby={describedBy("password", signup ? "password-hint" : undefined)}
        />
        {signup && (
          <span id="password-hint" class="hint">
            Use a long passphrase you do not use anywhere else.
          </span>
        )}
        {fieldErrors.password && (
          <p id="password-error" class="field-error">
            {fieldErrors.password}
          </p>
        )}
      </div>
      {!signup && (
        <p class="small">
          <a href="/forgot-password">Forgot your password?</a>
        </p>
      )}
      <button class="button" type="submit" disabled={!ready || busy} aria-busy={busy}>
        {busy ? (signup ? "Creating your account…" : "Logging in…") : signup ? "Sign up" : "Log in"}
      </button>
    </form>
  );
}

/** The message to show, and which field it concerns, for a failed sign-up or log-in. */
function explain(err: unknown): { message: string; fields: Partial<Record<Field, string>> } {
  if (!(err instanceof ApiError)) return { message: messageOf(err), fields: {} };
  const fields: Partial<Record<Field, string>> = {};
  for (const e of err.errors) {
    const name = e.location.split(".").pop();
    if (name === "email" || name === "password") fields[name] = e.message;
  }
  if (err.status === 409) {
    fields.email = sentence(err.detail);
    return { message: `${fields.email} Log in instead, or use another email.`, fields };
  }
  if (err.status === 422 && Object.keys(fields).length === 0) {
    // The rule is named in the detail: "the password must be at least 10 characters long".
    const about: Field = /password/i.test(err.detail) ? "password" : "email";
    fields[about] = sentence(err.detail);
  }
  return { message: sentence(err.detail) + (err.status === 429 ? retryText(err) : ""), fields };
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

function retryText(err: ApiError): string {
  if (!err.retryAfter) return "";
  const minutes = Math.ceil(err.retryAfter / 60);
  return ` Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
}
