"""An answer as the chat shows it: clean text, lists as lists, each [n] a link to its source.

Answers are sentences quoted from the documents; documents converted from web pages or Markdown carry
emphasis markers ("**04**", "*** Thời gian …") that are formatting, not content. ``clean_markup``
removes them for display only (offsets, citations and exports keep the text as written). Every
character of document text is HTML-escaped; the only markup added is ours.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

_EMPHASIS = re.compile(r"\*{2,}|_{2,}")
_HEADING_MARK = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
_STAR_BULLET = re.compile(r"^([ \t]*)\*[ \t]+", re.MULTILINE)
_CITE = re.compile(r"\[(\d{1,3})\]")
_GLUED_AFTER_CITE = re.compile(r"(\[\d{1,3}\])([;,:.]?)(?=[^\s\[;,:.)])")
_SPACE_BEFORE_CITE = re.compile(r"(?<=[^\s(\[])(\[\d{1,3}\])")
_MARKS = re.compile(r"\s*\[\d{1,3}\]")
_BLANKS = re.compile(r"[ \t\u00a0]+")


def clean_markup(text: str) -> str:
    """``text`` without Markdown emphasis markers, heading hashes and "* " bullets (shown as "• ")."""
    text = _EMPHASIS.sub("", text)
    text = _HEADING_MARK.sub("", text)
    return _STAR_BULLET.sub(r"\1• ", text)


def _spaced(line: str) -> str:
    """A space around each [n]: "như sau:[1]Kế hoạch" / "[2];Thực hiện" read as two words."""
    line = _GLUED_AFTER_CITE.sub(r"\1\2 ", line)
    return _SPACE_BEFORE_CITE.sub(r" \1", line)


def _key(line: str) -> str:
    return _BLANKS.sub(" ", _MARKS.sub("", clean_markup(line))).strip(" -•.;:").lower()


def answer_lines(text: str) -> list[str]:
    """The answer's non-empty lines, cleaned, each said once (a repeated line keeps its first place)."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in text.split("\n"):
        line = _BLANKS.sub(" ", clean_markup(raw)).strip()
        if not line:
            continue
        key = _key(line)
        if key and key in seen and not line.endswith(":"):  # group headings may repeat by design
            continue
        seen.add(key)
        out.append(_spaced(line))
    return out


def _inline(line: str, cited: Collection[int], anchor_prefix: str) -> str:
    """Escaped ``line`` whose [n] (for n in ``cited``) are links to the source n."""
    out: list[str] = []
    pos = 0
    for m in _CITE.finditer(line):
        out.append(html.escape(line[pos : m.start()]))
        n = int(m[1])
        if n in cited:
            out.append(
                f'<a class="tc-cite" href="#{anchor_prefix}-{n}" data-n="{n}" '
                f'title="Xem nguồn [{n}]">[{n}]</a>'
            )
        else:
            out.append(html.escape(m[0]))
        pos = m.end()
    out.append(html.escape(line[pos:]))
    return "".join(out)


def answer_html(text: str, cited: Collection[int], anchor_prefix: str) -> str:
    """The answer as HTML: paragraphs, "- " lines as a list, group headings ("…:") in bold."""
    parts: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in answer_lines(text):
        if line.startswith(("- ", "• ")):
            items.append(_inline(line[2:].strip(), cited, anchor_prefix))
            continue
        flush()
        body = _inline(line, cited, anchor_prefix)
        heading = line.endswith(":") and not _CITE.search(line)
        parts.append(f'<p class="tc-group">{body}</p>' if heading else f"<p>{body}</p>")
    flush()
    return f'<div class="tc-answer">{"".join(parts)}</div>'


def source_anchor(prefix: str, n: int) -> str:
    return f"{prefix}-{n}"


# Clicking an [n] opens that source's expander in the same message and brings it into view. Without
# JavaScript the link still jumps to the anchor inside the expander (Chromium opens a closed
# <details> on fragment navigation). Registered once per page.
CITE_SCRIPT = """<script>(function(){
if (window.tcCiteReady) { return; }
window.tcCiteReady = true;
document.addEventListener("click", function (ev) {
  const a = ev.target.closest && ev.target.closest("a.tc-cite");
  if (!a) { return; }
  ev.preventDefault();
  const scope = a.closest('[data-testid="stChatMessage"]') || document;
  const want = "[" + a.dataset.n + "]";
  for (const d of scope.querySelectorAll('[data-testid="stExpander"] details')) {
    const s = d.querySelector("summary");
    const label = s && (s.querySelector('[data-testid="stMarkdownContainer"]') || s);
    if (!label || !label.innerText.trim().startsWith(want)) { continue; }
    if (!d.open) { s.click(); }
    d.classList.add("tc-flash");
    setTimeout(function () { d.classList.remove("tc-flash"); }, 1600);
    setTimeout(function () { d.scrollIntoView({block: "start", behavior: "smooth"}); }, 60);
    return;
  }
}, true);
})();</script>"""
