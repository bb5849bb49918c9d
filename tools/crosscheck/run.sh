#!/bin/sh
# `make crosscheck`: glassbox against llama.cpp (node-llama-cpp 3.21.1's prebuilt CPU binary).
# Installs the npm package once (npm ci), writes the random-weight models, then runs every check
# script here (probs.mjs; tokens.mjs and others as they are added). Never needed by the build or
# `make check`.
set -eu
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
command -v node >/dev/null 2>&1 || { echo "crosscheck: needs node (and npm)"; exit 2; }
[ -d node_modules/node-llama-cpp ] || npm ci --no-audit --no-fund
# a node_modules linked from elsewhere: resolve its packages from here, not from the link's target
if [ -L node_modules ]; then
  NODE_OPTIONS="${NODE_OPTIONS:-} --preserve-symlinks --preserve-symlinks-main"
  export NODE_OPTIONS
fi
GLASSBOX=${GLASSBOX:-$root/build/glassbox} sh ./models.sh "$root/build/crosscheck"
status=0
for check in probs.mjs tokens.mjs; do
  [ -f "$check" ] || continue
  echo "== $check"
  GLASSBOX=${GLASSBOX:-$root/build/glassbox} node "$check" "$root/build/crosscheck" || status=1
done
exit $status
