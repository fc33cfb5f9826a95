"""Retrieval metrics: pure functions, per query, and their means."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def rank_of_first_gold(ranked: Sequence[str], gold: Mapping[str, float]) -> int | None:
    """1-based rank of the first relevant item, or None."""
    for i, item in enumerate(ranked, start=1):
        if gold.get(item, 0) > 0:
            return i
    return None


def recall_at(ranked: Sequence[str], gold: Mapping[str, float], k: int) -> float:
    rel = {d for d, g in gold.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel.intersection(ranked[:k])) / len(rel)


def mrr_at(ranked: Sequence[str], gold: Mapping[str, float], k: int = 10) -> float:
    r = rank_of_first_gold(ranked[:k], gold)
    return 0.0 if r is None else 1.0 / r


def ndcg_at(ranked: Sequence[str], gold: Mapping[str, float], k: int = 10) -> float:
    dcg = sum(gold.get(d, 0) / math.log2(i + 1) for i, d in enumerate(ranked[:k], start=1))
    ideal = sorted((g for g in gold.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return 0.0 if idcg == 0 else dcg / idcg


def per_query(ranked: Sequence[str], gold: Mapping[str, float]) -> dict:
    return {
        "rank_of_first_gold": rank_of_first_gold(ranked, gold),
        "recall@1": recall_at(ranked, gold, 1),
        "recall@5": recall_at(ranked, gold, 5),
        "recall@10": recall_at(ranked, gold, 10),
        "mrr@10": mrr_at(ranked, gold, 10),
        "ndcg@10": ndcg_at(ranked, gold, 10),
    }


METRIC_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")


def mean_metrics(rows: Sequence[Mapping]) -> dict[str, float]:
    if not rows:
        return {k: 0.0 for k in METRIC_KEYS}
    return {k: sum(r[k] for r in rows) / len(rows) for k in METRIC_KEYS}
