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
from retrieval.indexing.pgstore import COMPACT_LOCK, data_version, pack_block, unpack_block
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
        before = after = dropped = 0
        out: list[tuple] = []
        key, parts = None, []

        def close_group() -> None:
            nonlocal after, dropped
            if key is None:
                return
            got = [unpack_block(a, b) for a, b in parts]
            cids = np.concatenate([g[0] for g in got])
            tfs = np.concatenate([g[1] for g in got])
            keep = cids < len(live)
            keep[keep] = live[cids[keep]]
            dropped += int(len(cids) - keep.sum())
            if keep.any():
                out.append((*key, *pack_block(cids[keep], tfs[keep])))
                after += 1

        with conn.cursor(name="tracuu_compact") as cur:
            cur.execute(
                'SELECT field, term COLLATE "C", chunk_ids, tfs FROM term_blocks WHERE collection_id = %s'
                ' ORDER BY field, term COLLATE "C"',
                (collection_id,),
            )
            while rows := cur.fetchmany(BATCH):
                for field, term, cids, tfs in rows:
                    before += 1
                    if (field, term) != key:
                        close_group()
                        key, parts = (field, term), []
                    parts.append((cids, tfs))
                _flush(conn, out)
        close_group()
        _flush(conn, out)
        conn.execute("DELETE FROM term_blocks WHERE collection_id = %s", (collection_id,))
        conn.execute(
            "INSERT INTO term_blocks (field, term, collection_id, doc_id, chunk_ids, tfs)"
            " SELECT field, term, %s, NULL, chunk_ids, tfs FROM compacted",
            (collection_id,),
        )
        conn.execute("DROP TABLE compacted")
    return Compaction(collection_id, before, after, dropped)


def _flush(conn: psycopg.Connection, out: list[tuple]) -> None:
    if out:
        with conn.cursor() as cur, cur.copy("COPY compacted (field, term, chunk_ids, tfs) FROM STDIN") as cp:
            for row in out:
                cp.write_row(row)
        out.clear()


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


def upkeep(url: str, force: bool = False) -> Upkeep:
    """After an import: in each collection that needs it, compact the BM25 blocks and recount the accent
    model (``force``: all of them); then VACUUM ANALYZE the searched tables (the planner knows the new
    sizes). VACUUM runs outside any transaction."""
    compactions, accents = [], []
    with connect(url, autocommit=True) as conn:  # each step its own transaction
        for (cid,) in conn.execute("SELECT id FROM collections ORDER BY id").fetchall():
            got = compact(conn, cid, force)
            if got is not None:
                compactions.append(got)
            if force or accents_stale(conn, cid):
                recount_accents(conn, cid)
                accents.append(cid)
        for table in ("term_blocks", "chunks", "documents", "accent_models"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return Upkeep(tuple(compactions), tuple(accents))
