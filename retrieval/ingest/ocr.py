"""OCR with Tesseract (``vie`` data) through pytesseract; PDF pages rendered with pypdfium2.

pypdfium2 was chosen over pdf2image because it ships PDFium inside its wheel: no poppler-utils to
install, and it can also tell how much of a page is covered by images (a scan with a thin text layer,
such as a digital-signature stamp, still needs OCR).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, open_regular, sha256_of
from retrieval.types import RawDocument

OCR_LANG = "vie"
OCR_DPI = 300  # Tesseract's sweet spot for body text (x-height ≈ 20-30 px)
OCR_TIMEOUT_S = 180  # per page
MAX_OCR_PAGES = 200  # per document: beyond this, pages are listed in a warning and left out
MIN_IMAGE_SIDE = 1600  # smaller images (screenshots, phone thumbnails) are upscaled ×2 first
INSTALL_HINT = (
    "cài Tesseract và dữ liệu tiếng Việt: sudo apt-get install tesseract-ocr tesseract-ocr-vie "
    "(Debian/Ubuntu) hoặc brew install tesseract tesseract-lang (macOS)"
)
_ok_cmds: set[str] = set()


def ensure_tesseract(source: str) -> None:
    """Raise IngestError (with how to install it) unless Tesseract with Vietnamese data is usable."""
    import pytesseract

    cmd = str(pytesseract.pytesseract.tesseract_cmd)
    if cmd in _ok_cmds:
        return
    try:
        pytesseract.get_tesseract_version()
        langs = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as exc:
        raise IngestError(
            source,
            "chưa cài Tesseract OCR nên không nhận dạng được chữ trong ảnh hoặc bản quét",
            INSTALL_HINT,
        ) from exc
    if OCR_LANG not in langs:
        raise IngestError(source, "Tesseract chưa có dữ liệu nhận dạng tiếng Việt (vie)", INSTALL_HINT)
    _ok_cmds.add(cmd)


def clean_ocr_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\f", "\n"))
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def ocr_image(image: Any, source: str) -> str:
    """Text of one PIL image. Raises IngestError when Tesseract is missing or fails."""
    import pytesseract

    ensure_tesseract(source)
    # Tesseract's OpenMP threads thrash on a small shared machine (measured 8x slower with 2 threads
    # under load); one thread per page unless the user chose otherwise.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    if max(image.size) < MIN_IMAGE_SIDE:
        image = image.resize((image.width * 2, image.height * 2))
    try:
        text = pytesseract.image_to_string(image, lang=OCR_LANG, timeout=OCR_TIMEOUT_S)
    except RuntimeError as exc:  # pytesseract's timeout
        raise IngestError(
            source, "nhận dạng chữ (OCR) quá lâu, đã dừng", "kiểm tra lại ảnh hoặc bản quét"
        ) from exc
    except pytesseract.TesseractError as exc:
        raise IngestError(
            source, f"Tesseract báo lỗi khi nhận dạng chữ ({exc.message})", INSTALL_HINT
        ) from exc
    return clean_ocr_text(text)


class PdfPages:
    """pypdfium2 view of a PDF: rendering and image coverage of pages."""

    def __init__(self, path: Path, password: str | None = None) -> None:
        import pypdfium2 as pdfium

        self._doc = pdfium.PdfDocument(str(path), password=password or None)

    def __enter__(self) -> PdfPages:
        return self

    def __exit__(self, *exc: object) -> None:
        self._doc.close()

    def image_coverage(self, index: int) -> float:
        """Share of the page area covered by image objects (0..1)."""
        import pypdfium2.raw as pdfium_c

        page = self._doc[index]
        width, height = page.get_size()
        area = max(width * height, 1.0)
        covered = 0.0
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
            left, bottom, right, top = obj.get_bounds()
            w = max(0.0, min(right, width) - max(left, 0.0))
            h = max(0.0, min(top, height) - max(bottom, 0.0))
            covered += w * h
        return min(1.0, covered / area)

    def has_objects(self, index: int) -> bool:
        return next(iter(self._doc[index].get_objects(max_depth=1)), None) is not None

    def render(self, index: int, dpi: int = OCR_DPI) -> Any:
        bitmap = self._doc[index].render(scale=dpi / 72, grayscale=True)
        return bitmap.to_pil()


def load_image(path: Path, source: str) -> RawDocument:
    """An image file (.png .jpg .tif; multi-page TIFF gives one page per frame) as an OCR'd document."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    with open_regular(path, source) as f:
        if file_size(f) == 0:
            raise empty_file_error(source)
        digest = sha256_of(f, source)
        try:
            with Image.open(f) as img:
                frames = [frame.copy() for frame in ImageSequence.Iterator(img)][:MAX_OCR_PAGES]
        except Image.DecompressionBombError as exc:
            raise IngestError(
                source, "ảnh có kích thước điểm ảnh quá lớn (nghi là ảnh độc hại)", "thu nhỏ ảnh"
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise IngestError(
                source,
                "không đọc được ảnh (tệp hỏng hoặc không đúng định dạng)",
                "mở và lưu lại ảnh bằng phần mềm xem ảnh",
            ) from exc
    texts = [ocr_image(frame, source) for frame in frames]
    starts, parts, pos = [], [], 0
    for text in texts:
        starts.append(pos)
        parts.append(text)
        pos += len(text) + 2
    full = "\n\n".join(parts)
    if not full.strip():
        raise IngestError(
            source,
            "không nhận dạng được chữ nào trong ảnh",
            "dùng ảnh rõ nét hơn (quét ở 300 dpi, không nghiêng)",
        )
    multi = len(frames) > 1
    return RawDocument(
        source=source,
        text=full,
        sha256=digest,
        format="image",
        page_starts=tuple(starts) if multi else (),
        ocr_pages=tuple(range(1, len(frames) + 1)),
        warnings=("nội dung được nhận dạng bằng OCR, có thể sai chính tả",),
    )
