"""Hard-wrapped text: lines cut at a fixed width, not at the end of a sentence.

PDF text layers, web copies that keep their source's line breaks and plain-text exports cut every
sentence into lines of about the same length. A cut line is continued by the next one when it left its
sentence open and the next line starts in lower case ("… chính quyền địa" / "phương ngày …"), or —
where the text is hard-wrapped — when it was cut mid-sentence near the full width before a capital
("… do bà mua của ông" / "Dương Quốc K, …"). Pure functions shared by the structure parser (one
paragraph) and the answer's sentence splitter (one quoted sentence).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MIN_LINES = 6  # fewer lines say nothing about a wrap width
MAX_WIDTH = 130  # wider lines are paragraphs, not a page's or a window's width
NEAR_FULL = 0.8  # a line this share of the width or longer was cut by the wrap
_FULL_SHARE = 0.3  # share of lines near the width in hard-wrapped text (paragraphs: ~0.15)
_OPENERS = re.compile(
    r"^(?:[-–—•+*·|#>]|\d{1,2}(?:\.\d{1,2})*\s*[.)]\s|[a-zđ]\s*\)\s|[IVX]{1,4}\s*[.\-–)]\s|"
    r"(?:Điều|Chương|Mục|Phần)\s+[\dIVXLC]+\b)"
)
_MARKUP = "*_ \t\u00a0"
_CLOSERS = "”\"'’)]»"
_OPEN_END = ".!?;:…"
MID_SENTENCE = ",~-–+(/&"  # a line cut after these is cut mid-sentence ("… cho xã hội ~" / "100 tỷ …")


def wrap_width(lengths: Sequence[int]) -> int:
    """The width at which a text was hard-wrapped (its 90th-percentile line length), or 0 when its
    lines are paragraphs: at least MIN_LINES lines, that width at most MAX_WIDTH, and a good share of
    the lines within 15 % of it."""
    sizes = sorted(n for n in lengths if n > 0)
    if len(sizes) < MIN_LINES:
        return 0
    width = sizes[int(len(sizes) * 0.9)]
    if not 40 <= width <= MAX_WIDTH:
        return 0
    near = sum(1 for n in sizes if 0.85 * width <= n <= 1.15 * width)
    return width if near >= _FULL_SHARE * len(sizes) else 0


def text_width(text: str) -> int:
    """``wrap_width`` of the lines of ``text``."""
    return wrap_width([len(line.strip()) for line in text.split("\n")])


def ends_open(line: str) -> bool:
    """The line leaves its sentence open: it ends with neither sentence punctuation nor a colon."""
    body = line.strip(_MARKUP).rstrip(_CLOSERS + _MARKUP)
    return bool(body) and body[-1] not in _OPEN_END


def opens_item(line: str) -> bool:
    """The line starts an item of its own: a bullet, a number ("1.", "a)", "II."), an article or
    chapter, a markdown heading or table row."""
    return bool(_OPENERS.match(line.lstrip(" \t\u00a0")))


def continues(prev: str, nxt: str, width: int = 0) -> bool:
    """``nxt`` continues the sentence the line ``prev`` left open (``width``: the text's wrap width,
    0 when it is not hard-wrapped)."""
    if not ends_open(prev) or opens_item(nxt) or "|" in prev or "|" in nxt:  # table rows stand alone
        return False
    body = prev.strip(_MARKUP).rstrip(_CLOSERS)
    if body.upper() == body:  # a line in capitals is a heading, a type line or a header cell
        return False
    first = nxt.strip(_MARKUP).lstrip("“\"'‘(")[:1]
    if first.islower():
        return True
    if not width or not (first.isupper() or first.isdigit()):
        return False
    mid_sentence = body[-1:].isalnum() or body[-1:] in MID_SENTENCE
    return mid_sentence and len(prev.strip()) >= NEAR_FULL * width
