"""PDF via pypdf: text per page with a page map, repeated headers/footers removed, sentences split by
a page break joined, legacy-font text layers re-decoded, and OCR for pages without usable text."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from pypdf.errors import LimitReachedError

from retrieval.ingest import vietnamese as vn
from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, no_text_error, open_regular, sha256_of
from retrieval.ingest.pdf_fonts import decode_legacy_pages, fix_abbreviated_filters, page_font_names
from retrieval.types import RawDocument

MIN_TEXT_CHARS = 20  # fewer letters/digits on a page: no usable text layer
SCAN_TEXT_CHARS = 500  # a page mostly covered by an image with less text than this is a scan
SCAN_COVERAGE = 0.5
MAX_MASKED_LINE = 40  # header/footer lines matched with digits masked are at most this long
_ENCRYPTED = ("PDF được mã hóa bằng mật khẩu", "hãy gỡ mật khẩu rồi lập chỉ mục lại")
_BOMB = (
    "PDF có luồng dữ liệu giải nén ra quá lớn (nghi là 'bom nén'), không đọc và không OCR",
    "không mở tệp này; xin bản gốc từ nơi gửi",
)
_BROKEN_HINT = "mở và lưu lại (hoặc in ra PDF) bằng phần mềm đọc PDF rồi lập chỉ mục lại"
_PAGE_NUMBER = re.compile(
    r"[-–—\s]*(?:trang|page)?\s*\d{1,4}(?:\s*(?:/|của|of)\s*\d{1,4})?[-–—\s]*", re.IGNORECASE
)
_SENTENCE_END = tuple(".:;!?…)]\"”'»")
_BLOCK_START = re.compile(r"(?:[IVXLC]+\.|\d+(?:\.\d+)*[.)]|[a-zđ]\)|[-–—+•*])\s")


def _is_heading(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


@contextmanager
def _captured_pypdf_logs():
    """pypdf reports recoverable damage through logging; collect it as a warning instead of printing."""
    records: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    handler, level, propagate = _Collect(logging.WARNING), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _open_reader(f, source: str):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(f, strict=False)
        if reader.is_encrypted:
            from pypdf import PasswordType

            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise IngestError(source, *_ENCRYPTED)
        n_pages = len(reader.pages)
    except IngestError:
        raise
    except DependencyError as exc:
        raise IngestError(
            source, "PDF mã hóa AES cần thư viện cryptography", "cài: pip install 'cryptography>=43'"
        ) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError) as exc:
        raise IngestError(source, "tệp PDF bị hỏng hoặc bị cắt cụt, không đọc được", _BROKEN_HINT) from exc
    if n_pages == 0:
        raise IngestError(source, "tệp PDF không có trang nào (có thể bị cắt cụt)", _BROKEN_HINT)
    return reader, n_pages


def _significant(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def is_garbage(text: str) -> bool:
    """A text layer that is not readable text: private-use glyph codes, control characters, "(cid:12)",
    or words that are neither plausible ASCII words nor Vietnamese syllables."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return False
    weird = sum(1 for ch in chars if unicodedata.category(ch) in ("Co", "Cc", "Cn", "Cs") or ch == "\ufffd")
    if weird > 0.05 * len(chars) or text.count("(cid:") >= 3:
        return True
    words = [w for w in re.findall(r"[^\s\d.,;:!?()\[\]\"'“”/\-–—…]+", text) if len(w) > 1]
    if len(words) < 5:
        return False
    good = 0
    for w in words:
        if w.isascii():
            good += bool(re.fullmatch(r"[A-Za-z]?[a-z]*|[A-Z]+", w)) and bool(re.search(r"[aeiouyAEIOUY]", w))
        else:
            good += vn.is_vietnamese_syllable(w)
    return good < 0.6 * len(words)


def _key(line: str, mask_digits: bool) -> str:
    line = re.sub(r"\s+", " ", line.strip().lower())
    return re.sub(r"\d+", "#", line) if mask_digits else line


def remove_headers_footers(pages: list[str]) -> tuple[list[str], int]:
    """Drop lines repeated in the top/bottom 3 lines of most pages, and bare page numbers there.

    A line repeats when its exact text does ("KẾ HOẠCH SỐ 427-KH/TU"), or, for short lines only
    (≤ MAX_MASKED_LINE characters), when it does with digits masked and its first number follows the
    page number ("Trang 3/10" on page 3): body lines that differ only by numbers stay.
    Returns the pages and how many lines were dropped."""
    if len(pages) < 2:
        return pages, 0
    edge = 3
    page_lines = [p.split("\n") for p in pages]
    exact: Counter[str] = Counter()
    masked: dict[str, Counter[int]] = {}
    for page_no, lines in enumerate(page_lines, start=1):
        nonempty = [ln for ln in lines if ln.strip()]
        zone = nonempty[:edge] + nonempty[-edge:]
        exact.update({_key(ln, False) for ln in zone})
        for ln in {ln for ln in zone if len(ln.strip()) <= MAX_MASKED_LINE}:
            m = re.search(r"\d+", ln)
            if m:
                masked.setdefault(_key(ln, True), Counter())[int(m.group()) - page_no] += 1
    threshold = max(3, int(0.6 * len(pages) + 0.5)) if len(pages) >= 3 else 2
    repeated = {k for k, c in exact.items() if c >= threshold and k}
    numbered = {
        k
        for k, offsets in masked.items()
        if offsets.most_common(1)[0][1] >= max(threshold, 0.8 * offsets.total())
    }

    def is_furniture(line: str) -> bool:
        s = line.strip()
        if _key(s, False) in repeated or _PAGE_NUMBER.fullmatch(s):
            return True
        return len(s) <= MAX_MASKED_LINE and _key(s, True) in numbered

    removed = 0
    out = []
    for lines in page_lines:
        idx = [i for i, ln in enumerate(lines) if ln.strip()]
        drop = {i for i in set(idx[:edge] + idx[-edge:]) if is_furniture(lines[i])}
        removed += len(drop)
        out.append("\n".join(ln for i, ln in enumerate(lines) if i not in drop))
    return out, removed


def join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Concatenate pages; a sentence cut by a page break (no final punctuation, next page starting in
    lowercase) is joined with a space, other pages with a blank line. Returns text and page starts."""
    text = ""
    starts = []
    for page in pages:
        page = page.strip()
        if text and page:
            tail = text.rstrip()
            last_line = tail.rsplit("\n", 1)[-1]
            continues = not _BLOCK_START.match(page) and (
                page[0].islower() or not (tail.endswith(_SENTENCE_END) or _is_heading(last_line))
            )
            text = tail + (" " if continues else "\n\n")
        starts.append(len(text))
        text += page
    return text, tuple(starts)


def _clean_page(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFEFF]))
    return "\n".join(line.rstrip() for line in text.split("\n"))


def load_pdf(path: Path, source: str) -> RawDocument:
    with open_regular(path, source) as f:
        if file_size(f) == 0:
            raise empty_file_error(source)
        head = f.read(1024)
        if b"%PDF-" not in head:
            raise IngestError(
                source, "tệp không phải PDF hợp lệ (thiếu phần đầu %PDF)", "kiểm tra lại tệp gốc"
            )
        f.seek(max(0, file_size(f) - 2048))
        has_eof = b"%%EOF" in f.read()
        digest = sha256_of(f, source)
        with _captured_pypdf_logs() as logs:
            reader, n_pages = _open_reader(f, source)
            texts, failed, page_fonts, bombs = [], [], [], []
            for i in range(n_pages):
                try:
                    page = reader.pages[i]
                    page_fonts.append(page_font_names(page))
                    fix_abbreviated_filters(page)
                    texts.append(_clean_page(page.extract_text() or ""))
                except LimitReachedError:  # a stream that inflates past pypdf's limit: never render it
                    page_fonts.extend([[]] * (len(texts) + 1 - len(page_fonts)))
                    texts.append("")
                    bombs.append(i)
                except Exception:  # one unreadable page must not lose the document: OCR it instead
                    page_fonts.extend([[]] * (len(texts) + 1 - len(page_fonts)))
                    texts.append("")
                    failed.append(i)
    warnings: list[str] = []
    if not has_eof or logs:
        warnings.append("PDF có lỗi cấu trúc (có thể bị cắt cụt), đã khôi phục phần đọc được")
    legacy = decode_legacy_pages(texts, page_fonts)
    if legacy:
        warnings.append(f"lớp chữ PDF dùng phông mã cũ {legacy}, đã chuyển sang Unicode")
    repaired = None if legacy else vn.repair_mojibake("\n".join(texts)[:20000])
    if repaired:
        texts = [(vn.repair_mojibake(t) or (t, ""))[0] for t in texts]
        warnings.append(f"lớp chữ PDF dùng phông mã cũ {repaired[1].upper()}, đã chuyển sang Unicode")
    garbage = sum(is_garbage(t) for t in texts)
    ocr_pages, ocr_error = _ocr_where_needed(path, source, texts, set(failed), warnings, set(bombs))
    if bombs:
        warnings.append(f"bỏ qua trang {_ranges([i + 1 for i in bombs])}: {_BOMB[0]}")
    texts, removed = remove_headers_footers(texts)
    text, starts = join_pages(texts)
    if not text.strip():
        if bombs:
            raise IngestError(source, _BOMB[0] + f" (trang {_ranges([i + 1 for i in bombs])})", _BOMB[1])
        if garbage and ocr_error is not None:
            raise IngestError(
                source,
                f"lớp chữ PDF là ký tự vô nghĩa ở {garbage} trang (phông chữ không có bảng mã Unicode),"
                f" và không nhận dạng lại được bằng OCR: {ocr_error.reason}",
                ocr_error.hint,
            )
        if ocr_error is not None:
            raise ocr_error
        raise no_text_error(source, f"{n_pages} trang không có lớp chữ và OCR không nhận ra chữ")
    return RawDocument(
        source=source,
        text=text,
        sha256=digest,
        format="pdf",
        page_starts=starts,
        ocr_pages=tuple(ocr_pages),
        warnings=tuple(warnings),
    )


def _ocr_where_needed(
    path: Path, source: str, texts: list[str], failed: set[int], warnings: list[str], skip: set[int]
) -> tuple[list[int], IngestError | None]:
    """Replace, in place, the text of pages that need OCR. Returns their 1-based numbers and the first
    OCR error: a page OCR cannot read (Tesseract missing, timeout) is left out with a warning, so the
    rest of the document is still indexed."""
    from retrieval.ingest.ocr import MAX_OCR_PAGES, PdfPages, ocr_image

    candidates = [
        i
        for i, t in enumerate(texts)
        if i not in skip and (i in failed or _significant(t) < SCAN_TEXT_CHARS or is_garbage(t))
    ]
    if not candidates:
        return [], None
    done: list[int] = []
    skipped: list[int] = []
    failures: list[int] = []
    first_error: IngestError | None = None
    try:
        pages = PdfPages(path)
    except Exception as exc:  # pdfium cannot open what pypdf could: keep the text layer as it is
        warnings.append(f"không mở được PDF để nhận dạng chữ (OCR): {type(exc).__name__}")
        return [], None
    with pages:
        for i in candidates:
            t = texts[i]
            scan = i in failed or _significant(t) < MIN_TEXT_CHARS or is_garbage(t)
            if not scan and pages.image_coverage(i) < SCAN_COVERAGE:
                continue
            if _significant(t) < MIN_TEXT_CHARS and not pages.has_objects(i):
                continue  # a blank page
            if len(done) >= MAX_OCR_PAGES:
                skipped.append(i + 1)
                continue
            try:
                texts[i] = ocr_image(pages.render(i), source)
            except IngestError as exc:
                first_error = first_error or exc
                failures.append(i + 1)
                if is_garbage(t):
                    texts[i] = ""
                continue
            done.append(i + 1)
    if done:
        warnings.append(f"{len(done)} trang được nhận dạng bằng OCR (có thể sai chính tả): {_ranges(done)}")
    if skipped:
        warnings.append(f"quá {MAX_OCR_PAGES} trang cần OCR: bỏ qua các trang {_ranges(skipped)}")
    if first_error is not None:
        warnings.append(
            f"không nhận dạng được chữ (OCR) ở trang {_ranges(failures)}: {first_error.reason}"
            f" — {first_error.hint}"
        )
    return done, first_error


def _ranges(numbers: list[int]) -> str:
    out, start, prev = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)
