"""The PostgreSQL store (server mode) against a real PostgreSQL 18 + pgvector server: the same ranking
as the index folder, collections that a reader cannot cross, incremental imports, a SIGKILL at any
moment leaving each document old or new, several indexers and readers at once, schema versions."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from retrieval.indexing.pg_import import index_into_database
from retrieval.indexing.pg_migrate import migrate_folder
from retrieval.indexing.pgstore import unpack_block
from retrieval.pgsearch import PgSearcher
from retrieval.search import SearchFilters
from retrieval.segment import segment
from retrieval.server.collections import collection_id, create_collection
from retrieval.server.database import SCHEMA_VERSION, DatabaseError, connect, migrate, open_database

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
SECRET = (
    "KẾ HOẠCH\nVề phương án bảo vệ kho lưu trữ tài liệu mật năm 2025\n\n"
    "I. MỤC ĐÍCH\nMã khóa phòng lưu trữ số hai được đổi vào ngày 17 tháng 3 hằng năm "
    "do đồng chí Trưởng phòng Hành chính trực tiếp giữ chìa khóa dự phòng.\n"
)


def _questions(n: int | None = None) -> list[str]:
    rows = [
        json.loads(line) for line in (ROOT / "eval/questions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return [r["question"] for r in rows if r.get("question")][:n]


def _top(searcher, q: str) -> list[str]:
    return [h.chunk.chunk_id for h in searcher.search(q, k=5)]


@pytest.mark.slow
def test_database_ranks_like_the_folder_index(pg_url, sample_index, searcher, real_settings, real_embedder):
    report = migrate_folder(sample_index, pg_url, "mau")
    assert report.ok, (report.folder, report.database)
    assert report.database.chunks == len(searcher.chunks) and report.database.documents == len(
        searcher.documents
    )
    pg = PgSearcher(pg_url, real_settings, None, real_embedder)
    try:
        assert [c.chunk_id for c in pg.chunks] == [c.chunk_id for c in searcher.chunks]
        for q in ("kế hoạch tuyên truyền năm 2020", "bao cao 6 thang gui truoc ngay nao"):
            for plain in (False, True):
                toks = segment(q).plain if plain else segment(q).accented
                assert np.allclose(pg._bm25(toks, plain), searcher._bm25(toks, plain), atol=1e-4)
        questions = _questions()
        same = [
            [h.chunk.chunk_id for h in pg.search(q, k=5)]
            == [h.chunk.chunk_id for h in searcher.search(q, k=5)]
            for q in questions
        ]
        assert sum(same) >= 0.97 * len(questions), f"{sum(same)}/{len(questions)} identical top 5"
    finally:
        pg.close()


@pytest.mark.slow
def test_a_reader_never_gets_a_chunk_of_a_collection_not_granted(
    pg_url, sample_index, real_settings, real_embedder, tmp_path
):
    migrate_folder(sample_index, pg_url, "mau")
    secret_dir = tmp_path / "mat"
    secret_dir.mkdir()
    (secret_dir / "phuong-an.txt").write_text(SECRET, encoding="utf-8")
    with connect(pg_url) as conn:
        create_collection(conn, "mat", "Tài liệu mật", confidential=True)
        open_ids = (collection_id(conn, "mau"),)
    index_into_database(secret_dir, pg_url, "mat", real_settings, real_embedder)
    question = "Mã khóa phòng lưu trữ số hai được đổi vào ngày nào?"

    admin = PgSearcher(pg_url, real_settings, None, real_embedder)
    reader = PgSearcher(pg_url, real_settings, open_ids, real_embedder)
    try:
        secret_docs = {d for d in admin.documents if d.startswith("mat/")}
        assert secret_docs, "the confidential document was not indexed"
        assert admin.search(question, k=1)[0].chunk.doc_id in secret_docs  # the test can fail
        assert not secret_docs & set(reader.documents)
        assert not {c.doc_id for c in reader.chunks} & secret_docs
        for mode in ("bm25", "dense", "hybrid"):
            for q in (question, SECRET, "ma khoa phong luu tru so hai"):
                hits = reader.search(q, k=50, mode=mode)
                assert not {h.chunk.doc_id for h in hits} & secret_docs, (mode, q)
        assert reader.search(question, k=5, filters=SearchFilters(doc_ids=tuple(secret_docs))) == []
        # the SQL itself is limited: the database ids of the secret chunks never come back as rows
        assert len(reader._bm25(segment(question).accented, False)) == len(reader.chunks)
        assert len(reader._dense_search(real_embedder.embed_queries([question])[0], 500, None)) == len(
            reader.chunks
        )
    finally:
        admin.close()
        reader.close()


def _write_corpus(folder: Path, extra: str = "") -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "corpus").glob("0*.txt")):
        (folder / path.name).write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    from retrieval.indexer import file_sha256

    return {p.name: file_sha256(p) for p in folder.iterdir()}


def test_import_is_incremental_by_content_hash(pg_url, fake_settings, fake_embedder, tmp_path):
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    with connect(pg_url) as conn:
        create_collection(conn, "mau")
    first = index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    assert len(first.added) == 5 and first.n_documents == 5 and first.n_chunks > 0
    again = index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    assert len(again.unchanged) == 5 and not again.written
    name = sorted(p.name for p in corpus.iterdir())[0]
    with (corpus / name).open("a", encoding="utf-8") as fh:
        fh.write("\nPhụ lục: danh sách các đơn vị phối hợp thực hiện kế hoạch.\n")
    (corpus / sorted(p.name for p in corpus.iterdir())[1]).unlink()
    third = index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    assert third.updated == [name] and len(third.removed) == 1 and third.n_documents == 4
    with connect(pg_url) as conn:
        n_chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert n_chunks == third.n_chunks
        chunks_of = defaultdict(set)
        for doc_id, cid in conn.execute("SELECT doc_id, id FROM chunks"):
            chunks_of[doc_id].add(cid)
        for doc_id, ids, tfs in conn.execute(
            "SELECT doc_id, chunk_ids, tfs FROM term_blocks WHERE doc_id IS NOT NULL"
        ):  # a document's own BM25 rows name its current chunks only
            assert set(unpack_block(ids, tfs)[0].tolist()) <= chunks_of[doc_id], doc_id


WORKER = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from pathlib import Path
from conftest import FakeEmbedder
from retrieval import embedding, indexer
from retrieval.indexing.pg_import import index_into_database
from retrieval.settings import Settings
for m in (embedding, indexer):
    m.expected_checksum = lambda s: FakeEmbedder.checksum
s = Settings(cache_dir=Path(sys.argv[3]), embed_model="fake")
print("START", flush=True)
index_into_database(Path(sys.argv[1]), sys.argv[2], sys.argv[4], s, FakeEmbedder(),
                    progress=lambda source, n, total: print("FILE", n, flush=True))
print("DONE", flush=True)
"""


def _worker(tmp_path: Path, corpus: Path, url: str, collection: str) -> subprocess.Popen:
    script = tmp_path / "pg_worker.py"
    script.write_text(WORKER.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(corpus), url, str(tmp_path / "cache"), collection],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_consistent(url: str, allowed: dict[str, set[str]]) -> None:
    """Every document is whole (its chunks and BM25 postings all there) and is one of its allowed
    versions."""
    with connect(url) as conn:
        posted = {
            int(i)
            for ids, tfs in conn.execute("SELECT chunk_ids, tfs FROM term_blocks")
            for i in unpack_block(ids, tfs)[0]
        }
        for source, sha, n_chunks, ids in conn.execute(
            "SELECT d.source, d.sha256, d.n_chunks,"
            " array(SELECT c.id FROM chunks c WHERE c.doc_id = d.doc_id) FROM documents d"
        ):
            unposted = set(ids) - posted
            assert sha in allowed[source], source
            assert len(ids) == n_chunks and not unposted, (source, len(ids), n_chunks, unposted)


def test_new_parsing_rules_parse_each_collection_again(
    pg_url, fake_settings, fake_embedder, tmp_path, monkeypatch
):
    """An upgrade that reads documents differently (STRUCTURE_VERSION) parses every file of a
    collection again on its next import, once, collection by collection — the folder index does the
    same; a new model is still refused."""
    from retrieval.indexing import pgstore

    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    with connect(pg_url) as conn:
        create_collection(conn, "cu")
        create_collection(conn, "moi")
    index_into_database(corpus, pg_url, "cu", fake_settings, fake_embedder)
    index_into_database(corpus, pg_url, "moi", fake_settings, fake_embedder)
    monkeypatch.setattr(pgstore, "STRUCTURE_VERSION", "structure-test")
    first = index_into_database(corpus, pg_url, "cu", fake_settings, fake_embedder)
    assert len(first.updated) == 5 and not first.unchanged and first.n_documents == 5
    again = index_into_database(corpus, pg_url, "cu", fake_settings, fake_embedder)
    assert len(again.unchanged) == 5 and not again.written
    other = index_into_database(corpus, pg_url, "moi", fake_settings, fake_embedder)
    assert len(other.updated) == 5  # the other collection still had the old parse
    monkeypatch.setattr(fake_embedder, "checksum", "another-model")
    with pytest.raises(DatabaseError, match="cấu hình khác"):
        index_into_database(corpus, pg_url, "cu", fake_settings, fake_embedder)


def test_sigkill_during_import_leaves_each_document_old_or_new(
    pg_url, fake_settings, fake_embedder, tmp_path
):
    corpus = tmp_path / "corpus"
    old = _write_corpus(corpus)
    with connect(pg_url) as conn:
        create_collection(conn, "mau")
    index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    rng = random.Random(7)
    for round_ in range(4):
        with connect(pg_url) as conn:
            before = dict(conn.execute("SELECT source, sha256 FROM documents").fetchall())
        assert before == old or round_ > 0
        new = _write_corpus(
            corpus, f"\nBổ sung lần {round_}: " + "các chi bộ báo cáo kết quả thực hiện. " * 200
        )
        proc = _worker(tmp_path, corpus, pg_url, "mau")
        assert proc.stdout.readline().strip() == "START", proc.stderr.read()
        target = f"FILE {rng.randint(1, 5)}"  # killed while reading, embedding or writing that file
        while (line := proc.stdout.readline()) and line.strip() != target:
            pass
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _check_consistent(pg_url, {k: {before[k], new[k]} for k in new})
        pg = PgSearcher(pg_url, fake_settings, None, fake_embedder)
        assert pg.search("báo cáo kết quả", k=3)
        pg.close()
    finished = index_into_database(corpus, pg_url, "mau", fake_settings, fake_embedder)
    assert finished.n_documents == 5
    _check_consistent(pg_url, {k: {v} for k, v in new.items()})


def test_several_indexers_and_readers_at_once(pg_url, fake_settings, fake_embedder, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shas_a = _write_corpus(a)
    shas_b = _write_corpus(b, "\nBản của bộ sưu tập thứ hai.\n")
    with connect(pg_url) as conn:
        create_collection(conn, "mot")
        create_collection(conn, "hai")
    index_into_database(a, pg_url, "mot", fake_settings, fake_embedder)
    current = [PgSearcher(pg_url, fake_settings, None, fake_embedder)]  # swapped as documents arrive
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                newer = current[0].reloaded()
                if newer is not None:
                    current[0] = newer
                current[0].search("kế hoạch tuyên truyền", k=5)
            except BaseException as exc:  # noqa: BLE001 - any error fails the test
                errors.append(exc)
                return

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    procs = [_worker(tmp_path, b, pg_url, "hai") for _ in range(2)] + [_worker(tmp_path, a, pg_url, "mot")]
    outs = [p.communicate(timeout=240) for p in procs]
    stop.set()
    for t in threads:
        t.join()
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    assert not errors, errors
    _check_consistent(pg_url, {k: {v, shas_a[k]} for k, v in shas_b.items()})
    reader = current[0].reloaded() or current[0]
    assert len(reader.documents) == 10
    reader.close()


def test_schema_version_is_checked(pg_server):
    url = pg_server.create_database("t_schema_check")
    with pytest.raises(DatabaseError, match="tracuu db upgrade"):
        open_database(url)
    assert migrate(url, upto=2) == [1, 2]  # the step a running older database takes
    with pytest.raises(DatabaseError, match="tracuu db upgrade"):
        open_database(url)
    assert migrate(url) == list(range(3, SCHEMA_VERSION + 1)) and migrate(url) == []
    open_database(url).close()
    with connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")
    with pytest.raises(DatabaseError, match="mới hơn"):
        open_database(url)
    with pytest.raises(DatabaseError, match="mới hơn"):
        migrate(url)


@pytest.mark.slow
def test_cli_migrate_exports_the_folder_index_with_nothing_lost(pg_url, sample_index, monkeypatch):
    from typer.testing import CliRunner

    from retrieval.cli import app

    for key in [k for k in __import__("os").environ if k.startswith("TRACUU_") and k != "TRACUU_CACHE_DIR"]:
        monkeypatch.delenv(key)
    result = CliRunner().invoke(app, ["migrate", "--to", pg_url, "--index-dir", str(sample_index)])
    assert result.exit_code == 0, result.output
    assert "Khớp hoàn toàn" in result.output
    with connect(pg_url) as conn:
        n_docs, n_chunks = conn.execute("SELECT count(*), sum(n_chunks) FROM documents").fetchone()
    from retrieval import store

    manifest = store.read_manifest(sample_index)
    assert (n_docs, n_chunks) == (manifest["counts"]["documents"], manifest["counts"]["chunks"])
    again = CliRunner().invoke(app, ["migrate", "--to", pg_url, "--index-dir", str(sample_index)])
    assert again.exit_code == 0 and "Khớp hoàn toàn" in again.output  # re-running replaces, never doubles
    folder = CliRunner().invoke(app, ["docs", "--json", "--index-dir", str(sample_index)])
    monkeypatch.setenv("TRACUU_DATABASE_URL", pg_url)
    database = CliRunner().invoke(app, ["docs", "--json"])
    assert folder.exit_code == database.exit_code == 0, database.output
    assert json.loads(database.output) == json.loads(folder.output)  # the same catalogue from either store


def test_an_unreachable_or_empty_database_is_a_clear_error(pg_url, fake_settings, fake_embedder, tmp_path):
    from retrieval.store import IndexMissingError

    t0 = time.monotonic()
    with pytest.raises(DatabaseError, match="Không kết nối được cơ sở dữ liệu"):
        PgSearcher(f"postgresql://postgres@/khong_co?host={tmp_path}", fake_settings, None, fake_embedder)
    assert time.monotonic() - t0 < 10  # said at once, not after a connection pool's timeout
    with pytest.raises(IndexMissingError, match="chưa có văn bản"):
        PgSearcher(pg_url, fake_settings, None, fake_embedder)
