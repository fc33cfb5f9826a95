"""Safe file access shared by the loaders: open only regular files, hash, sniff content types."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from retrieval.ingest.errors import IngestError

READ_CHUNK = 1 << 20  # 1 MiB

HINT_RERUN = "chạy lại lệnh lập chỉ mục"
HINT_REPORT = "báo lỗi cho nhóm phát triển, gửi kèm tệp này"

_MAGIC = (
    (b"%PDF-", "PDF", ".pdf"),
    (b"PK\x03\x04", "ZIP/DOCX", ".docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Word 97-2003 (.doc) hoặc Office cũ", ".doc"),
    (b"\x89PNG\r\n\x1a\n", "ảnh PNG", ".png"),
    (b"\xff\xd8\xff", "ảnh JPEG", ".jpg"),
    (b"II*\x00", "ảnh TIFF", ".tif"),
    (b"MM\x00*", "ảnh TIFF", ".tif"),
    (b"GIF8", "ảnh GIF", ".gif"),
    (b"{\\rtf", "RTF", ".rtf"),
    (b"\x7fELF", "chương trình (ELF)", ""),
    (b"MZ", "chương trình Windows (EXE)", ""),
    (b"\x1f\x8b", "tệp nén gzip", ""),
    (b"Rar!", "tệp nén RAR", ""),
    (b"7z\xbc\xaf\x27\x1c", "tệp nén 7z", ""),
)


def oserror_to_ingest(source: str, exc: OSError) -> IngestError:
    """A clear Vietnamese IngestError for an OSError raised while opening or reading a file."""
    if isinstance(exc, FileNotFoundError):
        return IngestError(
            source,
            "tệp không còn tồn tại (có thể đã bị xóa, di chuyển hoặc là liên kết hỏng)",
            HINT_RERUN,
        )
    if isinstance(exc, PermissionError):
        return IngestError(
            source, "không có quyền đọc tệp", "cấp quyền đọc cho tệp (chmod +r) rồi lập chỉ mục lại"
        )
    if exc.errno == errno.ELOOP:
        return IngestError(source, "liên kết tượng trưng tạo thành vòng lặp", "xóa hoặc sửa liên kết này")
    if isinstance(exc, IsADirectoryError):
        return IngestError(
            source, "đây là thư mục, không phải tệp", "các tệp bên trong thư mục được lập chỉ mục riêng"
        )
    reason = exc.strerror or type(exc).__name__
    return IngestError(source, f"không đọc được tệp ({reason})", "kiểm tra ổ đĩa và quyền truy cập tệp")


def check_regular(st: os.stat_result, source: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise IngestError(
            source, "đây là thư mục, không phải tệp", "các tệp bên trong thư mục được lập chỉ mục riêng"
        )
    if not stat.S_ISREG(st.st_mode):
        raise IngestError(
            source,
            "không phải tệp thông thường (FIFO, socket hoặc thiết bị)",
            "chỉ đặt tệp tài liệu vào thư mục dữ liệu",
        )


def open_regular(path: Path, source: str) -> BinaryIO:
    """Open ``path`` for binary reading, refusing anything but a regular file.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; fstat on the open
    descriptor then rejects it, with no window for the entry to be swapped in between.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise oserror_to_ingest(source, exc) from exc
    try:
        check_regular(os.fstat(fd), source)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_exact_head(f: BinaryIO, n: int, source: str) -> bytes:
    try:
        return f.read(n)
    except OSError as exc:
        raise oserror_to_ingest(source, exc) from exc


def sha256_of(f: BinaryIO, source: str) -> str:
    """Hash the whole stream in chunks; leaves the position at the start."""
    h = hashlib.sha256()
    try:
        f.seek(0)
        while chunk := f.read(READ_CHUNK):
            h.update(chunk)
        f.seek(0)
    except OSError as exc:
        raise oserror_to_ingest(source, exc) from exc
    return h.hexdigest()


def file_size(f: BinaryIO) -> int:
    return os.fstat(f.fileno()).st_size


def sniff(head: bytes) -> tuple[str, str] | None:
    """(kind in Vietnamese, usual suffix) when the first bytes carry a known binary signature."""
    for magic, kind, suffix in _MAGIC:
        if head.startswith(magic):
            return kind, suffix
    return None


def empty_file_error(source: str) -> IngestError:
    return IngestError(
        source, "tệp rỗng (0 byte)", "kiểm tra lại tệp gốc; có thể tệp tải về hoặc sao chép chưa xong"
    )


def no_text_error(source: str, detail: str = "") -> IngestError:
    reason = "không có nội dung văn bản" + (f" ({detail})" if detail else "")
    return IngestError(source, reason, "kiểm tra lại tệp gốc")
