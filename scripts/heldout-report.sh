#!/bin/sh
# heldout-report.sh GLASSBOX MODEL CORPUS_DIR: the model's bits per byte on each held-out text that
# `make corpus` wrote (every 20th file of every source; the stdlib's alone; the packages never
# trained on), beside what `xz -9e` needs for the same bytes. The model's figure is `glassbox
# eval`'s, windows that do not overlap; with STRIDE=N in the environment, two more columns give
# `eval --stride N` (windows N tokens apart, each token seeing more of what came before it; the
# run takes about (context - 1) / N times as long).
set -eu
GB=$1 MODEL=$2 DIR=$3
STRIDE=${STRIDE:-}
bpb() { "$GB" eval --json --model "$MODEL" "$@" | sed 's/.*"bits_per_byte": *\([0-9.]*\).*/\1/'; }
printf '%-22s %10s %10s %10s %8s' "held-out set" bytes "model b/B" "xz b/B" "× xz"
[ -z "$STRIDE" ] || printf ' %12s %8s' "stride $STRIDE" "× xz"
printf '\n'
for set in heldout heldout-stdlib heldout-packages; do
  f="$DIR/$set.txt"
  [ -s "$f" ] || continue
  bytes=$(wc -c <"$f")
  model=$(bpb "$f")
  strided=
  [ -z "$STRIDE" ] || strided=$(bpb --stride "$STRIDE" "$f")
  xz=$(xz -9e -c "$f" | wc -c)
  awk -v s="$set" -v n="$bytes" -v m="$model" -v x="$xz" -v t="$strided" \
    'BEGIN { xb = 8 * x / n; printf "%-22s %10d %10.4f %10.4f %8.3f", s, n, m, xb, m / xb
             if (t != "") printf " %12.4f %8.3f", t, t / xb
             printf "\n" }'
done
