"""List the files of a corpus folder, deterministically and without ever raising.

Only files inside the corpus are documents: an entry whose real path (symlinks resolved) lies outside
the corpus root is refused, unless it lies under one of the folders listed in ``TRACUU_ALLOWED_ROOTS``
(``os.pathsep``-separated). ``load_document`` checks the same rule again on the path it opens.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import oserror_to_ingest
from retrieval.ingest.formats import FORMATS, unsupported_error

# Litter that file managers and Office leave next to documents: skipped silently, like hidden files.
_IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})
_SKIP_LINK = "đã bỏ qua; xóa liên kết này nếu không cần"
ALLOWED_ROOTS_ENV = "TRACUU_ALLOWED_ROOTS"


def allowed_roots(corpus_root: Path) -> tuple[Path, ...]:
    """Real paths under which documents may lie: the corpus root and the folders of the setting."""
    extra = [p for p in os.environ.get(ALLOWED_ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    return tuple(Path(os.path.realpath(p)) for p in (corpus_root, *extra))


class OutsideCorpusError(IngestError):
    """A path that resolves outside the corpus: never indexed, and an older indexed version is dropped."""


def outside_error(path: Path, roots: tuple[Path, ...], source: str) -> IngestError | None:
    """An IngestError when the real path of ``path`` is under none of ``roots``."""
    real = Path(os.path.realpath(path))
    if any(real == r or real.is_relative_to(r) for r in roots):
        return None
    shown = real.as_posix().encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return OutsideCorpusError(
        source,
        f"đường dẫn trỏ ra ngoài thư mục dữ liệu ({shown}); không lập chỉ mục",
        f"xóa liên kết này, hoặc thêm thư mục đích vào {ALLOWED_ROOTS_ENV} nếu thật sự cần",
    )


def _ignored(name: str) -> bool:
    return name.startswith((".", "~$")) or name.lower() in _IGNORED_NAMES


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def iter_corpus_files(corpus_root: Path) -> Iterator[Path | IngestError]:
    """Yield every document under ``corpus_root`` (sorted by path, depth first), or an IngestError for
    an entry that cannot be one: unsupported suffix, unreadable folder, broken or looping symlink,
    FIFO/socket/device. Hidden entries (".name") and Office lock files ("~$name") are skipped.
    Symlinks are followed, but a folder is never walked twice, so link loops end."""
    root = Path(corpus_root)
    try:
        st = os.stat(root)
    except OSError as exc:
        err = oserror_to_ingest(root.as_posix(), exc)
        yield IngestError(
            err.source, f"không mở được thư mục dữ liệu: {err.reason}", "kiểm tra đường dẫn thư mục"
        )
        return
    if not stat.S_ISDIR(st.st_mode):
        yield IngestError(root.as_posix(), "đường dẫn dữ liệu không phải là thư mục", "chỉ định một thư mục")
        return
    roots = allowed_roots(root)
    yield from _walk(root, root, {(st.st_dev, st.st_ino)}, {(st.st_dev, st.st_ino)}, roots)


def _walk(
    root: Path, folder: Path, ancestors: set, seen: set, roots: tuple[Path, ...]
) -> Iterator[Path | IngestError]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        err = oserror_to_ingest(_rel(folder, root) or ".", exc)
        yield IngestError(err.source, f"không đọc được thư mục: {err.reason}", err.hint)
        return
    for entry in entries:
        if _ignored(entry.name):
            continue
        path = Path(entry.path)
        source = _rel(path, root)
        is_link = False
        try:
            is_link = entry.is_symlink()
            st = os.stat(path)
        except OSError as exc:
            if is_link and isinstance(exc, FileNotFoundError):
                yield IngestError(
                    source, "liên kết tượng trưng hỏng (đích không tồn tại)", "xóa hoặc sửa liên kết này"
                )
            else:
                yield oserror_to_ingest(source, exc)
            continue
        if is_link and (err := outside_error(path, roots, source)):
            yield err
            continue
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                yield IngestError(
                    source, "liên kết thư mục tạo thành vòng lặp (trỏ về thư mục cha)", _SKIP_LINK
                )
            elif key in seen:
                yield IngestError(source, "thư mục này đã được duyệt qua một đường dẫn khác", _SKIP_LINK)
            else:
                seen.add(key)
                yield from _walk(root, path, ancestors | {key}, seen, roots)
        elif stat.S_ISREG(mode):
            suffix = path.suffix.lower()
            yield path if suffix in FORMATS else unsupported_error(source, suffix)
        else:
            yield IngestError(
                source,
                "không phải tệp thông thường (FIFO, socket hoặc thiết bị)",
                "chỉ đặt tệp tài liệu vào thư mục dữ liệu",
            )
