import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  api,
  messageOf,
  type Business,
  type Change,
  type FitStatus,
  type Summary,
  type Threshold,
  type WhatIf as WhatIfResult,
} from "../lib/api";
import { money, number, percent } from "../lib/format";

/**
 * "What if…": a slider for each metric the score reads, simulated by POST /what-if as the founder
 * moves them. Nothing is saved; the answer is the score, components and lender fit the changed
 * metrics would give.
 */

const FIT: Record<FitStatus, string> = {
  eligible: "Eligible",
  not_yet: "Not yet",
  not_a_fit: "Not a fit",
};
const DEBOUNCE_MS = 250;
// A band limit this large means "no upper limit" (the last band of a "lower is better" criterion).
const UNBOUNDED = 1000;

interface Slider {
  metric: string;
  label: string;
  unit: NonNullable<Threshold["unit"]>;
  /** Money moves by percent; every other kind is set to the slider's value. */
  mode: "percent" | "set";
  start: number;
  min: number;
  max: number;
  step: number;
  currency: string | null;
}

/** The sliders a summary supports: one per scored metric with a value, first criterion wins. */
export function slidersOf(summary: Summary): Slider[] {
  const seen = new Set<string>();
  const sliders: Slider[] = [];
  for (const component of summary.components) {
    for (const t of component.thresholds) {
      if (t.status !== "scored" || !t.metric || t.value === null || !t.unit || seen.has(t.metric)) {
        continue;
      }
      seen.add(t.metric);
      sliders.push(sliderFor(t, summary.currency));
    }
  }
  return sliders;
}

function sliderFor(t: Threshold, currency: string | null): Slider {
  const value = t.value as number;
  const base = { metric: t.metric as string, label: capitalize(t.label), unit: t.unit!, currency };
  if (t.unit === "money") {
    // The value is the business's own amount, in its currency; the bands' `currency` is the
    // thresholds' (US dollars), which a founder's amount is not written in.
    return { ...base, mode: "percent", start: 0, min: -50, max: 100, step: 5 };
  }
  const limits = t.bands.map((b) => b.limit).filter((l) => Math.abs(l) < UNBOUNDED);
  if (t.unit === "ratio") {
    // From zero (the API refuses a negative ratio) to a quarter above the highest band or value.
    const max = Math.max(value, ...limits) * 1.25 || 0.01;
    const step = Number((max / 200).toPrecision(2));
    return { ...base, mode: "set", start: value, min: 0, max: round6(max), step };
  }
  // Counts, months and hours: whole numbers from zero.
  const max = Math.ceil(Math.max(value * 2, ...limits.map((l) => l * 1.25), 12));
  return { ...base, mode: "set", start: Math.round(value), min: 0, max, step: 1 };
}

function shown(slider: Slider, position: number, original: number | null): string {
  if (slider.mode === "percent") {
    const sign = position > 0 ? "+" : "";
    const amount =
      original !== null
        ? ` (${money(Math.round(original * (1 + position / 100)), slider.currency, "whole")})`
        : "";
    return `${sign}${position} %${amount}`;
  }
  if (slider.unit === "ratio") return percent(position, 2);
  if (slider.unit === "months") return `${number(position)} months`;
  if (slider.unit === "hours") return `${number(position)} hours`;
  return number(position);
}

function changeOf(slider: Slider, position: number): Change {
  return slider.mode === "percent"
    ? { metric: slider.metric, change_by_percent: position }
    : { metric: slider.metric, set: slider.unit === "ratio" ? round6(position).toFixed(6) : position };
}

export default function WhatIf({ business, summary }: { business: Business; summary: Summary }) {
  const sliders = useMemo(() => slidersOf(summary), [summary]);
  const originals = useMemo(() => {
    const values: Record<string, number | null> = {};
    for (const c of summary.components) {
      for (const t of c.thresholds) if (t.metric) values[t.metric] ??= t.value;
    }
    return values;
  }, [summary]);
  const [positions, setPositions] = useState<Record<string, number>>(() => startOf(sliders));
  const [result, setResult] = useState<WhatIfResult | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const inFlight = useRef<AbortController | null>(null);

  const changes = sliders
    .filter((s) => positions[s.metric] !== s.start)
    .map((s) => changeOf(s, positions[s.metric]!));
  const key = JSON.stringify(changes);

  useEffect(() => {
    inFlight.current?.abort();
    setError("");
    if (changes.length === 0) {
      setResult(null);
      setBusy(false);
      return;
    }
    const controller = new AbortController();
    inFlight.current = controller;
    setBusy(true);
    const timer = window.setTimeout(async () => {
      try {
        const answer = await api.whatIf(business.id, changes, controller.signal);
        if (!controller.signal.aborted) setResult(answer);
      } catch (err) {
        if (!controller.signal.aborted) setError(messageOf(err));
      } finally {
        if (!controller.signal.aborted) setBusy(false);
      }
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [key, business.id]);

  const scoreBefore = summary.score ?? 0;
  const after = result?.score_after ?? scoreBefore;
  const delta = after - scoreBefore;

  return (
    <section class="card what-if" aria-labelledby="what-if-title">
      <h2 id="what-if-title">What if…</h2>
      <p class="muted small">
        Move a metric to see the score and lender fit it would give. Nothing is saved.
      </p>
      {sliders.length === 0 ? (
        <p class="muted">There are no metrics with values to simulate yet.</p>
      ) : (
        <div class="what-if-grid">
          <form class="sliders" onSubmit={(e) => e.preventDefault()}>
            {sliders.map((s) => {
              const id = `what-if-${s.metric}`;
              const position = positions[s.metric]!;
              const text = shown(s, position, originals[s.metric] ?? null);
              return (
                <div class="slider" key={s.metric}>
                  <label for={id}>
                    {s.label}
                    {s.mode === "percent" && <span class="muted"> (change)</span>}
                  </label>
                  <output for={id} class={position !== s.start ? "moved" : undefined}>
                    {text}
                  </output>
                  <input
                    id={id}
                    type="range"
                    min={s.min}
                    max={s.max}
                    step={s.step}
                    value={position}
                    aria-valuetext={text}
                    onInput={(e) =>
                      setPositions({
                        ...positions,
                        [s.metric]: Number((e.currentTarget as HTMLInputElement).value),
                      })
                    }
                  />
                </div>
              );
            })}
            <button
              type="button"
              class="button quiet small"
              disabled={changes.length === 0}
              onClick={() => setPositions(startOf(sliders))}
            >
              Reset
            </button>
          </form>
          <div class="what-if-result" aria-live="polite" aria-busy={busy}>
            <p class="what-if-score">
              <span class="muted">Score </span>
              <span>{scoreBefore}</span>
              <span aria-hidden="true"> → </span>
              <span class="visually-hidden"> would become </span>
              <strong data-testid="what-if-score">{after}</strong>
              {result && delta !== 0 && (
                <span class={delta > 0 ? "gain" : "loss"}>
                  {" "}
                  ({delta > 0 ? "+" : ""}
                  {delta})
                </span>
              )}
            </p>
            <div role="alert">{error && <p class="alert">{error}</p>}</div>
            {!result && !error && (
              <p class="muted small">Move a slider to simulate a change.</p>
            )}
            {result && <Moves result={result} />}
          </div>
        </div>
      )}
    </section>
  );
}

function Moves({ result }: { result: WhatIfResult }) {
  const components = result.components.filter((c) => c.points_after !== c.points_before);
  const lenders = result.lender_fit.filter((l) => l.status_after !== l.status_before);
  return (
    <>
      {result.confidence_after !== result.confidence_before && (
        <p class="small">
          Confidence: {result.confidence_before} → {result.confidence_after}
        </p>
      )}
      {components.length > 0 ? (
        <ul class="what-if-moves">
          {components.map((c) => (
            <li key={c.key}>
              <span>{c.title}</span>{" "}
              <span class="muted">
                {c.points_before} → {c.points_after}
              </span>
              <p class="small muted">{c.explanation}</p>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted small">No component's points change.</p>
      )}
      {lenders.length > 0 && (
        <>
          <h3 class="small">Lender fit that changes</h3>
          <ul class="what-if-moves">
            {lenders.map((l) => (
              <li key={l.key}>
                {l.lender} {l.product}:{" "}
                <span class={`pill pill-${l.status_before}`}>{FIT[l.status_before]}</span>
                <span aria-hidden="true"> → </span>
                <span class="visually-hidden"> becomes </span>
                <span class={`pill pill-${l.status_after}`}>{FIT[l.status_after]}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function startOf(sliders: Slider[]): Record<string, number> {
  return Object.fromEntries(sliders.map((s) => [s.metric, s.start]));
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
