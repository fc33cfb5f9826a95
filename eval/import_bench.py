"""Archive-sized import: the five sample plans among N distractor documents, indexed from scratch.

    python eval/import_bench.py --n 2000                     # this checkout only
    python eval/import_bench.py --n 2000 --baseline <commit>  # + the indexer of <commit>, same run
    python eval/import_bench.py --n 2000 --variant int8:TRACUU_EMBED_QUANTIZE=int8 --langchain

Distractors are built from ALQAC (../shared/bench/alqac/corpus.jsonl): each is one law's run of 1–6
consecutive articles (sizes vary as real documents do), written as a .txt file with a title line; N
above the number of distinct runs reuses articles in other groupings (a document is never repeated).
Each build runs in its own process (fresh segmentation cache, the converted model shared) and reports
wall time, docs/s, MB/s, chunks/s, peak RSS (VmHWM of that process, and the sampled peak of it plus
its children: the parse worker, converters), the indexer's stage shares and
the sample plans' questions (gold passage in the top 5, hybrid; MRR@10 by document) beside the plans
indexed alone. ``--variant`` builds this checkout again with other settings; ``--langchain`` runs the
naive LangChain pipeline on the same files (eval/bench_baseline.py: 1,000-character chunks,
HuggingFaceEmbeddings on the same e5 folder, FAISS.from_texts; MRR@10 by document, no passages).
Writes eval/results/import_<n>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ALQAC = ROOT.parent / "shared" / "bench" / "alqac" / "corpus.jsonl"

CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, os.environ["BENCH_CODE"])
sys.path.insert(1, os.environ["BENCH_EVAL"])
from retrieval.settings import Settings
from retrieval.indexer import build_index
settings = Settings.from_env(index_dir=Path(os.environ["BENCH_INDEX"]))
corpus = Path(os.environ["BENCH_CORPUS"])
import inspect
kw = {}
if "on_progress" in inspect.signature(build_index).parameters:  # older indexers have no progress
    from retrieval.indexing.progress import plain_reporter
    kw["on_progress"] = plain_reporter(sys.stderr, every=30)
hashed = os.environ.get("BENCH_HASH_EMBEDDER") == "1"
if hashed:  # memory and the other stages without the model: a 384-d hash of the syllables
    import hashlib
    import numpy as np
    class HashEmbedder:
        name, checksum, dim = "hash", "hash-v1", 384
        def embed_passages(self, texts):
            out = np.zeros((len(texts), self.dim), np.float32)
            for i, t in enumerate(texts):
                for tok in t.lower().split():
                    out[i, int(hashlib.md5(tok.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
            return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-9, None)
    kw["embedder"] = HashEmbedder()
t0 = time.perf_counter()
report = build_index(corpus, settings.index_dir, settings, **kw)
wall = time.perf_counter() - t0
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
quality = {"metrics": {"passage@5": None, "mrr@10": None}}
if not hashed:
    from retrieval.search import Searcher
    from run_eval import eval_questions, load_questions
    searcher = Searcher.load(settings.index_dir, settings)
    quality = eval_questions(searcher, load_questions(Path(os.environ["BENCH_QUESTIONS"])), "hybrid")
print(json.dumps({"wall_s": wall, "peak_rss_mb": hwm, "documents": report.n_documents,
                  "chunks": report.n_chunks, "failures": len(report.failures), "timings": report.timings,
                  "passage@5": quality["metrics"]["passage@5"], "mrr@10": quality["metrics"]["mrr@10"]}))
"""

LANGCHAIN_CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, os.environ["BENCH_CODE"])
sys.path.insert(1, os.environ["BENCH_EVAL"])
import bench_util as bu
bu.quiet_libraries()
from bench_baseline import fixed_chunks
from langchain_community.vectorstores import FAISS
from langchain_huggingface import HuggingFaceEmbeddings
from retrieval.embedding import resolve_model_path
from retrieval.metrics import mean_metrics, per_query
from retrieval.settings import Settings
from run_eval import load_questions
t0 = time.perf_counter()
emb = HuggingFaceEmbeddings(
    model_name=resolve_model_path(Settings.from_env()), model_kwargs={"device": "cpu"},
    encode_kwargs={"normalize_embeddings": True, "prompt": bu.PASSAGE_PREFIX},
    query_encode_kwargs={"normalize_embeddings": True, "prompt": bu.QUERY_PREFIX})
texts, metas = [], []
for f in sorted(Path(os.environ["BENCH_CORPUS"]).rglob("*.txt")):
    for piece in fixed_chunks(f.read_text(encoding="utf-8")):
        texts.append(piece)
        metas.append({"doc_id": f.stem})
store = FAISS.from_texts(texts, emb, metadatas=metas)
wall = time.perf_counter() - t0
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
rows = []
for q in load_questions(Path(os.environ["BENCH_QUESTIONS"])):
    if q["gold"]:
        hits = store.similarity_search(q["question"], k=10)
        ranked = list(dict.fromkeys(d.metadata["doc_id"] for d in hits))
        rows.append(per_query(ranked, {g["doc"]: 1.0 for g in q["gold"]}))
print(json.dumps({"wall_s": wall, "peak_rss_mb": hwm, "documents": len(set(m["doc_id"] for m in metas)),
                  "chunks": len(texts), "failures": 0, "timings": {}, "passage@5": None,
                  "mrr@10": mean_metrics(rows)["mrr@10"]}))
"""


def articles() -> list[dict]:
    with ALQAC.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def distractors(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """``n`` distinct (file name, text) documents made of consecutive articles of one law."""
    rng = random.Random(seed)
    by_law: dict[str, list[dict]] = {}
    for a in articles():
        by_law.setdefault(a["law_id"], []).append(a)
    laws = sorted(by_law)
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, int, int]] = set()
    while len(out) < n:
        law = rng.choice(laws)
        arts = by_law[law]
        size = rng.randint(1, 6)
        start = rng.randrange(0, max(1, len(arts) - size + 1))
        key = (law, start, size)
        if key in seen:
            continue
        seen.add(key)
        part = arts[start : start + size]
        body = "\n\n".join(f"Điều {a['article_id']}. {a['text']}" for a in part)
        out.append((f"d{len(out):05d}.txt", f"{law.upper()}\n\n{body}\n"))
    return out


def make_corpus(folder: Path, n: int) -> int:
    """The sample plans (same names, so the question file's doc ids hold) + ``n`` distractors."""
    folder.mkdir(parents=True)
    for f in sorted((ROOT / "corpus").iterdir()):
        if f.is_file() and not f.name.lower().startswith("readme"):
            shutil.copy2(f, folder / f.name)
    sub = folder / "distractors"
    sub.mkdir()
    for name, text in distractors(n):
        (sub / name).write_text(text, encoding="utf-8")
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def fresh_cache(work: Path) -> Path:
    """A cache dir sharing the converted model, without the segmentation cache (a first import)."""
    src = Path(os.environ.get("TRACUU_CACHE_DIR", Path.home() / ".cache" / "tracuu"))
    dst = work / f"cache-{time.monotonic_ns()}"
    dst.mkdir()
    for item in src.iterdir():
        if item.name.startswith("segments.sqlite"):
            continue
        (dst / item.name).symlink_to(item)
    return dst


def run_sampled(cmd: list[str], env: dict) -> tuple[str, str, int, float]:
    """Run ``cmd``; also the peak of the summed RSS of it and all its descendants, sampled every 0.2 s
    (VmHWM covers one process only; the parse worker and LibreOffice are others)."""
    import psutil

    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        peak = 0.0
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            with contextlib.suppress(psutil.Error):
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            peak = max(peak, total / 2**20)
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), proc.returncode, peak


def build(
    code: Path, corpus: Path, work: Path, label: str, env_extra: dict | None = None, child: str = CHILD
) -> dict:
    index = work / f"index-{label}"
    env = dict(os.environ)
    env.update(env_extra or {})
    env.update(
        BENCH_CODE=str(code),
        BENCH_EVAL=str(HERE),
        BENCH_INDEX=str(index),
        BENCH_CORPUS=str(corpus),
        BENCH_QUESTIONS=str(HERE / "questions.jsonl"),
        TRACUU_CACHE_DIR=str(fresh_cache(work)),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    env.pop("TRACUU_INDEX_DIR", None)
    stdout, stderr, code, tree_peak = run_sampled([sys.executable, "-c", child], env)
    if code != 0:
        raise RuntimeError(f"{label}: build failed\n{stderr[-4000:]}")
    sys.stderr.write(stderr[-2000:])
    result = json.loads(stdout.strip().splitlines()[-1])
    result["tree_peak_rss_mb"] = tree_peak  # the build process plus its parse worker and converters
    shutil.rmtree(index, ignore_errors=True)
    return result


def rates(r: dict, mb: float) -> dict:
    wall = r["wall_s"]
    total = sum(v for k, v in r["timings"].items() if k in ("parse", "chunk", "segment", "embed", "write"))
    shares = {
        k: round(v / total, 3)
        for k, v in r["timings"].items()
        if total and k in ("parse", "chunk", "segment", "embed", "write")
    }
    return {
        **r,
        "docs_per_s": r["documents"] / wall,
        "mb_per_s": mb / wall,
        "chunks_per_s": r["chunks"] / wall,
        "stage_shares": shares,
    }


def worktree(commit: str, work: Path) -> Path:
    path = work / f"code-{commit[:10]}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit],
        check=True,
        capture_output=True,
    )
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="number of distractor documents")
    ap.add_argument("--baseline", help="commit whose indexer is measured in the same run")
    ap.add_argument("--this", dest="this_commit", help="measure this commit instead of the working tree")
    ap.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:VAR=VALUE[,VAR=VALUE]",
        help="also build this checkout with these settings, e.g. int8:TRACUU_EMBED_QUANTIZE=int8",
    )
    ap.add_argument("--langchain", action="store_true", help="also the naive LangChain pipeline")
    ap.add_argument(
        "--hash-embedder",
        action="store_true",
        help="a hash of syllables instead of the model (memory and the other stages only; no quality)",
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    variants = {}
    for v in args.variant:
        label, _, assigns = v.partition(":")
        variants[label] = dict(a.split("=", 1) for a in assigns.split(",") if a)
    out = args.out or HERE / "results" / f"import_{args.n}{'_hash' if args.hash_embedder else ''}.json"
    with tempfile.TemporaryDirectory(prefix="tracuu-import-") as tmp:
        work = Path(tmp)
        plans_only = work / "plans"
        make_corpus(plans_only, 0)
        corpus = work / "corpus"
        size = make_corpus(corpus, args.n) / 1e6
        runs: dict[str, dict] = {}
        codes = {"this": worktree(args.this_commit, work) if args.this_commit else ROOT}
        if args.baseline:
            codes = {"baseline": worktree(args.baseline, work), **codes}
        try:
            if args.hash_embedder:
                os.environ["BENCH_HASH_EMBEDDER"] = "1"
            else:
                runs["plans_alone"] = build(ROOT, plans_only, work, "plans")
            for label, code in codes.items():
                runs[label] = rates(build(code, corpus, work, label), size)
            for label, env in variants.items():
                runs[label] = rates(build(codes["this"], corpus, work, label, env), size) | {"env": env}
            if args.langchain:
                runs["langchain"] = rates(build(ROOT, corpus, work, "langchain", child=LANGCHAIN_CHILD), size)
        finally:
            for code in codes.values():
                if code != ROOT:
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(code)], check=False
                    )
    result = {
        "distractors": args.n,
        "corpus_mb": round(size, 2),
        "baseline_commit": args.baseline,
        "hash_embedder": args.hash_embedder,
        "cpu_count": os.cpu_count(),
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        f"{'run':<12} {'wall s':>8} {'docs/s':>7} {'MB/s':>6} {'chunks/s':>8} {'peak MB':>8} {'tree MB':>8} "
        f"{'passage@5':>9} {'MRR@10':>6}"
    )
    for label, r in runs.items():
        print(
            f"{label:<12} {r['wall_s']:8.1f} {r.get('docs_per_s', 0):7.1f} {r.get('mb_per_s', 0):6.3f} "
            f"{r.get('chunks_per_s', 0):8.1f} {r['peak_rss_mb']:8.0f} {r['tree_peak_rss_mb']:8.0f} "
            f"{r['passage@5'] or 0:9.3f} "
            f"{r['mrr@10'] or 0:6.3f}"
        )
        if "stage_shares" in r:
            print("    stages: " + ", ".join(f"{k} {v:.0%}" for k, v in r["stage_shares"].items()))
    print(f"corpus: {result['corpus_mb']} MB, {args.n} distractors + 5 plans -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
