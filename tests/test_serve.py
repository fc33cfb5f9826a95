"""``make serve`` (``python -m retrieval.server.serve``): PostgreSQL and the app start together, the first
start creates the schema, the administrator and the sample collection; SIGTERM stops both; a second
start finds the data kept (no new administrator, no re-import)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


def _start(tmp_path: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACUU_") or k == "TRACUU_CACHE_DIR"}
    env.update(
        TRACUU_PGDATA=str(tmp_path / "pgdata"),
        TRACUU_CORPUS_DIR=str(tmp_path / "files"),
        TRACUU_PORT=str(port),
        TRACUU_ADMIN_PASSWORD="mat-khau-quan-tri",
        HF_HUB_OFFLINE="1",
    )
    log = tmp_path / f"serve-{time.monotonic_ns()}.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "retrieval.server.serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, log


def _healthy(port: int, proc: subprocess.Popen, log: Path, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(encoding="utf-8")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError("the app did not start:\n" + log.read_text(encoding="utf-8"))


def test_serve_starts_stops_and_keeps_data(tmp_path):
    from test_ui import _free_port

    port = _free_port()
    proc, log = _start(tmp_path, port)
    _healthy(port, proc, log)
    first = log.read_text(encoding="utf-8")
    assert "Đã tạo tài khoản quản trị: admin" in first and "Đã lập chỉ mục 5 văn bản" in first, first
    assert sorted(p.name for p in (tmp_path / "files" / "chung").iterdir())[0].endswith(".txt")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0 or proc.returncode == -signal.SIGTERM
    stopped = log.read_text(encoding="utf-8")
    assert "Đã dừng PostgreSQL" in stopped, stopped
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()  # the server is really down

    proc, log = _start(tmp_path, port)
    try:
        _healthy(port, proc, log)
        second = log.read_text(encoding="utf-8")
        assert "Đã tạo tài khoản quản trị" not in second and "Đang lập chỉ mục" not in second, second
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
