""".doc/.rtf/.odt/.xls through LibreOffice (really run) and .xlsx through openpyxl; hostile inputs.

Real Word 97 files come from ../shared/corpus/real/docs (checked against gold_metadata.jsonl); each is
converted once per session (module-scoped fixture).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
from docx import Document

from retrieval.ingest import IngestError, load_document
from retrieval.ingest import office as office_mod
from retrieval.ingest import vietnamese as vn
from retrieval.ingest.limits import ingest_limits

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "corpus" / "real"
LEGACY = ROOT.parent / "shared" / "corpus" / "legacy" / "docs"
needs_office = pytest.mark.skipif(office_mod.soffice_binary() is None, reason="LibreOffice chưa cài")
needs_real = pytest.mark.skipif(not (REAL / "docs").is_dir(), reason="thiếu ../shared/corpus/real")


def load(path: Path):
    return load_document(path, path.parent)


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_clear(err: IngestError, *words: str) -> None:
    assert err.reason and err.hint and err.source in str(err)
    for w in words:
        assert w in f"{err.reason} {err.hint}", (w, str(err))


def _gold() -> dict[str, dict]:
    path = REAL / "gold_metadata.jsonl"
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["file"]: r for r in rows}


_WORD97 = sorted(p for p in (REAL / "docs").glob("*.doc")) if (REAL / "docs").is_dir() else []


@pytest.fixture(scope="module")
def word97_docs():
    return {p.name: load(p) for p in _WORD97}


@pytest.mark.slow
@needs_office
@needs_real
@pytest.mark.parametrize("name", [p.name for p in _WORD97])
def test_real_word97_files_match_gold_metadata(word97_docs, name):
    doc, gold = word97_docs[name], _gold()[name]
    text = flat(doc.text)
    assert doc.format == "doc"
    assert vn.vietnamese_score(text[:20000]) > 0.9
    for field in ("nguoi_ky", "co_quan_ban_hanh"):
        if gold.get(field):
            assert flat(gold[field]).lower() in text.lower(), (field, gold[field])
    if gold.get("trich_yeu"):
        opening = " ".join(gold["trich_yeu"].split()[:6])
        assert opening.lower() in text.lower(), opening


def _convert_with_soffice(src: Path, target: str, out_dir: Path) -> Path:
    profile = out_dir / "profile"
    subprocess.run(
        [office_mod.soffice_binary(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", target, "--outdir", str(out_dir), str(src)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out_dir / f"{src.stem}.{target.split(':')[0]}"


@pytest.mark.slow
@needs_office
def test_odt_reads_like_the_docx_it_came_from(tmp_path):
    doc = Document()
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Triển khai công tác bầu cử đại biểu Hội đồng nhân dân các cấp")
    table = doc.add_table(rows=2, cols=2)
    for r, row in enumerate(
        (("ỦY BAN MTTQ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), ("Số: 12/KH", "Độc lập"))
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    src = tmp_path / "ke-hoach.docx"
    doc.save(src)
    odt = _convert_with_soffice(src, "odt", tmp_path / "odt")
    got, want = load(odt), load(src)
    assert got.format == "odt"
    assert got.text == want.text
    assert "ỦY BAN MTTQ | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in got.text.split("\n")


@pytest.mark.slow
@needs_office
def test_rtf_with_a_tcvn3_font_table_and_a_footnote(tmp_path):
    body = vn.encode_legacy("Quyết định về việc ban hành quy chế", "tcvn3")
    escaped = "".join(chr(b) if b < 0x80 else f"\\'{b:02x}" for b in body)
    rtf = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fnil .VnTime;}{\\f1\\fnil Times New Roman;}}"
        f"\\pard\\f0\\fs26 {escaped}\\par\\pard\\f1 Unicode \\u272?i\\u7873?u 1"
        "{\\super\\chftn}{\\footnote\\pard\\f1 {\\super\\chftn} Theo Lu\\u7853?t s\\u7889? 72}\\par}"
    )
    path = tmp_path / "qd.rtf"
    path.write_text(rtf, encoding="ascii")
    doc = load(path)
    assert doc.format == "rtf"
    blocks = doc.text.split("\n\n")
    assert blocks[:2] == ["Quyết định về việc ban hành quy chế", "Unicode Điều 1"]
    assert blocks[2:] == ["(1) Theo Luật số 72"]  # footnotes follow the body


def test_xlsx_sheets_as_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append(["STT", "Đơn vị", "Số cử tri", None, None])
    ws.append([1, "Xã Lương Minh", 1520.0])
    ws.append([])
    ws.append([2, "Xã Đông Ngũ", 2210.5])
    wb.create_sheet("Trống")
    wb.create_sheet("Ghi chú").append(["Số liệu đến ngày 15/11"])
    path = tmp_path / "so-lieu.xlsx"
    wb.save(path)
    doc = load(path)
    assert doc.format == "xlsx"
    assert doc.text == (
        "Bảng tính: Tổng hợp\nSTT | Đơn vị | Số cử tri\n1 | Xã Lương Minh | 1520\n2 | Xã Đông Ngũ | 2210.5"
        "\n\nBảng tính: Ghi chú\nSố liệu đến ngày 15/11"
    )


def test_xlsx_cell_limit_is_a_named_setting(tmp_path, monkeypatch):
    wb = openpyxl.Workbook()
    for i in range(50):
        wb.active.append([f"dòng {i}", i])
    path = tmp_path / "lon.xlsx"
    wb.save(path)
    monkeypatch.setenv("TRACUU_MAX_SHEET_CELLS", "20")
    ingest_limits.cache_clear()
    try:
        doc = load(path)
    finally:
        monkeypatch.delenv("TRACUU_MAX_SHEET_CELLS")
        ingest_limits.cache_clear()
    assert "dòng 5 | 5" in doc.text and "dòng 30" not in doc.text
    assert any("TRACUU_MAX_SHEET_CELLS" in w for w in doc.warnings)


def test_xlsx_that_is_a_zip_of_something_else(tmp_path):
    path = tmp_path / "bao-cao.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("bao-cao.txt", "không phải bảng tính")
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "không phải bảng tính", "xl/workbook.xml")
    Document().save(path)
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "tài liệu Word")


def test_doc_that_is_really_a_web_page_goes_to_the_html_reader(tmp_path):
    html = REAL / "docs" / "lm_KH01-TBTTKT_PhoBang_tuyen-truyen.word.htm"
    if not html.is_file():
        pytest.skip("thiếu tệp .htm của bộ dữ liệu thật")
    path = tmp_path / "ke-hoach.doc"
    shutil.copyfile(html, path)
    doc = load(path)
    assert doc.format == "doc"
    assert doc.text == load(html).text
    assert any("HTML" in w for w in doc.warnings)


def test_libreoffice_missing_names_make_setup_office(tmp_path, monkeypatch):
    src = next(iter(sorted(LEGACY.glob("*.doc"))), None) if LEGACY.is_dir() else None
    if src is None:
        pytest.skip("thiếu tệp .doc")
    monkeypatch.setattr(office_mod, "soffice_binary", lambda: None)
    with pytest.raises(IngestError) as exc:
        load(src)
    assert_clear(exc.value, "LibreOffice", "make setup-office")


def test_conversion_timeout_kills_the_converter(tmp_path, monkeypatch):
    """A converter that hangs (fake binary: this is about the process handling) is killed, its
    children too, and the file gets a line naming the setting."""
    src = next(iter(sorted(LEGACY.glob("*.doc"))), None) if LEGACY.is_dir() else None
    if src is None:
        pytest.skip("thiếu tệp .doc")
    pid_file = tmp_path / "child.pid"
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(office_mod, "soffice_binary", lambda: str(fake))
    monkeypatch.setenv("TRACUU_CONVERT_TIMEOUT_S", "2")
    ingest_limits.cache_clear()
    t0 = time.monotonic()
    try:
        with pytest.raises(IngestError) as exc:
            load(src)
    finally:
        monkeypatch.delenv("TRACUU_CONVERT_TIMEOUT_S")
        ingest_limits.cache_clear()
    assert time.monotonic() - t0 < 30
    assert_clear(exc.value, "TRACUU_CONVERT_TIMEOUT_S")
    child = int(pid_file.read_text(encoding="utf-8"))
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("tiến trình con của bộ chuyển đổi vẫn chạy")


def _encrypted_copy(src: Path, dst: Path) -> Path:
    """A copy of a real Word 97 file with the FIB's fEncrypted flag set (what Word writes for a
    password-protected document)."""
    shutil.copyfile(src, dst)
    with olefile.OleFileIO(str(dst), write_mode=True) as ole:
        data = bytearray(ole.openstream("WordDocument").read())
        data[0x0B] |= 0x01  # FibBase flags (offset 0x0A, little-endian): bit 8 = fEncrypted
        ole.write_stream("WordDocument", bytes(data))
    return dst


def test_encrypted_doc_is_refused_with_a_clear_reason(tmp_path):
    src = next(iter(sorted(LEGACY.glob("*.doc"))), None) if LEGACY.is_dir() else None
    if src is None:
        pytest.skip("thiếu tệp .doc")
    with pytest.raises(IngestError) as exc:
        load(_encrypted_copy(src, tmp_path / "mat-khau.doc"))
    assert_clear(exc.value, "mật khẩu")


def test_truncated_xls_and_doc_are_refused(tmp_path):
    if not LEGACY.is_dir():
        pytest.skip("thiếu ../shared/corpus/legacy")
    for src in (sorted(LEGACY.glob("*.xls"))[0], sorted(LEGACY.glob("*.doc"))[0]):
        data = src.read_bytes()
        path = tmp_path / f"cut{src.suffix}"
        path.write_bytes(data[: len(data) // 3])
        with pytest.raises(IngestError) as exc:
            load(path)
        assert_clear(exc.value, "hỏng")


def test_docx_named_doc_is_read_as_docx(tmp_path):
    doc = Document()
    doc.add_paragraph("Điều 1. Phạm vi điều chỉnh")
    path = tmp_path / "that-ra-docx.doc"
    doc.save(path)
    got = load(path)
    assert got.format == "doc" and got.text == "Điều 1. Phạm vi điều chỉnh"
