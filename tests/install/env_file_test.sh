#!/usr/bin/env bash
# Test packaging/env_file: the Debian package's /etc/default/blockhub documents (commented out)
# every environment variable that `blockhubd --help` names, and sets none.
#   env_file_test.sh BLOCKHUBD ENV_FILE
set -euo pipefail
blockhubd="$1" env_file="$2"
vars="$("$blockhubd" --help | grep -o 'DYN_REGISTRY_[A-Z0-9_]*' | sort -u)"
[ -n "$vars" ] || { echo "FAIL: blockhubd --help names no DYN_REGISTRY_ variable" >&2; exit 1; }
missing=0
for v in $vars; do
  grep -q "^#$v=" "$env_file" || { echo "FAIL: $env_file lacks a commented-out line #$v=..." >&2; missing=1; }
done
if grep -nE '^[[:space:]]*[A-Z_]+=' "$env_file"; then
  echo "FAIL: $env_file sets a variable (above); every setting must stay commented out" >&2
  exit 1
fi
[ "$missing" -eq 0 ] || exit 1
echo "env file ok: $(wc -w <<<"$vars") variables documented"
