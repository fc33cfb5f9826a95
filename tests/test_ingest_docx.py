"""DOCX ingest: Word numbering labels, tables, and hostile containers (ZIP bombs, renamed files)."""

from __future__ import annotations

import sys
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from retrieval.ingest import IngestError, load_document
from retrieval.ingest import docx as docx_mod

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_fixtures as mf  # noqa: E402

W = nsdecls("w")


def load(path: Path):
    return load_document(path, path.parent)


def assert_clear(err: IngestError, *words: str) -> None:
    assert err.reason and err.hint and err.source in str(err)
    for w in words:
        assert w in f"{err.reason} {err.hint}", (w, str(err))


def _lvl(ilvl: int, fmt: str, text: str, start: int = 1) -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
    )


def _numbered_doc() -> Document:
    doc = Document()
    numbering = doc.part.numbering_part.element
    levels = (
        _lvl(0, "upperRoman", "%1.")
        + _lvl(1, "decimal", "%2.")
        + _lvl(2, "lowerLetter", "%3)")
        + _lvl(3, "decimal", "%2.%4.")
        + _lvl(4, "bullet", "\uf0b7")
    )
    numbering.insert(0, parse_xml(f'<w:abstractNum {W} w:abstractNumId="50">{levels}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W} w:numId="50"><w:abstractNumId w:val="50"/></w:num>'))
    restart = '<w:lvlOverride w:ilvl="1"><w:startOverride w:val="5"/></w:lvlOverride>'
    numbering.append(parse_xml(f'<w:num {W} w:numId="51"><w:abstractNumId w:val="50"/>{restart}</w:num>'))
    return doc


def _para(doc, text: str, num_id: int | None = None, ilvl: int = 0, style: str | None = None):
    p = doc.add_paragraph(text, style=style)
    if num_id is not None:
        numpr = p._p.get_or_add_pPr().get_or_add_numPr()
        numpr.get_or_add_ilvl().val = ilvl
        numpr.get_or_add_numId().val = num_id
    return p


def test_plan_docx_round_trip(tmp_path):
    text = mf.plan_text("001")
    path = mf.render_docx(text, tmp_path / "plan_001.docx")
    doc = load(path)
    assert mf.normalize_for_compare(doc.text) == mf.normalize_for_compare(text)
    assert "\nI. MỤC ĐÍCH YÊU CẦU\n" in doc.text and "\nIII. TỔ CHỨC THỰC HIỆN\n" in doc.text
    # the prefixes really came from Word numbering, not from the paragraph text
    import docx

    raw = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "I. MỤC ĐÍCH" not in raw and "MỤC ĐÍCH YÊU CẦU" in raw


def test_numbering_labels(tmp_path):
    doc = _numbered_doc()
    _para(doc, "MỤC ĐÍCH", 50, 0, style="Heading 1")
    _para(doc, "Nâng cao nhận thức", 50, 1)
    _para(doc, "Đổi mới phương thức", 50, 1)
    _para(doc, "cấp tỉnh", 50, 2)
    _para(doc, "cấp huyện", 50, 2)
    _para(doc, "chi tiết", 50, 3)
    _para(doc, "gạch đầu dòng", 50, 4)
    _para(doc, "Đoạn thường không đánh số")
    _para(doc, "NỘI DUNG", 50, 0, style="Heading 1")
    _para(doc, "Lại từ một", 50, 1)
    _para(doc, "Danh sách bắt đầu từ năm", 51, 1)
    _para(doc, "Tắt đánh số", 0, 1)
    doc.save(tmp_path / "so.docx")
    lines = load(tmp_path / "so.docx").text.split("\n\n")
    assert lines == [
        "I. MỤC ĐÍCH",
        "1. Nâng cao nhận thức",
        "2. Đổi mới phương thức",
        "a) cấp tỉnh",
        "b) cấp huyện",
        "2.1. chi tiết",
        "- gạch đầu dòng",
        "Đoạn thường không đánh số",
        "II. NỘI DUNG",
        "1. Lại từ một",
        "5. Danh sách bắt đầu từ năm",
        "Tắt đánh số",
    ]


def test_numbering_from_style(tmp_path):
    doc = _numbered_doc()
    style = doc.styles["Heading 2"]
    numpr = style.element.get_or_add_pPr().get_or_add_numPr()
    numpr.get_or_add_numId().val = 50
    numpr.get_or_add_ilvl().val = 1
    doc.add_paragraph("Mục một", style="Heading 2")
    doc.add_paragraph("Mục hai", style="Heading 2")
    doc.save(tmp_path / "kieu.docx")
    assert load(tmp_path / "kieu.docx").text == "1. Mục một\n\n2. Mục hai"


def test_tables_become_rows(tmp_path):
    doc = Document()
    doc.add_paragraph("Bảng phân công:")
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [["STT", "Nội dung", "Đơn vị"], ["1", "Tuyên truyền", "Ban Tuyên giáo"], ["2", "", ""]]
    ):
        for c, val in enumerate(row):
            table.cell(r, c).text = val
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "Kiểm tra, giám sát (ô gộp)"
    doc.add_paragraph("Sau bảng.")
    doc.save(tmp_path / "bang.docx")
    text = load(tmp_path / "bang.docx").text
    assert text == (
        "Bảng phân công:\n\n"
        "STT | Nội dung | Đơn vị\n1 | Tuyên truyền | Ban Tuyên giáo\n2 | Kiểm tra, giám sát (ô gộp)\n\n"
        "Sau bảng."
    )


def test_huge_table(tmp_path):
    n_rows, n_cols = 10_000, 5
    doc = Document()
    cells = "".join(f"<w:tc><w:p><w:r><w:t>ô {c}</w:t></w:r></w:p></w:tc>" for c in range(n_cols))
    rows = "".join(
        f"<w:tr><w:tc><w:p><w:r><w:t>{r}</w:t></w:r></w:p></w:tc>{cells}</w:tr>" for r in range(n_rows)
    )
    body = doc.element.body
    body.insert(len(body) - 1, parse_xml(f"<w:tbl {W}>{rows}</w:tbl>"))
    doc.save(tmp_path / "lon.docx")
    t0 = time.perf_counter()
    text = load(tmp_path / "lon.docx").text
    assert time.perf_counter() - t0 < 60
    lines = text.split("\n")
    assert len(lines) == n_rows
    assert lines[9999] == "9999 | ô 0 | ô 1 | ô 2 | ô 3 | ô 4"


def test_zip_bomb_by_ratio(tmp_path):
    path = tmp_path / "bom.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\x00" * (1 << 20)
            for _ in range(docx_mod.MAX_PART_UNCOMPRESSED // len(block) + 8):
                member.write(block)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "bom ZIP")


def test_zip_bomb_by_entry_count(tmp_path, monkeypatch):
    monkeypatch.setattr(docx_mod, "MAX_ENTRIES", 50)
    path = tmp_path / "nhieu.docx"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(51):
            zf.writestr(f"word/media/{i}.xml", "x")
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "bom ZIP")


def test_docx_that_is_not_a_zip(tmp_path):
    (tmp_path / "gia.docx").write_text("Đây không phải tệp Word.", encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "gia.docx")
    assert_clear(exc.value, "không phải định dạng ZIP", ".docx")


def test_old_doc_renamed_docx(tmp_path):
    (tmp_path / "cu.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "cu.docx")
    assert_clear(exc.value, "Word 97-2003", "lưu lại dưới dạng .docx")


def test_spreadsheet_renamed_docx(tmp_path):
    with zipfile.ZipFile(tmp_path / "bang_tinh.docx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "bang_tinh.docx")
    assert_clear(exc.value, "Excel")


def test_truncated_docx(tmp_path):
    data = mf.render_docx("Kế hoạch\nNội dung", tmp_path / "goc.docx").read_bytes()
    (tmp_path / "cut.docx").write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "cut.docx")
    assert_clear(exc.value, "cắt cụt")


def test_broken_document_xml(tmp_path):
    good = mf.render_docx("Kế hoạch", tmp_path / "goc.docx")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tmp_path / "hong.docx", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, b"<w:document><w:body><w:p>" if item.filename == "word/document.xml" else data)
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "hong.docx")
    assert_clear(exc.value, "bị hỏng")


def test_docx_without_text(tmp_path):
    Document().save(tmp_path / "trong.docx")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "trong.docx")
    assert_clear(exc.value, "không có nội dung")


def test_zero_byte_docx(tmp_path):
    (tmp_path / "rong.docx").write_bytes(b"")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "rong.docx")
    assert_clear(exc.value, "rỗng")


def _docx_with_body(path: Path, body: str) -> Path:
    """A real python-docx package whose document.xml body is replaced by ``body``."""
    Document().save(path)
    with zipfile.ZipFile(path) as src:
        items = {i.filename: src.read(i) for i in src.infolist()}
    items["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}'
        "</w:body></w:document>"
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in items.items():
            out.writestr(name, data)
    return path


def test_small_docx_with_6_mib_of_xml_is_linear(tmp_path):
    """A few tens of KB that inflate to 6 MiB of XML (tiny repeated paragraphs): read in bounded time;
    half the paragraphs take about half the time (no per-paragraph XPath compilation)."""
    para = "<w:p><w:r><w:t>Điều khoản số một hai ba</w:t></w:r></w:p>"
    times = {}
    for n in (30_000, 120_000):
        path = _docx_with_body(tmp_path / f"lon-{n}.docx", para * n)
        t0 = time.perf_counter()
        doc = load(path)
        times[n] = time.perf_counter() - t0
        assert doc.text.count("Điều khoản") == n
    assert path.stat().st_size < 200_000
    assert times[120_000] < 120, times
    assert times[120_000] < 8 * times[30_000] + 5, times  # 4x the input: roughly 4x the time


def test_xml_part_over_the_limit_is_a_named_setting(tmp_path, monkeypatch):
    from retrieval.ingest.limits import ingest_limits

    path = _docx_with_body(tmp_path / "lon.docx", "<w:p><w:r><w:t>abc</w:t></w:r></w:p>" * 40_000)
    monkeypatch.setenv("TRACUU_MAX_XML_MB", "1")
    ingest_limits.cache_clear()
    try:
        with pytest.raises(IngestError) as exc:
            load(path)
    finally:
        monkeypatch.delenv("TRACUU_MAX_XML_MB")
        ingest_limits.cache_clear()
    assert_clear(exc.value, "TRACUU_MAX_XML_MB", "word/document.xml")


def test_text_box_text_is_read_once(tmp_path):
    """Word and LibreOffice write a text box twice (DrawingML choice + VML fallback): read it once."""
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    wps = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    v = 'xmlns:v="urn:schemas-microsoft-com:vml"'
    box = "<w:txbxContent><w:p><w:r><w:t>Số: 15/KH-UBND</w:t></w:r></w:p></w:txbxContent>"
    run = (
        f'<w:r {W} {mc} {wps} {v}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        f"<wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict>"
        f"<v:rect><v:textbox>{box}</v:textbox></v:rect></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    doc = Document()
    p = doc.add_paragraph("ỦY BAN NHÂN DÂN")
    p._p.append(parse_xml(run))
    doc.add_paragraph("Kế hoạch thực hiện")
    doc.save(tmp_path / "hop-chu.docx")
    assert load(tmp_path / "hop-chu.docx").text.split("\n\n") == [
        "ỦY BAN NHÂN DÂN",
        "Số: 15/KH-UBND",
        "Kế hoạch thực hiện",
    ]
