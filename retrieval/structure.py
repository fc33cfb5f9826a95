"""Structure parsing: RawDocument -> ParsedDocument (metadata, title, body blocks, footnotes).

Body lines (between the header and "Nơi nhận"/signature, see ``retrieval.header``) become blocks:

- "I." / "I-" open level 1, "1." level 2, "1.1." level 3, "a)" (and "1.1.1.") level 4. A numbered
  line is a *heading* when it reads as a title (no final ".", ";", "!", "?", "…"; at most 250
  characters); otherwise it is a *paragraph* that still opens its level, under a short label
  (its first clause, at most 80 characters).
- Lines starting with "-", "+", "•" or a markdown "*" bullet are *list items* (bullet removed).
- Page-break repair: a block that ends without terminal punctuation is continued by the next
  non-bullet, un-numbered line when that line starts in lower case, or, when the block is a list
  item, a numbered paragraph or a long paragraph (≥ 100 chars) ending in a letter/digit/comma, even
  when it starts in upper case ("chức danh Trưởng" / "Ban dân vận …"). Blank lines and footnote texts
  in between are skipped; the block keeps one span per piece.
- Footnote texts (lines starting with superscript digits: "¹ Gồm: …") leave the body and become
  ``Footnote`` records; markers in body text ("⁽¹⁾", or bare "¹⁰" after a word when such a footnote
  exists) are removed from ``Block.text`` and listed in ``Block.footnote_refs``. Ordinary digits
  ("(1)", "1.1.") are never markers.

Every span indexes ``raw.text``; ``Block.text`` is the normalized text of its spans (bullet and
footnote markers removed, pieces joined by one space).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from retrieval.document.appendix import appendix_level, is_blank_form
from retrieval.document.header_lines import is_caps
from retrieval.document.wraps import MID_SENTENCE, NEAR_FULL, wrap_width
from retrieval.header import BULLET_RE, TERMINAL, Line, analyze_layout, numbering, split_lines
from retrieval.normalize import strip_accents
from retrieval.types import Block, DocMetadata, Footnote, ParsedDocument, RawDocument

__all__ = ["STRUCTURE_VERSION", "parse_document"]

# Stored metadata and titles depend on these rules: an index built by another version is re-parsed.
# v3: appendices after the closing are body; v4: wrapped header cells, signers without "TM."/"KT.";
# v5: hard-wrapped text (PDF, web copies) joins a line cut before a capital near the wrap width;
# v6: held-out round 4 (Word/web layouts, banners, interleaved closings, pages that are no documents)
STRUCTURE_VERSION = "structure-v6"

_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_DIGIT = str.maketrans(_SUP, "0123456789")
_FOOTNOTE_LINE_RE = re.compile(f"^([{_SUP}]{{1,3}})\\s*(?=\\S)")
_PAREN_MARKER_RE = re.compile(f"\\s*⁽([{_SUP}]{{1,3}})⁾")
_BARE_MARKER_RE = re.compile(f'(?<=[^\\W\\d_]|[”"’)\\]])([{_SUP}]{{1,3}})(?![{_SUP}])')
_STAR_BULLET_RE = re.compile(r"^\*+\s")
_CLOSERS = "”\"'’)]»*"
_MAX_TITLE = 250
_LABEL_MAX = 80
_PROPER_FIRST = ("Đảng", "Nhà nước", "Chính phủ", "Quốc hội", "Bộ ", "Ban ", "Tỉnh ủy", "Ủy ban", "Mặt trận")


@dataclass(frozen=True)
class _Piece:
    kind: str
    level: int
    numbered: bool
    text: str
    spans: tuple[tuple[int, int], ...]
    refs: tuple[str, ...]


def parse_document(raw: RawDocument, doc_id: str) -> ParsedDocument:
    """Split ``raw`` into metadata, title, body blocks and footnotes (pure regex/str work)."""
    lines = split_lines(raw.text)
    layout = analyze_layout(lines, raw.text)
    footnotes, footnote_lines = _footnotes(lines[layout.body_start :])
    markers = frozenset(f.marker for f in footnotes)
    pieces = [
        _piece(raw.text, ln, markers)
        for ln in lines[layout.body_start : layout.body_end]
        if not ln.blank and ln.index not in footnote_lines
    ]
    body_lines = lines[layout.body_start : layout.body_end]
    width = wrap_width([ln.end - ln.start for ln in body_lines if not ln.blank])
    blocks = _tree(_repair_page_breaks([p for p in pieces if p.text], width))
    title = _title(layout.metadata, blocks, raw.source, raw.text)
    tail_start = None
    if layout.tail is not None:
        tail = [
            _tail_piece(raw.text, ln, markers)
            for ln in lines[layout.tail[0] : layout.tail[1]]
            if not ln.blank and ln.index not in footnote_lines and not is_blank_form(ln.text)
        ]
        tail_blocks = _tree(_titled(_repair_page_breaks([p for p in tail if p.text], width)))
        tail_start = tail_blocks[0].start if tail_blocks else None
        blocks += tail_blocks
    return ParsedDocument(doc_id, raw, title, layout.metadata, tuple(blocks), tuple(footnotes), tail_start)


# --------------------------------------------------------------------------- footnotes


def _footnotes(lines: list[Line]) -> tuple[list[Footnote], set[int]]:
    out: list[Footnote] = []
    used: set[int] = set()
    for ln in lines:
        m = _FOOTNOTE_LINE_RE.match(ln.text)
        if not m or len(ln.text) - m.end() < 3:
            continue
        start, end = ln.raw_span(m.end())
        out.append(Footnote(m.group(1).translate(_SUP_TO_DIGIT), ln.text[m.end() :], start, end))
        used.add(ln.index)
    return out, used


def _strip_markers(text: str, markers: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    refs: list[str] = []

    def take(m: re.Match[str]) -> str:
        refs.append(m.group(1).translate(_SUP_TO_DIGIT))
        return ""

    text = _PAREN_MARKER_RE.sub(take, text)

    def take_bare(m: re.Match[str]) -> str:
        num = m.group(1).translate(_SUP_TO_DIGIT)
        if num not in markers:
            return m.group()
        refs.append(num)
        return ""

    text = _BARE_MARKER_RE.sub(take_bare, text)
    return re.sub(r"\s{2,}", " ", text).strip(), tuple(dict.fromkeys(refs))


# --------------------------------------------------------------------------- pieces


def _piece(raw_text: str, ln: Line, markers: frozenset[str]) -> _Piece:
    text = ln.text
    raw_line = raw_text[ln.start : ln.end]
    kind, level, skip = "paragraph", 0, 0
    num = numbering(text)
    bullet = BULLET_RE.match(text)
    if _STAR_BULLET_RE.match(raw_line) or bullet:
        kind, skip = "list_item", (bullet.end() if bullet else 0)
    elif num:
        level = num[0]
        kind = "heading" if _is_title(text) else "paragraph"
    clean, refs = _strip_markers(text[skip:], markers)
    return _Piece(kind, level, level > 0, clean, (ln.raw_span(skip),), refs)


def _tail_piece(raw_text: str, ln: Line, markers: frozenset[str]) -> _Piece:
    """A line after the closing: "PHỤ LỤC I" opens an appendix (level 1), "Mẫu số 01" a form in it (2)."""
    level = appendix_level(ln.text)
    if level:
        clean, refs = _strip_markers(ln.text.strip("*_# "), markers)
        return _Piece("appendix", level, False, clean, (ln.raw_span(),), refs)
    return _piece(raw_text, ln, markers)


def _titled(pieces: list[_Piece]) -> list[_Piece]:
    """An appendix opener takes the capital title lines right under it ("PHỤ LỤC I" + "DANH MỤC …")."""
    out: list[_Piece] = []
    for p in pieces:
        prev = out[-1] if out else None
        title_line = (
            p.kind != "list_item" and not p.numbered and is_caps(p.text) and len(p.text) <= _MAX_TITLE
        )
        if prev is not None and prev.kind == "appendix" and title_line and len(prev.text) < _MAX_TITLE:
            out[-1] = replace(prev, text=f"{prev.text} {p.text}", spans=prev.spans + p.spans)
        else:
            out.append(p)
    return out


def _is_title(text: str) -> bool:
    num = numbering(text)
    body = text[num[1] if num else 0 :].rstrip(_CLOSERS + " ")
    if len(text) > _MAX_TITLE or not body or body[-1] in TERMINAL:
        return False
    return not any(m.group(1).isupper() for m in re.finditer(r"[.!?]\s+(\w)", body))  # one sentence


def _ends_open(text: str) -> bool:
    body = text.rstrip(_CLOSERS + " ")
    return bool(body) and body[-1] not in TERMINAL + ":"


def _continues(before: _Piece | None, prev: _Piece, cur: _Piece, width: int = 0) -> bool:
    """Whether ``cur`` continues the sentence ``prev`` left open (a page or line break; ``width``: the
    text's hard-wrap width, where a line cut near it before a capital was cut by the wrap)."""
    if cur.kind == "list_item" or cur.numbered or not _ends_open(prev.text):
        return False
    first = cur.text.lstrip("“\"'‘(")[:1]
    if first.islower():
        return True
    if not (first.isupper() or first.isdigit()) or prev.kind == "heading":
        return False
    mid_sentence = prev.text.rstrip(_CLOSERS)[-1:].isalnum() or prev.text.endswith(",")
    # A short open list item is only a cut sentence when its sibling before it was punctuated.
    punctuated_list = before is not None and before.kind == "list_item" and not _ends_open(before.text)
    long_enough = prev.numbered or len(prev.text) >= 100 or (prev.kind == "list_item" and punctuated_list)
    last = prev.spans[-1][1] - prev.spans[-1][0]
    cut_by_wrap = bool(width) and last >= NEAR_FULL * width and not is_caps(prev.text)
    cut_mid = mid_sentence or prev.text.rstrip(_CLOSERS)[-1:] in MID_SENTENCE
    return (mid_sentence and long_enough) or (cut_by_wrap and cut_mid)


def _repair_page_breaks(pieces: list[_Piece], width: int = 0) -> list[_Piece]:
    out: list[_Piece] = []
    for cur in pieces:
        if out and _continues(out[-2] if len(out) > 1 else None, out[-1], cur, width):
            prev = out[-1]
            joined = f"{prev.text} {cur.text}"
            kind = "paragraph" if prev.kind == "heading" and not _is_title(joined) else prev.kind
            out[-1] = replace(
                prev,
                kind=kind,
                text=joined,
                spans=prev.spans + cur.spans,
                refs=tuple(dict.fromkeys(prev.refs + cur.refs)),
            )
        else:
            out.append(cur)
    return out


# --------------------------------------------------------------------------- section tree


def _short_label(text: str) -> str:
    m = re.search(r"[.;:](\s|$)", text[4:])
    head = text[: m.start() + 4] if m else text
    if len(head) <= _LABEL_MAX:
        return head
    cut = head[:_LABEL_MAX].rsplit(" ", 1)[0]
    return cut.rstrip(",;: ") + "…"


def _tree(pieces: list[_Piece]) -> list[Block]:
    open_levels: dict[int, str] = {}
    root: tuple[str, ...] = ()  # the appendix the pieces are in ("PHỤ LỤC I", "Mẫu số 01/HNCT")
    appendix = ""  # the last "PHỤ LỤC …" label
    blocks: list[Block] = []
    for p in pieces:
        if p.kind == "appendix":  # "PHỤ LỤC I …" (level 1), or "Mẫu số 01" inside one (level 2)
            open_levels.clear()
            label = _short_label(p.text)
            appendix = label if p.level == 1 else appendix
            root = (appendix, label) if p.level == 2 and appendix else (label,)
            blocks.append(Block("heading", p.text, p.spans, root, 0, p.refs))
            continue
        if p.level:
            for lvl in [k for k in open_levels if k >= p.level]:
                del open_levels[lvl]
            enclosing = tuple(open_levels[k] for k in sorted(open_levels))
            open_levels[p.level] = p.text if p.kind == "heading" else _short_label(p.text)
            path = enclosing + (p.text,) if p.kind == "heading" else enclosing
        else:
            path = tuple(open_levels[k] for k in sorted(open_levels))
        blocks.append(Block(p.kind, p.text, p.spans, root + path, p.level, p.refs))
    return blocks


# --------------------------------------------------------------------------- title


def _lower_first(text: str) -> str:
    word = text.split(" ", 1)[0]
    if text.startswith(_PROPER_FIRST) or len(word) < 2 or word.isupper() or not word[1:].islower():
        return text
    return text[0].lower() + text[1:]


def _closing_title(blocks: list[Block]) -> str | None:
    """Title from a fragment's closing sentence: "Trên đây là kế hoạch X, …" -> "Kế hoạch X"."""
    for b in reversed(blocks[-6:]):
        m = re.match(r"Trên đây là (kế hoạch|hướng dẫn|chương trình|báo cáo) ([^,;.]{10,200})", b.text)
        if m:
            return f"{m.group(1).capitalize()} {m.group(2).strip()}"
    return None


def _title(meta: DocMetadata, blocks: list[Block], source: str, text: str = "") -> str:
    """loại + trích yếu ("Kế hoạch kiểm tra, giám sát …"), never a section heading. Without a trích yếu:
    the closing sentence of a fragment ("Trên đây là kế hoạch …"), loại + số ("Nghị định 88/2024/NĐ-CP"),
    a markdown page's own title ("# Đổi Mới"), else the file name."""
    loai, trich = meta.loai_van_ban, meta.trich_yeu
    if loai and trich:
        if strip_accents(trich.lower()).startswith(strip_accents(loai.lower()) + " "):
            return trich[:1].upper() + trich[1:]
        return f"{loai} {_lower_first(trich)}"
    if trich:
        return trich[:1].upper() + trich[1:]
    closing = _closing_title(blocks)
    if closing:
        return closing
    if loai:
        return f"{loai} {meta.so_ky_hieu}" if meta.so_ky_hieu else loai
    if m := re.search(r"^#\s+(\S.{2,200})$", text[:5000], re.M):
        return m.group(1).strip(" #*")
    return PurePosixPath(source).stem
