"""Import progress: the snapshot's rate, time left and Vietnamese line; throttled plain reporting."""

from __future__ import annotations

import io

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
