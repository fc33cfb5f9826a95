"""Document bodies of HTML pages that say where the document is, as plain text blocks.

Two families mark their document body, so no guessing (trafilatura) is needed:

* legal-database page snapshots (vbpl.vn marks the body with ``data-vbpl-content-root``; its older pages
  use ``#toanvancontent``): the marked element, without the site's menus and breadcrumbs;
* office exports (Word "Save as Web Page": ``<meta name=Generator content="Microsoft Word …">``,
  ``WordSection`` divs, ``MsoNormal`` paragraphs; LibreOffice/OpenOffice "Save as HTML"): the whole
  ``<body>`` is the document.

The text has the form the DOCX loader gives: paragraphs separated by blank lines, each table row one
line with its cells joined by " | " (a cell's paragraphs joined by spaces, nested tables flattened).
Walks are iterative (``etree.iterwalk``), so deep pages cannot exhaust Python's stack; the nesting
limit itself is checked on the raw markup (``markup_depth``) before lxml, which silently drops what lies
deeper than its own cap, ever parses the page.
"""

from __future__ import annotations

import re
from typing import Any

# Elements whose text is never document text.
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg"})
_BLOCK = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote",
    "pre", "section", "article", "main", "header", "footer", "aside", "nav", "address", "figure",
    "figcaption", "center", "form", "fieldset", "hr", "caption", "body", "html",
})  # fmt: skip
_CELL = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden", re.I)
_SPACE = re.compile(r"[^\S\n]+|\n")  # any whitespace run in markup text
_BR = "\ue000"  # placeholder for <br> until whitespace is collapsed

# Known content roots of legal-database pages, most specific first.
CONTENT_ROOTS = (
    "//*[@data-vbpl-content-root]",
    "//*[@id='toanvancontent']",
)
_OFFICE_GENERATOR = re.compile(r"microsoft\s+(office\s+)?word|libreoffice|openoffice|word\.document", re.I)
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen", "command", "basefont", "frame", "isindex", "spacer", "nextid", "bgsound",
})  # fmt: skip
# End tags that HTML lets authors omit; unclosed ones do not nest.
_OPTIONAL_END = frozenset({
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup",
    "rt", "rp", "html", "head", "body",
})  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]*)[^>]*?(/?)>")
_RAW = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.I | re.S)


def markup_depth(html: str, stop_at: int) -> int:
    """Element nesting of raw markup, counted on tags whose end tag is required (so pages that leave
    <p>/<li>/<td> open are not penalised); stops counting once ``stop_at`` is exceeded."""
    open_count: dict[str, int] = {}
    depth = deepest = 0
    for m in _TAG.finditer(_RAW.sub(" ", html)):
        name = m.group(2).lower()
        if name in _VOID or name in _OPTIONAL_END or m.group(3):
            continue
        if m.group(1):
            if open_count.get(name, 0) > 0:
                open_count[name] -= 1
                depth -= 1
            continue
        open_count[name] = open_count.get(name, 0) + 1
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > stop_at:
                break
    return deepest


def parse(html: str) -> Any:
    """lxml tree of a page (huge_tree: lxml's default cap of 256 levels silently drops deeper text)."""
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    root = etree.fromstring(html, parser)
    if root is None:
        raise ValueError("empty document")
    return root


def _name(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def is_office_export(root: Any) -> bool:
    for meta in root.xpath("//meta[@name]"):
        named = meta.get("name", "").lower() in ("generator", "progid", "originator")
        if named and _OFFICE_GENERATOR.search(meta.get("content", "")):
            return True
    return bool(
        root.xpath("//body//div[starts-with(@class,'WordSection') or starts-with(@class,'Section')]")
        and root.xpath("//body//*[starts-with(@class,'Mso')]")
    )


def _page_not_body(element: Any) -> bool:
    """A marked root that is the page's <main> or holds the site's navigation is the whole page
    (vbpl.vn marks <main> on snapshots that carry only the document's attributes), not a body."""
    return _name(element) in ("main", "body", "html") or bool(element.xpath(".//nav"))


def attribute_lines(root: Any) -> list[str]:
    """ "Label: value" lines of a page's attribute list (label/content pairs; "--" means empty)."""
    lines: list[str] = []
    for label in root.xpath(f"//*[{_has_class('descriptions-item-label')}]"):
        value = label.getnext()
        key = _clean("".join(label.itertext()))
        val = _clean("".join(value.itertext())) if value is not None else ""
        line = f"{key}: {val}"
        if key and val and val.strip("-– ") and line not in lines:
            lines.append(line)
    return lines


def _has_class(suffix: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), '{suffix} ')"


def _metadata_only(root: Any) -> str | None:
    titles = root.xpath("//*[@data-vbpl-title]") or root.xpath("//h1")
    title = _clean("".join(titles[0].itertext())) if titles else ""
    lines = attribute_lines(root)
    if not lines:
        return None
    return "\n\n".join(part for part in (title, "\n".join(lines)) if part)


def document_text(root: Any) -> tuple[str, str] | None:
    """(text, kind) when the page marks its document, else None. kind: "content-root" (a marked body),
    "metadata" (a snapshot of the document's attributes only, no body), "office" (a web export)."""
    for xpath in CONTENT_ROOTS:
        found = root.xpath(xpath)
        if not found:
            continue
        if not _page_not_body(found[0]):
            return body_text(found[0]), "content-root"
        meta = _metadata_only(root)
        if meta is not None:
            return meta, "metadata"
    if is_office_export(root):
        body = root.find(".//body")
        return body_text(body if body is not None else root), "office"
    return None


def _hidden(el: Any) -> bool:
    return _name(el) in _SKIP or bool(_HIDDEN_STYLE.search(el.get("style") or ""))


def _clean(text: str) -> str:
    lines = (" ".join(_SPACE.sub(" ", part).split()) for part in text.split(_BR))
    return "\n".join(line for line in lines if line)


def cell_text(cell: Any) -> str:
    """A table cell as one line: its paragraphs (and nested tables' rows) joined by spaces."""
    return " ".join(" ".join(block.split("\n")) for block in blocks(cell, inside_cell=True))


def table_rows(table: Any) -> str:
    """One line per row, cells joined by " | "; rows of nested tables belong to their cell."""
    rows = []
    for tr in table.iter("tr"):
        if _owner_table(tr) is not table:
            continue
        cells = [cell_text(td) for td in tr if _name(td) in _CELL]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _owner_table(el: Any) -> Any:
    parent = el.getparent()
    while parent is not None and _name(parent) != "table":
        parent = parent.getparent()
    return parent


def blocks(root: Any, inside_cell: bool = False) -> list[str]:
    """Text blocks of a subtree in document order: paragraphs, headings, list items, whole tables."""
    from lxml import etree

    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = _clean("".join(buf))
        buf.clear()
        if text:
            out.append(text)

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        name = _name(el)
        if event == "start":
            if el is not root and (not name or _hidden(el)):
                walker.skip_subtree()  # its "end" event still comes, and adds the tail
                continue
            if name == "table" and el is not root:
                flush()
                rows = table_rows(el)
                if rows:
                    out.append(" ".join(rows.split("\n")) if inside_cell else rows)
                walker.skip_subtree()  # its "end" event still comes, and adds the tail
                continue
            if name in _BLOCK or name in _CELL or name == "tr":
                flush()
            elif name == "br":
                buf.append(_BR)
            if el.text:
                buf.append(el.text)
        else:
            if name in _BLOCK or name in _CELL or name == "tr":
                flush()
            if el is not root and el.tail:
                buf.append(el.tail)
    flush()
    return out


def body_text(element: Any) -> str:
    """The document body as text: blocks separated by blank lines, table rows one per line."""
    if _name(element) == "table":
        return table_rows(element)
    return "\n\n".join(blocks(element))
