"""Catalogue rows: one per indexed document, from what the index folder stores.

Rows are read from the live generation's ``documents.jsonl`` (``retrieval.store``); nothing is parsed
again. A source whose content duplicates an indexed one (``duplicate_of``) is not a row of its own: it is
listed under that document's ``copies``. Fields of a row:

- ``source``, ``title``, ``format``;
- ``metadata``: ``DocMetadata.catalogue()`` (the seven search keys, ``tinh``, ``chuc_vu_ky`` and
  ``references`` as a list of normalized numbers);
- ``pages``: number of pages when the format has pages, else None; ``ocr``: whether any page text
  came from OCR; ``copies``: other sources with the same content; ``warnings``: non-fatal ingest
  problems recorded for the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retrieval import store
from retrieval.normalize import normalize_so_ky_hieu

__all__ = ["CatalogueRow", "catalogue_rows"]


@dataclass(frozen=True)
class CatalogueRow:
    source: str
    title: str
    metadata: dict
    format: str
    pages: int | None
    ocr: bool
    copies: tuple[str, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "title": self.title,
            "metadata": self.metadata,
            "format": self.format,
            "pages": self.pages,
            "ocr": self.ocr,
            "copies": list(self.copies),
            "warnings": list(self.warnings),
        }


def row_of(record: dict) -> CatalogueRow:
    """A catalogue row from one ``documents.jsonl`` record."""
    doc = store.StoredDocument.from_json(record)
    meta = doc.metadata.catalogue()
    meta["references"] = [normalize_so_ky_hieu(r) for r in meta["references"]]
    return CatalogueRow(
        source=doc.source,
        title=doc.title,
        metadata=meta,
        format=doc.format,
        pages=len(doc.page_starts) or None,
        ocr=bool(doc.ocr_pages),
        copies=tuple(doc.copies),
        warnings=tuple(record.get("warnings") or ()),
    )


def catalogue_rows(index_dir: Path) -> list[CatalogueRow]:
    """Rows of the index at ``index_dir``, by source; raises ``store.IndexError_`` when there is none."""
    manifest = store.read_manifest(index_dir)
    gen = store.generation_dir(index_dir, manifest)
    return rows_of(store.read_jsonl(gen / "documents.jsonl"))


def rows_of(records) -> list[CatalogueRow]:
    """Catalogue rows of stored document records (either store), by source; copies left out."""
    rows = [row_of(r) for r in records if not r.get("duplicate_of")]
    return sorted(rows, key=lambda r: r.source)
