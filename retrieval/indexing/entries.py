"""What indexing produces and reports: one document's entry (document, chunks, tokens, vectors), the
per-file failure lines and the run's report. Plain data shared by the indexer and the writer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrieval.store import StoredDocument
from retrieval.types import Chunk


def printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (surrogates) shown as U+FFFD: always writable as UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True)
class Failure:
    """One line of the summary about one file: a failure, or (in ``IndexReport.warnings``) a warning."""

    source: str
    reason: str
    hint: str = ""

    def __post_init__(self) -> None:
        for name in ("source", "reason", "hint"):
            object.__setattr__(self, name, printable(getattr(self, name)))

    def line(self) -> str:
        return f"{self.source}: {self.reason}" + (f" — {self.hint}" if self.hint else "")


@dataclass
class DocEntry:
    doc: StoredDocument
    chunks: list[Chunk]
    tokens: list[list[str]]  # accented tokens per chunk (plain ones are derived)
    vectors: np.ndarray | None = None  # None until embedded


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # sources with passages addressed to an AI
    warnings: list[Failure] = field(default_factory=list)  # loader warnings of added/updated files
    n_documents: int = 0
    n_chunks: int = 0
    written: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    checkpoints: int = 0  # intermediate commits of a long import (resumable from the last one)
    resumed: list[str] = field(default_factory=list)  # added/updated from an interrupted build's spool

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "resumed": self.resumed,
            "failures": [f.__dict__ for f in self.failures],
            "flagged": self.flagged,
            "warnings": [w.__dict__ for w in self.warnings],
            "n_documents": self.n_documents,
            "n_chunks": self.n_chunks,
            "written": self.written,
            "timings": self.timings,
        }
