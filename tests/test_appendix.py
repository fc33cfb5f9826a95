"""Appendices and end notes after the closing lines are body text again (retrieval/document/appendix.py).

Synthetic documents of the families met in real archives: a plan whose "Nơi nhận" list is followed by
"PHỤ LỤC" and forms, a decision signed in a markdown table then "PHỤ LỤC I/II", notes typed "(1) …" or
"[1] …" under the recipients, a "(Kèm theo …)" appendix under its capital title, a "Ghi chú:" under the
signature. The real documents' appendices are checked end to end in test_appendix_real below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.chunking import SIGNATURE_PATH, chunk_document
from retrieval.document.appendix import appendix_level, is_blank_form, is_endnote, opens_appendix
from retrieval.ingest import load_document
from retrieval.structure import parse_document
from retrieval.types import ParsedDocument, RawDocument

HEAD = """ỦY BAN NHÂN DÂN
TỈNH CAO BẰNG
Số: 12/QĐ-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Cao Bằng, ngày 05 tháng 3 năm 2025

QUYẾT ĐỊNH
Về việc phê duyệt danh mục thủ tục hành chính liên thông

Điều 1. Phê duyệt danh mục thủ tục hành chính liên thông tại Phụ lục kèm theo Quyết định này.

Điều 2. Quyết định có hiệu lực kể từ ngày ký.

"""
CLOSING = """Nơi nhận:
- Như Điều 2;
- Lưu: VT.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH

Lê Văn Hải

"""


def _parse(text: str) -> ParsedDocument:
    return parse_document(RawDocument("qd.txt", text, "0" * 64, "txt"), "qd")


def _body(doc: ParsedDocument) -> str:
    return "\n".join(b.text for b in doc.blocks)


def test_appendix_after_signature_is_body_under_its_own_heading() -> None:
    text = (
        HEAD
        + CLOSING
        + (
            "PHỤ LỤC I\n\nDANH MỤC THỦ TỤC HÀNH CHÍNH LIÊN THÔNG\n\n"
            "1. Thủ tục đăng ký đất đai lần đầu: thời hạn giải quyết 15 ngày.\n\n"
            "2. Thủ tục chuyển nhượng quyền sử dụng đất: thời hạn giải quyết 10 ngày.\n\n"
            "PHỤ LỤC II\n\nPHƯƠNG ÁN TÁI CẤU TRÚC\n\n"
            "Ước tính một năm tiết kiệm cho xã hội khoảng 12 tỷ đồng.\n"
        )
    )
    doc = _parse(text)
    assert doc.metadata.nguoi_ky == "Lê Văn Hải"
    assert "Như Điều 2" not in _body(doc)  # the recipients stay out
    by_text = {b.text: b for b in doc.blocks}
    first = next(b for b in doc.blocks if "đăng ký đất đai" in b.text)
    assert first.heading_path[0] == "PHỤ LỤC I DANH MỤC THỦ TỤC HÀNH CHÍNH LIÊN THÔNG"
    saving = next(b for b in doc.blocks if "12 tỷ đồng" in b.text)
    assert saving.heading_path == ("PHỤ LỤC II PHƯƠNG ÁN TÁI CẤU TRÚC",)
    assert "Điều 2. Quyết định có hiệu lực kể từ ngày ký." in by_text
    assert doc.tail_start == text.index("PHỤ LỤC I")
    assert [b.text for b in doc.main_blocks][-1].startswith("Điều 2.")
    chunks = chunk_document(doc)
    (sig,) = [c for c in chunks if c.heading_path == SIGNATURE_PATH]
    assert text[sig.start : sig.end].endswith("Lê Văn Hải")
    assert sig.start > text.index("Lưu: VT")
    assert any("12 tỷ đồng" in c.text for c in chunks)


def test_forms_sit_under_their_appendix() -> None:
    text = (
        HEAD
        + CLOSING
        + (
            "PHỤ LỤC\n\nMẫu số 01/HNCT\n\nBIÊN BẢN HỘI NGHỊ CỬ TRI\n\nHội nghị bắt đầu lúc 8 giờ.\n\n"
            "Mẫu số 02/HNCT\n\nBIÊN BẢN KIỂM PHIẾU\n\nTổ kiểm phiếu gồm 3 người.\n"
        )
    )
    doc = _parse(text)
    first = next(b for b in doc.blocks if "8 giờ" in b.text)
    second = next(b for b in doc.blocks if "3 người" in b.text)
    assert first.heading_path == ("PHỤ LỤC", "Mẫu số 01/HNCT BIÊN BẢN HỘI NGHỊ CỬ TRI")
    assert second.heading_path == ("PHỤ LỤC", "Mẫu số 02/HNCT BIÊN BẢN KIỂM PHIẾU")
    alone = _parse(HEAD + CLOSING + "Mẫu số 01\n\nNội dung một.\n\nMẫu số 02\n\nNội dung hai.\n")
    assert next(b for b in alone.blocks if "hai" in b.text).heading_path == ("Mẫu số 02",)


def test_end_notes_under_recipients_are_searchable() -> None:
    for marker in ("(1)", "[1]"):
        text = (
            HEAD
            + CLOSING
            + f"{marker} Chỉ thị số 46-CT/TW ngày 16/5/2025 của Bộ Chính trị về lãnh đạo bầu cử.\n"
        )
        doc = _parse(text)
        assert "Chỉ thị số 46-CT/TW ngày 16/5/2025" in _body(doc), marker


def test_attached_appendix_takes_its_capital_title_and_drops_blank_form_lines() -> None:
    text = (
        HEAD
        + CLOSING
        + (
            "DANH SÁCH XÃ KHU VỰC BIÊN GIỚI\n"
            "(Kèm theo Quyết định số 12/QĐ-UBND ngày 05 tháng 3 năm 2025)\n\n"
            "Tổng cộng: 19 xã, phường khu vực biên giới.\n\n"
            "Họ và tên: ………………………… Chức vụ: ……………………\n"
        )
    )
    doc = _parse(text)
    assert doc.tail_start == text.index("DANH SÁCH XÃ")
    assert "19 xã, phường" in _body(doc)
    assert "Họ và tên" not in _body(doc)


def test_an_attached_title_never_takes_the_signature_above_it() -> None:
    closing = "Nơi nhận:\n- Như Điều 2;\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\nLÊ VĂN HẢI\n\n"
    text = HEAD + closing + "(Kèm theo Quyết định số 12/QĐ-UBND)\n\nTổng cộng: 19 xã biên giới.\n"
    doc = _parse(text)
    assert doc.tail_start is not None and "19 xã" in _body(doc)
    assert "CHỦ TỊCH" not in _body(doc) and doc.tail_start == text.index("(Kèm theo")
    with_title = text.replace("(Kèm theo", "DANH SÁCH XÃ BIÊN GIỚI\n\n(Kèm theo")
    titled = _parse(with_title)
    assert titled.tail_start == with_title.index("DANH SÁCH XÃ")  # the title, right under the name
    assert next(b for b in titled.blocks if "19 xã" in b.text)


def test_note_under_signature_is_body_and_site_footer_still_ends_the_text() -> None:
    text = (
        HEAD
        + CLOSING
        + (
            "Ghi chú: Kết quả xác định trước mã số chỉ có giá trị đối với tổ chức đã đề nghị.\n\n"
            "Các văn bản khác\n\nTRANG THÔNG TIN ĐIỆN TỬ TỈNH CAO BẰNG\n"
        )
    )
    doc = _parse(text)
    assert "chỉ có giá trị đối với tổ chức đã đề nghị" in _body(doc)
    assert "TRANG THÔNG TIN" not in _body(doc)


def test_document_ending_at_its_signature_is_unchanged() -> None:
    doc = _parse(HEAD + CLOSING + "Các văn bản khác\n\nPHỤ LỤC tin tức khác của trang\n")
    assert doc.tail_start is None
    assert "tin tức khác" not in _body(doc)


def test_a_table_column_named_noi_nhan_does_not_end_the_body() -> None:
    table = (
        "Điều 3. Danh mục báo cáo:\n\nSTT | Ký hiệu | Tên biểu | Thời hạn | Nơi nhận\n"
        "1 | B01 | Bảng cân đối tài khoản | Quý | Cơ quan Thuế\n\n"
        "Điều 4. Báo cáo quý gửi chậm nhất 30 ngày sau khi kết thúc quý.\n\n"
    )
    text = HEAD + table + CLOSING
    doc = _parse(text)
    assert "chậm nhất 30 ngày" in _body(doc)
    assert "Như Điều 2" not in _body(doc) and doc.metadata.nguoi_ky == "Lê Văn Hải"
    assert doc.metadata.noi_nhan[:1] == ("Như Điều 2",)


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("PHỤ LỤC", 1),
        ("**PHỤ LỤC II**", 1),
        ("Phụ lục số 02: Biểu tiến độ", 1),
        ("Mẫu số 01/HNCT", 2),
        ("Bảng tính: Mau 12", 1),  # the next sheet of a workbook (ingest/sheets.py)
        ("Phụ lục kèm theo Quyết định này quy định danh mục thủ tục được áp dụng tại tỉnh.", 0),
        ("Phụ lục hóa các quy định", 0),
        ("1. Nội dung", 0),
    ],
)
def test_appendix_openers(line: str, level: int) -> None:
    assert appendix_level(line) == level


def test_openers_end_notes_and_blank_lines() -> None:
    assert opens_appendix("(Kèm theo Nghị định số 299/2025/NĐ-CP ngày 17 tháng 11 năm 2025)")
    assert not opens_appendix("Căn cứ Luật Tổ chức chính quyền địa phương")
    assert is_endnote("(2) Hiến pháp năm 2013 (sửa đổi, bổ sung năm 2025); Luật Tổ chức Quốc hội")
    assert not is_endnote("(1)………..……….. -------")
    assert not is_endnote("(1) 2025")
    assert is_blank_form("- Họ và tên thư ký hội nghị: …………………………………….. Chức vụ ………………………….")
    assert not is_blank_form("Thời gian thực hiện: Từ ngày 17/12/2025 đến ngày 25/01/2026.")


REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real" / "docs"


@pytest.mark.skipif(not REAL.is_dir(), reason="needs ../shared/corpus/real")
@pytest.mark.parametrize(
    ("name", "fact"),
    [
        ("md_cdf2fbc53d083c98.md", "100 tỷ đồng"),  # PHỤ LỤC II of a decision (markdown)
        ("lm_HD-MTTQ-BTT_gioi-thieu-ung-cu.docx", "có 05 thôn không được phân bổ chỉ tiêu"),  # docx appendix
        ("vbpl_doc_000624.html", "310 xã, phường, đặc khu"),  # a table in PHỤ LỤC of a decree (html)
        ("lm_KH01-TBTTKT_PhoBang_tuyen-truyen.docx", "Chỉ thị số 46-CT/TW, ngày 16/5/2025"),  # "(1)" notes
    ],
)
def test_appendix_real(name: str, fact: str) -> None:
    doc = parse_document(load_document(REAL / name, REAL), name)
    assert any(fact in c.text for c in chunk_document(doc)), f"{fact!r} not in any chunk of {name}"
    assert doc.metadata.nguoi_ky  # the signature is still read
