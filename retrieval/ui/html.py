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

CSS = """
<style>
.tc-passage, .tc-document {
  white-space: pre-wrap; line-height: 1.55; font-size: 0.95rem;
  border-left: 3px solid #d0d7de; padding: 0.4rem 0.8rem; margin: 0.2rem 0 0.6rem 0;
}
.tc-document { max-height: 65vh; overflow-y: auto; border: 1px solid #d0d7de; border-radius: 6px; }
.tc-passage mark, .tc-document mark {
  background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px;
}
.tc-document mark[id] { scroll-margin-top: 6rem; }
.tc-path { color: #57606a; font-size: 0.85rem; margin-bottom: 0.2rem; }
.tc-ellipsis { color: #8c959f; }
/* Streamlit has no translations: put Vietnamese on the file uploader, hide the developer's Deploy. */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem;
}
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "hoặc kéo thả tệp vào đây"; font-size: 0.8rem;
}
[data-testid="stAppDeployButton"] { display: none; }
</style>
"""

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
        out.append(html.escape(text[pos:s]))
        attr = f' id="{html.escape(anchor)}"' if anchor and first else ""
        out.append(f"<mark{attr}>{html.escape(text[s:e])}</mark>")
        first = False
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


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


def document_html(doc_text: str, marks: Sequence[Span], anchor: str) -> str:
    """The whole document in a scrollable box, the cited parts highlighted; a link jumps to them."""
    lead = len(doc_text) - len(doc_text.lstrip())
    body = highlight(doc_text[lead:].rstrip(), marks, base=lead, anchor=anchor if marks else None)
    link = (
        f'<p><a href="#{html.escape(anchor)}">⤓ Đến đoạn được trích dẫn</a></p>' if merge_spans(marks) else ""
    )
    return f'{link}<div class="tc-document">{body}</div>'


def scroll_script(anchor: str) -> str:
    """A script scrolling the element ``anchor`` into view once it is rendered (best effort)."""
    target = json.dumps(anchor)
    return (
        "<script>(function(){let n=0;const go=()=>{const e=document.getElementById("
        + target
        + ');if(e){e.scrollIntoView({block:"center"});}'
        + "else if(40>n++){setTimeout(go,50);}};go();})();</script>"
    )
