#!/usr/bin/env bash
# Benchmarks blockhub side by side with the two references, on this machine, in one run:
#   blockhub  blockhubd (Release, u64 keys, in-memory, metrics on an ephemeral port as deployed)
#   redis     redis-server (persistence off, TCP 127.0.0.1) driven with Lua scripts + MGET
#   echo      blockhub-bench echo-server: raw ZeroMQ ROUTER/PULL, hub-sized replies, no work
# Every workload runs against the three targets alternately (A B C A B C ...), each run on a
# freshly started server (same state for everyone: empty, then the pre-load), with the same load
# generator (blockhub-bench) and seed. Prints a Markdown table of medians; the last lines are the
# RATIO lines. Every process started here is bounded by `timeout` and stopped on exit.
#
# usage: scripts/bench.sh [--quick] [--rounds N] [--duration S] [--ops "can-offload match ..."]
#                         [--targets "blockhub redis echo"]
#   BENCH_BUILD_DIR (default build-bench), BENCH_KEEP_LOG=1 keeps the run log directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=5
duration=5
ops="can-offload register match register-sync mixed"
targets="blockhub redis echo"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=3; duration=1; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

# The workload of the targets (issue 5): batch 100, 4 clients x 16 in flight, 1,000,000 u64 keys,
# 50% stored. The hub's capacity leaves room for every fresh registration of a run.
clients=4 inflight=16 batch=100 keys=1000000 stored_ratio=0.5
capacity=100000000 lease_ms=30000

source scripts/deps.sh
blockhub_install_deps

source scripts/bench_lib.sh
build_targets=(blockhub-bench)
grep -qw blockhub <<<"$targets" && build_targets+=(blockhubd)
bench_build "${BENCH_BUILD_DIR:-build-bench}" "${build_targets[@]}"

logs="$(mktemp -d "${TMPDIR:-/tmp}/blockhub-bench.XXXXXX")"
server_pid=""
stop_server() {
  bench_stop "$server_pid"
  server_pid=""
}
cleanup() {
  stop_server
  if [ "${BENCH_KEEP_LOG:-0}" = 1 ]; then echo "logs kept in $logs" >&2; else rm -rf "$logs"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

server_budget=$(awk -v d="$duration" 'BEGIN { printf "%d", d * 4 + 120 }')  # seconds per server
client_budget=$(awk -v d="$duration" 'BEGIN { printf "%d", d * 3 + 90 }')   # seconds per run


# Starts target $1 as a fresh process; sets server_pid and the target's arguments in target_args.
start_target() {
  local out="$logs/server.out"
  : >"$out"
  case "$1" in
    blockhub)
      timeout -k 5 "$server_budget" "$hubd" --query-addr 'tcp://127.0.0.1:*' \
        --register-addr 'tcp://127.0.0.1:*' --key-format u64 --capacity "$capacity" \
        --lease-timeout-ms "$lease_ms" --metrics-addr 127.0.0.1:0 --log-level warn >"$out" 2>&1 &
      server_pid=$!
      bench_await_ready "$out" "$server_pid"
      target_args=(hub --query-addr "$query" --register-addr "$register") ;;
    echo)
      timeout -k 5 "$server_budget" "$bench" echo-server --match-hit-ratio "$stored_ratio" \
        >"$out" 2>&1 &
      server_pid=$!
      bench_await_ready "$out" "$server_pid"
      target_args=(echo --query-addr "$query" --register-addr "$register") ;;
    redis)
      local port
      for _ in 1 2 3; do  # a free port can be taken before redis binds it: retry
        port=$("$bench" free-port)
        timeout -k 5 "$server_budget" redis-server --bind 127.0.0.1 --port "$port" --save '' \
          --appendonly no --dir "$logs" --loglevel warning >"$out" 2>&1 &
        server_pid=$!
        for _ in $(seq 100); do
          [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
          kill -0 "$server_pid" 2>/dev/null || break
          sleep 0.1
        done
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
        stop_server
      done
      [ -n "$server_pid" ] || { echo "error: redis-server did not start" >&2; cat "$out" >&2; return 1; }
      target_args=(redis --redis-host 127.0.0.1 --redis-port "$port" --lease-timeout-ms "$lease_ms") ;;
  esac
}

results="$logs/results.txt"  # round target op keys_per_s requests_per_s p50 p99 p999
: >"$results"
nruns=$(( rounds * $(wc -w <<<"$ops") * $(wc -w <<<"$targets") ))
run=0
echo "== $rounds rounds x {$ops} x {$targets}, ${duration}s each ($nruns runs)" >&2
for r in $(seq "$rounds"); do
  for op in $ops; do
    for t in $targets; do
      run=$((run + 1))
      t_run=$(date +%s.%N)
      start_target "$t"
      out=$(timeout -k 5 "$client_budget" "$bench" "${target_args[@]}" --op "$op" \
        --clients "$clients" --inflight "$inflight" --batch "$batch" --keys "$keys" \
        --stored-ratio "$stored_ratio" --key-format u64 --duration "$duration" --seed "$r" \
        --no-progress) || { echo "error: $t $op failed:"; echo "$out"; exit 1; } >&2
      stop_server
      line=$(grep '^RESULT ' <<<"$out")
      echo "[$run/$nruns] $(awk -v a="$t_run" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }')" \
        "round $r: $line" >&2
      awk -v r="$r" '{ v[1]=r; v[2]=$2; v[3]=$3; for (i = 4; i <= NF; i++) { split($i, kv, "=");
             v[i] = kv[2] } print v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] }' <<<"$line" \
        >>"$results"
    done
  done
done

# median <target> <op> <column>: the median over the rounds ("na" when not measured).
median() {
  awk -v t="$1" -v o="$2" -v c="$3" '$2 == t && $3 == o && $c != "na" { print $c }' "$results" |
    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "na"; exit }
      if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "na" || b == "na" || b == 0) print "na";
  else printf "%.2f", a / b }'; }
fmt_rate() { awk -v v="$1" 'BEGIN { if (v == "na") print "na"; else printf "%.2fM", v / 1e6 }'; }
fmt_lat() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "na") print "na";
  else printf "%.0f / %.0f", a, b }'; }

echo
echo "Medians of $rounds rounds, ${duration}s each; $clients clients x $inflight in flight, batch" \
  "$batch, $keys u64 keys, ${stored_ratio} stored. Machine: $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)."
echo
echo "| workload | blockhub keys/s | redis keys/s | echo keys/s | blockhub/redis | blockhub/echo |" \
  "blockhub p50/p99 us | redis p50/p99 us | echo p50/p99 us |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for op in $ops; do
  h=$(median blockhub "$op" 4) d=$(median redis "$op" 4) e=$(median echo "$op" 4)
  echo "| $op | $(fmt_rate "$h") | $(fmt_rate "$d") | $(fmt_rate "$e") | $(ratio "$h" "$d")" \
    "| $(ratio "$h" "$e") | $(fmt_lat "$(median blockhub "$op" 6)" "$(median blockhub "$op" 7)")" \
    "| $(fmt_lat "$(median redis "$op" 6)" "$(median redis "$op" 7)")" \
    "| $(fmt_lat "$(median echo "$op" 6)" "$(median echo "$op" 7)") |"
done
echo
echo "RATIO can-offload blockhub/redis=$(ratio "$(median blockhub can-offload 4)" "$(median redis can-offload 4)")"
echo "RATIO can-offload blockhub/echo=$(ratio "$(median blockhub can-offload 4)" "$(median echo can-offload 4)")"
echo "RATIO register blockhub/echo=$(ratio "$(median blockhub register 4)" "$(median echo register 4)")"
