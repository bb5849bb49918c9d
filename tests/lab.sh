#!/usr/bin/env bash
# The tokenizer lab end to end: `glassbox tokenize --compare / --names / --file / --explain` against
# plain `glassbox tokenize --tokenizer X --json` (the same counts and ids), their errors, and the TUI's
# lab panel in tmux (the compare panel shows four rows; merges steps forward and back).
# Run by `make clitest` with $GLASSBOX set to the binary; JSON is read with python3.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GLASSBOX_MODEL=${GLASSBOX_MODEL:-$ROOT/assets/glassbox.gguf}
TMP=$(mktemp -d)
SOCK="glassbox-lab-$$"
export TMUX_TMPDIR="$TMP"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    T kill-server >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/lib/check.sh"

# count_of TOKENIZER TEXT: the token count plain `tokenize --json` gives ("model": the default model's)
count_of() {
    local args=()
    [ "$1" != model ] && args=(--tokenizer "$1")
    printf '%s' "$2" | "$G" tokenize "${args[@]}" --json - 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
ids_of() {
    local args=()
    [ "$1" != model ] && args=(--tokenizer "$1")
    printf '%s' "$2" | "$G" tokenize "${args[@]}" --json - 2>/dev/null | python3 -c 'import json,sys; print(" ".join(str(t["id"]) for t in json.load(sys.stdin)))'
}

VOCABS=(model r50k_base cl100k_base o200k_base)

# ---- --compare: one row per tokenizer, counts as plain tokenize gives them
for text in 'def get_user_name(self):' 'naïve café 東京 🙂' $'    return x\n\n' 'supercalifragilisticexpialidocious'; do
    "$G" tokenize --compare --json -- "$text" >"$TMP/cmp.json"
    for i in 0 1 2 3; do
        want=$(count_of "${VOCABS[$i]}" "$text")
        got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokenizers"][int(sys.argv[2])]["count"])' "$TMP/cmp.json" "$i")
        check "--compare $(printf '%q' "$text"): ${VOCABS[$i]} count $got = $want" test "$got" = "$want"
    done
done
"$G" tokenize --compare 'hello world' >"$TMP/cmp.txt"
check "--compare prints a header and four rows" test "$(wc -l <"$TMP/cmp.txt")" -eq 5
check "--compare rows name the tokenizers" sh -c "grep -q '^model' '$TMP/cmp.txt' && grep -q '^GPT-2 (r50k)' '$TMP/cmp.txt' && grep -q '^GPT-4 (cl100k)' '$TMP/cmp.txt' && grep -q '^GPT-4o (o200k)' '$TMP/cmp.txt'"
check "--compare shows the split with spaces visible" grep -q 'hello ·world' "$TMP/cmp.txt"

# ---- --names: the variants, their counts as plain tokenize gives them, fewest first
"$G" tokenize --names --json user_authentication_token >"$TMP/names.json"
python3 - "$TMP/names.json" >"$TMP/variants" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for v in d["variants"]:
    print(v["style"], v["text"], v["counts"]["model"], v["counts"]["r50k_base"], v["counts"]["cl100k_base"],
          v["counts"]["o200k_base"], v["total"], "py" if v["valid_python"] else "notpy", sep="\t")
EOF
check "--names lists seven variants" test "$(wc -l <"$TMP/variants")" -eq 7
check "--names words" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["words"] == ["user", "authentication", "token"]' "$TMP/names.json"
for want in $'snake_case\tuser_authentication_token' $'camelCase\tuserAuthenticationToken' \
    $'PascalCase\tUserAuthenticationToken' $'SCREAMING_SNAKE_CASE\tUSER_AUTHENTICATION_TOKEN' \
    $'kebab-case\tuser-authentication-token' $'abbrev (4 letters)\tuser_auth_tok' $'abbrev (no vowels)\tusr_athntctn_tkn'; do
    check "--names has ${want//$'\t'/ = }" grep -qF -- "$want" "$TMP/variants"
done
check "--names marks kebab-case as not Python" grep -qP '^kebab-case\t.*\tnotpy$' "$TMP/variants"
check "--names: fewest tokens first" sh -c "cut -f7 '$TMP/variants' | sort -n -c"
while IFS=$'\t' read -r style text c0 c1 c2 c3 total py; do
    got="$c0 $c1 $c2 $c3"
    want="$(count_of model "$text") $(count_of r50k_base "$text") $(count_of cl100k_base "$text") $(count_of o200k_base "$text")"
    check "--names $style: counts $got = $want" test "$got" = "$want"
    check "--names $style: total" test "$total" -eq $((c0 + c1 + c2 + c3))
done <"$TMP/variants"
"$G" tokenize --names --json 'def getHTTPServer(self):' >"$TMP/line.json"
check "--names on a line of code restyles only its identifiers" python3 -c '
import json, sys
v = {x["style"]: x["text"] for x in json.load(open(sys.argv[1]))["variants"]}
assert v["snake_case"] == "def get_http_server(self):", v
assert v["PascalCase"] == "def GetHttpServer(self):", v' "$TMP/line.json"

# ---- --file: counts per tokenizer as plain tokenize gives them for the whole file, costliest lines
SRC="$ROOT/src/model/tokenlab.h"
"$G" tokenize --file "$SRC" --json >"$TMP/file.json"
for i in 0 1 2 3; do
    got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokenizers"][int(sys.argv[2])]["count"])' "$TMP/file.json" "$i")
    args=()
    [ "${VOCABS[$i]}" != model ] && args=(--tokenizer "${VOCABS[$i]}")
    exact=$("$G" tokenize "${args[@]}" --json - <"$SRC" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    check "--file ${VOCABS[$i]}: $got tokens = $exact" test "$got" = "$exact"
done
check "--file: bytes/token and the costliest lines" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")
assert d["bytes"] == len(open(sys.argv[2], "rb").read())
for t in d["tokenizers"]:
    assert abs(t["bytes_per_token"] - d["bytes"] / t["count"]) < 1e-3, t
c = d["costliest"]
assert len(c) == 10, len(c)
assert all(c[i]["tokens"] >= c[i + 1]["tokens"] for i in range(len(c) - 1)), c
for x in c:
    assert lines[x["line"] - 1] == x["text"], x
    assert 0 <= x["indent_tokens"] < x["tokens"]
' "$TMP/file.json" "$SRC"
printf 'if x:\n        y = 1\n' >"$TMP/indent.py"
"$G" tokenize --file "$TMP/indent.py" --tokenizer cl100k_base --json >"$TMP/indent.json"
check "--file: an indented line has its indentation tokens counted" python3 -c '
import json, sys
c = {x["line"]: x for x in json.load(open(sys.argv[1]))["costliest"]}
assert c[2]["indent_tokens"] >= 1 and c[1]["indent_tokens"] == 0, c' "$TMP/indent.json"
"$G" tokenize --file "$SRC" >"$TMP/file.txt"
check "--file text names the tokenizers and bytes/token" sh -c "grep -q 'bytes/token' '$TMP/file.txt' && grep -q 'GPT-4o (o200k)' '$TMP/file.txt'"

# ---- --explain: the replay ends where the encoder does; one line per merge
for tk in r50k_base cl100k_base o200k_base model; do
    args=()
    [ "$tk" != model ] && args=(--tokenizer "$tk")
    for word in ' tokenization' 'HTTPServer' '    return' 'naïve aaaaaaaaaaaaaaaaaaaa'; do
        "$G" tokenize --explain --json "${args[@]}" -- "$word" >"$TMP/ex.json"
        got=$(python3 -c 'import json,sys; print(" ".join(str(i) for c in json.load(open(sys.argv[1]))["chunks"] for i in c["tokens"]))' "$TMP/ex.json")
        want=$(ids_of "$tk" "$word")
        check "--explain $tk '$word': final ids = tokenize's ($want)" test "$got" = "$want"
    done
done
"$G" tokenize --explain --tokenizer cl100k_base tokenization >"$TMP/ex.txt"
merges=$("$G" tokenize --explain --json --tokenizer cl100k_base tokenization | python3 -c 'import json,sys; print(json.load(sys.stdin)["merges"])')
check "--explain prints one line per merge ($merges)" test "$(grep -c '^  rank ' "$TMP/ex.txt")" -eq "$merges"
check "--explain starts from the bytes" grep -q '^  bytes .* t o k e n i z a t i o n$' "$TMP/ex.txt"
check "--explain: each merge is the lowest-ranked pair, so ranks rise" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [s["rank"] for c in d["chunks"] for s in c["steps"]]
assert r == sorted(r), r' <("$G" tokenize --explain --json --tokenizer o200k_base 'antidisestablishmentarianism')

# ---- errors: one line, status 2
err_case() { # err_case NAME EXPECTED-TEXT ARGS...
    local name=$1 want=$2 st=0
    shift 2
    "$G" "$@" >"$TMP/out" 2>"$TMP/err" || st=$?
    if [ "$st" = 2 ] && grep -qF -- "$want" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ]; then ok "$name"; else
        bad "$name (status $st: $(head -c 200 "$TMP/err"))"
    fi
}
err_case "two lab modes at once" "one at a time" tokenize --compare --names x
err_case "--file of a missing file" "$TMP/nope.py" tokenize --file "$TMP/nope.py"
err_case "--file with a TEXT" "--file takes no TEXT" tokenize --file "$SRC" extra
err_case "--explain of a too long chunk" "too long to replay" tokenize --explain --tokenizer cl100k_base "$(head -c 5000 /dev/zero | tr '\0' x)"
err_case "--compare with an unknown tokenizer" "nope.tiktoken" tokenize --compare --tokenizer "$TMP/nope.tiktoken" x
err_case "--names without TEXT" "missing TEXT" tokenize --names

# ---- the TUI's lab panel, in tmux
if command -v tmux >/dev/null; then
    screen() { T capture-pane -p -t gb; }
    wait_for() {
        local tries=$((${2:-10} * 20))
        while ((tries-- > 0)); do
            if screen | grep -qF -- "$1"; then return 0; fi
            sleep 0.05
        done
        return 1
    }
    tcheck() { if wait_for "$2" "${3:-10}"; then ok "$1"; else bad "$1 (waited for '$2')"; screen | sed 's/^/     /'; fi; }
    T new-session -d -s gb -x 110 -y 32 "env LC_ALL=C.UTF-8 TERM=tmux-256color INPUTRC=/dev/null XDG_STATE_HOME='$TMP/state' HOME='$TMP' '$G' --model '$GLASSBOX_MODEL'"
    tcheck "tui: started" "pos "
    T send-keys -t gb ':' 'compare def get_user_name(self):' Enter
    tcheck "tui: compare opens the panel" "Tokenizer lab: compare"
    rows=$(screen | grep -cE '(model|GPT-2 \(r50k\)|GPT-4 \(cl100k\)|GPT-4o \(o200k\)) +[0-9]+ tokens +def·get_user_name') || true
    check "tui: the compare panel shows four rows (got $rows)" test "$rows" -eq 4
    LABELS=('model' 'GPT-2 \(r50k\)' 'GPT-4 \(cl100k\)' 'GPT-4o \(o200k\)')
    for i in 1 2 3; do
        want=$(count_of "${VOCABS[$i]}" 'def get_user_name(self):')
        if screen | grep -qE "${LABELS[$i]} +$want tokens"; then ok "tui: compare ${VOCABS[$i]}: $want tokens"; else
            bad "tui: compare ${VOCABS[$i]}: $want tokens"; fi
    done
    T send-keys -t gb Escape
    closed=0
    for _ in $(seq 200); do
        if ! screen | grep -qF "Tokenizer lab"; then closed=1; break; fi
        sleep 0.05
    done
    check "tui: esc closes the panel" test "$closed" = 1
    T send-keys -t gb ':' 'merges tokenization' Enter
    tcheck "tui: merges opens at merge 0" "merge 0 of"
    T send-keys -t gb Right
    tcheck "tui: → applies one merge" "merge 1 of"
    tcheck "tui: the merge applied is shown" "last merge: rank"
    T send-keys -t gb End
    tcheck "tui: end applies them all" "done: "
    T send-keys -t gb Home Right Left
    tcheck "tui: ← goes back" "merge 0 of"
    T send-keys -t gb t
    tcheck "tui: t replays under GPT-2" "under GPT-2 (r50k): merge 0 of"
    T send-keys -t gb Escape ':' 'names userId' Enter
    tcheck "tui: names shows the variants" "SCREAMING_SNAKE_CASE"
    tcheck "tui: names shows camelCase" "camelCase"
    T send-keys -t gb Escape C
    tcheck "tui: C compares the text so far" "Tokenizer lab: compare"
    tcheck "tui: C shows the prompt" "tokens  def·fibonacci"
    T send-keys -t gb Escape q
    for _ in $(seq 100); do T has-session -t gb 2>/dev/null || break; sleep 0.05; done
    if T has-session -t gb 2>/dev/null && screen | grep -q "pos "; then bad "tui: q quits after the panel"; else ok "tui: q quits after the panel"; fi
else
    echo "skip the TUI checks: tmux is not installed"
fi

echo "lab.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
