"""The one place that picks the store from settings: the index folder (embedded, the default) or
PostgreSQL + pgvector (``TRACUU_DATABASE_URL``). Both give a ``Searcher`` (retrieval/search.py)."""

from __future__ import annotations

from retrieval.embedding import Embedder
from retrieval.search import Searcher
from retrieval.settings import Settings


def server_mode(settings: Settings) -> bool:
    return bool(settings.database_url)


def open_searcher(
    settings: Settings,
    embedder: Embedder | None = None,
    collections: tuple[int, ...] | None = None,
    pool=None,
) -> Searcher:
    """The searcher of the configured store. In server mode, ``collections``: the collection ids the
    reader may see (None: all of them, for the administrator and command-line tools); ``pool``: a
    shared connection pool (the app's), else the searcher opens its own."""
    if settings.database_url:
        from retrieval.pgsearch import PgSearcher

        return PgSearcher(settings.database_url, settings, collections, embedder, pool=pool)
    return Searcher.load(settings.index_dir, settings, embedder)
