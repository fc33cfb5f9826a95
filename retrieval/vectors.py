"""Dense vector index: FAISS inner product over L2-normalized vectors (= cosine).

Sizes (measured by `make bench` and eval/serve_bench.py, README "FAISS" and "Serving a long archive"):
exact (flat) below 50,000 vectors; HNSW (M=32, efSearch=128) above, its vectors kept as float32 up to
250,000 and as 8-bit scalar-quantized codes above (1.5 GB → 384 MB at 1M; the searcher re-scores the
candidates with the exact float32 rows of vectors.npy, so only the candidate list is approximate).
A loaded index is memory-mapped (``IO_FLAG_MMAP_IFC``): its codes stay in the page cache, shared and
evictable, instead of the process's own memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 50_000
SQ8_THRESHOLD = 250_000
SQ8_TRAIN_ROWS = 100_000  # rows the scalar quantizer's per-dimension ranges are trained on
HNSW_M = 32
HNSW_EF_SEARCH = 128
# A filter keeping fewer rows than this is searched exactly over those rows (HNSW with a very
# selective filter walks the graph for long and can return fewer than k neighbours).
EXACT_FILTER_MAX = 20_000

RowReader = Callable[[np.ndarray], np.ndarray]  # exact float32 vectors of some rows


class VectorIndex:
    def __init__(self, index: faiss.Index, rows: RowReader | None = None) -> None:
        self.index = index
        self.rows = rows  # exact vectors (when the index's own codes are approximate or mapped)

    @property
    def kind(self) -> str:
        if isinstance(self.index, faiss.IndexHNSWSQ):
            return "hnsw_sq8"
        return "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "flat"

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    @classmethod
    def build(
        cls, vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD, sq8_threshold: int = SQ8_THRESHOLD
    ) -> VectorIndex:
        """``vectors`` may be a memory map: it is added in slices of 50,000 rows."""
        n, dim = vectors.shape
        if n >= max(hnsw_threshold, sq8_threshold):
            index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            step = max(1, n // SQ8_TRAIN_ROWS)
            index.train(np.ascontiguousarray(vectors[::step][:SQ8_TRAIN_ROWS], dtype=np.float32))
        elif n >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexFlatIP(dim)
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = HNSW_EF_SEARCH
        for i in range(0, n, 50_000):
            index.add(np.ascontiguousarray(vectors[i : i + 50_000], dtype=np.float32))
        return cls(index)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) for one query vector; ``allowed`` restricts to these ids."""
        if self.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        k = min(k, self.size)
        params = None
        hnsw = self.kind != "flat"
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            if hnsw and len(allowed) <= EXACT_FILTER_MAX:
                return self._exact_subset(q[0], k, np.asarray(allowed, dtype=np.int64))
            sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = (
                faiss.SearchParametersHNSW(sel=sel, efSearch=HNSW_EF_SEARCH)
                if hnsw
                else faiss.SearchParameters(sel=sel)
            )
            k = min(k, len(allowed))
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # one query: OpenMP threads would only spin against onnxruntime's
        try:
            scores, ids = self.index.search(q, k, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The exact vectors of these ids: from ``rows`` when given, else the index's own copy."""
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self.rows is not None:
            return self.rows(ids)
        return self.index.reconstruct_batch(ids)

    def _exact_subset(self, q: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = self.vectors(rows) @ q
        k = min(k, len(rows))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return rows[best], scores[best].astype(np.float32)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, rows: RowReader | None = None, mmap: bool = False) -> VectorIndex:
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        return cls(faiss.read_index(str(path), flags), rows)
