"""Structure parsing of the five sample plans (corpus/*.txt): metadata, blocks, repairs, footnotes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.ingest import load_document
from retrieval.normalize import normalize_query
from retrieval.structure import parse_document
from retrieval.types import Block, ParsedDocument, RawDocument

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PREFIXES = ("000", "001", "002", "003", "004")
_MARKERS = re.compile(r"\s*⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾|(?<=\S)[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


@pytest.fixture(scope="module")
def docs() -> dict[str, ParsedDocument]:
    out = {}
    for prefix in PREFIXES:
        (path,) = CORPUS.glob(f"{prefix}_*.txt")
        out[prefix] = parse_document(load_document(path, CORPUS), path.stem)
    return out


def _block(doc: ParsedDocument, needle: str) -> Block:
    found = [b for b in doc.blocks if needle in b.text]
    assert len(found) == 1, f"{needle!r} in {len(found)} blocks"
    return found[0]


def _body(doc: ParsedDocument) -> str:
    return "\n".join(b.text for b in doc.blocks)


# --------------------------------------------------------------------------- header metadata

EXPECTED = {
    "000": dict(
        so_ky_hieu="37/KH-MTTQ-BTT",
        loai_van_ban="Kế hoạch",
        co_quan_ban_hanh="Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa",
        dia_danh="Khánh Hòa",
        ngay_ban_hanh="2020-02-04",
        trich_yeu="Học tập chuyên đề năm 2020 “Tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và "
        "hệ thống chính trị trong sạch, vững mạnh theo tư tưởng, đạo đức, phong cách Hồ Chí Minh”",
        nguoi_ky="Huỳnh Mộng Giang",
        chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
    ),
    "001": dict(
        so_ky_hieu="427-KH/TU",
        loai_van_ban="Kế hoạch",
        co_quan_ban_hanh="Ban Thường vụ Tỉnh ủy Tuyên Quang",
        dia_danh="Tuyên Quang",
        ngay_ban_hanh="2020-09-10",
        trich_yeu="Thực hiện Thông báo Kết luận số 160-TB/TW ngày 15/01/2020 của Bộ Chính trị về việc tiếp "
        "tục thực hiện Kết luận số 62-KL/TW ngày 08/12/2009 của Bộ Chính trị về đổi mới nội dung, phương "
        "thức hoạt động của Mặt trận Tổ quốc Việt Nam và các đoàn thể chính trị - xã hội",
        nguoi_ky="Nguyễn Hồng Thắng",
        chuc_vu_nguoi_ky="PHÓ BÍ THƯ THƯỜNG TRỰC",
    ),
    "002": dict(
        so_ky_hieu=None,
        loai_van_ban=None,
        co_quan_ban_hanh=None,
        dia_danh=None,
        ngay_ban_hanh=None,
        trich_yeu=None,
        nguoi_ky="Phạm Thanh Hùng",
        chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
    ),
    "003": dict(
        so_ky_hieu=None,
        loai_van_ban="Kế hoạch",
        co_quan_ban_hanh="Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Khánh Hòa",
        dia_danh="Khánh Hòa",
        ngay_ban_hanh="2023-08-04",
        trich_yeu="Thông tin, tuyên truyền về công tác xây dựng Đảng, xây dựng hệ thống chính trị tỉnh Khánh "
        "Hòa năm 2023",
        nguoi_ky="Cao Ngọc Tâm",
        chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
    ),
    "004": dict(
        so_ky_hieu=None,
        loai_van_ban="Kế hoạch",
        co_quan_ban_hanh="Ban Thường vụ Tỉnh ủy",
        dia_danh=None,
        ngay_ban_hanh=None,
        trich_yeu="Triển khai, thực hiện Chuyên đề năm 2020 “Tăng cường khối đại đoàn kết toàn dân tộc, xây "
        "dựng Đảng và hệ thống chính trị trong sạch, vững mạnh theo tư tưởng, đạo đức, phong cách Hồ Chí "
        "Minh”",
        nguoi_ky="Đặng Tuyết Em",
        chuc_vu_nguoi_ky="PHÓ BÍ THƯ THƯỜNG TRỰC",
    ),
}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_header_metadata(docs: dict[str, ParsedDocument], prefix: str) -> None:
    meta = docs[prefix].metadata
    for key, value in EXPECTED[prefix].items():
        assert getattr(meta, key) == value, key


def test_noi_nhan(docs: dict[str, ParsedDocument]) -> None:
    n000 = docs["000"].metadata.noi_nhan
    assert n000[0] == "Ban TT UBTWMTTQ Việt Nam" and n000[-1] == "Lưu: VT, Ban TG" and len(n000) == 6
    assert len(docs["001"].metadata.noi_nhan) == 11
    assert docs["002"].metadata.noi_nhan[-1] == "Lưu VT"
    assert docs["003"].metadata.noi_nhan[:2] == ("BTT UBTWMTTQ Việt Nam", "Tỉnh ủy Khánh Hòa")  # "Noi nhận"
    assert docs["004"].metadata.noi_nhan[0] == "Ban Bí thư TW Đảng (b/c)"


def test_titles(docs: dict[str, ParsedDocument]) -> None:
    assert docs["000"].title.startswith("Kế hoạch học tập chuyên đề năm 2020 “Tăng cường khối đại đoàn kết")
    assert docs["001"].title.startswith("Kế hoạch thực hiện Thông báo Kết luận số 160-TB/TW")
    assert docs["002"].title == (
        "Kế hoạch Mặt trận Tổ quốc tỉnh tham gia chuẩn bị Đại hội Đảng bộ các cấp tiến tới Đại hội đại biểu "
        "toàn quốc lần thứ XIII của Đảng"
    )
    assert docs["003"].title == (
        "Kế hoạch thông tin, tuyên truyền về công tác xây dựng Đảng, xây dựng hệ thống chính trị tỉnh Khánh "
        "Hòa năm 2023"
    )
    assert docs["004"].title.startswith("Kế hoạch triển khai, thực hiện Chuyên đề năm 2020")


# --------------------------------------------------------------------------- what is not body


def test_web_block_header_and_footer_are_not_body(docs: dict[str, ParsedDocument]) -> None:
    doc = docs["000"]
    body = _body(doc)
    assert doc.blocks[0].text.startswith("Thực hiện Kế hoạch số 156-KH/TU-KH/TU")
    junks = (
        "Ký hiệu", "Trích yếu", "Cơ quan ban hành", "ỦY BAN MTTQ VIỆT NAM", "Số: 37", "CỘNG HÒA",
        "Độc lập - Tự do", "KẾ HOẠCH", "Các văn bản khác", "TRANG THÔNG TIN", "Giấy phép", "Trần Ngọc Thanh",
        "Nơi nhận", "Lưu: VT", "TM. BAN", "Đã ký", "Huỳnh Mộng Giang",
    )  # fmt: skip
    for junk in junks:
        assert junk not in body, junk
    assert not any(
        b.text.startswith(("Học tập chuyên đề năm 2020", "xây dựng Đảng", "theo tư tưởng"))
        for b in doc.blocks
    )
    end = doc.raw.text.index("Nơi nhận")
    assert all(e <= end for b in doc.blocks for _, e in b.spans)


def test_reception_stamp_is_neither_metadata_nor_body(docs: dict[str, ParsedDocument]) -> None:
    doc = docs["001"]
    body = _body(doc)
    junks = ("4463", "SỞ TƯ PHÁP", "Chuyển:", "Số và ký hiệu HS", "23 / 9 / 2020", "CỦA BAN THƯỜNG VỤ",
             "Nguyễn Hồng Thắng", "T/M BAN", "Lưu Văn phòng")  # fmt: skip
    for junk in junks:
        assert junk not in body, junk
    assert doc.metadata.ngay_ban_hanh == "2020-09-10"
    assert "SỞ TƯ PHÁP" not in (doc.metadata.co_quan_ban_hanh or "")
    assert doc.blocks[0].text.startswith("Thực hiện Thông báo Kết luận số 160-KL/TW")


def test_fragment_starts_mid_sentence(docs: dict[str, ParsedDocument]) -> None:
    doc = docs["002"]
    assert doc.blocks[0].text.startswith("và kết quả Đại hội đảng bộ các cấp")
    assert doc.blocks[0].heading_path == ()
    assert "Phạm Thanh Hùng" not in _body(doc) and "Nơi nhận" not in _body(doc)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_signature_and_recipients_not_in_body(docs: dict[str, ParsedDocument], prefix: str) -> None:
    doc = docs[prefix]
    body = _body(doc)
    assert doc.metadata.nguoi_ky not in body
    assert doc.metadata.noi_nhan[-1].startswith("Lưu") and doc.metadata.noi_nhan[-1] not in body
    assert "Noi nhận" not in body and "Nơi nhận" not in body


# --------------------------------------------------------------------------- spans


@pytest.mark.parametrize("prefix", PREFIXES)
def test_span_invariant(docs: dict[str, ParsedDocument], prefix: str) -> None:
    doc = docs[prefix]
    text = doc.raw.text
    last = -1
    assert doc.blocks
    for b in doc.blocks:
        assert b.kind in ("heading", "paragraph", "list_item") and b.text
        for s, e in b.spans:
            assert last <= s < e <= len(text)
            assert not text[s].isspace() and not text[e - 1].isspace()
            last = e
        joined = " ".join(normalize_query(text[s:e]) for s, e in b.spans)
        assert re.sub(r"\s{2,}", " ", _MARKERS.sub("", joined)).strip() == b.text
        if b.kind == "heading":
            assert b.heading_path[-1] == b.text


# --------------------------------------------------------------------------- section tree


def test_section_tree_paths(docs: dict[str, ParsedDocument]) -> None:
    b = _block(docs["000"], "Ban Thường trực Ủy ban MTTQ các cấp phối hợp với cấp ủy Chi bộ")
    assert b.kind == "list_item" and b.level == 0
    assert b.heading_path == (
        "II. NỘI DUNG",
        "1. Tổ chức nghiên cứu, học tập, đăng ký thực hiện nội dung của chuyên đề năm 2020",
    )
    h = _block(docs["000"], "III. TỎ CHỨC THỰC HIỆN")
    assert (h.kind, h.level, h.heading_path) == ("heading", 1, ("III. TỎ CHỨC THỰC HIỆN",))
    assert _block(docs["003"], "I- MỤC ĐÍCH, YÊU CẦU").level == 1
    sub = _block(docs["003"], "1.2. Phản ánh những kết quả nổi bật")
    assert (sub.kind, sub.level) == ("paragraph", 3)
    assert sub.heading_path == ("II- NỘI DUNG, THỜI GIAN TUYÊN TRUYỀN", "1. Nội dung tuyên truyền trọng tâm")
    two_one = _block(docs["003"], "2.1. Xây dựng đội ngũ cán bộ các cấp")
    assert (two_one.kind, two_one.level) == ("paragraph", 3)
    assert two_one.heading_path[-1] == "2. Nội dung tuyên truyền thường xuyên"


def test_numbered_sentence_is_paragraph_that_opens_its_level(docs: dict[str, ParsedDocument]) -> None:
    doc = docs["001"]
    p = _block(doc, "1. Nâng cao nhận thức, trách nhiệm")
    assert (p.kind, p.level, p.heading_path) == ("paragraph", 2, ("I. MỤC ĐÍCH YÊU CẦU",))
    after = _block(doc, "Ban Dân vận Tỉnh ủy chủ trì, phối hợp")
    assert after.heading_path[0] == "III. TỔ CHỨC THỰC HIỆN"
    assert after.heading_path[1].startswith("4. Các cơ quan tham mưu") and len(after.heading_path[1]) <= 81


def test_bullets_are_list_items(docs: dict[str, ParsedDocument]) -> None:
    for doc in docs.values():
        for b in doc.blocks:
            assert not b.text.startswith(("- ", "• ", "* ", "+ "))
    star = _block(docs["004"], "Thời gian hoàn thành trong tháng 02-2020")
    assert star.kind == "list_item" and star.text == "Thời gian hoàn thành trong tháng 02-2020."
    assert sum(b.kind == "list_item" for b in docs["000"].blocks) == 30  # every "-" line of the body
    assert _block(docs["002"], "4. Đẩy mạnh triển khai, thực hiện nội dung").kind == "heading"


# --------------------------------------------------------------------------- page-break repair


@pytest.mark.parametrize(
    ("prefix", "before", "after"),
    [
        ("001", "nhất là tại các chi bộ thôn, tổ nhân dân, kiểm điểm", "những việc đã làm được"),
        ("001", "Nhân dân tham gia các", "chương trình, dự án phát triển kinh tế"),
        ("002", "thí điểm chức danh Trưởng", "Ban dân vận đồng thời là Chủ tịch"),
        ("002", "Pháp luật Ủy ban MTTQ Việt Nam tỉnh tham mưu", "Thường trực báo cáo, tổng hợp ý kiến"),
        ("003", "xây dựng phong pháp công tác,", "lè lối làm việc của các cấp ủy"),
        ("004", "trực tiếp đến cơ quan, đơn vị để tổ", "chức sinh hoạt chuyên đề cụ thể"),
        ("004", "thông qua hệ thống báo cáo", "viên, tuyên truyền viên trong các buổi"),
    ],
)
def test_page_break_joins(docs: dict[str, ParsedDocument], prefix: str, before: str, after: str) -> None:
    doc = docs[prefix]
    b = _block(doc, f"{before} {after}")
    assert len(b.spans) == 2
    first, second = (normalize_query(doc.raw.text[s:e]) for s, e in b.spans)
    assert first.endswith(before) and second.startswith(after)


def test_no_join_after_title_or_finished_sentence(docs: dict[str, ParsedDocument]) -> None:
    heading = _block(docs["002"], "5. Tổ chức các hoạt động sau Đại hội đảng bộ các cấp")
    assert heading.text == "5. Tổ chức các hoạt động sau Đại hội đảng bộ các cấp" and len(heading.spans) == 1
    para = _block(docs["000"], "Khích lệ, động viên từng hộ gia đình")
    assert para.text.startswith("Khích lệ") and len(para.spans) == 1
    assert sum(len(b.spans) > 1 for d in docs.values() for b in d.blocks) == 8


# --------------------------------------------------------------------------- footnotes


def test_footnotes_leave_the_body(docs: dict[str, ParsedDocument]) -> None:
    doc = docs["004"]
    assert [f.marker for f in doc.footnotes] == [str(i) for i in range(1, 11)]
    first, tenth = doc.footnotes[0], doc.footnotes[-1]
    assert first.text.startswith("Gồm: 06 điểm cầu cấp tỉnh, 15 điểm cầu cấp huyện")
    assert tenth.text.startswith("Kỷ niệm 90 năm ngày thành lập Đảng Cộng sản Việt Nam")
    for f in doc.footnotes:
        assert normalize_query(doc.raw.text[f.start : f.end]) == f.text
    body = _body(doc)
    assert "Gồm: 06 điểm cầu" not in body and "Kỷ niệm 90 năm ngày thành lập" not in body
    assert not re.search("[⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹]", body)


def test_footnote_markers_become_refs(docs: dict[str, ParsedDocument]) -> None:
    doc = docs["004"]
    b = _block(doc, "kết nối trực tuyến với 31 điểm cầu trong tỉnh")
    assert b.footnote_refs == ("1",) and "trong tỉnh. Thời gian ngày 17-12-2019." in b.text
    assert _block(doc, "Cuốn tài liệu “Tăng cường khối đại đoàn kết").footnote_refs == ("2", "3")
    assert _block(doc, "gắn với tuyên truyền kỷ niệm các ngày lễ lớn và phong trào").footnote_refs == ("10",)
    joined = _block(doc, "tập trung tuyển chọn, đào tạo")
    assert joined.footnote_refs == ("7", "8")
    fn7 = next(f for f in doc.footnotes if f.marker == "7")
    assert joined.spans[0][1] < fn7.start and fn7.end < joined.spans[1][0]  # footnote text skipped
    refs = {r for blk in doc.blocks for r in blk.footnote_refs}
    assert refs == {str(i) for i in range(1, 11)}
    plain = _block(doc, "Sách tham khảo: (1) “Những mẫu chuyện")
    assert plain.footnote_refs == () and "(2) “Xây dựng Đảng" in plain.text


def test_no_false_footnotes(docs: dict[str, ParsedDocument]) -> None:
    for prefix in ("000", "001", "002", "003"):
        assert docs[prefix].footnotes == ()
        assert all(b.footnote_refs == () for b in docs[prefix].blocks)


def test_repair_rules_on_a_synthetic_plan() -> None:
    text = (
        "KẾ HOẠCH\nthử nghiệm\n\nThực hiện chỉ đạo, Ban Thường vụ Tỉnh ủy xây dựng kế hoạch như sau:\n\n"
        "I. MỤC ĐÍCH\n\n- Tài liệu A\n- Tài liệu B\n\nCác địa phương tổ chức học tập.\n\n"
        "- Cấp ủy các cấp thực hiện.\n- Ban Tuyên giáo tham mưu\n\nThường trực tổng hợp.\n\n"
        "Đoạn văn này kể về việc \n\n“tự diễn biến” trong nội bộ.\n\nNơi nhận:\n- Lưu VT.\n"
    )
    raw = RawDocument(source="t.txt", text=text, sha256="0", format="txt")
    doc = parse_document(raw, "t")
    texts = [b.text for b in doc.blocks]
    assert "Tài liệu B" in texts and "Các địa phương tổ chức học tập." in texts  # unpunctuated list
    assert "Ban Tuyên giáo tham mưu Thường trực tổng hợp." in texts  # cut sentence after a punctuated sibling
    assert "Đoạn văn này kể về việc “tự diễn biến” trong nội bộ." in texts  # quote before lower case
    assert doc.metadata.co_quan_ban_hanh == "Ban Thường vụ Tỉnh ủy" and doc.title == "Kế hoạch thử nghiệm"
