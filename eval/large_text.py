"""Big but ordinary text files through the whole indexer: MB/s and peak RSS per file.

Files (generated from the sample plans, every paragraph numbered so no line repeats):
* ``100mb.txt``: 100 MB of ordinary paragraphs (the text cap TRACUU_MAX_CHARS applies);
* ``one_line_5mb.txt``: one 5 MB line without a newline (broken at TRACUU_MAX_LINE_CHARS).

Each file is indexed alone by ``build_index`` in a fresh child process (load, parse, chunk, segment,
BM25, FAISS, atomic write) with a hashing embedder, so the figures measure our pipeline and not the
e5 model (whose cost is per chunk and reported by ``eval/bench.py``). Peak RSS is the child's VmHWM;
MB per CPU second leaves out the time other jobs take on a shared machine.

    .venv/bin/python eval/large_text.py [--sizes-mb 100 --line-mb 5] [--timeout 900]

Prints a table and writes eval/results/large_text.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "corpus"

WORKER = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
from conftest import FakeEmbedder
from retrieval import embedding, indexer
from retrieval.settings import Settings
indexer.expected_checksum = embedding.expected_checksum = lambda s: FakeEmbedder.checksum
corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
s = Settings(index_dir=index, cache_dir=index.parent / "cache", embed_model="fake")
t0 = time.perf_counter()
r = indexer.build_index(corpus, index, s, embedder=FakeEmbedder())
dt = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
cpu = ru.ru_utime + ru.ru_stime
peak = 0
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM"):
        peak = int(line.split()[1]) // 1024
print(json.dumps({{"seconds": dt, "cpu_s": cpu, "peak_rss_mb": peak, "chunks": r.n_chunks,
                  "timings": r.timings, "failures": [f.line() for f in r.failures],
                  "warnings": [w.line() for w in r.warnings]}}))
"""


def _paragraphs() -> list[str]:
    paras = []
    for path in sorted(PLANS.glob("*.txt")):
        paras += [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 40]
    return paras


def write_paragraphs(path: Path, mb: int) -> None:
    paras = _paragraphs()
    target, n = mb * 10**6, 0
    with path.open("w", encoding="utf-8") as fh:
        while fh.tell() < target:
            fh.write(f"Đoạn {n}. {paras[n % len(paras)]}\n")
            n += 1


def write_one_line(path: Path, mb: int) -> None:
    paras = _paragraphs()
    target, n = mb * 10**6, 0
    with path.open("w", encoding="utf-8") as fh:
        while fh.tell() < target:
            fh.write(f"Đoạn {n}. {paras[n % len(paras)]} ")
            n += 1


def measure(path: Path, workdir: Path, timeout: int) -> dict:
    corpus = workdir / f"corpus_{path.stem}"
    corpus.mkdir()
    os.link(path, corpus / path.name)
    script = workdir / "worker.py"
    script.write_text(WORKER.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, str(script), str(corpus), str(workdir / f"index_{path.stem}")],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"file": path.name, "mb": path.stat().st_size / 1e6, "error": f"quá {timeout} s"}
    if out.returncode != 0:
        return {"file": path.name, "error": out.stderr[-2000:]}
    row = json.loads(out.stdout.strip().splitlines()[-1])
    size = path.stat().st_size / 1e6
    row.update(file=path.name, mb=round(size, 1), wall_s=round(time.perf_counter() - t0, 1))
    row["mb_per_s"] = round(size / row["seconds"], 2)
    row["mb_per_cpu_s"] = round(size / row["cpu_s"], 2)  # other jobs on a shared machine do not count
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes-mb", type=int, nargs="*", default=[100])
    ap.add_argument("--line-mb", type=int, nargs="*", default=[5])
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = []
        for mb in args.sizes_mb:
            files.append(work / f"{mb}mb.txt")
            write_paragraphs(files[-1], mb)
        for mb in args.line_mb:
            files.append(work / f"one_line_{mb}mb.txt")
            write_one_line(files[-1], mb)
        for f in files:
            rows.append(measure(f, work, args.timeout))
            print(json.dumps(rows[-1], ensure_ascii=False)[:400], file=sys.stderr)
    print(
        f"{'file':<22} {'MB':>6} {'wall s':>7} {'CPU s':>7} {'MB/CPU s':>8} {'peak RSS MB':>11} {'chunks':>7}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['file']:<22} LỖI {r['error'][:80]}")
            continue
        print(
            f"{r['file']:<22} {r['mb']:>6} {r['seconds']:>7.1f} {r['cpu_s']:>7.1f} {r['mb_per_cpu_s']:>8} "
            f"{r['peak_rss_mb']:>11} {r['chunks']:>7}"
        )
    out = ROOT / "eval" / "results" / "large_text.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
