"""Streamlit rendering of chat turns: answer text, cited sources, nearest documents, full-text dialog."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import streamlit as st

from retrieval.store import StoredDocument
from retrieval.types import DocMetadata
from retrieval.ui.corpus import ChunkLookup, chunk_pieces
from retrieval.ui.html import (
    doc_line,
    document_html,
    fmt_date,
    paragraph_bounds,
    passage_html,
    scroll_script,
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#$~|])")
_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")
_RULE_LINE = re.compile(r"^([ \t]*)([-=_+]{2,})[ \t]*$", re.MULTILINE)  # "---" / "===": rules, headings


def md_escape(text: str) -> str:
    """Document text shown through Markdown exactly as written (no emphasis, links, LaTeX, HTML).

    List lines ("- …") stay lists; other line breaks are kept as hard breaks.
    """
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _RULE_LINE.sub(lambda m: m[1] + "".join("\\" + c for c in m[2]), text)
    return text.replace("\n", "  \n")


def answer_markdown(text: str) -> str:
    return _MARKER.sub(r"**\\[\1\\]**", md_escape(text))


def escaped_stream(pieces: Iterable[str]) -> Iterator[str]:
    for piece in pieces:
        yield md_escape(piece)


def _meta(record: dict) -> DocMetadata:
    return DocMetadata.from_json(record.get("metadata") or {})


def source_label(n: int | None, record: dict) -> str:
    title = record.get("title") or record.get("source") or "Văn bản"
    prefix = f"[{n}] " if n is not None else ""
    return f"{prefix}{title} — {doc_line(_meta(record))}"


@st.dialog("Toàn văn văn bản", width="large")
def document_dialog(doc: StoredDocument, marks: tuple[tuple[int, int], ...], anchor: str) -> None:
    meta = doc.metadata
    st.markdown(f"**{md_escape(doc.title or doc.source)}**")
    facts = [doc_line(meta), f"Tệp: {doc.source}"]
    if meta.nguoi_ky:
        facts.append(f"Người ký: {meta.nguoi_ky}")
    st.caption(md_escape(" · ".join(facts)))
    if not marks:
        st.html(document_html(doc.text, marks, anchor))
        return
    # A tiny script brings the cited part into view (the link above does the same without JavaScript).
    # Safe to run: every character of the document is HTML-escaped by document_html.
    st.html(document_html(doc.text, marks, anchor) + scroll_script(anchor), unsafe_allow_javascript=True)


def _open_button(doc: StoredDocument | None, marks: tuple[tuple[int, int], ...], key: str) -> None:
    if doc is None:
        return
    if st.button(
        "Đọc toàn văn",
        key=key,
        icon=":material/article:",
        help="Mở toàn bộ văn bản, đoạn được trích dẫn được tô sáng",
    ):
        document_dialog(doc, marks, anchor=f"trich-{key}")


def _section(doc: StoredDocument, lookup: ChunkLookup, record: dict, start: int, end: int):
    """Pieces and headings of the section around [start, end): its chunk, else its paragraph."""
    chunks = lookup.covering(doc.doc_id, start, end)
    if chunks:
        pieces = chunk_pieces(chunks[0])
        if not any(s <= start and end <= e for s, e in pieces):
            pieces.append(paragraph_bounds(doc.text, start, end))
        return pieces, list(chunks[0].heading_path)
    return [paragraph_bounds(doc.text, start, end)], list(record.get("heading_path") or [])


def render_citation(record: dict, docs: dict[str, StoredDocument], lookup: ChunkLookup, key: str) -> None:
    n = record.get("n")
    with st.expander(source_label(n, record), icon=":material/format_quote:"):
        doc = docs.get(record["doc_id"])
        start, end = int(record["start"]), int(record["end"])
        if doc is None or doc.text[start:end] != record.get("quote", doc.text[start:end]):
            st.warning("Văn bản này đã thay đổi hoặc bị xóa khỏi kho sau khi trả lời; đoạn trích lúc đó:")
            st.html(passage_html(record.get("quote", ""), [(0, len(record.get("quote", "")))], []))
            return
        if not record.get("verified", True):
            st.caption(
                ":material/warning: Câu trả lời dẫn đoạn này nhưng chưa kiểm chứng được khớp nội dung."
            )
        context, path = _section(doc, lookup, record, start, end)
        st.html(passage_html(doc.text, context, [(start, end)], path))
        st.caption(md_escape(f"Tệp: {doc.source} · vị trí ký tự {start}–{end}"))
        _open_button(doc, ((start, end),), key)


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
            _open_button(doc, (), f"{key}-g{i}")


def render_turn(turn: dict, docs: dict[str, StoredDocument], lookup: ChunkLookup, key: str) -> None:
    """Sources (or nearest documents) and timing under an answer already written above."""
    if turn.get("error"):
        st.error(turn["error"])
        return
    if turn["refused"] or not turn["citations"]:
        render_nearest(turn.get("nearest") or [], docs, lookup, key)
    else:
        st.markdown("**Nguồn trích dẫn:**")
        for i, rec in enumerate(turn["citations"]):
            render_citation(rec, docs, lookup, f"{key}-c{i}")
    st.caption(
        f":material/timer: Trả lời trong {turn['seconds']:.2f} giây".replace(".", ",")
        + f" · {_backend_name(turn)}"
    )


def _backend_name(turn: dict) -> str:
    from retrieval.ui.answering import BACKEND_LABELS

    return BACKEND_LABELS.get(turn.get("backend", ""), turn.get("backend", "")).split(" (")[0]


FLAGGED_MARK = (
    ":orange[:material/warning: Có đoạn nhắm vào trợ lý AI (câu ra lệnh, mã điều khiển hoặc dấu "
    "“đã kiểm chứng” giả): không dùng để trả lời]"
)


def render_document_list(docs: list[StoredDocument], flagged: frozenset[str] = frozenset()) -> None:
    """Sidebar list of the corpus, each with a button opening its full text; flagged documents (see
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
            document_dialog(doc, (), anchor=f"doc-{i}")
