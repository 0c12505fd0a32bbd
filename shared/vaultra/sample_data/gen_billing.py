"""Stripe Billing mechanics: invoices, their finalization and collection (with dunning), and the
subscription state changes that collection drives (past_due, unpaid, incomplete, cancellation).

`gen_subscriptions` decides *what* customers do; this module makes Stripe react the way it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vaultra.sample_data import gen_shapes as shapes
from vaultra.sample_data.gen_core import DAY, HOUR, MINUTE, Obj, add_interval, clone
from vaultra.sample_data.gen_money import Card, Payments, World

# What Stripe writes on the payment intent (and so the charge) of an invoice, by billing reason.
_PAYMENT_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_cycle": "Subscription update",
    "subscription_update": "Subscription update",
}
RENEWAL_RETRY_DAYS = (0, 3, 8, 15)  # Smart Retries: four attempts over about two weeks
INCOMPLETE_WINDOW = 23 * HOUR  # a first invoice unpaid this long expires the subscription
# What a payment does to its subscription, by whether it went through: (the statuses it changes,
# the status they take). A failed one sends the subscription into dunning, a paid one out of it.
_STATUS_AFTER_PAYMENT = {
    False: (("active", "trialing"), "past_due"),
    True: (("past_due", "incomplete"), "active"),
}


@dataclass
class Account:
    """A customer as the simulation sees it: the Stripe object plus what Stripe keeps elsewhere."""

    obj: Obj
    card: Card
    invoice_seq: int = 0


@dataclass
class Live:
    """A subscription being simulated."""

    sub: Obj
    account: Account
    interval: str
    interval_count: int
    period_index: int = 1  # periods elapsed since the billing cycle anchor
    pending_prorations: list[Obj] = field(default_factory=list)
    discounted_invoices: int = 0
    usage_mean: float = 0.0
    busy_until: int = 0  # when the latest collection (with its retries) finished

    @property
    def licensed(self) -> Obj:
        return next(i for i in self.sub["items"]["data"] if "quantity" in i)

    @property
    def metered(self) -> Obj | None:
        return next((i for i in self.sub["items"]["data"] if "quantity" not in i), None)

    def next_period_end(self) -> int:
        anchor = self.sub["billing_cycle_anchor"]
        return add_interval(anchor, self.interval, self.interval_count, self.period_index)


@dataclass(frozen=True)
class Dunning:
    """How collecting one invoice goes: `failures` declined attempts before success (or for good,
    when they exhaust the schedule), and what the merchant's settings do then."""

    failures: int = 0
    unpaid_instead_of_cancel: bool = False


class Billing:
    def __init__(self, world: World, payments: Payments, refund_rate: float) -> None:
        self.w = world
        self.pay = payments
        self.refund_rate = refund_rate
        self.product_names: dict[str, str] = {}

    # --- Building invoices ----------------------------------------------------------------------

    def line(
        self,
        invoice_id: str,
        price: Obj,
        quantity: int,
        start: int,
        end: int,
        *,
        sub: Obj | None,
        item_id: str | None,
        amount: int | None = None,
        description: str | None = None,
        proration: bool = False,
        invoice_item: bool = False,
    ) -> Obj:
        name = self.product_names[price["product"]]
        return shapes.line_item(
            self.w.ids.new("il"),
            invoice_id=invoice_id,
            price_obj=price,
            quantity=quantity,
            amount=price["unit_amount"] * quantity if amount is None else amount,
            period_start=start,
            period_end=end,
            livemode=self.w.livemode,
            description=description or shapes.period_description(quantity, name, price),
            subscription_id=sub["id"] if sub else None,
            subscription_item_id=item_id,
            proration=proration,
            invoice_item_id=self.w.ids.new("ii") if invoice_item or proration else None,
        )

    def new_invoice(
        self,
        account: Account,
        created: int,
        *,
        sub: Obj | None,
        reason: str,
        lines: list[Obj],
        period: tuple[int, int],
    ) -> Obj:
        inv_id = lines[0]["invoice"]
        inv = shapes.invoice(
            inv_id,
            created,
            customer_obj=account.obj,
            subscription_id=sub["id"] if sub else None,
            billing_reason=reason,
            currency=self.w.currency,
            lines=lines,
            period_start=period[0],
            period_end=period[1],
            livemode=self.w.livemode,
            account_name=self.w.account_name,
        )
        if sub is not None and sub["discount"] is not None:
            apply_discount(inv, sub["discount"])
        self.w.rec.add("invoices", inv)
        return inv

    # --- Finalizing and collecting --------------------------------------------------------------

    def finalize(self, account: Account, inv: Obj, at: int, request: Obj | None) -> None:
        account.invoice_seq += 1
        token = self.w.ids.token(40)
        inv.update(
            status="open",
            number=f"{account.obj['invoice_prefix']}-{account.invoice_seq:04d}",
            effective_at=at,
            # a negative total is credited to the customer's balance (a downgrade's proration)
            ending_balance=min(inv["total"], 0),
            hosted_invoice_url=f"https://invoice.stripe.com/i/{self.w.rec.account}/{token}",
            invoice_pdf=f"https://pay.stripe.com/invoice/{self.w.rec.account}/{token}/pdf",
            webhooks_delivered_at=at,
        )
        inv["status_transitions"]["finalized_at"] = at
        self.w.rec.emit("invoice.finalized", inv, at, request)

    def collect(
        self,
        live: Live | None,
        account: Account,
        inv: Obj,
        at: int,
        dunning: Dunning,
        request: Obj | None,
        *,
        first_invoice: bool = False,
    ) -> tuple[str, int]:
        """Collects a finalized invoice starting at `at`. Returns the outcome ("paid", "open" when
        retries are still under way at `now`, "exhausted") and the time of the last event."""
        rec = self.w.rec
        if inv["amount_due"] == 0:
            return "paid", self._mark_paid(inv, at, request)
        pi = self.pay.payment_intent(
            at,
            amount=inv["amount_due"],
            currency=inv["currency"],
            customer=account.obj,
            card=account.card,
            invoice_id=inv["id"],
            description=_PAYMENT_DESCRIPTIONS.get(inv["billing_reason"]),
        )
        inv["payment_intent"] = pi["id"]
        for attempt, when in enumerate(self._attempt_times(at, first_invoice)):
            if not self.w.fits(when, 20):
                return "open", when
            succeeded = attempt >= dunning.failures
            ch = self.pay.attempt(
                pi,
                when,
                card=account.card,
                customer=account.obj,
                succeed=succeeded,
                request=request if attempt == 0 else None,
            )
            inv.update(attempted=True, attempt_count=attempt + 1, charge=ch["id"])
            if succeeded:
                last = self._mark_paid(inv, when + 2, None)
                self.pay.aftermath(ch, refund_rate=self.refund_rate)
                return "paid", self._after_payment(live, account, last + 1, paid=True)
            remaining = self._attempt_times(at, first_invoice)[attempt + 1 :]
            inv["next_payment_attempt"] = remaining[0] if remaining else None
            failed_at = rec.emit("invoice.payment_failed", inv, when + 2)
            last = self._after_payment(live, account, failed_at + 1, paid=False)
        return "exhausted", last

    def _attempt_times(self, at: int, first_invoice: bool) -> list[int]:
        if first_invoice:  # the customer retries on the checkout page, within the day
            return [at, at + 40 * MINUTE]
        return [at + days * DAY for days in RENEWAL_RETRY_DAYS]

    def _mark_paid(self, inv: Obj, at: int, request: Obj | None) -> int:
        inv.update(
            status="paid",
            paid=True,
            amount_paid=inv["amount_due"],
            amount_remaining=0,
            next_payment_attempt=None,
        )
        inv["status_transitions"]["paid_at"] = at
        at = self.w.rec.emit("invoice.paid", inv, at, request)
        return self.w.rec.emit("invoice.payment_succeeded", inv, at + 1, request)

    def _after_payment(self, live: Live | None, account: Account, at: int, *, paid: bool) -> int:
        """A failed payment makes the customer delinquent and its subscription past due; a paid one
        clears both. Returns the time of the last event."""
        rec = self.w.rec
        delinquent = not paid
        if account.obj["delinquent"] != delinquent:
            account.obj["delinquent"] = delinquent
            at = rec.emit("customer.updated", account.obj, at) + 1
        changed, status = _STATUS_AFTER_PAYMENT[paid]
        if live is not None and live.sub["status"] in changed:
            live.sub["status"] = status
            at = rec.emit("customer.subscription.updated", live.sub, at)
        return at

    # --- Ending -------------------------------------------------------------------------------

    def give_up(self, live: Live, inv: Obj, at: int, dunning: Dunning) -> int | None:
        """After the last failed retry: cancel (marking the invoice uncollectible) or leave the
        subscription unpaid, which the merchant cleans up by hand a few days later. Returns when
        the subscription ended, or None if it has not ended by `now`."""
        rec = self.w.rec
        if not self.w.fits(at, 10):
            return None
        if not dunning.unpaid_instead_of_cancel:
            self.end(live, at, "payment_failed")
            inv["status"] = "uncollectible"
            inv["status_transitions"]["marked_uncollectible_at"] = at + 1
            rec.emit("invoice.marked_uncollectible", inv, at + 1)
            return at
        live.sub["status"] = "unpaid"
        rec.emit("customer.subscription.updated", live.sub, at)
        cleanup = at + self.w.rng.randint(3, 12) * DAY + self.w.rng.randrange(8 * HOUR)
        if not self.w.fits(cleanup, 10):
            return None
        request = rec.api_request()
        self.void(live.account, inv, cleanup, request)
        self.end(live, cleanup + 3, "payment_failed", request)
        return cleanup + 3

    def void(self, account: Account, inv: Obj, at: int, request: Obj | None) -> int:
        rec = self.w.rec
        inv.update(status="void", amount_remaining=0, next_payment_attempt=None)
        inv["status_transitions"]["voided_at"] = at
        at = rec.emit("invoice.voided", inv, at, request)
        if account.obj["delinquent"]:
            account.obj["delinquent"] = False
            at = rec.emit("customer.updated", account.obj, at + 1)
        return at

    def end(self, live: Live, at: int, reason: str, request: Obj | None = None) -> int:
        """Ends the subscription now (`customer.subscription.deleted`)."""
        sub = live.sub
        if sub["canceled_at"] is None:
            sub["canceled_at"] = at
        sub["status"] = "incomplete_expired" if sub["status"] == "incomplete" else "canceled"
        sub.update(ended_at=at, cancel_at_period_end=False, cancel_at=None)
        sub["cancellation_details"]["reason"] = reason
        return self.w.rec.emit("customer.subscription.deleted", sub, at, request)


def apply_discount(inv: Obj, discount: Obj) -> None:
    """Applies the subscription's discount to a draft invoice: `total_discount_amounts` on the
    invoice, its share of the discount on each positive line, `total` net of it."""
    coupon = discount["coupon"]
    positive = [line for line in inv["lines"]["data"] if line["amount"] > 0]
    base = max(inv["subtotal"], 0)
    if coupon["percent_off"] is not None:
        off = round(base * coupon["percent_off"] / 100)
    else:
        off = min(coupon["amount_off"], base)
    if off <= 0 or not positive:
        return
    gross = sum(line["amount"] for line in positive)
    allotted = 0
    for index, line in enumerate(positive):
        share = off - allotted if index == len(positive) - 1 else off * line["amount"] // gross
        allotted += share
        line["discount_amounts"] = [{"amount": share, "discount": discount["id"]}]
        line["discounts"] = [discount["id"]]
    total = inv["subtotal"] - off
    inv.update(
        discount=clone(discount),
        discounts=[discount["id"]],
        total_discount_amounts=[{"amount": off, "discount": discount["id"]}],
        total=total,
        total_excluding_tax=total,
        amount_due=max(total, 0),
        amount_remaining=max(total, 0),
    )
