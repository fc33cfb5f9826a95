"""Embedder measurements: batch-size sweep, length-sorted vs unsorted, the raw ceiling on the texts
tracuu embeds, int8 dynamic quantization (throughput and ALQAC quality). Runs inside a worker."""

from __future__ import annotations

import time
from pathlib import Path

import bench_util as bu
import numpy as np
from bench_core import load_data, load_vectors, settings_for, timed_quality, tracuu_search_fn


def _encode_time(model, texts: list[str], bs: int, order: str) -> float:
    t0 = time.perf_counter()
    if order == "sorted":  # one call: sentence-transformers sorts all texts by length
        model.encode(texts, batch_size=bs, normalize_embeddings=True, show_progress_bar=False)
    else:  # one call per batch in corpus order: nothing to sort across batches
        for i in range(0, len(texts), bs):
            model.encode(texts[i : i + bs], batch_size=bs, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - t0


def _row(label: str, bs: int, order: str, seconds: float, lengths: list[int]) -> dict:
    tokens = sum(lengths)
    padded = bu.padded_tokens(lengths, bs, "global" if order == "sorted" else "none")
    return {
        "model": label,
        "batch_size": bs,
        "order": order,
        "n_texts": len(lengths),
        "seconds": seconds,
        "texts_per_s": len(lengths) / seconds,
        "tokens_per_s": tokens / seconds,
        "padding_overhead": padded / tokens - 1,
    }


def run_embed(cfg: dict) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from retrieval.embedding import resolve_model_path

    bu.quiet_libraries()
    settings = settings_for(cfg)
    texts, fp32_vecs, _ = load_vectors(cfg)
    prefixed = [bu.PASSAGE_PREFIX + t for t in texts]
    model = SentenceTransformer(resolve_model_path(settings), device="cpu")
    model.max_seq_length = min(settings.embed_max_seq_length, model.max_seq_length or 512)
    tok = model.tokenizer
    lengths = [
        len(ids) for ids in tok(prefixed, truncation=True, max_length=model.max_seq_length)["input_ids"]
    ]
    out: dict = {"torch_threads": torch.get_num_threads(), "n_texts": len(texts), "tokens": sum(lengths)}
    # Padding arithmetic on all texts (exact, noise-free): how each batching strategy pads.
    out["padding"] = {
        f"bs{bs}_{order}": bu.padded_tokens(lengths, bs, order) / sum(lengths) - 1
        for bs in sorted({settings.embed_batch_size, *cfg["sweep_bs"]})
        for order in ("global", "group", "none")
    }
    idx = bu.systematic_sample(len(prefixed), cfg["sweep_n"])
    sample, s_len = [prefixed[i] for i in idx], [lengths[i] for i in idx]
    model.encode(sample[:8], batch_size=8, show_progress_bar=False)  # warm-up
    sweep = [
        _row("fp32", bs, "sorted", _encode_time(model, sample, bs, "sorted"), s_len) for bs in cfg["sweep_bs"]
    ]
    best = max(sweep, key=lambda r: r["tokens_per_s"])["batch_size"]
    for bs in sorted({settings.embed_batch_size, best}):
        sweep.append(_row("fp32", bs, "unsorted", _encode_time(model, sample, bs, "unsorted"), s_len))
    q8 = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    q8.encode(sample[:8], batch_size=8, show_progress_bar=False)
    for bs in sorted({settings.embed_batch_size, best}):
        sweep.append(_row("int8", bs, "sorted", _encode_time(q8, sample, bs, "sorted"), s_len))
    del q8
    out["sweep"], out["best_batch_size"] = sweep, best
    # The ceiling: one encode call, best batch size, on (a systematic sample of) the texts tracuu embeds.
    cidx = bu.systematic_sample(len(prefixed), max(1, int(round(len(prefixed) * cfg["ceiling_frac"]))))
    c_texts, c_len = [prefixed[i] for i in cidx], [lengths[i] for i in cidx]
    secs = _encode_time(model, c_texts, best, "sorted")
    out["ceiling"] = _row("fp32", best, "sorted", secs, c_len) | {"fraction": len(cidx) / len(prefixed)}
    del model
    if cfg.get("int8_quality", True):
        out["int8_quality"] = _int8_quality(cfg, settings, fp32_vecs)
    return out


def _int8_quality(cfg: dict, settings, fp32_vecs: np.ndarray) -> dict:
    """Re-embed the whole ALQAC index with the int8 model (tokens/chunks reused) and evaluate it."""
    from retrieval.embedding import make_embedder
    from retrieval.indexer import _load_previous, write_entries
    from retrieval.search import Searcher

    s8 = settings.with_(embed_quantize="int8")
    t0 = time.perf_counter()
    emb8 = make_embedder(s8)
    load_s = time.perf_counter() - t0
    entries = list(_load_previous(settings.index_dir, settings).values())
    for e in entries:
        e.vectors = None
    idx8 = Path(cfg["workdir"]) / "index-int8"
    report = write_entries(entries, idx8, s8, emb8)
    vecs8 = np.vstack([e.vectors for e in sorted(entries, key=lambda e: e.doc.source)])
    searcher = Searcher.load(idx8, s8, emb8)
    data = load_data(cfg)
    quality = {mode: timed_quality(tracuu_search_fn(searcher, mode), data) for mode in ("dense", "hybrid")}
    cos = float(np.mean(np.sum(vecs8 * fp32_vecs, axis=1))) if vecs8.shape == fp32_vecs.shape else None
    return {
        "model_load_s": load_s,
        "embed_s": report.timings["embed"],
        "n_chunks": report.n_chunks,
        "quality": quality,
        "mean_cos_vs_fp32": cos,
    }
