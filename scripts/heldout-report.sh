#!/bin/sh
# heldout-report.sh GLASSBOX MODEL CORPUS_DIR: the model's bits per byte on each held-out text that
# `make corpus` wrote (every 20th file of every source; the stdlib's alone; the packages never
# trained on), beside what `xz -9e` needs for the same bytes.
set -eu
GB=$1 MODEL=$2 DIR=$3
printf '%-22s %10s %10s %10s %8s\n' "held-out set" bytes "model b/B" "xz b/B" "× xz"
for set in heldout heldout-stdlib heldout-packages; do
  f="$DIR/$set.txt"
  [ -s "$f" ] || continue
  bytes=$(wc -c <"$f")
  model=$("$GB" eval --json --model "$MODEL" "$f" | sed 's/.*"bits_per_byte": *\([0-9.]*\).*/\1/')
  xz=$(xz -9e -c "$f" | wc -c)
  awk -v s="$set" -v n="$bytes" -v m="$model" -v x="$xz" \
    'BEGIN { xb = 8 * x / n; printf "%-22s %10d %10.4f %10.4f %8.3f\n", s, n, m, xb, m / xb }'
done
