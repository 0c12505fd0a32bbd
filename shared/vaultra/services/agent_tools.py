"""The agent's tools: what a model (through MCP, or the chat's own loop) may read of a founder's
data, and nothing else.

Every tool is read-only and starts from the caller's token, never from an id alone: a business id
is resolved through `Tenancy` (one statement: the token is still accepted and its user a member),
so another tenant's id gets the same answer as an id that does not exist. Answers are small and
structured — the fields a model needs to explain a score, not the stored rows — and every refusal
is a `ToolRefused` whose message says what to do instead (a model reads it and tries again).

Amounts are integer minor units of the business's currency (cents for USD), ratios are fractions
(0.012 is 1.2 %), as in the API; each answer names its currency.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any, TypeVar

from vaultra.db.unit_of_work import UnitOfWork
from vaultra.domain.metrics.catalog import BY_KEY, CATALOG
from vaultra.domain.scoring.model import COMPONENTS
from vaultra.services.accounts import Accounts, Bearer
from vaultra.services.auth_tokens import InvalidToken
from vaultra.services.dashboard import Dashboard, NotScoredYet, Range
from vaultra.services.knowledge import MAX_RESULTS, InvalidQuery, KnowledgeBase
from vaultra.services.rate_limits import RateLimited, RateLimiter, Rule
from vaultra.services.tenancy import Access, NotFound, Tenancy
from vaultra.services.what_if import MetricChange, WhatIf, WhatIfError
from vaultra.services.what_if import NotScoredYet as NothingToSimulate

T = TypeVar("T")

TOOL_NAMES = (
    "list_businesses",
    "get_readiness_breakdown",
    "get_top_recommendations",
    "get_metric_history",
    "explain_metric",
    "simulate_score",
    "check_lender_fit",
    "search_knowledge",
)
# A model in a loop calls several tools a question; a person asks a few questions a minute. 600
# calls in the rate limiter's 15-minute window is 40 a minute: far above a conversation, far
# below a script enumerating ids.
TOOL_CALLS = Rule("agent-tool", per_address=None, per_account=600)
MAX_RECOMMENDATIONS = 10
MAX_HISTORY_MONTHS = 36
MAX_CHANGES = 10
_NO_BUSINESS = (
    "no business with id {id!r} among the caller's; call list_businesses for the ids this "
    "caller can use"
)


class ToolRefused(Exception):
    """A tool call that cannot be answered as asked; the message says what to change."""


class NotAuthenticated(Exception):
    """The token is missing, invalid, expired or revoked."""


def _business_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ToolRefused(_NO_BUSINESS.format(id=str(value)[:64])) from None


def _jsonable(value: Any) -> Any:
    """Decimals as floats, dates as ISO strings: what a JSON tool result can carry."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class AgentTools:
    def __init__(
        self,
        accounts: Accounts,
        tenancy: Tenancy,
        dashboard: Dashboard,
        what_if: WhatIf,
        knowledge: KnowledgeBase,
        rate_limits: RateLimiter,
    ) -> None:
        self._accounts = accounts
        self._tenancy = tenancy
        self._dashboard = dashboard
        self._what_if = what_if
        self._knowledge = knowledge
        self._limits = rate_limits

    # --- who calls -------------------------------------------------------------------------

    def bearer(self, token: str) -> Bearer:
        """The token read without the database (`NotAuthenticated` if it cannot be)."""
        try:
            return self._accounts.read_bearer(token)
        except InvalidToken:
            raise NotAuthenticated("the token is invalid or has expired") from None

    def user_id(self, bearer: Bearer) -> uuid.UUID:
        """Whose token it is, as the database says now (`NotAuthenticated` once revoked)."""
        try:
            return self._accounts.principal(bearer).user_id
        except InvalidToken:
            raise NotAuthenticated("the token is invalid or has expired") from None

    def admit_call(self, user_id: uuid.UUID) -> None:
        """Count one tool call against the user's allowance (`ToolRefused` when held back)."""
        attempt = self._limits.attempt(TOOL_CALLS, ip=None, account=str(user_id))
        try:
            self._limits.hit(attempt)
        except RateLimited as held:
            raise ToolRefused(
                f"too many tool calls; wait {held.retry_after} seconds before the next"
            ) from None

    def _access(self, bearer: Bearer, business_id: str) -> Access:
        return self._read_as(bearer, business_id, lambda _, access: access)

    def _read_as(
        self, bearer: Bearer, business_id: str, read: Callable[[UnitOfWork, Access], T]
    ) -> T:
        """`Tenancy.read_as`, its refusals as a tool's: an id the caller may not see is the same
        `ToolRefused` as one that does not exist."""
        try:
            return self._tenancy.read_as(bearer, _business_id(business_id), read)
        except InvalidToken:
            raise NotAuthenticated("the token is invalid or has expired") from None
        except NotFound:
            raise ToolRefused(_NO_BUSINESS.format(id=str(business_id)[:64])) from None

    # --- the tools -------------------------------------------------------------------------

    def list_businesses(self, bearer: Bearer) -> dict[str, Any]:
        user_id = self.user_id(bearer)
        found = self._tenancy.businesses(user_id, after=None, limit=100)
        return {
            "businesses": [
                {
                    "business_id": str(b.id),
                    "name": b.name,
                    "role": b.role,
                    "stripe_connected": b.stripe_account is not None,
                }
                for b in found
            ]
        }

    def readiness_breakdown(self, bearer: Bearer, business_id: str) -> dict[str, Any]:
        summary = self._read_as(bearer, business_id, self._dashboard.summary_in)
        if summary.score is None:
            raise ToolRefused(
                "this business has no readiness score yet (its Stripe history is still being "
                "imported or it has none); try again once the import has finished"
            )
        return _jsonable(
            {
                "business_id": business_id,
                "score": summary.score,
                "max_score": 100,
                "confidence": summary.confidence,
                "as_of": summary.as_of,
                "data_through": summary.data_through,
                "model_version": summary.model_version,
                "currency": summary.currency,
                "components": [
                    {
                        "key": c["key"],
                        "title": c["title"],
                        "points": c["points"],
                        "max_points": c["max_points"],
                        "explanation": c["explanation"],
                        "inputs": c.get("inputs", {}),
                    }
                    for c in summary.components
                ],
                "top_factors": summary.top_factors,
                "missing_data": summary.missing,
            }
        )

    def top_recommendations(
        self, bearer: Bearer, business_id: str, limit: int = 3
    ) -> dict[str, Any]:
        if not 1 <= limit <= MAX_RECOMMENDATIONS:
            raise ToolRefused(f"limit must be between 1 and {MAX_RECOMMENDATIONS}")
        access = self._access(bearer, business_id)
        rows = [r for r in self._dashboard.recommendations(access) if r.status == "open"]
        return _jsonable(
            {
                "business_id": business_id,
                "recommendations": [
                    {
                        "key": r.key,
                        "rank": r.rank,
                        "title": r.title,
                        "expected_gain_points": r.expected_gain,
                        "effort": r.effort,
                        "takes_effect": r.takes_effect,
                        "why": r.trigger,
                        "unlocks": r.unlocks,
                        "article": r.article,
                        "this_week": r.this_week,
                    }
                    for r in rows[:limit]
                ],
                "open_total": len(rows),
            }
        )

    def metric_history(
        self, bearer: Bearer, business_id: str, metric: str, months: int = 12
    ) -> dict[str, Any]:
        if metric not in BY_KEY:
            raise ToolRefused(_unknown_metric(metric))
        if not 1 <= months <= MAX_HISTORY_MONTHS:
            raise ToolRefused(f"months must be between 1 and {MAX_HISTORY_MONTHS}")
        access = self._access(bearer, business_id)
        chosen: Range = "12m" if months <= 12 else "24m" if months <= 24 else "all"
        series = self._dashboard.metric_series(access, metric, chosen, "monthly")
        points = series.points[-months:]
        return _jsonable(
            {
                "business_id": business_id,
                "metric": metric,
                "kind": series.kind,
                "currency": series.currency,
                "points": [
                    {"month_end": p.as_of, "value": p.value}
                    | ({"why_empty": p.note} if p.note else {})
                    for p in points
                ],
            }
        )

    def explain_metric(self, metric: str) -> dict[str, Any]:
        definition = BY_KEY.get(metric)
        if definition is None:
            raise ToolRefused(_unknown_metric(metric))
        scored_by = [
            {
                "component": component.title,
                "criterion": criterion.label,
                "max_points": criterion.max_points,
                "better": criterion.direction,
                "bands": [
                    {"from": band.limit, "points": band.points, "meaning": band.meaning}
                    for band in criterion.bands
                ],
            }
            for component in COMPONENTS
            for criterion in component.criteria
            if metric in criterion.metrics
        ]
        return _jsonable(
            {
                "metric": metric,
                "kind": definition.kind,
                "group": definition.group,
                "meaning": definition.meaning,
                "units": _UNITS.get(definition.kind, ""),
                "scored_by": scored_by,
            }
        )

    def simulate_score(
        self, bearer: Bearer, business_id: str, changes: Sequence[MetricChange]
    ) -> dict[str, Any]:
        if not changes:
            raise ToolRefused(
                'give at least one change, e.g. {"metric": "mrr", "change_by_percent": 10}'
            )
        if len(changes) > MAX_CHANGES:
            raise ToolRefused(f"at most {MAX_CHANGES} changes at a time")
        access = self._access(bearer, business_id)
        try:
            result = self._what_if.simulate(access, changes)
        except NothingToSimulate:
            raise ToolRefused("this business has no score yet to simulate from") from None
        except WhatIfError as wrong:
            raise ToolRefused(str(wrong)) from None
        return _jsonable(
            {
                "business_id": business_id,
                "as_of": result.as_of,
                "currency": result.currency,
                "score_before": result.score_before,
                "score_after": result.score_after,
                "confidence_before": result.confidence_before,
                "confidence_after": result.confidence_after,
                "components_changed": [
                    asdict(c) for c in result.components if c.points_before != c.points_after
                ],
                "lender_fit_changed": [
                    {
                        "lender": m.lender,
                        "product": m.product,
                        "before": m.status_before,
                        "after": m.status_after,
                    }
                    for m in result.lender_fit
                    if m.status_before != m.status_after
                ],
                "inputs_changed": [asdict(i) for i in result.inputs_changed],
            }
        )

    def lender_fit(
        self, bearer: Bearer, business_id: str, lender: str | None = None
    ) -> dict[str, Any]:
        access = self._access(bearer, business_id)
        try:
            view = self._dashboard.lender_fit(access)
        except NotScoredYet:
            raise ToolRefused("this business has no score yet, so no lender fit either") from None
        products = view.products
        if lender:
            wanted = lender.strip().lower()
            products = [
                p
                for p in products
                if wanted in str(p.get("lender", "")).lower()
                or wanted in str(p.get("key", "")).lower()
                or wanted in str(p.get("product", "")).lower()
            ]
            if not products:
                names = sorted({str(p.get("lender")) for p in view.products})
                raise ToolRefused(
                    f"no product of a lender matching {lender[:64]!r}; known lenders: "
                    + ", ".join(names)
                )
        return _jsonable(
            {
                "business_id": business_id,
                "as_of": view.as_of,
                "currency": view.currency,
                "criteria_version": view.criteria_version,
                "products": [_product(p) for p in products],
            }
        )

    def search_knowledge(
        self, query: str, topics: Sequence[str] | None = None, k: int = 5
    ) -> dict[str, Any]:
        try:
            passages = self._knowledge.search(query, topics, min(max(k, 1), MAX_RESULTS))
        except InvalidQuery as wrong:
            raise ToolRefused(str(wrong)) from None
        return {
            "passages": [
                {
                    "ref": p.ref,
                    "article": p.article_id,
                    "title": p.title,
                    "heading": p.heading,
                    "text": p.body,
                    "sources": list(p.sources),
                }
                for p in passages
            ]
        }


_UNITS = {
    "money": "integer minor units of the currency (cents for USD)",
    "ratio": "a fraction: 0.012 is 1.2 %",
    "count": "a whole number",
    "multiple": "a multiple: 2.5 means 2.5 times",
    "index": "an index from 0 to 10,000",
    "timestamp": "an ISO 8601 time",
    "money_by_key": "integer minor units per key (a currency or a month)",
    "rate_by_key": "per currency: millionths of the reporting currency for one unit of it",
}


def _unknown_metric(metric: str) -> str:
    return f"{metric[:64]!r} is not a metric; known metrics: " + ", ".join(m.key for m in CATALOG)


def _product(product: dict[str, Any]) -> dict[str, Any]:
    """The parts of a stored lender-fit product a model explains from."""
    keep = ("key", "lender", "product", "status", "unmet", "to_confirm", "offer", "offer_note")
    return {k: product[k] for k in keep if k in product}
