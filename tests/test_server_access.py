"""Roles and grants (retrieval.server.access) on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from argon2 import PasswordHasher

from retrieval.server import access, audit, auth
from retrieval.server.collections import create_collection
from retrieval.server.database import open_database

pytestmark = pytest.mark.postgres

PASSWORD = "mat-khau-du-dai"


@dataclass(frozen=True)
class World:
    conn: psycopg.Connection
    reader: auth.User
    editor: auth.User
    admin: auth.User
    nobody: auth.User
    luat: int
    ke_hoach: int
    mat: int


@pytest.fixture
def world(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    with open_database(pg_url) as conn:
        luat = create_collection(conn, "luat", "Văn bản luật")
        ke_hoach = create_collection(conn, "ke-hoach", "Kế hoạch")
        mat = create_collection(conn, "mat", "Tài liệu mật", confidential=True)
        reader = auth.create_user(conn, "doc-gia", PASSWORD)
        editor = auth.create_user(conn, "bien-tap", PASSWORD)
        admin = auth.create_user(conn, "quan-tri", PASSWORD, is_admin=True)
        nobody = auth.create_user(conn, "khach", PASSWORD)
        access.grant(conn, reader.id, luat, "reader")
        access.grant(conn, editor.id, luat, "reader")
        access.grant(conn, editor.id, ke_hoach, "editor")
        yield World(conn, reader, editor, admin, nobody, luat, ke_hoach, mat)


def test_readable_and_editable_sets(world: World) -> None:
    w = world
    assert access.readable_collections(w.conn, w.reader) == (w.luat,)
    assert access.editable_collections(w.conn, w.reader) == ()
    assert access.readable_collections(w.conn, w.editor) == tuple(sorted((w.luat, w.ke_hoach)))
    assert access.editable_collections(w.conn, w.editor) == (w.ke_hoach,)
    assert access.readable_collections(w.conn, w.admin) == tuple(sorted((w.luat, w.ke_hoach, w.mat)))
    assert access.editable_collections(w.conn, w.admin) == tuple(sorted((w.luat, w.ke_hoach, w.mat)))
    assert access.readable_collections(w.conn, w.nobody) == ()
    assert access.editable_collections(w.conn, w.nobody) == ()
    newer = create_collection(w.conn, "moi")  # an administrator sees new collections at once
    assert newer in access.readable_collections(w.conn, w.admin)
    assert newer not in access.readable_collections(w.conn, w.editor)


def test_require_editor(world: World) -> None:
    w = world
    access.require_editor(w.conn, w.editor, w.ke_hoach)
    access.require_editor(w.conn, w.admin, w.mat)
    with pytest.raises(access.AccessDenied, match="chỉ có quyền đọc bộ sưu tập 'luat'"):
        access.require_editor(w.conn, w.reader, w.luat)
    with pytest.raises(access.AccessDenied, match="không có quyền sửa") as info:
        access.require_editor(w.conn, w.nobody, w.mat)
    assert "'mat'" not in str(info.value)  # a collection it cannot read stays unnamed
    with pytest.raises(access.AccessDenied):
        access.require_editor(w.conn, w.editor, w.luat)
    with pytest.raises(access.AccessDenied):
        access.require_editor(w.conn, w.editor, 999_999)
    access.require_reader(w.conn, w.reader, w.luat)
    with pytest.raises(access.AccessDenied, match="quyền đọc"):
        access.require_reader(w.conn, w.reader, w.ke_hoach)


def test_require_admin(world: World) -> None:
    access.require_admin(world.admin)
    for user in (world.editor, world.reader, None):
        with pytest.raises(access.AccessDenied, match="quản trị viên"):
            access.require_admin(user)


def test_grant_upserts_and_revoke(world: World) -> None:
    w = world
    access.grant(w.conn, w.reader.id, w.luat, "editor")  # upgrade in place
    assert access.editable_collections(w.conn, w.reader) == (w.luat,)
    assert access.grants_of(w.conn, w.reader.id) == [("luat", "editor")]
    access.grant(w.conn, w.reader.id, w.luat, "reader")  # and back
    assert access.editable_collections(w.conn, w.reader) == ()
    assert access.grants_of(w.conn, w.editor.id) == [("ke-hoach", "editor"), ("luat", "reader")]
    assert access.revoke(w.conn, w.editor.id, w.ke_hoach)
    assert not access.revoke(w.conn, w.editor.id, w.ke_hoach)
    assert access.readable_collections(w.conn, w.editor) == (w.luat,)
    assert access.editable_collections(w.conn, w.editor) == ()
    with pytest.raises(access.AccessDenied):
        access.require_editor(w.conn, w.editor, w.ke_hoach)
    assert access.grants_of(w.conn, w.nobody.id) == []


def test_grant_errors(world: World) -> None:
    w = world
    with pytest.raises(access.AccessError, match="Vai trò 'owner' không hợp lệ"):
        access.grant(w.conn, w.reader.id, w.luat, "owner")
    with pytest.raises(access.AccessError, match="Không có bộ sưu tập"):
        access.grant(w.conn, w.reader.id, 999_999, "reader")
    with pytest.raises(access.AccessError, match="Không có người dùng"):
        access.grant(w.conn, 999_999, w.luat, "reader")
    assert access.grants_of(w.conn, w.reader.id) == [("luat", "reader")]


def test_grants_are_audited_in_their_transaction(world: World) -> None:
    w = world
    access.grant(w.conn, w.nobody.id, w.mat, "reader", actor=w.admin)
    access.revoke(w.conn, w.nobody.id, w.mat, actor=w.admin)
    access.revoke(w.conn, w.nobody.id, w.mat, actor=w.admin)  # nothing to revoke: no entry
    with pytest.raises(access.AccessError):
        access.grant(w.conn, w.nobody.id, 999_999, "reader", actor=w.admin)
    entries = audit.recent(w.conn, limit=5)
    assert [(e.action, e.username, e.collection, e.target, e.detail) for e in entries[:2]] == [
        ("revoke", "quan-tri", "mat", "khach", {"role": "reader"}),
        ("grant", "quan-tri", "mat", "khach", {"role": "reader"}),
    ]
    grants = audit.recent(w.conn, action="grant")
    assert len(grants) == 4 and {e.username for e in grants[1:]} == {audit.CLI_ACTOR}


def test_deleting_a_collection_drops_its_grants(world: World) -> None:
    w = world
    with w.conn.transaction():
        w.conn.execute("DELETE FROM collections WHERE id = %s", (w.ke_hoach,))
    assert access.readable_collections(w.conn, w.editor) == (w.luat,)
    assert access.grants_of(w.conn, w.editor.id) == [("luat", "reader")]
