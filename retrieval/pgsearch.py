"""Hybrid search over the PostgreSQL store, limited to the collections one reader may see.

The searcher is the folder searcher (retrieval/search.py: the same query handling, fusion, number and
metadata boosts, answer-side view of documents and chunks) over three primitives done in SQL:

* BM25: the query terms' ``term_blocks`` (per term: chunk ids and term frequencies, accented and
  accent-stripped fields; one row per collection once compacted) read in one statement and scored in
  numpy with the folder index's formula (bm25s "lucene": idf = ln(1 + (N − df + ½)/(df + ½)), tf/(tf +
  k1·(1 − b + b·dl/avgdl)), k1 = 0.9, b = 0.4) over the N, df and avgdl of the reader's chunks;
* dense: pgvector HNSW (cosine) with iterative scans, so a restriction still returns ``depth`` rows;
* cosines of the fused candidates.

Every statement names the reader's collections (``collection_id = ANY(…)``): a chunk of another
collection is never read, loaded or ranked — enforced in the query, not by filtering after. The
documents and chunks loaded at start are the reader's only (``documents``/``chunks``, as the answer
layer and the browser expect); ``reloaded()`` gives a new searcher when ``meta.data_version`` moved.
"""

from __future__ import annotations

import numpy as np
from psycopg_pool import ConnectionPool

from retrieval import store
from retrieval.accents import AccentModel
from retrieval.chunking import index_text
from retrieval.embedding import Embedder
from retrieval.indexing.pgstore import ACCENTED, PLAIN, as_array, data_version, recorded_model, unpack_block
from retrieval.search import Searcher, dense_sample_rows
from retrieval.server.database import check_schema, connect, redact
from retrieval.settings import Settings
from retrieval.sparse import BM25_B, BM25_K1
from retrieval.types import Chunk

_BLOCKS_SQL = (
    "SELECT term, chunk_ids, tfs FROM term_blocks"
    " WHERE field = %s AND term = ANY(%s) AND collection_id = ANY(%s)"
)


class PgSearcher(Searcher):
    def __init__(
        self,
        url: str,
        settings: Settings,
        collections: tuple[int, ...] | None = None,
        embedder: Embedder | None = None,
        pool_size: int = 4,
        pool: ConnectionPool | None = None,
    ) -> None:
        """``collections``: the ids the reader may see (None: every collection — the administrator and
        command-line tools). ``pool``: a shared pool configured by ``configure_connection`` (autocommit),
        not closed by ``close()``; by default the searcher opens its own."""
        self.url = url
        self.index_dir = redact(url)  # named in the folder searcher's messages
        self.settings = settings
        self._embedder = embedder
        self._wanted = collections
        self._own_pool = pool is None
        if pool is None:  # a clear Vietnamese error now, not a pool timeout 30 s later
            with connect(url) as conn:
                check_schema(conn, url)
        self._pool = pool or ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=True,
            configure=configure_connection,
            kwargs={"autocommit": True},
        )
        try:
            self._load_db()
        except BaseException:
            self.close()
            raise

    @property
    def reindex_hint(self) -> str:
        return "TRACUU_DATABASE_URL=… tracuu index THU_MUC --collection TEN"

    def close(self) -> None:
        if self._own_pool:
            self._pool.close()

    # ------------------------------------------------------------------ loading
    def _load_db(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            model = recorded_model(conn)
            if model is None:
                raise store.IndexMissingError(
                    f"Cơ sở dữ liệu {self.index_dir} chưa có văn bản nào. "
                    f"Hãy lập chỉ mục: {self.reindex_hint}"
                )
            version = data_version(conn)
            self.manifest = {
                "model": {"name": model.name, "checksum": model.checksum, "dim": model.dim},
                "chunker_version": model.chunker_version,
                "segmenter_version": model.segmenter_version,
                "generation": f"db-{version}",
            }
            self._check_versions()
            if self._wanted is None:
                colls = [r[0] for r in conn.execute("SELECT id FROM collections")]
            else:
                colls = list(self._wanted)
            docs, self.collection_of, coll_of_doc = {}, {}, {}
            for data, name, coll in conn.execute(
                "SELECT d.data, c.name, c.id FROM documents d JOIN collections c ON c.id = d.collection_id"
                ' WHERE d.collection_id = ANY(%s) ORDER BY d.source COLLATE "C", d.doc_id',
                (colls,),
            ):
                d = store.StoredDocument.from_json(data)
                docs[d.doc_id] = d
                self.collection_of[d.doc_id] = name
                coll_of_doc[d.doc_id] = coll
            ids, dls, chunks = [], [], []
            for cid, dl, data in conn.execute(
                "SELECT c.id, c.n_tokens, c.data FROM chunks c JOIN documents d USING (doc_id)"
                " WHERE c.collection_id = ANY(%s) AND d.collection_id = ANY(%s)"
                ' ORDER BY d.source COLLATE "C", d.doc_id, c.ord',
                (colls, colls),
            ):
                ids.append(cid)
                dls.append(dl)
                chunks.append(Chunk.from_json(data))
            self._ids = np.asarray(ids, dtype=np.int64)
            sample_ids = self._ids[dense_sample_rows(len(ids))]
            sample = self._vectors_of(conn, sample_ids, model.dim)
            stored = dict(
                conn.execute(
                    "SELECT collection_id, model FROM accent_models WHERE collection_id = ANY(%s)", (colls,)
                ).fetchall()
            )
        self._colls = colls
        self._version = version
        self._dl = np.asarray(dls, dtype=np.float64)
        self._avgdl = float(self._dl.mean()) if len(dls) else 1.0
        self._row_by_id = np.full(int(self._ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int32)
        self._row_by_id[self._ids] = np.arange(len(ids))
        models = [AccentModel.from_json(m) for m in stored.values()]
        uncounted = [c for c in chunks if coll_of_doc[c.doc_id] not in stored]  # no upkeep run yet
        if uncounted or not models:
            models.append(AccentModel.build(index_text(docs[c.doc_id].title, c) for c in uncounted))
        accents = AccentModel.merged(models)
        self._prepare(docs, chunks, sample, accents)

    @property
    def version(self) -> int:
        """The database's ``data_version`` this searcher loaded."""
        return self._version

    def collection(self, doc_id: str) -> str | None:
        return self.collection_of.get(doc_id)

    def reloaded(self) -> PgSearcher | None:
        """A new searcher over the same collections (sharing the pool) when documents were written
        since this one loaded, else None. A searcher never changes once loaded: the caller swaps its
        reference, and searches running on the old one finish on a consistent state."""
        with self._pool.connection() as conn:
            if data_version(conn) == self._version:
                return None
        return PgSearcher(self.url, self.settings, self._wanted, self._embedder, pool=self._pool)

    @staticmethod
    def _vectors_of(conn, ids: np.ndarray, dim: int) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, dim), np.float32)
        got = dict(conn.execute("SELECT id, embedding FROM chunks WHERE id = ANY(%s)", (ids.tolist(),)))
        return np.stack([as_array(got[int(i)]) for i in ids])

    # ------------------------------------------------------------------ primitives
    def _row_numbers(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Database chunk ids -> rows; -1 for ids this searcher did not load (written since, deleted
        documents still named by a compacted block, other collections)."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        out = np.full(len(ids), -1, dtype=np.int64)
        known = (ids >= 0) & (ids < len(self._row_by_id))
        out[known] = self._row_by_id[ids[known]]
        return out

    def _rows(self, chunk_ids, values) -> tuple[np.ndarray, np.ndarray]:
        rows = self._row_numbers(chunk_ids)
        keep = rows >= 0
        return rows[keep], np.asarray(values, dtype=np.float32)[keep]

    def _bm25(self, tokens: list[str], plain: bool) -> np.ndarray:
        """The folder index's BM25 (bm25s "lucene") from the query terms' blocks, scored here: N, df
        and avgdl are those of the chunks this reader may see (a single collection scores exactly
        as its folder index would)."""
        n = len(self.chunks)
        terms: dict[str, int] = {}
        for t in tokens:
            terms[t] = terms.get(t, 0) + 1
        if not terms or not n:
            return np.zeros(n, dtype=np.float32)
        index = {t: i for i, t in enumerate(terms)}
        got = self._fetch_blocks(PLAIN if plain else ACCENTED, list(terms))
        if not got:
            return np.zeros(n, dtype=np.float32)
        blocks = [(index[term], *unpack_block(ids, tfs)) for term, ids, tfs in got]
        which = np.concatenate([np.full(len(ids), t, dtype=np.int64) for t, ids, _ in blocks])
        rows = self._row_numbers(np.concatenate([ids for _, ids, _ in blocks]))
        tf = np.concatenate([tfs for _, _, tfs in blocks])
        keep = rows >= 0
        which, rows, tf = which[keep], rows[keep], tf[keep]
        df = np.bincount(which, minlength=len(terms)).astype(np.float64)
        weight = np.asarray(list(terms.values()), dtype=np.float64) * np.log(1 + (n - df + 0.5) / (df + 0.5))
        norm = BM25_K1 * (1 - BM25_B + BM25_B * self._dl[rows] / self._avgdl)
        return np.bincount(rows, weights=weight[which] * tf / (tf + norm), minlength=n).astype(np.float32)

    def _fetch_blocks(self, field: int, terms: list[str]) -> list[tuple[str, bytes, bytes]]:
        """(term, chunk ids, tfs) of every block of ``terms`` in the reader's collections."""
        with self._pool.connection() as conn:
            return conn.execute(_BLOCKS_SQL, (field, terms, self._colls)).fetchall()

    def _dense_search(self, qv: np.ndarray, depth: int, allowed: np.ndarray | None) -> np.ndarray:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(1000, 2 * depth))}")
            if allowed is not None:  # the user's own filters: an exact scan of those chunks
                got = conn.execute(
                    "SELECT id, embedding <=> %s AS d FROM chunks"
                    " WHERE collection_id = ANY(%s) AND id = ANY(%s) ORDER BY d LIMIT %s",
                    (qv, self._colls, self._ids[allowed].tolist(), depth),
                ).fetchall()
            else:
                got = conn.execute(
                    "SELECT id, embedding <=> %s AS d FROM chunks WHERE collection_id = ANY(%s)"
                    " ORDER BY d LIMIT %s",
                    (qv, self._colls, depth),
                ).fetchall()
        got.sort(key=lambda g: (g[1], g[0]))  # iterative scans may return rows slightly out of order
        rows, _ = self._rows([g[0] for g in got], [g[1] for g in got])
        return rows

    def _cosines(self, rows: np.ndarray, qv: np.ndarray) -> np.ndarray:
        ids = self._ids[rows]
        with self._pool.connection() as conn:
            got = dict(
                conn.execute(
                    "SELECT id, 1 - (embedding <=> %s) FROM chunks"
                    " WHERE collection_id = ANY(%s) AND id = ANY(%s)",
                    (qv, self._colls, ids.tolist()),
                )
            )
        return np.asarray([got.get(int(i), 0.0) for i in ids], dtype=np.float32)


def configure_connection(conn) -> None:
    """pgvector types and iterative HNSW scans on a pooled connection (the database is migrated)."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
