#!/usr/bin/env bash
# Checks the layering of the source tree: a folder includes project headers only from itself and
# from the folders its row names (the build graph's dependencies, ARCHITECTURE.md). Prints every
# include that breaks it and exits 1; prints one summary line and exits 0 otherwise.
#   scripts/check_layers.sh [ROOT]
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"

# folder: the project folders it may include from (besides itself)
declare -A allowed=(
  [common]=""
  [codec]="common"
  [hub/core]="common codec"
  [hub/store]="common codec hub/core"
  [hub/store/redis]="common hub/metrics"  # hub/metrics: histogram.h only (target blockhub_histogram)
  [hub/metrics]="common codec hub/core"
  [hub/persistence]="common codec hub/core hub/metrics"
  [hub/server]="common codec hub/core hub/store hub/metrics hub/persistence security"
  [client]="common codec security"
  [python]="common codec client security"
  [security]="common"
)

# The layer of a path: the longest folder of the table that holds it ("" when none does).
layer_of() {
  local path="$1" best="" layer
  for layer in "${!allowed[@]}"; do
    case "$path" in "$layer"/*) [ ${#layer} -gt ${#best} ] && best="$layer" ;; esac
  done
  printf '%s' "$best"
}

bad=0
checked=0
while IFS= read -r -d '' file; do
  file="${file#./}"
  dir="$(layer_of "$file")"
  [ -n "$dir" ] || continue
  checked=$((checked + 1))
  while IFS= read -r line; do
    inc="${line#*\"}"
    inc="${inc%%\"*}"
    target="$(layer_of "$inc")"
    [ -n "$target" ] || continue  # not a layered folder (tools/, tests/): the build checks those
    [ "$target" = "$dir" ] && continue
    case " ${allowed[$dir]} " in *" $target "*) continue ;; esac
    echo "layer violation: $file includes \"$inc\" ($dir may include: ${allowed[$dir]:-nothing else})"
    bad=1
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find common codec hub client python security -type f \( -name '*.h' -o -name '*.cpp' \) -print0)
if [ "$bad" -ne 0 ]; then
  exit 1
fi
echo "layers ok: $checked files in ${#allowed[@]} folders include only from their own layer or below"
