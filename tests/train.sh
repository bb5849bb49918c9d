#!/usr/bin/env bash
# glassbox train end to end on a tiny model: the loss falls, the GGUF written loads (info, eval,
# generate), SIGTERM saves a checkpoint and exits 143, --resume finishes with exactly the file an
# uninterrupted run writes, the thread count changes no bit, and bad arguments exit 2 with a clear
# message.
# Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/run.sh"

# A small corpus of Python-like documents and a vocabulary trained on it.
for i in 1 2 3 4 5 6; do
    for j in $(seq 1 40); do
        printf 'def f%d_%d(x, y):\n    """Adds x to y."""\n    return x + y * %d\n\n' "$i" "$j" "$i"
    done >"$TMP/doc$i.py"
done
printf '%s\n' "$TMP"/doc[1-5].py >"$TMP/train.list"
check "vocabulary trains" run_status 0 train-tokenizer --vocab 320 --pattern gpt2 -o "$TMP/v.gguf" @"$TMP/train.list"

TINY=(--tokenizer "$TMP/v.gguf" --train @"$TMP/train.list" --heldout "$TMP/doc6.py" --dim 16
    --layers 2 --heads 2 --kv-heads 1 --ffn 32 --ctx 16 --batch 4 --lr 1e-2 --warmup 10
    --threads 2 --log-every 1 --eval-every 50)

check "trains" run_status 0 train "${TINY[@]}" --steps 120 -o "$TMP/m.gguf"
check "... names the file written" out_has "wrote $TMP/m.gguf"
check "... evaluates the held-out file" out_has "bits/byte"
loss_falls() { # the last logged loss is under half the first
    awk -F'|' '/^step/ { split($2, a, " "); if (!n++) first = a[2]; last = a[2] }
        END { if (!(n > 1 && last < 0.5 * first)) { print "     loss " first " -> " last > "/dev/stderr"; exit 1 } }' \
        "$TMP/out"
}
check "... and the loss falls below half" loss_falls
check "the model loads" run_status 0 info --model "$TMP/m.gguf"
check "... as llama with 2 blocks" out_has "llama.block_count (u32) = 2"
check "... grouped-query heads" out_has "llama.attention.head_count_kv (u32) = 1"
check "... with the tokenizer" out_has "tokenizer.ggml.tokens"
check "it evaluates" run_status 0 eval --model "$TMP/m.gguf" "$TMP/doc6.py"
check "it generates" run_status 0 generate --model "$TMP/m.gguf" --steps 5 --temp 0 "def "
check "f16 output loads" run_status 0 train "${TINY[@]}" --steps 5 --type f16 -o "$TMP/h.gguf"
check "... as F16 tensors" run_status 0 info --model "$TMP/h.gguf"
check "... (info says F16)" out_has "F16"

# --init: training starts from a model's weights. With a learning rate too small to move a float,
# one step writes the model it started from, byte for byte; a longer --ctx starts from them too.
check "--init trains from a model" run_status 0 train "${TINY[@]}" --init "$TMP/m.gguf" --steps 1 --lr 1e-30 --warmup 0 -o "$TMP/i.gguf"
check "... saying so" out_has "init: the weights of $TMP/m.gguf (trained for a context of 16)"
check "... and a step that changes nothing gives the same file" cmp -s "$TMP/m.gguf" "$TMP/i.gguf"
check "--init with a longer --ctx" run_status 0 train "${TINY[@]}" --init "$TMP/m.gguf" --ctx 32 --batch 2 --steps 5 -o "$TMP/c.gguf"
first_loss_low() { # it starts where the model left off, not from random weights (ln 320 = 5.8 nats)
    awk -F'|' '/^step/ { split($2, a, " "); print a[2]; exit }' "$TMP/out" | awk '{ exit !($1 < 3.5) }'
}
check "... starts from the model's loss" first_loss_low
check "... and writes a model of that context" run_status 0 info --model "$TMP/c.gguf"
check "... (context_length 32)" out_has "llama.context_length (u32) = 32"
check "--init of another shape exits 2" run_status 2 train "${TINY[@]}" --init "$TMP/m.gguf" --ffn 48 -o "$TMP/x.gguf"
check "... naming both shapes" err_has "ffn 32, vocab 320) is not the one asked for"
check "--init of a missing file exits 2" run_status 2 train "${TINY[@]}" --init "$TMP/none.gguf" -o "$TMP/x.gguf"
check "... naming it" err_has "$TMP/none.gguf"

# Interrupt and resume: the same file as the uninterrupted run, byte for byte.
LONG=("${TINY[@]}" --steps 1000 --eval-every 0)
check "uninterrupted run" run_status 0 train "${LONG[@]}" -o "$TMP/full.gguf"
"$G" train "${LONG[@]}" -o "$TMP/part.gguf" >"$TMP/part.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do # wait until training is under way
    grep -q "^step *50/" "$TMP/part.log" 2>/dev/null && break
    sleep 0.05
done
kill -TERM "$pid" 2>/dev/null || true
status=0
wait "$pid" || status=$?
check "SIGTERM exits 143" test "$status" = 143
check "... saying where the checkpoint is" grep -qF "checkpoint saved to $TMP/part.gguf.ckpt" "$TMP/part.log"
check "... and writes no model" test ! -e "$TMP/part.gguf"
check "--resume finishes" run_status 0 train "${LONG[@]}" --resume -o "$TMP/part.gguf"
check "... from the saved step" out_has "resume: $TMP/part.gguf.ckpt at step"
check "... with the uninterrupted run's exact file" cmp -s "$TMP/full.gguf" "$TMP/part.gguf"
check "a checkpoint for other options is refused" run_status 2 train "${LONG[@]}" --lr 1e-3 --resume -o "$TMP/part.gguf"
check "... saying how to start afresh" err_has "remove $TMP/part.gguf.ckpt"

# The thread count changes no bit: a model large enough that every layer splits its work across
# threads (rows, heads, weight-gradient slabs; 3 threads split unevenly), trained with 1 and 3.
MID=(--tokenizer "$TMP/v.gguf" --train @"$TMP/train.list" --dim 64 --layers 2 --heads 4 --kv-heads 2
    --ffn 128 --ctx 64 --batch 8 --steps 12 --warmup 3 --log-every 4 --eval-every 0)
check "1 thread trains" run_status 0 train "${MID[@]}" --threads 1 -o "$TMP/t1.gguf"
check "3 threads train" run_status 0 train "${MID[@]}" --threads 3 -o "$TMP/t3.gguf"
check "... the same file, bit for bit" cmp -s "$TMP/t1.gguf" "$TMP/t3.gguf"
GLASSBOX_KERNELS=portable check "the portable kernels train too" run_status 0 train "${MID[@]}" --threads 2 -o "$TMP/tp.gguf"

# Bad arguments.
check "no --train exits 2" run_status 2 train --tokenizer "$TMP/v.gguf" -o "$TMP/x.gguf"
check "heads that do not divide dim exit 2" run_status 2 train "${TINY[@]}" --dim 10 --heads 3 -o "$TMP/x.gguf"
check "... naming the sizes" err_has "--dim 10"
check "bad --type exits 2" run_status 2 train "${TINY[@]}" --type q4 -o "$TMP/x.gguf"
check "bad number exits 2" run_status 2 train "${TINY[@]}" --steps ten -o "$TMP/x.gguf"
check "missing tokenizer exits 2" run_status 2 train "${TINY[@]}" --tokenizer "$TMP/none.gguf" -o "$TMP/x.gguf"
printf '%s\n%s\n' "$TMP/doc1.py" "$TMP/gone.py" >"$TMP/bad.list"
check "bad line in @LIST exits 2" run_status 2 train "${TINY[@]}" --train @"$TMP/bad.list" -o "$TMP/x.gguf"
check "... naming list and line" err_has "$TMP/bad.list:2: $TMP/gone.py"
check "unwritable output exits 2 at once" run_status 2 train "${TINY[@]}" -o "$TMP/no/dir/x.gguf"
check "nothing written on failure" test ! -e "$TMP/x.gguf"

echo "train.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
