/** What the pages a mailed or shared link opens have in common. */

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ApiError } from "../lib/api";

/**
 * The page's heading, which says what state the page is in. Render it with `key` set to that
 * state: when `focus` is set it takes the focus as it appears, so a screen reader announces the
 * new state and the keyboard starts from it (the page changes without a navigation). Focus, not
 * a live region around the whole state, which would have it read twice.
 */
export function StateHeading({
  id,
  focus = true,
  children,
}: {
  id: string;
  focus?: boolean;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, []);
  return (
    <h1 id={id} ref={ref} tabIndex={-1} class="state-heading">
      {children}
    </h1>
  );
}

/** While the island reads the link (and the only thing the built page shows). */
export function Checking({ what }: { what: string }) {
  return (
    <p class="muted" aria-busy="true">
      {what}…
    </p>
  );
}

/** True for the API's answer to a mailed token that does not work (unknown, used, expired). */
export function isInvalidToken(error: unknown): boolean {
  return error instanceof ApiError && error.kind === "invalid-token";
}

/** What a 422 says about one field: its own message, else the problem's detail. */
export function fieldProblem(error: ApiError, field: string): string {
  const own = error.errors.find((e) => e.location.split(".").pop() === field);
  return sentence(own?.message ?? error.detail);
}

/** "the password must be…" → "The password must be….": the API's messages are fragments. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}
