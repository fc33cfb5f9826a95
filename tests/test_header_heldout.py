"""Header layouts found on real documents the rules were not written on (a held-out check of party,
mass-organization and state documents copied from web pages): one synthetic text of our own wording per
layout family, each failing on the parser before its fix."""

from __future__ import annotations

import hashlib

from retrieval.document.issuer import compose, recase
from retrieval.structure import parse_document
from retrieval.types import DocMetadata, RawDocument

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
FREEDOM = "Độc lập - Tự do - Hạnh phúc"
PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"


def meta(text: str, source: str = "trang_web.txt") -> DocMetadata:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_document(RawDocument(source, text, sha, source.rsplit(".", 1)[-1]), "doc").metadata


BODY = "\nI. MỤC ĐÍCH\n\n1. Nâng cao chất lượng hoạt động của các chi hội.\n\n2. Bảo đảm tiến độ.\n"


def test_party_star_under_issuer_and_number_without_colon() -> None:
    """The "*" printed under a Party or mass organization's name is decoration, not an open markdown
    emphasis that swallows the next lines; "Số 215- CV/HNDT" has neither colon nor a tight dash."""
    text = (
        "     HỘI NÔNG DÂN VIỆT NAM      " + MOTTO + "\n"
        "BCH HỘI NÔNG DÂN TỈNH AN GIANG        " + FREEDOM + "\n"
        "                      *                              Long Xuyên, ngày 09 tháng 4 năm 2021\n"
        "          Số 215- CV/HNDT\n"
        "V/v tổ chức tập huấn cho cán bộ chi hội\n"
        "  về chuyển đổi số trong sản xuất\n"
        "\u00a0\n"
        "      nông nghiệp năm 2021\n\n"
        "Kính gửi: Hội Nông dân các huyện, thị xã, thành phố\n\n"
        "Căn cứ Chương trình công tác năm 2021 số 02-CTr/HNDT ngày 05/01/2021, Ban Thường vụ đề nghị:\n"
        + BODY
    )
    m = meta(text)
    assert (m.so_ky_hieu, m.ngay_ban_hanh, m.dia_danh) == ("215-CV/HNDT", "2021-04-09", "Long Xuyên")
    assert m.trich_yeu == (
        "Tổ chức tập huấn cho cán bộ chi hội về chuyển đổi số trong sản xuất nông nghiệp năm 2021"
    )
    assert m.loai_van_ban == "Công văn"
    assert m.co_quan_ban_hanh == "Ban Chấp hành Hội Nông dân tỉnh An Giang"
    assert m.tinh == "An Giang"


def test_site_text_above_a_header_without_motto() -> None:
    """A page's snippet and a menu line in capitals above a mass organization's header that has no
    motto: the number line anchors the header; a subject typed in lower case starts with a capital."""
    text = (
        "TIN NỔI BẬT\n\n"
        "Hội viên là người trực tiếp sản xuất trên địa bàn tỉnh, không phân biệt thành phần, tuổi tác\n"
        "HỘI CỰU CHIẾN BINH VIỆT NAM\n"
        "HỘI CỰU CHIẾN BINH TỈNH BẾN TRE\n"
        "*\n"
        "Số 12-HD/CCB\n"
        "Bến Tre, ngày 20 tháng 2 năm 2019\n"
        "HƯỚNG DẪN\n"
        "xét chọn hội viên làm kinh tế giỏi\n"
        "năm 2019\n"
        "-Căn cứ Hướng dẫn số 31-HD/CCBTW ngày 10/01/2019 của Trung ương Hội;\n" + BODY
    )
    m = meta(text)
    assert (m.so_ky_hieu, m.ngay_ban_hanh, m.loai_van_ban) == ("12-HD/CCB", "2019-02-20", "Hướng dẫn")
    assert m.trich_yeu == "Xét chọn hội viên làm kinh tế giỏi năm 2019"
    assert m.co_quan_ban_hanh == "Hội Cựu chiến binh tỉnh Bến Tre"
    assert m.tinh == "Bến Tre"
    assert m.references == ("31-HD/CCBTW",)


def test_headline_naming_the_document_is_not_its_number_line() -> None:
    """ "Quy định số 17-QĐ/TU của Ban Thường vụ: …" above the letterhead is a news headline."""
    text = (
        "Quy định số 17-QĐ/TU của Ban Thường vụ Tỉnh ủy: cán bộ chủ chốt phải tiếp dân hằng tháng\n\n"
        "Bài viết liên quan: hội nghị sơ kết công tác dân vận năm 2022 của các huyện, thị, thành ủy\n\n"
        "TỈNH ỦY LẠNG SƠN\n*\n\n" + PARTY + "\n\nSố: 17-QĐ/TU\n\nLạng Sơn, ngày 14 tháng 3 năm 2022\n\n"
        "QUY ĐỊNH\n\nVỀ TRÁCH NHIỆM TIẾP DÂN CỦA CÁN BỘ CHỦ CHỐT CÁC CẤP\n\n"
        "- Căn cứ Quy định số 11-QĐi/TW ngày 18/02/2019 của Bộ Chính trị;\n" + BODY
    )
    m = meta(text)
    assert (m.so_ky_hieu, m.ngay_ban_hanh, m.loai_van_ban) == ("17-QĐ/TU", "2022-03-14", "Quy định")
    assert m.co_quan_ban_hanh == "Tỉnh ủy Lạng Sơn"
    assert m.trich_yeu == "Về trách nhiệm tiếp dân của cán bộ chủ chốt các cấp"
    assert [r.upper() for r in m.references] == ["11-QĐI/TW"]


def test_preamble_written_as_a_list_under_a_rule() -> None:
    text = (
        "BAN CHẤP HÀNH TRUNG ƯƠNG\nBAN DÂN VẬN\n\n" + PARTY + "\n\nSố: 08-HD/BDVTW\n\n"
        "Hà Nội, ngày 02 tháng 6 năm 2020\n\nHƯỚNG DẪN\n\nthực hiện dân chủ ở cơ sở\n-----------\n\n\n"
        "- Căn cứ Kết luận số 120-KL/TW ngày 07/01/2016 của Bộ Chính trị;\n\n"
        "-Căn cứ Quy định số 25-QĐ/TW ngày 18/11/2016 của Bộ Chính trị;\n\n"
        "Ban Dân vận Trung ương hướng dẫn như sau:\n" + BODY
    )
    m = meta(text)
    assert m.references == ("120-KL/TW", "25-QĐ/TW")
    assert m.co_quan_ban_hanh == "Ban Dân vận Trung ương"  # its name: the Central Committee is above it


def test_council_session_lines_end_the_subject() -> None:
    """An HĐND resolution prints the council and its session under the subject."""
    text = (
        "HỘI ĐỒNG NHÂN DÂN\nTỈNH PHÚ YÊN\n--------\n" + MOTTO + "\n" + FREEDOM + "\n"
        "Số: 21/2019/NQ-HĐND\nPhú Yên, ngày 12 tháng 7 năm 2019\nNGHỊ QUYẾT\n"
        "VỀ MỨC CHI HỖ TRỢ CÁN BỘ KHÔNG CHUYÊN TRÁCH Ở THÔN, KHU PHỐ\n"
        "HỘI ĐỒNG NHÂN DÂN TỈNH\nKHÓA VII, KỲ HỌP THỨ 10\n"
        "Căn cứ Nghị định số 34/2019/NĐ-CP ngày 24/4/2019 của Chính phủ;\n" + BODY
    )
    m = meta(text)
    assert m.trich_yeu == "Về mức chi hỗ trợ cán bộ không chuyên trách ở thôn, khu phố"
    assert m.co_quan_ban_hanh == "Hội đồng nhân dân tỉnh Phú Yên"
    assert m.references == ("34/2019/NĐ-CP",)


def test_party_resolution_conference_line_is_not_the_subject() -> None:
    text = (
        "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM\n-------\n" + MOTTO + "\n" + FREEDOM + "\n"
        "Số: 09/NQ-TLĐ\nHà Nội, ngày 15 tháng 1 năm 2018\nNGHỊ QUYẾT\n"
        "HỘI NGHỊ LẦN THỨ 3 BAN CHẤP HÀNH TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM KHÓA XII\n"
        "VỀ ĐỔI MỚI CÔNG TÁC TUYÊN TRUYỀN TRONG CÔNG NHÂN\n"
        "Hội nghị lần thứ 3 Ban Chấp hành họp ngày 14 tháng 1 năm 2018 tại Hà Nội, đã thông qua Nghị quyết.\n"
        + BODY
    )
    m = meta(text)
    assert m.trich_yeu == "Về đổi mới công tác tuyên truyền trong công nhân"
    assert m.co_quan_ban_hanh == "Tổng Liên đoàn Lao động Việt Nam"


def test_central_body_name_wrapped_and_issuer_completed_by_authority_line() -> None:
    assert compose(["ỦY BAN THƯỜNG VỤ", "QUỐC HỘI"]) == "Ủy ban Thường vụ Quốc hội"
    assert compose(["VĂN PHÒNG", "CHÍNH PHỦ"]) == "Văn phòng Chính phủ"
    text = (
        f"ỦY BAN NHÂN DÂN | {MOTTO} |\nSố: 902/QĐ-UBND | Yên Bái, ngày 03 tháng 5 năm 2018 |\n"
        "QUYẾT ĐỊNH\nVỀ VIỆC PHÊ DUYỆT DỰ TOÁN KINH PHÍ NĂM 2018\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH YÊN BÁI\nCăn cứ Luật Ngân sách nhà nước ngày 25/6/2015;\n" + BODY
    )
    m = meta(text)
    assert m.co_quan_ban_hanh == "Ủy ban nhân dân tỉnh Yên Bái"
    assert m.trich_yeu == "Về việc phê duyệt dự toán kinh phí năm 2018"


def test_search_form_fields_on_one_line() -> None:
    """A portal's search form prints several label/value pairs on a line."""
    text = (
        "Tìm kiếm văn bản : Nơi ban hành :\nSố hiệu : Từ khóa :\n"
        "Loại văn bản : Quyết định Số hiệu : 40/2016/QĐ-UBND\n"
        "Người ký : Trần Văn Bình Nơi ban hành : UBND TỈNH CÀ MAU\n"
        "Ngày phát hành : 02/11/2016 Ngày có hiệu lực : 12/11/2016\n"
        "ỦY BAN NHÂN DÂN\nTỈNH CÀ MAU\n" + MOTTO + "\n" + FREEDOM + "\n"
        "Số: 40/2016/QĐ-UBND\nCà Mau, ngày 02 tháng 11 năm 2016\nQUYẾT ĐỊNH\n"
        "Ban hành Quy chế phối hợp quản lý cụm công nghiệp\n"
        "ỦY BAN NHÂN DÂN TỈNH CÀ MAU\nCăn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;\n" + BODY
    )
    m = meta(text)
    assert m.nguoi_ky == "Trần Văn Bình"
    assert (m.so_ky_hieu, m.co_quan_ban_hanh) == ("40/2016/QĐ-UBND", "Ủy ban nhân dân tỉnh Cà Mau")


def test_space_aligned_header_with_the_unit_below_the_date() -> None:
    """Two columns laid out with spaces: the right column's date line comes before the left column's
    unit ("VĂN PHÒNG"), which still belongs to the issuer."""
    text = (
        "BAN CHẤP HÀNH TRUNG ƯƠNG                                        " + PARTY + "\n"
        "                     *\n"
        "                                                 Hà Nội, ngày 11 tháng 9 năm 2015\n"
        "             VĂN PHÒNG\n\n"
        "          Số: 33-HD/VPTW\n\n\n"
        "HƯỚNG DẪN\nlưu trữ hồ sơ điện tử của cơ quan đảng\n\n"
        "- Căn cứ Quy định số 270-QĐ/TW ngày 06/12/2014 của Ban Bí thư;\n" + BODY
    )
    m = meta(text)
    assert m.co_quan_ban_hanh == "Văn phòng Trung ương Đảng"  # its name
    assert (m.so_ky_hieu, m.ngay_ban_hanh) == ("33-HD/VPTW", "2015-09-11")
    assert m.references == ("270-QĐ/TW",)


def test_two_complete_bodies_and_a_quoted_subject_over_cells() -> None:
    """Parent and unit each name their own level and place: the unit is the issuer; a quoted "V/v"
    runs to its closing quote across capitals; "Hậu Lộc," / "ngày …" is one date line."""
    assert compose(["LIÊN ĐOÀN LAO ĐỘNG TỈNH NAM ĐỊNH", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN HẢI HẬU"]) == (
        "Liên đoàn Lao động huyện Hải Hậu"
    )
    assert compose(["TỈNH ĐOÀN THANH HÓA", "BCH ĐOÀN HUYỆN HẬU LỘC"]) == "Ban Chấp hành Đoàn huyện Hậu Lộc"
    text = (
        "TỈNH\nĐOÀN THANH HÓA\nBCH ĐOÀN HUYỆN HẬU LỘC\n***\nSố:\n21-CV/ĐTN\n“V/v Ra quân\n"
        "hưởng ứng\nTháng Thanh niên\nnăm 2020”\n|\nĐOÀN\nTNCS HỒ CHÍ MINH\nHậu Lộc,\n"
        "ngày 02 tháng 3 năm 2020\n|\nKính gửi: Ban Chấp hành Đoàn các xã, thị trấn.\n"
        "Thực hiện Kế hoạch số 12-KH/TĐTN ngày 20/02/2020 của Ban Thường vụ Tỉnh đoàn, đề nghị:\n" + BODY
    )
    m = meta(text)
    assert (m.so_ky_hieu, m.ngay_ban_hanh, m.dia_danh) == ("21-CV/ĐTN", "2020-03-02", "Hậu Lộc")
    assert m.trich_yeu == "Ra quân hưởng ứng Tháng Thanh niên năm 2020"
    assert m.co_quan_ban_hanh == "Ban Chấp hành Đoàn huyện Hậu Lộc"
    assert m.tinh == "Thanh Hóa"


def test_recase_mass_organizations() -> None:
    assert recase("LIÊN ĐOÀN LAO ĐỘNG TỈNH NAM ĐỊNH") == "Liên đoàn Lao động tỉnh Nam Định"
    assert recase("HỘI LIÊN HIỆP PHỤ NỮ HUYỆN CỦ CHI") == "Hội Liên hiệp Phụ nữ huyện Củ Chi"
    assert recase("BCH HỘI NÔNG DÂN XÃ AN PHÚ") == "Ban Chấp hành Hội Nông dân xã An Phú"


def test_letter_number_before_the_motto_and_subject_under_it() -> None:
    """A district unit's letter: site lines above, the number before the motto, a "Về …" subject under
    the number, "Quận 5," as the place, a deputy signing as "P. GIÁM ĐỐC"."""
    text = (
        "Thông báo gửi các phường – Về báo cáo công tác thư viện\n\nVăn bản - Thông báo - Thư mời\n\n"
        "ỦY BAN NHÂN DÂN QUẬN 5\n\nTHƯ VIỆN QUẬN\n\n__________\n\nSố:  14 /TV\n\n"
        "Về báo cáo công tác thư viện,\n\nsáu tháng đầu năm.\n\n" + MOTTO + "\n\n" + FREEDOM + "\n\n"
        "Quận 5, ngày  12   tháng 6  năm 2015\n\n"
        "Kính gửi:   – Ủy ban nhân dân các phường;\n\n                  – Thư viện các trường.\n\n"
        "Thực hiện Công văn số 512/UBND ngày 02 tháng 6 năm 2015 của Ủy ban nhân dân Quận 5, đề nghị:\n"
        + BODY
        + "\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n\nP. GIÁM ĐỐC\n\n(đã ký)\n\nTrần Thị Mai Hương\n"
    )
    m = meta(text)
    assert (m.so_ky_hieu, m.ngay_ban_hanh, m.dia_danh) == ("14/TV", "2015-06-12", "Quận 5")
    assert (m.loai_van_ban, m.trich_yeu) == ("Công văn", "Về báo cáo công tác thư viện, sáu tháng đầu năm")
    assert m.co_quan_ban_hanh == "Thư viện quận 5"
    assert m.references == ("512/UBND",)
    assert (m.chuc_vu_nguoi_ky, m.nguoi_ky) == ("PHÓ GIÁM ĐỐC", "Trần Thị Mai Hương")


def test_school_under_its_education_office() -> None:
    """ "PHÒNG GD&ĐT X" over "TRƯỜNG THCS Y" (each beside the motto): the school issues; its name
    cased; a sentence-case "V/v" line going on in capitals; "&" inside a number's code."""
    text = (
        "PHÒNG GD&ĐT NAM TRỰC            " + MOTTO + "\n\n"
        "TRƯỜNG TH SỐ 1 NAM HỒNG            " + FREEDOM + "\n\n"
        "   Số:   45/TH&MN-CM                 Nam Hồng, ngày 10 tháng 10 năm 2022\n\n"
        "    V/v Hướng dẫn tổ chức hoạt động\n\nTrải nghiệm cho học sinh năm học 2022-2023\n\n"
        "Kính gửi: Các tổ chuyên môn\n\n"
        "Căn cứ Công văn số 815/PGD&ĐT- TH ngày 20/9/2022 của Phòng Giáo dục và Đào tạo, trường đề nghị:\n"
        + BODY
    )
    m = meta(text)
    assert m.co_quan_ban_hanh == "Trường TH số 1 Nam Hồng"
    assert m.so_ky_hieu == "45/TH&MN-CM"
    assert m.trich_yeu == "Hướng dẫn tổ chức hoạt động Trải nghiệm cho học sinh năm học 2022-2023"
    assert [r.replace(" ", "") for r in m.references] == ["815/PGD&ĐT-TH"]
    assert recase("TRƯỜNG: THCS HÒA BÌNH") == "Trường THCS Hòa Bình"
    assert recase("TRƯỜNG MẦM NON HOA SEN") == "Trường Mầm non Hoa Sen"


def test_bare_people_committee_completed_from_its_level_and_the_province() -> None:
    """A copy kept "ỦY BAN NHÂN DÂN" without its place, no type line; the authority line gives the
    level ("… TỈNH"), the text the province; a page title naming the number is not the header."""
    text = (
        "Quyết định số 77/QĐ-UBND tỉnh Sóc Trăng\n\nTải bản đầy đủ (12 trang)\n\n"
        "ỦY BAN NHÂN DÂN |\n" + MOTTO + " |\nSố: 77/QĐ-UBND |\nSóc Trăng, ngày 05 tháng 3 năm 2020 |\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Kế hoạch số 12/KH-UBND\n"
        "ngày 10/01/2020 của tỉnh Sóc Trăng về cải cách hành chính giai đoạn 2021 -\n"
        "2025. Trên cơ sở Tờ trình số 31/TTr-SNV ngày 01/3/2020 của Sở Nội vụ,\n" + BODY
    )
    m = meta(text)
    assert m.co_quan_ban_hanh == "Ủy ban nhân dân tỉnh Sóc Trăng"
    assert (m.so_ky_hieu, m.ngay_ban_hanh) == ("77/QĐ-UBND", "2020-03-05")
    assert m.references == ("12/KH-UBND", "31/TTR-SNV")


def test_footnote_mark_glued_to_a_pdf_number() -> None:
    """A PDF text layer glues the footnote mark to the number ("SỐ 12/2022/AL1", footnote "1 Án lệ …");
    codes that end in digits of their own keep them."""
    from retrieval.header import without_note_mark  # re-exported by the layout module

    body = "Về hiệu lực của hợp đồng\nNội dung vụ án.\n1 Án lệ này do Tòa án nhân dân tối cao đề xuất.\n"
    assert without_note_mark("12/2022/AL1", body) == "12/2022/AL"
    assert without_note_mark("12/2022/AL1", body.replace("1 Án", "Án")) == "12/2022/AL1"  # no footnote
    assert without_note_mark("72/2025/QH15", body) == "72/2025/QH15"
    assert without_note_mark(None, body) is None


def test_a_commune_plan_takes_the_province_its_preamble_names_by_its_party_committee() -> None:
    """ "… của Ban Thường vụ Tỉnh ủy Tuyên Quang": "Tỉnh ủy X" names a province as "tỉnh X" does (the
    alternation used to stop at "Tỉnh" and read "ủy Tuyên Quang")."""
    from retrieval.document.province import province_of

    preamble = "Thực hiện Kế hoạch số 427-KH/TU ngày 10/9/2020 của Ban Thường vụ Tỉnh ủy Tuyên Quang, …"
    assert province_of("Ủy ban MTTQ Việt Nam xã Hòa An", preamble, preamble) == "Tuyên Quang"
    assert province_of("Ủy ban MTTQ Việt Nam xã Hòa An", "Thực hiện kế hoạch của tỉnh.", "") is None
