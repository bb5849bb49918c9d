#!/bin/sh
# Prints glassbox's speed figures. Tests never assert times; this is where they live.
set -eu
cd "$(dirname "$0")/.."
./build/glassbox bench
