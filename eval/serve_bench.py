"""Serving a long archive: a search process over an index of N chunks (1M by default).

    python eval/serve_bench.py --n 1000000 --workdir /tmp/serve-1m                  # this checkout
    python eval/serve_bench.py --n 1000000 --workdir /tmp/serve-1m --baseline <commit>

The N-chunk index is ALQAC replicated (as bench_scale.py does at 100k, README "Performance"): the
ALQAC index (built here with the real model unless ``--alqac-index`` names one) plus perturbed copies
of its documents — vectors with small noise, a few syllables dropped or swapped in the chunk texts and
BM25 tokens. Embedding 1M chunks would take days on 2 cores. The copies are streamed through a build
spool into tracuu's own writer (indexing/writer.write_held), so the files, BM25 arrays, FAISS index and
accent model are what a real index of that size holds; the build is kept in ``--workdir`` and reused.

Each searcher (this checkout, and the code of ``--baseline`` from a git worktree, on the same index)
runs in its own process: load time, RSS after load and a first question (VmRSS, and its anonymous and
file-backed parts),
then the ALQAC questions in hybrid, dense and bm25 mode (warm; a copy's hits count as its original's)
— latency p50/p95, MRR@10, R@10 — and peak RSS (VmHWM). Writes eval/results/serve_<n>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ALQAC = ROOT.parent / "shared" / "bench" / "alqac"
REPLICA_SEP = "~r"


def _status() -> dict:
    out = {}
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def build(alqac_index: Path, index_dir: Path, n: int, seed: int = 0) -> dict:
    """Stream ``n`` chunks of perturbed ALQAC copies through a spool into a new generation."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_core import load_entries
    from bench_scale import _NoEmbedder, replicas

    from retrieval.embedding import expected_checksum
    from retrieval.indexing.spool import Spool
    from retrieval.indexing.writer import write_held
    from retrieval.settings import Settings

    settings = Settings(index_dir=index_dir)
    base = load_entries(alqac_index)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    spool = Spool(Path(tempfile.mkdtemp(prefix=".spool-", dir=index_dir)), base[0].vectors.shape[1])
    held, reps = [spool.add(e) for e in base], 0
    for entry, rep in replicas(base, n, rng):
        held.append(spool.add(entry))
        reps = rep
    spool_s = time.perf_counter() - t0
    timings: dict = {}
    try:
        embedder = _NoEmbedder(expected_checksum(settings), base[0].vectors.shape[1])
        report = write_held(held, index_dir, settings, embedder, timings=timings)
    finally:
        spool.close()
    return {
        "n_chunks": report.n_chunks,
        "n_documents": report.n_documents,
        "replicas": reps,
        "spool_s": round(spool_s, 1),
        "write_s": round(timings["write"], 1),
        "index_bytes": sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()),
        "peak_rss_mb": _status()["VmHWM"],
    }


def search(index_dir: Path, queries: int) -> dict:
    """One searcher process: load, then the ALQAC questions in each mode (round-robin, warm)."""
    sys.path.insert(0, str(HERE))
    from bench_core import timed_quality, tracuu_modes

    from retrieval.beir import load_beir
    from retrieval.embedding import make_embedder
    from retrieval.search import Searcher
    from retrieval.settings import Settings

    settings = Settings(index_dir=index_dir)
    embedder = make_embedder(settings)
    embedder.embed_queries(["khởi động"])
    rss_model = _status()
    t0 = time.perf_counter()
    searcher = Searcher.load(index_dir, settings, embedder)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    searcher.search("Thời hạn nộp báo cáo là bao lâu?", k=10)  # loads the segmenter's models
    first_s = time.perf_counter() - t0
    rss_loaded = _status()
    data = load_beir(ALQAC)
    modes = timed_quality(
        tracuu_modes(searcher), data, limit=queries, map_id=lambda d: d.split(REPLICA_SEP, 1)[0]
    )
    return {
        "n_chunks": len(searcher.chunks),
        "dense_index": searcher.dense.kind,
        "index_load_s": round(load_s, 1),
        "first_search_s": round(first_s, 2),
        "rss_model": rss_model,
        "rss_loaded": rss_loaded,
        "modes": modes,
        "rss_end": _status(),
    }


def _worker(args) -> None:
    sys.path.insert(0, str(args.root))
    if args.worker == "build":
        out = build(args.alqac_index, args.index_dir, args.n)
    else:
        out = search(args.index_dir, args.queries)
    print("RESULT " + json.dumps(out, ensure_ascii=False), flush=True)


def _run(root: Path, task: str, args, extra: list[str]) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        task,
        "--root",
        str(root),
        "--index-dir",
        str(args.workdir / f"index-{args.n}"),
        "--n",
        str(args.n),
        *extra,
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{task} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:]) | {"wall_s": round(time.perf_counter() - t0, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tracuu-serve")
    p.add_argument(
        "--alqac-index", type=Path, help="an index of ALQAC (built by `make bench`); else built here"
    )
    p.add_argument("--baseline", help="commit whose Searcher is measured on the same index")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--worker", choices=("build", "search"), help=argparse.SUPPRESS)
    p.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    p.add_argument("--index-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        _worker(args)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    result: dict = {"n": args.n, "queries": args.queries, "date": time.strftime("%Y-%m-%d")}
    built = args.workdir / f"build-{args.n}.json"  # the build's own figures, kept with the index
    if not (args.workdir / f"index-{args.n}" / "manifest.json").exists():
        alqac = args.alqac_index or _alqac_index(args.workdir)
        build_result = _run(ROOT, "build", args, ["--alqac-index", str(alqac)])
        built.write_text(json.dumps(build_result | {"date": time.strftime("%Y-%m-%d")}), encoding="utf-8")
        print("build", build_result, flush=True)
    if built.exists():
        result["build"] = json.loads(built.read_text(encoding="utf-8"))
    result["this"] = _run(ROOT, "search", args, ["--queries", str(args.queries)])
    print("this", json.dumps(result["this"])[:400], flush=True)
    if args.baseline:
        with _worktree(args.baseline) as tree:
            result["baseline"] = _run(tree, "search", args, ["--queries", str(args.queries)])
            result["baseline_commit"] = args.baseline
        print("baseline", json.dumps(result["baseline"])[:400], flush=True)
    out = HERE / "results" / f"serve_{args.n}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    _table(result)


def _alqac_index(workdir: Path) -> Path:
    index = workdir / "alqac-index"
    if not (index / "manifest.json").exists():
        corpus = workdir / "alqac-corpus"
        corpus.mkdir(exist_ok=True)
        for line in (ALQAC / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            (corpus / f"{row['_id']}.txt").write_text(row["text"], encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "retrieval.cli", "index", str(corpus), "--index-dir", str(index)],
            check=True,
            cwd=ROOT,
        )
    return index


@contextlib.contextmanager
def _worktree(commit: str):
    tree = Path(tempfile.mkdtemp(prefix="tracuu-serve-base-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True, capture_output=True
    )
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


def _table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    cols = [k for k in ("baseline", "this") if k in result]
    t = Table(title=f"Search process over {result['this']['n_chunks']:,} chunks")
    t.add_column("")
    for c in cols:
        t.add_column(c if c == "this" else f"baseline {result.get('baseline_commit', '')[:7]}")
    rows = [
        ("index load (s)", lambda r: f"{r['index_load_s']}"),
        (
            "RSS after load + 1 question: total · anon · file (MB)",
            lambda r: " · ".join(f"{r['rss_loaded'][k]:,.0f}" for k in ("VmRSS", "RssAnon", "RssFile")),
        ),
        ("RSS at end · peak (MB)", lambda r: f"{r['rss_end']['VmRSS']:,.0f} · {r['rss_end']['VmHWM']:,.0f}"),
        ("model alone (MB)", lambda r: f"{r['rss_model']['VmRSS']:,.0f}"),
    ]
    for mode in ("hybrid", "bm25", "dense"):
        rows.append(
            (
                f"{mode} p50 / p95 (ms)",
                lambda r, m=mode: (
                    f"{r['modes'][m]['latency']['p50_ms']} / {r['modes'][m]['latency']['p95_ms']}"
                ),
            )
        )
        rows.append(
            (
                f"{mode} MRR@10 · R@10",
                lambda r, m=mode: f"{r['modes'][m]['mrr@10']:.3f} · {r['modes'][m]['recall@10']:.3f}",
            )
        )
    for name, fn in rows:
        t.add_row(name, *(fn(result[c]) for c in cols))
    Console().print(t)


if __name__ == "__main__":
    main()
