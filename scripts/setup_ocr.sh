#!/usr/bin/env bash
# Tesseract OCR with Vietnamese data (Debian packages tesseract-ocr, tesseract-ocr-vie). Idempotent.
set -euo pipefail
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx vie; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Cài Tesseract OCR (tiếng Việt)…"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
Chưa có Tesseract OCR tiếng Việt: văn bản scan sẽ không đọc được.
Hãy cài:  sudo apt-get install tesseract-ocr tesseract-ocr-vie   (Debian/Ubuntu)
MSG
