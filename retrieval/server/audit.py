"""The audit log: who did what, when, on which collection (``audit_log``).

Transaction rule: ``record`` only executes its ``INSERT``; it never opens a transaction block and never
commits. So

* inside the caller's ``with conn.transaction():`` the entry is part of that transaction: it is written
  if and only if the audited change is (the functions of ``auth`` and ``access`` record this way);
* on an autocommit connection outside a transaction block the statement commits by itself;
* on a non-autocommit connection outside a transaction block the ``INSERT`` opens psycopg's implicit
  transaction, which the caller commits (``conn.commit()`` or leaving ``with connect(url) as conn:``).

``user`` is the actor. ``None`` is the command line administrator (``tracuu db …``), stored under the
name ``CLI_ACTOR``; ``username=`` overrides the stored name (a failed login records the name tried).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from retrieval.server.auth import User

CLI_ACTOR = "quản trị dòng lệnh"
ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "upload",
    "delete",
    "reindex",
    "create_user",
    "set_password",
    "disable_user",
    "enable_user",
    "grant",
    "revoke",
    "create_collection",
)
_ACTION = re.compile(r"^[a-z][a-z_]{0,39}$")
_TARGET_MAX = 500


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    collection_id: int | None
    collection: str  # the collection's name, "" when none (or deleted since)
    target: str
    detail: dict[str, Any] = field(default_factory=dict)


def record(
    conn: psycopg.Connection,
    user: User | None,
    action: str,
    collection_id: int | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    *,
    username: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry (see the module's transaction rule: this never commits by itself)."""
    if not _ACTION.match(action):
        raise ValueError(f"Tên hành động nhật ký không hợp lệ: {action!r}")
    if username is None:
        username = user.username if user is not None else CLI_ACTOR
    conn.execute(
        "INSERT INTO audit_log (at, user_id, username, action, collection_id, target, detail) "
        "VALUES (coalesce(%s, now()), %s, %s, %s, %s, %s, %s)",
        (
            at,
            user.id if user is not None else None,
            username[:200],
            action,
            collection_id,
            str(target)[:_TARGET_MAX],
            Jsonb(detail or {}),
        ),
    )


def recent(conn: psycopg.Connection, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
    """The latest ``limit`` entries, newest first; only those of ``action`` when given."""
    query = (
        "SELECT a.id, a.at, a.user_id, a.username, a.action, a.collection_id, coalesce(c.name, ''), "
        "a.target, a.detail FROM audit_log a LEFT JOIN collections c ON c.id = a.collection_id "
    )
    params: list[Any] = []
    if action is not None:
        query += "WHERE a.action = %s "
        params.append(action)
    query += "ORDER BY a.at DESC, a.id DESC LIMIT %s"
    params.append(max(0, int(limit)))
    with conn.transaction():
        rows = conn.execute(query, params).fetchall()
    return [AuditEntry(*row[:8], detail=dict(row[8] or {})) for row in rows]
