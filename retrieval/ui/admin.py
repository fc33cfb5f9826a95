"""The administration page (server mode, administrators only): collections, users, grants, and the
audit log. Every change goes through ``retrieval.server`` (which audits it) with the administrator
as the actor."""

from __future__ import annotations

import streamlit as st

from retrieval.server import audit
from retrieval.server.access import ROLE_LABELS, AccessError, grant, grants_of, revoke
from retrieval.server.auth import AuthError, create_user, disable_user, list_users, set_password
from retrieval.server.collections import create_collection, list_collections
from retrieval.server.database import DatabaseError
from retrieval.settings import Settings
from retrieval.ui.login import current_user
from retrieval.ui.server import db_pool

ACTIONS = {
    "login": "đăng nhập",
    "login_failed": "đăng nhập sai",
    "logout": "đăng xuất",
    "upload": "tải lên",
    "delete": "xóa",
    "reindex": "lập chỉ mục",
    "create_user": "tạo người dùng",
    "set_password": "đổi mật khẩu",
    "disable_user": "khóa người dùng",
    "enable_user": "mở khóa người dùng",
    "grant": "cấp quyền",
    "revoke": "thu hồi quyền",
    "create_collection": "tạo bộ sưu tập",
}


def main(settings: Settings) -> None:
    st.title("Quản trị")
    admin = current_user()
    if admin is None or not admin.is_admin:
        st.error("Chỉ quản trị viên mới xem được trang này.")
        return
    pool = db_pool(settings.database_url or "")
    tab_users, tab_colls, tab_audit = st.tabs(["Người dùng và quyền", "Bộ sưu tập", "Nhật ký"])
    with tab_users, pool.connection() as conn:
        _users(conn, admin)
    with tab_colls, pool.connection() as conn:
        _collections(conn, admin)
    with tab_audit, pool.connection() as conn:
        _audit(conn)


def _done(message: str) -> None:
    st.session_state["admin_note"] = message
    st.rerun()


def _users(conn, admin) -> None:
    note = st.session_state.pop("admin_note", None)
    if note:
        st.success(note)
    users = list_users(conn)
    st.dataframe(
        [
            {
                "Tên đăng nhập": u.username,
                "Họ tên": u.display_name,
                "Quản trị": "có" if u.is_admin else "",
                "Quyền": ", ".join(f"{c} ({ROLE_LABELS[r]})" for c, r in grants_of(conn, u.id)),
            }
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )
    colls = list_collections(conn)
    left, right = st.columns(2)
    with left, st.form("new_user", clear_on_submit=True):
        st.markdown("**Tạo người dùng**")
        username = st.text_input("Tên đăng nhập (chữ thường, số, . _ -)")
        name = st.text_input("Họ tên")
        password = st.text_input("Mật khẩu (ít nhất 8 ký tự)", type="password")
        is_admin = st.checkbox("Quản trị viên")
        if st.form_submit_button("Tạo", type="primary"):
            try:
                create_user(conn, username, password, display_name=name, is_admin=is_admin, actor=admin)
            except AuthError as exc:
                st.error(str(exc))
            else:
                _done(f"Đã tạo người dùng '{username.strip().lower()}'.")
    with right, st.form("grant"):
        st.markdown("**Cấp hoặc thu hồi quyền**")
        user = st.selectbox("Người dùng", users, format_func=lambda u: u.username)
        coll = st.selectbox("Bộ sưu tập", colls, format_func=lambda c: f"{c.title} ({c.name})")
        role = st.radio(
            "Quyền",
            ["reader", "editor", "revoke"],
            horizontal=True,
            format_func=lambda r: {**ROLE_LABELS, "revoke": "thu hồi"}[r],
        )
        if st.form_submit_button("Áp dụng", type="primary") and user and coll:
            try:
                if role == "revoke":
                    revoke(conn, user.id, coll.id, actor=admin)
                else:
                    grant(conn, user.id, coll.id, role, actor=admin)
            except AccessError as exc:
                st.error(str(exc))
            else:
                _done(f"Đã cập nhật quyền của '{user.username}' trên '{coll.name}'.")
    with st.expander("Đổi mật khẩu, khóa tài khoản"), st.form("user_admin"):
        user = st.selectbox("Người dùng", users, format_func=lambda u: u.username, key="ua_user")
        password = st.text_input("Mật khẩu mới (để trống nếu không đổi)", type="password")
        lock = st.radio("Tài khoản", ["giữ nguyên", "khóa", "mở khóa"], horizontal=True)
        if st.form_submit_button("Lưu") and user:
            try:
                if password:
                    set_password(conn, user.id, password, actor=admin)
                if lock != "giữ nguyên":
                    disable_user(conn, user.id, lock == "khóa", actor=admin)
            except AuthError as exc:
                st.error(str(exc))
            else:
                _done(f"Đã cập nhật tài khoản '{user.username}'.")


def _collections(conn, admin) -> None:
    counts = dict(
        conn.execute("SELECT collection_id, count(*) FROM documents GROUP BY collection_id").fetchall()
    )
    st.dataframe(
        [
            {
                "Tên": c.name,
                "Tiêu đề": c.title,
                "Mật": "có" if c.confidential else "",
                "Số văn bản": counts.get(c.id, 0),
            }
            for c in list_collections(conn)
        ],
        hide_index=True,
        width="stretch",
    )
    with st.form("new_collection", clear_on_submit=True):
        st.markdown("**Tạo bộ sưu tập**")
        name = st.text_input("Tên (chữ thường không dấu, số, - _)")
        title = st.text_input("Tiêu đề hiển thị")
        confidential = st.checkbox("Tài liệu mật (chỉ người được cấp quyền mới đọc)")
        if st.form_submit_button("Tạo", type="primary"):
            try:
                with conn.transaction():
                    cid = create_collection(conn, name.strip(), title.strip(), confidential)
                    audit.record(conn, admin, "create_collection", cid, name.strip())
            except DatabaseError as exc:
                st.error(str(exc))
            else:
                _done(f"Đã tạo bộ sưu tập '{name.strip()}'.")


def _audit(conn) -> None:
    st.dataframe(
        [
            {
                "Thời điểm": e.at.astimezone().strftime("%d/%m/%Y %H:%M:%S"),
                "Người dùng": e.username,
                "Việc": ACTIONS.get(e.action, e.action),
                "Bộ sưu tập": e.collection,
                "Đối tượng": e.target,
            }
            for e in audit.recent(conn, 200)
        ],
        hide_index=True,
        width="stretch",
    )
