"""Where a build keeps each document's content until the generation is written, so that its memory
does not grow with the archive.

A build holds one small ``Held`` record per document (its metadata without the text, and where its
rows are); the text, chunks, BM25 tokens and vectors stay on disk:

- unchanged documents in the live generation's own files (``GenerationRows``: line offsets of
  documents/chunks/tokens, vectors memory-mapped; the build holds the generation's reader lock so a
  checkpoint's cleanup cannot remove it);
- new documents in the build's spool (``Spool``: the same three JSON-lines files plus raw float32
  vectors, appended as soon as a batch is embedded, under ``<index>/.spool``).

The writer (``indexing/writer.write_held``) copies each kept document's lines and vectors from either
source into the new generation, in source order. An interrupted build's spool is taken back by the next
build (``Spool.resumed``: documents already parsed and embedded, by content hash).
"""

from __future__ import annotations

import json
import os
import shutil
from array import array
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from retrieval import store
from retrieval.indexing.entries import DocEntry
from retrieval.indexing.tables import light
from retrieval.store import StoredDocument
from retrieval.types import Chunk

SPOOL = ".spool"
_NO_FLAGS = b'"flags": []'


def _dumps(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def _chunk_flagged(line: bytes) -> bool:
    return _NO_FLAGS not in line and bool(json.loads(line).get("flags"))


class _LineFiles:
    """documents / chunks / tokens JSON-lines files read by line ranges (offsets kept in memory:
    8 bytes a line)."""

    KINDS = ("documents", "chunks", "tokens")

    def __init__(self, folder: Path, mode: str) -> None:
        self.folder = folder
        self.fds = {k: os.open(folder / f"{k}.jsonl", mode_flags(mode)) for k in self.KINDS}
        self.offsets = {k: array("q", [0]) for k in self.KINDS}

    def _scan(self, kind: str) -> None:
        """Line offsets of a file, read once."""
        off = self.offsets[kind]
        with (self.folder / f"{kind}.jsonl").open("rb") as fh:
            pos = 0
            for line in fh:
                self._seen(kind, len(off) - 1, line)
                pos += len(line)
                off.append(pos)

    def _seen(self, kind: str, row: int, line: bytes) -> None:
        """Called for each line scanned (GenerationRows notes flagged chunks)."""

    def lines(self, kind: str, start: int, count: int) -> bytes:
        off = self.offsets[kind]
        begin, end = off[start], off[start + count]
        return os.pread(self.fds[kind], end - begin, begin) if end > begin else b""

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}


def mode_flags(mode: str) -> int:
    base = os.O_CLOEXEC
    return base | (os.O_RDONLY if mode == "r" else os.O_RDWR | os.O_CREAT | os.O_APPEND)


@dataclass(frozen=True)
class Held:
    """One document a build keeps: metadata without its text (``doc``), and where its document line
    (``doc_row``) and its ``count`` chunk rows from ``start`` are in ``rows``."""

    doc: StoredDocument
    rows: GenerationRows | Spool
    doc_row: int
    start: int
    count: int
    flagged: bool = False  # a chunk carries a flag (text addressed to an AI)

    def as_copy_of(self, twin: str) -> Held:
        return replace(self, doc=replace(self.doc, duplicate_of=twin, copies=()), count=0, flagged=False)

    def document_line(self) -> bytes:
        """The stored document line, with this build's identity and copy links."""
        d = json.loads(self.rows.lines("documents", self.doc_row, 1))
        light = self.doc.to_json()
        for key in ("doc_id", "source", "sha256", "copies", "content_key", "duplicate_of", "warnings"):
            d[key] = light[key]
        return _dumps(d)

    def entry(self) -> DocEntry:
        """The whole document back in memory (a rare path: a copy taking over its vanished twin)."""
        doc = StoredDocument.from_json(json.loads(self.rows.lines("documents", self.doc_row, 1)))
        chunk_lines = self.rows.lines("chunks", self.start, self.count).splitlines()
        token_lines = self.rows.lines("tokens", self.start, self.count).splitlines()
        return DocEntry(
            replace(doc, copies=self.doc.copies, duplicate_of=self.doc.duplicate_of),
            [Chunk.from_json(json.loads(x)) for x in chunk_lines],
            [json.loads(x)["t"] for x in token_lines],
            self.rows.vectors(self.start, self.count),
        )


class GenerationRows(_LineFiles):
    """A committed generation read in place (reader lock held until ``close``)."""

    def __init__(self, gen: Path, manifest: dict) -> None:
        fd = store.lock_for_reading(gen)
        if fd is None:
            raise store.IndexMismatchError(f"thế hệ chỉ mục {gen.name} đã bị xoá")
        self._lock = fd
        super().__init__(gen, "r")
        self._vectors = store.load_vectors(gen / "vectors.npy", mmap=True)
        self._flagged: set[int] = set()
        self._docs: list[StoredDocument] = []  # light, in file order (each line parsed once, here)
        for kind in self.KINDS:
            self._scan(kind)
        self.held: dict[str, Held] = {}
        self._hold(manifest.get("sources") or {})

    def _seen(self, kind: str, row: int, line: bytes) -> None:
        if kind == "documents":
            self._docs.append(light(StoredDocument.from_json(json.loads(line))))
        elif kind == "chunks" and _chunk_flagged(line):
            self._flagged.add(row)

    def _hold(self, sources: dict) -> None:
        """Documents in file order; their chunk rows follow in the same order (copies have none), as
        many as the manifest says: the first and last row of each are checked to be the document's."""
        n_chunks = len(self.offsets["chunks"]) - 1
        row = 0
        for i, doc in enumerate(self._docs):
            count = 0 if doc.duplicate_of else int((sources.get(doc.source) or {}).get("chunks", -1))
            ends = (row, row + count - 1) if count > 0 else ()
            if count < 0 or row + count > n_chunks or any(self._doc_id_of(r) != doc.doc_id for r in ends):
                raise store.IndexMismatchError(f"thế hệ chỉ mục {self.folder.name}: đoạn không khớp văn bản")
            flagged = any(r in self._flagged for r in range(row, row + count))
            self.held[doc.source] = Held(doc, self, i, row, count, flagged)
            row += count
        self._docs = []
        if row != n_chunks or len(self._vectors) != n_chunks:
            raise store.IndexMismatchError(f"thế hệ chỉ mục {self.folder.name}: số đoạn không khớp")

    def _doc_id_of(self, row: int) -> str:
        return json.loads(self.lines("chunks", row, 1))["doc_id"]

    def vectors(self, start: int, count: int) -> np.ndarray:
        return np.asarray(self._vectors[start : start + count], dtype=np.float32)

    def close(self) -> None:
        super().close()
        self._vectors = None
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1


class Spool(_LineFiles):
    """Append-only files of the documents a build has parsed and embedded, and a journal
    (``held.jsonl``: one line per document, written after its data, with the files' ends).

    With a ``key`` (the model and the versions that make vectors and tokens comparable), a spool left
    by an interrupted build is taken back: its journalled documents are offered in ``resumed`` and the
    files are cut back to the last journalled document (a half-written one is dropped). Removed by
    ``close(remove=True)``."""

    KEY, JOURNAL, VECTORS = "key.txt", "held.jsonl", "vectors.f32"

    def __init__(self, folder: Path, dim: int | None = None, key: str | None = None) -> None:
        records = self._journalled(folder, key) if key is not None else []
        if not records:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            if key is not None:
                (folder / self.KEY).write_text(key, encoding="utf-8")
        ends = records[-1]["ends"] if records else dict.fromkeys((*self.KINDS, "vectors"), 0)
        for kind in self.KINDS:
            _cut(folder / f"{kind}.jsonl", ends[kind])
        _cut(folder / self.VECTORS, ends["vectors"])
        _cut(folder / self.JOURNAL, records[-1]["journal_end"] if records else 0)
        super().__init__(folder, "a")
        for kind in self.KINDS:
            self._scan(kind)
        self.dim = dim or (records[-1]["dim"] if records else None)
        self._vec = os.open(folder / self.VECTORS, mode_flags("a"))
        self._journal = os.open(folder / self.JOURNAL, mode_flags("a"))
        self.resumed: dict[str, Held] = {}
        for r in records:
            doc = StoredDocument.from_json(json.loads(self.lines("documents", r["doc_row"], 1)))
            self.resumed[doc.source] = Held(
                light(doc), self, r["doc_row"], r["start"], r["count"], r["flagged"]
            )

    def _journalled(self, folder: Path, key: str) -> list[dict]:
        """The complete journal lines of a spool made with the same key, whose data are all on disk."""
        try:
            if (folder / self.KEY).read_text(encoding="utf-8") != key:
                return []
            raw = (folder / self.JOURNAL).read_bytes()
            sizes = {k: (folder / f"{k}.jsonl").stat().st_size for k in self.KINDS}
            sizes["vectors"] = (folder / self.VECTORS).stat().st_size
        except (OSError, UnicodeDecodeError):
            return []
        records, pos = [], 0
        for line in raw.splitlines(keepends=True):
            pos += len(line)
            if not line.endswith(b"\n"):
                break  # the journal line of a document being written when the build stopped
            try:
                r = json.loads(line)
            except ValueError:
                break
            if any(r["ends"][k] > sizes[k] for k in sizes):
                break  # its data did not all reach the disk
            records.append(r | {"journal_end": pos})
        return records

    def add(self, entry: DocEntry) -> Held:
        if entry.chunks and (entry.vectors is None or len(entry.vectors) != len(entry.chunks)):
            raise ValueError(f"{entry.doc.source}: chưa nhúng")
        doc_row = len(self.offsets["documents"]) - 1
        start = len(self.offsets["chunks"]) - 1
        self._append("documents", [_dumps(entry.doc.to_json())])
        self._append("chunks", [_dumps(c.to_json()) for c in entry.chunks])
        self._append("tokens", [_dumps({"t": list(t)}) for t in entry.tokens])
        if entry.chunks:
            self.dim = self.dim or int(entry.vectors.shape[1])
            os.write(self._vec, np.ascontiguousarray(entry.vectors, dtype=np.float32).tobytes())
        flagged = any(c.flags for c in entry.chunks)
        ends = {k: self.offsets[k][-1] for k in self.KINDS}
        ends["vectors"] = (start + len(entry.chunks)) * 4 * (self.dim or 0)
        record = {"doc_row": doc_row, "start": start, "count": len(entry.chunks), "flagged": flagged}
        os.write(self._journal, _dumps(record | {"dim": self.dim, "ends": ends}))
        return Held(light(entry.doc), self, doc_row, start, len(entry.chunks), flagged)

    def _append(self, kind: str, lines: list[bytes]) -> None:
        off = self.offsets[kind]
        data = b"".join(lines)
        pos = off[-1]
        for line in lines:
            pos += len(line)
            off.append(pos)
        if data:
            os.write(self.fds[kind], data)

    def vectors(self, start: int, count: int) -> np.ndarray:
        if not count:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        width = self.dim * 4
        raw = os.pread(self._vec, count * width, start * width)
        return np.frombuffer(raw, dtype=np.float32).reshape(count, self.dim).copy()

    def close(self, remove: bool = True) -> None:
        super().close()
        os.close(self._vec)
        os.close(self._journal)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)


def _cut(path: Path, size: int) -> None:
    """``path`` exactly ``size`` bytes long (created empty when missing)."""
    with path.open("ab") as fh:
        fh.truncate(size)
