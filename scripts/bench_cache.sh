#!/usr/bin/env bash
# The client's local cache on a hot working set, on vs off, side by side in one run: each round
# starts a fresh blockhubd, runs `blockhub-bench client-cache` with the cache off and then on
# (4 clients x 16 in flight, batch 100, keys drawn from 10,000 stored keys), and reads the hub's
# CPU time over each measured interval. Prints the rounds, the medians and the RATIO line.
# Every process started here is bounded by `timeout` and stopped on exit.
#
# usage: scripts/bench_cache.sh [--rounds N] [--duration S]
#   BENCH_BUILD_DIR (default build-bench)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=5
duration=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "bench_cache.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
working_set=10000 cache_entries=100000

source scripts/deps.sh
blockhub_install_deps
source scripts/bench_lib.sh
bench_build "${BENCH_BUILD_DIR:-build-bench}" blockhubd blockhub-bench

work="$(mktemp -d "${TMPDIR:-/tmp}/blockhub-cache.XXXXXX")"
hub_pid=""
cleanup() { bench_stop "$hub_pid"; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# run <cache entries> -> "keys_per_s hub_cpu_per_s hit_ratio"
run() {
  local out
  out=$(timeout -k 5 $((duration * 3 + 60)) "$bench" client-cache --query-addr "$query" \
    --register-addr "$register" --working-set "$working_set" --cache "$1" \
    --duration "$duration" --hub-pid "$hub_cpu_pid" 2>/dev/null) || {
    echo "error: client-cache failed: $out" >&2
    return 1
  }
  awk '/^RESULT client-cache.can_offload_keys_per_s/ { k = $3 }
       /^RESULT client-cache.hub_cpu_per_s/ { c = $3 }
       /^RESULT client-cache.cache_hit_ratio/ { h = $3 }
       END { print k, c, h }' <<<"$out"
}


: >"$work/off" && : >"$work/on"
echo "| round | off keys/s | off hub CPU s/s | on keys/s | on hub CPU s/s | on hit ratio |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  : >"$work/hub.out"
  timeout -k 5 $((duration * 8 + 180)) "$hubd" --query-addr 'tcp://127.0.0.1:*' \
    --register-addr 'tcp://127.0.0.1:*' --metrics-addr off --log-level warn \
    >"$work/hub.out" 2>&1 &
  hub_pid=$!
  bench_await_ready "$work/hub.out" "$hub_pid"
  hub_cpu_pid=$(pgrep -P "$hub_pid" -x blockhubd || echo "$hub_pid")  # under `timeout`
  read -r k0 c0 h0 < <(run 0)
  read -r k1 c1 h1 < <(run "$cache_entries")
  bench_stop "$hub_pid"
  hub_pid=""
  echo "$k0 $c0" >>"$work/off"
  echo "$k1 $c1" >>"$work/on"
  echo "| $r | $k0 | $c0 | $k1 | $c1 | $h1 |"
done
off_k=$(cut -d' ' -f1 "$work/off" | bench_median)
on_k=$(cut -d' ' -f1 "$work/on" | bench_median)
off_c=$(cut -d' ' -f2 "$work/off" | bench_median)
on_c=$(cut -d' ' -f2 "$work/on" | bench_median)
echo "MEDIAN off keys/s=$off_k hub_cpu=$off_c  on keys/s=$on_k hub_cpu=$on_c"
awk -v a="$on_k" -v b="$off_k" 'BEGIN { printf "RATIO cache_on/off keys/s=%.2f\n", a / b }'
