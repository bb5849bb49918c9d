#!/usr/bin/python3
"""The trainer's model and step in PyTorch, for bench/trainer-vs-torch.sh: tokens/s of eager
PyTorch on the CPU on the configuration `glassbox train` trains by default.

The same llama block stack as src/train.c: token embeddings tied to the output head; per layer
RMSNorm (eps 1e-5) -> wq, wk, wv -> RoPE on adjacent pairs (x[2i], x[2i+1]) turned by
pos * 10000^(-2i/head_dim), as src/model.c does for llama files -> causal softmax attention -> wo,
added to the residual; RMSNorm -> SwiGLU (w_down(silu(w_gate x) * w_up x)), added; a final RMSNorm
and the logits; the mean cross-entropy. Initialisation normal(0, 0.02), wo and w_down scaled by
1/sqrt(2 L), norms 1. AdamW lr 3e-3, betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices only,
gradient norm clipped at 1.0. float32, eager mode, no anomaly detection.

PyTorch 1.13 has no F.scaled_dot_product_attention (2.0 added it), so attention is the plain causal
softmax that 1.13's own nn.MultiheadAttention computes. The optimiser uses the multi-tensor
(foreach) AdamW, PyTorch's fastest on the CPU.

The token ids are uniform random ids of the vocabulary, batches of B x (T + 1): how fast a step runs
does not depend on which ids they are.

Prints one line per step after the warm-up: "step N: S seconds", then "torch: X tokens/s over N
steps" (tokens of the measured steps over their time).

Needs Debian's python3-torch (`sh scripts/deps.sh torch`); run it with /usr/bin/python3.
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, dim, n_heads, n_kv_heads, ffn):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.hd = n_heads, n_kv_heads, dim // n_heads
        self.attn_norm = torch.nn.Parameter(torch.ones(dim))
        self.wq = torch.nn.Linear(dim, n_heads * self.hd, bias=False)
        self.wk = torch.nn.Linear(dim, n_kv_heads * self.hd, bias=False)
        self.wv = torch.nn.Linear(dim, n_kv_heads * self.hd, bias=False)
        self.wo = torch.nn.Linear(n_heads * self.hd, dim, bias=False)
        self.ffn_norm = torch.nn.Parameter(torch.ones(dim))
        self.w_gate = torch.nn.Linear(dim, ffn, bias=False)
        self.w_up = torch.nn.Linear(dim, ffn, bias=False)
        self.w_down = torch.nn.Linear(ffn, dim, bias=False)

    def forward(self, x, rope, mask):
        B, T, C = x.shape
        h = rmsnorm(x, self.attn_norm)
        q = self.wq(h).view(B, T, self.n_heads, self.hd)
        k = self.wk(h).view(B, T, self.n_kv_heads, self.hd)
        v = self.wv(h).view(B, T, self.n_kv_heads, self.hd)
        q, k = rotate(q, rope), rotate(k, rope)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, heads, T, hd)
        if self.n_kv_heads != self.n_heads:
            group = self.n_heads // self.n_kv_heads
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        att = (q * (1.0 / math.sqrt(self.hd))) @ k.transpose(-2, -1)  # scale the smaller tensor
        att = torch.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.wo(y)
        h = rmsnorm(x, self.ffn_norm)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


def rmsnorm(x, weight, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate(x, rope):
    """x (B, T, heads, hd): adjacent pairs as complex numbers times e^(i pos theta)."""
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(xc * rope).flatten(-2)


class Llama(torch.nn.Module):
    def __init__(self, vocab, dim, layers, n_heads, n_kv_heads, ffn, ctx):
        super().__init__()
        self.embd = torch.nn.Embedding(vocab, dim)
        self.blocks = torch.nn.ModuleList(
            Block(dim, n_heads, n_kv_heads, ffn) for _ in range(layers))
        self.output_norm = torch.nn.Parameter(torch.ones(dim))
        hd = dim // n_heads
        freq = 10000.0 ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        angle = torch.arange(ctx, dtype=torch.float64)[:, None] * freq[None, :]
        rope = torch.polar(torch.ones_like(angle), angle).to(torch.complex64)
        self.register_buffer("rope", rope[None, :, None, :])  # (1, T, 1, hd/2)
        self.register_buffer("mask", torch.ones(ctx, ctx, dtype=torch.bool).triu(1))
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("wo.weight", "w_down.weight")) else 0.02
                torch.nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.embd(idx)
        for b in self.blocks:
            x = b(x, self.rope[:, :T], self.mask[:T, :T])
        logits = rmsnorm(x, self.output_norm) @ self.embd.weight.t()  # tied head
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8, help="measured steps")
    ap.add_argument("--warmup", type=int, default=2, help="steps run before measuring")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--dim", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--kv-heads", type=int, default=6)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    torch.autograd.set_detect_anomaly(False)
    model = Llama(a.vocab, a.dim, a.layers, a.heads, a.kv_heads, a.ffn, a.ctx)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    gen = torch.Generator().manual_seed(a.seed)
    tokens_per_step = a.batch * a.ctx
    measured = cpu = 0.0
    for step in range(a.warmup + a.steps):
        data = torch.randint(0, a.vocab, (a.batch, a.ctx + 1), generator=gen)
        t0, c0 = time.perf_counter(), time.process_time()
        loss = model(data[:, :-1], data[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if step >= a.warmup:
            measured += dt
            cpu += dc
            print(f"step {step + 1}: {dt:.3f} seconds (loss {loss.item():.4f})", flush=True)
    print(f"torch: {a.steps * tokens_per_step / measured:.0f} tokens/s over {a.steps} steps "
          f"({a.threads} threads, torch {torch.__version__}; {1e3 * cpu / a.steps:.0f} ms CPU a step)")


if __name__ == "__main__":
    main()
