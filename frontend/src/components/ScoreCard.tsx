import type { Component, Summary } from "../lib/api";
import { ago, dateTime, day, plural } from "../lib/format";

const CONFIDENCE: Record<string, { label: string; text: string }> = {
  high: { label: "High confidence", text: "Almost every criterion is backed by your data." },
  medium: { label: "Medium confidence", text: "Some criteria lack data and are counted at half marks." },
  low: { label: "Low confidence", text: "Many criteria lack data and are counted at half marks." },
};

/** The score, large, with its confidence, freshness and the factors that cost the most. */
export default function ScoreCard({ summary }: { summary: Summary }) {
  const score = summary.score ?? 0;
  const confidence = summary.confidence ? CONFIDENCE[summary.confidence] : null;
  return (
    <section class="card score-card" aria-labelledby="score-title">
      <div class="score-main">
        <h2 id="score-title">Funding readiness</h2>
        <div class="score-ring" ref={(el) => el?.style.setProperty("--p", String(score))}>
          <p class="score-figure">
            <span class="score-number" data-testid="readiness-score">
              {score}
            </span>
            <span class="score-max"> / 100</span>
          </p>
        </div>
        {confidence && (
          <p class={`confidence confidence-${summary.confidence}`}>
            <strong>{confidence.label}.</strong> {confidence.text}
          </p>
        )}
        <p class="muted small">
          {summary.data_through && (
            <>
              Data through{" "}
              <time dateTime={summary.data_through} title={dateTime(summary.data_through)}>
                {dateTime(summary.data_through)}
              </time>{" "}
              ({ago(summary.data_through)}).{" "}
            </>
          )}
          {summary.last_synced_at && (
            <>
              Stripe last heard from{" "}
              <time dateTime={summary.last_synced_at} title={dateTime(summary.last_synced_at)}>
                {ago(summary.last_synced_at)}
              </time>
              .{" "}
            </>
          )}
          {summary.as_of && <>Scored for {day(summary.as_of)}.</>}
        </p>
      </div>
      <div class="score-side">
        <h3>Where you lose the most points</h3>
        {summary.top_factors.length === 0 ? (
          <p class="muted">Nothing: every component is at full marks.</p>
        ) : (
          <ol class="factors">
            {summary.top_factors.map((f) => (
              <li key={f.key}>
                <span class="factor-title">{f.title}</span>
                <span class="factor-points">
                  {plural(f.points_lost, "point", "points")} lost
                  {f.could_gain > 0 && f.could_gain !== f.points_lost && (
                    <> · could gain {f.could_gain}</>
                  )}
                </span>
              </li>
            ))}
          </ol>
        )}
        {summary.missing.length > 0 && (
          <>
            <h3>Scored without data</h3>
            <p class="small muted">These count at half marks until the data exists.</p>
            <ul class="missing">
              {summary.missing.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          </>
        )}
      </div>
    </section>
  );
}

/** Each component's points out of its maximum, as a bar with the same numbers in text. */
export function Breakdown({ summary }: { summary: Summary }) {
  return (
    <section class="card breakdown" aria-labelledby="breakdown-title">
      <h2 id="breakdown-title">How the score adds up</h2>
      <p class="muted small">
        The components add up to your score exactly. A ceiling holds points back whatever the rest
        shows.
      </p>
      <ul class="components">
        {summary.components.map((c) => (
          <ComponentRow key={c.key} component={c} />
        ))}
      </ul>
    </section>
  );
}

function ComponentRow({ component: c }: { component: Component }) {
  const ceiling = c.points < 0;
  const share = c.max_points > 0 ? Math.max(0, Math.min(1, c.points / c.max_points)) : 0;
  return (
    <li class={`component${ceiling ? " is-ceiling" : ""}`}>
      <div class="component-head">
        <h3>{c.title}</h3>
        <span class="component-points">
          {ceiling ? (
            <>Ceiling: holds back {plural(-c.points, "point", "points")}</>
          ) : (
            <>
              {c.points} of {c.max_points} points
            </>
          )}
        </span>
      </div>
      {!ceiling && (
        <div class="bar" aria-hidden="true">
          <span ref={(el) => el?.style.setProperty("width", `${(share * 100).toFixed(1)}%`)} />
        </div>
      )}
      <p class="component-explanation">{c.explanation}</p>
    </li>
  );
}
