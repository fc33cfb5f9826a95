"""Who may read or change which collection.

Roles per (user, collection) in ``grants``: ``reader`` reads; ``editor`` reads and changes (uploads,
deletes, re-indexes). An administrator (``users.is_admin``) reads and changes every collection and
needs no grant. ``grant`` and ``revoke`` record audit entries in their own transaction (see
``audit``); the ``actor`` None is the command line administrator. Errors for the user are
``AccessError`` (``AccessDenied`` for a refused action) with a Vietnamese message.
"""

from __future__ import annotations

from typing import Literal

import psycopg

from retrieval.server import audit
from retrieval.server.auth import User

Role = Literal["reader", "editor"]
ROLES: tuple[Role, ...] = ("reader", "editor")
ROLE_LABELS = {"reader": "đọc", "editor": "sửa"}


class AccessError(RuntimeError):
    """A grant cannot be made or an action is refused; the message is Vietnamese."""


class AccessDenied(AccessError):
    """The user may not do this."""


def _names(conn: psycopg.Connection, user_id: int, collection_id: int) -> tuple[str, str]:
    user = conn.execute("SELECT username FROM users WHERE id = %s", (user_id,)).fetchone()
    if user is None:
        raise AccessError(f"Không có người dùng mã {user_id}.")
    coll = conn.execute("SELECT name FROM collections WHERE id = %s", (collection_id,)).fetchone()
    if coll is None:
        raise AccessError(f"Không có bộ sưu tập mã {collection_id}.")
    return str(user[0]), str(coll[0])


def grant(
    conn: psycopg.Connection, user_id: int, collection_id: int, role: str, *, actor: User | None = None
) -> None:
    """Give ``user_id`` the ``role`` in ``collection_id`` (replacing a role held before)."""
    if role not in ROLES:
        raise AccessError(f"Vai trò '{role}' không hợp lệ: chỉ 'reader' (đọc) hoặc 'editor' (sửa).")
    with conn.transaction():
        username, _ = _names(conn, user_id, collection_id)
        conn.execute(
            "INSERT INTO grants (user_id, collection_id, role) VALUES (%s, %s, %s) "
            "ON CONFLICT (user_id, collection_id) DO UPDATE SET role = excluded.role",
            (user_id, collection_id, role),
        )
        audit.record(conn, actor, "grant", collection_id, target=username, detail={"role": role})


def revoke(conn: psycopg.Connection, user_id: int, collection_id: int, *, actor: User | None = None) -> bool:
    """Take back ``user_id``'s role in ``collection_id``; False when there was none."""
    with conn.transaction():
        username, _ = _names(conn, user_id, collection_id)
        row = conn.execute(
            "DELETE FROM grants WHERE user_id = %s AND collection_id = %s RETURNING role",
            (user_id, collection_id),
        ).fetchone()
        if row is None:
            return False
        audit.record(conn, actor, "revoke", collection_id, target=username, detail={"role": row[0]})
    return True


def readable_collections(conn: psycopg.Connection, user: User) -> tuple[int, ...]:
    """Ids of the collections ``user`` may read, ascending."""
    with conn.transaction():
        if user.is_admin:
            rows = conn.execute("SELECT id FROM collections ORDER BY id").fetchall()
        else:
            rows = conn.execute(
                "SELECT collection_id FROM grants WHERE user_id = %s ORDER BY collection_id", (user.id,)
            ).fetchall()
    return tuple(int(r[0]) for r in rows)


def editable_collections(conn: psycopg.Connection, user: User) -> tuple[int, ...]:
    """Ids of the collections ``user`` may change, ascending."""
    with conn.transaction():
        if user.is_admin:
            rows = conn.execute("SELECT id FROM collections ORDER BY id").fetchall()
        else:
            rows = conn.execute(
                "SELECT collection_id FROM grants WHERE user_id = %s AND role = 'editor' "
                "ORDER BY collection_id",
                (user.id,),
            ).fetchall()
    return tuple(int(r[0]) for r in rows)


def require_reader(conn: psycopg.Connection, user: User, collection_id: int) -> None:
    if collection_id not in readable_collections(conn, user):
        raise AccessDenied("Bạn không có quyền đọc bộ sưu tập này.")


def require_editor(conn: psycopg.Connection, user: User, collection_id: int) -> None:
    """``AccessDenied`` unless ``user`` may change ``collection_id``."""
    if collection_id in editable_collections(conn, user):
        return
    if collection_id in readable_collections(conn, user):  # its name is no secret to this user
        with conn.transaction():
            row = conn.execute("SELECT name FROM collections WHERE id = %s", (collection_id,)).fetchone()
        name = row[0] if row else ""
        raise AccessDenied(
            f"Bạn chỉ có quyền đọc bộ sưu tập '{name}', không được sửa (cần vai trò 'editor')."
        )
    raise AccessDenied("Bạn không có quyền sửa bộ sưu tập này.")


def require_admin(user: User | None) -> None:
    if user is None or not user.is_admin:
        raise AccessDenied("Chỉ quản trị viên mới được làm việc này.")


def grants_of(conn: psycopg.Connection, user_id: int) -> list[tuple[str, str]]:
    """``(collection name, role)`` of the user's grants, by collection name."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT c.name, g.role FROM grants g JOIN collections c ON c.id = g.collection_id "
            "WHERE g.user_id = %s ORDER BY c.name",
            (user_id,),
        ).fetchall()
    return [(str(name), str(role)) for name, role in rows]
