"""Excel workbooks (.xlsx; .xls after LibreOffice conversion) via openpyxl in read-only mode.

Each sheet becomes a block: a line "Bảng tính: NAME", then one line per non-empty row, cells joined by
" | " (the DOCX table form), trailing empty cells dropped. Cell text typed in legacy fonts (.VnTime,
VNI-Times) is decoded per font. Reading stops at ``TRACUU_MAX_SHEET_CELLS`` cells with a warning.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, no_text_error, open_regular, sha256_of, sniff
from retrieval.ingest.legacy_fonts import decide_fonts, decode_runs
from retrieval.ingest.limits import ingest_limits
from retrieval.types import RawDocument

_RESAVE = "mở bằng Excel hoặc LibreOffice rồi lưu lại dưới dạng .xlsx"
Cell = tuple[str | None, str]  # (font name, text)


def check_workbook_zip(path: Path, source: str) -> None:
    """A real, not too large .xlsx package, else a clear IngestError."""
    limits = ingest_limits()
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        with open(path, "rb") as f:
            found = sniff(f.read(512))
        what = f" (nội dung là {found[0]})" if found else ""
        raise IngestError(
            source, f"tệp không phải bảng tính .xlsx hợp lệ: không đọc được ZIP{what}", _RESAVE
        ) from exc
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        other = "tài liệu Word" if "word/document.xml" in names else "không phải bảng tính Excel"
        raise IngestError(
            source, f"tệp ZIP là {other} (thiếu xl/workbook.xml)", "chỉ lập chỉ mục bảng tính .xlsx"
        )
    big = [i for i in infos if i.file_size > limits.max_xml_bytes]
    if big:
        raise IngestError(
            source,
            f"phần '{big[0].filename}' giải nén ra {big[0].file_size / 2**20:,.0f} MB, vượt giới hạn"
            f" {limits.max_xml_mb} MB (TRACUU_MAX_XML_MB)",
            "tách bảng tính hoặc tăng TRACUU_MAX_XML_MB",
        )


def cell_text(value: Any) -> str:
    """A cell value as shown: integers without ".0", dates as dd/mm/yyyy, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


def _font_name(cell: Any) -> str | None:
    try:
        return cell.font.name
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def read_cells(workbook: Any, max_cells: int) -> tuple[list[tuple[str, list[list[Cell]]]], bool]:
    """Sheets as (title, rows of (font, text) cells); True when the cell limit cut the reading."""
    sheets, seen = [], 0
    for ws in workbook.worksheets:
        rows: list[list[Cell]] = []
        for row in ws.iter_rows():
            seen += len(row)
            cells = _row_cells(row)
            if cells:
                rows.append(cells)
            if seen > max_cells:
                sheets.append((ws.title, rows))
                return sheets, True
        sheets.append((ws.title, rows))
    return sheets, False


def _row_cells(row: Any) -> list[Cell]:
    out = [
        (_font_name(c) if text else None, text)
        for c in row
        for text in [cell_text(getattr(c, "value", None))]
    ]
    while out and not out[-1][1]:
        out.pop()
    return out


def workbook_to_raw(path: Path, source: str, digest: str, fmt: str) -> RawDocument:
    import openpyxl

    check_workbook_zip(path, source)
    limits = ingest_limits()
    try:
        wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged parts
        raise IngestError(
            source, f"bảng tính bị hỏng, không đọc được ({type(exc).__name__})", _RESAVE
        ) from exc
    try:
        sheets, cut = read_cells(wb, limits.max_sheet_cells)
    finally:
        wb.close()
    samples: dict[str | None, list[str]] = defaultdict(list)
    for _, rows in sheets:
        for row in rows:
            for font, text in row:
                samples[font].append(text)
    codings = decide_fonts(samples)
    blocks = []
    for title, rows in sheets:
        lines = [" | ".join(decode_runs([c], codings) for c in row) for row in rows]
        lines = [ln for ln in lines if ln.strip(" |")]
        if lines:
            blocks.append("\n".join([f"Bảng tính: {title}", *lines]))
    text = "\n\n".join(blocks)
    if not text.strip():
        raise no_text_error(source, "bảng tính không có ô nào chứa dữ liệu")
    warnings = []
    if codings:
        encs = ", ".join(sorted({c.encoding.upper() for c in codings.values()}))
        warnings.append(f"bảng tính dùng phông mã cũ {encs}, đã chuyển sang Unicode")
    if cut:
        warnings.append(
            f"bảng tính có hơn {limits.max_sheet_cells:,} ô (TRACUU_MAX_SHEET_CELLS): chỉ đọc phần đầu"
        )
    return RawDocument(source=source, text=text, sha256=digest, format=fmt, warnings=tuple(warnings))


def load_xlsx(path: Path, source: str) -> RawDocument:
    with open_regular(path, source) as f:
        if file_size(f) == 0:
            raise empty_file_error(source)
        head = f.read(8)
        digest = sha256_of(f, source)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _renamed_ole(path, source)
    return workbook_to_raw(path, source, digest, "xlsx")


def _renamed_ole(path: Path, source: str) -> IngestError:
    """An OLE2 file named .xlsx: an encrypted workbook (Excel wraps those in OLE) or a renamed .xls."""
    import msoffcrypto

    with open(path, "rb") as f:
        try:
            encrypted = msoffcrypto.OfficeFile(f).is_encrypted()
        except Exception:  # not an Office file msoffcrypto knows
            encrypted = False
    if encrypted:
        return IngestError(
            source, "bảng tính được đặt mật khẩu (mã hóa)", "gỡ mật khẩu trong Excel rồi lưu lại"
        )
    return IngestError(
        source, "đây là bảng tính Excel 97-2003 (.xls) được đặt tên .xlsx", "đổi đuôi tệp thành .xls"
    )
