"""A generation's chunks, documents and vectors read from its files on demand, so that a search
process's memory does not grow with the archive's text (issue 13: 1M chunks in ≤ 3 GB).

- ``LineTable``: a JSON-lines file read by line number (offsets found once with a vectorized scan,
  8 bytes a line; lines read with ``os.pread`` on a descriptor kept open, so a generation removed by a
  later commit stays readable until the searcher is dropped);
- ``ChunkTable``: ``Sequence[Chunk]`` over chunks.jsonl (a small cache of recently read chunks);
- ``DocumentTable``: ``Mapping[str, StoredDocument]`` over documents.jsonl — full documents (text
  included) read when asked for, and every document's metadata held without its text (``light``) for
  filters and the catalogue;
- ``VectorRows``: exact float32 rows of vectors.npy by ``pread`` (the dense index re-scores its candidates
  with them; the file's pages stay in the shared page cache, not in the process).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from retrieval.store import StoredDocument, npy_layout
from retrieval.types import Chunk

BLOCK = 1 << 24  # bytes read at a time when scanning a file


def open_read(path: Path, owner: object) -> int:
    """A read-only descriptor closed when ``owner`` is garbage-collected (a replaced searcher's files,
    removed by a later commit, are then freed on disk)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    weakref.finalize(owner, _close, fd)
    return fd


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def read_at(fd: int, size: int, offset: int) -> bytes:
    """Exactly ``size`` bytes at ``offset`` (a pread may return less than asked)."""
    out = os.pread(fd, size, offset)
    while len(out) < size:
        more = os.pread(fd, size - len(out), offset + len(out))
        if not more:
            raise OSError(f"tệp chỉ mục bị cắt ngắn (cần {size} byte ở vị trí {offset})")
        out += more
    return out


class _Lru:
    """A small least-recently-used cache, shared safely by the app's threads (one searcher serves
    every session)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


class LineTable:
    """Lines of a file by number; ``iter_lines`` streams them all in large blocks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = open_read(path, self)
        ends = []
        pos = 0
        while block := os.pread(self.fd, BLOCK, pos):
            ends.append(np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10) + (pos + 1))
            pos += len(block)
        if pos and (not ends or not len(ends[-1]) or ends[-1][-1] != pos):
            ends.append(np.array([pos], dtype=np.int64))  # a last line without its newline
        self.offsets = np.concatenate([np.zeros(1, dtype=np.int64), *ends]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def line(self, i: int) -> bytes:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return read_at(self.fd, end - start, start)

    def iter_lines(self) -> Iterator[bytes]:
        n, i = len(self), 0
        while i < n:
            j = min(n, int(np.searchsorted(self.offsets, self.offsets[i] + BLOCK, side="right")) - 1)
            j = max(j, i + 1)
            data = read_at(self.fd, int(self.offsets[j] - self.offsets[i]), int(self.offsets[i]))
            base = int(self.offsets[i])
            for k in range(i, j):
                yield data[int(self.offsets[k]) - base : int(self.offsets[k + 1]) - base]
            i = j


class ChunkTable(Sequence):
    """``chunks.jsonl`` as a read-only sequence of Chunk (row i = vector i = BM25 document i)."""

    def __init__(self, path: Path, cache: int = 4096) -> None:
        self.lines = LineTable(path)
        self._cache = _Lru(cache)

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        hit = self._cache.get(i)
        if hit is None:
            hit = self._cache.put(i, Chunk.from_json(json.loads(self.lines.line(i))))
        return hit

    def __iter__(self) -> Iterator[Chunk]:
        for line in self.lines.iter_lines():
            yield Chunk.from_json(json.loads(line))


def light(doc: StoredDocument) -> StoredDocument:
    """A document without its text, footnote texts and page offsets (metadata, title, source…): what a
    search process and a build hold of every document."""
    return replace(doc, text="", footnotes=(), page_starts=(), ocr_pages=())


class DocumentTable(Mapping):
    """``documents.jsonl`` as a read-only mapping doc_id → StoredDocument, read on demand."""

    def __init__(self, path: Path, cache: int = 64) -> None:
        self.lines = LineTable(path)
        self._row: dict[str, int] = {}
        self._light: dict[str, StoredDocument] = {}
        for row, line in enumerate(self.lines.iter_lines()):
            doc = light(StoredDocument.from_json(json.loads(line)))
            self._row[doc.doc_id] = row
            self._light[doc.doc_id] = doc
        self._cache = _Lru(cache)
        self._texts = _Lru(cache)

    def __getitem__(self, doc_id: str) -> StoredDocument:
        hit = self._cache.get(doc_id)
        if hit is not None:
            return hit
        row = self._row[doc_id]  # KeyError for an unknown id, as a dict
        return self._cache.put(doc_id, StoredDocument.from_json(json.loads(self.lines.line(row))))

    def __contains__(self, doc_id) -> bool:
        return doc_id in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)

    def light(self, doc_id: str) -> StoredDocument:
        return self._light[doc_id]

    def text(self, doc_id: str) -> str:
        """The document's text alone (its line parsed, no record built; the full record when cached)."""
        hit = self._cache.get(doc_id)
        if hit is not None:
            return hit.text
        hit = self._texts.get(doc_id)
        if hit is None:
            hit = self._texts.put(doc_id, json.loads(self.lines.line(self._row[doc_id]))["text"])
        return hit

    def lights(self):
        """Every document without its text (metadata, title, source), in index order."""
        return self._light.values()


def lights(documents: Mapping[str, StoredDocument]):
    """Every document's metadata: without the text where the mapping can give it so (DocumentTable),
    else the documents themselves (a dict held in memory)."""
    fn = getattr(documents, "lights", None)
    return fn() if fn is not None else documents.values()


class VectorRows:
    """Rows of a float32 ``.npy`` matrix read with ``pread``."""

    def __init__(self, path: Path) -> None:
        self.fd = open_read(path, self)
        shape, dtype, fortran, self.offset = npy_layout(path)
        if fortran or dtype != np.dtype("<f4") or len(shape) != 2:
            raise ValueError(f"{path.name}: cần ma trận float32 hai chiều")
        self.n, self.dim = shape
        self.width = self.dim * 4

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        order = np.argsort(rows, kind="stable")
        i = 0
        while i < len(order):  # runs of consecutive rows in one read
            j = i + 1
            while j < len(order) and rows[order[j]] == rows[order[j - 1]] + 1:
                j += 1
            first = int(rows[order[i]])
            if first < 0 or int(rows[order[j - 1]]) >= self.n:
                raise IndexError(first)
            raw = read_at(self.fd, (j - i) * self.width, self.offset + first * self.width)
            out[order[i:j]] = np.frombuffer(raw, dtype=np.float32).reshape(j - i, self.dim)
            i = j
        return out
