"""Rank fusion: pure functions over ranked id lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 60  # the constant of Cormack et al. (2009); a setting, named here for its default


def rrf(
    rankings: Mapping[str, Sequence[int]],
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> dict[int, float]:
    """Weighted reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks 1-based."""
    scores: dict[int, float] = {}
    for name, ranked in rankings.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        if w == 0:
            continue
        for rank, item in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return scores


def top(scores: Mapping[int, float], n: int) -> list[tuple[int, float]]:
    """The n best (item, score) pairs, ties broken by item id for determinism."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
