"""Where a catalogue value stands in a line of the document, and the piece of that line worth quoting:
the table cell holding it, or a window of whole words around it (a web page's header is one joined row:
"BỘ CÔNG AN Số: 15/2024/TT-BCA | CỘNG HÒA … Hà Nội, ngày 03 tháng 5 năm 2024"). Pure functions."""

from __future__ import annotations

import re

from retrieval.catalog.graph import DocEntry
from retrieval.types import Span

MAX_LINE = 160  # longer sentences are narrowed to the cell / window around the value
WINDOW = 60  # characters kept on each side of the value when a cell is still too long


def value_pattern(field: str, e: DocEntry) -> re.Pattern[str] | None:
    """How the catalogue value of ``field`` is printed (case-insensitive, spaces loose)."""
    md = e.metadata
    if field == "ngay_ban_hanh":
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", md.ngay_ban_hanh or "")
        if not m:
            return None
        y, mo, d = m[1], int(m[2]), int(m[3])
        return re.compile(
            rf"ngày\s+0?{d}\s+tháng\s+0?{mo}\s+năm\s+{y}|(?<!\d)0?{d}\s*[/.-]\s*0?{mo}\s*[/.-]\s*{y}(?!\d)",
            re.IGNORECASE,
        )
    value = {
        "nguoi_ky": md.nguoi_ky,
        "co_quan_ban_hanh": md.co_quan_ban_hanh,
        "so_ky_hieu": md.so_ky_hieu,
    }.get(field)
    if not value or len(value.strip()) < 3:
        return None
    words = [re.escape(w) for w in value.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def narrow(text: str, span: Span, hit: tuple[int, int]) -> Span:
    """The table cell (" | ") of the sentence holding the value, or a window around it."""
    s, e = span
    a, b = hit
    if e - s <= MAX_LINE and "|" not in text[s:e]:
        return span
    left = text.rfind("|", s, a)
    right = text.find("|", b, e)
    cs, ce = (left + 1 if left >= 0 else s), (right if right >= 0 else e)
    if ce - cs > MAX_LINE:  # a window of whole words around the value
        ws, we = max(cs, a - WINDOW), min(ce, b + WINDOW)
        if ws > cs:
            ws = text.find(" ", ws, a) + 1 or a
        if we < ce:
            k = text.rfind(" ", b, we)
            we = k if k > b else b
        cs, ce = ws, we
    while cs < ce and text[cs].isspace():
        cs += 1
    while ce > cs and text[ce - 1].isspace():
        ce -= 1
    return (cs, ce)
