"""The PostgreSQL store's write side: one document per transaction.

A document's row, its chunks (exact spans inside ``data``), their vectors (pgvector), its BM25 blocks
(one row per term: the ids and term frequencies of its chunks holding it; the same accented tokens as
the folder index, and their accent-stripped forms — see migrations/004) and its preamble
references are written together in one transaction, after the old version's rows are deleted; a crash
at any moment leaves the old or the new version of each document. Two indexers writing one document
serialise on an advisory lock of its id; every writer holds the collection's compaction lock shared
(indexing/pg_upkeep.py). Every commit bumps ``meta.data_version`` (searchers reload
when it moves).

Durability: a document's commit does not wait for its WAL to reach the disk (``synchronous_commit = off``
for that transaction only): a crash of the database server may lose the last fraction of a second of
written documents — each one whole or absent, never half — and the next import writes them again (its
content hashes say which). Measured on ALQAC (2,249 documents): 59.6 s waiting for each flush, 51.2 s not.

The model the vectors come from is recorded once (``meta.model``: name, checksum, dimension,
versions); the first write fixes the vector column's dimension and builds the HNSW index. Writing
with another model or chunker is refused with a Vietnamese message (re-index into a new database).
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from dataclasses import dataclass

import numpy as np
import psycopg

from retrieval.chunking import CHUNKER_VERSION
from retrieval.indexing.entries import DocEntry
from retrieval.segment import SEGMENTER_VERSION, strip_accents
from retrieval.server.database import DatabaseError
from retrieval.settings import Settings
from retrieval.structure import STRUCTURE_VERSION

ACCENTED, PLAIN = 0, 1  # term_blocks.field
COMPACT_LOCK = 7_411_001  # advisory lock (key, collection id): writers shared, compaction exclusive


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


def differences(have: ModelInfo, want: ModelInfo, skip: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{k}: {getattr(have, k)} ≠ {getattr(want, k)}"
        for k in have.__dict__
        if k not in skip and getattr(have, k) != getattr(want, k)
    ]


# How documents are read and cut: a collection written by other versions of these is parsed again.
PARSING_FIELDS = ("chunker_version", "structure_version", "segmenter_version", "chunk_max_tokens")


def ensure_model(conn: psycopg.Connection, want: ModelInfo, reparse_ok: bool = False) -> ModelInfo:
    """Record ``want`` on first use (fixing the vector dimension, building the HNSW index), or check
    that the database was written with it; returns what the database records. With ``reparse_ok`` (an
    import of whole files, which parses again a collection written by other parsing steps —
    ``collection_parsing``), only the model and its dimension must agree."""
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
            return want
    problems = differences(have, want, skip=PARSING_FIELDS if reparse_ok else ())
    if problems:
        raise DatabaseError(
            "Cơ sở dữ liệu được lập chỉ mục với cấu hình khác (" + "; ".join(problems) + "). "
            "Hãy lập chỉ mục lại vào một cơ sở dữ liệu mới."
        )
    return have


def parsing_of(model: ModelInfo) -> dict:
    return {k: getattr(model, k) for k in PARSING_FIELDS}


def collection_parsing(conn: psycopg.Connection, cid: int, recorded: ModelInfo) -> dict:
    """The parsing versions a collection's documents were written with (the database's own record
    for a collection imported before these were kept per collection)."""
    row = conn.execute("SELECT value FROM meta WHERE key = %s", (f"parsing:{cid}",)).fetchone()
    return dict(row[0]) if row else parsing_of(recorded)


def record_parsing(conn: psycopg.Connection, cid: int, model: ModelInfo) -> None:
    """After a whole import: every document of the collection is parsed with ``model``'s versions."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (f"parsing:{cid}", json.dumps(parsing_of(model))),
    )


def known_sources(conn: psycopg.Connection, collection_id: int) -> dict[str, str]:
    """source -> sha256 of the documents of one collection."""
    rows = conn.execute("SELECT source, sha256 FROM documents WHERE collection_id = %s", (collection_id,))
    return dict(rows.fetchall())


def _bump(conn: psycopg.Connection) -> int:
    return conn.execute(
        "UPDATE meta SET value = to_jsonb(value::text::bigint + 1) WHERE key = 'data_version'"
        " RETURNING value::text::bigint"
    ).fetchone()[0]


def data_version(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT value::text::bigint FROM meta WHERE key = 'data_version'").fetchone()[0])


def postings_of(tokens: list[str]) -> list[tuple[int, str, int]]:
    """One chunk's BM25 postings, (field, term, tf): its accented tokens and their accent-stripped
    forms (the folder index's two BM25 indexes)."""
    counts = Counter(tokens)
    plain: Counter = Counter()
    for term, tf in counts.items():  # each distinct term stripped once
        plain[strip_accents(term)] += tf
    return [(ACCENTED, t, tf) for t, tf in counts.items()] + [(PLAIN, t, tf) for t, tf in plain.items()]


ID_DTYPE, TF_DTYPE = np.dtype(">i4"), np.dtype(">i2")  # term_blocks.chunk_ids, term_blocks.tfs
MAX_TF = 32767


def unpack_block(chunk_ids: bytes, tfs: bytes) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.frombuffer(chunk_ids, dtype=ID_DTYPE).astype(np.int64),
        np.frombuffer(tfs, dtype=TF_DTYPE).astype(np.float64),
    )


def blocks_of(chunk_ids: list[int], tokens: list[list[str]]) -> dict[tuple[int, str], tuple[bytes, bytes]]:
    """One document's BM25 blocks: (field, term) -> its chunks holding it, ids as big-endian int4 and
    term frequencies as big-endian int2 (plain Python: most blocks hold one or two chunks)."""
    if chunk_ids and (min(chunk_ids) < 0 or max(chunk_ids) > np.iinfo(np.int32).max):
        raise DatabaseError(
            "Mã đoạn vượt quá giới hạn int4 của khối BM25; hãy lập chỉ mục lại vào cơ sở dữ liệu mới."
        )
    found: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    for cid, toks in zip(chunk_ids, tokens, strict=True):
        for field, term, tf in postings_of(toks):
            ids, tfs = found.setdefault((field, term), ([], []))
            ids.append(cid)
            tfs.append(min(tf, MAX_TF))
    return {
        key: (struct.pack(f">{len(ids)}i", *ids), struct.pack(f">{len(tfs)}h", *tfs))
        for key, (ids, tfs) in found.items()
    }


def _own_transaction(conn: psycopg.Connection) -> None:
    """A document's write must be its own transaction: inside one left open by the caller it would be a
    savepoint, invisible to readers and holding its locks until the caller commits."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError(
            "put_document/remove_document need a connection outside any transaction (autocommit)"
        )


def put_document(conn: psycopg.Connection, collection_id: int, entry: DocEntry) -> int:
    """Replace one document (by id) with ``entry`` in one transaction; returns its chunk count."""
    _own_transaction(conn)
    doc = entry.doc
    if entry.vectors is None or len(entry.vectors) != len(entry.chunks):
        raise ValueError(f"{doc.source}: chunks without vectors")
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")  # see the module's note on durability
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", (COMPACT_LOCK, collection_id))
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
            with cur.copy(
                "COPY term_blocks (field, term, collection_id, doc_id, chunk_ids, tfs) FROM STDIN"
            ) as cp:
                for (field, term), (chunk_ids, tfs) in blocks_of(ids, entry.tokens).items():
                    cp.write_row((field, term, collection_id, doc.doc_id, chunk_ids, tfs))
            with cur.copy("COPY doc_references (doc_id, ord, reference) FROM STDIN") as cp:
                for i, ref in enumerate(doc.metadata.references):
                    cp.write_row((doc.doc_id, i, ref))
        conn.execute("UPDATE documents SET written_version = %s WHERE doc_id = %s", (_bump(conn), doc.doc_id))
    return n


def remove_document(conn: psycopg.Connection, collection_id: int, source: str) -> bool:
    _own_transaction(conn)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", (COMPACT_LOCK, collection_id))
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


def as_array(value) -> np.ndarray:
    """A pgvector value read back (``Vector`` or array) as float32."""
    to_numpy = getattr(value, "to_numpy", None)
    return np.asarray(to_numpy() if to_numpy else value, dtype=np.float32)


def _vector_text(vec: np.ndarray) -> str:
    return "[" + ",".join(map(repr, np.asarray(vec, dtype=np.float32).tolist())) + "]"
