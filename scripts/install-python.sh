#!/usr/bin/env bash
# Builds the blockhub Python module and installs it for Debian's /usr/bin/python3 (into
# /usr/local/lib/python3.X/dist-packages, where Debian's python3 finds locally installed modules).
# Run from a clone, as root on Debian 12; installs the missing Debian packages first.
#   scripts/install-python.sh            (BUILD_DIR=… to build elsewhere, default build-python)
# Then: cd / && python3 -c "import blockhub; print(blockhub.__version__)"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/deps.sh
blockhub_install_deps

build_dir="${BUILD_DIR:-build-python}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DBLOCKHUB_BUILD_TESTS=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 -DBLOCKHUB_PYTHON=ON -DCMAKE_INSTALL_PREFIX=/usr/local
grep -q '^BLOCKHUB_PYTHON:BOOL=ON' "$build_dir/CMakeCache.txt" || {
  echo "error: pybind11 or the Python 3 development files were not found" >&2
  exit 1
}
cmake --build "$build_dir" -j "$(nproc)" --target blockhub_python
cmake --install "$build_dir" --component python
cd /
/usr/bin/python3 -c "import blockhub; print('installed blockhub', blockhub.__version__, 'in', blockhub.__path__[0])"
