"""OCR benchmark: accuracy (CER) and speed of Tesseract OCR vs the PDF text layer on the sample plans.

Each sample plan is rendered to PDF (scripts/make_fixtures.py); its first pages are rasterized at each
DPI and OCR'd with the same code the ingest uses (retrieval.ingest.ocr). The reference for a page is
the text drawn on it (pypdf extraction of the text-layer PDF). Besides clean renders, a "scan-like"
variant adds skew, blur, noise and JPEG artefacts (deterministic). Speed is compared with loading the
text-layer PDFs through retrieval.ingest.load_document.

    python eval/ocr_bench.py [--plans 001 002] [--pages 2] [--dpi 200 300]

Prints a table and writes eval/results/ocr_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_fixtures as mf  # noqa: E402

from retrieval.ingest import load_document  # noqa: E402
from retrieval.ingest.ocr import OCR_LANG, PdfPages, ocr_image  # noqa: E402

RESULTS = ROOT / "eval" / "results" / "ocr_bench.json"
SCAN_DPI = 300


def scan_like(image, seed: int):
    """Deterministic scanner artefacts: 0.8° skew, blur, Gaussian noise (σ=25), JPEG quality 50."""
    import io

    import numpy as np
    from PIL import Image, ImageFilter

    img = image.convert("L").rotate(0.8, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    rng = np.random.default_rng(seed)
    arr = np.asarray(img, dtype=np.float32) + rng.normal(0, 25, (img.height, img.width))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=50)
    return Image.open(io.BytesIO(buf.getvalue()))


def bench(plans: list[str], pages: int, dpis: list[int], workdir: Path) -> dict:
    from pypdf import PdfReader

    pdfs = {n: mf.render_pdf(mf.plan_text(n), workdir / f"plan_{n}.pdf") for n in plans}

    # Text layer: the whole ingest path (pypdf + header/footer removal + page joining).
    n_pages = 0
    t0 = time.perf_counter()
    for path in pdfs.values():
        n_pages += len(load_document(path, workdir).page_starts)
    text_layer_s = time.perf_counter() - t0

    rows = []
    for number, path in pdfs.items():
        reader = PdfReader(path)
        with PdfPages(path) as doc:
            for index in range(min(pages, len(reader.pages))):
                reference = reader.pages[index].extract_text()
                for dpi in [*dpis, "scan"]:
                    t_render = time.perf_counter()
                    if dpi == "scan":  # a noisy, skewed scan of the page at 300 dpi
                        image = scan_like(doc.render(index, SCAN_DPI), seed=index * 1000 + int(number))
                    else:
                        image = doc.render(index, dpi)
                    t_ocr = time.perf_counter()
                    text = ocr_image(image, path.name)
                    t_end = time.perf_counter()
                    rows.append(
                        {
                            "plan": number,
                            "page": index + 1,
                            "dpi": dpi,
                            "chars": len(mf.normalize_for_compare(reference)),
                            "cer": round(mf.cer(reference, text), 5),
                            "render_s": round(t_ocr - t_render, 3),
                            "ocr_s": round(t_end - t_ocr, 3),
                        }
                    )
                    r = rows[-1]
                    print(
                        f"{number}  p{r['page']:<3} {dpi!s:>4}  {r['chars']:>6}  {r['cer']:7.2%}  "
                        f"{r['render_s']:6.2f}  {r['ocr_s']:6.2f}",
                        flush=True,
                    )

    summary = {"text_layer": {"pages": n_pages, "seconds": round(text_layer_s, 3)}}
    summary["text_layer"]["pages_per_s"] = round(n_pages / text_layer_s, 2)
    for dpi in [*dpis, "scan"]:
        sel = [r for r in rows if r["dpi"] == dpi]
        total = sum(r["render_s"] + r["ocr_s"] for r in sel)
        chars = sum(r["chars"] for r in sel)
        summary["ocr_scanlike_300dpi" if dpi == "scan" else f"ocr_{dpi}dpi"] = {
            "pages": len(sel),
            "seconds": round(total, 3),
            "pages_per_s": round(len(sel) / total, 3),
            "cer_mean": round(sum(r["cer"] for r in sel) / len(sel), 5),
            "cer_weighted": round(sum(r["cer"] * r["chars"] for r in sel) / chars, 5),
            "cer_max": max(r["cer"] for r in sel),
        }
    return {"summary": summary, "pages": rows}


def environment() -> dict:
    import pytesseract

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "tesseract": str(pytesseract.get_tesseract_version()),
        "lang": OCR_LANG,
        "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT", "1 (set by retrieval.ingest.ocr)"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OCR vs text-layer benchmark on the sample plans")
    parser.add_argument(
        "--plans", nargs="+", default=sorted(p.name[:3] for p in mf.CORPUS.glob("[0-9]*_*.txt"))
    )
    parser.add_argument("--pages", type=int, default=2, help="pages per plan to OCR")
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    print("plan  page  dpi   chars      CER  render_s  ocr_s")
    with tempfile.TemporaryDirectory() as tmp:
        result = bench(args.plans, args.pages, args.dpi, Path(tmp))
    result["environment"] = environment()
    result["config"] = {"plans": args.plans, "pages_per_plan": args.pages, "dpi": args.dpi}
    print()
    print(f"{'method':<20}{'pages':>6}{'seconds':>9}{'pages/s':>9}{'CER mean':>10}{'CER max':>9}")
    for name, s in result["summary"].items():
        cer_mean = f"{s['cer_mean']:.2%}" if "cer_mean" in s else "-"
        cer_max = f"{s['cer_max']:.2%}" if "cer_max" in s else "-"
        print(
            f"{name:<20}{s['pages']:>6}{s['seconds']:>9.2f}{s['pages_per_s']:>9.2f}{cer_mean:>10}{cer_max:>9}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n→ {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
