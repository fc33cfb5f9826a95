"""Index a folder into one collection of the PostgreSQL store (``tracuu index --database``).

The walk is the folder index's (same loaders, parser, chunker, segmenter, embedder), incremental by
content hash against what the collection holds; each document is committed on its own
(``pgstore.put_document``), so an interrupted import keeps every document it finished and a re-run
continues. Files gone from the folder are removed from the collection; a file that fails to load is
reported and its indexed version, if any, is kept. Document ids are ``<collection>/<file id>``: the
same file name in two collections makes two documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from retrieval.embedding import Embedder, make_embedder
from retrieval.indexer import EMBED_AHEAD, is_corpus_readme, unchanged
from retrieval.indexing.entries import DocEntry, Failure, IndexReport, printable
from retrieval.indexing.parse import absorb, doc_id_for, parse_in_order, workers_for
from retrieval.indexing.pg_upkeep import upkeep
from retrieval.indexing.pgstore import (
    ModelInfo,
    collection_parsing,
    ensure_model,
    known_sources,
    parsing_of,
    put_document,
    record_parsing,
    remove_document,
)
from retrieval.indexing.writer import embed_missing
from retrieval.ingest import IngestError, iter_corpus_files
from retrieval.segment import SegmentCache
from retrieval.server.collections import collection_id
from retrieval.server.database import open_database
from retrieval.settings import Settings


def index_into_database(
    corpus_dir: Path,
    url: str,
    collection: str,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IndexReport:
    """Index every supported file under ``corpus_dir`` into ``collection`` (which must exist)."""
    report = IndexReport()
    timings: dict[str, float] = {}
    with open_database(url, autocommit=True) as conn:
        cid = collection_id(conn, collection)
        embedder = embedder or make_embedder(settings)
        model = ModelInfo.current(settings, embedder.checksum, embedder.dim)
        recorded = ensure_model(conn, model, reparse_ok=True)
        # written by other parsing rules (an upgrade): every file of the collection is parsed again
        reparse = collection_parsing(conn, cid, recorded) != parsing_of(model)
        known = known_sources(conn, cid)
        seen: set[str] = set()
        waiting: list[DocEntry] = []
        seg = SegmentCache(settings.cache_dir / "segments.sqlite")
        t0 = time.perf_counter()

        def flush() -> None:
            t = time.perf_counter()
            embed_missing(waiting, embedder)
            timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t
            t = time.perf_counter()
            for e in waiting:
                put_document(conn, cid, e)
            timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t
            waiting.clear()

        try:
            items = [i for i in iter_corpus_files(corpus_dir) if not is_corpus_readme(i, corpus_dir)]
            jobs = []  # new or changed files, parsed below (ahead of the embedder in a worker process)
            for item in items:
                if isinstance(item, IngestError):
                    report.failures.append(Failure(item.source, item.reason, item.hint))
                    seen.add(item.source)  # its indexed version, if any, is kept
                    continue
                source = item.relative_to(corpus_dir).as_posix()
                seen.add(source)
                if source in known and not reparse and unchanged(item, known[source]):
                    report.unchanged.append(source)
                    continue
                jobs.append((item, source, doc_id_for(f"{collection}/{source}")))
            workers = workers_for(settings, len(jobs))
            done = len(items) - len(jobs)
            for parsed in parse_in_order(jobs, corpus_dir, settings, seg, workers):
                done += 1
                if progress:
                    progress(printable(parsed.source), done, len(items))
                absorb(parsed, report, timings)
                if parsed.entry is None:
                    continue
                (report.updated if parsed.source in known else report.added).append(parsed.source)
                waiting.append(parsed.entry)
                if sum(len(e.chunks) for e in waiting) >= EMBED_AHEAD:
                    flush()
            flush()
        finally:
            seg.close()
        for source in sorted(set(known) - seen):
            if remove_document(conn, cid, source):
                report.removed.append(source)
        if reparse:
            record_parsing(conn, cid, model)
        report.written = bool(report.added or report.updated or report.removed)
        report.n_documents, report.n_chunks = conn.execute(
            "SELECT count(*), coalesce(sum(n_chunks), 0) FROM documents WHERE collection_id = %s", (cid,)
        ).fetchone()
        timings["total"] = time.perf_counter() - t0
        report.timings = timings
    if report.written:
        upkeep(url, collections=(cid,))
    return report
