"""Faster embedding, quality measured: the default e5 on ONNX (fp32) against its int8 dynamic
quantization (``TRACUU_EMBED_QUANTIZE=int8``, retrieval/embedding_onnx.ensure_int8) and a shorter
passage cap (``TRACUU_EMBED_MAX_SEQ_LENGTH=256``), same run.

    .venv/bin/python eval/quantize_eval.py --alqac-index /tmp/alqac-index --real-index /tmp/real-index \
        [--variants none,int8,cap256]

For each variant: passage throughput on a fixed sample of ALQAC chunks (variants alternate, two rounds,
best round kept), then the chunks of each set re-embedded (tokens and chunks reused: only the vectors
differ) and searched — ALQAC (BEIR, all queries: dense and hybrid MRR@10), the sample plans' questions
and the real-document questions (gold passage in the top 5, MRR@10). Index folders are built first
when the given ones are missing (ALQAC with run_beir, the real set with build_index: ~9 min).
Rule (issue 13): the faster variant may become the default only if MRR@10 drops ≤ 0.5 point.
Writes eval/results/quantize.json with per-query rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from run_eval import eval_questions, load_questions  # noqa: E402

from retrieval import store  # noqa: E402
from retrieval.beir import evaluate, load_beir, run_beir  # noqa: E402
from retrieval.chunking import index_text  # noqa: E402
from retrieval.embedding import make_embedder  # noqa: E402
from retrieval.indexer import build_index, read_entries  # noqa: E402
from retrieval.indexing.writer import write_entries  # noqa: E402
from retrieval.search import Searcher  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

VARIANTS = {  # label → settings changed from the default (fp32 ONNX, 512-token cap)
    "none": {},
    "int8": {"embed_quantize": "int8"},
    "cap256": {"embed_max_seq_length": 256},
}
SHARED = ROOT.parent / "shared"


def reembedded(index_dir: Path, settings: Settings, embedder, into: Path) -> tuple[Path, float, int]:
    """A copy of ``index_dir`` with every chunk embedded by ``embedder`` (seconds, chunks)."""
    entries = read_entries(store.generation_dir(index_dir, store.read_manifest(index_dir)))
    for e in entries:
        e.vectors = None
    t = time.perf_counter()
    report = write_entries(entries, into, settings, embedder)
    return into, time.perf_counter() - t, report.n_chunks


def throughput(embedders: dict, texts: list[str], rounds: int = 2) -> dict:
    best = {k: float("inf") for k in embedders}
    for _ in range(rounds):
        for name, emb in embedders.items():
            t = time.perf_counter()
            emb.embed_passages(texts)
            best[name] = min(best[name], time.perf_counter() - t)
    return {k: {"seconds": v, "chunks_per_s": len(texts) / v} for k, v in best.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alqac", type=Path, default=SHARED / "bench" / "alqac")
    ap.add_argument("--alqac-index", type=Path, default=Path(tempfile.gettempdir()) / "alqac-index")
    ap.add_argument("--real", type=Path, default=SHARED / "corpus" / "real" / "docs")
    ap.add_argument("--real-index", type=Path, default=Path(tempfile.gettempdir()) / "real-index")
    ap.add_argument("--sample", type=int, default=400, help="chunks in the throughput sample")
    ap.add_argument("--variants", default="none,int8", help=f"comma list of {', '.join(VARIANTS)}")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "quantize.json")
    args = ap.parse_args()

    base = Settings.from_env()
    labels = [v for v in args.variants.split(",") if v]
    if labels[0] != "none" or any(v not in VARIANTS for v in labels):
        ap.error(f"--variants: 'none' first, then any of {', '.join(VARIANTS)}")
    settings = {v: base.with_(**VARIANTS[v]) for v in labels}
    embedders = {v: make_embedder(s) for v, s in settings.items()}
    data = load_beir(args.alqac)
    if not (args.alqac_index / "manifest.json").is_file():
        run_beir(data, settings["none"], ("hybrid",), index_dir=args.alqac_index)
    plans_index = Path(tempfile.mkdtemp(prefix="quantize-plans-")) / "index"
    build_index(ROOT / "corpus", plans_index, settings["none"], embedders["none"])
    if not (args.real_index / "manifest.json").is_file():
        build_index(args.real, args.real_index, settings["none"], embedders["none"])

    gen = store.generation_dir(args.alqac_index, store.read_manifest(args.alqac_index))
    entries = read_entries(gen)
    texts = [index_text(e.doc.title, c) for e in entries for c in e.chunks]
    sample = texts[:: max(1, len(texts) // args.sample)][: args.sample]
    for emb in embedders.values():
        emb.embed_passages(sample[:8])  # warm-up
    out: dict = {"throughput": throughput(embedders, sample), "n_sample": len(sample), "variants": {}}

    sets = {
        "plans": (plans_index, load_questions(ROOT / "eval" / "questions.jsonl")),
        "real": (args.real_index, load_questions(ROOT / "eval" / "questions_real.jsonl")),
    }
    with tempfile.TemporaryDirectory(prefix="quantize-") as tmp:
        for v in labels:
            s, emb = settings[v], embedders[v]
            row: dict = {}
            idx, secs, n = reembedded(args.alqac_index, s, emb, Path(tmp) / f"alqac-{v}")
            row["alqac_embed"] = {"seconds": secs, "chunks": n, "chunks_per_s": n / secs}
            searcher = Searcher.load(idx, s, emb)
            row["alqac"] = {m: evaluate(searcher, data, m) for m in ("dense", "hybrid")}
            for name, (index_dir, questions) in sets.items():
                idx, _, _ = reembedded(index_dir, s, emb, Path(tmp) / f"{name}-{v}")
                searcher = Searcher.load(idx, s, emb)
                row[name] = {m: eval_questions(searcher, questions, m) for m in ("dense", "hybrid")}
            out["variants"][v] = row

    def mrr(v: str, key: str, mode: str) -> float:
        return out["variants"][v][key][mode]["metrics"]["mrr@10"]

    print(f"\nthroughput on {len(sample)} ALQAC chunks (best of 2):")
    for v in labels:
        t = out["throughput"][v]
        print(f"  {v:7s} {t['chunks_per_s']:6.1f} chunks/s")
    others = labels[1:]
    print("\n| set | mode | fp32 MRR@10 | " + " | ".join(f"{v} MRR@10 (Δ points)" for v in others) + " |")
    print("|---|---|---|" + "---|" * len(others))
    for key in ("alqac", "plans", "real"):
        for mode in ("dense", "hybrid"):
            a = mrr("none", key, mode)
            cells = [f"{mrr(v, key, mode):.4f} ({100 * (mrr(v, key, mode) - a):+.2f})" for v in others]
            print(f"| {key} | {mode} | {a:.4f} | " + " | ".join(cells) + " |")
    base_rate = out["throughput"]["none"]["chunks_per_s"]
    out["speedup"] = {v: out["throughput"][v]["chunks_per_s"] / base_rate for v in others}
    out["delta_points"] = {
        v: {
            f"{k}/{m}": 100 * (mrr(v, k, m) - mrr("none", k, m))
            for k in ("alqac", "plans", "real")
            for m in ("dense", "hybrid")
        }
        for v in others
    }
    print("\nspeed-up vs fp32: " + ", ".join(f"{v} {x:.2f}x" for v, x in out["speedup"].items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"→ {args.out}")


if __name__ == "__main__":
    main()
