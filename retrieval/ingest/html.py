"""HTML (.html, .htm): main content only, via trafilatura; charset from BOM, <meta>, or detection.

trafilatura falls back to the whole page when it finds no article, so a page that is only menus and
links is recognised first with lxml: once navigation elements are dropped, too little text outside
links remains.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from retrieval.ingest import vietnamese as vn
from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, no_text_error, open_regular, sha256_of
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
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
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


def load_html(path: Path, source: str) -> RawDocument:
    import trafilatura

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
    if _content_outside_links(html) < MIN_CONTENT_CHARS:
        raise IngestError(source, *_NO_CONTENT)
    extracted = trafilatura.extract(
        html, include_tables=True, include_comments=False, favor_recall=True, output_format="txt"
    )
    text = unicodedata.normalize("NFC", _tidy(extracted or ""))
    if not text.strip():
        raise no_text_error(source, "không tìm thấy phần nội dung chính của trang")
    warnings = ()
    if codec in vn.LEGACY_ENCODINGS:
        warnings = (f"trang dùng bảng mã cũ {ENCODING_NAMES[codec]}, đã chuyển sang Unicode",)
    return RawDocument(source=source, text=text, sha256=digest, format="html", warnings=warnings)
