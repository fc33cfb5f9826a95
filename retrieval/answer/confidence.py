"""Is the answer in the retrieved passages at all? A confidence signal computed from the hits, and
the calibration of the refusal threshold on answerable / no-answer questions.

The signal never rests on a raw cosine (e5 cosines sit in a narrow band; unrelated text scores
≈ 0.75). It combines:

- ``coverage``: IDF-weighted share of the question's content words found in the single best
  sentence of the top passages (the extractive scorer's view; question words absent from every
  passage weigh the most, so "lương tối thiểu vùng 2024" against plans about studying Hồ Chí Minh
  scores low);
- ``passage_coverage``: share of the question's content words found anywhere in the top 3 passages;
- ``agreement``: whether BM25 and the dense retriever both rank the top hit high (from
  ``SearchHit.scores`` ranks: 1.0 both in their top 3, 0.5 one of them, 0 neither; left out when
  the hits carry no per-retriever ranks);
- ``margin``: how far the top fused score stands above the median of the others;
- ``dense_z``: when hits carry ``scores["dense_cosine"]``, the top hit's cosine as a z-score over
  the hits' cosines (relative, never absolute), squashed to 0..1.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from retrieval.answer.extractive import profile, score_sentences, tokens
from retrieval.answer.passages import Passage, passages_from_hits
from retrieval.types import SearchHit

# Calibrated on eval/questions.jsonl (eval/answer_eval.py): the highest threshold that still answers
# >= 90 % of the answerable questions (their 10th percentile is 0.48; out-of-domain questions score
# 0.13-0.46). The balanced optimum (0.70) would refuse half the answerable questions, because the set's
# no-answer questions are near misses (on-topic plans, missing figure) that retrieval confidence
# cannot separate; see README.
DEFAULT_REFUSAL_THRESHOLD = 0.44
WEIGHTS = {"coverage": 0.55, "passage_coverage": 0.15, "agreement": 0.15, "margin": 0.05, "dense_z": 0.10}
_BM25_KEYS = ("bm25", "bm25_plain")
_DENSE_KEYS = ("dense",)


@dataclass(frozen=True)
class ConfidenceFeatures:
    coverage: float
    passage_coverage: float
    agreement: float | None
    margin: float | None
    dense_z: float | None

    def score(self) -> float:
        """Weighted mean of the available features, in 0..1."""
        total = weight = 0.0
        for name, w in WEIGHTS.items():
            value = getattr(self, name)
            if value is not None:
                total += w * value
                weight += w
        return total / weight if weight else 0.0


def _best_rank(scores: dict, keys: Sequence[str]) -> int | None:
    ranks = [scores[k] for k in keys if isinstance(scores.get(k), int) and not isinstance(scores[k], bool)]
    return min(ranks) if ranks else None


def agreement(hit: SearchHit, top_n: int = 3) -> float | None:
    """1.0 when BM25 and dense both rank the hit in their top ``top_n``, 0.5 for one, 0 for neither."""
    has_bm25 = any(k in hit.scores for k in _BM25_KEYS)
    has_dense = any(k in hit.scores for k in _DENSE_KEYS)
    if not (has_bm25 and has_dense):
        return None
    bm25, dense = _best_rank(hit.scores, _BM25_KEYS), _best_rank(hit.scores, _DENSE_KEYS)
    return ((bm25 is not None and bm25 <= top_n) + (dense is not None and dense <= top_n)) / 2.0


def margin(hits: Sequence[SearchHit]) -> float | None:
    """(top - median of the rest) / top of the fused scores, in 0..1."""
    if len(hits) < 3 or hits[0].score <= 0:
        return None
    rest = statistics.median(h.score for h in hits[1:])
    return max(0.0, min(1.0, (hits[0].score - rest) / hits[0].score))


def dense_z(hits: Sequence[SearchHit]) -> float | None:
    cos = [h.scores.get("dense_cosine") for h in hits]
    vals = [float(c) for c in cos if isinstance(c, (int, float))]
    if len(vals) < 3 or cos[0] is None:
        return None
    sd = statistics.pstdev(vals)
    if sd == 0:
        return 0.5
    z = (float(cos[0]) - statistics.mean(vals)) / sd
    return 1.0 / (1.0 + math.exp(-(z - 1.0)))


def features(question: str, hits: Sequence[SearchHit], passages: Sequence[Passage] | None = None):
    hits = sorted(hits, key=lambda h: h.rank)
    if not hits:
        return ConfidenceFeatures(0.0, 0.0, None, None, None)
    passages = list(passages) if passages is not None else passages_from_hits(hits, limit=5)
    scored = score_sentences(question, passages)
    coverage = max((s.coverage for s in scored), default=0.0)
    q = set(profile(question).tokens)
    seen: set[str] = set()
    for p in passages[:3]:
        for span in p.sentences:
            seen |= tokens(p.quote(span))
    passage_cov = len(q & seen) / len(q) if q else 0.0
    return ConfidenceFeatures(coverage, passage_cov, agreement(hits[0]), margin(hits), dense_z(hits))


def confidence(question: str, hits: Sequence[SearchHit], passages: Sequence[Passage] | None = None) -> float:
    """0..1: how likely the hits contain the answer (compare with the calibrated threshold)."""
    return features(question, hits, passages).score()


@dataclass(frozen=True)
class Calibration:
    threshold: float  # answer when confidence >= threshold
    answer_recall: float  # share of answerable questions that would be answered
    refusal_recall: float  # share of no-answer questions that would be refused
    n_answerable: int
    n_unanswerable: int

    @property
    def balanced_accuracy(self) -> float:
        return (self.answer_recall + self.refusal_recall) / 2


def calibrate_refusal(pairs: Iterable[tuple[float, bool]], refusal_weight: float = 1.0) -> Calibration:
    """Pick the threshold maximizing answer_recall + refusal_weight * refusal_recall over
    (confidence, is_answerable) pairs. Candidates are midpoints between observed scores; ties go to
    the highest (safest: a wrong answer costs more than a refusal).
    """
    data = [(float(s), bool(a)) for s, a in pairs]
    pos = [s for s, a in data if a]
    neg = [s for s, a in data if not a]
    if not pos or not neg:
        raise ValueError("cần cả câu hỏi có đáp án và câu hỏi không có đáp án để hiệu chỉnh ngưỡng")
    values = sorted({s for s, _ in data})
    cands = [values[0] - 1e-6] + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)]
    cands.append(values[-1] + 1e-6)

    def objective(t: float) -> tuple[float, float, float]:
        ar = sum(s >= t for s in pos) / len(pos)
        rr = sum(s < t for s in neg) / len(neg)
        return ar + refusal_weight * rr, ar, rr

    results = [(objective(t), t) for t in cands]
    best = max(r[0][0] for r in results)
    tied = [t for (obj, _, _), t in results if math.isclose(obj, best)]
    threshold = max(tied)
    _, ar, rr = objective(threshold)
    return Calibration(threshold, ar, rr, len(pos), len(neg))
