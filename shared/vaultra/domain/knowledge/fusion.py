"""Reciprocal rank fusion: one ranking from several, by rank alone.

Full-text ranks (ts_rank_cd) and cosine similarities are on different scales, so hybrid retrieval
fuses their rankings, not their scores: an item earns 1 / (K + rank) from each ranking it appears
in (rank 1 first), and the sums order the result. K = 60 is the constant of Cormack, Clarke and
Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual rank learning methods"
(SIGIR 2009, https://plg.uwaterloo.ca/~gvcormac/cormacksigir09-rrf.pdf): it damps the weight of
the very first places so that agreement between rankings decides.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = 60
T = TypeVar("T", bound=Hashable)


def fuse(rankings: Sequence[Sequence[T]], k: int = K) -> list[tuple[T, float]]:
    """Every item of the rankings with its fused score, best first; ties keep the order in which
    the items were first seen (the first ranking's order before the second's)."""
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))
