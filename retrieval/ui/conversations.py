"""Persistent chat conversations per user: reopen them after a reload or in a new browser session.

No Streamlit here. ``ConversationStore`` is the narrow interface the UI uses; ``SQLiteConversations``
implements it with the standard library ``sqlite3`` (a PostgreSQL store can follow behind it).

Rules:

* Every operation opens a short connection and runs in one transaction (writes take the write lock
  up front, ``BEGIN IMMEDIATE``), so one instance can be shared by the threads of Streamlit's
  sessions. WAL journal, ``busy_timeout`` 5000 ms.
* A message is a JSON-serialisable dict, stored as JSON text (``ensure_ascii=False``) at an integer
  position; ``messages`` gives back equal dicts in order. Appending also moves ``updated``, counts
  user questions (``turns``) and, on the first user question, sets the title, all atomically.
* Every call names its user: another user's conversation is absent (``None``/``False``, and
  ``append`` raises). Conversations without a message are not listed.
* Failures of the file (corrupt, newer schema, locked) raise ``ConversationStoreError`` with a
  Vietnamese message naming the file, never a raw ``sqlite3`` error.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

LOCAL_USER = "local"  # the single user of the embedded mode (no login)
ENV_PATH = "TRACUU_CONVERSATIONS_DB"
TITLE_MAX = 80  # characters, "…" included
_BUSY_TIMEOUT_MS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,  -- number of messages, the next position
    stamp INTEGER NOT NULL DEFAULT 0  -- rowid of the latest message: orders equal `updated` seconds
);
CREATE INDEX IF NOT EXISTS conversations_owner_updated ON conversations (owner, updated, stamp);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation TEXT NOT NULL REFERENCES conversations (id),
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (conversation, position)
);
"""


class ConversationStoreError(RuntimeError):
    """The conversation store cannot be used; the message is Vietnamese, for the user."""


@dataclass(frozen=True)
class ConversationSummary:
    id: str  # uuid4 hex
    title: str  # first question, shortened to TITLE_MAX characters at a word boundary with "…"
    created: str  # ISO 8601 UTC, seconds
    updated: str
    turns: int  # number of user questions


class ConversationStore(Protocol):
    def create(self, user: str) -> str: ...

    def append(self, user: str, conv_id: str, message: dict[str, Any]) -> None: ...

    def messages(self, user: str, conv_id: str) -> list[dict[str, Any]] | None: ...

    def delete(self, user: str, conv_id: str) -> bool: ...

    def rename(self, user: str, conv_id: str, title: str) -> bool: ...

    def list(self, user: str, limit: int = 50) -> list[ConversationSummary]: ...


def default_path(index_dir: Path) -> Path:
    """``$TRACUU_CONVERSATIONS_DB``, else a sibling of the index folder (re-indexing never touches it)."""
    env = os.environ.get(ENV_PATH, "").strip()
    if env:
        return Path(env).expanduser()
    if index_dir.name in ("", "."):
        index_dir = index_dir.resolve()
    return index_dir.with_name(index_dir.name + "-conversations.sqlite")


def shorten_title(text: str, limit: int = TITLE_MAX) -> str:
    """One line, at most ``limit`` characters; cut at a word boundary and ended with "…"."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    if cut >= limit // 2:  # a word boundary not too far back; otherwise cut inside the long word
        head = head[:cut]
    return head.rstrip(" ,.;:!?-–—") + "…"


def _owned(conn: sqlite3.Connection, user: str, conv_id: str) -> bool:
    query = "SELECT 1 FROM conversations WHERE id = ? AND owner = ?"
    return conn.execute(query, (conv_id, user)).fetchone() is not None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SQLiteConversations:
    """``ConversationStore`` in one SQLite file."""

    SCHEMA_VERSION = 1  # kept in PRAGMA user_version

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConversationStoreError(
                f"Không tạo được thư mục cho tệp lịch sử trò chuyện {self.path}: {exc}"
            ) from exc
        with self._transaction(write=True, init=True) as conn:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {self.SCHEMA_VERSION}")
            elif found != self.SCHEMA_VERSION:
                raise ConversationStoreError(
                    f"Tệp lịch sử trò chuyện {self.path} có phiên bản lược đồ {found}, nhưng phiên bản "
                    f"tracuu này chỉ đọc được phiên bản {self.SCHEMA_VERSION}. Hãy cập nhật tracuu hoặc "
                    f"dùng tệp khác (biến môi trường {ENV_PATH})."
                )

    def _error(self, exc: BaseException) -> ConversationStoreError:
        text = str(exc).lower()
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return ConversationStoreError(
                f"Tệp lịch sử trò chuyện {self.path} bị hỏng hoặc không phải cơ sở dữ liệu SQLite. "
                f"Hãy chuyển tệp này đi chỗ khác để bắt đầu lịch sử mới."
            )
        if "locked" in text or "busy" in text:
            return ConversationStoreError(
                f"Tệp lịch sử trò chuyện {self.path} đang bị một thao tác khác khoá; hãy thử lại sau."
            )
        return ConversationStoreError(f"Lỗi khi đọc/ghi tệp lịch sử trò chuyện {self.path}: {exc}")

    @contextmanager
    def _transaction(self, write: bool, init: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            if init:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent in the file; outside a transaction
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable enough, never corrupting
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        finally:
            conn.close()

    def create(self, user: str) -> str:
        conv_id = uuid.uuid4().hex
        now = _now()
        with self._transaction(write=True) as conn:
            conn.execute(
                "INSERT INTO conversations (id, owner, created, updated) VALUES (?, ?, ?, ?)",
                (conv_id, user, now, now),
            )
        return conv_id

    def append(self, user: str, conv_id: str, message: dict[str, Any]) -> None:
        if not isinstance(message, dict):
            raise TypeError(f"message must be a dict, not {type(message).__name__}")
        body = json.dumps(message, ensure_ascii=False)
        is_question = message.get("role") == "user"
        with self._transaction(write=True) as conn:
            row = conn.execute(
                "SELECT size, turns, title FROM conversations WHERE id = ? AND owner = ?", (conv_id, user)
            ).fetchone()
            if row is None:
                raise ConversationStoreError("Không tìm thấy cuộc trò chuyện này (có thể đã bị xoá).")
            size, turns, title = row
            stamp = conn.execute(
                "INSERT INTO messages (conversation, position, body) VALUES (?, ?, ?)", (conv_id, size, body)
            ).lastrowid
            if is_question and turns == 0 and not title:
                title = shorten_title(message.get("content", ""))
            conn.execute(
                "UPDATE conversations SET size = ?, turns = ?, title = ?, updated = ?, stamp = ? "
                "WHERE id = ?",
                (size + 1, turns + is_question, title, _now(), stamp, conv_id),
            )

    def messages(self, user: str, conv_id: str) -> list[dict[str, Any]] | None:
        with self._transaction(write=False) as conn:
            if not _owned(conn, user, conv_id):
                return None
            rows = conn.execute(
                "SELECT body FROM messages WHERE conversation = ? ORDER BY position", (conv_id,)
            ).fetchall()
        try:
            return [json.loads(body) for (body,) in rows]
        except ValueError as exc:
            raise self._error(ValueError(f"malformed message: {exc}")) from exc

    def delete(self, user: str, conv_id: str) -> bool:
        with self._transaction(write=True) as conn:
            if not _owned(conn, user, conv_id):
                return False
            conn.execute("DELETE FROM messages WHERE conversation = ?", (conv_id,))
            conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))
        return True

    def rename(self, user: str, conv_id: str, title: str) -> bool:
        """A new title (shortened like the automatic one); ``updated`` and the order stay."""
        title = shorten_title(title)
        if not title:
            raise ValueError("Tên cuộc trò chuyện không được để trống.")
        with self._transaction(write=True) as conn:
            cur = conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, conv_id, user)
            )
            return cur.rowcount > 0

    def list(self, user: str, limit: int = 50) -> list[ConversationSummary]:
        """The user's conversations with at least one message, the newest ``updated`` first."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT id, title, created, updated, turns FROM conversations WHERE owner = ? AND size > 0 "
                "ORDER BY updated DESC, stamp DESC LIMIT ?",
                (user, max(0, int(limit))),
            ).fetchall()
        return [ConversationSummary(*row) for row in rows]
