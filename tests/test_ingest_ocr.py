"""Images as documents (Tesseract, Vietnamese): accuracy on a rendered plan page, and bad images."""

from __future__ import annotations

import shutil
import struct
import sys
import zlib
from pathlib import Path

import pytest

from retrieval.ingest import IngestError, load_document
from retrieval.ingest import ocr as ocr_mod

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_fixtures as mf  # noqa: E402

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
MAX_CER = 0.03  # measured about 1% on this page (see eval/ocr_bench.py)


@pytest.fixture(scope="session")
def plan_pdf(tmp_path_factory) -> Path:
    return mf.render_pdf(mf.plan_text("001"), tmp_path_factory.mktemp("ocr") / "plan_001.pdf")


def load(path: Path):
    return load_document(path, path.parent)


def assert_clear(err: IngestError, *words: str) -> None:
    assert err.reason and err.hint and err.source in str(err)
    for w in words:
        assert w in f"{err.reason} {err.hint}", (w, str(err))


@needs_tesseract
def test_page_image_ocr_character_error_rate(tmp_path, plan_pdf):
    from pypdf import PdfReader

    reference = PdfReader(plan_pdf).pages[0].extract_text()  # what was drawn on page 1
    (png,) = mf.rasterize(plan_pdf, tmp_path, dpi=300, pages=[0])
    doc = load(png)
    assert doc.format == "image" and doc.ocr_pages == (1,) and doc.page_starts == ()
    rate = mf.cer(reference, doc.text)
    print(f"CER page 1 @300 dpi: {rate:.4f}")
    assert rate < MAX_CER, rate


@needs_tesseract
def test_multi_page_tiff(tmp_path, plan_pdf):
    from PIL import Image

    pages = mf.rasterize(plan_pdf, tmp_path, dpi=200, pages=[0, 5])
    crops = [mf.crop_top(p, tmp_path / f"c{i}.png", 0.2) for i, p in enumerate(pages)]
    frames = [Image.open(c) for c in crops]
    frames[0].save(tmp_path / "scan.tif", save_all=True, append_images=frames[1:], dpi=(200, 200))
    doc = load(tmp_path / "scan.tif")
    assert doc.ocr_pages == (1, 2) and len(doc.page_starts) == 2
    assert doc.page_of(doc.text.index("Số 427")) == 1
    assert doc.page_of(len(doc.text) - 1) == 2


@needs_tesseract
def test_blank_image_has_no_text(tmp_path):
    from PIL import Image

    Image.new("L", (800, 600), 255).save(tmp_path / "trang.png")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "trang.png")
    assert_clear(exc.value, "không nhận dạng được chữ")


def test_tesseract_missing(tmp_path, monkeypatch):
    import pytesseract
    from PIL import Image

    Image.new("L", (100, 100), 255).save(tmp_path / "anh.png")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "khong-co"))
    monkeypatch.setattr(ocr_mod, "_ok_cmds", set())
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "anh.png")
    assert_clear(exc.value, "chưa cài Tesseract", "apt-get install tesseract-ocr tesseract-ocr-vie")


def test_tesseract_without_vietnamese_data(tmp_path, monkeypatch):
    import pytesseract
    from PIL import Image

    Image.new("L", (100, 100), 255).save(tmp_path / "anh.png")
    monkeypatch.setattr(pytesseract, "get_tesseract_version", lambda: "5.3.0")
    monkeypatch.setattr(pytesseract, "get_languages", lambda config="": ["eng", "osd"])
    monkeypatch.setattr(ocr_mod, "_ok_cmds", set())
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "anh.png")
    assert_clear(exc.value, "tiếng Việt", "tesseract-ocr-vie")


def test_corrupt_and_empty_images(tmp_path):
    (tmp_path / "hong.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    (tmp_path / "rong.jpg").write_bytes(b"")
    (tmp_path / "chu.tif").write_text("không phải ảnh", encoding="utf-8")
    for name, word in [
        ("hong.png", "không đọc được ảnh"),
        ("rong.jpg", "rỗng"),
        ("chu.tif", "không đọc được ảnh"),
    ]:
        with pytest.raises(IngestError) as exc:
            load(tmp_path / name)
        assert_clear(exc.value, word)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_decompression_bomb_image(tmp_path):
    """A 200-byte PNG claiming 60000 × 60000 pixels."""
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    (tmp_path / "bom.png").write_bytes(data + _png_chunk(b"IEND", b""))
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "bom.png")
    assert_clear(exc.value, "quá lớn")
