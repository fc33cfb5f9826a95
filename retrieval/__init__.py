"""tracuu: Vietnamese semantic search and RAG over Party and government plan documents."""

__version__ = "0.1.0"
