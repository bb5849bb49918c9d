#!/bin/sh
# Writes the cross-check's random-weight models into DIR: each architecture x weight type, the same
# seed and shape, so that ARCH-f32.gguf holds the weights every other type of that ARCH quantises.
# dim and ffn are multiples of 256 so that the k-quants apply to every matrix.
set -eu
G=${GLASSBOX:-build/glassbox}
dir=${1:?usage: models.sh DIR}
mkdir -p "$dir"
for arch in llama qwen2; do
  for type in f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k q4_k_m; do
    "$G" init-model --random --arch "$arch" --type "$type" --seed 7 --std ${STD:-0.06} --dim 256 --layers 2 \
      --heads 4 --kv-heads 2 --ffn 512 --vocab 512 --ctx 256 -o "$dir/$arch-$type.gguf" >/dev/null
  done
done
