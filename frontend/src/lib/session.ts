/**
 * What every signed-in page (the dashboard, the settings) does the same way: start from the
 * refresh cookie or go to /login, leave for /login when the session is lost, list the caller's
 * businesses, and keep the chosen business in the address so a reload shows it again.
 */

import { useEffect, useState } from "preact/hooks";
import { api, messageOf, onSessionLost, renew, type Business } from "./api";

export type Phase<T> =
  | { kind: "starting" }
  | { kind: "error"; message: string }
  | { kind: "ready"; data: T };

/**
 * Runs `load` once a session exists (none: to /login). `restart` runs it again after a failure;
 * `update` replaces what it loaded.
 */
export function useSignedIn<T>(load: () => Promise<T>) {
  const [phase, setPhase] = useState<Phase<T>>({ kind: "starting" });

  async function start() {
    setPhase({ kind: "starting" });
    try {
      if (!(await renew())) {
        window.location.replace("/login");
        return;
      }
      setPhase({ kind: "ready", data: await load() });
    } catch (error) {
      setPhase({ kind: "error", message: messageOf(error) });
    }
  }

  useEffect(() => {
    const off = onSessionLost(() => window.location.replace("/login"));
    start();
    return () => {
      off();
    };
  }, []);

  return { phase, restart: start, update: (data: T) => setPhase({ kind: "ready", data }) };
}

/** Every business the caller is a member of, page after page (at most 1,000). */
export async function allBusinesses(): Promise<Business[]> {
  const items: Business[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.businesses(cursor);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}

/** The business the address asks for (`?business=`), else the first. */
export function chosenBusiness(list: Business[], wanted?: string | null): string | null {
  wanted ??= new URLSearchParams(window.location.search).get("business");
  return list.find((b) => b.id === wanted)?.id ?? list[0]?.id ?? null;
}

/** Keeps `?business=` on the chosen business (and drops the one-off `drop` parameters). */
export function useBusinessInAddress(selected: string | null, active: boolean, drop: string[] = []) {
  useEffect(() => {
    if (!active) return;
    const url = new URL(window.location.href);
    for (const name of drop) url.searchParams.delete(name);
    if (selected) url.searchParams.set("business", selected);
    else url.searchParams.delete("business");
    window.history.replaceState(null, "", url);
  }, [selected, active]);
}
