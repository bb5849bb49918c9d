#!/usr/bin/env bash
# Terminal hygiene of the interactive view under tmux: Ctrl-Z then fg, a storm of 200 resizes in about
# a second, SIGTERM and Ctrl-C afterwards. The program keeps running (and answering keys) or exits
# cleanly, and the terminal is usable afterwards: canonical mode and echo back, a command typed at
# the shell runs. Then the state files: a history or progress file that is garbage, a directory or a
# FIFO is reported and set aside (renamed *.corrupt-TIME), never hangs or crashes the program, and
# never costs the other file. tui.sh covers the ordinary keys, q, Ctrl-C, SIGTERM and SIGSEGV.
# Needs: $GLASSBOX (the binary) and tmux.
set -euo pipefail

GB=${GLASSBOX:?set GLASSBOX to the glassbox binary}
command -v tmux >/dev/null || { echo "hygiene.sh: tmux is not installed" >&2; exit 1; }

TMP=$(mktemp -d)
SOCK="glassbox-hygiene-$$-0"
RUN=0
export LC_ALL=C.UTF-8 INPUTRC=/dev/null XDG_STATE_HOME="$TMP/state" HOME="$TMP"
export TMUX_TMPDIR="$TMP"
unset NO_COLOR COLORTERM || true
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    T kill-server >/dev/null 2>&1 || true
    for _ in 1 2 3 4 5; do rm -rf "$TMP" 2>/dev/null && break; sleep 0.1; done
}
trap cleanup EXIT

FAILS=0
pass() { echo "  ok: $*"; }
fail() {
    echo "  FAIL: $*" >&2
    echo "---- screen ----" >&2
    T capture-pane -p -t gb >&2 || true
    echo "----------------" >&2
    FAILS=$((FAILS + 1))
}
screen() { T capture-pane -p -t gb; }
wait_for() { # wait_for TEXT [SECONDS]: polls the pane every 50 ms
    local want=$1 tries=$((${2:-10} * 20))
    while ((tries-- > 0)); do
        if screen | grep -qF -- "$want"; then return 0; fi
        sleep 0.05
    done
    return 1
}
check() { if wait_for "$2" "${3:-10}"; then pass "$1"; else fail "$1 (waited for '$2')"; fi; }
position() { screen | grep -o 'pos [0-9]*' | head -1 | cut -d' ' -f2; }
MODEL_ARGS=()
[ -n "${GLASSBOX_MODEL:-}" ] && MODEL_ARGS=(--model "$GLASSBOX_MODEL")

start() { # start W H ARGS...: a plain shell in a W x H window, then glassbox in it
    local w=$1 h=$2
    shift 2
    T kill-server >/dev/null 2>&1 || true
    RUN=$((RUN + 1))
    SOCK="glassbox-hygiene-$$-$RUN"
    T new-session -d -s gb -x "$w" -y "$h" "env PS1='READY\$ ' HISTFILE=/dev/null TERM=tmux-256color bash --norc --noprofile"
    T set-option -t gb status off >/dev/null
    wait_for 'READY$' 5 || { fail "the test shell did not start"; return 1; }
    T send-keys -t gb "clear; $(printf '%q ' "$GB" "${MODEL_ARGS[@]}" "$@")" Enter
}
terminal_is_sane() { # the prompt is back, the tty is in canonical mode with echo, and a command runs
    T send-keys -t gb "clear; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo MODES" Enter
    if wait_for 'icanon echo MODES' 5; then pass "$1: terminal modes restored (icanon, echo)"; else fail "$1: terminal modes"; fi
    T send-keys -t gb "clear; echo \$((6 * 7))" Enter
    if wait_for '42' 5; then pass "$1: a shell command runs"; else fail "$1: a shell command runs"; fi
}
glassbox_pid() { pgrep -P "$(T list-panes -t gb -F '#{pane_pid}')" | head -1; }
steps_on() { # steps_on WHAT: space must move the position by one
    local p
    p=$(position)
    T send-keys -t gb Space
    check "$1: space still steps ($p -> $((p + 1)))" "pos $((p + 1))/"
}

echo "== Ctrl-Z, then fg"
start 100 30 --prompt "x"
check "starts" "pos "
T send-keys -t gb C-z
check "Ctrl-Z stops it: the shell is back" "READY\$" 5
terminal_is_sane "while stopped"
T send-keys -t gb "clear; fg" Enter
check "fg redraws the view" "pos " 5
steps_on "after fg"
p=$(position)
T send-keys -t gb ':' 'step 2' Enter
check "after fg: a command works (:step 2: $p -> $((p + 2)))" "pos $((p + 2))/"
T send-keys -t gb C-z
check "a second Ctrl-Z" "READY\$" 5
T send-keys -t gb "clear; fg" Enter
check "a second fg" "pos " 5
T send-keys -t gb C-c
check "Ctrl-C after Ctrl-Z/fg quits" "READY\$" 5
T send-keys -t gb 'echo "status=$?"' Enter
check "Ctrl-C exit status 130" "status=130" 5
terminal_is_sane "after Ctrl-Z, fg, Ctrl-C"

echo "== a storm of 200 resizes"
start 100 30 --prompt "x"
check "starts" "pos "
t0=$(date +%s.%N)
for i in $(seq 1 100); do
    T resize-window -t gb -x $((60 + i % 90)) -y $((15 + i % 40)) \; resize-window -t gb -x $((200 - i)) -y $((55 - i % 30))
done
t1=$(date +%s.%N)
echo "  (200 resizes in $(echo "$t1 - $t0" | bc 2>/dev/null || echo "?") s)"
T resize-window -t gb -x 120 -y 30
if pid=$(glassbox_pid) && [ -n "$pid" ]; then pass "still running after the storm"; else fail "still running after the storm"; fi
check "settles at 120x30" "pos " 5
settled() { # the whole frame drawn for 120x30: title row, top edge 120 wide, status line at the bottom
    screen | awk 'NR==1' | grep -q '^ glassbox' && screen | awk 'NR==2' | grep -q '┐$' &&
        [ "$(screen | awk 'NR==2' | wc -m)" -ge 120 ] && screen | awk 'NR==29' | grep -q '^ pos '
}
tries=200 # the queued resizes are worked through, then the last size wins (polls up to 10 s)
while ((tries-- > 0)) && ! settled; do sleep 0.05; done
if settled; then pass "the frame is redrawn whole for the final 120x30"; else fail "the frame is redrawn whole for the final 120x30"; fi
steps_on "after the storm"
if pid=$(glassbox_pid) && [ -n "$pid" ]; then
    kill -TERM "$pid"
    check "SIGTERM after the storm quits to the shell" "READY\$" 5
    terminal_is_sane "after the storm and SIGTERM"
else
    fail "glassbox is not running for SIGTERM"
fi

echo "== corrupt, odd and unreadable state files"
state=$XDG_STATE_HOME/glassbox
mkdir -p "$state"
# history: binary garbage; progress: garbage too. Both are set aside, each on its own.
head -c 4096 /dev/urandom >"$state/history"
printf 'garbage\0\1\2' >"$state/history"
printf 'not a progress file\n' >"$state/progress"
start 100 30 --prompt "x"
check "starts with a garbage history and progress file" "pos "
check "the bad files are reported (the progress file first)" "progress file" 5
T send-keys -t gb ':' 'step 1' Enter
T send-keys -t gb q
check "quits" "READY\$" 5
if ls "$state"/history.corrupt-* >/dev/null 2>&1; then pass "garbage history set aside"; else fail "garbage history set aside"; fi
if ls "$state"/progress.corrupt-* >/dev/null 2>&1; then pass "garbage progress set aside"; else fail "garbage progress set aside"; fi
if grep -qxF 'step 1' "$state/history"; then pass "a new history is saved"; else fail "a new history is saved"; fi
rm -rf "$state"/*.corrupt-*

# history: a FIFO (reading it would block for ever); progress stays good and untouched
mkfifo "$state/fifo-history.tmp"
mv "$state/history" "$state/good-history"
mv "$state/fifo-history.tmp" "$state/history"
printf 'glassbox-progress 1\nlesson "01-tokens.lesson" 1 5\n' >"$state/progress"
cp "$state/progress" "$TMP/progress.before"
start 100 30 --prompt "x"
check "starts with a FIFO as its history (no hang)" "pos " 10
check "the FIFO is reported" "not a regular file" 5
T send-keys -t gb q
check "quits" "READY\$" 5
if [ -p "$(ls -d "$state"/history.corrupt-* 2>/dev/null | head -1)" ]; then pass "the FIFO is set aside"; else fail "the FIFO is set aside"; fi
if cmp -s "$state/progress" "$TMP/progress.before" || grep -qF '"01-tokens.lesson" 1' "$state/progress"; then
    pass "the progress file is not affected by a bad history"
else
    fail "the progress file is not affected by a bad history"
fi
rm -rf "$state"/*.corrupt-*

# history and progress: directories in their place
rm -f "$state/history" "$state/progress"
mkdir "$state/history" "$state/progress"
start 100 30 --lesson 1
check "starts with directories as its history and progress" "step 1/" 10
check "the bad files are reported" "not a regular file" 5
T send-keys -t gb n
check "the lesson moves on" "step 2/"
T send-keys -t gb ':' 'step 1' Enter
T send-keys -t gb q
check "quits" "READY\$" 5
n_aside=$(ls -d "$state"/history.corrupt-* "$state"/progress.corrupt-* 2>/dev/null | wc -l)
if [ "$n_aside" -eq 2 ]; then pass "both directories set aside"; else fail "both directories set aside ($n_aside)"; fi
if [ -f "$state/history" ] && [ -f "$state/progress" ] && grep -q 'lesson "01' "$state/progress"; then
    pass "fresh history and progress files saved"
else
    fail "fresh history and progress files saved"
fi
terminal_is_sane "after bad state files"

if [ "$FAILS" -ne 0 ]; then
    echo "hygiene.sh: $FAILS check(s) failed" >&2
    exit 1
fi
echo "hygiene.sh: all checks passed"
