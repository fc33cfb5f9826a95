"""Render the sample plans (corpus/*.txt) to PDF, DOCX and page images for ingest tests and benchmarks.

Deterministic: fixed fonts, sizes and metadata dates, so the same input gives the same output.

    python scripts/make_fixtures.py --out test-artifacts/fixtures [--only 001]

PDF: fpdf2 with a Unicode TrueType font (DejaVu, Debian package ``fonts-dejavu-core``), with a running
header and "Trang N/M" footer so header/footer removal has something to remove. DOCX: python-docx with
real Word auto-numbering ("I.", "1.", "a)") for numbered headings and items. Images: PDF pages
rasterized with pypdfium2.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
RUNNING_HEADER = "ĐẢNG BỘ TỈNH TUYÊN QUANG"
FIXED_DATE = datetime(2020, 9, 10, tzinfo=UTC)
_ROMAN = re.compile(r"^([IVX]+)\.\s+(.*)$")
_DECIMAL = re.compile(r"^(\d+)\.\s+(.*)$")
_LETTER = re.compile(r"^([a-zđ])\)\s+(.*)$")


def find_font() -> Path:
    """A TrueType font with Vietnamese glyphs; fc-match as a fallback."""
    for cand in FONT_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True)
        if out.returncode == 0 and Path(out.stdout).is_file():
            return Path(out.stdout)
    raise SystemExit("không tìm thấy phông Unicode: sudo apt-get install fonts-dejavu-core")


def plan_text(number: str) -> str:
    """Text of sample plan ``number`` ("001"), Markdown bold markers removed."""
    path = next(CORPUS.glob(f"{number}_*.txt"))
    return path.read_text(encoding="utf-8").replace("**", "")


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def new_pdf(
    font: Path | None = None, header: str | None = RUNNING_HEADER, page_numbers: str | None = "Trang {n}/{nb}"
):
    from fpdf import FPDF

    class PlanPDF(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("body", size=9)
                self.cell(0, 6, header, align="C", new_x="LMARGIN", new_y="NEXT")
                self.ln(2)

        def footer(self) -> None:
            if page_numbers:
                self.set_y(-12)
                self.set_font("body", size=9)
                self.cell(0, 6, page_numbers.replace("{n}", str(self.page_no())), align="C")

    pdf = PlanPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_font("body", fname=str(font or find_font()))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 15, 20)
    return pdf


def render_pdf(text: str, out: Path, font_size: float = 12, **kwargs) -> Path:
    """Plan text as a text-layer PDF: one paragraph per non-empty line."""
    pdf = new_pdf(**kwargs)
    pdf.add_page()
    pdf.set_font("body", size=font_size)
    for para in paragraphs(text):
        pdf.multi_cell(0, font_size * 0.5, para, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


def render_many_pages(n_pages: int, out: Path) -> Path:
    """A cheap n-page PDF for scale tests: page i holds items 2i-1 and 2i, lines taken from the plans."""
    lines = [p for n in ("000", "001", "002") for p in paragraphs(plan_text(n)) if 40 < len(p) < 90]
    pdf = new_pdf(page_numbers="Trang {n}")
    pdf.set_font("body", size=11)
    for i in range(1, n_pages + 1):
        pdf.add_page()
        for k in (2 * i - 1, 2 * i):
            pdf.cell(0, 8, f"{k}. {lines[k % len(lines)]}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out))
    return out


def rasterize(pdf_path: Path, out_dir: Path, dpi: int = 300, pages: list[int] | None = None) -> list[Path]:
    """PNG images of PDF pages (grayscale, ``dpi``); ``pages`` are 0-based indexes, default all."""
    import pypdfium2 as pdfium

    out_dir.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        paths = []
        for i in pages if pages is not None else range(len(doc)):
            img = doc[i].render(scale=dpi / 72, grayscale=True).to_pil()
            path = out_dir / f"{pdf_path.stem}_p{i + 1}.png"
            img.save(path, dpi=(dpi, dpi))
            paths.append(path)
        return paths
    finally:
        doc.close()


def image_pdf(images: list[Path], out: Path, text_layer: str | None = None, dpi: int = 300) -> Path:
    """A scan-like PDF: each image on an A4 page at its natural size for ``dpi``; optional invisible
    ``text_layer`` (Helvetica, so Latin-1 only) on each page, e.g. garbage or legacy-encoded text."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(False)
    for img in images:
        with Image.open(img) as im:
            width_mm = min(im.width / dpi * 25.4, pdf.w)
        pdf.add_page()
        pdf.image(str(img), x=0, y=0, w=width_mm)
        if text_layer:  # invisible (render mode 3), like the text layer of an OCR'd or mis-encoded scan
            with pdf.local_context(text_mode="INVISIBLE"):
                pdf.set_font("helvetica", size=10)
                pdf.set_xy(10, 10)
                pdf.multi_cell(pdf.w - 20, 5, text_layer)
    pdf.output(str(out))
    return out


def legacy_font_pdf(text: str, out: Path, encoding: str = "tcvn3") -> Path:
    """A PDF typed the 1990s way: legacy-encoded bytes shown with a plain 8-bit font and no Unicode map,
    so its text layer extracts as "KÕ ho¹ch" (here: Helvetica showing the bytes as Latin-1)."""
    from fpdf import FPDF

    sys.path.insert(0, str(ROOT))
    from retrieval.ingest.vietnamese import encode_legacy

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for para in paragraphs(text):
        pdf.multi_cell(0, 6, encode_legacy(para, encoding).decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out))
    return out


def crop_top(image: Path, out: Path, fraction: float) -> Path:
    """The top ``fraction`` of an image (small OCR fixtures)."""
    from PIL import Image

    with Image.open(image) as im:
        im.crop((0, 0, im.width, int(im.height * fraction))).save(out, dpi=im.info.get("dpi", (300, 300)))
    return out


def _add_numbering(doc) -> int:
    """Add a 3-level list definition (I. / 1. / a)) to the document; returns its numId."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    try:
        numbering = doc.part.numbering_part.element
    except NotImplementedError:  # template without numbering part
        raise SystemExit("mẫu DOCX thiếu numbering.xml") from None
    levels = (("upperRoman", "%1."), ("decimal", "%2."), ("lowerLetter", "%3)"))
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{txt}"/>'
        f'<w:lvlJc w:val="left"/></w:lvl>'
        for i, (fmt, txt) in enumerate(levels)
    )
    abstract_id, num_id = 90, 90
    numbering.insert(
        0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>')
    )
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
        )
    )
    del RT
    return num_id


def _set_num(paragraph, num_id: int, level: int) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    numpr = ppr.get_or_add_numPr()
    numpr.get_or_add_ilvl().val = level
    numpr.get_or_add_numId().val = num_id


def render_docx(text: str, out: Path, auto_numbering: bool = True) -> Path:
    """Plan text as DOCX; "I."/"1."/"a)" prefixes become Word auto-numbering when they follow on."""
    from docx import Document

    doc = Document()
    doc.core_properties.created = doc.core_properties.modified = FIXED_DATE
    num_id = _add_numbering(doc) if auto_numbering else 0
    counters = [0, 0, 0]
    for para in paragraphs(text):
        level, body = None, para
        for lvl, pattern in enumerate((_ROMAN, _DECIMAL, _LETTER)):
            m = pattern.match(para)
            if m:
                expected = _label(lvl, counters[lvl] + 1)
                if m.group(1) == expected:
                    level, body = lvl, m.group(2)
                break
        if level is None or not auto_numbering:
            style = "Title" if para == "KẾ HOẠCH" else None
            doc.add_paragraph(para, style=style)
            continue
        counters[level] += 1
        counters[level + 1 :] = [0] * (2 - level)
        p = doc.add_paragraph(body, style="Heading 1" if level == 0 else None)
        _set_num(p, num_id, level)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


def _label(level: int, n: int) -> str:
    if level == 0:
        vals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
        out = ""
        for v, s in vals:
            while n >= v:
                out, n = out + s, n - v
        return out
    return str(n) if level == 1 else "abcdeghiklmnopqrstuvxy"[n - 1]


def normalize_for_compare(text: str) -> str:
    """NFC, whitespace runs collapsed: what "same text" means across PDF/DOCX/OCR renderings."""
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: Levenshtein distance / reference length, on normalized text."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = normalize_for_compare(reference), normalize_for_compare(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(len(ref), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "fixtures")
    parser.add_argument("--only", help="plan number, e.g. 001")
    parser.add_argument("--dpi", type=int, default=300)
    args = parser.parse_args(argv)
    numbers = [args.only] if args.only else sorted(p.name[:3] for p in CORPUS.glob("[0-9][0-9][0-9]_*.txt"))
    for number in numbers:
        text = plan_text(number)
        pdf = render_pdf(text, args.out / f"plan_{number}.pdf")
        render_docx(text, args.out / f"plan_{number}.docx")
        rasterize(pdf, args.out / "images", dpi=args.dpi, pages=[0])
        print(f"{number}: {pdf.name}, plan_{number}.docx, images/plan_{number}_p1.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
