"""The grounding check: every number an answer states must come from a tool result of that turn.

A founder acts on what the agent says ("your refund rate is 4.1 %"), so a number a model made up
is worse than no answer. The check reads every number in the answer, with the resolution it was
written at, and looks for a number in the turn's tool results (or the question itself) that it
could be a rounding of — in the unit the tools use or the one people write:

- amounts are stored in minor units: 2,000,000 (cents) may be written "$20,000" or "$20K";
- ratios are fractions: 0.0123 may be written "1.2 %" or "1.23%";
- "20K" and "1.5M" mean thousands and millions, rounded at their last digit.

What it does not check, on purpose: dates and years (they name a period, not a measure), numbers
glued to a word ("score-2", "#3", "gpt-4o"), list markers at the start of a line, and bare whole
numbers up to `SMALL` (counts of things in the answer itself: "3 recommendations", "step 2") —
the price of not flagging every sentence that counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SMALL = 10
_NUMBER = re.compile(
    r"""
    (?<![\w.#/:@-])                 # not glued to a word, an id, a path or a version
    (?P<sign>[-−])?
    (?P<currency>[$€£])?
    (?P<digits>\d{1,3}(?:,\d{3})+|\d+)
    (?P<fraction>\.\d+)?
    (?P<unit>\s?%|\s?[kKmM]\b|\s?(?:thousand|million|billion)\b)?
    (?![\w-]*\d)                    # not the start of an id such as 2026-11-20 or v1.2.3
    """,
    re.VERBOSE,
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.+Z-]+)?\b")
_LIST_MARKER = re.compile(r"(?m)^\s*\d+[.)]\s")
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "billion": 10**9}


@dataclass(frozen=True)
class Stated:
    """A number as the answer wrote it: its text, value and the half-step it was rounded to."""

    text: str
    value: Decimal
    resolution: Decimal
    percent: bool
    money: bool = False


@dataclass(frozen=True)
class Grounding:
    stated: tuple[Stated, ...]
    ungrounded: tuple[Stated, ...]

    @property
    def ok(self) -> bool:
        return not self.ungrounded


def stated_numbers(text: str) -> list[Stated]:
    """The numbers `text` states, skipping dates, list markers and numbers glued to words."""
    text = _LIST_MARKER.sub(" ", _DATE.sub(" ", text))
    found = []
    for match in _NUMBER.finditer(text):
        digits = match["digits"].replace(",", "")
        fraction = match["fraction"] or ""
        unit = (match["unit"] or "").strip().lower()
        try:
            value = Decimal(digits + fraction)
        except InvalidOperation:
            continue
        places = len(fraction) - 1 if fraction else 0
        resolution = Decimal(1).scaleb(-places) / 2
        scale = _SCALE.get(unit, 1)
        value, resolution = value * scale, resolution * scale
        if match["sign"]:
            value = -value
        is_year = not fraction and not unit and not match["currency"] and 1900 <= value <= 2100
        is_small = not fraction and not unit and not match["currency"] and abs(value) <= SMALL
        if is_year or is_small:
            continue
        found.append(
            Stated(match.group(0).strip(), value, resolution, unit == "%", bool(match["currency"]))
        )
    return found


def source_numbers(results: Iterable[Any]) -> set[Decimal]:
    """Every number in the tool results: numeric leaves, and numbers written inside strings
    (explanations say "0.65 %" or "$5K a month")."""
    numbers: set[Decimal] = set()
    for leaf in _leaves(results):
        if isinstance(leaf, bool):
            continue
        if isinstance(leaf, int | float | Decimal):
            try:
                numbers.add(Decimal(str(leaf)))
            except InvalidOperation:
                continue
        elif isinstance(leaf, str):
            numbers.update(s.value / 100 if s.percent else s.value for s in _all_numbers(leaf))
    return numbers


def check(answer: str, results: Iterable[Any], question: str = "") -> Grounding:
    """Which of the answer's numbers no tool result (nor the question) supports."""
    sources = {abs(n) for n in source_numbers([*results, question])}
    # a percentage is a fraction × 100 (percentages written in the results' text were read as
    # fractions); an amount, or a bare number, is as written or minor units ÷ 100
    percent = sorted(n * 100 for n in sources)
    money = sorted({*sources, *(n / 100 for n in sources)})
    stated = stated_numbers(answer)
    ungrounded = tuple(s for s in stated if not _supported(s, percent if s.percent else money))
    return Grounding(tuple(stated), ungrounded)


def flag(answer: str, ungrounded: Iterable[Stated]) -> str:
    """The answer with each unsupported number marked for the reader."""
    for stated in {s.text for s in ungrounded}:
        answer = re.sub(
            rf"(?<![\w.]){re.escape(stated)}(?![\w])", f"{stated} [unverified]", answer, count=0
        )
    return answer


def _all_numbers(text: str) -> list[Stated]:
    """Like `stated_numbers`, keeping small numbers and years (a source may hold any)."""
    out = []
    for match in _NUMBER.finditer(text):
        digits = match["digits"].replace(",", "")
        unit = (match["unit"] or "").strip().lower()
        try:
            value = Decimal(digits + (match["fraction"] or "")) * _SCALE.get(unit, 1)
        except InvalidOperation:
            continue
        out.append(
            Stated(match.group(0), -value if match["sign"] else value, Decimal(0), unit == "%")
        )
    return out


def _supported(stated: Stated, forms: list[Decimal]) -> bool:
    low = abs(stated.value) - stated.resolution - Decimal("1e-9")
    high = abs(stated.value) + stated.resolution + Decimal("1e-9")
    # binary search for any form in [low, high]
    lo, hi = 0, len(forms)
    while lo < hi:
        mid = (lo + hi) // 2
        if forms[mid] < low:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(forms) and forms[lo] <= high


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
