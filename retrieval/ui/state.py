"""Process-wide resources of the chat (loaded once, ``st.cache_resource``) and re-indexing from the UI.

The embedding model is cached on its own, so re-indexing and reloading the searcher never load it
again. The searcher is cached by a stamp of the index manifest (``manifest_stamp``: the file's
identity and times, and the generation it names), checked on every run: an index rebuilt by another
process (``tracuu index``) is picked up on the next interaction, without a restart.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from retrieval.answer.documents import graph_of
from retrieval.search import Searcher
from retrieval.settings import Settings
from retrieval.store import MANIFEST, StoredDocument, read_manifest
from retrieval.stores import open_searcher
from retrieval.ui.corpus import (
    ChunkLookup,
    FilterOptions,
    SavedUpload,
    filter_options,
    save_upload,
    sort_documents,
)
from retrieval.ui.examples import ArchiveSummary, archive_summary, example_questions

FLAGGED_NOTE = (
    "có đoạn nhắm vào trợ lý AI (câu ra lệnh, mã chat template hoặc dấu “đã kiểm chứng” giả) — "
    "vẫn xem được trong kho nhưng không dùng để trả lời"
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class Resources:
    settings: Settings
    searcher: Searcher
    lookup: ChunkLookup
    options: FilterOptions
    documents: tuple[StoredDocument, ...]  # sorted for the sidebar list (metadata only: no text)
    flagged: frozenset[str] = frozenset()  # doc ids with passages addressed to an AI (never answers)
    examples: tuple[str, ...] = ()  # questions drawn from this archive (the first screen)
    summary: ArchiveSummary | None = None  # what the archive holds (the first screen)


def _quiet() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning)
    for name in ("sentence_transformers", "transformers", "bm25s", "faiss"):
        logging.getLogger(name).setLevel(logging.ERROR)


# One intra-op thread per torch call: a question embeds a few dozen tokens (~30 ms on one core), and
# with more threads than free cores (other processes, several sessions) torch's spinning threads made
# the same call take ~1 s on the 2-core test machine. Re-indexing uploads is a little slower instead.
TORCH_THREADS = int(os.environ.get("TRACUU_UI_TORCH_THREADS", "1"))


@st.cache_resource(show_spinner="Đang nạp mô hình nhúng…", max_entries=2)
def load_embedder(_settings: Settings, key: str):
    """The embedding model of ``_settings`` (``key``: the settings' repr, the cache key)."""
    _quiet()
    import torch

    from retrieval.embedding import make_embedder

    if TORCH_THREADS > 0:
        torch.set_num_threads(TORCH_THREADS)

    model = make_embedder(_settings)
    model.embed_queries(["khởi động mô hình"])  # first call pays the one-off graph set-up
    return model


def manifest_stamp(index_dir: Path) -> tuple:
    """What identifies the live index: a save replaces manifest.json (a new inode, new times) and names
    a new generation, so any re-index changes the stamp even within one clock tick; () when absent."""
    path = index_dir / MANIFEST
    try:
        st = path.stat()
        generation = json.loads(path.read_text(encoding="utf-8")).get("generation")
    except (OSError, ValueError, AttributeError):
        try:
            st = path.stat()
        except OSError:
            return ()
        generation = None
    return (st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns, st.st_size, generation)


@st.cache_resource(show_spinner="Đang nạp chỉ mục…", max_entries=2)
def load_resources(_settings: Settings, key: str, stamp: tuple) -> Resources:
    """The searcher of ``_settings.index_dir`` as of manifest ``stamp`` (raises the store's errors)."""
    settings = _settings
    read_manifest(settings.index_dir)  # a missing index is reported before loading the model
    return build_resources(settings, open_searcher(settings, shared_embedder(settings)))


def build_resources(settings: Settings, searcher: Searcher) -> Resources:
    """What the pages use, derived once from a loaded searcher (of either store)."""
    _ = searcher.embedder  # raises IndexMismatchError now if the index was built with other weights
    searcher.search("khởi động chỉ mục", k=1)  # warm BM25, FAISS, the segmenter
    _warm_answerer(searcher, settings)
    return Resources(
        settings,
        searcher,
        ChunkLookup.of_searcher(searcher),
        filter_options(searcher.documents),
        tuple(sort_documents(searcher.documents)),
        frozenset(searcher.flagged_docs),
        tuple(example_questions(searcher.documents, searcher.chunks, graph=graph_of(searcher))),
        archive_summary(searcher.documents),
    )


def _warm_answerer(searcher: Searcher, settings: Settings) -> None:
    from retrieval.ui.answering import ask

    try:
        backend, _ = answer_backend(settings, "extractive")
        for _ in ask(searcher, backend, ChunkLookup(()), "Báo cáo gửi trước ngày nào?", k=2):
            pass
    except Exception:  # warming is best effort; a real question shows the real error
        logging.getLogger(__name__).debug("answerer warm-up failed", exc_info=True)


@st.cache_resource(show_spinner="Đang chuẩn bị mô hình trả lời…", max_entries=4)
def load_backend(_settings: Settings, key: str, name: str):
    """An answer backend (a local LLM is loaded once per process); BackendUnavailable is not cached."""
    from retrieval.answer import make_backend

    return make_backend(name, _settings)


def answer_backend(settings: Settings, name: str):
    """(backend, note): the chosen backend, or the extractive one and a Vietnamese note saying why."""
    from retrieval.answer import BackendUnavailable

    try:
        return load_backend(settings, repr(settings), name), None
    except BackendUnavailable as exc:
        note = f"Không dùng được cách trả lời đã chọn: {exc}. Câu trả lời dưới đây trích nguyên văn."
        return load_backend(settings, repr(settings), "extractive"), note


@st.cache_data(show_spinner=False, ttl=300)
def available_backends(_settings: Settings, key: str = "") -> list[str]:
    """The answer backends that can run here ("extractive" always); why the others cannot goes to
    the log, for the administrator, never to the cadre's screen."""
    import importlib.util

    from retrieval.answer import BackendUnavailable, make_backend

    out = ["extractive"]
    for name in ("llamacpp", "openai"):
        try:
            if name == "llamacpp" and importlib.util.find_spec("llama_cpp") is None:
                raise BackendUnavailable("llama-cpp-python chưa được cài (make setup-llm)")
            make_backend(name, _settings)
        except BackendUnavailable as exc:
            logging.getLogger(__name__).info("backend %s not offered: %s", name, exc)
            continue
        out.append(name)
    return out


def shared_embedder(settings: Settings):
    return load_embedder(settings, repr(settings))


def current_resources(settings: Settings) -> Resources:
    return load_resources(settings, repr(settings), manifest_stamp(settings.index_dir))


@dataclass
class IndexOutcome:
    lines: list[tuple[str, str]]  # (level, Vietnamese line): level in success | info | warning | error


def reindex(settings: Settings, uploads: list[tuple[str, bytes]], progress) -> IndexOutcome:
    """Save ``uploads`` into the corpus dir, index it incrementally, drop the cached searcher.

    ``progress(fraction, text)`` is called while indexing (a Streamlit progress bar's ``progress``).
    """
    from retrieval.indexer import IndexLockedError, build_index
    from retrieval.store import IndexError_

    saved, lines = save_uploads(settings.corpus_dir, uploads)
    if uploads and not any(s.ok for s in saved):
        return IndexOutcome(lines)

    def on_progress(snap) -> None:  # documents, chunks, MB/s and time left, as the CLI prints them
        if snap.stage == "read":
            frac = 0.6 * snap.docs_done / max(1, snap.docs_total)
        elif snap.stage == "embed":
            frac = 0.6 + 0.3 * snap.chunks / max(1, snap.chunks_total)
        else:
            frac = 0.95
        progress(min(frac, 0.95), snap.line())

    progress(0.0, "Đang chuẩn bị lập chỉ mục…")
    try:
        report = build_index(
            settings.corpus_dir,
            settings.index_dir,
            settings,
            embedder=shared_embedder(settings),
            on_progress=on_progress,
        )
    except (IndexLockedError, IndexError_, OSError) as exc:
        lines.extend(("info", f"{s.message} Chưa lập chỉ mục.") for s in saved if s.new)
        lines.append(("error", f"Không lập chỉ mục được: {exc}"))
        return IndexOutcome(lines)
    progress(1.0, "Đã lập chỉ mục xong.")
    load_resources.clear()
    return IndexOutcome(lines + report_lines(report, saved, settings.corpus_dir, "chỉ mục"))


def save_uploads(folder: Path, uploads: list[tuple[str, bytes]]) -> tuple[list[SavedUpload], list]:
    """Save each upload into ``folder`` (``save_upload`` never raises: the batch always goes on); the
    lines for those not saved or already there (new files are reported by the indexer)."""
    saved = [save_upload(folder, name, data) for name, data in uploads]
    return saved, [("info" if s.ok else "error", s.message) for s in saved if not s.new]


def report_lines(report, saved: list[SavedUpload], folder: Path, place: str) -> list[tuple[str, str]]:
    """What an indexing run did, one line per file, for the upload panel. ``place``: where the files
    went ("chỉ mục", or a collection). A new upload that cannot be read is removed from ``folder``."""
    mine = {s.source for s in saved if s.source and s.new}
    lines = [("success", f"{source}: đã thêm vào {place}, có thể tra cứu ngay.") for source in report.added]
    lines += [("success", f"{source}: đã cập nhật trong {place}.") for source in report.updated]
    lines += [("info", f"{source}: không còn trong kho, đã xóa khỏi {place}.") for source in report.removed]
    for failure in report.failures:
        if failure.source in mine:  # a new upload that cannot be read: do not leave it in the corpus
            (folder / failure.source).unlink(missing_ok=True)
            lines.append(("error", f"{failure.line()}. Tệp chưa được thêm vào kho; hãy sửa rồi tải lên lại."))
        else:
            lines.append(("warning", f"Lỗi (tệp có sẵn trong kho) — {failure.line()}"))
    changed = {*report.added, *report.updated}
    for source in (s for s in report.flagged if s in changed):
        lines.append(("warning", f"{source}: {FLAGGED_NOTE}"))
    reported = {*report.added, *report.updated, *(f.source for f in report.failures)}
    lines.extend(("info", s.message) for s in saved if s.new and s.source not in reported)
    if not (report.added or report.updated or report.removed or report.failures):
        lines.append(("info", f"Không có văn bản mới hoặc thay đổi; {place} giữ nguyên."))
    total = f"{place[0].upper()}{place[1:]} hiện có {report.n_documents} văn bản, {report.n_chunks} đoạn."
    lines.append(("info", total))
    return lines


def page_context() -> tuple[Settings, Resources | None, str | None]:
    """Settings, the loaded index (None and the reason when it cannot be loaded) for a page."""
    from retrieval.settings import SettingsError
    from retrieval.store import IndexError_

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        st.error(f"Lỗi cấu hình: {exc}")
        st.stop()
    if settings.database_url:
        from retrieval.ui.server import server_context

        return server_context(settings)
    try:
        return settings, current_resources(settings), None
    except IndexError_ as exc:  # missing, or built with other settings / another model
        return settings, None, str(exc)


def guarded(page, *args) -> None:
    """Run a page; an unexpected error is said in Vietnamese on screen and logged with its traceback
    (Streamlit's own error box is in English and, with showErrorDetails = "none", says nothing)."""
    try:
        page(*args)
    except Exception as exc:  # noqa: BLE001 - Streamlit's rerun/stop signals are BaseExceptions
        logging.getLogger("tracuu.ui").exception("page failed")
        st.error(f"Đã xảy ra lỗi khi hiển thị trang này: {type(exc).__name__}: {exc}. Hãy tải lại trang.")
