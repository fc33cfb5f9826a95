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


def test_hnsw_over_8bit_codes_memory_mapped_agrees_with_flat(real_vectors, tmp_path):
    """Above SQ8_THRESHOLD the graph keeps 8-bit codes; loaded memory-mapped, with the exact rows of
    vectors.npy for re-scoring and filtered searches (as the searcher loads it)."""
    from retrieval.indexing.tables import VectorRows

    flat = VectorIndex.build(real_vectors, hnsw_threshold=len(real_vectors) + 1)
    sq = VectorIndex.build(real_vectors, hnsw_threshold=0, sq8_threshold=0)
    assert sq.kind == "hnsw_sq8"
    sq.save(tmp_path / "d.faiss")
    store.save_vectors(tmp_path / "v.npy", real_vectors)
    rows = VectorRows(tmp_path / "v.npy")
    loaded = VectorIndex.load(tmp_path / "d.faiss", rows=rows, mmap=True)
    assert loaded.kind == "hnsw_sq8" and loaded.size == len(real_vectors)
    recalls = []
    for q in real_vectors[::150]:
        exact, _ = flat.search(q, 10)
        approx, _ = loaded.search(q, 10)
        recalls.append(len(set(exact.tolist()) & set(approx.tolist())) / 10)
    assert np.mean(recalls) >= 0.9
    picked = np.array([5, 4, 4000, 6, 7, 5999, 0])  # unsorted, a run, both ends, a repeat below
    np.testing.assert_array_equal(loaded.vectors(picked), real_vectors[picked])
    np.testing.assert_array_equal(rows(np.array([3, 3])), real_vectors[[3, 3]])
    allowed = np.arange(100, 140)
    ids, scores = loaded.search(real_vectors[120], 5, allowed)
    assert ids[0] == 120 and set(ids.tolist()) <= set(allowed.tolist())
    np.testing.assert_allclose(scores[0], 1.0, atol=1e-5)  # exact rows, not the 8-bit codes
    with pytest.raises(IndexError):
        rows(np.array([len(real_vectors)]))
