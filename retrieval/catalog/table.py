"""The catalogue as a readable table (``tracuu docs`` without ``--json``), labels in Vietnamese."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from retrieval.catalog.catalogue import CatalogueRow

_DASH = "—"


def _date(iso: str | None) -> str:
    if not iso:
        return _DASH
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def catalogue_table(rows: list[CatalogueRow]) -> Table:
    table = Table(title=f"Danh mục văn bản ({len(rows)})", show_lines=False, expand=True)
    for name, kw in (
        ("Tệp", {"overflow": "fold", "max_width": 28}),
        ("Số/ký hiệu", {"no_wrap": True}),
        ("Ngày", {"no_wrap": True}),
        ("Loại", {}),
        ("Cơ quan ban hành", {"overflow": "fold"}),
        ("Trích yếu", {"overflow": "fold", "ratio": 2}),
        ("Người ký", {}),
        ("Ghi chú", {"overflow": "fold"}),
    ):
        table.add_column(name, **kw)
    for r in rows:
        m = r.metadata
        notes = []
        if r.pages:
            notes.append(f"{r.pages} trang")
        if r.ocr:
            notes.append("OCR")
        if r.copies:
            notes.append("bản trùng: " + ", ".join(r.copies))
        if m.get("references"):
            notes.append(
                "căn cứ: " + ", ".join(m["references"][:4]) + (" …" if len(m["references"]) > 4 else "")
            )
        notes.extend(f"cảnh báo: {w}" for w in r.warnings)
        signer = m.get("nguoi_ky") or _DASH
        if m.get("nguoi_ky") and m.get("chuc_vu_ky"):
            signer = f"{m['nguoi_ky']} ({m['chuc_vu_ky'].capitalize()})"
        table.add_row(
            r.source,
            m.get("so_ky_hieu") or _DASH,
            _date(m.get("ngay_ban_hanh")),
            m.get("loai_van_ban") or _DASH,
            m.get("co_quan_ban_hanh") or _DASH,
            m.get("trich_yeu") or r.title or _DASH,
            signer,
            "; ".join(notes) or _DASH,
        )
    return table


def print_catalogue(rows: list[CatalogueRow], console: Console | None = None) -> None:
    console = console or Console()
    if not rows:
        console.print("Chỉ mục chưa có văn bản nào.")
        return
    console.print(catalogue_table(rows))
