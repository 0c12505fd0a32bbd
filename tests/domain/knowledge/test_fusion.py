"""Reciprocal rank fusion, by hand: each item earns 1 / (60 + rank) from each ranking."""

from __future__ import annotations

import pytest
from vaultra.domain.knowledge.fusion import fuse


def test_agreement_between_rankings_beats_one_first_place() -> None:
    lexical = ["a", "b", "c"]
    dense = ["c", "b", "d"]
    fused = dict(fuse([lexical, dense]))
    # b: 1/62 + 1/62 = 0.032258…; c: 1/63 + 1/61 = 0.032266…; a: 1/61 = 0.016393…
    assert fused["b"] == pytest.approx(2 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert [item for item, _ in fuse([lexical, dense])] == ["c", "b", "a", "d"]


def test_ties_keep_the_first_rankings_order() -> None:
    # x and y each hold one first place: 1/61 each; x was seen first
    assert [item for item, _ in fuse([["x"], ["y"]])] == ["x", "y"]


def test_one_ranking_is_kept_as_it_is() -> None:
    assert [item for item, _ in fuse([["p", "q", "r"]])] == ["p", "q", "r"]
    assert fuse([]) == []
