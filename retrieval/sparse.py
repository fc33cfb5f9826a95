"""Sparse retrieval: bm25s over segmented tokens, one index with diacritics and one without.

A search process reads the saved arrays through ``DiskPostings``: the term index (``indptr``) and the
vocabulary in memory, each query term's postings read from the files when asked for (``pread``), so the
postings of a large archive stay in the shared page cache instead of the process (issue 13).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from retrieval.indexing.tables import open_read, read_at
from retrieval.store import npy_layout

logging.getLogger("bm25s").setLevel(logging.WARNING)

# Anserini's BEIR defaults; on ALQAC they beat k1=1.2/b=0.75 by ~.015 MRR@10 (README).
BM25_K1 = 0.9
BM25_B = 0.4


class SparseIndex:
    def __init__(self, bm25: bm25s.BM25, size: int) -> None:
        self.bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, corpus_tokens: Sequence[Sequence[str]]) -> SparseIndex:
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        # An empty document still needs one token for bm25s; "" is its reserved empty token.
        bm25.index([list(t) if t else [""] for t in corpus_tokens], show_progress=False)
        return cls(bm25, len(corpus_tokens))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for one tokenized query (zeros when nothing matches)."""
        toks = [t for t in query_tokens if t in self.bm25.vocab_dict]
        if not toks or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(toks), dtype=np.float32)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> SparseIndex:
        bm25 = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False, verbosity=0)
        return cls(bm25, size)


# A query reads the postings of its rarest terms up to this many entries; the commoner terms beyond
# are left out. Only a large archive reaches it (a question's terms at 100k chunks: ~0.6M postings):
# at 1M chunks the most common syllables and bigrams each list 40-80 % of the chunks (a question's
# postings: 6.5M, median) and add little to the ranking — measured on ALQAC replicated to 1M chunks,
# BM25 MRR@10 0.860 with every term, 0.860 at this budget, p50 74 → 12.5 ms (eval/serve_bench.py).
POSTINGS_BUDGET = 1_000_000


class DiskPostings:
    """A saved bm25s index scored from its files: same scores as ``SparseIndex.load(...).scores``
    while a query's postings fit ``budget`` entries (see POSTINGS_BUDGET)."""

    def __init__(self, folder: Path, size: int, budget: int | None = POSTINGS_BUDGET) -> None:
        self.size, self.budget = size, budget
        self.vocab: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        self.indptr = np.load(folder / "indptr.csc.index.npy", allow_pickle=False)
        self._data = _Column(folder / "data.csc.index.npy")
        self._indices = _Column(folder / "indices.csc.index.npy")

    def terms(self, query_tokens: Sequence[str]) -> tuple[list[int], list[int]]:
        """The query's term ids that are scored, and how often each occurs in the query: all of them,
        or the rarest ones whose postings fit the budget (at least one term)."""
        counts: dict[int, int] = {}
        for t in query_tokens:
            if t in self.vocab:
                counts[self.vocab[t]] = counts.get(self.vocab[t], 0) + 1
        ids = sorted(counts, key=lambda t: (self.indptr[t + 1] - self.indptr[t], t))
        if self.budget is not None:
            volume = 0
            for n, t in enumerate(ids):
                volume += int(self.indptr[t + 1] - self.indptr[t])
                if volume > self.budget and n:
                    ids = ids[:n]
                    break
        return ids, [counts[t] for t in ids]

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for one tokenized query (zeros when nothing matches)."""
        ids, counts = self.terms(query_tokens)
        if not ids or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        rows = np.concatenate([self._indices.read(self.indptr[t], self.indptr[t + 1]) for t in ids])
        weights = np.concatenate(
            [
                self._data.read(self.indptr[t], self.indptr[t + 1]) * np.float32(c)
                for t, c in zip(ids, counts, strict=True)
            ]
        )
        return np.bincount(rows, weights=weights, minlength=self.size).astype(np.float32)


class _Column:
    """A one-dimensional ``.npy`` array read by slices."""

    def __init__(self, path: Path) -> None:
        _, self.dtype, _, self.offset = npy_layout(path)
        self.fd = open_read(path, self)

    def read(self, start, end) -> np.ndarray:
        size = self.dtype.itemsize
        raw = read_at(self.fd, (int(end) - int(start)) * size, self.offset + int(start) * size)
        return np.frombuffer(raw, dtype=self.dtype)


def rank(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Ids of the k best positive scores, best first (ties by id)."""
    if allowed is not None:
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        scores = masked
    pos = np.flatnonzero(scores > 0)
    if len(pos) == 0:
        return pos
    if len(pos) > k:
        part = np.argpartition(-scores[pos], k - 1)[:k]
        pos = pos[part]
    order = np.lexsort((pos, -scores[pos]))
    return pos[order]
