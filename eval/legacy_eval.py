"""Legacy-encoding decoding accuracy on ../shared/corpus/legacy (TCVN3/VNI in .doc/.rtf/.xls/.pdf).

Each docs/NAME.* goes through the real ingest path (``load_document``: LibreOffice, font decoding, PDF
text layer) and is scored against truth/NAME.txt with the benchmark's definition:

* both sides NFC, whitespace runs collapsed;
* aligned on base letters (NFD, combining marks removed, đ→d; compared without case so that a heading
  in capitals still aligns);
* diacritic accuracy = of the transcript's characters that carry a diacritic or are đ/Đ, the share that
  come back exactly (no case folding); a file not read scores 0;
* character accuracy = transcript characters aligned to an identical character / transcript length.

A case-folded diacritic accuracy is reported beside it: the transcripts keep headings set in capitals-only
fonts (.VnTimeH) in lower case, while the loader shows them as the font draws them (capitals).

    PYTHONPATH=. .venv/bin/python eval/legacy_eval.py [--corpus ../shared/corpus/legacy] [--only NAME]

Prints a table and writes eval/results/legacy.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rapidfuzz.distance import Indel  # noqa: E402

from retrieval.ingest import IngestError, load_document  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "legacy"
RESULTS = ROOT / "eval" / "results" / "legacy.json"


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def base_char(ch: str) -> str:
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    decomposed = unicodedata.normalize("NFD", ch)
    return decomposed[0] if decomposed else ch


def _fold(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def has_diacritic(ch: str) -> bool:
    return ch in "đĐ" or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", ch))


@dataclass(frozen=True)
class Score:
    diacritics: int  # diacritic-bearing characters in the transcript
    diacritics_ok: int  # of those, recovered exactly
    diacritics_ok_folded: int  # recovered up to letter case
    chars: int  # transcript length (normalized)
    chars_ok: int  # transcript characters aligned to an identical character

    @property
    def diacritic_accuracy(self) -> float:
        return self.diacritics_ok / self.diacritics if self.diacritics else 1.0

    @property
    def diacritic_accuracy_folded(self) -> float:
        return self.diacritics_ok_folded / self.diacritics if self.diacritics else 1.0

    @property
    def char_accuracy(self) -> float:
        return self.chars_ok / self.chars if self.chars else 1.0


def score(truth: str, output: str) -> Score:
    """Score ``output`` against the transcript ``truth`` (pure; see the module docstring)."""
    gt, out = normalize(truth), normalize(output)
    gt_base = "".join(_fold(base_char(c)) for c in gt)
    out_base = "".join(_fold(base_char(c)) for c in out)
    marked = [has_diacritic(c) for c in gt]
    ok = ok_folded = chars_ok = 0
    for tag, i1, i2, j1, _ in Indel.opcodes(gt_base, out_base):
        if tag != "equal":
            continue
        for k in range(i2 - i1):
            a, b = gt[i1 + k], out[j1 + k]
            chars_ok += a == b
            if marked[i1 + k]:
                ok += a == b
                ok_folded += a.lower() == b.lower()
    return Score(sum(marked), ok, ok_folded, len(gt), chars_ok)


def unread(truth: str) -> Score:
    gt = normalize(truth)
    return Score(sum(has_diacritic(c) for c in gt), 0, 0, len(gt), 0)


def evaluate(corpus: Path, only: str | None = None) -> dict:
    rows = []
    for doc in sorted((corpus / "docs").iterdir()):
        print(f"… {doc.name}", file=sys.stderr, flush=True)
        if only and only not in doc.name:
            continue
        truth_path = corpus / "truth" / (doc.name.rsplit(".", 1)[0] + ".txt")
        if not truth_path.is_file():
            continue
        truth = truth_path.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        error = ""
        try:
            raw = load_document(doc, corpus / "docs")
            s = score(truth, raw.text)
        except IngestError as exc:
            error = str(exc)
            s = unread(truth)
        rows.append(
            {
                "file": doc.name,
                "kind": doc.suffix.lower().lstrip("."),
                "encoding": doc.name.split("_", 1)[0],
                "seconds": round(time.perf_counter() - t0, 2),
                "error": error,
                **asdict(s),
                "diacritic_accuracy": round(s.diacritic_accuracy, 4),
                "diacritic_accuracy_folded": round(s.diacritic_accuracy_folded, 4),
                "char_accuracy": round(s.char_accuracy, 4),
            }
        )
    return {"corpus": str(corpus), "files": rows, "summary": summarize(rows)}


def summarize(rows: list[dict]) -> dict:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
        groups[r["encoding"]].append(r)
        groups["all"].append(r)
    out = {}
    for name, rs in sorted(groups.items()):
        d = sum(r["diacritics"] for r in rs) or 1
        c = sum(r["chars"] for r in rs) or 1
        out[name] = {
            "files": len(rs),
            "unread": sum(bool(r["error"]) for r in rs),
            "diacritic_accuracy": round(sum(r["diacritics_ok"] for r in rs) / d, 4),
            "diacritic_accuracy_folded": round(sum(r["diacritics_ok_folded"] for r in rs) / d, 4),
            "char_accuracy": round(sum(r["chars_ok"] for r in rs) / c, 4),
            "mean_file_diacritic_accuracy": round(sum(r["diacritic_accuracy"] for r in rs) / len(rs), 4),
            "seconds": round(sum(r["seconds"] for r in rs), 1),
        }
    return out


def print_table(result: dict) -> None:
    print(f"{'file':58} {'diacr':>7} {'folded':>7} {'char':>7} {'s':>6}  error")
    for r in result["files"]:
        print(
            f"{r['file'][:58]:58} {r['diacritic_accuracy']:7.4f} {r['diacritic_accuracy_folded']:7.4f}"
            f" {r['char_accuracy']:7.4f} {r['seconds']:6.1f}  {r['error'][:80]}"
        )
    print()
    print(f"{'group':10} {'files':>5} {'unread':>6} {'diacr':>7} {'folded':>7} {'char':>7} {'mean/file':>9}")
    for name, g in result["summary"].items():
        print(
            f"{name:10} {g['files']:5d} {g['unread']:6d} {g['diacritic_accuracy']:7.4f}"
            f" {g['diacritic_accuracy_folded']:7.4f} {g['char_accuracy']:7.4f}"
            f" {g['mean_file_diacritic_accuracy']:9.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", default=None, help="only files whose name contains this")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = evaluate(args.corpus, args.only)
    print_table(result)
    if not args.only:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(args.out)


if __name__ == "__main__":
    main()
