#!/bin/sh
# The comparisons of `make bench`, measured side by side in one run: REPEATS rounds (default 5),
# each running every program once in turn, so that a busy spell of the machine falls on all of
# them; medians, ranges and the median of each round's ratio.
#   - glassbox against llama.cpp (node-llama-cpp in tools/crosscheck, when installed) on a random
#     model of SmolLM-135M's shape in Q8_0, at 1 and 2 threads, tokens/s of greedy decoding;
#   - peak RSS against the file size (probes off, and probes on less their buffers), load time;
#   - the shipped model's time per generated token, probes on, against llama2.c's run.c built
#     -Ofast -march=native on the same weights, when its source is at hand (LLAMA2C_RUN_C=path to
#     run.c; bench/llama2c_export.py writes the weights and tokenizer in its format).
# Prints "skipped" for what is missing.
set -eu
cd "$(dirname "$0")/.."
G=./build/glassbox
REPEATS=${REPEATS:-5}
STEPS=${STEPS:-64}   # tokens decoded at 1 thread
STEPS2=${STEPS2:-32} # at 2 threads (on a loaded machine llama.cpp's 2 threads can fall below 1 tok/s)
SMOL=build/smol-q8_0.gguf
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The SmolLM-135M-shaped model: dim 576, 30 layers, 9 heads / 3 KV heads, ffn 1536, vocabulary
# 49152 (our BPE on glassbox's sources, padded with unused control tokens), random weights.
[ -f "$SMOL" ] || "$G" init-model --random --pad-vocab --type q8_0 --dim 576 --layers 30 --heads 9 \
  --kv-heads 3 --ffn 1536 --vocab 49152 --ctx 2048 -o "$SMOL" 2>/dev/null

have_llama=0
if command -v node >/dev/null 2>&1 && [ -d tools/crosscheck/node_modules/node-llama-cpp ]; then
  have_llama=1
  # a node_modules linked from elsewhere: resolve its packages from here
  if [ -L tools/crosscheck/node_modules ]; then
    NODE_OPTIONS="${NODE_OPTIONS:-} --preserve-symlinks --preserve-symlinks-main"
    export NODE_OPTIONS
  fi
fi

runc=skipped
if [ -n "${LLAMA2C_RUN_C:-}" ] && [ -f "${LLAMA2C_RUN_C}" ]; then
  if cc -Ofast -march=native "$LLAMA2C_RUN_C" -lm -o "$out/run" 2>"$out/run.err" &&
     python3 bench/llama2c_export.py assets/glassbox.gguf "$out/glassbox.bin" "$out/tokenizer.bin"; then
    runc=built
  else
    runc="skipped (building run.c or exporting the model failed: $(head -c 200 "$out/run.err"))"
  fi
fi

# run.c's own figure (achieved tok/s over its steps after the first, whole tokens of greedy
# decoding from a 3-byte prompt) and the process's CPU time per step, as one line of JSON.
run_runc() {
  python3 - "$out/run" "$out/glassbox.bin" "$out/tokenizer.bin" <<'PY'
import json, re, resource, subprocess, sys
run, model, tok = sys.argv[1:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
p = subprocess.run([run, model, "-z", tok, "-n", "250", "-t", "0", "-i", "def"], capture_output=True, text=True)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
m = re.search(r"achieved tok/s: *([0-9.]+)", p.stderr)
tps = float(m.group(1)) if m else 0.0
cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000 / 249
print(json.dumps({"tokens_per_s": tps, "ms_per_token": 1000 / tps if tps else 0, "cpu_ms_per_token": cpu}))
PY
}

for r in $(seq "$REPEATS"); do
  for t in 1 2; do
    steps=$([ "$t" = 1 ] && echo "$STEPS" || echo "$STEPS2")
    OMP_NUM_THREADS=$t "$G" bench --model "$SMOL" --decode "$steps" >>"$out/glassbox-$t.jsonl"
    if [ "$have_llama" = 1 ]; then
      node tools/crosscheck/bench.mjs "$SMOL" "$t" "$steps" >>"$out/llama-$t.jsonl"
    fi
  done
  OMP_NUM_THREADS=1 "$G" bench --model "$SMOL" --decode "$STEPS" --no-probes >>"$out/rss.jsonl"
  # the shipped model, SHIP_PAIRS times glassbox then run.c (a run is a fifth of a second: several
  # pairs a round keep a passing load from deciding the ratio); positions 1-249, as run.c's 249
  # timed steps of -n 250
  for p in $(seq "${SHIP_PAIRS:-3}"); do
    OMP_NUM_THREADS=1 "$G" bench --decode 249 --prompt 1 >>"$out/shipped.jsonl"
    if [ "$runc" = built ]; then run_runc >>"$out/runc.jsonl"; fi
  done
done

python3 - "$out" "$have_llama" "$runc" "$REPEATS" "$STEPS" "$STEPS2" <<'PY'
import json, statistics, sys, os
out, have_llama, runc, repeats, steps, steps2 = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def rows(name):
    p = os.path.join(out, name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
def med(vals):
    return statistics.median(vals)
def fmt(vals, unit="", digits=1):
    return f"{med(vals):.{digits}f}{unit} ({min(vals):.{digits}f}-{max(vals):.{digits}f})"
verdicts = []
print(f"\nSmolLM-135M-shaped random model, Q8_0 (build/smol-q8_0.gguf), {steps} tokens (1 thread) and {steps2} (2) decoded greedily")
print(f"after a 16-token prompt, probes on; {repeats} rounds, median (range); ratio: the median of the")
print("rounds' glassbox / llama.cpp tokens/s:")
for t in (1, 2):
    g = rows(f"glassbox-{t}.jsonl")
    gt = [r["tokens_per_s"] for r in g]
    print(f"  {t} thread{'s' if t > 1 else ' '}: glassbox  {fmt(gt, ' tok/s')}, cpu {fmt([r['cpu_ms_per_token'] for r in g], ' ms/token', 2)}")
    if have_llama:
        l = rows(f"llama-{t}.jsonl")
        lt = [r["tokens_per_s"] for r in l]
        ratio = med([a / b for a, b in zip(gt, lt)])
        print(f"             llama.cpp {fmt(lt, ' tok/s')}, cpu {fmt([r['cpu_ms_per_token'] for r in l], ' ms/token', 2)}")
        print(f"             ratio {ratio:.2f}x")
        verdicts.append((f"tokens/s >= 1.0x llama.cpp, {t} thread{'s' if t > 1 else ''}", f"{ratio:.2f}x", ratio >= 1.0))
    else:
        print("             llama.cpp skipped (needs node and `npm ci --prefix tools/crosscheck`)")
r = rows("rss.jsonl")
g = rows("glassbox-1.jsonl")
file_mb = r[0]["file_mb"]
rss_off = med([x["peak_rss_mb"] for x in r])
rss_on = med([x["peak_rss_mb"] for x in g])
probe_mb = g[0]["probe_mb"]
print(f"  peak RSS, probes off: {fmt([x['peak_rss_mb'] for x in r], ' MB')} for a {file_mb:.1f} MB file = {rss_off / file_mb:.2f}x the file")
print(f"  peak RSS, probes on:  {fmt([x['peak_rss_mb'] for x in g], ' MB')}, of which probe buffers {probe_mb:.1f} MB "
      f"= {rss_on / (file_mb + probe_mb):.2f}x the file + probe buffers")
verdicts.append(("peak RSS <= 1.25x file + probe buffers", f"{rss_on / (file_mb + probe_mb):.2f}x (probes off: {rss_off / file_mb:.2f}x the file)",
                 rss_on <= 1.25 * (file_mb + probe_mb) and rss_off <= 1.25 * file_mb))
loads = [x["load_ms"] for x in r + g]
print(f"  load time: {fmt(loads, ' ms')} (mmap)")
verdicts.append(("load <= 200 ms", f"{med(loads):.1f} ms (max {max(loads):.1f})", max(loads) <= 200))
s = rows("shipped.jsonl")
print(f"\nshipped model (assets/glassbox.gguf), greedy decoding, probes on, 1 thread; {len(s)} runs (each beside one of run.c when it is built):")
print(f"  glassbox {fmt([x['ms_per_token'] for x in s], ' ms/token', 3)}, cpu {fmt([x['cpu_ms_per_token'] for x in s], ' ms/token', 3)}"
      f" ({s[0]['threads']} thread, {s[0]['steps']} tokens after a {s[0]['prompt']}-token prompt: positions {s[0]['prompt']}-{s[0]['prompt'] + s[0]['steps'] - 1})")
if runc == "built":
    c = rows("runc.jsonl")
    print(f"  llama2.c run.c -Ofast -march=native, the same weights: {fmt([x['ms_per_token'] for x in c], ' ms/token', 3)}, "
          f"cpu {fmt([x['cpu_ms_per_token'] for x in c], ' ms/token', 3)} (its achieved tok/s over 249 steps; cpu: the whole process / 249)")
    ratio = med([b["ms_per_token"] / a["ms_per_token"] for a, b in zip(s, c)])
    print(f"  ratio (run.c time / glassbox time per token, the median of the pairs) {ratio:.2f}x")
    verdicts.append(("shipped model >= 1.0x as fast as run.c -Ofast", f"{ratio:.2f}x", ratio >= 1.0))
else:
    print(f"  llama2.c run.c: {runc if runc != 'skipped' else 'skipped (set LLAMA2C_RUN_C to the path of its run.c)'}")
print("\ntargets (issue 15):")
for what, value, ok in verdicts:
    print(f"  {what:48s} {value:40s} {'met' if ok else 'NOT MET'}")
PY
