"""Diacritic restoration for queries typed without accents, learned from the indexed corpus.

"bao cao nam gui truoc ngay nao" -> "báo cáo năm gửi trước ngày nào": a syllable bigram model
counted over the corpus picks, by Viterbi, the accented form of each plain syllable. The model is
stored in the index (JSON), so restoration fits the documents actually searched.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from retrieval.segment import strip_accents, syllables

_BOS = "<s>"


class AccentModel:
    def __init__(self, unigrams: dict[str, dict[str, int]], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams  # plain syllable -> {accented form: count}
        self.bigrams = bigrams  # "acc1 acc2" -> count
        self.total = sum(sum(v.values()) for v in unigrams.values()) or 1

    @classmethod
    def build(cls, texts: Iterable[str], min_bigram: int = 1) -> AccentModel:
        uni: dict[str, Counter] = defaultdict(Counter)
        bi: Counter = Counter()
        for text in texts:
            prev = _BOS
            for syl in syllables(text):
                uni[strip_accents(syl)][syl] += 1
                bi[f"{prev} {syl}"] += 1
                prev = syl
        bigrams = {k: v for k, v in bi.items() if v >= min_bigram}
        return cls({k: dict(v) for k, v in uni.items()}, bigrams)

    def _uni_count(self, acc: str) -> int:
        return self.unigrams.get(strip_accents(acc), {}).get(acc, 0)

    def _logp(self, prev: str, acc: str) -> float:
        # Interpolated bigram/unigram with add-one smoothing: good enough to choose among a few forms.
        big = self.bigrams.get(f"{prev} {acc}", 0)
        prev_count = self._uni_count(prev) if prev != _BOS else self.total
        p_bi = big / prev_count if prev_count else 0.0
        p_uni = (self._uni_count(acc) + 1) / (self.total + len(self.unigrams))
        return math.log(0.8 * p_bi + 0.2 * p_uni)

    def restore(self, query: str) -> str:
        """Accented reading of an unaccented query; unknown syllables are kept as typed."""
        sylls = syllables(query)
        if not sylls:
            return query
        # Viterbi over candidate accented forms.
        beams: dict[str, tuple[float, list[str]]] = {_BOS: (0.0, [])}
        for syl in sylls:
            cands = list(self.unigrams.get(syl, {}).keys()) or [syl]
            new: dict[str, tuple[float, list[str]]] = {}
            for cand in cands:
                best = max(
                    ((score + self._logp(prev, cand), path) for prev, (score, path) in beams.items()),
                    key=lambda x: x[0],
                )
                new[cand] = (best[0], best[1] + [cand])
            beams = new
        return " ".join(max(beams.values(), key=lambda x: x[0])[1])

    def to_json(self) -> dict:
        return {"unigrams": self.unigrams, "bigrams": self.bigrams}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AccentModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["unigrams"], data["bigrams"])
