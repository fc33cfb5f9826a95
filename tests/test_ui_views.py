"""The chat's pure parts: answer HTML, catalogue rows and relations, example questions, filters."""

from __future__ import annotations

import datetime as dt

from retrieval.catalog.graph import build_graph
from retrieval.search import SearchFilters
from retrieval.store import StoredDocument
from retrieval.types import Chunk, DocMetadata
from retrieval.ui.answer_html import answer_html, answer_lines, clean_markup
from retrieval.ui.catalogue_view import (
    catalogue_records,
    implemented_by,
    matches,
    references_of,
    sections,
    sort_rows,
    timeline,
)
from retrieval.ui.corpus import filter_options, page_of
from retrieval.ui.examples import archive_summary, example_questions
from retrieval.understand import understand


def _doc(i: int, text: str = "", **meta) -> StoredDocument:
    md = DocMetadata(**meta)
    return StoredDocument(f"d{i}", f"d{i}.txt", "", "txt", meta.get("trich_yeu", f"T{i}"), md, text)


# ------------------------------------------------------------------ answer text
def test_clean_markup_removes_emphasis_not_words():
    assert clean_markup("ngày **04** tháng 8") == "ngày 04 tháng 8"
    assert clean_markup("*** Thời gian hoàn thành") == " Thời gian hoàn thành"
    assert clean_markup("# I. MỤC ĐÍCH\n* gạch đầu dòng") == "I. MỤC ĐÍCH\n• gạch đầu dòng"
    assert clean_markup("CHÍNH PHỦ_______ Số: 1") == "CHÍNH PHỦ Số: 1"
    assert clean_markup("5 * 3 = 15, a_b") == "5 * 3 = 15, a_b"  # single marks are text


def test_answer_lines_space_citations_and_drop_repeats():
    text = "như sau:[1]Kế hoạch A\n- Mục một [2];Thực hiện B\n- Mục hai [3]\n- **Mục hai** [4].\nNhóm:\nNhóm:"
    lines = answer_lines(text)
    assert lines[0] == "như sau: [1] Kế hoạch A"
    assert lines[1] == "- Mục một [2]; Thực hiện B"
    assert "- Mục hai [3]" in lines and not any("[4]" in line for line in lines)  # the same sentence again
    assert lines.count("Nhóm:") == 2  # group headings may repeat


def test_answer_html_links_lists_and_escapes():
    text = "Có 2 văn bản:\nKế hoạch của A:\n- <b>x</b> **04** [1]\n- câu hai [2]\nKết [9]"
    out = answer_html(text, {1, 2}, "nguon-m1")
    assert "<b>x</b>" not in out and "&lt;b&gt;x&lt;/b&gt;" in out
    assert "**" not in out
    assert out.count("<li>") == 2 and out.count("<ul>") == 1
    assert 'href="#nguon-m1-1"' in out and 'data-n="2"' in out
    assert "[9]" in out and 'data-n="9"' not in out  # no source 9: plain text, not a dead link
    assert '<p class="tc-group">Kế hoạch của A:</p>' in out


# ------------------------------------------------------------------ filters
def test_filters_keep_undated_documents_when_asked():
    dated = _doc(1, ngay_ban_hanh="2020-05-01", co_quan_ban_hanh="Tỉnh ủy Quảng Ninh")
    other = _doc(2, ngay_ban_hanh="2023-01-01", co_quan_ban_hanh="Ban Thường trực Ủy ban MTTQ tỉnh Khánh Hòa")
    undated = _doc(3)
    only_2020 = SearchFilters(year_from=2020, year_to=2020)
    assert only_2020.admits(dated) and not only_2020.admits(other) and not only_2020.admits(undated)
    keep = SearchFilters(year_from=2020, year_to=2020, include_undated=True)
    assert keep.admits(dated) and keep.admits(undated) and not keep.admits(other)
    unknown_body = SearchFilters(no_co_quan=True)
    assert not unknown_body.empty() and unknown_body.admits(undated) and not unknown_body.admits(dated)
    both = SearchFilters(co_quan=("Tỉnh ủy",), no_co_quan=True)
    assert both.admits(dated) and both.admits(undated) and not both.admits(other)
    assert SearchFilters(tinh=("Khánh Hòa",)).admits(other)
    assert not SearchFilters(tinh=("Khánh Hòa",)).admits(dated)
    opts = filter_options({d.doc_id: d for d in (dated, other, undated)})
    assert opts.tinh == ("Khánh Hòa", "Quảng Ninh") and opts.no_co_quan == 1 and opts.undated == 1


def test_filter_chips_and_dropping_one_kind():
    u = understand("Các kế hoạch năm 2020 của tỉnh Khánh Hòa", today=dt.date(2026, 1, 1))
    chips = u.filter_chips()
    assert ("years", "năm 2020") in chips and any(k == "provinces" for k, _ in chips)
    without = u.without_filters(["years"])
    assert without.year_from is None and without.provinces == u.provinces
    assert all(k != "years" for k, _ in without.filter_chips())


def test_page_of_paged_documents():
    paged = StoredDocument("p", "p.pdf", "", "pdf", "", DocMetadata(), "x" * 300, page_starts=(0, 100, 200))
    assert [page_of(paged, o) for o in (0, 99, 100, 250)] == [1, 1, 2, 3]
    assert page_of(_doc(1, "abc"), 1) is None  # not paged


# ------------------------------------------------------------------ catalogue
CITED = "KẾ HOẠCH\nThực hiện Kế hoạch số 12-KH/TU ngày 02/3/2024 của Tỉnh ủy về …\n"
BASE = "TỈNH ỦY\nSố 12-KH/TU\nKẾ HOẠCH\nnội dung\n"


def _pair():
    base = _doc(
        1,
        BASE,
        so_ky_hieu="12-KH/TU",
        loai_van_ban="Kế hoạch",
        ngay_ban_hanh="2024-03-02",
        co_quan_ban_hanh="Tỉnh ủy",
    )
    child = _doc(
        2,
        CITED,
        so_ky_hieu="7-KH/HU",
        loai_van_ban="Kế hoạch",
        ngay_ban_hanh="2024-04-01",
        references=("12-KH/TU",),
    )
    return base, child


def test_catalogue_rows_sort_filter_and_timeline():
    base, child = _pair()
    undated = _doc(3, "x", trich_yeu="Hướng dẫn công tác Mặt trận")
    rows = catalogue_records([undated, base, child])
    assert [r["doc_id"] for r in rows] == ["d2", "d1", "d3"]  # newest first, undated last
    assert rows[0]["Ngày ban hành"] == dt.date(2024, 4, 1)
    assert [r["doc_id"] for r in sort_rows(rows, "Ngày ban hành, cũ nhất trước")] == ["d1", "d2", "d3"]
    assert [r["doc_id"] for r in sort_rows(rows, "Số/ký hiệu")] == ["d1", "d2", "d3"]
    assert [r["doc_id"] for r in rows if matches(r, "huong dan cong tac")] == ["d3"]
    assert timeline([undated, base, child]) == [("2024", 2), ("Không ghi ngày", 1)]


def test_relations_both_directions():
    base, child = _pair()
    docs = {d.doc_id: d for d in (base, child)}
    graph = build_graph(docs.values())
    refs = references_of(child, graph, docs)
    assert refs and refs[0].doc_id == "d1" and "12-KH/TU" in refs[0].label
    assert "Thực hiện Kế hoạch số 12-KH/TU" in refs[0].context
    implementing = implemented_by(base, graph, docs)
    assert [r.doc_id for r in implementing] == ["d2"]
    assert implemented_by(child, graph, docs) == []


def test_sections_in_text_order_each_once():
    chunks = [
        Chunk("c2", "d", "d.txt", ("II. TỔ CHỨC", "1. Cấp tỉnh"), 50, 80, ((50, 80),), ""),
        Chunk("c1", "d", "d.txt", ("I. MỤC ĐÍCH",), 10, 40, ((10, 40),), ""),
        Chunk("c3", "d", "d.txt", ("II. TỔ CHỨC", "2. Cấp huyện"), 90, 99, ((90, 99),), ""),
        Chunk("x", "e", "e.txt", ("KHÁC",), 0, 5, ((0, 5),), ""),
    ]
    out = [(s.title, s.level, s.start) for s in sections(chunks, "d")]
    assert out == [
        ("I. MỤC ĐÍCH", 0, 10),
        ("II. TỔ CHỨC", 0, 50),
        ("1. Cấp tỉnh", 1, 50),
        ("2. Cấp huyện", 1, 90),
    ]


# ------------------------------------------------------------------ first screen
def test_examples_are_drawn_from_the_archive():
    docs = [
        _doc(
            1,
            "Báo cáo kết quả gửi về Ban Thường trực trước ngày 15/6/2024.",
            so_ky_hieu="9-KH/TU",
            loai_van_ban="Kế hoạch",
            ngay_ban_hanh="2024-01-05",
            nguoi_ky="Trần Văn B",
            co_quan_ban_hanh="Tỉnh ủy Quảng Ninh",
        ),
        _doc(
            2,
            "Căn cứ Chỉ thị số 05-CT/TW của Bộ Chính trị",
            loai_van_ban="Kế hoạch",
            ngay_ban_hanh="2024-02-01",
            co_quan_ban_hanh="Ban Thường trực Ủy ban MTTQ tỉnh Khánh Hòa",
        ),
        _doc(
            3,
            "Thực hiện Chỉ thị số 05-CT/TW của Bộ Chính trị",
            loai_van_ban="Kế hoạch",
            ngay_ban_hanh="2024-03-01",
            co_quan_ban_hanh="Tỉnh ủy Quảng Ninh",
        ),
    ]
    by_id = {d.doc_id: d for d in docs}
    chunk = Chunk("c", "d1", "d1.txt", (), 0, len(docs[0].text), ((0, len(docs[0].text)),), "")
    qs = example_questions(by_id, [chunk])
    assert "Báo cáo phải gửi trước ngày nào?" in qs
    assert "Ai ký kế hoạch số 9-KH/TU?" in qs
    assert "Những văn bản nào thực hiện Chỉ thị 05-CT/TW?" in qs
    assert "Các kế hoạch năm 2024" in qs
    assert "Có bao nhiêu văn bản của tỉnh Quảng Ninh?" in qs
    summary = archive_summary(by_id)
    assert (summary.documents, summary.year_min, summary.year_max) == (3, 2024, 2024)
    assert summary.provinces[0] == "Quảng Ninh" and summary.types == (("Kế hoạch", 3),)
    assert example_questions({}, []) == []  # an empty archive offers nothing it cannot answer
