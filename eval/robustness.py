"""Bad input against `tracuu index`: every kind in one corpus, one table of what held.

Each kind is a file (or link, folder, name…) put into a corpus next to the five sample plans, with the
outcome a careful tool owes the user:

* ``refused``: a ``LỖI <file>: …`` line in the summary and the file is not in the index;
* ``warned``: indexed, with a ``CẢNH BÁO <file>: …`` line;
* ``indexed``: indexed, no line needed; ``skipped``: silently left out (hidden files, Office litter);
* two-run kinds (``kept``/``removed``/``repaired``) change the corpus between two runs.

A kind is held when its outcome matches and the run as a whole held: the CLI exited with 1 (there were
failures) and not with a traceback, the five plans are indexed, the index loads, nothing outside the
corpus is searchable, and no temporary file is left. Run:

    .venv/bin/python eval/robustness.py [--real-model]

By default the CLI runs with a hashing embedder (``tests/conftest.py``; the real model's cost is not
what is measured here). Prints a table and writes eval/results/robustness.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from eval.robustness_kinds import KINDS, SECRET, Kind  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

FAKE_CLI = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from conftest import FakeEmbedder
from retrieval import embedding, indexer, search
for m in (embedding, indexer, search):
    m.expected_checksum = lambda s: FakeEmbedder.checksum
indexer.make_embedder = search.make_embedder = lambda s: FakeEmbedder()
from retrieval.cli import app
app(prog_name="tracuu")
"""


def run_cli(corpus: Path, index: Path, work: Path, real: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRACUU_CACHE_DIR=str(work / "cache"))
    env.update(TRACUU_MAX_LINE_CHARS="5000", TRACUU_MAX_CHARS="300000")  # small limits, small files
    env.pop("TRACUU_ALLOWED_ROOTS", None)
    if real:
        cmd = [sys.executable, "-m", "retrieval.cli"]
    else:
        env["TRACUU_EMBED_MODEL"] = "fake"
        script = work / "fake_cli.py"
        script.write_text(FAKE_CLI.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
        cmd = [sys.executable, str(script)]
    return subprocess.run(
        [*cmd, "index", str(corpus), "--index-dir", str(index)],
        capture_output=True,
        env=env,
        timeout=1800,
        cwd=ROOT,
    )


def summary_lines(out: subprocess.CompletedProcess) -> list[str]:
    text = (out.stdout + out.stderr).decode("utf-8", "replace")
    return [ln.strip() for ln in text.splitlines()]


def outcome(kind: Kind, lines: list[str], sources: dict) -> str:
    name = kind.source
    failed = any(ln.startswith(f"LỖI {name}:") for ln in lines)
    warned = any(ln.startswith(f"CẢNH BÁO {name}:") for ln in lines)
    indexed = any(s == name or s.startswith(name + "/") for s in sources)
    if failed and not indexed:
        return "refused"
    if failed and indexed:
        return "kept"
    if warned and indexed:
        return "warned"
    if indexed:
        return "indexed"
    return "skipped" if not warned else "warned-not-indexed"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real-model", action="store_true", help="run the plain CLI with the real model")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from retrieval import store
    from retrieval.search import Searcher
    from retrieval.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus, outside, index = work / "corpus", work / "outside", work / "index"
        shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("README*"))
        outside.mkdir()
        (outside / "passwd.txt").write_text(SECRET, encoding="utf-8")
        notes = {}
        for kind in KINDS:
            try:
                kind.make(corpus, outside)
            except Exception as exc:  # e.g. a file system without FIFOs or non-UTF-8 names
                notes[kind.name] = f"không tạo được: {exc}"
        first = run_cli(corpus, index, work, args.real_model)
        lines1 = summary_lines(first)
        sources1 = dict(store.read_manifest(index)["sources"])
        for kind in KINDS:
            if kind.change is not None and kind.name not in notes:
                kind.change(corpus, outside)
        second = run_cli(corpus, index, work, args.real_model)
        lines2 = summary_lines(second)
        manifest = store.read_manifest(index)
        sources2 = manifest["sources"]
        settings = Settings(index_dir=index, cache_dir=work / "cache", embed_model="fake")
        run_checks = {
            "exit code 1, no traceback": all(
                o.returncode == 1 and b"Traceback" not in o.stderr for o in (first, second)
            ),
            "sample plans indexed": all(p.name in sources2 for p in (ROOT / "corpus").glob("0*.txt")),
            "no temporary files": not [n for n in os.listdir(index) if n.endswith((".tmp", ".partial"))],
            "nothing outside searchable": _no_leak(store, index, Searcher, settings),
        }
        rows = []
        for kind in KINDS:
            lines, sources = (lines2, sources2) if kind.change is not None else (lines1, sources1)
            got = "n/a" if kind.name in notes else outcome(kind, lines, sources)
            rows.append(
                {
                    "kind": kind.name,
                    "group": kind.group,
                    "expected": kind.expect,
                    "got": got,
                    "held": got == kind.expect and all(run_checks.values()),
                    "note": notes.get(kind.name, ""),
                    "line": next((ln for ln in lines if kind.source and f" {kind.source}:" in ln), ""),
                }
            )
    held = sum(r["held"] for r in rows)
    tried = sum(r["got"] != "n/a" for r in rows)
    width = max(len(r["kind"]) for r in rows)
    print(f"{'kind':<{width}}  {'group':<8} {'expected':<9} {'got':<9} held")
    for r in rows:
        mark = "✓" if r["held"] else "✗"
        print(f"{r['kind']:<{width}}  {r['group']:<8} {r['expected']:<9} {r['got']:<9} {mark}")
    for check, ok in run_checks.items():
        print(f"run check: {check}: {'✓' if ok else '✗'}")
    print(f"held {held} of {tried} kinds tried ({len(rows)} defined)")
    out = ROOT / "eval" / "results" / "robustness.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"held": held, "tried": tried, "run_checks": run_checks, "kinds": rows}
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def _no_leak(store, index: Path, searcher_cls, settings) -> bool:
    """The outside file's text is in no stored document and no search finds it."""
    docs = store.load_documents(store.generation_dir(index, store.read_manifest(index)))
    if any("QUẢN TRỊ" in d.text for d in docs.values()):
        return False
    searcher = searcher_cls.load(index, settings)
    return not [
        h for h in searcher.search("mật khẩu quản trị root", k=5, mode="bm25") if "root:x" in h.chunk.text
    ]


if __name__ == "__main__":
    main()
