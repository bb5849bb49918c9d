#!/usr/bin/env bash
# The course: `glassbox lesson check` on every shipped lesson (each step replayed on the default model,
# every computable answer evaluated), and the errors a broken or unsafe lesson gets.
# Run by `make clitest` with $GLASSBOX set to the binary.
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# expect STATUS NAME ARGS...: runs glassbox, output in $TMP/out and $TMP/err.
expect() {
    local want=$1 name=$2 got=0
    shift 2
    "$G" "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else
        bad "$name (exit $got, wanted $want)"
        sed 's/^/     /' "$TMP/err" | head -5
    fi
}
# has NAME FILE PATTERN: the file holds a line matching the extended regex.
has() {
    if grep -Eq -- "$3" "$2"; then ok "$1"; else
        bad "$1 (no line matching '$3')"
        sed 's/^/     /' "$2" | head -5
    fi
}

shopt -s nullglob
lessons=("$ROOT"/lessons/*.lesson)
if [ ${#lessons[@]} -ge 8 ]; then ok "the course has ${#lessons[@]} lessons"; else bad "the course has ${#lessons[@]} lessons, not 8"; fi

expect 0 "lesson check passes on every shipped lesson" lesson check "${lessons[@]}"
has "every lesson is reported ok" "$TMP/out" "08-plausible.lesson: ok"
[ "$(grep -c ': ok' "$TMP/out")" = "${#lessons[@]}" ] && ok "one ok line per lesson" || bad "one ok line per lesson"
if [ -s "$TMP/err" ]; then bad "no warnings on the shipped lessons"; sed 's/^/     /' "$TMP/err" | head -5; else ok "no warnings on the shipped lessons"; fi
# every lesson backs its text with claims and has a task the student performs
for f in "${lessons[@]}"; do
    b=$(basename "$f")
    c=$(sed -n "s/^.*$b: ok ([0-9]* steps, \([0-9]*\) claims, [0-9]* questions, \([0-9]*\) tasks.*/\1 \2/p" "$TMP/out")
    if [ -n "$c" ] && [ "${c% *}" -ge 5 ] && [ "${c#* }" -ge 1 ]; then ok "$b: ${c% *} claims, ${c#* } task(s)"
    else bad "$b has at least 5 claims and a task (has '$c')"; fi
done

# the claims are real: on a model with random weights many of them fail, each named FILE:LINE
"$G" init-model --random --vocab 4096 --layers 4 --heads 6 --kv-heads 6 --dim 192 --ffn 512 -o "$TMP/random.gguf" >/dev/null 2>&1
expect 2 "lesson check fails on a random-weight model" lesson check --model "$TMP/random.gguf" "${lessons[@]}"
n=$(grep -cE '^[^:]+\.lesson:[0-9]+: expected .*, measured ' "$TMP/err" || true)
if [ "$n" -ge 30 ]; then ok "... with $n failed claims as FILE:LINE: expected ..., measured ..."
else bad "... with many failed claims (got $n)"; sed 's/^/     /' "$TMP/err" | head -5; fi
has "... and a count per lesson" "$TMP/err" "08-plausible.lesson: [0-9]+ problems, [0-9]+ of [0-9]+ claims failed"

# a claim that does not hold
printf 'title: Claims\nstep: one\n> prompt "x = 1"\nexpect: tokens "x = 1" > 100\nexpect: kept < 2\n' >"$TMP/claim.lesson"
expect 2 "a claim that does not hold fails the check" lesson check "$TMP/claim.lesson"
has "... as FILE:LINE: expected ..., measured ..." "$TMP/err" "^$TMP/claim.lesson:4: expected tokens \"x = 1\" > 100, measured [0-9]+$"
has "... every failing claim reported" "$TMP/err" "^$TMP/claim.lesson:5: expected kept < 2, measured 4096$"
printf 'title: Claims\nstep: one\nexpect: tokens > 1\n' >"$TMP/badclaim.lesson"
expect 2 "a malformed claim is refused" lesson check "$TMP/badclaim.lesson"
has "... at its line" "$TMP/err" "badclaim.lesson:3: expect: "

# a task: tried with its example, and refused when already done
printf 'title: Task\nstep: one\n> prompt "x"\n? Keep 3.\nanswer: task\ncheck: kept == 3\nexample: > topk 3\n' >"$TMP/task.lesson"
expect 0 "a task whose example does it passes" lesson check "$TMP/task.lesson"
has "... counted" "$TMP/out" "1 tasks"
printf 'title: Task\nstep: one\n> prompt "x"\n? Keep 3.\nanswer: task\ncheck: kept == 4\nexample: > topk 3\n' >"$TMP/task2.lesson"
expect 2 "a task whose example does not do it fails" lesson check "$TMP/task2.lesson"
has "... naming the question" "$TMP/err" "task2.lesson:4: the task's example does not do the task"

# guessable answers: a warning, not a failure
printf 'title: Guess\nstep: 1\n? q\nanswer: choice b\nchoice: x\nchoice: the long one\nstep: 2\n? q\nanswer: choice b\nchoice: y\nchoice: longer one\n' >"$TMP/guess.lesson"
expect 0 "guessable answers only warn" lesson check "$TMP/guess.lesson"
has "... on one letter" "$TMP/err" "guess.lesson: warning: 2 of the 2 lettered answers are b"
has "... on the longest" "$TMP/err" "guess.lesson: warning: 2 of the 2 lettered answers are the longest choice"

# a broken lesson: exit 2, FILE:LINE: message
printf 'title: Broken\n\nstep: one\nSome text.\n> tmep 0.5\n' >"$TMP/typo.lesson"
expect 2 "an unknown command fails the check" lesson check "$TMP/typo.lesson"
has "... naming the file and line" "$TMP/err" "^$TMP/typo.lesson:5: unknown command 'tmep'"

printf 'title: Broken\nstep: one\n? How many tokens?\nhint: count\n' >"$TMP/noanswer.lesson"
expect 2 "a question without an answer fails" lesson check "$TMP/noanswer.lesson"
has "... at the question's line" "$TMP/err" "^$TMP/noanswer.lesson:3: a question without an answer"

printf 'title: Unsafe\nstep: one\n> model /etc/passwd\n' >"$TMP/unsafe.lesson"
expect 2 "a lesson naming a non-model file is refused" lesson check "$TMP/unsafe.lesson"
has "... with the reason" "$TMP/err" "^$TMP/unsafe.lesson:3: model: a lesson may only name a .gguf model file"

printf 'title: Unsafe\nstep: one\n> quit\n' >"$TMP/quit.lesson"
expect 2 "a lesson may not quit the program" lesson check "$TMP/quit.lesson"
has "... with the reason" "$TMP/err" "quit.lesson:3: quit: not allowed in a lesson"

printf 'title: Big\nstep: one\n> prompt "x"\n> step 1000000\n' >"$TMP/huge.lesson"
expect 2 "an absurd count is refused before anything runs" lesson check "$TMP/huge.lesson"
has "... with the reason" "$TMP/err" "huge.lesson:4: step: .*(at most|expected)"

printf 'title: Runtime\nstep: one\n> prompt "f(x)"\n? Which head?\nanswer: top-head "["\n' >"$TMP/runtime.lesson"
expect 2 "an answer that cannot be computed fails the check" lesson check "$TMP/runtime.lesson"
has "... at the answer's line" "$TMP/err" "^$TMP/runtime.lesson:5: top-head"

printf 'title: Bytes\nstep: one\nbad \xff byte\n' >"$TMP/utf8.lesson"
expect 2 "invalid UTF-8 is refused" lesson check "$TMP/utf8.lesson"
has "... with its line" "$TMP/err" "utf8.lesson:3: invalid UTF-8"

# several files: the good ones still pass, the status reports the bad one
expect 2 "a bad file among good ones fails the run" lesson check "${lessons[0]}" "$TMP/typo.lesson"
has "... and the good one is still checked" "$TMP/out" "01-tokens.lesson: ok"

expect 2 "a missing file" lesson check "$TMP/missing.lesson"
has "... is named" "$TMP/err" "missing.lesson: cannot open"
expect 2 "no files" lesson check
expect 2 "no action" lesson
expect 2 "a missing model" lesson check --model "$TMP/none.gguf" "${lessons[0]}"
expect 0 "help" lesson --help
has "... describes check" "$TMP/out" "lesson check"

# ---- the player in the TUI, driven for real inside tmux: walk lesson 1 from start to end, answer a
# question, then kill -9 mid-lesson and check that a restart resumes at the saved step. Every wait
# polls the screen with a time-out.
if command -v tmux >/dev/null; then
    RUN=0
    SOCK="glassbox-lessons-$$-$RUN"
    T() { tmux -L "$SOCK" -f /dev/null "$@"; }
    trap 'T kill-server >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
    STATE="$TMP/state"
    screen() { T capture-pane -p -t gb 2>/dev/null || true; }
    wait_for() { # wait_for TEXT: polls every 50 ms, up to 10 s
        local tries=200
        while ((tries-- > 0)); do
            if screen | grep -qF -- "$1"; then return 0; fi
            sleep 0.05
        done
        return 1
    }
    see() { # see NAME TEXT
        if wait_for "$2"; then ok "$1"; else
            bad "$1 (waited for '$2')"
            screen | sed 's/^/     /' | head -50
        fi
    }
    # start ARGS...: glassbox itself is the pane's process, so its pid is the pane's
    start() { # each run on a fresh tmux server, so an old one shutting down cannot get in the way
        T kill-server >/dev/null 2>&1 || true
        RUN=$((RUN + 1))
        SOCK="glassbox-lessons-$$-$RUN"
        T new-session -d -s gb -x 160 -y 45 \
            "env LC_ALL=C.UTF-8 TERM=tmux-256color XDG_STATE_HOME='$STATE' HOME='$TMP' $(printf '%q ' "$G" "$@"); sleep 60"
    }
    progress_step() { sed -n 's/^lesson "01-tokens.lesson" \([0-9]*\) .*/\1/p' "$STATE/glassbox/progress" 2>/dev/null; }

    start --lesson 1
    see "--lesson 1 opens lesson 1 in a pane" "Text becomes tokens"
    n=$(grep -c '^step:' "${lessons[0]}")
    see "... at its first step" "step 1/$n"
    T send-keys -t gb ":" "answer a" Enter
    see "an answer gets feedback" "you answered: a"
    for ((k = 2; k <= n; k++)); do
        T send-keys -t gb n
        if ! wait_for "step $k/$n"; then bad "n walks to step $k/$n"; break; fi
    done
    [ "$k" -gt "$n" ] && ok "n walks through all $n steps"
    see "the last step says it is the end, with the score" "the end of this lesson"
    see "... and the score" "score 0/"
    T send-keys -t gb p
    see "p goes back a step" "step $((n - 1))/$n"
    T send-keys -t gb p
    see "... and again" "step $((n - 2))/$n"
    # progress is saved at every step: kill -9 now and restart
    for _ in $(seq 50); do [ "$(progress_step)" = "$((n - 3))" ] && break; sleep 0.05; done
    [ "$(progress_step)" = "$((n - 3))" ] && ok "the progress file holds the current step" || bad "the progress file holds the current step (has '$(progress_step)')"
    kill -9 "$(T list-panes -t gb -F '#{pane_pid}')" 2>/dev/null || true
    start --lesson 1
    see "after kill -9, the lesson resumes at the saved step" "step $((n - 2))/$n"
    T send-keys -t gb ":" "prev" Enter
    see "the prev command" "step $((n - 3))/$n"
    T send-keys -t gb q
    start --lessons
    see "--lessons opens the course menu" "The course"
    see "... listing the lessons with their progress" "step $((n - 3))/$n"
    T send-keys -t gb Enter
    see "enter opens the selected lesson where it was left" "step $((n - 3))/$n"
    start --lesson "${lessons[1]}"
    see "--lesson FILE opens that file" "Byte-pair encoding"
    start "${lessons[2]}"
    see "glassbox FILE.lesson opens that file" "Numbers, spaces"
    start
    see "plain glassbox opens the course menu" "The course"
    T send-keys -t gb Escape
    for _ in $(seq 100); do screen | grep -qF "The course" || break; sleep 0.05; done
    if screen | grep -qF "The course"; then bad "esc closes the menu"; else ok "esc closes the menu"; fi
    T kill-server >/dev/null 2>&1 || true
else
    echo "skip the TUI checks: tmux is not installed"
fi
expect 2 "--lesson with a number out of range" --lesson 99
has "... says so" "$TMP/err" "no lesson 99"
expect 2 "a broken lesson file is refused before the TUI starts" --lesson "$TMP/typo.lesson"
has "... with FILE:LINE" "$TMP/err" "typo.lesson:5: unknown command"
expect 2 "... also as glassbox FILE.lesson" "$TMP/typo.lesson"
has "... with FILE:LINE" "$TMP/err" "typo.lesson:5: unknown command"

echo "lessons.sh: $passed passed, $failed failed"
[ "$failed" = 0 ]
