"""Citation checking on real passages of the sample corpus: crafted bad answers must be caught."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.answer.citations import UNVERIFIED_TAG, check_answer, is_refusal, parse_markers
from retrieval.answer.facts import SourceIndex, extract_facts, missing_facts
from retrieval.answer.normalize import norm, normalize
from retrieval.answer.passages import passages_from_hits, split_sentences
from retrieval.answer.result import REFUSAL
from retrieval.answer.testing import hits_from_needles, read_document
from retrieval.types import DocMetadata

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
DOC0 = "000_7f24dc1676206cad.txt"
DOC1 = "001_a12b2318b784b2b4.txt"
DOC4 = "004_18ce676507074b40.txt"


@pytest.fixture(scope="module")
def passages():
    hits = hits_from_needles(
        CORPUS,
        [
            (DOC0, "Báo cáo kết quả thực hiện chuyên đề năm 2020 về Ban Thường trực"),  # [1]
            (
                DOC0,
                "ỦY BAN MTTQ VIỆT NAM",
            ),  # [2] header: ... "Số:  37/KH-MTTQ-BTT" ... "Khánh Hòa, ngày 04 ..."
            (DOC4, "Sau hội nghị cấp tỉnh"),  # [3]
        ],
        lines=3,
    )
    header = hits_from_needles(CORPUS, [(DOC0, "ỦY BAN MTTQ VIỆT NAM")], lines=8)[0]
    header = replace(
        header, rank=2, metadata=DocMetadata(so_ky_hieu="37/KH-MTTQ-BTT", ngay_ban_hanh="2020-02-04")
    )
    return passages_from_hits([hits[0], header, hits[2]])


def assert_exact(citations, passages):
    """Every quote is the document text at its offsets, character for character."""
    by_chunk = {p.chunk_id: p for p in passages}
    for c in citations:
        doc = read_document(CORPUS / c.source)
        assert doc[c.start : c.end] == c.quote
        p = by_chunk[c.chunk_id]
        assert p.start <= c.start < c.end <= p.end


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Câu [1].", [(1,)]),
        ("Câu [1, 2].", [(1, 2)]),
        ("Câu [1][3].", [(1,), (3,)]),
        ("Câu [2-4].", [(2, 3, 4)]),
        ("Câu [Đoạn 2] và [đoạn văn 3; 1].", [(2,), (3, 1)]),
        ("Không có dấu.", []),
    ],
)
def test_parse_markers(text, numbers):
    assert [m.numbers for m in parse_markers(text)] == numbers


def test_normalization_tone_marks_spacing_and_offsets():
    assert norm("CỘNG HOÀ") == norm("Cộng hòa")
    assert norm("thuỷ lợi") == norm("thủy lợi")
    assert norm("Kế hoạch số 427 - KH/TU") == norm("kế hoạch  số 427-KH/TU")
    assert norm("ngày **04** tháng 8") == norm("ngày 04 tháng 8")
    nt = normalize("Tỉnh Khánh Hoà,  ngày 04")
    i = nt.find(norm("khánh hòa"))
    s, e = nt.span_of(i, i + len(norm("khánh hòa")))
    assert "Tỉnh Khánh Hoà,  ngày 04"[s:e] == "Khánh Hoà"


def test_facts_dates_codes_numbers():
    f = extract_facts("1. Kế hoạch 427 - KH/TU ngày 10 tháng 9 năm 2020 đạt 100 % và 6 tháng, “học tập” [2]")
    assert f.dates == ((10, 9, 2020),)
    assert f.codes == ("427-kh/tu",)
    assert f.percents == ("100",)
    assert f.numbers == ("6",)  # the list number "1." and the marker [2] are not claims
    assert f.quotes == ("học tập",)
    src = SourceIndex.of("Báo cáo năm gửi trước ngày 30/11/2020; 6 tháng gửi trước ngày 15/6/2020.")
    assert missing_facts(extract_facts("ngày 30 tháng 11 năm 2020, trước 15/6"), [src]) == []
    assert missing_facts(extract_facts("ngày 30/10/2020"), [src]) == ["ngày 30/10/2020"]


def test_split_sentences_keeps_abbreviations_and_list_numbers():
    text = "1. Mục đích của kế hoạch. Tổ chức tại TP. Hồ Chí Minh năm 2020. Báo cáo gửi trước ngày 15/6."
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == [
        "1. Mục đích của kế hoạch.",
        "Tổ chức tại TP. Hồ Chí Minh năm 2020.",
        "Báo cáo gửi trước ngày 15/6.",
    ]
    bulleted = "- 1. Nội dung tuyên truyền trọng tâm [2]"
    assert [bulleted[s:e] for s, e in split_sentences(bulleted)] == ["1. Nội dung tuyên truyền trọng tâm [2]"]


# ---------------------------------------------------------------- supported answers


def test_supported_answer_is_kept_with_exact_quotes(passages):
    answer = "Báo cáo năm phải gửi trước ngày 30/11/2020 [1]. Báo cáo 6 tháng gửi trước ngày 15/6/2020 [1]."
    checked = check_answer(answer, passages)
    assert not checked.dropped and not checked.problems
    assert "30/11/2020 [1]" in checked.text and "15/6/2020 [" in checked.text
    assert all(c.verified for c in checked.citations)
    assert any("30/11/2020" in c.quote for c in checked.citations)
    assert_exact(checked.citations, passages)


def test_paraphrased_date_old_tone_marks_and_code_spacing_are_supported(passages):
    answer = (
        "Báo cáo năm gửi trước ngày 30 tháng 11 năm 2020 [1]. "
        "Văn bản số 37 / KH-MTTQ-BTT của Ban Thường trực Ủy ban MTTQ tỉnh Khánh Hoà ngày 04/02/2020 [2]."
    )
    checked = check_answer(answer, passages)
    assert not checked.dropped, checked.problems
    assert_exact(checked.citations, passages)


def test_renumbered_in_order_of_first_use(passages):
    answer = (
        "Sau hội nghị cấp tỉnh, các huyện xây dựng kế hoạch học tập Chuyên đề năm 2020 [3]. "
        "Báo cáo năm gửi trước ngày 30/11/2020 [1]."
    )
    checked = check_answer(answer, passages)
    assert [c.n for c in checked.citations] == [1, 2]
    assert checked.citations[0].doc_id == passages[2].doc_id  # old [3] is now [1]
    assert checked.citations[1].doc_id == passages[0].doc_id
    assert "năm 2020 [1]" in checked.text and "30/11/2020 [2]" in checked.text


def test_marker_after_the_full_stop_belongs_to_the_sentence_before(passages):
    checked = check_answer(
        "Báo cáo năm gửi trước ngày 30/11/2020. [1] Báo cáo 6 tháng trước 15/6/2020. [1]", passages
    )
    assert not checked.dropped, checked.problems
    # Each citation carries its own exact quote: two sentences of one passage give [1] and [2].
    assert checked.text == "Báo cáo năm gửi trước ngày 30/11/2020 [1]. Báo cáo 6 tháng trước 15/6/2020 [2]."
    assert {c.chunk_id for c in checked.citations} == {passages[0].chunk_id}
    assert_exact(checked.citations, passages)


# ---------------------------------------------------------------- crafted bad answers


def test_made_up_number_is_caught(passages):
    checked = check_answer("Báo cáo năm phải gửi trong vòng 45 ngày [1].", passages)
    assert checked.dropped and not checked.citations
    assert "45" in checked.problems[0]


def test_citation_to_a_missing_passage_is_caught(passages):
    checked = check_answer(
        "Báo cáo năm gửi trước ngày 30/11/2020 [1]. Kế hoạch yêu cầu tổ chức hội thao [9].", passages
    )
    assert checked.invalid_markers == (9,)
    assert "[9]" not in checked.text and "hội thao" not in checked.text
    assert {c.n for c in checked.citations} == {1}
    assert "không tồn tại" in " ".join(checked.problems)


def test_invalid_marker_next_to_a_valid_one_is_removed(passages):
    checked = check_answer("Báo cáo năm gửi trước ngày 30/11/2020 [1][7].", passages)
    assert checked.text.endswith("30/11/2020 [1].")
    assert [c.n for c in checked.citations] == [1]


def test_quote_not_in_the_passage_is_caught(passages):
    checked = check_answer("Kế hoạch yêu cầu “báo cáo năm gửi trước ngày lễ Quốc khánh” [1].", passages)
    assert checked.dropped and not checked.citations
    assert "trích dẫn" in checked.problems[0]


def test_wrong_date_is_caught(passages):
    checked = check_answer("Báo cáo năm phải gửi trước ngày 30/10/2020 [1].", passages)
    assert checked.dropped and not checked.citations
    assert "30/10/2020" in checked.problems[0]


def test_date_taken_from_another_sentence_of_the_same_passage_is_caught(passages):
    # Passage [3] has "hội nghị trực tuyến ngày 17-12-2019" and "Thời gian hoàn thành trong tháng 02-2020".
    checked = check_answer("Thời gian hoàn thành trong tháng 12-2019 [3].", passages)
    assert checked.dropped and "12/2019" in checked.problems[0]
    assert not check_answer("Thời gian hoàn thành trong tháng 02-2020 [3].", passages).dropped


def test_fact_free_sentence_sharing_only_common_words_is_caught(passages):
    # A sentence an LLM copied from its prompt's example, cited to the document header [2].
    checked = check_answer("Các đơn vị gửi báo cáo về Ban Tuyên giáo [2].", passages)
    assert checked.dropped and "không khớp" in checked.problems[0]


def test_right_fact_cited_to_the_wrong_passage_is_caught_then_repaired(passages):
    answer = "Báo cáo năm phải gửi trước ngày 30/11/2020 [3]."
    strict = check_answer(answer, passages, repair=False)
    assert strict.dropped and not strict.citations
    repaired = check_answer(answer, passages)  # re-attributed to the passage holding the date
    assert repaired.repaired == 1 and repaired.text == "Báo cáo năm phải gửi trước ngày 30/11/2020 [1]."
    assert repaired.citations[0].chunk_id == passages[0].chunk_id and repaired.citations[0].verified
    assert_exact(repaired.citations, passages)


def test_citation_to_nothing_with_a_fact_is_repaired_never_shown(passages):
    checked = check_answer("Hội nghị trực tuyến ngày 17-12-2019 [9].", passages)
    assert checked.invalid_markers == (9,) and "[9]" not in checked.text
    assert checked.citations[0].chunk_id == passages[2].chunk_id and checked.text.endswith("[1].")


def test_wrong_document_number_is_caught(passages):
    checked = check_answer("Đây là Kế hoạch số 38/KH-MTTQ-BTT [2].", passages)
    assert checked.dropped


def test_uncited_claims_and_marker_only_sentences_are_dropped(passages):
    checked = check_answer(
        "Báo cáo năm gửi trước ngày 30/11/2020 [1].\nNgoài ra cần báo cáo hằng tuần.\n[1][2]", passages
    )
    assert checked.text == "Báo cáo năm gửi trước ngày 30/11/2020 [1]."
    assert checked.dropped == ("Ngoài ra cần báo cáo hằng tuần",)


def test_mixed_answer_keeps_only_the_good_sentence(passages):
    answer = (
        "Báo cáo 6 tháng gửi trước ngày 15/6/2020 [1]. Báo cáo năm gửi trước ngày 31/12/2020 [1]. "
        "Hội nghị trực tuyến ngày 17-12-2019 [3]."
    )
    checked = check_answer(answer, passages)
    assert "31/12/2020" not in checked.text
    assert "15/6/2020 [1]" in checked.text and "17-12-2019 [2]" in checked.text
    assert len(checked.dropped) == 1
    assert_exact(checked.citations, passages)


def test_mark_mode_keeps_unsupported_sentences_tagged(passages):
    checked = check_answer("Báo cáo năm gửi trước ngày 30/10/2020 [1].", passages, mark_unsupported=True)
    assert UNVERIFIED_TAG.strip() in checked.text
    assert [c.verified for c in checked.citations] == [False]


def test_refusal_phrase_is_recognized(passages):
    checked = check_answer(REFUSAL, passages)
    assert checked.refused and not checked.citations and not checked.dropped
    assert is_refusal("Xin lỗi, không tìm thấy thông tin này trong các văn bản.")


def test_a_long_sentence_with_clauses_is_checked_once_and_kept_verbatim(tmp_path):
    # sentences over 400 characters are also offered as their ';'-clauses for quoting; the answer
    # quoting the whole sentence must come back unchanged, with one citation (not clause by clause)
    clauses = [
        "3. Tuyên truyền thông qua các hội nghị sinh hoạt đảng, sinh hoạt của các tổ chức chính trị - xã hội",
        "tuyên truyền trên bản tin thông báo nội bộ, tài liệu, sách, tờ rơi, tờ gấp...",
        "tổ chức cuộc thi tìm hiểu, thi thiết kế tranh cổ động, sáng tác, quảng bá các tác phẩm văn học",
        "tọa đàm, hội thảo khoa học với quy mô phù hợp..., sinh hoạt văn hóa, văn nghệ, tuyên truyền qua các"
        " buổi tập huấn công tác Mặt trận, phát huy vai trò của Ban công tác Mặt trận khu dân cư...",
    ]
    sentence = "; ".join(clauses)
    assert len(sentence) > 400
    (tmp_path / "kh.txt").write_text("II. HÌNH THỨC TUYÊN TRUYỀN\n\n" + sentence + "\n", encoding="utf-8")
    ps = passages_from_hits(hits_from_needles(tmp_path, [("kh.txt", "3. Tuyên truyền")], lines=1))
    spans = ps[0].sentences
    assert any(ps[0].quote(s) == sentence for s in spans) and len(spans) > 1  # sentence + its clauses
    quote = sentence[3:]  # without the list number, as the extractive answer quotes it
    checked = check_answer(f"{quote} [1]", ps)
    assert checked.text == f"{quote} [1]" and len(checked.citations) == 1
    assert split_sentences(checked.text, clauses=False) == [(0, len(checked.text))]
