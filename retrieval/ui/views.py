"""Streamlit rendering of chat turns: answer text, cited sources, nearest documents, full-text dialog."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator

import streamlit as st

from retrieval.store import StoredDocument
from retrieval.types import DocMetadata
from retrieval.ui.answer_html import CITE_SCRIPT, answer_html
from retrieval.ui.corpus import ChunkLookup, chunk_pieces, page_of
from retrieval.ui.export import export_filename, turn_docx, turn_markdown
from retrieval.ui.html import (
    doc_line,
    document_html,
    fmt_date,
    paragraph_bounds,
    passage_html,
    scroll_script,
)
from retrieval.ui.labels import location_label, source_reference

BROWSER_PAGE = "retrieval/ui/pages/browser.py"  # the document browser page (app.py's navigation)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#$~|])")
_RULE_LINE = re.compile(r"^([ \t]*)([-=_+]{2,})[ \t]*$", re.MULTILINE)  # "---" / "===": rules, headings


def md_escape(text: str) -> str:
    """Document text shown through Markdown exactly as written (no emphasis, links, LaTeX, HTML).

    List lines ("- …") stay lists; other line breaks are kept as hard breaks.
    """
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _RULE_LINE.sub(lambda m: m[1] + "".join("\\" + c for c in m[2]), text)
    return text.replace("\n", "  \n")


def escaped_stream(pieces: Iterable[str]) -> Iterator[str]:
    for piece in pieces:
        yield md_escape(piece)


def _meta(record: dict) -> DocMetadata:
    return DocMetadata.from_json(record.get("metadata") or {})


def source_label(n: int | None, record: dict) -> str:
    """ "[1] Kế hoạch số 37/KH-MTTQ ngày 04/02/2020 của …": how a cadre names the cited document."""
    prefix = f"[{n}] " if n is not None else ""
    return md_escape(prefix + source_reference(record, about=False))


@st.dialog("Toàn văn văn bản", width="large")
def document_dialog(doc: StoredDocument, marks: tuple[tuple[int, int], ...], anchor: str) -> None:
    meta = doc.metadata
    st.markdown(f"**{md_escape(doc.title or doc.source)}**")
    facts = [doc_line(meta)]
    if meta.nguoi_ky:
        facts.append(f"Người ký: {meta.nguoi_ky}")
    st.caption(md_escape(" · ".join(facts)))
    if not marks:
        st.html(document_html(doc.text, marks, anchor))
        return
    # A tiny script brings the cited part into view (the link above does the same without JavaScript).
    # Safe to run: every character of the document is HTML-escaped by document_html.
    st.html(document_html(doc.text, marks, anchor) + scroll_script(anchor), unsafe_allow_javascript=True)


def _open_buttons(doc: StoredDocument | None, marks: tuple[tuple[int, int], ...], key: str) -> None:
    if doc is None:
        return
    row = st.container(horizontal=True, vertical_alignment="center")
    if row.button(
        "Đọc toàn văn",
        key=key,
        icon=":material/article:",
        help="Mở toàn bộ văn bản, đoạn được trích dẫn được tô sáng",
    ):
        document_dialog(doc, marks, anchor=f"trich-{key}")
    params = {"van_ban": doc.doc_id}
    if marks:
        params.update(tu=str(marks[0][0]), den=str(marks[0][1]))
    row.page_link(BROWSER_PAGE, label="Hồ sơ văn bản", icon=":material/folder_open:", query_params=params)


def _section(doc: StoredDocument, lookup: ChunkLookup, record: dict, start: int, end: int):
    """Pieces and headings of the section around [start, end): its chunk, else its paragraph."""
    chunks = lookup.covering(doc.doc_id, start, end)
    if chunks:
        pieces = chunk_pieces(chunks[0])
        if not any(s <= start and end <= e for s, e in pieces):
            pieces.append(paragraph_bounds(doc.text, start, end))
        return pieces, list(chunks[0].heading_path)
    return [paragraph_bounds(doc.text, start, end)], list(record.get("heading_path") or [])


def render_citation(
    record: dict, docs: dict[str, StoredDocument], lookup: ChunkLookup, key: str, anchor: str
) -> None:
    n = record.get("n")
    with st.expander(source_label(n, record), icon=":material/format_quote:"):
        doc = docs.get(record["doc_id"])
        start, end = int(record["start"]), int(record["end"])
        target = f'<span id="{anchor}"></span>'
        if doc is None or doc.text[start:end] != record.get("quote", doc.text[start:end]):
            st.warning("Văn bản này đã thay đổi hoặc bị xóa khỏi kho sau khi trả lời; đoạn trích lúc đó:")
            quote = record.get("quote", "")
            st.html(target + passage_html(quote, [(0, len(quote))], []))
            return
        if not record.get("verified", True):
            st.caption(
                ":material/warning: Câu trả lời dẫn đoạn này nhưng chưa kiểm chứng được khớp nội dung."
            )
        context, path = _section(doc, lookup, record, start, end)
        where = location_label({"heading_path": path, "page": page_of(doc, start)})
        shown = f'<div class="tc-where">{html.escape(where)}</div>' if where else ""
        st.html(target + shown + passage_html(doc.text, context, [(start, end)]))
        st.caption(md_escape(source_reference(record)))
        _open_buttons(doc, ((start, end),), key)


def render_nearest(
    records: list[dict], docs: dict[str, StoredDocument], lookup: ChunkLookup, key: str
) -> None:
    if not records:
        st.caption("Kho văn bản không có đoạn nào gần với câu hỏi.")
        return
    st.markdown("**Các văn bản gần nhất với câu hỏi:**")
    for i, rec in enumerate(records):
        with st.expander(source_label(None, rec), icon=":material/description:"):
            doc = docs.get(rec["doc_id"])
            if doc is None:
                st.html(passage_html(rec.get("text", ""), [(0, len(rec.get("text", "")))], []))
                continue
            chunk = lookup.get(rec["chunk_id"])
            pieces = chunk_pieces(chunk) if chunk else [(rec.get("start", 0), rec.get("end", 0))]
            path = list(chunk.heading_path) if chunk else rec.get("heading_path", [])
            st.html(passage_html(doc.text, pieces, [], path))
            _open_buttons(doc, (), f"{key}-g{i}")


def render_answer(turn: dict, key: str, slot=None) -> None:
    """The answer text (in ``slot``, a placeholder, when given): clean, lists as lists, each [n] a
    link opening its source below."""
    cited = {int(c["n"]) for c in turn.get("citations") or []}
    body = answer_html(turn["text"], cited, f"nguon-{key}") + CITE_SCRIPT
    (slot or st).html(body, unsafe_allow_javascript=True)


def render_turn(
    turn: dict, docs: dict[str, StoredDocument], lookup: ChunkLookup, key: str, on_drop=None
) -> None:
    """Filter chips, sources (or nearest documents), export and timing under an answer."""
    if turn.get("error"):
        st.error(turn["error"])
        return
    if turn.get("chips") and on_drop is not None:
        render_chips(turn, key, on_drop)
    if turn["refused"] or not turn["citations"]:
        render_nearest(turn.get("nearest") or [], docs, lookup, key)
    else:
        st.markdown("**Nguồn trích dẫn:**")
        for i, rec in enumerate(turn["citations"]):
            render_citation(rec, docs, lookup, f"{key}-c{i}", f"nguon-{key}-{rec.get('n')}")
    render_export(turn, key)
    st.caption(
        f":material/timer: Trả lời trong {turn['seconds']:.2f} giây".replace(".", ",")
        + f" · {_backend_name(turn)}"
    )


def render_chips(turn: dict, key: str, on_drop) -> None:
    """The filters the question implied, each removable (the question is asked again without it)."""
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption("Đã lọc theo câu hỏi:", width="content")
    for i, (kind, label) in enumerate(turn["chips"]):
        row.button(
            f"{label}  ✕",
            key=f"{key}-chip{i}",
            help="Bỏ bộ lọc này và hỏi lại",
            on_click=on_drop,
            args=(turn, kind),
            type="secondary",
        )


def render_export(turn: dict, key: str) -> None:
    if turn["refused"] or not turn.get("citations"):
        return
    asked = turn.get("asked_at")
    row = st.container(horizontal=True)
    row.download_button(
        "Tải về DOCX",
        data=lambda: turn_docx(turn, asked),  # made on click, not on every rerun of the page
        file_name=export_filename(turn, "docx"),
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key=f"{key}-docx",
        icon=":material/download:",
        on_click="ignore",
        help="Câu hỏi, câu trả lời và mọi đoạn trích dẫn kèm số, ngày văn bản (Word)",
    )
    row.download_button(
        "Tải về Markdown",
        data=lambda: turn_markdown(turn, asked).encode("utf-8"),
        file_name=export_filename(turn, "md"),
        mime="text/markdown",
        key=f"{key}-md",
        icon=":material/download:",
        on_click="ignore",
    )


def _backend_name(turn: dict) -> str:
    from retrieval.ui.answering import BACKEND_LABELS

    return BACKEND_LABELS.get(turn.get("backend", ""), turn.get("backend", "")).split(" (")[0]


FLAGGED_MARK = (
    ":orange[:material/warning: Có đoạn nhắm vào trợ lý AI (câu ra lệnh, mã điều khiển hoặc dấu "
    "“đã kiểm chứng” giả): không dùng để trả lời]"
)


def render_document_list(
    docs: list[StoredDocument],
    flagged: frozenset[str] = frozenset(),
    full: Callable[[str], StoredDocument] | None = None,
) -> None:
    """Sidebar list of the corpus, each with a button opening its full text (``full(doc_id)``: the
    whole document, when ``docs`` hold the metadata only); flagged documents (see
    retrieval/document/injection.py) are marked."""
    for i, doc in enumerate(docs):
        meta = doc.metadata
        date = fmt_date(meta.ngay_ban_hanh) or "không ghi ngày"
        mark = f"  \n{FLAGGED_MARK}" if doc.doc_id in flagged else ""
        st.markdown(
            f"**{md_escape(doc.title or doc.source)}**  \n{md_escape(meta.so_ky_hieu or 'Không ghi số')}"
            f" · {date}{mark}"
        )
        if st.button("Xem toàn văn", key=f"doclist-{i}-{doc.doc_id}", type="tertiary"):
            document_dialog(full(doc.doc_id) if full else doc, (), anchor=f"doc-{i}")
