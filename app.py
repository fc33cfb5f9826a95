"""tracuu — hỏi đáp trên kho văn bản kế hoạch (Streamlit).

Run: ``TRACUU_INDEX_DIR=index streamlit run app.py`` (``make run`` does it). Every answer lists its
sources; expanding one shows the cited paragraph highlighted inside its section, and the whole
document can be opened with the cited part highlighted.
"""

from __future__ import annotations

import streamlit as st

from retrieval.settings import Settings, SettingsError
from retrieval.store import IndexError_
from retrieval.ui.answering import REFUSAL, Turn, ask
from retrieval.ui.html import CSS
from retrieval.ui.sidebar import Controls, controls, corpus_panel, run_reindex
from retrieval.ui.state import Resources, answer_backend, current_resources
from retrieval.ui.views import answer_markdown, escaped_stream, md_escape, render_turn

st.set_page_config(page_title="Tra cứu văn bản", layout="wide")
st.html(CSS)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        st.error(f"Lỗi cấu hình: {exc}")
        st.stop()


def load_index(settings: Settings) -> tuple[Resources | None, str | None]:
    try:
        return current_resources(settings), None
    except IndexError_ as exc:  # missing, or built with other settings / another model
        return None, str(exc)


def index_problem(settings: Settings, message: str) -> None:
    st.error(message)
    st.write(f"Có thể lập chỉ mục ngay cho thư mục văn bản `{settings.corpus_dir}`:")
    if st.button("Lập chỉ mục kho văn bản", type="primary"):
        run_reindex(settings, [])


def show_history(res: Resources) -> None:
    docs = res.searcher.documents
    for i, msg in enumerate(st.session_state.messages):
        with st.chat_message(msg["role"]):
            if msg["role"] == "user":
                st.markdown(md_escape(msg["content"]))
                continue
            for note in msg["turn"].get("notes") or []:
                st.warning(note)
            st.markdown(answer_markdown(msg["turn"]["text"]))
            render_turn(msg["turn"], docs, res.lookup, key=f"m{i}")


def answer(res: Resources, settings: Settings, question: str, ctl: Controls) -> None:
    st.session_state.messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"):
        backend, note = answer_backend(settings, ctl.backend)
        if note:
            st.warning(note)
        holder: list[Turn] = []
        box = st.empty()  # raw stream first, then the checked answer in its place
        stream_area = box.container()
        waiting = stream_area.empty()
        waiting.caption(":material/hourglass_top: Đang tìm trong các văn bản…")

        def pieces():
            threshold = getattr(settings, "refusal_threshold", None)  # as the CLI's Answerer.from_settings
            allow = settings.allow_flagged  # TRACUU_ALLOW_FLAGGED: planted instructions stay out by default
            history = [m["turn"] for m in st.session_state.messages if m["role"] == "assistant"]
            args = (res.searcher, backend, res.lookup, question, ctl.k, ctl.filters, threshold)
            args += (allow, history)
            for piece in ask(*args):
                if isinstance(piece, Turn):
                    holder.append(piece)
                else:
                    waiting.empty()  # the first words replace the waiting line
                    yield piece

        try:
            stream_area.write_stream(escaped_stream(pieces()))
        except Exception as exc:  # noqa: BLE001 - the user sees a clear line instead of a traceback
            turn = Turn(question, "", True, ctl.backend, 0.0, error=f"Không trả lời được câu hỏi này: {exc}")
        else:
            turn = holder[-1] if holder else Turn(question, REFUSAL, True, ctl.backend, 0.0)
        if note:
            turn.notes.append(note)
        box.markdown(answer_markdown(turn.text))
        record = turn.record()
        render_turn(record, res.searcher.documents, res.lookup, key=f"m{len(st.session_state.messages)}")
    st.session_state.messages.append({"role": "assistant", "turn": record})


def main() -> None:
    settings = load_settings()
    st.session_state.setdefault("messages", [])
    res, problem = load_index(settings)
    with st.sidebar:
        st.title(":material/menu_book: Tra cứu văn bản")
        ctl = controls(res, settings)
        corpus_panel(res, settings)
        if st.session_state.messages and st.button("Xóa cuộc trò chuyện", key="clear_chat"):
            st.session_state.messages = []
            st.rerun()
    st.title("Hỏi đáp văn bản kế hoạch")
    if res is None:
        index_problem(settings, problem or "Chưa có chỉ mục.")
        return
    st.caption(
        "Câu trả lời chỉ lấy từ các văn bản trong kho; mỗi ý đều kèm đoạn văn bản gốc để đối chiếu. "
        "Có thể gõ không dấu."
    )
    show_history(res)
    question = st.chat_input("Nhập câu hỏi về các văn bản, ví dụ: Báo cáo năm phải gửi trước ngày nào?")
    if question and question.strip():
        answer(res, settings, question.strip(), ctl)


main()
