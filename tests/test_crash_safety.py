"""SIGKILL the indexer at many points of a rebuild: the index must always load and equal either the
old or the new state (issue: crash safety), while searcher processes keep loading the index and
searching it without a single error. Uses the fake embedder so a rebuild takes ~1-3 s."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval import store

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import FakeEmbedder
from retrieval import embedding, indexer, search
from retrieval.settings import Settings
for m in (embedding, indexer, search):
    m.expected_checksum = lambda s: FakeEmbedder.checksum
s = Settings(index_dir=Path(sys.argv[2]), cache_dir=Path(sys.argv[3]), embed_model="fake")
print("START", flush=True)
indexer.build_index(Path(sys.argv[1]), s.index_dir, s, embedder=FakeEmbedder())
print("DONE", flush=True)
"""


READER = """
import json, sys, time, traceback
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import FakeEmbedder
from retrieval import embedding, search
from retrieval.settings import Settings
for m in (embedding, search):
    m.expected_checksum = lambda s: FakeEmbedder.checksum
s = Settings(index_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]), embed_model="fake")
stop = Path(sys.argv[3])
ok, errors = 0, []
while not stop.exists():
    try:
        hits = search.Searcher.load(s.index_dir, s, FakeEmbedder()).search("kế hoạch tuyên truyền", k=3)
        assert hits
        ok += 1
    except Exception as exc:
        errors.append(f"{{type(exc).__name__}}: {{exc}}")
print(json.dumps({{"ok": ok, "errors": errors}}), flush=True)
"""


class Readers:
    """Searcher processes loading + searching the index in a loop until stopped."""

    def __init__(self, tmp: Path, index: Path, cache: Path, n: int) -> None:
        script = tmp / "reader.py"
        script.write_text(READER.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
        self.stop = tmp / "stop-readers"
        self.stop.unlink(missing_ok=True)
        self.procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(index), str(cache), str(self.stop)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(n)
        ]

    def finish(self) -> tuple[int, list[str]]:
        self.stop.touch()
        ok, errors = 0, []
        for p in self.procs:
            out, _ = p.communicate(timeout=300)
            row = json.loads(out.strip().splitlines()[-1])
            ok += row["ok"]
            errors += row["errors"]
        return ok, errors


def _run(script: Path, corpus: Path, index: Path, cache: Path, kill_after: float | None) -> bool:
    proc = subprocess.Popen(
        [sys.executable, str(script), str(corpus), str(index), str(cache)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "START"
    if kill_after is None:
        assert proc.wait(timeout=300) == 0
        return True
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.returncode == 0


def _snapshot(index: Path) -> tuple[tuple[str, ...], int]:
    """Load the index the way search does and summarize it."""
    manifest = store.read_manifest(index)
    gen = store.generation_dir(index, manifest)
    chunks = store.load_chunks(gen)
    vectors = store.load_vectors(gen / "vectors.npy")
    docs = store.load_documents(gen)
    assert len(chunks) == len(vectors) == manifest["counts"]["chunks"]
    assert {c.doc_id for c in chunks} <= set(docs)
    return tuple(sorted(manifest["sources"])), len(chunks)


@pytest.mark.slow
def test_sigkill_during_rebuild_leaves_old_or_new(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    corpus, index, cache = tmp_path / "corpus", tmp_path / "index", tmp_path / "cache"
    shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("README*"))
    _run(script, corpus, index, cache, None)
    old = _snapshot(index)

    # The new state: two more documents (a copy of each of two plans under new names) and one removed.
    new_corpus = tmp_path / "corpus_new"
    shutil.copytree(corpus, new_corpus)
    plans = sorted(new_corpus.glob("*.txt"))
    shutil.copy(plans[0], new_corpus / "ban_sao_a.txt")
    shutil.copy(plans[1], new_corpus / "ban_sao_b.txt")
    plans[2].unlink()
    reference = tmp_path / "reference"
    _run(script, new_corpus, reference, cache, None)
    new = _snapshot(reference)
    assert new != old

    saved_old = tmp_path / "index_old"
    shutil.copytree(index, saved_old)
    outcomes = {"old": 0, "new": 0}
    delays = (
        0.02,
        0.05,
        0.1,
        0.2,
        0.3,
        0.45,
        0.6,
        0.8,
        1.0,
        1.25,
        1.5,
        1.75,
        2.0,
        2.5,
        3.0,
        3.5,
        4.0,
        5.0,
        6.0,
        8.0,
    )
    loads, reader_errors = 0, []
    for delay in delays:
        shutil.rmtree(index)
        shutil.copytree(saved_old, index)
        readers = Readers(tmp_path, index, cache, 2)  # searches keep going through the kill
        _run(script, new_corpus, index, cache, delay)
        state = _snapshot(index)  # must load whatever the moment of the kill
        assert state in (old, new), (delay, state)
        outcomes["old" if state == old else "new"] += 1
        # and the next run repairs everything: it completes and leaves one generation, no leftovers
        _run(script, new_corpus, index, cache, None)
        ok, errors = readers.finish()
        loads, reader_errors = loads + ok, reader_errors + errors
        assert _snapshot(index) == new
        names = os.listdir(index)
        assert sum(n.startswith("gen-") for n in names) == 1
        assert not [n for n in names if n.endswith((".partial", ".tmp"))]
    assert len(delays) >= 20
    # the kills must have hit both before and after the commit point at least once
    assert outcomes["old"] >= 1, outcomes
    assert not reader_errors, reader_errors[:5]
    assert loads > 0
    print(json.dumps({**outcomes, "kill_points": len(delays), "reader_loads": loads, "reader_errors": 0}))


@pytest.mark.slow
def test_concurrent_searchers_during_reindexes(tmp_path):
    """Four searcher processes load and search while the index is rebuilt back and forth: no load may
    fail (a reader finishes on the generation it started with)."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    corpus_a, index, cache = tmp_path / "a", tmp_path / "index", tmp_path / "cache"
    shutil.copytree(ROOT / "corpus", corpus_a, ignore=shutil.ignore_patterns("README*"))
    corpus_b = tmp_path / "b"
    shutil.copytree(corpus_a, corpus_b)
    sorted(corpus_b.glob("*.txt"))[0].unlink()
    _run(script, corpus_a, index, cache, None)
    readers = Readers(tmp_path, index, cache, 4)
    t0 = time.perf_counter()
    for i in range(8):
        _run(script, corpus_b if i % 2 == 0 else corpus_a, index, cache, None)
    ok, errors = readers.finish()
    assert not errors, errors[:5]
    assert ok >= 8
    print(json.dumps({"reindexes": 8, "reader_loads": ok, "errors": 0, "seconds": time.perf_counter() - t0}))
