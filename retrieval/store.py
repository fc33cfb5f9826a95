"""The index folder: a self-describing manifest plus one complete generation of data files.

Layout::

    index/manifest.json          commit point: schema, model, versions, per-source hashes, generation
    index/<generation>/documents.jsonl   display text + metadata of every document
    index/<generation>/chunks.jsonl      one Chunk per line; line i = vector i = BM25 doc i
    index/<generation>/tokens.jsonl      segmented tokens per chunk (reused by incremental runs)
    index/<generation>/vectors.npy       float32 embeddings;  dense.faiss: the FAISS index
    index/<generation>/bm25_acc/, bm25_plain/   bm25s arrays (npy + json, no pickle)
    index/<generation>/accents.json      diacritic-restoration statistics

A save writes a new generation folder completely (fsynced), then replaces manifest.json with
``os.replace``: a crash at any moment leaves the old or the new index, never a mix.

Readers (``load_generation``) hold a shared ``flock`` on ``<generation>/.readers`` while they load;
the cleanup after a commit removes an old generation only when it gets that lock exclusively, so a
search process that started loading before a re-index finishes on the generation it started with.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from retrieval.types import Chunk, DocMetadata, Footnote, ParsedDocument, RawDocument

try:
    import fcntl
except ImportError:  # Windows: no reader locks; readers retry on a newer manifest instead
    fcntl = None

T = TypeVar("T")
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
READERS = ".readers"  # per-generation lock file: shared by readers, exclusive for removal
LOAD_RETRIES = 3


class IndexError_(RuntimeError):
    """Base for index problems with a user-facing Vietnamese message."""


class IndexMissingError(IndexError_):
    pass


class IndexMismatchError(IndexError_):
    pass


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_durable(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` or leave it untouched; never leaves the temporary file behind."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write_text_durable(tmp, text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as the index keeps it (no body blocks: those live on as chunks)."""

    doc_id: str
    source: str
    sha256: str
    format: str
    title: str
    metadata: DocMetadata
    text: str
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    copies: tuple[str, ...] = ()  # other sources with the same content (indexed once)
    content_key: str = ""  # hash of the normalized body text: equal keys = the same document
    duplicate_of: str | None = None  # source of the copy that is indexed, when this one is not
    warnings: tuple[str, ...] = ()  # the loader's non-fatal problems (legacy encoding, truncation, OCR…)

    @classmethod
    def from_json(cls, d: dict) -> StoredDocument:
        return cls(
            doc_id=d["doc_id"],
            source=d["source"],
            sha256=d["sha256"],
            format=d.get("format", "txt"),
            title=d.get("title", ""),
            metadata=DocMetadata.from_json(d.get("metadata") or {}),
            text=d["text"],
            page_starts=tuple(d.get("page_starts") or ()),
            ocr_pages=tuple(d.get("ocr_pages") or ()),
            footnotes=tuple(Footnote(*f) for f in d.get("footnotes") or ()),
            copies=tuple(d.get("copies") or ()),
            content_key=d.get("content_key", ""),
            duplicate_of=d.get("duplicate_of"),
            warnings=tuple(d.get("warnings") or ()),
        )

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "sha256": self.sha256,
            "format": self.format,
            "title": self.title,
            "metadata": self.metadata.to_json(),
            "text": self.text,
            "page_starts": list(self.page_starts),
            "ocr_pages": list(self.ocr_pages),
            "footnotes": [[f.marker, f.text, f.start, f.end] for f in self.footnotes],
            "copies": list(self.copies),
            "content_key": self.content_key,
            "duplicate_of": self.duplicate_of,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_parsed(cls, doc: ParsedDocument, copies: tuple[str, ...] = ()) -> StoredDocument:
        raw = doc.raw
        return cls(
            doc.doc_id,
            raw.source,
            raw.sha256,
            raw.format,
            doc.title,
            doc.metadata,
            raw.text,
            raw.page_starts,
            raw.ocr_pages,
            doc.footnotes,
            copies,
            warnings=raw.warnings,
        )

    @property
    def raw(self) -> RawDocument:
        return RawDocument(
            self.source, self.text, self.sha256, self.format, self.page_starts, self.ocr_pages, self.warnings
        )

    @property
    def year(self) -> int | None:
        d = self.metadata.ngay_ban_hanh
        return int(d[:4]) if d else None


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(
            f"Chưa có chỉ mục tại '{index_dir}'. "
            f"Hãy chạy: tracuu index [THƯ_MỤC_VĂN_BẢN] --index-dir {index_dir}"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(f"Tệp {path} hỏng ({exc}); hãy lập chỉ mục lại.") from exc
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"Chỉ mục tại '{index_dir}' có phiên bản lược đồ {manifest.get('schema_version')}, "
            f"phần mềm cần {SCHEMA_VERSION}. Hãy lập chỉ mục lại: tracuu index --index-dir {index_dir}"
        )
    return manifest


def generation_dir(index_dir: Path, manifest: dict) -> Path:
    gen = index_dir / manifest["generation"]
    if not gen.is_dir():
        raise IndexMismatchError(
            f"Chỉ mục tại '{index_dir}' thiếu thư mục dữ liệu {gen.name}; hãy lập chỉ mục lại."
        )
    return gen


def new_generation(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    path = index_dir / f".{name}.partial"
    path.mkdir()
    return path


def commit_generation(index_dir: Path, partial: Path, manifest: dict) -> None:
    """Make ``partial`` the live generation: rename it, then atomically replace the manifest."""
    (partial / READERS).touch()
    for child in partial.rglob("*"):
        if child.is_file():
            with child.open("rb") as fh:
                os.fsync(fh.fileno())
    final = index_dir / partial.name.removeprefix(".").removesuffix(".partial")
    os.replace(partial, final)
    fsync_dir(index_dir)
    manifest = dict(manifest, generation=final.name, schema_version=SCHEMA_VERSION)
    atomic_write_text(index_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    cleanup_generations(index_dir, keep=final.name)


def cleanup_generations(index_dir: Path, keep: str) -> None:
    """Remove generations other than ``keep`` (unless a reader still holds one: it goes at a later
    commit) and leftovers of interrupted saves."""
    for child in index_dir.iterdir():
        if child.is_dir() and child.name != keep and child.name.endswith(".partial"):
            shutil.rmtree(child, ignore_errors=True)
        elif child.is_dir() and child.name != keep and child.name.startswith("gen-"):
            _remove_unread(child)
        elif child.is_file() and child.name.endswith(".tmp"):
            child.unlink(missing_ok=True)


def _remove_unread(gen: Path) -> None:
    """rmtree ``gen`` while holding its reader lock exclusively; skip it when a reader holds it."""
    if fcntl is None:
        shutil.rmtree(gen, ignore_errors=True)
        return
    try:
        fd = os.open(gen / READERS, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no lock file: written before reader locks existed, or already half removed
        shutil.rmtree(gen, ignore_errors=True)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return
    try:
        shutil.rmtree(gen, ignore_errors=True)
    finally:
        os.close(fd)  # releases the lock


def lock_for_reading(gen: Path) -> int | None:
    """A shared lock on a live generation: its fd, or None when the generation is gone (removed by a
    cleanup before the lock was taken). Without fcntl (or a read-only folder) returns -1: no lock."""
    if fcntl is None:
        return -1 if gen.is_dir() else None
    try:
        fd = os.open(gen / READERS, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:
        return None
    except OSError:
        return -1 if gen.is_dir() else None
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        still_there = os.stat(gen / READERS).st_ino == os.fstat(fd).st_ino
    except OSError:
        still_there = False
    if not still_there:
        os.close(fd)
        return None
    return fd


def _damaged(index_dir: Path, gen: Path, exc: BaseException) -> IndexMismatchError:
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.filename:
        detail = f"{exc.strerror or type(exc).__name__}: {Path(str(exc.filename)).name}"
    return IndexMismatchError(
        f"Chỉ mục tại '{index_dir}' bị hỏng hoặc thiếu tệp trong {gen.name} ({detail}). "
        f"Hãy lập chỉ mục lại: tracuu index --index-dir {index_dir}"
    )


def load_generation(index_dir: Path, loader: Callable[[dict, Path], T]) -> T:
    """``loader(manifest, generation folder)`` on the live index, with the generation kept on disk
    until it returns (shared reader lock).

    A damaged generation (missing or unreadable file) becomes an IndexMismatchError with a clear
    message; when the manifest moved on meanwhile (no reader locks on this OS), the load is retried
    on the new generation.
    """
    for attempt in range(LOAD_RETRIES + 1):
        manifest = read_manifest(index_dir)
        gen = index_dir / str(manifest.get("generation", ""))
        fd = lock_for_reading(gen) if manifest.get("generation") else None
        if fd is None:
            if attempt < LOAD_RETRIES and _generation_changed(index_dir, manifest):
                continue
            raise IndexMismatchError(
                f"Chỉ mục tại '{index_dir}' thiếu thư mục dữ liệu {gen.name}; hãy lập chỉ mục lại."
            )
        try:
            return loader(manifest, gen)
        except IndexError_:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
            if attempt < LOAD_RETRIES and _generation_changed(index_dir, manifest):
                continue
            raise _damaged(index_dir, gen, exc) from exc
        finally:
            if fd >= 0:
                os.close(fd)
    raise IndexMismatchError(f"Chỉ mục tại '{index_dir}' thay đổi liên tục khi đang tải; hãy thử lại.")


def _generation_changed(index_dir: Path, manifest: dict) -> bool:
    try:
        return read_manifest(index_dir).get("generation") != manifest.get("generation")
    except IndexError_:
        return False


def save_vectors(path: Path, vectors: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)


def rows_by_doc(chunks) -> dict[str, list[int]]:
    """Row numbers of each document's chunks, in index order."""
    rows: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        rows.setdefault(c.doc_id, []).append(i)
    return rows


def npy_layout(path: Path) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """(shape, dtype, fortran order, offset of the data) of a ``.npy`` file, read from its header."""
    with path.open("rb") as fh:
        version = np.lib.format.read_magic(fh)
        read = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read(fh)
        return shape, dtype, fortran, fh.tell()


def load_vectors(path: Path, mmap: bool = False) -> np.ndarray:
    return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)


def load_chunks(gen: Path) -> list[Chunk]:
    return [Chunk.from_json(d) for d in read_jsonl(gen / "chunks.jsonl")]


def load_documents(gen: Path) -> dict[str, StoredDocument]:
    return {d["doc_id"]: StoredDocument.from_json(d) for d in read_jsonl(gen / "documents.jsonl")}
