"""Saving uploaded files into the corpus folder: safe names, unique, atomic, one result per file.

No Streamlit here. Rules:

* A name is reduced to a plain file name (last path component, NFC, no control/reserved characters,
  not hidden) and cut to ``MAX_NAME_BYTES`` bytes of UTF-8 (the file-system limit is in bytes: 60
  CJK characters are 180 bytes), never inside a character, the extension kept.
* The data are written to a hidden temporary file, fsynced, then given their name with ``os.link``,
  which fails when the name exists (any entry: a file, a directory, a dangling symlink), so nothing
  is ever replaced and two uploads of one name at once cannot both claim it. A taken name with the
  same content means "already there"; otherwise the next free "name (2).ext" is tried.
* ``save_upload`` never raises: every failure is that file's own Vietnamese result line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from retrieval.ingest.formats import SUPPORTED_SUFFIXES

UPLOAD_TYPES = tuple(s.lstrip(".") for s in SUPPORTED_SUFFIXES)  # every format the indexer reads
MAX_NAME_BYTES = 255  # NAME_MAX of ext4/xfs/btrfs/APFS/NTFS (in UTF-8 bytes for the Linux ones)
MAX_COPIES = 1000  # "name (2).ext" … "name (1000).ext"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_DEFAULT_STEM = "van-ban"


@dataclass(frozen=True)
class SavedUpload:
    name: str  # what the user uploaded
    source: str | None  # path relative to the corpus dir, None when not saved
    message: str  # Vietnamese, one line
    ok: bool
    new: bool = False  # a file this upload created (removed again if it cannot be indexed)


def cut_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form fits ``max_bytes`` (whole characters only)."""
    return text.encode("utf-8")[: max(max_bytes, 0)].decode("utf-8", errors="ignore")


def split_name(name: str) -> tuple[str, str]:
    """(stem, suffix without the dot, lower-cased)."""
    stem, dot, suffix = name.rpartition(".")
    return (stem, suffix.lower()) if dot and stem else (name, "")


def fit_name(stem: str, suffix: str, copy: int = 1, max_bytes: int = MAX_NAME_BYTES) -> str:
    """``stem[ (copy)].suffix`` within ``max_bytes``, the stem shortened as needed."""
    tail = (f" ({copy})" if copy > 1 else "") + (f".{suffix}" if suffix else "")
    short = cut_utf8(stem, max_bytes - len(tail.encode("utf-8"))).strip()
    return (short or _DEFAULT_STEM) + tail


def safe_filename(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A plain file name: last path component, NFC, no control or reserved characters, not hidden,
    at most ``max_bytes`` bytes of UTF-8."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip().lstrip(".~$ ")
    stem, suffix = split_name(base)
    if len(suffix.encode("utf-8")) > 16:  # not an extension, part of the name
        stem, suffix = base, ""
    return fit_name(stem.strip() or _DEFAULT_STEM, suffix, max_bytes=max_bytes)


def _same_file(path: Path, data: bytes) -> bool:
    """``path`` is a regular file (not a link) holding exactly ``data``."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return False
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


def _write_temp(folder: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=folder)  # O_EXCL, mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _claim(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the name ``target`` unless the name exists (FileExistsError)."""
    try:
        os.link(tmp, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:  # file systems without hard links: exclusive create, then copy
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(tmp.read_bytes())
            out.flush()
            os.fsync(out.fileno())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _store(corpus_dir: Path, clean: str, data: bytes) -> tuple[str, bool] | None:
    """(name, created) — created False when the name already holds the same bytes; None when every
    candidate name is taken."""
    stem, suffix = split_name(clean)
    tmp = _write_temp(corpus_dir, data)
    try:
        for copy in range(1, MAX_COPIES + 1):
            target = corpus_dir / fit_name(stem, suffix, copy)
            try:
                _claim(tmp, target)
            except FileExistsError:
                if _same_file(target, data):
                    return target.name, False
                continue
            _fsync_dir(corpus_dir)
            return target.name, True
        return None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def save_upload(corpus_dir: Path, name: str, data: bytes) -> SavedUpload:
    """Write one uploaded file into ``corpus_dir``; never overwrites anything, never raises."""
    try:
        clean = safe_filename(name)
    except Exception as exc:  # noqa: BLE001 - a name we cannot even clean is that file's error
        return SavedUpload(name, None, f"{name}: tên tệp không hợp lệ ({exc}).", False)
    suffix = split_name(clean)[1]
    if suffix not in UPLOAD_TYPES:
        kinds = ", ".join(t.upper() for t in UPLOAD_TYPES)
        return SavedUpload(name, None, f"{name}: định dạng không được hỗ trợ (chỉ nhận {kinds}).", False)
    if not data:
        return SavedUpload(name, None, f"{name}: tệp rỗng, không lưu.", False)
    try:
        corpus_dir.mkdir(parents=True, exist_ok=True)
        stored = _store(corpus_dir, clean, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENAMETOOLONG:
            reason = "đường dẫn thư mục kho văn bản quá dài"
        return SavedUpload(name, None, f"{name}: không lưu được vào kho văn bản ({reason}).", False)
    if stored is None:
        return SavedUpload(
            name, None, f"{name}: đã có quá nhiều tệp cùng tên trong kho văn bản; hãy đổi tên tệp.", False
        )
    source, created = stored
    if not created:
        return SavedUpload(name, source, f"{source}: đã có trong kho văn bản (cùng nội dung).", True)
    renamed = "" if source == clean else f" (tên {clean} đã có tệp khác)"
    return SavedUpload(name, source, f"{source}: đã lưu vào kho văn bản{renamed}.", True, new=True)
