#!/usr/bin/env bash
# Hardening II (issue 14), end to end: one loader check on every path that opens a model, sanitised
# output, the one file writer (atomic for regular files, in place for devices), bounded numeric
# options, probes only where they are shown, FIFOs that never block, bounded reads, long blank lines,
# and write errors that are reported. Each check names its case. Run by `make clitest` with $GLASSBOX.
set -uo pipefail

G=${GLASSBOX:-build/glassbox}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GLASSBOX_MODEL=${GLASSBOX_MODEL:-$ROOT/assets/glassbox.gguf}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_STATE_HOME="$TMP/state" HOME="$TMP"
. "$ROOT/tests/lib/check.sh"
MM="python3 $ROOT/tests/lib/make_model.py"

# expect NAME STATUS MESSAGE_PART CMD...: status, and one stderr line holding MESSAGE_PART
expect() {
    local name=$1 want=$2 msg=$3 got=0
    shift 3
    (ulimit -v 4000000; exec timeout 60 "$@") >"$TMP/out" 2>"$TMP/err" </dev/null || got=$?
    if [ "$got" != "$want" ]; then
        bad "$name: status $got, expected $want"; sed 's/^/     /' "$TMP/err" | head -3; return
    fi
    if [ -n "$msg" ] && { [ "$(grep -cv '^$' "$TMP/err")" -ne 1 ] || ! grep -qF -- "$msg" "$TMP/err"; }; then
        bad "$name: expected one line with '$msg'"; sed 's/^/     /' "$TMP/err" | head -3; return
    fi
    ok "$name"
}

echo "== 1: a tokenizer larger than the embedding table, refused on every path"
$MM "$TMP/mismatch.gguf" --tokens 300 --rows 260
$MM "$TMP/fewer.gguf" --tokens 260 --rows 300
MIS="the tokenizer has 300 tokens but the embedding table 260 rows"
printf 'title: t\n\nstep: one\nsay hi\n> prompt "ab"\n' >"$TMP/one.lesson"
printf '# model: %s\ntitle: r\n\nstep: one\n> prompt "ab"\n' "$TMP/mismatch.gguf" >"$TMP/rec.lesson"
expect "1 generate" 2 "$MIS" "$G" generate --model "$TMP/mismatch.gguf" ab
expect "1 probs" 2 "$MIS" "$G" probs --model "$TMP/mismatch.gguf" ab
expect "1 eval" 2 "$MIS" "$G" eval --model "$TMP/mismatch.gguf" "$TMP/one.lesson"
expect "1 score" 2 "$MIS" "$G" score --model "$TMP/mismatch.gguf" a b
expect "1 export" 2 "$MIS" "$G" export --model "$TMP/mismatch.gguf" ab
expect "1 TUI" 2 "$MIS" "$G" --model "$TMP/mismatch.gguf"
expect "1 lesson check" 2 "$MIS" "$G" lesson check --model "$TMP/mismatch.gguf" "$TMP/one.lesson"
expect "1 replay" 2 "$MIS" "$G" replay --headless --model "$TMP/mismatch.gguf" "$TMP/rec.lesson"
expect "1 fewer tokens than rows (ids without bytes)" 2 "the tokenizer has 260 tokens but the embedding table 300 rows" \
    "$G" export --model "$TMP/fewer.gguf" ab

echo "== 3: model strings reach the terminal sanitised"
$MM "$TMP/evil.gguf" --name $'evil\e]0;pwned\a\e[2J\xc2\x9b31m' --extra-key $'k\e[31mred' --extra-tensor $'t\e[5m'
"$G" info --model "$TMP/evil.gguf" >"$TMP/info" 2>&1
check "3 info: no escape or C1 control in the output" bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x08\\x0b-\\x1f\\x7f]\\|\\xc2[\\x80-\\x9f]' '$TMP/info'"
check "3 info: the key is shown, escaped" grep -qF 'k<0x1B>[31mred' "$TMP/info"
check "3 info: the tensor is shown, escaped" grep -qF 't<0x1B>[5m' "$TMP/info"
"$G" export --model "$TMP/evil.gguf" ab >"$TMP/exp" 2>&1
check "3 export: the model's name sanitised" bash -c "! LC_ALL=C grep -q \$'\\x1b' '$TMP/exp'"

echo "== 4: the one file writer"
"$G" export ab >"$TMP/want.txt"
if mknod "$TMP/null" c 1 3 2>/dev/null; then NULLDEV=$TMP/null; else NULLDEV=/dev/null; fi
before=$(stat -c '%F %t:%T' "$NULLDEV")
expect "4 -o a null device" 0 "" "$G" export -o "$NULLDEV" --format txt ab
check "4 the null device is still a character device" test "$(stat -c '%F %t:%T' "$NULLDEV")" = "$before"
"$G" export -o /dev/stdout --format txt ab >"$TMP/stdout.txt" 2>/dev/null
check "4 -o /dev/stdout writes to standard output" cmp -s "$TMP/stdout.txt" "$TMP/want.txt"
"$G" export -o /dev/stdout --format txt ab | cat >"$TMP/pipe.txt"
check "4 -o /dev/stdout into a pipe" cmp -s "$TMP/pipe.txt" "$TMP/want.txt"
echo old >"$TMP/real.txt"
chmod 640 "$TMP/real.txt"
ln -s real.txt "$TMP/link.txt"
ln "$TMP/real.txt" "$TMP/hard.txt"
"$G" export -o "$TMP/link.txt" ab 2>/dev/null
check "4 a symlink is followed, not replaced" test -L "$TMP/link.txt"
check "4 the link's target gets the content" cmp -s "$TMP/real.txt" "$TMP/want.txt"
check "4 a hard link keeps sharing the file" cmp -s "$TMP/hard.txt" "$TMP/want.txt"
check "4 ... and stays one inode" test "$(stat -c %i "$TMP/real.txt")" = "$(stat -c %i "$TMP/hard.txt")"
echo old >"$TMP/mode.txt"
chmod 604 "$TMP/mode.txt"
"$G" export -o "$TMP/mode.txt" ab 2>/dev/null
check "4 permissions preserved" test "$(stat -c %a "$TMP/mode.txt")" = 604
check "4 the content replaced" cmp -s "$TMP/mode.txt" "$TMP/want.txt"
check "4 no temporary files left beside it" test "$(ls -A "$TMP" | grep -c 'tmp')" = 0
mkfifo "$TMP/out.fifo"
(timeout 30 cat "$TMP/out.fifo" >"$TMP/fifo.txt") & # bounded: a writer that never opens the FIFO fails the check, not the run
expect "4 -o a FIFO streams into it" 0 "" "$G" export -o "$TMP/out.fifo" --format txt ab
wait
check "4 the FIFO's reader got the view" cmp -s "$TMP/fifo.txt" "$TMP/want.txt"
check "4 the FIFO is still a FIFO" test -p "$TMP/out.fifo"

echo "== 5: numeric options bounded"
expect "5 train --log-every 0" 2 "--log-every: expected an integer in [1," "$G" train --log-every 0 --tokenizer x --train y -o "$TMP/t.gguf"
expect "5 train --dim 65536" 2 "--dim: expected an integer in [2, 4096]" "$G" train --dim 65536 --tokenizer x --train y -o "$TMP/t.gguf"
expect "5 init-model --dim 65536" 2 "parameters, more than" "$G" init-model --random --dim 65536 -o "$TMP/d.gguf"
expect "5 init-model --ctx 65536 works" 0 "" "$G" init-model --random --ctx 65536 --dim 16 --heads 2 --kv-heads 2 --ffn 16 --vocab 300 -o "$TMP/c.gguf"
expect "5 export --width 100000" 2 "--width: expected a non-negative integer (at most 1000)" "$G" export --width 100000 ab
expect "5 TUI --ctx 0" 2 "--ctx: expected an integer in [1, 1048576]" "$G" --ctx 0

echo "== 6: probes only where shown: a 1-layer model with 131072 positions"
expect "6 init-model --ctx 131072" 0 "" "$G" init-model --random --layers 1 --heads 1 --kv-heads 1 --dim 16 --ffn 16 --ctx 131072 --vocab 300 -o "$TMP/long.gguf"
echo "def f(x): return x" >"$TMP/short.py"
expect "6 eval (no probes) in 4 GB of address space" 0 "" "$G" eval --model "$TMP/long.gguf" "$TMP/short.py"
expect "6 score (no probes)" 0 "" "$G" score --model "$TMP/long.gguf" def " f"
expect "6 generate (no probes)" 0 "" "$G" generate --steps 2 --model "$TMP/long.gguf" def
expect "6 export (probes: the context capped)" 0 "" "$G" export --model "$TMP/long.gguf" def
expect "6 TUI --ctx beyond the probes' memory" 2 "choose a shorter context (--ctx N)" "$G" --model "$TMP/long.gguf" --ctx 131072

echo "== 7: FIFOs never block"
mkfifo "$TMP/model.fifo" "$TMP/x.lesson" "$TMP/rec.fifo" "$TMP/r50k_base.tiktoken"
expect "7 a FIFO as the model (info)" 2 "not a regular file (a FIFO)" "$G" info --model "$TMP/model.fifo"
expect "7 a FIFO as the model (generate)" 2 "not a regular file (a FIFO)" "$G" generate --model "$TMP/model.fifo" x
expect "7 a FIFO as the model (TUI)" 2 "not a regular file (a FIFO)" "$G" --model "$TMP/model.fifo"
expect "7 a FIFO as a lesson" 2 "not a regular file" "$G" lesson check "$TMP/x.lesson"
expect "7 a FIFO as a recording" 2 "not a regular file (a FIFO)" "$G" replay --headless "$TMP/rec.fifo"
expect "7 a FIFO as a rank file" 2 "not a regular file (a FIFO)" "$G" tokenize --tokenizer "$TMP/r50k_base.tiktoken" x

echo "== 8: bounded reads"
expect "8 eval /dev/zero" 2 "larger than 256 MiB, the limit for a text file" "$G" eval /dev/zero
expect "8 tokenize --file /dev/zero" 2 "larger than 256 MiB, the limit for a text file" "$G" tokenize --file /dev/zero
got=0; (ulimit -v 4000000; timeout 60 "$G" generate - </dev/zero) >/dev/null 2>"$TMP/err" || got=$?
check "8 generate - </dev/zero: status 2" test "$got" = 2
check "8 generate - </dev/zero: the limit named" grep -qF "standard input: larger than 16 MiB, the limit for a prompt" "$TMP/err"
ln -s /dev/zero "$TMP/o200k_base.tiktoken"
expect "8 a rank file linked to /dev/zero" 2 "not a regular file (a character device)" "$G" tokenize --tokenizer "$TMP/o200k_base.tiktoken" x

echo "== 9: a 2 MB blank line in linear time (quadratic took 4.5 s per 100 KB: half an hour here)"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$TMP/blank.txt"
expect "9 tokenize --file 2 MB of spaces" 0 "" timeout 300 "$G" tokenize --file "$TMP/blank.txt"

echo "== 11: write errors reported"
for c in "tokenize x" "generate --steps 2 x" "probs x" "eval $TMP/short.py" "score def x" "export ab" "info"; do
    got=0; "$G" $c >/dev/full 2>"$TMP/err" || got=$?
    check "11 $c >/dev/full: status 1" test "$got" = 1
    check "11 $c >/dev/full: says what" grep -qF "cannot write standard output: No space left on device" "$TMP/err"
done
expect "11 export -o /dev/full" 1 "/dev/full: cannot write: No space left on device" "$G" export -o /dev/full --format txt ab
expect "11 init-model -o /dev/full" 1 "/dev/full: cannot write" "$G" init-model --random --dim 16 --heads 2 --kv-heads 2 --ffn 16 --vocab 300 -o /dev/full

echo "harden.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
