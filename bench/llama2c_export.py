#!/usr/bin/env python3
"""Writes a GGUF llama model with F32 weights (the shipped assets/glassbox.gguf) as a llama2.c
checkpoint and tokenizer, for `make bench` to time llama2.c's run.c on the same weights.

    python3 bench/llama2c_export.py MODEL.gguf OUT.bin TOKENIZER.bin

The checkpoint is run.c's "legacy" format: seven int32 (dim, hidden_dim, n_layers, n_heads,
n_kv_heads, vocab_size, negative when the output head is not the embedding, seq_len), then the
float32 tensors in its order: token embedding, attention norms, wq, wk, wv, wo, ffn norms, w1
(gate), w2 (down), w3 (up), the final norm, two unused RoPE tables of seq_len * head_size / 2,
and the output head. A GGUF llama matrix of ne = {in, out} lies row by row as run.c's W (out, in),
and both pair adjacent values for RoPE, so the tensors are copied as they are. run.c applies RoPE
to the whole head with base 10000 and uses eps 1e-5: the model must match (checked here).

The tokenizer file is run.c's: int32 max token length, then per token a float32 score, an int32
length and the token's bytes (the GPT-2 byte-to-unicode mapping of byte-level BPE undone, so that
run.c's lookup of " " and of single bytes finds them); the score of a merged token is minus its
merge rank, so run.c's greedy merging follows the BPE's order.
"""
import struct
import sys

GGUF_TYPES = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


class Reader:
    def __init__(self, data):
        self.data, self.off = data, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.data, self.off)
        self.off += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("Q")
        s = self.data[self.off:self.off + n]
        self.off += n
        return s.decode("utf-8")

    def value(self, t):
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("I"), self.take("Q")
            return [self.value(et) for _ in range(n)]
        return self.take(GGUF_TYPES[t])


def read_gguf(path):
    data = open(path, "rb").read()
    r = Reader(data)
    magic, version = r.take("4s"), r.take("I")
    if magic != b"GGUF" or version < 2:
        sys.exit(f"{path}: not a GGUF v2/v3 file")
    n_tensors, n_kv = r.take("Q"), r.take("Q")
    kv = {}
    for _ in range(n_kv):
        key = r.string()
        kv[key] = r.value(r.take("I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        nd = r.take("I")
        ne = [r.take("Q") for _ in range(nd)]
        infos.append((name, ne, r.take("I"), r.take("Q")))
    align = kv.get("general.alignment", 32)
    base = (r.off + align - 1) // align * align
    tensors = {}
    for name, ne, t, off in infos:
        count = 1
        for e in ne:
            count *= e
        if t != 0:
            sys.exit(f"{path}: tensor {name} is not F32 (type {t}); run.c reads float32 only")
        tensors[name] = data[base + off:base + off + 4 * count]
    return kv, tensors


def byte_decoder():
    """The inverse of GPT-2's bytes_to_unicode."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().split("\n\n")[1])
    src, out_model, out_tok = sys.argv[1:]
    kv, t = read_gguf(src)
    if kv.get("general.architecture") != "llama":
        sys.exit(f"{src}: architecture {kv.get('general.architecture')!r}, run.c runs llama")
    a = "llama."
    dim, hidden = kv[a + "embedding_length"], kv[a + "feed_forward_length"]
    layers, heads = kv[a + "block_count"], kv[a + "attention.head_count"]
    kv_heads = kv.get(a + "attention.head_count_kv", heads)
    seq_len = kv[a + "context_length"]
    head = dim // heads
    if kv.get(a + "rope.dimension_count", head) != head or kv.get(a + "rope.freq_base", 10000.0) != 10000.0:
        sys.exit(f"{src}: RoPE over part of a head or with a base other than 10000: run.c would compute another model")
    if abs(kv.get(a + "attention.layer_norm_rms_epsilon", 1e-5) - 1e-5) > 1e-12:
        sys.exit(f"{src}: rms eps other than 1e-5")
    tokens = kv["tokenizer.ggml.tokens"]
    vocab = len(tokens)
    shared = "output.weight" not in t
    with open(out_model, "wb") as f:
        f.write(struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq_len))
        f.write(t["token_embd.weight"])
        for name in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate",
                     "ffn_down", "ffn_up"):
            for l in range(layers):
                f.write(t[f"blk.{l}.{name}.weight"])
        f.write(t["output_norm.weight"])
        f.write(b"\0" * (4 * seq_len * head))  # the two unused RoPE tables
        if not shared:
            f.write(t["output.weight"])
    # scores: a merged token gets minus the rank of the merge that makes it; the rest -1e6
    dec = byte_decoder()
    score = [-1e6] * vocab
    rank = {}
    for i, m in enumerate(kv.get("tokenizer.ggml.merges", [])):
        rank.setdefault(m.replace(" ", ""), i)
    pieces = []
    for i, s in enumerate(tokens):
        if s in rank:
            score[i] = -float(rank[s])
        b = bytes(dec[c] for c in s) if all(c in dec for c in s) else s.encode("utf-8")
        pieces.append(b)
    with open(out_tok, "wb") as f:
        f.write(struct.pack("<i", max(len(p) for p in pieces)))
        for sc, p in zip(score, pieces):
            f.write(struct.pack("<fi", sc, len(p)))
            f.write(p)


if __name__ == "__main__":
    main()
