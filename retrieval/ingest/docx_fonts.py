"""The font of every run of a Word document, and paragraph text with legacy-font runs decoded.

A run's font is its own w:rFonts (w:hAnsi, the font Word uses for non-ASCII Latin text, else w:ascii),
else its character style's, else its paragraph style's (following w:basedOn), else the document
defaults. Documents converted by LibreOffice from .doc/.rtf/.odt carry the fonts the same way.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from docx.oxml.ns import nsmap, qn
from lxml import etree

from retrieval.ingest.legacy_fonts import FontCoding, decide_fonts, decode_runs

_RUNS = "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r | ./w:fldSimple/w:r"
_MAX_STYLE_DEPTH = 20
_SOFT_HYPHEN = qn("w:softHyphen")
_INNER = frozenset(qn(f"w:{t}") for t in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab", "softHyphen"))
_RUNS_XPATH = etree.XPath(_RUNS, namespaces={"w": nsmap["w"]})  # compiled once: linear in document size


def run_text(run: Any) -> str:
    """A w:r's text as python-docx gives it, plus w:softHyphen as U+00AD: byte 0xAD of a legacy font
    is a letter (TCVN3 "ư"), which LibreOffice writes as a soft-hyphen element."""
    return "".join("\xad" if e.tag == _SOFT_HYPHEN else str(e) for e in run if e.tag in _INNER)


def _rfonts_name(rpr: Any) -> str | None:
    if rpr is None:
        return None
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        return None
    return fonts.get(qn("w:hAnsi")) or fonts.get(qn("w:ascii"))


class StyleFonts:
    """Fonts declared by the styles part: per style id (through basedOn) and the document default."""

    def __init__(self, document: Any) -> None:
        self._own: dict[str, tuple[str | None, str | None]] = {}
        self.default: str | None = None
        self.default_paragraph: str | None = None
        try:
            root = document.styles.element
        except (KeyError, ValueError, AttributeError):
            return
        defaults = root.find(qn("w:docDefaults"))
        if defaults is not None:
            self.default = _rfonts_name(defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}"))
        for style in root.iter(qn("w:style")):
            sid = style.get(qn("w:styleId"))
            if sid is None:
                continue
            based = style.find(qn("w:basedOn"))
            self._own[sid] = (
                _rfonts_name(style.find(qn("w:rPr"))),
                based.get(qn("w:val")) if based is not None else None,
            )
            if style.get(qn("w:type")) == "paragraph" and style.get(qn("w:default")) in ("1", "true"):
                self.default_paragraph = sid
        self._cache: dict[str, str | None] = {}

    def font(self, style_id: str | None) -> str | None:
        if style_id is None:
            return None
        if style_id in self._cache:
            return self._cache[style_id]
        found, sid, seen = None, style_id, 0
        while sid is not None and sid in self._own and seen < _MAX_STYLE_DEPTH:
            name, sid = self._own[sid]
            if name:
                found = name
                break
            seen += 1
        self._cache[style_id] = found
        return found


def _val(parent: Any, tag: str) -> str | None:
    el = parent.find(qn(tag)) if parent is not None else None
    return el.get(qn("w:val")) if el is not None else None


class DocumentRuns:
    """Resolves run fonts once for the whole body, decides per font whether its text is legacy-encoded,
    and gives each paragraph's text decoded."""

    def __init__(self, document: Any) -> None:
        self._styles = StyleFonts(document)
        samples: dict[str | None, list[str]] = defaultdict(list)
        self._fonts: dict[Any, str | None] = {}
        for p in document.element.body.iter(qn("w:p")):
            for run, font in self._paragraph_runs(p):
                samples[font].append(run_text(run))
        self.codings: dict[str | None, FontCoding] = decide_fonts(samples)

    def _paragraph_runs(self, p: Any) -> list[tuple[Any, str | None]]:
        ppr = p.find(qn("w:pPr"))
        para_style = _val(ppr, "w:pStyle") or self._styles.default_paragraph
        out = []
        for run in _RUNS_XPATH(p):
            rpr = run.find(qn("w:rPr"))
            font = (
                _rfonts_name(rpr)
                or self._styles.font(_val(rpr, "w:rStyle"))
                or self._styles.font(para_style)
                or self._styles.default
            )
            out.append((run, font))
        return out

    def paragraph_text(self, p: Any) -> str:
        if not self.codings:
            return "".join(run_text(run) for run in _RUNS_XPATH(p)).replace("\xad", "")
        runs = [(font, run_text(run)) for run, font in self._paragraph_runs(p)]
        return decode_runs(runs, self.codings).replace("\xad", "")

    def warnings(self) -> tuple[str, ...]:
        encodings = sorted({c.encoding.upper() for c in self.codings.values()})
        if not encodings:
            return ()
        return (f"văn bản dùng phông mã cũ {', '.join(encodings)}, đã chuyển sang Unicode",)
