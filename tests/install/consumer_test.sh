#!/usr/bin/env bash
# Test install/consumer: `cmake --install` of the current build into a temporary prefix, then
# examples/consumer built against that prefix only, with find_package (shared and static library)
# and with pkg-config (Makefile), each run against a real blockhubd from the prefix on 127.0.0.1
# ephemeral ports. Also checks the installed tree: binaries and --version, the libraries (SONAME,
# exported symbols limited to the client API), the headers (no hub header), CMake package, .pc.
#   consumer_test.sh SOURCE_DIR BUILD_DIR VERSION [CONSUMER_FLAGS]
# CONSUMER_FLAGS: compile and link flags of the consumer builds (the sanitizer flags when the
# library was built with them: its objects need the sanitizer runtime).
# Everything lives in one temporary directory, removed at exit; the hub is stopped at exit, even on
# failure. Every wait is bounded.
set -euo pipefail
src="$1" build="$2" version="$3" flags="${4:-}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/blockhub-install-test.XXXXXX")"
hub_pid=""
cleanup() {
  if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then
    kill -TERM "$hub_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$hub_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

prefix="$tmp/prefix"
step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }

step "installed tree"
for b in blockhubd blockhub blockhub-bench; do
  [ -x "$prefix/bin/$b" ] || fail "missing bin/$b"
done
"$prefix/bin/blockhubd" --version | grep -qx "blockhub $version" || fail "blockhubd --version"
"$prefix/bin/blockhub" --version | grep -qx "blockhub $version" || fail "blockhub --version"
"$prefix/bin/blockhub-bench" --version | grep -qx "blockhub-bench $version" || fail "blockhub-bench --version"
so="$(find "$prefix" -name "libblockhub.so.$version" -type f)"
[ -n "$so" ] || fail "no libblockhub.so.$version"
libdir="$(dirname "$so")"
[ -f "$libdir/libblockhub.a" ] || fail "no libblockhub.a next to $so"
[ -L "$libdir/libblockhub.so" ] || fail "no libblockhub.so development link"
soname="$(objdump -p "$so" | awk '$1 == "SONAME" {print $2}')"
major_minor="${version%.*}"
[ "$soname" = "libblockhub.so.$major_minor" ] || fail "SONAME is '$soname', want libblockhub.so.$major_minor"
[ -L "$libdir/$soname" ] || fail "no $soname link"
nm -DC --defined-only "$so" >"$tmp/exports.txt"
grep -q 'blockhub::Client::Connect(' "$tmp/exports.txt" || fail "Client::Connect not exported"
grep -q 'blockhub::ClientOptions::FromEnv()' "$tmp/exports.txt" || fail "ClientOptions::FromEnv not exported"
# Internals (the I/O thread, the batcher, the codec's encoder, the environment parser) and the
# libraries linked into it (spdlog, fmt, xxHash) must stay local.
if grep -E 'Client::Impl::|Batcher|blockhub::Encode|blockhub::Decode|EnvSetting|spdlog::|fmt::|XXH' \
    "$tmp/exports.txt"; then
  fail "libblockhub.so exports internal symbols (above); see packaging/libblockhub.map"
fi
inc="$prefix/include/blockhub"
[ -f "$inc/client.h" ] || fail "no include/blockhub/client.h"
for d in "$inc"/*/; do
  case "$(basename "$d")" in client | codec | common) ;; *) fail "unexpected header folder $d" ;; esac
done
grep -rq 'hub/core\|hub/server' "$inc" && fail "an installed header refers to a hub header"
grep -q "BLOCKHUB_VERSION_STRING \"$version\"" "$inc/common/version.h" || fail "version.h"
[ -f "$libdir/cmake/blockhub/blockhubConfig.cmake" ] || fail "no CMake package"
pc="$libdir/pkgconfig/blockhub.pc"
[ -f "$pc" ] || fail "no blockhub.pc"
PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion blockhub | grep -qx "$version" ||
  fail "pkg-config --modversion"
grep -qx "prefix=$prefix" "$pc" || fail "blockhub.pc does not name the install prefix"

step "examples/consumer with find_package(blockhub)"
cmake -S "$src/examples/consumer" -B "$tmp/consumer-cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCONSUMER_STATIC=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$tmp/consumer-cmake.log" 2>&1 ||
  { cat "$tmp/consumer-cmake.log"; fail "configure examples/consumer"; }
grep -q "blockhub $version from $libdir/cmake/blockhub" "$tmp/consumer-cmake.log" ||
  { cat "$tmp/consumer-cmake.log"; fail "find_package did not find the temporary prefix"; }
cmake --build "$tmp/consumer-cmake" -j 2 >"$tmp/consumer-build.log" 2>&1 ||
  { cat "$tmp/consumer-build.log"; fail "build examples/consumer"; }
readelf -d "$tmp/consumer-cmake/blockhub_consumer" | grep -q "NEEDED.*\[$soname\]" ||
  fail "blockhub_consumer does not link $soname"
readelf -d "$tmp/consumer-cmake/blockhub_consumer_static" | grep -q 'libblockhub' &&
  fail "blockhub_consumer_static needs a shared libblockhub"

step "examples/consumer with pkg-config (Makefile)"
PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$src/examples/consumer" \
  OUT="$tmp/consumer-pc" CXXFLAGS="-O2 -Wall $flags" >"$tmp/consumer-make.log" 2>&1 ||
  { cat "$tmp/consumer-make.log"; fail "make examples/consumer"; }
readelf -d "$tmp/consumer-pc" | grep -q "NEEDED.*\[$soname\]" || fail "pkg-config build does not link $soname"

step "blockhubd from the prefix on 127.0.0.1 ephemeral ports"
"$prefix/bin/blockhubd" --query-addr 'tcp://127.0.0.1:*' --register-addr 'tcp://127.0.0.1:*' \
  --metrics-addr off --log-level warn >"$tmp/hub.out" 2>"$tmp/hub.err" &
hub_pid=$!
ready=""
for _ in $(seq 100); do  # up to 10 s for the ready line
  ready="$(grep -m1 '^ready ' "$tmp/hub.out" || true)"
  [ -n "$ready" ] && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$tmp/hub.err"; fail "blockhubd exited before ready"; }
  sleep 0.1
done
[ -n "$ready" ] || { cat "$tmp/hub.err"; fail "blockhubd printed no ready line within 10 s"; }
query="$(sed -E 's/.*query=([^ ]+).*/\1/' <<<"$ready")"
register="$(sed -E 's/.*register=([^ ]+).*/\1/' <<<"$ready")"
echo "$ready"

run_consumer() {  # BINARY KEY...: the consumer registers its own keys on the shared hub
  local bin="$1"
  shift
  local out
  out="$(DYN_REGISTRY_CLIENT_QUERY_ADDR="$query" DYN_REGISTRY_CLIENT_REGISTER_ADDR="$register" \
    DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS=5000 timeout 30 "$bin" "$@")" ||
    fail "$(basename "$bin") exited $?: $out"
  echo "$out"
  grep -qx "consumer: library=$version hub=blockhub $version granted=$# registered=$# matched=$#" \
    <<<"$out" || fail "unexpected output of $(basename "$bin")"
}
run_consumer "$tmp/consumer-cmake/blockhub_consumer" shared-1 shared-2 shared-3
run_consumer "$tmp/consumer-cmake/blockhub_consumer_static" static-1 static-2
run_consumer "$tmp/consumer-pc" pkgconfig-1

step "stop blockhubd"
kill -TERM "$hub_pid"
for _ in $(seq 50); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$hub_pid" 2>/dev/null && fail "blockhubd did not stop within 5 s of SIGTERM"
wait "$hub_pid" || fail "blockhubd exited $? after SIGTERM"
hub_pid=""
echo "install/consumer: ok"
