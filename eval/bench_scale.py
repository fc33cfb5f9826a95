"""Scale measurements (run inside workers): a ~100k-chunk index replicated from the ALQAC index,
FAISS flat vs HNSW, and a search process holding the scaled index.

Embedding 100k chunks would take hours on 2 cores, so the scaled index is made of copies of the ALQAC
entries: each copy's vectors get small random noise (renormalized), its BM25 tokens and chunk texts
have a few syllables dropped and a few adjacent ones swapped (bigrams recomputed). The copies go
through tracuu's own write path (indexer.write_entries), so the files, BM25 arrays, FAISS index and
accent model are what a real 100k-chunk index would contain.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import bench_util as bu
import numpy as np
from bench_core import (
    NUMBER_QUERIES,
    load_data,
    load_entries,
    load_vectors,
    settings_for,
    timed_quality,
    tracuu_modes,
)

REPLICA_SEP = "~r"


class _NoEmbedder:
    """Every entry already has vectors: write_entries never calls the model."""

    def __init__(self, checksum: str, dim: int) -> None:
        self.name, self.checksum, self.dim = "none", checksum, dim

    def embed_passages(self, texts):
        raise AssertionError("the scaled index must not embed anything")

    embed_queries = embed_passages


def replicate(base, target: int, rng: np.random.Generator, corpus_dir: Path | None):
    """``base`` (DocEntry list) plus perturbed copies until ``target`` chunks. With ``corpus_dir``,
    each copy's source file is written too (original text + a marker line), so an unchanged re-index
    of the scaled corpus can be measured."""
    out, reps = list(base), 0
    for entry, rep in replicas(base, target, rng, corpus_dir):
        out.append(entry)
        reps = rep
    return out, sum(len(e.chunks) for e in out), reps


def replicas(base, target: int, rng: np.random.Generator, corpus_dir: Path | None = None):
    """Perturbed copies of ``base`` (DocEntry list), one at a time, until ``base`` and the copies hold
    ``target`` chunks: yields (copy, its replica number)."""
    from retrieval.indexer import DocEntry

    count = sum(len(e.chunks) for e in base)
    if count == 0:
        raise ValueError("nothing to replicate: the base index has no chunks")
    rep = 0
    while count < target:
        rep += 1
        for e in base:
            if count >= target:
                break
            doc_id = f"{e.doc.doc_id}{REPLICA_SEP}{rep}"
            source = f"r{rep:03d}/{e.doc.source}"
            sha = e.doc.sha256
            if corpus_dir is not None:
                data = (e.doc.text + f"\n(bản sao {rep})\n").encode("utf-8")
                path = corpus_dir / source
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                sha = hashlib.sha256(data).hexdigest()
            doc = replace(e.doc, doc_id=doc_id, source=source, sha256=sha)
            chunks = [
                replace(
                    c,
                    chunk_id=f"{doc_id}#{i}",
                    doc_id=doc_id,
                    source=source,
                    text=" ".join(bu.perturb_words(c.text.split(), rng)),
                )
                for i, c in enumerate(e.chunks)
            ]
            tokens = [bu.perturb_tokens(t, rng) for t in e.tokens]
            count += len(chunks)
            yield DocEntry(doc, chunks, tokens, bu.perturb_vectors(e.vectors, rng)), rep


def _faiss_compare(vectors: np.ndarray, queries: np.ndarray, sizes: list[int], depth: int) -> list[dict]:
    """Latency of one-query searches (as Searcher does them) and HNSW recall against exact search."""
    import faiss

    from retrieval.vectors import HNSW_EF_SEARCH, VectorIndex

    rows = []
    for n in sizes:
        sub = vectors[:n]
        flat = VectorIndex.build(sub, hnsw_threshold=n + 1)
        t0 = time.perf_counter()
        hnsw = VectorIndex.build(sub, hnsw_threshold=0)
        build_s = time.perf_counter() - t0
        exact, times = [], {"flat": [], "flat_1thread": [], "hnsw": []}
        default_threads = faiss.omp_get_max_threads()
        for q in queries:  # flat with FAISS's default OpenMP threads and with one thread, interleaved
            t = time.perf_counter()
            ids, _ = flat.search(q, depth)
            times["flat"].append(time.perf_counter() - t)
            exact.append(ids)
            faiss.omp_set_num_threads(1)
            t = time.perf_counter()
            flat.search(q, depth)
            times["flat_1thread"].append(time.perf_counter() - t)
            faiss.omp_set_num_threads(default_threads)
        for ef in sorted({64, HNSW_EF_SEARCH, 256}) if n == max(sizes) else [HNSW_EF_SEARCH]:
            hnsw.index.hnsw.efSearch = ef
            got, times["hnsw"] = [], []
            for q in queries:
                t = time.perf_counter()
                ids, _ = hnsw.search(q, depth)
                times["hnsw"].append(time.perf_counter() - t)
                got.append(ids)
            r10 = np.mean([len(set(g[:10]) & set(e[:10])) / 10 for g, e in zip(got, exact, strict=True)])
            rD = np.mean([len(set(g) & set(e)) / max(1, len(e)) for g, e in zip(got, exact, strict=True)])
            rows.append(
                {
                    "n": n,
                    "ef_search": ef,
                    "flat": bu.latency_stats(times["flat"]),
                    "flat_1thread": bu.latency_stats(times["flat_1thread"]),
                    "omp_threads": default_threads,
                    "hnsw": bu.latency_stats(times["hnsw"]),
                    "hnsw_build_s": build_s,
                    "recall@10": float(r10),
                    f"recall@{depth}": float(rD),
                }
            )
    return rows


def run_scale(cfg: dict) -> dict:
    from retrieval.embedding import expected_checksum
    from retrieval.indexer import write_entries

    bu.quiet_libraries()
    settings = settings_for(cfg)
    base = load_entries(settings.index_dir)
    rng = np.random.default_rng(cfg.get("seed", 0))
    corpus = Path(cfg["scale_corpus_dir"]) if cfg.get("scale_reindex") else None
    if corpus is not None:
        for e in base:  # the originals, byte for byte
            (corpus / e.doc.source).parent.mkdir(parents=True, exist_ok=True)
            (corpus / e.doc.source).write_bytes((Path(cfg["corpus_dir"]) / e.doc.source).read_bytes())
    t0 = time.perf_counter()
    entries, n_chunks, reps = replicate(base, cfg["scale_n"], rng, corpus)
    replicate_s = time.perf_counter() - t0
    s_big = settings.with_(index_dir=Path(cfg["scale_index_dir"]))
    t0 = time.perf_counter()
    report = write_entries(
        entries, s_big.index_dir, s_big, _NoEmbedder(expected_checksum(settings), base[0].vectors.shape[1])
    )
    write_s = time.perf_counter() - t0
    rss = bu.peak_rss_mb()
    vectors = np.vstack([e.vectors for e in sorted(entries, key=lambda e: e.doc.source)])
    del entries
    _, _, qvecs = load_vectors(cfg)
    sizes = sorted({min(n, len(vectors)) for n in cfg["faiss_sizes"]})
    faiss_rows = _faiss_compare(vectors, qvecs[: cfg["faiss_queries"]], sizes, settings.candidates)
    return {
        "n_chunks": n_chunks,
        "n_documents": report.n_documents,
        "replicas": reps,
        "replicate_s": replicate_s,
        "write_s": write_s,
        "write_timings": report.timings,
        "peak_rss_write_mb": rss,
        "index_bytes": sum(p.stat().st_size for p in s_big.index_dir.rglob("*") if p.is_file()),
        "faiss": faiss_rows,
    }


def _breakdown(searcher, texts: list[str], mode: str = "hybrid") -> dict:
    """Where the time of real Searcher.search calls goes: the components are timed by wrapping them on
    this searcher (so the breakdown follows the search code as it is); "other" is the rest (query
    cleanup, ranking, score fusion, number boost, hits)."""
    import retrieval.search as search_module

    parts: dict[str, float] = defaultdict(float)
    restore = []

    def wrap(obj, attr: str, name: str) -> None:
        orig = getattr(obj, attr, None)
        if orig is None:
            return

        def timed(*a, **kw):
            t0 = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                parts[name] += time.perf_counter() - t0

        restore.append((obj, attr, orig, attr in getattr(obj, "__dict__", {})))
        setattr(obj, attr, timed)

    wrap(searcher.embedder, "embed_queries", "embed_query")
    wrap(searcher.dense, "search", "faiss")
    for name in ("bm25_acc", "bm25_plain"):
        if hasattr(searcher, name):
            wrap(getattr(searcher, name), "scores", "bm25_scores")
    wrap(search_module, "segment", "segment")
    wrap(searcher, "_boost_numbers", "number_boost")
    rows: dict[str, list[float]] = defaultdict(list)
    try:
        for text in texts[:3]:
            searcher.search(text, k=50, mode=mode)
        for text in texts:
            parts.clear()
            t0 = time.perf_counter()
            searcher.search(text, k=50, mode=mode)
            total = time.perf_counter() - t0
            for name in ("segment", "bm25_scores", "embed_query", "faiss", "number_boost"):
                rows[name].append(parts.get(name, 0.0))
            rows["other"].append(total - sum(parts.values()))
            rows["total"].append(total)
    finally:
        for obj, attr, orig, own in reversed(restore):
            if own:  # module functions and instance attributes: put the original back
                setattr(obj, attr, orig)
            else:
                delattr(obj, attr)
    return {k: bu.latency_stats(v) for k, v in rows.items()}


def run_search(cfg: dict) -> dict:
    from retrieval.embedding import make_embedder
    from retrieval.search import Searcher

    bu.quiet_libraries()
    if cfg.get("faiss_threads"):
        import faiss

        faiss.omp_set_num_threads(int(cfg["faiss_threads"]))
    settings = settings_for(cfg).with_(index_dir=Path(cfg["scale_index_dir"]))
    t0 = time.perf_counter()
    embedder = make_embedder(settings)
    model_s = time.perf_counter() - t0
    rss_model = bu.current_rss_mb()
    t0 = time.perf_counter()
    searcher = Searcher.load(settings.index_dir, settings, embedder)
    load_s = time.perf_counter() - t0
    rss_loaded = bu.current_rss_mb()
    data = load_data(cfg)
    n = cfg["search_queries"]

    def original(doc_id: str) -> str:
        return doc_id.split(REPLICA_SEP, 1)[0]

    modes = timed_quality(tracuu_modes(searcher), data, limit=n, map_id=original)
    numbered = []
    for text in NUMBER_QUERIES * 3:
        t = time.perf_counter()
        searcher.search(text, k=10, mode="hybrid")
        numbered.append(time.perf_counter() - t)
    texts = [q["text"] for q in data.queries[:n]]
    return {
        "n_chunks": len(searcher.chunks),
        "dense_index": searcher.dense.kind,
        "model_load_s": model_s,
        "index_load_s": load_s,
        "rss_model_mb": rss_model,
        "rss_loaded_mb": rss_loaded,
        "modes": modes,
        "hybrid_number_queries": bu.latency_stats(numbered),
        "breakdown": _breakdown(searcher, texts),
        "breakdown_numbers": _breakdown(searcher, NUMBER_QUERIES * 3),
        "peak_rss_mb": bu.peak_rss_mb(),
    }
