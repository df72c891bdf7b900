#!/usr/bin/env bash
# Cost of blockhubd's optional features, measured with the load generator (blockhub-bench hub):
#   register-sync keys/s   persistence on vs off   (batch 100, 4 clients; target on >= 0.5 x off)
#   register keys/s        persistence on vs off   (fire-and-forget; target on >= 0.8 x off)
#   can-offload keys/s     metrics on vs off       (target on >= 0.95 x off)
#   can-offload keys/s     CurveZMQ on vs off      (target on >= 0.8 x off; the load generator
#                          then encrypts too, with a writer key from `blockhub keygen`)
#   register keys/s        change events on vs off (fire-and-forget, fresh keys: every entry is
#                          a stored event; "on" = --events-addr and one subscriber of "" in the
#                          load generator, live before the first request; target on >= 0.9 x off)
#   can-offload keys/s     change events on vs off (as above; can-offload changes no entries, so
#                          this is the idle publisher's cost; target on >= 0.9 x off)
#   recovery time of 10,000,000 entries            (blockhub-bench recovery; target < 10 s)
# Each pair runs alternately (A B A B ...), every run on a freshly started hub (127.0.0.1,
# ephemeral ports; persistence in a fresh temp dir; metrics on 127.0.0.1:0), same seed per round.
# Prints the median of each side, the ratio, and RESULT lines; also the hub's keys per CPU-second
# of its process (all threads, from /proc) on each side, which the load generator's share of the
# machine does not move. Every process is bounded by `timeout` and stopped on exit.
#
# With a subscriber the round line and a RESULT ..._subscriber line add what it received (events,
# heartbeats, gaps and the events they skipped).
#
# usage: scripts/bench_features.sh [--rounds N] [--duration S] [--skip-recovery]
#                                  [--only curve|events]
#   BENCH_BUILD_DIR (default build-bench) is the Release build used (built here if needed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=3
duration=4
recovery=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --skip-recovery) recovery=0; shift ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench_features.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
clients=4 inflight=16 batch=100 keys=1000000 stored_ratio=0.5 capacity=100000000

source scripts/deps.sh
blockhub_install_deps
source scripts/bench_lib.sh
bench_build "${BENCH_BUILD_DIR:-build-bench}" blockhubd blockhub-bench blockhub
cli="${BENCH_BUILD_DIR:-build-bench}/tools/cli/blockhub"

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
  hubd_pid=$(ps -o pid= --ppid "$hub_pid" | tr -d ' ')  # blockhubd itself, the child of timeout
}

# The hub process's CPU time so far (all its threads, user + system), in clock ticks.
hub_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hubd_pid/stat"; }

# run_load <op> <seed> -> prints "keys/s keys-per-hub-CPU-second"; a SUBSCRIBER line of the load
# generator is appended to $work/sub. An argument @events@ in load_extra becomes the hub's events
# endpoint. The hub's CPU is read from /proc around the whole load generator run (for can-offload
# that includes the short RegisterSync pre-load).
run_load() {
  local out extra=() cpu0 cpu1
  for x in "${load_extra[@]}"; do [ "$x" = @events@ ] && extra+=("$events") || extra+=("$x"); done
  cpu0=$(hub_cpu_ticks)
  out=$(timeout -k 5 $((duration * 3 + 90)) "$bench" hub --query-addr "$query" \
    --register-addr "$register" --op "$1" --clients "$clients" --inflight "$inflight" \
    --batch "$batch" --keys "$keys" --stored-ratio "$stored_ratio" --key-format u64 \
    --duration "$duration" --seed "$2" --no-progress "${extra[@]}") || {
    echo "error: load $1 failed: $out" >&2
    return 1
  }
  cpu1=$(hub_cpu_ticks)
  grep '^SUBSCRIBER ' <<<"$out" >>"$work/sub" || true
  # RESULT blockhub <op> keys_per_s=N requests_per_s=N ...; # ... N requests, K keys; replies ...
  local kps total
  kps=$(sed -n 's/^RESULT .* keys_per_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
  total=$(sed -n 's/^# .* requests, \([0-9]*\) keys; replies.*/\1/p' <<<"$out" | head -1)
  awk -v k="$kps" -v t="$total" -v c=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s %.0f\n", k, (c > 0 ? t / (c / hz) : 0) }'
}

# sub_field <name>: that field of the last SUBSCRIBER line
sub_field() { tail -1 "$work/sub" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }


# Extra load generator arguments of side A and side B of a pair (empty unless a pair sets them).
load_extra=() load_a=() load_b=()

# pair <name> <op> <args A (feature on)> -- <args B (feature off)>
pair() {
  local name="$1" op="$2"
  shift 2
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  : >"$work/a" && : >"$work/b" && : >"$work/sub"
  for r in $(seq "$rounds"); do
    load_extra=("${load_a[@]}")
    start_hub "${a[@]}"; run_load "$op" "$r" >>"$work/a"; stop_hub
    load_extra=("${load_b[@]}")
    start_hub "${b[@]}"; run_load "$op" "$r" >>"$work/b"; stop_hub
    local line
    line=$(tail -1 "$work/a" | paste -d' ' - <(tail -1 "$work/b") | awk -v r="$r" '{
      printf "   round %s: on %s  off %s  on/off %.3f  keys per hub CPU-s: on %s off %s", r, $1, $3,
             $1 / $3, $2, $4 }')
    if [ -s "$work/sub" ]; then
      line+="  subscriber: events=$(sub_field events) heartbeats=$(sub_field heartbeats)"
      line+=" gaps=$(sub_field gaps) missing=$(sub_field missing)"
      line+=" tail_missing=$(sub_field tail_missing) hub_dropped=$(sub_field hub_dropped)"
    fi
    echo "$line" >&2
  done
  local ma mb ca cb
  ma=$(cut -d' ' -f1 "$work/a" | bench_median)
  mb=$(cut -d' ' -f1 "$work/b" | bench_median)
  ca=$(cut -d' ' -f2 "$work/a" | bench_median)
  cb=$(cut -d' ' -f2 "$work/b" | bench_median)
  echo "RESULT ${name}_on_keys_per_s $ma keys/s"
  echo "RESULT ${name}_off_keys_per_s $mb keys/s"
  awk -v a="$ma" -v b="$mb" -v n="$name" 'BEGIN { printf "RESULT %s_ratio %.3f on/off\n", n, a / b }'
  # The hub's own cost, whatever else runs on the machine: keys per CPU-second of the hub process.
  awk -v a="$ca" -v b="$cb" -v n="$name" 'BEGIN {
    printf "RESULT %s_keys_per_hub_cpu_s on %s off %s ratio %.3f on/off\n", n, a, b, a / b }'
  if [ -s "$work/sub" ]; then
    # events: median per run; the rest: summed over the runs
    sed -n 's/.* events=\([0-9]*\).*/\1/p' "$work/sub" >"$work/sub_events"
    awk -v n="$name" -v m="$(bench_median <"$work/sub_events")" '
      { for (i = 3; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2] } }
      END { printf "RESULT %s_subscriber events_median=%s heartbeats=%d gaps=%d missing=%d " \
                   "tail_missing=%d hub_dropped=%d runs=%d\n", n, m, sum["heartbeats"], \
                   sum["gaps"], sum["missing"], sum["tail_missing"], sum["hub_dropped"], NR }' \
      "$work/sub"
  fi
}

case "$only" in
  ""|curve|events) ;;
  *) echo "bench_features.sh: --only takes curve or events, not '$only'" >&2; exit 2 ;;
esac
echo "== $rounds rounds, ${duration}s each, $clients clients x $inflight in flight, batch $batch" >&2
if [ -z "$only" ] || [ "$only" = events ]; then
  load_a=(--subscribe @events@)
  echo "== change events: register (fire-and-forget, fresh keys)" >&2
  pair events_register register --metrics-addr off --events-addr 'tcp://127.0.0.1:*' -- \
    --metrics-addr off
  echo "== change events: can-offload (no catalog changes: the idle publisher)" >&2
  pair events_can_offload can-offload --metrics-addr off --events-addr 'tcp://127.0.0.1:*' -- \
    --metrics-addr off
  load_a=()
fi
[ "$only" = events ] && exit 0
if [ -z "$only" ] || [ "$only" = curve ]; then
  echo "== CurveZMQ: can-offload" >&2
  "$cli" keygen --out "$work/hub" >/dev/null 2>&1
  "$cli" keygen --out "$work/load" >/dev/null 2>&1
  echo "writer $(cat "$work/load.pub") bench-load" >"$work/authorized_keys"
  load_a=(--curve-server-key "$(cat "$work/hub.pub")" --curve-secret-key-file "$work/load.key")
  pair curve_can_offload can-offload --metrics-addr off --curve-secret-key-file "$work/hub.key" \
    --authorized-keys "$work/authorized_keys" -- --metrics-addr off
  load_a=()
fi
[ "$only" = curve ] && exit 0
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
