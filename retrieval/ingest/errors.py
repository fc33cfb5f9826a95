"""The one exception every ingest loader raises for a file it cannot turn into a document."""

from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be ingested: names the file, the reason and what to do (Vietnamese)."""

    def __init__(self, source: str, reason: str, hint: str = "") -> None:
        self.source = source
        self.reason = reason
        self.hint = hint
        super().__init__(f"{source}: {reason}" + (f" — {hint}" if hint else ""))
