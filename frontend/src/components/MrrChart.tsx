import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, messageOf, type MetricSeries } from "../lib/api";
import { minorDigits, money, month, percent, toMajor } from "../lib/format";
import { useLoad } from "../lib/hooks";

interface Point {
  asOf: string;
  /** Minor units, or null with a note. */
  value: number | null;
  note: string | null;
}

/** MRR over the last 12 months: a uPlot line with a summary sentence and the numbers as a table. */
export default function MrrChart({ businessId }: { businessId: string }) {
  const { load, reload } = useLoad(() => api.metric(businessId, "mrr", "12m", "monthly"), [businessId]);
  const series = load.state === "ready" ? load.data : null;
  const points: Point[] = (series?.points ?? []).map((p) => ({
    asOf: p.as_of,
    value: typeof p.value === "number" ? p.value : null,
    note: p.note,
  }));
  const known = points.filter((p) => p.value !== null);
  const currency = series?.currency ?? null;

  return (
    <section class="card trend" aria-labelledby="mrr-title" aria-busy={load.state === "loading"}>
      <h2 id="mrr-title">Monthly recurring revenue</h2>
      {load.state === "loading" && <span class="skeleton skeleton-chart" aria-hidden="true" />}
      {load.state === "error" && (
        <p>
          The MRR trend could not load: {messageOf(load.error)}{" "}
          <button type="button" class="button quiet small" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      {series && known.length === 0 && (
        <p class="muted">No MRR yet: it appears once the account has active subscriptions.</p>
      )}
      {series && known.length > 0 && (
        <figure class="chart-figure">
          <Plot series={series} points={points} currency={currency} label={describe(known, currency, true)} />
          <figcaption class="small">{describe(known, currency, false)}</figcaption>
          <details class="chart-table">
            <summary>Show the numbers</summary>
            <table>
              <caption class="visually-hidden">MRR at the end of each month</caption>
              <thead>
                <tr>
                  <th scope="col">Month</th>
                  <th scope="col">MRR</th>
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr key={p.asOf}>
                    <th scope="row">{month(p.asOf)}</th>
                    <td>{p.value === null ? (p.note ?? "Unknown") : money(p.value, currency)}</td>
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
function describe(known: Point[], currency: string | null, forChart: boolean): string {
  const first = known[0];
  const last = known[known.length - 1];
  const from = `${money(first.value!, currency)} in ${month(first.asOf)}`;
  const to = `${money(last.value!, currency)} in ${month(last.asOf)}`;
  const prefix = forChart ? `Line chart of MRR, ${known.length} months. ` : "";
  if (known.length === 1) return `${prefix}MRR was ${to}.`;
  const change =
    first.value! > 0
      ? `, ${last.value! >= first.value! ? "up" : "down"} ${percent(Math.abs(last.value! / first.value! - 1))}`
      : "";
  return `${prefix}MRR went from ${from} to ${to}${change}.`;
}

function Plot(props: { series: MetricSeries; points: Point[]; currency: string | null; label: string }) {
  const { points, currency, label } = props;
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xs = points.map((p) => {
      const [y, m, d] = p.asOf.split("-").map(Number);
      return Date.UTC(y, m - 1, d) / 1000;
    });
    const ys = points.map((p) => (p.value === null || !currency ? p.value : toMajor(p.value, currency)));
    const byX = new Map(xs.map((x, i) => [x, points[i]]));
    const monthOf = (x: number) => {
      const p = byX.get(x);
      return p ? month(p.asOf) : "";
    };
    const majorMoney = (v: number, style: "exact" | "compact") =>
      currency ? money(Math.round(v * 10 ** minorDigits(currency)), currency, style) : String(v);

    let plot: uPlot | null = null;
    const build = () => {
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
            label: "MRR",
            stroke: color("--bar"),
            width: 2.5,
            fill: `${color("--bar")}22`,
            points: { show: true, size: 6 },
            spanGaps: false,
            value: (_u, v, _s, idx) => {
              const y = idx == null ? ys[ys.length - 1] : v;
              return y == null ? "—" : majorMoney(y, "exact");
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
            values: (_u, splits) => splits.map((v) => majorMoney(v, "compact")),
          },
        ],
      };
      plot = new uPlot(opts, [xs, ys] as uPlot.AlignedData, el);
    };

    build();
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
      resize.disconnect();
      scheme.removeEventListener("change", build);
      plot?.destroy();
    };
  }, [points.map((p) => `${p.asOf}:${p.value}`).join(","), currency]);

  return <div class="chart" ref={host} role="img" aria-label={label} />;
}
