"""``tracuu db …`` (retrieval.server.admin_cli) through typer's CliRunner, on a real PostgreSQL."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from retrieval.server import access, audit, auth
from retrieval.server.admin_cli import ENV_DATABASE, ENV_NEW_PASSWORD, db_app
from retrieval.server.database import SCHEMA_VERSION, LocalServer, open_database, schema_version

pytestmark = pytest.mark.postgres

PASSWORD = "mat-khau-cua-an"


@pytest.fixture
def cli(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    monkeypatch.setenv(ENV_DATABASE, pg_url)
    monkeypatch.delenv(ENV_NEW_PASSWORD, raising=False)
    return CliRunner()


def test_collection(cli: CliRunner, pg_url: str) -> None:
    result = cli.invoke(db_app, ["collection", "luat", "--title", "Văn bản luật", "--confidential"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo bộ sưu tập 'luat' (mật)" in result.stdout
    with open_database(pg_url) as conn:
        row = conn.execute("SELECT id, title, confidential FROM collections WHERE name = 'luat'").fetchone()
        [entry] = audit.recent(conn, action="create_collection")
    assert row[1:] == ("Văn bản luật", True) and f"mã {row[0]}" in result.stdout
    assert (entry.username, entry.user_id, entry.collection, entry.target) == (
        audit.CLI_ACTOR,
        None,
        "luat",
        "luat",
    )
    again = cli.invoke(db_app, ["collection", "luat"])
    assert again.exit_code == 1 and "đã có" in again.stderr
    bad = cli.invoke(db_app, ["collection", "Sai Ten"])
    assert bad.exit_code == 1 and "không hợp lệ" in bad.stderr
    with open_database(pg_url) as conn:
        assert len(audit.recent(conn, action="create_collection")) == 1  # failures leave no entry


def test_user_add_from_environment_and_login(
    cli: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_NEW_PASSWORD, PASSWORD)
    result = cli.invoke(db_app, ["user-add", "Anh", "--display-name", "Nguyễn Văn An"])
    assert result.exit_code == 0, result.output
    assert "Đã thêm người dùng 'anh'" in result.stdout and PASSWORD not in result.output
    admin = cli.invoke(db_app, ["user-add", "quantri", "--admin"])
    assert admin.exit_code == 0 and "quản trị viên 'quantri'" in admin.stdout
    with open_database(pg_url) as conn:
        user, token = auth.login(conn, "anh", PASSWORD)
        assert (user.display_name, user.is_admin) == ("Nguyễn Văn An", False)
        assert auth.get_user(conn, "quantri").is_admin
        assert [e.target for e in audit.recent(conn, action="create_user")] == ["quantri", "anh"]
    duplicate = cli.invoke(db_app, ["user-add", "anh"])
    assert duplicate.exit_code == 1 and "đã có" in duplicate.stderr
    monkeypatch.setenv(ENV_NEW_PASSWORD, "ngan")
    short = cli.invoke(db_app, ["user-add", "binh"])
    assert short.exit_code == 1 and "ít nhất 8 ký tự" in short.stderr
    invalid = cli.invoke(db_app, ["user-add", "b"])
    assert invalid.exit_code == 1 and "không hợp lệ" in invalid.stderr


def test_user_add_prompts_twice(cli: CliRunner, pg_url: str) -> None:
    result = cli.invoke(
        db_app, ["user-add", "binh"], input=f"{PASSWORD}\nkhac-han-nhe\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "không khớp" in result.stderr and PASSWORD not in result.output
    with open_database(pg_url) as conn:
        assert auth.login(conn, "binh", PASSWORD)[0].username == "binh"


def test_grant_revoke_and_users(cli: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_NEW_PASSWORD, PASSWORD)
    for args in (
        ["collection", "luat"],
        ["collection", "ke-hoach"],
        ["user-add", "anh"],
        ["user-add", "qtv", "--admin"],
    ):
        assert cli.invoke(db_app, args).exit_code == 0
    assert cli.invoke(db_app, ["user-add", "binh"]).exit_code == 0
    result = cli.invoke(db_app, ["grant", "anh", "luat", "reader"])
    assert result.exit_code == 0, result.output
    assert "quyền đọc (reader)" in result.stdout
    assert cli.invoke(db_app, ["grant", "anh", "ke-hoach", "EDITOR"]).exit_code == 0
    with open_database(pg_url) as conn:
        anh = auth.get_user(conn, "anh")
        assert access.grants_of(conn, anh.id) == [("ke-hoach", "editor"), ("luat", "reader")]
        grants = audit.recent(conn, action="grant")
    assert [(e.collection, e.target, e.detail["role"]) for e in grants] == [
        ("ke-hoach", "anh", "editor"),
        ("luat", "anh", "reader"),
    ]
    listing = cli.invoke(db_app, ["users"])
    assert listing.exit_code == 0, listing.output
    lines = listing.stdout.splitlines()
    [anh_line] = [line for line in lines if "│ anh " in line]
    assert "ke-hoach: editor, luat: reader" in anh_line
    [qtv_line] = [line for line in lines if "│ qtv " in line]
    assert "có" in qtv_line and "mọi bộ sưu tập" in qtv_line
    [binh_line] = [line for line in lines if "│ binh " in line]
    assert "luat" not in binh_line
    for args, message in (
        (["grant", "anh", "luat", "owner"], "không hợp lệ"),
        (["grant", "khong-co", "luat", "reader"], "Không có người dùng 'khong-co'"),
        (["grant", "anh", "khong-co", "reader"], "Không có bộ sưu tập 'khong-co'"),
    ):
        failed = cli.invoke(db_app, args)
        assert failed.exit_code == 1 and message in failed.stderr
    revoked = cli.invoke(db_app, ["revoke", "anh", "luat"])
    assert revoked.exit_code == 0 and "Đã thu hồi" in revoked.stdout
    assert "không có quyền nào" in cli.invoke(db_app, ["revoke", "anh", "luat"]).stdout
    with open_database(pg_url) as conn:
        assert access.grants_of(conn, anh.id) == [("ke-hoach", "editor")]
    log = cli.invoke(db_app, ["audit", "--limit", "3"])
    assert log.exit_code == 0 and "revoke" in log.stdout and audit.CLI_ACTOR in log.stdout
    assert "create_collection" not in log.stdout  # only the 3 newest


def test_disable_and_password(cli: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_NEW_PASSWORD, PASSWORD)
    assert cli.invoke(db_app, ["user-add", "anh"]).exit_code == 0
    assert cli.invoke(db_app, ["user-disable", "anh"]).exit_code == 0
    with open_database(pg_url) as conn, pytest.raises(auth.AuthError, match="bị khoá"):
        auth.login(conn, "anh", PASSWORD)
    assert cli.invoke(db_app, ["user-disable", "anh", "--enable"]).exit_code == 0
    monkeypatch.setenv(ENV_NEW_PASSWORD, "mat-khau-moi-1")
    assert cli.invoke(db_app, ["password", "anh"]).exit_code == 0
    with open_database(pg_url) as conn:
        assert auth.login(conn, "anh", "mat-khau-moi-1")[0].username == "anh"


def test_upgrade_and_missing_database(pg_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.create_database("t_admin_cli_upgrade")
    runner = CliRunner()
    monkeypatch.delenv(ENV_DATABASE, raising=False)
    stale = runner.invoke(db_app, ["users", "--database", url])
    assert stale.exit_code == 1 and "tracuu db upgrade" in stale.stderr
    first = runner.invoke(db_app, ["upgrade", "--database", url])
    assert first.exit_code == 0 and "Đã áp dụng phiên bản lược đồ: 1, 2, 3, 4" in first.stdout
    with open_database(url) as conn:
        assert schema_version(conn) == SCHEMA_VERSION == 4
    second = runner.invoke(db_app, ["upgrade", "--database", url])
    assert second.exit_code == 0 and "mới nhất" in second.stdout
    assert "Chưa có người dùng" in runner.invoke(db_app, ["users", "--database", url]).stdout
    missing = runner.invoke(db_app, ["users"])
    assert missing.exit_code == 2 and ENV_DATABASE in missing.stderr
