"""Export one chat answer with its cited sources as Markdown or Word (.docx).

A turn is the chat's plain dict (``Turn.record()``): question, answer text with ``[n]`` markers,
``refused``, ``citations`` (quote, document metadata, heading path, page), optional ``filters``.
Document text is never interpreted: in Markdown every character that could make emphasis, a link,
a heading or HTML is backslash-escaped (the ``[n]`` markers stay readable as ``[n]``); in Word the
quotes are written character for character.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from retrieval.segment import strip_accents
from retrieval.ui.labels import location_label, source_reference

FONT = "Times New Roman"  # the font Vietnamese administrative documents are written in
UNVERIFIED = " (chưa kiểm chứng)"

_MARKER = re.compile(r"\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&$])")
_MD_LINE_MARK = re.compile(r"^([ \t]*)([-+=])")
_MD_LINE_NUMBER = re.compile(r"^([ \t]*)(\d+)([.)])")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --------------------------------------------------------------------------- shared pieces


def _citations(turn: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if turn.get("refused"):
        return []
    return sorted(turn.get("citations") or [], key=lambda c: c.get("n") or 0)


def _reference(cit: Mapping[str, Any]) -> str:
    ref = source_reference(cit)
    return ref + UNVERIFIED if cit.get("verified") is False else ref


def _answer_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _filters(turn: Mapping[str, Any]) -> str:
    return "; ".join(str(f) for f in turn.get("filters") or [] if str(f).strip())


def _clean_line(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


# --------------------------------------------------------------------------- Markdown


def md_escape(text: str) -> str:
    """``text`` with Markdown's special characters backslash-escaped, so it renders as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_escape_line(line: str) -> str:
    """One line of document text: also escapes what would start a list, a rule or a setext heading."""
    return _md_line_start(md_escape(line))


def _md_line_start(escaped: str) -> str:
    escaped = _MD_LINE_MARK.sub(r"\1\\\2", escaped, count=1)
    return _MD_LINE_NUMBER.sub(r"\1\2\\\3", escaped, count=1)


def md_escape_answer(text: str) -> str:
    """Answer text escaped except its ``[n]`` citation markers, which are kept as written."""
    out: list[str] = []
    pos = 0
    for m in _MARKER.finditer(text):
        out += [md_escape(text[pos : m.start()]), m.group(0)]
        pos = m.end()
        # '[1](…)' would be a link and '[1]: …' a link definition: escape what follows a marker.
        if text[pos : pos + 1] in ("(", ":"):
            out.append("\\" + text[pos])
            pos += 1
    out.append(md_escape(text[pos:]))
    return "".join(out)


def _md_answer(text: str) -> str:
    """Each answer line its own paragraph; consecutive '- ' lines stay one list."""
    out = ""
    prev_item = False
    for line in _answer_lines(text):
        item = line.startswith("- ")
        body = "- " + md_escape_answer(line[2:].strip()) if item else md_escape_answer(line.strip())
        if not item:
            body = _md_line_start(body)
        out += ("\n" if item and prev_item else "\n\n" if out else "") + body
        prev_item = item
    return out


def _md_quote(quote: str) -> str:
    """A blockquote: every line prefixed with '> ', line breaks kept (two trailing spaces)."""
    lines = quote.replace("\r\n", "\n").strip("\n").split("\n")
    quoted = ["> " + md_escape_line(line.strip()) if line.strip() else ">" for line in lines]
    return "  \n".join(quoted)


def _md_source(cit: Mapping[str, Any]) -> list[str]:
    n = int(cit.get("n") or 0)
    block = [f"**[{n}]** {md_escape(_reference(cit))}"]
    loc = location_label(cit)
    if loc:
        block.append(f"*{md_escape(loc)}*")
    quote = str(cit.get("quote") or "")
    if quote.strip():
        block.append(_md_quote(quote))
    if cit.get("source"):
        block.append(f"Tệp: {md_escape(str(cit['source']))}")
    return block


def turn_markdown(turn: Mapping[str, Any], asked_at: str | None = None) -> str:
    """The question, the answer with its [n] markers, the filters and each cited passage, in Markdown."""
    parts = ["# Câu hỏi", md_escape_line(_clean_line(turn.get("question"))), "## Trả lời"]
    parts.append(_md_answer(str(turn.get("text") or "")))
    filters = _filters(turn)
    if filters:
        parts.append(f"**Bộ lọc:** {md_escape(filters)}")
    cits = _citations(turn)
    if cits:
        parts.append("## Nguồn trích dẫn")
        for cit in cits:
            parts += _md_source(cit)
    if asked_at:
        parts += ["---", f"*Xuất từ tracuu lúc {md_escape(asked_at)}*"]
    return "\n\n".join(p for p in parts if p) + "\n"


# --------------------------------------------------------------------------- Word


def _xml_text(text: str) -> str:
    """Text Word can hold: characters XML forbids (form feeds, NULs …) dropped."""
    return _XML_INVALID.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _set_font(style: Any, name: str = FONT) -> None:
    """Set ``style``'s font for every script (Latin, complex, East Asian), overriding theme fonts."""
    from docx.oxml.ns import qn

    style.font.name = name
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
        rfonts.set(qn(f"w:{attr}"), name)
    for attr in ("asciiTheme", "hAnsiTheme", "cstheme", "eastAsiaTheme"):
        rfonts.attrib.pop(qn(f"w:{attr}"), None)


def _new_document(title: str) -> Any:
    import docx
    from docx.shared import Pt

    doc = docx.Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Quote", "List Bullet"):
        _set_font(doc.styles[name])
    doc.styles["Normal"].font.size = Pt(13)
    doc.core_properties.title = title
    doc.core_properties.language = "vi-VN"
    return doc


def _docx_answer(doc: Any, text: str) -> None:
    for line in _answer_lines(_xml_text(text)):
        if line.startswith("- "):
            doc.add_paragraph(line[2:].strip(), style="List Bullet")
        else:
            doc.add_paragraph(line.strip())


def _docx_source(doc: Any, cit: Mapping[str, Any]) -> None:
    from docx.shared import Pt

    para = doc.add_paragraph()
    para.add_run(f"[{int(cit.get('n') or 0)}] ").bold = True
    para.add_run(_xml_text(_reference(cit)))
    loc = location_label(cit)
    if loc:
        run = doc.add_paragraph().add_run(_xml_text(loc))
        run.italic = True
        run.font.size = Pt(10)
    quote = _xml_text(str(cit.get("quote") or ""))
    if quote.strip():
        doc.add_paragraph(quote, style="Quote")
    if cit.get("source"):
        run = doc.add_paragraph().add_run(_xml_text(f"Tệp: {cit['source']}"))
        run.font.size = Pt(10)


def turn_docx(turn: Mapping[str, Any], asked_at: str | None = None) -> bytes:
    """The same content as ``turn_markdown`` as a Word document (.docx bytes)."""
    from docx.shared import Pt

    question = _xml_text(_clean_line(turn.get("question")))
    doc = _new_document(question)
    doc.add_heading("Câu hỏi", level=1)
    doc.add_paragraph(question)
    doc.add_heading("Trả lời", level=1)
    _docx_answer(doc, str(turn.get("text") or ""))
    filters = _filters(turn)
    if filters:
        para = doc.add_paragraph()
        para.add_run("Bộ lọc: ").bold = True
        para.add_run(_xml_text(filters))
    cits = _citations(turn)
    if cits:
        doc.add_heading("Nguồn trích dẫn", level=1)
        for cit in cits:
            _docx_source(doc, cit)
    if asked_at:
        run = doc.add_paragraph().add_run(_xml_text(f"Xuất từ tracuu lúc {asked_at}"))
        run.italic = True
        run.font.size = Pt(9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- file names


def export_filename(turn: Mapping[str, Any], ext: str, max_chars: int = 60) -> str:
    """'Báo cáo năm phải gửi trước ngày nào?' -> 'bao-cao-nam-phai-gui-truoc-ngay-nao.docx'."""
    ext = ext.lstrip(".").lower() or "txt"
    plain = strip_accents(unicodedata.normalize("NFC", str(turn.get("question") or "")))
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if len(stem) > max_chars:
        cut = stem[: max_chars + 1]
        stem = cut[: cut.rfind("-")] if "-" in cut[1:] else stem[:max_chars]
        stem = stem.strip("-")
    return f"{stem or 'tra-loi'}.{ext}"
