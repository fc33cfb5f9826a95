"""The sidebar: filters, answer backend, number of passages, corpus list, upload + re-indexing."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from retrieval.search import SearchFilters
from retrieval.settings import Settings
from retrieval.ui.answering import BACKEND_LABELS
from retrieval.ui.corpus import NO_BODY, UPLOAD_TYPES
from retrieval.ui.state import Resources, available_backends, reindex
from retrieval.ui.views import md_escape, render_document_list

DEFAULT_K = 8  # the Answerer's (and the CLI's) default search depth


@dataclass(frozen=True)
class Controls:
    backend: str
    k: int
    filters: SearchFilters


def _year_filter(years: tuple[int, ...], undated: int) -> tuple[int | None, int | None, bool]:
    """A range over the years the archive holds (no empty years offered) and whether undated
    documents stay in (on by default, and said so)."""
    if not years:
        return None, None, True
    if len(years) == 1:
        st.caption(f"Năm ban hành: {years[0]} (kho chỉ có văn bản của một năm).")
        return None, None, True
    # Keyed by the archive's span: when a re-index adds an earlier or later year, the range starts
    # again as "all years" instead of silently excluding the new documents.
    lo, hi = st.select_slider(
        "Năm ban hành",
        options=list(years),
        value=(years[0], years[-1]),
        key=f"f_years_{years[0]}_{years[-1]}",
    )
    keep = True
    if undated:
        keep = st.checkbox(
            f"Gồm cả văn bản không ghi ngày ({undated})",
            value=True,
            key="f_undated",
            help="Văn bản không đọc được ngày ban hành vẫn được tìm khi lọc theo năm.",
        )
    if (lo, hi) == (years[0], years[-1]):
        return None, None, True  # full range: no filter
    return lo, hi, keep


def _choice(label: str, values: tuple[str, ...], placeholder: str, key: str) -> list[str]:
    """A multiselect of the values present; one value is stated, not offered."""
    if len(values) == 1:
        st.caption(f"{label}: {values[0]} (cả kho).")
        return []
    if not values:
        return []
    return st.multiselect(label, values, placeholder=placeholder, key=key)


def controls(res: Resources | None, settings: Settings) -> Controls:
    """Draw the filter and answer controls; return their current values."""
    st.header("Bộ lọc")
    filters = SearchFilters()
    if res is not None:
        opts = res.options
        year_from, year_to, undated = _year_filter(opts.years, opts.undated)
        tinh = _choice("Tỉnh, thành phố", opts.tinh, "Tất cả tỉnh, thành", "f_tinh")
        bodies = opts.co_quan + ((NO_BODY,) if opts.no_co_quan else ())
        co_quan = _choice("Cơ quan ban hành", bodies, "Tất cả cơ quan", "f_co_quan")
        loai = _choice("Loại văn bản", opts.loai, "Tất cả loại văn bản", "f_loai")
        filters = SearchFilters(
            year_from=year_from,
            year_to=year_to,
            co_quan=tuple(c for c in co_quan if c != NO_BODY),
            no_co_quan=NO_BODY in co_quan,
            loai=tuple(loai),
            tinh=tuple(tinh),
            include_undated=undated,
        )
    st.header("Trả lời")
    offered = available_backends(settings, repr(settings))
    default = settings.answer_backend if settings.answer_backend in offered else "extractive"
    backend = default
    if len(offered) > 1:
        backend = st.radio(
            "Cách trả lời",
            offered,
            index=offered.index(default),
            format_func=lambda b: BACKEND_LABELS.get(b, b),
            key="backend",
        )
    else:
        st.caption(f"Cách trả lời: {BACKEND_LABELS['extractive']}.")
    k = st.slider(
        "Số đoạn văn bản tìm để trả lời",
        1,
        20,
        DEFAULT_K,
        key="k",
        help="Số đoạn văn bản liên quan nhất được tìm ra để trả lời câu hỏi.",
    )
    return Controls(backend, int(k), filters)


def corpus_panel(res: Resources | None, settings: Settings) -> None:
    """The document list and the upload form."""
    if res is not None:
        with st.expander(f"Kho văn bản ({len(res.documents)})"):
            render_document_list(list(res.documents), res.flagged, res.searcher.document)
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
    target = None
    if settings.database_url:  # server mode: into a collection this user edits
        from retrieval.ui.server import editable

        mine = editable(settings)
        if not mine:
            st.caption("Bạn chỉ có quyền đọc; thêm văn bản cần vai trò biên tập (editor).")
            return
        target = st.selectbox("Bộ sưu tập", mine, format_func=lambda c: c.title, key="upload_collection")
    n = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        "Tệp văn bản: PDF, Word, Excel, HTML, TXT, ảnh quét",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        key=f"upload-{n}",
        help=f"Tệp được lưu vào thư mục '{settings.corpus_dir / (target.name if target else '')}' "
        "rồi lập chỉ mục ngay.",
    )
    if st.button("Lưu và lập chỉ mục", type="primary", disabled=not files, key="do_upload"):
        run_reindex(settings, [(f.name, f.getvalue()) for f in files or []], target)


def run_reindex(settings: Settings, uploads: list[tuple[str, bytes]], collection=None) -> None:
    """Index with a progress bar, keep the report for the next run, start a fresh run. In server
    mode ``collection`` (one the user edits) receives the uploads."""
    bar = st.progress(0.0, text="Đang lập chỉ mục…")
    if collection is not None:
        from retrieval.ui.server import reindex_collection

        outcome = reindex_collection(
            settings, collection, uploads, lambda frac, text: bar.progress(frac, text=text)
        )
    else:
        outcome = reindex(settings, uploads, lambda frac, text: bar.progress(frac, text=text))
    st.session_state["index_lines"] = outcome.lines
    st.session_state["index_fresh"] = True
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()
