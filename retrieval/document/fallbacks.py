"""Fallbacks for fields a document's own header does not give.

- a web page's metadata block: label/value pieces ("Số hiệu", "Ngày ban hành", "Loại văn bản",
  "Người ký" …), the value on the same piece or the next one, a title line "Văn bản hợp nhất số … <trích
  yếu>"; the block ends where the document's own header starts (motto or type line);
- an adoption clause near the end when the header has no date ("… thông qua ngày 14 tháng 8 năm 2025",
  "This Law was passed on June 20, 2013");
- a translation's enacting sentence for the issuer ("The National Assembly promulgates …").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.document.header_lines import Piece, iso
from retrieval.normalize import document_type_of_number

_WEB_LABELS = (
    "Nội dung văn bản", "Ký hiệu", "Số hiệu", "Ngày ban hành", "Ngày ký xác thực", "Ngày hết hiệu lực",
    "Ngày hiệu lực", "Ngày có hiệu lực", "Trích yếu", "Cơ quan ban hành", "Nơi ban hành", "Loại văn bản",
    "Lĩnh vực", "Tập tin đính kèm", "Người ký", "Chức danh", "Ngày công báo", "Số công báo", "Tình trạng",
    "Ngành", "Ngày cập nhật", "Từ khóa", "Ngày phát hành",
)  # fmt: skip
_NEXT_LABEL_RE = re.compile(r"(?:^|\s)(" + "|".join(sorted(_WEB_LABELS, key=len, reverse=True)) + r")\s*:")
_WEB_TITLE_RE = re.compile(
    r"^(?:Văn bản hợp nhất|Luật|Nghị định|Thông tư|Nghị quyết|Quyết định) số \S+ (.{10,})"
)
_ENGLISH_ISSUERS = {
    "the national assembly": "Quốc hội", "the government": "Chính phủ",
    "the national assembly standing committee": "Ủy ban Thường vụ Quốc hội",
    "the standing committee of the national assembly": "Ủy ban Thường vụ Quốc hội",
}  # fmt: skip
_ENGLISH_ISSUER_RE = re.compile(r"^(" + "|".join(_ENGLISH_ISSUERS) + r") (?:promulgates|hereby|issues)", re.I)
_ADOPTED_RE = re.compile(r"thông qua ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})")
_PASSED_RE = re.compile(r"(?:was|were) passed on (\w+) (\d{1,2}), (\d{4})")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _fields_of(text: str) -> list[tuple[str, str]]:
    """Label/value pairs of one piece: a search form prints several on a line ("Người ký : Dương Ngọc
    Long Nơi ban hành : UBND TỈNH …"); a value ends where the next label starts."""
    first = _label(text)
    if first is None:
        return []
    out: list[tuple[str, str]] = []
    name, rest = first
    while m := _NEXT_LABEL_RE.search(rest):
        out.append((name, rest[: m.start()].strip(" :")))
        name, rest = m.group(1), rest[m.end() :]
    out.append((name, rest.strip(" :")))
    return out


def _label(text: str) -> tuple[str, str] | None:
    lab = next((lab for lab in _WEB_LABELS if text.startswith(lab)), None)
    if lab is None:
        return None
    rest = text[len(lab) :]
    if rest and rest[0].isalpha() and not rest.startswith(" "):
        return None
    return lab, rest.strip(" :")


def web_block(items: list[Piece], is_header: Callable[[str], bool]) -> tuple[int, dict[str, str]]:
    """(line index after the block, fields) of a scraped page's metadata block; (0, {}) when absent."""
    fields: dict[str, str] = {}
    end = 0
    for i, p in enumerate(items[:120]):
        if is_header(p.text) and len(fields) >= 2:
            break
        if pairs := _fields_of(p.text):
            *before, (name, value) = pairs
            nxt = items[i + 1] if i + 1 < len(items) else None
            if not value and nxt and not _label(nxt.text) and not is_header(nxt.text):
                value = nxt.text
                end = max(end, nxt.end_index + 1)
            for n, v in (*before, (name, value)):
                if v:
                    fields.setdefault(n, v)
            end = max(end, p.end_index + 1)
        elif p.text == "Nội dung" and fields:
            return p.end_index + 1, fields
        elif m := _WEB_TITLE_RE.match(p.text):
            fields.setdefault("Tiêu đề", m.group(1).strip(" ,."))
    return (end, fields) if len(fields) >= 2 else (0, {})


def english_issuer(body: list) -> str | None:
    """A translation's enacting sentence: "The National Assembly promulgates …" -> "Quốc hội"."""
    for ln in body[:15]:
        if m := _ENGLISH_ISSUER_RE.match(ln.text):
            return _ENGLISH_ISSUERS[m.group(1).lower()]
    return None


def adoption_date(lines: list, body_start: int) -> str | None:
    """The date of an adoption clause in the document's second half ("… thông qua ngày …")."""
    n = len(lines)
    for ln in lines[max(body_start, n // 2) :]:
        if m := _ADOPTED_RE.search(ln.text):
            return iso(m.group(3), m.group(2), m.group(1))
        if (m := _PASSED_RE.search(ln.text)) and m.group(1).lower() in _MONTHS:
            return iso(m.group(3), str(_MONTHS.index(m.group(1).lower()) + 1), m.group(2))
    return None


def web_type(field: str, so: str | None) -> str | None:
    options = [o.strip().capitalize() for o in field.split(",") if o.strip()]
    preferred = document_type_of_number(so or "")
    return preferred if preferred in options else (options[0] if options else None)
