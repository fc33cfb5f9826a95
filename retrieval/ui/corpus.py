"""Corpus-side helpers of the chat: filter options, chunks of a document (uploads: ``ui.uploads``).

No Streamlit here: these functions take plain values and are unit-tested directly.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from retrieval.catalog.series import province
from retrieval.indexing.tables import lights
from retrieval.store import StoredDocument
from retrieval.types import Chunk, Span
from retrieval.ui.uploads import UPLOAD_TYPES, SavedUpload, safe_filename, save_upload  # noqa: F401 (re-export)

NO_BODY = "(Không rõ cơ quan)"  # the filter option of documents whose issuer is not known
PIECE_GAP = 300  # spans of one chunk closer than this are shown as one piece (footnotes, blank lines)


@dataclass(frozen=True)
class FilterOptions:
    years: tuple[int, ...]  # distinct years of the dated documents, ascending
    co_quan: tuple[str, ...]
    loai: tuple[str, ...]
    undated: int  # documents without a date (kept unless the user unticks them)
    tinh: tuple[str, ...] = ()  # provinces of local issuers
    no_co_quan: int = 0  # documents whose issuer is not known


def _sorted_vi(values: Iterable[str]) -> tuple[str, ...]:
    from retrieval.segment import strip_accents

    return tuple(sorted(set(values), key=lambda v: (strip_accents(v).lower(), v)))


def filter_options(documents: Mapping[str, StoredDocument]) -> FilterOptions:
    docs = list(lights(documents))
    return FilterOptions(
        years=tuple(sorted({d.year for d in docs if d.year is not None})),
        co_quan=_sorted_vi(d.metadata.co_quan_ban_hanh for d in docs if d.metadata.co_quan_ban_hanh),
        loai=_sorted_vi(d.metadata.loai_van_ban for d in docs if d.metadata.loai_van_ban),
        undated=sum(1 for d in docs if d.year is None),
        tinh=_sorted_vi(p for p in (province(d.metadata) for d in docs) if p),
        no_co_quan=sum(1 for d in docs if not d.metadata.co_quan_ban_hanh),
    )


class ChunkLookup:
    """Chunks of each document in text order, to find the section around a cited span: from a list of
    chunks, or read on demand from a searcher (``ChunkLookup.of_searcher``: nothing held per chunk)."""

    def __init__(
        self, chunks: Iterable[Chunk], chunks_of: Callable[[str], list[Chunk]] | None = None
    ) -> None:
        self._chunks_of = chunks_of
        self._by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            self._by_doc.setdefault(c.doc_id, []).append(c)
        for lst in self._by_doc.values():
            lst.sort(key=lambda c: (c.start, c.end))
        self._by_id = {c.chunk_id: c for lst in self._by_doc.values() for c in lst}

    @classmethod
    def of_searcher(cls, searcher) -> ChunkLookup:
        return cls((), searcher.chunks_of)

    def get(self, chunk_id: str) -> Chunk | None:
        if self._chunks_of is None:
            return self._by_id.get(chunk_id)
        doc_id = chunk_id.rpartition("#")[0]  # chunk ids are "<doc_id>#<n>" (chunking.py)
        return next((c for c in self._chunks_of(doc_id) if c.chunk_id == chunk_id), None)

    def of(self, doc_id: str) -> list[Chunk]:
        """The chunks of ``doc_id`` in text order."""
        if self._chunks_of is not None:
            return sorted(self._chunks_of(doc_id), key=lambda c: (c.start, c.end))
        return self._by_doc.get(doc_id, [])

    def covering(self, doc_id: str, start: int, end: int) -> list[Chunk]:
        """The chunks of ``doc_id`` whose text spans overlap [start, end), smallest first."""
        end = max(end, start + 1)
        found = [c for c in self.of(doc_id) if any(s < end and start < e for s, e in _spans(c))]
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
    """Newest first; undated documents last, by title (the documents without their text)."""
    dated = [d for d in lights(documents) if d.metadata.ngay_ban_hanh]
    undated = [d for d in lights(documents) if not d.metadata.ngay_ban_hanh]
    dated.sort(key=lambda d: (d.metadata.ngay_ban_hanh, d.title), reverse=True)
    return dated + sorted(undated, key=lambda d: d.title)


def page_of(doc: StoredDocument, offset: int) -> int | None:
    """The 1-based page holding character ``offset`` of a paged document (PDF, scans); else None."""
    starts = doc.page_starts
    if len(starts) < 2:
        return None
    return max(1, bisect.bisect_right(starts, offset))
