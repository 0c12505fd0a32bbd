import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, messageOf } from "../lib/api";
import { day, minorDigits, money, month, number, percent, toMajor } from "../lib/format";
import { useLoad } from "../lib/hooks";

type Kind = "money" | "count" | "ratio" | "score";

interface Point {
  asOf: string;
  /** Money in minor units; ratios as fractions; null with a note. */
  value: number | null;
  note: string | null;
}

interface Trend {
  points: Point[];
  currency: string | null;
}

interface Choice {
  key: string;
  title: string;
  /** How the sentence and table name it ("MRR", "paying customers"). */
  noun: string;
  kind: Kind;
  empty: string;
}

/** The trends a lender reads first; the score's own history last. */
const CHOICES: Choice[] = [
  { key: "mrr", title: "Monthly recurring revenue", noun: "MRR", kind: "money", empty: "No MRR yet: it appears once the account has active subscriptions." },
  { key: "gross_volume_month", title: "Gross volume", noun: "gross volume", kind: "money", empty: "No charges yet." },
  { key: "paying_customers", title: "Paying customers", noun: "paying customers", kind: "count", empty: "No paying customers yet." },
  { key: "customer_churn_rate", title: "Customer churn", noun: "customer churn", kind: "ratio", empty: "No churn figure yet: it needs a month with paying customers at its start." },
  { key: "nrr_12m", title: "Net revenue retention", noun: "net revenue retention", kind: "ratio", empty: "No retention figure yet: it needs a year of subscriptions." },
  { key: "dispute_activity_ratio_month", title: "Dispute activity", noun: "dispute activity", kind: "ratio", empty: "No card charges yet." },
  { key: "score", title: "Readiness score", noun: "the score", kind: "score", empty: "No score history yet." },
];

async function trendOf(businessId: string, choice: Choice): Promise<Trend> {
  if (choice.kind === "score") {
    const history = await api.scoreHistory(businessId);
    return {
      currency: null,
      points: history.points.map((p) => ({ asOf: p.as_of, value: p.score, note: null })),
    };
  }
  const series = await api.metric(businessId, choice.key, "12m", "monthly");
  return {
    currency: series.currency,
    points: series.points.map((p) => ({
      asOf: p.as_of,
      value: typeof p.value === "number" ? p.value : null,
      note: p.note,
    })),
  };
}

/** A point's date as the table and the sentence name it: the month, or the day for the score. */
function when(p: Point, kind: Kind): string {
  return kind === "score" ? day(p.asOf) : month(p.asOf);
}

function formatted(value: number, kind: Kind, currency: string | null, compact = false): string {
  if (kind === "money") return money(value, currency, compact ? "compact" : "exact");
  if (kind === "ratio") return percent(value, 2);
  return number(value);
}

/** A key metric's last 12 months (or the score's history) as a uPlot line, with a summary
 * sentence and the numbers as a table: every chart has a text alternative. */
export default function TrendChart({ businessId }: { businessId: string }) {
  const [key, setKey] = useState("mrr");
  const choice = CHOICES.find((c) => c.key === key) ?? CHOICES[0]!;
  const { load, reload } = useLoad(() => trendOf(businessId, choice), [businessId, key]);
  const trend = load.state === "ready" ? load.data : null;
  const points = trend?.points ?? [];
  const known = points.filter((p) => p.value !== null);
  const currency = trend?.currency ?? null;

  return (
    <section class="card trend" aria-labelledby="trend-title" aria-busy={load.state === "loading"}>
      <div class="card-head">
        <h2 id="trend-title">{choice.title}</h2>
        <div class="switcher">
          <label for="trend-metric">Trend</label>
          <select
            id="trend-metric"
            value={key}
            onChange={(e) => setKey((e.currentTarget as HTMLSelectElement).value)}
          >
            {CHOICES.map((c) => (
              <option key={c.key} value={c.key}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
      </div>
      {load.state === "loading" && <span class="skeleton skeleton-chart" aria-hidden="true" />}
      {load.state === "error" && (
        <p>
          The trend could not load: {messageOf(load.error)}{" "}
          <button type="button" class="button quiet small" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      {trend && known.length === 0 && <p class="muted">{choice.empty}</p>}
      {trend && known.length > 0 && (
        <figure class="chart-figure">
          <Plot
            points={points}
            choice={choice}
            currency={currency}
            label={describe(known, choice, currency, true)}
          />
          <figcaption class="small">{describe(known, choice, currency, false)}</figcaption>
          <details class="chart-table">
            <summary>Show the numbers</summary>
            <table>
              <caption class="visually-hidden">{choice.title}, point by point</caption>
              <thead>
                <tr>
                  <th scope="col">{choice.kind === "score" ? "Day" : "Month"}</th>
                  <th scope="col">{choice.title}</th>
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr key={p.asOf}>
                    <th scope="row">{when(p, choice.kind)}</th>
                    <td>
                      {p.value === null
                        ? (p.note ?? "Unknown")
                        : formatted(p.value, choice.kind, currency)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </figure>
      )}
    </section>
  );
}

/** "MRR went from $13,448.16 in Dec 2025 to $21,508.83 in Nov 2026, up 59.9 %." */
function describe(known: Point[], choice: Choice, currency: string | null, forChart: boolean): string {
  const first = known[0]!;
  const last = known[known.length - 1]!;
  const show = (p: Point) =>
    `${formatted(p.value!, choice.kind, currency)} ${choice.kind === "score" ? "on" : "in"} ${when(p, choice.kind)}`;
  const prefix = forChart ? `Line chart of ${choice.noun}, ${known.length} points. ` : "";
  const noun = choice.noun.charAt(0).toUpperCase() + choice.noun.slice(1);
  if (known.length === 1) return `${prefix}${noun} was ${show(last)}.`;
  // A relative change reads well for amounts and counts; ratios move in points.
  const change =
    choice.kind !== "ratio" && first.value! > 0
      ? `, ${last.value! >= first.value! ? "up" : "down"} ${percent(Math.abs(last.value! / first.value! - 1))}`
      : "";
  return `${prefix}${noun} went from ${show(first)} to ${show(last)}${change}.`;
}

function Plot(props: { points: Point[]; choice: Choice; currency: string | null; label: string }) {
  const { points, choice, currency, label } = props;
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xs = points.map((p) => {
      const [y, m, d] = p.asOf.split("-").map(Number);
      return Date.UTC(y, m - 1, d) / 1000;
    });
    const inMajor = choice.kind === "money" && currency;
    const ys = points.map((p) => (p.value === null || !inMajor ? p.value : toMajor(p.value, currency)));
    const byX = new Map(xs.map((x, i) => [x, points[i]]));
    const monthOf = (x: number) => {
      const p = byX.get(x);
      return p ? month(p.asOf) : "";
    };
    // The plot holds major units for money (uPlot's scale would be cents otherwise).
    const shown = (v: number, compact: boolean) =>
      inMajor
        ? money(Math.round(v * 10 ** minorDigits(currency)), currency, compact ? "compact" : "exact")
        : formatted(v, choice.kind, currency, compact);

    let plot: uPlot | null = null;
    // uPlot is loaded when a chart is first drawn, not with the page: the score never waits for
    // the chart library (about half the dashboard's JavaScript).
    let Plotter: typeof uPlot | null = null;
    let gone = false;
    const build = () => {
      if (!Plotter) return;
      plot?.destroy();
      const css = getComputedStyle(el);
      const color = (name: string) => css.getPropertyValue(name).trim();
      const width = Math.max(240, el.clientWidth);
      const step = Math.max(1, Math.ceil((xs.length * 64) / width));
      const axis = {
        stroke: color("--muted"),
        grid: { stroke: color("--line"), width: 1 },
        ticks: { stroke: color("--line"), width: 1 },
        font: `12px ${color("--font") || "system-ui"}`,
      };
      const opts: uPlot.Options = {
        width,
        padding: [12, 28, 0, 0],
        height: Math.round(Math.min(300, Math.max(200, width * 0.45))),
        cursor: { drag: { x: false, y: false }, points: { size: 8 } },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max * 1.1 || 1] } },
        series: [
          // Without a hovered point the legend reads the latest month.
          { label: "Month", value: (_u, x) => monthOf(x ?? xs[xs.length - 1]) },
          {
            label: choice.title,
            stroke: color("--bar"),
            width: 2.5,
            fill: `${color("--bar")}22`,
            points: { show: true, size: 6 },
            spanGaps: false,
            value: (_u, v, _s, idx) => {
              const y = idx == null ? ys[ys.length - 1] : v;
              return y == null ? "—" : shown(y, false);
            },
          },
        ],
        axes: [
          {
            ...axis,
            splits: () => xs.filter((_, i) => (xs.length - 1 - i) % step === 0),
            values: (_u, splits) => splits.map((x) => monthOf(x)),
          },
          {
            ...axis,
            size: 64,
            values: (_u, splits) => splits.map((v) => shown(v, true)),
          },
        ],
      };
      plot = new Plotter(opts, [xs, ys] as uPlot.AlignedData, el);
    };

    import("uplot").then(
      (module) => {
        if (gone) return;
        Plotter = module.default;
        build();
      },
      () => undefined, // no chart, then: the sentence and the table below say the same
    );
    let width = el.clientWidth;
    const resize = new ResizeObserver(() => {
      if (el.clientWidth !== width) {
        width = el.clientWidth;
        build();
      }
    });
    resize.observe(el);
    const scheme = window.matchMedia("(prefers-color-scheme: dark)");
    scheme.addEventListener("change", build);
    return () => {
      gone = true;
      resize.disconnect();
      scheme.removeEventListener("change", build);
      plot?.destroy();
    };
  }, [choice.key, points.map((p) => `${p.asOf}:${p.value}`).join(","), currency]);

  return <div class="chart" ref={host} role="img" aria-label={label} />;
}
