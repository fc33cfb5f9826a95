"""Near-miss questions: a place or year the documents do not cover, an amount / date / số hiệu the
text does not state. Pure checks first, then the real index of the sample plans."""

from __future__ import annotations

import pytest

from retrieval.answer import Answerer, scope
from retrieval.answer.result import REFUSAL
from retrieval.answer.scope import (
    named_places,
    named_subjects,
    named_years,
    restates_question,
    unnamed_subject,
    wrong_answer_type,
)


def test_places_and_years_named_in_a_question():
    assert named_places("Kế hoạch của Thành ủy Hà Nội về học tập tư tưởng Hồ Chí Minh") == ["Hà Nội"]
    assert named_places("ke hoach cua tinh uy kien giang") == ["Kiên Giang"]
    both = ["Bà Rịa - Vũng Tàu", "Hồ Chí Minh"]
    assert named_places("UBND TP. Hồ Chí Minh và tỉnh Bà Rịa - Vũng Tàu") == both
    assert named_places("Tư tưởng Hồ Chí Minh, Khánh Hoà") == ["Khánh Hòa"]
    assert named_years("năm 2022, hạn 30/11/2020, nhiệm kỳ 2020 - 2025") == ["2020", "2022", "2025"]
    assert named_years("Kế hoạch 427-KH/TU") == []


@pytest.mark.parametrize(
    ("question", "answer", "refused"),
    [
        ("Tổng kinh phí thực hiện là bao nhiêu?", "Kinh phí do ngân sách tỉnh bảo đảm [1].", True),
        ("Tổng kinh phí thực hiện là bao nhiêu?", "Tổng kinh phí 150 triệu đồng [1].", False),
        ("Báo cáo năm gửi trước ngày nào?", "Gửi về Ban Thường trực [1].", True),
        ("Báo cáo năm gửi trước ngày nào?", "Gửi trước ngày 30/11/2020 [1].", False),
        ("Bao nhiêu phần trăm cán bộ được học tập?", "100% cán bộ [1].", False),
        ("Lệ phí cấp đổi thẻ căn cước là bao nhiêu?", "Thông tư quy định mẫu thẻ căn cước [1].", True),
        ("Vốn điều lệ của ngân hàng là bao nhiêu tỷ đồng?", "Ngân hàng được cấp vốn điều lệ [1].", True),
        ("Bà L mua hai căn nhà với giá bao nhiêu?", "Giá chuyển nhượng 5.500.000.000 đồng [1].", False),
        ("Có bao nhiêu người tham gia bao nhiêu hội nghị?", "Có 120 người tham gia [1].", False),
        ("Vốn điều lệ là bao nhiêu tỷ đồng?", "1. Ngân hàng được cấp vốn điều lệ [1].", True),
        ("Hạn ngạch nhập khẩu ngô mỗi năm là bao nhiêu tấn?", "Thông tư quy định hạn ngạch [1].", True),
        ("Hạn ngạch nhập khẩu gạo mỗi năm là bao nhiêu tấn?", "Gạo: 70.000 tấn/năm [1].", False),
        ("Tỷ lệ hộ nghèo giảm bao nhiêu phần trăm?", "Giảm 1,5% mỗi năm [1].", False),
        # a length of time is not a date
        ("Thời hạn xử lý được kéo dài tối đa bao nhiêu ngày?", "Kéo dài tối đa 150 ngày [1].", False),
        ("Thời hạn nộp báo cáo là ngày nào?", "Báo cáo gửi về Ban Thường trực [1].", True),
    ],
)
def test_answer_type_checks(question, answer, refused):
    assert (wrong_answer_type(question, answer) is not None) == refused


def test_a_document_number_question_needs_the_documents_own_number():
    q = "Kế hoạch chuyên đề năm 2020 của Tỉnh ủy có số hiệu là gì?"
    cited_other = "Thực hiện Nghị quyết số 35-NQ/TW, ngày 25/3/2019 [1]."
    assert "số/ký hiệu" in wrong_answer_type(q, cited_other, ["427-KH/TU", ""])
    assert wrong_answer_type(q, "Số 37/KH-MTTQ-BTT [1].", ["37/KH-MTTQ-BTT"]) is None
    assert wrong_answer_type(q, "Số 37 / KH-MTTQ-BTT [1].", ["37/KH-MTTQ-BTT"]) is None


def test_an_answer_that_restates_the_question_is_recognized():
    q = "Cán bộ Mặt trận đăng ký làm theo chuyên đề năm 2020 theo mẫu hướng dẫn của cơ quan nào?"
    echo = "Cán bộ Mặt trận đăng ký làm theo chuyên đề năm 2020 theo mẫu của cơ quan [1]."
    assert restates_question(q, echo)
    assert not restates_question(q, "Theo mẫu hướng dẫn của Sở Nội vụ tỉnh [1].")
    assert not restates_question("Bao nhiêu phần trăm cán bộ được học tập?", "100% cán bộ được học tập [1].")
    assert not restates_question("Ai ký?", "[1][2]")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "reason"),
    [
        (
            "Kế hoạch năm 2022 của Thành ủy Hà Nội về học tập và làm theo tư tưởng Hồ Chí Minh "
            "có những nội dung gì?",
            "Hà Nội",
        ),
        ("Tổng kinh phí thực hiện Kế hoạch 427-KH/TU của Tỉnh ủy Tuyên Quang là bao nhiêu?", "số tiền"),
    ],
)
def test_real_index_refuses_near_misses_and_says_why(searcher, question, reason):
    answer = Answerer(searcher).answer(question)
    assert answer.refused and answer.answer.startswith(REFUSAL) and not answer.citations
    assert reason in answer.answer.split("\n")[0] and "Các văn bản gần nhất" in answer.answer


@pytest.mark.slow
def test_real_index_still_answers_when_place_and_year_match(searcher):
    answer = Answerer(searcher).answer(
        "Bao nhiêu phần trăm cán bộ, công chức Mặt trận các cấp ở Khánh Hòa "
        "phải được học tập chuyên đề năm 2020?"
    )
    assert not answer.refused and "100%" in answer.answer and answer.citations[0].verified


@pytest.mark.parametrize(
    ("question", "cited", "refused"),
    [
        # the fee of another museum is not the fee asked for
        (
            "Phí tham quan Bảo tàng Phòng không - Không quân là bao nhiêu tiền một lượt?",
            "Mức thu phí thăm quan Bảo tàng Lịch sử Quân sự Việt Nam là 40.000 đồng/người/lượt.",
            True,
        ),
        (
            "Phí tham quan Bảo tàng Phòng không - Không quân là bao nhiêu tiền một lượt?",
            "BẢO TÀNG PHÒNG KHÔNG – KHÔNG QUÂN: 20.000 đồng/lượt.",
            False,
        ),
        ("Ở xã Lương Minh có bao nhiêu thôn không được phân bổ?", "MTTQ xã Lương Minh: có 05 thôn.", False),
        ("Ở xã Lương Minh có bao nhiêu thôn không được phân bổ?", "Xã Minh Tân có 05 thôn.", True),
        # a one-word name beside ordinary words ("của Đảng thực hiện", "từ Lào")
        ("Có mấy hình thức theo đường lối của Đảng thực hiện?", "Đảng ta có 3 hình thức.", False),
        ("Nhập bao nhiêu tấn gạo từ Lào?", "Hiệp định với Lào: 70.000 tấn gạo.", False),
        ("Nhập bao nhiêu tấn gạo từ Lào?", "Người lao động: 70.000 tấn gạo.", True),
        # initials ("bà L"), acronyms, document kinds and questions typed without capitals pass
        ("Bà L mua nhà của ông K với giá bao nhiêu?", "Giá 5.500.000.000 đồng.", False),
        ("Quyết định 1610/QĐ-TTPVHCC tiết kiệm bao nhiêu tiền?", "Tiết kiệm 100 tỷ đồng.", False),
        ("HĐND xã họp mấy kỳ?", "Hội đồng nhân dân xã họp 2 kỳ.", False),
        ("kinh phi bao tang phong khong khong quan bao nhieu", "Bảo tàng Lịch sử: 40.000 đồng.", False),
        (
            "Quyet dinh cua tinh Cao Bang phe duyet bao nhieu quy trinh?",
            "UBND tỉnh Cao Bằng: 12 quy trình",
            False,
        ),
        (
            "Quyet dinh cua tinh Cao Bang phe duyet bao nhieu quy trinh?",
            "UBND tỉnh Lạng Sơn: 12 quy trình",
            True,
        ),
        # only questions for a value are checked
        ("Mặt trận Khánh Hòa dành góc nào trên website?", "Chuyên mục Diễn đàn trên Trang thông tin.", False),
    ],
)
def test_a_name_the_question_gives_must_be_in_a_cited_document(question, cited, refused):
    reason = unnamed_subject(question, [cited])
    assert (reason is not None) == refused, reason
    if refused:
        assert reason.startswith("Các văn bản được trích không nhắc đến")
    assert "Bảo" not in named_subjects("Bảo tàng có mấy phòng?")  # the first word of a sentence


def test_quick_fold_finds_the_same_places_as_fold():
    """The catalogue folds every document's text for its province; ``quick_fold`` skips the syllable
    normalization but must find the same places (dash and space variants, old tone placement)."""
    from retrieval.answer.normalize import fold

    for text in (
        "UBND TP. Hồ Chí Minh và tỉnh Bà Rịa - Vũng Tàu",
        "BÀ RỊA – VŨNG TÀU; Khánh Hoà; Thừa Thiên - Huế",
        "tỉnh  Kiên   Giang,\nthành phố Hồ Chí Minh",
        "ke hoach cua tinh uy kien giang",
    ):
        slow = [name for name, pat in scope._PLACES if pat.search(fold(text).lower())]
        assert named_places(text) == slow, text
    assert "khanh hoa" in scope.quick_fold("Khánh Hoà")
