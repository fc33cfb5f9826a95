"""Export the embedded index folder into a PostgreSQL collection (``tracuu migrate --to URL``).

Nothing is recomputed: documents, chunks, BM25 tokens and vectors are copied as stored, each
document in its own transaction (``pgstore.put_document``), under the folder index's model record.
Then both sides are counted and checksummed — documents, chunks, vectors, postings — and any
difference is reported (``MigrationReport.ok``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval import store
from retrieval.indexer import read_entries
from retrieval.indexing.entries import DocEntry
from retrieval.indexing.pgstore import ModelInfo, as_array, ensure_model, postings_of, put_document, vacuum
from retrieval.server.collections import collection_id, create_collection
from retrieval.server.database import DatabaseError, open_database


@dataclass(frozen=True)
class Tally:
    documents: int
    chunks: int
    postings: int
    checksum: str  # over documents, chunks (exact spans), vectors and postings, in a canonical order


@dataclass(frozen=True)
class MigrationReport:
    collection: str
    folder: Tally
    database: Tally

    @property
    def ok(self) -> bool:
        return self.folder == self.database


def _model(manifest: dict) -> ModelInfo:
    m = manifest["model"]
    return ModelInfo(
        m["name"],
        m["checksum"],
        int(m["dim"]),
        manifest["chunker_version"],
        manifest["structure_version"],
        manifest["segmenter_version"],
        manifest["settings"]["chunk_max_tokens"],
    )


class _Hasher:
    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.documents = self.chunks = self.postings = 0

    def document(
        self, data: dict, chunks: Iterable[tuple[dict, np.ndarray, list[tuple[int, str, int]]]]
    ) -> None:
        """One document: its record, then each chunk's record, vector and postings (field, term order)."""
        self.documents += 1
        self.h.update(_canon(data))
        for chunk, vec, postings in chunks:
            self.chunks += 1
            self.h.update(_canon(chunk))
            self.h.update(np.asarray(vec, dtype="<f4").tobytes())
            for field, term, tf in postings:
                self.postings += 1
                self.h.update(f"{field}\x1f{term}\x1f{tf}\x1e".encode())

    def tally(self) -> Tally:
        return Tally(self.documents, self.chunks, self.postings, self.h.hexdigest())


def _canon(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def folder_tally(entries: list[DocEntry]) -> Tally:
    h = _Hasher()
    for e in sorted(entries, key=lambda e: e.doc.doc_id):
        vecs = e.vectors if e.vectors is not None else np.zeros((0, 0), np.float32)
        postings = (postings_of(t) for t in e.tokens)
        h.document(e.doc.to_json(), zip((c.to_json() for c in e.chunks), vecs, postings, strict=True))
    return h.tally()


def database_tally(conn, cid: int) -> Tally:
    """The same tally read back from the database (postings as stored)."""
    h = _Hasher()
    docs = conn.execute(
        "SELECT doc_id, data FROM documents WHERE collection_id = %s ORDER BY doc_id", (cid,)
    ).fetchall()
    for doc_id, data in docs:
        rows = conn.execute(
            "SELECT id, data, embedding FROM chunks WHERE doc_id = %s ORDER BY ord", (doc_id,)
        ).fetchall()
        postings: dict[int, list[tuple[int, str, int]]] = {r[0]: [] for r in rows}
        for chunk_id, field, term, tf in conn.execute(  # one statement per document, not per chunk
            "SELECT chunk_id, field, term, tf FROM postings WHERE chunk_id = ANY(%s)"
            ' ORDER BY chunk_id, field, term COLLATE "C"',
            (list(postings),),
        ):
            postings[chunk_id].append((field, term, tf))
        h.document(data, ((c, as_array(e).astype("<f4"), postings[i]) for i, c, e in rows))
    return h.tally()


def migrate_folder(
    index_dir: Path, url: str, collection: str, progress: Callable[[int, int], None] | None = None
) -> MigrationReport:
    """Copy the live generation of ``index_dir`` into ``collection`` (created when missing)."""
    manifest = store.read_manifest(index_dir)
    entries = read_entries(store.generation_dir(index_dir, manifest))
    with open_database(url) as conn:
        try:
            cid = collection_id(conn, collection)
        except DatabaseError:
            cid = create_collection(conn, collection)
        ensure_model(conn, _model(manifest))
        for n, e in enumerate(entries, start=1):
            put_document(conn, cid, e)
            if progress:
                progress(n, len(entries))
        with conn.transaction():
            db = database_tally(conn, cid)
    vacuum(url)
    return MigrationReport(collection, folder_tally(entries), db)
