"""Which suffix goes to which loader module, and the error for the ones no loader handles."""

from __future__ import annotations

from retrieval.ingest.errors import IngestError

FORMATS = {
    ".txt": "text",
    ".md": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "office",
    ".rtf": "office",
    ".odt": "office",
    ".xls": "office",
    ".xlsx": "sheets",
    ".html": "html",
    ".htm": "html",
    ".png": "ocr",
    ".jpg": "ocr",
    ".jpeg": "ocr",
    ".tif": "ocr",
    ".tiff": "ocr",
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(FORMATS)

_CONVERT = "mở bằng Word hoặc LibreOffice rồi lưu lại dưới dạng .docx hoặc .pdf"
_UNSUPPORTED_HINTS = {
    ".ppt": ("bản trình chiếu PowerPoint chưa được hỗ trợ", _CONVERT),
    ".pptx": ("bản trình chiếu PowerPoint chưa được hỗ trợ", _CONVERT),
    ".zip": ("tệp nén chưa được hỗ trợ", "giải nén vào thư mục dữ liệu rồi lập chỉ mục lại"),
    ".rar": ("tệp nén chưa được hỗ trợ", "giải nén vào thư mục dữ liệu rồi lập chỉ mục lại"),
    ".7z": ("tệp nén chưa được hỗ trợ", "giải nén vào thư mục dữ liệu rồi lập chỉ mục lại"),
}


def unsupported_error(source: str, suffix: str) -> IngestError:
    if suffix in _UNSUPPORTED_HINTS:
        reason, hint = _UNSUPPORTED_HINTS[suffix]
        return IngestError(source, reason, hint)
    shown = f"'{suffix}'" if suffix else "không có phần mở rộng"
    return IngestError(
        source,
        f"định dạng tệp {shown} chưa được hỗ trợ",
        "các định dạng được hỗ trợ: " + ", ".join(SUPPORTED_SUFFIXES),
    )
