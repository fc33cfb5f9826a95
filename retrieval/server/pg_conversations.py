"""Chat conversations in PostgreSQL: the ``ConversationStore`` of the server mode.

Same behaviour as ``retrieval.ui.conversations.SQLiteConversations`` (read its rules), over the
``conversations`` and ``messages`` tables of the server schema:

* ``user`` is a username of ``users``; an unknown one raises ``ConversationStoreError``.
* A ``psycopg_pool.ConnectionPool`` (1 to 4 connections, opened in the constructor, ``close()``)
  shared by the threads of the web app; every call is one short transaction. ``append`` locks the
  conversation's row (``FOR UPDATE``) so that concurrent appends get consecutive positions.
* Messages are ``jsonb``: equal dicts come back (key order is not kept).
* ``list`` orders by ``updated`` (the time of the latest append), then by the latest message's id.
* Failures (server unreachable, schema not upgraded, …) raise ``ConversationStoreError`` with a
  Vietnamese message, never a raw psycopg error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from retrieval.server.database import DatabaseError, check_schema, redact
from retrieval.ui.conversations import ConversationStoreError, ConversationSummary, shorten_title

_NOT_FOUND = "Không tìm thấy cuộc trò chuyện này (có thể đã bị xoá)."


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PgConversations:
    """``ConversationStore`` in the server's PostgreSQL database at ``url`` (migrated)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 4, timeout: float = 10.0) -> None:
        self.url = url
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=timeout,
            check=ConnectionPool.check_connection,
            name="tracuu-conversations",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
            with self._pool.connection() as conn:
                check_schema(conn, url)
        except PoolTimeout as exc:
            self._pool.close()
            raise ConversationStoreError(
                f"Không kết nối được cơ sở dữ liệu {redact(url)} để lưu lịch sử trò chuyện."
            ) from exc
        except DatabaseError as exc:
            self._pool.close()
            raise ConversationStoreError(str(exc)) from exc
        except BaseException:
            self._pool.close()
            raise

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PgConversations:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, user: str) -> Iterator[tuple[psycopg.Connection, int]]:
        """A connection in a transaction and the id of ``user``."""
        try:
            with self._pool.connection() as conn, conn.transaction():
                row = conn.execute("SELECT id FROM users WHERE username = %s", (user,)).fetchone()
                if row is None:
                    raise ConversationStoreError(
                        f"Không có người dùng '{user}' trong cơ sở dữ liệu; "
                        "không đọc/ghi được lịch sử trò chuyện."
                    )
                yield conn, int(row[0])
        except PoolTimeout as exc:
            raise ConversationStoreError(
                "Cơ sở dữ liệu đang bận hoặc không kết nối được; hãy thử lại sau."
            ) from exc
        except psycopg.Error as exc:
            raise ConversationStoreError(
                f"Lỗi khi đọc/ghi lịch sử trò chuyện trong cơ sở dữ liệu {redact(self.url)}: {exc}"
            ) from exc

    def create(self, user: str) -> str:
        conv_id = uuid.uuid4().hex
        with self._transaction(user) as (conn, user_id):
            conn.execute("INSERT INTO conversations (id, user_id) VALUES (%s, %s)", (conv_id, user_id))
        return conv_id

    def append(self, user: str, conv_id: str, message: dict[str, Any]) -> None:
        if not isinstance(message, dict):
            raise TypeError(f"message must be a dict, not {type(message).__name__}")
        body = json.dumps(message, ensure_ascii=False)
        is_question = message.get("role") == "user"
        with self._transaction(user) as (conn, user_id):
            row = conn.execute(
                "SELECT size, turns, title FROM conversations WHERE id = %s AND user_id = %s FOR UPDATE",
                (conv_id, user_id),
            ).fetchone()
            if row is None:
                raise ConversationStoreError(_NOT_FOUND)
            size, turns, title = row
            conn.execute(
                "INSERT INTO messages (conversation, position, body) VALUES (%s, %s, %s::jsonb)",
                (conv_id, size, body),
            )
            if is_question and turns == 0 and not title:
                title = shorten_title(message.get("content", ""))
            conn.execute(
                "UPDATE conversations SET size = %s, turns = %s, title = %s, updated = clock_timestamp() "
                "WHERE id = %s",
                (size + 1, turns + is_question, title, conv_id),
            )

    def messages(self, user: str, conv_id: str) -> list[dict[str, Any]] | None:
        with self._transaction(user) as (conn, user_id):
            owned = conn.execute(
                "SELECT 1 FROM conversations WHERE id = %s AND user_id = %s", (conv_id, user_id)
            ).fetchone()
            if owned is None:
                return None
            rows = conn.execute(
                "SELECT body FROM messages WHERE conversation = %s ORDER BY position", (conv_id,)
            ).fetchall()
        return [body for (body,) in rows]

    def delete(self, user: str, conv_id: str) -> bool:
        """Delete the conversation and (by the foreign key's cascade) its messages."""
        with self._transaction(user) as (conn, user_id):
            cur = conn.execute("DELETE FROM conversations WHERE id = %s AND user_id = %s", (conv_id, user_id))
            return cur.rowcount > 0

    def rename(self, user: str, conv_id: str, title: str) -> bool:
        """A new title (shortened like the automatic one); ``updated`` and the order stay."""
        title = shorten_title(title)
        if not title:
            raise ValueError("Tên cuộc trò chuyện không được để trống.")
        with self._transaction(user) as (conn, user_id):
            cur = conn.execute(
                "UPDATE conversations SET title = %s WHERE id = %s AND user_id = %s",
                (title, conv_id, user_id),
            )
            return cur.rowcount > 0

    def list(self, user: str, limit: int = 50) -> list[ConversationSummary]:
        """The user's conversations with at least one message, the newest ``updated`` first."""
        with self._transaction(user) as (conn, user_id):
            rows = conn.execute(
                "SELECT c.id, c.title, c.created, c.updated, c.turns FROM conversations c "
                "WHERE c.user_id = %s AND c.size > 0 ORDER BY c.updated DESC, "
                "(SELECT max(m.id) FROM messages m WHERE m.conversation = c.id) DESC LIMIT %s",
                (user_id, max(0, int(limit))),
            ).fetchall()
        return [
            ConversationSummary(conv_id, title, _iso(created), _iso(updated), int(turns))
            for conv_id, title, created, updated, turns in rows
        ]
