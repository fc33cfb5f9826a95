"""Benchmark helpers shared by the orchestrator (bench.py) and its worker processes (bench_worker.py).

Pure helpers (statistics, padding arithmetic, perturbations, data slicing) live here so that the smoke
test can check them without loading any model.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ALQAC_DIR = Path(os.environ.get("TRACUU_BENCH_ALQAC", "/work/shared/bench/alqac"))
PASSAGE_PREFIX = "passage: "
QUERY_PREFIX = "query: "


# --------------------------------------------------------------------------- machine and process


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    import psutil

    return {
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "affinity_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "underthesea", "numpy",
        "langchain-core", "langchain-community", "langchain-huggingface", "langchain-text-splitters",
    ]  # fmt: skip
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def code_state() -> dict:
    """Git HEAD and a fingerprint of retrieval/*.py: the code is edited by others in parallel, and a
    change during a run (e.g. a new chunker version) makes its phases incomparable."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "retrieval").rglob("*.py")):
        if "answer" in path.relative_to(ROOT).parts:  # the answer layer is not benchmarked here
            continue
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "retrieval"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.count("\n")
    except (OSError, subprocess.SubprocessError):
        head, dirty = None, None
    return {"git_head": head, "retrieval_files_modified": dirty, "retrieval_sha256": h.hexdigest()[:16]}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_worker(
    task: str, cfg: dict, workdir: Path, timeout: float | None = None, name: str | None = None, env_extra=None
) -> dict:
    """Run ``bench_worker.py TASK`` in a fresh process; returns its JSON result plus the process wall."""
    cfg_path = workdir / f"cfg-{name or task}.json"
    out_path = workdir / f"out-{name or task}.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    out_path.unlink(missing_ok=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.update(env_extra or {})
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(HERE / "bench_worker.py"), task, str(cfg_path), str(out_path)],
        env=env,
        timeout=timeout,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not out_path.exists():
        tail = (proc.stderr or "")[-4000:]
        raise RuntimeError(f"worker {task} failed (rc={proc.returncode}):\n{tail}")
    result = json.loads(out_path.read_text(encoding="utf-8"))
    result["process_wall_s"] = wall
    return result


def quiet_libraries() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("sentence_transformers", "transformers", "bm25s", "faiss", "langchain_community"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - cosmetic only
        pass


# --------------------------------------------------------------------------- statistics


def latency_stats(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None}
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
    }


def padded_tokens(lengths: list[int], batch_size: int, order: str = "global", group: int = 256) -> int:
    """Tokens the model actually processes (padding included) for one batching strategy.

    order="global": sorted by length over all texts (one encode call);
    order="group": sorted inside consecutive groups of ``group`` texts (one encode call per group,
    as indexer.write_entries does); order="none": batches in the given order (no sorting).
    """
    lengths = list(lengths)
    if order == "global":
        parts = [sorted(lengths, reverse=True)]
    elif order == "group":
        parts = [sorted(lengths[i : i + group], reverse=True) for i in range(0, len(lengths), group)]
    elif order == "none":
        parts = [lengths]
    else:
        raise ValueError(order)
    total = 0
    for part in parts:
        for i in range(0, len(part), batch_size):
            batch = part[i : i + batch_size]
            total += max(batch) * len(batch)
    return total


def systematic_sample(n_total: int, n: int) -> list[int]:
    """Every k-th index (keeps the length distribution of the whole list)."""
    if n >= n_total:
        return list(range(n_total))
    step = n_total / n
    return sorted({int(i * step) for i in range(n)})


# --------------------------------------------------------------------------- perturbation (100k)


def perturb_words(words: list[str], rng: np.random.Generator, p_drop: float = 0.05, p_swap: float = 0.05):
    """Drop a few items and swap a few adjacent pairs (a different but similar text)."""
    if len(words) < 4:
        return list(words)
    keep = [w for w in words if rng.random() >= p_drop] or list(words)
    for i in range(len(keep) - 1):
        if rng.random() < p_swap:
            keep[i], keep[i + 1] = keep[i + 1], keep[i]
    return keep


def perturb_tokens(tokens: list[str], rng: np.random.Generator) -> list[str]:
    """Perturb BM25 tokens as retrieval.segment.tokens builds them: syllables (perturbed), their
    adjacent bigrams (recomputed) and the long underthesea words (a few dropped)."""
    sylls = [t for t in tokens if "|" not in t and "_" not in t]
    long_words = [t for t in tokens if "_" in t]
    sylls = perturb_words(sylls, rng)
    out = list(sylls)
    out.extend(f"{a}|{b}" for a, b in zip(sylls, sylls[1:], strict=False))
    out.extend(w for w in long_words if rng.random() >= 0.05)
    return out


def perturb_vectors(vectors: np.ndarray, rng: np.random.Generator, noise: float = 0.2) -> np.ndarray:
    """Add isotropic noise of norm ~``noise`` to unit vectors and renormalize (cosine ~ 1/sqrt(1+noise^2))."""
    d = vectors.shape[1]
    out = vectors + rng.normal(0.0, noise / np.sqrt(d), size=vectors.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


# --------------------------------------------------------------------------- ALQAC data


def select_slice(data, max_docs: int | None, max_queries: int | None) -> tuple[list[dict], list[dict]]:
    """A deterministic slice: the first queries whose gold articles all fit, their gold articles first,
    then other articles in corpus order up to ``max_docs``. None = everything."""
    corpus, queries = data.corpus, data.queries
    if max_docs is None or max_docs >= len(corpus):
        return corpus, queries[:max_queries] if max_queries else queries
    chosen: list[str] = []
    picked_q = []
    for q in queries:
        gold = [d for d, g in data.qrels.get(q["_id"], {}).items() if g > 0]
        new = [d for d in gold if d not in chosen]
        if len(chosen) + len(new) > max_docs // 2:
            continue
        chosen.extend(new)
        picked_q.append(q)
        if max_queries and len(picked_q) >= max_queries:
            break
    ids = set(chosen)
    for row in corpus:
        if len(ids) >= max_docs:
            break
        ids.add(row["_id"])
    return [r for r in corpus if r["_id"] in ids], picked_q


def article_text(row: dict) -> str:
    """An ALQAC article as a plain-text file: law name, then "Điều N. <title>" and the body."""
    return f"{row.get('law_id') or ''}\n\nĐiều {row.get('article_id') or ''}. {row['text'].strip()}\n"


def write_corpus(rows: list[dict], folder: Path) -> int:
    """One UTF-8 .txt file per article (file stem = BEIR _id = tracuu doc_id); returns words written."""
    folder.mkdir(parents=True, exist_ok=True)
    words = 0
    for row in rows:
        text = article_text(row)
        (folder / f"{row['_id']}.txt").write_text(text, encoding="utf-8")
        words += len(text.split())
    return words


def ranked_doc_ids(doc_ids: list[str], k: int = 10) -> list[str]:
    return list(dict.fromkeys(doc_ids))[:k]
