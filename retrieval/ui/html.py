"""Escaped HTML for the chat: cited passages with ``<mark>`` highlights, document labels, dates.

Every piece of document text goes through ``html.escape``: a document may contain ``<``, ``&`` or
markup-looking text and must be shown as written, never interpreted. Offsets are character offsets
into the document's display text (the ones chunks and citations carry).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence

from retrieval.types import DocMetadata, Span
from retrieval.ui.answer_html import clean_markup

_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")


def fmt_date(iso: str | None) -> str | None:
    """'2020-02-04' -> '04/02/2020' (the Vietnamese way); None or malformed -> as given."""
    if not iso:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{m[3]}/{m[2]}/{m[1]}" if m else iso


def doc_facts(meta: DocMetadata) -> list[str]:
    """Số/ký hiệu, ngày ban hành, cơ quan ban hành: always three parts, 'không ghi …' when unknown."""
    return [
        f"Số {meta.so_ky_hieu}" if meta.so_ky_hieu else "Không ghi số",
        f"ngày {fmt_date(meta.ngay_ban_hanh)}" if meta.ngay_ban_hanh else "không ghi ngày",
        meta.co_quan_ban_hanh or "không rõ cơ quan ban hành",
    ]


def doc_line(meta: DocMetadata) -> str:
    return " · ".join(doc_facts(meta))


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-empty, non-overlapping spans (touching ones joined)."""
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans if e > s):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def highlight(text: str, marks: Sequence[Span], base: int = 0, anchor: str | None = None) -> str:
    """Escaped ``text`` (which starts at document offset ``base``) with ``marks`` wrapped in <mark>.

    Marks are document offsets; parts outside ``text`` are clipped. The first mark gets
    ``id=anchor`` so a link can jump to it.
    """
    out: list[str] = []
    pos = 0
    first = True
    for s, e in merge_spans(marks):
        s, e = max(s - base, pos), min(e - base, len(text))
        if e <= s:
            continue
        out.append(_shown(text[pos:s]))
        attr = f' id="{html.escape(anchor)}"' if anchor and first else ""
        out.append(f"<mark{attr}>{_shown(text[s:e])}</mark>")
        first = False
        pos = e
    out.append(_shown(text[pos:]))
    return "".join(out)


def _shown(text: str) -> str:
    """Document text for the screen: escaped, without Markdown emphasis markers."""
    return html.escape(clean_markup(text))


def paragraph_bounds(text: str, start: int, end: int) -> Span:
    """The blank-line separated paragraph(s) of ``text`` holding [start, end)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    before = [m.end() for m in _BLANK_LINE.finditer(text, 0, start)]
    after = _BLANK_LINE.search(text, end)
    return (before[-1] if before else 0, after.start() if after else len(text))


def heading_html(path: Sequence[str]) -> str:
    if not path:
        return ""
    return f'<div class="tc-path">{" › ".join(html.escape(p) for p in path)}</div>'


def passage_html(
    doc_text: str,
    pieces: Sequence[Span],
    marks: Sequence[Span],
    path: Sequence[str] = (),
    anchor: str | None = None,
) -> str:
    """The document ``pieces`` (one section, maybe in parts), ``marks`` highlighted, headings above.

    Parts are joined by an ellipsis line; blank lines at a part's edges are dropped.
    """
    parts = []
    for s, e in merge_spans(pieces):
        s, e = max(0, s), min(len(doc_text), e)
        piece = doc_text[s:e]
        lead = len(piece) - len(piece.lstrip())
        parts.append(highlight(piece.strip(), marks, base=s + lead, anchor=anchor if not parts else None))
    body = '<span class="tc-ellipsis">\n…\n</span>'.join(parts)
    return f'{heading_html(path)}<div class="tc-passage">{body}</div>'


def document_html(
    doc_text: str, marks: Sequence[Span], anchor: str, sections: Sequence[tuple[int, str]] = ()
) -> str:
    """The whole document in a scrollable box, the cited parts highlighted; a link jumps to them.

    ``sections``: (offset, id) pairs; an empty element with that id is placed at each offset so a table
    of contents can link to the section.
    """
    lead = len(doc_text) - len(doc_text.lstrip())
    end = len(doc_text.rstrip())
    merged = merge_spans(marks)
    cuts = sorted({min(max(o, lead), end) for o, _ in sections} | {lead, end})
    ids = {min(max(o, lead), end): i for o, i in sections}
    parts: list[str] = []
    anchored = False
    for s, e in zip(cuts, cuts[1:] + [end], strict=True):
        if s in ids:
            parts.append(f'<span class="tc-sec" id="{html.escape(ids[s])}"></span>')
        if e <= s:
            continue
        first_here = not anchored and any(ms < e and s < me for ms, me in merged)
        parts.append(highlight(doc_text[s:e], merged, base=s, anchor=anchor if first_here else None))
        anchored = anchored or first_here
    link = f'<p><a href="#{html.escape(anchor)}">⤓ Đến đoạn được trích dẫn</a></p>' if merged else ""
    return f'{link}<div class="tc-document">{"".join(parts)}</div>'


def scroll_script(anchor: str) -> str:
    """A script scrolling the element ``anchor`` into view once it is rendered (best effort)."""
    target = json.dumps(anchor)
    return (
        "<script>(function(){let n=0;const go=()=>{const e=document.getElementById("
        + target
        + ');if(e){e.scrollIntoView({block:"center"});}'
        + "else if(40>n++){setTimeout(go,50);}};go();})();</script>"
    )
