#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run gwctl's main job on the
# bundled example (lint every environment and flag, then compile each environment).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
gwctl=build/release/bin/gwctl
echo
echo "\$ gwctl -C examples/acme lint"
"$gwctl" -C examples/acme lint
mkdir -p build/artifacts
for env in dev staging prod; do
  echo "\$ gwctl -C examples/acme compile --env $env -o build/artifacts/$env.json"
  "$gwctl" -C examples/acme compile --env "$env" -o "build/artifacts/$env.json"
  echo "  digest $(grep -o '"digest": "[^"]*"' "build/artifacts/$env.json" | cut -d'"' -f4)"
done
echo
echo "\$ gwctl -C examples/broken lint   # an overlay with a mistake: exit 1, pointing at the line"
set +e
"$gwctl" -C examples/broken lint
code=$?
set -e
echo "(exit $code)"
[ "$code" -eq 1 ]
