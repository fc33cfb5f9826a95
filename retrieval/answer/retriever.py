"""LangChain retriever over the tracuu searcher, and the conversions hit <-> Document <-> Passage.

``TracuuRetriever(searcher=Searcher.load(...))`` works in any LangChain chain
(``retriever | format_docs | prompt | llm``); ``passages_from_documents`` turns its output back into
numbered passages so ``check_answer`` can verify what a chain's LLM wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.answer.passages import Passage
from retrieval.types import DocMetadata, SearchHit


class SearcherLike(Protocol):
    def search(
        self, query: str, k: int = 10, mode: str = "hybrid", filters: Any = None
    ) -> list[SearchHit]: ...


def hit_to_document(hit: SearchHit) -> Document:
    """page_content = the chunk's cleaned text; metadata locates the exact source text."""
    c = hit.chunk
    metadata = {
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "start": c.start,
        "end": c.end,
        "spans": [list(s) for s in c.spans],
        "display_text": hit.display_text,
        "title": hit.title,
        "heading_path": list(c.heading_path),
        "rank": hit.rank,
        "score": float(hit.score),
        "scores": dict(hit.scores),
        "page_start": c.page_start,
        "page_end": c.page_end,
        **hit.metadata.public(),
    }
    return Document(page_content=c.text, metadata=metadata, id=c.chunk_id)


def document_to_passage(n: int, doc: Document) -> Passage:
    md = doc.metadata
    display = md.get("display_text", doc.page_content)
    start = int(md.get("start", 0))
    spans = tuple(tuple(s) for s in md.get("spans") or [(start, start + len(display))])
    meta = DocMetadata(**{k: md.get(k) for k in DocMetadata().public()})
    return Passage(
        n=n,
        chunk_id=md.get("chunk_id", doc.id or f"?#{n}"),
        doc_id=md.get("doc_id", ""),
        source=md.get("source", ""),
        title=md.get("title", ""),
        text=doc.page_content,
        display_text=display,
        start=start,
        spans=spans,
        metadata=meta,
        heading_path=tuple(md.get("heading_path") or ()),
        rank=int(md.get("rank", n)),
        score=float(md.get("score", 0.0)),
        scores=dict(md.get("scores") or {}),
    )


def passages_from_documents(docs: Sequence[Document]) -> list[Passage]:
    return [document_to_passage(i, d) for i, d in enumerate(docs, start=1)]


class TracuuRetriever(BaseRetriever):
    """LangChain retriever for any object with ``search(query, k, mode, filters) -> list[SearchHit]``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 8
    mode: str = "hybrid"
    filters: Any = None

    def search_hits(self, query: str) -> list[SearchHit]:
        return list(self.searcher.search(query, k=self.k, mode=self.mode, filters=self.filters))

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit_to_document(h) for h in self.search_hits(query)]
