#!/usr/bin/env bash
# Installs the project's npm dependencies, on connected and on offline-registry-only machines alike.
set -euo pipefail
cd "$(dirname "$0")/.."
# better-sqlite3 compiles from source where its prebuilt download is blocked, and node-gyp then needs
# Node's headers: use the system's copy where there is one instead of downloading them.
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then export npm_config_nodedir=/usr; fi
# Electron's binary is fetched on first `npm start` (scripts/start-electron.mjs), not at install: its download
# host is unreachable on registry-only machines, and a failed postinstall would fail the whole install.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
