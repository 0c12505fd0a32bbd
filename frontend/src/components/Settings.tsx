import { useEffect, useRef, useState } from "preact/hooks";
import { api, auth, messageOf, onSessionLost, renew, type Business, type User } from "../lib/api";
import SettingsAccount from "./SettingsAccount";
import SettingsBusiness from "./SettingsBusiness";
import { LoadError, Loading } from "./States";

type Phase =
  | { kind: "starting" }
  | { kind: "error"; message: string }
  | { kind: "ready"; me: User };

/** The settings at /settings?business=<id>: the account, then the chosen business. */
export default function Settings() {
  const [phase, setPhase] = useState<Phase>({ kind: "starting" });
  const [businesses, setBusinesses] = useState<Business[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [left, setLeft] = useState("");
  const businessHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const off = onSessionLost(() => window.location.replace("/login"));
    start();
    return () => {
      off();
    };
  }, []);

  async function start() {
    setPhase({ kind: "starting" });
    try {
      if (!(await renew())) {
        window.location.replace("/login");
        return;
      }
      const [me, list] = await Promise.all([api.me(), allBusinesses()]);
      const wanted = new URLSearchParams(window.location.search).get("business");
      setBusinesses(list);
      setSelected(list.find((b) => b.id === wanted)?.id ?? list[0]?.id ?? null);
      setPhase({ kind: "ready", me });
    } catch (error) {
      setPhase({ kind: "error", message: messageOf(error) });
    }
  }

  // Keep the chosen business in the address, so a reload (or a shared link) shows it again.
  useEffect(() => {
    if (phase.kind !== "ready") return;
    const url = new URL(window.location.href);
    if (selected) url.searchParams.set("business", selected);
    else url.searchParams.delete("business");
    window.history.replaceState(null, "", url);
  }, [selected, phase.kind]);

  function changed(business: Business) {
    setBusinesses((list) => list.map((b) => (b.id === business.id ? business : b)));
  }

  function leftBusiness(business: Business) {
    const rest = businesses.filter((b) => b.id !== business.id);
    setBusinesses(rest);
    setSelected(rest[0]?.id ?? null);
    setLeft(`You left ${business.name}.`);
    // Its cards are gone with it, and the focus with them: back to where the next one starts.
    window.setTimeout(() => businessHeading.current?.focus(), 0);
  }

  function verified() {
    if (phase.kind === "ready") setPhase({ kind: "ready", me: { ...phase.me, email_verified: true } });
  }

  const current = businesses.find((b) => b.id === selected) ?? null;

  return (
    <div class="settings wrap">
      <SettingsBar businessId={current?.id ?? null} />
      {phase.kind === "starting" && <Loading what="your settings" />}
      {phase.kind === "error" && (
        <LoadError title="Your settings could not load" message={phase.message} retry={start} />
      )}
      {phase.kind === "ready" && (
        <>
          <SettingsAccount me={phase.me} onVerified={verified} />
          <section class="settings-group" aria-labelledby="business-group-title">
            <div class="settings-group-top">
              <div class="settings-group-head">
              <h2 id="business-group-title" ref={businessHeading} tabIndex={-1}>
                Business
              </h2>
              {businesses.length > 1 && (
                <div class="switcher">
                  <label for="settings-business">Business to manage</label>
                  <select
                    id="settings-business"
                    value={selected ?? ""}
                    onChange={(e) => {
                      setLeft("");
                      setSelected((e.currentTarget as HTMLSelectElement).value);
                    }}
                  >
                    {businesses.map((b) => (
                      <option key={b.id} value={b.id}>
                        {b.name}
                      </option>
                    ))}
                  </select>
                </div>
              )}
              </div>
              <div role="status">{left && <p class="notice">{left}</p>}</div>
            </div>
            {current ? (
              <SettingsBusiness
                key={current.id}
                business={current}
                me={phase.me}
                onChanged={changed}
                onLeft={leftBusiness}
                onVerified={verified}
              />
            ) : (
              <div class="card settings-card">
                <h3>No business yet</h3>
                <p>
                  You are not a member of any business. <a href="/app">Add one on the dashboard</a>, or
                  accept an invitation from its owner.
                </p>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** The title, the way back to the dashboard (to the same business) and signing out. */
function SettingsBar({ businessId }: { businessId: string | null }) {
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState("");

  async function signOut() {
    setSigningOut(true);
    setError("");
    try {
      await auth.logout();
      window.location.assign("/");
    } catch (err) {
      setError(messageOf(err));
      setSigningOut(false);
    }
  }

  return (
    <>
      <div class="app-bar">
        <div class="app-title">
          <h1>Settings</h1>
        </div>
        <div class="app-actions">
          <a class="button quiet small" href={businessId ? `/app?business=${encodeURIComponent(businessId)}` : "/app"}>
            Back to dashboard
          </a>
          <button
            type="button"
            class="button secondary small"
            onClick={signOut}
            disabled={signingOut}
            aria-busy={signingOut}
          >
            {signingOut ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </div>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
    </>
  );
}

async function allBusinesses(): Promise<Business[]> {
  const items: Business[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.businesses(cursor);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}
