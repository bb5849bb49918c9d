#!/usr/bin/env bash
# The interactive view, driven for real inside tmux: keys in, screen captured, checked. Runs at 80x24 and
# 200x50, switches views, steps, runs good and bad commands, completes with tab, resizes (down to a size
# below the minimum and back), quits with q, Ctrl-C, SIGTERM and a crash (SIGSEGV), and checks the shell, the screen and the terminal modes
# are back afterwards. Every wait polls the screen with a time-out, no fixed sleeps.
# Needs: $GLASSBOX (the binary); uses $GLASSBOX_MODEL when set, else the binary's default model.
set -euo pipefail

GB=${GLASSBOX:?set GLASSBOX to the glassbox binary}
command -v tmux >/dev/null || { echo "tui.sh: tmux is not installed" >&2; exit 1; }

TMP=$(mktemp -d)
SOCK="glassbox-test-$$-0"
RUN=0
export LC_ALL=C.UTF-8 INPUTRC=/dev/null XDG_STATE_HOME="$TMP/state" HOME="$TMP"
export TMUX_TMPDIR="$TMP" # the test's tmux sockets live (and go) with its temporary directory
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

# wait_for TEXT [SECONDS]: polls the pane every 50 ms until TEXT (a fixed string) shows.
wait_for() {
    local want=$1 tries=$((${2:-10} * 20))
    while ((tries-- > 0)); do
        if screen | grep -qF -- "$want"; then return 0; fi
        sleep 0.05
    done
    return 1
}
# wait_gone TEXT [SECONDS]
wait_gone() {
    local want=$1 tries=$((${2:-10} * 20))
    while ((tries-- > 0)); do
        if ! screen | grep -qF -- "$want"; then return 0; fi
        sleep 0.05
    done
    return 1
}
check() { # check DESCRIPTION TEXT [SECONDS]
    if wait_for "$2" "${3:-10}"; then pass "$1"; else fail "$1 (waited for '$2')"; fi
}
position() { screen | grep -o 'pos [0-9]*' | head -1 | cut -d' ' -f2; }

MODEL_ARGS=()
[ -n "${GLASSBOX_MODEL:-}" ] && MODEL_ARGS=(--model "$GLASSBOX_MODEL")

# start W H ARGS...: a plain shell in a W x H window, then glassbox in it.
start() {
    local w=$1 h=$2
    shift 2
    T kill-server >/dev/null 2>&1 || true
    RUN=$((RUN + 1))
    SOCK="glassbox-test-$$-$RUN" # a fresh server each time: no race with the old one shutting down
    T new-session -d -s gb -x "$w" -y "$h" "env PS1='READY\$ ' HISTFILE=/dev/null TERM=tmux-256color bash --norc --noprofile"
    T set-option -t gb status off >/dev/null
    wait_for 'READY$' 5 || { fail "the test shell did not start"; return 1; }
    T send-keys -t gb "clear; $(printf '%q ' "$GB" "${MODEL_ARGS[@]}" "$@")" Enter
}

terminal_is_sane() { # after glassbox exits: the prompt is back and the tty is in canonical mode with echo
    T send-keys -t gb "clear; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo MODES" Enter
    if wait_for 'icanon echo MODES' 5; then pass "$1: terminal modes restored (icanon, echo)"; else fail "$1: terminal modes"; fi
}

echo "== 80x24"
start 80 24 --prompt "x"
check "first frame at 80x24" "pos "
check "one view with tabs" "1 Tokens"
p0=$(position)
T send-keys -t gb Space
check "space steps: position $p0 -> $((p0 + 1))" "pos $((p0 + 1))/"
T send-keys -t gb 2
check "key 2 shows the attention view" "─ 2 Attention ─"
check "heat map axis legend" "query ↓ key →"
check "heat map row label of the first token" "│x "
check "layer x head grid" 'L\H'
T send-keys -t gb ']' '}'
check "] and } choose layer 1 head 1" "layer 1/"
check "status shows layer and head" "L1 H1"
# a click on the layer x head grid picks that head: find the row of layer 0 and the column of head 0
grid=$(screen | grep -n 'L\\H' | head -1 | cut -d: -f1)
col=$(screen | sed -n "${grid}p" | sed 's/L\\H.*//' | wc -m)
if [ -n "$grid" ]; then
    # cell of layer 0, head 0: one row down, 4 columns right of "L\H" (0-based x = col - 1 + 4)
    printf -v click '\e[M%b%b%b' '\x20' "\\x$(printf %x $((32 + col + 4)))" "\\x$(printf %x $((32 + grid + 1)))"
    T send-keys -t gb -l "$click"
    check "a click on the grid picks layer 0 head 0" "L0 H0"
else
    fail "layer x head grid not found"
fi
T send-keys -t gb 3
check "key 3 shows the neighbours view" "─ 3 Neighbours ─"
check "neighbours of the selected token" "nearest to"
T send-keys -t gb 4
check "key 4 shows the next-token view" "─ 4 Next token ─"
check "entropy shown" "entropy "
T send-keys -t gb 1
check "key 1 shows the tokens view" "─ 1 Tokens ─"
check "token counts" "characters"

# commands: a good one, a bad one, completion
T send-keys -t gb ':' 'step 2' Enter
check "':step 2' moves the position by 2" "pos $((p0 + 3))/"
T send-keys -t gb ':' 'temp x' Enter
check "a bad command shows its error" "temp: expected a number ≥ 0, got 'x'"
T send-keys -t gb ':' 'frobnicate' Enter
check "an unknown command is named" "unknown command 'frobnicate'"
T send-keys -t gb ':' 'temp 0.5' Enter
check "temp 0.5 shows in the status line" "T 0.50"
T send-keys -t gb ':' 'vi' Tab
check "tab completes the command name" ":view"
T send-keys -t gb 'att' Tab
check "tab completes the view name" ":view attention"
T send-keys -t gb Enter
check "the completed command runs" "─ 2 Attention ─"
T send-keys -t gb ':' 'layer ' Tab
check "tab lists the layer numbers" "matches: 0  1"
T send-keys -t gb Escape
T send-keys -t gb ':' 'step 1'
T send-keys -t gb Escape
if wait_gone ":step 1" 5; then pass "escape cancels the command line"; else fail "escape cancels the command line"; fi
T send-keys -t gb BSpace
check "backspace steps back" "pos $((p0 + 2))/"
T send-keys -t gb '+'
check "+ raises the temperature" "T 0.60"

# the chooser picks a token by hand; e opens the prompt for editing
p1=$(position)
T send-keys -t gb p
check "p opens the chooser" "Pick the next token"
T send-keys -t gb Down Enter
check "enter picks: position $p1 -> $((p1 + 1))" "pos $((p1 + 1))/"
T send-keys -t gb 1
check "the picked token is marked in the list" "%*"
T send-keys -t gb BSpace
check "back again" "pos $p1/"
T send-keys -t gb e
check "e opens the prompt for editing" ':prompt "x"'
T send-keys -t gb Escape
T send-keys -t gb 2

# help overlay lists keys and commands
T send-keys -t gb '?'
check "help overlay opens" "Help: keys and commands"
check "help lists the keys" "generate one token"
for _ in 1 2 3 4 5; do
    screen | grep -qF "prompt TEXT" && break
    T send-keys -t gb NPage
    sleep 0.1
done
check "help scrolls to the commands" "prompt TEXT"
T send-keys -t gb Escape
if wait_gone "COMMANDS" 5; then pass "help closes with escape"; else fail "help closes with escape"; fi

# resizes: bigger, too small, back
T resize-window -t gb -x 120 -y 30
check "follows a resize to 120x30" "pos $((p0 + 2))/" 5
if screen | awk 'NR==2' | grep -q '┐$' && [ "$(screen | awk 'NR==2' | wc -m)" -ge 120 ]; then pass "frame spans 120 columns"; else fail "frame spans 120 columns"; fi
T resize-window -t gb -x 60 -y 20
check "below 80x24 asks to enlarge" "enlarge the terminal (need 80×24, have 60×20)"
T resize-window -t gb -x 80 -y 24
check "back at 80x24" "─ 2 Attention ─"
T send-keys -t gb q
check "q quits to the shell" "READY\$" 5
terminal_is_sane "after q"
if grep -qxF 'temp x' "$XDG_STATE_HOME/glassbox/history" && grep -qxF 'step 2' "$XDG_STATE_HOME/glassbox/history"; then
    pass "history saved to \$XDG_STATE_HOME/glassbox/history"
else
    fail "history saved to \$XDG_STATE_HOME/glassbox/history"
fi

echo "== 200x50"
start 200 50 --prompt "x"
for title in "─ 1 Tokens ─" "─ 2 Attention ─" "─ 3 Neighbours ─" "─ 4 Next token ─"; do
    check "wide layout shows $title" "$title"
done
check "first frame at 200x50" "pos "
p0=$(position)
T send-keys -t gb ':' 'step 3' Enter
check "step 3 in the wide layout" "pos $((p0 + 3))/"
T send-keys -t gb ':' Up
check "history recalls the last command" ":step 3"
T send-keys -t gb Escape
T send-keys -t gb C-c
check "Ctrl-C quits to the shell" "READY\$" 5
T send-keys -t gb 'echo "status=$?"' Enter
check "Ctrl-C exit status 130" "status=130" 5
terminal_is_sane "after Ctrl-C"

echo "== lesson mode"
start 120 35 --lesson 1
check "--lesson 1 opens the lesson pane" "─ Lesson ─"
check "at its first step" "step 1/"
T send-keys -t gb n
check "n goes to the next step" "step 2/"
T send-keys -t gb ':' 'prev' Enter
check ":prev goes back" "step 1/"
T send-keys -t gb ':' 'lessons' Enter
check ":lessons opens the course menu" "─ Lessons ─"
T send-keys -t gb Escape
if wait_gone "─ Lessons ─" 5; then pass "escape closes the menu"; else fail "escape closes the menu"; fi
T send-keys -t gb q
check "quits" "READY\$" 5

echo "== SIGTERM and a fatal signal"
# glassbox is the child of the pane's shell: signal it by its process id
glassbox_pid() { pgrep -P "$(T list-panes -t gb -F '#{pane_pid}')" | head -1; }
start 100 30 --prompt "x"
T send-keys -t gb ':' 'step 2'   # leave the command line open: the exit must still restore everything
if wait_for "pos " 10 && pid=$(glassbox_pid) && [ -n "$pid" ]; then
    kill -TERM "$pid"
    check "SIGTERM quits to the shell" "READY\$" 5
    terminal_is_sane "after SIGTERM"
else
    fail "glassbox did not start for the SIGTERM check"
fi
T send-keys -t gb "clear; ulimit -c 0; $(printf '%q ' "$GB" "${MODEL_ARGS[@]}") --prompt x" Enter
if wait_for "pos " 10 && pid=$(glassbox_pid) && [ -n "$pid" ]; then
    kill -SEGV "$pid"
    check "a crash (SIGSEGV) still returns to the shell" "READY\$" 5
    # bash itself resets the tty modes after a job killed by a signal, so what shows glassbox's own
    # clean-up is the screen: endwin left the alternate screen, so the frame is gone
    if wait_gone "pos " 5; then pass "after SIGSEGV: the screen was restored (frame gone)"; else fail "after SIGSEGV: the frame is still on the screen"; fi
    terminal_is_sane "after SIGSEGV"
else
    fail "glassbox did not start for the SIGSEGV check"
fi

echo "== projector mode"
start 200 50 --big --prompt "x"
check "--big starts" "pos "
if screen | grep -qF "─ 2 Attention ─"; then fail "--big shows one view at a time"; else pass "--big shows one view at a time"; fi
T send-keys -t gb B
check "B leaves projector mode: all four views" "─ 4 Next token ─"
T send-keys -t gb q
check "quits" "READY\$" 5

echo "== NO_COLOR"
export NO_COLOR=1
start 100 30 --prompt "x"
check "starts with NO_COLOR" "pos "
T send-keys -t gb 2
check "attention view without colour" "─ 2 Attention ─"
if T capture-pane -e -p -t gb | grep -qE $'\e\\[[0-9;]*(38|48);'; then fail "NO_COLOR: colour escapes on screen"; else pass "NO_COLOR: no colours on screen"; fi
T send-keys -t gb q
check "quits" "READY\$" 5
unset NO_COLOR
start 100 30 --prompt "x"
check "starts with colour" "pos "
T send-keys -t gb 2
check "attention view in colour" "─ 2 Attention ─"
if T capture-pane -e -p -t gb | grep -qE $'\e\\[[0-9;]*(38|48);'; then pass "colours on screen otherwise"; else fail "colours on screen otherwise"; fi
T send-keys -t gb q
check "quits" "READY\$" 5

echo "== no colour, ASCII locale"
export LC_ALL=C
start 80 24 --prompt "x"
check "ASCII frame when the locale is not UTF-8" "+- 1 Tokens -"
T send-keys -t gb q
check "quits" "READY\$" 5
export LC_ALL=C.UTF-8

echo "== bad option"
start 80 24 --frobnicate
check "unknown option is named" "unknown option '--frobnicate'"

if [ "$FAILS" -ne 0 ]; then
    echo "tui.sh: $FAILS check(s) failed" >&2
    exit 1
fi
echo "tui.sh: all checks passed"
