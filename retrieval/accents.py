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
    MAX_CANDIDATES = 8  # most frequent accented forms considered per plain syllable

    def __init__(self, unigrams: dict[str, dict[str, int]], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams  # plain syllable -> {accented form: count}
        self.bigrams = bigrams  # "acc1 acc2" -> count
        self.counts = {acc: n for forms in unigrams.values() for acc, n in forms.items()}
        self.total = sum(self.counts.values()) or 1
        self._denominator = self.total + len(self.unigrams)
        self._candidates = {
            plain: sorted(forms, key=lambda f: -forms[f])[: self.MAX_CANDIDATES]
            for plain, forms in unigrams.items()
        }

    @classmethod
    def build(cls, texts: Iterable[str], min_bigram: int = 1) -> AccentModel:
        counter = AccentCounter()
        for text in texts:
            counter.add(text)
        return counter.model(min_bigram)

    def _logp(self, prev: str, acc: str) -> float:
        # Interpolated bigram/unigram with add-one smoothing: good enough to choose among a few forms.
        prev_count = self.counts.get(prev, 0) if prev != _BOS else self.total
        p_bi = self.bigrams.get(f"{prev} {acc}", 0) / prev_count if prev_count else 0.0
        p_uni = (self.counts.get(acc, 0) + 1) / self._denominator
        return math.log(0.8 * p_bi + 0.2 * p_uni)

    def restore(self, query: str) -> str:
        """Accented reading of an unaccented query (Viterbi); unknown syllables are kept as typed."""
        sylls = syllables(query)
        if not sylls:
            return query
        prev_cands = [_BOS]
        scores = [0.0]
        back: list[list[int]] = []
        lattice: list[list[str]] = []
        for syl in sylls:
            cands = self._candidates.get(syl) or [syl]
            new_scores, pointers = [], []
            for cand in cands:
                best_j = max(
                    range(len(prev_cands)), key=lambda j: scores[j] + self._logp(prev_cands[j], cand)
                )
                new_scores.append(scores[best_j] + self._logp(prev_cands[best_j], cand))
                pointers.append(best_j)
            lattice.append(cands)
            back.append(pointers)
            prev_cands, scores = cands, new_scores
        i = max(range(len(scores)), key=scores.__getitem__)
        out = []
        for step in range(len(lattice) - 1, -1, -1):
            out.append(lattice[step][i])
            i = back[step][i]
        return " ".join(reversed(out))

    def to_json(self) -> dict:
        return {"unigrams": self.unigrams, "bigrams": self.bigrams}

    @classmethod
    def from_json(cls, data: dict) -> AccentModel:
        return cls(data["unigrams"], data["bigrams"])

    @classmethod
    def merged(cls, models: list[AccentModel]) -> AccentModel:
        """The model of several corpora together (counts add up)."""
        if len(models) == 1:
            return models[0]
        uni: dict[str, Counter] = defaultdict(Counter)
        bi: Counter = Counter()
        for m in models:
            for plain, forms in m.unigrams.items():
                uni[plain].update(forms)
            bi.update(m.bigrams)
        return cls({k: dict(v) for k, v in uni.items()}, dict(bi))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AccentModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


class AccentCounter:
    """The counts behind an AccentModel, fed one text at a time (a build streams its chunks)."""

    def __init__(self) -> None:
        self.uni: dict[str, Counter] = defaultdict(Counter)
        self.bi: Counter = Counter()
        self._plain: dict[str, str] = {}  # each distinct syllable stripped once

    def add(self, text: str) -> None:
        prev = _BOS
        uni, bi, plain = self.uni, self.bi, self._plain
        for syl in syllables(text):
            key = plain.get(syl)
            if key is None:
                key = plain[syl] = strip_accents(syl)
            uni[key][syl] += 1
            bi[f"{prev} {syl}"] += 1
            prev = syl

    def model(self, min_bigram: int = 1) -> AccentModel:
        bigrams = {k: v for k, v in self.bi.items() if v >= min_bigram}
        return AccentModel({k: dict(v) for k, v in self.uni.items()}, bigrams)
