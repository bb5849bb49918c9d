#!/usr/bin/env bash
# Bash completion (scripts/glassbox.bash, installed as .../bash-completion/completions/glassbox): sourced
# into a plain bash, its function is called with COMP_WORDS / COMP_CWORD as bash would, and the
# candidates are checked: subcommands, each subcommand's options (read from its --help), the TUI's
# commands after `help`, option values, lesson numbers and files.
# Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
G=$(cd "$(dirname "$G")" && pwd)/$(basename "$G")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$ROOT/tests/lib/check.sh"
. "$ROOT/scripts/glassbox.bash"

complete -p glassbox | grep -q -- "-F _glassbox" && ok "complete -p glassbox names _glassbox" || bad "complete -p glassbox"

# complete WORD...: the candidates for the last word, one a line, sorted, in $TMP/got
complete_words() {
    COMP_WORDS=("$G" "$@")
    COMP_CWORD=$#
    COMPREPLY=()
    _glassbox
    printf '%s\n' "${COMPREPLY[@]}" | sort >"$TMP/got"
}
# offers WORDS -- WANT...: every WANT is among the candidates
offers() {
    local words=() w
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    complete_words "${words[@]}"
    for w in "$@"; do grep -qxF -- "$w" "$TMP/got" || { echo "     '$w' not offered; got: $(tr '\n' ' ' <"$TMP/got")"; return 1; }; done
}
# only WORDS -- WANT...: the candidates are exactly the WANTs
only() {
    local words=()
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    complete_words "${words[@]}"
    printf '%s\n' "$@" | sort | diff -q - "$TMP/got" >/dev/null || { echo "     got: $(tr '\n' ' ' <"$TMP/got")"; return 1; }
}

mapfile -t subs < <("$G" --list-subcommands)
check "an empty word offers every subcommand and help" offers "" -- "${subs[@]}" help
check "ge completes to generate" only ge -- generate
check "tr offers train and train-tokenizer" only tr -- train train-tokenizer
check "a dash offers the global and TUI options" offers - -- --help --version --list-commands --lesson --model --big
check "generate's options" offers generate --t -- --temp --top-k --top-p
check "generate --top- offers exactly --top-k and --top-p" only generate --top- -- --top-k --top-p
check "probs --ex offers --explain" only probs --ex -- --explain
check "tokenize's lab options" offers tokenize - -- --compare --names --explain --file --json --tokenizer
check "options after an argument" offers generate "def f():" --se -- --seed
check "export -o is offered" offers export - -- -o --view --format
check "export --view values" only export --view "" -- tokens attention neighbours probs text
check "export --format values" only export --format s -- svg
check "tokenize --tokenizer names" offers tokenize --tokenizer "" -- gpt2 r50k_base cl100k_base o200k_base
check "lesson offers check" only lesson "" -- check
mapfile -t cmds < <("$G" --list-commands)
check "help offers every TUI command" offers help "" -- "${cmds[@]}"
check "help offers the subcommands too" offers help "" -- "${subs[@]}"
check "help te offers temp" offers help te -- temp
n=$(ls "$ROOT"/lessons/*.lesson | wc -l)
check "--lesson offers the lesson numbers 1..$n" offers --lesson "" -- $(seq 1 "$n")

mkdir -p "$TMP/d"
touch "$TMP/d/model.gguf" "$TMP/d/intro.lesson" "$TMP/d/notes.txt"
check "--model completes a file name" only info --model "$TMP/d/mo" -- "$TMP/d/model.gguf"
check "train --init completes a file name" only train --init "$TMP/d/mo" -- "$TMP/d/model.gguf"
check "train offers --init" offers train --in -- --init
check "lesson check completes .lesson files" only lesson check "$TMP/d/" -- "$TMP/d/intro.lesson"
cd "$TMP/d"
check "a .lesson file in place of a subcommand" offers in -- intro.lesson
cd "$ROOT"

echo "completion.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
