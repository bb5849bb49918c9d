#!/usr/bin/env bash
# `make install` and `make uninstall` (issue 11). A copy of the tree is built at -O0 and installed with
# PREFIX=$TMP/prefix; the copy is then renamed, so nothing of the build tree is in view, and the
# installed glassbox runs from another directory: --version, info, tokenize (the rank files),
# generate, lesson check on the installed lessons, the man page, the completion, and the TUI's course
# menu under tmux. A second install into DESTDIR=$TMP/stage PREFIX=/usr stages the same files with
# /usr baked in. `make uninstall` then removes every file it installed and glassbox's directories.
# Run by `make clitest`; the packages are there already (DEPS_CMD=:).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
SOCK="glassbox-install-$$"
export TMUX_TMPDIR="$TMP"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
    T kill-server >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
. "$ROOT/tests/lib/check.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS DESTDIR PREFIX BINDIR DATADIR MANDIR || true
unset GLASSBOX_MODEL GLASSBOX_ASSETS GLASSBOX_LESSONS NO_COLOR COLORTERM || true
export HOME="$TMP/home" XDG_STATE_HOME="$TMP/state" LC_ALL=C.UTF-8
mkdir -p "$HOME" "$TMP/elsewhere"

mkdir -p "$TMP/tree"
cp -R "$ROOT/Makefile" "$ROOT/LICENSE" "$ROOT/src" "$ROOT/scripts" "$ROOT/docs" "$ROOT/assets" \
    "$ROOT/lessons" "$TMP/tree/"
rm -rf "$TMP/tree/scripts/node_modules"
P=$TMP/prefix
TREE=$TMP/tree
mk() { nice make -C "$TREE" -j2 OPT=-O0 DEPS_CMD=: "$@" >>"$TMP/make.log" 2>&1; }
check "make install PREFIX=$P" mk install PREFIX="$P"
check "... builds only the installed flavour" test ! -e "$TREE/build/glassbox"
[ -x "$P/bin/glassbox" ] || { tail -n 20 "$TMP/make.log"; echo "install.sh: nothing installed"; exit 1; }
(cd "$P" && find . -type f | sort) >"$TMP/installed"
check "the binary, the man page, the completion are installed" \
    grep -qxF -e ./bin/glassbox -e ./share/man/man1/glassbox.1 "$TMP/installed"
for f in assets/glassbox.gguf assets/MODEL.md assets/tokenizers/README.md assets/tokenizers/cl100k_base.tiktoken \
    lessons/README.md lessons/01-tokens.lesson LICENSE; do
    check "installs share/glassbox/$f" cmp -s "$ROOT/$f" "$P/share/glassbox/$f"
done
check "installs the completion in share/bash-completion/completions" test -f "$P/share/bash-completion/completions/glassbox"
n_lessons=$(ls "$ROOT"/lessons/*.lesson | wc -l)
check "installs all $n_lessons lessons" test "$(ls "$P"/share/glassbox/lessons/*.lesson | wc -l)" -eq "$n_lessons"

mv "$TMP/tree" "$TMP/tree.moved" # the build tree, its assets and lessons out of view
TREE=$TMP/tree.moved
cd "$TMP/elsewhere"
G=$P/bin/glassbox
check "--version" bash -c "'$G' --version >'$TMP/version'"
check "--version names the installed assets" grep -qxF "assets   $P/share/glassbox/assets (\$GLASSBOX_ASSETS overrides)" "$TMP/version"
check "--version names the installed lessons" grep -q "^lessons  $P/share/glassbox/assets/../lessons (" "$TMP/version"
check "--version finds everything" bash -c "! grep -q 'not found' '$TMP/version'"
check "info reads the installed model" bash -c "'$G' info | grep -q 'glassbox.gguf'"
check "tokenize --compare reads the installed rank files" bash -c "'$G' tokenize --compare 'def f(x):' | grep -q o200k"
check "generate" bash -c "'$G' generate --temp 0 --steps 4 'def add(a, b):' >'$TMP/gen' && [ -s '$TMP/gen' ]"
check "lesson check on the installed lessons" bash -c "'$G' lesson check '$P'/share/glassbox/lessons/*.lesson >'$TMP/lc'"
check "... every lesson ok" test "$(grep -c ': ok' "$TMP/lc")" -eq "$n_lessons"
check "GLASSBOX_ASSETS still overrides" bash -c "GLASSBOX_ASSETS=/nonexistent '$G' info 2>&1 | grep -q /nonexistent"
check "GLASSBOX_MODEL still overrides" bash -c "GLASSBOX_MODEL='$TMP/none.gguf' '$G' info 2>&1 | grep -q none.gguf"
if command -v man >/dev/null; then
    check "man finds the installed page" bash -c "MANPAGER=cat MANWIDTH=80 man -M '$P/share/man' glassbox 2>/dev/null | grep -q 'GLASSBOX(1)'"
fi
check "the installed completion completes" bash -c ". '$P/share/bash-completion/completions/glassbox'
    COMP_WORDS=('$G' gen); COMP_CWORD=1; _glassbox; [ \"\${COMPREPLY[*]}\" = generate ]"

if command -v tmux >/dev/null; then
    T new-session -d -s gb -x 120 -y 35 "env TERM=tmux-256color INPUTRC=/dev/null '$G'; echo EXITED \$?; sleep 30"
    menu_has() { # menu_has TEXT: polls the screen for up to 15 s
        for _ in $(seq 300); do T capture-pane -p -t gb | grep -qF -- "$1" && return 0; sleep 0.05; done
        T capture-pane -p -t gb | sed 's/^/     /'
        return 1
    }
    check "the TUI opens on the course menu" menu_has "─ Lessons ─"
    last=$(sed -n 's/^title: *//p' "$P/share/glassbox/lessons/$(ls "$P/share/glassbox/lessons" | grep '\.lesson$' | tail -n 1)")
    check "... listing the installed lessons ($last)" menu_has "$last"
    T send-keys -t gb Enter
    check "... and opens lesson 1 from it" menu_has "step 1/"
    T send-keys -t gb Escape q
    check "... and quits" menu_has "EXITED 0"
else
    bad "tmux is not installed (scripts/deps.sh check installs it)"
fi
cd "$TMP"

check "make install DESTDIR=$TMP/stage PREFIX=/usr" mk install DESTDIR="$TMP/stage" PREFIX=/usr
(cd "$TMP/stage/usr" 2>/dev/null && find . -type f | sort) >"$TMP/staged" || true
check "DESTDIR stages the same files" cmp -s "$TMP/installed" "$TMP/staged"
check "... with /usr baked in, not DESTDIR" bash -c "'$TMP/stage/usr/bin/glassbox' --version | grep -q '^assets   /usr/share/glassbox/assets '"

check "make uninstall" mk uninstall PREFIX="$P"
left=$(cd "$P" && find . -type f | tr '\n' ' ')
check "uninstall removes every file it installed${left:+ (left: $left)}" test -z "$left"
check "... and glassbox's own directories" test ! -e "$P/share/glassbox"
check "make uninstall DESTDIR=... PREFIX=/usr" mk uninstall DESTDIR="$TMP/stage" PREFIX=/usr
check "... leaves no file staged" test -z "$(find "$TMP/stage" -type f)"

if [ "$failed" -ne 0 ]; then
    echo "---- make's output (last 15 lines) ----"
    tail -n 15 "$TMP/make.log"
fi
echo "install.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
