#!/bin/sh
# Prints glassbox's speed figures. Tests never assert times; this is where they live.
set -eu
cd "$(dirname "$0")/.."
./build/glassbox bench
# glassbox beside llama.cpp and llama2.c, in one run (bench/compare.sh)
sh bench/compare.sh
# tiktoken's own speed on the same kind of text, when node and the npm tools are there
# (npm ci --prefix scripts); the build and the tests never need them.
if command -v node >/dev/null 2>&1 && [ -d scripts/node_modules/tiktoken ]; then
  node scripts/tiktoken-bench.mjs || true
else
  echo "tiktoken reference: skipped (needs node and 'npm ci --prefix scripts')"
fi
# Training throughput of the shipped configuration (the defaults of `glassbox train`): a few steps on
# the training corpus, with the shipped model's vocabulary, and where a step's time goes
# (GLASSBOX_TRAIN_PROFILE: wall time per phase, printed when the trainer is freed).
[ -f corpus/train.list ] || sh scripts/corpus.sh corpus >/dev/null
out=$(mktemp -d)
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} GLASSBOX_TRAIN_PROFILE=1 ./build/glassbox train \
  --tokenizer assets/glassbox.gguf --train @corpus/train.list --heldout @corpus/heldout.list \
  -o "$out/bench.gguf" --steps 12 --warmup 2 --log-every 4 --eval-every 0 \
  --checkpoint-every-sec 0 --checkpoint "$out/bench.ckpt" 2>"$out/profile" |
  awk '/tok\/s/ { line = $0 } END { split(line, f, "|"); gsub(/^ +| +$/, "", f[5]);
       print "train (dim 192, 4 layers, batch 16 x 256): " f[5] " over the last steps" }'
sed 's/^/  /' "$out/profile"
rm -rf "$out"
# The trainer beside PyTorch on the same configuration, alternating (bench/trainer-vs-torch.sh);
# "skipped" without Debian's python3-torch (sh scripts/deps.sh torch).
sh bench/trainer-vs-torch.sh
