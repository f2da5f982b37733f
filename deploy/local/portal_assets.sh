#!/usr/bin/env bash
# Installs the portal's browser assets from the npm registry (never copied into the repo):
# htmx (served as a static file) and axe-core (injected by the accessibility tests).
# Idempotent: does nothing when services/portal/node_modules already holds both.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORTAL="$ROOT/services/portal"
say() { printf '[portal-assets] %s\n' "$*" >&2; }

if [[ -f "$PORTAL/node_modules/htmx.org/dist/htmx.min.js" \
   && -f "$PORTAL/node_modules/axe-core/axe.min.js" ]]; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || { say "npm is missing: apt-get install -y npm"; exit 1; }
say "installing htmx.org@2 and axe-core@4 from the npm registry"
npm install --no-audit --no-fund --no-save --prefix "$PORTAL" htmx.org@2 axe-core@4 >&2
