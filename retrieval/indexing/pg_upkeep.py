"""Upkeep of the PostgreSQL store after imports: BM25 blocks compacted, accent models recounted,
VACUUM ANALYZE.

A document is written with one ``term_blocks`` row per term (its own chunks). Left alone, a common
term's rows grow with the number of documents holding it, and a query reads all of them; compaction
merges a collection's rows into one row per term, dropping chunks that no longer exist (documents
rewritten or removed since the last compaction). It runs when the rows written since reach a quarter
of the compacted ones (or ``force``), under an exclusive advisory lock of the collection that every
writer takes shared: writes of that collection wait for it (readers never do) and nothing deadlocks.

A collection's accent model (for queries typed without diacritics) is recounted from its chunks when
it has none, when the collection is small (< 20,000 chunks: cheap), or when the documents written or
chunks removed since reach 5 % of it; in between, a reader restores accents with a model that lacks
the newest documents (they are still found through the accent-stripped BM25 field).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from retrieval.accents import AccentModel
from retrieval.chunking import index_text
from retrieval.indexing.pgstore import COMPACT_LOCK, ID_DTYPE, TF_DTYPE, data_version
from retrieval.server.database import connect
from retrieval.types import Chunk

MIN_ROWS = 20_000  # below this many per-document rows a collection is not worth compacting
BATCH = 5_000
SMALL_COLLECTION = 20_000  # chunks: its accent model is recounted after any change
ACCENT_CHANGE = 0.05


@dataclass(frozen=True)
class Compaction:
    collection_id: int
    rows_before: int
    rows_after: int
    dropped_postings: int  # of chunks that no longer exist


def needs_compaction(conn: psycopg.Connection, collection_id: int) -> bool:
    per_doc, merged = conn.execute(
        "SELECT count(*) FILTER (WHERE doc_id IS NOT NULL), count(*) FILTER (WHERE doc_id IS NULL)"
        " FROM term_blocks WHERE collection_id = %s",
        (collection_id,),
    ).fetchone()
    return per_doc >= max(MIN_ROWS, merged // 4)


def compact(conn: psycopg.Connection, collection_id: int, force: bool = False) -> Compaction | None:
    """Merge one collection's blocks into one row per (field, term), in one transaction (give an
    autocommit connection: inside a caller's transaction the lock lasts until it ends); None when not
    needed. Memory: one batch of rows and the collection's live-chunk bitmap."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (COMPACT_LOCK, collection_id))
        if not force and not needs_compaction(conn, collection_id):
            return None
        ids = np.asarray(
            [r[0] for r in conn.execute("SELECT id FROM chunks WHERE collection_id = %s", (collection_id,))],
            dtype=np.int64,
        )
        live = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
        live[ids] = True
        conn.execute(
            "CREATE TEMP TABLE compacted (field smallint, term text, chunk_ids bytea, tfs bytea)"
            " ON COMMIT DROP"
        )
        before = conn.execute(
            "SELECT count(*) FROM term_blocks WHERE collection_id = %s", (collection_id,)
        ).fetchone()[0]
        after = dropped = 0
        with conn.cursor(name="tracuu_compact") as cur:
            # one document's rows per term are unique, the compacted one (doc_id NULL) too: both
            # aggregates concatenate in the same order
            cur.execute(
                "SELECT field, term, string_agg(chunk_ids, ''::bytea ORDER BY doc_id NULLS FIRST),"
                " string_agg(tfs, ''::bytea ORDER BY doc_id NULLS FIRST)"
                " FROM term_blocks WHERE collection_id = %s GROUP BY field, term",
                (collection_id,),
            )
            while rows := cur.fetchmany(BATCH):
                kept, gone = _drop_dead(rows, live)
                after += len(kept)
                dropped += gone
                _flush(conn, kept)
        conn.execute("DELETE FROM term_blocks WHERE collection_id = %s", (collection_id,))
        conn.execute(
            "INSERT INTO term_blocks (field, term, collection_id, doc_id, chunk_ids, tfs)"
            " SELECT field, term, %s, NULL, chunk_ids, tfs FROM compacted",
            (collection_id,),
        )
        conn.execute("DROP TABLE compacted")
    return Compaction(collection_id, before, after, dropped)


def _drop_dead(rows: list[tuple], live: np.ndarray) -> tuple[list[tuple], int]:
    """A batch of merged blocks without the chunks that no longer exist (one numpy pass for the
    batch); blocks left empty are dropped. Returns the rows and the number of postings dropped."""
    ids = np.frombuffer(b"".join(r[2] for r in rows), dtype=ID_DTYPE).astype(np.int64)
    keep = ids < len(live)
    keep[keep] = live[ids[keep]]
    if keep.all():
        return rows, 0
    lengths = np.asarray([len(r[2]) // ID_DTYPE.itemsize for r in rows])
    group = np.repeat(np.arange(len(rows)), lengths)
    new_lengths = np.bincount(group[keep], minlength=len(rows))
    ends = np.cumsum(new_lengths)
    tfs = np.frombuffer(b"".join(r[3] for r in rows), dtype=TF_DTYPE)
    id_bytes = ids[keep].astype(ID_DTYPE).tobytes()
    tf_bytes = tfs[keep].tobytes()
    out = []
    for r, n, end in zip(rows, new_lengths.tolist(), ends.tolist(), strict=True):
        if n:
            a = end - n
            out.append(
                (
                    r[0],
                    r[1],
                    id_bytes[a * ID_DTYPE.itemsize : end * ID_DTYPE.itemsize],
                    tf_bytes[a * TF_DTYPE.itemsize : end * TF_DTYPE.itemsize],
                )
            )
    return out, int(len(ids) - keep.sum())


def _flush(conn: psycopg.Connection, out: list[tuple]) -> None:
    if out:
        with conn.cursor() as cur, cur.copy("COPY compacted (field, term, chunk_ids, tfs) FROM STDIN") as cp:
            for row in out:
                cp.write_row(row)


@dataclass(frozen=True)
class Upkeep:
    compactions: tuple[Compaction, ...]
    accent_models: tuple[int, ...]  # collections whose accent model was recounted


def accents_stale(conn: psycopg.Connection, collection_id: int) -> bool:
    row = conn.execute(
        "SELECT built_version, n_chunks FROM accent_models WHERE collection_id = %s", (collection_id,)
    ).fetchone()
    n_docs, n_chunks, written = conn.execute(
        "SELECT count(*), coalesce(sum(n_chunks), 0), count(*) FILTER (WHERE written_version > %s)"
        " FROM documents WHERE collection_id = %s",
        (row[0] if row else -1, collection_id),
    ).fetchone()
    if row is None:
        return n_docs > 0
    changed = written > 0 or n_chunks != row[1]
    if not changed:
        return False
    if n_chunks < SMALL_COLLECTION:
        return True
    return written >= ACCENT_CHANGE * n_docs or abs(n_chunks - row[1]) >= ACCENT_CHANGE * max(row[1], 1)


def recount_accents(conn: psycopg.Connection, collection_id: int) -> AccentModel:
    """Count the collection's accent model from its chunks (the folder index's texts) and store it."""
    with conn.transaction():
        version = data_version(conn)
        titles = dict(
            conn.execute(
                "SELECT doc_id, data->>'title' FROM documents WHERE collection_id = %s", (collection_id,)
            ).fetchall()
        )
        with conn.cursor(name="tracuu_accents") as cur:
            cur.execute("SELECT doc_id, data FROM chunks WHERE collection_id = %s", (collection_id,))
            n = 0

            def texts():
                nonlocal n
                while rows := cur.fetchmany(BATCH):
                    for doc_id, data in rows:
                        n += 1
                        yield index_text(titles.get(doc_id) or "", Chunk.from_json(data))

            model = AccentModel.build(texts())
        conn.execute(
            "INSERT INTO accent_models (collection_id, built_version, n_chunks, model)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (collection_id) DO UPDATE"
            " SET built_version = excluded.built_version, n_chunks = excluded.n_chunks,"
            " model = excluded.model",
            (collection_id, version, n, Jsonb(model.to_json())),
        )
    return model


def upkeep(url: str, force: bool = False, collections: tuple[int, ...] | None = None) -> Upkeep:
    """After an import: in each collection that needs it (of ``collections``, default all: an import
    passes its own), compact the BM25 blocks and recount the accent model (``force``: all of them); then
    VACUUM ANALYZE the searched tables (the planner knows the new sizes). VACUUM runs outside any
    transaction."""
    compactions, accents = [], []
    with connect(url, autocommit=True) as conn:  # each step its own transaction
        ids = conn.execute("SELECT id FROM collections ORDER BY id").fetchall()
        for (cid,) in ids:
            if collections is not None and cid not in collections:
                continue
            got = compact(conn, cid, force)
            if got is not None:
                compactions.append(got)
            if force or accents_stale(conn, cid):
                recount_accents(conn, cid)
                accents.append(cid)
        for table in ("term_blocks", "chunks", "documents", "accent_models"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return Upkeep(tuple(compactions), tuple(accents))
