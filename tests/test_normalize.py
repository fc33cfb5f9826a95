"""Normalization on real excerpts of the sample plans (corpus/*.txt)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from retrieval.normalize import (
    document_type_of_number,
    find_document_numbers,
    find_partial_numbers,
    has_diacritics,
    normalize_query,
    normalize_so_ky_hieu,
    normalize_text,
    number_key,
    number_matches,
    strip_accents,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _read(prefix: str) -> str:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- tone marks


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),  # 000 header
        ("TỈNH KHÁNH HÒA", "TỈNH KHÁNH HÒA"),  # already traditional: unchanged
        ("Khánh Hoà", "Khánh Hòa"),
        (
            "biểu hiện “tự diễn biến”, “tự huỷ hoại” trong nội bộ",
            "biểu hiện “tự diễn biến”, “tự hủy hoại” trong nội bộ",
        ),
        ("sức khoẻ, thuỷ lợi, Thuý", "sức khỏe, thủy lợi, Thúy"),
        ("quý, Quý, QUỶ", "quý, Quý, QUỶ"),  # after q nothing moves
        ("hoàn thành, ngoài, hoạch, khuya", "hoàn thành, ngoài, hoạch, khuya"),  # not syllable-final
        ("toả sáng, hoà bình", "tỏa sáng, hòa bình"),
    ],
)
def test_one_tone_convention(source: str, expected: str) -> None:
    assert normalize_query(source) == expected


def test_both_tone_styles_meet() -> None:
    assert normalize_query("HOÀ") == normalize_query("HÒA") == "HÒA"
    assert normalize_query("Hoà") == normalize_query("Hòa")
    assert len(normalize_text("hoà").text) == 3  # the move is length-preserving


# --------------------------------------------------------------------------- noise and markdown


def test_myanmar_ocr_noise_removed_and_mapped_back() -> None:
    raw = _read("001")
    excerpt = "khắc phục tình trạng chùng chေo, hình thức."
    assert excerpt in raw
    norm = normalize_text(excerpt)
    assert norm.text == "khắc phục tình trạng chùng cho, hình thức."
    i = norm.text.index("hình thức")
    s, e = norm.to_source_span(i, i + len("hình thức"))
    assert excerpt[s:e] == "hình thức"
    s, e = norm.to_source_span(norm.text.index("cho"), norm.text.index("cho") + 3)
    assert excerpt[s:e] == "chေo"  # the user is shown the exact source


def test_bold_date_line() -> None:
    line = "Khánh Hòa, ngày **04** tháng 8 năm 2023"
    assert line in _read("003")
    norm = normalize_text(line)
    assert norm.text == "Khánh Hòa, ngày 04 tháng 8 năm 2023"
    i = norm.text.index("04")
    assert line[slice(*norm.to_source_span(i, i + 2))] == "04"


def test_bold_signature_and_star_bullet() -> None:
    assert normalize_query("**T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ THƯỜNG TRỰC**") == (
        "T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ THƯỜNG TRỰC"
    )
    assert normalize_query("*** Thời gian hoàn thành trong tháng 02-2020.**") == (
        "Thời gian hoàn thành trong tháng 02-2020."
    )
    assert normalize_query("(*mỗi người 01 cuốn*)") == "(mỗi người 01 cuốn)"
    assert normalize_query("ghi chú (*) cuối trang") == "ghi chú (*) cuối trang"


def test_whitespace_and_invisible_characters() -> None:
    assert normalize_query("Khánh Hòa, ngày 04 tháng  02  năm 2020") == "Khánh Hòa, ngày 04 tháng 02 năm 2020"
    assert normalize_query("\u00a0 a\u200bb\tc \n\n d\x07 ") == "ab c d"
    assert normalize_query("1.     Ủy ban MTTQ Việt Nam tỉnh") == "1. Ủy ban MTTQ Việt Nam tỉnh"
    assert normalize_text("   ").text == ""


def test_nfd_input_is_composed_and_mapped() -> None:
    source = unicodedata.normalize("NFD", "Hoà bình, khoẻ")
    norm = normalize_text(source)
    assert norm.text == "Hòa bình, khỏe"
    assert norm.to_source_span(0, len(norm.text)) == (0, len(source))
    i = norm.text.index("bình")
    assert unicodedata.normalize("NFC", source[slice(*norm.to_source_span(i, i + 4))]) == "bình"


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_offsets_map_every_word_back_exactly(prefix: str) -> None:
    raw = _read(prefix)
    norm = normalize_text(raw)
    assert len(norm.offsets) == len(norm.ends) == len(norm.text)
    pos = 0
    for word in norm.text.split(" "):
        s, e = norm.to_source_span(pos, pos + len(word))
        assert normalize_query(raw[s:e]) == word
        assert not raw[s].isspace() and not raw[e - 1].isspace()
        pos += len(word) + 1
    assert list(norm.offsets) == sorted(norm.offsets)


# --------------------------------------------------------------------------- accents


def test_strip_accents() -> None:
    text = "Đảng Cộng sản Việt Nam, Khánh Hòa, HUỲNH MỘNG GIANG"
    plain = strip_accents(text)
    assert plain == "Dang Cong san Viet Nam, Khanh Hoa, HUYNH MONG GIANG"
    assert len(plain) == len(text)
    assert has_diacritics(text) and has_diacritics("đ") and not has_diacritics(plain)


# --------------------------------------------------------------------------- document numbers


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Số:  37/KH-MTTQ-BTT", "37/KH-MTTQ-BTT"),
        ("Số 427 - KH/TU", "427-KH/TU"),
        ("05 -CT/TW", "05-CT/TW"),
        ("160-TB/TW", "160-TB/TW"),
        ("Chỉ thị 20 –CT/TU", "20-CT/TU"),
        ("733/QĐ-TTg", "733/QĐ-TTG"),
        ("427-kh/tu", "427-KH/TU"),
    ],
)
def test_normalize_so_ky_hieu(source: str, expected: str) -> None:
    assert normalize_so_ky_hieu(source) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thực hiện Chỉ thị 05 -CT/TW của Bộ Chính trị khóa XII", ["05-CT/TW"]),
        ("Thông báo Kết luận số 160-TB/TW ngày 15/01/2020 của Bộ Chính trị", ["160-TB/TW"]),
        ("theo Quyết định số 733/QĐ-TTg, ngày 14/6/2019 của Thủ tướng Chính phủ", ["733/QĐ-TTG"]),
        ("Nghị quyết số 55/2022/QH15, ngày 16/6/2022 của Quốc hội", ["55/2022/QH15"]),
        ("Quy định số 11-QĐi/TW ngày 18/2/2019", ["11-QĐI/TW"]),
        ("Kế hoạch số 156-KH/TU-KH/TU, ngày 12/12/2019", ["156-KH/TU-KH/TU"]),
        ("nhiệm kỳ 2019 -2024, giai đoạn 2019 - 2025 theo", []),
        ("(18/11/1930-18/11/2020), trước ngày 15/6/2020; HIV/AIDS", []),
        ("Điện thoại: 0258.3810311 - Fax: 0258.3810503", []),
        ("Ngày 23 / 9 / 2020", []),
    ],
)
def test_find_document_numbers_on_excerpts(text: str, expected: list[str]) -> None:
    assert find_document_numbers(text) == expected


def test_find_document_numbers_in_plan_001() -> None:
    numbers = find_document_numbers(_read("001"))
    assert numbers[0] == "427-KH/TU"
    assert {"160-TB/TW", "160-KL/TW", "62-KL/TW", "217-QĐ/TW"} <= set(numbers)
    assert len(numbers) == len(set(numbers))


def test_partial_numbers_and_matching() -> None:
    assert find_partial_numbers("Chỉ thị 05 của Bộ Chính trị") == ["5-CT"]
    assert find_partial_numbers("chi thi so 35 va ke hoach 427") == ["35-CT", "427-KH"]
    assert find_partial_numbers("Chỉ thị 05-CT/TW; nhiệm kỳ 2020-2025") == []
    assert number_key("05-CT/TW") == "5-CT/TW"
    assert number_matches("5-CT", "05-CT/TW")
    assert not number_matches("5-CT", "35-CT/TW")
    assert number_matches("37-KH", "37/KH-MTTQ-BTT")
    assert number_matches("427-kh/tu", "427-KH/TU")
    assert number_matches("733/QD-TTg", "733/QĐ-TTG")
    assert not number_matches("160-TB/TW", "160-KL/TW")


def test_queries_with_numbers() -> None:
    assert find_document_numbers("ke hoach so 427 - kh/tu?") == []  # spaced lower-case code: prose
    assert find_document_numbers("kế hoạch 427-kh/tu") == ["427-KH/TU"]
    assert find_document_numbers("Chi thi 05-CT/TW la gi") == ["05-CT/TW"]
    assert document_type_of_number("427-KH/TU") == document_type_of_number("37/KH-MTTQ-BTT") == "Kế hoạch"
    assert document_type_of_number("55/2022/QH15") is None
