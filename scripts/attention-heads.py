#!/usr/bin/env python3
"""attention-heads.py [--glassbox G] [--model M] [--select I] PROMPT

Every head of every layer at once, from `glassbox export --view attention --format csv`: for each
(layer, head), the three keys the selected query token (default the last) gives the most weight,
and the head's mean weight on the token just before each query (a previous-token head scores near
1). It is for staging lessons on a new model: lesson 5 names heads by what they do, and a retrained
model does those jobs in other heads. PROMPT takes \\n and \\t escapes, as lessons write them.
"""
import argparse
import csv
import io
import subprocess


def attention(glassbox, model, prompt, layer, head):
    """The (query, key) matrix of one head and the token labels, as export writes them."""
    cmd = [glassbox, "export", "--view", "attention", "--format", "csv",
           "--layer", str(layer), "--head", str(head)]
    if model:
        cmd += ["--model", model]
    out = subprocess.run(cmd + ["--", prompt], check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    labels = rows[0][1:]
    return labels, [[float(x) for x in r[1:]] for r in rows[1:]]


def shape(glassbox, model):
    """(layers, heads) from `glassbox info`."""
    cmd = [glassbox, "info"] + (["--model", model] if model else [])
    info = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    def field(name):
        return int(next(l.split()[-1] for l in info.splitlines() if l.strip().startswith(name)))
    return field("llama.block_count"), field("llama.attention.head_count ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    ap.add_argument("--glassbox", default="build/glassbox")
    ap.add_argument("--model")
    ap.add_argument("--select", type=int, default=-1, help="the query token (negative: from the end)")
    ap.add_argument("prompt")
    a = ap.parse_args()
    prompt = a.prompt.replace("\\n", "\n").replace("\\t", "\t")
    layers, heads = shape(a.glassbox, a.model)
    for layer in range(layers):
        for head in range(heads):
            labels, m = attention(a.glassbox, a.model, prompt, layer, head)
            q = a.select % len(m)
            top = sorted(range(len(m[q])), key=lambda k: -m[q][k])[:3]
            prev = sum(m[i][i - 1] for i in range(1, len(m))) / max(1, len(m) - 1)
            keys = "  ".join(f"{labels[k]} {m[q][k]:.2f}" for k in top)
            print(f"layer {layer} head {head}: prev-token {prev:.2f} | {labels[q]} -> {keys}")


if __name__ == "__main__":
    main()
