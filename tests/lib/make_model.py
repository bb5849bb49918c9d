#!/usr/bin/env python3
"""Writes a small llama GGUF whose parts can be made to disagree, for the hardening tests:
   make_model.py OUT [--tokens N] [--rows R] [--ctx C] [--layers L] [--dim D] [--heads H] [--name S]
--tokens is the tokenizer's vocabulary (256 byte tokens, then <|x|> specials), --rows the embedding
table's and output head's rows (default: the same), --ctx the context length. Weights are small and
deterministic; the tokenizer has no merges."""
import argparse, os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gguf_ref as g  # noqa: E402


def byte_tokens():
    # GPT-2's byte-to-unicode map: printable bytes stand for themselves, the rest move up past 255
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return [out[b] for b in range(256)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tokens", type=int, default=260)
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--name", default="hostile", type=lambda v: v.encode("utf-8", "surrogateescape"))
    ap.add_argument("--extra-key", default=None, help="one more string key of this name")
    ap.add_argument("--extra-tensor", default=None, help="one more (unused) tensor of this name")
    a = ap.parse_args()
    rows = a.rows if a.rows is not None else a.tokens
    toks = byte_tokens() + ["<|x%d|>" % i for i in range(max(0, a.tokens - 256))]
    toks = toks[: a.tokens]
    types = [1] * min(256, a.tokens) + [3] * max(0, a.tokens - 256)
    state = [12345]

    def rnd(n, scale=0.1):
        out = []
        for _ in range(n):
            state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
            out.append((state[0] / 0x7FFFFFFF - 0.5) * scale)
        return struct.pack("<%df" % n, *out)

    d, hidden = a.dim, 2 * a.dim
    T = []
    T.append(("token_embd.weight", [d, rows], g.F32, rnd(d * rows)))
    for l in range(a.layers):
        T.append(("blk.%d.attn_norm.weight" % l, [d], g.F32, struct.pack("<%df" % d, *([1.0] * d))))
        for n in ("attn_q", "attn_k", "attn_v", "attn_output"):
            T.append(("blk.%d.%s.weight" % (l, n), [d, d], g.F32, rnd(d * d)))
        T.append(("blk.%d.ffn_norm.weight" % l, [d], g.F32, struct.pack("<%df" % d, *([1.0] * d))))
        T.append(("blk.%d.ffn_gate.weight" % l, [d, hidden], g.F32, rnd(d * hidden)))
        T.append(("blk.%d.ffn_up.weight" % l, [d, hidden], g.F32, rnd(d * hidden)))
        T.append(("blk.%d.ffn_down.weight" % l, [hidden, d], g.F32, rnd(d * hidden)))
    T.append(("output_norm.weight", [d], g.F32, struct.pack("<%df" % d, *([1.0] * d))))
    kvs = [
        ("general.architecture", g.T_STRING, "llama"),
        ("general.name", g.T_STRING, a.name),
        ("llama.context_length", g.T_U32, a.ctx),
        ("llama.embedding_length", g.T_U32, d),
        ("llama.block_count", g.T_U32, a.layers),
        ("llama.feed_forward_length", g.T_U32, hidden),
        ("llama.attention.head_count", g.T_U32, a.heads),
        ("llama.attention.head_count_kv", g.T_U32, a.heads),
        ("tokenizer.ggml.model", g.T_STRING, "gpt2"),
        ("tokenizer.ggml.tokens", g.T_ARRAY, (g.T_STRING, toks)),
        ("tokenizer.ggml.token_type", g.T_ARRAY, (g.T_I32, types)),
    ]
    if a.extra_key:
        kvs.append((a.extra_key.encode("utf-8", "surrogateescape"), g.T_STRING, "x"))
    if a.extra_tensor:
        T.append((a.extra_tensor.encode("utf-8", "surrogateescape"), [4], g.F32, struct.pack("<4f", 0, 0, 0, 0)))
    g.write_gguf(a.out, kvs, T)


if __name__ == "__main__":
    main()
