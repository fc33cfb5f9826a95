"""The chat's bridge to ``retrieval.answer``: one question in, streamed text and one ``Turn`` out.

A ``Turn`` is plain data (str, int, dicts) so it can live in ``st.session_state`` across reruns and
code reloads. It keeps everything the sources panel needs (quote, offsets, document labels), so an
old answer still shows its sources after the index changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from retrieval.search import SearchFilters, Searcher
from retrieval.settings import Settings
from retrieval.types import SearchHit

REFUSAL = "Không tìm thấy thông tin này trong các văn bản hiện có."
BACKEND_LABELS = {
    "extractive": "Trích nguyên văn (nhanh, không dùng mô hình ngôn ngữ)",
    "llamacpp": "Mô hình ngôn ngữ cục bộ (llama.cpp)",
    "openai": "Máy chủ tương thích OpenAI",
}


@dataclass
class Turn:
    question: str
    text: str
    refused: bool
    backend: str
    seconds: float
    citations: list[dict] = field(default_factory=list)  # Citation.to_json() + title/metadata
    nearest: list[dict] = field(default_factory=list)  # hits shown when refused (or no citation)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def hit_record(hit: SearchHit) -> dict:
    c = hit.chunk
    return {
        "doc_id": c.doc_id,
        "chunk_id": c.chunk_id,
        "source": c.source,
        "title": hit.title,
        "metadata": hit.metadata.to_json(),
        "start": c.start,
        "end": c.end,
        "heading_path": list(c.heading_path),
        "text": hit.display_text,
        "score": hit.score,
    }


def nearest_documents(hits: Sequence[SearchHit], limit: int = 3) -> list[dict]:
    """The best passage of each of the ``limit`` best documents."""
    out: list[dict] = []
    seen: set[str] = set()
    for h in hits:
        if h.chunk.doc_id in seen:
            continue
        seen.add(h.chunk.doc_id)
        out.append(hit_record(h))
        if len(out) >= limit:
            break
    return out


def _citation_record(cit, searcher: Searcher) -> dict:
    data = cit.to_json() if hasattr(cit, "to_json") else dict(cit)
    doc = searcher.documents.get(data["doc_id"])
    data["title"] = doc.title if doc else data.get("source", "")
    data["metadata"] = doc.metadata.to_json() if doc else {}
    chunk = next((c for c in searcher.chunks if c.chunk_id == data.get("chunk_id")), None)
    data["heading_path"] = list(chunk.heading_path) if chunk else []
    return data


def _make_answerer(searcher: Searcher, settings: Settings, backend: str):
    """The answer package's own entry point, when it provides one (else None: built-in pipeline)."""
    try:
        from retrieval.answer import make_answerer  # type: ignore[attr-defined]
    except ImportError:
        return None
    return make_answerer(searcher, settings.with_(answer_backend=backend))


def _builtin_stream(question: str, hits: Sequence[SearchHit], backend: str):
    """Extractive pipeline from the answer package's parts: passages -> sentences -> checked citations."""
    from retrieval.answer.citations import check_answer
    from retrieval.answer.extractive import ExtractiveBackend
    from retrieval.answer.passages import passages_from_hits

    engine = ExtractiveBackend()
    passages = passages_from_hits(hits, limit=engine.max_passages)
    raw = "".join(engine.stream(question, passages))
    checked = check_answer(raw, passages) if raw else None
    if checked is None or checked.refused or not checked.citations:
        return REFUSAL, True, (), ()
    return checked.text, False, checked.citations, checked.dropped


def ask(
    searcher: Searcher,
    settings: Settings,
    question: str,
    backend: str = "extractive",
    k: int = 5,
    filters: SearchFilters | None = None,
) -> Iterator[str | Turn]:
    """Yield answer text pieces as they come, then the finished ``Turn`` (always last)."""
    t0 = time.perf_counter()
    hits = searcher.search(question, k=k, filters=filters)
    turn = Turn(question, "", True, backend, 0.0, nearest=nearest_documents(hits))
    if not hits:
        turn.text = REFUSAL
        yield turn.text
    else:
        answerer = _make_answerer(searcher, settings, backend)
        if answerer is None:
            text, refused, citations, dropped = _builtin_stream(question, hits, backend)
            yield text
            turn.text, turn.refused = text, refused
            turn.citations = [_citation_record(c, searcher) for c in citations]
        else:
            final = None
            for piece in answerer.stream(question, k=k, filters=filters):
                if isinstance(piece, str):
                    yield piece
                else:
                    final = piece
            if final is not None:
                turn.text, turn.refused = final.answer, final.refused
                turn.backend = getattr(final, "backend", backend)
                turn.citations = [_citation_record(c, searcher) for c in final.citations]
                turn.notes = list(getattr(final, "notes", ()))
    turn.seconds = time.perf_counter() - t0
    yield turn
