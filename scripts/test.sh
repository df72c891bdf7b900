#!/usr/bin/env bash
# Installs what is missing, builds from nothing and runs every test. Exits non-zero on any failure.
#   scripts/test.sh            Release build in build/ (warnings as errors), all tests
#   BUILD_DIR=… BUILD_TYPE=Debug SANITIZE=ON scripts/test.sh   other variants
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/deps.sh
blockhub_install_deps

# ctest splits a test name at ';' (a CMake list separator): such a doctest case would then run
# nothing and pass. Refuse them.
if grep -rnE 'TEST_CASE\("[^"]*;' tests/; then
  echo "error: test case names must not contain ';' (ctest would run none of them)" >&2
  exit 1
fi

build_dir="${BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
  -DBLOCKHUB_WERROR=ON -DBLOCKHUB_SANITIZE="${SANITIZE:-OFF}"
cmake --build "$build_dir" -j "$jobs"
cd "$build_dir"
ctest --output-on-failure -j "$jobs" --timeout 300

# The Python binding's tests (python/tests), with Debian's python3 and pytest, against the build.
# pytest's exit code 5 (no tests collected) fails the script like any other failure.
cd "$root"
if [ ! -d "$build_dir/python/blockhub" ]; then
  echo "error: the Python binding was not built ($build_dir/python/blockhub missing)" >&2
  exit 1
fi
BLOCKHUBD="$root/$build_dir/hub/blockhubd" PYTHONPATH="$root/$build_dir/python" \
  timeout 600 /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
