"""The two-pass BM25 builder gives exactly bm25s's index (SparseIndex.build) on real token lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.indexing import bm25_build
from retrieval.indexing.bm25_build import TermIds, build_bm25
from retrieval.segment import strip_accents
from retrieval.sparse import SparseIndex


def _tokens_of_sample_plans(limit: int = 400) -> list[list[str]]:
    """Real tokens: every chunk of the sample plans through the real segmenter (underthesea)."""

    from conftest import CORPUS

    from retrieval.chunking import chunk_document, index_text
    from retrieval.ingest import iter_corpus_files, load_document
    from retrieval.segment import SegmentCache
    from retrieval.segment import tokens as bm25_tokens
    from retrieval.structure import parse_document

    seg = SegmentCache(None)
    out = []
    for path in iter_corpus_files(CORPUS):
        if not isinstance(path, Path) or path.stem.upper() == "README":
            continue
        doc = parse_document(load_document(path, CORPUS), path.stem)
        for c in chunk_document(doc, 350):
            out.append(bm25_tokens(seg.words(index_text(doc.title, c))))
    return out[:limit]


def _built(token_lists, folder, plain=False) -> SparseIndex:
    ids = TermIds(folder / "ids")
    for t in token_lists:
        ids.add(t)
    ids.close()
    if plain:
        vocab, mapping = ids.mapped(strip_accents)
        return build_bm25(ids.path, ids.lengths, vocab, mapping)
    return build_bm25(ids.path, ids.lengths, ids.vocab)


@pytest.mark.parametrize("empty_chunks", [False, True])
@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("block", [1 << 22, 300])  # one block, and blocks of a few chunks each
def test_bm25_from_term_ids_equals_bm25s(tmp_path, monkeypatch, empty_chunks, plain, block):
    monkeypatch.setattr(bm25_build, "BLOCK_TOKENS", block)
    corpus = _tokens_of_sample_plans()
    if empty_chunks:  # a chunk without tokens (a table of numbers) must behave as in bm25s too
        corpus = corpus[:5] + [[]] + corpus[5:] + [[]]
    if plain:  # the accent-stripped field: the same ids read through a map
        ref = SparseIndex.build([[strip_accents(t) for t in ts] for ts in corpus])
    else:
        ref = SparseIndex.build(corpus)
    mine = _built(corpus, tmp_path, plain)
    mine.save(tmp_path / "bm25")
    loaded = SparseIndex.load(tmp_path / "bm25", len(corpus))
    assert set(loaded.bm25.vocab_dict) == set(ref.bm25.vocab_dict)
    rng = np.random.default_rng(7)
    vocab = sorted(ref.bm25.vocab_dict)
    assert len(mine.bm25.scores["data"]) == len(ref.bm25.scores["data"])
    queries = [list(rng.choice(vocab, size=int(rng.integers(1, 6)))) for _ in range(60)]
    queries += [["không", "có", "từ_này"], corpus[3][:8]]
    for q in queries:
        a, b = ref.scores(q), loaded.scores(q)
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
        assert (a > 0).sum() == (b > 0).sum()
