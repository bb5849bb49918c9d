#!/usr/bin/env bash
# The first build on a machine that lacks the packages (issue 11): make must ask pkg-config for the
# flags after `deps` has installed the packages, not when it reads the Makefile. Simulated without
# touching the machine: a copy of the tree, a stub pkg-config first in PATH that knows none of the
# packages until a marker file exists, and a stub deps step (DEPS_CMD, and scripts/deps.sh in the
# copy) that creates the marker. One build at -O0 (a few seconds) must then compile every file with
# the real `pkg-config --cflags`, link with the real `--libs`, and give a binary that runs.
# FIRSTBUILD_MAKEFILE=FILE tests another Makefile (e.g. an old one, to see this test fail).
# Run by `make clitest`; needs only the build tools.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$ROOT/tests/lib/check.sh"
# The make running this test passes its flags down in the environment; the build here is its own.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS DESTDIR PREFIX || true

REAL=$(command -v pkg-config) || { echo "firstbuild.sh: pkg-config is not installed" >&2; exit 1; }
mkdir -p "$TMP/tree" "$TMP/bin"
cp -R "$ROOT/src" "$ROOT/scripts" "$TMP/tree/"
cp "${FIRSTBUILD_MAKEFILE:-$ROOT/Makefile}" "$TMP/tree/Makefile"
MARK=$TMP/installed

cat >"$TMP/bin/pkg-config" <<EOF
#!/bin/sh
# knows no package until the stub deps step has "installed" them
if [ ! -e "$MARK" ]; then echo "pkg-config (stub): no package is installed yet: \$*" >&2; exit 1; fi
exec "$REAL" "\$@"
EOF
cat >"$TMP/deps.sh" <<EOF
#!/bin/sh
echo "stub deps: \$*" >>"$TMP/deps.log"
touch "$MARK"
EOF
chmod +x "$TMP/bin/pkg-config" "$TMP/deps.sh"
cp "$TMP/deps.sh" "$TMP/tree/scripts/deps.sh" # for a Makefile without DEPS_CMD

# The packages as make expands them. Every compile line has the core's packages' flags (CORE_PKGS; a
# Makefile without it: all of PKGS); src/term and src/cli add the terminal's, less the feature macros
# the Makefile sets itself.
pkgs_of() { make -s -C "$TMP/tree" --eval "firstbuild-pkgs: ; @echo \$($1)" firstbuild-pkgs; }
PKGS=$(pkgs_of PKGS)
CORE_PKGS=$(pkgs_of 'or $(CORE_PKGS),$(PKGS)')
CFLAGS_REAL=$("$REAL" --cflags $CORE_PKGS | sed 's/ *$//')
LIBS_REAL=$("$REAL" --libs $PKGS | sed 's/ *$//')
check "the stub pkg-config knows nothing before deps" bash -c "! PATH='$TMP/bin':\$PATH pkg-config --exists $PKGS 2>/dev/null"

rc=0
(cd "$TMP/tree" && PATH="$TMP/bin:$PATH" nice make -j2 OPT=-O0 DEPS_CMD="sh $TMP/deps.sh" build/glassbox) \
    >"$TMP/log" 2>&1 || rc=$?
check "the first build succeeds" test "$rc" -eq 0
check "the deps step ran" test -e "$MARK"

grep -E -- ' -c src/[^ ]*\.c' "$TMP/log" >"$TMP/compiles" || true
n=$(wc -l <"$TMP/compiles")
nsrc=$(find "$TMP/tree/src" -name "*.c" | wc -l)
check "every source file was compiled ($n of $nsrc)" test "$n" -eq "$nsrc"
check "every compile line has the real cflags ($CFLAGS_REAL)" \
    bash -c '[ -s "$1" ] && ! grep -vF -- "$2" "$1"' _ "$TMP/compiles" "$CFLAGS_REAL"
check "the link line has the real libs ($LIBS_REAL)" \
    bash -c 'grep -- "-o build/glassbox " "$1" | grep -qF -- "$2"' _ "$TMP/log" "$LIBS_REAL"
check "the binary runs" "$TMP/tree/build/glassbox" --version

if [ "$failed" -ne 0 ]; then
    echo "---- the build's output (last 15 lines) ----"
    tail -n 15 "$TMP/log"
fi
echo "firstbuild.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
