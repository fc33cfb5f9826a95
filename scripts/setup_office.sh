#!/usr/bin/env bash
# LibreOffice headless (Writer + Calc, Debian packages libreoffice-writer-nogui libreoffice-calc-nogui),
# used to read .doc/.rtf/.odt/.xls files. Idempotent.
set -euo pipefail
have() {
  command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1
}
calc_ok() {
  [ -e /usr/lib/libreoffice/program/libsclo.so ] || ! command -v dpkg >/dev/null 2>&1 \
    || dpkg -s libreoffice-calc-nogui >/dev/null 2>&1 || dpkg -s libreoffice-calc >/dev/null 2>&1
}
if have && calc_ok; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Cài LibreOffice (Writer + Calc, không giao diện)…"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    libreoffice-writer-nogui libreoffice-calc-nogui >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
Chưa có LibreOffice: tệp .doc, .rtf, .odt, .xls sẽ không đọc được.
Hãy cài:  sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui   (Debian/Ubuntu)
MSG
