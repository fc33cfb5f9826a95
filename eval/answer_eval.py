"""Answer quality on the project's question set: accuracy, citation precision, refusals, seconds/answer.

    .venv/bin/python eval/answer_eval.py [--backend extractive|llamacpp|openai] [--limit N]
        [--questions eval/questions_real.jsonl --corpus ../shared/corpus/real/docs]

Per kind (category): answer accuracy (keywords in the answer and a gold document cited, not refused),
citation precision (verified / shown citations), and for questions with ``gold_docs`` (lists, references,
several years) the recall and precision of the documents the answer cites. ``today`` in a question is the
date relative time phrases ("năm ngoái") refer to.

Also calibrates the refusal threshold on the no-answer questions (confidence of every question is
computed with refusals disabled, then `calibrate_refusal` picks the threshold). Writes
eval/results/answers_<backend>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from run_eval import load_questions  # noqa: E402


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="extractive")
    ap.add_argument(
        "--limit", type=int, default=0, help="only the first N answerable + all no-answer questions"
    )
    ap.add_argument(
        "--style",
        default=None,
        choices=("compose", "free"),
        help="LLM answer style (TRACUU_LLM_STYLE): the model picks quoted sentences, or writes the text",
    )
    ap.add_argument(
        "--index-dir", default=None, help="keep the sample index here between runs (incremental rebuild)"
    )
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--kinds", default="", help="only these categories (comma-separated)")
    args = ap.parse_args()

    from retrieval.answer import Answerer, calibrate_refusal, make_backend
    from retrieval.answer.confidence import DEFAULT_REFUSAL_THRESHOLD
    from retrieval.embedding import make_embedder
    from retrieval.indexer import build_index
    from retrieval.search import Searcher
    from retrieval.settings import Settings

    settings = Settings.from_env(llm_style=args.style)
    questions = load_questions(args.questions)
    if args.kinds:
        questions = [q for q in questions if q["category"] in args.kinds.split(",")]
    if args.limit:
        answerable = [q for q in questions if q["gold"]][: args.limit]
        questions = answerable + [q for q in questions if not q["gold"]]
    with tempfile.TemporaryDirectory(prefix="tracuu-ans-") as tmp:
        idx = Path(args.index_dir) if args.index_dir else Path(tmp) / "index"
        embedder = make_embedder(settings)
        build_index(args.corpus, idx, settings, embedder=embedder)
        searcher = Searcher.load(idx, settings, embedder)
        backend = make_backend(args.backend, settings)
        answerer = Answerer(searcher, backend, refusal_threshold=-1.0)  # answer everything, then calibrate
        rows = []
        for q in questions:
            t0 = time.perf_counter()
            today = dt.date.fromisoformat(q["today"]) if q.get("today") else None
            ans = answerer.answer(q["question"], today=today)
            seconds = time.perf_counter() - t0
            text = norm(ans.answer)
            cited_docs = sorted({c.doc_id for c in ans.citations})
            gold_docs = set(q.get("gold_docs") or {g["doc"] for g in q["gold"]})
            rows.append(
                {
                    "id": q["id"],
                    "category": q["category"],
                    "answerable": bool(q["gold"]),
                    "confidence": ans.confidence or 0.0,
                    "backend_used": ans.backend,
                    "keywords_found": all(norm(k) in text for k in q["answer_keywords"])
                    if q["gold"]
                    else None,
                    "citations": len(ans.citations),
                    "verified": sum(c.verified for c in ans.citations),
                    "cited_gold_doc": any(c.doc_id in gold_docs for c in ans.citations),
                    "cited_docs": cited_docs,
                    "doc_recall": len(gold_docs & set(cited_docs)) / len(gold_docs)
                    if q.get("gold_docs")
                    else None,
                    "doc_precision": len(gold_docs & set(cited_docs)) / max(1, len(cited_docs))
                    if q.get("gold_docs")
                    else None,
                    "understood": ans.understood,
                    "seconds": seconds,
                    "refused_by_check": ans.refused,  # scope / answer-type checks (threshold is off here)
                    "answer": ans.answer,
                }
            )
    pairs = [(r["confidence"], r["answerable"]) for r in rows]
    # calibration needs both kinds of questions (the real set has no no-answer questions)
    cal = calibrate_refusal(pairs) if len({a for _, a in pairs}) == 2 else None
    for r in rows:
        r["refused"] = r["confidence"] < DEFAULT_REFUSAL_THRESHOLD or r["refused_by_check"]
    ans_rows = [r for r in rows if r["answerable"]]
    correct = [r for r in ans_rows if not r["refused"] and r["keywords_found"] and r["cited_gold_doc"]]
    cites = sum(r["citations"] for r in rows if not r["refused"])
    verified = sum(r["verified"] for r in rows if not r["refused"])
    summary = {
        "backend": args.backend,
        "n_answerable": len(ans_rows),
        "n_no_answer": len(rows) - len(ans_rows),
        "answer_accuracy": len(correct) / max(1, len(ans_rows)),
        "answer_accuracy_if_never_refused": sum(bool(r["keywords_found"]) for r in ans_rows)
        / max(1, len(ans_rows)),
        "citation_precision": verified / max(1, cites),
        "refusal_threshold": DEFAULT_REFUSAL_THRESHOLD,
        "answered_share_of_answerable": sum(not r["refused"] for r in ans_rows) / max(1, len(ans_rows)),
        "refused_share_of_no_answer": sum(r["refused"] for r in rows if not r["answerable"])
        / max(1, len(rows) - len(ans_rows)),
        "refused_by_checks_answerable": sum(r["refused_by_check"] for r in ans_rows),
        "refused_by_checks_no_answer": sum(r["refused_by_check"] for r in rows if not r["answerable"]),
        "balanced_calibration_threshold": cal.threshold if cal else None,
        "balanced_calibration_answer_recall": cal.answer_recall if cal else None,
        "balanced_calibration_refusal_recall": cal.refusal_recall if cal else None,
        "seconds_per_answer": sum(r["seconds"] for r in rows) / max(1, len(rows)),
        "fallbacks_to_extractive": sum(r["backend_used"] != args.backend for r in rows),
    }
    if args.backend != "extractive":
        shown = [r for r in ans_rows if not r["refused_by_check"]]
        own = [r for r in shown if r["backend_used"] == args.backend]
        summary["llm_style"] = settings.llm_style
        # answers whose final text is the model's composition (not the extractive fallback)
        summary["model_text_survival"] = len(own) / max(1, len(shown))
        summary["accuracy_of_model_text"] = sum(
            bool(r["keywords_found"] and r["cited_gold_doc"]) for r in own
        ) / max(1, len(own))
    kinds = per_kind(rows)
    suffix = "" if args.questions.name == "questions.jsonl" else "_" + args.questions.stem.split("_", 1)[-1]
    if args.backend != "extractive" and args.style:
        suffix += f"_{settings.llm_style}"
    out = ROOT / "eval" / "results" / f"answers_{args.backend}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"summary": summary, "by_kind": kinds, "per_question": rows}, ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )
    print("| metric | value |\n|---|---|")
    for k, v in summary.items():
        print(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")
    print(
        "\n| kind | n | accuracy | citation precision | doc recall | doc precision |"
        "\n|---|---|---|---|---|---|"
    )
    for kind, m in kinds.items():
        cells = [f"{m[k]:.3f}" if m[k] is not None else "–" for k in ("accuracy", "citation_precision")]
        cells += [f"{m[k]:.3f}" if m[k] is not None else "–" for k in ("doc_recall", "doc_precision")]
        print(f"| {kind} | {m['n']} | " + " | ".join(cells) + " |")
    print(f"wrote {out.relative_to(ROOT)}")


def per_kind(rows: list[dict]) -> dict:
    """Accuracy, citation precision and (lists) document recall/precision per question kind."""
    out: dict[str, dict] = {}
    for kind in dict.fromkeys(r["category"] for r in rows):
        rs = [r for r in rows if r["category"] == kind]
        answerable = [r for r in rs if r["answerable"]]
        shown = [r for r in rs if not r["refused"]]
        cites = sum(r["citations"] for r in shown)
        listed = [r for r in answerable if r.get("doc_recall") is not None]
        out[kind] = {
            "n": len(rs),
            "accuracy": sum(
                not r["refused"] and r["keywords_found"] and r["cited_gold_doc"] for r in answerable
            )
            / len(answerable)
            if answerable
            else None,
            "refused_share": sum(r["refused"] for r in rs) / len(rs),
            "citation_precision": sum(r["verified"] for r in shown) / cites if cites else None,
            "doc_recall": sum(r["doc_recall"] for r in listed) / len(listed) if listed else None,
            "doc_precision": sum(r["doc_precision"] for r in listed) / len(listed) if listed else None,
        }
    return out


if __name__ == "__main__":
    main()
