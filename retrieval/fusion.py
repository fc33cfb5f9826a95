"""Rank fusion: pure functions over ranked id lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

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


def standardized(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``scores[rows]`` standardized over the whole index (mean 0, std 1 over every row of
    ``scores``; all equal -> zeros)."""
    sd = float(scores.std()) if len(scores) else 0.0
    if sd == 0.0:
        return np.zeros(len(rows), dtype=np.float32)
    return ((scores[rows] - scores.mean()) / sd).astype(np.float32)


def zscore_fusion(
    candidates: Sequence[int], z: Mapping[str, np.ndarray], weights: Mapping[str, float]
) -> dict[int, float]:
    """Convex combination of standardized retriever scores over the candidate set:
    score(d) = sum_r w_r * z_r(d) / sum_r w_r. On ALQAC it beats RRF, which discards score gaps
    (README: "what helped")."""
    total = sum(weights.get(name, 1.0) for name in z) or 1.0
    out: dict[int, float] = {}
    for i in candidates:
        out[i] = sum(weights.get(name, 1.0) * float(arr[i]) for name, arr in z.items()) / total
    return out
