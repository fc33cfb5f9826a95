"""Rich tables of the benchmark summary (see bench_report.summarize)."""

from __future__ import annotations

from bench_report import _get
from rich.table import Table


def _f(x, nd=1):
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _table(title: str, cols: list[str], rows: list[list]) -> Table:
    t = Table(title=title, title_justify="left")
    for i, c in enumerate(cols):
        t.add_column(c, justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*[_f(x) if not isinstance(x, str) else x for x in row])
    return t


def print_report(out: dict, console) -> None:
    s, meta = out["summary"], out["meta"]
    m = meta["machine"]
    console.print(
        f"[bold]Machine[/]: {m['cpu_model']}, {m['logical_cores']} logical cores, {m['ram_gb']} GB RAM; "
        f"load avg start {meta['load_avg_start']} end {meta['load_avg_end']}; "
        f"total {meta['total_wall_s']:.0f} s"
    )
    tb, bb = s.get("tracuu_build", {}), s.get("baseline_build", {})
    rows = [
        [k, _get(tb, key), _get(bb, key)]
        for k, key in (
            ("build time (s)", "build_s"),
            ("model load (s, not in build time)", "model_load_s"),
            ("chunks", "n_chunks"),
            ("chunks/s", "chunks_per_s"),
            ("words/s", "words_per_s"),
            ("peak RSS (MB)", "peak_rss_mb"),
        )
    ]
    console.print(
        _table(f"Index build, ALQAC ({meta['corpus']['n_docs']} articles)", ["", "tracuu", "baseline"], rows)
    )
    if tb:
        console.print(
            _table(
                "tracuu build stages",
                ["stage", "seconds", "share %"],
                [[k, v, 100 * tb["stage_share"][k]] for k, v in tb["stages_s"].items()],
            )
        )
    if "ceiling" in s:
        c = s["ceiling"]
        console.print(
            _table(
                f"Embedder ceiling (raw {c.get('runtime', 'torch')} throughput on the same texts)",
                ["", "value"],
                [
                    ["tracuu runtime", c.get("runtime", "torch")],
                    ["SentenceTransformer.encode (torch) tokens/s", c.get("torch_encode_tokens_per_s")],
                    ["best batch size", c["batch_size"]],
                    ["sample of texts (%)", 100 * c["fraction_of_texts"]],
                    ["ceiling tokens/s", c["tokens_per_s"]],
                    ["ceiling chunks/s (est.)", c["chunks_per_s_est"]],
                    ["tracuu build tokens/s (whole build)", c["build_tokens_per_s"]],
                    [
                        "tracuu embed path % of ceiling (paired, same sample)",
                        c["tracuu_path_pct_of_ceiling_paired"],
                    ],
                    ["build % of ceiling (paired estimate)", c["build_pct_of_ceiling"]],
                    ["build % of ceiling (raw, measured at different times)", c["build_pct_of_ceiling_raw"]],
                ],
            )
        )
    if "reindex" in s:
        ri = s["reindex"]
        rows = [
            ["unchanged corpus, build_index call (s)", ri["unchanged_call_s"]],
            ["unchanged corpus, whole process (s)", ri["unchanged_process_s"]],
            ["one changed file, build_index call, model loaded (s)", ri["one_changed_call_s"]],
            ["  + model load if not yet loaded (s)", ri["one_changed_model_load_s"]],
            ["unchanged scaled corpus, call (s)", ri["unchanged_at_scale_call_s"]],
            ["unchanged scaled corpus, whole process (s)", ri["unchanged_at_scale_process_s"]],
        ]
        console.print(_table("Re-index", ["", "value"], rows))
    if "segmentation" in s:
        g = s["segmentation"]
        console.print(
            _table(
                "Segmentation (underthesea) share of a full build",
                ["cache", "seconds", "share %"],
                [
                    ["cold (no cache)", g["cold_s"], 100 * g["cold_share"]],
                    ["warm", g["warm_s"], 100 * g["warm_share"]],
                ],
            )
        )
    lat = [[x["system"], x["n_chunks"], x["mode"], x["p50_ms"], x["p95_ms"], x["n"]] for x in s["latency"]]
    console.print(_table("Search latency (ms)", ["system", "chunks", "mode", "p50", "p95", "queries"], lat))
    console.print(_table("Peak RSS (MB)", ["process", "MB"], [[k, v] for k, v in s["rss_mb"].items()]))
    q = [[k, 100 * v["mrr@10"], 100 * v["recall@10"]] for k, v in s["quality"].items()]
    console.print(_table("Retrieval quality, ALQAC (×100)", ["system", "MRR@10", "R@10"], q))
    if "sweep" in s:
        rows = [
            [
                x.get("sample", ""),
                x["model"],
                x["batch_size"],
                x["order"],
                x["texts_per_s"],
                x["tokens_per_s"],
            ]
            + [100 * x["padding_overhead"]]
            for x in s["sweep"]
        ]
        cols = ["sample", "model", "batch", "order", "texts/s", "tokens/s", "padding %"]
        console.print(_table("Embedder sweep (fastest of repeated, interleaved runs)", cols, rows))
        if s.get("onnx_sweep"):
            rows = [
                [x["max_batch"], x["max_tokens"] or "—", x["texts_per_s"], x["tokens_per_s"]]
                for x in s["onnx_sweep"]
            ]
            cols = ["max texts", "max padded tokens", "texts/s", "tokens/s"]
            console.print(_table("ONNX batching (raw session runs, corpus-order sample)", cols, rows))
        pad = [[k, 100 * v] for k, v in s["padding"].items()]
        console.print(_table("Padding overhead on all texts (exact)", ["batching", "%"], pad))
        i8 = s["int8"]
        rows = [[f"speedup (sample) {k}", v] for k, v in i8["speedup_sample"].items()]
        rows += [
            [k, i8.get(k)]
            for k in ("speedup_full", "mean_cos_vs_fp32", "dense_mrr_delta_points", "hybrid_mrr_delta_points")
        ]
        console.print(_table("int8 dynamic quantization vs fp32", ["", "value"], rows))
    if "query_encoders" in s:
        rows = []
        for v in s["query_encoders"]:
            proj = v.get("projected_hybrid_p50_scale_ms", {})
            d = v["dense_with_fp32_passages"]
            rows.append(
                [
                    v["encoder"],
                    v["latency_t1"]["p50_ms"],
                    v["latency_t2"]["p50_ms"],
                    v["latency_t2"]["p95_ms"],
                ]
                + [
                    v["cos_vs_torch_fp32"],
                    100 * d["mrr@10"],
                    100 * d["recall@10"],
                    v["passages_per_s_sample"],
                ]
                + [proj.get(1), proj.get(2)]
            )
        cols = ["encoder", "p50 1 thr", "p50 2 thr", "p95 2 thr", "cos vs fp32", "dense MRR", "R@10"]
        cols += ["passages/s", "hybrid@scale 1 thr*", "2 thr*"]
        console.print(_table("Query encoder, one query (ms); *projected hybrid p50 at scale", cols, rows))
    if "faiss" in s:
        rows = [
            [
                x["n"],
                x["ef_search"],
                x["flat"]["p50_ms"],
                _get(x, "flat_1thread", "p50_ms"),
                x["hnsw"]["p50_ms"],
            ]
            + [x["hnsw_build_s"]]
            + [x["recall@10"], x.get("recall@100")]
            for x in s["faiss"]
        ]
        console.print(
            _table(
                "FAISS flat vs HNSW (one query, top 100)",
                [
                    "vectors",
                    "efSearch",
                    "flat p50 ms",
                    "flat 1 thr",
                    "HNSW p50 ms",
                    "HNSW build s",
                    "R@10",
                    "R@100",
                ],
                rows,
            )
        )
    if "breakdown_search" in s:
        keys = ["breakdown_search", "breakdown_search_number_queries", "breakdown_search_tuned"]
        keys = [k for k in keys if k in s]
        names = list(s["breakdown_search"])
        rows = [[n] + [_get(s, k, n, "p50_ms") for k in keys] for n in names]
        cols = ["step", "ALQAC queries", "number queries", "ALQAC queries, tuned*"][: len(keys) + 1]
        console.print(_table("Hybrid search breakdown at scale, p50 ms (*tuned runtime)", cols, rows))
    t = [
        [x["target"], x["value"], x["limit"], x.get("decision") or ("PASS" if x["ok"] else "FAIL")]
        for x in s["targets"]
    ]
    console.print(_table("Targets", ["target", "value", "limit", ""], t))
    ph = [
        [k, v["wall_s"], str(v["load_start"][0]), str(v["load_end"][0]), v.get("error", "")]
        for k, v in meta["phases"].items()
    ]
    console.print(_table("Phases", ["phase", "wall s", "load start", "load end", "error"], ph))
