"""Indexing: corpus folder -> parsed, chunked, segmented, embedded -> one atomic index generation.

Incremental: a source whose sha256 is unchanged keeps its chunks, tokens and vectors from the live
index; deleted sources are dropped; a file that fails to ingest is reported and, if an older version
of it was indexed, that version is kept. Nothing is written when nothing changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from retrieval import store
from retrieval.chunking import CHUNKER_VERSION
from retrieval.embedding import Embedder, expected_checksum, make_embedder
from retrieval.indexing.checkpoint import CheckpointPolicy
from retrieval.indexing.entries import DocEntry, Failure, IndexReport, printable
from retrieval.indexing.parse import (
    absorb,
    entry_from_parsed,
    ingest_entry,
    parse_in_order,
    workers_for,
)
from retrieval.indexing.progress import ImportMeter, Snapshot
from retrieval.indexing.spool import SPOOL, GenerationRows, Held, Spool
from retrieval.indexing.writer import embed_missing, write_entries, write_held
from retrieval.ingest import IngestError, iter_corpus_files
from retrieval.ingest.walk import OutsideCorpusError
from retrieval.segment import SEGMENTER_VERSION, SegmentCache
from retrieval.settings import Settings
from retrieval.store import StoredDocument
from retrieval.structure import STRUCTURE_VERSION
from retrieval.types import ParsedDocument


class IndexLockedError(RuntimeError):
    pass


def is_corpus_readme(item: Path | IngestError, corpus_dir: Path) -> bool:
    """corpus/README.md documents the corpus itself; it is not one of its documents."""
    return isinstance(item, Path) and item.parent == corpus_dir and item.stem.upper() == "README"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dedupe(entries: dict[str, Held]) -> list[str]:
    """Index a document once when several files hold the same content (the same plan as PDF and DOCX,
    or two copies): the first source (sorted) keeps the chunks, the others are listed as its copies.
    Returns sources marked as copies whose indexed twin is gone (they must be parsed again)."""
    orphans = []
    primary: dict[str, str] = {}
    for source in sorted(entries):
        h = entries[source]
        if h.doc.duplicate_of is not None:
            continue
        if h.doc.content_key and h.doc.content_key in primary:
            entries[source] = h.as_copy_of(primary[h.doc.content_key])
        elif h.doc.content_key:
            primary[h.doc.content_key] = source
    for source, h in entries.items():
        twin = h.doc.duplicate_of
        if twin is not None and (twin not in entries or entries[twin].doc.content_key != h.doc.content_key):
            orphans.append(source)
    copies: dict[str, list[str]] = {}
    for source, h in entries.items():
        if h.doc.duplicate_of is not None and source not in orphans:
            copies.setdefault(h.doc.duplicate_of, []).append(source)
    for source, h in entries.items():
        if h.doc.duplicate_of is None:
            entries[source] = replace(h, doc=replace(h.doc, copies=tuple(sorted(copies.get(source, [])))))
    return orphans


def _load_previous(index_dir: Path, settings: Settings) -> GenerationRows | None:
    """The live generation read in place (its documents as ``Held`` records), when it is compatible
    with these settings; its reader lock is held until ``close()``."""
    try:
        manifest = store.read_manifest(index_dir)
        gen = store.generation_dir(index_dir, manifest)
    except store.IndexError_:
        return None
    if (
        manifest.get("chunker_version") != CHUNKER_VERSION
        or manifest.get("structure_version") != STRUCTURE_VERSION
        or manifest.get("segmenter_version") != SEGMENTER_VERSION
        or manifest.get("settings", {}).get("chunk_max_tokens") != settings.chunk_max_tokens
        or manifest.get("model", {}).get("name") != settings.embed_model
        or manifest.get("model", {}).get("checksum") != expected_checksum(settings)
    ):
        return None
    try:
        return GenerationRows(gen, manifest)
    except (store.IndexError_, OSError, ValueError, KeyError):
        return None  # damaged or unreadable: a full rebuild


def read_entries(gen: Path) -> list[DocEntry]:
    """Every document of a stored generation with its chunks, BM25 tokens and vectors."""
    docs = store.load_documents(gen)
    chunks = store.load_chunks(gen)
    tokens = [[sys.intern(t) for t in r["t"]] for r in store.read_jsonl(gen / "tokens.jsonl")]
    vectors = store.load_vectors(gen / "vectors.npy")
    rows = store.rows_by_doc(chunks)
    entries = []
    for doc in docs.values():
        idx = rows.get(doc.doc_id, [])
        entries.append(
            DocEntry(
                doc,
                [chunks[i] for i in idx],
                [tokens[i] for i in idx],
                np.asarray(vectors[idx], dtype=np.float32).reshape(len(idx), vectors.shape[1]),
            )
        )
    return entries


def _sha(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None  # unreadable: the loader says why


def unchanged(path: Path, sha256: str) -> bool:
    """Whether the file still has this content hash (an unreadable file: no, the loader says why)."""
    return _sha(path) == sha256


def _promote(twin: Held, copy: StoredDocument, spool: Spool) -> Held:
    """The twin's indexed content under the copy's own name (the copy cannot be read any more and its
    twin is gone): what was searchable stays searchable."""
    old = twin.entry()
    doc_id = copy.doc_id
    chunks = [
        replace(c, chunk_id=f"{doc_id}#{c.chunk_id.rsplit('#', 1)[-1]}", doc_id=doc_id, source=copy.source)
        for c in old.chunks
    ]
    doc = replace(
        old.doc, doc_id=doc_id, source=copy.source, sha256=copy.sha256, copies=(), duplicate_of=None
    )
    return spool.add(DocEntry(doc, chunks, old.tokens, old.vectors))


EMBED_AHEAD = 512  # chunks parsed ahead of the embedder before they are embedded during the walk


class _LazyEmbedder:
    def __init__(self, settings: Settings, embedder: Embedder | None) -> None:
        self.settings, self._e = settings, embedder

    def get(self) -> Embedder:
        if self._e is None:
            self._e = make_embedder(self.settings)
        return self._e


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    on_progress: Callable[[Snapshot], None] | None = None,
) -> IndexReport:
    """Index (incrementally) every supported file under ``corpus_dir`` into ``index_dir``.

    ``progress(source, n, total)`` before each file; ``on_progress(Snapshot)`` after each file and
    while embedding and writing (documents, chunks, MB/s, time left: retrieval/indexing/progress.py).
    Memory stays bounded: parsed documents are embedded in batches and spooled to disk, unchanged ones
    are read from the live generation in place (retrieval/indexing/spool.py).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / ".lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise IndexLockedError(
            f"Một tiến trình khác đang lập chỉ mục vào '{index_dir}'. Hãy đợi nó xong rồi chạy lại."
        ) from exc
    live = spool = None
    finished = False
    try:
        live = _load_previous(index_dir, settings)
        spool = Spool(index_dir / SPOOL, key=_spool_key(settings))
        build = _Build(settings, embedder, live, spool)
        report = _build(corpus_dir, index_dir, settings, build, progress, on_progress)
        finished = True
        return report
    finally:
        if spool is not None:
            spool.close(remove=finished)  # an interrupted build's spool is taken back by the next one
        if live is not None:
            live.close()  # its reader lock: the generation it read can now be cleaned up
            _cleanup(index_dir)
        lock.release()


def _spool_key(settings: Settings) -> str:
    """What must be equal for an interrupted build's spooled chunks, tokens and vectors to be reused."""
    return json.dumps(
        {
            "model": settings.embed_model,
            "checksum": expected_checksum(settings),
            "versions": [CHUNKER_VERSION, STRUCTURE_VERSION, SEGMENTER_VERSION],
            "chunk_max_tokens": settings.chunk_max_tokens,
            "prefix": settings.effective_passage_prefix,
            "segmented": settings.embed_segmented,
        },
        sort_keys=True,
    )


class _Build:
    """What one build holds: the embedder (loaded on first use), the live generation's documents, the
    spool of new ones, and the parsed documents waiting for the embedder."""

    def __init__(self, settings: Settings, embedder: Embedder | None, live, spool: Spool) -> None:
        self.lazy = _LazyEmbedder(settings, embedder)
        self.previous: dict[str, Held] = live.held if live is not None else {}
        self.spool = spool
        self.entries: dict[str, Held] = {}
        self.waiting: list[DocEntry] = []
        self.timings: dict[str, float] = {}

    def keep(self, entry: DocEntry) -> None:
        """A parsed document: embedded with the next batch, then spooled."""
        self.waiting.append(entry)
        if sum(len(e.chunks) for e in self.waiting) >= EMBED_AHEAD:
            self.flush()

    def flush(self, progress: Callable[[int, int], None] | None = None) -> None:
        if not self.waiting:
            if progress:
                progress(0, 0)
            return
        t = time.perf_counter()
        embed_missing(self.waiting, self.lazy.get(), progress)
        self.timings["embed"] = self.timings.get("embed", 0.0) + time.perf_counter() - t
        for e in self.waiting:
            self.entries[e.doc.source] = self.spool.add(e)
        self.waiting.clear()


def _build(corpus_dir, index_dir, settings, b: _Build, progress, on_progress) -> IndexReport:
    report = IndexReport()
    timings, previous, entries = b.timings, b.previous, b.entries
    seg = SegmentCache(settings.cache_dir / "segments.sqlite")
    items = [i for i in iter_corpus_files(corpus_dir) if not is_corpus_readme(i, corpus_dir)]
    t0 = time.perf_counter()
    meter = ImportMeter(items, on_progress, t0)
    policy = CheckpointPolicy(settings.checkpoint_seconds, t0)
    since_checkpoint = 0  # documents parsed since the last commit
    jobs: list[tuple[Path, str, Held | None]] = []  # files to parse (new or changed)
    done = 0
    for item in items:  # first the walk: failures and unchanged files need no parsing
        if isinstance(item, IngestError):
            report.failures.append(Failure(item.source, item.reason, item.hint))
            if item.source in previous and not isinstance(item, OutsideCorpusError):
                entries[item.source] = previous[item.source]
            done += 1
            continue
        source = item.relative_to(corpus_dir).as_posix()
        old, again = previous.get(source), b.spool.resumed.get(source)
        sha = _sha(item) if old is not None or again is not None else None
        if old is not None and sha == old.doc.sha256:
            entries[source] = old
            report.unchanged.append(source)
        elif again is not None and sha == again.doc.sha256:  # done by the interrupted build
            entries[source] = again
            report.resumed.append(source)
            (report.updated if old is not None else report.added).append(source)
            since_checkpoint += 1
        else:
            jobs.append((item, source, old))
            continue
        meter.skipped(item, entries[source].count)
        done += 1
        if progress:
            progress(printable(source), done, len(items))
    meter.file_done(done)
    workers = workers_for(settings, len(jobs))
    timings["parse_workers"] = workers
    olds = {source: old for _, source, old in jobs}
    t_file = time.perf_counter()
    parsed_files = parse_in_order(((p, s, None) for p, s, _ in jobs), corpus_dir, settings, seg, workers)
    for parsed in parsed_files:  # parsed ahead in a worker process while this one embeds
        if workers:  # this process waited for the worker (parsing is not hidden behind embedding)
            timings["wait_parse"] = timings.get("wait_parse", 0.0) + time.perf_counter() - t_file
        absorb(parsed, report, timings)
        source, old, entry = parsed.source, olds[parsed.source], parsed.entry
        done += 1
        if progress:
            progress(printable(source), done, len(items))
        if entry is None:
            if old is not None:
                entries[source] = old
        else:
            since_checkpoint += 1
            (report.updated if old is not None else report.added).append(source)
            b.keep(entry)  # embedded as the walk goes: a checkpoint then saves the embedding work too
        meter.read(parsed.path, time.perf_counter() - t_file, len(entry.chunks) if entry else 0)
        meter.file_done(done)
        if policy.due(time.perf_counter(), since_checkpoint):
            _checkpoint(b, index_dir, settings, report, policy)
            meter.stage("checkpoint")
            since_checkpoint = 0
        t_file = time.perf_counter()
    meter.file_done(len(items))
    b.flush(meter.embedded)  # the last batch is the "embed" stage, then "write"
    for source in _dedupe(entries):  # a copy whose indexed twin changed or vanished: parse it again
        copy = entries[source].doc
        entry = ingest_entry(corpus_dir / source, source, corpus_dir, settings, timings, seg, report)
        twin = previous.get(copy.duplicate_of or "")
        if entry is not None:
            b.keep(entry)
            b.flush()
            if source not in report.added + report.updated:
                report.updated.append(source)
        elif twin is not None and twin.doc.content_key == copy.content_key:
            entries[source] = _promote(twin, copy, b.spool)  # its last good content lived under the twin
        else:
            del entries[source]
    seg.close()
    _dedupe(entries)
    report.removed = sorted(set(previous) - set(entries))
    report.flagged = sorted(s for s, h in entries.items() if h.flagged)
    changed = report.added or report.updated or report.removed
    if not changed and previous:
        report.n_documents = len(entries)
        report.n_chunks = sum(h.count for h in entries.values())
        report.timings = timings
        return report
    write_held(list(entries.values()), index_dir, settings, b.lazy.get(), report, timings)
    report.checkpoints = policy.count
    timings["wall"] = time.perf_counter() - t0
    return report


def _cleanup(index_dir: Path) -> None:
    """Remove generations left behind while this build held them (its own reading of the live one)."""
    with contextlib.suppress(store.IndexError_):
        store.cleanup_generations(index_dir, keep=str(store.read_manifest(index_dir).get("generation", "")))


def _checkpoint(
    b: _Build, index_dir: Path, settings: Settings, report: IndexReport, policy: CheckpointPolicy
) -> None:
    """Commit what is indexed so far, plus the live index's documents not visited yet (a checkpoint is
    never a removal)."""
    t = time.perf_counter()
    b.flush()
    snapshot = {s: h for s, h in b.previous.items() if s not in b.entries} | dict(b.entries)
    for orphan in _dedupe(snapshot):  # a copy whose twin changed: left for the final pass
        del snapshot[orphan]
    quiet = IndexReport(failures=report.failures)
    write_held(list(snapshot.values()), index_dir, settings, b.lazy.get(), quiet, b.timings)
    now = time.perf_counter()
    policy.written(now, now - t)


def index_parsed(
    docs: Iterable[ParsedDocument],
    index_dir: Path,
    settings: Settings,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
) -> IndexReport:
    """Full build from already parsed documents (BEIR evaluation, benchmarks)."""
    timings: dict[str, float] = {}
    seg = SegmentCache(settings.cache_dir / "segments.sqlite")
    try:
        entries = [entry_from_parsed(d, settings, timings, seg) for d in docs]
    finally:
        seg.close()
    report = IndexReport(added=[e.doc.source for e in entries])
    return write_entries(entries, index_dir, settings, embedder, report, timings, progress)
