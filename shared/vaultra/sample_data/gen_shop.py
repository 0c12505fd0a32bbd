"""A shop taking one-off card payments: daily order volume shaped by seasonality, weekday and
growth; guests, new and returning customers; foreign-currency orders; declines and retries. What
happens to a charge later (refunds, disputes) is `Payments.aftermath`'s business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from vaultra.sample_data import gen_shapes as shapes
from vaultra.sample_data.gen_core import (
    DAY,
    HOUR,
    MINUTE,
    Obj,
    chance,
    midnight,
    month_of,
    pick,
    poisson,
    time_in_day,
    weekday_of,
)
from vaultra.sample_data.gen_money import Card, Payments, World, exchange_rate
from vaultra.sample_data.gen_people import email_for, person_name

MONTH = 30.44 * DAY

_CARD_COUNTRIES = {"usd": ("US",), "eur": ("DE", "FR", "NL", "ES", "IT"), "gbp": ("GB",)}


@dataclass(frozen=True)
class ShopProfile:
    daily_orders: float  # orders on an average day of the first month, at scale 1
    monthly_growth: float
    seasonality: tuple[float, ...]  # January..December multipliers
    basket_median: int  # cents
    basket_spread: float
    guest_share: float
    repeat_share: float  # among signed-in orders, how many come from returning customers
    failure_rate: float
    retry_share: float  # declined shoppers who succeed with another card minutes later
    foreign: tuple[tuple[str, float], ...] = ()  # (currency, share of orders)
    products: tuple[tuple[str, int], ...] = ()
    deletions: int = 0  # customers who ask to be forgotten
    peak_hour_utc: float = 1.0  # 20:00 US Eastern
    weekend_factor: float = 1.15


@dataclass
class Shopper:
    obj: Obj
    card: Card
    currency: str
    last_order: int = 0


class Shop:
    def __init__(self, world: World, payments: Payments, profile: ShopProfile) -> None:
        self.w = world
        self.pay = payments
        self.p = profile
        self.shoppers: list[Shopper] = []
        self.order_number = 1000 + world.rng.randrange(9000)

    def run(self, scale: float) -> None:
        self._catalog()
        w = self.w
        day = midnight(w.start)
        while day < w.now:
            for at in sorted(self._order_times(day, scale)):
                if w.fits(at, 10 * MINUTE):
                    self._order(at)
            day += DAY
        self._forget_some_customers()

    def _catalog(self) -> None:
        """The shop's products are listed in Stripe too, though its orders are plain payments."""
        w = self.w
        at = w.start - 2 * DAY + w.rng.randrange(6 * HOUR)
        for name, amount in self.p.products:
            prod = shapes.product(w.ids.new("prod"), at, name=name, livemode=w.livemode)
            price = shapes.price(
                w.ids.new("price"),
                at,
                product_id=prod["id"],
                unit_amount=amount,
                currency=w.currency,
                livemode=w.livemode,
                nickname=None,
            )
            prod["default_price"] = price["id"]
            w.rec.add("products", prod)
            w.rec.add("prices", price)
            w.rec.emit("product.created", prod, at)
            w.rec.emit("price.created", price, at + 1)
            at += w.rng.randrange(60, 900)

    def _order_times(self, day: int, scale: float) -> list[int]:
        p, rng = self.p, self.w.rng
        months_in = (day - self.w.start) / MONTH
        mean = p.daily_orders * scale * p.seasonality[month_of(day) - 1]
        mean *= p.monthly_growth ** max(months_in, 0)
        if weekday_of(day) >= 5:
            mean *= p.weekend_factor
        count = poisson(rng, mean)
        return [time_in_day(rng, day, p.peak_hour_utc, 5.0) for _ in range(count)]

    def _order(self, at: int) -> None:
        p, rng = self.p, self.w.rng
        shopper = self._shopper_for(at)
        currency = shopper.currency if shopper else pick(rng, self._currency_mix())
        card = shopper.card if shopper else self.pay.new_card(rng.choice(_CARD_COUNTRIES[currency]))
        amount = self._basket(currency, at)
        self.order_number += 1
        guest_name = person_name(rng) if shopper is None else None
        customer = shopper.obj if shopper else None
        pi = self.pay.payment_intent(
            at,
            amount=amount,
            currency=currency,
            customer=customer,
            card=card,
            description=f"Order #{self.order_number}",
        )
        pi["metadata"] = {"order_id": str(self.order_number)}
        email = email_for(guest_name, self.order_number) if guest_name else None
        # Every try at this checkout charges the same payment intent, for the same buyer.
        pay_with = partial(self.pay.attempt, pi, customer=customer, email=email, name=guest_name)
        succeed = not chance(rng, p.failure_rate)
        ch = pay_with(at + 2, card=card, succeed=succeed)
        if not succeed and chance(rng, p.retry_share):
            # The shopper tries another card a few minutes later.
            card = self.pay.new_card(card.details["country"])
            ch = pay_with(at + rng.randrange(MINUTE, 8 * MINUTE), card=card, succeed=True)
            if shopper:
                shopper.card = card
            succeed = True
        if shopper:
            shopper.last_order = at
        if succeed:
            self.pay.aftermath(ch)

    def _shopper_for(self, at: int) -> Shopper | None:
        """None for a guest checkout; otherwise a returning customer or a new one."""
        w, p, rng = self.w, self.p, self.w.rng
        if chance(rng, p.guest_share):
            return None
        if self.shoppers and chance(rng, p.repeat_share):
            # Recent customers come back more often than old ones.
            index = (
                len(self.shoppers) - 1 - int(rng.expovariate(1 / max(len(self.shoppers) / 4, 1)))
            )
            return self.shoppers[max(index, 0)]
        currency = pick(rng, self._currency_mix())
        name = person_name(rng)
        card = self.pay.new_card(rng.choice(_CARD_COUNTRIES[currency]))
        obj = shapes.customer(
            w.ids.new("cus"),
            at - rng.randrange(5, 60),
            name=name,
            email=email_for(name, len(self.shoppers)),
            livemode=w.livemode,
            prefix=w.ids.token(8).upper(),
            pm=None,
        )
        w.rec.add("customers", obj)
        w.rec.emit("customer.created", obj, obj["created"])
        shopper = Shopper(obj, card, currency)
        self.shoppers.append(shopper)
        return shopper

    def _currency_mix(self) -> dict[str, float]:
        foreign = dict(self.p.foreign)
        return {self.w.currency: 1 - sum(foreign.values()), **foreign}

    def _basket(self, currency: str, at: int) -> int:
        """A basket in the order's currency, priced to whole units like a real storefront."""
        rng = self.w.rng
        usd = rng.lognormvariate(math.log(self.p.basket_median), self.p.basket_spread)
        local = usd if currency == self.w.currency else usd / exchange_rate(currency, at)
        return max(500, int(local / 100) * 100 + pick(rng, {0: 0.3, 99: 0.3, 95: 0.2, 50: 0.2}))

    def _forget_some_customers(self) -> None:
        w, rng = self.w, self.w.rng
        candidates = [s for s in self.shoppers if s.last_order]
        for shopper in rng.sample(candidates, min(self.p.deletions, len(candidates))):
            gone = shopper.last_order + int(rng.uniform(30, 120) * DAY)
            if w.fits(gone, 10):
                w.rec.delete("customers", shopper.obj, "customer.deleted", gone)
