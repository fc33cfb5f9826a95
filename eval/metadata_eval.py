"""Header metadata accuracy on the real-documents set (and the sample plans).

Every file of ``../shared/corpus/real/docs`` is loaded with ``retrieval.ingest.load_document`` and parsed
with ``retrieval.structure.parse_document``; its ``DocMetadata.catalogue()`` is compared with
``gold_metadata.jsonl``:

- exact: so_ky_hieu (compared after ``normalize_so_ky_hieu``: whitespace, dashes), ngay_ban_hanh,
  loai_van_ban, nguoi_ky, tinh; case-insensitive: dia_danh, chuc_vu_ky;
- similarity ≥ 0.85 (rapidfuzz ratio on lower-cased NFC text, punctuation and extra spaces removed):
  co_quan_ban_hanh, trich_yeu;
- references: precision and recall over all files, by ``number_key``.

A file whose loader is missing or fails counts as "not read" (every field wrong). ``--texts DIR`` is a
development aid: when ``DIR/<file>.txt`` exists, that text replaces the loader's output (e.g. a .doc
converted by hand, or the content root of a vbpl.vn page); the JSON records which files used it.

    python eval/metadata_eval.py [--set real|plans|both] [--texts DIR]

Prints a table per set and writes per-file rows to eval/results/metadata.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from retrieval.ingest import IngestError, load_document  # noqa: E402
from retrieval.normalize import normalize_so_ky_hieu, number_key  # noqa: E402
from retrieval.structure import parse_document  # noqa: E402
from retrieval.types import RawDocument  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "eval" / "results" / "metadata.json"
EXACT = ("so_ky_hieu", "ngay_ban_hanh", "loai_van_ban", "nguoi_ky", "tinh")
CASELESS = ("dia_danh", "chuc_vu_ky")
FUZZY = ("co_quan_ban_hanh", "trich_yeu")
FIELDS = EXACT + CASELESS + FUZZY
FUZZY_MIN = 85.0


def norm_text(s: str | None) -> str:
    s = unicodedata.normalize("NFC", s or "").lower()
    s = re.sub(r"[^\w\s]", " ", s)
    return " ".join(s.split())


def field_ok(name: str, pred: str | None, gold: str | None) -> bool:
    if not gold or not pred:
        return not gold and not pred
    if name == "so_ky_hieu":
        return normalize_so_ky_hieu(pred) == normalize_so_ky_hieu(gold)
    if name in EXACT:
        return unicodedata.normalize("NFC", pred) == unicodedata.normalize("NFC", gold)
    if name in CASELESS:
        return norm_text(pred) == norm_text(gold)
    return fuzz.ratio(norm_text(pred), norm_text(gold)) >= FUZZY_MIN


def load(path: Path, root: Path, texts: Path | None) -> tuple[RawDocument | None, str]:
    override = texts / f"{path.name}.txt" if texts else None
    if override and override.exists():
        text = override.read_text(encoding="utf-8")
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return RawDocument(path.name, unicodedata.normalize("NFC", text), sha, path.suffix[1:]), "texts"
    try:
        return load_document(path, root), "loader"
    except IngestError as exc:
        return None, f"not read: {exc.reason}"


def evaluate(gold_rows: list[dict], root: Path, texts: Path | None) -> dict:
    rows, right, judged = [], {f: 0 for f in FIELDS}, {f: 0 for f in FIELDS}
    tp = n_pred = n_gold = 0
    for g in gold_rows:
        raw, how = load(root / g["file"], root, texts)
        meta = parse_document(raw, g["file"]).metadata.catalogue() if raw else {}
        got = {f: meta.get(f) for f in FIELDS}
        ok = {f: bool(raw) and field_ok(f, got[f], g.get(f)) for f in FIELDS if f in g}
        for f in ok:
            right[f] += ok[f]
            judged[f] += 1
        judge_refs = "references" in g
        pred_refs = {number_key(r) for r in meta.get("references") or ()} if judge_refs else set()
        gold_refs = {number_key(r) for r in g.get("references") or ()}
        tp += len(pred_refs & gold_refs)
        n_pred += len(pred_refs)
        n_gold += len(gold_refs)
        rows.append(
            {
                "file": g["file"],
                "read": how,
                "wrong": {f: {"got": got[f], "gold": g.get(f)} for f in ok if not ok[f]},
                "references": {
                    "extra": sorted(pred_refs - gold_refs),
                    "missing": sorted(gold_refs - pred_refs),
                },
            }
        )
    n = len(gold_rows)
    return {
        "references_judged": n_gold > 0 or any("references" in g for g in gold_rows),
        "files": n,
        "not_read": [r["file"] for r in rows if r["read"].startswith("not read")],
        "accuracy": {f: right[f] / judged[f] for f in FIELDS if judged[f]},
        "references": {
            "precision": tp / n_pred if n_pred else 1.0,
            "recall": tp / n_gold if n_gold else 1.0,
            "predicted": n_pred,
            "gold": n_gold,
        },
        "rows": rows,
    }


def plans_gold() -> list[dict]:
    """The sample plans' metadata as the existing structure tests pin it (tests/test_structure.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_structure import EXPECTED  # type: ignore[import-not-found]

    rows = []
    for path in sorted((SHARED / "plans").glob("*.txt")):
        m = EXPECTED.get(path.name[:3])
        if m:
            d = {k: v for k, v in m.items() if k != "chuc_vu_nguoi_ky"}  # tinh, references: not pinned
            rows.append({"file": path.name, **d, "chuc_vu_ky": m.get("chuc_vu_nguoi_ky")})
    return rows


def print_table(name: str, res: dict) -> None:
    print(f"\n{name}: {res['files']} files, not read: {len(res['not_read'])}")
    print(f"{'field':<18} {'right':>7}")
    for f, v in res["accuracy"].items():
        print(f"{f:<18} {v:>7.3f}")
    r = res["references"]
    if not res["references_judged"]:
        return
    pr = f"{r['precision']:.3f} / {r['recall']:.3f}"
    print(f"{'references P/R':<18} {pr}  ({r['predicted']} predicted, {r['gold']} gold)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=("real", "plans", "both"), default="both")
    ap.add_argument("--texts", type=Path, default=None, help="dev: DIR/<file>.txt replaces the loader")
    args = ap.parse_args()
    out: dict = {"texts_override": str(args.texts) if args.texts else None}
    if args.set in ("real", "both"):
        real = SHARED / "real"
        lines = (real / "gold_metadata.jsonl").read_text(encoding="utf-8").splitlines()
        gold = [json.loads(x) for x in lines if x.strip()]
        out["real"] = evaluate(gold, real / "docs", args.texts)
        print_table("real", out["real"])
    if args.set in ("plans", "both"):
        out["plans"] = evaluate(plans_gold(), SHARED / "plans", None)
        print_table("plans", out["plans"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(RESULTS)
    print(f"\n-> {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
