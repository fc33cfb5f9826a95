"""Write a generation: embed what has no vectors yet, build BM25 (accented and plain), FAISS and the
accent model from the entries, and commit it atomically with its manifest (retrieval/store.py)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retrieval import store
from retrieval.accents import AccentModel
from retrieval.chunking import CHUNKER_VERSION, index_text
from retrieval.embedding import Embedder
from retrieval.indexing.entries import DocEntry, IndexReport
from retrieval.segment import SEGMENTER_VERSION, strip_accents
from retrieval.settings import Settings
from retrieval.sparse import SparseIndex
from retrieval.structure import STRUCTURE_VERSION
from retrieval.vectors import VectorIndex

EMBED_BATCH = 256  # texts per embed_passages call (the embedder batches by padded tokens inside)


def embed_missing(
    entries: list[DocEntry], embedder: Embedder, progress: Callable[[int, int], None] | None = None
) -> int:
    """Give every entry without vectors its chunks' vectors; returns how many chunks were embedded."""
    todo = [e for e in entries if e.vectors is None or len(e.vectors) != len(e.chunks)]
    texts = [index_text(e.doc.title, c) for e in todo for c in e.chunks]
    vecs = []
    for i in range(0, len(texts), EMBED_BATCH):
        vecs.append(embedder.embed_passages(texts[i : i + EMBED_BATCH]))
        if progress:
            progress(min(i + EMBED_BATCH, len(texts)), len(texts))
    allv = np.vstack(vecs) if vecs else np.zeros((0, embedder.dim), np.float32)
    pos = 0
    for e in todo:
        e.vectors = allv[pos : pos + len(e.chunks)]
        pos += len(e.chunks)
    return len(texts)


def write_entries(
    entries: list[DocEntry],
    index_dir: Path,
    settings: Settings,
    embedder: Embedder,
    report: IndexReport | None = None,
    timings: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> IndexReport:
    """Embed what is missing, build BM25/FAISS/accent model and commit a new generation. The seconds
    spent are added to ``timings["embed"]`` and ``timings["write"]`` (a build may write several times)."""
    report = report or IndexReport()
    timings = timings if timings is not None else {}
    all_entries = sorted(entries, key=lambda e: e.doc.source)
    entries = [e for e in all_entries if e.doc.duplicate_of is None]
    t0 = time.perf_counter()
    embed_missing(entries, embedder, progress)
    timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t0

    t1 = time.perf_counter()
    chunks = [c for e in entries for c in e.chunks]
    tokens = [t for e in entries for t in e.tokens]
    vectors = np.vstack([e.vectors for e in entries]) if entries else np.zeros((0, embedder.dim), np.float32)
    partial = store.new_generation(index_dir)
    store.write_jsonl(partial / "documents.jsonl", (e.doc.to_json() for e in all_entries))
    store.write_jsonl(partial / "chunks.jsonl", (c.to_json() for c in chunks))
    store.write_jsonl(partial / "tokens.jsonl", ({"t": t} for t in tokens))
    store.save_vectors(partial / "vectors.npy", vectors)
    dense = VectorIndex.build(vectors)
    dense.save(partial / "dense.faiss")
    SparseIndex.build(tokens).save(partial / "bm25_acc")
    plain: dict[str, str] = {}  # each distinct token stripped once, and one string per distinct result
    SparseIndex.build(
        [[plain.get(t) or plain.setdefault(t, sys.intern(strip_accents(t))) for t in ts] for ts in tokens]
    ).save(partial / "bm25_plain")
    AccentModel.build(index_text(e.doc.title, c) for e in entries for c in e.chunks).save(
        partial / "accents.json"
    )
    manifest = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": {
            "name": settings.embed_model,
            "checksum": embedder.checksum,
            "dim": int(embedder.dim),
            "query_prefix": settings.effective_query_prefix,
            "passage_prefix": settings.effective_passage_prefix,
            "segmented": settings.embed_segmented,
            "quantize": settings.embed_quantize,
        },
        "chunker_version": CHUNKER_VERSION,
        "structure_version": STRUCTURE_VERSION,
        "segmenter_version": SEGMENTER_VERSION,
        "settings": {"chunk_max_tokens": settings.chunk_max_tokens},
        "dense_index": dense.kind,
        "counts": {"documents": len(entries), "chunks": len(chunks)},
        "sources": {
            e.doc.source: {
                "sha256": e.doc.sha256,
                "doc_id": e.doc.doc_id,
                "chunks": len(e.chunks),
                **({"duplicate_of": e.doc.duplicate_of} if e.doc.duplicate_of else {}),
                **({"warnings": list(e.doc.warnings)} if e.doc.warnings else {}),
            }
            for e in all_entries
        },
        "failures": [f.__dict__ for f in report.failures],
    }
    store.commit_generation(index_dir, partial, manifest)
    timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t1
    report.n_documents, report.n_chunks, report.written, report.timings = (
        len(entries),
        len(chunks),
        True,
        timings,
    )
    return report
