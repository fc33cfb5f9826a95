"""Benchmark worker: one measurement per fresh process, so peak RSS and timings are not mixed.

Usage (by bench.py): ``python eval/bench_worker.py TASK CONFIG.json OUT.json``. Each task reads its
configuration, does its measurement and writes a JSON result. Large arrays (the texts tracuu embeds,
their vectors, the query vectors) go to ``<workdir>/alqac_vectors.npz`` so later tasks reuse them.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

T_START = time.perf_counter()

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_util as bu  # noqa: E402
import numpy as np  # noqa: E402
from bench_core import (  # noqa: E402
    CachedEmbedder,
    Recorder,
    load_data,
    load_vectors,
    query_text,
    settings_for,
    timed_quality,
    tracuu_modes,
)

# --------------------------------------------------------------------------- tasks


def task_build(cfg: dict) -> dict:
    """Full tracuu build of the .txt corpus (cold segmentation cache), then quality + latency."""
    from retrieval.embedding import make_embedder
    from retrieval.indexer import build_index
    from retrieval.search import Searcher

    bu.quiet_libraries()
    settings = settings_for(cfg)
    import_s = time.perf_counter() - T_START
    t0 = time.perf_counter()
    embedder = make_embedder(settings)
    load_s = time.perf_counter() - t0
    rec = Recorder(embedder)
    t0 = time.perf_counter()
    report = build_index(Path(cfg["corpus_dir"]), settings.index_dir, settings, embedder=rec)
    build_s = time.perf_counter() - t0
    rss = bu.peak_rss_mb()
    assert report.written and not report.failures, [f.line() for f in report.failures]
    data = load_data(cfg)
    t0 = time.perf_counter()
    qvecs = embedder.embed_queries([query_text(q["text"]) for q in data.queries])
    q_embed_s = time.perf_counter() - t0
    vecs = np.vstack(rec.vectors)
    np.savez(Path(cfg["workdir"]) / "alqac_vectors.npz", vectors=vecs, queries=qvecs)
    (Path(cfg["workdir"]) / "alqac_texts.json").write_text(json.dumps(rec.texts, ensure_ascii=False), "utf-8")
    searcher = Searcher.load(settings.index_dir, settings, embedder)
    quality = timed_quality(tracuu_modes(searcher), data)
    return {
        "import_s": import_s,
        "model_load_s": load_s,
        "build_s": build_s,
        "timings": report.timings,
        "embed_call_s": rec.seconds,
        "n_documents": report.n_documents,
        "n_chunks": report.n_chunks,
        "n_embedded": len(rec.texts),
        "peak_rss_mb": rss,
        "batch_size": settings.embed_batch_size,
        "query_embed_s": q_embed_s,
        "quality": quality,
        "peak_rss_after_search_mb": bu.peak_rss_mb(),
    }


def task_reindex_unchanged(cfg: dict) -> dict:
    """What `tracuu index` does on an unchanged corpus (the model is never loaded)."""
    from retrieval.indexer import build_index

    settings = settings_for(cfg)
    import_s = time.perf_counter() - T_START
    t0 = time.perf_counter()
    report = build_index(Path(cfg["corpus_dir"]), settings.index_dir, settings)
    return {
        "import_s": import_s,
        "call_s": time.perf_counter() - t0,
        "written": report.written,
        "unchanged": len(report.unchanged),
        "timings": report.timings,
        "peak_rss_mb": bu.peak_rss_mb(),
    }


def task_reindex(cfg: dict) -> dict:
    """Segmentation share with a warm cache (full rebuild, vectors served from the first build), then
    one changed file (preloaded model; model load reported separately)."""
    from retrieval.embedding import make_embedder
    from retrieval.indexer import build_index

    bu.quiet_libraries()
    settings = settings_for(cfg)
    texts, vecs, _ = load_vectors(cfg)
    t0 = time.perf_counter()
    embedder = make_embedder(settings)
    load_s = time.perf_counter() - t0
    cached = CachedEmbedder(dict(zip(texts, vecs, strict=True)), embedder.checksum, embedder.dim, embedder)
    warm_dir = Path(cfg["workdir"]) / "index-warm"
    t0 = time.perf_counter()
    warm = build_index(Path(cfg["corpus_dir"]), warm_dir, settings, embedder=cached)
    warm_s = time.perf_counter() - t0
    # The changed-file run works on copies: the main index stays the one quality was measured on.
    corpus = Path(cfg["workdir"]) / "corpus-changed"
    index = Path(cfg["workdir"]) / "index-changed"
    shutil.copytree(cfg["corpus_dir"], corpus, dirs_exist_ok=True)
    shutil.copytree(settings.index_dir, index, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".lock"))
    target = sorted(corpus.glob("*.txt"))[len(cfg["doc_ids"]) // 2]
    with target.open("a", encoding="utf-8") as fh:
        fh.write("Điều khoản này được sửa đổi, bổ sung để phục vụ việc đo thời gian lập chỉ mục lại.\n")
    t0 = time.perf_counter()
    changed = build_index(corpus, index, settings, embedder=embedder)
    changed_s = time.perf_counter() - t0
    return {
        "model_load_s": load_s,
        "warm_build_s": warm_s,
        "warm_timings": warm.timings,
        "warm_cache_misses": cached.misses,
        "changed_file": target.name,
        "changed_s": changed_s,
        "changed_updated": len(changed.updated),
        "changed_timings": changed.timings,
    }


def task_embed(cfg: dict) -> dict:
    from bench_embed import run_embed

    return run_embed(cfg)


def task_query(cfg: dict) -> dict:
    from bench_query import run_query

    return run_query(cfg)


def task_baseline(cfg: dict) -> dict:
    from bench_baseline import run_baseline

    return run_baseline(cfg)


def task_scale(cfg: dict) -> dict:
    from bench_scale import run_scale

    return run_scale(cfg)


def task_search(cfg: dict) -> dict:
    """A search process holding the scaled index: load time, peak RSS, latency per mode."""
    from bench_scale import run_search

    return run_search(cfg)


TASKS = {
    "build": task_build,
    "reindex_unchanged": task_reindex_unchanged,
    "reindex": task_reindex,
    "embed": task_embed,
    "query": task_query,
    "baseline": task_baseline,
    "scale": task_scale,
    "search": task_search,
}


def main(argv: list[str]) -> int:
    task, cfg_path, out_path = argv
    cfg = json.loads(Path(cfg_path).read_text(encoding="utf-8"))
    result = TASKS[task](cfg)
    result.setdefault("peak_rss_end_mb", bu.peak_rss_mb())
    Path(out_path).write_text(json.dumps(result, ensure_ascii=False, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
