"""The chat's bridge to ``retrieval.answer``: one question in, streamed text and one ``Turn`` out.

A ``Turn`` is plain data (str, float, lists of dicts) so it can live in ``st.session_state`` across
reruns and code reloads. It keeps everything the sources panel needs (quote, offsets, document
labels), so an old answer still shows its sources after the index changed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval.search import Searcher, SearchFilters
from retrieval.ui.corpus import ChunkLookup, page_of
from retrieval.understand import understand

REFUSAL = "Không tìm thấy thông tin này trong các văn bản hiện có."
BACKEND_LABELS = {
    "extractive": "Trích nguyên văn (nhanh, không dùng mô hình ngôn ngữ)",
    "llamacpp": "Mô hình ngôn ngữ cục bộ (llama.cpp)",
    "openai": "Máy chủ tương thích OpenAI",
}


@dataclass
class Turn:
    question: str
    text: str  # the checked answer with [n] markers (refusal: REFUSAL alone)
    refused: bool
    backend: str
    seconds: float
    citations: list[dict] = field(default_factory=list)  # Citation.to_json() + title/metadata/headings
    nearest: list[dict] = field(default_factory=list)  # nearest documents, shown when refused
    notes: list[str] = field(default_factory=list)  # UI remarks (e.g. the chosen backend was unavailable)
    error: str | None = None
    rewritten_question: str | None = None  # the standalone form of a follow-up question
    chips: list[tuple[str, str]] = field(default_factory=list)  # (kind, label) of implied filters applied
    dropped: list[str] = field(default_factory=list)  # kinds of implied filters the user removed
    filters: list[str] = field(default_factory=list)  # every filter applied, as labels (exports)
    asked_at: str = ""  # local time the question was asked, "dd/mm/yyyy HH:MM"

    def record(self) -> dict:
        return dict(self.__dict__)


class LimitedBackend:
    """A shared (cached) backend seen through this question's passage limit, without mutating it."""

    def __init__(self, inner: Any, max_passages: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_passages = max(1, min(max_passages, inner.max_passages))

    def stream(self, question: str, passages: Sequence) -> Iterator[str]:
        return self.inner.stream(question, passages[: self.max_passages])


def _doc_fields(searcher: Searcher, doc_id: str, fallback_title: str) -> dict:
    doc = searcher.documents.get(doc_id)
    return {
        "title": (doc.title if doc else "") or fallback_title,
        "metadata": doc.metadata.to_json() if doc else {},
    }


def citation_record(cit: Any, searcher: Searcher, lookup: ChunkLookup) -> dict:
    data = cit.to_json()
    data.update(_doc_fields(searcher, cit.doc_id, cit.source))
    chunk = lookup.get(cit.chunk_id)
    data["heading_path"] = list(chunk.heading_path) if chunk else []
    doc = searcher.documents.get(cit.doc_id)
    data["page"] = page_of(doc, cit.start) if doc else None
    return data


def nearest_record(near: Any, searcher: Searcher, lookup: ChunkLookup) -> dict:
    chunk = lookup.get(near.chunk_id)
    doc = searcher.documents.get(near.doc_id)
    data = {"doc_id": near.doc_id, "chunk_id": near.chunk_id, "source": near.source}
    data.update(_doc_fields(searcher, near.doc_id, near.title or near.source))
    if chunk is not None:
        data.update(start=chunk.start, end=chunk.end, heading_path=list(chunk.heading_path))
        data["text"] = doc.text[chunk.start : chunk.end] if doc else ""
    return data


def ask(
    searcher: Searcher,
    backend: Any,
    lookup: ChunkLookup,
    question: str,
    k: int = 8,
    filters: SearchFilters | None = None,
    refusal_threshold: float | None = None,
    allow_flagged: bool = False,
    history: Sequence[dict] = (),
    dropped: Sequence[str] = (),
) -> Iterator[str | Turn]:
    """Yield the backend's raw text pieces as they come, then the checked ``Turn`` (always last).

    The raw pieces of an LLM are shown while it writes; the ``Turn`` holds what survived the
    citation check, which replaces them on screen.
    """
    from retrieval.answer import Answerer
    from retrieval.answer.answerer import FILTER_NOTE, without_notes

    t0 = time.perf_counter()
    kw = {} if refusal_threshold is None else {"refusal_threshold": refusal_threshold}
    limited = LimitedBackend(backend, k)
    answerer = Answerer(searcher, limited, k=k, allow_flagged=allow_flagged, filter_hint="", **kw)
    asked = standalone_question(question, history, getattr(backend, "chat_model", None))
    explicit = filters if filters is not None and not filters.empty() else None
    stream = answerer.stream(asked, explicit, dropped_filters=tuple(dropped))
    yield from stream
    ans = stream.answer
    filter_notes = [n for n in ans.notes if n.startswith(FILTER_NOTE)] if explicit is None else []
    chips = understand(asked).without_filters(dropped).filter_chips() if filter_notes else []
    turn = Turn(
        question=question,
        # the chips under the answer say which filters were applied (and remove them), not a note
        text=REFUSAL if ans.refused else without_notes(ans.answer, filter_notes if chips else []),
        refused=ans.refused,
        backend=ans.backend,
        seconds=time.perf_counter() - t0,
        citations=[citation_record(c, searcher, lookup) for c in ans.citations],
        nearest=[nearest_record(d, searcher, lookup) for d in ans.nearest],
        rewritten_question=asked if asked != question else None,
        chips=chips,
        dropped=list(dropped),
        filters=[label for _, label in chips] + filter_labels(explicit),
        asked_at=dt.datetime.now().strftime("%d/%m/%Y %H:%M"),
    )
    if turn.rewritten_question:
        turn.notes.append(f"Câu hỏi được hiểu là: {asked}")
    yield turn


def standalone_question(question: str, history: Sequence[dict], chat_model: Any = None) -> str:
    """A follow-up rewritten from the earlier turns' records (``Turn.record()``)."""
    if not history:
        return question
    from retrieval.answer.followup import llm_rewriter, rewrite_followup, turns_from_json

    turns = turns_from_json(
        [
            {
                "question": t.get("question", ""),
                "answer": t.get("text", ""),
                "rewritten_question": t.get("rewritten_question"),
                "citations": t.get("citations") or [],
            }
            for t in history
        ]
    )
    llm = llm_rewriter(chat_model) if chat_model is not None else None
    return rewrite_followup(question, turns, llm).question


def filter_labels(filters: SearchFilters | None) -> list[str]:
    """The sidebar's filters as Vietnamese labels (for exports and the chat's note)."""
    if filters is None:
        return []
    out = []
    if filters.year_from or filters.year_to:
        span = f"{filters.year_from or '…'}–{filters.year_to or '…'}"
        out.append(f"năm {span}" + (" (kể cả văn bản không ghi ngày)" if filters.include_undated else ""))
    out += [f"tỉnh/thành: {t}" for t in filters.tinh]
    out += [f"cơ quan: {c}" for c in filters.co_quan]
    if filters.no_co_quan:
        out.append("cơ quan: không rõ")
    out += [f"loại: {t}" for t in filters.loai]
    return out
