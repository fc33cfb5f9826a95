"""Ingest: turn one file into a RawDocument (display text + page map), or raise IngestError.

``load_document`` is the only entry point the indexer uses; each format lives in its own module.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from retrieval.types import RawDocument

SUPPORTED_SUFFIXES = (".txt", ".md")


class IngestError(Exception):
    """A file that cannot be ingested: names the file, the reason and what to do (Vietnamese)."""

    def __init__(self, source: str, reason: str, hint: str = "") -> None:
        self.source = source
        self.reason = reason
        self.hint = hint
        super().__init__(f"{source}: {reason}" + (f" — {hint}" if hint else ""))


def load_document(path: Path, corpus_root: Path) -> RawDocument:
    source = path.relative_to(corpus_root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(source, f"không đọc được tệp ({exc.strerror})", "kiểm tra quyền đọc tệp") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(source, "tệp không phải văn bản UTF-8", "lưu lại tệp dưới dạng UTF-8") from exc
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    fmt = path.suffix.lower().lstrip(".")
    return RawDocument(source=source, text=text, sha256=hashlib.sha256(data).hexdigest(), format=fmt)
