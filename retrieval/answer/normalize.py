"""Text normalization for citation checking, with a map back to the original characters.

``normalize`` makes two spellings of the same text compare equal: Unicode NFC, lower case, runs of
whitespace collapsed to one space, markdown emphasis (``*``, ``_``) dropped, dashes unified, spaces
around ``-``/``/`` inside document numbers removed ("427 - KH/TU" = "427-KH/TU"), and the tone mark
moved to a canonical place so the old and new conventions agree ("hoà" = "hòa", "thuỷ" = "thủy").

``NormText.orig`` maps every normalized character back to its index in the input, so a match found
in normalized text becomes an exact span of the text the user is shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Combining tone marks (the five Vietnamese tones); other marks (circumflex, breve, horn) are kept.
# Each tone becomes an upper-case Telex letter: normalized text is otherwise lower case, so the
# marker can never be confused with a letter or a digit of the text.
_TONES = {"\u0300": "F", "\u0301": "S", "\u0309": "R", "\u0303": "X", "\u0323": "J"}
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2212": "-", "\u2010": "-"})
_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u2018": "'", "\u2019": "'"}
)
_DROP = frozenset("*_`")
_SYLLABLE = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class NormText:
    text: str  # normalized text
    orig: tuple[int, ...]  # orig[i] = index in the source string of normalized char i

    def span_of(self, start: int, end: int) -> tuple[int, int]:
        """Source span covering normalized ``text[start:end]`` (end exclusive, end > start)."""
        return self.orig[start], self.orig[end - 1] + 1

    def find(self, needle: str, start: int = 0) -> int:
        return self.text.find(needle, start)


def _canon_syllable(syl: str) -> str:
    """Lower-cased syllable with its tone mark removed and appended as a marker letter at the end.

    Length-preserving apart from the one marker character, so the offset map stays simple.
    """
    tone = ""
    out = []
    for ch in syl:
        dec = unicodedata.normalize("NFD", ch)
        base = []
        for c in dec:
            if c in _TONES:
                tone = _TONES[c]
            else:
                base.append(c)
        out.append(unicodedata.normalize("NFC", "".join(base)))
    return "".join(out) + tone


def normalize(text: str) -> NormText:
    """Normalize ``text`` (see module doc) and keep the offset map.

    ``text`` should already be NFC (document texts are); offsets index ``text`` as given.
    """
    chars: list[str] = []
    orig: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            if chars and chars[-1] != " ":
                chars.append(" ")
                orig.append(i)
            i = j
            continue
        if ch in _DROP:
            i += 1
            continue
        m = _SYLLABLE.match(text, i)
        if m:
            syl = m.group().lower()
            canon = _canon_syllable(syl)
            src_len = m.end() - i
            for k, c in enumerate(canon):
                chars.append(c)
                orig.append(i + min(k, src_len - 1))
            i = m.end()
            continue
        c = ch.translate(_DASHES).translate(_QUOTES).lower()
        chars.append(c)
        orig.append(i)
        i += 1
    norm = "".join(chars)
    # Remove spaces around "-" and "/" (document numbers "427 - KH/TU", dates "15 / 6").
    keep = [True] * len(norm)
    for m in re.finditer(r" ?[-/] ?", norm):
        for k in range(m.start(), m.end()):
            if norm[k] == " ":
                keep[k] = False
    text_out = "".join(c for c, k in zip(norm, keep, strict=True) if k)
    orig_out = tuple(o for o, k in zip(orig, keep, strict=True) if k)
    # Trim leading/trailing space.
    lead = len(text_out) - len(text_out.lstrip(" "))
    tail = len(text_out.rstrip(" "))
    return NormText(text_out[lead:tail], orig_out[lead:tail])


def norm(text: str) -> str:
    """Normalized text only."""
    return normalize(text).text


def fold(text: str) -> str:
    """Accent-insensitive form of normalized text: strips all diacritics and the tone markers."""
    dec = unicodedata.normalize("NFD", norm(text).replace("đ", "d"))
    out = "".join(c for c in dec if unicodedata.category(c) != "Mn")
    return re.sub(r"[FSRXJ]", "", out)


def syllables(text: str) -> list[str]:
    """Accent-insensitive lower-case syllables of ``text`` (letters only)."""
    return _SYLLABLE.findall(fold(text))
