#!/bin/sh
# Prints glassbox's speed figures. Tests never assert times; this is where they live.
set -eu
cd "$(dirname "$0")/.."
./build/glassbox bench
# tiktoken's own speed on the same kind of text, when node and the npm tools are there
# (npm ci --prefix scripts); the build and the tests never need them.
if command -v node >/dev/null 2>&1 && [ -d scripts/node_modules/tiktoken ]; then
  node scripts/tiktoken-bench.mjs || true
else
  echo "tiktoken reference: skipped (needs node and 'npm ci --prefix scripts')"
fi
