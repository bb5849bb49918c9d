#!/usr/bin/env bash
# Hostile files at the command line: each gives a one-line error naming the file and exit status 2,
# quickly and in bounded memory (every run here is under `ulimit -v`, and its peak resident size is
# measured with /usr/bin/time and must stay small), never a crash. The parsers' own unit tests
# (test_gguf.c, test_tokenizer.c, test_lesson.c) cover the byte-level cases; these check what the
# program as a whole does with them. Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GLASSBOX_MODEL=${GLASSBOX_MODEL:-$ROOT/assets/glassbox.gguf}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
VLIMIT_KB=2000000 # address space of one run (the model and OpenBLAS's buffers fit easily)
RSS_LIMIT_KB=200000

passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# hostile NAME EXPECTED_STATUS MESSAGE_PART ARGS...: runs glassbox under the limits; checks the status,
# a one-line stderr containing MESSAGE_PART, and the peak resident size.
hostile() {
    local name=$1 want=$2 msg=$3 got=0
    shift 3
    (ulimit -v $VLIMIT_KB; exec timeout 300 /usr/bin/time -f "%M" -o "$TMP/rss" "$G" "$@") \
        >"$TMP/out" 2>"$TMP/err" </dev/null || got=$?
    local rss
    rss=$(tail -1 "$TMP/rss" 2>/dev/null || echo 0)
    if [ "$got" != "$want" ]; then
        bad "$name: status $got, expected $want"; sed 's/^/     /' "$TMP/err" | head -5; return
    fi
    if [ -n "$msg" ] && { [ "$(wc -l <"$TMP/err")" -gt 1 ] || ! grep -qF -- "$msg" "$TMP/err"; }; then
        bad "$name: expected one line with '$msg'"; sed 's/^/     /' "$TMP/err" | head -5; return
    fi
    if [ "$rss" -gt $RSS_LIMIT_KB ]; then bad "$name: peak resident size $rss KB"; return; fi
    ok "$name (peak $((rss / 1024)) MB)"
}

# ---- GGUF: counts and lengths far beyond the file (the reader's limits, seen from the CLI)
python3 - "$TMP" <<'PY'
import struct, sys
d = sys.argv[1]
def s(b): return struct.pack('<Q', len(b)) + b
def kv_str(key, val, claimed=None):
    return s(key) + struct.pack('<I', 8) + struct.pack('<Q', len(val) if claimed is None else claimed) + val
def header(n_tensors, n_kv): return b'GGUF' + struct.pack('<IQQ', 3, n_tensors, n_kv)
arch = kv_str(b'general.architecture', b'llama')
open(d + '/tensors-2e60.gguf', 'wb').write(header(1 << 60, 1) + arch + b'\0' * 64)
open(d + '/kv-2e60.gguf', 'wb').write(header(0, 1 << 60) + arch + b'\0' * 64)
open(d + '/string-2e63.gguf', 'wb').write(header(0, 1) + kv_str(b'general.architecture', b'llama', 1 << 63))
arr = s(b'tokenizer.ggml.tokens') + struct.pack('<IIQ', 9, 8, 1 << 62) + s(b'a')
open(d + '/array-2e62.gguf', 'wb').write(header(0, 1) + arr)
# one tensor whose data would lie far outside the file, one pair that overlaps
def tensor(name, ne, off): return s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne) + struct.pack('<IQ', 0, off)
def with_tensors(ts, data_len):
    body = header(len(ts), 1) + arch + b''.join(ts)
    body += b'\0' * (-len(body) % 32)
    return body + b'\0' * data_len
open(d + '/outside.gguf', 'wb').write(with_tensors([tensor(b'a', [8], 1 << 40)], 64))
open(d + '/overlap.gguf', 'wb').write(with_tensors([tensor(b'a', [16], 0), tensor(b'b', [16], 32)], 128))
PY
hostile "GGUF claiming 2^60 tensors" 2 "tensor count" info --model "$TMP/tensors-2e60.gguf"
hostile "GGUF claiming 2^60 key/values" 2 "key/value count" info --model "$TMP/kv-2e60.gguf"
hostile "GGUF string of 2^63 bytes" 2 "string-2e63.gguf" info --model "$TMP/string-2e63.gguf"
hostile "GGUF array of 2^62 strings" 2 "array-2e62.gguf" info --model "$TMP/array-2e62.gguf"
hostile "GGUF tensor outside the file" 2 "outside.gguf" info --model "$TMP/outside.gguf"
hostile "GGUF tensors overlapping" 2 "overlaps" info --model "$TMP/overlap.gguf"

# ---- .tiktoken vocabularies: duplicates, empty tokens, absurd ranks
b64() { printf '%s' "$1" | base64 -w0; }
{ for i in $(seq 0 255); do printf "$(printf '\\%03o' "$i")" | base64 -w0; echo " $i"; done; } >"$TMP/bytes.txt"
{ cat "$TMP/bytes.txt"; echo "$(b64 ab) 256"; echo "$(b64 ab) 257"; } >"$TMP/dup.tiktoken"
{ cat "$TMP/bytes.txt"; echo " 256"; } >"$TMP/empty.tiktoken"
{ cat "$TMP/bytes.txt"; echo "$(b64 ab) 16777215"; } >"$TMP/huge-rank.tiktoken"
{ cat "$TMP/bytes.txt"; echo "$(b64 ab) 99999999999999999999999"; } >"$TMP/overflow-rank.tiktoken"
for f in dup empty huge-rank overflow-rank; do cp "$TMP/$f.tiktoken" "$TMP/cl100k-$f.tiktoken"; done
hostile "tiktoken with a duplicate token" 2 "are the same" tokenize --tokenizer "$TMP/cl100k-dup.tiktoken" abab
hostile "tiktoken with an empty token" 2 "cl100k-empty.tiktoken:257" tokenize --tokenizer "$TMP/cl100k-empty.tiktoken" abab
hostile "tiktoken rank past the limit" 2 "too large" tokenize --tokenizer "$TMP/cl100k-overflow-rank.tiktoken" abab
hostile "tiktoken rank 2^24-1 (a sparse table, allowed)" 0 "tokens" tokenize --tokenizer "$TMP/cl100k-huge-rank.tiktoken" abab

# ---- lessons: a 10 MB line, a million heavy commands, the most a lesson may ask for
head -c 10000000 /dev/zero | tr '\0' x >"$TMP/line.lesson"
hostile "lesson of one 10 MB line" 2 "larger than a lesson may be" lesson check "$TMP/line.lesson"
awk -v m="$GLASSBOX_MODEL" 'BEGIN { print "title: t"; for (i = 0; i < 1000000; i++)
    printf "step: s\n> step 64\n> resample\n> model %s\n", m }' >"$TMP/million.lesson"
hostile "lesson repeating heavy commands a million times" 2 "larger than a lesson may be" lesson check "$TMP/million.lesson"
head -c 250000 "$TMP/million.lesson" | sed '$d' >"$TMP/quarter.lesson"
hostile "lesson of heavy commands within the size limit" 2 "generates more than" lesson check "$TMP/quarter.lesson"
{ printf 'title: t\nstep: s\n'; printf '> neighbours " the"\n%.0s' $(seq 1 40); } >"$TMP/many.lesson"
hostile "lesson with too many commands in a step" 2 "more than 32 commands" lesson check "$TMP/many.lesson"
# the heaviest lesson the limits allow: 64 steps of 32 long prompts and neighbour searches
python3 - "$TMP/heavy.lesson" <<'PY'
import sys
words = "def return self value index count while for if else import from class".split()
out = ["title: heavy"]
for s in range(64):
    out.append("step: s%d" % s)
    for c in range(32):
        out.append('> prompt "%s"' % " ".join(words[(s + c + k) % len(words)] for k in range(14))[:100]
                   if c % 2 == 0 else '> neighbours " the"')
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
hostile "the heaviest allowed lesson (2048 commands) is checked" 0 "" lesson check "$TMP/heavy.lesson"

echo "hostile.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
