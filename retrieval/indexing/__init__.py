"""Indexing helpers: progress reporting for long imports (the indexer itself: retrieval/indexer.py)."""
