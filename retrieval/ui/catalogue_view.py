"""The document browser's data: catalogue rows, a year timeline, a document's sections and relations.

No Streamlit here: plain values from the stored documents, chunks and the reference graph, unit-tested
directly; ``ui.browser`` draws them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from retrieval.catalog.graph import ReferenceGraph
from retrieval.catalog.series import Series, province, series_of
from retrieval.store import StoredDocument
from retrieval.types import Chunk
from retrieval.ui.labels import source_reference

UNDATED = "Không ghi ngày"
COLUMNS = (
    "Ngày ban hành",
    "Số/ký hiệu",
    "Loại",
    "Trích yếu",
    "Cơ quan ban hành",
    "Tỉnh, thành",
    "Người ký",
    "Định dạng",
    "Số trang",
)


def _date(iso: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def page_count(doc: StoredDocument) -> int | None:
    return len(doc.page_starts) if doc.page_starts else None


def catalogue_records(docs: Iterable[StoredDocument]) -> list[dict]:
    """One row per document (the table's columns + ``doc_id``), newest first, undated last."""
    rows = []
    for d in docs:
        md = d.metadata
        rows.append(
            {
                "doc_id": d.doc_id,
                "Số/ký hiệu": md.so_ky_hieu or "",
                "Loại": md.loai_van_ban or "",
                "Trích yếu": md.trich_yeu or d.title or d.source,
                "Cơ quan ban hành": md.co_quan_ban_hanh or "",
                "Tỉnh, thành": province(md) or "",
                "Ngày ban hành": _date(md.ngay_ban_hanh),
                "Người ký": md.nguoi_ky or "",
                "Định dạng": d.format.upper(),
                "Số trang": page_count(d),
            }
        )
    rows.sort(key=lambda r: (r["Ngày ban hành"] is None, -(r["Ngày ban hành"] or dt.date.min).toordinal()))
    return rows


SORTS = {
    "Ngày ban hành, mới nhất trước": ("Ngày ban hành", True),
    "Ngày ban hành, cũ nhất trước": ("Ngày ban hành", False),
    "Số/ký hiệu": ("Số/ký hiệu", False),
    "Cơ quan ban hành": ("Cơ quan ban hành", False),
    "Loại văn bản": ("Loại", False),
    "Tỉnh, thành": ("Tỉnh, thành", False),
}


def sort_rows(rows: list[dict], order: str) -> list[dict]:
    """Rows in the order named by ``order`` (a key of SORTS); empty values always last."""
    from retrieval.segment import strip_accents

    column, newest_first = SORTS[order]
    filled = [r for r in rows if r.get(column) not in (None, "")]
    empty = [r for r in rows if r.get(column) in (None, "")]
    if column == "Ngày ban hành":
        filled.sort(key=lambda r: r[column], reverse=newest_first)
    else:
        filled.sort(key=lambda r: (strip_accents(str(r[column])).lower(), str(r[column])))
    return filled + empty


def matches(row: Mapping, needle: str) -> bool:
    """Whether a catalogue row contains ``needle`` (accents and case ignored) in any text column."""
    from retrieval.segment import strip_accents

    want = strip_accents(needle).lower().strip()
    if not want:
        return True
    hay = " ".join(str(row[c]) for c in COLUMNS if row.get(c) is not None)
    return want in strip_accents(hay).lower()


def timeline(docs: Iterable[StoredDocument]) -> list[tuple[str, int]]:
    """(year, number of documents) in year order, undated documents last."""
    years = Counter(str(d.year) if d.year is not None else UNDATED for d in docs)
    dated = sorted((y, n) for y, n in years.items() if y != UNDATED)
    return dated + ([(UNDATED, years[UNDATED])] if UNDATED in years else [])


@dataclass(frozen=True)
class Section:
    title: str
    level: int  # 0 = top-level heading
    start: int  # character offset of the section's first text


def sections(chunks: Iterable[Chunk], doc_id: str) -> list[Section]:
    """The document's section tree (each heading once, at its first text), in text order."""
    seen: set[tuple[str, ...]] = set()
    out: list[Section] = []
    for c in sorted((c for c in chunks if c.doc_id == doc_id), key=lambda c: c.start):
        path = tuple(c.heading_path)
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix in seen:
                continue
            seen.add(prefix)
            out.append(Section(prefix[-1], depth - 1, c.start))
    return out


@dataclass(frozen=True)
class Related:
    label: str  # how a cadre names it
    doc_id: str | None  # in the archive (clickable), else None
    context: str = ""  # the sentence or year that relates it


def _label(doc: StoredDocument) -> str:
    """How a cadre names the document (as the chat's sources do)."""
    return source_reference(
        {"metadata": doc.metadata.to_json(), "title": doc.title, "source": doc.source}, about=False
    )


def references_of(
    doc: StoredDocument, graph: ReferenceGraph, docs: Mapping[str, StoredDocument]
) -> list[Related]:
    """The documents ``doc`` cites (preamble first), each once: in the archive or external."""
    out: list[Related] = []
    seen: set[str] = set()
    refs = sorted(graph.references.get(doc.doc_id, ()), key=lambda r: (not r.preamble, r.span))
    for r in refs:
        if r.target == doc.doc_id:
            continue
        ident = r.target or r.key or (r.number or "")
        if not ident or ident in seen:
            continue
        seen.add(ident)
        if r.target and r.target in docs:
            out.append(Related(_label(docs[r.target]), r.target, _sentence(doc.text, r.span)))
        else:
            name = " ".join(
                p
                for p in (r.doc_type, f"số {r.number}" if r.number else "", r.issuer and f"của {r.issuer}")
                if p
            )
            name = name or (r.number or "")
            out.append(Related(name[:1].upper() + name[1:], None, _sentence(doc.text, r.span)))
    return out


def implemented_by(
    doc: StoredDocument, graph: ReferenceGraph, docs: Mapping[str, StoredDocument]
) -> list[Related]:
    """The archive's documents that cite ``doc`` (by number or by type + date + issuer)."""
    citing: dict[str, str] = {}
    for source, refs in graph.references.items():
        for r in refs:
            if r.target == doc.doc_id and source != doc.doc_id and source not in citing:
                citing[source] = _sentence(docs[source].text, r.span) if source in docs else ""
    found = [docs[s] for s in citing if s in docs]
    found.sort(key=lambda d: d.metadata.ngay_ban_hanh or "", reverse=True)
    return [Related(_label(d), d.doc_id, citing[d.doc_id]) for d in found]


def series_members(
    doc: StoredDocument, all_series: list[Series], docs: Mapping[str, StoredDocument]
) -> list[Related]:
    """The other documents of ``doc``'s series (the same body's plans on one subject over the years)."""
    found = series_of(doc.doc_id, all_series)
    if found is None:
        return []
    out = []
    for member, year in zip(found.doc_ids, found.years, strict=True):
        if member != doc.doc_id and member in docs:
            out.append(Related(_label(docs[member]), member, f"năm {year}" if year else ""))
    return out


def _sentence(text: str, span: tuple[int, int], width: int = 220) -> str:
    """The line around ``span`` (what cites), cut to ``width`` characters."""
    start = text.rfind("\n", 0, span[0]) + 1
    end = text.find("\n", span[1])
    line = " ".join(text[start : end if end >= 0 else len(text)].split()).lstrip("-•+* ")
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"
