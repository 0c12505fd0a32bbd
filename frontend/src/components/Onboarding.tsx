import { useState } from "preact/hooks";
import { api, messageOf, type Business, type Scenario } from "../lib/api";
import { FeedbackRegions, isKind, ResendVerification, useFeedback } from "./SettingsParts";
import { Connect } from "./SettingsStripe";

const SCENARIOS: { value: Scenario; label: string; text: string }[] = [
  { value: "steady_saas", label: "Steady SaaS", text: "two years of a growing B2B SaaS" },
  { value: "seasonal_ecommerce", label: "Seasonal e-commerce", text: "two years of a web shop with a holiday peak" },
  { value: "risky_merchant", label: "Risky merchant", text: "a year of a merchant with a dispute problem" },
  { value: "early_stage", label: "Early stage", text: "three months of a new SaaS" },
];

interface Props {
  /** The business to fill, or null to create one first. */
  business: Business | null;
  /** No business at all yet: the welcome wording. */
  first: boolean;
  onBusiness: (business: Business) => void;
  /** Data is on its way: demo data (for this business, created here when there was none) or
   * Stripe's history through a restricted key. */
  onImport: (business: Business) => void;
}

/** Start: demo data in one click, or a business of one's own to connect to Stripe. */
export default function Onboarding({ business, first, onBusiness, onImport }: Props) {
  const [scenario, setScenario] = useState<Scenario>("steady_saas");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState<"demo" | "create" | null>(null);
  const connecting = useFeedback();
  const [unverified, setUnverified] = useState(false);
  const [error, setError] = useState("");
  // A business created here for demo data whose loading failed: a retry reuses it.
  const [created, setCreated] = useState<Business | null>(null);
  const owner = !business || business.role === "owner";
  const chosen = SCENARIOS.find((s) => s.value === scenario)!;

  async function useDemo() {
    setBusy("demo");
    setError("");
    try {
      const target = business ?? created ?? (await api.createBusiness(`Demo: ${chosen.label}`));
      setCreated(target);
      await api.loadDemoData(target.id, scenario);
      onImport(target);
    } catch (err) {
      setError(messageOf(err));
      setBusy(null);
    }
  }

  async function create(event: Event) {
    event.preventDefault();
    setBusy("create");
    setError("");
    try {
      onBusiness(await api.createBusiness(name.trim()));
    } catch (err) {
      setError(messageOf(err));
      setBusy(null);
    }
  }

  if (!owner) {
    return (
      <section class="card" aria-labelledby="onboard-title">
        <h2 id="onboard-title">No data yet</h2>
        <p>An owner of {business?.name} has not connected Stripe yet. The dashboard appears here once they do.</p>
      </section>
    );
  }

  return (
    <div class="onboarding">
      <p class="lede">
        {first
          ? "Welcome to Vaultra. See a full dashboard in seconds with demo data, or add your own business."
          : business
            ? `${business.name} has no data yet. Connect Stripe with read-only access, or fill it with demo data.`
            : "Add another business, or try another demo scenario."}
      </p>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      <div class="onboarding-grid">
        <section class="card" aria-labelledby="demo-title">
          <h2 id="demo-title">Try it with demo data</h2>
          <p class="muted">
            A synthetic Stripe history in test mode. Nothing touches a real account, and the first
            score is ready in about a minute.
          </p>
          <div class="field">
            <label for="scenario">Scenario</label>
            <select
              id="scenario"
              value={scenario}
              aria-describedby="scenario-hint"
              onChange={(e) => setScenario((e.currentTarget as HTMLSelectElement).value as Scenario)}
            >
              {SCENARIOS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
            <span id="scenario-hint" class="hint">
              {chosen.label}: {chosen.text}.
            </span>
          </div>
          <button type="button" class="button" onClick={useDemo} disabled={busy !== null} aria-busy={busy === "demo"}>
            {busy === "demo" ? "Starting…" : "Use demo data"}
          </button>
        </section>

        {business ? (
          <section class="card" aria-labelledby="connect-title">
            <h2 id="connect-title">Connect Stripe</h2>
            <p class="muted">
              Vaultra asks Stripe for read-only access: it can read your history, never move money
              or change anything. You need a verified email address to connect.
            </p>
            <FeedbackRegions feedback={connecting} />
            {unverified && <ResendVerification />}
            <Connect
              business={business}
              feedback={connecting}
              level={3}
              onFailed={(err) => {
                setUnverified(isKind(err, "email-not-verified"));
                connecting.fail(err);
              }}
              onConnected={() => onImport(business)}
            />
          </section>
        ) : (
          <section class="card" aria-labelledby="create-title">
            <h2 id="create-title">Add your business</h2>
            <p class="muted">Create your business first; you connect Stripe with read-only access next.</p>
            <form onSubmit={create}>
              <div class="field">
                <label for="business-name">Business name</label>
                <input
                  id="business-name"
                  type="text"
                  autocomplete="organization"
                  required
                  maxLength={200}
                  value={name}
                  onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
                />
              </div>
              <button type="submit" class="button secondary" disabled={busy !== null} aria-busy={busy === "create"}>
                {busy === "create" ? "Creating…" : "Create business"}
              </button>
            </form>
          </section>
        )}
      </div>
    </div>
  );
}
