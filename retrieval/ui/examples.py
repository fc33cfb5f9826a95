"""What the archive holds and example questions drawn from it (the chat's first screen).

Pure functions over the stored documents and chunks: every example names a document, a number, a
year or a body that is in this archive, so each one has an answer here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from retrieval.catalog.graph import ReferenceGraph, build_graph
from retrieval.catalog.series import province
from retrieval.indexing.tables import lights
from retrieval.store import StoredDocument
from retrieval.types import Chunk

MAX_EXAMPLES = 6
_DEADLINE = re.compile(r"(?i)\bbáo cáo\b[^.;\n]{0,160}\btrước ngày\s+\d")


@dataclass(frozen=True)
class ArchiveSummary:
    documents: int
    year_min: int | None
    year_max: int | None
    undated: int
    provinces: tuple[str, ...]  # most documents first
    bodies: tuple[str, ...]  # most documents first
    types: tuple[tuple[str, int], ...]  # (loại văn bản, count), most first


def _ranked(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v, _ in Counter(values).most_common())


def archive_summary(documents: Mapping[str, StoredDocument]) -> ArchiveSummary:
    docs = list(lights(documents))
    years = [d.year for d in docs if d.year is not None]
    return ArchiveSummary(
        documents=len(docs),
        year_min=min(years) if years else None,
        year_max=max(years) if years else None,
        undated=len(docs) - len(years),
        provinces=_ranked(p for p in (province(d.metadata) for d in docs) if p),
        bodies=_ranked(d.metadata.co_quan_ban_hanh for d in docs if d.metadata.co_quan_ban_hanh),
        types=tuple(Counter(d.metadata.loai_van_ban for d in docs if d.metadata.loai_van_ban).most_common()),
    )


def _newest(docs: Iterable[StoredDocument]) -> list[StoredDocument]:
    return sorted(docs, key=lambda d: (d.metadata.ngay_ban_hanh or "", d.doc_id), reverse=True)


def _signer_question(docs: list[StoredDocument]) -> str | None:
    for d in _newest(docs):
        md = d.metadata
        if md.so_ky_hieu and md.nguoi_ky and md.loai_van_ban:
            return f"Ai ký {md.loai_van_ban.lower()} số {md.so_ky_hieu}?"
    return None


def _implementing_question(graph: ReferenceGraph) -> str | None:
    """The number most documents cite ("Thực hiện Chỉ thị số …"), if two or more do."""
    citing: dict[str, set[str]] = {}
    named: dict[str, str] = {}
    for doc_id, refs in graph.references.items():
        for r in refs:
            if r.key and r.number and r.doc_type and r.target != doc_id:
                citing.setdefault(r.key, set()).add(doc_id)
                named.setdefault(r.key, f"{r.doc_type} {r.number}")
    if not citing:
        return None
    key = max(citing, key=lambda k: (len(citing[k]), k))
    if len(citing[key]) < 2:
        return None
    return f"Những văn bản nào thực hiện {named[key]}?"


def _list_question(docs: list[StoredDocument]) -> str | None:
    """ "Các kế hoạch năm 2020": the type and the year holding most documents of that type."""
    pairs = Counter((d.metadata.loai_van_ban, d.year) for d in docs if d.metadata.loai_van_ban and d.year)
    if not pairs:
        return None
    (kind, year), n = pairs.most_common(1)[0]
    return f"Các {kind.lower()} năm {year}" if n >= 2 else None


def _count_question(docs: list[StoredDocument]) -> str | None:
    places = Counter(p for p in (province(d.metadata) for d in docs) if p)
    if len(places) < 2:
        return None
    place = places.most_common(1)[0][0]
    return f"Có bao nhiêu văn bản của tỉnh {place}?"


def _deadline_question(chunks: Iterable[Chunk], documents: Mapping[str, StoredDocument]) -> str | None:
    """A deadline question when some document sets a date for a report ("báo cáo … trước ngày 15/6")."""
    for c in chunks:
        doc = documents.get(c.doc_id)
        if doc is not None and _DEADLINE.search(doc.text[c.start : c.end]):
            return "Báo cáo phải gửi trước ngày nào?"
    return None


def example_questions(
    documents: Mapping[str, StoredDocument],
    chunks: Iterable[Chunk],
    limit: int = MAX_EXAMPLES,
    graph: ReferenceGraph | None = None,
) -> list[str]:
    """Up to ``limit`` questions this archive answers, of different kinds (``graph``: the archive's
    reference graph when the caller has it)."""
    docs = list(lights(documents))
    found = [
        _deadline_question(chunks, documents),
        _signer_question(docs),
        _implementing_question(graph or build_graph(documents.values())),
        _list_question(docs),
        _count_question(docs),
    ]
    out: list[str] = []
    for q in found:
        if q and q not in out:
            out.append(q)
    return out[:limit]
