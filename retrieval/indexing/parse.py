"""One file → one ``DocEntry`` (load, parse, chunk, segment), in this process or in a worker process
that parses ahead while this one embeds (the embedder holds the GIL-free cores; parsing, segmentation
and converters are Python or subprocess work that would otherwise wait for it)."""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import sys
import time
import types
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from retrieval.chunking import chunk_document, index_text
from retrieval.indexing.entries import DocEntry, Failure, IndexReport
from retrieval.ingest import IngestError, load_document
from retrieval.segment import SegmentCache
from retrieval.segment import tokens as bm25_tokens
from retrieval.settings import Settings
from retrieval.store import StoredDocument
from retrieval.types import ParsedDocument

AHEAD = 8  # files parsed ahead of the one being embedded (bounds the memory of parsed documents)
Job = tuple[Path, str, "str | None"]  # path, source, document id (None: made from the source)
PARALLEL_MIN_FILES = 8  # fewer files to parse: in this process (a worker takes ~2 s to start)


def doc_id_for(source: str) -> str:
    return source.rsplit(".", 1)[0] if "." in Path(source).name else source


def entry_from_parsed(doc: ParsedDocument, settings: Settings, timings: dict, seg: SegmentCache) -> DocEntry:
    t0 = time.perf_counter()
    chunks = chunk_document(doc, settings.chunk_max_tokens)
    t1 = time.perf_counter()
    # Interned: a token string is held once however many chunks use it (the index-wide vocabulary is
    # small next to the token count); the accent-stripped variants are made once per distinct token at
    # write time, not here.
    tokens = [[sys.intern(t) for t in bm25_tokens(seg.words(index_text(doc.title, c)))] for c in chunks]
    t2 = time.perf_counter()
    timings["chunk"] = timings.get("chunk", 0.0) + t1 - t0
    timings["segment"] = timings.get("segment", 0.0) + t2 - t1
    body = "".join(c.text for c in chunks)
    key = hashlib.sha256("".join(body.lower().split()).encode()).hexdigest()
    return DocEntry(replace(StoredDocument.from_parsed(doc), content_key=key), chunks, tokens)


def ingest_entry(
    path: Path,
    source: str,
    corpus_dir: Path,
    settings: Settings,
    timings: dict,
    seg: SegmentCache,
    report: IndexReport,
    doc_id: str | None = None,
) -> DocEntry | None:
    """Load, parse, chunk and segment one file; a failure becomes one report line (None returned).
    The document's id is ``doc_id_for(source)`` unless given."""
    from retrieval.structure import parse_document

    try:
        raw = load_document(path, corpus_dir)
        entry = entry_from_parsed(parse_document(raw, doc_id or doc_id_for(source)), settings, timings, seg)
    except IngestError as exc:
        failure = Failure(exc.source, exc.reason, exc.hint)
    except Exception as exc:  # a parser bug must not stop the run or lose the index
        failure = Failure(
            source,
            f"lỗi khi phân tích văn bản ({type(exc).__name__}: {exc})",
            "hãy báo lỗi này kèm tệp cho nhóm phát triển",
        )
    else:
        if raw.warnings:
            report.warnings.append(Failure(source, "; ".join(raw.warnings)))
        return entry
    if failure not in report.failures:
        report.failures.append(failure)
    return None


@dataclass
class Parsed:
    """What parsing one file gave: its entry (None: it failed), the report lines and stage seconds."""

    path: Path
    source: str
    entry: DocEntry | None
    failures: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def parse_file(
    path: Path, source: str, doc_id: str | None, corpus_dir: Path, settings: Settings, seg: SegmentCache
) -> Parsed:
    report = IndexReport()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    entry = ingest_entry(path, source, corpus_dir, settings, timings, seg, report, doc_id)
    timings["parse"] = time.perf_counter() - t - timings.get("chunk", 0.0) - timings.get("segment", 0.0)
    return Parsed(path, source, entry, report.failures, report.warnings, timings)


_worker_seg: SegmentCache | None = None


def _init_worker(cache_file: Path | None) -> None:
    global _worker_seg
    _worker_seg = SegmentCache(cache_file)
    atexit.register(_worker_seg.close)  # its last buffered segmentations


def _parse_in_worker(path: Path, source: str, doc_id: str | None, corpus_dir: Path, settings: Settings):
    return parse_file(path, source, doc_id, corpus_dir, settings, _worker_seg)


@contextmanager
def _bare_main() -> Iterator[None]:
    """A spawned process first runs the parent's ``__main__`` again — under Streamlit that is the app
    script itself. Workers are started while ``__main__`` is a bare module: they import only what
    they unpickle (this module and the settings)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def workers_for(settings: Settings, n_files: int) -> int:
    """Worker processes for parsing ``n_files``: TRACUU_PARSE_WORKERS, or (-1, the default) one when
    the machine has a second core and there are enough files to repay its start."""
    if settings.parse_workers >= 0:
        return settings.parse_workers
    return 1 if (os.cpu_count() or 1) >= 2 and n_files >= PARALLEL_MIN_FILES else 0


def parse_in_order(
    jobs: Iterable[tuple[Path, str, str | None]],
    corpus_dir: Path,
    settings: Settings,
    seg: SegmentCache,
    workers: int,
) -> Iterator[Parsed]:
    """Each (path, source, document id or None for the default) parsed, in the given order; with
    workers, up to AHEAD files ahead."""
    if workers <= 0:
        for path, source, doc_id in jobs:
            yield parse_file(path, source, doc_id, corpus_dir, settings, seg)
        return
    seg.flush()
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding model threads
    pending: deque[tuple[Job, Future | None]] = deque()
    todo = iter(jobs)
    broken = False
    with ProcessPoolExecutor(workers, ctx, initializer=_init_worker, initargs=(seg.path,)) as pool:
        try:
            for job in todo:
                pending.append((job, None))
                with _bare_main():  # a submit may start the worker
                    pending[-1] = (job, pool.submit(_parse_in_worker, *job, corpus_dir, settings))
                while len(pending) > AHEAD:
                    yield pending[0][1].result()
                    pending.popleft()
            while pending:
                yield pending[0][1].result()
                pending.popleft()
        except BrokenProcessPool:
            broken = True
        finally:
            for _, f in pending:
                if f is not None:
                    f.cancel()
    if broken:  # a file that kills the parser does not stop the run: it is reported, the rest go on here
        yield from _after_worker_died(pending, todo, corpus_dir, settings, seg)


def _after_worker_died(pending, todo, corpus_dir, settings, seg) -> Iterator[Parsed]:
    """Results the worker finished, the file it died on as a failure, then the rest parsed here."""
    blamed = False
    rest: list[Job] = []
    for job, f in pending:
        if f is not None and not f.cancelled() and f.exception() is None:
            yield f.result()
        elif f is not None and not f.cancelled() and not blamed:
            blamed = True
            path, source, _ = job
            reason = "tiến trình đọc tệp bị dừng đột ngột khi đọc tệp này (tệp hỏng, quá lớn hoặc hết bộ nhớ)"
            yield Parsed(path, source, None, [Failure(source, reason, "các tệp còn lại vẫn được đọc tiếp")])
        else:
            rest.append(job)
    for job in rest + list(todo):
        yield parse_file(*job, corpus_dir, settings, seg)


def absorb(parsed: Parsed, report: IndexReport, timings: dict[str, float]) -> None:
    """A parsed file's report lines (each failure once) and stage seconds into the run's."""
    report.failures += [f for f in parsed.failures if f not in report.failures]
    report.warnings += parsed.warnings
    for k, v in parsed.timings.items():
        timings[k] = timings.get(k, 0.0) + v
