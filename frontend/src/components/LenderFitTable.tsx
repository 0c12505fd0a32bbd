import { ApiError, api, messageOf, type FitStatus, type LenderProduct } from "../lib/api";
import { day, money } from "../lib/format";
import { useLoad } from "../lib/hooks";

const STATUS: Record<FitStatus, string> = {
  eligible: "Eligible",
  not_yet: "Not yet",
  not_a_fit: "Not a fit",
};

/** Each financing product: status, unmet criteria and the estimate (never an offer). */
export default function LenderFitTable({ businessId }: { businessId: string }) {
  const { load, reload } = useLoad(() => api.lenderFit(businessId), [businessId]);
  const notScored = load.state === "error" && load.error instanceof ApiError && load.error.status === 409;

  return (
    <section class="card lender-fit" aria-labelledby="fit-title" aria-busy={load.state === "loading"}>
      <h2 id="fit-title">Lender fit</h2>
      <p class="estimate-note">
        <strong>Estimates are not offers.</strong> They come from each lender's published criteria and
        sizing rules; only a lender can make an offer.
      </p>
      {load.state === "loading" && (
        <div aria-hidden="true" class="skeletons">
          <span class="skeleton skeleton-line" />
          <span class="skeleton skeleton-line" />
          <span class="skeleton skeleton-line" />
        </div>
      )}
      {notScored && <p class="muted">Lender fit appears with your first score.</p>}
      {load.state === "error" && !notScored && (
        <p>
          Lender fit could not load: {messageOf(load.error)}{" "}
          <button type="button" class="button quiet small" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      {load.state === "ready" && load.data.products.length === 0 && (
        <p class="muted">No financing product to compare with yet.</p>
      )}
      {load.state === "ready" && load.data.products.length > 0 && (
        <div class="table-scroll" role="region" aria-labelledby="fit-caption" tabIndex={0}>
          <table class="fit-table" role="table">
            <caption id="fit-caption">
              Lender fit as of {day(load.data.as_of)}
              <span class="muted"> (criteria {load.data.criteria_version})</span>
            </caption>
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Lender</th>
                <th scope="col" role="columnheader" class="col-product">Product</th>
                <th scope="col" role="columnheader">Status</th>
                <th scope="col" role="columnheader" class="col-gaps">Unmet criteria</th>
                <th scope="col" role="columnheader" class="col-estimate">Estimate</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {load.data.products.map((p) => (
                <Row key={p.key} product={p} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// Explicit roles keep the table's semantics when narrow screens lay rows out as cards.
function Row({ product: p }: { product: LenderProduct }) {
  return (
    <tr role="row">
      <th scope="row" role="rowheader">
        {p.lender}
      </th>
      <td role="cell" data-label="Product">
        {p.product}
        {p.to_confirm.length > 0 && (
          <details class="confirm">
            <summary>What the lender also checks ({p.to_confirm.length})</summary>
            <ul>
              {p.to_confirm.map((line, i) => (
                <li key={i}>{line}</li>
              ))}
            </ul>
          </details>
        )}
      </td>
      <td role="cell" data-label="Status">
        <span class={`pill pill-${p.status}`}>{STATUS[p.status]}</span>
      </td>
      <td role="cell" data-label="Unmet criteria">
        {p.unmet.length === 0 ? (
          <span class="muted">None</span>
        ) : (
          <ul class="gaps">
            {p.unmet.map((g, i) => (
              <li key={i}>{g.gap}</li>
            ))}
          </ul>
        )}
      </td>
      <td role="cell" data-label="Estimate">
        {p.offer ? (
          <>
            <span class="offer">
              {money(p.offer.low, p.offer.currency, "whole")}–{money(p.offer.high, p.offer.currency, "whole")}
            </span>
            <span class="small muted block">{p.offer.disclaimer}</span>
          </>
        ) : (
          <span class="small muted">{p.offer_note}</span>
        )}
      </td>
    </tr>
  );
}
