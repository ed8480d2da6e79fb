#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every test.
# PRESET picks the CMake preset (default: ci, optimised with warnings as errors).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
preset=${PRESET:-ci}
scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)"
