"""BM25 built from a file of term ids, in memory bounded by the index arrays themselves.

``SparseIndex.build`` hands bm25s every chunk's tokens at once (Python lists: ~36 bytes a token, twice
over for the two fields). Here the writer gives each token an id as it copies a document
(``TermIds.add``: the vocabulary in memory, the ids appended to a flat int32 file), and ``build_bm25``
reads that file back in blocks, twice: once for the document frequencies, once to place each
(chunk, score) pair straight into its column of the CSC arrays (each column's size is its document
frequency: a counting sort). Both passes are vectorized per block. The accent-stripped field reads the
same file through an id → id map. Scores are bm25s's Lucene BM25 (same idf and term-frequency part,
stored float32) and saved in bm25s's own format: ``SparseIndex.load`` and search are unchanged (tested
equal to ``SparseIndex.build``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

import bm25s
import numpy as np

from retrieval.sparse import BM25_B, BM25_K1, SparseIndex

EMPTY = ""  # the token an empty chunk counts as (as SparseIndex.build does for bm25s)
BLOCK_TOKENS = 1 << 20  # ids read per block (4 MiB of int32; ~60 MiB of temporaries while sorting)


class TermIds:
    """The vocabulary of one field and every chunk's term ids, appended to ``path`` (int32)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vocab: dict[str, int] = {}
        self.lengths = array("i")
        self._fh = path.open("wb")

    def add(self, tokens: Sequence[str]) -> None:
        vocab = self.vocab
        ids = array("i", [vocab.setdefault(t, len(vocab)) for t in tokens or (EMPTY,)])
        self.lengths.append(len(ids))
        self._fh.write(ids.tobytes())

    def close(self) -> None:
        self._fh.close()
        self.vocab.setdefault(EMPTY, len(self.vocab))  # bm25s always has the empty token

    def mapped(self, fold) -> tuple[dict[str, int], np.ndarray]:
        """Another field over the same tokens: (its vocabulary, id here → id there) for ``fold``."""
        vocab: dict[str, int] = {}
        index = np.empty(len(self.vocab), dtype=np.int32)
        for term, i in self.vocab.items():
            index[i] = vocab.setdefault(fold(term), len(vocab))
        vocab.setdefault(EMPTY, len(vocab))
        return vocab, index


def _blocks(path: Path, lengths: np.ndarray, n_terms: int, mapping: np.ndarray | None) -> Iterator[tuple]:
    """(chunk rows, term ids, term frequencies) of each distinct (chunk, term) pair, by block of whole
    chunks, sorted by chunk then term."""
    starts = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    n = len(lengths)
    with path.open("rb") as fh:
        i = 0
        while i < n:
            j = int(np.searchsorted(starts, starts[i] + BLOCK_TOKENS, side="right")) - 1
            j = min(n, max(j, i + 1))
            ids = np.fromfile(fh, dtype=np.int32, count=int(starts[j] - starts[i]))
            terms = mapping[ids] if mapping is not None else ids
            rows = np.repeat(np.arange(i, j, dtype=np.int64), lengths[i:j])
            keys, tf = np.unique(rows * n_terms + terms, return_counts=True)
            yield keys // n_terms, (keys % n_terms).astype(np.int64), tf
            i = j


def build_bm25(
    path: Path, lengths: Sequence[int], vocab: dict[str, int], mapping: np.ndarray | None = None
) -> SparseIndex:
    """The BM25 index of the chunks whose term ids ``path`` holds (``lengths`` ids each), for the
    field whose vocabulary is ``vocab`` (through ``mapping`` when the file holds another field's ids)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    n, n_terms = len(lengths), len(vocab)
    df = np.zeros(n_terms, dtype=np.int64)
    for _, terms, _ in _blocks(path, lengths, n_terms, mapping):
        df += np.bincount(terms, minlength=n_terms)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    data = np.empty(int(indptr[-1]), dtype=np.float32)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)  # Lucene idf, float32 as in bm25s
    avg = float(lengths.mean()) if n else 1.0
    nxt = indptr[:-1].copy()
    for rows, terms, tf in _blocks(path, lengths, n_terms, mapping):
        tf = tf.astype(np.float64)
        tfc = tf / (BM25_K1 * ((1 - BM25_B) + BM25_B * lengths[rows] / avg) + tf)
        score = (idf[terms] * tfc).astype(np.float32)
        order = np.argsort(terms, kind="stable")  # by term, chunks ascending within each term
        t = terms[order]
        within = np.arange(len(t)) - np.searchsorted(t, t, side="left")
        pos = nxt[t] + within
        data[pos] = score[order]
        indices[pos] = rows[order]
        nxt += np.bincount(terms, minlength=n_terms)
    bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
    bm25.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n}
    bm25.vocab_dict = vocab
    bm25.unique_token_ids_set = set(vocab.values())
    bm25.nonoccurrence_array = None
    return SparseIndex(bm25, n)
