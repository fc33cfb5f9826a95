"""Question -> search -> confidence gate -> backend -> citation check -> Answer.

answerer = Answerer.from_settings(searcher, settings, backend="llamacpp")
answer = answerer.answer("Báo cáo năm phải gửi trước ngày nào?")
print(json.dumps(answer.to_json(), ensure_ascii=False))

stream = answerer.stream(question)      # for the UI
for piece in stream: ...                # LLM tokens as they come (raw, before the check)
answer = stream.answer                  # the checked Answer: show answer.answer instead of the raw text
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from retrieval.answer.backends import AnswerBackend, make_backend
from retrieval.answer.citations import CheckedAnswer, check_answer
from retrieval.answer.confidence import DEFAULT_REFUSAL_THRESHOLD, confidence
from retrieval.answer.extractive import ExtractiveBackend, extract, profile
from retrieval.answer.passages import Passage, passages_from_hits
from retrieval.answer.result import REFUSAL, Answer, NearDocument
from retrieval.answer.scope import out_of_scope, restates_question, unnamed_subject, wrong_answer_type
from retrieval.chunking import SIGNATURE_PATH
from retrieval.document.injection import usable_hits
from retrieval.types import SearchHit
from retrieval.understand import Understanding, understand

NOTE_DROPPED = "Đã lược bỏ {n} câu không kiểm chứng được trong văn bản nguồn."
NOTE_REPAIRED = "Đã sửa số trích dẫn của {n} câu cho khớp với đoạn văn chứa thông tin đó."
NOTE_FALLBACK = (
    "Câu trả lời của mô hình ngôn ngữ không kiểm chứng được với văn bản nguồn; "
    "dưới đây là các câu trích nguyên văn từ văn bản."
)
NOTE_BACKEND_ERROR = "Không dùng được mô hình ngôn ngữ ({error}); dưới đây là các câu trích nguyên văn."
NEAREST_HEADER = "Các văn bản gần nhất với câu hỏi:"
NOTE_NO_FILTER_MATCH = "Không có văn bản nào khớp bộ lọc ({filters}); đã tìm trong toàn bộ văn bản."
FILTER_NOTE = "Đã lọc theo: "  # how the note of the filters a question implied begins
NOTE_FILTERS = FILTER_NOTE + "{filters}{hint}."
CLI_FILTER_HINT = " (bỏ lọc: tracuu ask --no-filters)"
DOCUMENT_INTENTS = ("metadata", "list", "references", "count")


def nearest_documents(hits: Sequence[SearchHit], limit: int = 3) -> tuple[NearDocument, ...]:
    out: list[NearDocument] = []
    for h in sorted(hits, key=lambda h: h.rank):
        if any(d.doc_id == h.chunk.doc_id for d in out):
            continue
        out.append(NearDocument(h.chunk.doc_id, h.chunk.source, h.title or h.chunk.source, h.chunk.chunk_id))
        if len(out) >= limit:
            break
    return tuple(out)


def refusal_text(nearest: Sequence[NearDocument], reason: str | None = None) -> str:
    head = [REFUSAL, reason] if reason else [REFUSAL]
    if not nearest:
        return " ".join(head)
    lines = [" ".join(head), "", NEAREST_HEADER, *(f"- {d.title} ({d.source})" for d in nearest)]
    return "\n".join(lines)


def note_line(note: str) -> str:
    return f"(Lưu ý: {note})"


def with_notes(text: str, notes: Sequence[str]) -> str:
    return text if not notes else text + "\n\n" + "\n".join(note_line(n) for n in notes)


def without_notes(text: str, notes: Sequence[str]) -> str:
    """``text`` without the lines ``with_notes`` added for ``notes``."""
    lines = {note_line(n) for n in notes}
    return "\n".join(line for line in text.split("\n") if line not in lines).rstrip()


class AnswerStream:
    """Iterate for the raw pieces; ``answer`` holds the checked Answer once iteration ends."""

    def __init__(self, pieces: Iterator[str], finish) -> None:
        self._pieces = pieces
        self._finish = finish
        self._buffer: list[str] = []
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for piece in self._pieces:
            self._buffer.append(piece)
            yield piece
        if self._answer is None:
            self._answer = self._finish("".join(self._buffer))

    @property
    def answer(self) -> Answer:
        """The checked answer (consumes whatever was not streamed yet)."""
        if self._answer is None:
            for _ in self:
                pass
        assert self._answer is not None
        return self._answer


def with_signature(searcher: Any, hits: list[SearchHit], top: int = 5) -> list[SearchHit]:
    """For "who signed" questions: the top document's signature chunk as the second hit when the top
    ``top`` hits lack it (searchers without ``chunks``/``documents`` are left as they are)."""
    if any(h.chunk.heading_path == SIGNATURE_PATH for h in hits[:top]):
        return hits
    doc_id = hits[0].chunk.doc_id
    chunks, documents = getattr(searcher, "chunks", None), getattr(searcher, "documents", None)
    if not chunks or not documents or doc_id not in documents:
        return hits
    sig = next((c for c in chunks if c.doc_id == doc_id and c.heading_path == SIGNATURE_PATH), None)
    if sig is None:
        return hits
    doc = documents[doc_id]
    extra = SearchHit(
        rank=2,
        score=hits[0].score,
        chunk=sig,
        display_text=doc.text[sig.start : sig.end],
        metadata=doc.metadata,
        title=doc.title,
    )
    rest = [h for h in hits[1:] if h.chunk.chunk_id != sig.chunk_id]
    return [hits[0], extra, *(replace(h, rank=i) for i, h in enumerate(rest, start=3))]


class Answerer:
    def __init__(
        self,
        searcher: Any,
        backend: AnswerBackend | None = None,
        k: int = 8,
        mode: str = "hybrid",
        refusal_threshold: float = DEFAULT_REFUSAL_THRESHOLD,
        mark_unsupported: bool = False,
        allow_flagged: bool = False,
        filter_hint: str = CLI_FILTER_HINT,
    ) -> None:
        self.searcher = searcher
        self.backend = backend or ExtractiveBackend()
        self.k = k
        self.mode = mode
        self.refusal_threshold = refusal_threshold
        self.mark_unsupported = mark_unsupported
        self.allow_flagged = allow_flagged  # use passages flagged as instructions to an AI
        self.filter_hint = filter_hint  # how to remove the question's filters, after the note

    @classmethod
    def from_settings(cls, searcher: Any, settings: Any, backend: str | None = None, **kw) -> Answerer:
        threshold = getattr(settings, "refusal_threshold", None)
        if threshold is not None:
            kw.setdefault("refusal_threshold", float(threshold))
        kw.setdefault("allow_flagged", bool(getattr(settings, "allow_flagged", False)))
        return cls(searcher, make_backend(backend, settings), **kw)

    # ------------------------------------------------------------------ public
    def answer(
        self, question: str, filters: Any = None, use_filters: bool = True, today: dt.date | None = None
    ) -> Answer:
        return self.stream(question, filters, use_filters, today).answer

    def stream(
        self,
        question: str,
        filters: Any = None,
        use_filters: bool = True,
        today: dt.date | None = None,
        dropped_filters: Sequence[str] = (),
    ) -> AnswerStream:
        """``filters``: explicit SearchFilters; otherwise (``use_filters``) the years, provinces and
        bodies the question names restrict the search, and the answer says so; ``dropped_filters``:
        kinds of those implied filters to ignore (understand.FILTER_KINDS)."""
        t0 = time.perf_counter()
        compared = self._comparison(question)
        if compared is not None:  # "So sánh A và B": the two documents side by side, not a search
            return AnswerStream(iter([compared.answer]), lambda _raw: compared)
        u = understand(question, today)
        if not use_filters:
            u = u.without_filters()
        elif dropped_filters:
            u = u.without_filters(dropped_filters)
        understood = u.labels()
        catalogued = hasattr(self.searcher, "documents") and hasattr(self.searcher, "chunks")
        pre_notes: list[str] = []
        if filters is None and u.has_filters and catalogued:
            filters, note = _question_filters(u, self.searcher, self.filter_hint)
            pre_notes += [note] if note else []
        hits = list(self.searcher.search(question, k=self.k, mode=self.mode, filters=filters))
        if catalogued and u.intent in DOCUMENT_INTENTS:
            ans = self._document_answer(question, u, hits, t0)
            if ans is not None:
                text = with_notes(ans.answer, pre_notes)
                ans = replace(ans, understood=understood, answer=text, notes=(*ans.notes, *pre_notes))
                return AnswerStream(iter([ans.answer]), lambda _raw: ans)
        stream = self._passage_stream(question, hits, t0)
        finish = stream._finish
        stream._finish = lambda raw: _understood(finish(raw), understood, pre_notes)
        return stream

    def _passage_stream(self, question: str, hits: list[SearchHit], t0: float) -> AnswerStream:
        if hits and profile(question).wants_signer:
            hits = with_signature(self.searcher, hits)
        hits = usable_hits(hits, self.allow_flagged)  # planted instructions never ground an answer
        passages = passages_from_hits(hits)
        conf = confidence(question, hits, passages[:5]) if hits else 0.0
        nearest = nearest_documents(hits)
        reason = out_of_scope(question, hits, getattr(self.searcher, "document_text", None))
        if not hits or conf < self.refusal_threshold or reason:
            ans = self._refusal(question, nearest, conf, t0, reason=reason)
            return AnswerStream(iter([ans.answer]), lambda _raw: ans)
        given = passages[: self.backend.max_passages]
        pieces, error = self._guarded(self.backend.stream(question, given))

        def finish(raw: str) -> Answer:
            return self._finish(question, raw, given, nearest, conf, t0, error)

        return AnswerStream(pieces, finish)

    # ------------------------------------------------------------------ steps
    def _comparison(self, question: str) -> Answer | None:
        """The comparison table when the question asks to compare two documents the index holds."""
        documents = getattr(self.searcher, "documents", None)
        if not documents:
            return None
        from retrieval.answer.compare_route import compare_question, comparison_answer

        pair = compare_question(question, documents)
        if pair is None:
            return None
        chunks = getattr(self.searcher, "chunks", None) or ()
        return comparison_answer(question, documents[pair[0]], documents[pair[1]], chunks)

    def _document_answer(
        self, question: str, u: Understanding, hits: list[SearchHit], t0: float
    ) -> Answer | None:
        """Metadata / list / reference / count questions answered from the catalogue."""
        from retrieval.answer.lists import list_answer, references_answer
        from retrieval.answer.metadata_answers import metadata_answer

        if u.intent == "metadata":
            doc = metadata_answer(u, self.searcher, hits, question)
        elif u.intent == "references":
            doc = references_answer(u, self.searcher)
        else:
            doc = list_answer(question, u, self.searcher)
        if doc is None:
            return None
        nearest = nearest_documents(hits)
        if doc.refusal:
            return self._refusal(question, nearest, 1.0, t0, "extractive", reason=doc.refusal)
        checked = check_answer(doc.text, doc.passages)
        if not checked.citations:
            return None
        text = checked.text if not doc.summary else doc.summary + "\n" + checked.text
        return Answer(
            question=question,
            answer=with_notes(text, doc.notes),
            refused=False,
            citations=checked.citations,
            backend="extractive",
            requested_backend=self.backend.name,
            confidence=1.0,
            notes=doc.notes,
            dropped=checked.dropped,
            nearest=nearest,
            seconds=time.perf_counter() - t0,
        )

    def _guarded(self, pieces: Iterator[str]) -> tuple[Iterator[str], list[str]]:
        """Stream pieces; a backend failure ends the stream and is reported to ``finish``."""
        error: list[str] = []

        def run() -> Iterator[str]:
            try:
                yield from pieces
            except Exception as exc:  # noqa: BLE001 - any backend failure falls back to extractive
                error.append(f"{type(exc).__name__}: {exc}"[:200])

        return run(), error

    def _refusal(
        self,
        question: str,
        nearest,
        conf: float,
        t0: float,
        backend: str | None = None,
        reason: str | None = None,
    ) -> Answer:
        return Answer(
            question=question,
            answer=refusal_text(nearest, reason),
            refused=True,
            citations=(),
            backend=backend or self.backend.name,
            requested_backend=self.backend.name,
            confidence=conf,
            nearest=tuple(nearest),
            seconds=time.perf_counter() - t0,
        )

    def _finish(
        self,
        question: str,
        raw: str,
        passages: Sequence[Passage],
        nearest,
        conf: float,
        t0: float,
        error: list[str],
    ) -> Answer:
        backend = self.backend.name
        notes: list[str] = []
        checked: CheckedAnswer | None = None
        if not error:
            checked = check_answer(raw, passages, self.mark_unsupported)
            if checked.refused and not checked.citations:
                return self._refusal(question, nearest, conf, t0)
        dropped = checked.dropped if checked else ()
        if checked is not None and checked.citations and restates_question(question, checked.text):
            checked = None  # verifiable but empty: the extractive answer says more
        if checked is None or not checked.citations:
            if backend != "extractive":
                notes.append(NOTE_BACKEND_ERROR.format(error=error[0]) if error else NOTE_FALLBACK)
            backend = "extractive"
            checked = check_answer(extract(question, passages), passages)
            if not checked.citations:
                return self._refusal(question, nearest, conf, t0, backend)
        else:
            if checked.dropped:
                notes.append(NOTE_DROPPED.format(n=len(checked.dropped)))
            if checked.repaired:
                notes.append(NOTE_REPAIRED.format(n=checked.repaired))
        reason = wrong_answer_type(question, checked.text, [p.metadata.so_ky_hieu or "" for p in passages])
        reason = reason or unnamed_subject(question, self._cited_texts(checked.citations, passages))
        if reason:
            return self._refusal(question, nearest, conf, t0, backend, reason=reason)
        return Answer(
            question=question,
            answer=with_notes(checked.text, notes),
            refused=False,
            citations=checked.citations,
            backend=backend,
            requested_backend=self.backend.name,
            confidence=conf,
            notes=tuple(notes),
            dropped=tuple(dropped),
            nearest=tuple(nearest),
            seconds=time.perf_counter() - t0,
        )

    def _cited_texts(self, citations: Sequence, passages: Sequence[Passage]) -> Iterator[str]:
        """Each cited document's text with its title (the cited passages where the searcher cannot
        give whole documents), read only when asked for: most questions need none of it."""
        doc_text = getattr(self.searcher, "document_text", None)
        for doc_id in dict.fromkeys(c.doc_id for c in citations):
            given = [p for p in passages if p.doc_id == doc_id]
            head = "\n".join(dict.fromkeys(p.title for p in given))
            body = doc_text(doc_id) if doc_text else "\n".join(p.display_text for p in given)
            yield f"{head}\n{body}"


def _question_filters(u: Understanding, searcher: Any, hint: str = CLI_FILTER_HINT) -> tuple[Any, str | None]:
    """SearchFilters for the documents passing the question's filters (and the note to show)."""
    from retrieval.answer.documents import filtered_docs, graph_of
    from retrieval.search import SearchFilters

    docs = filtered_docs(u, graph_of(searcher))
    shown = ", ".join(u.labels()["bo_loc"])
    if not docs:
        return None, NOTE_NO_FILTER_MATCH.format(filters=shown)
    if len(docs) == len(searcher.documents):
        return None, None
    return SearchFilters(doc_ids=tuple(docs)), NOTE_FILTERS.format(filters=shown, hint=hint)


def _understood(ans: Answer, understood: dict, notes: Sequence[str]) -> Answer:
    text = ans.answer if ans.refused else with_notes(ans.answer, notes)
    return replace(ans, understood=understood, answer=text, notes=(*ans.notes, *notes))
