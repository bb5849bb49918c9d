#!/usr/bin/env bash
# End-to-end checks of the weight types and architectures: random models written by init-model in
# every type, for llama and qwen2, go through the commands the course and the instructors use
# (probs, generate, score, export of every view, bench, info); and a model
# glassbox cannot run is refused in one line that names the file and what is not supported.
# Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/run.sh"

# probs_sum_to_one MODEL: the whole distribution from probs --json adds up to 1.
probs_sum_to_one() {
    "$G" probs --json --model "$1" 'def f(x):' >"$TMP/out" &&
        python3 -c 'import json,sys; p=[r["prob_t1"] for r in json.load(open(sys.argv[1]))]; assert abs(sum(p)-1)<1e-3, sum(p)' "$TMP/out"
}

for arch in llama qwen2; do
    for type in f16 bf16 q8_0 q4_0 q4_k q5_k q6_k q4_k_m; do
        m="$TMP/$arch-$type.gguf"
        check "$arch $type: init-model" run_status 0 init-model --random --arch "$arch" --type "$type" \
            --dim 256 --ffn 512 --layers 2 --heads 4 --kv-heads 2 --vocab 300 --std 0.05 -o "$m"
        check "$arch $type: probs --json sums to 1" probs_sum_to_one "$m"
        check "$arch $type: generate" run_status 0 generate --model "$m" --steps 8 --seed 1 "import os"
        check "$arch $type: score" run_status 0 score --model "$m" "def f" "(x):"
        case $type in bf16 | q4_k_m) ;; *) continue ;; esac # every view: on two types, to keep it short
        for view in tokens attention neighbours probs; do
            check "$arch $type: export $view" run_status 0 export --model "$m" --view "$view" --steps 3 "x = 1"
        done
    done
done
check "info names the type and architecture" run_status 0 info --model "$TMP/qwen2-q4_k_m.gguf"
check "info: qwen2" out_has '"qwen2"'
check "info: Q4_K and Q6_K" sh -c "grep -q Q4_K '$TMP/out' && grep -q Q6_K '$TMP/out'"
check "bench --decode on a Q4_K_M qwen2 model" run_status 0 bench --model "$TMP/qwen2-q4_k_m.gguf" --decode 4

# An architecture glassbox does not run: general.architecture rewritten in place (same length).
python3 - "$TMP/llama-q8_0.gguf" "$TMP/gemma.gguf" "$TMP/q4_1.gguf" <<'PY'
import struct, sys
src, gemma, q41 = sys.argv[1:]
b = bytearray(open(src, "rb").read())
k = b.index(b"general.architecture") + len(b"general.architecture")
assert struct.unpack_from("<I", b, k)[0] == 8  # a string
n = struct.unpack_from("<Q", b, k + 4)[0]
assert b[k + 12:k + 12 + n] == b"llama"
g = bytearray(b)
g[k + 12:k + 12 + n] = b"gemma"
open(gemma, "wb").write(g)
# A tensor type glassbox does not run: blk.0.ffn_up.weight marked Q4_1 (3).
name = b"blk.0.ffn_up.weight"
t = b.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
n_dims = struct.unpack_from("<I", b, t)[0]
struct.pack_into("<I", b, t + 4 + 8 * n_dims, 3)
open(q41, "wb").write(b)
PY
check "unsupported architecture exits 2" run_status 2 probs --model "$TMP/gemma.gguf" "x"
check "unsupported architecture: one line" one_line_err
check "unsupported architecture: named with the file" sh -c "grep -q 'gemma.gguf' '$TMP/err' && grep -q \"architecture 'gemma' is not supported\" '$TMP/err'"
check "unsupported type exits 2" run_status 2 probs --model "$TMP/q4_1.gguf" "x"
check "unsupported type: one line" one_line_err
check "unsupported type: named with the file" sh -c "grep -q 'q4_1.gguf' '$TMP/err' && grep -q 'Q4_1' '$TMP/err'"

echo "quant.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
