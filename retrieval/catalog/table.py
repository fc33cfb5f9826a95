"""The catalogue as a readable table (``tracuu docs`` without ``--json``), labels in Vietnamese."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from retrieval.catalog.catalogue import CatalogueRow

_DASH = "—"


def _date(iso: str | None) -> str:
    if not iso:
        return _DASH
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


WIDE = 140  # columns a terminal needs for the table; narrower ones (and pipes at 80) get one block a row


def _notes(r: CatalogueRow) -> list[str]:
    m = r.metadata
    notes = []
    if r.pages:
        notes.append(f"{r.pages} trang")
    if r.ocr:
        notes.append("OCR")
    if r.copies:
        notes.append("bản trùng: " + ", ".join(r.copies))
    if m.get("references"):
        notes.append("căn cứ: " + ", ".join(m["references"][:4]) + (" …" if len(m["references"]) > 4 else ""))
    notes.extend(f"cảnh báo: {w}" for w in r.warnings)
    return notes


def _signer(m: dict) -> str:
    if m.get("nguoi_ky") and m.get("chuc_vu_ky"):
        return f"{m['nguoi_ky']} ({m['chuc_vu_ky'].capitalize()})"
    return m.get("nguoi_ky") or _DASH


def catalogue_blocks(rows: list[CatalogueRow]) -> list[str]:
    """One block of lines a document, for a narrow terminal: the table's eight columns would leave the
    trích yếu one character wide."""
    out = []
    for r in rows:
        m = r.metadata
        date = _date(m["ngay_ban_hanh"]) if m.get("ngay_ban_hanh") else None
        head = " · ".join(x for x in (m.get("so_ky_hieu"), date, m.get("loai_van_ban")) if x)
        lines = [f"[bold]{escape(r.source)}[/bold]" + (f" · {escape(head)}" if head else "")]
        lines.append(f"  Cơ quan ban hành: {escape(m.get('co_quan_ban_hanh') or _DASH)}")
        lines.append(f"  Trích yếu: {escape(m.get('trich_yeu') or r.title or _DASH)}")
        lines.append(f"  Người ký: {escape(_signer(m))}")
        if notes := _notes(r):
            lines.append(f"  Ghi chú: {escape('; '.join(notes))}")
        out.append("\n".join(lines))
    return out


def catalogue_table(rows: list[CatalogueRow]) -> Table:
    table = Table(title=f"Danh mục văn bản ({len(rows)})", show_lines=False, expand=True)
    for name, kw in (
        ("Tệp", {"overflow": "fold", "max_width": 28}),
        ("Số/ký hiệu", {"no_wrap": True}),
        ("Ngày", {"no_wrap": True}),
        # every free column shares the width by ratio: a column without one takes its whole text first
        # and left the trích yếu one character wide
        ("Loại", {"ratio": 1, "min_width": 8}),
        ("Cơ quan ban hành", {"overflow": "fold", "ratio": 2}),
        ("Trích yếu", {"overflow": "fold", "ratio": 4}),
        ("Người ký", {"ratio": 2}),
        ("Ghi chú", {"overflow": "fold", "ratio": 2}),
    ):
        table.add_column(name, **kw)
    for r in rows:
        m = r.metadata
        table.add_row(
            r.source,
            m.get("so_ky_hieu") or _DASH,
            _date(m.get("ngay_ban_hanh")),
            m.get("loai_van_ban") or _DASH,
            m.get("co_quan_ban_hanh") or _DASH,
            m.get("trich_yeu") or r.title or _DASH,
            _signer(m),
            "; ".join(_notes(r)) or _DASH,
        )
    return table


def print_catalogue(rows: list[CatalogueRow], console: Console | None = None) -> None:
    console = console or Console()
    if not rows:
        console.print("Chỉ mục chưa có văn bản nào.")
        return
    if console.width >= WIDE:
        console.print(catalogue_table(rows))
        return
    console.print(f"[bold]Danh mục văn bản ({len(rows)})[/bold]\n")
    for block in catalogue_blocks(rows):
        console.print(block, soft_wrap=False)
        console.print()
