"""Header layouts of a fourth held-out check: documents laid out as Word files (header and signature
in two-column tables), as web copies whose two columns come interleaved line by line, and web pages
that are no documents at all. One synthetic text of our own wording per family, each failing on the
parser before its fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

from retrieval.ingest import load_document
from retrieval.normalize import find_document_numbers
from retrieval.structure import parse_document
from retrieval.types import DocMetadata, RawDocument

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
FREEDOM = "Độc lập - Tự do - Hạnh phúc"


def meta(text: str, source: str = "trang_web.txt") -> DocMetadata:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_document(RawDocument(source, text, sha, source.rsplit(".", 1)[-1]), "doc").metadata


def docx_meta(tmp_path: Path, rows: list[tuple[list[str], list[str]]], title: list[str], body: list[str],
              closing: tuple[list[str], list[str]]) -> DocMetadata:  # fmt: skip
    """A Word file as offices write them: the header a two-column table (each cell several
    paragraphs), the subject centred, the body, "Nơi nhận" and the signature side by side in a table;
    read by the project's own loader."""
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=len(rows), cols=2)
    for r, cols in enumerate(rows):
        for c, lines in enumerate(cols):
            cell = table.cell(r, c)
            for i, line in enumerate(lines):
                (cell.paragraphs[0] if i == 0 else cell.add_paragraph()).add_run(line)
    for line in title + body:
        doc.add_paragraph(line)
    table = doc.add_table(rows=1, cols=2)
    for c, lines in enumerate(closing):
        for i, line in enumerate(lines):
            (table.cell(0, c).paragraphs[0] if i == 0 else table.cell(0, c).add_paragraph()).add_run(line)
    path = tmp_path / "van_ban.docx"
    doc.save(str(path))
    raw = load_document(path, tmp_path)
    return parse_document(raw, "doc").metadata


def test_youth_union_banner_names_the_issuer(tmp_path: Path) -> None:
    """The Youth Union prints "ĐOÀN TNCS HỒ CHÍ MINH" where the state prints its motto: an issuer that
    does not name the organization is completed by it; the enacting line in capitals under a subject in
    sentence case is not part of the subject."""
    m = docx_meta(
        tmp_path,
        [
            (["BAN CHẤP HÀNH TRUNG ƯƠNG", "***"], ["ĐOÀN TNCS HỒ CHÍ MINH"]),
            (["Số: 512 - QĐ/TWĐTN-VP"], ["Hà Nội, ngày 14 tháng 5 năm 2019"]),
        ],  # fmt: skip
        ["QUYẾT ĐỊNH", "Về việc công nhận đơn vị dẫn đầu phong trào tình nguyện"],
        [
            "BAN BÍ THƯ TRUNG ƯƠNG ĐOÀN TNCS HỒ CHÍ MINH",
            "- Căn cứ Điều lệ Đoàn TNCS Hồ Chí Minh;",
            "QUYẾT ĐỊNH:",
            "Điều 1. Công nhận các đơn vị có tên trong danh sách kèm theo.",
        ],  # fmt: skip
        (
            ["Nơi nhận:", "- Như Điều 1;", "- Lưu VP."],
            ["TM. BAN BÍ THƯ TRUNG ƯƠNG ĐOÀN", "BÍ THƯ", "Lê Văn Tâm"],
        ),
    )
    assert m.co_quan_ban_hanh == "Ban Chấp hành Trung ương Đoàn TNCS Hồ Chí Minh"
    assert m.trich_yeu == "Về việc công nhận đơn vị dẫn đầu phong trào tình nguyện"
    assert (m.so_ky_hieu, m.ngay_ban_hanh, m.nguoi_ky) == ("512-QĐ/TWĐTN-VP", "2019-05-14", "Lê Văn Tâm")


def test_pioneers_banner_above_the_council_in_one_cell(tmp_path: Path) -> None:
    """ "ĐỘI TNTP HỒ CHÍ MINH" above "HỘI ĐỒNG TRUNG ƯƠNG" in one cell (Word flattens it into one line);
    the signer's other post written after his name is not part of it."""
    m = docx_meta(
        tmp_path,
        [
            (["ĐỘI TNTP HỒ CHÍ MINH", "HỘI ĐỒNG TRUNG ƯƠNG", "***"], []),
            (["Số: 31 -QĐ/HĐĐTW"], ["Hà Nội, ngày 02 tháng 6 năm 2016"]),
        ],  # fmt: skip
        ["QUYẾT ĐỊNH", "Về việc tặng Huy hiệu Rèn luyện đội viên"],
        ["HỘI ĐỒNG ĐỘI TRUNG ƯƠNG", "- Căn cứ Điều lệ Đội;", "Điều 1. Tặng Huy hiệu cho các đội viên."],
        (
            ["Nơi nhận:", "- Như Điều 1;"],
            [
                "TM. HỘI ĐỒNG ĐỘI TRUNG ƯƠNG",
                "CHỦ TỊCH",
                "Trần Quang Vinh",
                "Bí thư Ban Chấp hành Trung ương Đoàn",
            ],
        ),  # fmt: skip
    )
    assert m.co_quan_ban_hanh == "Hội đồng Trung ương Đội TNTP Hồ Chí Minh"
    assert (m.nguoi_ky, m.chuc_vu_nguoi_ky) == ("Trần Quang Vinh", "CHỦ TỊCH")


def test_letter_subject_in_the_issuer_cell_without_number(tmp_path: Path) -> None:
    """A letter without a number line whose "Về việc …" closes the issuer's cell (one flattened line)."""
    m = docx_meta(
        tmp_path,
        [
            (
                [
                    "ỦY BAN MTTQ VIỆT NAM",
                    "TỈNH HẬU GIANG",
                    "BAN DÂN CHỦ - PHÁP LUẬT",
                    "Về việc góp ý dự thảo quy chế",
                ],
                [MOTTO, FREEDOM],
            ),
            ([], ["Vị Thanh, ngày 03 tháng 3 năm 2022"]),
        ],  # fmt: skip
        [],
        [
            "Kính gửi: Ban Thường trực Ủy ban MTTQ Việt Nam các huyện",
            "Ban đề nghị các đơn vị góp ý trước ngày 20/3.",
        ],
        (["Nơi nhận:", "- Như trên;"], ["TM. BAN DÂN CHỦ - PHÁP LUẬT", "TRƯỞNG BAN", "Võ Thị Hạnh"]),
    )
    assert m.loai_van_ban == "Công văn"
    assert m.trich_yeu == "Về việc góp ý dự thảo quy chế"
    assert m.tinh == "Hậu Giang"
    assert m.co_quan_ban_hanh and m.co_quan_ban_hanh.startswith("Ban Dân chủ")


def test_hyphenated_province_department_and_a_unit_head_title(tmp_path: Path) -> None:
    """ "UBND TỈNH BÀ RỊA - VŨNG TÀU" is one province; a "VỤ TRƯỞNG VỤ …" signs as such."""
    m = docx_meta(
        tmp_path,
        [
            (["UBND TỈNH BÀ RỊA - VŨNG TÀU", "SỞ Y TẾ"], [MOTTO, FREEDOM]),
            (["Số: 88/SYT-NVY", "V/v tiêm chủng mở rộng"], ["Bà Rịa, ngày 9 tháng 9 năm 2014"]),
        ],  # fmt: skip
        [],
        ["Kính gửi: Trung tâm Y tế các huyện", "Sở Y tế đề nghị các đơn vị báo cáo trước ngày 30/9/2014."],
        (["Nơi nhận:", "- Như trên;"], ["TL. GIÁM ĐỐC", "VỤ TRƯỞNG VỤ KẾ HOẠCH", "Phan Văn Lộc"]),
    )
    assert m.tinh == "Bà Rịa - Vũng Tàu"
    assert m.co_quan_ban_hanh == "Sở Y tế tỉnh Bà Rịa - Vũng Tàu"
    assert m.chuc_vu_nguoi_ky == "VỤ TRƯỞNG VỤ KẾ HOẠCH"


def test_interleaved_closing_of_a_web_copy() -> None:
    """A copied page gives the recipients and the signature column side by side, line by line; a
    letter's opening "… nhận được Công văn số …" is its reference; a bare "Ngày …" under the subject is
    not the date line."""
    text = (
        "ỦY BAN NHÂN DÂN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "HUYỆN PHONG ĐIỀN\tĐộc lập - Tự do - Hạnh phúc\n"
        "Số: 45/UBND-VP\tPhong Điền, ngày 11 tháng 4 năm 2016\n"
        "V/v cho nghỉ học\n"
        "Ngày 12/4/2016\n\n"
        "Kính gửi: Phòng Giáo dục và Đào tạo huyện\n\n"
        "Ủy ban nhân dân huyện nhận được Tờ trình số 31/TTr-PGDĐT ngày 08/4/2016 của Phòng Giáo dục và "
        "Đào tạo, Chủ tịch UBND huyện có ý kiến như sau:\n\n"
        "Đồng ý cho học sinh nghỉ học một ngày.\n\n"
        "Nơi nhận:\tKT. CHỦ TỊCH\n"
        "- Như trên;\tPHÓ CHỦ TỊCH THƯỜNG TRỰC\n"
        "- Lưu: VT. Huỳnh Văn Sáu\n"
    )
    m = meta(text)
    assert (m.ngay_ban_hanh, m.dia_danh) == ("2016-04-11", "Phong Điền")
    assert (m.nguoi_ky, m.chuc_vu_nguoi_ky) == ("Huỳnh Văn Sáu", "PHÓ CHỦ TỊCH THƯỜNG TRỰC")
    assert m.references == ("31/TTR-PGDĐT",)  # numbers are kept normalized, upper case


def test_pages_that_are_no_documents() -> None:
    """A news page with its timestamp ("Thứ Ba, ngày …, 08:15"), a site's banner in capitals over a
    news headline, a Q&A booklet whose title cites the decree it explains: nothing is a header."""
    news = (
        "Thứ Ba, ngày 14 tháng 03 năm 2023, 08:15:02\n\n"
        "# Tỉnh trao quyết định bổ nhiệm Giám đốc Sở Nội vụ\n\n"
        "Sáng 13/3, lãnh đạo tỉnh đã trao quyết định bổ nhiệm cho ông Nguyễn Văn Minh.\n"
    )
    banner = (
        "TỔNG CÔNG TY ĐIỆN LỰC MIỀN NAM\n\n"
        "# Khai mạc hội nghị tổng kết năm\n\n"
        "Hội nghị đã đánh giá kết quả thực hiện nhiệm vụ năm và đề ra phương hướng năm tới.\n"
    )
    booklet = (
        "# TÀI LIỆU HỎI ĐÁP PHÁP LUẬT VỀ XỬ PHẠT VI PHẠM HÀNH CHÍNH TRONG LĨNH VỰC ĐẤT ĐAI THEO QUY ĐỊNH "
        "TẠI NGHỊ ĐỊNH SỐ 91/2019/NĐ-CP\n\n"
        "SỞ TƯ PHÁP TỈNH BÌNH DƯƠNG\n\n"
        "Câu 1. Ông A hỏi mức phạt khi lấn chiếm đất là bao nhiêu?\n\nTrả lời: theo Điều 14 …\n"
    )
    for text in (news, banner, booklet):
        m = meta(text)
        assert (m.so_ky_hieu, m.ngay_ban_hanh, m.co_quan_ban_hanh, m.loai_van_ban) == (None, None, None, None)
        assert m.tinh is None and m.trich_yeu is None


def test_ampersand_code_with_a_space_and_prose_after() -> None:
    assert find_document_numbers("Căn cứ Thông tư số 12/2020/TT-BGD &ĐT ngày") == ["12/2020/TT-BGD&ĐT"]
    assert find_document_numbers("Quyết định 7/QĐ-UBND & Công văn 9/UBND") == ["7/QĐ-UBND", "9/UBND"]


def test_city_place_name_keeps_its_level_word() -> None:
    """ "Thành phố Hồ Chí Minh, ngày …" cut out of a flattened row keeps "Thành phố": it is the name."""
    text = (
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH SỞ NỘI VỤ " + MOTTO + " " + FREEDOM + "\n"
        "Số: 77/SNV-VP Thành phố Hồ Chí Minh, ngày 02 tháng 01 năm 2020\n"
        "V/v nghỉ Tết Nguyên đán\n\n"
        "Kính gửi: Các cơ quan, đơn vị\n\nSở Nội vụ thông báo lịch nghỉ Tết như sau.\n"
    )
    m = meta(text)
    assert (m.dia_danh, m.ngay_ban_hanh, m.so_ky_hieu) == ("Thành phố Hồ Chí Minh", "2020-01-02", "77/SNV-VP")


def test_party_and_mass_organization_parents() -> None:
    """Who issues under a parent line: a Party committee under its Party organization ("ĐẢNG BỘ …"),
    a body of the Central Committee by its own name, a national union's branch named in full, an
    association's provincial chapter ("TỈNH HỘI"), a school under its education office — whether the
    cell kept its lines or was flattened into one."""
    from retrieval.document.issuer import compose

    assert (
        compose(["ĐẢNG BỘ TỈNH BẮC GIANG", "ĐẢNG UỶ TRƯỜNG CAO ĐẲNG NGHỀ"]) == "Đảng ủy Trường Cao đẳng Nghề"
    )
    assert compose(["ĐẢNG BỘ KHỐI CƠ QUAN TỈNH ĐẢNG ỦY SỞ TÀI CHÍNH"]) == "Đảng ủy Sở Tài chính"
    assert compose(["BAN CHẤP HÀNH TRUNG ƯƠNG", "BAN TỔ CHỨC"]) == "Ban Tổ chức Trung ương"
    assert compose(["BAN CHẤP HÀNH TRUNG ƯƠNG VĂN PHÒNG"]) == "Văn phòng Trung ương Đảng"
    assert compose(["HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM BAN CHẤP HÀNH TRUNG ƯƠNG"]) == (
        "Ban Chấp hành Trung ương Hội Liên hiệp Phụ nữ Việt Nam"
    )
    assert (
        compose(["TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM", "CÔNG ĐOÀN Y TẾ VIỆT NAM"]) == "Công đoàn Y tế Việt Nam"
    )
    assert compose(["HỘI CHỮ THẬP ĐỎ VIỆT NAM", "TỈNH HỘI CÀ MAU"]) == "Hội Chữ thập đỏ tỉnh Cà Mau"
    assert compose(["HỘI NGƯỜI CAO TUỔI VIỆT NAM HUYỆN HỘI KIM SƠN"]) == "Hội Người cao tuổi huyện Kim Sơn"
    assert compose(["LIÊN ĐOÀN LAO ĐỘNG TỈNH BẮC NINH LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA BÌNH"]) == (
        "Liên đoàn Lao động huyện Gia Bình"
    )
    assert compose(["PHÒNG GIÁO DỤC VÀ ĐÀO TẠO TRƯỜNG THCS AN BÌNH"]) == "Trường THCS An Bình"
    assert compose(["UBND TX. LONG KHÁNH PHÒNG NỘI VỤ"]) == "Phòng Nội vụ thị xã Long Khánh"


def test_province_of_a_commune_or_district_at_the_time() -> None:
    """A commune or district names its province of the time: before the 2025 reform the 63 provinces'
    units (a commune since merged away, a district since abolished), the 34 provinces' after it; a
    name several provinces share is settled by the province the text names."""
    from retrieval.document.province import province_of

    assert province_of("Ủy ban nhân dân xã Lũng Cú", "", "", "2019-04-02") == "Hà Giang"
    assert province_of("Ủy ban nhân dân huyện Đồng Hỷ", "", "", "2016-01-05") == "Thái Nguyên"
    assert province_of("Phòng Nội vụ thị xã Đồng Xoài", "", "", "2012-03-01") == "Bình Phước"
    assert province_of("Ủy ban nhân dân quận Tân Phú", "", "", "2006-10-10") == "Hồ Chí Minh"
    assert province_of("Ủy ban nhân dân huyện Châu Thành", "", "", "2018-02-12") is None  # ten of them
    text = "Thực hiện chỉ đạo của UBND tỉnh Trà Vinh, huyện Châu Thành tổ chức …"
    assert province_of("Ủy ban nhân dân huyện Châu Thành", "", text, "2018-02-12") == "Trà Vinh"


def test_letter_subject_without_vv_and_an_elected_body_with_its_session() -> None:
    """A Party letter's subject printed under its number without "V/v"; a council resolution whose
    header prints "HỘI ĐỒNG NHÂN DÂN" alone and whose enacting line names the district and session."""
    letter = (
        "ĐẢNG BỘ TỈNH BẮC GIANG\t" + "ĐẢNG CỘNG SẢN VIỆT NAM\n"
        "ĐẢNG ỦY TRƯỜNG CAO ĐẲNG NGHỀ\n*\n"
        "Số 14-CV/ĐU\n"
        "Lùi thời gian tổ chức hội nghị sơ kết quý III\n"
        "Bắc Giang, ngày 28 tháng 9 năm 2021\n\n"
        "Kính gửi: Các chi bộ trực thuộc\n\nDo ảnh hưởng của dịch bệnh, Đảng ủy thông báo lùi hội nghị.\n"
    )
    m = meta(letter)
    assert m.trich_yeu == "Lùi thời gian tổ chức hội nghị sơ kết quý III"
    assert (m.ngay_ban_hanh, m.loai_van_ban, m.tinh) == ("2021-09-28", "Công văn", "Bắc Giang")
    assert m.co_quan_ban_hanh == "Đảng ủy Trường Cao đẳng Nghề"
    resolution = (
        "HỘI ĐỒNG NHÂN DÂN\t" + MOTTO + "\n\t" + FREEDOM + "\n"
        "Số: 12/2008/NQ-HĐND\tCẩm Lệ, ngày 20 tháng 7 năm 2008\n\n"
        "NGHỊ QUYẾT\nVỀ CHƯƠNG TRÌNH GIÁM SÁT NĂM 2009\n"
        "HỘI ĐỒNG NHÂN DÂN QUẬN CẨM LỆ KHÓA II, KỲ HỌP LẦN THỨ 9\n\n"
        "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân ngày 26 tháng 11 năm 2003;\n\n"
        "QUYẾT NGHỊ:\n\nĐiều 1. Thông qua chương trình giám sát năm 2009.\n"
    )
    m = meta(resolution)
    assert m.co_quan_ban_hanh == "Hội đồng nhân dân quận Cẩm Lệ"
    assert m.trich_yeu == "Về chương trình giám sát năm 2009"
    assert m.tinh == "Đà Nẵng"


def test_signer_in_capitals_a_bare_signed_note_and_a_numbered_district(tmp_path: Path) -> None:
    """A school's principal signs with the name in capitals; "Đã ký" without brackets is a note, not
    text before the name; "Quận 8, ngày …" keeps its number; "Sau khi xem xét Tờ trình số …" is a
    resolution's preamble."""
    m = docx_meta(
        tmp_path,
        [
            (["ỦY BAN NHÂN DÂN QUẬN 8", "TRƯỜNG THCS BÌNH ĐÔNG"], [MOTTO, FREEDOM]),
            (["Số: 41/TB-THCS"], ["Quận 8, ngày 05 tháng 5 năm 2016"]),
        ],  # fmt: skip
        ["THÔNG BÁO", "V/v lịch kiểm tra học kỳ II"],
        [
            "Sau khi xem xét Tờ trình số 12/TTr-TCM ngày 02/5/2016 của tổ chuyên môn, nhà trường thông báo:",
            "1. Lịch kiểm tra từ ngày 10/5/2016.",
        ],  # fmt: skip
        (["Nơi nhận:", "- Như trên;"], ["HIỆU TRƯỞNG", "NGUYỄN THỊ THU HÀ"]),
    )
    assert (m.nguoi_ky, m.chuc_vu_nguoi_ky) == ("Nguyễn Thị Thu Hà", "HIỆU TRƯỞNG")
    assert (m.dia_danh, m.ngay_ban_hanh) == ("Quận 8", "2016-05-05")
    assert m.references == ("12/TTR-TCM",)
    flat = meta(
        "ỦY BAN NHÂN DÂN | " + MOTTO + "\nXÃ TẢ VAN | " + FREEDOM + "\n"
        "Số: 3/TB-UBND | Tả Van, ngày 02 tháng 3 năm 2020\n\nTHÔNG BÁO\nV/v lịch tiếp công dân\n\n"
        "Ủy ban nhân dân xã thông báo lịch tiếp công dân như sau.\n\n"
        "Nơi nhận: - Như trên; - Lưu VT. | TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Đã ký Giàng A Páo\n"
    )
    assert (flat.nguoi_ky, flat.chuc_vu_nguoi_ky) == ("Giàng A Páo", "CHỦ TỊCH")


def test_grassroots_units_and_plans_titled_in_one_line(tmp_path: Path) -> None:
    """A school's Party cell or grassroots union names itself whole under its parent (a school without a
    proper name takes the commune's); "KẾ HOẠCH HOẠT ĐỘNG … NĂM 2020" carries its subject."""
    from retrieval.document.issuer import compose

    assert compose(["ĐẢNG BỘ XÃ AN LẠC", "CHI BỘ TRƯỜNG MẦM NON"]) == "Chi bộ Trường Mầm non An Lạc"
    assert (
        compose(["CÔNG ĐOÀN NGÀNH GIÁO DỤC CĐCS TRƯỜNG THCS LÊ LỢI"]) == "Công đoàn cơ sở Trường THCS Lê Lợi"
    )
    assert compose(["ĐẢNG ỦY XÃ TÂN HÒA CHI BỘ TIỂU HỌC"]) == "Chi bộ tiểu học Tân Hòa"
    m = docx_meta(
        tmp_path,
        [
            (["ĐẢNG ỦY XÃ TÂN HÒA", "CHI BỘ TIỂU HỌC", "*", "Số 05-KH/CB"], ["ĐẢNG CỘNG SẢN VIỆT NAM"]),
            ([], ["Tân Hòa, ngày 12 tháng 01 năm 2022"]),
        ],  # fmt: skip
        ["KẾ HOẠCH HOẠT ĐỘNG CHI BỘ NĂM 2022"],
        ["Căn cứ Nghị quyết của Đảng ủy xã năm 2022;", "I. MỤC ĐÍCH, YÊU CẦU"],
        (["Nơi nhận:", "- Đảng ủy xã;"], ["T/M CHI BỘ", "BÍ THƯ", "Lò Văn Khánh"]),
    )
    assert (m.loai_van_ban, m.trich_yeu) == ("Kế hoạch", "Hoạt động chi bộ năm 2022")
    assert m.co_quan_ban_hanh == "Chi bộ tiểu học Tân Hòa"
    assert (m.nguoi_ky, m.chuc_vu_nguoi_ky) == ("Lò Văn Khánh", "BÍ THƯ")


def test_wrapped_number_a_part_heading_and_a_city_abbreviation() -> None:
    """A number whose code is cut after its dash goes on on the next line; "PHẦN THỨ NHẤT" under the
    subject starts the body; "TP. Hồ Chí Minh, ngày …" keeps "TP."; a long sentence-case line under a
    subject in capitals is the body's first sentence, not more subject."""
    report = (
        "UBND HUYỆN AN PHÚ\nBAN CHỈ ĐẠO PHỔ CẬP GIÁO DỤC\nSố: 71 / BC-BCĐPCGD-\nXMC\n\n"
        "An Phú, ngày 02 tháng 11 năm 2019\n\nBÁO CÁO\nKẾT QUẢ PHỔ CẬP GIÁO DỤC NĂM 2019\n"
        "PHẦN THỨ NHẤT\nQUÁ TRÌNH THỰC HIỆN\n\nNăm 2019, huyện tiếp tục duy trì kết quả phổ cập.\n"
    )
    m = meta(report)
    assert m.so_ky_hieu == "71/BC-BCĐPCGD-XMC"
    assert m.trich_yeu == "Kết quả phổ cập giáo dục năm 2019"
    decision = (
        "ỦY BAN NHÂN DÂN | " + MOTTO + "\nTHÀNH PHỐ HỒ CHÍ MINH | " + FREEDOM + "\n"
        "Số: 88/2004/CT-UB | TP. Hồ Chí Minh, ngày 05 tháng 4 năm 2004\n\n"
        "CHỈ THỊ\nVỀ TĂNG CƯỜNG CÔNG TÁC PHÒNG CHÁY CHỮA CHÁY TRONG MÙA KHÔ\n"
        "Thời gian qua, trên địa bàn thành phố đã xảy ra nhiều vụ cháy gây thiệt hại\n"
        "lớn về người và tài sản, nhất là tại các khu dân cư đông đúc.\n"
    )
    m = meta(decision)
    assert m.dia_danh == "TP. Hồ Chí Minh"
    assert m.trich_yeu == "Về tăng cường công tác phòng cháy chữa cháy trong mùa khô"
