"""DOCX via python-docx: body paragraphs in order with Word's list labels, tables as "cell | cell" rows.

The ZIP container is checked before python-docx reads it: not a ZIP (often an old .doc renamed), too
many entries, or a declared uncompressed size that is too large or too compressed (ZIP bomb) is an
IngestError. zipfile never inflates a member past its declared size, so the check bounds memory.
"""

from __future__ import annotations

import unicodedata
import zipfile
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from retrieval.ingest.docx_fonts import DocumentRuns
from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, no_text_error, open_regular, sha256_of, sniff
from retrieval.ingest.limits import ingest_limits
from retrieval.types import RawDocument

MAX_ENTRIES = 10_000
MAX_TOTAL_UNCOMPRESSED = 512 << 20  # 512 MiB, images included
MAX_PART_UNCOMPRESSED = 64 << 20  # one member: beyond this it must not be suspiciously compressed
MAX_RATIO = 100
_RESAVE = "mở bằng Word hoặc LibreOffice rồi lưu lại dưới dạng .docx"
_OTHER_OFFICE = {
    "xl/workbook.xml": "bảng tính Excel (.xlsx)",
    "ppt/presentation.xml": "bản trình chiếu PowerPoint (.pptx)",
    "content.xml": "tài liệu OpenDocument (.odt/.ods)",
}


def check_container(f: BinaryIO, source: str) -> None:
    """Reject what is not a safe Word package before parsing it."""
    f.seek(0)
    head = f.read(8)
    f.seek(0)
    if not zipfile.is_zipfile(f):
        if head.startswith(b"PK\x03\x04"):
            raise IngestError(source, "tệp DOCX bị hỏng hoặc bị cắt cụt (thiếu mục lục ZIP)", _RESAVE)
        found = sniff(head)
        if found and found[1] == ".doc":
            raise IngestError(source, "đây là tệp Word 97-2003 (.doc) được đặt tên .docx", _RESAVE)
        kind = f" (nội dung là {found[0]})" if found else ""
        raise IngestError(source, f"tệp không phải DOCX hợp lệ: không phải định dạng ZIP{kind}", _RESAVE)
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise IngestError(source, "tệp DOCX bị hỏng (cấu trúc ZIP lỗi)", _RESAVE) from exc
    total = sum(i.file_size for i in infos)
    bomb = (
        len(infos) > MAX_ENTRIES
        or total > MAX_TOTAL_UNCOMPRESSED
        or any(
            i.file_size > MAX_PART_UNCOMPRESSED and i.file_size > MAX_RATIO * max(i.compress_size, 1)
            for i in infos
        )
    )
    if bomb:
        raise IngestError(
            source,
            f"tệp DOCX giải nén ra quá lớn ({total / 2**20:,.0f} MB, {len(infos)} mục) — nghi là 'bom ZIP'",
            "không mở tệp này; xin bản gốc từ nơi gửi",
        )
    limits = ingest_limits()
    xml = next((i for i in infos if i.filename.endswith(".xml") and i.file_size > limits.max_xml_bytes), None)
    if xml is not None:
        raise IngestError(
            source,
            f"phần '{xml.filename}' giải nén ra {xml.file_size / 2**20:,.0f} MB XML, vượt giới hạn"
            f" {limits.max_xml_mb} MB (TRACUU_MAX_XML_MB)",
            "tách tài liệu thành nhiều tệp nhỏ hơn hoặc tăng TRACUU_MAX_XML_MB",
        )
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        other = next((kind for part, kind in _OTHER_OFFICE.items() if part in names), None)
        reason = f"đây là {other}, không phải tài liệu Word" if other else "tệp ZIP không phải tài liệu Word"
        raise IngestError(source, reason + " (thiếu word/document.xml)", "chỉ lập chỉ mục tài liệu .docx")
    f.seek(0)


def _cell_text(tc: Any, para_text: Any = None) -> str:
    from docx.oxml.ns import qn

    parts = []
    for p in tc.iter(qn("w:p")):
        text = para_text(p) if para_text else "".join(t.text or "" for t in p.iter(qn("w:t")))
        text = " ".join(text.split())  # line breaks inside a cell: the row stays one line
        if text:
            parts.append(text)
    return " ".join(parts)


@cache
def _table_xpaths() -> tuple[Any, Any, Any]:
    """Compiled once: compiling an XPath per row made large tables slow."""
    from docx.oxml.ns import nsmap
    from lxml import etree

    ns = {"w": nsmap["w"], "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
    return (
        etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces=ns),
        etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc", namespaces=ns),
        # text boxes anchored in a paragraph (the modern copy only, not the VML fallback)
        etree.XPath(".//w:txbxContent//w:p[not(ancestor::mc:Fallback)]", namespaces=ns),
    )


def table_text(tbl: Any, para_text: Any = None) -> str:
    """One line per row, cells joined by " | "; merged cells appear once, nested tables flattened.
    ``para_text`` turns one w:p into text (legacy fonts decoded); default: its w:t text."""
    rows = []
    rows_xpath, cells_xpath, _ = _table_xpaths()
    for tr in rows_xpath(tbl):
        cells = [_cell_text(tc, para_text) for tc in cells_xpath(tr)]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _blocks(body: Any, numbering: Any, para_text: Any) -> list[str]:
    from docx.oxml.ns import qn

    out = []
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            label = numbering.label(child)
            text = para_text(child).strip()
            if text:
                out.append(f"{label} {text}" if label else text)
            out.extend(t for t in (para_text(p).strip() for p in _table_xpaths()[2](child)) if t)
        elif child.tag == qn("w:tbl"):
            rows = table_text(child, para_text)
            if rows:
                out.append(rows)
        elif child.tag == qn("w:sdt"):  # content control wrapping paragraphs/tables
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                out.extend(_blocks(content, numbering, para_text))
    return out


def load_docx(path: Path, source: str) -> RawDocument:
    import docx
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    with open_regular(path, source) as f:
        if file_size(f) == 0:
            raise empty_file_error(source)
        digest = sha256_of(f, source)
        check_container(f, source)
        try:
            document = docx.Document(f)
        except (OpcError, KeyError, LxmlError, zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise IngestError(
                source, f"tệp DOCX bị hỏng, không đọc được ({type(exc).__name__})", _RESAVE
            ) from exc
    return document_to_raw(document, source, digest, "docx")


_NOTE_PARTS = (("/word/footnotes.xml", "w:footnote"), ("/word/endnotes.xml", "w:endnote"))
_NOT_NOTES = ("separator", "continuationSeparator", "continuationNotice")


def notes_blocks(document: Any, para_text: Any) -> list[str]:
    """Footnotes, then endnotes, after the body as "(n) text" blocks, n counting from 1 in order."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    parts = {str(part.partname): part for part in document.part.package.iter_parts()}
    out: list[str] = []
    for partname, tag in _NOTE_PARTS:
        part = parts.get(partname)
        if part is None:
            continue
        root = parse_xml(part.blob)
        for note in root.iterchildren(qn(tag)):
            if note.get(qn("w:type")) in _NOT_NOTES:
                continue
            text = " ".join(t for t in (para_text(p).strip() for p in note.iter(qn("w:p"))) if t)
            if text:
                out.append(f"({len(out) + 1}) {text}")
    return out


def document_to_raw(document: Any, source: str, digest: str, fmt: str) -> RawDocument:
    """A python-docx Document as a RawDocument; runs in legacy fonts (.VnTime, VNI-Times) decoded."""
    from retrieval.ingest.docx_numbering import ListNumbering

    numbering = ListNumbering(document)
    runs = DocumentRuns(document)
    blocks = _blocks(document.element.body, numbering, runs.paragraph_text)
    blocks += notes_blocks(document, runs.paragraph_text)
    text = unicodedata.normalize("NFC", "\n\n".join(blocks))
    if not text.strip():
        raise no_text_error(source, "tài liệu Word không có đoạn văn hay bảng nào")
    warnings = runs.warnings()
    max_chars = ingest_limits().max_chars
    if len(text) > max_chars:
        text = text[:max_chars]
        warnings += (f"tài liệu dài hơn {max_chars:,} ký tự (TRACUU_MAX_CHARS): chỉ lập chỉ mục phần đầu",)
    return RawDocument(source=source, text=text, sha256=digest, format=fmt, warnings=warnings)
