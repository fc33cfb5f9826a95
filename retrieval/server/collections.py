"""Collections: every document belongs to one; grants give users a role in it (server/access.py)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from retrieval.server.database import DatabaseError


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    title: str
    confidential: bool


def create_collection(
    conn: psycopg.Connection, name: str, title: str = "", confidential: bool = False
) -> int:
    """Create collection ``name`` (lower-case letters, digits, '-', '_'); returns its id."""
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO collections (name, title, confidential) VALUES (%s, %s, %s) RETURNING id",
                (name, title or name, confidential),
            ).fetchone()
    except psycopg.errors.UniqueViolation as exc:
        raise DatabaseError(f"Bộ sưu tập '{name}' đã có.") from exc
    except psycopg.errors.CheckViolation as exc:
        raise DatabaseError(
            f"Tên bộ sưu tập '{name}' không hợp lệ: chỉ chữ thường không dấu, số, '-' và '_'."
        ) from exc
    return int(row[0])


def collection_id(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM collections WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise DatabaseError(f"Không có bộ sưu tập '{name}'. Hãy tạo nó trước: tracuu db collection {name}")
    return int(row[0])


def list_collections(conn: psycopg.Connection) -> list[Collection]:
    rows = conn.execute("SELECT id, name, title, confidential FROM collections ORDER BY name").fetchall()
    return [Collection(*r) for r in rows]
