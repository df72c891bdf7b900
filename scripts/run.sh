#!/usr/bin/env bash
# Installs what is missing, builds (Release) and starts the hub in the foreground with its embedded
# default configuration. Extra arguments go to blockhubd (e.g. scripts/run.sh --log-level debug).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/deps.sh
blockhub_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBLOCKHUB_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target blockhubd
exec build/hub/blockhubd "$@"
