#!/usr/bin/env bash
# Cost of blockhubd's optional features, measured with the load generator (blockhub-bench hub):
#   register-sync keys/s   persistence on vs off   (batch 100, 4 clients; target on >= 0.5 x off)
#   register keys/s        persistence on vs off   (fire-and-forget; target on >= 0.8 x off)
#   can-offload keys/s     metrics on vs off       (target on >= 0.95 x off)
#   recovery time of 10,000,000 entries            (blockhub-bench recovery; target < 10 s)
# Each pair runs alternately (A B A B ...), every run on a freshly started hub (127.0.0.1,
# ephemeral ports; persistence in a fresh temp dir; metrics on 127.0.0.1:0), same seed per round.
# Prints the median of each side, the ratio, and RESULT lines. Every process is bounded by
# `timeout` and stopped on exit.
#
# usage: scripts/bench_features.sh [--rounds N] [--duration S] [--skip-recovery]
#   BENCH_BUILD_DIR (default build-bench) is the Release build used (built here if needed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=3
duration=4
recovery=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --skip-recovery) recovery=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench_features.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
clients=4 inflight=16 batch=100 keys=1000000 stored_ratio=0.5 capacity=100000000

source scripts/deps.sh
blockhub_install_deps
source scripts/bench_lib.sh
bench_build "${BENCH_BUILD_DIR:-build-bench}" blockhubd blockhub-bench

work="$(mktemp -d "${TMPDIR:-/tmp}/blockhub-features.XXXXXX")"
hub_pid=""
stop_hub() {
  bench_stop "$hub_pid"
  hub_pid=""
}
cleanup() { stop_hub; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a fresh hub with extra arguments; sets query/register once its ready line is printed.
start_hub() {
  local out="$work/hub.out"
  rm -rf "$work/data"
  : >"$out"
  timeout -k 5 $((duration * 4 + 120)) "$hubd" --query-addr 'tcp://127.0.0.1:*' \
    --register-addr 'tcp://127.0.0.1:*' --key-format u64 --capacity "$capacity" \
    --log-level warn "$@" >"$out" 2>&1 &
  hub_pid=$!
  bench_await_ready "$out" "$hub_pid"
}

# run_load <op> <seed> -> prints keys/s
run_load() {
  local out
  out=$(timeout -k 5 $((duration * 3 + 90)) "$bench" hub --query-addr "$query" \
    --register-addr "$register" --op "$1" --clients "$clients" --inflight "$inflight" \
    --batch "$batch" --keys "$keys" --stored-ratio "$stored_ratio" --key-format u64 \
    --duration "$duration" --seed "$2" --no-progress) || {
    echo "error: load $1 failed: $out" >&2
    return 1
  }
  # RESULT blockhub <op> keys_per_s=N requests_per_s=N ...
  sed -n 's/^RESULT .* keys_per_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1
}


# pair <name> <op> <args A (feature on)> -- <args B (feature off)>
pair() {
  local name="$1" op="$2"
  shift 2
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  : >"$work/a" && : >"$work/b"
  for r in $(seq "$rounds"); do
    start_hub "${a[@]}"; run_load "$op" "$r" >>"$work/a"; stop_hub
    start_hub "${b[@]}"; run_load "$op" "$r" >>"$work/b"; stop_hub
    echo "   round $r: on $(tail -1 "$work/a")  off $(tail -1 "$work/b")" >&2
  done
  local ma mb
  ma=$(bench_median <"$work/a")
  mb=$(bench_median <"$work/b")
  echo "RESULT ${name}_on_keys_per_s $ma keys/s"
  echo "RESULT ${name}_off_keys_per_s $mb keys/s"
  awk -v a="$ma" -v b="$mb" -v n="$name" 'BEGIN { printf "RESULT %s_ratio %.3f on/off\n", n, a / b }'
}

echo "== $rounds rounds, ${duration}s each, $clients clients x $inflight in flight, batch $batch" >&2
echo "== persistence: register-sync" >&2
pair persistence_register_sync register-sync --metrics-addr off --data-dir "$work/data" -- \
  --metrics-addr off
echo "== persistence: register (fire-and-forget)" >&2
pair persistence_register register --metrics-addr off --data-dir "$work/data" -- \
  --metrics-addr off
echo "== metrics: can-offload" >&2
pair metrics_can_offload can-offload --metrics-addr 127.0.0.1:0 -- --metrics-addr off
if [ "$recovery" = 1 ]; then
  echo "== recovery of 10,000,000 entries" >&2
  timeout -k 5 600 "$bench" recovery --entries 10000000 --dir "$work/recovery" | grep '^RESULT'
fi
