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
