#!/usr/bin/env bash
# blockhub-dedup vs the deduplicators users run today, side by side in one run:
#   blockhub-dedup put (1 process; 2 processes splitting the files, one hub, one store)
#   borg create   (borg init -e none; --compression none; chunker at blockhub-dedup's sizes)
#   restic backup (repository version 2, --compression off; restic's own fixed chunker)
# Corpus: the first SIZE MiB of a tar of /usr/lib and /usr/share (present on any Debian machine)
# plus two edited copies made with a seeded RNG (bytes inserted, deleted and changed at random
# offsets). For each tool and round: a fresh repository/store (and a fresh hub), wall time of the
# whole command; MB/s = input bytes / seconds; "stored/input" = bytes of the repository on disk /
# input bytes. Rounds alternate the tools (A B C D, A B C D, ...); medians are printed, then the
# ratios the issue asks for and RESULT lines. Every process is bounded by `timeout`.
#
# usage: scripts/bench_dedup.sh [--size MIB] [--rounds N] [--edits N] [--keep DIR]
#   BENCH_BUILD_DIR (default build-bench): the Release build used (built here if needed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

size=256
rounds=3
edits=200
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --edits) edits="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench_dedup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

source scripts/deps.sh
blockhub_install_deps borgbackup restic bc
source scripts/bench_lib.sh
bench_build "${BENCH_BUILD_DIR:-build-bench}" blockhubd blockhub-dedup
dedup="${BENCH_BUILD_DIR:-build-bench}/tools/dedup/blockhub-dedup"

work="$(mktemp -d "${TMPDIR:-/tmp}/blockhub-dedupbench.XXXXXX")"
hub_pid=""
cleanup() {
  bench_stop "$hub_pid"
  rm -rf "$work"
}
trap cleanup EXIT

echo "== corpus: ${size} MiB tar of /usr/lib /usr/share + 2 edited copies (${edits} edits each)" >&2
mkdir -p "$work/corpus"
tar cf - /usr/lib /usr/share 2>/dev/null | head -c $((size * 1048576)) > "$work/corpus/base.tar" || true
/usr/bin/python3 - "$work/corpus/base.tar" "$edits" <<'PY'
import random, sys
base, edits = sys.argv[1], int(sys.argv[2])
data = open(base, "rb").read()
for copy in (1, 2):
    rng = random.Random(copy)
    offsets = sorted(rng.randrange(len(data)) for _ in range(edits))
    out, pos = [], 0
    for off in offsets:
        out.append(data[pos:off])
        kind, n = rng.choice(("insert", "delete", "change")), rng.randint(1, 64)
        if kind == "insert":
            out.append(rng.randbytes(n)); pos = off
        elif kind == "delete":
            pos = min(len(data), off + n)
        else:
            out.append(rng.randbytes(n)); pos = min(len(data), off + n)
        pos = max(pos, off)
    out.append(data[pos:])
    open(base.replace("base", f"edit{copy}"), "wb").write(b"".join(out))
PY
input_bytes=$(cat "$work"/corpus/*.tar | wc -c)
files=("$work"/corpus/base.tar "$work"/corpus/edit1.tar "$work"/corpus/edit2.tar)

start_hub() {
  "$hubd" --query-addr 'tcp://127.0.0.1:*' --register-addr 'tcp://127.0.0.1:*' --metrics-addr off \
    --key-format key128 --capacity 100000000 --log-level warn > "$work/hub.out" &
  hub_pid=$!
  bench_await_ready "$work/hub.out" "$hub_pid"
  export DYN_REGISTRY_CLIENT_QUERY_ADDR="$query" DYN_REGISTRY_CLIENT_REGISTER_ADDR="$register"
}

now() { date +%s.%N; }
# run_tool NAME: one timed run into a fresh repository; prints "seconds stored_bytes".
# Every run gets a repository folder of its own, all deleted at the end: deleting thousands of
# chunk files right before a run makes ext4 skip the recently freed inodes one by one (its inode
# allocator avoids reusing them for a while), which charged the previous run's deletion to the
# next one's file creations.
# (run_tool runs in a subshell: the folder is named by the tool and the round, $r.)
run_tool() {
  local repo="$work/repo.$1.$r" t0 t1
  case "$1" in
    dedup1|dedup2)
      start_hub
      t0=$(now)
      if [ "$1" = dedup1 ]; then
        timeout 1200 "$dedup" put --no-progress --jobs 2 --store "$repo" "${files[@]}" >/dev/null
      else
        timeout 1200 "$dedup" put --no-progress --jobs 1 --store "$repo" "${files[0]}" "${files[2]}" >/dev/null &
        local p=$!
        timeout 1200 "$dedup" put --no-progress --jobs 1 --store "$repo" "${files[1]}" >/dev/null
        wait "$p"
      fi
      t1=$(now)
      bench_stop "$hub_pid"; hub_pid="" ;;
    borg)
      export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
      timeout 120 borg init -e none "$repo" >/dev/null 2>&1
      t0=$(now)
      # buzhash,MIN_EXP,MAX_EXP,MASK_BITS,WINDOW: 16 KiB / 256 KiB / 64 KiB average, as blockhub-dedup's default.
      timeout 1200 borg create --compression none --chunker-params buzhash,14,18,16,4095 \
        "$repo::a" "${files[@]}" >/dev/null 2>&1
      t1=$(now) ;;
    restic)
      export RESTIC_PASSWORD=bench
      timeout 120 restic init --repository-version 2 --repo "$repo" >/dev/null 2>&1
      t0=$(now)
      timeout 1200 restic backup --compression off --repo "$repo" --no-cache "${files[@]}" >/dev/null 2>&1
      t1=$(now) ;;
  esac
  echo "$(echo "$t1 - $t0" | bc -l) $(du -sb "$repo" | cut -f1)"
}

tools=(dedup1 dedup2 borg restic)
declare -A secs stored
for r in $(seq "$rounds"); do
  for t in "${tools[@]}"; do
    read -r s b < <(run_tool "$t")
    secs[$t]+="$s "; stored[$t]+="$b "
    printf 'RESULT round %d %s seconds=%.2f mb_per_s=%.1f stored_over_input=%.4f\n' "$r" "$t" "$s" \
      "$(echo "$input_bytes / 1000000 / $s" | bc -l)" "$(echo "$b / $input_bytes" | bc -l)"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "# input ${input_bytes} bytes (3 files), ${rounds} rounds, medians"
declare -A mbs ratio
for t in "${tools[@]}"; do
  s=$(median <<<"${secs[$t]}"); b=$(median <<<"${stored[$t]}")
  mbs[$t]=$(echo "$input_bytes / 1000000 / $s" | bc -l)
  ratio[$t]=$(echo "$b / $input_bytes" | bc -l)
  printf 'MEDIAN %-7s mb_per_s=%.1f stored_over_input=%.4f\n' "$t" "${mbs[$t]}" "${ratio[$t]}"
done
printf 'RATIO dedup_ratio(blockhub-dedup 1 proc)/borg=%.3f (target within 10%%)\n' \
  "$(echo "${ratio[dedup1]} / ${ratio[borg]}" | bc -l)"
printf 'RATIO mb_per_s blockhub-dedup(1 proc)/restic=%.2f (target >= 1.5) /borg=%.2f (target >= 1.0)\n' \
  "$(echo "${mbs[dedup1]} / ${mbs[restic]}" | bc -l)" "$(echo "${mbs[dedup1]} / ${mbs[borg]}" | bc -l)"
printf 'RATIO mb_per_s blockhub-dedup(2 procs)/restic=%.2f /borg=%.2f\n' \
  "$(echo "${mbs[dedup2]} / ${mbs[restic]}" | bc -l)" "$(echo "${mbs[dedup2]} / ${mbs[borg]}" | bc -l)"
