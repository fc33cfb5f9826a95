"""The PostgreSQL store's write side: one document per transaction.

A document's row, its chunks (exact spans inside ``data``), their vectors (pgvector), its BM25 postings
(the same accented tokens as the folder index, and their accent-stripped forms) and its preamble
references are written together in one transaction, after the old version's rows are deleted; a crash
at any moment leaves the old or the new version of each document. Two indexers writing one document
serialise on an advisory lock of its id. Every commit bumps ``meta.data_version`` (searchers reload
when it moves).

The model the vectors come from is recorded once (``meta.model``: name, checksum, dimension,
versions); the first write fixes the vector column's dimension and builds the HNSW index. Writing
with another model or chunker is refused with a Vietnamese message (re-index into a new database).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import numpy as np
import psycopg

from retrieval.chunking import CHUNKER_VERSION
from retrieval.indexing.entries import DocEntry
from retrieval.segment import SEGMENTER_VERSION, strip_accents
from retrieval.server.database import DatabaseError, connect
from retrieval.settings import Settings
from retrieval.structure import STRUCTURE_VERSION

ACCENTED, PLAIN = 0, 1  # postings.field


@dataclass(frozen=True)
class ModelInfo:
    name: str
    checksum: str
    dim: int
    chunker_version: int | str
    structure_version: int | str
    segmenter_version: int | str
    chunk_max_tokens: int

    @classmethod
    def current(cls, settings: Settings, checksum: str, dim: int) -> ModelInfo:
        return cls(
            settings.embed_model,
            checksum,
            int(dim),
            CHUNKER_VERSION,
            STRUCTURE_VERSION,
            SEGMENTER_VERSION,
            settings.chunk_max_tokens,
        )

    def to_json(self) -> dict:
        return dict(self.__dict__)


def recorded_model(conn: psycopg.Connection) -> ModelInfo | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()
    return ModelInfo(**row[0]) if row else None


def differences(have: ModelInfo, want: ModelInfo) -> list[str]:
    return [
        f"{k}: {getattr(have, k)} ≠ {getattr(want, k)}"
        for k in have.__dict__
        if getattr(have, k) != getattr(want, k)
    ]


def ensure_model(conn: psycopg.Connection, want: ModelInfo) -> None:
    """Record ``want`` on first use (fixing the vector dimension, building the HNSW index), or check
    that the database was written with it."""
    with conn.transaction():
        conn.execute("LOCK TABLE meta IN SHARE ROW EXCLUSIVE MODE")
        have = recorded_model(conn)
        if have is None:
            conn.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(want.dim)})")
            conn.execute(
                "CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw ON chunks "
                "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
            )
            conn.execute("INSERT INTO meta (key, value) VALUES ('model', %s)", (json.dumps(want.to_json()),))
            return
    problems = differences(have, want)
    if problems:
        raise DatabaseError(
            "Cơ sở dữ liệu được lập chỉ mục với cấu hình khác (" + "; ".join(problems) + "). "
            "Hãy lập chỉ mục lại vào một cơ sở dữ liệu mới."
        )


def known_sources(conn: psycopg.Connection, collection_id: int) -> dict[str, str]:
    """source -> sha256 of the documents of one collection."""
    rows = conn.execute("SELECT source, sha256 FROM documents WHERE collection_id = %s", (collection_id,))
    return dict(rows.fetchall())


def _bump(conn: psycopg.Connection) -> None:
    conn.execute("UPDATE meta SET value = to_jsonb(value::text::bigint + 1) WHERE key = 'data_version'")


def data_version(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT value::text::bigint FROM meta WHERE key = 'data_version'").fetchone()[0])


def postings_of(tokens: list[str]) -> list[tuple[int, str, int]]:
    """One chunk's BM25 postings, (field, term, tf) by field then term: its accented tokens and their
    accent-stripped forms (the folder index's two BM25 indexes)."""
    out = []
    for field, counts in ((ACCENTED, Counter(tokens)), (PLAIN, Counter(strip_accents(t) for t in tokens))):
        out.extend((field, term, tf) for term, tf in sorted(counts.items()))
    return out


def put_document(conn: psycopg.Connection, collection_id: int, entry: DocEntry) -> int:
    """Replace one document (by id) with ``entry`` in one transaction; returns its chunk count."""
    doc = entry.doc
    if entry.vectors is None or len(entry.vectors) != len(entry.chunks):
        raise ValueError(f"{doc.source}: chunks without vectors")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (doc.doc_id,))
        conn.execute("DELETE FROM documents WHERE doc_id = %s", (doc.doc_id,))
        conn.execute(
            "DELETE FROM documents WHERE collection_id = %s AND source = %s", (collection_id, doc.source)
        )
        conn.execute(
            "INSERT INTO documents (doc_id, collection_id, source, sha256, data, n_chunks)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (doc.doc_id, collection_id, doc.source, doc.sha256, json.dumps(doc.to_json()), len(entry.chunks)),
        )
        n = len(entry.chunks)
        ids = (
            [
                r[0]
                for r in conn.execute(
                    "SELECT nextval('chunks_id_seq') FROM generate_series(1, %s)", (n,)
                ).fetchall()
            ]
            if n
            else []
        )
        with conn.cursor() as cur:
            with cur.copy(
                "COPY chunks (id, doc_id, collection_id, ord, data, n_tokens, embedding) FROM STDIN"
            ) as cp:
                for cid, ord_, chunk, toks, vec in zip(
                    ids, range(n), entry.chunks, entry.tokens, entry.vectors, strict=True
                ):
                    cp.write_row(
                        (
                            cid,
                            doc.doc_id,
                            collection_id,
                            ord_,
                            json.dumps(chunk.to_json()),
                            max(1, len(toks)),
                            _vector_text(vec),
                        )
                    )
            with cur.copy("COPY postings (field, term, chunk_id, collection_id, tf, dl) FROM STDIN") as cp:
                for cid, toks in zip(ids, entry.tokens, strict=True):
                    dl = max(1, len(toks))
                    for field, term, tf in postings_of(toks):
                        cp.write_row((field, term, cid, collection_id, tf, dl))
            with cur.copy("COPY doc_references (doc_id, ord, reference) FROM STDIN") as cp:
                for i, ref in enumerate(doc.metadata.references):
                    cp.write_row((doc.doc_id, i, ref))
        _bump(conn)
    return n


def remove_document(conn: psycopg.Connection, collection_id: int, source: str) -> bool:
    with conn.transaction():
        gone = conn.execute(
            "DELETE FROM documents WHERE collection_id = %s AND source = %s RETURNING doc_id",
            (collection_id, source),
        ).fetchall()
        if gone:
            _bump(conn)
    return bool(gone)


def document_records(conn: psycopg.Connection) -> list[dict]:
    """Every stored document's record (``StoredDocument.to_json()``), all collections."""
    return [row[0] for row in conn.execute('SELECT data FROM documents ORDER BY source COLLATE "C"')]


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the searched tables after an import: BM25 then reads postings by index-only
    scans (the visibility map is set) and the planner knows the new sizes. Outside any transaction."""
    with connect(url, autocommit=True) as conn:
        for table in ("postings", "chunks", "documents"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


def as_array(value) -> np.ndarray:
    """A pgvector value read back (``Vector`` or array) as float32."""
    to_numpy = getattr(value, "to_numpy", None)
    return np.asarray(to_numpy() if to_numpy else value, dtype=np.float32)


def _vector_text(vec: np.ndarray) -> str:
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vec, dtype=np.float32)) + "]"
