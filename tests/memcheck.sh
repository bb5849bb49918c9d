#!/usr/bin/env bash
# The command-line tests again with every glassbox run under valgrind memcheck: no invalid access, no
# use of uninitialised memory, no definite leak. Run by `make clitest` (so by `make check`) with
# $GLASSBOX set to the binary. cli.sh covers info, tokenize, generate, probs, eval and corrupt files;
# lesson check, a TUI-less default run and bench are added here.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
case $G in /*) ;; *) G=$PWD/$G ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "FAIL valgrind is not installed (scripts/deps.sh installs it)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A stand-in for the binary: valgrind logs to a file per process, so the messages the tests check
# are untouched; an error makes the run exit 99, which fails the test that ran it.
cat >"$TMP/glassbox" <<W
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --track-origins=no --log-file="$TMP/vg.%p.log" "$G" "\$@"
W
chmod +x "$TMP/glassbox"
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1

failed=0
GLASSBOX=$TMP/glassbox bash "$ROOT/tests/cli.sh" >"$TMP/cli.out" 2>&1 || failed=1
tail -1 "$TMP/cli.out"
[ "$failed" = 0 ] || grep FAIL "$TMP/cli.out" || true

extra() { # extra NAME EXPECTED_STATUS ARGS...
    local name=$1 want=$2 got=0
    shift 2
    "$TMP/glassbox" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || got=$?
    if [ "$got" = "$want" ]; then echo "ok   $name (valgrind)"; else
        echo "FAIL $name (valgrind): status $got, expected $want"; sed 's/^/     /' "$TMP/err" | head -5; failed=1; fi
}
for l in "$ROOT"/lessons/*.lesson; do
    extra "lesson check $(basename "$l")" 0 lesson check "$l"
    break # one is representative; lessons.sh checks them all without valgrind
done
printf 'title: t\nstep: a\n> step 999\n' >"$TMP/bad.lesson"
extra "lesson check of a bad lesson" 2 lesson check "$TMP/bad.lesson"
extra "default run off a terminal" 0

runs=$(ls "$TMP"/vg.*.log 2>/dev/null | wc -l)
dirty=0
for f in "$TMP"/vg.*.log; do
    [ -s "$f" ] || continue
    dirty=$((dirty + 1))
    echo "valgrind reported, log $(basename "$f"):"; head -40 "$f" | sed 's/^/     /'
done
echo "memcheck.sh: $runs glassbox runs under valgrind, $dirty with errors or definite leaks"
[ "$failed" = 0 ] && [ "$dirty" = 0 ]
