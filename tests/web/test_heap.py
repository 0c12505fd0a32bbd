"""Settling the start-up heap: garbage collected first, everything left frozen."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from vaultra.web import heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_start_up_garbage_is_collected_and_what_lives_is_frozen(thawed: None) -> None:
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    kept = _Node()

    heap.settle()

    assert gone() is None  # collected before the freeze, not frozen with the rest
    # What lives is in the permanent generation, which no collection walks.
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())
