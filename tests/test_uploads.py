"""Uploads from the chat: byte-limited names, unique atomic saves (concurrent too), one result per file."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from retrieval.ui.corpus import safe_filename, save_upload
from retrieval.ui.uploads import MAX_NAME_BYTES, cut_utf8, fit_name


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_long_cjk_name_is_cut_in_bytes_and_the_batch_goes_on(tmp_path):
    batch = [
        ("文件" * 60 + ".pdf", b"%PDF-1.4 a"),
        ("Kế hoạch " * 40 + ".docx", b"PK docx"),
        ("kh.txt", b"abc"),
    ]
    results = [save_upload(tmp_path, name, data) for name, data in batch]
    assert [r.ok for r in results] == [True, True, True] and all(r.new for r in results)
    for r, (_, data) in zip(results, batch, strict=True):
        assert len(r.source.encode("utf-8")) <= MAX_NAME_BYTES
        assert (tmp_path / r.source).read_bytes() == data
        assert r.message.startswith(r.source) and "đã lưu" in r.message
    assert results[0].source.endswith(".pdf") and results[0].source.startswith("文件文件")
    assert results[1].source.endswith(".docx")
    assert names(tmp_path) == sorted(r.source for r in results)  # no temporary file left behind


def test_name_rules():
    assert safe_filename("../../etc/Kế hoạch.TXT") == "Kế hoạch.txt"
    assert safe_filename("C:\\Users\\a\\.bí mật.pdf") == "bí mật.pdf"
    assert safe_filename("a\x00b<c>.md") == "a_b_c_.md"
    assert safe_filename("...") == "van-ban"
    assert cut_utf8("ấấ", 5) == "ấ"  # never half a character
    long = fit_name("ệ" * 200, "pdf", copy=12)
    assert long.endswith(" (12).pdf") and len(long.encode("utf-8")) <= MAX_NAME_BYTES


def test_same_name_new_content_gets_a_suffix_same_content_is_kept_once(tmp_path):
    first = save_upload(tmp_path, "kh.txt", b"abc")
    same = save_upload(tmp_path, "kh.txt", b"abc")
    other = save_upload(tmp_path, "kh.txt", b"xyz")
    assert (first.source, same.source, other.source) == ("kh.txt", "kh.txt", "kh (2).txt")
    assert first.new and not same.new and other.new and "đã có" in same.message
    long = "Hướng dẫn " * 30 + ".md"
    a, b = save_upload(tmp_path, long, b"1"), save_upload(tmp_path, long, b"2")
    assert a.source != b.source and b.source.endswith(" (2).md")
    assert len(b.source.encode("utf-8")) <= MAX_NAME_BYTES


def test_dangling_symlink_and_directory_are_never_replaced(tmp_path):
    os.symlink(tmp_path / "khong-ton-tai.txt", tmp_path / "kh.txt")
    (tmp_path / "bc.txt").mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-ngoai.txt"
    outside.write_bytes(b"abc")
    os.symlink(outside, tmp_path / "tb.txt")
    r1, r2, r3 = (save_upload(tmp_path, n, b"abc") for n in ("kh.txt", "bc.txt", "tb.txt"))
    assert (r1.source, r2.source, r3.source) == ("kh (2).txt", "bc (2).txt", "tb (2).txt")
    assert all(r.new for r in (r1, r2, r3))
    assert (tmp_path / "kh.txt").is_symlink() and not (tmp_path / "kh.txt").exists()
    assert (tmp_path / "bc.txt").is_dir() and outside.read_bytes() == b"abc"


def test_errors_are_per_file_lines(tmp_path):
    not_a_dir = tmp_path / "kho"
    not_a_dir.write_text("x", encoding="utf-8")
    r = save_upload(not_a_dir, "kh.txt", b"abc")
    assert not r.ok and r.message.startswith("kh.txt: không lưu được")
    assert "không được hỗ trợ" in save_upload(tmp_path, "virus.exe", b"MZ").message
    assert "rỗng" in save_upload(tmp_path, "rong.pdf", b"").message


def _race(folder: Path, contents: list[bytes]) -> list:
    barrier = threading.Barrier(len(contents))
    results: list = [None] * len(contents)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = save_upload(folder, "Kế hoạch 37.pdf", contents[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(contents))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("round_", range(5))
def test_simultaneous_uploads_of_one_name_lose_nothing(tmp_path, round_):
    contents = [f"nội dung {i} ".encode() * 20_000 for i in range(8)]
    results = _race(tmp_path, contents)
    assert all(r.ok and r.new for r in results)
    assert len({r.source for r in results}) == 8
    assert sorted((tmp_path / r.source).read_bytes() for r in results) == sorted(contents)
    assert len(names(tmp_path)) == 8


def test_simultaneous_identical_uploads_keep_one_file(tmp_path):
    results = _race(tmp_path, [b"cung noi dung " * 50_000] * 6)
    assert sum(r.new for r in results) == 1 and all(r.ok for r in results)
    assert {r.source for r in results} == {"Kế hoạch 37.pdf"} and names(tmp_path) == ["Kế hoạch 37.pdf"]


def _save_in_process(folder: str, i: int, start) -> None:
    start.wait()
    r = save_upload(Path(folder), "Kế hoạch 37.pdf", f"tiến trình {i} ".encode() * 50_000)
    assert r.ok and r.new


def test_simultaneous_uploads_from_processes(tmp_path):
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_save_in_process, args=(str(tmp_path), i, start)) for i in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    saved = sorted((tmp_path / n).read_bytes()[:14] for n in names(tmp_path))
    assert saved == sorted(f"tiến trình {i} ".encode()[:14] for i in range(4))
