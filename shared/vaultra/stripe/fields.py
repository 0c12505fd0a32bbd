"""Typed reads of a Stripe object's fields, for the mappers. Pure.

A signed event is genuine but its contents are still input: a field of the wrong type (an amount
"abc", a list where Stripe sends an object) must become a refusal naming the object, its id and
the field — not a TypeError halfway through a batch. Only the fields a mapper reads are looked at;
any other field, known or new, is left alone (Stripe adds fields without a new API version).

Ranges and lengths are not judged here: they belong to the columns the values land in (see
`vaultra.db.row_checks`). Only what Stripe itself rules out for a field is (a negative quantity).
"""

from __future__ import annotations

import math
from typing import Any, Literal, overload

from vaultra.db.row_checks import describe, label

Obj = dict[str, Any]


class MalformedObject(ValueError):
    """A Stripe object missing what its type requires, or with a field of the wrong type. The
    message names the object, its id and the field."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_words(minimum: float, maximum: float) -> str:
    if math.isfinite(minimum) and math.isfinite(maximum):
        return f"a number from {minimum:g} to {maximum:g}"
    if math.isfinite(minimum):
        return f"a number of at least {minimum:g}"
    if math.isfinite(maximum):
        return f"a number of at most {maximum:g}"
    return "a finite number"


class StripeObject:
    """One Stripe object (or an object nested in one), read field by field with types checked.

    Errors name the outermost object (`charge ch_1`) and the field's path inside it
    (`refunds.data[0].amount`), so a nested mistake is found where it is.
    """

    __slots__ = ("_obj", "_owner", "_path")

    def __init__(self, obj: Obj, owner: str, path: str = "") -> None:
        self._obj = obj
        self._owner = owner
        self._path = path

    @classmethod
    def empty(cls) -> StripeObject:
        """An object with no fields: every read gives null."""
        return cls({}, "")

    @classmethod
    def of(cls, obj: Any) -> StripeObject:
        if not isinstance(obj, dict):
            raise MalformedObject(f"the Stripe object is {describe(obj)}, expected an object")
        kind = obj.get("object")
        name = label(kind) if isinstance(kind, str) else "object"
        return cls(obj, f"{name} {label(obj.get('id', '?'))}")

    # --- errors ---------------------------------------------------------------------------------

    def _wrong(self, field: str, value: Any, expected: str) -> MalformedObject:
        return MalformedObject(
            f"{self._owner}: `{self._path}{field}` is {describe(value)}, expected {expected}"
        )

    def _missing(self, field: str) -> MalformedObject:
        return MalformedObject(f"{self._owner}: missing `{self._path}{field}`")

    def _get(self, field: str, required: bool) -> Any:
        value = self._obj.get(field)
        if value is None and required:
            raise self._missing(field)
        return value

    # --- presence -------------------------------------------------------------------------------

    def has(self, field: str) -> bool:
        return field in self._obj

    def is_empty(self) -> bool:
        return not self._obj

    def is_set(self, field: str) -> bool:
        """Whether the field holds a truthy value (for reads that fall back on falsy ones)."""
        return bool(self._obj.get(field))

    # --- scalars --------------------------------------------------------------------------------

    @overload
    def string(self, field: str, *, required: Literal[True]) -> str: ...
    @overload
    def string(self, field: str, *, required: bool = False) -> str | None: ...
    def string(self, field: str, *, required: bool = False) -> str | None:
        value = self._get(field, required)
        if value is not None and not isinstance(value, str):
            raise self._wrong(field, value, "a string")
        return value

    @overload
    def currency(self, field: str, *, required: Literal[True]) -> str: ...
    @overload
    def currency(self, field: str, *, required: bool = False) -> str | None: ...
    def currency(self, field: str, *, required: bool = False) -> str | None:
        """A currency code, lowercased as the ledger keeps it."""
        value = self.string(field, required=required)
        return None if value is None else value.lower()

    @overload
    def integer(
        self, field: str, *, required: Literal[True], minimum: int | None = None
    ) -> int: ...
    @overload
    def integer(
        self, field: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None: ...
    def integer(
        self, field: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        value = self._get(field, required)
        if value is None:
            return None
        if not _is_int(value):
            raise self._wrong(field, value, "an integer")
        if minimum is not None and value < minimum:
            raise self._wrong(field, value, f"an integer of at least {minimum}")
        return int(value)

    @overload
    def time(self, field: str, *, required: Literal[True]) -> int: ...
    @overload
    def time(self, field: str, *, required: bool = False) -> int | None: ...
    def time(self, field: str, *, required: bool = False) -> int | None:
        value = self._get(field, required)
        if value is not None and not _is_int(value):
            raise self._wrong(field, value, "a unix time in seconds (an integer)")
        return value

    def number(
        self, field: str, *, minimum: float = -math.inf, maximum: float = math.inf
    ) -> int | float | None:
        value = self._get(field, False)
        if value is None:
            return None
        finite = _is_int(value) or (isinstance(value, float) and math.isfinite(value))
        if not (finite and minimum <= value <= maximum):
            raise self._wrong(field, value, _number_words(minimum, maximum))
        return value

    def boolean(self, field: str) -> bool | None:
        value = self._obj.get(field)
        if value is not None and not isinstance(value, bool):
            raise self._wrong(field, value, "a boolean")
        return value

    # --- references and nested objects ----------------------------------------------------------

    @overload
    def expandable_id(self, field: str, *, required: Literal[True]) -> str: ...
    @overload
    def expandable_id(self, field: str, *, required: bool = False) -> str | None: ...
    def expandable_id(self, field: str, *, required: bool = False) -> str | None:
        """An expandable field's id: Stripe sends an id, or the object itself when expanded."""
        value = self._get(field, required)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict):
            return self._nested(field, value).string("id", required=required)
        raise self._wrong(field, value, "an id or an object")

    def expandable(self, field: str) -> StripeObject | None:
        """An expandable field's object when it was expanded; None for a bare id or null."""
        value = self._obj.get(field)
        if value is None or isinstance(value, str):
            return None
        if isinstance(value, dict):
            return self._nested(field, value)
        raise self._wrong(field, value, "an id or an object")

    def nested(self, field: str) -> StripeObject | None:
        """A field holding an object (or null)."""
        value = self._obj.get(field)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(field, value, "an object")
        return self._nested(field, value)

    def objects(self, field: str) -> list[StripeObject] | None:
        """A field holding a list of objects (or null)."""
        value = self._obj.get(field)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._wrong(field, value, "a list of objects")
        return [self._element(field, i, item) for i, item in enumerate(value)]

    def expandables(self, field: str) -> list[StripeObject | None]:
        """A list of expandable references: each an object, or None for a bare id."""
        value = self._obj.get(field)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(field, value, "a list of ids or objects")
        refs: list[StripeObject | None] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                refs.append(StripeObject(item, self._owner, f"{self._path}{field}[{i}]."))
            elif isinstance(item, str):
                refs.append(None)
            else:
                raise self._wrong(f"{field}[{i}]", item, "an id or an object")
        return refs

    def list_data(self, field: str) -> list[StripeObject]:
        """The objects of a Stripe list (`{"object": "list", "data": [...]}`), or none if null."""
        listing = self.nested(field)
        if listing is None:
            return []
        return listing.objects("data") or []

    def _nested(self, field: str, value: Obj) -> StripeObject:
        return StripeObject(value, self._owner, f"{self._path}{field}.")

    def _element(self, field: str, index: int, item: Any) -> StripeObject:
        if not isinstance(item, dict):
            raise self._wrong(f"{field}[{index}]", item, "an object")
        return StripeObject(item, self._owner, f"{self._path}{field}[{index}].")
