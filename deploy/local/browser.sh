#!/usr/bin/env bash
# Installs Debian's Chromium for the portal's browser tests when it is missing
# (Playwright's own browser download cannot work here; the tests launch /usr/bin/chromium).
set -euo pipefail
say() { printf '[browser] %s\n' "$*" >&2; }
BIN="${PORTAL_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$BIN" ]]; then exit 0; fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { say "run as root: apt-get install -y chromium"; exit 1; }
    SUDO="sudo"
fi
say "installing chromium with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
[[ -x "$BIN" ]] || { say "chromium did not install at $BIN"; exit 1; }
say "chromium ready: $("$BIN" --version 2>/dev/null || echo "$BIN")"
