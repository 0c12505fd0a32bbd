/**
 * The token a mailed or shared link carries in its fragment (`/reset-password#token=vlt_pr_…`).
 *
 * A browser never sends the fragment to a server, so the token stays out of access logs and
 * `Referer` headers. The page takes it out of the address bar at once, so it is not left in the
 * history, a bookmark or a screenshot, and keeps it in memory only: never in storage, never logged.
 */

import { useEffect, useState } from "preact/hooks";

/** The fragment's token (null without one), removed from the address bar. */
export function takeLinkToken(): string | null {
  const { hash, pathname, search } = window.location;
  if (!hash) return null;
  window.history.replaceState(window.history.state, "", pathname + search);
  const token = new URLSearchParams(hash.slice(1)).get("token")?.trim();
  return token || null;
}

/**
 * The page's link token: `undefined` until the island runs (the page is built without one),
 * then the token or null. Read once, after hydration, so the built HTML and the first client
 * render agree.
 */
export function useLinkToken(): string | null | undefined {
  const [token, setToken] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setToken(takeLinkToken());
    // Another link opened over this page changes the fragment only, with no new page load: start
    // again from it. (Taking the token out with replaceState fires no hashchange.)
    const onHashChange = () => {
      if (new URLSearchParams(window.location.hash.slice(1)).has("token")) window.location.reload();
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);
  return token;
}
