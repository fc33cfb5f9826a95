"""Layout of an administrative document: where the body is, and the metadata around it.

``analyze_layout`` reads the lines of ``split_lines``. The head is first cut into *pieces*
(``retrieval.document.header_lines``: table rows split into cells, flattened cells cut at "Số:", the
motto and "<Địa danh>, ngày", markdown emphasis spans re-joined), so the rules below hold for Word
header tables, markdown pipe tables, web metadata blocks and plain lines alike:

- a web metadata block (label/value pieces: "Số hiệu", "Ngày ban hành", "Loại văn bản", "Người ký" …,
  the value on the same piece or the next) gives fallbacks for every field;
- ``so_ky_hieu``: the first header "Số: …" piece holding a number; a blank draft number ("Số:   /KH-X")
  is None, never the web field or another number;
- ``ngay_ban_hanh``/``dia_danh``: the header date piece only; a blank day ("ngày   tháng 11 năm 2025")
  keeps the place and gives no date; else the web date; else an adoption clause near the end ("…
  thông qua ngày 14 tháng 8 năm 2025", "passed on June 20, 2013");
- ``loai_van_ban``: the type line ("KẾ HOẠCH", "NGHỊ QUYẾT LIÊN TỊCH", "LAW"), else "Công văn" for a
  "V/v" header, else the web field, else the number's code;
- ``co_quan_ban_hanh``: the left-column capitals before "Số"/motto/date, composed by
  ``retrieval.document.issuer``; else "CỦA <CƠ QUAN>" under the type line; else the subject of the
  opening sentence; else the web field;
- ``trich_yeu``: the pieces under the type line up to the preamble, a rule line or the issuer's
  authority line ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …"), capitals sentence-cased; or the "V/v" piece;
- ``nguoi_ky``/``chuc_vu_nguoi_ky``: ``retrieval.document.signature`` on the first signature block;
- ``tinh``: ``retrieval.document.province``; ``references``: ``retrieval.document.references``.

The body ends at "Nơi nhận", the signature block or a web footer, whichever comes first
(``retrieval.document.closing``); web-block, adoption-clause and translation fallbacks live in
``retrieval.document.fallbacks``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.document.appendix import tail_range
from retrieval.document.closing import BULLET_RE, closing
from retrieval.document.fallbacks import adoption_date, english_issuer, web_block, web_type
from retrieval.document.header_lines import (
    UPPER,
    Piece,
    find_date,
    is_caps,
    is_vv,
    iso,
    key,
    letter_subject,
    parse_date,
    pieces,
)
from retrieval.document.issuer import (
    BANNER_RE,
    complete,
    compose,
    place_of,
    recase,
    sentence_case,
    with_banner,
)
from retrieval.document.province import province_of
from retrieval.document.references import preamble_references
from retrieval.document.signature import name_of
from retrieval.document.subject import (
    SESSION_RE,
    authority_after,
    capitalized,
    named_in_full,
    names_issuer,
    with_level,
    without_session,
)
from retrieval.normalize import NormalizedText, document_type_of_number, find_document_numbers, normalize_text
from retrieval.types import DocMetadata

__all__ = [
    "BULLET_RE",
    "TERMINAL",
    "Layout",
    "Line",
    "analyze_layout",
    "is_motto",
    "numbering",
    "split_lines",
]

# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    index: int
    start: int  # whitespace-trimmed span of the line in the raw text
    end: int
    norm: NormalizedText  # normalized line; offsets are relative to ``start``

    @property
    def text(self) -> str:
        return self.norm.text

    @property
    def blank(self) -> bool:
        return not self.norm.text

    def raw_span(self, i: int = 0, j: int | None = None) -> tuple[int, int]:
        """Raw-text span of normalized characters ``text[i:j]``."""
        s, e = self.norm.to_source_span(i, len(self.text) if j is None else j)
        return self.start + s, self.start + e


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for idx, part in enumerate(text.split("\n")):
        s, e = pos, pos + len(part)
        pos = e + 1
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        lines.append(Line(idx, s, e, normalize_text(text[s:e])))
    return lines


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
_ENGLISH_TYPES = {
    "LAW": "Luật", "DECREE": "Nghị định", "RESOLUTION": "Nghị quyết", "CIRCULAR": "Thông tư",
    "DECISION": "Quyết định", "ORDINANCE": "Pháp lệnh", "DIRECTIVE": "Chỉ thị",
}  # fmt: skip
_TYPE_LINE_RE = re.compile(
    r"^(" + "|".join(sorted([*_TYPES, *_ENGLISH_TYPES], key=len, reverse=True)) + r")(\s+LIÊN TỊCH)?"
    r"(?:\s+S[ỐO]\s*:?\s*\S+)?:?$"
)
# "HƯỚNG DẪN VỀ THỂ THỨC VĂN BẢN CỦA ĐẢNG": the type line and the subject on one line
_TYPE_INLINE_RE = re.compile(
    r"^(" + "|".join(sorted(_TYPES, key=len, reverse=True)) + r")(\s+LIÊN TỊCH)?\s+((?:VỀ|V/V)\s.+)$"
    r"|^(QUY CHẾ|QUY ĐỊNH|ĐIỀU LỆ)()\s+(.+)$"  # "QUY CHẾ LÀM VIỆC CỦA …": these name their subject directly
)
_ENACTED_RE = re.compile(r"^\(\s*(?:ban hành\s+)?kèm theo\b|^\(\s*ban hành\b", re.IGNORECASE)
_SO_PIECE_RE = re.compile(r"^(?:[^\W\d_]+\s+){0,2}s[ốo]\b", re.I)
_BODY_CUES = (
    "Thực hiện", "Căn cứ", "Thi hành", "Triển khai", "Nhằm", "Để", "Trên cơ sở", "Theo đề nghị", "Xét",
    "Qua ", "Sau khi", "Ngày ", "Kính gửi", "Pursuant", "Được ",
)  # fmt: skip
_AUTHORITY_RE = re.compile(
    r"^(?:PHÓ\s+)?(?:CHỦ TỊCH|BỘ TRƯỞNG|GIÁM ĐỐC|THỦ TƯỚNG|TỔNG GIÁM ĐỐC|CỤC TRƯỞNG|THỐNG ĐỐC|CHÁNH ÁN|"
    r"VIỆN TRƯỞNG|TRƯỞNG BAN|TỔNG CỤC TRƯỞNG|CHỦ NHIỆM|TỔNG KIỂM TOÁN|CHÁNH VĂN PHÒNG)\b"
    r"|^(?:QUỐC HỘI|CHÍNH PHỦ)$"
)
_INTRO_ORG_RE = re.compile(
    r"(?:^|[,;]\s*)((?:Ban|Ủy ban|Thường trực|Tỉnh ủy|Huyện ủy|Thành ủy|Đảng ủy|Đảng đoàn|Sở|UBND|Hội|"
    r"Văn phòng|Mặt trận|Bộ|Cục|Chi bộ|Đoàn)\b[^,;:]{0,100}?)\s+(?:xây dựng|ban hành|triển khai|hướng dẫn|"
    r"đề ra|thông báo|chỉ đạo)\s+(?:kế hoạch|hướng dẫn|chương trình|thực hiện|như sau|nội dung)"
)
_ADOPTED_BY_RE = re.compile(r"^Được (.{5,90}?) thông qua")  # "Được Hội đồng Thẩm phán … thông qua ngày …"
_ARTICLE_RE = re.compile(r"^(?:Điều|Article)\s+\d+|^(?:Chương|Chapter)\s+[IVXLC\d]+\b")


def is_motto(text: str) -> bool:
    k = key(text)
    mottos = ("cong hoa xa hoi chu nghia", "doc lap - tu do", "doc lap tu do", "doc lap")
    # spaces ignored: text layers glue or split syllables ("CỘNG HÒA XàHỘI CHỦ NGHĨA")
    glued = k.replace(" ", "").startswith("conghoaxahoichunghia")
    return glued or k.startswith(mottos) or k == "dang cong san viet nam"


def _is_name(text: str) -> bool:
    got = name_of(text)
    return bool(got) and not got[0]


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    metadata: DocMetadata
    body_start: int  # index of the first line that may be body text
    body_end: int  # one past the last line that may be body text
    tail: tuple[int, int] | None = None  # lines after the closing that are text again (appendices, notes)


def _inline_type(text: str) -> tuple[str, str | None, str | None]:
    """(type, "LIÊN TỊCH" or None, subject) of a type line that carries its subject."""
    m = _TYPE_INLINE_RE.match(text)
    assert m is not None
    g = m.groups()
    return (g[0], g[1], g[2]) if g[0] else (g[3], None, g[5])


def _enacting_note(items: list[Piece], first: Piece) -> tuple[str | None, int]:
    """(ISO date, last line) of the note "(Ban hành kèm theo Quyết định số … ngày … của …)" that opens
    at ``first`` and runs to its closing bracket (at most 6 pieces): the regulation's date is the
    decision's."""
    at = items.index(first)
    note = items[at : at + 6]
    end = next((i for i, q in enumerate(note) if ")" in q.text), len(note) - 1)
    return find_date(" ".join(q.text for q in note[: end + 1])), note[end].end_index


def _caps_subject(header: list[Piece], org_keys: set[str]) -> str | None:
    """Without a type line (a web copy that dropped "QUYẾT ĐỊNH"), the capitals after the number and
    date pieces, up to the enacting body's line ("ỦY BAN NHÂN DÂN TỈNH …"), are the subject."""
    last = max(
        (i for i, p in enumerate(header) if _SO_PIECE_RE.match(p.text) or parse_date(p.text)[0]), default=None
    )
    if last is None:
        return None
    orgs = tuple(k for k in org_keys if k)
    parts: list[str] = []
    for p in header[last + 1 :]:
        t = p.text
        if not is_caps(t) or is_motto(t) or _AUTHORITY_RE.match(t) or (orgs and key(t).startswith(orgs)):
            break
        parts.append(t)
    return sentence_case(" ".join(parts)) if parts and len(" ".join(parts)) >= 15 else None


def _from_header(items: Iterable[Piece]) -> list[Piece]:
    """``items`` from the header on: when the text does not open with it (site menus, a cover page),
    the header starts at the header-like run that holds the first motto piece."""
    items = list(items)
    if not items or _TYPE_LINE_RE.match(items[0].text) or _anchored(items):
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
    while start > 0 and _is_header_like(items[start - 1].text) and motto - start < 6:
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


def _is_so_line(text: str) -> bool:
    """ "Số: …", or a short "Nghị quyết số: …" — not a headline "Quy định số 97-QĐ/TW của Bộ Chính trị: …",
    nor a name with a number in it ("TRƯỜNG TH SỐ 2 QUẢNG PHÚ")."""
    if not _SO_PIECE_RE.match(text) or key(text).startswith("so va ky hieu"):
        return False
    if re.match(r"s[ốo]\b", text, re.I):
        return True
    return len(text) <= 60 and bool(re.match(r"(?:[^\W\d_]+\s+){1,2}s[ốo]\s*:", text, re.I))


def _anchored(items: list[Piece]) -> bool:
    """The header-like run that opens ``items`` holds a motto, number or date line (a site's menu
    line in capitals, "SỰ KIỆN NỔI BẬT", does not)."""
    for p in items[:12]:
        if not _is_header_like(p.text):
            return False
        if is_motto(p.text) or _is_so_line(p.text) or parse_date(p.text)[0]:
            return True
    return True


def _is_number_piece(text: str) -> bool:
    """A header's number line: "Số: 09-HD/X", "Số 215- CV/X" (not "Số lượng …", nor a page title
    "Quyết định số 77/2020/QĐ-UBND tỉnh …")."""
    return _is_so_line(text) and bool(so_number(text)) and len(text) <= 60


def so_number(text: str) -> str | None:
    """The document number of a "Số" piece; spaces around its dashes and slashes dropped when it is
    only found without them ("Số 215- CV/X", "Số: 15 /2014/QĐ-UBND")."""
    nums = find_document_numbers(text) or find_document_numbers(re.sub(r"\s*([-/])\s*", r"\1", text))
    return nums[0] if nums else None


def _is_header_like(text: str) -> bool:
    if numbering(text) or BULLET_RE.match(text):
        return False
    if _is_so_line(text) or is_motto(text) or parse_date(text)[0] or is_vv(text):
        return True
    if is_caps(text) and len(text) <= 160:
        return True
    # Reception stamp of a scanned letter: "ĐẾN Số: 4463", "Ngày 23 / 9 / 2020", "Chuyển:".
    return bool(re.match(r"den so\b|chuyen\s*:|ngay\s+\d{1,2}\s*/|so va ky hieu", key(text)))


def _bare_subject(before: str, text: str) -> bool:
    """A letter's subject printed under its number without "V/v" ("Số 21-CV/ĐU" / "Hoãn tổ chức các
    hội nghị ngày 06/9/2020"): a short line in sentence case, no sentence end, right after the number."""
    if not _is_number_piece(before) or is_caps(text) or not text[:1].isupper() or text[-1:] in TERMINAL + ":":
        return False
    return 3 <= len(text.split()) <= 30 and not parse_date(text)[0] and not text.startswith(_BODY_CUES)


def _starts_body(text: str, first: bool) -> bool:
    if numbering(text) or len(text) > 400 or _ARTICLE_RE.match(text):
        return True
    return not first and (text.startswith(_BODY_CUES) or text.endswith(":"))


def analyze_layout(lines: list[Line], raw_text: str = "") -> Layout:
    n = len(lines)
    head = pieces(raw_text, lines, 0, min(n, 400))
    web_end, web = web_block(head, lambda t: is_motto(t) or bool(_TYPE_LINE_RE.match(t)))
    after_web = _from_header(p for p in head if p.index >= web_end)
    type_at = None
    for j, p in enumerate(after_web[:80]):
        if _TYPE_LINE_RE.match(p.text) or (is_caps(p.text) and _TYPE_INLINE_RE.match(p.text)):
            type_at = j
            break
        if not _is_header_like(p.text) and not (j and _bare_subject(after_web[j - 1].text, p.text)):
            break
    if type_at is None:  # no type line: the header is the run of header-like pieces
        header = []
        for p in after_web:
            if not _is_header_like(p.text) and not (header and _bare_subject(header[-1].text, p.text)):
                break
            header.append(p)
    else:
        header = after_web[:type_at]
    evidence = (_is_so_line, is_motto, is_vv, lambda t: parse_date(t)[0])
    if type_at is None and not any(f(p.text) for p in header for f in evidence):
        header = []  # capitals alone (a site's banner, a page title) are no document header
    so = date = place = trich_yeu = issuer = enacted_date = authority = banner = prev_text = date_text = None
    so_seen = date_seen = False
    org_lines: list[str] = []
    org_open = True
    line_before = -1
    for p in header:
        t = p.text
        is_date, d_place, d_iso = parse_date(t)
        is_so = _is_so_line(t)
        # a motto or date after other text of its line is the right column of a two-column header
        # flattened into lines (PDF text: "ỦY BAN NHÂN DÂN CỘNG HÒA …" / "TỈNH X Độc lập - …")
        right = p.index == line_before and not is_so
        line_before = p.end_index
        if BANNER_RE.match(t) and not is_so:
            banner = banner or t  # the organization above or beside its issuing body
            continue
        if is_so or is_motto(t) or is_date:
            if p.col == 0 and not right:
                org_open = False
        elif org_open and p.col == 0 and is_caps(t) and not re.match(r"den\b|chuyen\b", key(t)):
            org_lines.append(t)
        if is_so and not so_seen and (num := so_number(t)):
            so, so_seen = num, True
        elif is_so and not so_seen and re.search(r"s[ốo]\s*:?\s*[./…]", t, re.I):
            so_seen = True  # a draft's blank number: "Số:   /KH-MTTQ-BTT"
        if is_date and (not date_seen or (place is None and d_place)):
            # the date line names its place; a bare "Ngày 26/11/2018" (a stamp, a subject's end) yields
            place, date, date_seen, date_text = d_place, d_iso, True, t
        if trich_yeu is None and (is_vv(t) or (prev_text and _bare_subject(prev_text, t))):
            trich_yeu = letter_subject(t)
        prev_text = t
    body_start = header[-1].end_index + 1 if header else web_end
    org_keys = {key(o) for o in org_lines} | {key(" ".join(org_lines))}
    loai = None
    if type_at is not None:
        tp = after_web[type_at]
        m = _TYPE_LINE_RE.match(tp.text)
        groups = m.groups() if m else _inline_type(tp.text)
        loai = _ENGLISH_TYPES.get(groups[0]) or (groups[0] + (groups[1] or "")).capitalize()
        if groups[1]:
            loai = groups[0].capitalize() + " liên tịch"
        parts: list[str] = [groups[2]] if not m and groups[2] else []
        body_start = tp.end_index + 1
        for p in after_web[type_at + 1 :]:
            t = BULLET_RE.sub("", p.text)
            if not t:
                continue
            if not parts and _SO_PIECE_RE.match(t) and find_document_numbers(t):
                so, so_seen = (so, so_seen) if so_seen else (find_document_numbers(t)[0], True)
            elif not parts and issuer is None and is_caps(t) and t.startswith("CỦA "):
                issuer = recase(t[4:])
            elif _starts_body(t, first=not parts) or len(parts) >= 10:
                break
            elif parts and _ENACTED_RE.match(t):  # "(Ban hành kèm theo Quyết định số … ngày …)"
                enacted = _enacting_note(after_web, p)
                body_start = enacted[1] + 1
                enacted_date = enacted[0]
                break
            elif parts and is_caps(t) and (_AUTHORITY_RE.match(t) or names_issuer(t, org_keys)):
                body_start = p.end_index + 1  # the issuer's authority line: neither subject nor body
                authority = t
                if not SESSION_RE.match(t):
                    session = next((q for q in after_web if q.index > p.index), None)
                    if session is not None and SESSION_RE.match(session.text):
                        body_start = session.end_index + 1
                break
            elif parts and is_caps(parts[-1]) and not is_caps(t) and t[-1:] in TERMINAL:
                break  # the first sentence of the body under a subject in capitals
            elif parts and is_caps(t) and not any(map(is_caps, parts)) and len(t.split()) >= 3:
                body_start = p.end_index + 1  # "BAN BÍ THƯ TRUNG ƯƠNG ĐOÀN …" under "Về việc …": who enacts
                authority = t
                break
            else:
                parts.append(t)
            body_start = p.end_index + 1
        joined = " ".join(without_session(parts))
        trich_yeu = sentence_case(joined) if joined else trich_yeu
    if type_at is None and trich_yeu is None and (so_seen or date_seen) and len(after_web) > len(header):
        # No type line: a short unpunctuated line right under the header is the subject.
        nxt = after_web[len(header)]
        short = nxt.text[-1:] not in TERMINAL + ":" and len(nxt.text) < 300
        if short and not _starts_body(nxt.text, first=False):
            trich_yeu, body_start = nxt.text, nxt.end_index + 1
    if type_at is None and trich_yeu is None and (so_seen or date_seen):
        trich_yeu = _caps_subject(header, org_keys)
    noi_nhan, position, signer, body_end = closing(lines, body_start, raw_text)
    intro = next((ln.text for ln in lines[body_start:body_end] if not ln.blank), "")
    has_header = bool(header or type_at is not None)
    if loai is None and trich_yeu and any(is_vv(p.text) or trich_yeu == p.text for p in header):
        loai = "Công văn"
    if not so_seen:
        so = (find_document_numbers(web.get("Ký hiệu", "") or web.get("Số hiệu", "")) or [None])[0]
    if not date_seen:
        web_date = web.get("Ngày ban hành") or web.get("Ngày ký xác thực") or ""
        if m_date := re.match(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", web_date):
            date = iso(m_date.group(3), m_date.group(2), m_date.group(1))
        elif has_header:
            date = enacted_date or adoption_date(lines, body_start)
    org_place = next((pl for o in org_lines if (pl := place_of(recase(o)))), None)
    place = place or (org_place[1] if org_place else None)
    loai = loai or web_type(web.get("Loại văn bản", ""), so) or document_type_of_number(so or "")
    m_intro = list(_INTRO_ORG_RE.finditer(intro)) or list(_ADOPTED_BY_RE.finditer(intro))
    org = (
        compose(org_lines)
        or issuer
        or (m_intro[-1].group(1).strip() if m_intro else None)
        or web.get("Cơ quan ban hành")
        or english_issuer(lines[body_start:body_end])
        or None
    )
    authority = authority or authority_after(after_web[: len(header) + 8])
    org = with_banner(named_in_full(complete(org, place), authority), banner)
    after = [ln.text for ln in lines[body_start:body_end]]
    refs = preamble_references(after, so) if has_header else ()
    preamble = " ".join(after[:40])
    month = re.search(r"th[áa]ng\s*(\d{1,2})\s*n[ăa]m\s*(\d{4})", date_text or "", re.I)
    period = date or (f"{month.group(2)}-{int(month.group(1)):02d}" if month else None)  # a blank day
    tinh = province_of(org, preamble, "\n".join(ln.text for ln in lines), period)
    # "ĐẢNG BỘ TỈNH NGHỆ AN" / "ĐẢNG ỦY TRƯỜNG …": the parent above the issuer names the province
    tinh = tinh or (province_of(" ".join(recase(o) for o in org_lines), "", "") if org_lines else None)
    org = with_level(org, authority, tinh)
    signer = signer or (name_of(web["Người ký"])[1] if name_of(web.get("Người ký", "")) else None)
    meta = DocMetadata(
        so_ky_hieu=without_note_mark(so, raw_text),
        loai_van_ban=loai,
        co_quan_ban_hanh=org,
        dia_danh=place,
        ngay_ban_hanh=date,
        trich_yeu=capitalized(trich_yeu or web.get("Trích yếu") or web.get("Tiêu đề") or None),
        nguoi_ky=signer,
        chuc_vu_nguoi_ky=position or web.get("Chức danh") or None,
        noi_nhan=tuple(noi_nhan),
        tinh=tinh,
        references=refs,
    )
    return Layout(meta, body_start, body_end, tail_range(lines, body_end))
