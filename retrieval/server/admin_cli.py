"""``tracuu db …``: administer the server database from the command line. Messages: Vietnamese.

The database URL comes from ``--database`` or ``$TRACUU_DATABASE_URL``. A new user's password is
asked twice without echo, or read from ``$TRACUU_NEW_PASSWORD`` (scripts). Changes are audited with
the actor "quản trị dòng lệnh" (``audit.CLI_ACTOR``), each in the transaction of the change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from retrieval.server import access, audit, auth
from retrieval.server.collections import collection_id, create_collection, list_collections
from retrieval.server.database import DatabaseError, migrate, open_database, redact

ENV_DATABASE = "TRACUU_DATABASE_URL"
ENV_NEW_PASSWORD = "TRACUU_NEW_PASSWORD"

db_app = typer.Typer(
    name="db",
    add_completion=False,
    no_args_is_help=True,
    help="Quản trị cơ sở dữ liệu của chế độ máy chủ: lược đồ, bộ sưu tập, người dùng, quyền, nhật ký.",
)

Database = Annotated[
    str,
    typer.Option(
        "--database",
        envvar=ENV_DATABASE,
        show_envvar=False,
        help=f"URL PostgreSQL, ví dụ postgresql://tracuu@localhost/tracuu (mặc định: ${ENV_DATABASE})",
    ),
]

_ERRORS = (DatabaseError, auth.AuthError, access.AccessError, psycopg.Error)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(code)


def _url(database: str) -> str:
    if not database.strip():
        _fail(f"Chưa có địa chỉ cơ sở dữ liệu: dùng --database hoặc biến môi trường {ENV_DATABASE}.", 2)
    return database.strip()


@contextmanager
def _database(database: str) -> Iterator[psycopg.Connection]:
    """An open connection to an up-to-date database; errors become Vietnamese messages."""
    url = _url(database)
    try:
        with open_database(url) as conn:
            yield conn
    except _ERRORS as exc:
        _fail(str(exc) if not isinstance(exc, psycopg.Error) else f"{redact(url)}: {exc}")


def _user(conn: psycopg.Connection, username: str) -> auth.User:
    user = auth.get_user(conn, username)
    if user is None:
        _fail(f"Không có người dùng '{username}'. Xem danh sách: tracuu db users")
    assert user is not None
    return user


def _yes_no(flag: bool) -> str:
    return "có" if flag else ""


@db_app.command("upgrade")
def upgrade(database: Database = "") -> None:
    """Nâng cấp lược đồ cơ sở dữ liệu (áp dụng các bước di chuyển còn thiếu)."""
    url = _url(database)
    try:
        applied = migrate(url)
    except _ERRORS as exc:
        _fail(str(exc))
    if applied:
        typer.echo("Đã áp dụng phiên bản lược đồ: " + ", ".join(str(v) for v in applied))
        from retrieval.indexing.pg_upkeep import upkeep

        try:  # an upgraded archive gets its accent models and planner statistics now, not at the next import
            done = upkeep(url)
        except _ERRORS as exc:
            _fail(str(exc))
        if done.accent_models:
            typer.echo(f"Đã đếm mô hình khôi phục dấu cho {len(done.accent_models)} bộ sưu tập.")
    else:
        typer.echo("Cơ sở dữ liệu đã ở phiên bản lược đồ mới nhất; không có gì để áp dụng.")


@db_app.command("upkeep")
def upkeep_command(
    force: Annotated[bool, typer.Option("--force", help="Nén và đếm lại mọi bộ sưu tập")] = False,
    database: Database = "",
) -> None:
    """Bảo trì sau khi nhập: nén khối BM25, đếm lại mô hình dấu, VACUUM ANALYZE (tự chạy sau mỗi lần nhập)."""
    from retrieval.indexing.pg_upkeep import upkeep

    with _database(database) as conn:  # a clear error for a database at another schema version
        names = dict(conn.execute("SELECT id, name FROM collections").fetchall())
    try:
        done = upkeep(_url(database), force=force)
    except _ERRORS as exc:
        _fail(str(exc))
    for c in done.compactions:
        typer.echo(
            f"Bộ sưu tập '{names.get(c.collection_id, c.collection_id)}': nén {c.rows_before:,} → "
            f"{c.rows_after:,} dòng BM25, bỏ {c.dropped_postings:,} mục của đoạn đã xoá."
        )
    for cid in done.accent_models:
        typer.echo(f"Bộ sưu tập '{names.get(cid, cid)}': đã đếm lại mô hình khôi phục dấu.")
    if not done.compactions and not done.accent_models:
        typer.echo("Không bộ sưu tập nào cần nén hay đếm lại; đã chạy VACUUM ANALYZE.")


@db_app.command("collection")
def collection(
    name: Annotated[str, typer.Argument(help="Tên bộ sưu tập: chữ thường không dấu, số, '-', '_'")],
    title: Annotated[str, typer.Option("--title", help="Tiêu đề hiển thị")] = "",
    confidential: Annotated[bool, typer.Option("--confidential", help="Bộ sưu tập mật")] = False,
    database: Database = "",
) -> None:
    """Tạo một bộ sưu tập."""
    with _database(database) as conn, conn.transaction():
        new_id = create_collection(conn, name, title, confidential)
        audit.record(
            conn, None, "create_collection", new_id, target=name, detail={"confidential": confidential}
        )
    note = " (mật)" if confidential else ""
    typer.echo(f"Đã tạo bộ sưu tập '{name}'{note}, mã {new_id}.")


def _new_password() -> str:
    """``$TRACUU_NEW_PASSWORD``, else asked twice without echo (Vietnamese prompts, unlike click's)."""
    password = os.environ.get(ENV_NEW_PASSWORD, "")
    if password:
        return password
    for _ in range(3):
        first = str(typer.prompt("Mật khẩu", hide_input=True, type=str))
        if str(typer.prompt("Nhập lại mật khẩu", hide_input=True, type=str)) == first:
            return first
        typer.echo("Hai lần nhập không khớp; hãy nhập lại.", err=True)
    _fail("Hai lần nhập mật khẩu không khớp.")
    return ""


@db_app.command("user-add")
def user_add(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập (3–64 ký tự: a-z, 0-9, '.', '_', '-')")],
    admin: Annotated[bool, typer.Option("--admin", help="Quản trị viên: mọi bộ sưu tập")] = False,
    display_name: Annotated[str, typer.Option("--display-name", help="Tên hiển thị")] = "",
    database: Database = "",
) -> None:
    """Thêm người dùng (mật khẩu hỏi hai lần, hoặc lấy từ $TRACUU_NEW_PASSWORD)."""
    try:
        auth.check_username(username)
    except auth.AuthError as exc:
        _fail(str(exc))
    new_password = _new_password()
    with _database(database) as conn:
        user = auth.create_user(conn, username, new_password, display_name, admin)
    role = "quản trị viên" if user.is_admin else "người dùng"
    typer.echo(f"Đã thêm {role} '{user.username}', mã {user.id}.")


@db_app.command("user-disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    enable: Annotated[bool, typer.Option("--enable", help="Mở khoá lại")] = False,
    database: Database = "",
) -> None:
    """Khoá (hoặc mở khoá lại) một người dùng; khoá thì các phiên đăng nhập của họ kết thúc."""
    with _database(database) as conn:
        user = _user(conn, username)
        auth.disable_user(conn, user.id, disabled=not enable)
    typer.echo(f"Đã {'mở khoá' if enable else 'khoá'} người dùng '{user.username}'.")


@db_app.command("password")
def password(username: Annotated[str, typer.Argument(help="Tên đăng nhập")], database: Database = "") -> None:
    """Đặt mật khẩu mới cho một người dùng (các phiên đăng nhập của họ kết thúc)."""
    new_password = _new_password()
    with _database(database) as conn:
        user = _user(conn, username)
        auth.set_password(conn, user.id, new_password)
    typer.echo(f"Đã đặt mật khẩu mới cho '{user.username}'.")


@db_app.command("grant")
def grant(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    collection: Annotated[str, typer.Argument(help="Tên bộ sưu tập")],
    role: Annotated[str, typer.Argument(help="reader (đọc) hoặc editor (sửa)")],
    database: Database = "",
) -> None:
    """Cấp cho người dùng một vai trò trong bộ sưu tập (thay vai trò cũ nếu có)."""
    with _database(database) as conn:
        user = _user(conn, username)
        access.grant(conn, user.id, collection_id(conn, collection), role.strip().lower())
    label = access.ROLE_LABELS.get(role.strip().lower(), role)
    typer.echo(
        f"Đã cấp cho '{user.username}' quyền {label} ({role.strip().lower()}) bộ sưu tập '{collection}'."
    )


@db_app.command("revoke")
def revoke(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    collection: Annotated[str, typer.Argument(help="Tên bộ sưu tập")],
    database: Database = "",
) -> None:
    """Thu hồi vai trò của người dùng trong bộ sưu tập."""
    with _database(database) as conn:
        user = _user(conn, username)
        done = access.revoke(conn, user.id, collection_id(conn, collection))
    if done:
        typer.echo(f"Đã thu hồi quyền của '{user.username}' trên bộ sưu tập '{collection}'.")
    else:
        typer.echo(
            f"'{user.username}' không có quyền nào trên bộ sưu tập '{collection}'; không có gì thay đổi."
        )


@db_app.command("users")
def users(database: Database = "") -> None:
    """Danh sách người dùng và quyền của họ."""
    with _database(database) as conn:
        rows = [(u, access.grants_of(conn, u.id)) for u in auth.list_users(conn)]
    if not rows:
        typer.echo("Chưa có người dùng nào. Thêm bằng: tracuu db user-add TEN")
        return
    table = Table(title="Người dùng")
    for header in ("Tên đăng nhập", "Tên hiển thị", "Quản trị", "Bị khoá", "Quyền"):
        table.add_column(header, overflow="fold")
    for user, grants in rows:
        rights = "mọi bộ sưu tập" if user.is_admin else ", ".join(f"{name}: {role}" for name, role in grants)
        table.add_row(
            user.username, user.display_name, _yes_no(user.is_admin), _yes_no(user.disabled), rights
        )
    Console(width=120).print(table)


@db_app.command("collections")
def collections(database: Database = "") -> None:
    """Danh sách bộ sưu tập."""
    with _database(database) as conn:
        found = list_collections(conn)
    if not found:
        typer.echo("Chưa có bộ sưu tập nào. Tạo bằng: tracuu db collection TEN")
        return
    table = Table(title="Bộ sưu tập")
    for header in ("Mã", "Tên", "Tiêu đề", "Mật"):
        table.add_column(header, overflow="fold")
    for c in found:
        table.add_row(str(c.id), c.name, c.title, _yes_no(c.confidential))
    Console(width=120).print(table)


@db_app.command("audit")
def audit_log(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="Số mục mới nhất")] = 50,
    action: Annotated[str, typer.Option("--action", help="Chỉ một loại hành động, ví dụ login_failed")] = "",
    database: Database = "",
) -> None:
    """Nhật ký thao tác, mới nhất trước."""
    with _database(database) as conn:
        entries = audit.recent(conn, limit, action or None)
    if not entries:
        typer.echo("Nhật ký trống.")
        return
    table = Table(title="Nhật ký thao tác")
    for header in ("Thời điểm (UTC)", "Người", "Hành động", "Bộ sưu tập", "Đối tượng", "Chi tiết"):
        table.add_column(header, overflow="fold")
    for e in entries:
        detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
        when = e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if e.at else ""
        table.add_row(when, e.username, e.action, e.collection, e.target, detail)
    Console(width=140).print(table)
