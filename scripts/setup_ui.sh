#!/usr/bin/env bash
# Chromium + chromedriver (Debian packages chromium, chromium-driver) for the end-to-end UI test
# (tests/test_ui.py, -m ui). Idempotent: silent when both are there. Installs with apt-get as root,
# otherwise says how. Playwright drives this Chromium through executable_path: `playwright install`
# (Playwright's own browser download) is never needed.
set -euo pipefail
CHROMIUM="${TRACUU_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ] && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Cài Chromium và chromedriver cho kiểm thử giao diện…"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  "$CHROMIUM" --version 2>/dev/null | head -n1 || true
  exit 0
fi
cat >&2 <<'MSG'
Chưa có Chromium: kiểm thử giao diện (pytest -m ui) sẽ bị bỏ qua (trong CI thì báo lỗi).
Hãy cài:  sudo apt-get install chromium chromium-driver   (Debian/Ubuntu)
hoặc đặt TRACUU_CHROMIUM tới tệp chạy Chromium có sẵn.
MSG
