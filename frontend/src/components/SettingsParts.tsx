/** The pieces every settings card shares: what to say about a failed call, the live regions that
 * say it, loading and failure states sized for a card, a confirmation dialog, and the button that
 * mails the verification link again. */

import type { ComponentChildren, RefObject } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError, api, messageOf, type User } from "../lib/api";
import { STRIPE_REFUSALS } from "../lib/stripeRefusals";

// --- messages -----------------------------------------------------------------------------------

/** The API's details are lower-case phrases ("the current password is wrong"): shown as sentences. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

/** What a founder can do about the refusals these pages meet; anything else is the API's detail. */
const EXPLAINED: Record<string, string> = {
  ...STRIPE_REFUSALS,
  "email-not-verified":
    "Verify your email address first: open the link we mailed you when you signed up, or send a new one.",
  "last-owner":
    "A business needs at least one owner. Make another member an owner first, or delete the business instead.",
  "owner-only": "Only owners of this business can do that.",
  "read-only-token": "This session can only read. Sign in again to make changes.",
};

/** A sentence a person can act on, for any error a settings call may throw. */
export function explain(error: unknown): string {
  if (error instanceof ApiError && EXPLAINED[error.kind]) return EXPLAINED[error.kind];
  return sentence(messageOf(error));
}

/** The 422 messages by field name (`body.new_password` → `new_password`), first one per field. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!(error instanceof ApiError)) return fields;
  for (const e of error.errors) {
    const name = e.location.split(".").pop();
    if (name && !fields[name]) fields[name] = sentence(e.message);
  }
  return fields;
}

export function isKind(error: unknown, kind: string): boolean {
  return error instanceof ApiError && error.kind === kind;
}

// --- live regions -------------------------------------------------------------------------------

export interface Feedback {
  status: string;
  error: string;
  /** Says something went well (announced politely); clears the error. */
  ok: (message: string) => void;
  /** Says what went wrong (announced at once); clears the status. */
  fail: (error: unknown) => void;
  clear: () => void;
}

export function useFeedback(): Feedback {
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  return {
    status,
    error,
    ok: (message) => {
      setError("");
      setStatus(message);
    },
    fail: (err) => {
      setStatus("");
      setError(explain(err));
    },
    clear: () => {
      setStatus("");
      setError("");
    },
  };
}

/** Both regions are always in the page, so screen readers announce what is put in them. */
export function FeedbackRegions({ feedback }: { feedback: Feedback }) {
  return (
    <>
      <div role="status">{feedback.status && <p class="notice">{feedback.status}</p>}</div>
      <div role="alert">{feedback.error && <p class="alert">{feedback.error}</p>}</div>
    </>
  );
}

// --- loading and failure inside a card ----------------------------------------------------------

export function CardLoading({ what }: { what: string }) {
  return (
    <div aria-busy="true" aria-live="polite" class="card-loading">
      <p class="muted">Loading {what}…</p>
      <span class="skeleton skeleton-line" />
      <span class="skeleton skeleton-line" />
    </div>
  );
}

export function CardError({ what, error, retry }: { what: string; error: unknown; retry: () => void }) {
  return (
    <div role="alert" class="alert">
      <p>
        {what} could not load. {explain(error)}
      </p>
      <button type="button" class="button secondary small" onClick={retry}>
        Try again
      </button>
    </div>
  );
}

/** Why a control is missing for a viewer. */
export function OwnersOnly({ children }: { children: ComponentChildren }) {
  return <p class="muted small owners-only">{children}</p>;
}

// --- the confirmation dialog --------------------------------------------------------------------

interface ConfirmProps {
  title: string;
  /** The confirm button's words, e.g. "Revoke token"; said as it is, so it says what happens. */
  confirm: string;
  busyLabel: string;
  /** A destructive action: the confirm button is red. */
  danger?: boolean;
  /** False until the dialog's own fields allow confirming (a typed name, a password). */
  ready?: boolean;
  /** Runs on confirm; a thrown error is shown in the dialog, which stays open. */
  onConfirm: () => Promise<void>;
  /** The dialog is closed (cancelled, or confirmed): the caller stops rendering it. */
  onClose: () => void;
  /** Where focus goes when the control that opened the dialog is gone (a revoked row). */
  fallbackFocus?: RefObject<HTMLElement>;
  children: ComponentChildren;
}

/**
 * A real modal `<dialog>`: focus is kept inside it, Escape cancels, and focus returns to the
 * button that opened it (or to `fallbackFocus` if that button went away with what it removed).
 */
export function ConfirmDialog({
  title,
  confirm,
  busyLabel,
  danger = false,
  ready = true,
  onConfirm,
  onClose,
  fallbackFocus,
  children,
}: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const titleId = useId();

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal();
    return () => {
      if (dialog.current?.open) dialog.current.close();
      // After this render: the opener may be removed in the same update as the dialog.
      window.setTimeout(() => {
        const target = opener?.isConnected ? opener : fallbackFocus?.current;
        target?.focus();
      }, 0);
    };
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy || !ready) return;
    setBusy(true);
    setError("");
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialog}
      class="confirm-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => busy && e.preventDefault()}
      onClose={onClose}
    >
      <form onSubmit={submit}>
        <h2 id={titleId} class="dialog-title">
          {title}
        </h2>
        {children}
        <div role="alert">{error && <p class="alert">{error}</p>}</div>
        <div class="dialog-actions">
          <button type="button" class="button quiet" onClick={() => dialog.current?.close()} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class={danger ? "button danger" : "button"}
            disabled={busy || !ready}
            aria-busy={busy}
          >
            {busy ? busyLabel : confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}

// --- the verification email ---------------------------------------------------------------------

/** Mails a new verification link; 409 means the address was verified meanwhile (elsewhere). */
export function ResendVerification({
  me,
  onVerified = () => undefined,
}: {
  /** Who is signed in, to name the address; without it, "your address". */
  me?: User;
  onVerified?: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const feedback = useFeedback();

  async function resend() {
    setBusy(true);
    feedback.clear();
    try {
      await api.resendVerification();
      feedback.ok(`A new link is on its way to ${me?.email ?? "your address"}. It works for 24 hours.`);
    } catch (err) {
      if (isKind(err, "already-verified")) {
        feedback.ok("Your email address is already verified.");
        onVerified();
      } else {
        feedback.fail(err);
      }
    }
    setBusy(false);
  }

  return (
    <div class="resend">
      <button type="button" class="button secondary small" onClick={resend} disabled={busy} aria-busy={busy}>
        {busy ? "Sending…" : "Resend verification email"}
      </button>
      <FeedbackRegions feedback={feedback} />
    </div>
  );
}
