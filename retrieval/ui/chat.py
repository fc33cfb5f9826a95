"""The chat page: first screen, conversation (kept across reloads), answers with their sources.

A conversation is stored (``ui.conversations``) as soon as its first question is asked; its id rides
in the page address (``?hoi=…``), so a reload, a bookmark or a new tab reopens it. The sidebar lists
earlier conversations to reopen or delete.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from retrieval.settings import Settings
from retrieval.ui.answering import REFUSAL, Turn, ask
from retrieval.ui.conversations import (
    LOCAL_USER,
    ConversationStore,
    ConversationStoreError,
    SQLiteConversations,
    default_path,
)
from retrieval.ui.sidebar import Controls, controls, corpus_panel, run_reindex
from retrieval.ui.state import Resources, answer_backend
from retrieval.ui.views import escaped_stream, md_escape, render_answer, render_turn
from retrieval.ui.welcome import render_welcome

PARAM = "hoi"  # the conversation id in the page address
log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def conversation_store(path: str) -> SQLiteConversations:
    return SQLiteConversations(Path(path))


@st.cache_resource(show_spinner=False)
def server_conversations(url: str) -> ConversationStore:
    from retrieval.server.pg_conversations import PgConversations

    return PgConversations(url)


def _store(settings: Settings) -> ConversationStore | None:
    try:
        if settings.database_url:  # server mode: each user's conversations in the database
            return server_conversations(settings.database_url)
        return conversation_store(str(default_path(settings.index_dir)))
    except ConversationStoreError as exc:
        st.sidebar.warning(f"Không lưu được lịch sử trò chuyện: {exc}")
        return None


def _owner() -> str:
    """Whose conversations: the logged-in user in server mode, the single local user otherwise."""
    from retrieval.ui.login import current_user

    user = current_user()
    return user.username if user is not None else LOCAL_USER


def _open_from_address(store: ConversationStore | None) -> None:
    """After a reload, the conversation named in the address (if it is this user's)."""
    wanted = st.query_params.get(PARAM)
    current = st.session_state.get("conv_id")
    if not wanted and current:  # back from another page (Streamlit drops the address's parameters)
        st.query_params[PARAM] = current
        return
    if not wanted or current == wanted or store is None:
        return
    try:
        messages = store.messages(_owner(), wanted)
    except ConversationStoreError as exc:
        st.warning(str(exc))
        return
    if messages is None:
        st.query_params.pop(PARAM, None)
        st.info("Cuộc trò chuyện trong địa chỉ trang không còn (có thể đã bị xóa).")
        return
    st.session_state.conv_id = wanted
    st.session_state.messages = messages


def _save(store: ConversationStore | None, message: dict) -> None:
    if store is None:
        return
    try:
        if not st.session_state.get("conv_id"):
            st.session_state.conv_id = store.create(_owner())
            st.query_params[PARAM] = st.session_state.conv_id
        store.append(_owner(), st.session_state.conv_id, message)
    except ConversationStoreError as exc:
        log.warning("conversation not saved: %s", exc)
        st.warning(f"Không lưu được cuộc trò chuyện: {exc}")


def _new_conversation() -> None:
    st.session_state.messages = []
    st.session_state.conv_id = None
    st.query_params.pop(PARAM, None)


def _open_conversation(conv_id: str) -> None:
    st.session_state.conv_id = None  # _open_from_address loads it on this run
    st.query_params[PARAM] = conv_id


def history_panel(store: ConversationStore | None) -> None:
    """Earlier conversations: open one, delete one, start a new one."""
    if store is None:
        return
    st.header("Cuộc trò chuyện")
    st.button(
        "Cuộc trò chuyện mới", icon=":material/add_comment:", on_click=_new_conversation, key="conv_new"
    )
    try:
        items = store.list(_owner(), limit=30)
    except ConversationStoreError as exc:
        st.caption(str(exc))
        return
    if not items:
        st.caption("Chưa có cuộc trò chuyện nào được lưu.")
        return
    current = st.session_state.get("conv_id")
    for item in items:
        left, right = st.columns([5, 1], gap="small", vertical_alignment="center")
        label = ("▸ " if item.id == current else "") + item.title
        left.button(
            label,
            key=f"conv-open-{item.id}",
            type="tertiary",
            help=f"{item.turns} câu hỏi · cập nhật {item.updated[:16].replace('T', ' ')} (UTC)",
            on_click=_open_conversation,
            args=(item.id,),
        )
        if right.button(
            "",
            icon=":material/delete:",
            key=f"conv-del-{item.id}",
            type="tertiary",
            help="Xóa cuộc trò chuyện này",
        ):
            store.delete(_owner(), item.id)
            if item.id == current:
                _new_conversation()
            st.rerun()


def _drop_filter(turn: dict, kind: str) -> None:
    """A chip was removed: ask the same question again without that implied filter."""
    st.session_state.pending = {"question": turn["question"], "dropped": [*turn.get("dropped", []), kind]}


def _ask_example(question: str) -> None:
    st.session_state.pending = {"question": question, "dropped": []}


def show_history(res: Resources) -> None:
    docs = res.searcher.documents
    for i, msg in enumerate(st.session_state.messages):
        with st.chat_message(msg["role"]):
            if msg["role"] == "user":
                st.markdown(md_escape(msg["content"]))
                continue
            for note in msg["turn"].get("notes") or []:
                st.warning(note)
            render_answer(msg["turn"], key=f"m{i}")
            render_turn(msg["turn"], docs, res.lookup, key=f"m{i}", on_drop=_drop_filter)


def answer(
    res: Resources, settings: Settings, question: str, ctl: Controls, store, dropped: list[str]
) -> None:
    user_message = {"role": "user", "content": question}
    st.session_state.messages.append(user_message)
    _save(store, user_message)
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"):
        backend, note = answer_backend(settings, ctl.backend)
        if note:
            st.warning(note)
        holder: list[Turn] = []
        box = st.empty()  # the waiting line, then the raw stream, then the checked answer in its place
        box.caption(":material/hourglass_top: Đang tìm trong các văn bản…")

        def pieces():
            threshold = getattr(settings, "refusal_threshold", None)  # as the CLI's Answerer.from_settings
            history = [m["turn"] for m in st.session_state.messages if m["role"] == "assistant"]
            args = (res.searcher, backend, res.lookup, question, ctl.k, ctl.filters, threshold)
            for piece in ask(*args, settings.allow_flagged, history, dropped):
                if isinstance(piece, Turn):
                    holder.append(piece)
                else:
                    yield piece

        try:
            box.write_stream(escaped_stream(pieces()))
        except Exception as exc:  # noqa: BLE001 - the user sees a clear line instead of a traceback
            log.exception("answer failed")
            turn = Turn(question, "", True, ctl.backend, 0.0, error=f"Không trả lời được câu hỏi này: {exc}")
        else:
            turn = holder[-1] if holder else Turn(question, REFUSAL, True, ctl.backend, 0.0)
        if note:
            turn.notes.append(note)
        record = turn.record()
        key = f"m{len(st.session_state.messages)}"
        render_answer(record, key=key, slot=box)
        render_turn(record, res.searcher.documents, res.lookup, key=key, on_drop=_drop_filter)
    message = {"role": "assistant", "turn": record}
    st.session_state.messages.append(message)
    _save(store, message)


def index_problem(settings: Settings, message: str) -> None:
    st.error(message)
    if settings.database_url:  # server mode: documents come in through a collection's upload form
        return
    st.write(f"Có thể lập chỉ mục ngay cho thư mục văn bản `{settings.corpus_dir}`:")
    if st.button("Lập chỉ mục kho văn bản", type="primary"):
        run_reindex(settings, [])


def main(settings: Settings, res: Resources | None, problem: str | None) -> None:
    st.session_state.setdefault("messages", [])
    store = _store(settings)
    _open_from_address(store)
    with st.sidebar:
        ctl = controls(res, settings)
        history_slot = st.container()  # filled last: it lists the conversation saved on this run too
        corpus_panel(res, settings)
    if res is None:
        st.title("Hỏi đáp văn bản")
        index_problem(settings, problem or "Chưa có chỉ mục.")
        with history_slot:
            history_panel(store)
        return
    pending = st.session_state.pop("pending", None)
    typed = st.chat_input("Nhập câu hỏi về các văn bản, ví dụ: Báo cáo năm phải gửi trước ngày nào?")
    if typed and typed.strip():
        pending = {"question": typed.strip(), "dropped": []}
    if st.session_state.messages or pending:
        st.title("Hỏi đáp văn bản")
        show_history(res)
    else:
        render_welcome(res, _ask_example)
    if pending:
        answer(res, settings, pending["question"], ctl, store, list(pending.get("dropped") or []))
    with history_slot:
        history_panel(store)
