import { useRef, useState } from "preact/hooks";
import { api, type Business, type User } from "../lib/api";
import { allBusinesses, chosenBusiness, useBusinessInAddress, useSignedIn } from "../lib/session";
import SettingsAccount from "./SettingsAccount";
import SettingsBusiness from "./SettingsBusiness";
import SignOut from "./SignOut";
import { LoadError, Loading } from "./States";

/** The settings at /settings?business=<id>: the account, then the chosen business. */
export default function Settings() {
  const [businesses, setBusinesses] = useState<Business[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [left, setLeft] = useState("");
  const businessHeading = useRef<HTMLHeadingElement>(null);
  const { phase, restart, update } = useSignedIn<User>(async () => {
    const [me, list] = await Promise.all([api.me(), allBusinesses()]);
    setBusinesses(list);
    setSelected(chosenBusiness(list));
    return me;
  });
  // A reload (or a shared address) shows the same business again.
  useBusinessInAddress(selected, phase.kind === "ready");

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
    if (phase.kind === "ready") update({ ...phase.data, email_verified: true });
  }

  const current = businesses.find((b) => b.id === selected) ?? null;

  return (
    <div class="settings wrap">
      <SettingsBar businessId={current?.id ?? null} />
      {phase.kind === "starting" && <Loading what="your settings" />}
      {phase.kind === "error" && (
        <LoadError title="Your settings could not load" message={phase.message} retry={restart} />
      )}
      {phase.kind === "ready" && (
        <>
          <SettingsAccount me={phase.data} onVerified={verified} />
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
                me={phase.data}
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
  return (
    <div class="app-bar">
      <div class="app-title">
        <h1>Settings</h1>
      </div>
      <div class="app-actions">
        <a
          class="button quiet small"
          href={businessId ? `/app?business=${encodeURIComponent(businessId)}` : "/app"}
        >
          Back to dashboard
        </a>
        <SignOut />
      </div>
    </div>
  );
}
