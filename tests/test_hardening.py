"""Attacks that used to break indexing or storage (issue "Nothing lost, nothing leaked"): each test
reproduces one break with real files, the real ingest and the real indexer (fake embedder: plumbing)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from retrieval import store
from retrieval.indexer import build_index
from retrieval.ingest import IngestError, iter_corpus_files, load_document
from retrieval.ingest import vietnamese as vn
from retrieval.search import Searcher

TEXT = "KẾ HOẠCH\n\nI. MỤC ĐÍCH\n\nTổ chức tuyên truyền sâu rộng về chuyển đổi số trong hợp tác xã.\n"


def _index(corpus, settings, emb):
    return build_index(corpus, settings.index_dir, settings, embedder=emb)


def _sources(index_dir: Path) -> dict:
    return store.read_manifest(index_dir)["sources"]


def _leftovers(index_dir: Path) -> list[str]:
    return [n for n in os.listdir(index_dir) if n.endswith((".tmp", ".partial"))]


# --------------------------------------------------------------------------- 1. files outside the corpus


def test_symlink_outside_corpus_is_refused(tmp_path, corpus_copy, fake_settings, fake_embedder, monkeypatch):
    monkeypatch.delenv("TRACUU_ALLOWED_ROOTS", raising=False)
    outside = tmp_path / "bi_mat"
    outside.mkdir()
    secret = outside / "passwd.txt"
    secret.write_text("root:x:0:0:mật khẩu quản trị hệ thống:/root:/bin/bash\n", encoding="utf-8")
    (corpus_copy / "passwd.txt").symlink_to(secret)
    (corpus_copy / "thu_muc_ngoai").symlink_to(outside, target_is_directory=True)
    report = _index(corpus_copy, fake_settings, fake_embedder)
    failed = {f.source: f for f in report.failures}
    assert set(failed) == {"passwd.txt", "thu_muc_ngoai"}
    assert all(
        "ngoài thư mục dữ liệu" in f.reason and "TRACUU_ALLOWED_ROOTS" in f.hint for f in failed.values()
    )
    assert not {"passwd.txt", "thu_muc_ngoai/passwd.txt"} & set(_sources(fake_settings.index_dir))
    hits = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder).search(
        "mật khẩu quản trị", k=3, mode="bm25"
    )
    assert not [h for h in hits if "passwd" in h.chunk.source]
    # load_document re-checks the resolved path itself (a caller that skips the walk)
    with pytest.raises(IngestError, match="ngoài thư mục dữ liệu"):
        load_document(corpus_copy / "passwd.txt", corpus_copy)
    with pytest.raises(IngestError, match="ngoài thư mục dữ liệu"):
        load_document(secret, corpus_copy)


def test_allowed_roots_setting_admits_linked_folders(
    tmp_path, corpus_copy, fake_settings, fake_embedder, monkeypatch
):
    shared = tmp_path / "dung_chung"
    shared.mkdir()
    (shared / "ke_hoach_chung.txt").write_text(TEXT, encoding="utf-8")
    (corpus_copy / "chung").symlink_to(shared, target_is_directory=True)
    monkeypatch.setenv("TRACUU_ALLOWED_ROOTS", os.pathsep.join([str(tmp_path / "khac"), str(shared)]))
    report = _index(corpus_copy, fake_settings, fake_embedder)
    assert not report.failures, [f.line() for f in report.failures]
    assert "chung/ke_hoach_chung.txt" in _sources(fake_settings.index_dir)


def test_corpus_root_itself_may_be_a_link(tmp_path):
    real = tmp_path / "that"
    real.mkdir()
    (real / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "lien_ket").symlink_to(real, target_is_directory=True)
    (item,) = list(iter_corpus_files(tmp_path / "lien_ket"))
    assert load_document(item, tmp_path / "lien_ket").text == TEXT


# --------------------------------------------------------------------------- 2. non-UTF-8 file names


def test_non_utf8_name_does_not_abort_the_run(corpus_copy, fake_settings, fake_embedder):
    _index(corpus_copy, fake_settings, fake_embedder)
    try:
        with open(os.fsencode(corpus_copy) + b"/k\xe9_ho\xe1ch.txt", "wb") as fh:
            fh.write(TEXT.encode())
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    (corpus_copy / "moi.txt").write_text(TEXT.replace("chuyển đổi số", "kinh tế tập thể"), encoding="utf-8")
    report = _index(corpus_copy, fake_settings, fake_embedder)
    assert report.written and "moi.txt" in report.added
    (bad,) = report.failures
    assert "tên tệp" in bad.reason
    bad.line().encode("utf-8")  # printable
    assert "moi.txt" in _sources(fake_settings.index_dir)
    assert not _leftovers(fake_settings.index_dir)


def test_failed_atomic_write_leaves_no_temporary_file(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        store.atomic_write_text(tmp_path / "m.json", "x\udce9")
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- 3. orphaned duplicates


def test_orphaned_duplicate_that_became_bad_does_not_abort(corpus_copy, fake_settings, fake_embedder):
    (corpus_copy / "A.txt").write_text(TEXT, encoding="utf-8")
    (corpus_copy / "B.txt").write_text(TEXT, encoding="utf-8")
    _index(corpus_copy, fake_settings, fake_embedder)
    assert _sources(fake_settings.index_dir)["B.txt"]["duplicate_of"] == "A.txt"
    (corpus_copy / "A.txt").unlink()
    (corpus_copy / "B.txt").write_bytes(b"")
    (corpus_copy / "C.txt").write_text(TEXT.replace("chuyển đổi số", "kinh tế tập thể"), encoding="utf-8")
    for _ in range(2):  # and every later run
        report = _index(corpus_copy, fake_settings, fake_embedder)
        assert [f.source for f in report.failures] == ["B.txt"]
        sources = _sources(fake_settings.index_dir)
        assert "C.txt" in sources and "A.txt" not in sources
        # B's last good content (indexed under A) is kept under B's own name
        assert "B.txt" in sources and "duplicate_of" not in sources["B.txt"]
    hits = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder).search(
        "chuyển đổi số hợp tác xã", k=5, mode="bm25"
    )
    assert {h.chunk.source for h in hits} >= {"B.txt"} and "A.txt" not in {h.chunk.source for h in hits}


# --------------------------------------------------------------------------- 5. mixed encodings, warnings


def test_mixed_tcvn3_and_utf8_lines_decode_per_line(tmp_path):
    lines = [
        "KẾ HOẠCH tổ chức hội nghị sơ kết công tác dân vận",
        "Căn cứ kế hoạch số 12 của Ban Thường vụ về việc triển khai nhiệm vụ",
        "Ban Dân vận tổ chức hội nghị với các nội dung sau đây",
        "Thời gian: ngày 15 tháng 3 năm 2024, địa điểm: hội trường tỉnh ủy",
    ]
    data = b"\n".join(
        vn.encode_legacy(ln.lower(), "tcvn3") if i % 2 == 0 else ln.encode("utf-8")
        for i, ln in enumerate(lines)
    )
    (tmp_path / "tron.txt").write_bytes(data + b"\n")
    doc = load_document(tmp_path / "tron.txt", tmp_path)
    expected = [ln.lower() if i % 2 == 0 else ln for i, ln in enumerate(lines)]
    assert doc.text == "\n".join(expected) + "\n"
    assert any("TCVN3" in w and "UTF-8" in w for w in doc.warnings), doc.warnings


def test_loader_warnings_reach_the_stored_document(corpus_copy, fake_settings, fake_embedder):
    text = "\n".join(["Kế hoạch tuyên truyền chuyển đổi số năm 2024 của huyện"] * 20) + "\n"
    (corpus_copy / "cu.txt").write_bytes(vn.encode_legacy(text, "tcvn3"))
    report = _index(corpus_copy, fake_settings, fake_embedder)
    assert [w.source for w in report.warnings] == ["cu.txt"]
    assert "TCVN3" in report.warnings[0].line()
    doc = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder).document("cu")
    assert any("TCVN3" in w for w in doc.warnings)
    assert any("TCVN3" in w for w in _sources(fake_settings.index_dir)["cu.txt"]["warnings"])
    assert not _index(corpus_copy, fake_settings, fake_embedder).warnings  # unchanged: said once


# --------------------------------------------------------------------------- 6. readers during a re-index


def test_reader_finishes_on_its_generation_while_a_reindex_commits(
    corpus_copy, fake_settings, fake_embedder, monkeypatch
):
    _index(corpus_copy, fake_settings, fake_embedder)
    old_sources = set(_sources(fake_settings.index_dir))
    (corpus_copy / "moi.txt").write_text(TEXT, encoding="utf-8")
    import retrieval.search as search_module

    real_table = search_module.DocumentTable
    fired = []

    def reindex_then_open(path):
        if not fired:  # a re-index commits (and cleans up) between the manifest read and the data read
            fired.append(None)
            fired[0] = _index(corpus_copy, fake_settings, fake_embedder)
        return real_table(path)

    monkeypatch.setattr(search_module, "DocumentTable", reindex_then_open)
    s = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    assert fired and fired[0].written
    assert {d.source for d in s.documents.values()} == old_sources  # the generation it started with
    monkeypatch.undo()
    # the held generation goes away at the next commit once no reader holds it
    (corpus_copy / "moi2.txt").write_text(TEXT.replace("hợp tác xã", "doanh nghiệp"), encoding="utf-8")
    _index(corpus_copy, fake_settings, fake_embedder)
    assert sum(n.startswith("gen-") for n in os.listdir(fake_settings.index_dir)) == 1
    assert "moi2.txt" in {
        d.source
        for d in Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder).documents.values()
    }


def test_damaged_generation_is_a_clear_index_error(corpus_copy, fake_settings, fake_embedder):
    _index(corpus_copy, fake_settings, fake_embedder)
    gen = store.generation_dir(fake_settings.index_dir, store.read_manifest(fake_settings.index_dir))
    (gen / "chunks.jsonl").unlink()
    with pytest.raises(store.IndexError_, match="lập chỉ mục lại"):
        Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)


# --------------------------------------------------------------------------- 7. segmentation cache


def test_two_runs_share_the_segmentation_cache(tmp_path):
    from retrieval.segment import SegmentCache

    path = tmp_path / "segments.sqlite"
    a = SegmentCache(path)
    a.words("Kế hoạch tuyên truyền chuyển đổi số")  # a run that has written and not yet closed
    errors: list[BaseException] = []

    def other_run():
        try:
            b = SegmentCache(path)
            for i in range(50):
                b.words(f"Hội nghị sơ kết số {i}")
            b.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t0 = time.perf_counter()
    th = threading.Thread(target=other_run)
    th.start()
    for i in range(50):
        a.words(f"Báo cáo tổng kết năm {i}")
    th.join(timeout=60)
    a.close()
    assert not errors, errors
    assert time.perf_counter() - t0 < 20
    c = SegmentCache(path)
    assert c.words("Hội nghị sơ kết số 3") and c.words("Báo cáo tổng kết năm 7")
    c.close()


# --------------------------------------------------------------------------- the `tracuu index` summary


def test_index_summary_prints_warnings_and_refusals(tmp_path, corpus_copy, fake_settings, monkeypatch):
    from typer.testing import CliRunner

    from retrieval.cli import app

    monkeypatch.setenv("TRACUU_EMBED_MODEL", "fake")
    monkeypatch.setenv("TRACUU_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TRACUU_ALLOWED_ROOTS", raising=False)
    text = "\n".join(["Kế hoạch tuyên truyền chuyển đổi số năm 2024 của huyện"] * 20) + "\n"
    (corpus_copy / "cu.txt").write_bytes(vn.encode_legacy(text, "tcvn3"))
    secret = tmp_path / "passwd.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (corpus_copy / "passwd.txt").symlink_to(secret)
    result = CliRunner().invoke(app, ["index", str(corpus_copy), "--index-dir", str(fake_settings.index_dir)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "CẢNH BÁO cu.txt: tệp dùng bảng mã cũ TCVN3" in out
    assert "LỖI passwd.txt: đường dẫn trỏ ra ngoài thư mục dữ liệu" in out


# --------------------------------------------------------------------------- 4. big ordinary files


@pytest.mark.slow
def test_one_long_line_costs_linear_time(tmp_path):
    """Load + structure + chunks of a file that is one long line: 4x the text may cost at most ~4x
    (CPU time, so other jobs on the machine do not count); quadratic behaviour would show as 16x."""
    from retrieval.chunking import chunk_document
    from retrieval.ingest.limits import ingest_limits
    from retrieval.structure import parse_document

    sentence = "Ban Thường vụ Tỉnh ủy xây dựng kế hoạch thực hiện như sau: đổi mới nội dung số {}. "
    cost = {}
    for n in (3_000, 12_000):  # ~250 KB and ~1 MB, one line
        path = tmp_path / f"mot_dong_{n}.txt"
        path.write_text("".join(sentence.format(i) for i in range(n)), encoding="utf-8")
        t0 = time.process_time()
        raw = load_document(path, tmp_path)
        chunks = chunk_document(parse_document(raw, path.stem), 350)
        cost[n] = time.process_time() - t0
        assert max(len(ln) for ln in raw.text.split("\n")) <= ingest_limits().max_line_chars
        assert sum(len(c.text) for c in chunks) > 0.9 * len(raw.text)  # nothing dropped
    assert cost[12_000] < 7 * cost[3_000], cost


def test_lines_broken_mid_sentence_still_make_bounded_chunks(tmp_path, monkeypatch):
    """A long line broken at TRACUU_MAX_LINE_CHARS is rejoined by the parser (the breaks fall mid
    sentence); the chunker must still cut it to the budget, or segmentation gets one huge text."""
    from retrieval.chunking import chunk_document, estimate_tokens
    from retrieval.ingest.limits import ingest_limits
    from retrieval.structure import parse_document

    monkeypatch.setenv("TRACUU_MAX_LINE_CHARS", "2000")
    ingest_limits.cache_clear()
    try:
        (tmp_path / "dai.txt").write_text(
            "Ban Thường vụ Tỉnh ủy xây dựng kế hoạch thực hiện " * 400, encoding="utf-8"
        )
        raw = load_document(tmp_path / "dai.txt", tmp_path)
    finally:
        monkeypatch.undo()
        ingest_limits.cache_clear()
    assert raw.text.count("\n") >= 9
    chunks = chunk_document(parse_document(raw, "dai"), 350)
    assert max(estimate_tokens(c.text) for c in chunks) <= 2 * 350
    assert sum(len(c.text.split()) for c in chunks) >= 0.95 * len(raw.text.split())
