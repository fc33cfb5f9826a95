"""The chat's first screen: what the archive holds, questions to start with, what tracuu can answer."""

from __future__ import annotations

import html
from collections.abc import Callable

import streamlit as st

from retrieval.ui.examples import archive_summary
from retrieval.ui.state import Resources

CAN = (
    "Trả lời bằng chính câu chữ trong văn bản, mỗi ý kèm số [n] dẫn tới đoạn gốc để đối chiếu.",
    "Hỏi về văn bản: ai ký, số/ký hiệu, ngày ban hành, cơ quan ban hành; văn bản nào thực hiện một "
    "chỉ thị, nghị quyết; các văn bản theo năm, tỉnh, cơ quan; so sánh hai kế hoạch.",
    "Gõ không dấu vẫn tìm được; câu hỏi tiếp theo hiểu theo câu trước.",
)
CANNOT = (
    "Không trả lời điều văn bản trong kho không viết (khi đó sẽ nói rõ là không tìm thấy).",
    "Không tư vấn, suy luận pháp lý hay tính toán ngoài văn bản.",
    "Chỉ biết các văn bản đã được đưa vào kho; văn bản mới cần thêm ở mục “Thêm văn bản”.",
)


def _stat(value: str, label: str) -> str:
    return f'<div class="tc-stat"><b>{html.escape(value)}</b>{html.escape(label)}</div>'


def _more(values: tuple[str, ...], shown: int = 3) -> str:
    head = ", ".join(values[:shown])
    return head + (f" và {len(values) - shown} nơi khác" if len(values) > shown else "")


def render_welcome(res: Resources, ask: Callable[[str], None]) -> None:
    summary = res.summary or archive_summary(res.searcher.documents)
    st.title("Hỏi đáp văn bản")
    st.markdown("Hỏi bằng tiếng Việt về các văn bản trong kho; câu trả lời luôn kèm đoạn văn bản gốc.")
    years = "—"
    if summary.year_min is not None:
        years = str(summary.year_min)
        if summary.year_max != summary.year_min:
            years += f"–{summary.year_max}"
    stats = [
        _stat(str(summary.documents), "văn bản"),
        _stat(years, "năm ban hành"),
        _stat(str(len(summary.provinces)), "tỉnh, thành"),
        _stat(str(len(summary.bodies)), "cơ quan ban hành"),
    ]
    st.html(f'<div class="tc-stats" data-testid="tc-archive">{"".join(stats)}</div>')
    facts = []
    if summary.types:
        facts.append("Loại: " + ", ".join(f"{t} ({n})" for t, n in summary.types))
    if summary.provinces:
        facts.append("Tỉnh, thành: " + _more(summary.provinces))
    if summary.undated:
        facts.append(f"{summary.undated} văn bản không ghi ngày ban hành")
    if facts:
        st.caption(" · ".join(facts))
    examples = res.examples
    if examples:
        st.subheader("Thử hỏi")
        for i, q in enumerate(examples):
            st.button(q, key=f"example-{i}", icon=":material/chat:", on_click=ask, args=(q,))
    with st.expander("tracuu làm được gì, chưa làm được gì"):
        st.markdown("**Làm được**\n" + "".join(f"\n- {line}" for line in CAN))
        st.markdown("**Chưa làm được**\n" + "".join(f"\n- {line}" for line in CANNOT))
    st.page_link(
        "retrieval/ui/pages/browser.py", label="Xem danh mục văn bản trong kho", icon=":material/folder_open:"
    )
