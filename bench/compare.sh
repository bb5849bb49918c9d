#!/bin/sh
# The comparisons of `make bench`, measured side by side in one run (interleaved, REPEATS times;
# medians and ranges): glassbox against llama.cpp (node-llama-cpp in tools/crosscheck, when
# installed) on a random model of SmolLM-135M's shape in Q8_0, at 1 and 2 threads; peak RSS against
# the file size; load time; and the shipped model's time per token against llama2.c's run.c when
# its source is at hand (LLAMA2C_RUN_C=path/to/run.c, with LLAMA2C_MODEL=the same weights as a
# llama2.c checkpoint and LLAMA2C_TOKENIZER=its tokenizer.bin). Prints "skipped" for what is missing.
set -eu
cd "$(dirname "$0")/.."
G=./build/glassbox
REPEATS=${REPEATS:-3}
SMOL=build/smol-q8_0.gguf
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The SmolLM-135M-shaped model: dim 576, 30 layers, 9 heads / 3 KV heads, ffn 1536, vocabulary
# 49152 (our BPE on glassbox's sources, padded with unused control tokens), random weights.
[ -f "$SMOL" ] || "$G" init-model --random --pad-vocab --type q8_0 --dim 576 --layers 30 --heads 9 \
  --kv-heads 3 --ffn 1536 --vocab 49152 --ctx 2048 -o "$SMOL" 2>/dev/null

have_llama=0
if command -v node >/dev/null 2>&1 && [ -d tools/crosscheck/node_modules/node-llama-cpp ]; then have_llama=1; fi

for r in $(seq "$REPEATS"); do
  for t in 1 2; do
    steps=$([ "$t" = 1 ] && echo 48 || echo 24)
    OMP_NUM_THREADS=$t "$G" bench --model "$SMOL" --decode "$steps" >>"$out/glassbox-$t.jsonl"
    if [ "$have_llama" = 1 ]; then
      node tools/crosscheck/bench.mjs "$SMOL" "$t" "$steps" >>"$out/llama-$t.jsonl"
    fi
  done
  OMP_NUM_THREADS=1 "$G" bench --model "$SMOL" --decode 48 --no-probes >>"$out/rss.jsonl"
  OMP_NUM_THREADS=1 "$G" bench --decode 250 >>"$out/shipped.jsonl"
done

runc=skipped
if [ -n "${LLAMA2C_RUN_C:-}" ] && [ -f "${LLAMA2C_RUN_C}" ] && [ -f "${LLAMA2C_MODEL:-}" ]; then
  cc -Ofast -march=native "$LLAMA2C_RUN_C" -lm -o "$out/run" 2>/dev/null && runc=built
fi
if [ "$runc" = built ]; then
  for r in $(seq "$REPEATS"); do
    # run.c prints "achieved tok/s: X" for -n 250 steps (whole process)
    "$out/run" "$LLAMA2C_MODEL" -z "${LLAMA2C_TOKENIZER:-tokenizer.bin}" -n 250 -t 0 -i "def" 2>&1 |
      sed -n 's/.*achieved tok\/s: *//p' >>"$out/runc.txt"
  done
fi

python3 - "$out" "$have_llama" "$runc" <<'PY'
import json, statistics, sys, os
out, have_llama, runc = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
def rows(name):
    p = os.path.join(out, name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
def fmt(vals, unit="", digits=1):
    m = statistics.median(vals)
    return f"{m:.{digits}f}{unit} ({min(vals):.{digits}f}-{max(vals):.{digits}f})"
print("\nSmolLM-135M-shaped random model, Q8_0 (build/smol-q8_0.gguf), decoding after a 16-token prompt;")
print("median (range) of the interleaved runs:")
for t in (1, 2):
    g = rows(f"glassbox-{t}.jsonl")
    gt = [r["tokens_per_s"] for r in g]
    line = f"  {t} thread{'s' if t > 1 else ' '}: glassbox {fmt(gt, ' tok/s')} (cpu {fmt([r['cpu_ms_per_token'] for r in g], ' ms/token')})"
    if have_llama:
        l = rows(f"llama-{t}.jsonl")
        lt = [r["tokens_per_s"] for r in l]
        ratios = [a / b for a, b in zip(gt, lt)]
        line += f"; llama.cpp {fmt(lt, ' tok/s')} (cpu {fmt([r['cpu_ms_per_token'] for r in l], ' ms/token')}); ratio {fmt(ratios, 'x', 2)}"
    else:
        line += "; llama.cpp skipped (needs node and `npm ci --prefix tools/crosscheck`)"
    print(line)
r = rows("rss.jsonl")
rss = [x["peak_rss_mb"] for x in r]
print(f"  peak RSS, probes off: {fmt(rss, ' MB')} for a {r[0]['file_mb']:.1f} MB file = {statistics.median(rss) / r[0]['file_mb']:.2f} x the file size")
g = rows("glassbox-1.jsonl")
print(f"  peak RSS, probes on:  {fmt([x['peak_rss_mb'] for x in g], ' MB')}, of which probes {g[0]['probe_mb']:.1f} MB "
      f"(= {(statistics.median([x['peak_rss_mb'] for x in g]) - g[0]['probe_mb']) / g[0]['file_mb']:.2f} x the file + probes)")
print(f"  load time: {fmt([x['load_ms'] for x in r + g], ' ms')} (mmap)")
s = rows("shipped.jsonl")
print(f"\nshipped model, 250 tokens, probes on, 1 thread: {fmt([x['ms_per_token'] for x in s], ' ms/token', 3)} "
      f"(cpu {fmt([x['cpu_ms_per_token'] for x in s], ' ms/token', 3)})")
if runc == "built":
    v = [float(x) for x in open(os.path.join(out, "runc.txt")) if x.strip()]
    print(f"  llama2.c run.c -Ofast -march=native on the same weights: {fmt([1000 / x for x in v], ' ms/token', 3)}")
else:
    print("  llama2.c run.c: skipped (set LLAMA2C_RUN_C, LLAMA2C_MODEL and LLAMA2C_TOKENIZER)")
PY
