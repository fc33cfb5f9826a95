"""Exporting one chat answer: Markdown (escaped document text), Word (.docx), labels, file names."""

from __future__ import annotations

import io
import re

import docx
import pytest

from retrieval.ui.export import export_filename, md_escape, turn_docx, turn_markdown
from retrieval.ui.labels import location_label, source_reference

QUESTION = "Báo cáo năm phải gửi trước ngày nào?"
QUOTE_1 = "Báo cáo năm gửi về Ban Thường trực trước ngày 30/11/2020.\nBáo cáo quý gửi trước ngày 20."
QUOTE_2 = "**Thời gian** <b>x</b> #1 [link](http://x.vn) a_b_c | `code` & 5 $"
REFERENCE_1 = (
    "Kế hoạch số 37/KH-MTTQ-BTT ngày 04/02/2020 của Ban Thường trực Ủy ban MTTQ tỉnh X "
    "về tổ chức Đại hội đại biểu MTTQ các cấp"
)
REFERENCE_2 = "Thông báo kết luận hội nghị"
REFUSAL = "Không tìm thấy thông tin này trong các văn bản hiện có."
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _turn() -> dict:
    return {
        "question": QUESTION,
        "text": "Báo cáo năm gửi trước ngày 30/11/2020 [1]. Các việc cần làm:\n"
        "- gửi báo cáo quý [1]\n- xem **mục** 3 [2]",
        "refused": False,
        "backend": "extractive",
        "seconds": 0.4,
        "citations": [
            {
                "n": 2,
                "doc_id": "d2",
                "source": "thong_bao_12.docx",
                "quote": QUOTE_2,
                "start": 0,
                "end": len(QUOTE_2),
                "verified": True,
                "title": "Thông báo kết luận hội nghị",
                "heading_path": [],
                "metadata": {"so_ky_hieu": None, "ngay_ban_hanh": None},
            },
            {
                "n": 1,
                "doc_id": "d1",
                "source": "ke-hoach-37.pdf",
                "quote": QUOTE_1,
                "start": 10,
                "end": 90,
                "verified": True,
                "title": "Kế hoạch tổ chức Đại hội",
                "heading_path": ["III. TỔ CHỨC THỰC HIỆN", "2. Ban Thường trực"],
                "page": 3,
                "metadata": {
                    "so_ky_hieu": "37/KH-MTTQ-BTT",
                    "loai_van_ban": "Kế hoạch",
                    "co_quan_ban_hanh": "Ban Thường trực Ủy ban MTTQ tỉnh X",
                    "ngay_ban_hanh": "2020-02-04",
                    "trich_yeu": "Về tổ chức Đại hội đại biểu MTTQ các cấp",
                    "nguoi_ky": "Nguyễn Văn A",
                    "tinh": "Tỉnh X",
                },
            },
        ],
        "filters": ["năm 2020", "cơ quan: Ban Thường trực"],
        "notes": [],
    }


def _refused() -> dict:
    return {"question": "Ai ký?", "text": REFUSAL, "refused": True, "backend": "extractive", "citations": []}


def test_markdown_escapes_document_text_and_keeps_markers() -> None:
    md = turn_markdown(_turn(), asked_at="2024-05-01 10:00")
    assert md.startswith("# Câu hỏi\n\nBáo cáo năm phải gửi trước ngày nào?\n")
    assert "## Trả lời" in md and "## Nguồn trích dẫn" in md
    assert "30/11/2020 [1]. Các việc cần làm:" in md
    assert "\n- gửi báo cáo quý [1]\n- xem \\*\\*mục\\*\\* 3 [2]" in md
    assert "**Bộ lọc:** năm 2020; cơ quan: Ban Thường trực" in md
    assert md.index("**[1]**") < md.index("**[2]**")
    assert f"**[1]** {REFERENCE_1}" in md
    assert "*Mục: III. TỔ CHỨC THỰC HIỆN › 2. Ban Thường trực · trang 3*" in md
    assert (
        "> Báo cáo năm gửi về Ban Thường trực trước ngày 30/11/2020.  \n> Báo cáo quý gửi trước ngày 20."
        in md
    )
    assert "Tệp: ke-hoach-37.pdf" in md and "Tệp: thong\\_bao\\_12.docx" in md
    assert md.rstrip().endswith("*Xuất từ tracuu lúc 2024-05-01 10:00*")
    quote_line = next(line for line in md.splitlines() if "Thời gian" in line)
    assert quote_line.startswith("> ")
    body = quote_line[2:]
    # nothing left that renders: no emphasis, HTML, link, heading, code or table syntax
    assert "**" not in body and "<b>" not in body and "[link](" not in body
    assert re.search(r"(?<!\\)[*_<>\[\]#`|]", body) is None
    assert _UNESCAPE.sub(r"\1", body) == QUOTE_2  # still readable: unescaping gives the text back


def test_markdown_answer_markers_never_become_links() -> None:
    turn = {"question": "q", "text": "Xem [1](http://x) và [2]: nguồn, *nhấn* [3, 4]", "citations": []}
    md = turn_markdown(turn)
    assert "Xem [1]\\(http://x) và [2]\\: nguồn, \\*nhấn\\* [3, 4]" in md
    assert md_escape("[1]") == "\\[1\\]"


def test_markdown_line_starts_do_not_become_lists_or_headings() -> None:
    turn = _turn()
    turn["citations"][0]["quote"] = "1. mục một\n- gạch\n# tiêu đề\n===="
    md = turn_markdown(turn)
    assert "> 1\\. mục một  \n> \\- gạch  \n> \\# tiêu đề  \n> \\====" in md


def test_markdown_refused_has_no_sources() -> None:
    md = turn_markdown(_refused())
    assert REFUSAL in md
    assert "Nguồn trích dẫn" not in md and "Xuất từ" not in md


def test_docx_carries_question_answer_references_and_exact_quotes() -> None:
    data = turn_docx(_turn(), asked_at="2024-05-01 10:00")
    document = docx.Document(io.BytesIO(data))
    paras = document.paragraphs
    texts = [p.text for p in paras]
    assert document.core_properties.title == QUESTION
    assert texts[:2] == ["Câu hỏi", QUESTION]
    assert "Báo cáo năm gửi trước ngày 30/11/2020 [1]. Các việc cần làm:" in texts
    bullets = [p for p in paras if p.style.name == "List Bullet"]
    assert [p.text for p in bullets] == ["gửi báo cáo quý [1]", "xem **mục** 3 [2]"]
    assert "Bộ lọc: năm 2020; cơ quan: Ban Thường trực" in texts
    assert texts.index(f"[1] {REFERENCE_1}") < texts.index(f"[2] {REFERENCE_2}")
    ref = next(p for p in paras if p.text.startswith("[1] "))
    assert ref.runs[0].bold and ref.runs[0].text == "[1] "
    loc = next(p for p in paras if p.text.startswith("Mục: "))
    assert loc.text == "Mục: III. TỔ CHỨC THỰC HIỆN › 2. Ban Thường trực · trang 3" and loc.runs[0].italic
    quotes = [p for p in paras if p.style.name == "Quote"]
    assert [p.text for p in quotes] == [QUOTE_1, QUOTE_2]
    assert "Tệp: thong_bao_12.docx" in texts
    assert texts[-1] == "Xuất từ tracuu lúc 2024-05-01 10:00"
    assert document.styles["Normal"].font.name == "Times New Roman"


def test_docx_refused_has_no_sources_and_survives_control_characters() -> None:
    document = docx.Document(io.BytesIO(turn_docx(_refused())))
    texts = [p.text for p in document.paragraphs]
    assert texts == ["Câu hỏi", "Ai ký?", "Trả lời", REFUSAL]
    turn = _turn()
    turn["citations"][0]["quote"] = "trang 1\x0ctrang 2\x00"
    quotes = [
        p.text for p in docx.Document(io.BytesIO(turn_docx(turn))).paragraphs if p.style.name == "Quote"
    ]
    assert quotes[1] == "trang 1trang 2"


def test_source_reference_edge_cases() -> None:
    full = _turn()["citations"][1]
    assert source_reference(full) == REFERENCE_1
    no_number = {"metadata": {"loai_van_ban": "Nghị quyết", "trich_yeu": "V/v tăng cường công tác"}}
    assert source_reference(no_number) == "Nghị quyết về việc tăng cường công tác"
    no_date = {"metadata": {"so_ky_hieu": "12/TB-UBND", "co_quan_ban_hanh": "UBND xã Y"}}
    assert source_reference(no_date) == "Văn bản số 12/TB-UBND của UBND xã Y"
    titled = {"title": "Kế hoạch tuyên truyền", "metadata": {"ngay_ban_hanh": "2021-03-05"}}
    assert source_reference(titled) == "Kế hoạch tuyên truyền ngày 05/03/2021"
    assert source_reference({"source": "van-ban.pdf", "metadata": {}}) == "van-ban.pdf"
    assert source_reference({"source": "van-ban.pdf"}) == "van-ban.pdf"
    assert "None" not in source_reference(_turn()["citations"][0])


def test_location_label_parts() -> None:
    assert location_label({"heading_path": ["A", "B"], "page": None}) == "Mục: A › B"
    assert location_label({"page": 7}) == "trang 7"
    assert location_label({"heading_path": [], "source": "x.pdf"}) == ""


def test_export_filename() -> None:
    assert export_filename(_turn(), "docx") == "bao-cao-nam-phai-gui-truoc-ngay-nao.docx"
    assert export_filename({"question": "Đảng ủy xã Đông Hòa?"}, ".md") == "dang-uy-xa-dong-hoa.md"
    assert export_filename({"question": ""}, "md") == "tra-loi.md"
    assert export_filename({"question": "???"}, "docx") == "tra-loi.docx"
    long = export_filename({"question": "Kế hoạch " * 20}, "docx")
    stem = long.removesuffix(".docx")
    assert len(stem) <= 60 and not stem.endswith("-") and stem.startswith("ke-hoach-")
    assert long.isascii()


def test_markdown_renders_document_text_as_written() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    html = (
        markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(turn_markdown(_turn()))
    )
    assert "<p>**Thời gian** &lt;b&gt;x&lt;/b&gt; #1 [link](http://x.vn) a_b_c | `code` &amp; 5 $</p>" in html
    assert "<li>xem **mục** 3 [2]</li>" in html and "<a " not in html and "<code>" not in html
    assert "30/11/2020.<br />\nBáo cáo quý" in html
