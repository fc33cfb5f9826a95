"""Text normalization for matching, with an exact map back to the source text.

One pipeline, used for document text and queries alike:

1. Unicode NFC.
2. One tone-mark convention, the traditional one ("hòa", "khỏe", "thủy"): in a syllable that ends
   in "oa", "oe" or "uy" with the tone mark on the second vowel, the mark moves to the first vowel
   ("hoà" -> "hòa", "HOÀ" -> "HÒA", "thuỷ" -> "thủy"); after "q" nothing moves ("quý" stays). The
   move is length-preserving.
3. Markdown emphasis (``**``, ``*``, ``__``) and noise characters (the Myanmar block that OCR
   sometimes emits, zero-width/format characters, control characters, private-use code points) are
   removed.
4. Runs of whitespace become one space; leading and trailing whitespace is dropped.

``normalize_text`` also returns, for every output character, the source range it came from, so a
match in normalized text can be shown to the user as the exact source text.

Document numbers (số/ký hiệu) have one normalized form everywhere: no spaces around "-" and "/",
dashes unified to "-", letters upper-cased ("Số: 427 - KH/TU" -> "427-KH/TU", "733/QĐ-TTg" ->
"733/QĐ-TTG"). ``number_key`` further drops diacritics and leading zeros for exact comparison.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "NormalizedText",
    "document_type_of_number",
    "find_document_numbers",
    "find_partial_numbers",
    "has_diacritics",
    "normalize_query",
    "normalize_so_ky_hieu",
    "normalize_text",
    "number_key",
    "number_matches",
    "strip_accents",
]

# --------------------------------------------------------------------------- accents

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def _build_accent_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "D"}
    for lo, hi in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for cp in range(lo, hi):
            base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
            if len(base) == 1 and base.isascii() and base != chr(cp):
                table[cp] = base
    for cp in range(0x0300, 0x0370):  # stray combining marks (input that is not NFC)
        table[cp] = None
    return table


_ACCENT_TABLE = _build_accent_table()


def strip_accents(s: str) -> str:
    """Remove Vietnamese diacritics ("Đảng" -> "Dang"); length-preserving on NFC input."""
    return s.translate(_ACCENT_TABLE)


def has_diacritics(s: str) -> bool:
    """True when ``s`` carries any diacritic (including đ/Đ)."""
    return any(ord(c) in _ACCENT_TABLE for c in s)


# --------------------------------------------------------------------------- normalize_text


@dataclass(frozen=True)
class NormalizedText:
    """Normalized text plus, per output character, the source range ``[offsets[i], ends[i])``."""

    text: str
    offsets: Sequence[int]  # index in the source of the (first) character behind output char i
    ends: Sequence[int]  # index just past the source character(s) behind output char i
    # (compact int arrays: a document's lines keep one entry per character while it is parsed)
    source_length: int = 0

    def to_source_span(self, i: int, j: int) -> tuple[int, int]:
        """Source span ``(start, end)`` covering output characters ``text[i:j]``."""
        if not 0 <= i <= j <= len(self.text):
            raise IndexError(f"span ({i}, {j}) outside 0..{len(self.text)}")
        if i == j:
            pos = self.offsets[i] if i < len(self.offsets) else self.source_length
            return pos, pos
        return self.offsets[i], self.ends[j - 1]


def _toned(bases: str) -> str:
    return "".join(unicodedata.normalize("NFC", b + m) for b in bases for m in _TONE_MARKS)


_TONE_MOVE_RE = re.compile(f"([oOuU])([{_toned('aAeEyY')}])(?![^\\W\\d_])")
_TONE_PAIRS = frozenset({"oa", "oe", "uy"})
_VOWELS = frozenset("aeiouy")


def _move_tone_marks(chars: list[str]) -> None:
    """Apply the traditional tone placement in place (see module docstring)."""
    text = "".join(chars)
    for m in _TONE_MOVE_RE.finditer(text):
        i = m.start()
        first, second = m.group(1), m.group(2)
        decomposed = unicodedata.normalize("NFD", second)
        base, marks = decomposed[0], decomposed[1:]
        if (first + base).lower() not in _TONE_PAIRS or len(marks) != 1:
            continue
        if i > 0 and text[i - 1].isalpha():
            prev = strip_accents(text[i - 1]).lower()
            if prev in _VOWELS or prev == "q":
                continue
        chars[i] = unicodedata.normalize("NFC", first + marks)
        chars[i + 1] = base


def _is_noise(c: str) -> bool:
    cp = ord(c)
    if 0x1000 <= cp <= 0x109F:  # Myanmar block: OCR noise in Vietnamese scans
        return True
    cat = unicodedata.category(c)
    if cat == "Cc":
        return not c.isspace()
    return cat in ("Cf", "Co", "Cs")


_EMPHASIS_RE = re.compile(r"\(\*+\)|\*+|_{2,}")


def normalize_text(s: str) -> NormalizedText:
    """Normalize ``s`` for matching; the result maps every character back to ``s``."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    if unicodedata.is_normalized("NFC", s):
        chars = list(s)
        starts = list(range(len(s)))
        ends = [i + 1 for i in starts]
    else:
        i = 0
        while i < len(s):
            j = i + 1
            while j < len(s) and unicodedata.combining(s[j]):
                j += 1
            for c in unicodedata.normalize("NFC", s[i:j]):
                chars.append(c)
                starts.append(i)
                ends.append(j)
            i = j
    _move_tone_marks(chars)
    keep = [not _is_noise(c) for c in chars]
    for m in _EMPHASIS_RE.finditer("".join(chars)):
        if not m.group().startswith("("):  # "(*)" is a real annotation mark, keep it
            keep[m.start() : m.end()] = [False] * (m.end() - m.start())
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    for c, k, st, en in zip(chars, keep, starts, ends, strict=True):
        if not k:
            continue
        if c.isspace():
            if not out or out[-1] == " ":
                continue
            c = " "
        out.append(c)
        out_starts.append(st)
        out_ends.append(en)
    if out and out[-1] == " ":
        out.pop()
        out_starts.pop()
        out_ends.pop()
    return NormalizedText("".join(out), array("q", out_starts), array("q", out_ends), len(s))


def normalize_query(s: str) -> str:
    """The normalized text of ``s`` (same pipeline as documents; case is kept)."""
    return normalize_text(s).text


# --------------------------------------------------------------------------- document numbers

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_NUMBER_PREFIX_RE = re.compile(r"^(?:s[ốo]|k[ýy] hi[ệe]u|s[ốo] v[àa] k[ýy] hi[ệe]u)\s*[:.]?\s*", re.I)
_SEP = r"[ \t\u00a0]{0,3}[-–—/][ \t\u00a0]{0,3}"
_PART = r"(?:\d{4}|[^\W\d_](?:[^\W_]| ?& ?(?=[^\W\d_]))*)"  # "PGD&ĐT", "SNN&PTNT", "BGD &ĐT"
_NUMBER_RE = re.compile(rf"(?<![\w./\-–])\d{{1,5}}[a-zA-Z]?(?:{_SEP}{_PART})+(?!\w)")
_SPACED_PART_RE = re.compile(r"\s[-–—/]?\s*([^\W\d_])|[-–—/]\s+([^\W\d_])")


def _without_prose(candidate: str) -> str:
    """ "12/QĐ-UBND & Công văn": an "&" before a word in lower case joins prose, not a code ("PGD&ĐT")."""
    for m in re.finditer(r" ?& ?([^\W\d_]+)", candidate):
        if m.group(1) != m.group(1).upper():
            return candidate[: m.start()]
    return candidate


def _is_document_number(candidate: str) -> bool:
    if "/" not in candidate or not re.search(r"[-/][ \t\u00a0]*[^\W\d_]", candidate):
        return False
    # A letter part after a spaced separator must be capitalised ("2020 - các/..." is prose).
    return all((m.group(1) or m.group(2)).isupper() for m in _SPACED_PART_RE.finditer(candidate))


def _clean_number(s: str) -> str:
    s = _NUMBER_PREFIX_RE.sub("", s.translate(_DASHES))
    s = re.sub(r"\s*([-/&])\s*", r"\1", s)
    return s.strip(" .,;:").upper()


def normalize_so_ky_hieu(s: str) -> str:
    """Normalize a document number: "Số:  427 - KH/TU" -> "427-KH/TU", "733/QĐ-TTg" -> "733/QĐ-TTG".

    When ``s`` holds a recognisable number among other words ("Chỉ thị 05-CT/TW"), that number is
    returned; otherwise the whole string is cleaned.
    """
    s = normalize_query(s)
    for m in _NUMBER_RE.finditer(s):
        if _is_document_number(c := _without_prose(m.group())):
            return _clean_number(c)
    return _clean_number(s)


def find_document_numbers(text: str) -> list[str]:
    """Every document number in ``text``, normalized, deduplicated, in order of appearance.

    "Chỉ thị số 05 -CT/TW" -> ["05-CT/TW"]; dates ("12/12/2019"), year ranges ("2019 - 2025") and
    "HIV/AIDS" are not numbers: a number starts with digits and carries at least one "/" and one
    letter code.
    """
    out: list[str] = []
    for m in _NUMBER_RE.finditer(normalize_query(text)):
        if _is_document_number(c := _without_prose(m.group())):
            num = _clean_number(c)
            if num not in out:
                out.append(num)
    return out


def number_key(so_ky_hieu: str) -> str:
    """Comparison key: normalized, no diacritics, no leading zeros ("05-CT/TW" -> "5-CT/TW")."""
    key = strip_accents(normalize_so_ky_hieu(so_ky_hieu))
    return re.sub(r"^0+(?=\d)", "", key)


# Type words that abbreviate to the first letter code of a number ("Chỉ thị 05" -> "5-CT").
_TYPE_CODES = {
    "chi thi": "CT",
    "ke hoach": "KH",
    "nghi quyet": "NQ",
    "thong bao ket luan": "TB",
    "thong bao": "TB",
    "quyet dinh": "QD",
    "quy dinh": "QD",
    "ket luan": "KL",
    "huong dan": "HD",
    "quy che": "QC",
    "de an": "DA",
    "chuong trinh hanh dong": "CTR",
    "chuong trinh": "CTR",
    "cong van": "CV",
    "bao cao": "BC",
    "to trinh": "TTR",
}
_PARTIAL_RE = re.compile(
    r"(?<!\w)(" + "|".join(sorted(_TYPE_CODES, key=len, reverse=True)) + r")\s+(?:so\s+)?(\d{1,5})"
    r"(?![\d\w]|[ \t]*[-–—/][ \t]*\w)"
)


def find_partial_numbers(text: str) -> list[str]:
    """Number references without a full ký hiệu, as keys: "Chỉ thị 05" -> ["5-CT"].

    Full numbers ("Chỉ thị 05-CT/TW") are left to ``find_document_numbers``.
    """
    plain = strip_accents(normalize_query(text).lower())
    out: list[str] = []
    for m in _PARTIAL_RE.finditer(plain):
        key = f"{int(m.group(2))}-{_TYPE_CODES[m.group(1)]}"
        if key not in out:
            out.append(key)
    return out


_CODE_TYPES = {
    "KH": "Kế hoạch", "HD": "Hướng dẫn", "CT": "Chỉ thị", "NQ": "Nghị quyết", "TB": "Thông báo",
    "QĐ": "Quyết định", "CV": "Công văn", "BC": "Báo cáo", "CTR": "Chương trình", "ĐA": "Đề án",
    "KL": "Kết luận", "QC": "Quy chế", "TTR": "Tờ trình", "TT": "Thông tư", "NĐ": "Nghị định",
    "VBHN": "Văn bản hợp nhất", "NQLT": "Nghị quyết liên tịch", "TTLT": "Thông tư liên tịch",
    "CĐ": "Công điện",
}  # fmt: skip


def document_type_of_number(so_ky_hieu: str) -> str | None:
    """Document type named by a number's first letter code: "427-KH/TU" -> "Kế hoạch"."""
    m = (
        re.match(r"\d+[A-Z]?[-/](?:\d{4}/)?([A-ZĐ]+)", normalize_so_ky_hieu(so_ky_hieu))
        if so_ky_hieu
        else None
    )
    return _CODE_TYPES.get(m.group(1)) if m else None


def number_matches(reference: str, so_ky_hieu: str) -> bool:
    """True when a full number or a partial key ("5-CT") refers to the document ``so_ky_hieu``."""
    ref, doc = number_key(reference), number_key(so_ky_hieu)
    if ref == doc:
        return True
    if "/" in ref:
        return False
    m_ref = re.match(r"(\d+)-([A-Z]+)$", ref)
    m_doc = re.match(r"(\d+)[a-zA-Z]?[-/](?:\d{4}/)?([A-Z]+)", doc)
    return bool(m_ref and m_doc and m_ref.groups() == m_doc.groups())
