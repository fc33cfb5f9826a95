"""Question understanding: pure rules on real phrasings, with and without diacritics."""

from __future__ import annotations

import datetime as dt

import pytest

from retrieval.understand import understand

TODAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("question", "intent", "field"),
    [
        ("Ai ký kế hoạch số 427-KH/TU?", "metadata", "nguoi_ky"),
        ("Kế hoạch 37/KH-MTTQ-BTT do ai ký?", "metadata", "nguoi_ky"),
        ("Ai ky ke hoach so 427-KH/TU?", "metadata", "nguoi_ky"),
        ("Kế hoạch số 37/KH-MTTQ-BTT ban hành ngày nào?", "metadata", "ngay_ban_hanh"),
        ("Cơ quan nào ban hành kế hoạch 427-KH/TU?", "metadata", "co_quan_ban_hanh"),
        ("Co quan nao ban hanh ke hoach so 427-KH/TU?", "metadata", "co_quan_ban_hanh"),
        ("Kế hoạch học tập chuyên đề năm 2020 có số ký hiệu là gì?", "metadata", "so_ky_hieu"),
        ("Trích yếu của kế hoạch 427-KH/TU là gì?", "metadata", "trich_yeu"),
        ("Kế hoạch 37/KH-MTTQ-BTT căn cứ vào văn bản nào?", "metadata", "references"),
        ("Kế hoạch 427-KH/TU thực hiện văn bản nào?", "metadata", "references"),
        ("Những văn bản nào thực hiện Chỉ thị 05-CT/TW?", "references", None),
        ("Nhung van ban nao thuc hien Chi thi 05-CT/TW?", "references", None),
        ("Văn bản nào nhắc đến Kết luận 62-KL/TW?", "references", None),
        ("Liệt kê các kế hoạch năm 2020", "list", None),
        ("Các kế hoạch năm 2020 của Tỉnh ủy Kiên Giang", "list", None),
        ("Có những kế hoạch nào của Kiên Giang?", "list", None),
        ("Có bao nhiêu kế hoạch năm 2020?", "count", None),
        ("Nam ngoai co bao nhieu ke hoach?", "count", None),
        ("So sánh kế hoạch năm 2020 và năm 2023 của Khánh Hòa", "compare", None),
        ("Báo cáo 6 tháng phải gửi trước ngày nào?", "fact", None),
        ("Bao nhiêu đảng viên dự hội nghị trực tuyến?", "fact", None),
        ("Ban nào chủ trì theo dõi việc thực hiện kế hoạch?", "fact", None),
    ],
)
def test_intent_and_field(question, intent, field):
    u = understand(question, TODAY)
    assert (u.intent, u.field) == (intent, field)


@pytest.mark.parametrize(
    ("question", "years", "label"),
    [
        ("Kế hoạch năm 2020 của Khánh Hòa", (2020, 2020), "năm 2020"),
        ("Từ 2020 đến 2023 có những kế hoạch nào?", (2020, 2023), "từ năm 2020 đến năm 2023"),
        ("tu nam 2020 den nam 2023 co nhung ke hoach nao", (2020, 2023), "từ năm 2020 đến năm 2023"),
        ("Năm ngoái có bao nhiêu kế hoạch?", (2025, 2025), "năm 2025 (năm ngoái)"),
        ("Kế hoạch năm nay của Tỉnh ủy", (2026, 2026), "năm 2026 (năm nay)"),
        ("Kế hoạch giai đoạn 2026–2030 về chuyển đổi số", (2025, 2030), "giai đoạn 2026–2030"),
        ("Từ năm 2021 đến nay có những kế hoạch nào?", (2021, 2026), "từ năm 2021 đến năm 2026"),
        ("Các kế hoạch ban hành trước năm 2021", (None, 2020), "đến năm 2020"),
        ("Báo cáo 6 tháng phải gửi trước ngày nào?", (None, None), None),
    ],
)
def test_years_relative_to_today(question, years, label):
    u = understand(question, TODAY)
    assert (u.year_from, u.year_to) == years
    shown = u.labels()["bo_loc"]
    assert (label in shown[0]) if label else not shown


def test_provinces_and_bodies_become_removable_filters():
    u = understand("Từ 2020 đến 2023 Ủy ban MTTQ tỉnh Khánh Hòa ban hành những kế hoạch nào?", TODAY)
    assert u.provinces == ("Khánh Hòa",) and u.bodies == ("Ủy ban MTTQ",) and u.has_filters
    labels = u.labels()
    assert labels["y_dinh"] == "liệt kê văn bản"
    assert "tỉnh/thành: Khánh Hòa" in labels["bo_loc"] and "cơ quan: Ủy ban MTTQ" in labels["bo_loc"]
    bare = u.without_filters()
    assert not bare.has_filters and bare.intent == u.intent and bare.labels()["bo_loc"] == []
    plain = understand("Tu 2020 den 2023 Uy ban MTTQ tinh Khanh Hoa ban hanh nhung ke hoach nao?", TODAY)
    assert (plain.provinces, plain.bodies, plain.year_from, plain.year_to) == (
        u.provinces,
        u.bodies,
        2020,
        2023,
    )


def test_a_body_named_as_a_topic_is_no_filter():
    # "hoạt động của Mặt trận" is what the Tỉnh ủy plan is about, not who issued it
    u = understand("Kế hoạch đổi mới nội dung, phương thức hoạt động của Mặt trận có mục đích gì?", TODAY)
    assert u.bodies == () and not u.has_filters


def test_document_numbers_are_understood():
    u = understand("Ai ký kế hoạch số 427-KH/TU?", TODAY)
    assert [r.full for r in u.numbers] == ["427-KH/TU"] and u.labels()["so_hieu"] == ["427-KH/TU"]


@pytest.mark.parametrize(
    ("question", "intent", "field"),
    [
        # the field of a document the subject cites: the passages answer, not the catalogue
        (
            "Kế hoạch của Tỉnh ủy Kiên Giang thực hiện hướng dẫn số mấy của Ban Tuyên giáo Trung ương?",
            "fact",
            None,
        ),
        ("Cán bộ đăng ký làm theo theo mẫu hướng dẫn của cơ quan nào?", "fact", None),
        ("Cuốn tài liệu học tập Chuyên đề năm 2020 do cơ quan nào biên soạn?", "fact", None),
        # the cited document is named with its number: the field is the subject's
        (
            "Kế hoạch của Tỉnh ủy Tuyên Quang thực hiện Thông báo kết luận 160 có số hiệu gì?",
            "metadata",
            "so_ky_hieu",
        ),
    ],
)
def test_fields_of_cited_documents_are_not_metadata_questions(question, intent, field):
    u = understand(question, TODAY)
    assert (u.intent, u.field) == (intent, field)


def test_numbers_with_a_year_inside_and_typed_without_diacritics():
    from retrieval.catalog.graph import number_key

    u = understand("Ai ký Nghị quyết 99/2025/NQ-HĐND?", TODAY)
    assert [r.full for r in u.numbers] == ["99/2025/NQ-HĐND"]
    plain = understand("Nghi dinh 06/2026/ND-CP ban hanh ngay nao?", TODAY)
    assert (plain.intent, plain.field) == ("metadata", "ngay_ban_hanh")
    assert number_key(plain.numbers[0].full) == number_key("06/2026/NĐ-CP")


def test_list_questions_name_the_document_type_they_want():
    assert understand("Liệt kê các thông tư ban hành năm 2025", TODAY).doc_types == ("Thông tư",)
    assert understand("Có bao nhiêu nghị định của Chính phủ?", TODAY).doc_types == ("Nghị định",)
    assert understand("Những văn bản nào của tỉnh Quảng Ninh?", TODAY).doc_types == ()
    assert "loại: Kế hoạch" in understand("Các kế hoạch năm 2020", TODAY).labels()["bo_loc"]


def test_a_typed_number_without_diacritics():
    u = understand("ai ky ke hoach 37 cua mat tran to quoc tinh khanh hoa", TODAY)
    assert [(r.number, r.initials) for r in u.numbers] == [("37", "KH")] and u.field == "nguoi_ky"


@pytest.mark.parametrize(
    "question",
    [
        "Danh sách hộ gia đình văn hóa tiêu biểu gửi trước ngày nào?",
        "Danh sach ho gia dinh van hoa tieu bieu gui truoc ngay nao?",
        "Liệt kê hồ sơ cần nộp khi đăng ký thi đua?",
    ],
)
def test_a_list_of_things_that_are_not_documents_is_a_fact_question(question):
    assert understand(question, TODAY).intent == "fact"


def test_a_list_of_documents_is_a_list_question():
    assert understand("Liệt kê các kế hoạch năm 2020", TODAY).intent == "list"
    assert understand("Danh sách văn bản của Tỉnh ủy Kiên Giang", TODAY).intent == "list"


@pytest.mark.parametrize(
    "question",
    [
        "Người ứng cử đại biểu HĐND xã phải có tối thiểu bao nhiêu cuộc tiếp xúc cử tri?",
        "Tinh co tu 1 trieu dan tro xuong thi duoc bau bao nhieu dai bieu HDND tinh?",
        "Kỳ họp HĐND tỉnh cuối năm thông qua mấy nghị quyết?",
    ],
)
def test_a_body_completing_a_noun_is_the_topic_not_the_issuer(question):
    assert understand(question, TODAY).bodies == ()


def test_a_body_named_as_issuer_still_filters():
    assert understand("Nghị quyết của HĐND tỉnh Quảng Ninh về mức chi bầu cử", TODAY).bodies == ("HĐND",)
    assert understand("Các văn bản do UBND tỉnh Cao Bằng ban hành", TODAY).bodies == ("UBND",)


@pytest.mark.parametrize(
    ("question", "label", "key"),
    [
        ("Những văn bản do Sở Y tế ban hành năm 2024", "Sở Y tế", "so y te"),
        ("Ai ký công văn của Văn phòng Chính phủ?", "Văn phòng Chính phủ", "van phong chinh phu"),
        ("van ban nao cua bo giao duc va dao tao", "bo giao duc va dao tao", "bo giao duc va dao tao"),
        ("Kế hoạch của Hội Nông dân tỉnh Nghệ An năm 2023 có gì?", "Hội Nông dân", "hoi nong dan"),
    ],
)
def test_any_body_named_as_issuer_of_the_documents_filters(question, label, key):
    """Not only the bodies the rules know (Tỉnh ủy, MTTQ, HĐND, UBND): a ministry, department or
    association named after a document word, up to a verb, a place level or the question word."""
    u = understand(question)
    assert u.bodies == (label,) and u.body_keys == (key,)


@pytest.mark.parametrize(
    "question",
    [
        "Nhiệm vụ của Ban Tuyên giáo trong kế hoạch là gì?",  # the topic
        "Số lượng thành viên của Hội đồng quản trị là bao nhiêu?",
        "Kế hoạch nhắc đến nghị quyết nào của Bộ Chính trị về phát triển tỉnh?",  # a cited document's
    ],
)
def test_a_named_body_that_is_no_issuer_does_not_filter(question):
    assert understand(question).bodies == ()


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("Văn bản nào của Đoàn thanh niên năm 2018?", "Đoàn Thanh niên"),
        ("Các kế hoạch của Tỉnh đoàn?", "Đoàn Thanh niên"),
        ("Những văn bản do Hội Liên hiệp Phụ nữ ban hành", "Hội Phụ nữ"),
        ("cac cong van cua cong doan nam 2021", "Công đoàn"),
    ],
)
def test_mass_organizations_named_as_issuer_filter(question, label):
    """Each level of a mass organization names itself its own way ("Tỉnh đoàn", "BCH Đoàn huyện …",
    "Liên đoàn Lao động …"): one label, several issuer keys."""
    u = understand(question)
    assert u.bodies == (label,) and len(u.body_keys) >= 1
    assert u.intent == "list"


def test_a_mass_organization_as_topic_does_not_filter():
    for question in ("Nhiệm vụ của Đoàn thanh niên trong kế hoạch là gì?", "Hội phụ nữ có trách nhiệm gì?"):
        assert understand(question).bodies == (), question


def test_which_documents_of_a_body_is_a_list_but_a_long_which_question_is_a_fact():
    assert understand("Văn bản nào của Bộ Giáo dục và Đào tạo?").intent == "list"
    u = understand("Văn bản nào do bộ máy lập pháp thông qua cho phép tỉnh áp dụng cơ chế đặc thù riêng?")
    assert u.intent == "fact"


def test_several_fields_in_one_question():
    u = understand("Công văn 21/TTVH ngày nào, ai ký?")
    assert (u.intent, {u.field, *u.also}) == ("metadata", {"nguoi_ky", "ngay_ban_hanh"})
    u = understand("Ai ký kế hoạch 427-KH/TU và ký ngày nào?")
    assert (u.field, u.also) == ("nguoi_ky", ("ngay_ban_hanh",))
    assert understand("Kế hoạch 37/KH-MTTQ-BTT do ai ký?").also == ()
    assert understand("Theo Kế hoạch 14-KH/TU ngày nào phải gửi báo cáo?").intent == "fact"
