#!/usr/bin/env bash
# The TUI's signal policy, driven under tmux: for every signal whose default action ends the process
# (Ctrl-\ = SIGQUIT from the keyboard, the others sent with kill), glassbox dies of that same signal
# (exit status 128 + N) with the terminal restored: canonical mode and echo (stty), the main screen,
# mouse reporting off and the cursor shown (tmux's own view of the pane). glassbox runs under a plain
# `sh -c`, which, unlike an interactive bash, does not repair the tty modes after a job dies.
set -euo pipefail

GB=${GLASSBOX:?set GLASSBOX to the glassbox binary}
command -v tmux >/dev/null || { echo "signals.sh: tmux is not installed" >&2; exit 1; }
TMP=$(mktemp -d)
SOCK="glassbox-signals-$$-0"
RUN=0
export LC_ALL=C.UTF-8 INPUTRC=/dev/null XDG_STATE_HOME="$TMP/state" HOME="$TMP" TMUX_TMPDIR="$TMP"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    T kill-server >/dev/null 2>&1 || true
    rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT
FAILS=0
pass() { echo "  ok: $*"; }
fail() {
    echo "  FAIL: $*" >&2
    T capture-pane -p -t gb >&2 || true
    FAILS=$((FAILS + 1))
}
screen() { T capture-pane -p -t gb; }
wait_for() {
    local want=$1 tries=$((${2:-10} * 20))
    while ((tries-- > 0)); do
        if screen | grep -qF -- "$want"; then return 0; fi
        sleep 0.05
    done
    return 1
}
MODEL_ARGS=()
[ -n "${GLASSBOX_MODEL:-}" ] && MODEL_ARGS=(--model "$GLASSBOX_MODEL")

# run_until_signal NAME SIGNAL: glassbox in a fresh pane, the signal, then its status and the modes.
run_until_signal() {
    local name=$1 sig=$2 num
    num=$(kill -l "$sig")
    T kill-server >/dev/null 2>&1 || true
    RUN=$((RUN + 1))
    SOCK="glassbox-signals-$$-$RUN"
    {
        echo "ulimit -c 0"
        echo "$(printf '%q ' "$GB" "${MODEL_ARGS[@]}") --prompt x"
        echo 'echo RC=$?'
        echo "stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo MODES"
        echo "sleep 60"
    } >"$TMP/run.sh"
    T new-session -d -s gb -x 100 -y 30 "env TERM=tmux-256color bash --norc --noprofile $TMP/run.sh"
    T set-option -t gb status off >/dev/null
    if ! wait_for "pos " 15; then fail "$name: glassbox did not start"; return; fi
    if [ "$sig" = QUIT ]; then
        T send-keys -t gb 'C-\'
    else
        local pid
        pid=$(pgrep -P "$(T list-panes -t gb -F '#{pane_pid}')" -x glassbox | head -1)
        kill -s "$sig" "$pid"
    fi
    if wait_for "RC=$((128 + num))" 10; then pass "$name: exit status $((128 + num))"; else fail "$name: exit status (wanted $((128 + num)))"; fi
    if wait_for "icanon echo MODES" 5; then pass "$name: tty modes restored (icanon echo)"; else fail "$name: tty modes"; fi
    local flags
    flags=$(T display-message -p -t gb '#{alternate_on} #{cursor_flag} #{mouse_any_flag}')
    if [ "$flags" = "0 1 0" ]; then pass "$name: main screen, cursor shown, mouse off"; else fail "$name: alternate/cursor/mouse flags '$flags', wanted '0 1 0'"; fi
}

echo "== fatal signals restore the terminal and re-raise"
run_until_signal "Ctrl-\\ (SIGQUIT)" QUIT
for s in TERM HUP INT ABRT SEGV BUS FPE ILL USR1 ALRM; do run_until_signal "SIG$s" "$s"; done

if [ "$FAILS" -ne 0 ]; then echo "signals.sh: $FAILS failed"; exit 1; fi
echo "signals.sh: all passed"
