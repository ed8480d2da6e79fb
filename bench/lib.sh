# Shared by the bench scripts (sourced, from the repository root): `die`, and the gwctl binary
# to measure in $GWCTL (the release build, built when needed, unless GWCTL is set).
# shellcheck shell=bash
die() { echo "bench: $*" >&2; exit 2; }

release_gwctl() {
  if [ -z "${GWCTL:-}" ]; then
    GWCTL=$PWD/build/release/bin/gwctl
    [ -f build/release/CMakeCache.txt ] || cmake --preset release > /dev/null || die "cmake --preset release failed"
    cmake --build --preset release > /dev/null || die "cmake --build --preset release failed"
  fi
  [ -x "$GWCTL" ] || die "gwctl binary '$GWCTL' not found or not executable"
}
