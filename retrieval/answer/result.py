"""The answer records returned to the CLI and the UI, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass

REFUSAL = "Không tìm thấy thông tin này trong các văn bản hiện có."


@dataclass(frozen=True)
class Citation:
    n: int  # the number shown in the answer as [n]
    chunk_id: str
    doc_id: str
    source: str  # relative to the corpus dir
    quote: str  # document text[start:end], character for character
    start: int  # offsets of the quote in the document text
    end: int
    verified: bool  # the sentences citing it passed the citation check

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "source": self.source,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class NearDocument:
    """A document listed instead of an answer when the answerer refuses."""

    doc_id: str
    source: str
    title: str
    chunk_id: str


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str  # text with [n] markers; a refusal starts with REFUSAL
    refused: bool
    citations: tuple[Citation, ...]
    backend: str  # the backend whose text is shown ("extractive" also when it was the fallback)
    # Diagnostics (not part of the JSON contract):
    requested_backend: str = ""
    confidence: float | None = None
    notes: tuple[str, ...] = ()  # Vietnamese remarks already appended to ``answer``
    dropped: tuple[str, ...] = ()  # sentences removed by the citation check
    nearest: tuple[NearDocument, ...] = ()
    seconds: float = 0.0
    # What the question was understood to ask (intent, filters, numbers) in Vietnamese labels
    understood: dict | None = None

    def to_json(self) -> dict:
        """The CLI/JSON contract: question, answer, refused, citations, backend (+ understood)."""
        out = {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "backend": self.backend,
        }
        if self.understood is not None:
            out["understood"] = self.understood
        return out
