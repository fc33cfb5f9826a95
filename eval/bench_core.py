"""Worker-side helpers shared by the benchmark tasks: settings, ALQAC slice, timed quality, embedders
that record or replay vectors. Imported only inside worker processes (they import retrieval)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import bench_util as bu
import numpy as np

NUMBER_QUERIES = [  # this project's own query style: a document named by its number (none in ALQAC)
    "Kế hoạch số 427 triển khai nhiệm vụ năm",
    "Chỉ thị 05-CT/TW về học tập và làm theo tư tưởng",
    "nghị quyết số 12 về chuyển đổi số",
]


def settings_for(cfg: dict, **changes):
    from retrieval.settings import Settings

    base = Settings(index_dir=Path(cfg["index_dir"]), cache_dir=Path(cfg["cache_dir"]))
    if cfg.get("batch_size"):
        base = base.with_(embed_batch_size=int(cfg["batch_size"]))
    return base.with_(**changes) if changes else base


def load_data(cfg: dict):
    from retrieval.beir import BeirData, load_beir

    data = load_beir(Path(cfg["alqac_dir"]))
    ids, qids = set(cfg["doc_ids"]), set(cfg["query_ids"])
    return BeirData(
        [r for r in data.corpus if r["_id"] in ids], [q for q in data.queries if q["_id"] in qids], data.qrels
    )


def timed_quality(search_fns, data, warmup: int = 3, limit: int | None = None, map_id=None) -> dict:
    """MRR@10/R@10 exactly as retrieval.beir.evaluate computes them (top 50 hits, deduplicated by
    document, first 10 kept), plus the latency of every search call.

    ``search_fns`` maps a name (mode) to a function text -> ranked doc ids (a single function is
    allowed). The functions are called round-robin for each query, so all of them see the same
    machine load (this machine is shared)."""
    from retrieval.metrics import mean_metrics, per_query

    single = callable(search_fns)
    fns = {"_": search_fns} if single else dict(search_fns)
    queries = data.queries[:limit] if limit else data.queries
    for q in queries[:warmup]:
        for fn in fns.values():
            fn(q["text"])
    rows: dict[str, list] = {k: [] for k in fns}
    times: dict[str, list] = {k: [] for k in fns}
    for q in queries:
        gold = data.qrels.get(q["_id"], {})
        for name, fn in fns.items():
            t0 = time.perf_counter()
            ids = fn(q["text"])
            times[name].append(time.perf_counter() - t0)
            if map_id:
                ids = [map_id(i) for i in ids]
            rows[name].append(per_query(bu.ranked_doc_ids(ids), gold))
    out = {}
    for name in fns:
        m = mean_metrics(rows[name])
        out[name] = {
            "mrr@10": m["mrr@10"],
            "recall@10": m["recall@10"],
            "latency": bu.latency_stats(times[name]),
        }
    return out["_"] if single else out


def tracuu_modes(searcher, modes=("bm25", "dense", "hybrid")) -> dict:
    return {m: tracuu_search_fn(searcher, m) for m in modes}


class Recorder:
    """Wraps an embedder: records the texts it embeds, their vectors and the time spent."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.checksum, self.dim = inner, inner.name, inner.checksum, inner.dim
        self.texts: list[str] = []
        self.vectors: list[np.ndarray] = []
        self.seconds = 0.0

    def embed_passages(self, texts):
        t0 = time.perf_counter()
        v = self.inner.embed_passages(texts)
        self.seconds += time.perf_counter() - t0
        self.texts.extend(texts)
        self.vectors.append(v)
        return v

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


class CachedEmbedder:
    """Serves vectors already computed for the same texts (no model): isolates non-embedding stages."""

    def __init__(self, table: dict[str, np.ndarray], checksum: str, dim: int, fallback=None) -> None:
        self.table, self.checksum, self.dim, self.fallback = table, checksum, dim, fallback
        self.name = "cached"
        self.misses = 0

    def embed_passages(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if t in self.table:
                out[i] = self.table[t]
            else:
                self.misses += 1
                out[i] = self.fallback.embed_passages([t])[0]
        return out

    def embed_queries(self, texts):
        return self.fallback.embed_queries(texts)


def load_vectors(cfg: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    npz = np.load(Path(cfg["workdir"]) / "alqac_vectors.npz", allow_pickle=False)
    texts = json.loads((Path(cfg["workdir"]) / "alqac_texts.json").read_text(encoding="utf-8"))
    return texts, npz["vectors"], npz["queries"]


def load_entries(index_dir: Path) -> list:
    """The live index's DocEntry list (sorted by source, as write_entries orders them), read directly
    from the store files. Unlike indexer._load_previous this does not compare versions with the current
    code, so a benchmark phase still gets the index an earlier phase built if the code changed since."""
    from retrieval import store
    from retrieval.indexer import read_entries

    entries = read_entries(store.generation_dir(index_dir, store.read_manifest(index_dir)))
    if not entries:
        raise RuntimeError(f"no documents in the index at {index_dir}")
    return sorted(entries, key=lambda e: e.doc.source)


def code_versions() -> dict:
    from retrieval.chunking import CHUNKER_VERSION
    from retrieval.segment import SEGMENTER_VERSION

    return {"chunker": CHUNKER_VERSION, "segmenter": SEGMENTER_VERSION}


def tracuu_search_fn(searcher, mode: str):
    """Document ids of the top 50 hits, as retrieval.beir.evaluate asks for them."""
    return lambda text: [h.chunk.doc_id for h in searcher.search(text, k=50, mode=mode)]


def query_text(q: str) -> str:
    """The text the Searcher embeds for a query (same cleanup and normalization)."""
    from retrieval.normalize import normalize_query
    from retrieval.query import clean_query

    return normalize_query(clean_query(q))
