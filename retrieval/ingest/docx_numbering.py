"""Word auto-numbering labels ("I.", "1.", "1.2.", "a)") for paragraphs, from numbering.xml.

python-docx exposes the numbering part but does not compute list labels, so this follows the
WordprocessingML rules that matter for administrative documents: a paragraph's numPr (or its style's,
through basedOn), per-level numFmt/lvlText/start, lower levels restarting when a higher one advances,
lists sharing an abstractNum continuing unless a num carries a startOverride, isLgl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn

_MAX_LEVELS = 9


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int
    is_lgl: bool = False


def _val(el: Any, tag: str) -> str | None:
    child = el.find(qn(tag)) if el is not None else None
    return child.get(qn("w:val")) if child is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                       (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out, n = out + sym, n - value
    return out


def _letters(n: int) -> str:
    # Word: a..z, then aa..zz, aaa..
    n = max(n, 1)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class ListNumbering:
    """Stateful: call ``label`` for every body paragraph in document order."""

    def __init__(self, document: Any) -> None:
        self._abstract: dict[str, dict[int, _Level]] = {}
        self._num_abstract: dict[str, str] = {}
        self._overrides: dict[str, dict[int, int]] = {}
        self._counters: dict[str, list[int]] = {}
        self._started: set[str] = set()
        self._styles: dict[str, tuple[str | None, str | None, str | None]] = {}  # id -> numId, ilvl, basedOn
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            root = None
        if root is not None:
            self._read_numbering(root)
        try:
            styles = document.styles.element
        except (KeyError, AttributeError, NotImplementedError):
            styles = None
        if styles is not None:
            for style in styles.iter(qn("w:style")):
                ppr = style.find(qn("w:pPr"))
                numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
                based = _val(style, "w:basedOn")
                self._styles[style.get(qn("w:styleId")) or ""] = (
                    _val(numpr, "w:numId"),
                    _val(numpr, "w:ilvl"),
                    based,
                )

    def _read_numbering(self, root: Any) -> None:
        for absnum in root.iter(qn("w:abstractNum")):
            levels = {}
            for lvl in absnum.iter(qn("w:lvl")):
                ilvl = _int(lvl.get(qn("w:ilvl")), 0)
                levels[ilvl] = _Level(
                    fmt=_val(lvl, "w:numFmt") or "decimal",
                    text=_val(lvl, "w:lvlText") or "",
                    start=_int(_val(lvl, "w:start"), 1),
                    is_lgl=lvl.find(qn("w:isLgl")) is not None,
                )
            self._abstract[absnum.get(qn("w:abstractNumId")) or ""] = levels
        for num in root.iter(qn("w:num")):
            num_id = num.get(qn("w:numId")) or ""
            self._num_abstract[num_id] = _val(num, "w:abstractNumId") or ""
            overrides = {}
            for ov in num.iter(qn("w:lvlOverride")):
                start = _val(ov, "w:startOverride")
                if start is not None:
                    overrides[_int(ov.get(qn("w:ilvl")), 0)] = _int(start, 1)
            self._overrides[num_id] = overrides

    def _style_numpr(self, style_id: str | None) -> tuple[str | None, str | None]:
        seen = set()
        num_id = ilvl = None
        while style_id and style_id not in seen and style_id in self._styles:
            seen.add(style_id)
            s_num, s_ilvl, based = self._styles[style_id]
            num_id = num_id or s_num
            ilvl = ilvl or s_ilvl
            style_id = based
        return num_id, ilvl

    def label(self, p: Any) -> str:
        """The list label Word would show before paragraph element ``p`` ("" when not numbered);
        bullets give "-"."""
        ppr = p.pPr
        numpr = ppr.numPr if ppr is not None else None
        style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
        num_id = _val(numpr, "w:numId") if numpr is not None else None
        ilvl_s = _val(numpr, "w:ilvl") if numpr is not None else None
        if num_id is None or ilvl_s is None:
            s_num, s_ilvl = self._style_numpr(style_id)
            num_id, ilvl_s = num_id or s_num, ilvl_s or s_ilvl
        if not num_id or num_id == "0" or num_id not in self._num_abstract:
            return ""
        abs_id = self._num_abstract[num_id]
        levels = self._abstract.get(abs_id, {})
        ilvl = min(max(_int(ilvl_s, 0), 0), _MAX_LEVELS - 1)
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self._counters.setdefault(abs_id, [0] * _MAX_LEVELS)
        if num_id not in self._started:
            self._started.add(num_id)
            for o_lvl, start in self._overrides.get(num_id, {}).items():
                if 0 <= o_lvl < _MAX_LEVELS:
                    counters[o_lvl] = start - 1
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else level.start
        for deeper in range(ilvl + 1, _MAX_LEVELS):
            counters[deeper] = 0
        if level.fmt == "bullet":
            return "-"
        if level.fmt == "none":
            return level.text.strip() if "%" not in level.text else ""

        def sub(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            lvl = levels.get(k, level)
            n = counters[k] or lvl.start
            return format_number(n, "decimal" if level.is_lgl else lvl.fmt)

        return re.sub(r"%([1-9])", sub, level.text).strip()
