"""BM25 blocks in PostgreSQL (schema 4): scores stay those of a folder index of the same documents
through rewrites, removals and compaction; compaction drops what no longer exists; a schema-3
database (one posting row per term and chunk) upgrades to blocks with the same scores."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from retrieval import store
from retrieval.indexer import build_index, read_entries
from retrieval.indexing.pg_import import index_into_database
from retrieval.indexing.pg_upkeep import compact, upkeep
from retrieval.indexing.pgstore import postings_of, unpack_block
from retrieval.pgsearch import PgSearcher
from retrieval.search import Searcher
from retrieval.segment import segment
from retrieval.server.collections import collection_id, create_collection
from retrieval.server.database import connect, migrate

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
QUERIES = (
    "kế hoạch tuyên truyền năm 2020",
    "báo cáo 6 tháng gửi trước ngày nào",
    "bao cao ket qua thuc hien chi thi",
    "Ban Thường vụ Tỉnh ủy",
)


def _corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "corpus").glob("0*.txt")):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


def _scores(searcher) -> dict[tuple, float]:
    """Every chunk's BM25 score for each query and field, keyed by (query, field, source, start)."""
    out = {}
    for q in QUERIES:
        for plain in (False, True):
            toks = segment(q).plain if plain else segment(q).accented
            for c, s in zip(searcher.chunks, searcher._bm25(toks, plain), strict=True):
                out[(q, plain, c.source, c.start)] = float(s)
    return out


def _assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    diff = max(abs(got[k] - want[k]) for k in want)
    assert diff < 1e-4, diff
    assert sum(v > 0 for v in want.values()) > 100  # the queries match: the comparison can fail


def _blocks(conn, cid: int) -> list[tuple]:
    return conn.execute(
        "SELECT field, term, doc_id, chunk_ids, tfs FROM term_blocks WHERE collection_id = %s", (cid,)
    ).fetchall()


def test_scores_match_a_folder_index_through_rewrites_and_compaction(
    pg_url, fake_settings, fake_embedder, tmp_path
):
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    with connect(pg_url) as conn:
        create_collection(conn, "mau")
        create_collection(conn, "khac")  # another collection: its chunks change nothing for "mau"
        cid = collection_id(conn, "mau")
    index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Kế hoạch tuyên truyền năm 2020 của Ban Thường vụ.\n" * 30, encoding="utf-8")
    index_into_database(other, pg_url, "khac", fake_settings, fake_embedder)
    with connect(pg_url, autocommit=True) as conn:
        assert compact(conn, cid, force=True) is not None
    # rewrite one document and remove another: the compacted blocks now name chunks that are gone
    names = sorted(p.name for p in corpus.iterdir())
    with (corpus / names[0]).open("a", encoding="utf-8") as fh:
        fh.write("\nPhụ lục: báo cáo kết quả tuyên truyền gửi trước ngày 15 tháng 6.\n")
    (corpus / names[1]).unlink()
    index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)

    build_index(corpus, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    want = _scores(Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder))
    with connect(pg_url) as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM chunks WHERE collection_id = %s", (cid,))}
        dead = [i for *_, b, t in _blocks(conn, cid) for i in unpack_block(b, t)[0] if int(i) not in ids]
        per_doc = sum(d is not None for _, _, d, _, _ in _blocks(conn, cid))
    assert dead and per_doc, "the state under test: compacted blocks with gone chunks, new per-document rows"
    before = PgSearcher(pg_url, fake_settings, (cid,), fake_embedder)
    try:
        _assert_same(_scores(before), want)
    finally:
        before.close()

    done = upkeep(pg_url, force=True).compactions
    assert {c.collection_id for c in done} >= {cid} and any(c.dropped_postings for c in done)
    with connect(pg_url) as conn:
        rows = _blocks(conn, cid)
        keys = Counter((f, t) for f, t, *_ in rows)
        assert max(keys.values()) == 1 and all(d is None for _, _, d, _, _ in rows)
        assert all(int(i) in ids for *_, b, t in rows for i in unpack_block(b, t)[0])
    after = PgSearcher(pg_url, fake_settings, (cid,), fake_embedder)
    try:
        _assert_same(_scores(after), want)
    finally:
        after.close()


def _write_schema3(conn, cid: int, entries) -> None:
    """The schema-3 writer's rows (documents, chunks, one posting row per term and chunk)."""
    for e in entries:
        d = e.doc
        conn.execute(
            "INSERT INTO documents (doc_id, collection_id, source, sha256, data, n_chunks)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (d.doc_id, cid, d.source, d.sha256, json.dumps(d.to_json()), len(e.chunks)),
        )
        for ord_, (chunk, toks, vec) in enumerate(zip(e.chunks, e.tokens, e.vectors, strict=True)):
            (chunk_id,) = conn.execute(
                "INSERT INTO chunks (doc_id, collection_id, ord, data, n_tokens, embedding)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (d.doc_id, cid, ord_, json.dumps(chunk.to_json()), max(1, len(toks)), np.asarray(vec)),
            ).fetchone()
            with (
                conn.cursor() as cur,
                cur.copy("COPY postings (field, term, chunk_id, collection_id, tf, dl) FROM STDIN") as cp,
            ):
                for field, term, tf in postings_of(toks):
                    cp.write_row((field, term, chunk_id, cid, tf, max(1, len(toks))))


def test_a_schema_3_database_upgrades_to_blocks_with_the_same_scores(
    pg_server, fake_settings, fake_embedder, tmp_path
):
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    build_index(corpus, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    folder = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    manifest = store.read_manifest(fake_settings.index_dir)
    entries = read_entries(store.generation_dir(fake_settings.index_dir, manifest))

    url = pg_server.create_database("t_schema3_upgrade")
    assert migrate(url, upto=3) == [1, 2, 3]
    with connect(url) as conn:
        cid = create_collection(conn, "mau")
        conn.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({len(entries[0].vectors[0])})")
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('model', %s)",
            (json.dumps(_model_record(manifest)),),
        )
        _write_schema3(conn, cid, entries)
        n_postings = conn.execute("SELECT count(*) FROM postings").fetchone()[0]
        conn.commit()
    from typer.testing import CliRunner

    from retrieval.server.admin_cli import db_app

    got = CliRunner().invoke(db_app, ["upgrade", "--database", url])  # what an operator runs
    assert got.exit_code == 0 and "Đã áp dụng phiên bản lược đồ: 4" in got.stdout, got.output
    assert "mô hình khôi phục dấu cho 1 bộ sưu tập" in got.stdout  # the upkeep ran after it
    with connect(url) as conn:
        assert conn.execute("SELECT to_regclass('postings')").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM accent_models").fetchone()[0] == 1
        stored = sum(len(unpack_block(b, t)[0]) for *_, b, t in _blocks(conn, cid))
    assert stored == n_postings
    pg = PgSearcher(url, fake_settings, None, fake_embedder)
    try:
        _assert_same(_scores(pg), _scores(folder))
    finally:
        pg.close()


def _model_record(manifest: dict) -> dict:
    from retrieval.indexing.pg_migrate import _model

    return _model(manifest).to_json()


def test_accent_models_are_stored_per_collection_and_merged_for_a_reader(
    pg_url, fake_settings, fake_embedder, tmp_path
):
    corpus, other = tmp_path / "corpus", tmp_path / "other"
    _corpus(corpus)
    other.mkdir()
    text = "Quyết định hỗ trợ thuyền buồm và giống xoài cho hộ khuyến nông.\n" * 20
    (other / "x.txt").write_text(text, encoding="utf-8")
    with connect(pg_url) as conn:
        one, two = create_collection(conn, "mot"), create_collection(conn, "hai")
    index_into_database(corpus, pg_url, "mot", fake_settings, fake_embedder)  # ends with the upkeep
    index_into_database(other, pg_url, "hai", fake_settings, fake_embedder)
    build_index(corpus, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    folder = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    with connect(pg_url) as conn:
        stored = dict(conn.execute("SELECT collection_id, model FROM accent_models").fetchall())
    assert set(stored) == {one, two}
    assert stored[one] == folder.accents.to_json()  # the folder index's own counts

    reader = PgSearcher(pg_url, fake_settings, (one,), fake_embedder)
    both = PgSearcher(pg_url, fake_settings, (one, two), fake_embedder)
    try:
        assert reader.accents.to_json() == stored[one]
        assert "xoai" in both.accents.unigrams and "xoai" not in reader.accents.unigrams
        assert both.accents.restore("thuyen buom va giong xoai") == "thuyền buồm và giống xoài"
        assert reader.accents.restore("bao cao ket qua") == folder.accents.restore("bao cao ket qua")
    finally:
        reader.close()
        both.close()
    # a small collection's model follows every change
    assert "chuong" not in stored[two]["unigrams"]
    with (other / "x.txt").open("a", encoding="utf-8") as fh:
        fh.write("Tặng kỷ niệm chương cho ngư dân.\n")
    index_into_database(other, pg_url, "hai", fake_settings, fake_embedder)
    with connect(pg_url) as conn:
        model = conn.execute("SELECT model FROM accent_models WHERE collection_id = %s", (two,)).fetchone()[0]
    assert "chương" in model["unigrams"]["chuong"]


def test_db_upkeep_command_compacts_and_recounts(pg_url, fake_settings, fake_embedder, tmp_path):
    from typer.testing import CliRunner

    from retrieval.server.admin_cli import db_app

    corpus = tmp_path / "corpus"
    _corpus(corpus)
    with connect(pg_url) as conn:
        cid = create_collection(conn, "mau")
    index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    (corpus / sorted(p.name for p in corpus.iterdir())[0]).unlink()
    index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    got = CliRunner().invoke(db_app, ["upkeep", "--force", "--database", pg_url])
    assert got.exit_code == 0, got.output
    assert "Bộ sưu tập 'mau': nén" in got.stdout and "đếm lại mô hình khôi phục dấu" in got.stdout
    with connect(pg_url) as conn:
        assert all(d is None for _, _, d, _, _ in _blocks(conn, cid))
    again = CliRunner().invoke(db_app, ["upkeep", "--database", pg_url])
    assert again.exit_code == 0 and "Không bộ sưu tập nào cần" in again.stdout


def test_compaction_runs_beside_writers_and_readers(pg_url, fake_settings, fake_embedder, tmp_path):
    """Compactions forced in a loop while an indexer rewrites documents and readers search: nobody
    fails, nothing deadlocks, and the end state scores like a folder index of the final files."""
    import threading

    corpus = tmp_path / "corpus"
    _corpus(corpus)
    with connect(pg_url) as conn:
        cid = create_collection(conn, "mau")
    index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    names = sorted(p.name for p in corpus.iterdir())
    errors: list[BaseException] = []
    stop = threading.Event()
    compactions = [0]

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - any error fails the test
                errors.append(exc)
                stop.set()

        return threading.Thread(target=run)

    def write():
        for round_ in range(4):
            with (corpus / names[round_ % len(names)]).open("a", encoding="utf-8") as fh:
                fh.write(f"\nBổ sung lần {round_}: báo cáo kết quả gửi trước ngày {round_ + 10}.\n")
            index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
        stop.set()

    def compact_loop():
        with connect(pg_url, autocommit=True) as conn:
            while not stop.is_set():
                compact(conn, cid, force=True)
                compactions[0] += 1

    def read():
        searcher = PgSearcher(pg_url, fake_settings, (cid,), fake_embedder)
        try:
            while not stop.is_set():
                searcher = searcher.reloaded() or searcher
                assert searcher.search("báo cáo kết quả tuyên truyền", k=5)
        finally:
            searcher.close()

    threads = [guard(write), guard(compact_loop), guard(read), guard(read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    assert compactions[0] >= 2
    build_index(corpus, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    want = _scores(Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder))
    final = PgSearcher(pg_url, fake_settings, (cid,), fake_embedder)
    try:
        _assert_same(_scores(final), want)
    finally:
        final.close()


def test_each_document_of_an_import_is_committed_on_its_own(
    pg_url, fake_settings, fake_embedder, tmp_path, monkeypatch
):
    """Readers see an import's documents one by one (each its own transaction, not savepoints of one
    transaction left open by the import's first SELECT); a connection inside a transaction is refused."""
    from retrieval.indexing import pg_import, pgstore

    corpus = tmp_path / "corpus"
    _corpus(corpus)
    with connect(pg_url) as conn:
        cid = create_collection(conn, "mau")
    seen: list[int] = []
    real_put = pgstore.put_document

    def counting_put(conn, collection, entry):
        with connect(pg_url) as other:
            seen.append(other.execute("SELECT count(*) FROM documents").fetchone()[0])
        return real_put(conn, collection, entry)

    monkeypatch.setattr(pg_import, "put_document", counting_put)
    report = index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    assert len(report.added) == 5 and seen == [0, 1, 2, 3, 4]
    with connect(pg_url) as conn:
        conn.execute("SELECT 1")  # an implicit transaction is now open
        with pytest.raises(RuntimeError, match="outside any transaction"):
            pgstore.remove_document(conn, cid, report.added[0])
