"""Kinds of header pieces: the rules that tell a number line, a motto, a type line, a date line, a
letter's subject or the first body line among the pieces of a document's head (``header_lines``), and
the numbering of body lines. Pure functions over strings and pieces; ``retrieval.header`` assembles
them into a layout."""

from __future__ import annotations

import re
from collections.abc import Iterable

from retrieval.document.closing import BULLET_RE
from retrieval.document.header_lines import (
    BODY_OPENERS,
    UPPER,
    Piece,
    find_date,
    is_caps,
    is_vv,
    key,
    parse_date,
)
from retrieval.document.issuer import sentence_case
from retrieval.normalize import find_document_numbers

# --------------------------------------------------------------------------- shared patterns

_ROMAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"}
_ROMAN_RE = re.compile(r"^([IVX]{1,4})\s*[.\-–)]\s*(?=\S)")
_DECIMAL_RE = re.compile(r"^\d{1,2}\.\d{1,2}(\.\d{1,2})?(\.?)\s+(?=\S)")
_NUMBER_RE = re.compile(r"^\d{1,2}\s*[.)]\s*(?=[^\d\s])")
_LETTER_RE = re.compile(r"^[a-zđ]\s*\)\s*(?=\S)")
TERMINAL = ".!?;…"


def numbering(text: str) -> tuple[int, int] | None:
    """(level, prefix length) of a numbered line: "I."/"I-" 1, "1." 2, "1.1." 3, "a)"/"1.1.1." 4."""
    if (m := _ROMAN_RE.match(text)) and m.group(1) in _ROMAN:
        return 1, m.end()
    if (m := _DECIMAL_RE.match(text)) and (m.group(2) or text[m.end()].isupper()):
        return (4 if m.group(1) else 3), m.end()
    if m := _NUMBER_RE.match(text):
        return 2, m.end()
    return (4, m.end()) if (m := _LETTER_RE.match(text)) else None


# --------------------------------------------------------------------------- header pieces

_TYPES = (
    "KẾ HOẠCH", "HƯỚNG DẪN", "CHỈ THỊ", "NGHỊ QUYẾT", "THÔNG BÁO", "QUYẾT ĐỊNH", "CÔNG VĂN", "BÁO CÁO",
    "CHƯƠNG TRÌNH", "TỜ TRÌNH", "QUY ĐỊNH", "QUY CHẾ", "ĐỀ ÁN", "KẾT LUẬN", "THÔNG TRI", "LUẬT",
    "CHƯƠNG TRÌNH HÀNH ĐỘNG", "NGHỊ ĐỊNH", "THÔNG TƯ", "PHÁP LỆNH", "LỆNH", "CÔNG ĐIỆN", "ÁN LỆ",
    "VĂN BẢN HỢP NHẤT", "BIÊN BẢN", "GIẤY MỜI", "ĐIỀU LỆ", "HIẾN PHÁP", "DỰ THẢO",
)  # fmt: skip
ENGLISH_TYPES = {
    "LAW": "Luật", "DECREE": "Nghị định", "RESOLUTION": "Nghị quyết", "CIRCULAR": "Thông tư",
    "DECISION": "Quyết định", "ORDINANCE": "Pháp lệnh", "DIRECTIVE": "Chỉ thị",
}  # fmt: skip
TYPE_LINE_RE = re.compile(
    r"^(" + "|".join(sorted([*_TYPES, *ENGLISH_TYPES], key=len, reverse=True)) + r")(\s+LIÊN TỊCH)?"
    r"(?:\s+S[ỐO]\s*:?\s*\S+)?:?$"
)
# "HƯỚNG DẪN VỀ THỂ THỨC VĂN BẢN CỦA ĐẢNG": the type line and the subject on one line
TYPE_INLINE_RE = re.compile(
    r"^(" + "|".join(sorted(_TYPES, key=len, reverse=True)) + r")(\s+LIÊN TỊCH)?\s+((?:VỀ|V/V)\s.+)$"
    r"|^(QUY CHẾ|QUY ĐỊNH|ĐIỀU LỆ)()\s+(.+)$"  # "QUY CHẾ LÀM VIỆC CỦA …": these name their subject directly
    # "KẾ HOẠCH HOẠT ĐỘNG CHI BỘ NĂM 2020": a subject of three words or more right after the type
    r"|^(CHƯƠNG TRÌNH HÀNH ĐỘNG|KẾ HOẠCH|BÁO CÁO|CHƯƠNG TRÌNH|TỜ TRÌNH|ĐỀ ÁN)()\s+((?:\S+\s+){2}.+)$"
)
ENACTED_RE = re.compile(r"^\(\s*(?:ban hành\s+)?kèm theo\b|^\(\s*ban hành\b", re.IGNORECASE)
SO_PIECE_RE = re.compile(r"^(?:[^\W\d_]+\s+){0,2}s[ốo]\b", re.I)
_BODY_CUES = (*BODY_OPENERS, "Triển khai", "Nhằm", "Để", "Xét", "Qua ", "Ngày ", "Pursuant", "Được ")
AUTHORITY_RE = re.compile(
    r"^(?:PHÓ\s+)?(?:CHỦ TỊCH|BỘ TRƯỞNG|GIÁM ĐỐC|THỦ TƯỚNG|TỔNG GIÁM ĐỐC|CỤC TRƯỞNG|THỐNG ĐỐC|CHÁNH ÁN|"
    r"VIỆN TRƯỞNG|TRƯỞNG BAN|TỔNG CỤC TRƯỞNG|CHỦ NHIỆM|TỔNG KIỂM TOÁN|CHÁNH VĂN PHÒNG)\b"
    r"|^(?:QUỐC HỘI|CHÍNH PHỦ)$"
)
INTRO_ORG_RE = re.compile(
    r"(?:^|[,;]\s*)((?:Ban|Ủy ban|Thường trực|Tỉnh ủy|Huyện ủy|Thành ủy|Đảng ủy|Đảng đoàn|Sở|UBND|Hội|"
    r"Văn phòng|Mặt trận|Bộ|Cục|Chi bộ|Đoàn)\b[^,;:]{0,100}?)\s+(?:xây dựng|ban hành|triển khai|hướng dẫn|"
    r"đề ra|thông báo|chỉ đạo)\s+(?:kế hoạch|hướng dẫn|chương trình|thực hiện|như sau|nội dung)"
)
ADOPTED_BY_RE = re.compile(r"^Được (.{5,90}?) thông qua")  # "Được Hội đồng Thẩm phán … thông qua ngày …"
_ARTICLE_RE = re.compile(
    r"^(?:Điều|Article)\s+\d+|^(?:Chương|Chapter)\s+[IVXLC\d]+\b|^(?:PHẦN|Phần)\s+(?:THỨ|thứ|[IVXLC\d]+\b)"
)


def is_motto(text: str) -> bool:
    k = key(text)
    mottos = ("cong hoa xa hoi chu nghia", "doc lap - tu do", "doc lap tu do", "doc lap")
    # spaces ignored: text layers glue or split syllables ("CỘNG HÒA XàHỘI CHỦ NGHĨA")
    glued = k.replace(" ", "").startswith("conghoaxahoichunghia")
    return glued or k.startswith(mottos) or k == "dang cong san viet nam"


def inline_type(text: str) -> tuple[str, str | None, str | None]:
    """(type, "LIÊN TỊCH" or None, subject) of a type line that carries its subject."""
    m = TYPE_INLINE_RE.match(text)
    assert m is not None
    g = m.groups()
    at = next(i for i in (0, 3, 6) if g[i])
    return g[at], g[at + 1] or None, g[at + 2]


def enacting_note(items: list[Piece], first: Piece) -> tuple[str | None, int]:
    """(ISO date, last line) of the note "(Ban hành kèm theo Quyết định số … ngày … của …)" that opens
    at ``first`` and runs to its closing bracket (at most 6 pieces): the regulation's date is the
    decision's."""
    at = items.index(first)
    note = items[at : at + 6]
    end = next((i for i, q in enumerate(note) if ")" in q.text), len(note) - 1)
    return find_date(" ".join(q.text for q in note[: end + 1])), note[end].end_index


def caps_subject(header: list[Piece], org_keys: set[str]) -> str | None:
    """Without a type line (a web copy that dropped "QUYẾT ĐỊNH"), the capitals after the number and
    date pieces, up to the enacting body's line ("ỦY BAN NHÂN DÂN TỈNH …"), are the subject."""
    last = max(
        (i for i, p in enumerate(header) if SO_PIECE_RE.match(p.text) or parse_date(p.text)[0]), default=None
    )
    if last is None:
        return None
    orgs = tuple(k for k in org_keys if k)
    parts: list[str] = []
    for p in header[last + 1 :]:
        t = p.text
        if not is_caps(t) or is_motto(t) or AUTHORITY_RE.match(t) or (orgs and key(t).startswith(orgs)):
            break
        parts.append(t)
    return sentence_case(" ".join(parts)) if parts and len(" ".join(parts)) >= 15 else None


def from_header(items: Iterable[Piece]) -> list[Piece]:
    """``items`` from the header on: when the text does not open with it (site menus, a cover page),
    the header starts at the header-like run that holds the first motto piece."""
    items = list(items)
    if not items or TYPE_LINE_RE.match(items[0].text) or _anchored(items):
        return items
    anchors = [
        next((i for i, p in enumerate(items[:300]) if is_motto(p.text)), None),
        # a mass organization's header has no motto, a letter's number may come before it
        next((i for i, p in enumerate(items[:300]) if _is_number_piece(p.text)), None),
    ]
    if all(a is None for a in anchors):
        return items
    motto = min(a for a in anchors if a is not None)
    start = motto
    while start > 0 and is_header_like(items[start - 1].text) and motto - start < 6:
        start -= 1
    return items[start:]


def without_note_mark(so: str | None, text: str) -> str | None:
    """A PDF text layer glues a footnote mark to the number it follows ("SỐ 12/2022/AL1", the footnote
    "1 Án lệ này do …" at the page's foot): one digit after a letter code, with a footnote line of that
    digit in the text, is the mark (codes with digits of their own, "QH15", keep them: no such footnote)."""
    m = re.fullmatch(r"(.*[^\W\d_])(\d)", so or "")
    if not m or not re.search(rf"(?m)^[ \t]*{m.group(2)}[ \t]+[{UPPER}]", text):
        return so
    return m.group(1)


def is_so_line(text: str) -> bool:
    """ "Số: …", or a short "Nghị quyết số: …" — not a headline "Quy định số 97-QĐ/TW của Bộ Chính trị: …",
    nor a name with a number in it ("TRƯỜNG TH SỐ 2 QUẢNG PHÚ")."""
    if not SO_PIECE_RE.match(text) or key(text).startswith("so va ky hieu"):
        return False
    if re.match(r"s[ốo]\b", text, re.I):
        return True
    return len(text) <= 60 and bool(re.match(r"(?:[^\W\d_]+\s+){1,2}s[ốo]\s*:", text, re.I))


def _anchored(items: list[Piece]) -> bool:
    """The header-like run that opens ``items`` holds a motto, number or date line (a site's menu
    line in capitals, "SỰ KIỆN NỔI BẬT", does not)."""
    for p in items[:12]:
        if not is_header_like(p.text):
            return False
        if is_motto(p.text) or is_so_line(p.text) or parse_date(p.text)[0]:
            return True
    return True


def _is_number_piece(text: str) -> bool:
    """A header's number line: "Số: 09-HD/X", "Số 215- CV/X" (not "Số lượng …", nor a page title
    "Quyết định số 77/2020/QĐ-UBND tỉnh …")."""
    return is_so_line(text) and bool(so_number(text)) and len(text) <= 60


def so_number(text: str) -> str | None:
    """The document number of a "Số" piece; spaces around its dashes and slashes dropped when it is
    only found without them ("Số 215- CV/X", "Số: 15 /2014/QĐ-UBND")."""
    nums = find_document_numbers(text) or find_document_numbers(re.sub(r"\s*([-/])\s*", r"\1", text))
    return nums[0] if nums else None


def is_header_like(text: str) -> bool:
    if numbering(text) or BULLET_RE.match(text):
        return False
    if is_so_line(text) or is_motto(text) or parse_date(text)[0] or is_vv(text):
        return True
    if is_caps(text) and len(text) <= 160:
        return True
    # Reception stamp of a scanned letter: "ĐẾN Số: 4463", "Ngày 23 / 9 / 2020", "Chuyển:".
    return bool(re.match(r"den so\b|chuyen\s*:|ngay\s+\d{1,2}\s*/|so va ky hieu", key(text)))


def bare_subject(before: str, text: str) -> bool:
    """A letter's subject printed under its number without "V/v" ("Số 21-CV/ĐU" / "Hoãn tổ chức các
    hội nghị ngày 06/9/2020"): a short line in sentence case, no sentence end, right after the number."""
    if not _is_number_piece(before) or is_caps(text) or not text[:1].isupper() or text[-1:] in TERMINAL + ":":
        return False
    return 3 <= len(text.split()) <= 30 and not parse_date(text)[0] and not text.startswith(_BODY_CUES)


def starts_body(text: str, first: bool) -> bool:
    if numbering(text) or len(text) > 400 or _ARTICLE_RE.match(text):
        return True
    return not first and (text.startswith(_BODY_CUES) or text.endswith(":"))
