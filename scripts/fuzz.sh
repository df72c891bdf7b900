#!/usr/bin/env bash
# Runs the decoder fuzzer (libFuzzer + ASan/UBSan) for SECONDS (default 60) on a copy of the seed
# corpus. Exits non-zero on a finding (the crashing input is left in build-fuzz/fuzz-artifacts/).
#   scripts/fuzz.sh [SECONDS]
# Installs clang (Debian: clang + libclang-rt-14-dev, which ship libFuzzer) when missing. Builds only the fuzz target, in build-fuzz/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
build_dir="${FUZZ_BUILD_DIR:-$root/build-fuzz}"

# clang and its runtime (libFuzzer, sanitizers) come from Debian like everything else.
source "$root/scripts/deps.sh"
blockhub_install_deps clang libclang-rt-14-dev
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBLOCKHUB_FUZZ=ON -DBLOCKHUB_SANITIZE=ON -DBLOCKHUB_BUILD_TESTS=ON >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target decode_fuzz

work="$build_dir/fuzz-corpus"
artifacts="$build_dir/fuzz-artifacts"
rm -rf "$work"
mkdir -p "$work" "$artifacts"
cp "$root"/tests/fuzz/corpus/* "$work"/

# libFuzzer exits non-zero on a crash, a sanitizer report, a leak or a timeout.
"$build_dir/tests/fuzz/decode_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work"
echo "fuzz.sh: no finding in ${seconds}s"
