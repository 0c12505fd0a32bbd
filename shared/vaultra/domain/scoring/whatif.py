"""What-if: change some metrics, see the score and lender fit they would give. Nothing is saved.

A change is written `METRIC=VALUE` with METRIC a key of the metric catalog:

- a ratio takes a percentage or a fraction: `dispute_activity_ratio_month=0.3%` or `=0.003`;
  a signed percentage moves it by percentage points: `refund_rate_90d=-2%`;
- money is in major units of the business's currency: `mrr=15000`, `mrr=+2500`, or relative:
  `mrr=+10%`;
- a count: `months_of_history=+3`, `payouts_failed_90d=0`, or relative: `paying_customers=+10%`.

Metrics that a person reads as one number move together, so a simulation never shows a state the
data could not be in: ARR and ARPA follow MRR, the four dispute ratios move as one "dispute
activity", and the top five's share never falls below the top customer's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from vaultra.domain.metrics.catalog import BY_KEY
from vaultra.domain.metrics.formulas import MetricValue
from vaultra.domain.money import minor_units_per_unit

Op = Literal["set", "add", "scale"]
SIMULABLE = ("money", "ratio", "multiple", "count", "index")
DISPUTE_RATIOS = (
    "dispute_activity_ratio_month",
    "dispute_activity_ratio_mastercard_month",
    "dispute_activity_ratio_30d",
    "dispute_activity_ratio_90d",
)
_VALUE = re.compile(r"^(?P<sign>[+-])?(?P<number>\d+(\.\d+)?)(?P<pct>\s*%)?$")


class WhatIfError(ValueError):
    """A change that cannot be simulated; the message names the change and what was expected."""


@dataclass(frozen=True)
class Change:
    metric: str
    op: Op
    amount: Decimal  # minor units for money `set`/`add`; a fraction for ratios; a factor for scale
    text: str  # as the person wrote it


def parse_change(text: str, currency: str | None) -> Change:
    metric, sep, value = text.partition("=")
    metric, value = metric.strip(), value.strip()
    if not sep or not metric or not value:
        raise WhatIfError(f"{text!r}: expected METRIC=VALUE, e.g. mrr=+10%")
    definition = BY_KEY.get(metric)
    if definition is None:
        raise WhatIfError(f"{text!r}: {metric!r} is not a metric (see `vaultra metrics`)")
    if definition.kind not in SIMULABLE:
        raise WhatIfError(f"{text!r}: {metric} is a {definition.kind} and cannot be simulated")
    match = _VALUE.match(value)
    if match is None:
        raise WhatIfError(f"{text!r}: {value!r} is not a number, a +/- change or a percentage")
    try:
        number = Decimal(match["number"])
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise WhatIfError(f"{text!r}: {value!r} is not a number") from exc
    sign, pct = match["sign"], bool(match["pct"])
    signed = -number if sign == "-" else number
    if definition.kind == "ratio":
        fraction = signed / 100 if pct else signed
        return Change(metric, "add" if sign else "set", fraction, text)
    if pct:
        if not sign:
            raise WhatIfError(f"{text!r}: a percentage of {metric} needs a sign, e.g. +10%")
        return Change(metric, "scale", 1 + signed / 100, text)
    if definition.kind == "money":
        if currency is None:
            raise WhatIfError(f"{text!r}: the business has no currency yet to read money in")
        signed *= minor_units_per_unit(currency)
    elif signed != signed.to_integral():
        raise WhatIfError(f"{text!r}: {metric} is a whole number")
    return Change(metric, "add" if sign else "set", signed, text)


def apply_changes(
    metrics: Mapping[str, MetricValue], changes: Iterable[Change]
) -> dict[str, MetricValue]:
    """A copy of `metrics` with the changes made, in order, and their dependents kept in step."""
    out = dict(metrics)
    for change in changes:
        current = out.get(change.metric)
        if change.op != "set" and not isinstance(current, int | Decimal):
            raise WhatIfError(
                f"{change.text!r}: {change.metric} has no value yet to change; set it instead"
            )
        value = _changed(current, change)
        if BY_KEY[change.metric].kind in ("count", "money"):
            if value < 0:
                raise WhatIfError(f"{change.text!r}: {change.metric} cannot be negative")
            value = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        elif BY_KEY[change.metric].kind == "ratio" and value < 0:
            raise WhatIfError(f"{change.text!r}: {change.metric} cannot be negative")
        _set(out, change.metric, value)
    return out


def _changed(current: MetricValue, change: Change) -> Decimal:
    base = Decimal(current) if isinstance(current, int | Decimal) else Decimal(0)
    if change.op == "set":
        return change.amount
    if change.op == "add":
        return base + change.amount
    return base * change.amount


def _set(out: dict[str, MetricValue], metric: str, value: Decimal) -> None:
    kind = BY_KEY[metric].kind
    stored: MetricValue = int(value) if kind in ("count", "money") else value
    if metric in DISPUTE_RATIOS:
        for key in DISPUTE_RATIOS:
            out[key] = stored
        return
    out[metric] = stored
    if metric == "arr":
        out["mrr"] = int((value / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if metric in ("mrr", "arr", "paying_customers"):
        _follow_mrr(out, from_arr=metric == "arr")
    if metric == "top_customer_share_12m":
        top5 = out.get("top5_customer_share_12m")
        if not isinstance(top5, Decimal | int) or top5 < value:
            out["top5_customer_share_12m"] = value


def _follow_mrr(out: dict[str, MetricValue], *, from_arr: bool) -> None:
    mrr = out.get("mrr")
    if not isinstance(mrr, int):
        return
    if not from_arr:
        out["arr"] = mrr * 12
    paying = out.get("paying_customers")
    if isinstance(paying, int) and paying > 0:
        out["arpa"] = int((Decimal(mrr) / paying).quantize(Decimal(1), rounding=ROUND_HALF_UP))
