"""The PostgreSQL store's write speed on real documents, for this tree or another one (issue 11).

    .venv/bin/python eval/pg_write_bench.py --index /tmp/real-index --label new
    PYTHONPATH=/path/to/older/checkout .venv/bin/python eval/pg_write_bench.py --index /tmp/real-index \\
        --label old --out-dir /tmp                   # the same measurement on an earlier schema

A folder index (documents, chunks, tokens, vectors already there) is copied into a fresh database with
``migrate_folder`` — one transaction per document, nothing embedded — and the write loop is timed
(from the first document's commit to the last), then the BM25 rows it produced are counted: one row
per term and chunk (schema ≤ 3, ``postings``) or per term and document (schema 4, ``term_blocks``).
Real documents hold many chunks each; the replicated ALQAC articles of ``pg_bench.py`` hold one or two.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True, help="a folder index (tracuu index … --index-dir)")
    p.add_argument("--label", required=True)
    p.add_argument("--repeat", type=int, default=2, help="fresh databases written, best time kept")
    p.add_argument("--out-dir", type=Path, default=HERE / "results")
    args = p.parse_args()

    import retrieval
    from retrieval.indexing.pg_migrate import migrate_folder
    from retrieval.server.database import SCHEMA_VERSION, LocalServer, connect, migrate

    runs = []
    with tempfile.TemporaryDirectory(prefix="pgwrite-") as tmp:
        server = LocalServer(Path(tmp) / "pgdata")
        try:
            for i in range(args.repeat):
                url = server.create_database(f"pgwrite_{i}")
                migrate(url)
                marks: list[float] = []
                t0 = time.perf_counter()
                tick = marks.append
                report = migrate_folder(
                    args.index, url, "real", progress=lambda n, t, m=tick: m(time.perf_counter())
                )
                total = time.perf_counter() - t0
                with connect(url) as conn:
                    q = conn.execute
                    blocks = q("SELECT to_regclass('term_blocks') IS NOT NULL").fetchone()[0]
                    rows = q(f"SELECT count(*) FROM {'term_blocks' if blocks else 'postings'}").fetchone()[0]
                    size = q("SELECT pg_database_size(current_database())").fetchone()[0]
                write_s = marks[-1] - marks[0] if len(marks) > 1 else total
                runs.append(
                    {
                        "documents": report.database.documents,
                        "chunks": report.database.chunks,
                        "postings": report.database.postings,
                        "bm25_rows_after_import": rows,
                        "write_s": write_s,
                        "documents_after_first": len(marks) - 1,
                        "chunks_per_s": report.database.chunks * (len(marks) - 1) / len(marks) / write_s,
                        "import_total_s": total,
                        "database_bytes": size,
                        "check_ok": report.ok,
                    }
                )
                print(json.dumps(runs[-1]))
        finally:
            server.stop()
    best = min(runs, key=lambda r: r["write_s"])
    out = {
        "label": args.label,
        "code": str(Path(retrieval.__file__).parent),
        "schema_version": SCHEMA_VERSION,
        "index": str(args.index),
        "runs": runs,
        "best": best,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    path = args.out_dir / f"pg_write_{args.label}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    print(
        f"{args.label} (schema {SCHEMA_VERSION}): {best['documents']} documents, {best['chunks']} chunks, "
        f"{best['chunks_per_s']:.0f} chunks/s, {best['bm25_rows_after_import']:,} BM25 rows → {path}"
    )


if __name__ == "__main__":
    main()
