"""Index folder: incremental re-index, bad input kept out, manifest checks, crash-safe saves.
Uses the fake embedder (plumbing only); the real-model path is in test_search_integration.py."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from retrieval import store
from retrieval.indexer import build_index
from retrieval.search import Searcher


def _index(corpus, settings, emb):
    return build_index(corpus, settings.index_dir, settings, embedder=emb)


def _state(index_dir):
    m = store.read_manifest(index_dir)
    gen = store.generation_dir(index_dir, m)
    return m["sources"], [c.chunk_id for c in store.load_chunks(gen)], store.load_vectors(gen / "vectors.npy")


def test_incremental_reindex(corpus_copy, fake_settings, fake_embedder):
    r1 = _index(corpus_copy, fake_settings, fake_embedder)
    assert len(r1.added) == 5 and r1.written and not r1.failures
    sources, chunk_ids, vectors = _state(fake_settings.index_dir)
    assert len(chunk_ids) == len(vectors) > 20
    assert "README.md" not in sources  # the corpus README documents the corpus; it is not indexed

    r2 = _index(corpus_copy, fake_settings, fake_embedder)
    assert not r2.written and len(r2.unchanged) == 5

    target = next(corpus_copy.glob("003_*.txt"))
    text = target.read_text(encoding="utf-8")
    marker = "III- HÌNH THỨC TUYÊN TRUYỀN"
    assert marker in text
    target.write_text(
        text.replace(marker, "Bổ sung nhiệm vụ chuyển đổi số hợp tác xã.\n\n" + marker), encoding="utf-8"
    )
    (corpus_copy / next(corpus_copy.glob("002_*.txt")).name).unlink()
    r3 = _index(corpus_copy, fake_settings, fake_embedder)
    assert r3.updated == [target.name] and len(r3.removed) == 1 and len(r3.unchanged) == 3
    sources3, chunk_ids3, vectors3 = _state(fake_settings.index_dir)
    assert len(sources3) == 4 and len(chunk_ids3) == len(vectors3)
    # unchanged documents keep their vectors exactly
    keep = [i for i, c in enumerate(chunk_ids) if c.startswith("000_")]
    keep3 = [i for i, c in enumerate(chunk_ids3) if c.startswith("000_")]
    assert np.array_equal(vectors[keep], vectors3[keep3])
    hits = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder).search(
        "chuyển đổi số hợp tác xã", k=3, mode="bm25"
    )
    assert hits[0].chunk.source == target.name


def test_bad_file_reported_and_old_version_kept(corpus_copy, fake_settings, fake_embedder):
    _index(corpus_copy, fake_settings, fake_embedder)
    victim = next(corpus_copy.glob("001_*.txt"))
    victim.write_bytes(b"\x00\x01\x02binary\xff\xfe" * 100)
    (corpus_copy / "hong.txt").write_bytes(bytes(range(256)) * 10)
    report = _index(corpus_copy, fake_settings, fake_embedder)
    failed = {f.source for f in report.failures}
    assert {victim.name, "hong.txt"} <= failed
    assert all(f.reason for f in report.failures)
    sources, _, _ = _state(fake_settings.index_dir)
    assert victim.name in sources and "hong.txt" not in sources  # the indexed version is not lost


def test_manifest_mismatch_is_a_clear_error(corpus_copy, fake_settings, fake_embedder):
    _index(corpus_copy, fake_settings, fake_embedder)
    path = fake_settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["model"]["name"] = "intfloat/other-model"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(store.IndexMismatchError, match="lập chỉ mục lại"):
        Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    manifest["model"]["name"] = "fake"
    manifest["model"]["checksum"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")
    s = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    with pytest.raises(store.IndexMismatchError, match="mô hình"):
        s.search("báo cáo", mode="dense")
    manifest["schema_version"] = 999
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(store.IndexMismatchError, match="phiên bản"):
        Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)


def test_missing_index_message(tmp_path, fake_settings, fake_embedder):
    with pytest.raises(store.IndexMissingError, match="tracuu index"):
        Searcher.load(tmp_path / "nothing", fake_settings, fake_embedder)


def test_crash_during_save_leaves_old_index(corpus_copy, fake_settings, fake_embedder, monkeypatch):
    _index(corpus_copy, fake_settings, fake_embedder)
    before = _state(fake_settings.index_dir)
    (corpus_copy / "moi.txt").write_text(
        "KẾ HOẠCH\n\nI. MỤC ĐÍCH\n\nNội dung mới hoàn toàn.\n", encoding="utf-8"
    )

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store, "atomic_write_text", boom)
    with pytest.raises(OSError):
        _index(corpus_copy, fake_settings, fake_embedder)
    after = _state(fake_settings.index_dir)
    assert after[0] == before[0] and after[1] == before[1]
    Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder).search("kế hoạch", k=1)
    monkeypatch.undo()
    # the next successful run cleans leftovers of the interrupted one
    _index(corpus_copy, fake_settings, fake_embedder)
    leftovers = [
        p for p in os.listdir(fake_settings.index_dir) if p.endswith(".partial") or p.endswith(".tmp")
    ]
    gens = [p for p in os.listdir(fake_settings.index_dir) if p.startswith("gen-")]
    assert not leftovers and len(gens) == 1


def test_concurrent_index_runs_are_locked(corpus_copy, fake_settings, fake_embedder):
    from filelock import FileLock

    from retrieval.indexer import IndexLockedError

    fake_settings.index_dir.mkdir(parents=True)
    with (
        FileLock(str(fake_settings.index_dir / ".lock")),
        pytest.raises(IndexLockedError, match="tiến trình khác"),
    ):
        _index(corpus_copy, fake_settings, fake_embedder)


def test_duplicate_documents_indexed_once(corpus_copy, fake_settings, fake_embedder):
    plan = next(corpus_copy.glob("000_*.txt"))
    (corpus_copy / "ban sao của kế hoạch.txt").write_text(plan.read_text(encoding="utf-8"), encoding="utf-8")
    report = _index(corpus_copy, fake_settings, fake_embedder)
    assert not report.failures
    sources, chunk_ids, _ = _state(fake_settings.index_dir)
    assert sources["ban sao của kế hoạch.txt"]["duplicate_of"] == "000_7f24dc1676206cad.txt"
    assert not [c for c in chunk_ids if c.startswith("ban sao")]  # indexed once
    s = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    assert s.document("000_7f24dc1676206cad").copies == ("ban sao của kế hoạch.txt",)
    assert not _index(corpus_copy, fake_settings, fake_embedder).written  # copies count as unchanged
    plan.unlink()  # the indexed twin goes away: the copy is indexed in its place
    report = _index(corpus_copy, fake_settings, fake_embedder)
    sources, chunk_ids, _ = _state(fake_settings.index_dir)
    assert "duplicate_of" not in sources["ban sao của kế hoạch.txt"]
    assert any(c.startswith("ban sao") for c in chunk_ids)
