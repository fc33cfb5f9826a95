"""File-system edge cases: listing a corpus folder and refusing what is not a readable document."""

from __future__ import annotations

import errno
import os
import threading
import unicodedata
from pathlib import Path

import pytest

from retrieval.ingest import SUPPORTED_SUFFIXES, IngestError, iter_corpus_files, load_document
from retrieval.ingest import files as files_mod
from retrieval.ingest import text as text_mod
from retrieval.ingest import walk as walk_mod

TEXT = "Kế hoạch thực hiện công tác dân vận năm 2020.\n"


def assert_clear(err: IngestError, *words: str) -> None:
    assert isinstance(err, IngestError)
    assert err.reason and err.hint
    assert err.source in str(err)
    for w in words:
        assert w in f"{err.reason} {err.hint}", (w, str(err))


def errors_and_paths(root: Path) -> tuple[list[str], list[IngestError]]:
    paths, errors = [], []
    for item in iter_corpus_files(root):
        if isinstance(item, IngestError):
            errors.append(item)
        else:
            paths.append(item.relative_to(root).as_posix())
    return paths, errors


def test_supported_suffixes():
    assert {".txt", ".md", ".pdf", ".docx", ".html", ".htm", ".png", ".jpg", ".tif"} <= set(
        SUPPORTED_SUFFIXES
    )


def test_walk_is_sorted_skips_hidden_and_lock_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "a.md").write_text(TEXT, encoding="utf-8")
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".an.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "~$bao cao.docx").write_bytes(b"lock")
    (tmp_path / "Thumbs.db").write_bytes(b"\x00")
    paths, errors = errors_and_paths(tmp_path)
    assert paths == ["a.md", "b/2.txt", "c.pdf"]
    assert errors == []
    assert list(iter_corpus_files(tmp_path)) == list(iter_corpus_files(tmp_path))


def test_unknown_extension(tmp_path):
    (tmp_path / "so_lieu.xyz").write_text(TEXT, encoding="utf-8")
    (tmp_path / "khong_duoi").write_text(TEXT, encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "so_lieu.xyz", tmp_path)
    assert_clear(exc.value, "'.xyz'", "chưa được hỗ trợ", ".pdf")
    _, errors = errors_and_paths(tmp_path)
    assert [e.source for e in errors] == ["khong_duoi", "so_lieu.xyz"]
    assert_clear(errors[0], "không có phần mở rộng")


def test_old_word_file_gets_conversion_hint(tmp_path):
    (tmp_path / "cu.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "cu.doc", tmp_path)
    assert_clear(exc.value, ".doc", ".docx")


def test_directory_named_like_a_file(tmp_path):
    folder = tmp_path / "ke_hoach.pdf"
    folder.mkdir()
    (folder / "ben_trong.txt").write_text(TEXT, encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load_document(folder, tmp_path)
    assert_clear(exc.value, "thư mục")
    paths, errors = errors_and_paths(tmp_path)
    assert paths == ["ke_hoach.pdf/ben_trong.txt"] and errors == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "ong.txt"
    os.mkfifo(fifo)
    result: list[BaseException] = []

    def run() -> None:
        try:
            load_document(fifo, tmp_path)
        except BaseException as exc:  # collected for the assertion below
            result.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive(), "opening a FIFO blocked"
    assert isinstance(result[0], IngestError)
    assert_clear(result[0], "FIFO")
    _, errors = errors_and_paths(tmp_path)
    assert len(errors) == 1 and "FIFO" in errors[0].reason


def test_fifo_swapped_in_after_stat_is_still_refused(tmp_path):
    """open_regular checks the opened descriptor, not the earlier stat."""
    fifo = tmp_path / "doi.txt"
    os.mkfifo(fifo)
    with pytest.raises(IngestError) as exc:
        files_mod.open_regular(fifo, "doi.txt")
    assert_clear(exc.value, "FIFO")


def test_symlink_loops(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    sub = tmp_path / "con"
    sub.mkdir()
    (sub / "vong").symlink_to(tmp_path, target_is_directory=True)
    (sub / "that.txt").write_text(TEXT, encoding="utf-8")
    paths, errors = errors_and_paths(tmp_path)  # must terminate
    assert paths == ["con/that.txt"]
    reasons = {e.source: e.reason for e in errors}
    assert "vòng lặp" in reasons["a.txt"] and "vòng lặp" in reasons["b.txt"]
    assert "vòng lặp" in reasons["con/vong"]
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "a.txt", tmp_path)
    assert_clear(exc.value, "vòng lặp")


def test_same_folder_linked_twice_is_walked_once(tmp_path):
    real = tmp_path / "that"
    real.mkdir()
    (real / "x.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "z_lien_ket").symlink_to(real, target_is_directory=True)
    paths, errors = errors_and_paths(tmp_path)
    assert paths == ["that/x.txt"]
    assert len(errors) == 1 and "đường dẫn khác" in errors[0].reason


def test_broken_symlink(tmp_path):
    (tmp_path / "hong.txt").symlink_to(tmp_path / "khong_co.txt")
    _, errors = errors_and_paths(tmp_path)
    assert_clear(errors[0], "liên kết tượng trưng hỏng")
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "hong.txt", tmp_path)
    assert_clear(exc.value, "không còn tồn tại")


def test_symlink_to_a_file_is_followed(tmp_path):
    (tmp_path / "goc.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "ban_sao.txt").symlink_to(tmp_path / "goc.txt")
    assert load_document(tmp_path / "ban_sao.txt", tmp_path).text == TEXT


def test_file_without_read_permission(tmp_path, monkeypatch):
    path = tmp_path / "bi_mat.txt"
    path.write_text(TEXT, encoding="utf-8")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root reads anyway: simulate the kernel's answer
            real_open = os.open

            def denied(p, *args, **kwargs):
                if Path(p) == path:
                    raise PermissionError(errno.EACCES, "Permission denied", str(p))
                return real_open(p, *args, **kwargs)

            monkeypatch.setattr(files_mod.os, "open", denied)
        with pytest.raises(IngestError) as exc:
            load_document(path, tmp_path)
        assert_clear(exc.value, "quyền đọc", "chmod")
    finally:
        path.chmod(0o644)


def test_unreadable_folder_is_reported_not_raised(tmp_path, monkeypatch):
    locked = tmp_path / "khoa"
    locked.mkdir()
    (locked / "x.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "mo.txt").write_text(TEXT, encoding="utf-8")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK | os.X_OK):  # root: simulate
            real_scandir = os.scandir

            def denied(p):
                if Path(p) == locked:
                    raise PermissionError(errno.EACCES, "Permission denied", str(p))
                return real_scandir(p)

            monkeypatch.setattr(walk_mod.os, "scandir", denied)
        paths, errors = errors_and_paths(tmp_path)
        assert paths == ["mo.txt"]
        assert errors[0].source == "khoa"
        assert_clear(errors[0], "không đọc được thư mục", "quyền đọc")
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_vietnamese_file_names_with_spaces(tmp_path, form):
    folder = tmp_path / unicodedata.normalize(form, "Văn bản Tỉnh ủy")
    folder.mkdir()
    name = unicodedata.normalize(form, "Kế hoạch số 427 - Ban Dân vận.txt")
    (folder / name).write_text(TEXT, encoding="utf-8")
    (item,) = list(iter_corpus_files(tmp_path))
    doc = load_document(item, tmp_path)
    assert doc.source == f"{folder.name}/{name}"
    assert doc.text == TEXT


def test_non_utf8_file_name(tmp_path):
    raw = os.fsencode(tmp_path) + b"/k\xe9_ho\xe1ch.txt"  # Latin-1 bytes, invalid UTF-8
    try:
        with open(raw, "wb") as fh:
            fh.write(TEXT.encode())
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    (item,) = list(iter_corpus_files(tmp_path))
    with pytest.raises(IngestError) as exc:
        load_document(item, tmp_path)
    assert_clear(exc.value, "tên tệp", "đổi tên")
    str(exc.value).encode("utf-8")  # printable in the summary


def test_file_deleted_between_listing_and_reading(tmp_path):
    (tmp_path / "se_xoa.txt").write_text(TEXT, encoding="utf-8")
    items = list(iter_corpus_files(tmp_path))
    (tmp_path / "se_xoa.txt").unlink()
    with pytest.raises(IngestError) as exc:
        load_document(items[0], tmp_path)
    assert_clear(exc.value, "không còn tồn tại", "lập chỉ mục")


def test_file_deleted_after_the_stat(tmp_path, monkeypatch):
    """The race window inside load_document itself: stat succeeds, open fails."""
    (tmp_path / "x.txt").write_text(TEXT, encoding="utf-8")
    real_open = os.open

    def vanish(p, *args, **kwargs):
        os.unlink(p)
        return real_open(p, *args, **kwargs)

    monkeypatch.setattr(files_mod.os, "open", vanish)
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "x.txt", tmp_path)
    assert_clear(exc.value, "không còn tồn tại")


def test_corpus_root_missing_or_a_file(tmp_path):
    (err,) = list(iter_corpus_files(tmp_path / "khong_co"))
    assert_clear(err, "thư mục dữ liệu")
    (tmp_path / "tep.txt").write_text(TEXT, encoding="utf-8")
    (err,) = list(iter_corpus_files(tmp_path / "tep.txt"))
    assert_clear(err, "không phải là thư mục")


def test_unexpected_library_error_becomes_ingest_error(tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text(TEXT, encoding="utf-8")

    def boom(path, source):
        raise ZeroDivisionError("lỗi giả")

    monkeypatch.setattr(text_mod, "load_text", boom)
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "x.txt", tmp_path)
    assert_clear(exc.value, "ZeroDivisionError", "báo lỗi")


def test_path_outside_corpus_root(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACUU_ALLOWED_ROOTS", raising=False)
    (tmp_path / "x.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "khac").mkdir()
    with pytest.raises(IngestError) as exc:
        load_document(tmp_path / "x.txt", tmp_path / "khac")
    assert_clear(exc.value, "ngoài thư mục dữ liệu", "TRACUU_ALLOWED_ROOTS")
    monkeypatch.setenv("TRACUU_ALLOWED_ROOTS", str(tmp_path))
    assert load_document(tmp_path / "x.txt", tmp_path / "khac").source.endswith("x.txt")
