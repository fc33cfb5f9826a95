"""Checkable facts of a sentence (dates, document numbers, percentages, numbers, quoted spans) and
whether a source text contains them. Pure functions; see ``normalize`` for the spelling rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from retrieval.answer.normalize import fold, norm, syllables

Date = tuple[int | None, int | None, int | None]  # (day, month, year)

_D, _M, _Y = r"(\d{1,2})", r"(\d{1,2})", r"(\d{4})"
# Patterns over folded text (lower case, no diacritics, no spaces around - and /).
_DATE_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(rf"(?<![\d/.\-]){_D}[/.\-]{_M}[/.\-]{_Y}(?!\d)"), "dmy"),
    (re.compile(rf"ngay\s+{_D}\s+thang\s+{_M}\s+(?:nam\s+)?{_Y}(?!\d)"), "dmy"),
    (re.compile(rf"ngay\s+{_D}\s+thang\s+{_M}(?![\d/])"), "dm"),
    (re.compile(rf"thang\s+{_M}\s*(?:/|-|\s+nam\s+){_Y}(?!\d)"), "my"),
    (re.compile(rf"(?<![\d/.\-]){_D}/{_M}(?![\d/])"), "dm"),
)
_CODE = re.compile(r"(?<![\w/\-])(\d+[a-z]*(?:[/\-][a-zđ][a-zđ0-9]*)+)(?![\w])")
_PERCENT = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s?%")
_NUMBER = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)*)(?![\d])")
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{3,}?)[\"“”«»]")
_MARKERS = re.compile(r"\[[^\[\]]{0,20}\d[^\[\]]{0,20}\]")
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,2}|[ivx]{1,4}|[a-z])[.)]\s+", re.IGNORECASE)
# Syllables that carry no content for the overlap test, accented (folding would merge "bao" of
# "bao gồm" with "báo" of "báo cáo"). "kế hoạch", "văn bản": the document talking about itself.
_FUNCTION_WORDS = (
    "và của các là được có cho trong với theo về những này để từ một đã thì như khi đến tại do đó nào gì "
    "ai hay hoặc không phải sẽ đang cũng vào trên dưới ra mà thuộc bao gồm kế hoạch văn bản"
)
_FUNCTION_SYLLABLES = frozenset(_FUNCTION_WORDS.split())
_LETTERS = re.compile(r"[^\W\d_]+")
_FUNCTION_NORM = frozenset(norm(w) for w in _FUNCTION_SYLLABLES)  # tone-mark convention independent


@dataclass(frozen=True)
class Facts:
    dates: tuple[Date, ...] = ()
    codes: tuple[str, ...] = ()  # folded document numbers, e.g. "427-kh/tu"
    percents: tuple[str, ...] = ()  # "100", "2,5"
    numbers: tuple[str, ...] = ()  # other numbers as written, e.g. "2020", "6"
    quotes: tuple[str, ...] = ()  # quoted spans as written

    @property
    def empty(self) -> bool:
        return not (self.dates or self.codes or self.percents or self.numbers or self.quotes)


def strip_list_marker(text: str) -> str:
    return _LIST_MARKER.sub("", text, count=1)


def _blank(text: str, m: re.Match) -> str:
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]


def _as_date(kind: str, g: list[int]) -> Date:
    if kind == "dmy":
        return g[0], g[1], g[2]
    if kind == "dm":
        return g[0], g[1], None
    return None, g[0], g[1]


def find_dates(folded: str) -> tuple[list[Date], str]:
    """Dates in folded text and the text with them blanked out."""
    found: list[Date] = []
    for pat, kind in _DATE_PATTERNS:
        while m := pat.search(folded):
            date = _as_date(kind, [int(x) for x in m.groups()])
            day, month = date[0], date[1]
            if (day is None or 1 <= day <= 31) and month is not None and 1 <= month <= 12:
                found.append(date)
            folded = _blank(folded, m)
    return found, folded


def extract_facts(text: str) -> Facts:
    """The facts a sentence asserts: every one must be found in the passage it cites."""
    text = _MARKERS.sub(" ", unicodedata.normalize("NFC", text))
    quotes = tuple(q.strip(" .,;:…") for q in _QUOTED.findall(text))
    folded = fold(strip_list_marker(text))
    dates, rest = find_dates(folded)
    codes = [m.group(1) for m in _CODE.finditer(rest)]
    rest = _CODE.sub(lambda m: " " * len(m.group()), rest)
    percents = [m.group(1) for m in _PERCENT.finditer(rest)]
    rest = _PERCENT.sub(lambda m: " " * len(m.group()), rest)
    numbers = [m.group(1) for m in _NUMBER.finditer(rest)]
    return Facts(tuple(dates), tuple(codes), tuple(percents), tuple(numbers), tuple(q for q in quotes if q))


@dataclass(frozen=True)
class SourceIndex:
    """A source text prepared for fact lookups."""

    normalized: str
    folded: str
    dates: tuple[Date, ...]
    syllables: frozenset[str]

    @classmethod
    def of(cls, text: str) -> SourceIndex:
        folded = fold(text)
        dates, _ = find_dates(folded)
        return cls(norm(text), folded, tuple(dates), frozenset(syllables(text)))


def date_supported(date: Date, src: SourceIndex) -> bool:
    d, m, y = date
    for sd, sm, sy in src.dates:
        if sm != m:
            continue
        if d is not None and sd != d:
            continue
        if y is not None and sy is not None and sy != y:
            continue
        if y is not None and sy is None and not number_supported(str(y), src):
            continue
        if d is None and sd is not None and y is not None and sy is None:
            continue
        return True
    return False


def number_supported(number: str, src: SourceIndex) -> bool:
    if re.fullmatch(r"\d+", number):
        pattern = rf"(?<![\d.,])0*{int(number)}(?![\d])|(?<![\d]){re.escape(number)}(?![\d])"
    else:
        pattern = rf"(?<![\d]){re.escape(number)}(?![\d])"
    return re.search(pattern, src.folded) is not None


def code_supported(code: str, src: SourceIndex) -> bool:
    return re.search(rf"(?<![\w]){re.escape(code)}(?![\w])", src.folded) is not None


def percent_supported(value: str, src: SourceIndex) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(value)}\s?(?:%|phan tram)", src.folded) is not None


def quote_supported(quote: str, src: SourceIndex) -> bool:
    return norm(quote) in src.normalized


def missing_facts(facts: Facts, sources: list[SourceIndex]) -> list[str]:
    """Facts that none of ``sources`` contains, described for the log (empty list = all supported)."""
    missing: list[str] = []
    for date in facts.dates:
        if not any(date_supported(date, s) for s in sources):
            missing.append("ngày " + "/".join(str(x) for x in date if x is not None))
    for code in facts.codes:
        if not any(code_supported(code, s) for s in sources):
            missing.append(f"số hiệu {code.upper()}")
    for p in facts.percents:
        if not any(percent_supported(p, s) for s in sources):
            missing.append(f"{p}%")
    for num in facts.numbers:
        if not any(number_supported(num, s) for s in sources):
            missing.append(f"số {num}")
    for q in facts.quotes:
        if not any(quote_supported(q, s) for s in sources):
            missing.append(f"trích dẫn “{q}”")
    return missing


def tagged_syllables(text: str) -> list[tuple[str, bool]]:
    """(accent-free syllable, is a function word) for each syllable of ``text``, in order."""
    out = []
    for syl in _LETTERS.findall(unicodedata.normalize("NFC", text).lower()):
        folded = fold(syl)
        out.append((folded, len(folded) <= 1 or norm(syl) in _FUNCTION_NORM))
    return out


def content_syllables(text: str) -> list[str]:
    """Accent-free syllables of ``text`` that carry content."""
    return [s for s, function in tagged_syllables(text) if not function]
