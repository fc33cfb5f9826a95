"""Word 97-2003 (.doc), RTF and OpenDocument text (.odt) through LibreOffice, then the DOCX reader;
Excel 97-2003 (.xls) through LibreOffice, then the workbook reader (``sheets``).

LibreOffice reads what antiword and pure-Python parsers do not (Word "fast-saved" files, RTF with
legacy font tables) and keeps each run's font, so text typed in .VnTime/VNI-Times is decoded afterwards
by font (``legacy_fonts``). Each conversion runs ``soffice --headless --convert-to`` in a private user
profile (one per process, so parallel indexers never share one) under a time limit
(``TRACUU_CONVERT_TIMEOUT_S``); on timeout the whole process group is killed.

Before converting, the content is sniffed: a ".doc" that is really a web page (Word's "Save as Web
Page", common on government sites) goes to the HTML reader, one that is really a .docx to the DOCX
reader; an encrypted file, a truncated OLE file or a ZIP of something else is a clear IngestError.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import empty_file_error, file_size, open_regular, sha256_of, sniff
from retrieval.ingest.limits import ingest_limits
from retrieval.types import RawDocument

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HINT_SETUP = "cài LibreOffice bằng lệnh: make setup-office (hoặc apt-get install libreoffice-writer-nogui)"
_RESAVE = "mở bằng Word/Excel hoặc LibreOffice rồi lưu lại (.docx/.xlsx) và lập chỉ mục lại"
_KIND = {
    "doc": "tệp Word 97-2003 (.doc)",
    "rtf": "tệp RTF",
    "odt": "tài liệu OpenDocument (.odt)",
    "xls": "bảng tính Excel 97-2003 (.xls)",
}
_profile_lock = threading.Lock()
_profile_dir: Path | None = None


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile() -> Path:
    """This process's private LibreOffice profile (created on first use, removed at exit)."""
    global _profile_dir
    if _profile_dir is None:
        _profile_dir = Path(tempfile.mkdtemp(prefix="tracuu-lo-profile-"))
        atexit.register(shutil.rmtree, _profile_dir, True)
    return _profile_dir


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


@contextmanager
def converted(path: Path, source: str, target: str) -> Iterator[Path]:
    """Convert ``path`` with LibreOffice to ``target`` ("docx" | "xlsx"); yields the converted file,
    removed afterwards. IngestError when LibreOffice is missing, times out or produces nothing."""
    binary = soffice_binary()
    kind = _KIND.get(path.suffix.lower().lstrip("."), "tệp văn phòng")
    if binary is None:
        raise IngestError(source, f"chưa cài LibreOffice nên không đọc được {kind}", HINT_SETUP)
    timeout = ingest_limits().convert_timeout_s
    with tempfile.TemporaryDirectory(prefix="tracuu-convert-") as tmp:
        work = Path(tmp)
        src = work / f"input{path.suffix.lower()}"
        shutil.copyfile(path, src)
        out_dir = work / "out"
        with _profile_lock:  # one conversion at a time per profile; other processes use their own
            cmd = [
                binary,
                f"-env:UserInstallation={_profile().as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                str(src),
            ]
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env={**os.environ, "HOME": str(work)},
            )
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise IngestError(
                    source,
                    f"LibreOffice chuyển đổi {kind} quá {timeout} giây (tệp quá lớn hoặc bị hỏng)",
                    f"tăng TRACUU_CONVERT_TIMEOUT_S hoặc {_RESAVE}",
                ) from None
        result = out_dir / f"input.{target}"
        if not result.is_file() or result.stat().st_size == 0:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            shown = f" ({detail[0][:200]})" if detail else ""
            raise IngestError(
                source, f"LibreOffice không đọc được {kind}: tệp hỏng hoặc bị cắt cụt{shown}", _RESAVE
            )
        yield result


def _ole_problem(path: Path, source: str, kind: str) -> IngestError | None:
    """An OLE2 (.doc/.xls) file that is encrypted or whose container is broken."""
    import msoffcrypto
    import olefile

    try:
        if not olefile.isOleFile(str(path)):
            return IngestError(source, f"{kind} bị hỏng (cấu trúc OLE không hợp lệ)", _RESAVE)
        with open(path, "rb") as f:
            office = msoffcrypto.OfficeFile(f)
            encrypted = office.is_encrypted()
    except Exception as exc:  # olefile/msoffcrypto on a damaged container
        return IngestError(
            source, f"{kind} bị hỏng hoặc bị cắt cụt, không đọc được ({type(exc).__name__})", _RESAVE
        )
    if encrypted:
        return IngestError(
            source, f"{kind} được đặt mật khẩu (mã hóa)", "gỡ mật khẩu trong Word/Excel rồi lưu lại"
        )
    return None


def _looks_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "ignore").encode("ascii", "ignore").lower()
    return (
        text.startswith((b"<html", b"<!doctype html", b"<?xml", b"<head", b"<meta")) or b"<html" in text[:512]
    )


def _route(path: Path, source: str, head: bytes, expected: str) -> str:
    """Which reader the content calls for: "office" (convert), "docx", "xlsx" or "html"."""
    kind = _KIND[expected]
    if head.startswith(OLE_MAGIC):
        if expected in ("doc", "xls"):
            problem = _ole_problem(path, source, kind)
            if problem is not None:
                raise problem
        return "office"
    if head.startswith(b"{\\rtf"):
        return "office" if expected in ("doc", "rtf") else _mismatch(source, kind, "tệp RTF")
    if head.startswith(b"PK\x03\x04"):
        return _zip_route(path, source, kind, expected)
    if _looks_html(head) or head.lower().startswith(b"mime-version"):
        return "html"
    found = sniff(head)
    if found:
        raise _mismatch(source, kind, found[0])
    if expected == "rtf":
        raise IngestError(source, "tệp không phải RTF hợp lệ (thiếu phần đầu {\\rtf)", _RESAVE)
    raise IngestError(source, f"tệp không phải {kind} hợp lệ (không nhận ra định dạng)", _RESAVE)


def _mismatch(source: str, kind: str, actual: str) -> IngestError:
    return IngestError(
        source, f"tệp mang đuôi của {kind} nhưng nội dung là {actual}", "đổi đuôi tệp cho đúng"
    )


def _zip_route(path: Path, source: str, kind: str, expected: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, KeyError) as exc:
        raise IngestError(source, f"{kind} bị hỏng hoặc bị cắt cụt (cấu trúc ZIP lỗi)", _RESAVE) from exc
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "opendocument" in mimetype and expected == "odt":
        return "office"
    raise IngestError(source, f"tệp ZIP không phải {kind} (không có nội dung văn bản/bảng tính)", _RESAVE)


def load_office(path: Path, source: str) -> RawDocument:
    """A .doc/.rtf/.odt/.xls file; RawDocument.format is its own suffix."""
    fmt = path.suffix.lower().lstrip(".")
    with open_regular(path, source) as f:
        if file_size(f) == 0:
            raise empty_file_error(source)
        head = f.read(2048)
        digest = sha256_of(f, source)
    route = _route(path, source, head, fmt)
    if route == "html":
        from retrieval.ingest.html import load_html

        doc = load_html(path, source)
        return _as(doc, fmt, "tệp thực chất là trang web (HTML), đã đọc như trang web")
    if route == "docx":
        from retrieval.ingest.docx import load_docx

        return _as(load_docx(path, source), fmt, "tệp thực chất là .docx, đã đọc như .docx")
    if route == "xlsx":
        from retrieval.ingest.sheets import load_xlsx

        return _as(load_xlsx(path, source), fmt, "tệp thực chất là .xlsx, đã đọc như .xlsx")
    if fmt == "xls":
        from retrieval.ingest.sheets import workbook_to_raw

        with converted(path, source, "xlsx") as out:
            return workbook_to_raw(out, source, digest, fmt)
    import docx

    from retrieval.ingest.docx import document_to_raw

    with converted(path, source, "docx") as out:
        document = docx.Document(str(out))
    return document_to_raw(document, source, digest, fmt)


def _as(doc: RawDocument, fmt: str, note: str) -> RawDocument:
    from dataclasses import replace

    return replace(doc, format=fmt, warnings=(*doc.warnings, note))
