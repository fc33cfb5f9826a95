"""Legacy Vietnamese font text (TCVN3 "ABC", VNI, VISCII) back to Unicode, decided by font name.

Before Unicode, Vietnamese was typed as 8-bit bytes shown by special fonts (.VnTime, .VnTimeH, VNI-Times).
Word, Excel and PDF keep the font of each run, and a converter (LibreOffice, pypdf) hands the bytes over
as the Windows-1252 characters with the same codes ("Quy\u00d5t \u00aeÞnh"), or as Symbol-font private-use
code points U+F0xx. This module maps such text back to the bytes and decodes them with the tables of
``vietnamese``. Upper-case TCVN3 fonts (.VnTimeH, .VnArialH) draw every letter as a capital; their text
is upper-cased only with ``TRACUU_LEGACY_CAPITALS=true``. By default it is kept as typed: the hand-checked
transcripts of real legacy files keep such headings in lower case (diacritic accuracy on
../shared/corpus/legacy 0.995 as typed, 0.981 upper-cased), and search folds case anyway.

The decision is per font over the whole document (``decide_fonts``): a font named like a legacy family is
decoded when that does not make its text look less Vietnamese (a file retyped in Unicode but still set in
.VnTime is left alone); a font with any other name is decoded only when its text clearly reads as
mojibake of one legacy encoding.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from retrieval.ingest import vietnamese as vn

_SUBSET = re.compile(r"^[A-Z]{6}\+")  # PDF font subset tag "ABCDEF+"
_STYLE = re.compile(r"[,\-\s]*(?:bold|italic|oblique|regular|mt|ps)*$", re.IGNORECASE)
_FONT_ENCODINGS = ("tcvn3", "vni", "viscii")
MAX_SAMPLE_CHARS = 200_000  # text of one font judged: enough to decide, bounded for huge documents
MIN_SAMPLE_CHARS = 3  # non-ASCII characters a font's text needs before a non-legacy font is judged
MIN_RUN_CHARS = 1  # non-ASCII characters a run needs before its own bytes can overrule its font


@dataclass(frozen=True)
class FontCoding:
    """How the text of one font is decoded: a legacy encoding, and whether the font shows capitals."""

    encoding: str
    upper: bool = False


def _base_name(name: str) -> str:
    name = re.sub(r"\s*\([^)]*\)$", "", _SUBSET.sub("", name.strip().strip("/")))  # "VnTimeH(Ds)"
    return _STYLE.sub("", name).strip() or name


@cache
def font_coding(name: str | None) -> FontCoding | None:
    """The legacy encoding a font name stands for, or None for an ordinary (Unicode) font.

    TCVN3 ("ABC") fonts are named ".VnXxx" (".VnTime", ".VnArial Narrow"), capitals-only ones end in
    "H" (".VnTimeH", ".VnArialH"); VNI fonts "VNI-Xxx" / "VNI Xxx"; VISCII fonts carry "VISCII" or start
    with "VI " / "VI-". Subset prefixes and style suffixes of PDF font names are ignored."""
    if not name:
        return None
    base = _base_name(name)
    low = base.lower()
    if re.match(r"\.?vn[a-z0-9]", low) and not low.startswith(("vni", "vnu")):
        stem = base.lstrip(".")
        return FontCoding("tcvn3", upper=stem.endswith("H") and len(stem) > 3)
    if re.match(r"vni[\s\-_]", low):
        return FontCoding("vni")
    if "viscii" in low or re.match(r"vi[\s\-_]", low):
        return FontCoding("viscii")
    return None


@cache
def _byte_of() -> dict[str, int]:
    """Character -> the byte it stands for when 8-bit font text went through Windows-1252 or Latin-1."""
    out = {chr(b): b for b in range(0x100)}
    for b in range(0x80, 0xA0):
        try:
            out[bytes([b]).decode("cp1252")] = b
        except UnicodeDecodeError:
            continue
    out.update({chr(0xF000 + b): b for b in range(0x20, 0x100)})  # Symbol-font private-use codes
    out.update({"\u2212": 0xAD, "\u2219": 0xB7})  # PDF glyph names "minus", "bulletoperator" (pypdf)
    return out


def redecode(text: str, coding: FontCoding) -> str:
    """Text shown in a legacy font, decoded to Unicode NFC. Characters that cannot be a byte of the
    font (already Unicode: "ế", "—") pass through unchanged."""
    table = _byte_of()
    out: list[str] = []
    buf = bytearray()
    for ch in text:
        b = table.get(ch)
        if b is None:
            if buf:
                out.append(vn.decode_legacy(bytes(buf), coding.encoding))
                buf.clear()
            out.append(ch)
        else:
            buf.append(b)
    if buf:
        out.append(vn.decode_legacy(bytes(buf), coding.encoding))
    result = vn.to_nfc("".join(out))
    return result.upper() if coding.upper and legacy_capitals() else result


def legacy_capitals() -> bool:
    """Whether capitals-only TCVN3 fonts are shown upper-cased (``TRACUU_LEGACY_CAPITALS``)."""
    return os.environ.get("TRACUU_LEGACY_CAPITALS", "").strip().lower() in ("1", "true", "yes")


def _non_ascii(text: str) -> int:
    return sum(ord(ch) >= 0x80 for ch in text)


def _unicode_letters(text: str) -> int:
    """Letters that cannot be a byte of an 8-bit font (ư, ơ, ế...): the text is already Unicode."""
    table = _byte_of()
    return sum(ch.isalpha() and ch not in table for ch in text)


def judge_font(name: str | None, texts: Iterable[str]) -> FontCoding | None:
    """Whether the text set in one font (all of it, from one document) is to be re-decoded, and how."""
    parts, size = [], 0
    for t in texts:
        if size >= MAX_SAMPLE_CHARS:
            break
        parts.append(t)
        size += len(t) + 1
    sample = " ".join(parts)
    named = font_coding(name)
    if _non_ascii(sample) == 0:
        return named if named is not None and named.upper else None
    before = vn.vietnamese_score(vn.to_nfc(sample))
    if named is not None:
        if _unicode_letters(sample) > 0.1 * _non_ascii(sample):
            return None  # retyped in Unicode, font left as it was
        scores = {enc: vn.vietnamese_score(redecode(sample, FontCoding(enc))) for enc in _FONT_ENCODINGS}
        after = scores[named.encoding]
        if before > 0.6 and after <= before:
            return None
        best = max(scores, key=lambda enc: scores[enc])
        if scores[best] > after + 0.3:  # a font named for one encoding holding another ("VNSTCVN3" + VNI)
            return FontCoding(best, upper=named.upper and best == "tcvn3")
        return named
    if _non_ascii(sample) < MIN_SAMPLE_CHARS:
        return None
    fixed = vn.repair_mojibake(sample)
    return FontCoding(fixed[1]) if fixed is not None and fixed[1] != "cp1258" else None


def decide_fonts(samples: Mapping[str | None, Iterable[str]]) -> dict[str | None, FontCoding]:
    """Per font name (None: no font known), the coding of the fonts whose text is to be re-decoded."""
    out = {}
    for name, texts in samples.items():
        coding = judge_font(name, texts)
        if coding is not None:
            out[name] = coding
    return out


def run_coding(text: str, coding: FontCoding) -> FontCoding:
    """The coding for one run of a legacy font: the font's, unless the run's own bytes clearly read as
    another legacy encoding (one font name used for TCVN3 and VNI text alike)."""
    if _non_ascii(text) < MIN_RUN_CHARS:
        return coding
    scores = {enc: vn.vietnamese_score(redecode(text, FontCoding(enc))) for enc in _FONT_ENCODINGS}
    best = max(scores, key=lambda enc: scores[enc])
    if best != coding.encoding and scores[best] > scores[coding.encoding] + 0.5:
        return FontCoding(best, upper=coding.upper and best == "tcvn3")
    return coding


def decode_runs(runs: list[tuple[str | None, str]], codings: Mapping[str | None, FontCoding]) -> str:
    """Join (font, text) runs of one paragraph or cell, each decoded by its font's coding."""
    parts = []
    for font, text in runs:
        coding = codings.get(font)
        parts.append(redecode(text, run_coding(text, coding)) if coding is not None and text else text)
    return vn.to_nfc("".join(parts))
