"""PDF ingest: page map, header/footer removal, encryption, damage, legacy fonts, OCR fallback."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from retrieval.ingest import IngestError, load_document
from retrieval.ingest import pdf as pdf_mod

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_fixtures as mf  # noqa: E402

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf_fixtures")


@pytest.fixture(scope="session")
def plan_pdf(fixtures_dir) -> Path:
    return mf.render_pdf(mf.plan_text("001"), fixtures_dir / "plan_001.pdf")


@pytest.fixture(scope="session")
def scan_image(fixtures_dir, plan_pdf) -> Path:
    """Top quarter of page 1 at 200 dpi: a small, quick OCR input."""
    (page,) = mf.rasterize(plan_pdf, fixtures_dir / "img", dpi=200, pages=[0])
    return mf.crop_top(page, fixtures_dir / "img" / "top.png", 0.25)


def load(path: Path):
    return load_document(path, path.parent)


def assert_clear(err: IngestError, *words: str) -> None:
    assert err.reason and err.hint and err.source in str(err)
    for w in words:
        assert w in f"{err.reason} {err.hint}", (w, str(err))


def test_plan_pdf_round_trip(plan_pdf):
    doc = load(plan_pdf)
    original = mf.plan_text("001").replace("\u1031", "")  # one stray glyph DejaVu Sans lacks
    assert mf.normalize_for_compare(doc.text) == mf.normalize_for_compare(original)
    assert doc.format == "pdf" and doc.ocr_pages == ()
    assert len(doc.page_starts) == 6 and doc.page_starts[0] == 0
    assert "Trang 1/" not in doc.text and mf.RUNNING_HEADER not in doc.text  # furniture removed
    assert doc.page_of(doc.text.index("Số 427")) == 1
    assert doc.page_of(doc.text.index("Nguyễn Hồng Thắng")) == 6


def test_sentence_split_by_page_break_is_joined():
    pages = [
        "1. Chỉ đạo triển khai thực hiện tốt Đề án số 16 của Ban",
        "Thường vụ Tỉnh ủy về sinh hoạt chi bộ.",
    ]
    text, starts = pdf_mod.join_pages(pages)
    assert (
        text
        == "1. Chỉ đạo triển khai thực hiện tốt Đề án số 16 của Ban Thường vụ Tỉnh ủy về sinh hoạt chi bộ."
    )
    assert starts == (0, text.index("Thường"))
    # a heading, a finished sentence, or a new list item are not joined
    for first, second in [
        ("II. NỘI DUNG", "Thực hiện"),
        ("xong.", "Tiếp"),
        ("của Ban", "- Tiếp tục"),
        ("và", "a) Hai"),
    ]:
        joined, _ = pdf_mod.join_pages([first, second])
        assert joined == f"{first}\n\n{second}"
    joined, _ = pdf_mod.join_pages(["hết câu.", "tiếp tục chữ thường"])
    assert joined == "hết câu. tiếp tục chữ thường"


def test_headers_and_page_numbers_removed_body_kept():
    pages = [
        f"KẾ HOẠCH SỐ 427-KH/TU\nNội dung trang {i} có số {i * 7} khác nhau ở mỗi trang.\n- {i} -"
        for i in range(1, 6)
    ]
    out, removed = pdf_mod.remove_headers_footers(pages)
    assert removed == 10
    assert out[2] == "Nội dung trang 3 có số 21 khác nhau ở mỗi trang."
    # short lines that differ only by a number not following the page number stay
    pages = [f"Điều {i * 3}.\nThân bài của điều này dài hơn bốn mươi ký tự, trang {i}" for i in range(1, 6)]
    out, removed = pdf_mod.remove_headers_footers(pages)
    assert removed == 0


def test_zero_byte_pdf(tmp_path):
    (tmp_path / "rong.pdf").write_bytes(b"")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "rong.pdf")
    assert_clear(exc.value, "rỗng")


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_pdf(tmp_path, plan_pdf, fraction):
    data = plan_pdf.read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "cut.pdf")
    assert_clear(exc.value, "cắt cụt")


def test_garbage_after_pdf_header(tmp_path):
    (tmp_path / "rac.pdf").write_bytes(b"%PDF-1.4\n" + bytes((i * 131 + 7) % 256 for i in range(20000)))
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "rac.pdf")
    assert_clear(exc.value, "hỏng")


def test_not_a_pdf(tmp_path):
    (tmp_path / "gia.pdf").write_text("<html>không phải PDF</html>", encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "gia.pdf")
    assert_clear(exc.value, "không phải PDF")


@pytest.mark.parametrize("algorithm", ["AES-256", "AES-128", "RC4-128"])
def test_encrypted_with_empty_user_password_loads(tmp_path, plan_pdf, algorithm):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(plan_pdf))
    writer.encrypt(user_password="", owner_password="chu-so-huu", algorithm=algorithm)
    writer.write(tmp_path / "khoa_rong.pdf")
    doc = load(tmp_path / "khoa_rong.pdf")
    assert "Ban Thường vụ Tỉnh ủy" in doc.text
    assert len(doc.page_starts) == 6


def test_encrypted_with_real_password_is_refused(tmp_path, plan_pdf):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(plan_pdf))
    writer.encrypt(user_password="mat-khau", owner_password="chu", algorithm="AES-256")
    writer.write(tmp_path / "khoa.pdf")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "khoa.pdf")
    assert exc.value.reason == "PDF được mã hóa bằng mật khẩu"
    assert exc.value.hint == "hãy gỡ mật khẩu rồi lập chỉ mục lại"


def test_two_thousand_pages(tmp_path):
    path = mf.render_many_pages(2000, tmp_path / "2000.pdf")
    t0 = time.perf_counter()
    doc = load(path)
    elapsed = time.perf_counter() - t0
    assert len(doc.page_starts) == 2000
    assert doc.ocr_pages == ()
    assert doc.page_of(doc.text.index("\n2999. ") + 1) == 1500
    assert doc.page_of(len(doc.text) - 1) == 2000
    assert elapsed < 120, elapsed


def test_blank_pages_only(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_page()
    pdf.output(str(tmp_path / "trang.pdf"))
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "trang.pdf")
    assert_clear(exc.value, "không có nội dung")


def test_legacy_font_text_layer_is_re_decoded(tmp_path):
    from retrieval.ingest import vietnamese as vn

    # TCVN3 "ư" is 0xAD, a soft hyphen in Latin-1 fonts, which PDF writers drop: leave those lines out
    paras = []
    for p in mf.paragraphs(mf.plan_text("001"))[:30]:
        try:
            vn.encode_legacy(p, "tcvn3")
        except ValueError:
            continue
        if "ư" not in p:
            paras.append(p)
    text = "\n".join(paras)
    path = mf.legacy_font_pdf(text, tmp_path / "vntime.pdf", "tcvn3")
    doc = load(path)
    assert mf.normalize_for_compare(doc.text) == mf.normalize_for_compare(text)
    assert any("TCVN3" in w for w in doc.warnings)


def test_is_garbage():
    assert pdf_mod.is_garbage("þÿ¤§¶ ¤§¶ ®¯±² ×ØÙ ¼½¾ ¡¢£ Ææ ¬ ÞÐ " * 5)
    assert pdf_mod.is_garbage("\ue000\ue001\ue002 \ue003\ue004 " * 10)
    assert pdf_mod.is_garbage("(cid:12)(cid:45)(cid:3) (cid:7)(cid:9) (cid:1)")
    assert not pdf_mod.is_garbage("Ban Thường vụ Tỉnh ủy xây dựng kế hoạch thực hiện như sau.")
    assert not pdf_mod.is_garbage("Report on the implementation plan for 2020, section 3.")


@needs_tesseract
def test_image_only_pdf_is_ocrd(tmp_path, scan_image):
    path = mf.image_pdf([scan_image], tmp_path / "scan.pdf", dpi=200)
    doc = load(path)
    assert doc.ocr_pages == (1,)
    assert "Tuyên Quang, ngày 10 tháng 9 năm 2020" in doc.text
    assert any("OCR" in w for w in doc.warnings)


@needs_tesseract
def test_garbage_text_layer_is_replaced_by_ocr(tmp_path, scan_image):
    garbage = "þÿ¤§¶ ¤§¶ ®¯±² ×ØÙ ¼½¾ ¡¢£ Ææ ¬ ÞÐ " * 30
    path = mf.image_pdf([scan_image], tmp_path / "rac.pdf", text_layer=garbage, dpi=200)
    doc = load(path)
    assert doc.ocr_pages == (1,)
    assert "þÿ" not in doc.text
    assert "Tuyên Quang" in doc.text


def test_ocr_needed_but_tesseract_missing(tmp_path, scan_image, monkeypatch):
    import pytesseract

    from retrieval.ingest import ocr as ocr_mod

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "khong-co-tesseract"))
    monkeypatch.setattr(ocr_mod, "_ok_cmds", set())
    path = mf.image_pdf([scan_image], tmp_path / "scan.pdf", dpi=200)
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "Tesseract", "apt-get install tesseract-ocr tesseract-ocr-vie")


def test_text_pages_survive_when_ocr_is_unavailable(tmp_path, plan_pdf, scan_image, monkeypatch):
    """A mostly-digital PDF with one scanned page: without Tesseract, the text pages still load."""
    import pytesseract
    from pypdf import PdfWriter

    from retrieval.ingest import ocr as ocr_mod

    scan = mf.image_pdf([scan_image], tmp_path / "scan.pdf", dpi=200)
    writer = PdfWriter(clone_from=str(plan_pdf))
    writer.append(str(scan))
    writer.write(tmp_path / "tron.pdf")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "khong-co-tesseract"))
    monkeypatch.setattr(ocr_mod, "_ok_cmds", set())
    doc = load(tmp_path / "tron.pdf")
    assert len(doc.page_starts) == 7 and doc.ocr_pages == ()
    assert "Nguyễn Hồng Thắng" in doc.text
    assert any("trang 7" in w and "Tesseract" in w for w in doc.warnings)


def test_mojibake_text_layer_with_tesseract_missing_says_what_is_wrong(tmp_path, scan_image, monkeypatch):
    import pytesseract

    from retrieval.ingest import ocr as ocr_mod

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "khong-co-tesseract"))
    monkeypatch.setattr(ocr_mod, "_ok_cmds", set())
    garbage = "þÿ¤§¶ ¤§¶ ®¯±² ×ØÙ ¼½¾ ¡¢£ Ææ ¬ ÞÐ " * 30
    path = mf.image_pdf([scan_image], tmp_path / "rac.pdf", text_layer=garbage, dpi=200)
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "ký tự vô nghĩa", "Tesseract")


def _inflating_pdf(path: Path, mib: int) -> Path:
    """One page whose content stream is a few hundred KB compressed and ``mib`` MiB inflated."""
    import zlib

    comp = zlib.compressobj(9)
    parts = [comp.compress(b"BT /F1 12 Tf 72 720 Td (Noi dung) Tj ET\n")]
    parts += [comp.compress(b" " * (1 << 20)) for _ in range(mib)] + [comp.flush()]
    stream = b"".join(parts)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


# The child reads its peak memory from VmHWM (its own address space, reset by exec): ru_maxrss would
# carry over the parent's high-water mark through fork/exec on Linux.
_BOMB_CHILD = """
import json, re, sys, time
from pathlib import Path
from retrieval.ingest import IngestError, load_document
path = Path(sys.argv[1])
t0 = time.perf_counter()
try:
    load_document(path, path.parent)
    message = None
except IngestError as exc:
    message = str(exc)
status = Path("/proc/self/status").read_text(encoding="utf-8")
hwm = int(re.search(r"VmHWM:\\s*(\\d+)", status).group(1))
print(json.dumps({"message": message, "seconds": time.perf_counter() - t0, "maxrss_kb": hwm}))
"""


def test_stream_inflating_to_400_mib_is_refused_without_ocr(tmp_path):
    import json
    import subprocess

    path = _inflating_pdf(tmp_path / "bom.pdf", 400)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(IngestError) as exc:
        load(path)
    assert_clear(exc.value, "bom nén")
    assert "Tesseract" not in str(exc.value)
    # Time and memory of the load alone, in a fresh process (this one holds earlier tests' memory).
    root = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run(
        [sys.executable, "-c", _BOMB_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["message"] and "bom nén" in got["message"]
    assert got["seconds"] < 60
    assert got["maxrss_kb"] < 1_500_000  # nothing inflated the 400 MiB stream


LEGACY = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "legacy" / "docs"


@pytest.mark.skipif(not LEGACY.is_dir(), reason="thiếu ../shared/corpus/legacy")
def test_real_legacy_font_pdf_is_decoded_not_ocrd():
    path = min(LEGACY.glob("*.pdf"), key=lambda p: p.stat().st_size)
    truth = (LEGACY.parent / "truth" / f"{path.stem}.txt").read_text(encoding="utf-8")
    doc = load(path)
    assert 1 not in doc.ocr_pages  # its text layer (legacy font) is decoded; only pages without text OCR
    assert len(doc.ocr_pages) <= len(doc.page_starts) // 2
    assert any("phông mã cũ" in w for w in doc.warnings)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))
    import legacy_eval

    assert legacy_eval.score(truth, doc.text).diacritic_accuracy_folded >= 0.97
