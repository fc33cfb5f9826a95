"""HTML ingest: main content only, charsets from meta/BOM/detection, navigation-only pages refused."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from retrieval.ingest import IngestError, load_document
from retrieval.ingest import vietnamese as vn

NAV = (
    '<header><nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/tin">Tin tức</a></li>'
    '<li><a href="/vb">Văn bản chỉ đạo</a></li></ul></nav></header>'
)
FOOTER = "<footer>Bản quyền 2020 Cổng thông tin điện tử tỉnh Tuyên Quang. Địa chỉ: số 1 đường ABC.</footer>"
ARTICLE = (
    "<article><h1>KẾ HOẠCH thực hiện Kết luận số 160</h1>"
    "<p>Thực hiện Thông báo Kết luận số 160-KL/TW ngày 15/01/2020 của Bộ Chính trị, Ban Thường vụ Tỉnh ủy "
    "xây dựng kế hoạch thực hiện như sau:</p>"
    "<h2>I. MỤC ĐÍCH YÊU CẦU</h2>"
    "<p>1. Nâng cao nhận thức, trách nhiệm của các cấp ủy Đảng, chính quyền và cả hệ thống chính trị.</p>"
    "<ul><li>Tiếp tục thực hiện nghiêm Quy định số 09-QĐ/TU.</li></ul>"
    "<table><tr><th>STT</th><th>Nội dung</th></tr><tr><td>1</td><td>Tuyên truyền</td></tr></table>"
    "</article>"
)


def page(meta: str = '<meta charset="utf-8">', body: str = NAV + ARTICLE + FOOTER) -> str:
    return f"<!DOCTYPE html><html><head>{meta}<title>Kế hoạch</title></head><body>{body}</body></html>"


def load(path: Path):
    return load_document(path, path.parent)


def assert_main_content(text: str) -> None:
    assert "Ban Thường vụ Tỉnh ủy xây dựng kế hoạch thực hiện như sau:" in text
    assert "I. MỤC ĐÍCH YÊU CẦU" in text
    assert "STT | Nội dung" in text and "1 | Tuyên truyền" in text
    assert "Trang chủ" not in text and "Bản quyền" not in text
    assert "|---" not in text


def test_main_content_only(tmp_path):
    (tmp_path / "kh.html").write_text(page(), encoding="utf-8")
    doc = load(tmp_path / "kh.html")
    assert_main_content(doc.text)
    assert doc.format == "html" and doc.warnings == ()


def test_meta_charset_windows_1258(tmp_path):
    html = page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">')
    (tmp_path / "cp1258.htm").write_bytes(vn.encode_legacy(html, "cp1258"))
    doc = load(tmp_path / "cp1258.htm")
    assert_main_content(doc.text)
    assert any("Windows-1258" in w for w in doc.warnings)


def test_legacy_font_page_declared_latin1(tmp_path):
    """Old sites: TCVN3 bytes shown with .VnTime fonts, page declared ISO-8859-1."""
    body = (
        "<div><p>Thực hiện kế hoạch của tỉnh ủy, các cấp ủy đảng tiếp tục đổi mới nội dung, phương thức "
        "hoạt động của mặt trận tổ quốc và các đoàn thể chính trị - xã hội ở cơ sở.</p>"
        "<p>Các huyện ủy, thành ủy chỉ đạo sơ kết việc thực hiện, báo cáo kết quả về ban dân vận.</p></div>"
    )
    html = page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', body)
    (tmp_path / "vntime.html").write_bytes(vn.encode_legacy(html, "tcvn3"))
    doc = load(tmp_path / "vntime.html")
    assert "các cấp ủy đảng tiếp tục đổi mới nội dung" in doc.text
    assert any("TCVN3" in w for w in doc.warnings)


def test_no_meta_utf8_and_utf16_bom(tmp_path):
    (tmp_path / "a.html").write_text(page(meta=""), encoding="utf-8")
    assert_main_content(load(tmp_path / "a.html").text)
    (tmp_path / "b.html").write_bytes(codecs.BOM_UTF16_LE + page(meta="").encode("utf-16-le"))
    assert_main_content(load(tmp_path / "b.html").text)


def test_wrong_meta_charset_falls_back_to_detection(tmp_path):
    html = page('<meta charset="utf-8">')
    (tmp_path / "sai.html").write_bytes(vn.encode_legacy(html, "vni"))
    assert_main_content(load(tmp_path / "sai.html").text)


def test_navigation_only_page(tmp_path):
    links = "".join(
        f'<li><a href="/kh/{i}">Kế hoạch số {i} của Ban Thường vụ Tỉnh ủy</a></li>' for i in range(30)
    )
    (tmp_path / "menu.html").write_text(
        page(body=NAV + f"<div><ul>{links}</ul></div>" + FOOTER), encoding="utf-8"
    )
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "menu.html")
    err = exc.value
    assert "không có nội dung chính" in err.reason and "menu" in err.reason
    assert "PDF/DOCX" in err.hint


def test_empty_and_binary_html(tmp_path):
    (tmp_path / "rong.html").write_bytes(b"")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "rong.html")
    assert "rỗng" in exc.value.reason
    (tmp_path / "nhi_phan.html").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(IngestError):
        load(tmp_path / "nhi_phan.html")


# --- pages that mark their document body ----------------------------------------------------------

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
REAL_DOCS = REAL / "docs"
CHROME = ("Trang chủ", "TRANG CHỦ", "GIỚI THIỆU", "Văn bản quy phạm pháp luật Trung ương", "Tải về",
          "Lược đồ", "CƠ SỞ DỮ LIỆU QUỐC GIA", "Đơn vị chủ quản", "data-vbpl", "font-family")  # fmt: skip
needs_real = pytest.mark.skipif(not REAL_DOCS.is_dir(), reason="../shared/corpus/real is not present")


def gold() -> dict[str, dict]:
    import json

    lines = (REAL / "gold_metadata.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["file"]: row for row in map(json.loads, filter(None, lines))}


def real_html() -> list[str]:
    return sorted(p.name for p in REAL_DOCS.glob("*.htm*")) if REAL_DOCS.is_dir() else []


@needs_real
@pytest.mark.parametrize("name", [n for n in real_html() if n.startswith("vbpl_")])
def test_vbpl_snapshot_gives_the_document_only(name):
    doc = load_document(REAL_DOCS / name, REAL_DOCS)
    for chrome in CHROME:
        assert chrome not in doc.text, (name, chrome)
    assert not any(line.strip() == ">" for line in doc.text.splitlines())
    row = gold()[name]
    head = "\n".join(doc.text.splitlines()[:6])
    if row["so_ky_hieu"]:  # Vietnamese documents: the text opens with the header, number included
        assert row["so_ky_hieu"] in head.replace(" ", ""), head
    if "(no document body)" in (row.get("notes") or ""):
        assert any("không có toàn văn" in w for w in doc.warnings)
        assert f"Cơ quan ban hành: {row['co_quan_ban_hanh']}" in doc.text
    else:
        assert doc.warnings == () and len(doc.text) > 1000
        assert "\n\n" in doc.text  # paragraphs separated by blank lines


@needs_real
def test_vbpl_header_table_rows():
    """The two-column letterhead comes out as " | " rows: body | motto, then number | place and date."""
    rows = [
        line
        for name in real_html()
        if name.startswith("vbpl_")
        for line in load_document(REAL_DOCS / name, REAL_DOCS).text.splitlines()[:3]
        if " | " in line and "NGHĨA VIỆT NAM" in line.upper()
    ]
    assert len(rows) >= 5
    assert all(not row.startswith(("Trang", "TRANG")) for row in rows)


@needs_real
@pytest.mark.parametrize("name", [n for n in real_html() if not n.startswith("vbpl_")])
def test_word_web_page_export(name):
    """Word "Save as Web Page": windows-1252 declared, Vietnamese as numeric entities, header table."""
    doc = load_document(REAL_DOCS / name, REAL_DOCS)
    row = gold()[name]
    first = doc.text.splitlines()[0]
    left, right = first.split(" | ")
    assert row["so_ky_hieu"] in left.replace(" ", "") and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right
    assert "Độc lập - Tự do - Hạnh phúc" in right
    assert "\n\nKẾ HOẠCH\n\n" in doc.text
    for noise in ("&#", "MsoNormal", "mso-", "WordSection", "Ã¡", "\ufffd"):
        assert noise not in doc.text, noise
    assert len(doc.text) > 5000 and doc.warnings == ()


def test_marked_content_root_skips_site_chrome(tmp_path):
    body = (
        '<nav class="breadcrumb"><a href="/">Trang chủ</a> &gt; <a href="/tw">Văn bản Trung ương</a></nav>'
        "<div class='tabs'><span>Thuộc tính</span><span>Lược đồ</span></div>"
        '<div data-vbpl-content-root="true"><table><tr><td><p><b>BỘ NỘI VỤ</b></p></td>'
        "<td><p>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p><p>Độc lập - Tự do - Hạnh phúc</p></td></tr>"
        "<tr><td>Số: 12/2025/TT-BNV</td><td><em>Hà Nội, ngày 3 tháng 4 năm 2025</em></td></tr></table>"
        "<p>THÔNG TƯ</p><p>Căn cứ Luật Cán bộ,<br>công chức;</p>"
        '<p style="display:none">ẩn</p></div>' + FOOTER
    )
    (tmp_path / "tt.html").write_text(page(body=body), encoding="utf-8")
    text = load(tmp_path / "tt.html").text
    assert text.startswith(
        "BỘ NỘI VỤ | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc\n"
        "Số: 12/2025/TT-BNV | Hà Nội, ngày 3 tháng 4 năm 2025\n\nTHÔNG TƯ\n\n"
    )
    assert "Căn cứ Luật Cán bộ,\ncông chức;" in text
    for chrome in ("Trang chủ", "Thuộc tính", "Bản quyền", "ẩn"):
        assert chrome not in text


@pytest.mark.parametrize("generator", ["Microsoft Word 15", "LibreOffice"])
def test_office_web_export_family(tmp_path, generator):
    head = (
        '<meta http-equiv=Content-Type content="text/html; charset=windows-1252">'
        f'<meta name=Generator content="{generator}">'
    )
    body = (
        "<div class=WordSection1><table class=MsoTableGrid><tr><td>"
        "<p class=MsoNormal>UBND X&#195; AN PH&#218;</p><p class=MsoNormal>S&#7889;: 05/KH-UBND</p></td>"
        "<td><p class=MsoNormal>C&#7896;NG H&#210;A X&#195; H&#7896;I CH&#7910; NGH&#296;A VI&#7878;T\n"
        "NAM</p><table><tr><td></td><td><img src=x.gif></td></tr></table>"
        "<p class=MsoNormal><i>An Ph&#250;, ng&#224;y 9 th&#225;ng 3 n&#259;m 2025</i></p></td></tr></table>"
        "<p class=MsoNormal>K&#7870; HO&#7840;CH</p><p class=MsoNormal style='mso-hide:all'>x&#243;a</p>"
        "<p class=MsoNormal>T&#7893; ch&#7913;c tuy&#234;n truy&#7873;n.<o:p></o:p></p></div>"
    )
    (tmp_path / "kh.htm").write_bytes(page(meta=head, body=body).encode("cp1252", "xmlcharrefreplace"))
    text = load(tmp_path / "kh.htm").text
    assert text == (
        "UBND XÃ AN PHÚ Số: 05/KH-UBND | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM An Phú, ngày 9 tháng 3 năm 2025"
        "\n\nKẾ HOẠCH\n\nTổ chức tuyên truyền."
    )


def test_deep_nesting_is_named(tmp_path, monkeypatch):
    """100k nested elements: the error names the nesting limit, not 'only menus'."""
    from retrieval.ingest.limits import ingest_limits

    deep = "<div>" * 100_000 + "Kế hoạch" + "</div>" * 100_000
    (tmp_path / "sau.html").write_text(page(body=deep), encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "sau.html")
    assert "lồng thẻ quá sâu" in exc.value.reason and "TRACUU_MAX_HTML_DEPTH" in exc.value.reason
    assert "menu" not in exc.value.reason
    tables = "<table><tr><td>" * 3000 + "x" + "</td></tr></table>" * 3000
    (tmp_path / "bang.html").write_text(page(body=tables), encoding="utf-8")
    with pytest.raises(IngestError, match="quá sâu"):
        load(tmp_path / "bang.html")
    monkeypatch.setenv("TRACUU_MAX_HTML_DEPTH", "20")
    ingest_limits.cache_clear()
    try:
        nested = "<div>" * 30 + ARTICLE + "</div>" * 30
        (tmp_path / "vua.html").write_text(page(body=nested), encoding="utf-8")
        with pytest.raises(IngestError, match="hơn 20 tầng"):
            load(tmp_path / "vua.html")
    finally:
        monkeypatch.delenv("TRACUU_MAX_HTML_DEPTH")
        ingest_limits.cache_clear()


def test_deep_but_legal_page_keeps_its_text(tmp_path):
    """Deeper than lxml's default cap (256), within the limit; unclosed <p> tags do not count as depth."""
    deep = "<div>" * 600 + ARTICLE + "</div>" * 600
    (tmp_path / "sau_hop_le.html").write_text(page(body=deep), encoding="utf-8")
    assert_main_content(load(tmp_path / "sau_hop_le.html").text)
    paras = "".join(f"<p>Đoạn {i} của văn bản kế hoạch tuyên truyền" for i in range(5000))
    (tmp_path / "p_mo.html").write_text(page(body=f"<article>{paras}</article>"), encoding="utf-8")
    assert "Đoạn 4999" in load(tmp_path / "p_mo.html").text
