#!/bin/sh
# Replays every saved fuzz input through the gcc ASan+UBSan build of its target (`make fuzzregress`):
# the seed corpora (tests/fuzz/corpus/TARGET/) and the inputs that once crashed a target
# (tests/fuzz/crashes/TARGET/), each kept as a regression test. Usage: regress.sh DIR_OF_REPLAYS
set -eu
bin=${1:?usage: regress.sh DIR}
here=$(dirname "$0")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 OMP_NUM_THREADS=1
export GLASSBOX_ASSETS="$here/../../assets"
total=0
for src in "$here"/fuzz_*.c; do
  t=$(basename "$src" .c)
  for kind in corpus crashes; do
    d="$here/$kind/$t"
    [ -d "$d" ] || continue
    n=$(find "$d" -type f | wc -l)
    [ "$n" -gt 0 ] || continue
    if ! find "$d" -type f -print0 | sort -z | xargs -0 "$bin/replay_$t" >/dev/null; then
      echo "fuzzregress: $t failed on an input in $d" >&2
      exit 1
    fi
    echo "fuzzregress: $t: $n $kind input(s) replayed"
    total=$((total + n))
  done
done
echo "fuzzregress: $total inputs, no failure"
