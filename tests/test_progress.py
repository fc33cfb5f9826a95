"""Import progress: the snapshot's rate, time left and Vietnamese line; throttled plain reporting."""

from __future__ import annotations

import functools
import io

import pytest

from retrieval.indexing.checkpoint import CheckpointPolicy
from retrieval.indexing.progress import Snapshot, Throttle, duration, plain_reporter


def test_rate_and_time_left_go_by_the_bytes_read():
    snap = Snapshot(
        "read", 50, 200, 700, bytes_done=5_000_000, bytes_todo=15_000_000, elapsed=12, work_seconds=10
    )
    assert snap.mb_per_s == 0.5
    assert snap.eta_seconds == 30  # 15 MB left at 0.5 MB/s
    line = snap.line()
    assert line.startswith("Đọc: 50/200 văn bản (25 %)") and "700 đoạn" in line
    assert "0,50 MB/s" in line and "còn khoảng 30 giây" in line and "đã chạy 12 giây" in line
    unknown = Snapshot("read", 0, 200, 0, 0, 20_000_000, elapsed=0.1)
    assert unknown.mb_per_s is None and unknown.eta_seconds is None and "còn khoảng" not in unknown.line()


def test_embed_stage_counts_chunks():
    snap = Snapshot("embed", 200, 200, 1_000, 0, 0, elapsed=100, work_seconds=20, chunks_total=3_000)
    assert snap.eta_seconds == 40  # 2,000 chunks left at 50 chunks/s
    assert snap.line().startswith("Nhúng: 1.000/3.000 đoạn")


def test_duration_words():
    assert [duration(s) for s in (0, 59.4, 65, 3600 + 125)] == [
        "0 giây",
        "59 giây",
        "1 phút 05 giây",
        "1 giờ 02 phút",
    ]


def test_plain_lines_are_throttled_but_stage_changes_and_the_end_are_shown():
    now = [0.0]
    out: list[Snapshot] = []
    throttle = Throttle(out.append, every=5.0, clock=lambda: now[0])
    for i in range(10):  # one snapshot per second for 10 s
        throttle(Snapshot("read", i, 10, i, i, 10 - i, elapsed=i))
        now[0] += 1.0
    throttle(Snapshot("embed", 10, 10, 0, 0, 0, elapsed=10, chunks_total=5))  # a new stage: at once
    throttle(Snapshot("embed", 10, 10, 5, 0, 0, elapsed=10.5, chunks_total=5))
    throttle.close()  # the last state is always reported
    assert [(s.stage, s.docs_done, s.chunks) for s in out] == [
        ("read", 0, 0),
        ("read", 5, 5),
        ("embed", 10, 0),
        ("embed", 10, 5),
    ]
    buf = io.StringIO()
    reporter = plain_reporter(buf, every=0)
    reporter(Snapshot("read", 1, 2, 3, 4, 5, elapsed=1))
    assert buf.getvalue().startswith("Đọc: 1/2 văn bản (50 %)")


def test_build_index_reports_every_stage_and_the_totals(fake_settings, fake_embedder, tmp_path):
    from retrieval.indexer import build_index

    corpus = tmp_path / "docs"
    corpus.mkdir()
    for i in range(3):
        body = "\n\n".join(f"Đoạn {j} của kế hoạch số {i}: nội dung công việc cần làm." for j in range(30))
        (corpus / f"kh{i}.txt").write_text(f"KẾ HOẠCH\nSố {i}/KH\n\n{body}\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in corpus.iterdir())
    seen: list[Snapshot] = []
    report = build_index(
        corpus, fake_settings.index_dir, fake_settings, fake_embedder, on_progress=seen.append
    )
    stages = list(dict.fromkeys(s.stage for s in seen))
    assert stages == ["read", "embed", "write"]
    last_read = [s for s in seen if s.stage == "read"][-1]
    assert (last_read.docs_done, last_read.docs_total) == (3, 3)
    assert last_read.bytes_done == size and last_read.bytes_todo == 0
    assert last_read.chunks == report.n_chunks
    embeds = [s for s in seen if s.stage == "embed"]
    assert embeds[-1].chunks == embeds[-1].chunks_total == report.n_chunks
    # Nothing changed: skipped files count as done, with no rate to claim.
    again: list[Snapshot] = []
    build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder, on_progress=again.append)
    assert again[-1].docs_done == 3 and again[-1].bytes_done == 0 and again[-1].mb_per_s is None


# ------------------------------------------------------------------ checkpoints: resumable imports
def test_checkpoint_policy_spacing():
    p = CheckpointPolicy(every=60, start=0)
    assert not p.due(59, 5) and not p.due(61, 0) and p.due(61, 5)
    p.written(now=70, took=10)  # a 10 s checkpoint: the next one at least 100 s later
    assert not p.due(160, 5) and p.due(171, 5) and p.count == 1
    assert not CheckpointPolicy(every=0, start=0).due(1e9, 100)  # 0: only the final write


def test_interrupted_import_resumes_from_its_checkpoint(fake_settings, fake_embedder, tmp_path, monkeypatch):
    from dataclasses import replace

    from retrieval import indexer, store
    from retrieval.search import Searcher

    corpus = tmp_path / "docs"
    corpus.mkdir()
    for i in range(4):
        body = "\n\n".join(f"Mục {j}: kế hoạch số {i} giao nhiệm vụ {j} cho cơ quan {i}." for j in range(12))
        (corpus / f"kh{i}.txt").write_text(f"KẾ HOẠCH\nSố {i}/KH\n\n{body}\n", encoding="utf-8")
    settings = replace(fake_settings, checkpoint_seconds=1e-6)  # commit after every new document
    monkeypatch.setattr(indexer, "CheckpointPolicy", functools.partial(CheckpointPolicy, factor=0.0))
    from retrieval.indexing import parse

    real_ingest = parse.ingest_entry

    def crash_on_third(path, *args, **kw):
        if path.name == "kh2.txt":
            raise KeyboardInterrupt  # the import is stopped (Ctrl-C, a killed job, a power cut)
        return real_ingest(path, *args, **kw)

    monkeypatch.setattr(parse, "ingest_entry", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        indexer.build_index(corpus, settings.index_dir, settings, fake_embedder)
    live = store.read_manifest(settings.index_dir)  # readers already see what was imported
    assert sorted(live["sources"]) == ["kh0.txt", "kh1.txt"]
    searcher = Searcher.load(settings.index_dir, settings, fake_embedder)
    assert {d.source for d in searcher.documents.values()} == {"kh0.txt", "kh1.txt"}

    monkeypatch.setattr(parse, "ingest_entry", real_ingest)
    report = indexer.build_index(corpus, settings.index_dir, settings, fake_embedder)
    assert sorted(report.unchanged) == ["kh0.txt", "kh1.txt"]  # not parsed or embedded again
    assert sorted(report.added) == ["kh2.txt", "kh3.txt"] and report.n_documents == 4
    assert sorted(store.read_manifest(settings.index_dir)["sources"]) == [f"kh{i}.txt" for i in range(4)]


def test_checkpoints_never_drop_documents_not_visited_yet(
    fake_settings, fake_embedder, tmp_path, monkeypatch
):
    from dataclasses import replace

    from retrieval import indexer, store
    from retrieval.indexer import build_index

    monkeypatch.setattr(indexer, "CheckpointPolicy", functools.partial(CheckpointPolicy, factor=0.0))
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name in ("a.txt", "z.txt"):
        (corpus / name).write_text(f"KẾ HOẠCH\n\nNội dung {name} về công tác kiểm tra.\n", encoding="utf-8")
    build_index(corpus, fake_settings.index_dir, fake_settings, fake_embedder)
    for name in ("b.txt", "c.txt"):
        (corpus / name).write_text(f"KẾ HOẠCH\n\nNội dung {name} về công tác giám sát.\n", encoding="utf-8")
    seen_sources: list[set[str]] = []
    settings = replace(fake_settings, checkpoint_seconds=1e-6)

    def watch(snap):
        if snap.stage == "checkpoint":
            seen_sources.append(set(store.read_manifest(settings.index_dir)["sources"]))

    report = build_index(corpus, settings.index_dir, settings, fake_embedder, on_progress=watch)
    assert report.checkpoints >= 1 and seen_sources
    assert all({"a.txt", "z.txt"} <= s for s in seen_sources)  # z.txt was visited last, never dropped
