#!/usr/bin/env python3
"""An independent reference for glassbox's model loader and forward pass.

Pure Python (struct and math only), sharing nothing with the C code: it writes tiny llama models as
GGUF files in F32, F16, BF16 and Q8_0, runs its own forward pass over a fixed token sequence, and writes
the logits expected at every position.

    python3 tests/gguf_ref.py OUTDIR

writes, for each case NAME, OUTDIR/NAME.gguf and OUTDIR/NAME.logits, and OUTDIR/manifest.txt with one
line per case:

    NAME dim hidden layers heads kv_heads rope_dim vocab tied n_tokens tok0 tok1 ...

NAME.logits holds one line per position: the vocab_size logits after that position's token.

GGUF layout (little-endian): "GGUF", u32 version 3, u64 tensor count, u64 key/value count, the key/values,
the tensor infos (name, u32 n_dims, u64 ne[n_dims] with ne[0] contiguous, u32 type, u64 offset), padding
to the alignment, then the tensor data, each tensor starting at an aligned offset.
"""
import math
import os
import struct
import sys

# ggml tensor types and GGUF value types used here
F32, F16, Q8_0, BF16 = 0, 1, 8, 30
T_U32, T_I32, T_F32, T_STRING, T_ARRAY, T_U64 = 4, 5, 6, 8, 9, 10


# ---------------------------------------------------------------------------------------------------
# Number formats: encode a list of floats and return (bytes, the values a reader gets back)

def to_f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def encode_f32(vals):
    data = b"".join(struct.pack("<f", v) for v in vals)
    return data, [to_f32(v) for v in vals]


def encode_f16(vals):
    # struct's 'e' is IEEE half precision, rounded to nearest even
    data = b"".join(struct.pack("<e", v) for v in vals)
    return data, [struct.unpack("<e", data[2 * i:2 * i + 2])[0] for i in range(len(vals))]


def bf16_bits(v):
    """Upper 16 bits of the float32, rounded to nearest even."""
    bits = struct.unpack("<I", struct.pack("<f", v))[0]
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF


def bf16_value(h):
    return struct.unpack("<f", struct.pack("<I", h << 16))[0]


def encode_bf16(vals):
    hs = [bf16_bits(v) for v in vals]
    return b"".join(struct.pack("<H", h) for h in hs), [bf16_value(h) for h in hs]


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def encode_q8_0(vals):
    """Blocks of 32: an f16 scale d = max|x| / 127, then 32 int8 q = round(x / d). Weight = d * q,
    with d as stored (f16)."""
    assert len(vals) % 32 == 0
    out, back = bytearray(), []
    for b in range(0, len(vals), 32):
        block = vals[b:b + 32]
        amax = max(abs(v) for v in block)
        d = amax / 127.0
        inv = 1.0 / d if d else 0.0
        qs = [int(round_half_away(v * inv)) for v in block]
        qs = [max(-127, min(127, q)) for q in qs]
        d16 = struct.pack("<e", d)
        d_stored = struct.unpack("<e", d16)[0]
        out += d16 + struct.pack("<32b", *qs)
        back += [d_stored * q for q in qs]
    return bytes(out), back


ENCODERS = {F32: encode_f32, F16: encode_f16, BF16: encode_bf16, Q8_0: encode_q8_0}


# ---------------------------------------------------------------------------------------------------
# A GGUF writer

def gguf_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def kv_bytes(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == T_U32:
        out += struct.pack("<I", value)
    elif vtype == T_I32:
        out += struct.pack("<i", value)
    elif vtype == T_U64:
        out += struct.pack("<Q", value)
    elif vtype == T_F32:
        out += struct.pack("<f", value)
    elif vtype == T_STRING:
        out += gguf_string(value)
    elif vtype == T_ARRAY:
        etype, items = value
        out += struct.pack("<IQ", etype, len(items))
        for it in items:
            if etype == T_STRING:
                out += gguf_string(it)
            elif etype == T_I32:
                out += struct.pack("<i", it)
            elif etype == T_F32:
                out += struct.pack("<f", it)
            else:
                raise ValueError(etype)
    else:
        raise ValueError(vtype)
    return out


def write_gguf(path, kvs, tensors, alignment=32):
    """kvs: [(key, type, value)]; tensors: [(name, ne list, ggml type, data bytes)]."""
    def pad(n):
        return (n + alignment - 1) // alignment * alignment

    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    head += b"".join(kv_bytes(k, t, v) for k, t, v in kvs)
    offset, data = 0, bytearray()
    for name, ne, ttype, blob in tensors:
        head += gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        head += struct.pack("<IQ", ttype, offset)
        data += blob + b"\0" * (pad(len(blob)) - len(blob))
        offset += pad(len(blob))
    head += b"\0" * (pad(len(head)) - len(head))
    with open(path, "wb") as f:
        f.write(head + bytes(data))


# ---------------------------------------------------------------------------------------------------
# The reference llama forward pass (double precision, whole sequence at once, causal)

def rmsnorm(x, w, eps):
    r = 1.0 / math.sqrt(sum(v * v for v in x) / len(x) + eps)
    return [v * r * wi for v, wi in zip(x, w)]


def matvec(rows, x):
    return [sum(a * b for a, b in zip(row, x)) for row in rows]


def rope(vec, n_heads, hd, rope_dim, pos, base):
    """Rotates the adjacent pairs (2i, 2i+1), i < rope_dim/2, of each head by pos * base^(-2i/rope_dim)."""
    out = list(vec)
    for h in range(n_heads):
        for i in range(rope_dim // 2):
            a = pos * base ** (-2.0 * i / rope_dim)
            j = h * hd + 2 * i
            x0, x1 = vec[j], vec[j + 1]
            out[j] = x0 * math.cos(a) - x1 * math.sin(a)
            out[j + 1] = x0 * math.sin(a) + x1 * math.cos(a)
    return out


def forward(cfg, W, tokens):
    dim, H, KV = cfg["dim"], cfg["heads"], cfg["kv_heads"]
    hd = dim // H
    eps, base, rd = cfg["eps"], cfg["rope_base"], cfg["rope_dim"]
    x = [list(W["token_embd"][t]) for t in tokens]
    T = len(tokens)
    for l in range(cfg["layers"]):
        L = W["layers"][l]
        qs, ks, vs = [], [], []
        for t in range(T):
            xn = rmsnorm(x[t], L["attn_norm"], eps)
            qs.append(rope(matvec(L["wq"], xn), H, hd, rd, t, base))
            ks.append(rope(matvec(L["wk"], xn), KV, hd, rd, t, base))
            vs.append(matvec(L["wv"], xn))
        for t in range(T):
            heads_out = []
            for h in range(H):
                g = h // (H // KV)
                q = qs[t][h * hd:(h + 1) * hd]
                scores = [sum(a * b for a, b in zip(q, ks[s][g * hd:(g + 1) * hd])) / math.sqrt(hd)
                          for s in range(t + 1)]
                m = max(scores)
                e = [math.exp(s - m) for s in scores]
                z = sum(e)
                p = [v / z for v in e]
                heads_out += [sum(p[s] * vs[s][g * hd + i] for s in range(t + 1)) for i in range(hd)]
            x[t] = [a + b for a, b in zip(x[t], matvec(L["wo"], heads_out))]
        for t in range(T):
            xn = rmsnorm(x[t], L["ffn_norm"], eps)
            gate, up = matvec(L["w_gate"], xn), matvec(L["w_up"], xn)
            hmid = [gv / (1.0 + math.exp(-gv)) * uv for gv, uv in zip(gate, up)]
            x[t] = [a + b for a, b in zip(x[t], matvec(L["w_down"], hmid))]
    out = W["output"] if W["output"] is not None else W["token_embd"]
    return [matvec(out, rmsnorm(x[t], W["output_norm"], eps)) for t in range(T)]


# ---------------------------------------------------------------------------------------------------
# Building a case

class Lcg:
    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF

    def uniform(self, scale):
        self.s = (self.s * 1103515245 + 12345) & 0xFFFFFFFF
        return scale * (2.0 * ((self.s >> 8) / 16777216.0) - 1.0)


def make_case(outdir, name, cfg, ttype, size_type, tied, seed, alignment=32):
    rng = Lcg(seed)
    dim, hidden, H, KV, vocab = cfg["dim"], cfg["hidden"], cfg["heads"], cfg["kv_heads"], cfg["vocab"]
    hd = dim // H
    tensors, W = [], {"layers": []}

    def add(tname, rows, cols, scale, offset=0.0, force_f32=False):
        """A weight of `rows` rows of `cols` values (ne = [cols, rows], or [cols] when rows is None).
        Returns the values a reader gets back, as a list of rows (or one list)."""
        n = cols * (rows or 1)
        vals = [offset + rng.uniform(scale) for _ in range(n)]
        t = F32 if force_f32 else ttype
        blob, back = ENCODERS[t](vals)
        ne = [cols] if rows is None else [cols, rows]
        tensors.append((tname, ne, t, blob))
        if rows is None:
            return back
        return [back[r * cols:(r + 1) * cols] for r in range(rows)]

    W["token_embd"] = add("token_embd.weight", vocab, dim, 1.0)
    for l in range(cfg["layers"]):
        L = {}
        # norms stay F32, as llama.cpp's quantiser keeps 1-D tensors
        L["attn_norm"] = add("blk.%d.attn_norm.weight" % l, None, dim, 0.5, 1.0, force_f32=True)
        L["wq"] = add("blk.%d.attn_q.weight" % l, H * hd, dim, 0.6)
        L["wk"] = add("blk.%d.attn_k.weight" % l, KV * hd, dim, 0.6)
        L["wv"] = add("blk.%d.attn_v.weight" % l, KV * hd, dim, 0.4)
        L["wo"] = add("blk.%d.attn_output.weight" % l, dim, H * hd, 0.3)
        L["ffn_norm"] = add("blk.%d.ffn_norm.weight" % l, None, dim, 0.5, 1.0, force_f32=True)
        L["w_gate"] = add("blk.%d.ffn_gate.weight" % l, hidden, dim, 0.4)
        L["w_up"] = add("blk.%d.ffn_up.weight" % l, hidden, dim, 0.4)
        L["w_down"] = add("blk.%d.ffn_down.weight" % l, dim, hidden, 0.3)
        W["layers"].append(L)
    W["output_norm"] = add("output_norm.weight", None, dim, 0.5, 1.0, force_f32=True)
    W["output"] = None if tied else add("output.weight", vocab, dim, 0.8)

    tokens_text = ["<t%d>" % i for i in range(vocab)]
    kvs = [
        ("general.architecture", T_STRING, "llama"),
        ("general.name", T_STRING, name),
        ("llama.context_length", size_type, cfg["ctx"]),
        ("llama.embedding_length", size_type, dim),
        ("llama.block_count", size_type, cfg["layers"]),
        ("llama.feed_forward_length", size_type, hidden),
        ("llama.attention.head_count", size_type, H),
        ("llama.attention.head_count_kv", size_type, KV),
        ("llama.rope.dimension_count", size_type, cfg["rope_dim"]),
        ("llama.rope.freq_base", T_F32, cfg["rope_base"]),
        ("llama.attention.layer_norm_rms_epsilon", T_F32, cfg["eps"]),
        ("tokenizer.ggml.model", T_STRING, "gpt2"),
        ("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, tokens_text)),
        ("tokenizer.ggml.token_type", T_ARRAY, (T_I32, [1] * vocab)),
        ("tokenizer.ggml.merges", T_ARRAY, (T_STRING, ["< t", "<t 1"])),
        ("tokenizer.ggml.bos_token_id", T_U32, 1),
        ("tokenizer.ggml.eos_token_id", T_U32, 2),
    ]
    if alignment != 32:
        kvs.append(("general.alignment", T_U32, alignment))
    write_gguf(os.path.join(outdir, name + ".gguf"), kvs, tensors, alignment)

    # the reference computes with the float32-rounded hyperparameters the file holds
    cfg = dict(cfg, rope_base=to_f32(cfg["rope_base"]), eps=to_f32(cfg["eps"]))
    tokens = cfg["tokens"]
    logits = forward(cfg, W, tokens)
    with open(os.path.join(outdir, name + ".logits"), "w") as f:
        for row in logits:
            f.write(" ".join("%.9g" % v for v in row) + "\n")
    return "%s %d %d %d %d %d %d %d %d %d %s" % (
        name, dim, hidden, cfg["layers"], H, KV, cfg["rope_dim"], vocab, 1 if tied else 0, len(tokens),
        " ".join(str(t) for t in tokens))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gguf_ref.py OUTDIR")
    outdir = sys.argv[1]
    tokens = [3, 17, 0, 5, 5, 19, 8, 2]
    base = {"layers": 2, "vocab": 20, "ctx": 32, "eps": 1e-5, "rope_base": 100.0, "tokens": tokens}
    lines = [
        # grouped-query attention (4 heads over 2 kv heads), untied head, sizes as u32
        make_case(outdir, "f32_gqa", dict(base, dim=16, hidden=24, heads=4, kv_heads=2, rope_dim=4),
                  F32, T_U32, tied=False, seed=1),
        # multi-query (1 kv head), rope on 4 of each head's 8 dims, tied head, sizes as u64
        make_case(outdir, "f16_mqa_partial_rope",
                  dict(base, dim=16, hidden=20, heads=2, kv_heads=1, rope_dim=4, rope_base=500.0),
                  F16, T_U64, tied=True, seed=2),
        # plain multi-head (kv heads = heads), tied, u32 sizes, eps 1e-6, 64-byte alignment
        make_case(outdir, "bf16_mha", dict(base, dim=12, hidden=16, heads=3, kv_heads=3, rope_dim=4, eps=1e-6),
                  BF16, T_U32, tied=True, seed=3, alignment=64),
        # Q8_0 needs rows that are multiples of 32: dim 32, hidden 64; untied, u64 sizes
        make_case(outdir, "q8_0_gqa", dict(base, dim=32, hidden=64, heads=4, kv_heads=2, rope_dim=8),
                  Q8_0, T_U64, tied=False, seed=4),
    ]
    with open(os.path.join(outdir, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
