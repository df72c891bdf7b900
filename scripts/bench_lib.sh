#!/usr/bin/env bash
# Helpers shared by the benchmark scripts (sourced, not run): the Release build, waiting for a
# server's `ready query=... register=...` line, and stopping a server with a bounded wait.

# bench_build BUILD_DIR TARGET...: configures Release (no tests) and builds the targets; sets
# `bench` and `hubd` to the built binaries.
bench_build() {
  local dir="$1"
  shift
  echo "== building (Release) in $dir" >&2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBLOCKHUB_BUILD_TESTS=OFF >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target "$@" >/dev/null
  bench="$dir/tools/blockhub-bench"
  hubd="$dir/hub/blockhubd"
}

# bench_await_ready OUTPUT_FILE PID: waits (at most 30 s, while PID lives) for the ready line in
# OUTPUT_FILE and sets `query`, `register` and `events` (the change-event endpoint, empty when
# the server publishes none); prints the output and fails otherwise.
bench_await_ready() {
  local line
  for _ in $(seq 300); do
    if line=$(grep -m1 '^ready ' "$1" 2>/dev/null); then
      query=$(sed -n 's/.*query=\([^ ]*\).*/\1/p' <<<"$line")
      register=$(sed -n 's/.*register=\([^ ]*\).*/\1/p' <<<"$line")
      events=$(sed -n 's/.* events=\([^ ]*\).*/\1/p' <<<"$line")
      return 0
    fi
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "error: server did not get ready; its output:" >&2
  cat "$1" >&2
  return 1
}

# bench_stop PID: SIGTERM, up to 10 s for it to exit, then SIGKILL; always reaps it.
bench_stop() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# bench_median: the median of the numbers on stdin, one per line.
bench_median() {
  sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
