"""Per-file ingest limits: one frozen, validated object, each limit a named ``TRACUU_*`` setting.

A loader that hits a limit raises an IngestError (or records a warning when it keeps a truncated
document) that names the limit and its setting, so the summary line tells the user what to change.
Every loader reads the same object (``ingest_limits()``), built once per process from the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache


class LimitsError(ValueError):
    """An invalid limit setting; the message names the variable."""


@dataclass(frozen=True)
class IngestLimits:
    max_file_mb: int = 200  # TRACUU_MAX_FILE_MB: any file larger than this is refused
    max_chars: int = 20_000_000  # TRACUU_MAX_CHARS: display text of one document, after decoding
    max_line_chars: int = 200_000  # TRACUU_MAX_LINE_CHARS: one line (no newline) is split beyond this
    max_pdf_pages: int = 3_000  # TRACUU_MAX_PDF_PAGES: pages read from one PDF
    max_ocr_pages: int = 200  # TRACUU_MAX_OCR_PAGES: pages of one file sent to OCR
    max_xml_mb: int = 64  # TRACUU_MAX_XML_MB: uncompressed XML of one DOCX/XLSX/ODT part
    max_sheet_cells: int = 2_000_000  # TRACUU_MAX_SHEET_CELLS: cells read from one workbook
    max_html_depth: int = 2_000  # TRACUU_MAX_HTML_DEPTH: element nesting of an HTML page
    convert_timeout_s: int = 120  # TRACUU_CONVERT_TIMEOUT_S: one LibreOffice conversion

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise LimitsError(f"TRACUU_{f.name.upper()} phải là số nguyên dương")

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb << 20

    @property
    def max_xml_bytes(self) -> int:
        return self.max_xml_mb << 20

    @classmethod
    def from_env(cls) -> IngestLimits:
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"TRACUU_{f.name.upper()}")
            if raw is None:
                continue
            try:
                values[f.name] = int(raw)
            except ValueError as exc:
                raise LimitsError(f"TRACUU_{f.name.upper()}={raw!r}: phải là số nguyên") from exc
        return cls(**values)


@lru_cache(maxsize=1)
def ingest_limits() -> IngestLimits:
    """The process's limits (environment read once; tests call ``ingest_limits.cache_clear()``)."""
    return IngestLimits.from_env()
