"""The sidebar: filters, answer backend, number of passages, corpus list, upload + re-indexing."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from retrieval.search import SearchFilters
from retrieval.settings import BACKENDS, Settings
from retrieval.ui.answering import BACKEND_LABELS
from retrieval.ui.corpus import UPLOAD_TYPES
from retrieval.ui.state import Resources, reindex
from retrieval.ui.views import md_escape, render_document_list

DEFAULT_K = 8  # the Answerer's (and the CLI's) default search depth


@dataclass(frozen=True)
class Controls:
    backend: str
    k: int
    filters: SearchFilters


def _year_filter(years: tuple[int, ...], undated: int) -> tuple[int | None, int | None]:
    if len(years) < 2:
        if years:
            st.caption(f"Năm ban hành: {years[0]} (kho chỉ có văn bản của một năm).")
        return None, None
    lo, hi = st.slider("Năm ban hành", years[0], years[-1], (years[0], years[-1]), step=1, key="f_years")
    if (lo, hi) == (years[0], years[-1]):
        return None, None  # full range: no filter, so undated documents stay searchable
    if undated:
        st.caption(f"Đang lọc theo năm: {undated} văn bản không ghi ngày sẽ bị loại.")
    return lo, hi


def controls(res: Resources | None, settings: Settings) -> Controls:
    """Draw the filter and answer controls; return their current values."""
    st.header("Bộ lọc")
    year_from = year_to = None
    co_quan: list[str] = []
    loai: list[str] = []
    if res is not None:
        opts = res.options
        year_from, year_to = _year_filter(opts.years, opts.undated)
        co_quan = st.multiselect(
            "Cơ quan ban hành", opts.co_quan, placeholder="Tất cả cơ quan", key="f_co_quan"
        )
        loai = st.multiselect("Loại văn bản", opts.loai, placeholder="Tất cả loại văn bản", key="f_loai")
    st.header("Trả lời")
    default = settings.answer_backend if settings.answer_backend in BACKENDS else "extractive"
    backend = st.radio(
        "Cách trả lời",
        BACKENDS,
        index=BACKENDS.index(default),
        format_func=lambda b: BACKEND_LABELS.get(b, b),
        key="backend",
    )
    k = st.slider(
        "Số đoạn văn bản tìm để trả lời",
        1,
        20,
        DEFAULT_K,
        key="k",
        help="Số đoạn văn bản liên quan nhất được tìm ra để trả lời câu hỏi.",
    )
    filters = SearchFilters(year_from=year_from, year_to=year_to, co_quan=tuple(co_quan), loai=tuple(loai))
    return Controls(backend, int(k), filters)


def corpus_panel(res: Resources | None, settings: Settings) -> None:
    """The document list and the upload form."""
    if res is not None:
        with st.expander(f"Kho văn bản ({len(res.documents)})"):
            render_document_list(list(res.documents), res.flagged)
    with st.expander("Thêm văn bản", expanded=st.session_state.pop("index_fresh", False)):
        upload_form(settings)


_LEVELS = {
    "success": ":green[:material/check_circle:]",
    "info": ":blue[:material/info:]",
    "warning": ":orange[:material/warning:]",
    "error": ":red[:material/error:]",
}


def upload_form(settings: Settings) -> None:
    lines = st.session_state.get("index_lines") or []
    if lines:
        st.caption("  \n".join(f"{_LEVELS.get(level, '')} {md_escape(line)}" for level, line in lines))
    n = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        "Tệp PDF, DOCX, TXT (hoặc MD)",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        key=f"upload-{n}",
        help=f"Tệp được lưu vào thư mục '{settings.corpus_dir}' rồi lập chỉ mục ngay.",
    )
    if st.button("Lưu và lập chỉ mục", type="primary", disabled=not files, key="do_upload"):
        run_reindex(settings, [(f.name, f.getvalue()) for f in files or []])


def run_reindex(settings: Settings, uploads: list[tuple[str, bytes]]) -> None:
    """Index with a progress bar, keep the report for the next run, start a fresh run."""
    bar = st.progress(0.0, text="Đang lập chỉ mục…")
    outcome = reindex(settings, uploads, lambda frac, text: bar.progress(frac, text=text))
    st.session_state["index_lines"] = outcome.lines
    st.session_state["index_fresh"] = True
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()
