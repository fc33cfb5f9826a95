"""Login section of eval/pg_bench.py: argon2 login cost and the failed-login rate limit, against the
benchmark's real PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def login_section(url: str) -> dict:
    from retrieval.server.auth import AuthError, LoginRateLimited, create_user, login
    from retrieval.server.database import connect

    password = "mat-khau-do-kiem"
    with connect(url, autocommit=True) as conn:
        create_user(conn, "bench_login", password)
        t0 = time.perf_counter()
        login(conn, "bench_login", password, remote="10.0.0.1")
        ok_ms = 1000 * (time.perf_counter() - t0)
        attempts = []
        now = datetime.now(UTC)
        for i in range(8):
            t = time.perf_counter()
            try:
                login(conn, "bench_login", f"sai-{i}", remote="10.0.0.2", now=now)
                outcome = "accepted"
            except LoginRateLimited:
                outcome = "rate_limited"
            except AuthError:
                outcome = "wrong_password"
            ms = round(1000 * (time.perf_counter() - t), 1)
            attempts.append({"attempt": i + 1, "outcome": outcome, "ms": ms})
        try:
            login(conn, "bench_login", password, remote="10.0.0.2", now=now)
            right_while_limited = "accepted"
        except LoginRateLimited:
            right_while_limited = "rate_limited"
        login(conn, "bench_login", password, remote="10.0.0.2", now=now + timedelta(minutes=16))
    return {
        "login_ok_ms": round(ok_ms, 1),
        "attempts": attempts,
        "wrong_refused": sum(a["outcome"] == "wrong_password" for a in attempts),
        "rate_limited": sum(a["outcome"] == "rate_limited" for a in attempts),
        "right_password_while_limited": right_while_limited,
        "after_window": "accepted",
    }
