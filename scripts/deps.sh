#!/bin/sh
# Installs the Debian/Ubuntu packages glassbox needs, only those missing.
# Usage: deps.sh [GROUP...] (default: run). The Makefile asks for what each goal needs:
#   run    building and running glassbox (`make`, `make run`, `make install`)
#   check  the test tools (`make check`)
#   fuzz   libFuzzer and its runtime (`make fuzz`)
#   model  the corpus and training tools (`make corpus`, `make model`, `make bench`)
#   torch  Debian's PyTorch, for bench/trainer-vs-torch.sh (the trainer beside PyTorch in `make bench`);
#          optional: nothing in the build or `make check` needs it
# `deps.sh --list GROUP...` prints the packages of those groups instead of installing them.
set -eu
list=0
if [ "${1:-}" = "--list" ]; then
  list=1
  shift
fi
[ $# -gt 0 ] || set -- run
PKGS=""
for g in "$@"; do
  case $g in
  run) PKGS="$PKGS build-essential pkg-config libncurses-dev libreadline-dev libpcre2-dev libopenblas-dev" ;;
  # tests/*.sh use python3 (JSON checks), /usr/bin/time (hostile.sh), tmux (the TUI), valgrind
  # (memcheck.sh) and groff (the man page); fuzzregress replays the fuzz inputs with gcc, not clang.
  check) PKGS="$PKGS libcmocka-dev tmux python3 valgrind time groff-base" ;;
  fuzz) PKGS="$PKGS clang-14 libclang-rt-14-dev libomp-14-dev" ;;
  model) PKGS="$PKGS python3 xz-utils" ;;
  torch) PKGS="$PKGS python3-torch" ;;
  *)
    echo "deps.sh: unknown group '$g' (run, check, fuzz, model, torch)" >&2
    exit 2
    ;;
  esac
done
if [ "$list" -eq 1 ]; then
  echo $PKGS
  exit 0
fi
missing=""
for p in $PKGS; do
  case " $missing " in *" $p "*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "glassbox: installing missing packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 $missing
