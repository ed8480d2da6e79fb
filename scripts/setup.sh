#!/usr/bin/env bash
# Installs what gwctl needs to build and test on Debian 12. A no-op when all is present.
# valijson is header-only; its Debian package drags in Qt5 and Poco, so its headers are
# extracted from the .deb into .deps/valijson instead of installed system-wide.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev catch2
  libgit2-dev libboost-dev libssl-dev libre2-dev mandoc python3 time graphviz
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

need_valijson=0
[ -f "$root/.deps/valijson/usr/include/valijson/validator.hpp" ] || need_valijson=1

if [ ${#missing[@]} -gt 0 ] || [ $need_valijson -eq 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]}$( [ $need_valijson -eq 1 ] && echo " libvalijson-dev (headers)")" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ $need_valijson -eq 1 ]; then
    echo "setup: extracting valijson headers into .deps/valijson"
    tmp=$(mktemp -d)
    chmod 755 "$tmp"  # apt-get download runs as _apt
    (cd "$tmp" && apt-get download -qq libvalijson-dev >/dev/null)
    rm -rf "$root/.deps/valijson"
    mkdir -p "$root/.deps/valijson"
    dpkg -x "$tmp"/libvalijson-dev_*.deb "$root/.deps/valijson"
    rm -rf "$tmp"
  fi
fi
