#!/usr/bin/env bash
# glassbox train-tokenizer end to end: a vocabulary whose merges are worked out by hand, written as
# GGUF and used by `glassbox tokenize`; corpus lists; bad arguments exit 2 with a clear message.
# Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/run.sh"
out_is() { [ "$(cat "$TMP/out")" = "$1" ] || { echo "     stdout is: $(cat "$TMP/out")" >&2; return 1; }; }

# "aaab aaab ab": chunks aaab, " aaab", " ab". Merges: a+a (4), a+b (3), aa+ab (2), then " "+ab and
# " "+aaab tie at 1 and the smaller ids go first. 256 + 5 merges + <|endoftext|> = 262 tokens.
printf 'aaab aaab ab' >"$TMP/c1.txt"
check "trains" run_status 0 train-tokenizer --vocab 262 --pattern gpt2 -o "$TMP/v.gguf" "$TMP/c1.txt"
check "reports merges on stderr" err_has "5 merges"
check "names the file written" err_has "$TMP/v.gguf (262 tokens"
check "the trained GGUF tokenizes" run_status 0 tokenize --tokenizer "$TMP/v.gguf" "aaab aaab ab"
check "... into the merged words" out_is "$(printf '258\taaab\t0-4\n260\t\xc2\xb7aaab\t4-9\n259\t\xc2\xb7ab\t9-12')"
check "unseen text falls back to bytes" run_status 0 tokenize --tokenizer "$TMP/v.gguf" "ba"
check "... b, a" out_is "$(printf '98\tb\t0-1\n97\ta\t1-2')"

# a corpus list: two files, one of them given twice, blank lines ignored
printf 'xyxyxy' >"$TMP/c2.txt"
printf '%s\n\n%s\n%s\n' "$TMP/c1.txt" "$TMP/c2.txt" "$TMP/c2.txt" >"$TMP/list"
check "@LIST trains" run_status 0 train-tokenizer --vocab 258 --pattern cl100k -o "$TMP/w.gguf" "@$TMP/list"
# x+y counts 6 (3 in each copy of c2) and beats a+a (4 in c1): the first merge
check "@LIST: first merge from both files" run_status 0 tokenize --tokenizer "$TMP/w.gguf" "xy"
check "... is xy" out_is "$(printf '256\txy\t0-2')"

check "no --vocab exits 2" run_status 2 train-tokenizer -o "$TMP/x.gguf" "$TMP/c1.txt"
check "... says so" err_has "--vocab"
check "tiny --vocab exits 2" run_status 2 train-tokenizer --vocab 100 -o "$TMP/x.gguf" "$TMP/c1.txt"
check "bad --pattern exits 2" run_status 2 train-tokenizer --vocab 300 --pattern bert -o "$TMP/x.gguf" "$TMP/c1.txt"
check "... names it" err_has "bert"
check "missing corpus file exits 2" run_status 2 train-tokenizer --vocab 300 -o "$TMP/x.gguf" "$TMP/nope.txt"
check "... names it" err_has "$TMP/nope.txt"
printf '%s\n%s\n' "$TMP/c1.txt" "$TMP/gone.txt" >"$TMP/badlist"
check "bad line in @LIST exits 2" run_status 2 train-tokenizer --vocab 300 -o "$TMP/x.gguf" "@$TMP/badlist"
check "... names list and line" err_has "$TMP/badlist:2:"
check "no corpus exits 2" run_status 2 train-tokenizer --vocab 300 -o "$TMP/x.gguf"
check "no -o exits 2" run_status 2 train-tokenizer --vocab 300 "$TMP/c1.txt"
check "unwritable output exits 2" run_status 2 train-tokenizer --vocab 300 -o "$TMP/no/such/dir/x.gguf" "$TMP/c1.txt"
check "nothing written on failure" test ! -e "$TMP/x.gguf"

echo "train_tokenizer.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
