"""Users, passwords, login throttling and sessions (retrieval.server.auth) on a real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from argon2 import PasswordHasher

from retrieval.server import audit, auth
from retrieval.server.database import open_database

pytestmark = pytest.mark.postgres

PASSWORD = "mật-khẩu-đủ-dài"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs: the same code paths, milliseconds instead of ~0.3 s a hash here."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    monkeypatch.setattr(auth, "_dummy_hash", None)


@pytest.fixture
def conn(pg_url: str, cheap_hasher: None) -> Iterator[psycopg.Connection]:
    with open_database(pg_url) as connection:
        yield connection


@pytest.fixture
def an(conn: psycopg.Connection) -> auth.User:
    return auth.create_user(conn, "An.Nguyen", PASSWORD, display_name=" Nguyễn Văn An ")


def test_create_user_stores_an_argon2_hash(conn: psycopg.Connection, an: auth.User) -> None:
    assert (an.username, an.display_name, an.is_admin, an.disabled) == (
        "an.nguyen",
        "Nguyễn Văn An",
        False,
        False,
    )
    stored = conn.execute("SELECT password_hash FROM users WHERE id = %s", (an.id,)).fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert auth.verify_password(stored, PASSWORD)
    assert not auth.verify_password(stored, PASSWORD + "x")
    assert not auth.verify_password("không phải hash", PASSWORD)
    assert auth.get_user(conn, "AN.NGUYEN") == an
    assert auth.get_user_by_id(conn, an.id) == an
    assert auth.get_user(conn, "khong-co") is None


def test_production_hashes_are_salted_argon2id() -> None:
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first != second and first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert auth.verify_password(first, PASSWORD) and auth.verify_password(second, PASSWORD)


def test_user_rules(conn: psycopg.Connection, an: auth.User) -> None:
    with pytest.raises(auth.AuthError, match="đã có"):
        auth.create_user(conn, "an.nguyen", PASSWORD)
    with pytest.raises(auth.AuthError, match="ít nhất 8 ký tự"):
        auth.create_user(conn, "binh", "1234567")
    for bad in ("ab", "x" * 65, "bình", "a b", "an@x"):
        with pytest.raises(auth.AuthError, match="không hợp lệ"):
            auth.create_user(conn, bad, PASSWORD)
    admin = auth.create_user(conn, "quantri", PASSWORD, is_admin=True)
    assert admin.is_admin
    assert [u.username for u in auth.list_users(conn)] == ["an.nguyen", "quantri"]


def test_login_success_creates_a_hashed_session(conn: psycopg.Connection, an: auth.User) -> None:
    user, token = auth.login(conn, " AN.Nguyen ", PASSWORD, remote="10.0.0.5", now=T0, session_hours=2)
    assert user == an and len(token) >= 40
    rows = conn.execute("SELECT token_hash, user_id, expires_at FROM sessions").fetchall()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), an.id, T0 + timedelta(hours=2))]
    assert token not in str(rows)
    assert auth.session_user(conn, token, now=T0 + timedelta(minutes=5)) == an
    _, other = auth.login(conn, "an.nguyen", PASSWORD, now=T0, session_hours=2)
    assert other != token
    attempts = conn.execute("SELECT username, remote, ok, at FROM login_attempts ORDER BY id").fetchall()
    assert attempts == [("an.nguyen", "10.0.0.5", True, T0), ("an.nguyen", "", True, T0)]


def test_session_hours_from_environment(
    conn: psycopg.Connection, an: auth.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(auth.ENV_SESSION_HOURS, raising=False)
    _, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    assert auth.session_user(conn, token, now=T0 + timedelta(hours=7, minutes=59)) == an
    assert auth.session_user(conn, token, now=T0 + timedelta(hours=8)) is None
    monkeypatch.setenv(auth.ENV_SESSION_HOURS, "0.5")
    _, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    assert auth.session_user(conn, token, now=T0 + timedelta(minutes=29)) == an
    assert auth.session_user(conn, token, now=T0 + timedelta(minutes=31)) is None
    monkeypatch.setenv(auth.ENV_SESSION_HOURS, "tám")
    with pytest.raises(auth.AuthError, match=auth.ENV_SESSION_HOURS):
        auth.login(conn, "an.nguyen", PASSWORD, now=T0)


class CountingHasher(PasswordHasher):
    """The test hasher, recording the parameters of every hash it verifies against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash).split("$")[3])  # "m=…,t=…,p=…"
        return super().verify(hash, password)


def test_wrong_password_and_unknown_user_look_alike(
    conn: psycopg.Connection, an: auth.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    messages = {}
    for name in ("an.nguyen", "khong-co-ai"):
        hasher.verified.clear()
        with pytest.raises(auth.AuthError) as info:
            auth.login(conn, name, "sai-mat-khau", now=T0)
        messages[name] = str(info.value)
        assert not isinstance(info.value, auth.LoginRateLimited)
        # one argon2 verification either way, against a hash of the same cost: comparable time
        assert hasher.verified == ["m=8192,t=1,p=1"], name
    assert messages["an.nguyen"] == messages["khong-co-ai"] == auth.BAD_CREDENTIALS
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_rate_limit_refuses_even_the_right_password_then_lifts(
    conn: psycopg.Connection, an: auth.User
) -> None:
    for minute in range(auth.MAX_FAILURES_USER):
        with pytest.raises(auth.AuthError) as info:
            auth.login(conn, "an.nguyen", f"sai-{minute}", now=T0 + timedelta(minutes=minute))
        assert not isinstance(info.value, auth.LoginRateLimited)
    with pytest.raises(auth.LoginRateLimited) as info:
        auth.login(conn, "an.nguyen", PASSWORD, now=T0 + timedelta(minutes=5))
    # the oldest of the 5 failures (T0) leaves the 15-minute window at T0 + 15 min: 10 minutes from now
    assert info.value.minutes == 10 and "10 phút" in str(info.value)
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    # at T0 + 16 min the failures of T0 and T0 + 1 min are out of the window: 4 left (one of them the
    # refused attempt at T0 + 5 min), under the limit
    user, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0 + timedelta(minutes=16, seconds=1))
    assert user == an and auth.session_user(conn, token, now=T0 + timedelta(minutes=17)) == an
    # a success clears the username's count: one new failure is not throttled
    with pytest.raises(auth.AuthError) as info:
        auth.login(conn, "an.nguyen", "sai", now=T0 + timedelta(minutes=17))
    assert not isinstance(info.value, auth.LoginRateLimited)
    ok = conn.execute("SELECT ok FROM login_attempts ORDER BY id").fetchall()
    assert [r[0] for r in ok] == [False] * 6 + [True, False]


def test_attempts_older_than_a_day_are_purged_at_login(conn: psycopg.Connection, an: auth.User) -> None:
    for i in range(3):
        with pytest.raises(auth.AuthError):
            auth.login(conn, "an.nguyen", "sai", now=T0 - timedelta(days=2, minutes=i))
    assert conn.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 3
    with pytest.raises(auth.AuthError):  # a day and more later: those three are gone
        auth.login(conn, "ai-do", "sai", now=T0 - timedelta(hours=2))
    assert conn.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 1
    auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    left = conn.execute("SELECT username, ok FROM login_attempts ORDER BY at").fetchall()
    assert left == [("ai-do", False), ("an.nguyen", True)]
    assert len(audit.recent(conn, limit=50)) >= 5  # the history stays in the audit log


def test_rate_limit_is_per_username_and_per_remote(conn: psycopg.Connection, an: auth.User) -> None:
    auth.create_user(conn, "binh", PASSWORD)
    for i in range(auth.MAX_FAILURES_USER):
        with pytest.raises(auth.AuthError):
            auth.login(conn, "an.nguyen", "sai", now=T0 + timedelta(seconds=i))
    with pytest.raises(auth.LoginRateLimited):
        auth.login(conn, "An.Nguyen", PASSWORD, now=T0 + timedelta(minutes=1))
    assert auth.login(conn, "binh", PASSWORD, now=T0 + timedelta(minutes=1))[0].username == "binh"
    # one address trying many names: refused after MAX_FAILURES_REMOTE failures, other addresses not
    for i in range(auth.MAX_FAILURES_REMOTE):
        with pytest.raises(auth.AuthError) as info:
            auth.login(conn, f"ten-{i:02d}", "sai", remote="203.0.113.9", now=T0 + timedelta(seconds=i))
        assert not isinstance(info.value, auth.LoginRateLimited)
    with pytest.raises(auth.LoginRateLimited, match="phút"):
        auth.login(conn, "binh", PASSWORD, remote="203.0.113.9", now=T0 + timedelta(minutes=2))
    assert auth.login(conn, "binh", PASSWORD, remote="198.51.100.1", now=T0 + timedelta(minutes=2))


def test_disabled_user_cannot_log_in_and_loses_sessions(conn: psycopg.Connection, an: auth.User) -> None:
    _, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    auth.disable_user(conn, an.id)
    assert auth.get_user(conn, "an.nguyen").disabled
    assert auth.session_user(conn, token, now=T0) is None
    with pytest.raises(auth.AuthError, match="bị khoá"):
        auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    with pytest.raises(auth.AuthError) as info:  # a wrong password does not tell the account is disabled
        auth.login(conn, "an.nguyen", "sai-mat-khau", now=T0)
    assert str(info.value) == auth.BAD_CREDENTIALS
    auth.disable_user(conn, an.id, disabled=False)
    assert auth.login(conn, "an.nguyen", PASSWORD, now=T0)[0] == an


def test_session_expiry_unknown_tokens_and_logout(conn: psycopg.Connection, an: auth.User) -> None:
    _, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0, session_hours=1)
    assert auth.session_user(conn, token, now=T0 + timedelta(minutes=59)) == an
    assert auth.session_user(conn, "khong-phai-token", now=T0) is None
    assert auth.session_user(conn, "", now=T0) is None
    assert auth.session_user(conn, token, now=T0 + timedelta(hours=1)) is None
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0  # the expired row is gone
    assert auth.session_user(conn, token, now=T0) is None  # even asked with an earlier time again
    _, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0, session_hours=1)
    assert auth.logout(conn, token)
    assert auth.session_user(conn, token, now=T0) is None
    assert not auth.logout(conn, token)


def test_set_password_ends_sessions(conn: psycopg.Connection, an: auth.User) -> None:
    _, token = auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    auth.set_password(conn, an.id, "mat-khau-moi-123")
    assert auth.session_user(conn, token, now=T0) is None
    with pytest.raises(auth.AuthError):
        auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    assert auth.login(conn, "an.nguyen", "mat-khau-moi-123", now=T0)[0] == an
    with pytest.raises(auth.AuthError, match="ít nhất"):
        auth.set_password(conn, an.id, "ngan")


def test_old_parameters_are_rehashed_on_login(conn: psycopg.Connection, an: auth.User) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2).hash(PASSWORD)
    conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (weak, an.id))
    conn.commit()
    auth.login(conn, "an.nguyen", PASSWORD, now=T0)
    stored = conn.execute("SELECT password_hash FROM users WHERE id = %s", (an.id,)).fetchone()[0]
    conn.rollback()
    assert stored != weak and "m=1024" not in stored and auth.verify_password(stored, PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")  # the hasher's current parameters


def test_audit_entries(conn: psycopg.Connection, an: auth.User) -> None:
    admin = auth.create_user(conn, "quantri", PASSWORD, is_admin=True, actor=an)
    auth.login(conn, "an.nguyen", PASSWORD, remote="10.0.0.5", now=T0)
    with pytest.raises(auth.AuthError):
        auth.login(conn, "an.nguyen", "sai-mat-khau", remote="10.0.0.6", now=T0 + timedelta(seconds=1))
    with pytest.raises(auth.AuthError):
        auth.login(conn, "ke-la", "sai-mat-khau", now=T0 + timedelta(seconds=2))
    created = audit.recent(conn, action="create_user")
    assert [(e.username, e.user_id, e.target, e.detail) for e in created] == [
        ("an.nguyen", an.id, "quantri", {"is_admin": True}),
        (audit.CLI_ACTOR, None, "an.nguyen", {"is_admin": False}),
    ]
    [ok] = audit.recent(conn, action="login")
    assert (ok.user_id, ok.username, ok.at, ok.detail) == (an.id, "an.nguyen", T0, {"remote": "10.0.0.5"})
    failed = audit.recent(conn, action="login_failed")
    assert [(e.username, e.user_id, e.detail["reason"]) for e in failed] == [
        ("ke-la", None, "unknown_user"),
        ("an.nguyen", an.id, "bad_password"),
    ]
    assert failed[1].detail["remote"] == "10.0.0.6"
    assert audit.recent(conn, limit=2) == audit.recent(conn)[:2] and len(audit.recent(conn)) == 5
    assert admin.is_admin


def test_failed_create_user_leaves_no_audit_entry(conn: psycopg.Connection, an: auth.User) -> None:
    with pytest.raises(auth.AuthError):
        auth.create_user(conn, "an.nguyen", PASSWORD)
    assert len(audit.recent(conn, action="create_user")) == 1
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
