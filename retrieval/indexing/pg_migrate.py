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
from retrieval.indexing.pg_upkeep import upkeep
from retrieval.indexing.pgstore import (
    ModelInfo,
    as_array,
    ensure_model,
    postings_of,
    put_document,
    unpack_block,
)
from retrieval.server.collections import collection_id, create_collection
from retrieval.server.database import DatabaseError, open_database


@dataclass(frozen=True)
class Tally:
    documents: int
    chunks: int
    postings: int
    checksum: str  # over documents, chunks (exact spans), vectors and postings (see _Hasher)


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
    """SHA-256 over documents, chunks and vectors in document order; the postings, which the database
    keeps per term, as a multiset digest (the sum of each posting's 64-bit BLAKE2b modulo 2⁶⁴), so
    both sides can be read in their own order with bounded memory."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.documents = self.chunks = self.postings = 0
        self.posting_sum = 0

    def document(self, data: dict, chunks: Iterable[tuple[dict, np.ndarray]]) -> None:
        self.documents += 1
        self.h.update(_canon(data))
        for chunk, vec in chunks:
            self.chunks += 1
            self.h.update(_canon(chunk))
            self.h.update(np.asarray(vec, dtype="<f4").tobytes())

    def posting(self, doc_id: str, ord_: int, field: int, term: str, tf: int) -> None:
        self.postings += 1
        key = f"{doc_id}\x1f{ord_}\x1f{field}\x1f{term}\x1f{tf}".encode()
        digest = hashlib.blake2b(key, digest_size=8).digest()
        self.posting_sum = (self.posting_sum + int.from_bytes(digest, "little")) % 2**64

    def tally(self) -> Tally:
        h = self.h.copy()
        h.update(self.posting_sum.to_bytes(8, "little"))
        return Tally(self.documents, self.chunks, self.postings, h.hexdigest())


def _canon(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def folder_tally(entries: list[DocEntry]) -> Tally:
    h = _Hasher()
    for e in sorted(entries, key=lambda e: e.doc.doc_id):
        vecs = e.vectors if e.vectors is not None else np.zeros((0, 0), np.float32)
        h.document(e.doc.to_json(), zip((c.to_json() for c in e.chunks), vecs, strict=True))
        for ord_, toks in enumerate(e.tokens):
            for field, term, tf in postings_of(toks):
                h.posting(e.doc.doc_id, ord_, field, term, tf)
    return h.tally()


def database_tally(conn, cid: int) -> Tally:
    """The same tally read back from the database (postings from the blocks, live chunks only)."""
    h = _Hasher()
    docs = conn.execute(
        "SELECT doc_id, data FROM documents WHERE collection_id = %s ORDER BY doc_id", (cid,)
    ).fetchall()
    where: dict[int, tuple[str, int]] = {}
    for doc_id, data in docs:
        rows = conn.execute(
            "SELECT id, ord, data, embedding FROM chunks WHERE doc_id = %s ORDER BY ord", (doc_id,)
        ).fetchall()
        where.update((i, (doc_id, o)) for i, o, _, _ in rows)
        h.document(data, ((c, as_array(e).astype("<f4")) for _, _, c, e in rows))
    with conn.cursor(name="tracuu_tally") as cur:
        cur.execute("SELECT field, term, chunk_ids, tfs FROM term_blocks WHERE collection_id = %s", (cid,))
        while rows := cur.fetchmany(5_000):
            for field, term, cids, tfs in rows:
                for chunk_id, tf in zip(*unpack_block(cids, tfs), strict=True):
                    at = where.get(int(chunk_id))
                    if at is not None:
                        h.posting(at[0], at[1], field, term, int(tf))
    return h.tally()


def migrate_folder(
    index_dir: Path, url: str, collection: str, progress: Callable[[int, int], None] | None = None
) -> MigrationReport:
    """Copy the live generation of ``index_dir`` into ``collection`` (created when missing)."""
    manifest = store.read_manifest(index_dir)
    entries = read_entries(store.generation_dir(index_dir, manifest))
    with open_database(url, autocommit=True) as conn:
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
    upkeep(url, collections=(cid,))
    return MigrationReport(collection, folder_tally(entries), db)
