"""Query understanding: boilerplate cleanup and document numbers (số/ký hiệu) named in a query."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.segment import strip_accents

# Phrases that carry no content: quiz framing, politeness, "according to the law".
_BOILERPLATE = [
    r"\bđúng\s+hay\s+sai\b",
    r"\bđúng\s+hoặc\s+sai\b",
    r"\b(?:hãy|xin|vui lòng)\s+cho\s+(?:tôi\s+)?biết\b",
    r"\bcho\s+tôi\s+hỏi\b",
    r"\bxin\s+hỏi\b",
    r"\bnhận\s+định\s+(?:sau|này)\b",
    r"\bkhẳng\s+định\s+(?:sau|này)\b",
]
_BOILERPLATE_RE = re.compile("|".join(_BOILERPLATE), re.IGNORECASE)
_BOILERPLATE_PLAIN_RE = re.compile("|".join(strip_accents(p) for p in _BOILERPLATE), re.IGNORECASE)

# Type words and the initials they take in a số/ký hiệu ("Kế hoạch" -> "KH").
DOC_TYPES = {
    "kế hoạch": "KH",
    "chỉ thị": "CT",
    "nghị quyết": "NQ",
    "quyết định": "QĐ",
    "hướng dẫn": "HD",
    "thông báo": "TB",
    "kết luận": "KL",
    "quy định": "QĐ",
    "công văn": "CV",
    "đề án": "ĐA",
    "chương trình": "CTR",
    "quy chế": "QC",
    "báo cáo": "BC",
}
_TYPES_ALT = "|".join(sorted(DOC_TYPES, key=len, reverse=True))
# "427-KH/TU", "37/KH-MTTQ-BTT", "12/2024/NQ-HĐND", "45/2023/UBTVQH15": a year may stand between the
# number and the codes, and a code may end in a term number.
_CODE = r"[A-Za-zĐđ]{1,10}\d{0,3}"
_FULL_NUMBER = re.compile(
    rf"\b(\d{{1,5}})((?:\s*/\s*(?:19|20)\d\d)?\s*[-/]\s*{_CODE}(?:\s*[-/]\s*{_CODE}){{0,4}})(?![\w/])"
)
_TYPED_NUMBER = re.compile(rf"\b({_TYPES_ALT}|số)\s+(?:số\s+)?(\d{{1,5}})\b", re.IGNORECASE)


def clean_query(query: str) -> str:
    """Remove quiz/politeness boilerplate and stray punctuation; keep the content words."""
    q = _BOILERPLATE_RE.sub(" ", query)
    q = _BOILERPLATE_PLAIN_RE.sub(" ", q)
    q = re.sub(r"[?!]+", " ", q)
    q = re.sub(r"\s*,\s*(?=$|\s*\.?$)", " ", q)
    q = re.sub(r"\s+", " ", q).strip(" ,.;:")
    return q or query.strip()


def normalize_number(number: str, suffix: str) -> str:
    """'427', 'kh / tu' -> '427-KH/TU'; '37', '/KH-MTTQ' -> '37/KH-MTTQ' (separators as typed, leading
    zeros kept; ``loose_key`` compares them)."""
    suffix = suffix.strip()
    sep = suffix[0] if suffix[:1] in "-/" else "-"
    parts = re.split(r"\s*([-/])\s*", suffix.lstrip("-/ ").strip())
    return f"{number}{sep}" + "".join(p.upper() for p in parts)


def loose_key(so_ky_hieu: str) -> str:
    """Matching key of a số/ký hiệu: ``number_key`` (no diacritics, no leading zeros, "NĐ" = "ND") with
    "-" and "/" taken as the same separator ("37/KH-MTTQ-BTT" = "37-KH/MTTQ-BTT")."""
    from retrieval.normalize import number_key

    return re.sub(r"[-/]", "-", number_key(so_ky_hieu)).upper()


@dataclass(frozen=True)
class NumberRef:
    number: str  # "427"
    initials: str | None  # "KH" when the type is known
    full: str | None  # "427-KH/TU" when typed in full

    def matches(self, so_ky_hieu: str | None) -> bool:
        if not so_ky_hieu:
            return False
        norm = so_ky_hieu.upper().replace(" ", "")
        if self.full:
            return loose_key(norm) == loose_key(self.full)
        m = re.match(r"0*(\d+)(?:/(?:19|20)\d\d)?[-/]([A-ZĐ]+)", norm)
        if not m or m.group(1) != self.number.lstrip("0"):
            return False
        return self.initials is None or m.group(2) == self.initials

    def pattern(self) -> re.Pattern:
        """Matches a mention of this number in running text ("05-CT/TW", "05 -CT/TW", "Chỉ thị số 05")."""
        num = self.number.lstrip("0") or "0"
        if self.full:
            suffix = re.split(r"[-/]", self.full, maxsplit=1)[1]
            body = r"\s*[-/]\s*".join(re.escape(p) for p in re.split(r"[-/]", suffix))
            return re.compile(rf"\b0*{num}\s*[-/]\s*{body}\b", re.IGNORECASE)
        if self.initials:
            return re.compile(rf"\b0*{num}\s*[-/]\s*{re.escape(self.initials)}\b", re.IGNORECASE)
        return re.compile(rf"\bsố\s+0*{num}\b", re.IGNORECASE)


def number_refs(query: str) -> list[NumberRef]:
    refs: list[NumberRef] = []
    for m in _FULL_NUMBER.finditer(query):
        full = normalize_number(m.group(1), m.group(2))
        codes = [p for p in re.split(r"[-/]", full)[1:] if not re.fullmatch(r"\d{4}", p)]
        initials = codes[0] if codes else None
        refs.append(NumberRef(m.group(1), initials, full))
    taken = {r.number for r in refs}
    for m in _TYPED_NUMBER.finditer(query):
        if m.group(2) in taken:
            continue
        word = m.group(1).lower()
        refs.append(NumberRef(m.group(2), DOC_TYPES.get(word), None))
    return refs
