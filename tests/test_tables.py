"""A searcher reads its generation from the files (indexing/tables.py): the same chunks, documents,
BM25 scores and vectors as the in-memory loaders, and still readable after a re-index removed them."""

from __future__ import annotations

import json
import os

import numpy as np

from retrieval import store
from retrieval.indexer import build_index
from retrieval.indexing.tables import ChunkTable, DocumentTable, LineTable, lights
from retrieval.search import Searcher
from retrieval.sparse import DiskPostings, SparseIndex


def _gen(settings):
    return store.generation_dir(settings.index_dir, store.read_manifest(settings.index_dir))


def test_tables_equal_the_in_memory_loaders(corpus_copy, fake_settings, fake_embedder):
    build_index(corpus_copy, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    gen = _gen(fake_settings)
    chunks, docs = store.load_chunks(gen), store.load_documents(gen)
    table = ChunkTable(gen / "chunks.jsonl", cache=3)
    assert len(table) == len(chunks) > 10
    assert list(table) == chunks
    for i in (0, len(chunks) - 1, 5, 5, 2, -1):  # cached, evicted, negative
        assert table[i] == chunks[i]
    assert table[2:5] == chunks[2:5]
    dt = DocumentTable(gen / "documents.jsonl", cache=2)
    assert set(dt) == set(docs) and len(dt) == len(docs)
    for doc_id, doc in docs.items():
        assert dt.text(doc_id) == doc.text and dt[doc_id] == doc and doc_id in dt
        light = dt.light(doc_id)
        assert light.text == "" and light.metadata == doc.metadata and light.title == doc.title
    assert [d.doc_id for d in lights(dt)] == list(docs)
    assert list(lights(docs)) == list(docs.values())  # a plain dict: its own values
    tokens = [
        json.loads(line)["t"] for line in (gen / "tokens.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    for field in ("bm25_acc", "bm25_plain"):
        mem, disk = SparseIndex.load(gen / field, len(chunks)), DiskPostings(gen / field, len(chunks))
        for t in tokens[::7]:
            q = t[:12] + t[:2] + ["không_có_từ_này"]
            if field == "bm25_plain":
                q = [store_strip(x) for x in q]
            np.testing.assert_allclose(disk.scores(q), mem.scores(q), rtol=1e-5, atol=1e-6)
        assert not disk.scores(["không_có_từ_này"]).any()


def store_strip(token: str) -> str:
    from retrieval.segment import strip_accents

    return strip_accents(token)


def test_line_table_without_a_last_newline_and_empty(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n{"b": "\xc4\x91"}')
    t = LineTable(p)
    assert len(t) == 2 and t.line(1) == b'{"b": "\xc4\x91"}' and list(t.iter_lines())[0] == b'{"a": 1}\n'
    (tmp_path / "e.jsonl").write_bytes(b"")
    assert len(LineTable(tmp_path / "e.jsonl")) == 0


def test_a_searcher_reads_its_generation_after_a_reindex_removed_it(
    corpus_copy, fake_settings, fake_embedder
):
    build_index(corpus_copy, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    old_gen = _gen(fake_settings)
    s = Searcher.load(fake_settings.index_dir, fake_settings, fake_embedder)
    before = [(h.chunk.chunk_id, h.display_text) for h in s.search("báo cáo kết quả thực hiện", k=5)]
    victim = sorted(corpus_copy.iterdir())[0]
    victim.unlink()
    build_index(corpus_copy, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    assert not old_gen.exists()  # the cleanup removed it: only open descriptors keep it readable
    after = [(h.chunk.chunk_id, h.display_text) for h in s.search("báo cáo kết quả thực hiện", k=5)]
    assert after == before and all(text for _, text in after)
    assert all(s.document(d).text for d in list(s.documents)[:3])
    fds = len(os.listdir("/proc/self/fd"))
    del s
    import gc

    gc.collect()
    assert len(os.listdir("/proc/self/fd")) < fds  # a dropped searcher closes its files


def test_a_postings_budget_scores_the_rarest_terms(corpus_copy, fake_settings, fake_embedder):
    build_index(corpus_copy, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    gen = _gen(fake_settings)
    n = len(store.load_chunks(gen))
    full = DiskPostings(gen / "bm25_acc", n, budget=None)
    df = {t: int(full.indptr[i + 1] - full.indptr[i]) for t, i in full.vocab.items()}
    query = ["báo", "cáo", "kết", "quả", "báo|cáo", "của", "và", "báo"]
    query = [t for t in query if t in df]
    rare = sorted(set(query), key=lambda t: (df[t], full.vocab[t]))
    budget = df[rare[0]] + df[rare[1]]  # room for the two rarest terms only
    small = DiskPostings(gen / "bm25_acc", n, budget=budget)
    ids, counts = small.terms(query)
    assert ids == [full.vocab[t] for t in rare[:2]]
    assert counts == [query.count(t) for t in rare[:2]]
    kept = [t for t in query if t in rare[:2]]
    np.testing.assert_allclose(small.scores(query), full.scores(kept), rtol=1e-6)
    assert DiskPostings(gen / "bm25_acc", n, budget=1).terms(query)[0] == [full.vocab[rare[0]]]  # never none
    assert len(full.terms(query)[0]) == len(set(query))  # no budget: every term


def test_tables_shared_by_threads(corpus_copy, fake_settings, fake_embedder):
    """One searcher serves every session of the app: its small caches are read from several threads."""
    from concurrent.futures import ThreadPoolExecutor

    build_index(corpus_copy, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    gen = _gen(fake_settings)
    chunks, docs = store.load_chunks(gen), store.load_documents(gen)
    table, dt = ChunkTable(gen / "chunks.jsonl", cache=2), DocumentTable(gen / "documents.jsonl", cache=1)
    ids = list(docs)

    def work(seed: int) -> bool:
        rng = np.random.default_rng(seed)
        for _ in range(300):
            i = int(rng.integers(len(chunks)))
            d = ids[int(rng.integers(len(ids)))]
            if table[i] != chunks[i] or dt.text(d) != docs[d].text or dt[d] != docs[d]:
                return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))
