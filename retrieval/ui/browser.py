"""The document browser page: the catalogue as a sortable, filterable table, a timeline by year, and
one document's record — metadata, full text with its sections, references, the documents implementing
it, its series, and the original file.

The open document rides in the page address (``?van_ban=<id>``, with ``tu``/``den`` to highlight a
cited span), so a citation in the chat links straight to it and a reload keeps it.
"""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from retrieval.catalog.graph import build_graph
from retrieval.catalog.series import link_series
from retrieval.settings import Settings
from retrieval.store import StoredDocument
from retrieval.ui.catalogue_view import (
    COLUMNS,
    SORTS,
    Related,
    catalogue_records,
    implemented_by,
    matches,
    page_count,
    references_of,
    sections,
    series_members,
    sort_rows,
    timeline,
)
from retrieval.ui.html import document_html, fmt_date, scroll_script
from retrieval.ui.state import Resources
from retrieval.ui.views import md_escape

PAGE = "retrieval/ui/pages/browser.py"
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "htm": "text/html",
}


@st.cache_resource(show_spinner=False, max_entries=2)
def _relations(_res: Resources, generation: str):
    docs = _res.searcher.documents
    graph = build_graph(docs.values())
    series = link_series((d.doc_id, d.metadata, d.title) for d in docs.values())
    return graph, series


def _int_param(name: str) -> int | None:
    try:
        return int(st.query_params.get(name, ""))
    except ValueError:
        return None


def catalogue(res: Resources) -> None:
    docs = list(res.searcher.documents.values())
    st.title("Kho văn bản")
    counts = timeline(docs)
    st.caption(f"{len(docs)} văn bản. Bấm tiêu đề cột để sắp xếp; chọn một dòng để mở hồ sơ văn bản.")
    left, right = st.columns([3, 2], gap="small")
    needle = left.text_input(
        "Lọc danh mục",
        placeholder="Số/ký hiệu, trích yếu, cơ quan, người ký… (gõ không dấu được)",
        key="cat_q",
    )
    order = right.selectbox("Sắp xếp theo", list(SORTS), key="cat_sort")
    rows = sort_rows([r for r in catalogue_records(docs) if matches(r, needle)], order)
    if not rows:
        st.info("Không có văn bản nào khớp bộ lọc.")
        return
    event = st.dataframe(
        [{c: r[c] for c in COLUMNS} for r in rows],
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="cat_table",
        placeholder="—",
        column_config={
            "Ngày ban hành": st.column_config.DateColumn(format="DD/MM/YYYY"),
            "Số trang": st.column_config.NumberColumn(format="%d"),
            "Trích yếu": st.column_config.TextColumn(width="medium"),
            "Cơ quan ban hành": st.column_config.TextColumn(width="medium"),
        },
    )
    picked = event.selection.rows if event and event.selection else []
    if picked:
        st.query_params["van_ban"] = rows[picked[0]]["doc_id"]
        st.rerun()
    with st.expander("Số văn bản theo năm", expanded=True):
        st.bar_chart(
            {"Năm": [y for y, _ in counts], "Số văn bản": [n for _, n in counts]},
            x="Năm",
            y="Số văn bản",
            x_label="Năm ban hành",
            y_label="Số văn bản",
            height=220,
        )


def _related_list(items: list[Related], empty: str) -> None:
    if not items:
        st.caption(empty)
        return
    for item in items:
        if item.doc_id:
            st.page_link(
                PAGE, label=item.label, icon=":material/description:", query_params={"van_ban": item.doc_id}
            )
        else:
            st.markdown(f":material/link_off: {md_escape(item.label)} — *chưa có trong kho*")
        if item.context:
            st.caption(md_escape(item.context))


def _original(res: Resources, settings: Settings, doc: StoredDocument) -> Path | None:
    """The original file inside the corpus folder (never outside it), if it is still there."""
    root = res.searcher.source_root(doc.doc_id, settings.corpus_dir).resolve()
    path = (root / doc.source).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def document_view(res: Resources, settings: Settings, doc: StoredDocument) -> None:
    md = doc.metadata
    st.session_state.pop("cat_table", None)  # coming back, the catalogue opens with nothing selected
    st.page_link(PAGE, label="Danh mục văn bản", icon=":material/arrow_back:", query_params={})
    st.subheader(md_escape(doc.title or doc.source), anchor=False)
    facts = [
        ("Số/ký hiệu", md.so_ky_hieu),
        ("Loại văn bản", md.loai_van_ban),
        ("Ngày ban hành", fmt_date(md.ngay_ban_hanh)),
        ("Cơ quan ban hành", md.co_quan_ban_hanh),
        ("Nơi ban hành", md.dia_danh),
        ("Trích yếu", md.trich_yeu),
        ("Người ký", " — ".join(p for p in (md.chuc_vu_nguoi_ky, md.nguoi_ky) if p) or None),
        (
            "Tệp gốc",
            f"{doc.source} ({doc.format.upper()}"
            + (f", {page_count(doc)} trang)" if page_count(doc) else ")"),
        ),
    ]
    st.html(
        '<table class="tc-meta">'
        + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v or 'không ghi')}</td></tr>" for k, v in facts
        )
        + "</table>"
    )
    original = _original(res, settings, doc)
    if original is not None:
        st.download_button(
            "Tải tệp gốc",
            data=original.read_bytes(),
            file_name=original.name,
            mime=MIME.get(doc.format.lower(), "application/octet-stream"),
            icon=":material/download:",
            on_click="ignore",
            key="download_original",
        )
    if settings.database_url:
        _delete_control(res, settings, doc)
    for warning in doc.warnings:
        st.caption(f":material/warning: {md_escape(warning)}")
    graph, series = _relations(res, str(res.searcher.manifest.get("generation")))
    docs = res.searcher.documents
    tab_text, tab_links, tab_series = st.tabs(["Toàn văn", "Liên kết văn bản", "Cùng loạt"])
    with tab_text:
        _full_text(res, doc)
    with tab_links:
        st.subheader("Văn bản được căn cứ, trích dẫn")
        _related_list(references_of(doc, graph, docs), "Văn bản này không dẫn văn bản nào khác.")
        st.subheader("Văn bản thực hiện, trích dẫn văn bản này")
        _related_list(implemented_by(doc, graph, docs), "Chưa có văn bản nào trong kho dẫn văn bản này.")
    with tab_series:
        _related_list(
            series_members(doc, series, docs),
            "Không có văn bản cùng loạt (cùng cơ quan, cùng chủ đề, các năm khác) trong kho.",
        )


def _delete_control(res: Resources, settings: Settings, doc: StoredDocument) -> None:
    """Server mode: an editor of the document's collection may remove it (audited)."""
    from retrieval.ui.server import delete_document, editable

    name = res.searcher.collection(doc.doc_id)
    if name not in {c.name for c in editable(settings)}:
        return
    with st.popover("Xóa khỏi kho", icon=":material/delete:"):
        st.write(f"Xóa '{doc.source}' khỏi bộ sưu tập '{name}'? Việc xóa được ghi vào nhật ký.")
        if st.button("Xóa văn bản", type="primary", key="confirm_delete"):
            st.session_state["deleted_note"] = delete_document(settings, res, doc.doc_id)
            st.query_params.clear()
            st.rerun()


def _full_text(res: Resources, doc: StoredDocument) -> None:
    secs = sections(res.lookup.of(doc.doc_id), doc.doc_id)
    start, end = _int_param("tu"), _int_param("den")
    marks = (
        ((start, end),) if start is not None and end is not None and 0 <= start < end <= len(doc.text) else ()
    )
    anchors = [(s.start, f"muc-{i}") for i, s in enumerate(secs)]
    if secs:
        with st.expander("Mục lục", expanded=False):
            items = "".join(
                f'<li style="margin-left:{s.level}rem"><a href="#muc-{i}">{html.escape(s.title)}</a></li>'
                for i, s in enumerate(secs)
            )
            st.html(f'<nav class="tc-toc" aria-label="Mục lục"><ul>{items}</ul></nav>')
    body = document_html(doc.text, marks, "trich-dan", anchors)
    if marks:
        st.html(body + scroll_script("trich-dan"), unsafe_allow_javascript=True)
    else:
        st.html(body)


def main(settings: Settings, res: Resources | None, problem: str | None) -> None:
    if res is None:
        st.title("Kho văn bản")
        st.error(problem or "Chưa có chỉ mục.")
        return
    note = st.session_state.pop("deleted_note", None)
    if note:
        st.info(note)
    wanted = st.query_params.get("van_ban")
    doc = res.searcher.documents.get(wanted) if wanted else None
    if wanted and doc is None:
        st.warning("Văn bản trong địa chỉ trang không còn trong kho.")
    if doc is not None:
        document_view(res, settings, doc)
    else:
        catalogue(res)
