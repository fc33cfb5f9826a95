"""Users, passwords and login sessions of the server mode.

* Passwords are hashed with argon2id (``argon2-cffi``'s ``PasswordHasher`` defaults); a login with a
  hash made under older parameters stores a fresh hash (``check_needs_rehash``). At least
  ``MIN_PASSWORD`` characters.
* Usernames are lower-cased; 3–64 characters of ``a-z``, ``0-9``, ``.``, ``_``, ``-``.
* Login throttling, checked before the password so that a right password is refused too while it
  lasts: a username is refused once it has ``MAX_FAILURES_USER`` failures within ``WINDOW`` since its
  last successful login, a remote address once it has ``MAX_FAILURES_REMOTE`` failures within
  ``WINDOW``. Every attempt is a row of ``login_attempts``; a refused attempt counts as a failure.
  Attempts for one username are serialised by a transaction-level advisory lock.
* An unknown username is verified against a dummy hash: same message, comparable time, as a wrong
  password. A disabled account is told so only after its right password.
* A session token (``secrets.token_urlsafe(32)``) is given to the client once; the database keeps its
  SHA-256 hex only. It expires ``session_hours`` after login (``$TRACUU_SESSION_HOURS``, default 8).
  Changing a password or disabling a user ends their sessions.
* Every function runs its statements in ``with conn.transaction():`` (on an idle connection that is a
  transaction committed at the end; inside the caller's transaction, a savepoint of it). Errors for
  the user are ``AuthError`` with a Vietnamese message. ``now`` parameters exist for tests.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from retrieval.server import audit

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_FAILURES_USER = 5
MAX_FAILURES_REMOTE = 20
WINDOW = timedelta(minutes=15)
ATTEMPTS_KEPT = timedelta(days=1)  # login_attempts older than this are deleted at each login (the audit
# log keeps the history); the rate limit only reads the last WINDOW
ENV_SESSION_HOURS = "TRACUU_SESSION_HOURS"
DEFAULT_SESSION_HOURS = 8.0
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."
_USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
_LOCK_CLASS = 0x6C6F  # advisory lock class of login attempts ("lo"), key: hashtext(username)
_USER_COLUMNS = "id, username, display_name, is_admin, disabled"

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class AuthError(RuntimeError):
    """Refused (bad credentials, invalid name or password, …); the message is Vietnamese."""


class LoginRateLimited(AuthError):
    """Too many failed logins lately; ``minutes`` to wait."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút.")
        self.minutes = minutes


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    is_admin: bool
    disabled: bool = False


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def normalize_username(username: str) -> str:
    return str(username).strip().lower()


def check_username(username: str) -> str:
    """The normalised name, or ``AuthError`` when it breaks the rules."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise AuthError(
            f"Tên đăng nhập '{name[:80]}' không hợp lệ: cần 3–64 ký tự gồm chữ cái không dấu, "
            "chữ số, '.', '_' hoặc '-'."
        )
    return name


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (at least ``MIN_PASSWORD`` characters)."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"Mật khẩu quá ngắn: cần ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > MAX_PASSWORD:
        raise AuthError(f"Mật khẩu quá dài: tối đa {MAX_PASSWORD} ký tự.")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
        return False


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_hours_from_env() -> float:
    raw = os.environ.get(ENV_SESSION_HOURS, "").strip()
    if not raw:
        return DEFAULT_SESSION_HOURS
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours) or hours <= 0:
        raise AuthError(f"Biến môi trường {ENV_SESSION_HOURS}={raw!r} không hợp lệ: cần một số giờ dương.")
    return hours


def _user(row: tuple) -> User:
    return User(int(row[0]), row[1], row[2], bool(row[3]), bool(row[4]))


def create_user(
    conn: psycopg.Connection,
    username: str,
    password: str,
    display_name: str = "",
    is_admin: bool = False,
    *,
    actor: User | None = None,
) -> User:
    """A new user; audited as ``create_user`` by ``actor`` (None: the command line administrator)."""
    name = check_username(username)
    password_hash = hash_password(password)
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO users (username, display_name, password_hash, is_admin) VALUES (%s, %s, %s, %s) "
                f"RETURNING {_USER_COLUMNS}",
                (name, display_name.strip(), password_hash, is_admin),
            ).fetchone()
            user = _user(row)
            audit.record(conn, actor, "create_user", target=name, detail={"is_admin": is_admin})
    except psycopg.errors.UniqueViolation as exc:
        raise AuthError(f"Tên đăng nhập '{name}' đã có.") from exc
    return user


def get_user(conn: psycopg.Connection, username: str) -> User | None:
    with conn.transaction():
        row = conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE username = %s", (normalize_username(username),)
        ).fetchone()
    return _user(row) if row else None


def get_user_by_id(conn: psycopg.Connection, user_id: int) -> User | None:
    with conn.transaction():
        row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,)).fetchone()
    return _user(row) if row else None


def list_users(conn: psycopg.Connection) -> list[User]:
    with conn.transaction():
        rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username").fetchall()
    return [_user(r) for r in rows]


def _require(conn: psycopg.Connection, user_id: int) -> str:
    row = conn.execute("SELECT username FROM users WHERE id = %s FOR UPDATE", (user_id,)).fetchone()
    if row is None:
        raise AuthError(f"Không có người dùng mã {user_id}.")
    return str(row[0])


def set_password(conn: psycopg.Connection, user_id: int, password: str, *, actor: User | None = None) -> None:
    """A new password; the user's sessions end."""
    password_hash = hash_password(password)
    with conn.transaction():
        name = _require(conn, user_id)
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))
        conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))
        audit.record(conn, actor, "set_password", target=name)


def disable_user(
    conn: psycopg.Connection, user_id: int, disabled: bool = True, *, actor: User | None = None
) -> None:
    """Disable (or with ``disabled=False`` enable again) a user; disabling ends their sessions."""
    with conn.transaction():
        name = _require(conn, user_id)
        conn.execute("UPDATE users SET disabled = %s WHERE id = %s", (disabled, user_id))
        if disabled:
            conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))
        audit.record(conn, actor, "disable_user" if disabled else "enable_user", target=name)


def _minutes_to_wait(conn: psycopg.Connection, name: str, remote: str, now: datetime) -> int | None:
    """Minutes until a login for ``name`` from ``remote`` is allowed again; None when allowed now."""
    since = now - WINDOW
    lifts = []
    rows = conn.execute(
        "SELECT at FROM login_attempts WHERE username = %s AND NOT ok AND at > %s AND at <= %s "
        "AND at > coalesce((SELECT max(at) FROM login_attempts WHERE username = %s AND ok AND at <= %s),"
        " '-infinity') ORDER BY at DESC LIMIT %s",
        (name, since, now, name, now, MAX_FAILURES_USER),
    ).fetchall()
    if len(rows) >= MAX_FAILURES_USER:
        lifts.append(rows[-1][0] + WINDOW)
    if remote:
        rows = conn.execute(
            "SELECT at FROM login_attempts WHERE remote = %s AND NOT ok AND at > %s AND at <= %s "
            "ORDER BY at DESC LIMIT %s",
            (remote, since, now, MAX_FAILURES_REMOTE),
        ).fetchall()
        if len(rows) >= MAX_FAILURES_REMOTE:
            lifts.append(rows[-1][0] + WINDOW)
    if not lifts:
        return None
    return max(1, math.ceil((max(lifts) - now).total_seconds() / 60))


def _check_password(conn: psycopg.Connection, name: str, password: str) -> tuple[User | None, str]:
    """The user named ``name`` (None if unknown) and why the login fails ("" when it succeeds)."""
    row = conn.execute(
        f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = %s", (name,)
    ).fetchone()
    stored = row[5] if row else _dummy()  # an unknown name costs one verification too
    right = verify_password(stored, password)
    if row is None:
        return None, "unknown_user"
    user = _user(row)
    if not right:
        return user, "bad_password"
    if user.disabled:
        return user, "disabled"
    if _hasher.check_needs_rehash(stored):
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (_hasher.hash(password), user.id))
    return user, ""


def login(
    conn: psycopg.Connection,
    username: str,
    password: str,
    remote: str = "",
    now: datetime | None = None,
    session_hours: float | None = None,
) -> tuple[User, str]:
    """The user and a new session token, or ``AuthError`` (``LoginRateLimited`` while throttled)."""
    now = _utc(now)
    hours = session_hours_from_env() if session_hours is None else float(session_hours)
    if not math.isfinite(hours) or hours <= 0:
        raise AuthError("Thời hạn phiên đăng nhập phải là một số giờ dương.")
    name = normalize_username(username)[:200]
    remote = str(remote)[:200]
    refusal: AuthError | None = None
    token = ""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, name))
        wait = _minutes_to_wait(conn, name, remote, now)
        if wait is not None:
            user, reason, refusal = None, "rate_limited", LoginRateLimited(wait)
        else:
            user, reason = _check_password(conn, name, password)
            if reason == "disabled":
                refusal = AuthError("Tài khoản này đã bị khoá. Hãy liên hệ quản trị viên.")
            elif reason:
                refusal = AuthError(BAD_CREDENTIALS)
        conn.execute(
            "INSERT INTO login_attempts (username, remote, ok, at) VALUES (%s, %s, %s, %s)",
            (name, remote, refusal is None, now),
        )
        conn.execute("DELETE FROM login_attempts WHERE at < %s", (now - ATTEMPTS_KEPT,))
        if refusal is not None or user is None:
            detail = {"remote": remote, "reason": reason}
            audit.record(conn, user, "login_failed", target=name, detail=detail, username=name, at=now)
        else:
            token = secrets.token_urlsafe(32)
            conn.execute("DELETE FROM sessions WHERE user_id = %s AND expires_at <= %s", (user.id, now))
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (%s, %s, %s, %s)",
                (token_hash(token), user.id, now, now + timedelta(hours=hours)),
            )
            audit.record(conn, user, "login", detail={"remote": remote}, at=now)
    if refusal is not None or user is None:
        raise refusal or AuthError(BAD_CREDENTIALS)
    return user, token


def session_user(conn: psycopg.Connection, token: str, now: datetime | None = None) -> User | None:
    """The user of a live session; None for an unknown or expired token (an expired row is deleted)."""
    if not token or not isinstance(token, str):
        return None
    now = _utc(now)
    digest = token_hash(token)
    with conn.transaction():
        row = conn.execute(
            "SELECT u.id, u.username, u.display_name, u.is_admin, u.disabled, s.expires_at "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = %s",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        if row[5] <= now:
            conn.execute("DELETE FROM sessions WHERE token_hash = %s", (digest,))
            return None
    user = _user(row)
    return None if user.disabled else user


def logout(conn: psycopg.Connection, token: str) -> bool:
    """End the session of ``token``; False when there was none."""
    if not token or not isinstance(token, str):
        return False
    with conn.transaction():
        row = conn.execute(
            "DELETE FROM sessions WHERE token_hash = %s RETURNING user_id", (token_hash(token),)
        ).fetchone()
        if row is None:
            return False
        user_row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (row[0],)).fetchone()
        if user_row is not None:
            audit.record(conn, _user(user_row), "logout")
    return True
