"""tracuu — hỏi đáp trên kho văn bản (Streamlit).

Run: ``TRACUU_INDEX_DIR=index streamlit run app.py`` (``make run`` does it). Two pages: the chat
(``retrieval/ui/chat.py``: answers with their sources, each [n] opening its passage highlighted in
context, exports, conversations kept across reloads) and the document browser
(``retrieval/ui/browser.py``: the catalogue, each document with its full text, references, the
documents implementing it and its series). In server mode (``TRACUU_DATABASE_URL``, ``make serve``)
every page asks for a login first, and administrators get a third page (``retrieval/ui/admin.py``).
"""

from __future__ import annotations

import os

import streamlit as st

from retrieval.ui.style import CSS

st.set_page_config(page_title="Tra cứu văn bản", page_icon=":material/menu_book:", layout="wide")
st.html(CSS)
pages = [
    st.Page("retrieval/ui/pages/chat.py", title="Hỏi đáp", icon=":material/forum:", default=True),
    st.Page(
        "retrieval/ui/pages/browser.py",
        title="Kho văn bản",
        icon=":material/folder_open:",
        url_path="kho-van-ban",
    ),
]
user = None
if os.environ.get("TRACUU_DATABASE_URL"):  # server mode: who is logged in decides the pages
    from retrieval.server.database import DatabaseError
    from retrieval.ui.login import known_user
    from retrieval.ui.server import db_pool

    try:
        user = known_user(db_pool(os.environ["TRACUU_DATABASE_URL"]))
    except DatabaseError:  # the page says why (retrieval/ui/server.py)
        user = None
if user is not None and user.is_admin:
    pages.append(
        st.Page(
            "retrieval/ui/pages/admin.py",
            title="Quản trị",
            icon=":material/admin_panel_settings:",
            url_path="quan-tri",
        )
    )
# server mode before logging in: only the login form, no page list
hidden = bool(os.environ.get("TRACUU_DATABASE_URL")) and user is None
st.navigation(pages, position="hidden" if hidden else "sidebar").run()
