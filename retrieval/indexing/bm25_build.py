"""BM25 built in two passes over token lists read from disk, in memory bounded by the index itself.

``SparseIndex.build`` hands bm25s every chunk's tokens at once (Python lists of ids: ~36 bytes a token,
twice over for the two fields). This builder keeps only the vocabulary, each chunk's length and each
term's document frequency in the first pass; the second pass places each (chunk, score) pair straight
into its column of the CSC arrays (a counting sort: each column's size is its document frequency), so
the only large arrays are the index's own (4 + 4 bytes per chunk-term pair). The scores are bm25s's
Lucene BM25 (same idf, same term-frequency part, float32), saved in bm25s's format: ``SparseIndex.load``
and search are unchanged (tested equal to ``SparseIndex.build``).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np

from retrieval.sparse import BM25_B, BM25_K1, SparseIndex

EMPTY = ""  # the token an empty chunk counts as (as SparseIndex.build does for bm25s)


class Bm25Builder:
    """``add`` every chunk's tokens in index order (pass 1), then ``fill`` the same chunks in the same
    order (pass 2), then ``index()``."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.df = array("q")
        self.lengths = array("i")
        self._data: np.ndarray | None = None
        self._indices: np.ndarray | None = None
        self._next: np.ndarray | None = None
        self._row = 0

    def add(self, tokens: Sequence[str]) -> None:
        tokens = tokens or (EMPTY,)
        self.lengths.append(len(tokens))
        vocab, df = self.vocab, self.df
        for term in set(tokens):
            tid = vocab.get(term)
            if tid is None:
                tid = vocab[term] = len(df)
                df.append(0)
            df[tid] += 1

    def _start_fill(self) -> None:
        if EMPTY not in self.vocab:  # bm25s always has the empty token (with no chunk)
            self.vocab[EMPTY] = len(self.df)
            self.df.append(0)
        df = np.frombuffer(self.df, dtype=np.int64) if len(self.df) else np.zeros(0, np.int64)
        nnz = int(df.sum())
        self.indptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=self.indptr[1:])
        self._next = self.indptr[:-1].copy()
        self._data = np.empty(nnz, dtype=np.float32)
        self._indices = np.empty(nnz, dtype=np.int32)
        n = len(self.lengths)
        self.n_docs = n
        self.avg_len = float(np.frombuffer(self.lengths, dtype=np.int32).mean()) if n else 0.0
        # Lucene idf, in float32 as bm25s stores it
        self._idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self._k1 = np.float32(BM25_K1)
        self._b = np.float32(BM25_B)

    def fill(self, tokens: Sequence[str]) -> None:
        if self._data is None:
            self._start_fill()
        tokens = tokens or (EMPTY,)
        counts = Counter(tokens)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        length = np.float32(len(tokens))
        avg = np.float32(self.avg_len)
        tfc = tf / (self._k1 * ((np.float32(1) - self._b) + self._b * length / avg) + tf)
        pos = self._next[ids]
        self._data[pos] = self._idf[ids] * tfc
        self._indices[pos] = self._row
        self._next[ids] += 1
        self._row += 1

    def index(self) -> SparseIndex:
        if self._data is None:
            self._start_fill()
        if self._row != self.n_docs:
            raise ValueError(f"BM25: {self._row} chunks filled, {self.n_docs} added")
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        bm25.scores = {
            "data": self._data,
            "indices": self._indices,
            "indptr": self.indptr,
            "num_docs": self.n_docs,
        }
        bm25.vocab_dict = self.vocab
        bm25.unique_token_ids_set = set(self.vocab.values())
        bm25.nonoccurrence_array = None
        return SparseIndex(bm25, self.n_docs)
