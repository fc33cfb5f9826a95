"""Plain-text labels for a cited document: how a cadre cites it, and where the passage sits in it.

Pure functions over the plain citation records the chat keeps (``Turn.citations``): a record has
``metadata`` (the document's ``DocMetadata.to_json()``), ``title``, ``source``, ``heading_path`` and
maybe ``page``. Missing parts are left out, never written as "None" or as an empty "số".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from retrieval.ui.html import fmt_date

_SPACES = re.compile(r"\s+")
_ABOUT = re.compile(r"(?i)^(?:v/v|về)\b\.?\s*")


def _clean(value: Any) -> str:
    """``value`` as one line of text ('' for None); runs of whitespace become one space."""
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value)).strip()


def _about(trich_yeu: str) -> str:
    """'về <trích yếu>' without doubling a 'Về'/'V/v' the trích yếu already starts with."""
    text = trich_yeu.rstrip(" .;")
    m = _ABOUT.match(text)
    if m is None:
        return f"về {text}"
    rest = text[m.end() :]
    if m.group(0).lower().startswith("v/v"):
        return f"về việc {rest}" if rest else "về việc"
    return f"về {rest}" if rest else "về"


def source_reference(record: Mapping[str, Any], about: bool = True) -> str:
    """'Kế hoạch số 37/KH-MTTQ-BTT ngày 04/02/2020 của Ban Thường trực … về …' (parts present only).

    Without a number and without a trích yếu the document's title (else its file name) names it,
    followed by the date and the issuing body when known. ``about=False``: without the trích yếu (a
    short label).
    """
    meta = record.get("metadata") or {}
    number = _clean(meta.get("so_ky_hieu"))
    summary = _clean(meta.get("trich_yeu"))
    date = fmt_date(_clean(meta.get("ngay_ban_hanh")) or None)
    agency = _clean(meta.get("co_quan_ban_hanh"))
    if number or summary:
        head = _clean(meta.get("loai_van_ban")) or "Văn bản"
        parts = [head, f"số {number}" if number else ""]
    else:
        parts = [_clean(record.get("title")) or _clean(record.get("source")) or "Văn bản"]
    parts += [f"ngày {date}" if date else "", f"của {agency}" if agency else ""]
    parts.append(_about(summary) if summary and about else "")
    return " ".join(p for p in parts if p)


def location_label(record: Mapping[str, Any]) -> str:
    """'Mục: III. TỔ CHỨC THỰC HIỆN › 2. Ban Thường trực · trang 3' (parts present only, else '')."""
    path = [p for p in (_clean(h) for h in record.get("heading_path") or []) if p]
    page = record.get("page")
    parts = []
    if path:
        parts.append("Mục: " + " › ".join(path))
    if page is not None and _clean(page):
        parts.append(f"trang {_clean(page)}")
    return " · ".join(parts)
