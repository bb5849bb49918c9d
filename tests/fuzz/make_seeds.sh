#!/bin/sh
# Regenerates the seed corpora in tests/fuzz/corpus/ (committed; run by hand after format changes):
# tiny models made by the GGUF writer (`glassbox init-model`), small rank files, texts, lesson
# snippets and command lines. Usage: sh tests/fuzz/make_seeds.sh [build/glassbox]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
gb=${1:-$here/../../build/glassbox}
c=$here/corpus
mkdir -p "$c/fuzz_gguf" "$c/fuzz_tiktoken" "$c/fuzz_encode" "$c/fuzz_lesson" "$c/fuzz_commands"

# GGUF: each tensor type, a vocabulary of each split pattern, grouped-query attention.
small="--dim 8 --layers 1 --heads 2 --kv-heads 1 --ffn 16 --ctx 16 --vocab 260"
for ty in f32 f16 bf16; do "$gb" init-model --random $small --type $ty -o "$c/fuzz_gguf/tiny-$ty.gguf" >/dev/null 2>&1; done
"$gb" init-model --random --dim 32 --layers 1 --heads 2 --kv-heads 2 --ffn 32 --ctx 8 --vocab 258 \
  --type q8_0 -o "$c/fuzz_gguf/tiny-q8_0.gguf" >/dev/null 2>&1
"$gb" init-model --random $small --layers 2 --pattern cl100k -o "$c/fuzz_gguf/tiny-cl100k.gguf" >/dev/null 2>&1
"$gb" init-model --random $small --pattern o200k --seed 7 -o "$c/fuzz_gguf/tiny-o200k.gguf" >/dev/null 2>&1

# tiktoken: the first byte picks the name (see fuzz_tiktoken.c); then a rank file.
b64() { printf '%s' "$1" | base64 -w0; }
rank_file() { # the 256 single bytes in order, then a few merges
  i=0
  while [ $i -lt 256 ]; do
    printf "$(printf '\\%03o' $i)" | base64 -w0; printf ' %d\n' $i; i=$((i + 1))
  done
  printf '%s 256\n%s 257\n%s 258\n%s 259\n' "$(b64 ' t')" "$(b64 'he')" "$(b64 ' the')" "$(b64 'in')"
}
{ printf '\000'; rank_file; } >"$c/fuzz_tiktoken/ranks-gpt2"
{ printf '\010'; rank_file; } >"$c/fuzz_tiktoken/ranks-cl100k"
{ printf '\020'; rank_file | tr '\n' '\n' | sed 's/$/\r/'; } >"$c/fuzz_tiktoken/ranks-o200k-crlf"
{ printf '\007'; rank_file | head -40; } >"$c/fuzz_tiktoken/ranks-cl100k-name-partial"
printf '\000%s 0\n%s 1\n%s 5\n' "$(b64 a)" "$(b64 b)" "$(b64 ab)" >"$c/fuzz_tiktoken/ranks-gaps"

# encode: the first byte picks the vocabulary (0-2 merges with each pattern, 3 ranks).
printf '\000def add(a, b):\n    return a + b\n' >"$c/fuzz_encode/code-gpt2"
printf '\001the cat sat on the mat, 12345 times.  \n\n' >"$c/fuzz_encode/prose-cl100k"
printf '\002caf\303\251 \342\202\254 \360\237\230\200 \377\376 <|endoftext|>' >"$c/fuzz_encode/utf8-o200k"
printf '\003self.self(aaaaaaaa)\r\n\t\tin ing rnm' >"$c/fuzz_encode/ranks"
printf "\000I'm you've we'll    x" >"$c/fuzz_encode/contractions"

# lessons: the shipped ones are larger than a seed needs; a few small complete ones.
cat >"$c/fuzz_lesson/choice.lesson" <<'L'
title: Seed
step: One
Some *text* with `code`.
| verbatim line
> prompt "def add(a, b):\n"
> step 2
? Which is right?
choice: a
choice: b
answer: choice b
hint: think
right: yes {answer}
wrong: no {answer}
L
cat >"$c/fuzz_lesson/numbers.lesson" <<'L'
title: Numbers
step: Count
> tokenize getUserName
? How many tokens?
answer: count-tokens "getUserName"
step: Probability
> temp 0.7
> topk 40
> topp 0.9
> seed 3
? What is the top probability?
answer: top-prob within 5
step: Text
? Say it
answer: text "one" "two"
step: Free
? Why?
answer: any
L
cat >"$c/fuzz_lesson/views.lesson" <<'L'
title: Views
step: Heads
> prompt "x = 1\nx"
> layer 1
> head 0
> select -1
> view attention
? Which head?
answer: top-head "x"
step: Near
> neighbours " the"
? Nearest?
answer: neighbour " the"
step: Pick
> pick #5
> step 2
> resample
> back 1
? Likeliest?
choice: " the"
choice: "\n"
answer: likeliest
step: Few
? Fewest?
choice: "getUserName"
choice: "get_user_name"
answer: fewest-tokens
L

# command lines: one each.
i=0
for line in 'prompt "def add(a, b):\n"' 'prompt plain text' 'step 3' 'back' 'pick " return"' 'pick #12' \
  'temp 0.7' 'topk 40' 'topp 0.9' 'seed 42' 'resample' 'select -1' 'layer 0' 'head 1' 'view attention' \
  'neighbours " the"' 'tokenize getUserName' 'model "assets/x y.gguf"' 'help' 'quit' '# comment' \
  'prompt "\x00\t\\\"\xff"' 'temp 1e5' 'seed 9200000000000000000'; do
  printf '%s' "$line" >"$c/fuzz_commands/cmd-$i"; i=$((i + 1))
done
du -sh "$c"/*

# progress files
mkdir -p "$c/fuzz_progress"
printf 'glassbox-progress 1\nlesson "01-tokens.lesson" 2 8\nanswer "01-tokens.lesson" 0 1 "b"\nanswer "01-tokens.lesson" 1 0 "caf\\xc3\\xa9 \\"q\\" \\\\ \\n\\t"\nlesson "x y.lesson" 0 1\n' \
  >"$c/fuzz_progress/two-lessons"
printf 'glassbox-progress 1\n' >"$c/fuzz_progress/empty"
