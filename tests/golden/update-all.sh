#!/usr/bin/env bash
# Regenerates `expected` of every golden case: bash tests/golden/update-all.sh GWCTL
# Then read `git diff tests/golden` like any other change: every line of it is a change in
# what users see. A case whose output fails a check that --update does not waive (a forbidden
# string in the output, a crash, a write into the case folder) keeps its old `expected`, and
# the script exits 1.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 GWCTL" >&2
  exit 2
fi
bin=$1
here=$(cd "$(dirname "$0")" && pwd)

failed=()
count=0
for dir in "$here"/*/; do
  dir=${dir%/}
  [[ -f $dir/cmd ]] || continue
  count=$((count + 1))
  if ! bash "$here/run.sh" "$bin" "$dir" --update; then
    failed+=("$(basename "$dir")")
  fi
done

echo "update-all: $count cases"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "update-all: these cases still fail a check (see above): ${failed[*]}" >&2
  exit 1
fi
