"""The streamed build (documents spooled to disk, unchanged ones read from the live generation in
place) writes the same generation as a build from scratch, and leaves nothing behind."""

from __future__ import annotations

import functools
import json
from dataclasses import replace

import numpy as np
import pytest

from retrieval import store
from retrieval.indexer import build_index
from retrieval.indexing.checkpoint import CheckpointPolicy
from retrieval.sparse import SparseIndex


def _write_corpus(folder, names, variant=""):
    folder.mkdir(exist_ok=True)
    for i, name in enumerate(names):
        body = "\n\n".join(
            f"Mục {j}. Ủy ban nhân dân huyện {i} giao phòng {j} báo cáo trước ngày {j + 1}/12{variant}."
            for j in range(8)
        )
        (folder / name).write_text(f"KẾ HOẠCH\nSố {i}/KH-UBND\n\n{body}\n", encoding="utf-8")


def _generation(index_dir):
    return store.generation_dir(index_dir, store.read_manifest(index_dir))


def test_incremental_streamed_build_equals_fresh_build(fake_settings, fake_embedder, tmp_path):
    names = [f"kh{i:02d}.txt" for i in range(12)]
    corpus = tmp_path / "docs"
    _write_corpus(corpus, names)
    build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder)
    # change two files, remove one, add one, and copy one (a duplicate indexed once)
    _write_corpus(corpus, ["kh03.txt", "kh07.txt"], variant=" (sửa đổi)")
    (corpus / "kh05.txt").unlink()
    _write_corpus(corpus, ["kh99.txt"], variant=" mới")
    (corpus / "kh00-ban-sao.txt").write_bytes((corpus / "kh00.txt").read_bytes())
    report = build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder)
    assert sorted(report.updated) == ["kh03.txt", "kh07.txt"] and report.removed == ["kh05.txt"]
    assert len(report.unchanged) == 9

    fresh = replace(fake_settings, index_dir=tmp_path / "fresh")
    build_index(corpus, fresh.index_dir, fresh, fake_embedder)
    a, b = _generation(fake_settings.index_dir), _generation(fresh.index_dir)
    for name in ("documents.jsonl", "chunks.jsonl", "tokens.jsonl", "accents.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    np.testing.assert_array_equal(np.load(a / "vectors.npy"), np.load(b / "vectors.npy"))
    docs = [json.loads(x) for x in (a / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    copies = [d for d in docs if d["duplicate_of"]]  # the first of the two (sorted) keeps the chunks
    assert [(d["source"], d["duplicate_of"]) for d in copies] == [("kh00.txt", "kh00-ban-sao.txt")]
    sources = store.read_manifest(fake_settings.index_dir)["sources"]
    assert copies[0]["text"] and sources["kh00.txt"]["chunks"] == 0

    # BM25 written from the files equals bm25s built from every chunk's tokens at once
    tokens = [json.loads(x)["t"] for x in (a / "tokens.jsonl").read_text(encoding="utf-8").splitlines()]
    ref = SparseIndex.build(tokens)
    got = SparseIndex.load(a / "bm25_acc", len(tokens))
    for q in (["báo_cáo", "trước"], ["huyện", "sửa_đổi"], ["phòng"]):
        np.testing.assert_allclose(got.scores(q), ref.scores(q), rtol=1e-5, atol=1e-6)


def test_checkpointed_build_leaves_one_generation_and_no_spool(
    fake_settings, fake_embedder, tmp_path, monkeypatch
):
    from retrieval import indexer

    monkeypatch.setattr(indexer, "CheckpointPolicy", functools.partial(CheckpointPolicy, factor=0.0))
    corpus = tmp_path / "docs"
    _write_corpus(corpus, ["a.txt", "z.txt"])
    build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder)
    first = _generation(fake_settings.index_dir).name
    _write_corpus(corpus, ["b.txt", "c.txt", "d.txt"], variant=" thêm")
    settings = replace(fake_settings, checkpoint_seconds=1e-6)  # a commit after every new document
    report = build_index(corpus, settings.index_dir, settings, fake_embedder)
    assert report.checkpoints >= 2 and report.n_documents == 5
    # the first generation was read in place through every checkpoint, then cleaned up
    children = sorted(p.name for p in settings.index_dir.iterdir() if not p.name.startswith(".lock"))
    gens = [c for c in children if c.startswith("gen-")]
    assert gens == [_generation(settings.index_dir).name] and first not in gens
    assert children == sorted([*gens, "manifest.json"])  # no .spool, no partial folder


def test_parsing_in_a_worker_process_gives_the_same_index(fake_settings, fake_embedder, tmp_path):
    """TRACUU_PARSE_WORKERS=1 (the default on 2+ cores for 8+ files): files are parsed in a spawned
    process ahead of the embedder; the generation is the same as parsing in this process, and a bad
    file is still reported with its reason while the others are indexed."""
    names = [f"kh{i:02d}.txt" for i in range(10)]
    corpus = tmp_path / "docs"
    _write_corpus(corpus, names)
    (corpus / "hong.docx").write_bytes(b"PK\x03\x04 not really a docx")
    built = {}
    for workers in (0, 1):
        s = replace(fake_settings, index_dir=tmp_path / f"idx{workers}", parse_workers=workers)
        report = build_index(corpus, s.index_dir, s, fake_embedder)
        assert report.timings["parse_workers"] == workers
        assert report.n_documents == 10 and [f.source for f in report.failures] == ["hong.docx"]
        assert report.failures[0].reason  # the loader's Vietnamese reason, from either process
        built[workers] = (report, _generation(s.index_dir))
    (r0, a), (r1, b) = built[0], built[1]
    assert r0.failures == r1.failures and sorted(r0.added) == sorted(r1.added)
    assert r1.timings["parse"] > 0 and r1.timings["segment"] > 0 and "wait_parse" in r1.timings
    for name in ("documents.jsonl", "chunks.jsonl", "tokens.jsonl", "accents.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    np.testing.assert_array_equal(np.load(a / "vectors.npy"), np.load(b / "vectors.npy"))


def test_worker_starts_from_a_script_without_a_main_guard(tmp_path):
    """Streamlit runs the app as ``__main__`` with no ``if __name__ == "__main__"`` guard; a spawned
    worker must not run that script again (it raised "bootstrapping phase" and broke the pool)."""
    import subprocess
    import sys

    from conftest import ROOT

    docs = tmp_path / "docs"
    _write_corpus(docs, ["a.txt", "b.txt"])
    script = tmp_path / "app_like.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "from retrieval.indexing.parse import parse_in_order\n"
        "from retrieval.segment import SegmentCache\n"
        "from retrieval.settings import Settings\n"
        f"docs = Path({str(docs)!r})\n"
        "jobs = [(f, f.name, None) for f in sorted(docs.iterdir())]\n"
        "got = parse_in_order(jobs, docs, Settings(), SegmentCache(None), 1)\n"
        "print(sorted(p.source for p in got if p.entry is not None))\n",
        encoding="utf-8",
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "['a.txt', 'b.txt']"


def _build_stopped_at(name, corpus, settings, embedder, monkeypatch) -> None:
    """A build that stops (Ctrl-C, a killed job) when it reaches file ``name``, each earlier document
    embedded and spooled at once (no checkpoint)."""
    from retrieval import indexer
    from retrieval.indexing import parse

    monkeypatch.setattr(indexer, "EMBED_AHEAD", 1)
    real_ingest = parse.ingest_entry

    def stop(path, *args, **kw):
        if path.name == name:
            raise KeyboardInterrupt
        return real_ingest(path, *args, **kw)

    with monkeypatch.context() as m:
        m.setattr(parse, "ingest_entry", stop)
        with pytest.raises(KeyboardInterrupt):
            build_index(corpus, settings.index_dir, settings, embedder)


def test_interrupted_build_resumes_from_its_spool(fake_settings, fake_embedder, tmp_path, monkeypatch):
    """No checkpoint yet when the build stops: the documents already embedded are in the spool, with
    their content hashes; the next build takes them back instead of parsing and embedding them again
    (a half-written last document is dropped), and the result equals a build from scratch."""
    from retrieval.indexing.spool import SPOOL

    settings = replace(fake_settings, checkpoint_seconds=0, parse_workers=0)
    corpus = tmp_path / "docs"
    _write_corpus(corpus, ["kh0.txt", "kh1.txt", "kh2.txt", "kh3.txt"])
    _build_stopped_at("kh2.txt", corpus, settings, fake_embedder, monkeypatch)
    spool = settings.index_dir / SPOOL
    assert not (settings.index_dir / "manifest.json").exists() and (spool / "held.jsonl").is_file()
    with (spool / "chunks.jsonl").open("ab") as fh:  # a document cut off mid-write
        fh.write(b'{"chunk_id": "kh9#0", "te')
    with (spool / "held.jsonl").open("ab") as fh:
        fh.write(b'{"doc_row": 2, "sta')

    embedded: list[str] = []
    real_embed = fake_embedder.embed_passages
    monkeypatch.setattr(
        fake_embedder, "embed_passages", lambda texts: embedded.extend(texts) or real_embed(texts)
    )
    report = build_index(corpus, settings.index_dir, settings, fake_embedder)
    assert report.resumed == ["kh0.txt", "kh1.txt"] and len(report.added) == 4
    assert embedded and all("huyện 2" in t or "huyện 3" in t for t in embedded)  # only kh2, kh3
    assert not spool.exists()
    fresh = replace(settings, index_dir=tmp_path / "fresh")
    build_index(corpus, fresh.index_dir, fresh, fake_embedder)
    a, b = _generation(settings.index_dir), _generation(fresh.index_dir)
    for name in ("documents.jsonl", "chunks.jsonl", "tokens.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    np.testing.assert_array_equal(np.load(a / "vectors.npy"), np.load(b / "vectors.npy"))


def test_a_spool_of_another_model_is_not_reused(fake_settings, fake_embedder, tmp_path, monkeypatch):
    from retrieval.indexing.spool import SPOOL

    settings = replace(fake_settings, checkpoint_seconds=0, parse_workers=0)
    corpus = tmp_path / "docs"
    _write_corpus(corpus, ["kh0.txt", "kh1.txt"])
    _build_stopped_at("kh1.txt", corpus, settings, fake_embedder, monkeypatch)
    assert (settings.index_dir / SPOOL).is_dir()
    other = replace(settings, chunk_max_tokens=200)  # chunks made another way: nothing reusable
    report = build_index(corpus, other.index_dir, other, fake_embedder)
    assert report.resumed == [] and sorted(report.added) == ["kh0.txt", "kh1.txt"]


def test_flagged_documents_stay_flagged_when_read_in_place(fake_settings, fake_embedder, tmp_path):
    """A document with a passage addressed to an AI is reported as flagged when it is parsed and
    again when a later build reads it unchanged from the live generation."""
    from test_injection import PLANTED

    corpus = tmp_path / "docs"
    _write_corpus(corpus, ["kh0.txt", "kh1.txt"])
    (corpus / "thong_bao.txt").write_text(PLANTED, encoding="utf-8")
    first = build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder)
    assert first.flagged == ["thong_bao.txt"]
    _write_corpus(corpus, ["kh1.txt"], variant=" (sửa)")
    second = build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder)
    assert "thong_bao.txt" in second.unchanged and second.flagged == ["thong_bao.txt"]


def test_a_dead_parse_worker_does_not_stop_the_run(tmp_path, monkeypatch):
    """The worker killed mid-run (a file that crashes a parser, the OOM killer): what it finished is
    kept, at most the file it was on is reported with a Vietnamese reason, the rest are parsed here."""
    import os
    import signal

    import psutil

    from retrieval.indexing import parse
    from retrieval.segment import SegmentCache
    from retrieval.settings import Settings

    names = [f"kh{i:02d}.txt" for i in range(30)]
    docs = tmp_path / "docs"
    _write_corpus(docs, names)
    here: list[str] = []
    real_parse_file = parse.parse_file

    def in_this_process(path, *args, **kw):
        here.append(path.name)
        return real_parse_file(path, *args, **kw)

    monkeypatch.setattr(parse, "parse_file", in_this_process)  # the worker keeps its own copy
    jobs = [(docs / n, n, None) for n in names]
    got, killed = [], False
    for parsed in parse.parse_in_order(jobs, docs, Settings(), SegmentCache(None), 1):
        if not got:  # only the pool's worker (not the resource tracker, nor a test database server)
            for child in psutil.Process().children():
                cmd = " ".join(child.cmdline())
                if "spawn_main" in cmd and "resource_tracker" not in cmd:
                    os.kill(child.pid, signal.SIGKILL)
                    killed = True
        got.append(parsed)
    assert sorted(p.source for p in got) == names  # every file once, in order
    assert [p.source for p in got] == names
    failed = [p for p in got if p.entry is None]
    assert len(failed) <= 1 and all("dừng đột ngột" in p.failures[0].reason for p in failed)
    assert killed and here  # the run went on in this process after the worker died
