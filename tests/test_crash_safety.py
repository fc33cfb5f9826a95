"""SIGKILL the indexer at many points of a rebuild: the index must always load and equal either the
old or the new state (issue: crash safety). Uses the fake embedder so a rebuild takes ~1-3 s."""

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
    for delay in (0.05, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0, 4.0):
        shutil.rmtree(index)
        shutil.copytree(saved_old, index)
        _run(script, new_corpus, index, cache, delay)
        state = _snapshot(index)  # must load whatever the moment of the kill
        assert state in (old, new), (delay, state)
        outcomes["old" if state == old else "new"] += 1
        # and the next run repairs everything: it completes and leaves one generation, no leftovers
        _run(script, new_corpus, index, cache, None)
        assert _snapshot(index) == new
        names = os.listdir(index)
        assert sum(n.startswith("gen-") for n in names) == 1
        assert not [n for n in names if n.endswith((".partial", ".tmp"))]
    # the kills must have hit both before and after the commit point at least once
    assert outcomes["old"] >= 1, outcomes
    print(json.dumps(outcomes))
