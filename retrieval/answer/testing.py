"""Build SearchHits from real document text without an index (tests, eval tooling, demos)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from retrieval.types import Chunk, DocMetadata, SearchHit


def read_document(path: Path) -> str:
    """Document text as the ingest stage shows it: UTF-8, LF line ends, NFC."""
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def make_hit(
    doc_text: str,
    source: str,
    start: int,
    end: int,
    rank: int = 1,
    score: float | None = None,
    title: str = "",
    doc_id: str | None = None,
    scores: dict | None = None,
    metadata: DocMetadata | None = None,
    n: int = 0,
) -> SearchHit:
    """A hit whose chunk is ``doc_text[start:end]`` (one span)."""
    doc_id = doc_id or source.rsplit("/", 1)[-1].split("_", 1)[0]
    display = doc_text[start:end]
    chunk = Chunk(
        chunk_id=f"{doc_id}#{n}",
        doc_id=doc_id,
        source=source,
        heading_path=(),
        start=start,
        end=end,
        spans=((start, end),),
        text=" ".join(display.split()),
    )
    return SearchHit(
        rank=rank,
        score=score if score is not None else 1.0 / (60 + rank),
        chunk=chunk,
        display_text=display,
        metadata=metadata or DocMetadata(),
        title=title or source,
        scores=dict(scores or {}),
    )


def paragraph_hit(
    corpus_dir: Path, source: str, needle: str, rank: int = 1, lines: int = 3, **kw
) -> SearchHit:
    """A hit for the block of ``lines`` non-empty lines starting at the line containing ``needle``."""
    text = read_document(corpus_dir / source)
    pos = text.index(needle)
    start = text.rfind("\n", 0, pos) + 1
    end, seen = start, 0
    while seen < lines and end < len(text):
        nl = text.find("\n", end)
        nl = len(text) if nl < 0 else nl
        if text[end:nl].strip():
            seen += 1
        end = nl + 1 if nl < len(text) else nl
    end = len(text[:end].rstrip())
    n = kw.pop("n", pos)
    return make_hit(text, source, start, end, rank=rank, n=n, **kw)


def hits_from_needles(
    corpus_dir: Path, needles: Sequence[tuple[str, str]], lines: int = 3
) -> list[SearchHit]:
    """Hits ranked in the given order, one per (source, needle)."""
    return [
        paragraph_hit(corpus_dir, src, nd, rank=i + 1, lines=lines) for i, (src, nd) in enumerate(needles)
    ]
