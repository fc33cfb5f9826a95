"""HTML (.html, .htm): the document body only; charset from BOM, <meta>, or detection.

Pages that mark their document body (legal-database snapshots, Word/LibreOffice web exports; see
``html_body``) give exactly that body, tables as " | " rows like DOCX. Other pages go through
trafilatura's main-content extraction. trafilatura falls back to the whole page when it finds no
article, so a page that is only menus and
links is recognised first with lxml: once navigation elements are dropped, too little text outside
links remains.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from retrieval.ingest import html_body
from retrieval.ingest import vietnamese as vn
from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, no_text_error, open_regular, sha256_of
from retrieval.ingest.limits import ingest_limits
from retrieval.ingest.text import ENCODING_NAMES, detect_encoding
from retrieval.types import RawDocument

MAX_HTML_BYTES = 50 << 20
MIN_CONTENT_CHARS = 40  # letters/digits outside links, after dropping navigation
_BOILERPLATE = (
    "nav", "header", "footer", "aside", "menu", "script", "style", "noscript", "form", "iframe",
    "template", "button", "select", "svg",
)  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_LATIN1_FAMILY = {"iso8859-1", "cp1252", "ascii"}  # codecs.lookup() names
METADATA_ONLY_WARNING = (
    "trang chỉ có thuộc tính văn bản (số hiệu, ngày, cơ quan…), không có toàn văn — "
    "tải toàn văn nếu cần tra cứu"
)
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_NO_CONTENT = (
    "trang HTML không có nội dung chính (chỉ có menu, liên kết điều hướng)",
    "lưu trang chứa toàn văn văn bản, hoặc tải tệp PDF/DOCX đính kèm trên trang",
)


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, codec): BOM, then <meta charset> (checked: a latin-1 page typed in TCVN3/VNI fonts is
    re-decoded; invalid UTF-8 falls back to detection), then detection as for plain text."""

    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    m = _META_CHARSET.search(data[:8192])
    declared = _codec(m.group(1).decode("ascii", "ignore")) if m else None
    if declared in _LATIN1_FAMILY and not data.isascii():
        enc, score = vn.best_legacy_decoding(data[:65536])
        if score > 0.5 and score > vn.vietnamese_score(data[:65536].decode("cp1252", "replace")) + 0.3:
            return vn.to_nfc(vn.decode_legacy(data, enc)), enc
    if declared and not declared.startswith("utf-16"):
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass
    enc, _ = detect_encoding(data[:65536], complete=len(data) <= 65536)
    if enc in vn.LEGACY_ENCODINGS:
        return vn.decode_legacy(data, enc), enc
    return data.decode(enc, errors="replace"), enc


def _content_outside_links(html: str) -> int:
    try:
        root = html_body.parse(html)
    except Exception:  # lxml rejects some inputs (e.g. only comments); let trafilatura decide
        return MIN_CONTENT_CHARS
    for el in root.xpath("|".join(f"//{tag}" for tag in _BOILERPLATE)):
        el.drop_tree()
    for el in root.xpath("//*[@role='navigation' or @role='banner' or @role='contentinfo']"):
        el.drop_tree()
    total = sum(ch.isalnum() for ch in root.text_content())
    in_links = sum(ch.isalnum() for a in root.xpath("//a") for ch in a.text_content())
    return total - in_links


def _tidy(text: str) -> str:
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if _TABLE_SEPARATOR.match(s):
            continue
        if s.startswith("|") and s.endswith("|"):
            s = " | ".join(cell.strip() for cell in s.strip("|").split("|"))
        lines.append(s)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _too_deep(source: str, limit: int) -> IngestError:
    return IngestError(
        source,
        f"trang HTML lồng thẻ quá sâu (hơn {limit:,} tầng, giới hạn TRACUU_MAX_HTML_DEPTH) — tệp hỏng "
        "hoặc được tạo cố ý, không phải nội dung văn bản",
        "lưu lại văn bản dưới dạng PDF/DOCX; nếu chắc đây là văn bản thật, tăng TRACUU_MAX_HTML_DEPTH",
    )


def _marked_body(html: str, source: str, limit: int) -> tuple[str, str] | None:
    """(text, kind) of the document the page marks itself, or None for a page that marks none."""
    try:
        root = html_body.parse(html)
    except Exception:  # lxml refuses some inputs (only comments, empty); trafilatura decides then
        return None
    try:
        found = html_body.document_text(root)
    except RecursionError:  # tables nested inside tables thousands deep
        raise _too_deep(source, limit) from None
    if found is not None and not found[0].strip():
        raise no_text_error(source, "phần thân văn bản được đánh dấu trong trang HTML không có chữ")
    return found


def _main_content(html: str, source: str) -> str:
    import trafilatura

    if _content_outside_links(html) < MIN_CONTENT_CHARS:
        raise IngestError(source, *_NO_CONTENT)
    try:  # parsed here so that trafilatura sees pages deeper than lxml's default cap (256 levels)
        tree = html_body.parse(html)
    except Exception:
        tree = html
    extracted = trafilatura.extract(
        tree, include_tables=True, include_comments=False, favor_recall=True, output_format="txt"
    )
    return _tidy(extracted or "")


def load_html(path: Path, source: str) -> RawDocument:
    with open_regular(path, source) as f:
        size = file_size(f)
        if size == 0:
            raise empty_file_error(source)
        if size > MAX_HTML_BYTES:
            raise IngestError(
                source, f"tệp HTML quá lớn ({size / 2**20:.0f} MB)", "lưu riêng phần nội dung văn bản"
            )
        digest = sha256_of(f, source)
        data = f.read()
    html, codec = decode_html(data)
    html = unicodedata.normalize("NFC", html)
    if "\x00" in html[:4096]:
        raise IngestError(
            source, "tệp có đuôi .html nhưng không phải trang web (nội dung nhị phân)", "kiểm tra lại tệp"
        )
    limit = ingest_limits().max_html_depth
    if html_body.markup_depth(html, stop_at=limit) > limit:
        raise _too_deep(source, limit)
    found = _marked_body(html, source, limit)
    text = unicodedata.normalize("NFC", found[0] if found is not None else _main_content(html, source))
    if not text.strip():
        raise no_text_error(source, "không tìm thấy phần nội dung chính của trang")
    warnings: tuple[str, ...] = ()
    if codec in vn.LEGACY_ENCODINGS:
        warnings = (f"trang dùng bảng mã cũ {ENCODING_NAMES[codec]}, đã chuyển sang Unicode",)
    if found is not None and found[1] == "metadata":
        warnings += (METADATA_ONLY_WARNING,)
    return RawDocument(source=source, text=text, sha256=digest, format="html", warnings=warnings)
