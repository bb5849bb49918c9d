#!/bin/sh
# Installs the Debian/Ubuntu packages glassbox needs, only those missing.
# Called by `make deps` (and so by `make run` and `make check`).
set -eu
PKGS="build-essential pkg-config libncurses-dev libreadline-dev libpcre2-dev libcmocka-dev libopenblas-dev tmux python3 xz-utils valgrind time clang-14 libclang-rt-14-dev libomp-14-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "glassbox: installing missing packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing
