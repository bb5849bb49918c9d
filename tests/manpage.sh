#!/usr/bin/env bash
# The manual page (docs/glassbox.1) renders without a warning under groff and man, and documents every
# subcommand and every TUI command the binary has: the names come from the binary itself
# (--list-subcommands, --list-commands), so a new one without a manual entry fails here. Also: --help
# names the manual and --version says where the data is looked for.
# Run by `make clitest` with $GLASSBOX set to the binary; needs groff (man-db's man when present).
set -euo pipefail

G=${GLASSBOX:-build/glassbox}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAGE=$ROOT/docs/glassbox.1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$ROOT/tests/lib/check.sh"
export LC_ALL=C.UTF-8

no_output() { # no_output COMMAND...: succeeds and writes nothing to standard error
    "$@" >/dev/null 2>"$TMP/err" && [ ! -s "$TMP/err" ] || { sed 's/^/     /' "$TMP/err" | head -5; return 1; }
}
if command -v groff >/dev/null; then
    check "groff -ww -man -z: no warning" no_output groff -ww -man -z "$PAGE"
else
    bad "groff is not installed (scripts/deps.sh check installs it)"
fi
if command -v man >/dev/null; then
    check "man --warnings -l: no warning" no_output env MANPAGER=cat MANWIDTH=80 man --warnings -l "$PAGE"
else
    echo "skip man --warnings: man-db is not installed"
fi

# The words of the entries' tags (the lines after each .TP), without font escapes and quotes.
awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' "$PAGE" |
    sed -E 's/\\f[A-Z]//g; s/\\-/-/g; s/"//g; s/^\.[A-Z]+ //' | tr ' ,|[]' '\n\n\n\n\n' | sort -u >"$TMP/tags"
"$G" --list-subcommands >"$TMP/subs"
"$G" --list-commands >"$TMP/cmds"
check "the binary lists its subcommands" test "$(wc -l <"$TMP/subs")" -ge 10
check "the binary lists its TUI commands" test "$(wc -l <"$TMP/cmds")" -ge 20
missing=$(sort -u "$TMP/subs" "$TMP/cmds" | comm -23 - "$TMP/tags" | tr '\n' ' ')
check "every subcommand and TUI command has an entry in the manual${missing:+ (missing: $missing)}" test -z "$missing"
for opt in --list-subcommands --list-commands --version --help; do
    check "the manual documents $opt" grep -q -- "^\.B.* ${opt//-/\\\\-}\b" "$PAGE"
done
for var in GLASSBOX_MODEL GLASSBOX_ASSETS GLASSBOX_LESSONS XDG_STATE_HOME NO_COLOR OMP_NUM_THREADS; do
    check "the manual's ENVIRONMENT has $var" bash -c "sed -n '/^\.SH ENVIRONMENT/,/^\.SH/p' '$PAGE' | grep -q '^\.B.* $var'"
done
for sec in SYNOPSIS DESCRIPTION SUBCOMMANDS FILES ENVIRONMENT "EXIT STATUS" EXAMPLES; do
    check "the manual has a $sec section" grep -q "^\.SH \"\?$sec" "$PAGE"
done

"$G" --help >"$TMP/help"
check "--help names the manual" grep -q "man glassbox" "$TMP/help"
"$G" --version >"$TMP/version"
check "--version prints the version" grep -qE '^glassbox [0-9]+\.[0-9]+' "$TMP/version"
for what in assets model lessons; do
    check "--version says where the $what are looked for" grep -qE "^$what +/" "$TMP/version"
done
GLASSBOX_ASSETS=/nonexistent "$G" --version >"$TMP/version2"
check "--version names an overriding GLASSBOX_ASSETS and says it is missing" \
    grep -qE '^assets +/nonexistent \(from \$GLASSBOX_ASSETS\) -- not found' "$TMP/version2"
check "help NAME explains a TUI command" bash -c "'$G' help temp | grep -q 'temp T'"
check "help NAME of an unknown name exits 2" bash -c "'$G' help no-such-thing 2>/dev/null; [ \$? -eq 2 ]"

echo "manpage.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
