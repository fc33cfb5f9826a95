"""FAISS vector index: flat below the threshold, HNSW above it; HNSW must agree with exact search,
with and without a filter, on real e5 vectors of the sample plans (replicated with noise to reach
a size where the graph matters)."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval import store
from retrieval.vectors import EXACT_FILTER_MAX, HNSW_THRESHOLD, VectorIndex


@pytest.fixture(scope="module")
def real_vectors(sample_index) -> np.ndarray:
    """Sample-plan embeddings plus noisy copies (renormalized): 6,000 unit vectors."""
    manifest = store.read_manifest(sample_index)
    base = np.asarray(store.load_vectors(store.generation_dir(sample_index, manifest) / "vectors.npy"))
    rng = np.random.default_rng(7)
    reps = -(-6000 // len(base))
    v = np.concatenate([base + rng.normal(0, 0.02, base.shape) for _ in range(reps)])[:6000]
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_threshold_picks_the_index_kind(real_vectors):
    assert VectorIndex.build(real_vectors[:100]).kind == "flat"
    assert VectorIndex.build(real_vectors[:100], hnsw_threshold=50).kind == "hnsw"
    assert 20_000 <= HNSW_THRESHOLD <= 200_000


def test_hnsw_agrees_with_flat(real_vectors, tmp_path):
    flat = VectorIndex.build(real_vectors, hnsw_threshold=len(real_vectors) + 1)
    hnsw = VectorIndex.build(real_vectors, hnsw_threshold=0)
    hnsw.save(tmp_path / "d.faiss")
    hnsw = VectorIndex.load(tmp_path / "d.faiss")
    assert hnsw.kind == "hnsw" and hnsw.size == len(real_vectors)
    queries = real_vectors[::150]
    recalls = []
    for q in queries:
        exact, _ = flat.search(q, 10)
        approx, scores = hnsw.search(q, 10)
        assert np.all(np.diff(scores) <= 1e-6)  # best first
        recalls.append(len(set(exact.tolist()) & set(approx.tolist())) / 10)
    assert np.mean(recalls) >= 0.95


def test_filtered_search_is_exact_and_stays_inside_the_filter(real_vectors):
    flat = VectorIndex.build(real_vectors, hnsw_threshold=len(real_vectors) + 1)
    hnsw = VectorIndex.build(real_vectors, hnsw_threshold=0)
    rng = np.random.default_rng(3)
    allowed = np.sort(rng.choice(len(real_vectors), size=37, replace=False))
    assert len(allowed) <= EXACT_FILTER_MAX
    q = real_vectors[allowed[5]]
    ids_f, s_f = flat.search(q, 10, allowed)
    ids_h, s_h = hnsw.search(q, 10, allowed)
    assert set(ids_h.tolist()) <= set(allowed.tolist()) and len(ids_h) == 10
    assert ids_h.tolist() == ids_f.tolist() and ids_h[0] == allowed[5]
    np.testing.assert_allclose(s_h, s_f, atol=1e-5)
    assert hnsw.search(q, 10, np.zeros(0, dtype=np.int64))[0].size == 0
