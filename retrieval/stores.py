"""The one place that picks the store from settings: the index folder (embedded, the default) or
PostgreSQL + pgvector (``TRACUU_DATABASE_URL``). Both give a ``Searcher`` (retrieval/search.py)."""

from __future__ import annotations

from retrieval.embedding import Embedder
from retrieval.search import Searcher
from retrieval.settings import Settings


def server_mode(settings: Settings) -> bool:
    return bool(settings.database_url)


def open_searcher(
    settings: Settings, embedder: Embedder | None = None, collections: tuple[int, ...] | None = None
) -> Searcher:
    """The searcher of the configured store. ``collections``: in server mode, the collection ids the
    reader may see (None: all of them, for the administrator and command-line tools)."""
    if settings.database_url:
        from retrieval.pgsearch import PgSearcher

        return PgSearcher(settings.database_url, settings, collections, embedder)
    return Searcher.load(settings.index_dir, settings, embedder)
