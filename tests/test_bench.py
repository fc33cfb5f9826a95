"""The speed benchmark (eval/bench.py): its pure helpers, its summary/targets logic, and a smoke run of
the whole benchmark on a tiny ALQAC slice (real model; marked slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

import bench_util as bu  # noqa: E402
from bench_baseline import fixed_chunks  # noqa: E402
from bench_report import summarize  # noqa: E402


def test_padded_tokens_by_strategy():
    lengths = [10, 100, 20, 90]
    assert bu.padded_tokens(lengths, 2, "none") == 2 * 100 + 2 * 90
    assert bu.padded_tokens(lengths, 2, "global") == 2 * 100 + 2 * 20
    assert bu.padded_tokens(lengths, 2, "group", group=2) == 2 * 100 + 2 * 90
    assert bu.padded_tokens(lengths, 1, "none") == sum(lengths)


def test_perturbations_keep_vectors_close_and_tokens_consistent():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    p = bu.perturb_vectors(v, rng)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    cos = np.sum(v * p, axis=1)
    assert cos.min() > 0.95 and cos.max() < 0.999
    toks = ["kế", "hoạch", "năm", "nay", "kế|hoạch", "hoạch|năm", "năm|nay", "kế_hoạch_năm"] * 5
    out = bu.perturb_tokens(toks, np.random.default_rng(1))
    sylls = [t for t in out if "|" not in t and "_" not in t]
    bigrams = [t for t in out if "|" in t]
    assert bigrams == [f"{a}|{b}" for a, b in zip(sylls, sylls[1:], strict=False)]
    assert out != toks and 0.8 * 20 <= len(sylls) <= 20


def test_select_slice_keeps_gold_articles():
    from retrieval.beir import BeirData

    corpus = [{"_id": f"d{i}", "text": "x"} for i in range(100)]
    queries = [{"_id": f"q{i}", "text": "y"} for i in range(30)]
    qrels = {f"q{i}": {f"d{3 * i}": 1.0} for i in range(30)}
    docs, qs = bu.select_slice(BeirData(corpus, queries, qrels), 20, 5)
    ids = {d["_id"] for d in docs}
    assert len(docs) == 20 and len(qs) == 5
    assert all(next(iter(qrels[q["_id"]])) in ids for q in qs)
    assert bu.select_slice(BeirData(corpus, queries, qrels), None, None) == (corpus, queries)


def test_fixed_chunks_are_1000_chars():
    text = "a" * 2500
    assert [len(c) for c in fixed_chunks(text)] == [1000, 1000, 500]
    assert fixed_chunks("   ") == []


def _fake_results(build_s: float, unchanged_s: float, p50: float, path_pct: float) -> dict:
    lat = {"n": 5, "p50_ms": p50, "p95_ms": p50 * 2, "mean_ms": p50}
    quality = {m: {"mrr@10": 0.8, "recall@10": 0.9, "latency": lat} for m in ("bm25", "dense", "hybrid")}
    timings = {"parse": 1.0, "chunk": 0.1, "segment": 2.0, "embed": build_s - 4.0, "write": 0.5}
    build = {"build_s": build_s, "model_load_s": 1, "n_chunks": 100, "timings": timings, "quality": quality}
    build |= {"peak_rss_mb": 900, "peak_rss_after_search_mb": 950}
    ceiling = {
        "batch_size": 16,
        "fraction": 0.125,
        "tokens_per_s": 1000.0,
        "tracuu_path_pct_of_ceiling": path_pct,
    }
    search = {"n_chunks": 100_000, "modes": quality, "hybrid_number_queries": lat, "peak_rss_mb": 1500}
    search |= {"rss_loaded_mb": 1400, "breakdown": {}, "breakdown_numbers": {}}
    return {
        "meta": {"corpus": {"words": 10_000, "n_docs": 10}},
        "results": {
            "build": build,
            "embed": {"tokens": 20_000, "ceiling": ceiling, "sweep": [], "padding": {}},
            "reindex_unchanged": {"call_s": unchanged_s, "process_wall_s": unchanged_s + 1},
            "search": search,
        },
    }


def test_summary_targets_pass_and_fail():
    good = summarize(_fake_results(build_s=22.0, unchanged_s=1.0, p50=30.0, path_pct=99.0))
    c = good["ceiling"]
    assert c["build_pct_of_ceiling_raw"] == pytest.approx(100 * (20_000 / 22.0) / 1000)
    assert c["build_pct_of_ceiling"] == pytest.approx(99.0 * 18.0 / 22.0)  # paired ratio x embed share
    assert good["tracuu_build"]["stage_share"]["segment"] == pytest.approx(2.0 / 22.0)
    assert all(t["ok"] for t in good["targets"]), good["targets"]
    bad = summarize(_fake_results(build_s=40.0, unchanged_s=9.0, p50=80.0, path_pct=70.0))
    failed = {t["target"] for t in bad["targets"] if not t["ok"]}
    assert any("80%" in t for t in failed) and any("5 s" in t for t in failed)
    assert any("hybrid p50" in t for t in failed)


@pytest.mark.slow
def test_benchmark_smoke_run_on_tiny_slice(tmp_path):
    if not (bu.ALQAC_DIR / "corpus.jsonl").exists():
        pytest.skip(f"ALQAC data not found at {bu.ALQAC_DIR}")
    out = tmp_path / "bench.json"
    cmd = [
        sys.executable, str(ROOT / "eval" / "bench.py"), "--docs", "16", "--queries", "4", "--scale", "300",
        "--search-queries", "3", "--sweep-n", "4", "--sweep-bs", "4", "--faiss-sizes", "150,300",
        "--no-int8-quality", "--workdir", str(tmp_path / "work"), "--out", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    phases = data["meta"]["phases"]
    expected = {"build", "baseline", "reindex_unchanged", "reindex", "embed", "query", "scale", "search"}
    expected |= {"search_tuned", "scale_reindex"}
    assert set(phases) == expected and not [p for p in phases.values() if "error" in p]
    r, s = data["results"], data["summary"]
    assert r["build"]["n_chunks"] >= 16 and r["build"]["timings"]["embed"] > 0
    assert s["quality"]["tracuu hybrid"]["mrr@10"] > 0.5  # gold articles are in the slice
    assert s["quality"]["baseline dense"]["recall@10"] > 0.5
    assert r["reindex_unchanged"]["written"] is False
    assert r["reindex"]["changed_updated"] == 1 and r["reindex"]["warm_cache_misses"] == 0
    assert r["search"]["n_chunks"] >= 300 and r["scale"]["faiss"][-1]["recall@10"] > 0.5
    modes = {(x["system"], x["mode"]) for x in s["latency"]}
    assert {("tracuu", "hybrid"), ("tracuu", "bm25"), ("baseline", "dense")} <= modes
    assert 0 < s["rss_mb"]["tracuu_search_process_scaled"] < 8192
    assert s["breakdown_search"]["embed_query"]["p50_ms"] > 0 and s["breakdown_search"]["total"]["n"] == 3
    assert {v["encoder"] for v in s["query_encoders"]} >= {"torch fp32", "torch int8"}
    assert data["meta"]["machine"]["logical_cores"] >= 1 and len(data["meta"]["load_avg_start"]) == 3
