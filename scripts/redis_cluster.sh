#!/usr/bin/env bash
# A local Redis Cluster (3 masters + 3 replicas) on 127.0.0.1 for trying `blockhubd --store redis`
# by hand and for benchmarks. Ports are free ones ≤ 55535 whose bus port (+10000) is free too.
#   scripts/redis_cluster.sh start [DIR]   starts it, waits until healthy (bounded), prints
#                                          `nodes=127.0.0.1:P1,…` (also in DIR/nodes)
#   scripts/redis_cluster.sh stop  [DIR]   stops every node and removes DIR
# DIR defaults to ${TMPDIR:-/tmp}/blockhub-redis-cluster. Persistence is off (a test cluster).
set -euo pipefail
cmd="${1:-}"
dir="${2:-${TMPDIR:-/tmp}/blockhub-redis-cluster}"
node_timeout_ms=1000
budget_s=30

usage() { echo "usage: $0 start|stop [DIR]" >&2; exit 2; }

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

stop() {
  [ -d "$dir" ] || return 0
  for pidfile in "$dir"/node*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

start() {
  command -v redis-server >/dev/null || { echo "error: redis-server missing (scripts/deps.sh)" >&2; exit 1; }
  if [ -e "$dir/nodes" ]; then echo "error: a cluster already runs in $dir (stop it first)" >&2; exit 1; fi
  mkdir -p "$dir"
  local ports=() i p
  for i in 0 1 2 3 4 5; do
    for _ in $(seq 200); do
      p=$((20000 + RANDOM % 35000))
      [[ " ${ports[*]} " == *" $p "* || " ${ports[*]} " == *" $((p - 10000)) "* || " ${ports[*]} " == *" $((p + 10000)) "* ]] && continue
      port_free "$p" && port_free $((p + 10000)) && break
    done
    ports+=("$p")
    mkdir -p "$dir/node$i"
    redis-server --port "$p" --bind 127.0.0.1 --dir "$dir/node$i" --save '' --appendonly no \
      --protected-mode no --daemonize yes --pidfile "$dir/node$i/redis.pid" \
      --logfile "$dir/node$i/redis.log" --cluster-enabled yes \
      --cluster-config-file "$dir/node$i/nodes.conf" --cluster-node-timeout "$node_timeout_ms" \
      --cluster-replica-validity-factor 0
  done
  local deadline=$((SECONDS + budget_s)) addrs=()
  for p in "${ports[@]}"; do
    until [ "$(redis-cli -h 127.0.0.1 -p "$p" ping 2>/dev/null)" = PONG ]; do
      [ $SECONDS -lt $deadline ] || { echo "error: node $p did not start" >&2; stop; exit 1; }
      sleep 0.1
    done
    addrs+=("127.0.0.1:$p")
  done
  if ! timeout "$budget_s" redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 \
      --cluster-yes >"$dir/create.log" 2>&1; then
    echo "error: redis-cli --cluster create failed:" >&2; tail -20 "$dir/create.log" >&2; stop; exit 1
  fi
  for p in "${ports[@]}"; do
    until redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | tr -d '\r' |
        grep -q '^cluster_slots_ok:16384$' &&
        redis-cli -h 127.0.0.1 -p "$p" cluster info | tr -d '\r' | grep -q '^cluster_state:ok$'; do
      [ $SECONDS -lt $deadline ] || { echo "error: cluster not healthy in ${budget_s}s" >&2; stop; exit 1; }
      sleep 0.1
    done
  done
  local csv
  csv="$(IFS=,; echo "${addrs[*]}")"
  echo "$csv" >"$dir/nodes"
  echo "nodes=$csv"
}

case "$cmd" in
  start) trap 'stop' INT TERM; start ;;
  stop) stop ;;
  *) usage ;;
esac
