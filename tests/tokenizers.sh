#!/usr/bin/env bash
# End-to-end checks of downloaded-model tokenizers on small models glassbox writes itself: a
# SentencePiece vocabulary (init-model --spm) and BPE under llama.cpp's pre-tokenizer names; special
# tokens on the command line; one line and status 2 for a tokenizer glassbox cannot read.
# Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/run.sh"

small=(--random --dim 32 --layers 1 --heads 2 --kv-heads 1 --ffn 64)

# ---- SentencePiece
check "init-model --spm" run_status 0 init-model "${small[@]}" --tokenizer-from r50k_base --spm -o "$TMP/spm.gguf"
check "tokenize: the space put in front shows in the first token" run_status 0 tokenize --model "$TMP/spm.gguf" "Hello world"
check "... ·Hello spans 0-5" out_has "$(printf '\xc2\xb7Hello\t0-5')"
check "--special parses <s>" run_status 0 tokenize --special --model "$TMP/spm.gguf" "<s>x"
check "... as id 1" sh -c "head -1 '$TMP/out' | grep -q '^1	<s>	0-3$'"
check "without it <s> is text" run_status 0 tokenize --model "$TMP/spm.gguf" "<s>x"
check "... not id 1" sh -c "! grep -q '^1	' '$TMP/out'"
check "generate on SentencePiece" run_status 0 generate --model "$TMP/spm.gguf" --steps 4 "def f"
check "score on SentencePiece" run_status 0 score --model "$TMP/spm.gguf" "def f" "(x):"
check "... the continuation has no space in front" sh -c "grep -q '^ *1 *[0-9]*  ( ' '$TMP/out'"
check "--explain refuses SentencePiece" run_status 2 tokenize --explain --model "$TMP/spm.gguf" "hello"
check "... in one line" one_line_err

# ---- BPE pre-tokenizers by name
check "init-model --pattern smollm" run_status 0 init-model "${small[@]}" --tokenizer-from r50k_base --pattern smollm -o "$TMP/smollm.gguf"
check "info names it" sh -c "'$G' info --model '$TMP/smollm.gguf' | grep -q smollm"
check "smollm splits digits" run_status 0 tokenize --model "$TMP/smollm.gguf" "x 2024"
check "... one each" sh -c "[ \$(wc -l <'$TMP/out') -eq 6 ]"
check "--batch" sh -c "printf '6869\n\n' | '$G' tokenize --batch --model '$TMP/smollm.gguf' >'$TMP/out' && [ \"\$(cat '$TMP/out')\" = \"\$(printf '5303\n')\" ]"
check "bad --pattern exits 2" run_status 2 init-model "${small[@]}" --pattern tekken -o "$TMP/x.gguf"
check "... names it" err_has "tekken"

# ---- what glassbox cannot read: one line naming the file and the thing, status 2
python3 - "$TMP/smollm.gguf" "$TMP/tekken.gguf" "$TMP/bert.gguf" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
def patch(key, old, new):
    k = key.encode()
    at = struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, len(old)) + old.encode()
    assert data.count(at) == 1, key
    return data.replace(at, at[: -len(old)] + new.encode())
open(sys.argv[2], "wb").write(patch("tokenizer.ggml.pre", "smollm", "tekken"))
open(sys.argv[3], "wb").write(patch("tokenizer.ggml.model", "gpt2", "bert"))
PY
check "unknown pre-tokenizer exits 2" run_status 2 tokenize --model "$TMP/tekken.gguf" "x"
check "... in one line" one_line_err
check "... naming the file" err_has "$TMP/tekken.gguf"
check "... and the pre-tokenizer" err_has '"tekken" is not supported'
check "unknown tokenizer model exits 2" run_status 2 generate --model "$TMP/bert.gguf" "x"
check "... in one line" one_line_err
check "... naming it" err_has '"bert" is not supported'

# ---- under valgrind (when installed): SentencePiece and a sequence of regexes, with special tokens
if command -v valgrind >/dev/null; then
    check "init-model --pattern deepseek-coder" run_status 0 init-model "${small[@]}" --tokenizer-from r50k_base --pattern deepseek-coder -o "$TMP/dsc.gguf"
    text=$(printf '<s>x = 12345;\n\n  def f(a):\treturn a  \xe4\xbd\xa0 \xff<|endoftext|>end   ')
    for m in spm dsc; do
        check "tokenize --special on $m under valgrind" env OMP_NUM_THREADS=1 valgrind -q --error-exitcode=99 \
            --leak-check=full --errors-for-leak-kinds=definite "$G" tokenize --special --model "$TMP/$m.gguf" "$text" \
            >"$TMP/out" 2>"$TMP/err"
    done
fi

echo "tokenizers.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
