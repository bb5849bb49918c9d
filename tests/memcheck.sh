#!/usr/bin/env bash
# glassbox under valgrind memcheck: no invalid access, no use of uninitialised memory, no definite
# leak, in a representative run of each subcommand (info, tokenize, generate, probs, eval, lesson
# check, the default run off a terminal) and of each kind of bad input (corrupt models, a bad lesson,
# bad options). Run by `make clitest` (so by `make check`) with $GLASSBOX set to the binary.
# MEMCHECK_FULL=1 runs the whole of cli.sh under valgrind instead of its subset (minutes).
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
case $G in /*) ;; *) G=$PWD/$G ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${GLASSBOX_MODEL:-$ROOT/assets/glassbox.gguf}
export GLASSBOX_MODEL=$MODEL
command -v valgrind >/dev/null || { echo "FAIL valgrind is not installed (scripts/deps.sh installs it)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A stand-in for the binary: valgrind logs to a file per process, so the messages are untouched; an
# error makes the run exit 99, which no test expects.
cat >"$TMP/glassbox" <<W
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --log-file="$TMP/vg.%p.log" "$G" "\$@"
W
chmod +x "$TMP/glassbox"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 # valgrind runs threads one at a time anyway

failed=0
passed=0
run() { # run NAME EXPECTED_STATUS ARGS... (standard input from $TMP/stdin when it exists)
    local name=$1 want=$2 got=0 in=/dev/null
    shift 2
    [ -f "$TMP/stdin" ] && in=$TMP/stdin
    "$TMP/glassbox" "$@" >"$TMP/out" 2>"$TMP/err" <"$in" || got=$?
    rm -f "$TMP/stdin"
    if [ "$got" = "$want" ]; then echo "ok   $name (valgrind)"; passed=$((passed + 1)); else
        echo "FAIL $name (valgrind): status $got, expected $want"; sed 's/^/     /' "$TMP/err" | head -5; failed=1; fi
}

if [ "${MEMCHECK_FULL:-0}" = 1 ]; then
    GLASSBOX=$TMP/glassbox bash "$ROOT/tests/cli.sh" >"$TMP/cli.out" 2>&1 || failed=1
    tail -1 "$TMP/cli.out"
    grep FAIL "$TMP/cli.out" || true
fi

# ---- each subcommand once
run "info" 0 info
run "tokenize" 0 tokenize "def add(a, b):\n    return a + b  # caf\xc3\xa9"
printf 'x = [i ** 2 for i in range(10)]\n\xff\xfe invalid bytes\n' >"$TMP/stdin"
run "tokenize --json from standard input" 0 tokenize --json -
run "tokenize with a tiktoken vocabulary" 0 tokenize --tokenizer gpt2 "getUserName"
run "generate" 0 generate --temp 0.8 --seed 3 --steps 12 "def fibonacci(n):"
run "probs --json" 0 probs --json "for i in range("
run "probs --explain, every sampler stage" 0 probs --explain --top-k 40 --typical 0.95 --top-p 0.9 --min-p 0.05 \
    --repeat-penalty 1.2 --presence-penalty 0.1 --frequency-penalty 0.1 "x = x + x"
run "lens --json" 0 lens --json "def add(a, b):"
run "export --view lens (csv)" 0 export --view lens --format csv --steps 3 "import os"
head -c 3000 "$ROOT/src/model/sampler.c" >"$TMP/eval.txt"
run "eval" 0 eval "$TMP/eval.txt"
run "the default run off a terminal" 0
for l in "$ROOT"/lessons/*.lesson; do
    run "lesson check $(basename "$l")" 0 lesson check "$l"
    break # one is representative; lessons.sh checks them all without valgrind
done

# ---- bad input: each exits 2 with its message, and frees what it had taken
size=$(wc -c <"$MODEL")
head -c $((size / 2)) "$MODEL" >"$TMP/truncated.gguf"
run "truncated model" 2 generate --model "$TMP/truncated.gguf" "x"
head -c 100 "$MODEL" >"$TMP/short.gguf"
run "100-byte model" 2 probs --model "$TMP/short.gguf" "x"
cp "$MODEL" "$TMP/flipped.gguf"
printf '\377\377\377\377' | dd of="$TMP/flipped.gguf" bs=1 seek=24 conv=notrunc status=none
run "model with a corrupt key length" 2 info --model "$TMP/flipped.gguf"
run "missing model" 2 tokenize --model "$TMP/none.gguf" hello
printf 'title: t\nstep: a\n> step 999\n' >"$TMP/bad.lesson"
run "lesson check of a bad lesson" 2 lesson check "$TMP/bad.lesson"
run "unknown option" 2 generate --frob x
run "bad sampler chain" 2 generate --samplers temp,temp x
run "empty eval file" 2 eval /dev/null

runs=$(find "$TMP" -name 'vg.*.log' | wc -l)
dirty=0
for f in "$TMP"/vg.*.log; do
    [ -s "$f" ] || continue
    dirty=$((dirty + 1))
    echo "valgrind reported, log $(basename "$f"):"; head -40 "$f" | sed 's/^/     /'
done
echo "memcheck.sh: $passed passed; $runs glassbox runs under valgrind, $dirty with errors or definite leaks"
[ "$failed" = 0 ] && [ "$dirty" = 0 ]
