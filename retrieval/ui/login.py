"""Login for the server mode: a form, a session token in a cookie, a logout button.

The token (``server.auth.login``) lives in the browser session's state and in the cookie
``tracuu_session`` (SameSite=Strict, as long as the server-side session), so a reload or a new tab
stays logged in until the session expires or the user logs out; the database holds only its hash.
Failed logins are rate-limited by ``server.auth`` (the message says how long to wait).
"""

from __future__ import annotations

import streamlit as st
from psycopg_pool import ConnectionPool

from retrieval.server.auth import AuthError, User, login, logout, session_hours_from_env, session_user

COOKIE = "tracuu_session"


def _remote() -> str:
    """The client's address (the first X-Forwarded-For hop behind a reverse proxy)."""
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
    return forwarded or st.context.ip_address or ""


def _cookie_script(token: str, max_age: int) -> None:
    st.html(
        f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
    )


def current_user() -> User | None:
    """The logged-in user of this browser session (server mode), set by ``require_user``/``known_user``."""
    return st.session_state.get("tc_user")


def known_user(pool: ConnectionPool) -> User | None:
    """The user of this browser's live session (state or cookie), without drawing anything: the
    navigation is built from it before any page runs (a reload keeps every page, the admin's too).
    A session that ended is forgotten (its cookie is cleared on the next drawing)."""
    token = st.session_state.get("tc_token") or st.context.cookies.get(COOKIE) or ""
    if not token:
        return None
    with pool.connection() as conn:
        user = session_user(conn, token)
    if user is not None:
        st.session_state.tc_token, st.session_state.tc_user = token, user
        return user
    if "tc_token" in st.session_state:
        st.session_state.tc_expired = True
    for key in ("tc_token", "tc_user"):
        st.session_state.pop(key, None)
    if st.context.cookies.get(COOKIE):
        st.session_state.tc_clear_cookie = True
    return None


def require_user(pool: ConnectionPool) -> User:
    """The logged-in user; otherwise the login form is shown and the page stops there."""
    user = known_user(pool)
    if st.session_state.pop("tc_clear_cookie", False):
        _cookie_script("", 0)
    if user is not None:
        if st.session_state.pop("tc_set_cookie", False):
            _cookie_script(st.session_state.tc_token, int(session_hours_from_env() * 3600))
        _account_box(pool, user)
        return user
    if st.session_state.pop("tc_expired", False):
        st.info("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.")
    _login_form(pool)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _login_form(pool: ConnectionPool) -> None:
    st.title("Đăng nhập")
    st.caption("Kho văn bản dùng chung của cơ quan. Tài khoản do quản trị viên cấp.")
    with st.form("tc_login", enter_to_submit=True):
        username = st.text_input("Tên đăng nhập", autocomplete="username")
        password = st.text_input("Mật khẩu", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if not submitted:
        return
    try:
        with pool.connection() as conn:
            user, token = login(conn, username, password, remote=_remote())
    except AuthError as exc:
        st.error(str(exc))
        return
    st.session_state.tc_token, st.session_state.tc_user = token, user
    st.session_state.tc_set_cookie = True
    st.rerun()


def _account_box(pool: ConnectionPool, user: User) -> None:
    with st.sidebar:
        role = " (quản trị)" if user.is_admin else ""
        st.caption(f":material/account_circle: {user.display_name or user.username}{role}")
        if st.button("Đăng xuất", key="tc_logout", icon=":material/logout:"):
            with pool.connection() as conn:
                logout(conn, st.session_state.get("tc_token", ""))
            for key in ("tc_token", "tc_user", "messages", "conv_id"):
                st.session_state.pop(key, None)
            st.session_state.tc_clear_cookie = True
            st.rerun()
