"""Ingestion speed and peak memory per format, on the real and legacy development files.

Each file is loaded by ``load_document`` in a fresh worker process (so peak RSS is that file's alone);
the worker reports the load time, its own peak RSS and that of its converter children (LibreOffice).
Per format: files, MB, seconds, MB/s, pages/s (PDF), the largest peak RSS.

    PYTHONPATH=. .venv/bin/python eval/ingest_speed.py [--per-format 3]

Prints a table and writes eval/results/ingest_speed.json. Timings include LibreOffice start-up
(about 1-2 s per .doc/.rtf/.xls file) and depend on machine load: compare runs on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "eval" / "results" / "ingest_speed.json"

_WORKER = r"""
import json, resource, sys, time
from pathlib import Path
from retrieval.ingest import IngestError, load_document
path = Path(sys.argv[1])
t0 = time.perf_counter()
try:
    doc = load_document(path, path.parent)
    error, chars, pages = "", len(doc.text), len(doc.page_starts)
except IngestError as exc:
    error, chars, pages = str(exc), 0, 0
seconds = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss, "child_rss_mb": child, "chars": chars,
                  "pages": pages, "error": error}))
"""


def kind_of(path: Path) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind == "pdf":
        return "pdf-legacy" if path.name.startswith(("tcvn3_", "vni_")) else "pdf-text"
    return {"htm": "html"}.get(kind, kind)


def pick_files(per_format: int) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = defaultdict(list)
    for folder in (SHARED / "real" / "docs", SHARED / "legacy" / "docs"):
        if folder.is_dir():
            for p in folder.iterdir():
                if p.is_file():
                    groups[kind_of(p)].append(p)
    return {
        k: sorted(v, key=lambda p: p.stat().st_size, reverse=True)[:per_format] for k, v in groups.items()
    }


def measure(path: Path, timeout: int = 600) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, str(path)], capture_output=True, text=True, timeout=timeout, env=env
    )
    if proc.returncode != 0:
        return {"seconds": 0.0, "rss_mb": 0.0, "child_rss_mb": 0.0, "chars": 0, "pages": 0,
                "error": proc.stderr.strip().splitlines()[-1:] or ["worker failed"]}  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-format", type=int, default=3, help="largest N files of each format")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows, summary = [], {}
    for kind, files in sorted(pick_files(args.per_format).items()):
        for path in files:
            m = measure(path)
            rows.append({"file": path.name, "kind": kind, "mb": path.stat().st_size / 2**20, **m})
            print(f"  {kind:10} {path.name[:50]:50} {m['seconds']:7.2f}s {m['rss_mb']:6.0f} MB", flush=True)
        ok = [r for r in rows if r["kind"] == kind and not r["error"]]
        secs = sum(r["seconds"] for r in ok) or 1e-9
        summary[kind] = {
            "files": len(files),
            "failed": len(files) - len(ok),
            "mb": round(sum(r["mb"] for r in ok), 2),
            "seconds": round(secs, 2),
            "mb_per_s": round(sum(r["mb"] for r in ok) / secs, 3),
            "pages_per_s": round(sum(r["pages"] for r in ok) / secs, 2) if kind.startswith("pdf") else None,
            "peak_rss_mb": round(max((r["rss_mb"] for r in ok), default=0), 1),
            "peak_converter_rss_mb": round(max((r["child_rss_mb"] for r in ok), default=0), 1),
        }
    print(
        f"\n{'format':11} {'files':>5} {'MB':>7} {'s':>7} {'MB/s':>7} {'pages/s':>8}"
        f" {'RSS MB':>7} {'conv MB':>8}"
    )
    for kind, s in summary.items():
        pages = f"{s['pages_per_s']:8.2f}" if s["pages_per_s"] is not None else f"{'':8}"
        print(
            f"{kind:11} {s['files']:5d} {s['mb']:7.2f} {s['seconds']:7.2f} {s['mb_per_s']:7.3f} {pages}"
            f" {s['peak_rss_mb']:7.0f} {s['peak_converter_rss_mb']:8.0f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"files": rows, "summary": summary}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
