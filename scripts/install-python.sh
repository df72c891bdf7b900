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
pkg="$(/usr/bin/python3 -c "import blockhub; print(blockhub.__path__[0])")"
/usr/bin/python3 -c "import blockhub; print('installed blockhub', blockhub.__version__, 'in', blockhub.__path__[0])"

# A `python3` first on PATH that is another interpreter of the same ABI (a pyenv or venv Python
# 3.X) does not read dist-packages: link the package into its site-packages too, so that
# `python3 -c "import blockhub"` works whichever python3 the shell finds.
other="$(command -v python3 || true)"
if [ -n "$other" ] && [ "$(readlink -f "$other")" != "$(readlink -f /usr/bin/python3)" ]; then
  abi() { "$1" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))" 2>/dev/null; }
  if [ "$(abi "$other")" = "$(abi /usr/bin/python3)" ]; then
    site="$("$other" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
    if [ -d "$site" ] && [ -w "$site" ]; then
      ln -sfn "$pkg" "$site/blockhub"
      "$other" -c "import blockhub; print('also for', '$other:', blockhub.__version__)"
    fi
  else
    echo "note: $other is not ABI-compatible with /usr/bin/python3; use /usr/bin/python3" >&2
  fi
fi
