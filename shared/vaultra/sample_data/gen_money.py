"""Money movement: payment attempts, fees and balance transactions, refunds, disputes and payouts.

The simulation calls `Payments.attempt` whenever a card is charged (an order or an invoice);
`Payments.aftermath` then plays out what can befall a successful charge later (a refund, a dispute),
and `run_payouts` finally sweeps the account balance to the bank on the payout schedule.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from vaultra.sample_data import gen_shapes as shapes
from vaultra.sample_data.gen_core import (
    DAY,
    HOUR,
    IdFactory,
    Obj,
    Recorder,
    chance,
    clone,
    midnight,
    pick,
)

DISPUTE_FEE = 1500  # US dispute fee, in cents; returned when the dispute is won
PROCESSING_FEES = "Stripe processing fees"  # how a balance transaction's fee is described

DECLINES = {
    "card_declined": (0.55, "Your card was declined."),
    "insufficient_funds": (0.25, "Your card has insufficient funds."),
    "expired_card": (0.1, "Your card has expired."),
    "incorrect_cvc": (0.1, "Your card's security code is incorrect."),
}


@dataclass
class World:
    """What every part of the simulation shares: randomness, ids, the recorder and the clock."""

    rng: random.Random
    ids: IdFactory
    rec: Recorder
    now: int
    start: int
    currency: str
    livemode: bool
    account_name: str
    statement_descriptor: str
    # Days between a charge and its funds becoming available (7 for new or risky accounts).
    availability_days: int = 2
    balance_transactions: list[Obj] = field(default_factory=list)

    def fits(self, at: int, span: int = 30) -> bool:
        """Whether a step starting at `at` whose events spread over `span` seconds has happened."""
        return at + span <= self.now


@dataclass(frozen=True)
class RiskProfile:
    """How often a successful charge is later refunded or disputed, and how disputes end."""

    refund_rate: float
    partial_refund_share: float
    dispute_rate: float
    inquiry_share: float = 0.1
    respond_share: float = 0.7
    win_share: float = 0.45
    pending_refund_share: float = 0.1
    dispute_reasons: tuple[tuple[str, float], ...] = (
        ("fraudulent", 0.45),
        ("product_not_received", 0.2),
        ("subscription_canceled", 0.1),
        ("product_unacceptable", 0.1),
        ("credit_not_processed", 0.08),
        ("duplicate", 0.04),
        ("general", 0.03),
    )


@dataclass(frozen=True)
class Movement:
    """A kind of balance transaction that moves an object's whole amount (a refund's, a dispute's,
    a payout's) at once: unlike a charge's funds, which wait `availability_days`, it is available
    the day it happens."""

    kind: str  # the balance transaction's `type`
    category: str  # its `reporting_category`
    sign: int  # -1: the amount leaves the balance; 1: it comes back
    fee: int = 0
    fee_description: str = PROCESSING_FEES


REFUND = Movement("refund", "refund", -1)
# A dispute takes the disputed amount and a fee from the balance; winning it gives both back.
DISPUTE_WITHDRAWAL = Movement("adjustment", "dispute", -1, DISPUTE_FEE, "Dispute fee")
DISPUTE_REINSTATEMENT = Movement(
    "adjustment", "dispute_reversal", 1, -DISPUTE_FEE, "Dispute fee refund"
)


@dataclass
class Card:
    payment_method: str
    details: Obj


# Rough monthly-average FX rates to the dollar; a slow drift keeps them from being constant.
_FX_BASE = {"eur": 1.085, "gbp": 1.265, "cad": 0.735}


def exchange_rate(currency: str, at: int) -> float:
    days = at / DAY
    drift = 0.03 * math.sin(days / 57.0) + 0.008 * math.sin(days / 6.1)
    return round(_FX_BASE[currency] * (1 + drift), 6)


class Payments:
    def __init__(self, world: World, risk: RiskProfile) -> None:
        self.w = world
        self.risk = risk

    # --- Cards ----------------------------------------------------------------------------------

    def new_card(self, country: str = "US") -> Card:
        rng = self.w.rng
        brand = pick(rng, {"visa": 0.55, "mastercard": 0.3, "amex": 0.12, "discover": 0.03})
        details = shapes.card(
            brand,
            f"{rng.randrange(10_000):04d}",
            rng.randint(1, 12),
            rng.randint(2025, 2031),
            country,
            pick(rng, {"credit": 0.65, "debit": 0.33, "prepaid": 0.02}),
        )
        return Card(self.w.ids.new("pm"), details)

    # --- Payment intents and charges ------------------------------------------------------------

    def payment_intent(
        self,
        at: int,
        *,
        amount: int,
        currency: str,
        customer: Obj | None,
        card: Card,
        invoice_id: str | None = None,
        description: str | None = None,
    ) -> Obj:
        return shapes.payment_intent(
            self.w.ids.new("pi"),
            at,
            amount=amount,
            currency=currency,
            customer_id=customer["id"] if customer else None,
            invoice_id=invoice_id,
            payment_method=card.payment_method,
            description=description,
            livemode=self.w.livemode,
        )

    def attempt(
        self,
        pi: Obj,
        at: int,
        *,
        card: Card,
        customer: Obj | None,
        succeed: bool,
        request: Obj | None = None,
        email: str | None = None,
        name: str | None = None,
    ) -> Obj:
        """Charges `card` for `pi` at `at`: emits charge.succeeded|failed at `at` and the payment
        intent's own event a second later. A successful charge gets its balance transaction."""
        w = self.w
        ch = shapes.charge(
            w.ids.new("ch"),
            at,
            amount=pi["amount"],
            currency=pi["currency"],
            customer_id=pi["customer"],
            email=email or (customer["email"] if customer else None),
            name=name or (customer["name"] if customer else None),
            payment_intent=pi["id"],
            payment_method=card.payment_method,
            card_details=card.details,
            invoice_id=pi["invoice"],
            description=pi["description"],
            livemode=w.livemode,
            statement_descriptor=w.statement_descriptor,
        )
        ch["metadata"] = clone(pi["metadata"])  # a payment intent's charges inherit its metadata
        w.rec.add("charges", ch)
        risk_score = w.rng.randint(2, 45) if succeed else w.rng.randint(20, 90)
        pi["latest_charge"] = ch["id"]
        if succeed:
            ch.update(status="succeeded", paid=True, captured=True, amount_captured=ch["amount"])
            ch["outcome"] = shapes.outcome(succeeded=True, risk_score=risk_score)
            ch["receipt_url"] = f"https://pay.stripe.com/receipts/{w.ids.token(40)}"
            ch["balance_transaction"] = self._settle_charge(ch)["id"]
            pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None)
            w.rec.emit("charge.succeeded", ch, at, request)
            w.rec.emit("payment_intent.succeeded", pi, at + 1, request)
        else:
            code = pick(w.rng, {c: weight for c, (weight, _) in DECLINES.items()})
            message = DECLINES[code][1]
            ch.update(status="failed", failure_code=code, failure_message=message)
            ch["outcome"] = shapes.outcome(
                succeeded=False, risk_score=risk_score, decline_reason=code
            )
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = {
                "charge": ch["id"],
                "code": code,
                "decline_code": "generic_decline" if code == "card_declined" else code,
                "message": message,
                "type": "card_error",
            }
            w.rec.emit("charge.failed", ch, at, request)
            w.rec.emit("payment_intent.payment_failed", pi, at + 1, request)
        return ch

    def _settle_charge(self, ch: Obj) -> Obj:
        """The charge's balance transaction: converted to the account currency if needed, with
        Stripe's card fee (2.9% + 30¢, +1.5% for foreign cards, +1% for currency conversion)."""
        settled, rate = self._to_account_currency(ch["amount"], ch["currency"], ch["created"])
        percent = 0.029
        if ch["payment_method_details"]["card"]["country"] != "US":
            percent += 0.015
        if rate is not None:
            percent += 0.01
        fee = round(settled * percent) + 30
        return self.balance_transaction(
            ch["created"],
            amount=settled,
            fee=fee,
            kind="charge",
            category="charge",
            source=ch["id"],
            available_on=midnight(ch["created"]) + self.w.availability_days * DAY,
            description=ch["description"],
            exchange_rate=rate,
        )

    def _to_account_currency(self, amount: int, currency: str, at: int) -> tuple[int, float | None]:
        if currency == self.w.currency:
            return amount, None
        rate = exchange_rate(currency, at)
        return round(amount * rate), rate

    def balance_transaction(
        self,
        at: int,
        *,
        amount: int,
        fee: int,
        kind: str,
        category: str,
        source: str,
        available_on: int,
        description: str | None,
        exchange_rate: float | None = None,
        fee_description: str = PROCESSING_FEES,
    ) -> Obj:
        txn = shapes.balance_transaction(
            self.w.ids.new("txn"),
            at,
            amount=amount,
            fee=fee,
            currency=self.w.currency,
            kind=kind,
            reporting_category=category,
            source=source,
            available_on=available_on,
            description=description,
            exchange_rate=exchange_rate,
            fee_description=fee_description,
        )
        self.w.rec.add("balance_transactions", txn)
        self.w.balance_transactions.append(txn)
        return txn

    def move(self, movement: Movement, obj: Obj, at: int, description: str) -> Obj:
        """The balance transaction of `movement` for `obj`'s amount at `at`, converted to the
        account's currency at that moment."""
        settled, rate = self._to_account_currency(obj["amount"], obj["currency"], at)
        return self.balance_transaction(
            at,
            amount=movement.sign * settled,
            fee=movement.fee,
            kind=movement.kind,
            category=movement.category,
            source=obj["id"],
            available_on=midnight(at),
            description=description,
            exchange_rate=rate,
            fee_description=movement.fee_description,
        )

    # --- What happens to a charge afterwards ----------------------------------------------------

    def aftermath(self, ch: Obj, *, refund_rate: float | None = None) -> None:
        """Plays out a refund or a dispute (never both) for a successful charge, as far as `now`."""
        rng = self.w.rng
        rate = self.risk.refund_rate if refund_rate is None else refund_rate
        if chance(rng, self.risk.dispute_rate):
            self.dispute(ch, ch["created"] + int(rng.uniform(5, 70) * DAY))
        elif chance(rng, rate):
            delay = int(min(rng.expovariate(1 / 6), 45) * DAY) + rng.randrange(HOUR, 10 * HOUR)
            partial = chance(rng, self.risk.partial_refund_share)
            amount = round(ch["amount"] * rng.uniform(0.2, 0.7)) if partial else ch["amount"]
            reason = pick(
                rng,
                {"requested_by_customer": 0.85, "duplicate": 0.07, "fraudulent": 0.03, None: 0.05},
            )
            self.refund(ch, ch["created"] + delay, amount, reason)

    def refund(self, ch: Obj, at: int, amount: int, reason: str | None) -> Obj | None:
        w = self.w
        if not w.fits(at, 10):
            return None
        pending = chance(w.rng, self.risk.pending_refund_share)
        re = shapes.refund(
            w.ids.new("re"),
            at,
            amount=amount,
            charge_obj=ch,
            reason=reason,
            status="pending" if pending else "succeeded",
            balance_transaction=None,
            livemode=w.livemode,
        )
        re["balance_transaction"] = self.move(REFUND, re, at, "REFUND FOR CHARGE")["id"]
        w.rec.add("refunds", re)
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
        self._sync_refund_list(ch, re)
        w.rec.emit("charge.refunded", ch, at, w.rec.api_request())
        if pending:
            # Some card refunds settle days later; the charge embeds its refunds, so it changes too.
            settle_at = at + w.rng.randint(1, 5) * DAY + w.rng.randrange(HOUR)
            if w.fits(settle_at, 10):
                re["status"] = "succeeded"
                re["destination_details"]["card"]["reference_status"] = "available"
                self._sync_refund_list(ch, re)
                w.rec.emit("charge.refund.updated", re, settle_at)
                w.rec.emit("charge.updated", ch, settle_at + 1)
        return re

    @staticmethod
    def _sync_refund_list(ch: Obj, re: Obj) -> None:
        refunds = ch["refunds"]
        refunds["data"] = [clone(re)] + [r for r in refunds["data"] if r["id"] != re["id"]]
        refunds["total_count"] = len(refunds["data"])

    def dispute(self, ch: Obj, at: int) -> Obj | None:
        """A chargeback (or a pre-dispute inquiry) on `ch`, played out up to `now`."""
        w, rng, risk = self.w, self.w.rng, self.risk
        if not w.fits(at, 10) or ch["disputed"] or ch["amount_refunded"]:
            return None
        inquiry = chance(rng, risk.inquiry_share)
        reason = pick(rng, dict(risk.dispute_reasons))
        due_by = midnight(at) + (21 if not inquiry else 14) * DAY + DAY - 1
        dp = shapes.dispute(
            w.ids.new("dp"),
            at,
            charge_obj=ch,
            reason=reason,
            status="warning_needs_response" if inquiry else "needs_response",
            due_by=due_by,
            livemode=w.livemode,
        )
        w.rec.add("disputes", dp)
        w.rec.emit("charge.dispute.created", dp, at)
        if not inquiry:
            self._withdraw(ch, dp, at)
            w.rec.emit("charge.dispute.funds_withdrawn", dp, at + 1)
        ch["disputed"] = True
        w.rec.emit("charge.updated", ch, at + 2)

        responds = chance(rng, risk.respond_share)
        if responds:
            answered = at + int(rng.uniform(2, 14) * DAY)
            if not w.fits(answered):
                return dp
            dp["status"] = "warning_under_review" if inquiry else "under_review"
            dp["evidence"]["uncategorized_text"] = (
                "Customer signed for the delivery; logs attached."
            )
            dp["evidence"]["receipt"] = f"file_{w.ids.token(24)}"
            dp["evidence_details"].update(has_evidence=True, submission_count=1)
            w.rec.emit("charge.dispute.updated", dp, answered)
            closes = answered + int(rng.uniform(20, 75) * DAY)
        else:
            closes = due_by + int(rng.uniform(1, 4) * DAY)
        if not w.fits(closes):
            return dp
        if inquiry:
            dp["status"] = "warning_closed"
        else:
            won = responds and chance(rng, risk.win_share)
            dp["status"] = "won" if won else "lost"
            if won:
                self._reinstate(ch, dp, closes)
        dp["evidence_details"]["past_due"] = not responds
        w.rec.emit("charge.dispute.closed", dp, closes)
        if dp["status"] == "won":
            w.rec.emit("charge.dispute.funds_reinstated", dp, closes + 1)
        return dp

    def _withdraw(self, ch: Obj, dp: Obj, at: int) -> None:
        txn = self.move(DISPUTE_WITHDRAWAL, dp, at, f"Chargeback withdrawal for {ch['id']}")
        dp["balance_transactions"].append(embedded_txn(txn, at))
        dp["is_charge_refundable"] = False

    def _reinstate(self, ch: Obj, dp: Obj, at: int) -> None:
        txn = self.move(DISPUTE_REINSTATEMENT, dp, at, f"Chargeback reversal for {ch['id']}")
        dp["balance_transactions"].append(embedded_txn(txn, at))


def embedded_txn(txn: Obj, at: int) -> Obj:
    """A balance transaction as embedded in another object at `at` (its status as of then)."""
    copy = clone(txn)
    copy["status"] = "available" if txn["available_on"] <= at else "pending"
    return copy
