"""Retrieval evaluation: the project's question set over the sample plans, and ALQAC (BEIR).

    .venv/bin/python eval/run_eval.py [--only plans|alqac] [--alqac DIR] [--index-cache DIR]

Prints tables (bm25 / dense / hybrid) and writes eval/results/retrieval.json with per-query rows.
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

from retrieval.metrics import mean_metrics, per_query  # noqa: E402
from retrieval.normalize import strip_accents  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

MODES = ("bm25", "dense", "hybrid")
QUESTIONS = ROOT / "eval" / "questions.jsonl"
RESULTS = ROOT / "eval" / "results"


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def gold_spans(searcher, gold: list[dict]) -> list[tuple[str, int, int]]:
    """(doc_id, start, end) of each gold passage inside the indexed document text."""
    out = []
    for g in gold:
        doc = searcher.documents.get(g["doc"])
        if doc is None:
            continue
        start = doc.text.find(g["passage"])
        if start >= 0:
            out.append((g["doc"], start, start + len(g["passage"])))
    return out


def hit_covers(hit, span: tuple[str, int, int]) -> bool:
    doc_id, s, e = span
    if hit.chunk.doc_id != doc_id:
        return False
    return any(a < e and s < b for a, b in (*hit.chunk.spans, *hit.chunk.footnote_spans))


def eval_questions(searcher, questions: list[dict], mode: str, k: int = 10) -> dict:
    rows = []
    for q in questions:
        if not q["gold"]:
            continue
        t0 = time.perf_counter()
        hits = searcher.search(q["question"], k=k, mode=mode)
        dt = time.perf_counter() - t0
        docs = list(dict.fromkeys(h.chunk.doc_id for h in hits))
        gold_docs = {g["doc"]: 1.0 for g in q["gold"]}
        spans = gold_spans(searcher, q["gold"])
        passage_rank = next((i for i, h in enumerate(hits, 1) if any(hit_covers(h, s) for s in spans)), None)
        row = {
            "id": q["id"],
            "category": q["category"],
            **per_query(docs, gold_docs),
            "passage_rank": passage_rank,
            "passage@5": float(passage_rank is not None and passage_rank <= 5),
            "seconds": dt,
        }
        rows.append(row)
    means = mean_metrics(rows)
    means["passage@5"] = sum(r["passage@5"] for r in rows) / max(1, len(rows))
    by_cat: dict[str, list[dict]] = {}
    for r in rows:
        by_cat.setdefault(r["category"], []).append(r)
    cats = {
        c: {
            "n": len(rs),
            "mrr@10": mean_metrics(rs)["mrr@10"],
            "passage@5": sum(r["passage@5"] for r in rs) / len(rs),
        }
        for c, rs in by_cat.items()
    }
    return {"mode": mode, "metrics": means, "by_category": cats, "per_query": rows}


def run_plans(settings: Settings, corpus: Path = ROOT / "corpus", questions_file: Path = QUESTIONS) -> dict:
    """Gold-passage retrieval on a question set over its corpus (the sample plans by default)."""
    from retrieval.embedding import make_embedder
    from retrieval.indexer import build_index
    from retrieval.search import Searcher

    embedder = make_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="tracuu-eval-") as tmp:
        idx = Path(tmp) / "index"
        t0 = time.perf_counter()
        build_index(corpus, idx, settings, embedder=embedder)
        build = time.perf_counter() - t0
        searcher = Searcher.load(idx, settings, embedder)
        questions = load_questions(questions_file)
        out = {"build_seconds": build, "n_questions": sum(1 for q in questions if q["gold"]), "modes": {}}
        for mode in MODES:
            out["modes"][mode] = eval_questions(searcher, questions, mode)
    return out


def run_alqac(settings: Settings, folder: Path, index_cache: Path | None) -> dict:
    from retrieval.beir import evaluate, load_beir, run_beir

    data = load_beir(folder)
    res = run_beir(data, settings, MODES, index_dir=index_cache)
    if index_cache is not None:  # unaccented queries on the same index
        from retrieval.search import Searcher

        searcher = Searcher.load(index_cache, settings)
        res["unaccented"] = {m: evaluate(searcher, data, m, transform=strip_accents) for m in MODES}
    return res


def table(title: str, rows: list[tuple[str, dict]], keys: tuple[str, ...]) -> str:
    head = f"{title}\n| mode | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys)
    lines = [f"| {name} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |" for name, m in rows]
    return "\n".join([head, *lines])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=("plans", "alqac", "real"))
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "corpus" / "real" / "docs")
    ap.add_argument("--real-questions", type=Path, default=ROOT / "eval" / "questions_real.jsonl")
    ap.add_argument("--alqac", type=Path, default=ROOT.parent / "shared" / "bench" / "alqac")
    ap.add_argument("--index-cache", type=Path, help="keep/reuse the ALQAC index here")
    args = ap.parse_args()
    settings = Settings.from_env()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out: dict = {}
    sets = {"plans": (ROOT / "corpus", QUESTIONS), "real": (args.real, args.real_questions)}
    wanted = {"plans": args.only in (None, "plans"), "real": args.only == "real"}
    for name, (corpus, questions_file) in sets.items():
        if not wanted[name]:
            continue
        out[name] = p = run_plans(settings, corpus, questions_file)
        print(
            table(
                f"{name}: {p['n_questions']} answerable questions, build {p['build_seconds']:.1f}s",
                [(m, p["modes"][m]["metrics"]) for m in MODES],
                ("recall@5", "mrr@10", "passage@5"),
            )
        )
        hyb = p["modes"]["hybrid"]["by_category"]
        print("hybrid by category: " + ", ".join(f"{c} {v['mrr@10']:.2f}" for c, v in sorted(hyb.items())))
    if args.only in (None, "alqac") and (args.alqac / "corpus.jsonl").exists():
        out["alqac"] = a = run_alqac(settings, args.alqac, args.index_cache)
        print(
            table(
                f"ALQAC ({a['n_queries']} queries, {a['n_docs']} articles, build {a['build_seconds']:.1f}s)",
                [(m, a["modes"][m]["metrics"]) for m in MODES],
                ("recall@5", "recall@10", "mrr@10", "ndcg@10"),
            )
        )
        if "unaccented" in a:
            print(
                table(
                    "ALQAC, queries typed without diacritics",
                    [(m, a["unaccented"][m]["metrics"]) for m in MODES],
                    ("recall@5", "recall@10", "mrr@10"),
                )
            )
    path = RESULTS / ("retrieval_real.json" if args.only == "real" else "retrieval.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
