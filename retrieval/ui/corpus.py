"""Corpus-side helpers of the chat: saving uploaded files, filter options, chunks of a document.

No Streamlit here: these functions take plain values and are unit-tested directly.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from retrieval.store import StoredDocument
from retrieval.types import Chunk, Span

UPLOAD_TYPES = ("pdf", "docx", "txt", "md")
PIECE_GAP = 300  # spans of one chunk closer than this are shown as one piece (footnotes, blank lines)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class SavedUpload:
    name: str  # what the user uploaded
    source: str | None  # path relative to the corpus dir, None when not saved
    message: str  # Vietnamese, one line
    ok: bool
    new: bool = False  # a file this upload created (removed again if it cannot be indexed)


def safe_filename(name: str) -> str:
    """A plain file name: last path component, NFC, no control or reserved characters, not hidden."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip().lstrip(".~$ ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:120].strip() or "van-ban"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def _free_name(folder: Path, name: str) -> Path:
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = folder / f"{stem} ({n}){suffix}"
        n += 1
    return path


def save_upload(corpus_dir: Path, name: str, data: bytes) -> SavedUpload:
    """Write one uploaded file into ``corpus_dir`` (atomically; never overwriting another file).

    The same content under the same name is not saved twice; a different file with an existing
    name is saved as "name (2).ext".
    """
    clean = safe_filename(name)
    suffix = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if suffix not in UPLOAD_TYPES:
        kinds = ", ".join(t.upper() for t in UPLOAD_TYPES)
        return SavedUpload(name, None, f"{name}: định dạng không được hỗ trợ (chỉ nhận {kinds}).", False)
    if not data:
        return SavedUpload(name, None, f"{name}: tệp rỗng, không lưu.", False)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    existing = corpus_dir / clean
    if existing.is_file() and existing.read_bytes() == data:
        return SavedUpload(name, clean, f"{clean}: đã có trong kho văn bản (cùng nội dung).", True)
    target = _free_name(corpus_dir, clean)
    tmp = corpus_dir / f".{target.name}.{uuid.uuid4().hex[:8]}.upload"
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return SavedUpload(
            name, None, f"{name}: không lưu được vào kho văn bản ({exc.strerror or exc}).", False
        )
    source = target.relative_to(corpus_dir).as_posix()
    return SavedUpload(name, source, f"{source}: đã lưu vào kho văn bản.", True, new=True)


@dataclass(frozen=True)
class FilterOptions:
    years: tuple[int, ...]  # distinct years of the dated documents, ascending
    co_quan: tuple[str, ...]
    loai: tuple[str, ...]
    undated: int  # documents without a date (kept when the year range is the full range)


def _sorted_vi(values: Iterable[str]) -> tuple[str, ...]:
    from retrieval.segment import strip_accents

    return tuple(sorted(set(values), key=lambda v: (strip_accents(v).lower(), v)))


def filter_options(documents: Mapping[str, StoredDocument]) -> FilterOptions:
    docs = list(documents.values())
    return FilterOptions(
        years=tuple(sorted({d.year for d in docs if d.year is not None})),
        co_quan=_sorted_vi(d.metadata.co_quan_ban_hanh for d in docs if d.metadata.co_quan_ban_hanh),
        loai=_sorted_vi(d.metadata.loai_van_ban for d in docs if d.metadata.loai_van_ban),
        undated=sum(1 for d in docs if d.year is None),
    )


class ChunkLookup:
    """Chunks of each document in text order, to find the section around a cited span."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self._by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            self._by_doc.setdefault(c.doc_id, []).append(c)
        for lst in self._by_doc.values():
            lst.sort(key=lambda c: (c.start, c.end))
        self._by_id = {c.chunk_id: c for lst in self._by_doc.values() for c in lst}

    def get(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)

    def covering(self, doc_id: str, start: int, end: int) -> list[Chunk]:
        """The chunks of ``doc_id`` whose text spans overlap [start, end), smallest first."""
        end = max(end, start + 1)
        found = [c for c in self._by_doc.get(doc_id, []) if any(s < end and start < e for s, e in _spans(c))]
        return sorted(found, key=lambda c: sum(e - s for s, e in _spans(c)))


def _spans(chunk: Chunk) -> tuple[Span, ...]:
    return tuple(chunk.spans) or ((chunk.start, chunk.end),)


def chunk_pieces(chunk: Chunk, gap: int = PIECE_GAP) -> list[Span]:
    """The chunk's text spans, neighbours less than ``gap`` characters apart joined into one piece.

    A chunk may be made of far-apart parts (the header chunk: the heading block and the signature);
    those stay separate pieces instead of one span over the whole document.
    """
    pieces: list[list[int]] = []
    for s, e in sorted(_spans(chunk)):
        if pieces and s - pieces[-1][1] < gap:
            pieces[-1][1] = max(pieces[-1][1], e)
        else:
            pieces.append([s, e])
    return [(s, e) for s, e in pieces]


def sort_documents(documents: Mapping[str, StoredDocument]) -> list[StoredDocument]:
    """Newest first; undated documents last, by title."""
    dated = [d for d in documents.values() if d.metadata.ngay_ban_hanh]
    undated = [d for d in documents.values() if not d.metadata.ngay_ban_hanh]
    dated.sort(key=lambda d: (d.metadata.ngay_ban_hanh, d.title), reverse=True)
    return dated + sorted(undated, key=lambda d: d.title)
