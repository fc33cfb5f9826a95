"""Ingest: turn one file into a RawDocument (display text + page map), or raise IngestError.

``load_document`` is the only entry point the indexer uses; ``iter_corpus_files`` lists a corpus folder.
Each format lives in its own module, imported on first use (PDF/OCR/HTML libraries are heavy):

* ``text``: .txt .md, legacy Vietnamese encodings (TCVN3, VNI, VISCII, Windows-1258), UTF-8/16
* ``pdf``: .pdf via pypdf, with OCR (``ocr``) for pages without a usable text layer
* ``ocr``: .png .jpg .jpeg .tif .tiff via Tesseract (``vie``), pages rendered with pypdfium2
* ``docx``: .docx via python-docx, list numbering and tables kept as text
* ``html``: .html .htm via trafilatura (main content only)
* ``office``: .doc .rtf .odt .xls converted by LibreOffice (``soffice --headless``), then read as DOCX/XLSX
* ``sheets``: .xlsx via openpyxl (read-only), each sheet as rows of "cell | cell"
* ``legacy_fonts``: text in TCVN3/VNI/VISCII fonts (DOCX runs, XLSX cells) decoded to Unicode by font

Every failure, expected or not, reaches the caller as ``IngestError`` with a Vietnamese reason and
hint; only KeyboardInterrupt/SystemExit pass through.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import HINT_REPORT, check_regular, oserror_to_ingest
from retrieval.ingest.formats import FORMATS, SUPPORTED_SUFFIXES, unsupported_error
from retrieval.ingest.walk import allowed_roots, iter_corpus_files, outside_error
from retrieval.types import RawDocument

__all__ = ["SUPPORTED_SUFFIXES", "IngestError", "iter_corpus_files", "load_document"]


def _source_name(path: Path, corpus_root: Path) -> str:
    try:
        source = path.relative_to(corpus_root).as_posix()
    except ValueError:
        source = path.as_posix()
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name, kept as surrogates by the OS layer
        shown = source.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise IngestError(
            shown, "tên tệp chứa ký tự không hợp lệ (không phải UTF-8)", "đổi tên tệp"
        ) from None
    return source


def _loader(module: str) -> Callable[[Path, str], RawDocument]:
    if module == "text":
        from retrieval.ingest.text import load_text

        return load_text
    if module == "pdf":
        from retrieval.ingest.pdf import load_pdf

        return load_pdf
    if module == "docx":
        from retrieval.ingest.docx import load_docx

        return load_docx
    if module == "office":
        from retrieval.ingest.office import load_office

        return load_office
    if module == "sheets":
        from retrieval.ingest.sheets import load_xlsx

        return load_xlsx
    if module == "html":
        from retrieval.ingest.html import load_html

        return load_html
    from retrieval.ingest.ocr import load_image

    return load_image


def load_document(path: Path, corpus_root: Path) -> RawDocument:
    """Load one file of the corpus; raises IngestError (never anything else) when it cannot."""
    path, corpus_root = Path(path), Path(corpus_root)
    source = _source_name(path, corpus_root)
    if err := outside_error(path, allowed_roots(corpus_root), source):
        raise err
    try:
        check_regular(os.stat(path), source)
    except OSError as exc:
        raise oserror_to_ingest(source, exc) from exc
    suffix = path.suffix.lower()
    module = FORMATS.get(suffix)
    if module is None:
        raise unsupported_error(source, suffix)
    try:
        return _loader(module)(path, source)
    except IngestError:
        raise
    except OSError as exc:
        raise oserror_to_ingest(source, exc) from exc
    except MemoryError as exc:
        raise IngestError(
            source, "tệp quá lớn, không đủ bộ nhớ để đọc", "tách tệp thành nhiều tệp nhỏ hơn"
        ) from exc
    except RecursionError as exc:
        raise IngestError(
            source, "cấu trúc tệp lồng nhau quá sâu (tệp hỏng?)", "lưu lại tệp từ phần mềm gốc"
        ) from exc
    except Exception as exc:  # a library bug or an input nobody foresaw: still one clear line
        raise IngestError(
            source, f"lỗi không mong đợi khi đọc tệp ({type(exc).__name__}: {exc})", HINT_REPORT
        ) from exc
