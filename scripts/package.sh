#!/usr/bin/env bash
# Builds the Debian package blockhub_<version>_<arch>.deb with CPack: blockhubd with its systemd
# unit blockhubd.service and /etc/default/blockhub, the blockhub CLI, blockhub-bench, man pages,
# and the client library (shared + static, headers, CMake package, pkg-config). Installs the Debian
# packages it needs when missing (as root). Prints the path of the .deb as its last line on stdout;
# everything else goes to stderr.
#   scripts/package.sh                 Release build in build-deb/ (warnings as errors)
#   BUILD_DIR=… scripts/package.sh     another build directory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/deps.sh
# help2man renders the man pages; dpkg-dev (dpkg-shlibdeps) computes the runtime dependencies;
# fakeroot lets dpkg-deb record root ownership.
blockhub_install_deps help2man dpkg-dev fakeroot >&2

build_dir="${BUILD_DIR:-build-deb}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
# A reproducible package: file times and the changelog date are the last commit's.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct)"
  export SOURCE_DATE_EPOCH
fi
# Debian's hardening flags, as for Debian's own packages (fortify, stack protector, relro, bindnow,
# PIE); only this build directory gets them.
export DEB_BUILD_MAINT_OPTIONS="hardening=+all"
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS)"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
{
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DBLOCKHUB_WERROR=ON \
    -DBLOCKHUB_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr -DBLOCKHUB_INSTALL_SERVICE=ON \
    -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" \
    "${launcher[@]}"
  cmake --build "$build_dir" -j "$(nproc)"
  rm -rf "$build_dir/packages"
  (cd "$build_dir" && cpack -G DEB)
} >&2
shopt -s nullglob
debs=("$build_dir"/packages/blockhub_*.deb)
if [ ${#debs[@]} -ne 1 ]; then
  echo "error: expected one blockhub_*.deb in $build_dir/packages, found ${#debs[@]}" >&2
  exit 1
fi
echo "${debs[0]}"
