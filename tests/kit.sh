#!/usr/bin/env bash
# The instructor kit end to end: probs --explain adds up, score agrees with generate, export round
# trips (CSV numbers equal the view's, SVG is well-formed XML), a recorded session replays the same.
# Run by `make clitest` with $GLASSBOX set to the binary; numbers are checked with python3.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${GLASSBOX_MODEL:-$ROOT/assets/glassbox.gguf}
export GLASSBOX_MODEL=$MODEL
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/lib/check.sh"
[ -f "$MODEL" ] || { echo "FAIL the default model $MODEL is missing (run make)"; exit 1; }

# ---- explain: p = weight / sum recomputed from the printed numbers equals the sampler's probability,
# which comes from a separate `probs --json` run (the plain path, no explanation involved).
explain_adds_up() { # explain_adds_up TEMP TOPK TOPP
    "$G" probs --explain --json --top 40 --temp "$1" --top-k "$2" --top-p "$3" "def add(a, b):" >"$TMP/ex.json"
    "$G" probs --json --temp "$1" --top-k "$2" --top-p "$3" "def add(a, b):" >"$TMP/pr.json"
    python3 - "$TMP/ex.json" "$TMP/pr.json" <<'PY'
import json, math, sys
ex = json.load(open(sys.argv[1])); pr = {t["id"]: t for t in json.load(open(sys.argv[2]))}
T, rows = ex["temperature"], ex["tokens"]
assert len(rows) == 40, len(rows)
for r in rows:
    w = math.exp(r["scaled"] - ex["max_scaled"])          # exp(logit/T - max/T) from the printed numbers
    assert abs(r["scaled"] - r["logit"] / T) < 1e-6 * max(1, abs(r["scaled"])), r
    assert abs(w - r["weight"]) < 1e-6, (w, r)
    assert abs(w / ex["sum"] - r["prob"]) < 1e-6, r         # softmax before the cut
    want = pr[r["id"]]["prob"]                               # the sampler's own number
    got = w / ex["kept_sum"] if r["kept"] else 0.0
    assert abs(got - want) < 1e-6, (r["id"], got, want)
    assert abs(r["logit"] - pr[r["id"]]["logit"]) < 1e-6
kept = [r for r in rows if r["kept"]]
assert len(kept) == min(ex["n_kept"], 40), (len(kept), ex["n_kept"])
if ex["n_kept"] <= 40:   # the kept probabilities add up to one
    assert abs(sum(r["weight"] for r in kept) / ex["kept_sum"] - 1) < 1e-6
PY
}
check "explain adds up at T 0.8" explain_adds_up 0.8 0 1
check "explain adds up at T 0.3 with top-k 7" explain_adds_up 0.3 7 1
check "explain adds up at T 2 with top-p 0.05" explain_adds_up 2 0 0.05
"$G" probs --explain --temp 0.5 --top-k 3 --top 5 "import os" >"$TMP/ex.txt"
check "explain table names the normaliser" grep -q "normaliser: sum of the weights over all" "$TMP/ex.txt"
check "explain table shows the cut" grep -q "3 tokens kept" "$TMP/ex.txt"
check "explain table has 5 rows" test "$(grep -cE '^ +[0-9]+ +[0-9]+ ' "$TMP/ex.txt")" = 5

# ---- score: teacher-forced log-probabilities equal the per-step ones of a sampled path at T = 1
score_matches_generate() { # SEED
    "$G" generate --json --temp 1 --seed "$1" -n 12 "def main():" >"$TMP/gen.json"
    ids=$(python3 -c 'import json,sys; print(" ".join(str(t["id"]) for t in json.load(open(sys.argv[1]))["tokens"]))' "$TMP/gen.json")
    [ -n "$ids" ] || return 1
    "$G" score --json --ids "def main():" "$ids" >"$TMP/score.json"
    python3 - "$TMP/gen.json" "$TMP/score.json" <<'PY'
import json, math, sys
gen = json.load(open(sys.argv[1]))["tokens"]; sc = json.load(open(sys.argv[2]))
assert [t["id"] for t in gen] == [t["id"] for t in sc["tokens"]]
for g, s in zip(gen, sc["tokens"]):
    assert abs(g["logprob"] - s["logprob"]) < 1e-5, (g, s)
    assert abs(s["bits"] + s["logprob"] / math.log(2)) < 1e-6
    assert s["rank"] >= 1
total = -sum(g["logprob"] for g in gen) / math.log(2)
assert abs(total - sc["total_bits"]) < 1e-4, (total, sc["total_bits"])
assert abs(sc["mean_bits"] - sc["total_bits"] / len(gen)) < 1e-6
PY
}
check "score --ids equals generate's logprobs (seed 7)" score_matches_generate 7
check "score --ids equals generate's logprobs (seed 8)" score_matches_generate 8
# text mode: the continuation is tokenised on its own, and scores as those ids do
score_text_is_ids() {
    "$G" tokenize --json " return a + b" >"$TMP/tok.json" 2>/dev/null
    ids=$(python3 -c 'import json,sys; print(" ".join(str(t["id"]) for t in json.load(open(sys.argv[1]))))' "$TMP/tok.json")
    "$G" score --json "def add(a, b):" " return a + b" >"$TMP/s1.json"
    "$G" score --json --ids "def add(a, b):" "$ids" >"$TMP/s2.json"
    python3 - "$TMP/s1.json" "$TMP/s2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [t["id"] for t in a["tokens"]] == [t["id"] for t in b["tokens"]]
assert [t["logprob"] for t in a["tokens"]] == [t["logprob"] for t in b["tokens"]]
assert a["tokens"][-1]["end"] == len(" return a + b".encode())
PY
}
check "score TEXT tokenises the continuation alone" score_text_is_ids
score_status() { local want=$1 got=0; shift; "$G" score "$@" >/dev/null 2>"$TMP/err" || got=$?; [ "$got" = "$want" ]; }
check "score without a continuation exits 2" score_status 2 "def"
check "score with an empty continuation exits 2" score_status 2 "def" ""
check "score with a bad id exits 2" score_status 2 --ids "def" "1 x"
check "score with an out-of-range id exits 2" score_status 2 --ids "def" "99999999"

# ---- export: SVG is well-formed XML (escapes included), CSV numbers are the view's numbers
svg_ok() { # FILE: parses, has cells and labels, and holds TEXT when given
    python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
rects, texts = root.findall(ns + "rect"), root.findall(ns + "text")
assert rects and texts, (len(rects), len(texts))
if len(sys.argv) > 2:
    assert any(sys.argv[2] in "".join(t.itertext()) for t in texts), "text missing"
PY
}
"$G" export --view attention --layer 1 --head 1 --steps 4 -o "$TMP/heat.svg" "def add(a, b):"
check "export attention .svg is well-formed" svg_ok "$TMP/heat.svg"
"$G" export --view tokens --format svg "x = '<a & \"b\">'" >"$TMP/esc.svg"
check "export SVG escapes & < > \" '" svg_ok "$TMP/esc.svg" "&"
for v in tokens neighbours probs text; do
    "$G" export --view $v --steps 2 -o "$TMP/$v.svg" "def f(x):"
    check "export $v .svg is well-formed" svg_ok "$TMP/$v.svg"
done
probs_csv_equals_view() {
    "$G" export --view probs --steps 2 --format csv "def add(a, b):" >"$TMP/p.csv"
    "$G" export --view probs --steps 2 --format txt --width 120 --height 40 "def add(a, b):" >"$TMP/p.txt"
    python3 - "$TMP/p.csv" "$TMP/p.txt" <<'PY'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
view = {}
for line in open(sys.argv[2]):
    m = re.match(r"\s*(\d+) .*?(\d+\.\d\d)%.*?(\d+\.\d\d)%", line)
    if m: view[int(m.group(1))] = (m.group(2), m.group(3))
assert len(view) >= 10, view
for r in rows[:10]:
    rank = int(r["rank"])
    assert view[rank] == ("%.2f" % (100 * float(r["prob"])), "%.2f" % (100 * float(r["prob_t1"]))), (rank, view[rank], r)
PY
}
check "export probs: CSV numbers equal the view's" probs_csv_equals_view
explain_csv_equals_view() {
    "$G" export --view probs --explain --temp 0.5 --top-k 4 --format csv "def add(a, b):" >"$TMP/e.csv"
    "$G" export --view probs --explain --temp 0.5 --top-k 4 --format txt --width 120 --height 30 "def add(a, b):" >"$TMP/e.txt"
    python3 - "$TMP/e.csv" "$TMP/e.txt" <<'PY'
import csv, math, re, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
txt = open(sys.argv[2]).read()
top = float(rows[0]["logit_over_t"])
for r in rows[:10]:
    w = math.exp(float(r["logit_over_t"]) - top)
    assert abs(w - float(r["weight"])) < 1e-6, r
    assert abs(float(r["logit_over_t"]) - float(r["logit"]) / 0.5) < 1e-6, r
    assert abs(w / float(r["sum"]) - float(r["prob_no_cut"])) < 1e-6, r
    want = w / float(r["kept_sum"]) if r["kept"] == "1" else 0.0
    assert abs(want - float(r["prob"])) < 1e-6, r
    line = re.search(r"^\s*%s .*$" % r["rank"], txt, re.M).group(0)   # the view's row shows the same numbers
    assert "%.4f" % float(r["logit"]) in line and "%.6f" % float(r["weight"]) in line, line
assert sum(r["kept"] == "1" for r in rows) == 4
assert "%.6f" % float(rows[0]["sum"]) in txt and "%.6f" % float(rows[0]["kept_sum"]) in txt, "normalisers on screen"
PY
}
check "export explain: the CSV adds up and equals the view" explain_csv_equals_view
tokens_csv_equals_tokenize() {
    "$G" export --view tokens --format csv "def add(a, b):" >"$TMP/t.csv"
    "$G" tokenize --json "def add(a, b):" >"$TMP/t.json" 2>/dev/null
    python3 - "$TMP/t.csv" "$TMP/t.json" <<'PY'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if int(r["end"]) > int(r["start"])]
toks = json.load(open(sys.argv[2]))
assert [(int(r["id"]), int(r["start"]), int(r["end"])) for r in rows] == [(t["id"], t["start"], t["end"]) for t in toks]
PY
}
check "export tokens: CSV ids and spans equal tokenize's" tokens_csv_equals_tokenize
export_status() { local want=$1 got=0; shift; "$G" export "$@" >/dev/null 2>"$TMP/err" || got=$?; [ "$got" = "$want" ]; }
check "export: unknown view exits 2" export_status 2 --view frob "x"
check "export: unknown extension exits 2" export_status 2 -o "$TMP/x.png" "x"
check "export: bad layer exits 2" export_status 2 --layer 99 "x"
check "export: nothing left behind on failure" test ! -e "$TMP/x.png"

# ---- record in the TUI (tmux), replay headless twice: the same screens; a lesson; another model warns
if command -v tmux >/dev/null; then
    export TMUX_TMPDIR="$TMP" LC_ALL=C.UTF-8 INPUTRC=/dev/null XDG_STATE_HOME="$TMP/state" HOME="$TMP"
    SOCK="glassbox-kit-$$"
    T() { tmux -L "$SOCK" -f /dev/null "$@"; }
    wait_screen() { # TEXT: polls the pane until TEXT shows (10 s)
        for _ in $(seq 200); do T capture-pane -p -t gb 2>/dev/null | grep -qF -- "$1" && return 0; sleep 0.05; done
        return 1
    }
    T new-session -d -s gb -x 120 -y 36 "TERM=tmux-256color $(printf '%q ' "$G" --model "$MODEL" --record "$TMP/rec.lesson")"
    check "TUI --record starts" wait_screen "recording to"
    keys() { for k in "$@"; do T send-keys -t gb "$k"; sleep 0.1; done; }
    cmd() { T send-keys -t gb ":"; sleep 0.1; T send-keys -t gb "$1" Enter; wait_screen "${2:-✓}"; }
    keys Space Space + ']' '}' Left 4
    cmd "explain" "frozen"
    keys - -
    cmd 'score " return n"' "scored"
    cmd "export attention $TMP/tui.svg" "exported"
    cmd "record stop" "recording stopped"
    T send-keys -t gb q
    sleep 0.3
    T kill-server >/dev/null 2>&1 || true
    check "TUI export wrote a well-formed SVG" svg_ok "$TMP/tui.svg"
    check "the recording is a lesson" "$G" lesson check "$TMP/rec.lesson"
    check "keys are recorded as commands" grep -qx "> temp 0.9" "$TMP/rec.lesson"
    check "the explain and score commands are recorded" sh -c "grep -qx '> explain' '$TMP/rec.lesson' && grep -qx '> score \" return n\"' '$TMP/rec.lesson'"
    check "export is not recorded" sh -c "! grep -q '> export' '$TMP/rec.lesson'"
    "$G" replay --headless "$TMP/rec.lesson" >"$TMP/r1.txt" 2>"$TMP/r1.err"
    "$G" replay --headless "$TMP/rec.lesson" >"$TMP/r2.txt" 2>&1
    check "replayed twice: identical screens" cmp -s "$TMP/r1.txt" "$TMP/r2.txt"
    check "replay shows every step" test "$(grep -c '^==== step' "$TMP/r1.txt")" = "$(grep -c '^step:' "$TMP/rec.lesson")"
    check "replay on the recorded model says nothing" test ! -s "$TMP/r1.err"
    check "replay ends on the scored text" sh -c "tail -40 '$TMP/r1.txt' | grep -qF '·return·n'"
    "$G" init-model --random --seed 9 -o "$TMP/other.gguf" >/dev/null 2>&1
    "$G" replay --headless --model "$TMP/other.gguf" "$TMP/rec.lesson" >"$TMP/r3.txt" 2>"$TMP/r3.err" || true
    check "replay on another model says so first" grep -q "is not the model this was recorded on" "$TMP/r3.err"
    # the TUI replay: the lesson pane, a step a key
    T new-session -d -s gb -x 160 -y 40 "TERM=tmux-256color $(printf '%q ' "$G" replay "$TMP/rec.lesson")"
    check "TUI replay opens the recording as a lesson" wait_screen "Recorded session"
    T send-keys -t gb n
    check "n goes to the next step" wait_screen "1 · step"
    frozen_step() { # presses n until the explain step's table shows
        for _ in $(seq 20); do
            T capture-pane -p -t gb | grep -qF "frozen: the logits" && return 0
            T send-keys -t gb n
            sleep 0.15
        done
        return 1
    }
    check "the TUI replay reaches the frozen step and shows the arithmetic" frozen_step
    T send-keys -t gb q
    sleep 0.2
    T kill-server >/dev/null 2>&1 || true
else
    echo "skip record/replay in the TUI: tmux is not installed"
fi

echo "kit.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
