#!/usr/bin/env bash
# Installs the Debian packages blockhub needs, only those that are missing. Sourced by the other
# scripts; safe to run as root with no prompts. Not root and something missing: says what to install.
set -euo pipefail

BLOCKHUB_DEPS=(build-essential cmake pkg-config libzmq3-dev cppzmq-dev libxxhash-dev libcli11-dev
  doctest-dev libspdlog-dev libboost1.81-dev libcpp-httplib-dev libhiredis-dev redis-server
  python3-dev pybind11-dev python3-pytest python3-numpy libssl-dev)

blockhub_install_deps() {
  local missing=()
  for p in "${BLOCKHUB_DEPS[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing missing packages: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: not root; run: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
