"""Comparison of two documents (retrieval/answer/compare.py, compare_route.py): on the real sample
plans parsed from corpus/, on a yearly plan written twice with changed dates, targets and bodies, the
question routing, the Answerer, and `tracuu compare` end to end on the sample index (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.answer import Answerer
from retrieval.answer.compare import (
    CompareDoc,
    compare_documents,
    render,
    section_kinds,
    to_json,
)
from retrieval.answer.compare_route import compare_question, comparison_answer, resolve_reference
from retrieval.answer.testing import read_document
from retrieval.ingest import load_document
from retrieval.store import StoredDocument
from retrieval.structure import parse_document
from retrieval.types import RawDocument

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MTTQ_2020, TT_2023, TU_KG_2020 = "000_7f24dc1676206cad", "003_66380168433525af", "004_18ce676507074b40"
TQ_427 = "001_a12b2318b784b2b4"
ISSUE_Q = "So sánh kế hoạch chuyên đề năm 2020 của Tỉnh ủy Kiên Giang và của MTTQ Khánh Hòa"

PLAN = """ỦY BAN MTTQ VIỆT NAM
TỈNH KHÁNH HÒA
BAN THƯỜNG TRỰC
Số: {num}/KH-MTTQ-BTT

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Khánh Hòa, ngày 10 tháng 1 năm {year}

KẾ HOẠCH
Kiểm tra, giám sát năm {year}

I. MỤC ĐÍCH, YÊU CẦU
- Nâng cao hiệu quả công tác kiểm tra, giám sát của Mặt trận các cấp.
- Phấn đấu {pct}% Ban công tác Mặt trận khu dân cư được giám sát.

II. NỘI DUNG
1. Giám sát việc thực hiện chính sách xã hội
- Giám sát việc chi trả trợ cấp cho người có công.
2. Giám sát công tác cán bộ
- Giám sát việc nêu gương của người đứng đầu.
{extra}
III. TỔ CHỨC THỰC HIỆN
1. Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh
- Chủ trì xây dựng kế hoạch, báo cáo kết quả về Ban Thường trực trước ngày {deadline}.
2. Ban Thường trực Ủy ban MTTQ Việt Nam các huyện, thị xã, thành phố
- Xây dựng kế hoạch kiểm tra, giám sát tại địa phương.
{body}
Nơi nhận:
- Như trên;
- Lưu VT.

TM. BAN THƯỜNG TRỰC
PHÓ CHỦ TỊCH

Nguyễn Văn A
"""


def stored(raw: RawDocument, doc_id: str) -> StoredDocument:
    return StoredDocument.from_parsed(parse_document(raw, doc_id))


@pytest.fixture(scope="module")
def catalogue() -> dict[str, StoredDocument]:
    out = {}
    for p in sorted(CORPUS.glob("*.txt")):
        out[p.stem] = stored(load_document(p, CORPUS), p.stem)
    return out


def cdoc(doc: StoredDocument) -> CompareDoc:
    parsed = parse_document(doc.raw, doc.doc_id)
    return CompareDoc(doc.doc_id, doc.source, doc.title, doc.metadata, doc.text, parsed.blocks)


def yearly(num, year, pct, deadline, extra="", body="") -> StoredDocument:
    text = PLAN.format(num=num, year=year, pct=pct, deadline=deadline, extra=extra, body=body)
    return stored(RawDocument(f"kh_{year}.txt", text, str(year), "txt"), f"kh{year}")


def all_items(cmp):
    for r in cmp.rows:
        yield from (*r.a, *r.b, *r.added, *r.dropped)
        for x, y in r.common:
            yield from (x, y)


@pytest.mark.parametrize(
    "heading,kinds",
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", ("muc_dich",)),
        ("I- MỤC ĐÍCH YÊU CẦU", ("muc_dich",)),
        ("II- NỘI DUNG, THỜI GIAN TUYÊN TRUYỀN", ("noi_dung", "thoi_gian")),
        ("II- TỔ CHỨC HỌC TẬP, QUÁN TRIỆT", ("noi_dung",)),
        ("III. TỎ CHỨC THỰC HIỆN", ("to_chuc",)),  # OCR typo of the sample plan
        ("III- HÌNH THỨC TUYÊN TRUYỀN", ("hinh_thuc",)),
        ("IV. KINH PHÍ THỰC HIỆN", ("kinh_phi",)),
        ("Nơi nhận", ()),
    ],
)
def test_section_kinds(heading, kinds):
    assert section_kinds(heading) == kinds


def test_sample_plans_side_by_side_with_exact_citations(catalogue):
    a, b = cdoc(catalogue[MTTQ_2020]), cdoc(catalogue[TT_2023])
    cmp = compare_documents(a, b)
    rows = {r.kind: r for r in cmp.rows}
    assert {"muc_dich", "noi_dung", "to_chuc", "thoi_gian"} <= set(rows)
    org = rows["to_chuc"]
    pairs = {(x.label, y.label) for x, y in org.common}
    assert ("Ủy ban MTTQ Việt Nam tỉnh", "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh") in pairs
    assert [y.label for y in org.added] == ["Các tổ chức thành viên của Ủy ban MTTQ Việt Nam tỉnh"]
    assert any("30/11/2020" in x.quote for x in rows["thoi_gian"].dropped)  # the 2020 deadlines are gone
    docs = {a.doc_id: a, b.doc_id: b}
    for it in all_items(cmp):
        assert docs[it.doc_id].text[it.start : it.end] == it.quote
        assert read_document(CORPUS / it.source)[it.start : it.end] == it.quote
    shown = render(cmp)
    assert shown.text.startswith("So sánh hai văn bản:") and "Tổ chức thực hiện:" in shown.text
    assert f"[{len(shown.cited)}]" in shown.text and "[0]" not in shown.text
    json.dumps(to_json(cmp), ensure_ascii=False)


def test_a_yearly_plan_rewritten_shows_changed_dates_targets_and_new_points():
    a = yearly(5, 2023, 90, "30/11/2023")
    b = yearly(
        7,
        2024,
        95,
        "15/11/2024",
        extra="3. Giám sát việc tiếp công dân\n- Giám sát việc giải quyết đơn thư của công dân.\n",
        body="3. Các tổ chức thành viên của Ủy ban MTTQ Việt Nam tỉnh\n- Phối hợp thực hiện kế hoạch.\n",
    )
    cmp = compare_documents(cdoc(a), cdoc(b), same_series=True)
    rows = {r.kind: r for r in cmp.rows}
    assert [y.label for y in rows["noi_dung"].added] == ["Giám sát việc tiếp công dân"]
    assert not rows["noi_dung"].dropped and len(rows["noi_dung"].common) == 2
    assert [y.label for y in rows["to_chuc"].added] == [
        "Các tổ chức thành viên của Ủy ban MTTQ Việt Nam tỉnh"
    ]
    (date_change,) = rows["thoi_gian"].changes
    assert (date_change.what, date_change.before, date_change.after) == (
        "ngày",
        ("30/11/2023",),
        ("15/11/2024",),
    )
    (target,) = rows["chi_tieu"].changes
    assert (target.what, target.before, target.after) == ("chỉ tiêu", ("90%",), ("95%",))
    text = render(cmp).text
    assert "cùng một loạt" in text and "ngày 30/11/2023 → 15/11/2024" in text and "90% → 95%" in text


@pytest.mark.parametrize(
    "question,pair",
    [
        (ISSUE_Q, (TU_KG_2020, MTTQ_2020)),
        (
            "So sanh ke hoach chuyen de nam 2020 cua Tinh uy Kien Giang va cua MTTQ Khanh Hoa",
            (TU_KG_2020, MTTQ_2020),
        ),
        (
            "Kế hoạch 37/KH-MTTQ-BTT khác gì so với kế hoạch năm 2023 của MTTQ Khánh Hòa?",
            (MTTQ_2020, TT_2023),
        ),
        ("So sánh kế hoạch 427-KH/TU với kế hoạch chuyên đề của Tỉnh ủy Kiên Giang", (TQ_427, TU_KG_2020)),
        ("Đối chiếu kế hoạch của MTTQ Khánh Hòa năm 2020 và năm 2023", (MTTQ_2020, TT_2023)),
    ],
)
def test_compare_question_names_two_documents(catalogue, question, pair):
    assert compare_question(question, catalogue) == pair


@pytest.mark.parametrize(
    "question",
    [
        "Báo cáo năm phải gửi trước ngày nào?",  # not a comparison
        "So sánh kế hoạch của Hà Nội và Đà Nẵng",  # no such documents
        "So sánh kế hoạch năm 2020 và kế hoạch năm 2020",  # the same / undecidable
        "So sánh kế hoạch của MTTQ Khánh Hòa",  # one side only
    ],
)
def test_compare_question_refuses_what_it_cannot_pin_down(catalogue, question):
    assert compare_question(question, catalogue) is None


def test_a_plan_and_the_previous_or_next_one_of_its_series(catalogue):
    docs = dict(catalogue)
    for year, num in ((2023, 5), (2024, 7), (2025, 9)):
        d = yearly(num, year, 90, f"30/11/{year}")
        docs[d.doc_id] = d
    q = "Kế hoạch kiểm tra, giám sát năm 2024 của MTTQ Khánh Hòa có gì mới so với năm trước?"
    assert compare_question(q, docs) == ("kh2023", "kh2024")
    assert compare_question("So sánh kế hoạch 7/KH-MTTQ-BTT với kế hoạch năm sau", docs) == (
        "kh2024",
        "kh2025",
    )
    assert compare_question("Kế hoạch 5/KH-MTTQ-BTT khác gì năm trước?", docs) is None  # first of its series
    assert compare_question("Kế hoạch 37/KH-MTTQ-BTT khác gì năm trước?", docs) is None  # in no series


def test_resolve_reference(catalogue):
    assert resolve_reference(MTTQ_2020, catalogue) == MTTQ_2020
    assert resolve_reference(f"{TT_2023}.txt", catalogue) == TT_2023
    assert resolve_reference(f"corpus/{TT_2023}.txt", catalogue) == TT_2023
    assert resolve_reference("37/KH-MTTQ-BTT", catalogue) == MTTQ_2020
    assert resolve_reference("427 - KH/TU", catalogue) == TQ_427
    assert resolve_reference("999-KH/TU", catalogue) is None


class CatalogueSearcher:
    """Documents and chunks as the Searcher holds them; search must not be needed."""

    def __init__(self, documents):
        from retrieval.chunking import chunk_document

        self.documents = documents
        self.chunks = [c for d in documents.values() for c in chunk_document(parse_document(d.raw, d.doc_id))]

    def search(self, *a, **kw):
        raise AssertionError("a comparison question is answered without a search")


def test_answerer_routes_a_comparison_question(catalogue):
    answer = Answerer(CatalogueSearcher(catalogue)).answer(ISSUE_Q)
    assert not answer.refused and answer.answer.startswith("So sánh hai văn bản:")
    assert len(answer.citations) >= 10
    for c in answer.citations:
        assert c.verified and not c.chunk_id.endswith("#?")
        assert read_document(CORPUS / c.source)[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer
    assert {c.doc_id for c in answer.citations} == {TU_KG_2020, MTTQ_2020}


def test_comparison_answer_json_contract(catalogue):
    ans = comparison_answer("q", catalogue[MTTQ_2020], catalogue[TT_2023])
    data = ans.to_json()
    assert set(data) == {"question", "answer", "refused", "citations", "backend"}


@pytest.mark.slow
def test_cli_compare_and_ask_on_the_sample_index(sample_index):
    from typer.testing import CliRunner

    from retrieval.cli import app

    runner = CliRunner()
    res = runner.invoke(
        app, ["compare", "37/KH-MTTQ-BTT", f"{TT_2023}.txt", "--json", "--index-dir", str(sample_index)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["a"]["doc_id"] == MTTQ_2020 and data["b"]["doc_id"] == TT_2023
    assert {r["kind"] for r in data["rows"]} >= {"muc_dich", "noi_dung", "to_chuc"}
    assert data["citations"] and all(f"[{c['n']}]" in data["text"] for c in data["citations"])
    for c in data["citations"]:
        assert read_document(CORPUS / c["source"])[c["start"] : c["end"]] == c["quote"]
    text = runner.invoke(app, ["compare", MTTQ_2020, TU_KG_2020, "--index-dir", str(sample_index)])
    assert text.exit_code == 0 and "Tổ chức thực hiện" in text.stdout and "ký tự" in text.stdout
    bad = runner.invoke(app, ["compare", MTTQ_2020, "không-có", "--index-dir", str(sample_index)])
    assert bad.exit_code == 2 and "Không tìm thấy đúng một văn bản 'không-có'" in bad.output
    same = runner.invoke(app, ["compare", MTTQ_2020, "37/KH-MTTQ-BTT", "--index-dir", str(sample_index)])
    assert same.exit_code == 2 and "cùng chỉ một văn bản" in same.output
    asked = runner.invoke(app, ["ask", ISSUE_Q, "--json", "--index-dir", str(sample_index)])
    assert asked.exit_code == 0, asked.output
    ans = json.loads(asked.stdout)
    assert not ans["refused"] and {c["doc_id"] for c in ans["citations"]} == {TU_KG_2020, MTTQ_2020}
