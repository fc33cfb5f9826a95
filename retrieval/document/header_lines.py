"""The head of a document as *pieces*: one piece per logical header field, whatever the layout.

Loaders hand the header over in several shapes: a Word table as one line per row with cells joined by
" | " (the paragraphs of a cell flattened into one string: "ỦY BAN MTTQ VIỆT NAM XÃ X BAN THƯỜNG TRỰC
Số: 16/KH-MTTQ-BTT"); a markdown pipe table whose cells break over lines (bare "|" lines, "|---|"
separators); ``**bold**`` spans split over lines; or plain lines. ``pieces`` turns any of them into
short texts:

- a row is split into its cells (left column first); separator rows and rule lines ("-------",
  "_____") are dropped;
- a markdown line whose ``**``/``*`` emphasis is still open continues on the next line;
- a flattened cell is cut before the anchors of the standard header: "Số:" (also "Luật số:"), the
  motto ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ĐẢNG CỘNG SẢN VIỆT
  NAM"), "<Địa danh>, ngày …" and "V/v";
- wrapped fields are re-joined: "Số:" + "01/KH-X", "…, ngày 10 tháng 12" + "năm 2025",
  "Độc lập - Tự do - Hạnh" + "phúc".

Text is the normalized line text (``retrieval.normalize``: NFC, one tone-mark convention, markdown
emphasis removed).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from retrieval.normalize import strip_accents

__all__ = [
    "Piece",
    "cells",
    "clean",
    "find_date",
    "is_caps",
    "is_vv",
    "key",
    "letter_subject",
    "logical_lines",
    "parse_date",
    "pieces",
    "wrapped",
]

UPPER = "".join(c for c in map(chr, range(0x41, 0x1F00)) if c.isupper() and c.isalpha())
LOWER = "".join(c for c in map(chr, range(0x61, 0x1F00)) if c.islower() and c.isalpha())


@dataclass(frozen=True)
class Piece:
    index: int  # line index of the piece's first line
    text: str
    col: int = 0  # cell number in a table row; 0 for plain lines
    last: int = -1  # line index of the piece's last line (-1: same as index)

    @property
    def end_index(self) -> int:
        return self.index if self.last < 0 else self.last


def key(text: str) -> str:
    return strip_accents(text).lower()


def is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


_RULE_RE = re.compile(r"[-_=–—.…]{3,}")
_GLUED_LEVEL_RE = re.compile(f"(?<=[{UPPER}])(?=(?:TỈNH|HUYỆN|PHƯỜNG|XÃ|QUẬN|THÀNH PHỐ|THỊ XÃ|ĐẶC KHU)\\s)")
_SEPARATOR_CELL_RE = re.compile(r"^:?-{2,}:?$")


def clean(text: str) -> str:
    """A cell without rule lines, heading marks, stray slashes; glued "DÂNTỈNH" split."""
    text = re.sub(r"^#+\s*", "", text.strip())
    text = _RULE_RE.sub(" ", text) if not re.search(r"\d", text) else re.sub(r"[-_=]{4,}", " ", text)
    text = _GLUED_LEVEL_RE.sub(" ", text)
    text = re.sub(f"^/\\s*(?=[{UPPER}])", "", text.strip())
    return " ".join(text.split())


def cells(text: str) -> list[str]:
    """The cells of a table row ("a | b", "| a | b |", a copied row "a<TAB>b"); one cell for a plain line."""
    if "|" not in text:
        inner = text.strip()
        return [c.strip() for c in re.split(r"\t+", inner)] if "\t" in inner else [text]
    parts = [p.strip() for p in text.strip().strip("|").split("|")]
    return [p for p in parts if not _SEPARATOR_CELL_RE.match(p)]


# --------------------------------------------------------------------------- anchors inside a cell

_ANCHORS = (
    r"cong hoa xa hoi chu nghia viet nam",
    r"doc lap\s*[-–]?\s*tu do\s*[-–]?\s*hanh\s*phuc",
    r"dang cong san viet nam",
    r"(?:(?:luat|nghi quyet|nghi dinh|quyet dinh|thong tu|phap lenh|lenh|chi thi)\s+)?so\s*:",
    r"so\s+(?=\d{1,5}\s*[-/])",
    r"v/v\b",
)
_ANCHOR_RE = re.compile("|".join(f"(?:(?<=\\s)|^)(?:{a})" for a in _ANCHORS))
_BANNER_HEAD_RE = re.compile(
    r"(?:doan (?:tncs|thanh nien cong san)|doi (?:tntp|thieu nien tien phong)) ho chi minh\b"
)
_NUMBER_THEN_SUBJECT_RE = re.compile(
    rf"(?:^|(?<=\s))[Ss][ốo]\s*:?\s*\d{{1,5}}\s*[-/][^\s]*[^\W_]\s+(?=[{UPPER}][{LOWER}]+\s+[{LOWER}])"
)
_SUBJECT_CUT_RE = re.compile(r"(?<=\s)Về\s+(?=[^\W\d_])")  # "Về" as written, never "VỀ" inside a name
_CITED_TYPE_RE = re.compile(
    r"\b(?:tai|theo|cua|ve|thuc hien|can cu|trien khai|huong dan)\s+(?:luat|nghi quyet|nghi dinh|quyet dinh|"
    r"thong tu|phap lenh|chi thi|ket luan|quy dinh|ke hoach|cong van|huong dan|thong bao|thong tri)$"
)
_AFTER_MOTTO_RE = re.compile(r"cong hoa xa hoi chu nghia viet nam|hanh\s*phuc|dang cong san viet nam")
_PLACE_DATE_RE = re.compile(r",\s*ngay\b")


def _cut_points(text: str) -> list[int]:
    k = key(text)
    if len(k) != len(text):
        return []
    cuts = {m.start() for m in _ANCHOR_RE.finditer(k)}
    cuts |= {m.start() for m in _SUBJECT_CUT_RE.finditer(text)}  # a cell's "Về việc …" under the issuer
    # "Số 21-CV/ĐU Hoãn tổ chức …": a subject in sentence case right after the number, in one cell
    cuts |= {m.end() for m in _NUMBER_THEN_SUBJECT_RE.finditer(text)}
    cuts |= {m.end() for m in _AFTER_MOTTO_RE.finditer(k)}
    if m := _BANNER_HEAD_RE.match(k):  # "ĐỘI TNTP HỒ CHÍ MINH HỘI ĐỒNG TRUNG ƯƠNG": banner, then issuer
        cuts.add(m.end())
    for m in _PLACE_DATE_RE.finditer(k):
        start = _place_start(text, m.start())
        if start is not None:
            cuts.add(start)
    kept, prev = [], 0
    for c in sorted(c for c in cuts if 0 < c < len(text)):
        seg = text[prev:c].strip(" ,;")
        # Cut only after header-like text: capitals (an issuing body) or a piece that is itself an anchor.
        head = k[prev:c].strip(" ,;")
        if _CITED_TYPE_RE.search(head):
            continue  # "… THEO QUY ĐỊNH TẠI NGHỊ ĐỊNH SỐ 100/2019/NĐ-CP": a title citing a document
        if is_caps(seg) or _ANCHOR_RE.match(head) or _AFTER_MOTTO_RE.match(head):
            kept.append(c)
            prev = c
    return kept


def _place_start(text: str, comma: int) -> int | None:
    """Start of the "<Địa danh>" (1-4 capitalised words) that ends at ``comma``; None when absent."""
    start = None
    for w in reversed(list(re.finditer(r"\S+", text[:comma]))[-4:]):
        word = w.group()
        if start is None and re.fullmatch(r"\d{1,2}", word):
            start = w.start()  # "Quận 8, ngày …": the number of a district
            continue
        if not word[:1].isupper() or (is_caps(word) and len(word) > 1):
            break
        start = w.start()
    if start is not None and text[start].isdigit():
        return None  # a number alone is no place
    if start is not None and (m := re.search(r"(?:Thành phố|Thị xã|Thị trấn|TP\.?|Tp\.?)\s*$", text[:start])):
        start = m.start()  # "Thành phố Hồ Chí Minh, ngày …": the level is part of the place's name
    return start


def _split_cell(text: str) -> list[str]:
    inner = _cut_points(text)
    if not inner:
        return [text] if text else []
    cuts = [0, *inner, len(text)]
    return [p for a, b in zip(cuts, cuts[1:], strict=False) if (p := text[a:b].strip(" ,;"))]


# --------------------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"ng[àa]y\s*(?P<d>\d{1,2})?[\s.…/]*th[áa]ng\s*(?P<m>\d{1,2})?[\s.…/]*n[ăa]m\s*(?P<y>\d{4})?", re.I
)
_DATE_SLASH_RE = re.compile(r"ng[àa]y\s+(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})", re.I)
_WEEKDAY_RE = re.compile(r"(?:^|\s)(?:Thứ\s+(?:Hai|Ba|Tư|Năm|Sáu|Bảy|[2-7])|Chủ\s+[Nn]hật)$", re.I)
_CLOCK_RE = re.compile(r"\s*[,|-]?\s*(?:lúc\s+)?\d{1,2}\s*[:h]\s*\d{2}\b", re.I)
_PLACE_RE = re.compile(r"^(?P<place>[^\W\d_][^,\d]{1,40}?(?:\s\d{1,2})?)\s*,\s*$")  # "Quận 9, ngày …"


def iso(y: str | None, m: str | None, d: str | None) -> str | None:
    if not (y and m and d):
        return None
    try:
        return datetime.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def month_of(text: str) -> str | None:
    """ "YYYY-MM" of a date line, its day blank or not ("Lương Minh, ngày   tháng 11 năm 2025")."""
    m = _DATE_SLASH_RE.search(text) or _DATE_RE.search(text)
    return f"{m.group('y')}-{int(m.group('m')):02d}" if m and m.group("y") and m.group("m") else None


def find_date(text: str) -> str | None:
    """ISO date of the first complete date anywhere in ``text`` ("ngày 22 tháng 7 năm 2021",
    "ngày 22/7/2021"); None when there is none."""
    found = sorted([*_DATE_SLASH_RE.finditer(text), *_DATE_RE.finditer(text)], key=lambda m: m.start())
    return next((d for m in found if (d := iso(m.group("y"), m.group("m"), m.group("d")))), None)


def parse_date(text: str) -> tuple[bool, str | None, str | None]:
    """(is a date line, place, ISO date) of "Khánh Hòa, ngày 04 tháng 02 năm 2020".

    A draft's blank day ("Lương Minh, ngày    tháng 11 năm 2025") is a date line with a place and no
    date: the date is never guessed.
    """
    m = _DATE_SLASH_RE.search(text) or _DATE_RE.search(text)
    if not m:
        return False, None, None
    before = text[: m.start()]
    pm = _PLACE_RE.match(before)
    if before.strip() and not pm:
        return False, None, None
    place = pm.group("place").strip() if pm else None
    if place and not place[:1].isupper():
        return False, None, None
    if (place and _WEEKDAY_RE.search(place)) or _CLOCK_RE.match(text[m.end() :]):
        return False, None, None  # "Thứ Sáu, ngày 23 tháng 08 năm 2019, 09:25:27": a page's timestamp
    return True, place, iso(m.group("y"), m.group("m"), m.group("d"))


# --------------------------------------------------------------------------- pieces


_LONE_STARS_RE = re.compile(r"(?:^|(?<=\s))\*+(?=\s|$)")  # the "*" under a Party issuer: decoration


def _open_emphasis(raw: str) -> bool:
    raw = _LONE_STARS_RE.sub("", raw)
    doubles = raw.count("**")
    singles = raw.replace("**", "").count("*")
    return doubles % 2 == 1 or singles % 2 == 1


def logical_lines(raw_text: str, lines: list, start: int, stop: int) -> list[tuple[int, int, str]]:
    """(first line, last line, text) of ``lines[start:stop]``, blank lines dropped, a line whose markdown
    emphasis is still open joined with the next ones (at most 4, never across a table row)."""
    out: list[tuple[int, int, str]] = []
    i = start
    stop = min(stop, len(lines))
    while i < stop:
        ln = lines[i]
        if ln.blank:
            i += 1
            continue
        text, raw, last = ln.text, raw_text[ln.start : ln.end], i
        while _open_emphasis(raw) and last + 1 < stop and last - i < 4 and "|" not in text:
            nxt = lines[last + 1]
            if nxt.blank or "|" in nxt.text:
                break
            last += 1
            text, raw = f"{text} {nxt.text}", f"{raw} {raw_text[nxt.start : nxt.end]}"
        out.append((i, last, text))
        i = last + 1
    return out


def pieces(raw_text: str, lines: list, start: int, stop: int) -> list[Piece]:
    """Pieces of ``lines[start:stop]`` (``retrieval.header.Line`` objects over ``raw_text``)."""
    out: list[Piece] = []
    for first, last, text in logical_lines(raw_text, lines, start, stop):
        row = cells(text)
        right = len(row) == 1 and _indent(raw_text, lines[first].start) >= RIGHT_INDENT
        for col, cell in enumerate(row):
            for part in _split_cell(clean(cell)):
                if not re.search(r"\w", part):
                    continue  # a lone "-" or "*" under a name: decoration, not a field
                out.append(Piece(first, part, col if len(row) > 1 else int(right), last))
    return _join_wrapped(out)


RIGHT_INDENT = 24  # a line pushed this far right by spaces is the right column of a text header


def _indent(raw_text: str, start: int) -> int:
    """Columns of spaces before the (trimmed) line starting at ``start``; a tab counts as 8."""
    head = raw_text[raw_text.rfind("\n", 0, start) + 1 : start]
    return len(head.expandtabs(8)) if not head.strip() else 0


_WRAP_HEADS = (
    re.compile(r"^(?:[^\W\d_]+\s+)?s[ốo]\s*:?$", re.I),  # "Số:" alone, "Luật số:" alone
    re.compile(r"ng[àa]y\s*\d{0,2}[\s.…]*th[áa]ng\s*\d{0,2}\s*$", re.I),  # date cut before "năm"
    re.compile(r"ng[àa]y\s*\d{0,2}\s*$", re.I),
    re.compile(r"h[ạa]nh$", re.I),  # "Độc lập - Tự do - Hạnh" / "phúc"
)
# "…, ngày 21 tháng 6 năm" / "2019"
_YEAR_CUT_RE = re.compile(r"ng[àa]y\s*\d{1,2}[\s.…]*th[áa]ng\s*\d{1,2}\s*n[ăa]m\s*$", re.I)
_MOTTOS = ("cong hoa xa hoi chu nghia viet nam", "dang cong san viet nam", "doc lap - tu do - hanh phuc")
_TYPE_WORDS = frozenset(["luat", "lenh"])  # one-word type lines ("LUẬT" above its title)
_TITLE_WORD = f"[{UPPER}][{LOWER}]*"
_PLACE_HEAD_RE = re.compile(f"^{_TITLE_WORD}(?:[ -]{_TITLE_WORD}){{0,2}}$")  # "Tam", "Hà", "Phan Rang"
# a name that must go on: "… ỦY BAN" / "NHÂN DÂN", "CỦA ỦY" / "BAN NHÂN DÂN …" (not "TỈNH ỦY")
_OPEN_UNIT_RE = re.compile(r"(?:^|\s)(?:ỦY BAN|UỶ BAN|HỘI ĐỒNG|VÀ|CỦA|VỀ|(?:CỦA|VÀ|VỀ) (?:ỦY|UỶ))$")
_PLACE_COMMA_RE = re.compile(f"^{_TITLE_WORD}(?:[ -]{_TITLE_WORD}){{0,2}},$")  # "Thọ Xuân,"
_PLACE_TAIL_RE = re.compile(r"^[^\W\d_]+(?:[ -][^\W\d_]+){0,3}\s*,\s*ng[àa]y\b")  # "Kỳ, ngày 19 …"


# How the body's first paragraphs open (a preamble's basis, the addressees): never part of a header
# field. ``header_pieces`` adds the openers of a body start; a subject's wrapped line is none of these.
BODY_OPENERS = ("Căn cứ", "Thực hiện", "Thi hành", "Theo đề nghị", "Trên cơ sở", "Kính gửi", "Sau khi")
_NOT_SUBJECT = (*BODY_OPENERS, "Xét ", "Nhằm ", "Để ", "Tiếp theo", "Phúc đáp", "Trả lời")


def wrapped(prev: str, nxt: str) -> bool:
    """``nxt`` continues ``prev``: a field whose line was wrapped inside its cell (web pages keep the
    source's line breaks: "ỦY" / "BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI" / "CHỦ NGHĨA VIỆT NAM", "Tam" /
    "Kỳ, ngày 19 tháng 6 năm 2007", "V/v tổ chức thi …" / "viên cao cấp …")."""
    if any(r.search(prev) for r in _WRAP_HEADS):
        return True
    cut_code = prev.endswith(("-", "/")) and re.fullmatch(r"[A-ZĐ0-9.&-]{1,15}", nxt)
    if cut_code and re.match(r"s[ốo]\b", prev, re.I):
        return True  # "Số: 255 / BC-BCĐPCGD-" / "XMC": the number's code cut after its dash
    if _YEAR_CUT_RE.search(prev):
        return bool(re.match(r"\d{4}\b", nxt))
    kp, kn = key(prev), key(nxt)
    if any(m != kp and m.startswith(kp) and m.startswith(f"{kp} {kn}".strip()) for m in _MOTTOS):
        return True
    if is_caps(prev) and is_caps(nxt) and re.fullmatch(r"[^\W\d_]{2,}", prev) and kp not in _TYPE_WORDS:
        return True  # a lone capital word is never a whole field: "ỦY", "BỘ", "HỘI"
    if is_caps(prev) and is_caps(nxt) and _OPEN_UNIT_RE.search(prev):
        return True  # "CHỦ TỊCH ỦY BAN" / "NHÂN DÂN"
    if _PLACE_HEAD_RE.match(prev) and _PLACE_TAIL_RE.match(nxt):
        return True
    if _PLACE_COMMA_RE.match(prev) and re.match(r"ng[àa]y\b", nxt):
        return True  # "Thọ Xuân," / "ngày 17 tháng 7 năm 2018"
    if not is_vv(prev):
        return False
    quoted = prev[:1] in '“"' and not re.search(r"[”\"]$", prev[1:])
    if quoted or nxt[:1].islower():
        return True  # a quoted "“V/v …" goes on to its closing quote
    # "V/v Hướng dẫn thực hiện nhiệm vụ" / "Giáo dục trung học năm học 2014-2015": a subject line in
    # sentence case under an open one, before the addressees
    return (
        re.match(r"[“\"]?V/[vV]\b", prev) is not None
        and prev[-1:] not in ".;:"
        and nxt[:1].isupper()
        and not is_caps(nxt)
        and len(nxt) <= 100
        and len(nxt.split()) >= 3  # not a place head ("Hà" / "Nội, ngày …")
        and not re.match(r"(?:kinh gui|so\b|ngay\s*[\d.…/]|ngay\s*$)", key(nxt))  # not "Ngày sinh …"
        and not parse_date(nxt)[0]
        and not nxt.startswith(_NOT_SUBJECT)  # "Thực hiện Kết luận số …": the body, after a blank line
        and nxt[-1:] not in ".:;!?"  # a sentence of the body, not the rest of a subject
    )


def is_vv(text: str) -> bool:
    """A letter's subject line: "V/v …", also quoted ("“V/v Triển khai …”"), or "Về …" under the number."""
    return bool(_LETTER_SUBJECT_RE.match(text))


def letter_subject(text: str) -> str:
    """The subject of a letter's subject line: "V/v tổ chức …" -> "tổ chức …"; "Về …" kept whole."""
    return _LETTER_SUBJECT_RE.sub("", text).strip(' :.”"')


_LETTER_SUBJECT_RE = re.compile(r"^[“\"]?(?:V/[vV]\b\s*:?\s*|(?=Về\s))")


def _join_wrapped(items: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for p in items:
        if out and out[-1].col == p.col and wrapped(out[-1].text, p.text):
            prev = out[-1]
            out[-1] = Piece(prev.index, f"{prev.text} {p.text}", prev.col, p.end_index)
        else:
            out.append(p)
    return out
