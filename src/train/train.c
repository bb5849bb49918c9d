/* The trainer (see train.h): forward and backward passes of the llama block over flat arrays,
 * AdamW, the training data (tokenized once; windows sampled as a pure function of (seed, step)) and
 * the checkpoint (written atomically). `glassbox train` itself is src/cli/train_cli.c. */
#include "train.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "tokenizer.h"
#include "rng.h"
#include "files.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------------- */
/* layers */

/* Loops with less work than this run on one thread: a team's start and barrier cost more than they
 * save there, and on a busy machine a descheduled team member can stall each barrier for a whole
 * time slice (tiny models, as in the tests, would crawl). */
#define PARALLEL_MIN_WORK (1L << 17)

/* e^x for x <= 0, within about 2e-7 relative of expf, in plain arithmetic so that loops over it
 * vectorize (libm's expf is a call per element; exponentials are a tenth of a training step).
 * Range reduction x = n ln2 + r with |r| <= ln2/2, a degree-7 Taylor polynomial for e^r, and 2^n
 * built in the exponent bits. Inputs below -60 count as -60: e^-60 (1e-26) is as good as 0 next to
 * the 1 every softmax row and sigmoid holds, and keeps every lane far from denormal numbers. */
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
static inline float exp_fast(float x) {
    x = x < -60.0f ? -60.0f : x;
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f; /* round(x / ln2) */
    float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
    /* Horner form of 1 + r + r^2/2! + ... + r^7/7! */
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int N, int C,
                     float eps) {
#pragma omp parallel for schedule(static) if ((long)N * C >= PARALLEL_MIN_WORK)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float ss = 0.0f;
        for (int i = 0; i < C; i++)
            ss += x[i] * x[i];
        float r = 1.0f / sqrtf(ss / C + eps);
        for (int i = 0; i < C; i++)
            o[i] = x[i] * r * weight[i];
        rstd[n] = r;
    }
}

void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C) {
    /* dx = rstd * (dxhat - xhat * mean(dxhat . xhat)), with xhat = x * rstd, dxhat = dout * w */
#pragma omp parallel for schedule(static) if ((long)N * C >= PARALLEL_MIN_WORK)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float r = rstd[n], dot = 0.0f;
        for (int i = 0; i < C; i++)
            dot += dy[i] * weight[i] * x[i] * r;
        dot /= C;
        for (int i = 0; i < C; i++)
            dx[i] += r * (dy[i] * weight[i] - x[i] * r * dot);
    }
    /* the weight's gradient sums over rows: blocks of channels per thread, rows in order within
     * each (deterministic whatever the thread count), the inner loop over contiguous channels */
    int n_blocks = (C + 63) / 64;
#pragma omp parallel for schedule(static) if ((long)N * C >= PARALLEL_MIN_WORK)
    for (int blk = 0; blk < n_blocks; blk++) {
        int i0 = blk * 64, i1 = i0 + 64 < C ? i0 + 64 : C;
        float s[64] = {0};
        for (int n = 0; n < N; n++) {
            const float *dy = dout + (size_t)n * C, *x = inp + (size_t)n * C;
            float r = rstd[n];
            for (int i = i0; i < i1; i++)
                s[i - i0] += dy[i] * x[i] * r;
        }
        for (int i = i0; i < i1; i++)
            dweight[i] += s[i - i0];
    }
}

/* One thread pool does all the work: OpenMP threads each run a single-threaded cblas_sgemm on their
 * own slab of the output (rows, or rows of a weight gradient), so OpenBLAS's threads never compete
 * with OpenMP's and every sum is computed in the same order whatever the scheduling. */
static void slab(int n, int *lo, int *hi) {
    int nt = omp_get_num_threads(), t = omp_get_thread_num();
    *lo = (int)((long)n * t / nt);
    *hi = (int)((long)n * (t + 1) / nt);
}

void matmul_forward(float *out, const float *inp, const float *weight, int N, int C, int OC) {
    /* out (N, OC) = inp (N, C) . weight (OC, C)^T, rows split across threads */
#pragma omp parallel if ((long)N * C * OC >= PARALLEL_MIN_WORK)
    {
        int r0, r1;
        slab(N, &r0, &r1);
        if (r1 > r0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, OC, C, 1.0f,
                        inp + (size_t)r0 * C, C, weight, C, 0.0f, out + (size_t)r0 * OC, OC);
    }
}

void matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, int accumulate) {
#pragma omp parallel if ((long)N * C * OC >= PARALLEL_MIN_WORK)
    {
        int r0, r1;
        /* dinp (N, C) (+)= dout (N, OC) . weight (OC, C), rows split */
        slab(N, &r0, &r1);
        if (r1 > r0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, C, OC, 1.0f,
                        dout + (size_t)r0 * OC, OC, weight, C, accumulate ? 1.0f : 0.0f,
                        dinp + (size_t)r0 * C, C);
        /* dweight (OC, C) += dout^T (OC, N) . inp (N, C), split over its rows or its columns: each
         * thread packs the whole of the other operand, so split the side that keeps that smaller */
        if (OC >= C) {
            slab(OC, &r0, &r1);
            if (r1 > r0)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1 - r0, C, N, 1.0f, dout + r0,
                            OC, inp, C, 1.0f, dweight + (size_t)r0 * C, C);
        } else {
            slab(C, &r0, &r1);
            if (r1 > r0)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, r1 - r0, N, 1.0f, dout, OC,
                            inp + r0, C, 1.0f, dweight + r0, C);
        }
    }
}

void rope_tables(float *cos_out, float *sin_out, int T, int rope_dim, float base) {
    int half = rope_dim / 2;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < half; i++) {
            float freq = powf(base, -(float)(2 * i) / (float)rope_dim);
            float angle = (float)t * freq;
            cos_out[t * half + i] = cosf(angle);
            sin_out[t * half + i] = sinf(angle);
        }
}

/* Rotates every head's adjacent pairs by +angle (sign 1) or -angle (sign -1): the backward pass of
 * a rotation is the inverse rotation. */
static void rope_apply(float *x, const float *cos_t, const float *sin_t, int B, int T, int n_heads,
                       int head_dim, int rope_dim, float sign) {
    int half = rope_dim / 2;
#pragma omp parallel for collapse(2)                                                               \
    schedule(static) if ((long)B * T * n_heads * head_dim >= PARALLEL_MIN_WORK)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *row = x + ((size_t)b * T + t) * n_heads * head_dim;
            const float *c = cos_t + (size_t)t * half, *s = sin_t + (size_t)t * half;
            for (int h = 0; h < n_heads; h++) {
                float *xh = row + h * head_dim;
                for (int i = 0; i < half; i++) {
                    float a = xh[2 * i], bb = xh[2 * i + 1], sn = sign * s[i];
                    xh[2 * i] = a * c[i] - bb * sn;
                    xh[2 * i + 1] = a * sn + bb * c[i];
                }
            }
        }
}

void rope_forward(float *x, const float *cos_t, const float *sin_t, int B, int T, int n_heads,
                  int head_dim, int rope_dim) {
    rope_apply(x, cos_t, sin_t, B, T, n_heads, head_dim, rope_dim, 1.0f);
}

void rope_backward(float *dx, const float *cos_t, const float *sin_t, int B, int T, int n_heads,
                   int head_dim, int rope_dim) {
    rope_apply(dx, cos_t, sin_t, B, T, n_heads, head_dim, rope_dim, -1.0f);
}

/* Causal softmax of rows [i0, i1) of a (T, T) score matrix in place; entries above the diagonal
 * become 0. */
static void causal_softmax(float *att, int T, int i0, int i1) {
    for (int i = i0; i < i1; i++) {
        float *row = att + (size_t)i * T;
        float mx = row[0];
#pragma omp simd reduction(max : mx)
        for (int j = 1; j <= i; j++)
            mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j <= i; j++) {
            row[j] = exp_fast(row[j] - mx);
            sum += row[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j <= i; j++)
            row[j] *= inv;
        for (int j = i + 1; j < T; j++)
            row[j] = 0.0f;
    }
}

/* Queries are taken in ATT_BLOCKS bands of rows: band [i0, i1) attends to keys [0, i1) only, so the
 * products skip most of the masked upper triangle (5/8 of the full work with 4 bands). */
#define ATT_BLOCKS 4

/* Attention runs one (sequence, kv head) pair per task: the query heads of a group share its keys
 * and values, so their gradients accumulate within one thread. */
void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       int B, int T, int NH, int NKV, int hd) {
    int QD = NH * hd, KD = NKV * hd, group = NH / NKV, band = (T + ATT_BLOCKS - 1) / ATT_BLOCKS;
    float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for collapse(2)                                                               \
    schedule(static) if ((long)B * NH * T * T * hd >= PARALLEL_MIN_WORK)
    for (int b = 0; b < B; b++)
        for (int kvh = 0; kvh < NKV; kvh++)
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                const float *qh = q + (size_t)b * T * QD + h * hd;
                const float *kh = k + (size_t)b * T * KD + kvh * hd;
                const float *vh = v + (size_t)b * T * KD + kvh * hd;
                float *a = att + ((size_t)b * NH + h) * T * T;
                float *oh = out + (size_t)b * T * QD + h * hd;
                for (int i0 = 0; i0 < T; i0 += band) {
                    int i1 = i0 + band < T ? i0 + band : T;
                    /* scores (i0:i1, 0:i1) = scale * q (i0:i1, hd) . k (0:i1, hd)^T */
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, i1 - i0, i1, hd, scale,
                                qh + (size_t)i0 * QD, QD, kh, KD, 0.0f, a + (size_t)i0 * T, T);
                    causal_softmax(a, T, i0, i1);
                    /* out (i0:i1, hd) = att (i0:i1, 0:i1) . v (0:i1, hd) */
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, i1 - i0, hd, i1, 1.0f,
                                a + (size_t)i0 * T, T, vh, KD, 0.0f, oh + (size_t)i0 * QD, QD);
                }
            }
}

void attention_backward(float *dq, float *dk, float *dv, float *datt_scratch, int n_slots,
                        const float *dout, const float *att, const float *q, const float *k,
                        const float *v, int B, int T, int NH, int NKV, int hd) {
    int QD = NH * hd, KD = NKV * hd, group = NH / NKV, band = (T + ATT_BLOCKS - 1) / ATT_BLOCKS;
    float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel num_threads(n_slots) if ((long)B * NH * T * T * hd >= PARALLEL_MIN_WORK)
    {
        float *datt = datt_scratch + (size_t)omp_get_thread_num() * T * T;
#pragma omp for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int kvh = 0; kvh < NKV; kvh++)
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    size_t qoff = (size_t)b * T * QD + h * hd, koff = (size_t)b * T * KD + kvh * hd;
                    const float *a = att + ((size_t)b * NH + h) * T * T;
                    for (int i0 = 0; i0 < T; i0 += band) {
                        int i1 = i0 + band < T ? i0 + band : T, m = i1 - i0;
                        const float *ab = a + (size_t)i0 * T;
                        float *db = datt + (size_t)i0 * T;
                        const float *dob = dout + qoff + (size_t)i0 * QD;
                        /* datt (i0:i1, 0:i1) = dout (i0:i1, hd) . v (0:i1, hd)^T */
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, i1, hd, 1.0f, dob,
                                    QD, v + koff, KD, 0.0f, db, T);
                        /* dv (0:i1, hd) += att (i0:i1, 0:i1)^T . dout (i0:i1, hd) */
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i1, hd, m, 1.0f, ab, T,
                                    dob, QD, 1.0f, dv + koff, KD);
                        /* softmax backward: dscore = att * (datt - sum_j att . datt), j <= i */
                        for (int i = i0; i < i1; i++) {
                            const float *p = a + (size_t)i * T;
                            float *d = datt + (size_t)i * T;
                            float dot = 0.0f;
                            for (int j = 0; j <= i; j++)
                                dot += p[j] * d[j];
                            for (int j = 0; j <= i; j++)
                                d[j] = p[j] * (d[j] - dot);
                            for (int j = i + 1; j < i1; j++)
                                d[j] = 0.0f;
                        }
                        /* dq (i0:i1, hd) = scale * dscore (i0:i1, 0:i1) . k (0:i1, hd) */
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hd, i1, scale, db,
                                    T, k + koff, KD, 0.0f, dq + qoff + (size_t)i0 * QD, QD);
                        /* dk (0:i1, hd) += scale * dscore (i0:i1, 0:i1)^T . q (i0:i1, hd) */
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i1, hd, m, scale, db,
                                    T, q + qoff + (size_t)i0 * QD, QD, 1.0f, dk + koff, KD);
                    }
                }
    }
}

/* sigmoid(g) from e^-|g|, so the exponential's argument is never positive */
static inline float sigmoid_fast(float g) {
    float e = exp_fast(g < 0.0f ? g : -g);
    return g >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

void swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
#pragma omp parallel for simd schedule(static) if ((long)n >= PARALLEL_MIN_WORK)
    for (size_t i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = g * sigmoid_fast(g) * up[i];
    }
}

void swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                     const float *up, size_t n) {
#pragma omp parallel for simd schedule(static) if ((long)n >= PARALLEL_MIN_WORK)
    for (size_t i = 0; i < n; i++) {
        float g = gate[i], sig = sigmoid_fast(g);
        dup[i] = dout[i] * g * sig;
        dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    }
}

double crossentropy_forward(float *losses, float *logits, const int32_t *targets, int N, int V,
                            int *count) {
#pragma omp parallel for schedule(static) if ((long)N * V >= PARALLEL_MIN_WORK)
    for (int n = 0; n < N; n++) {
        float *row = logits + (size_t)n * V;
        float mx = row[0];
#pragma omp simd reduction(max : mx)
        for (int i = 1; i < V; i++)
            mx = row[i] > mx ? row[i] : mx;
        int tgt = targets[n];
        float target_logit = tgt >= 0 ? row[tgt] : 0.0f;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int i = 0; i < V; i++) {
            row[i] = exp_fast(row[i] - mx);
            sum += row[i];
        }
        float inv = 1.0f / sum;
#pragma omp simd
        for (int i = 0; i < V; i++)
            row[i] *= inv;
        /* -log softmax = log(sum) - (logit - max): exact even where the probability underflows */
        losses[n] = tgt >= 0 ? logf(sum) - (target_logit - mx) : 0.0f;
    }
    double total = 0.0;
    int c = 0;
    for (int n = 0; n < N; n++)
        if (targets[n] >= 0) {
            total += losses[n];
            c++;
        }
    *count = c;
    return total;
}

void crossentropy_backward(float *probs, const int32_t *targets, int N, int V, float scale) {
#pragma omp parallel for schedule(static) if ((long)N * V >= PARALLEL_MIN_WORK)
    for (int n = 0; n < N; n++) {
        float *row = probs + (size_t)n * V;
        int tgt = targets[n];
        if (tgt < 0) {
            memset(row, 0, (size_t)V * sizeof(float));
            continue;
        }
        for (int i = 0; i < V; i++)
            row[i] *= scale;
        row[tgt] -= scale;
    }
}
#pragma GCC pop_options

/* ---------------------------------------------------------------------------------------------- */
/* the model */

static void tensor_sizes(size_t sizes[TRAIN_N_TENSORS], const Config *c) {
    size_t C = c->dim, L = c->n_layers, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim, V = c->vocab_size;
    sizes[0] = V * C;
    sizes[1] = L * C;
    sizes[2] = L * QD * C;
    sizes[3] = L * KD * C;
    sizes[4] = L * KD * C;
    sizes[5] = L * C * QD;
    sizes[6] = L * C;
    sizes[7] = L * H * C;
    sizes[8] = L * H * C;
    sizes[9] = L * C * H;
    sizes[10] = C;
}

/* Points each tensor of t into memory, in order. */
static void point_params(ParamTensors *t, float *memory, const size_t sizes[TRAIN_N_TENSORS]) {
    float **ptrs[TRAIN_N_TENSORS] = {&t->token_embd, &t->attn_norm, &t->wq,         &t->wk,
                                     &t->wv,         &t->wo,        &t->ffn_norm,   &t->w_gate,
                                     &t->w_up,       &t->w_down,    &t->output_norm};
    for (int i = 0; i < TRAIN_N_TENSORS; i++) {
        *ptrs[i] = memory;
        memory += sizes[i];
    }
}

/* Norm weights are vectors: no weight decay. */
static int tensor_is_matrix(int i) {
    return i != 1 && i != 6 && i != 10;
}

static size_t act_sizes(size_t sizes[TRAIN_N_ACTS], const Config *c, int B, int T, int n_slots) {
    size_t C = c->dim, L = c->n_layers, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim, V = c->vocab_size,
           NH = c->n_heads, BT = (size_t)B * T;
    size_t s[TRAIN_N_ACTS] = {
        BT * C,                  /* encoded */
        L * BT * C,              /* ln1 */
        L * BT,                  /* ln1_rstd */
        L * BT * QD,             /* q */
        L * BT * KD,             /* k */
        L * BT * KD,             /* v */
        L * B * NH * T * T,      /* att */
        L * BT * QD,             /* atty */
        L * BT * C,              /* residual2 */
        L * BT * C,              /* ln2 */
        L * BT,                  /* ln2_rstd */
        L * BT * H,              /* gate */
        L * BT * H,              /* up */
        L * BT * H,              /* hact */
        L * BT * C,              /* residual3 */
        BT * C,                  /* lnf */
        BT,                      /* lnf_rstd */
        BT * V,                  /* logits */
        BT,                      /* losses */
        BT * C,                  /* dres */
        BT * C,                  /* dln */
        BT * C,                  /* dtmp */
        BT * H,                  /* dhact */
        BT * H,                  /* dgate */
        BT * H,                  /* dup */
        BT * QD,                 /* datty */
        BT * QD,                 /* dq */
        BT * KD,                 /* dk */
        BT * KD,                 /* dv */
        (size_t)T * T * n_slots, /* datt */
    };
    size_t total = 0;
    for (int i = 0; i < TRAIN_N_ACTS; i++)
        total += (sizes[i] = s[i]);
    return total;
}

static void point_acts(ActTensors *a, float *memory, const size_t sizes[TRAIN_N_ACTS]) {
    float **ptrs[TRAIN_N_ACTS] = {
        &a->encoded, &a->ln1,   &a->ln1_rstd,  &a->q,    &a->k,        &a->v,
        &a->att,     &a->atty,  &a->residual2, &a->ln2,  &a->ln2_rstd, &a->gate,
        &a->up,      &a->hact,  &a->residual3, &a->lnf,  &a->lnf_rstd, &a->logits,
        &a->losses,  &a->dres,  &a->dln,       &a->dtmp, &a->dhact,    &a->dgate,
        &a->dup,     &a->datty, &a->dq,        &a->dk,   &a->dv,       &a->datt};
    for (int i = 0; i < TRAIN_N_ACTS; i++) {
        *ptrs[i] = memory;
        memory += sizes[i];
    }
}

int train_model_build(TrainModel *m, const Config *cin, int B, int T, char *err) {
    memset(m, 0, sizeof(*m));
    Config c = *cin;
    if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.vocab_size <= 0 ||
        B <= 0 || T <= 0) {
        gb_seterr(err, "train: sizes must be positive");
        return -1;
    }
    if (c.n_kv_heads <= 0) c.n_kv_heads = c.n_heads;
    if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || (c.dim / c.n_heads) % 2 != 0) {
        gb_seterr(err,
                  "train: dim %d must split into %d heads of even size, heads into %d kv heads",
                  c.dim, c.n_heads, c.n_kv_heads);
        return -1;
    }
    c.head_dim = c.dim / c.n_heads;
    c.rope_dim = c.head_dim;
    c.context_length = c.seq_len = T;
    if (c.rope_base <= 0) c.rope_base = 10000.0f;
    if (c.norm_eps <= 0) c.norm_eps = 1e-5f;
    m->config = c;
    m->B = B;
    m->T = T;
    tensor_sizes(m->tensor_sizes, &c);
    m->n_params = 0;
    for (int i = 0; i < TRAIN_N_TENSORS; i++)
        m->n_params += m->tensor_sizes[i];
    m->params_memory = gb_calloc(m->n_params, sizeof(float));
    m->grads_memory = gb_calloc(m->n_params, sizeof(float));
    m->m_memory = gb_calloc(m->n_params, sizeof(float));
    m->v_memory = gb_calloc(m->n_params, sizeof(float));
    point_params(&m->params, m->params_memory, m->tensor_sizes);
    point_params(&m->grads, m->grads_memory, m->tensor_sizes);
    size_t asz[TRAIN_N_ACTS];
    /* the trainer's own threads do all the work; OpenBLAS runs inside them, single-threaded */
    openblas_set_num_threads(1);
    m->n_slots = omp_get_max_threads();
    size_t total = act_sizes(asz, &c, B, T, m->n_slots);
    m->acts_memory = gb_calloc(total, sizeof(float));
    point_acts(&m->acts, m->acts_memory, asz);
    int half = c.rope_dim / 2;
    m->rope_cos = gb_malloc((size_t)T * half * sizeof(float));
    m->rope_sin = gb_malloc((size_t)T * half * sizeof(float));
    rope_tables(m->rope_cos, m->rope_sin, T, c.rope_dim, c.rope_base);
    return 0;
}

void train_model_free(TrainModel *m) {
    free(m->params_memory);
    free(m->grads_memory);
    free(m->m_memory);
    free(m->v_memory);
    free(m->acts_memory);
    free(m->rope_cos);
    free(m->rope_sin);
    memset(m, 0, sizeof(*m));
}

static double rng_uniform(uint64_t *state) { /* in (0, 1) */
    return ((double)(rng_splitmix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static float rng_normal(uint64_t *state) {
    double u1 = rng_uniform(state), u2 = rng_uniform(state);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void train_init_weights(TrainModel *m, uint64_t seed) {
    uint64_t state = seed ^ 0x5DEECE66DULL;
    float proj_std = 0.02f / sqrtf(2.0f * m->config.n_layers);
    float *p = m->params_memory;
    for (int t = 0; t < TRAIN_N_TENSORS; t++) {
        size_t n = m->tensor_sizes[t];
        if (!tensor_is_matrix(t)) {
            for (size_t i = 0; i < n; i++)
                p[i] = 1.0f;
        } else {
            float std = (t == 5 || t == 9) ? proj_std : 0.02f; /* wo, w_down feed the residual */
            for (size_t i = 0; i < n; i++)
                p[i] = std * rng_normal(&state);
        }
        p += n;
    }
}

float train_forward(TrainModel *m, const int32_t *inputs, const int32_t *targets) {
    const Config *c = &m->config;
    int B = m->B, T = m->T, BT = B * T, C = c->dim, L = c->n_layers, NH = c->n_heads,
        NKV = c->n_kv_heads, hd = c->head_dim, QD = NH * hd, KD = NKV * hd, H = c->hidden_dim,
        V = c->vocab_size;
    ParamTensors *p = &m->params;
    ActTensors *a = &m->acts;

    /* token embeddings; ids out of range read row 0 (callers check their data) */
#pragma omp parallel for schedule(static) if ((long)BT * C >= PARALLEL_MIN_WORK)
    for (int n = 0; n < BT; n++) {
        int id = inputs[n] >= 0 && inputs[n] < V ? inputs[n] : 0;
        memcpy(a->encoded + (size_t)n * C, p->token_embd + (size_t)id * C, C * sizeof(float));
    }
    for (int l = 0; l < L; l++) {
        const float *resid = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * BT * C;
        float *ln1 = a->ln1 + (size_t)l * BT * C, *ln1_rstd = a->ln1_rstd + (size_t)l * BT;
        float *q = a->q + (size_t)l * BT * QD, *k = a->k + (size_t)l * BT * KD,
              *v = a->v + (size_t)l * BT * KD;
        float *att = a->att + (size_t)l * B * NH * T * T, *atty = a->atty + (size_t)l * BT * QD;
        float *res2 = a->residual2 + (size_t)l * BT * C, *res3 = a->residual3 + (size_t)l * BT * C;
        float *ln2 = a->ln2 + (size_t)l * BT * C, *ln2_rstd = a->ln2_rstd + (size_t)l * BT;
        float *gate = a->gate + (size_t)l * BT * H, *up = a->up + (size_t)l * BT * H,
              *hact = a->hact + (size_t)l * BT * H;

        rmsnorm_forward(ln1, ln1_rstd, resid, p->attn_norm + (size_t)l * C, BT, C, c->norm_eps);
        matmul_forward(q, ln1, p->wq + (size_t)l * QD * C, BT, C, QD);
        matmul_forward(k, ln1, p->wk + (size_t)l * KD * C, BT, C, KD);
        matmul_forward(v, ln1, p->wv + (size_t)l * KD * C, BT, C, KD);
        rope_forward(q, m->rope_cos, m->rope_sin, B, T, NH, hd, c->rope_dim);
        rope_forward(k, m->rope_cos, m->rope_sin, B, T, NKV, hd, c->rope_dim);
        attention_forward(atty, att, q, k, v, B, T, NH, NKV, hd);
        matmul_forward(a->dtmp, atty, p->wo + (size_t)l * C * QD, BT, QD, C);
#pragma omp parallel for schedule(static) if ((long)BT * C >= PARALLEL_MIN_WORK)
        for (size_t i = 0; i < (size_t)BT * C; i++)
            res2[i] = resid[i] + a->dtmp[i];

        rmsnorm_forward(ln2, ln2_rstd, res2, p->ffn_norm + (size_t)l * C, BT, C, c->norm_eps);
        matmul_forward(gate, ln2, p->w_gate + (size_t)l * H * C, BT, C, H);
        matmul_forward(up, ln2, p->w_up + (size_t)l * H * C, BT, C, H);
        swiglu_forward(hact, gate, up, (size_t)BT * H);
        matmul_forward(a->dtmp, hact, p->w_down + (size_t)l * C * H, BT, H, C);
#pragma omp parallel for schedule(static) if ((long)BT * C >= PARALLEL_MIN_WORK)
        for (size_t i = 0; i < (size_t)BT * C; i++)
            res3[i] = res2[i] + a->dtmp[i];
    }
    rmsnorm_forward(a->lnf, a->lnf_rstd, a->residual3 + (size_t)(L - 1) * BT * C, p->output_norm,
                    BT, C, c->norm_eps);
    matmul_forward(a->logits, a->lnf, p->token_embd, BT, C, V);

    m->targets = targets;
    if (!targets) return 0.0f;
    int count = 0;
    double total = crossentropy_forward(a->losses, a->logits, targets, BT, V, &count);
    m->n_targets = count;
    m->mean_loss = count ? (float)(total / count) : 0.0f;
    return m->mean_loss;
}

void train_zero_grad(TrainModel *m) {
    memset(m->grads_memory, 0, m->n_params * sizeof(float));
}

void train_backward(TrainModel *m, const int32_t *inputs) {
    const Config *c = &m->config;
    int B = m->B, T = m->T, BT = B * T, C = c->dim, L = c->n_layers, NH = c->n_heads,
        NKV = c->n_kv_heads, hd = c->head_dim, QD = NH * hd, KD = NKV * hd, H = c->hidden_dim,
        V = c->vocab_size;
    ParamTensors *p = &m->params, *g = &m->grads;
    ActTensors *a = &m->acts;
    if (!m->targets || m->n_targets == 0) return;

    /* loss = mean over counted targets */
    crossentropy_backward(a->logits, m->targets, BT, V, 1.0f / m->n_targets);
    /* tied head: lnf (BT, C) -> logits (BT, V) through token_embd */
    matmul_backward(a->dln, g->token_embd, a->logits, a->lnf, p->token_embd, BT, C, V, 0);
    memset(a->dres, 0, (size_t)BT * C * sizeof(float));
    rmsnorm_backward(a->dres, g->output_norm, a->dln, a->residual3 + (size_t)(L - 1) * BT * C,
                     p->output_norm, a->lnf_rstd, BT, C);

    for (int l = L - 1; l >= 0; l--) {
        const float *resid = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * BT * C;
        const float *ln1 = a->ln1 + (size_t)l * BT * C, *ln1_rstd = a->ln1_rstd + (size_t)l * BT;
        const float *q = a->q + (size_t)l * BT * QD, *k = a->k + (size_t)l * BT * KD,
                    *v = a->v + (size_t)l * BT * KD;
        const float *att = a->att + (size_t)l * B * NH * T * T,
                    *atty = a->atty + (size_t)l * BT * QD;
        const float *res2 = a->residual2 + (size_t)l * BT * C;
        const float *ln2 = a->ln2 + (size_t)l * BT * C, *ln2_rstd = a->ln2_rstd + (size_t)l * BT;
        const float *gate = a->gate + (size_t)l * BT * H, *up = a->up + (size_t)l * BT * H,
                    *hact = a->hact + (size_t)l * BT * H;

        /* ffn: res3 = res2 + w_down . (silu(w_gate . ln2) * (w_up . ln2)); dres flows straight
         * through */
        matmul_backward(a->dhact, g->w_down + (size_t)l * C * H, a->dres, hact,
                        p->w_down + (size_t)l * C * H, BT, H, C, 0);
        swiglu_backward(a->dgate, a->dup, a->dhact, gate, up, (size_t)BT * H);
        matmul_backward(a->dln, g->w_gate + (size_t)l * H * C, a->dgate, ln2,
                        p->w_gate + (size_t)l * H * C, BT, C, H, 0);
        matmul_backward(a->dln, g->w_up + (size_t)l * H * C, a->dup, ln2,
                        p->w_up + (size_t)l * H * C, BT, C, H, 1);
        rmsnorm_backward(a->dres, g->ffn_norm + (size_t)l * C, a->dln, res2,
                         p->ffn_norm + (size_t)l * C, ln2_rstd, BT, C);

        /* attention: res2 = resid + wo . attention(rope(wq . ln1), rope(wk . ln1), wv . ln1) */
        matmul_backward(a->datty, g->wo + (size_t)l * C * QD, a->dres, atty,
                        p->wo + (size_t)l * C * QD, BT, QD, C, 0);
        memset(a->dk, 0, (size_t)BT * KD * sizeof(float));
        memset(a->dv, 0, (size_t)BT * KD * sizeof(float));
        attention_backward(a->dq, a->dk, a->dv, a->datt, m->n_slots, a->datty, att, q, k, v, B, T,
                           NH, NKV, hd);
        rope_backward(a->dq, m->rope_cos, m->rope_sin, B, T, NH, hd, c->rope_dim);
        rope_backward(a->dk, m->rope_cos, m->rope_sin, B, T, NKV, hd, c->rope_dim);
        matmul_backward(a->dln, g->wq + (size_t)l * QD * C, a->dq, ln1, p->wq + (size_t)l * QD * C,
                        BT, C, QD, 0);
        matmul_backward(a->dln, g->wk + (size_t)l * KD * C, a->dk, ln1, p->wk + (size_t)l * KD * C,
                        BT, C, KD, 1);
        matmul_backward(a->dln, g->wv + (size_t)l * KD * C, a->dv, ln1, p->wv + (size_t)l * KD * C,
                        BT, C, KD, 1);
        rmsnorm_backward(a->dres, g->attn_norm + (size_t)l * C, a->dln, resid,
                         p->attn_norm + (size_t)l * C, ln1_rstd, BT, C);
    }
    /* embedding: rows in order, so repeated ids sum deterministically; blocks of channels in
     * parallel */
    int n_blocks = (C + 31) / 32;
#pragma omp parallel for schedule(static) if ((long)BT * C >= PARALLEL_MIN_WORK)
    for (int blk = 0; blk < n_blocks; blk++) {
        int i0 = blk * 32, i1 = i0 + 32 < C ? i0 + 32 : C;
        for (int n = 0; n < BT; n++) {
            int id = inputs[n] >= 0 && inputs[n] < V ? inputs[n] : 0;
            float *dst = g->token_embd + (size_t)id * C;
            const float *src = a->dres + (size_t)n * C;
            for (int i = i0; i < i1; i++)
                dst[i] += src[i];
        }
    }
}

float train_clip_grad(TrainModel *m, float max_norm) {
    double ss = 0.0;
    for (size_t i = 0; i < m->n_params; i++)
        ss += (double)m->grads_memory[i] * m->grads_memory[i];
    float norm = (float)sqrt(ss);
    if (norm > max_norm) {
        float s = max_norm / (norm + 1e-6f);
#pragma omp parallel for schedule(static) if ((long)m->n_params >= PARALLEL_MIN_WORK)
        for (size_t i = 0; i < m->n_params; i++)
            m->grads_memory[i] *= s;
    }
    return norm;
}

void train_adamw(TrainModel *m, float lr, float beta1, float beta2, float eps, float weight_decay,
                 int t) {
    float c1 = 1.0f - powf(beta1, (float)t), c2 = 1.0f - powf(beta2, (float)t);
    size_t off = 0;
    for (int k = 0; k < TRAIN_N_TENSORS; k++) {
        size_t n = m->tensor_sizes[k];
        float wd = tensor_is_matrix(k) ? weight_decay : 0.0f;
        float *p = m->params_memory + off, *g = m->grads_memory + off, *mm = m->m_memory + off,
              *vv = m->v_memory + off;
#pragma omp parallel for schedule(static) if ((long)n >= PARALLEL_MIN_WORK)
        for (size_t i = 0; i < n; i++) {
            float mi = beta1 * mm[i] + (1.0f - beta1) * g[i];
            float vi = beta2 * vv[i] + (1.0f - beta2) * g[i] * g[i];
            mm[i] = mi;
            vv[i] = vi;
            p[i] -= lr * ((mi / c1) / (sqrtf(vi / c2) + eps) + wd * p[i]);
        }
        off += n;
    }
}

float train_lr(long step, long total, long warmup, float peak) {
    if (step < warmup) return peak * (float)(step + 1) / (float)warmup;
    float min_lr = 0.1f * peak;
    if (total <= warmup) return peak;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    if (progress > 1.0) progress = 1.0;
    return min_lr + 0.5f * (peak - min_lr) * (float)(1.0 + cos(3.141592653589793 * progress));
}

void train_model_view(Model *out, const TrainModel *m) {
    memset(out, 0, sizeof(*out));
    out->config = m->config;
    const Config *c = &m->config;
    size_t C = c->dim, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim;
    const ParamTensors *p = &m->params;
    out->weights.token_embd = matrix_f32(p->token_embd);
    out->weights.output = matrix_f32(p->token_embd);
    out->weights.tied = 1;
    out->weights.output_norm = p->output_norm;
    out->weights.layers = gb_calloc(c->n_layers, sizeof(LayerWeights));
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &out->weights.layers[l];
        const size_t D = C, Q = QD, K = KD; /* the names LLAMA_BLOCK_TENSORS sizes in */
#define VIEW_MAT(field, offset) lw->field = matrix_f32(p->field + (offset))
#define VIEW_VEC(field, offset) lw->field = p->field + (offset)
#define VIEW(field, suffix, cols, rows, kind, heavy) VIEW_##kind(field, l * (cols) * (rows));
        LLAMA_BLOCK_TENSORS(VIEW)
#undef VIEW
#undef VIEW_VEC
#undef VIEW_MAT
    }
    snprintf(out->name, sizeof(out->name), "glassbox");
}

void train_view_free(Model *view) {
    free(view->weights.layers);
    view->weights.layers = NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* the training loop's pieces */

TrainOptions train_default_options(void) {
    TrainOptions o = {.total_steps = 0,
                      .warmup = 200,
                      .lr = 3e-3f,
                      .weight_decay = 0.1f,
                      .grad_clip = 1.0f,
                      .seed = 1};
    return o;
}

/* The sampling stream of one step: a pure function of (seed, step), so a resumed run sees the same
 * windows as an uninterrupted one. */
static uint64_t step_stream(uint64_t seed, long step) {
    uint64_t s = seed * 0xD1B54A32D192ED03ULL ^ ((uint64_t)step + 1) * 0x9E3779B97F4A7C15ULL;
    rng_splitmix64(&s);
    return s;
}

void train_sample_batch(int32_t *inputs, int32_t *targets, const int32_t *tokens, size_t n_tokens,
                        int B, int T, uint64_t seed, long step) {
    uint64_t s = step_stream(seed, step);
    uint64_t range = n_tokens - (uint64_t)T; /* starts 0 .. n - T - 1 keep T+1 tokens inside */
    for (int b = 0; b < B; b++) {
        uint64_t start = rng_splitmix64(&s) % range;
        memcpy(inputs + (size_t)b * T, tokens + start, (size_t)T * sizeof(int32_t));
        memcpy(targets + (size_t)b * T, tokens + start + 1, (size_t)T * sizeof(int32_t));
    }
}

float train_step(TrainModel *m, const TrainOptions *o, const int32_t *tokens, size_t n_tokens,
                 long step, int32_t *inputs, int32_t *targets, float *grad_norm) {
    train_sample_batch(inputs, targets, tokens, n_tokens, m->B, m->T, o->seed, step);
    float loss = train_forward(m, inputs, targets);
    train_zero_grad(m);
    train_backward(m, inputs);
    float norm = train_clip_grad(m, o->grad_clip);
    if (grad_norm) *grad_norm = norm;
    float lr = train_lr(step, o->total_steps, o->warmup, o->lr);
    train_adamw(m, lr, 0.9f, 0.95f, 1e-8f, o->weight_decay, (int)(step + 1));
    return loss;
}

double train_evaluate(TrainModel *m, const int32_t *tokens, size_t n_tokens, int32_t skip_id,
                      const uint32_t *token_bytes, double *bits_per_byte) {
    int B = m->B, T = m->T;
    int32_t *inputs = gb_malloc((size_t)B * T * sizeof(int32_t));
    int32_t *targets = gb_malloc((size_t)B * T * sizeof(int32_t));
    double nats = 0.0, bytes = 0.0;
    long counted = 0;
    size_t n_windows = n_tokens > 1 ? (n_tokens - 2) / (size_t)T + 1 : 0;
    for (size_t w0 = 0; w0 < n_windows; w0 += (size_t)B) {
        for (int b = 0; b < B; b++) {
            size_t start = (w0 + b) * (size_t)T;
            for (int t = 0; t < T; t++) {
                size_t i = start + t;
                int ok = w0 + b < n_windows && i + 1 < n_tokens;
                inputs[b * T + t] = ok ? tokens[i] : 0;
                int32_t tgt = ok ? tokens[i + 1] : -1;
                targets[b * T + t] = tgt == skip_id ? -1 : tgt;
            }
        }
        train_forward(m, inputs, targets);
        for (int i = 0; i < B * T; i++) {
            if (targets[i] < 0) continue;
            nats += m->acts.losses[i];
            if (token_bytes) bytes += token_bytes[targets[i]];
            counted++;
        }
    }
    free(inputs);
    free(targets);
    if (bits_per_byte) *bits_per_byte = bytes > 0 ? nats / log(2.0) / bytes : 0.0;
    return counted ? nats / counted : 0.0;
}

uint64_t train_data_hash(const int32_t *tokens, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *p = (const unsigned char *)tokens;
    for (size_t i = 0; i < n * sizeof(int32_t); i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* checkpoint layout: magic, then the fields below in order (native little-endian), params, m, v,
 * then an FNV-1a checksum of everything before it */
#define CKPT_MAGIC "GBTRAIN1"
typedef struct {
    int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, B, T;
    float rope_base, norm_eps;
    int64_t total_steps, warmup;
    float lr, weight_decay, grad_clip;
    uint32_t pad;
    uint64_t seed;
    int64_t step;
    uint64_t rng_state; /* the next step's sampling stream (derived from seed and step) */
    uint64_t data_hash;
    uint64_t n_params;
} CkptHeader;

static uint64_t fnv_bytes(const void *data, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static CkptHeader ckpt_header(const TrainModel *m, const TrainOptions *o, long step,
                              uint64_t data_hash) {
    CkptHeader h;
    memset(&h, 0, sizeof(h));
    const Config *c = &m->config;
    h.dim = c->dim, h.hidden_dim = c->hidden_dim, h.n_layers = c->n_layers, h.n_heads = c->n_heads;
    h.n_kv_heads = c->n_kv_heads, h.vocab_size = c->vocab_size, h.B = m->B, h.T = m->T;
    h.rope_base = c->rope_base, h.norm_eps = c->norm_eps;
    h.total_steps = o->total_steps, h.warmup = o->warmup;
    h.lr = o->lr, h.weight_decay = o->weight_decay, h.grad_clip = o->grad_clip;
    h.seed = o->seed, h.step = step, h.rng_state = step_stream(o->seed, step);
    h.data_hash = data_hash, h.n_params = m->n_params;
    return h;
}

int train_checkpoint_save(const TrainModel *m, const TrainOptions *o, long step, uint64_t data_hash,
                          const char *path, char *err) {
    CkptHeader h = ckpt_header(m, o, step, data_hash);
    size_t pbytes = m->n_params * sizeof(float);
    size_t total = 8 + sizeof(h) + 3 * pbytes + 8;
    unsigned char *buf = gb_malloc(total), *p = buf;
    memcpy(p, CKPT_MAGIC, 8), p += 8;
    memcpy(p, &h, sizeof(h)), p += sizeof(h);
    memcpy(p, m->params_memory, pbytes), p += pbytes;
    memcpy(p, m->m_memory, pbytes), p += pbytes;
    memcpy(p, m->v_memory, pbytes), p += pbytes;
    uint64_t sum = fnv_bytes(buf, (size_t)(p - buf));
    memcpy(p, &sum, 8);
    int rc = gb_write_file_atomic(path, buf, total, err);
    free(buf);
    return rc;
}

int train_checkpoint_load(TrainModel *m, const TrainOptions *o, uint64_t data_hash, long *step,
                          const char *path, char *err) {
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_CHECKPOINT, path, &data, &len, err) != 0) return -1;
    size_t pbytes = m->n_params * sizeof(float);
    int rc = -1;
    CkptHeader h, want;
    uint64_t sum;
    if (len < 8 + sizeof(h) || memcmp(data, CKPT_MAGIC, 8) != 0) {
        gb_seterr(err, "%s: not a glassbox training checkpoint", path);
        goto out;
    }
    memcpy(&h, data + 8, sizeof(h));
    if (len != 8 + sizeof(h) + 3 * pbytes + 8 || h.n_params != m->n_params) {
        gb_seterr(err, "%s: %zu bytes, expected %zu for %zu parameters (a different model size?)",
                  path, len, 8 + sizeof(h) + 3 * pbytes + 8, m->n_params);
        goto out;
    }
    memcpy(&sum, data + len - 8, 8);
    if (sum != fnv_bytes(data, len - 8)) {
        gb_seterr(err, "%s: checksum mismatch (file damaged)", path);
        goto out;
    }
    want = ckpt_header(m, o, h.step, data_hash);
    if (h.dim != want.dim || h.hidden_dim != want.hidden_dim || h.n_layers != want.n_layers ||
        h.n_heads != want.n_heads || h.n_kv_heads != want.n_kv_heads ||
        h.vocab_size != want.vocab_size || h.B != want.B || h.T != want.T ||
        h.rope_base != want.rope_base || h.norm_eps != want.norm_eps) {
        gb_seterr(err,
                  "%s: made for dim %d, layers %d, heads %d/%d, ffn %d, vocab %d, batch %d x %d; "
                  "this run "
                  "asks for dim %d, layers %d, heads %d/%d, ffn %d, vocab %d, batch %d x %d",
                  path, h.dim, h.n_layers, h.n_heads, h.n_kv_heads, h.hidden_dim, h.vocab_size, h.B,
                  h.T, want.dim, want.n_layers, want.n_heads, want.n_kv_heads, want.hidden_dim,
                  want.vocab_size, want.B, want.T);
        goto out;
    }
    if (h.total_steps != want.total_steps || h.warmup != want.warmup || h.lr != want.lr ||
        h.weight_decay != want.weight_decay || h.grad_clip != want.grad_clip ||
        h.seed != want.seed) {
        gb_seterr(
            err,
            "%s: made with --steps %lld --warmup %lld --lr %g --seed %llu; this run asks for "
            "--steps %lld --warmup %lld --lr %g --seed %llu (continue it with the same options)",
            path, (long long)h.total_steps, (long long)h.warmup, h.lr, (unsigned long long)h.seed,
            (long long)want.total_steps, (long long)want.warmup, want.lr,
            (unsigned long long)want.seed);
        goto out;
    }
    if (h.data_hash != data_hash) {
        gb_seterr(err, "%s: made from different training data (token hash differs)", path);
        goto out;
    }
    if (h.rng_state != want.rng_state || h.step < 0) {
        gb_seterr(err, "%s: inconsistent step/random state", path);
        goto out;
    }
    const char *p = data + 8 + sizeof(h);
    memcpy(m->params_memory, p, pbytes), p += pbytes;
    memcpy(m->m_memory, p, pbytes), p += pbytes;
    memcpy(m->v_memory, p, pbytes);
    *step = (long)h.step;
    rc = 0;
out:
    free(data);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* The training data */

/* Expands FILE or @LIST into a list of paths (malloc'ed array of malloc'ed strings). */
static int expand_paths(const char *arg, char ***out, int **lines_out, int *n_out, char *err) {
    *out = NULL;
    *lines_out = NULL;
    *n_out = 0;
    if (arg[0] != '@') {
        *out = gb_malloc(sizeof(char *));
        (*out)[0] = gb_strdup(arg);
        *lines_out = gb_calloc(1, sizeof(int));
        *n_out = 1;
        return 0;
    }
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_LIST, arg + 1, &data, &len, err) != 0) return -1;
    int n = 0, cap = 0, line_no = 0;
    char **paths = NULL;
    int *lines = NULL;
    for (char *line = data; line < data + len;) {
        line_no++;
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        char *end = nl ? nl : data + len;
        if (end > line && end[-1] == '\r') end[-1] = 0, end--;
        *end = 0;
        if (end > line) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                paths = gb_realloc(paths, (size_t)cap * sizeof(char *));
                lines = gb_realloc(lines, (size_t)cap * sizeof(int));
            }
            lines[n] = line_no;
            paths[n++] = gb_strdup(line);
        }
        if (!nl) break;
        line = nl + 1;
    }
    free(data);
    if (n == 0) {
        gb_seterr(err, "%s: the list names no files", arg + 1);
        free(paths);
        free(lines);
        return -1;
    }
    *out = paths;
    *lines_out = lines;
    *n_out = n;
    return 0;
}

static void free_paths(char **paths, int n) {
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* Tokenizes every file of FILE|@LIST, each followed by sep (when >= 0). */
int train_tokenize_files(const Tokenizer *tok, const char *arg, int32_t sep, int32_t **out,
                         size_t *n_out, size_t *bytes_out, char *err) {
    char **paths;
    int *lines, n_paths;
    if (expand_paths(arg, &paths, &lines, &n_paths, err) != 0) return -1;
    size_t n = 0, cap = 1 << 20, bytes = 0;
    int32_t *ids = gb_malloc(cap * sizeof(int32_t));
    int rc = 0;
    for (int i = 0; i < n_paths && rc == 0; i++) {
        char *text;
        size_t len;
        TokenSpan *spans = NULL;
        if (gb_read_file(paths[i], &text, &len, err) != 0) {
            if (arg[0] == '@') { /* name the list and line too */
                char inner[GB_ERRLEN];
                snprintf(inner, sizeof(inner), "%s", err);
                gb_seterr(err, "%s:%d: %s", arg + 1, lines[i], inner);
            }
            rc = -1;
            break;
        }
        int count = tokenizer_encode(tok, text, len, &spans, err);
        free(text);
        if (count < 0) {
            rc = -1;
            break;
        }
        if (n + (size_t)count + 1 > cap) {
            while (n + (size_t)count + 1 > cap)
                cap *= 2;
            ids = gb_realloc(ids, cap * sizeof(int32_t));
        }
        for (int j = 0; j < count; j++)
            ids[n++] = spans[j].id;
        if (sep >= 0) ids[n++] = sep;
        bytes += len;
        free(spans);
    }
    free_paths(paths, n_paths);
    free(lines);
    if (rc != 0) {
        free(ids);
        return -1;
    }
    *out = ids;
    *n_out = n;
    *bytes_out = bytes;
    return 0;
}
