#!/usr/bin/env bash
# Installs what is missing, builds (Release) and starts the hub in the foreground with its embedded
# default configuration. Extra arguments go to blockhubd (e.g. scripts/run.sh --log-level debug).
# The embedded default is durable: persistence in ./blockhub-data (BLOCKHUB_DATA_DIR overrides it,
# BLOCKHUB_DATA_DIR= (empty) turns it off) unless the arguments name --data-dir. Change events are
# published on tcp://*:5557 unless the arguments or DYN_REGISTRY_HUB_EVENTS_ADDR say otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/deps.sh
blockhub_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBLOCKHUB_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target blockhubd
data_dir_args=()
if [[ " $* " != *" --data-dir"* && -n "${BLOCKHUB_DATA_DIR-./blockhub-data}" ]]; then
  data_dir_args=(--data-dir "${BLOCKHUB_DATA_DIR-./blockhub-data}")
fi
events_args=()
if [[ " $* " != *" --events-addr"* && -z "${DYN_REGISTRY_HUB_EVENTS_ADDR-}" ]]; then
  events_args=(--events-addr 'tcp://*:5557')
fi
exec build/hub/blockhubd "${data_dir_args[@]}" "${events_args[@]}" "$@"
