#!/bin/sh
# glassbox's trainer beside PyTorch on the CPU, side by side in one run: the shipped configuration
# (dim 192, 4 layers, 6 heads, ffn 512, context 256, vocabulary 4096, batch 16 x 256 tokens, AdamW,
# clipping), the same thread count, runs alternating PAIRS times, each WARMUP steps and then STEPS
# timed steps; prints each run's tokens/s, the medians and the ratio. PyTorch is Debian's
# python3-torch (`sh scripts/deps.sh torch`) under /usr/bin/python3, eager, float32, the model in
# bench/torch_train.py; without it this prints "skipped (no python3-torch)".
#
# PyTorch does its matrix products with OpenBLAS, which picks its kernels from the CPU it knows:
# OpenBLAS 0.3.21 (Debian 12) does not know CPUs newer than it and falls back to its Prescott (SSE3)
# kernels. When that happens on a CPU with AVX-512 or AVX2, each pair also runs PyTorch with
# OPENBLAS_CORETYPE naming the kernels that CPU can run (SkylakeX, Haswell): "PyTorch, OpenBLAS
# told the CPU", the fairer comparison, printed beside the one as installed.
#
# Environment: THREADS (2), PAIRS (3), STEPS (8), WARMUP (2), OMP_WAIT_POLICY (passive, for both:
# on a machine shared with other work it is much the faster setting for both), TRAIN_LIST (the
# text the trainer reads: corpus/train.list, else the python3 standard library; its first 300
# files), GLASSBOX (build/glassbox).
set -eu
cd "$(dirname "$0")/.."
G=${GLASSBOX:-./build/glassbox}
THREADS=${THREADS:-2}
PAIRS=${PAIRS:-3}
STEPS=${STEPS:-8}
WARMUP=${WARMUP:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
PY=/usr/bin/python3

if ! [ -x "$PY" ] || ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "trainer vs PyTorch: skipped (no python3-torch; sh scripts/deps.sh torch installs it)"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The trainer's text: a few hundred Python files (how fast a step runs does not depend on which).
list=${TRAIN_LIST:-corpus/train.list}
if [ -f "$list" ]; then
  head -n 300 "$list" >"$out/train.list"
else
  "$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])' |
    xargs -I{} find {} -name '*.py' -not -path '*/test*' -not -path '*-packages*' |
    LC_ALL=C sort | head -n 300 >"$out/train.list"
fi

# OpenBLAS's choice, and the kernels this CPU can run when OpenBLAS does not know it.
core=$("$PY" -c 'import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null || echo unknown)
told=""
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
case "$core" in
Prescott | Core2 | Penryn | Dunnington | Nehalem | Sandybridge | Katmai | Coppermine | Northwood | Banias | unknown)
  case " $flags " in
  *" avx512f "*) told=SkylakeX ;;
  *" avx2 "*) [ "$core" = Sandybridge ] || told=Haswell ;;
  esac
  ;;
esac

ctrain() { # tokens/s of the timed steps (each step's line gives its own tokens/s)
  "$G" train --tokenizer assets/glassbox.gguf --train @"$out/train.list" -o "$out/c.gguf" \
    --checkpoint "$out/c.ckpt" --steps $((WARMUP + STEPS)) --warmup 2 --log-every 1 \
    --eval-every 0 --checkpoint-every-sec 0 --threads "$THREADS" >"$out/c.log" 2>&1 ||
    { cat "$out/c.log" >&2; exit 1; }
  awk -F'|' -v skip="$WARMUP" -v bt=4096 '/^step/ { n++; if (n <= skip) next;
      split($5, f, " "); t += bt / f[1]; k++ } END { printf "%.0f\n", k * bt / t }' "$out/c.log"
}
torchrun() { # tokens/s, with the environment given
  env "$@" "$PY" bench/torch_train.py --threads "$THREADS" --steps "$STEPS" --warmup "$WARMUP" \
    >"$out/t.log" 2>&1 || { cat "$out/t.log" >&2; exit 1; }
  sed -n 's/^torch: \([0-9]*\) tokens\/s.*/\1/p' "$out/t.log"
}

echo "trainer vs PyTorch $("$PY" -c 'import torch; print(torch.__version__)'), dim 192, 4 layers, batch 16 x 256," \
  "$THREADS threads, OMP_WAIT_POLICY=$OMP_WAIT_POLICY; $PAIRS pairs of $WARMUP + $STEPS steps; OpenBLAS's kernels: $core" \
  "${told:+(told: $told)}"
for p in $(seq "$PAIRS"); do
  c=$(ctrain)
  t=$(torchrun OPENBLAS_NUM_THREADS="$THREADS")
  line="  pair $p: glassbox $c tok/s, PyTorch $t tok/s"
  echo "$c $t" >>"$out/pairs"
  if [ -n "$told" ]; then
    tt=$(torchrun OPENBLAS_NUM_THREADS="$THREADS" OPENBLAS_CORETYPE="$told")
    line="$line, PyTorch with OPENBLAS_CORETYPE=$told $tt tok/s"
    echo "$tt" >>"$out/told"
  fi
  echo "$line"
done
"$PY" - "$out" <<'PY'
import os, statistics, sys
out = sys.argv[1]
pairs = [tuple(float(x) for x in l.split()) for l in open(os.path.join(out, "pairs"))]
c = [p[0] for p in pairs]
t = [p[1] for p in pairs]
def fmt(v, unit=" tok/s", d=0):
    return f"{statistics.median(v):.{d}f}{unit} ({min(v):.{d}f}-{max(v):.{d}f})"
print(f"  median (range): glassbox {fmt(c)}; PyTorch as installed {fmt(t)}; "
      f"ratio {fmt([a / b for a, b in zip(c, t)], 'x', 2)}")
told = os.path.join(out, "told")
if os.path.exists(told):
    tt = [float(l) for l in open(told)]
    print(f"  PyTorch with OpenBLAS told the CPU {fmt(tt)}; ratio {fmt([a / b for a, b in zip(c, tt)], 'x', 2)}")
PY
