"""Write a generation: embed what has no vectors yet, then stream every kept document from where it
lies (the live generation or a build's spool) into a new generation — BM25 (accented and plain), FAISS
and the accent model built from the files just written — and commit it atomically with its manifest
(retrieval/store.py)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retrieval import store
from retrieval.accents import AccentCounter
from retrieval.chunking import CHUNKER_VERSION, index_text
from retrieval.embedding import Embedder
from retrieval.indexing.bm25_build import TermIds, build_bm25
from retrieval.indexing.entries import DocEntry, IndexReport
from retrieval.indexing.spool import Held, Spool
from retrieval.segment import SEGMENTER_VERSION, strip_accents
from retrieval.settings import Settings
from retrieval.structure import STRUCTURE_VERSION
from retrieval.types import Chunk
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
    """Embed what is missing and commit ``entries`` (held in memory: benchmarks, BEIR evaluation) as a
    new generation, through the same streamed write as a folder build (spooled to disk first)."""
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    embed_missing([e for e in entries if e.doc.duplicate_of is None], embedder, progress)
    timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t0
    index_dir.mkdir(parents=True, exist_ok=True)
    spool = Spool(Path(tempfile.mkdtemp(prefix=".spool-", dir=index_dir)), embedder.dim)
    try:
        held = [spool.add(e) for e in entries]
        return write_held(held, index_dir, settings, embedder, report, timings)
    finally:
        spool.close()


def write_held(
    held: list[Held],
    index_dir: Path,
    settings: Settings,
    embedder: Embedder,
    report: IndexReport | None = None,
    timings: dict | None = None,
) -> IndexReport:
    """Write a generation from documents whose content is on disk (the live generation or a spool),
    streaming: each document's lines and vectors are copied in source order while its tokens get term
    ids (appended to a file) and the accent counts grow; BM25 is then built from the ids file
    (indexing/bm25_build.py) and FAISS from the vectors file. Memory grows with the vocabulary and the
    index arrays, not with the text. Seconds spent are added to ``timings["write"]``."""
    report = report or IndexReport()
    timings = timings if timings is not None else {}
    t1 = time.perf_counter()
    all_held = sorted(held, key=lambda h: h.doc.source)
    kept = [h for h in all_held if h.doc.duplicate_of is None]
    n = sum(h.count for h in kept)
    partial = store.new_generation(index_dir)
    accents = AccentCounter()
    term_ids = TermIds(partial / ".term-ids")  # removed before the commit
    vec_path = partial / "vectors.npy"
    with (
        (partial / "documents.jsonl").open("wb") as f_docs,
        (partial / "chunks.jsonl").open("wb") as f_chunks,
        (partial / "tokens.jsonl").open("wb") as f_tokens,
        vec_path.open("wb") as f_vectors,
    ):
        header = {"descr": "<f4", "fortran_order": False, "shape": (n, int(embedder.dim))}
        np.lib.format.write_array_header_1_0(f_vectors, header)  # rows appended below: no memory map
        for h in all_held:
            f_docs.write(h.document_line())
            if h.doc.duplicate_of is not None:
                continue
            lines = h.rows.lines("chunks", h.start, h.count)
            f_chunks.write(lines)
            for line in lines.splitlines():
                accents.add(index_text(h.doc.title, Chunk.from_json(json.loads(line))))
            lines = h.rows.lines("tokens", h.start, h.count)
            f_tokens.write(lines)
            for line in lines.splitlines():
                term_ids.add(json.loads(line)["t"])
            f_vectors.write(np.ascontiguousarray(h.rows.vectors(h.start, h.count), dtype="<f4").tobytes())
        for fh in (f_docs, f_chunks, f_tokens, f_vectors):
            fh.flush()
            os.fsync(fh.fileno())
    term_ids.close()
    build_bm25(term_ids.path, term_ids.lengths, term_ids.vocab).save(partial / "bm25_acc")
    plain_vocab, to_plain = term_ids.mapped(strip_accents)
    build_bm25(term_ids.path, term_ids.lengths, plain_vocab, to_plain).save(partial / "bm25_plain")
    term_ids.path.unlink()
    del term_ids, plain_vocab, to_plain
    dense = VectorIndex.build(store.load_vectors(vec_path, mmap=True))
    dense.save(partial / "dense.faiss")
    kind = dense.kind
    del dense
    accents.model().save(partial / "accents.json")
    store.commit_generation(index_dir, partial, _manifest(all_held, n, kind, settings, embedder, report))
    timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t1
    report.n_documents, report.n_chunks, report.written, report.timings = len(kept), n, True, timings
    return report


def _manifest(
    all_held: list[Held], n: int, kind: str, settings: Settings, embedder: Embedder, report: IndexReport
) -> dict:
    return {
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
        "dense_index": kind,
        "counts": {"documents": sum(h.doc.duplicate_of is None for h in all_held), "chunks": n},
        "sources": {
            h.doc.source: {
                "sha256": h.doc.sha256,
                "doc_id": h.doc.doc_id,
                "chunks": h.count,
                **({"duplicate_of": h.doc.duplicate_of} if h.doc.duplicate_of else {}),
                **({"warnings": list(h.doc.warnings)} if h.doc.warnings else {}),
            }
            for h in all_held
        },
        "failures": [f.__dict__ for f in report.failures],
    }
