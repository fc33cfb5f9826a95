"""BEIR-format evaluation: index a BEIR folder into a temporary index and score retrieval."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from retrieval.metrics import mean_metrics, per_query
from retrieval.settings import Settings
from retrieval.types import Block, DocMetadata, ParsedDocument, RawDocument


@dataclass(frozen=True)
class BeirData:
    corpus: list[dict]
    queries: list[dict]
    qrels: dict[str, dict[str, float]]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, float]]:
    qrels: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (i == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = float(parts[2])
    return qrels


def load_beir(folder: Path, queries: Path | None = None, qrels: Path | None = None) -> BeirData:
    corpus = read_jsonl(folder / "corpus.jsonl")
    qs = read_jsonl(queries or folder / "queries.jsonl")
    rel = read_qrels(qrels or folder / "qrels.tsv")
    return BeirData(corpus, [q for q in qs if q["_id"] in rel], rel)


def beir_documents(corpus: list[dict]) -> Iterator[ParsedDocument]:
    """One ParsedDocument per BEIR row: title = the row's law/collection name when given, else its title."""
    for row in corpus:
        text = row.get("text") or ""
        title = row.get("title") or ""
        doc_title = row.get("law_id") or title
        raw = RawDocument(source=row["_id"], text=text, sha256=row["_id"], format="beir")
        heading = (title,) if title and doc_title != title else ()
        blocks = (
            (Block("paragraph", " ".join(text.split()), ((0, len(text)),), heading),) if text.strip() else ()
        )
        yield ParsedDocument(row["_id"], raw, doc_title, DocMetadata(trich_yeu=title or None), blocks)


def run_beir(
    data: BeirData,
    settings: Settings,
    modes: tuple[str, ...] = ("bm25", "dense", "hybrid"),
    index_dir: Path | None = None,
    query_field: str = "text",
    transform=None,
) -> dict:
    """Index once, then evaluate each mode; returns {"build_seconds", "modes": {mode: result}}."""
    from retrieval.embedding import make_embedder
    from retrieval.indexer import index_parsed
    from retrieval.search import Searcher

    embedder = make_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="tracuu-beir-") as tmp:
        idx = index_dir or Path(tmp) / "index"
        t0 = time.perf_counter()
        if not (idx / "manifest.json").exists():
            index_parsed(beir_documents(data.corpus), idx, settings, embedder)
        build = time.perf_counter() - t0
        searcher = Searcher.load(idx, settings, embedder)
        out = {
            "build_seconds": build,
            "n_docs": len(data.corpus),
            "n_queries": len(data.queries),
            "modes": {},
        }
        for mode in modes:
            out["modes"][mode] = evaluate(searcher, data, mode, query_field, transform)
    return out


def evaluate(searcher, data: BeirData, mode: str, query_field: str = "text", transform=None) -> dict:
    rows = []
    t0 = time.perf_counter()
    for q in data.queries:
        text = q.get(query_field) or q["text"]
        if transform:
            text = transform(text)
        hits = searcher.search(text, k=50, mode=mode)
        ranked = list(dict.fromkeys(h.chunk.doc_id for h in hits))[:10]
        row = {"query_id": q["_id"], **per_query(ranked, data.qrels.get(q["_id"], {})), "top": ranked[:3]}
        rows.append(row)
    elapsed = time.perf_counter() - t0
    return {
        "mode": mode,
        "metrics": mean_metrics(rows),
        "per_query": rows,
        "seconds_per_query": elapsed / max(1, len(rows)),
    }
