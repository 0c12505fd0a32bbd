import { useState } from "preact/hooks";
import { type Business } from "../lib/api";
import { STRIPE_REFUSALS } from "../lib/stripeRefusals";
import { allBusinesses, chosenBusiness, useBusinessInAddress, useSignedIn } from "../lib/session";
import Board from "./Board";
import Onboarding from "./Onboarding";
import SignOut from "./SignOut";
import { LoadError, Loading } from "./States";

/** The dashboard at /app: session, businesses, the switcher, and what the chosen business shows. */
export default function Dashboard() {
  const [businesses, setBusinesses] = useState<Business[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState("");
  const { phase, restart } = useSignedIn(async () => {
    const list = await allBusinesses();
    const params = new URLSearchParams(window.location.search);
    const connectError = params.get("connect_error");
    if (params.get("connected")) setNotice("Stripe is connected. Your history is being imported.");
    if (connectError) {
      setNotice(STRIPE_REFUSALS[connectError] ?? `Stripe could not be connected (${connectError}).`);
    }
    setBusinesses(list);
    setSelected(chosenBusiness(list, params.get("connected") ?? params.get("business")));
    return null;
  });
  useBusinessInAddress(selected, phase.kind === "ready", ["connected", "connect_error"]);

  function added(business: Business) {
    setBusinesses((list) => [...list.filter((b) => b.id !== business.id), business]);
    setSelected(business.id);
    setAdding(false);
  }

  const current = businesses.find((b) => b.id === selected) ?? null;
  const showOnboarding = phase.kind === "ready" && (adding || !current);

  return (
    <div class="app wrap">
      <div class="app-bar">
        <div class="app-title">
          <h1 id="app-title">{showOnboarding ? "Get started" : (current?.name ?? "Dashboard")}</h1>
          {current && !showOnboarding && <BusinessBadges business={current} />}
        </div>
        <div class="app-actions">
          {phase.kind === "ready" && businesses.length > 1 && !adding && (
            <div class="switcher">
              <label for="business-switcher">Business</label>
              <select
                id="business-switcher"
                value={selected ?? ""}
                onChange={(e) => setSelected((e.currentTarget as HTMLSelectElement).value)}
              >
                {businesses.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          {phase.kind === "ready" && businesses.length > 0 && (
            <button
              type="button"
              class="button quiet small"
              onClick={() => setAdding(!adding)}
              aria-pressed={adding}
            >
              {adding ? "Back to dashboard" : "Add business"}
            </button>
          )}
          {phase.kind === "ready" && current && (
            <a class="button quiet small" href={`/settings?business=${encodeURIComponent(current.id)}`}>
              Settings
            </a>
          )}
          <SignOut />
        </div>
      </div>
      {notice && (
        <div class="notice notice-dismissable">
          <p>{notice}</p>
          <button type="button" class="button quiet small" onClick={() => setNotice("")}>
            Dismiss
          </button>
        </div>
      )}

      {phase.kind === "starting" && <Loading what="your dashboard" />}
      {phase.kind === "error" && (
        <LoadError title="The dashboard could not load" message={phase.message} retry={restart} />
      )}
      {showOnboarding && (
        <Onboarding business={null} first={businesses.length === 0} onBusiness={added} onImport={added} />
      )}
      {phase.kind === "ready" && current && !adding && <Board key={current.id} business={current} />}
    </div>
  );
}

function BusinessBadges({ business }: { business: Business }) {
  const demo = business.stripe?.account_id.startsWith("acct_demo_");
  return (
    <p class="badges">
      {demo && <span class="badge">Demo data</span>}
      {business.stripe && !demo && !business.stripe.livemode && <span class="badge">Test mode</span>}
      {business.role === "viewer" && <span class="badge">Viewer</span>}
    </p>
  );
}
