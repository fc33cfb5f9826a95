"""Answers about documents on the real sample index (real model): metadata from the catalogue with
header/signature citations, lists, references through the graph, several documents for one question."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import CORPUS, ROOT

from retrieval.answer import Answerer
from retrieval.answer.documents import filtered_docs, graph_of
from retrieval.chunking import HEADER_PATH, SIGNATURE_PATH
from retrieval.understand import understand

pytestmark = pytest.mark.slow
ADDED_2024 = ROOT / "tests" / "fixtures" / "added_2024"
DOC = {
    "000": "000_7f24dc1676206cad",
    "001": "001_a12b2318b784b2b4",
    "002": "002_af1114e4e18dab81",
    "003": "003_66380168433525af",
    "004": "004_18ce676507074b40",
}


def _verified(ans, searcher) -> None:
    assert not ans.refused and ans.citations
    for c in ans.citations:
        assert c.verified
        assert searcher.document_text(c.doc_id)[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "doc", "name"),
    [
        ("Ai ký kế hoạch số 427-KH/TU?", "001", "Nguyễn Hồng Thắng"),
        ("Kế hoạch 37/KH-MTTQ-BTT do ai ký?", "000", "Huỳnh Mộng Giang"),
        ("Ai ky ke hoach 37/KH-MTTQ-BTT?", "000", "Huỳnh Mộng Giang"),
        ("Ai ký kế hoạch của Tỉnh ủy Kiên Giang năm 2020?", "004", "Đặng Tuyết Em"),
    ],
)
def test_who_signed_is_answered_from_the_signature_block(searcher, question, name, doc):
    ans = Answerer(searcher).answer(question)
    _verified(ans, searcher)
    assert name in ans.answer and ans.understood["truong"] == "người ký"
    chunks = {c.chunk_id: c for c in searcher.chunks}
    cited = [chunks[c.chunk_id] for c in ans.citations]
    assert any(
        c.heading_path == SIGNATURE_PATH and c.doc_id == DOC[doc] and name in q.quote
        for c, q in zip(cited, ans.citations, strict=True)
    )
    assert {c.doc_id for c in ans.citations} == {DOC[doc]}


def test_issue_date_number_and_body_are_quoted_from_the_header(searcher):
    a = Answerer(searcher)
    chunks = {c.chunk_id: c for c in searcher.chunks}
    for question, printed in [
        ("Kế hoạch 427-KH/TU được ban hành ngày nào?", "ngày 10 tháng 9 năm 2020"),
        ("Cơ quan nào ban hành kế hoạch 427-KH/TU?", "CỦA BAN THƯỜNG VỤ TỈNH ỦY"),
        ("Kế hoạch học tập chuyên đề năm 2020 của Mặt trận Khánh Hòa có số ký hiệu là gì?", "37/KH-MTTQ-BTT"),
    ]:
        ans = a.answer(question)
        _verified(ans, searcher)
        assert printed in ans.answer
        assert any(
            chunks[c.chunk_id].heading_path == HEADER_PATH and printed in c.quote for c in ans.citations
        )


def test_a_number_not_in_the_corpus_is_refused_with_the_reason(searcher):
    ans = Answerer(searcher).answer("Ai ký kế hoạch số 999-KH/TU?")
    assert ans.refused and "999-KH/TU" in ans.answer and not ans.citations


def test_documents_implementing_a_directive_are_all_listed_with_their_sentence(searcher):
    ans = Answerer(searcher).answer("Những văn bản nào thực hiện Chỉ thị 05-CT/TW?")
    _verified(ans, searcher)
    assert ans.answer.startswith("Có 4 văn bản")
    assert {c.doc_id for c in ans.citations} == {DOC[d] for d in ("000", "002", "003", "004")}
    mentions = [c for c in ans.citations if "05" in c.quote and "CT/TW" in c.quote.replace(" ", "")]
    assert {c.doc_id for c in mentions} == {DOC[d] for d in ("000", "002", "003", "004")}
    # newest first: the 2023 plan before the 2020 ones
    first = {}
    for c in ans.citations:
        first.setdefault(c.doc_id, c.n)
    assert first[DOC["003"]] < first[DOC["000"]]


def test_lists_follow_year_province_and_relative_time_filters(searcher):
    a = Answerer(searcher)
    ans = a.answer("Liệt kê các kế hoạch năm 2020")
    _verified(ans, searcher)
    assert {c.doc_id for c in ans.citations} == {DOC[d] for d in ("000", "001", "002", "004")}
    assert ans.answer.startswith("Có 4 văn bản") and "năm 2020" in ans.understood["bo_loc"]
    ans = a.answer(
        "Năm ngoái Ủy ban MTTQ tỉnh Khánh Hòa ban hành những kế hoạch nào?", today=dt.date(2024, 3, 1)
    )
    assert {c.doc_id for c in ans.citations} == {DOC["003"]}
    assert "năm 2023 (năm ngoái)" in ans.understood["bo_loc"]
    ans = a.answer("Có những kế hoạch nào của Kiên Giang?")
    assert {c.doc_id for c in ans.citations} == {DOC["002"], DOC["004"]}


def test_filters_can_be_removed(searcher):
    a = Answerer(searcher)
    kept = a.answer("Kế hoạch năm 2023 của Khánh Hòa tuyên truyền qua hệ thống nào ở cơ sở?")
    assert {c.doc_id for c in kept.citations} == {DOC["003"]} and "Đã lọc theo" in kept.answer
    bare = a.answer(
        "Kế hoạch năm 2023 của Khánh Hòa tuyên truyền qua hệ thống nào ở cơ sở?", use_filters=False
    )
    assert bare.understood["bo_loc"] == [] and "Đã lọc theo" not in bare.answer
    u = understand("Kế hoạch năm 2019 của Khánh Hòa")
    assert filtered_docs(u, graph_of(searcher)) == ()


def test_footnote_fact_is_in_the_top_five(searcher):
    hits = searcher.search(
        "Ở Kiên Giang, hội nghị trực tuyến quán triệt chuyên đề năm 2020 có bao nhiêu đảng viên dự?", k=5
    )
    assert any(any("3.640" in t for t in h.footnote_texts) for h in hits)
    ans = Answerer(searcher).answer(
        "Ở Kiên Giang, hội nghị trực tuyến quán triệt chuyên đề năm 2020 có bao nhiêu đảng viên dự?"
    )
    assert "3.640" in ans.answer


@pytest.fixture(scope="module")
def searcher_2024(tmp_path_factory, real_settings, real_embedder):
    """The sample plans plus a 2024 plan with its own 6-month report deadline."""
    from retrieval.indexer import build_index
    from retrieval.search import Searcher

    corpus = tmp_path_factory.mktemp("c2024") / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("README*"))
    for f in ADDED_2024.glob("*.txt"):
        shutil.copy(f, corpus / f.name)
    index = corpus.parent / "index"
    build_index(corpus, index, real_settings, embedder=real_embedder)
    return Searcher.load(index, real_settings, real_embedder)


def test_two_plans_with_two_deadlines_are_both_given_newest_first(searcher_2024):
    ans = Answerer(searcher_2024).answer("Báo cáo 6 tháng phải gửi trước ngày nào?")
    _verified(ans, searcher_2024)
    assert ans.answer.startswith("Hai văn bản")
    assert ans.answer.index("10/6/2024") < ans.answer.index("15/6/2020")
    assert len({c.doc_id for c in ans.citations}) == 2
    # and the new plan joins the list of documents implementing 05-CT/TW (through its preamble)
    refs = Answerer(searcher_2024).answer("Những văn bản nào thực hiện Chỉ thị 05-CT/TW?")
    assert refs.answer.startswith("Có 5 văn bản") and "1 văn bản nêu ở phần căn cứ" in refs.answer


WEB_DECISION = (
    "ỦY\nBAN NHÂN DÂN\nTỈNH QUẢNG NGÃI\n-------\n|\nCỘNG\nHÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\n---------------\n|\nSố:\n12/2023/QĐ-UBND\n|\nQuảng\n"
    "Ngãi, ngày 19 tháng 6 năm\n2023\n|\nQUYẾT ĐỊNH\nBAN HÀNH QUY CHẾ PHỐI HỢP QUẢN LÝ CỤM CÔNG NGHIỆP\n"
    "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI\nCăn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n"
    "QUYẾT ĐỊNH:\nĐiều 1. Ban hành kèm theo Quyết định này Quy chế phối hợp quản lý cụm công nghiệp.\n"
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.\n|\nTM.\nỦY BAN NHÂN DÂN TỈNH\nKT. CHỦ TỊCH\n"
    "PHÓ CHỦ TỊCH\nTrần Thị Bích\n|\n"
)
WEB_LETTER = (
    "BỘ\nY TẾ\n-------\n|\nCỘNG HÒA XÃ HỘI\nCHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n|\n"
    "Số: 3847/BYT-KCB\nV/v tổ chức tập huấn phòng chống\ndịch bệnh mùa mưa năm 2024\n|\nHà\n"
    "Nội, ngày 22 tháng 08\nnăm 2024\n|\nKính\ngửi:\n|\n- Sở Y tế các tỉnh, thành phố.\n|\n"
    "Bộ Y tế đề nghị các Sở Y tế tổ chức tập huấn phòng chống sốt xuất huyết cho cán bộ y tế cơ sở.\n"
)


@pytest.fixture(scope="module")
def web_searcher(tmp_path_factory, real_settings, real_embedder):
    """Two legal-portal text copies whose header cells keep the source's line breaks."""
    from retrieval.indexer import build_index
    from retrieval.search import Searcher

    corpus = tmp_path_factory.mktemp("web") / "corpus"
    corpus.mkdir()
    (corpus / "qd_12_2023.md").write_text(WEB_DECISION, encoding="utf-8")
    (corpus / "cv_3847_2024.md").write_text(WEB_LETTER, encoding="utf-8")
    (corpus / "cv_21_2020.txt").write_text(WEB_YOUTH_LETTER, encoding="utf-8")
    index = corpus.parent / "index"
    build_index(corpus, index, real_settings, embedder=real_embedder)
    return Searcher.load(index, real_settings, real_embedder)


@pytest.mark.parametrize(
    ("question", "printed"),
    [
        ("Quyết định 12/2023/QĐ-UBND ban hành ngày nào?", "Quảng Ngãi, ngày 19 tháng 6 năm 2023"),
        ("Công văn 3847/BYT-KCB được ban hành ngày nào?", "Hà Nội, ngày 22 tháng 08 năm 2024"),
        ("Công văn 3847/BYT-KCB về việc gì?", "V/v tổ chức tập huấn phòng chống dịch bệnh mùa mưa năm 2024"),
        ("Ai ký Quyết định 12/2023/QĐ-UBND?", "Trần Thị Bích"),
    ],
)
def test_wrapped_header_fields_are_quoted_whole(web_searcher, question, printed):
    """The cited line holds the whole field, across the line breaks of the copy ("Quảng" / "Ngãi, ngày
    … năm" / "2023"), and a wrapped V/v is the document's trích yếu, not "not recorded"."""
    ans = Answerer(web_searcher).answer(question)
    _verified(ans, web_searcher)
    assert printed in " ".join(ans.answer.split())


def test_a_ministry_named_in_the_question_filters_the_list(web_searcher):
    """ "Những văn bản nào của Bộ Y tế?": the catalogue's issuer, compared without accents."""
    for question in ("Những văn bản nào của Bộ Y tế?", "nhung van ban nao cua bo y te"):
        ans = Answerer(web_searcher).answer(question)
        _verified(ans, web_searcher)
        assert {c.doc_id for c in ans.citations} == {"cv_3847_2024"}, question


def test_two_fields_asked_at_once_are_both_answered(web_searcher):
    """ "… ban hành ngày nào, ai ký?": the date line and the signer, each cited."""
    ans = Answerer(web_searcher).answer("Quyết định 12/2023/QĐ-UBND ban hành ngày nào, ai ký?")
    _verified(ans, web_searcher)
    flat = " ".join(ans.answer.split())
    assert "Trần Thị Bích" in flat and "ngày 19 tháng 6 năm 2023" in flat
    assert "người ký, ngày ban hành" in flat


# A district Youth Union's letter copied cell by cell: a quoted "V/v" over four lines, two of them capitals.
WEB_YOUTH_LETTER = (
    "TỈNH\nĐOÀN THANH HÓA\nBCH ĐOÀN HUYỆN HẬU LỘC\n***\nSố:\n21-CV/ĐTN\n“V/v Ra quân\n"
    "hưởng ứng\nTháng Thanh niên\nnăm 2020”\n|\nĐOÀN\nTNCS HỒ CHÍ MINH\nHậu Lộc,\n"
    "ngày 02 tháng 3 năm 2020\n|\nKính gửi: Ban Chấp hành Đoàn các xã, thị trấn.\n"
    "Thực hiện Kế hoạch số 12-KH/TĐTN ngày 20/02/2020 của Ban Thường vụ Tỉnh đoàn, Ban Thường vụ Huyện đoàn "
    "đề nghị các cơ sở đoàn ra quân đồng loạt vào ngày 08/3/2020 với các hoạt động tình nguyện.\n"
    "1. Thời gian: sáng ngày 08/3/2020.\n2. Địa điểm: tại các xã, thị trấn.\n"
)


def test_a_youth_union_letter_is_listed_and_its_quoted_subject_quoted_whole(web_searcher):
    """ "Văn bản nào của Đoàn thanh niên năm 2020?": the body names itself "BCH Đoàn huyện …"; the
    subject is quoted across its four lines."""
    a = Answerer(web_searcher)
    ans = a.answer("Văn bản nào của Đoàn thanh niên năm 2020?")
    _verified(ans, web_searcher)
    assert {c.doc_id for c in ans.citations} == {"cv_21_2020"}
    ans = a.answer("Công văn 21-CV/ĐTN về việc gì?")
    _verified(ans, web_searcher)
    assert "Ra quân hưởng ứng Tháng Thanh niên năm 2020" in " ".join(ans.answer.split())
