"""Query encoder options (run inside a worker): the query embedding dominates dense/hybrid latency.

Compared, for one query at a time (as Searcher embeds it): torch fp32 (tracuu today), torch int8
(dynamic quantization), and, when ``onnxruntime`` and ``onnx`` are installed, the same model exported to
ONNX (fp32, and int8 with onnxruntime's dynamic quantization), each with 1 and 2 threads. Quality of
each query encoder is measured against the fp32 passage vectors already in the index (exact search,
top 50 chunks, as tracuu's dense mode), so an encoder can be judged without re-indexing; the passage
throughput of each on the sweep sample tells what it would do to the build.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import bench_util as bu
import numpy as np
from bench_core import load_data, load_vectors, query_text, settings_for


def _onnx_encoders(settings) -> tuple[dict, dict]:
    """tracuu's ONNX embedder (fp32), and the same with onnxruntime's dynamic int8 quantization of its
    graph (token-embedding table still fp32), each with 1 and 2 threads; encode() takes prefixed texts."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from retrieval.embedding import expected_checksum, resolve_model_path
    from retrieval.embedding_onnx import OnnxEmbedder, ensure_onnx

    path, checksum = resolve_model_path(settings), expected_checksum(settings)
    fp32 = ensure_onnx(Path(path), settings.cache_dir, checksum)
    int8 = fp32.parent / "model_int8.onnx"
    if not int8.is_file():
        logging.getLogger().setLevel(logging.ERROR)  # onnxruntime's "consider pre-processing" warning
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    sizes = {"fp32_mb": fp32.stat().st_size / 2**20, "int8_mb": int8.stat().st_size / 2**20}
    encoders = {
        name: {n: OnnxEmbedder(settings, path, checksum, threads=n, onnx_path=p) for n in (1, 2)}
        for name, p in (("onnx fp32", fp32), ("onnx int8", int8))
    }
    return encoders, sizes


def _dense_quality(qv: np.ndarray, pv: np.ndarray, chunk_docs: list[str], data) -> dict:
    from retrieval.metrics import mean_metrics, per_query

    scores = qv @ pv.T
    rows = []
    for q, s in zip(data.queries, scores, strict=True):
        top = np.argsort(-s, kind="stable")[:50]
        ranked = bu.ranked_doc_ids([chunk_docs[i] for i in top])
        rows.append(per_query(ranked, data.qrels.get(q["_id"], {})))
    m = mean_metrics(rows)
    return {"mrr@10": m["mrr@10"], "recall@10": m["recall@10"]}


def _latency_round_robin(fns: dict, texts: list[str]) -> dict:
    """One query at a time; for each query every encoder in turn, so all see the same machine load."""
    for t in texts[:3]:
        for fn in fns.values():
            fn([t])
    times: dict = {k: [] for k in fns}
    for t in texts:
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn([t])
            times[k].append(time.perf_counter() - t0)
    return {f"{name}|{threads}": bu.latency_stats(v) for (name, threads), v in times.items()}


def run_query(cfg: dict) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from retrieval import store
    from retrieval.embedding import resolve_model_path

    bu.quiet_libraries()
    settings = settings_for(cfg)
    gen = store.generation_dir(settings.index_dir, store.read_manifest(settings.index_dir))
    pv = store.load_vectors(gen / "vectors.npy")
    chunk_docs = [c.doc_id for c in store.load_chunks(gen)]
    data = load_data(cfg)
    queries = [bu.QUERY_PREFIX + query_text(q["text"]) for q in data.queries]
    lat_q = queries[: cfg.get("latency_queries", 40)]
    texts, _, ref_q = load_vectors(cfg)
    sample = [
        bu.PASSAGE_PREFIX + texts[i] for i in bu.systematic_sample(len(texts), cfg.get("query_passage_n", 64))
    ]
    model = SentenceTransformer(resolve_model_path(settings), device="cpu")
    model.max_seq_length = min(settings.embed_max_seq_length, model.max_seq_length or 512)
    encoders = {"torch fp32": model}
    encoders["torch int8"] = torch.ao.quantization.quantize_dynamic(
        SentenceTransformer(resolve_model_path(settings), device="cpu"), {torch.nn.Linear}, dtype=torch.qint8
    )
    out: dict = {"variants": [], "onnx": None}
    try:
        onnx, out["onnx"] = _onnx_encoders(settings)
        encoders |= onnx
    except ImportError as exc:
        out["onnx_skipped"] = f"{exc}"
    bs = settings.embed_batch_size
    default_threads = torch.get_num_threads()
    out["torch_default_threads"] = default_threads

    def encoder_fn(enc, threads: int):
        if isinstance(enc, dict):
            return enc[threads].encode

        def fn(x, e=enc, n=threads):
            torch.set_num_threads(n)
            return e.encode(x, batch_size=bs, normalize_embeddings=True, show_progress_bar=False)

        return fn

    fns = {(name, t): encoder_fn(enc, t) for name, enc in encoders.items() for t in (1, 2)}
    out["latency"] = _latency_round_robin(fns, lat_q)
    for name in encoders:
        fn = fns[(name, default_threads if (name, default_threads) in fns else 2)]
        row: dict = {"encoder": name}
        for t in (1, 2):
            row[f"latency_t{t}"] = out["latency"][f"{name}|{t}"]
        t0 = time.perf_counter()
        qv = np.asarray(fn(queries), dtype=np.float32)
        row["all_queries_s"] = time.perf_counter() - t0
        row["cos_vs_torch_fp32"] = float(np.mean(np.sum(qv * ref_q, axis=1)))
        row["dense_with_fp32_passages"] = _dense_quality(qv, pv, chunk_docs, data)
        fn(sample[:4])
        t0 = time.perf_counter()
        fn(sample)
        row["passages_per_s_sample"] = len(sample) / (time.perf_counter() - t0)
        out["variants"].append(row)
    torch.set_num_threads(default_threads)
    return out
