/* The trainer: every layer's backward pass against central finite differences, the whole model's
 * gradient, equality with src/model/model.c's forward pass, falling loss, exact resume, and the GGUF it
 * writes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernels.h"
#include "train.h"
#include "train_ops.h"
#include "util.h"

/* tiny sizes: B=2, T=5, C=8, 2 heads of 4, 1 kv head, hidden 12, vocab 11 */
enum { TB = 2, TT = 5, TC = 8, TNH = 2, TNKV = 1, THD = 4, TH = 12, TV = 11 };

static uint64_t test_rng = 88172645463325252ULL;
static float frand(void) { /* in [-1, 1) */
    test_rng ^= test_rng << 13;
    test_rng ^= test_rng >> 7;
    test_rng ^= test_rng << 17;
    return (float)((test_rng >> 40) * (2.0 / 16777216.0) - 1.0);
}
static float *rand_buf(size_t n, float scale) {
    float *p = gb_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = scale * frand();
    return p;
}

/* A layer under test: computes out from its inputs (held in ctx) and the scalar loss sum(out * r).
 */
typedef double (*LossFn)(void *ctx);

/* Checks d loss / d x[i] for every i (or a sample) against the analytic gradient grad[i]. */
static void check_grad(const char *what, LossFn loss, void *ctx, float *x, const float *grad,
                       size_t n, size_t stride) {
    const float eps = 1e-2f;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + eps;
        double lp = loss(ctx);
        x[i] = keep - eps;
        double lm = loss(ctx);
        x[i] = keep;
        double num = (lp - lm) / (2.0 * eps);
        double ana = grad[i];
        double tol = 2e-3 + 2e-2 * fmax(fabs(num), fabs(ana));
        if (fabs(num - ana) > tol) {
            fail_msg("%s[%zu]: analytic %.6g vs numeric %.6g", what, i, ana, num);
        }
    }
}

static double dot_r(const float *out, const float *r, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * r[i];
    return s;
}

/* ---- rmsnorm ---- */
typedef struct {
    float *inp, *w, *r, *out, *rstd;
} NormCtx;
static double norm_loss(void *p) {
    NormCtx *c = p;
    rmsnorm_forward(c->out, c->rstd, c->inp, c->w, TB * TT, TC, 1e-5f);
    return dot_r(c->out, c->r, TB * TT * TC);
}
static void test_rmsnorm_backward(void **state) {
    (void)state;
    size_t n = TB * TT * TC;
    NormCtx c = {rand_buf(n, 1.0f), rand_buf(TC, 1.0f), rand_buf(n, 1.0f), gb_malloc(n * 4),
                 gb_malloc(TB * TT * 4)};
    float *dinp = gb_calloc(n, 4), *dw = gb_calloc(TC, 4);
    norm_loss(&c);
    rmsnorm_backward(dinp, dw, c.r, c.inp, c.w, c.rstd, TB * TT, TC);
    check_grad("rmsnorm dinp", norm_loss, &c, c.inp, dinp, n, 1);
    check_grad("rmsnorm dweight", norm_loss, &c, c.w, dw, TC, 1);
    /* the forward itself: unit rms times the weight */
    norm_loss(&c);
    for (int i = 0; i < TC; i++) {
        double ss = 0;
        for (int j = 0; j < TC; j++)
            ss += (double)c.inp[j] * c.inp[j];
        double want = c.inp[i] / sqrt(ss / TC + 1e-5) * c.w[i];
        assert_true(fabs(c.out[i] - want) < 1e-5);
    }
    free(c.inp), free(c.w), free(c.r), free(c.out), free(c.rstd), free(dinp), free(dw);
}

/* ---- matmul ---- */
typedef struct {
    float *inp, *w, *r, *out;
    int N, C, OC;
} MatCtx;
static double mat_loss(void *p) {
    MatCtx *c = p;
    matmul_forward(c->out, c->inp, c->w, c->N, c->C, c->OC);
    return dot_r(c->out, c->r, (size_t)c->N * c->OC);
}
static void test_matmul_backward(void **state) {
    (void)state;
    MatCtx c = {NULL, NULL, NULL, NULL, TB * TT, TC, TH};
    c.inp = rand_buf((size_t)c.N * c.C, 1.0f);
    c.w = rand_buf((size_t)c.OC * c.C, 1.0f);
    c.r = rand_buf((size_t)c.N * c.OC, 1.0f);
    c.out = gb_malloc((size_t)c.N * c.OC * 4);
    float *dinp = gb_calloc((size_t)c.N * c.C, 4), *dw = gb_calloc((size_t)c.OC * c.C, 4);
    mat_loss(&c);
    /* forward against a plain triple loop */
    for (int n = 0; n < c.N; n++)
        for (int o = 0; o < c.OC; o++) {
            double s = 0;
            for (int i = 0; i < c.C; i++)
                s += (double)c.inp[n * c.C + i] * c.w[o * c.C + i];
            assert_true(fabs(c.out[n * c.OC + o] - s) < 1e-4);
        }
    matmul_backward(dinp, dw, c.r, c.inp, c.w, c.N, c.C, c.OC, 1);
    check_grad("matmul dinp", mat_loss, &c, c.inp, dinp, (size_t)c.N * c.C, 1);
    /* overwrite mode ignores what dinp held; accumulate mode adds to it */
    {
        size_t n = (size_t)c.N * c.C;
        float *d2 = rand_buf(n, 5.0f), *dw2 = gb_calloc((size_t)c.OC * c.C, 4);
        matmul_backward(d2, dw2, c.r, c.inp, c.w, c.N, c.C, c.OC, 0);
        for (size_t i = 0; i < n; i++)
            assert_true(fabsf(d2[i] - dinp[i]) < 1e-5f);
        for (size_t i = 0; i < n; i++)
            d2[i] = 1.0f;
        matmul_backward(d2, dw2, c.r, c.inp, c.w, c.N, c.C, c.OC, 1);
        for (size_t i = 0; i < n; i++)
            assert_true(fabsf(d2[i] - 1.0f - dinp[i]) < 1e-5f);
        for (size_t i = 0; i < (size_t)c.OC * c.C; i++)
            assert_true(fabsf(dw2[i] - 2 * dw[i]) < 1e-4f);
        free(d2), free(dw2);
    }
    check_grad("matmul dweight", mat_loss, &c, c.w, dw, (size_t)c.OC * c.C, 1);
    free(c.inp), free(c.w), free(c.r), free(c.out), free(dinp), free(dw);
}

/* Sizes above the trainer's threshold for splitting work across threads, against plain loops. */
static void test_matmul_parallel(void **state) {
    (void)state;
    int N = 256, C = 64, OC = 72;
    float *inp = rand_buf((size_t)N * C, 1.0f), *w = rand_buf((size_t)OC * C, 1.0f),
          *dout = rand_buf((size_t)N * OC, 1.0f), *out = gb_malloc((size_t)N * OC * 4),
          *dinp = gb_malloc((size_t)N * C * 4), *dw = gb_calloc((size_t)OC * C, 4);
    matmul_forward(out, inp, w, N, C, OC);
    matmul_backward(dinp, dw, dout, inp, w, N, C, OC, 0);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double y = 0;
            for (int i = 0; i < C; i++)
                y += (double)inp[n * C + i] * w[o * C + i];
            assert_true(fabs(out[n * OC + o] - y) < 1e-3);
        }
    for (int n = 0; n < N; n++)
        for (int i = 0; i < C; i++) {
            double d = 0;
            for (int o = 0; o < OC; o++)
                d += (double)dout[n * OC + o] * w[o * C + i];
            assert_true(fabs(dinp[n * C + i] - d) < 1e-3);
        }
    for (int o = 0; o < OC; o++)
        for (int i = 0; i < C; i++) {
            double d = 0;
            for (int n = 0; n < N; n++)
                d += (double)dout[n * OC + o] * inp[n * C + i];
            assert_true(fabs(dw[o * C + i] - d) < 1e-3);
        }
    /* the transposed shape (fewer outputs than inputs) splits the weight gradient the other way */
    float *dw2 = gb_calloc((size_t)C * OC, 4), *dinp2 = gb_malloc((size_t)N * OC * 4);
    matmul_backward(dinp2, dw2, inp, dout, w, N, OC, C, 0); /* dout (N, C) over inp (N, OC) */
    for (int o = 0; o < C; o++)
        for (int i = 0; i < OC; i++) {
            double d = 0;
            for (int n = 0; n < N; n++)
                d += (double)inp[n * C + o] * dout[n * OC + i];
            assert_true(fabs(dw2[o * OC + i] - d) < 1e-3);
        }
    free(inp), free(w), free(dout), free(out), free(dinp), free(dw), free(dw2), free(dinp2);
}

/* ---- rope ---- */
typedef struct {
    float *x, *work, *r, *cos_t, *sin_t;
} RopeCtx;
static double rope_loss(void *p) {
    RopeCtx *c = p;
    size_t n = TB * TT * TNH * THD;
    memcpy(c->work, c->x, n * 4);
    rope_forward(c->work, c->cos_t, c->sin_t, TB, TT, TNH, THD, THD);
    return dot_r(c->work, c->r, n);
}
static void test_rope(void **state) {
    (void)state;
    size_t n = TB * TT * TNH * THD;
    RopeCtx c = {rand_buf(n, 1.0f), gb_malloc(n * 4), rand_buf(n, 1.0f),
                 gb_malloc(TT * THD / 2 * 4), gb_malloc(TT * THD / 2 * 4)};
    rope_tables(c.cos_t, c.sin_t, TT, THD, 10000.0f);
    rope_loss(&c);
    /* independent expectation: position 3, head 1, pair 1 rotates (x[2], x[3]) by 3 * 10000^(-2/4)
     */
    {
        size_t o = ((size_t)0 * TT + 3) * TNH * THD + 1 * THD;
        double ang = 3.0 * pow(10000.0, -0.5), a = c.x[o + 2], b = c.x[o + 3];
        assert_true(fabs(c.work[o + 2] - (a * cos(ang) - b * sin(ang))) < 1e-5);
        assert_true(fabs(c.work[o + 3] - (a * sin(ang) + b * cos(ang))) < 1e-5);
        /* position 0 is untouched */
        assert_true(c.work[1] == c.x[1]);
    }
    float *dx = gb_malloc(n * 4);
    memcpy(dx, c.r, n * 4);
    rope_backward(dx, c.cos_t, c.sin_t, TB, TT, TNH, THD, THD);
    check_grad("rope dx", rope_loss, &c, c.x, dx, n, 1);
    free(c.x), free(c.work), free(c.r), free(c.cos_t), free(c.sin_t), free(dx);
}

/* ---- attention ---- */
typedef struct {
    float *q, *k, *v, *r, *out, *att, *scratch;
} AttCtx;
static double att_loss(void *p) {
    AttCtx *c = p;
    attention_forward(c->out, c->att, c->scratch, 3, c->q, c->k, c->v, TB, TT, TNH, TNKV, THD);
    return dot_r(c->out, c->r, TB * TT * TNH * THD);
}
static void test_attention(void **state) {
    (void)state;
    size_t nq = TB * TT * TNH * THD, nk = TB * TT * TNKV * THD;
    AttCtx c = {rand_buf(nq, 1.0f), rand_buf(nk, 1.0f), rand_buf(nk, 1.0f),
                rand_buf(nq, 1.0f), gb_malloc(nq * 4),  gb_malloc(TB * TNH * TT * TT * 4),
                gb_malloc(3 * attention_scratch_floats(TT, THD) * 4)};
    att_loss(&c);
    /* forward against a direct computation for batch 1, head 1, query 3 */
    {
        int b = 1, h = 1, i = 3;
        double s[TT], mx = -1e30, sum = 0;
        for (int j = 0; j <= i; j++) {
            s[j] = 0;
            for (int d = 0; d < THD; d++)
                s[j] += (double)c.q[(b * TT + i) * TNH * THD + h * THD + d] *
                        c.k[(b * TT + j) * THD + d];
            s[j] /= sqrt(THD);
            mx = fmax(mx, s[j]);
        }
        for (int j = 0; j <= i; j++)
            sum += (s[j] = exp(s[j] - mx));
        for (int d = 0; d < THD; d++) {
            double y = 0;
            for (int j = 0; j <= i; j++)
                y += s[j] / sum * c.v[(b * TT + j) * THD + d];
            assert_true(fabs(c.out[(b * TT + i) * TNH * THD + h * THD + d] - y) < 1e-5);
        }
    }
    float *dq = gb_calloc(nq, 4), *dk = gb_calloc(nk, 4), *dv = gb_calloc(nk, 4);
    attention_backward(dq, dk, dv, c.scratch, 3, c.r, c.att, c.q, c.k, c.v, TB, TT, TNH, TNKV, THD);
    check_grad("attention dq", att_loss, &c, c.q, dq, nq, 1);
    check_grad("attention dk", att_loss, &c, c.k, dk, nk, 1);
    check_grad("attention dv", att_loss, &c, c.v, dv, nk, 1);
    free(c.q), free(c.k), free(c.v), free(c.r), free(c.out), free(c.att), free(c.scratch);
    free(dq), free(dk), free(dv);
}

/* Attention large enough to run in parallel bands: forward against a direct computation, backward
 * against finite differences on a sample of entries. */
enum { PB = 2, PT = 64, PNH = 4, PNKV = 2, PHD = 16 };
typedef struct {
    float *q, *k, *v, *r, *out, *att, *scratch;
} BigAttCtx;
static double big_att_loss(void *p) {
    BigAttCtx *c = p;
    attention_forward(c->out, c->att, c->scratch, 4, c->q, c->k, c->v, PB, PT, PNH, PNKV, PHD);
    return dot_r(c->out, c->r, (size_t)PB * PT * PNH * PHD);
}
static void test_attention_parallel(void **state) {
    (void)state;
    size_t nq = (size_t)PB * PT * PNH * PHD, nk = (size_t)PB * PT * PNKV * PHD;
    BigAttCtx c = {rand_buf(nq, 1.0f), rand_buf(nk, 1.0f),
                   rand_buf(nk, 1.0f), rand_buf(nq, 1.0f),
                   gb_malloc(nq * 4),  gb_malloc((size_t)PB * PNH * PT * PT * 4),
                   gb_malloc(4 * attention_scratch_floats(PT, PHD) * 4)};
    big_att_loss(&c);
    for (int b = 0; b < PB; b++)
        for (int h = 0; h < PNH; h++)
            for (int i = 0; i < PT; i += 5) {
                int kvh = h / (PNH / PNKV);
                double s[PT], mx = -1e30, sum = 0;
                for (int j = 0; j <= i; j++) {
                    s[j] = 0;
                    for (int d = 0; d < PHD; d++)
                        s[j] += (double)c.q[((size_t)b * PT + i) * PNH * PHD + h * PHD + d] *
                                c.k[((size_t)b * PT + j) * PNKV * PHD + kvh * PHD + d];
                    s[j] /= sqrt(PHD);
                    mx = fmax(mx, s[j]);
                }
                for (int j = 0; j <= i; j++)
                    sum += (s[j] = exp(s[j] - mx));
                for (int d = 0; d < PHD; d++) {
                    double y = 0;
                    for (int j = 0; j <= i; j++)
                        y += s[j] / sum * c.v[((size_t)b * PT + j) * PNKV * PHD + kvh * PHD + d];
                    assert_true(fabs(c.out[((size_t)b * PT + i) * PNH * PHD + h * PHD + d] - y) <
                                1e-4);
                }
            }
    float *dq = gb_calloc(nq, 4), *dk = gb_calloc(nk, 4), *dv = gb_calloc(nk, 4);
    attention_backward(dq, dk, dv, c.scratch, 4, c.r, c.att, c.q, c.k, c.v, PB, PT, PNH, PNKV, PHD);
    check_grad("parallel attention dq", big_att_loss, &c, c.q, dq, nq, 97);
    check_grad("parallel attention dk", big_att_loss, &c, c.k, dk, nk, 61);
    check_grad("parallel attention dv", big_att_loss, &c, c.v, dv, nk, 53);
    free(c.q), free(c.k), free(c.v), free(c.r), free(c.out), free(c.att), free(c.scratch);
    free(dq), free(dk), free(dv);
}

/* ---- swiglu ---- */
typedef struct {
    float *gate, *up, *r, *out;
} SwiCtx;
static double swi_loss(void *p) {
    SwiCtx *c = p;
    swiglu_forward(c->out, c->gate, c->up, TB * TT * TH);
    return dot_r(c->out, c->r, TB * TT * TH);
}
static void test_swiglu(void **state) {
    (void)state;
    size_t n = TB * TT * TH;
    SwiCtx c = {rand_buf(n, 3.0f), rand_buf(n, 1.0f), rand_buf(n, 1.0f), gb_malloc(n * 4)};
    swi_loss(&c);
    for (size_t i = 0; i < n; i++) {
        double g = c.gate[i];
        assert_true(fabs(c.out[i] - g / (1 + exp(-g)) * c.up[i]) < 1e-5);
    }
    float *dg = gb_malloc(n * 4), *du = gb_malloc(n * 4);
    swiglu_backward(dg, du, c.r, c.gate, c.up, n);
    check_grad("swiglu dgate", swi_loss, &c, c.gate, dg, n, 1);
    check_grad("swiglu dup", swi_loss, &c, c.up, du, n, 1);
    free(c.gate), free(c.up), free(c.r), free(c.out), free(dg), free(du);
}

/* ---- cross-entropy ---- */
typedef struct {
    float *logits, *work, *losses;
    int32_t *targets;
} CeCtx;
static double ce_loss(void *p) {
    CeCtx *c = p;
    memcpy(c->work, c->logits, TB * TT * TV * 4);
    int count;
    return crossentropy_forward(c->losses, c->work, c->targets, TB * TT, TV, &count);
}
static void test_crossentropy(void **state) {
    (void)state;
    size_t n = TB * TT * TV;
    int32_t targets[TB * TT];
    for (int i = 0; i < TB * TT; i++)
        targets[i] = (i * 7) % TV;
    targets[3] = -1; /* ignored */
    CeCtx c = {rand_buf(n, 2.0f), gb_malloc(n * 4), gb_malloc(TB * TT * 4), targets};
    double total = ce_loss(&c);
    int count;
    /* independent: log-sum-exp minus the target logit */
    double want = 0;
    for (int r = 0; r < TB * TT; r++) {
        if (targets[r] < 0) continue;
        double se = 0;
        for (int v = 0; v < TV; v++)
            se += exp(c.logits[r * TV + v]);
        want += log(se) - c.logits[r * TV + targets[r]];
    }
    assert_true(fabs(total - want) < 1e-4);
    float *d = gb_malloc(n * 4);
    memcpy(d, c.logits, n * 4);
    crossentropy_forward(c.losses, d, targets, TB * TT, TV, &count);
    assert_int_equal(count, TB * TT - 1);
    crossentropy_backward(d, targets, TB * TT, TV, 1.0f);
    check_grad("crossentropy dlogits", ce_loss, &c, c.logits, d, n, 1);
    free(c.logits), free(c.work), free(c.losses), free(d);
}

/* ---- the kernel sets ---- */
/* The element-wise layers give the same bits with every kernel set the CPU has (their vector loops
 * do the scalar loop's operations in its order): RoPE on heads wider than its vectors, SwiGLU both
 * ways, the residual addition, AdamW's update. */
static void test_kernel_sets_same_bits(void **state) {
    (void)state;
    enum { B = 2, T = 5, NH = 3, HD = 40, RD = 36, N = 1003 };
    size_t nx = (size_t)B * T * NH * HD;
    float *x = rand_buf(nx, 2.0f), *g = rand_buf(N, 4.0f), *u = rand_buf(N, 1.0f);
    float *d = rand_buf(N, 1.0f), *p0 = rand_buf(N, 1.0f), *m0 = rand_buf(N, 0.1f);
    float *v0 = gb_malloc(N * 4), *cos_t = gb_malloc(T * RD / 2 * 4), *sin_t = gb_malloc(T * RD / 2 * 4);
    for (int i = 0; i < N; i++)
        v0[i] = fabsf(frand()) * 0.01f;
    rope_tables(cos_t, sin_t, T, RD, 10000.0f);
    AdamWStep st = {3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f};
    float *want[7] = {0};
    static const KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    for (int si = 0; si < 3; si++) {
        if (kernels_select(sets[si]) != sets[si]) continue;
        float *got[7];
        got[0] = gb_malloc(nx * 4), got[1] = gb_malloc(nx * 4);
        memcpy(got[0], x, nx * 4), memcpy(got[1], x, nx * 4);
        rope_forward(got[0], cos_t, sin_t, B, T, NH, HD, RD);
        rope_backward(got[1], cos_t, sin_t, B, T, NH, HD, RD);
        got[2] = gb_malloc(N * 4), got[3] = gb_malloc(N * 4), got[4] = gb_malloc(N * 4);
        swiglu_forward(got[2], g, u, N);
        swiglu_backward(got[3], got[4], d, g, u, N);
        got[5] = gb_malloc(N * 4);
        residual_forward(got[5], g, u, N);
        got[6] = gb_malloc(3 * N * 4);
        memcpy(got[6], p0, N * 4), memcpy(got[6] + N, m0, N * 4), memcpy(got[6] + 2 * N, v0, N * 4);
        adamw_update(got[6], g, got[6] + N, got[6] + 2 * N, N, &st);
        size_t sizes[7] = {nx, nx, N, N, N, N, 3 * N};
        for (int k = 0; k < 7; k++) {
            if (!want[k]) {
                want[k] = got[k];
                continue;
            }
            if (memcmp(want[k], got[k], sizes[k] * 4) != 0)
                fail_msg("output %d differs with kernels %s", k, kernels_name(sets[si]));
            free(got[k]);
        }
    }
    kernels_select(KERNEL_AVX512);
    /* RoPE against its definition: position 3, head 2, pair 17 turns by 3 * 10000^(-34/36); the
     * values past rope_dim stay */
    {
        size_t o = ((size_t)1 * T + 3) * NH * HD + 2 * HD;
        double ang = 3.0 * pow(10000.0, -34.0 / 36.0), a = x[o + 34], b = x[o + 35];
        assert_true(fabs(want[0][o + 34] - (a * cos(ang) - b * sin(ang))) < 1e-5);
        assert_true(fabs(want[0][o + 35] - (a * sin(ang) + b * cos(ang))) < 1e-5);
        assert_true(want[0][o + 37] == x[o + 37]);
    }
    for (int k = 0; k < 7; k++)
        free(want[k]);
    free(x), free(g), free(u), free(d), free(p0), free(m0), free(v0), free(cos_t), free(sin_t);
}

/* ---- whole model ---- */
static Config tiny_config(void) {
    Config c;
    memset(&c, 0, sizeof(c));
    c.dim = TC;
    c.hidden_dim = TH;
    c.n_layers = 2;
    c.n_heads = TNH;
    c.n_kv_heads = TNKV;
    c.vocab_size = TV;
    c.rope_base = 10000.0f;
    c.norm_eps = 1e-5f;
    return c;
}

typedef struct {
    TrainModel *m;
    int32_t *inputs, *targets;
} ModelCtx;
static double model_loss(void *p) {
    ModelCtx *c = p;
    train_forward(c->m, c->inputs, c->targets);
    return (double)c->m->mean_loss;
}
static void test_model_gradient(void **state) {
    (void)state;
    TrainModel m;
    char err[GB_ERRLEN];
    Config cfg = tiny_config();
    assert_int_equal(train_model_build(&m, &cfg, TB, TT, err), 0);
    train_init_weights(&m, 7);
    /* larger weights than the 0.02 init so every path carries signal */
    for (size_t i = 0; i < m.n_params; i++)
        m.params_memory[i] += 0.3f * frand();
    int32_t inputs[TB * TT], targets[TB * TT];
    for (int i = 0; i < TB * TT; i++) {
        inputs[i] = (i * 5 + 1) % TV;
        targets[i] = (i * 3 + 2) % TV;
    }
    ModelCtx ctx = {&m, inputs, targets};
    train_forward(&m, inputs, targets);
    train_zero_grad(&m);
    train_backward(&m, inputs);
    float *grads = gb_malloc(m.n_params * 4);
    memcpy(grads, m.grads_memory, m.n_params * 4);
    size_t off = 0;
    static const char *names[TRAIN_N_TENSORS] = {"token_embd", "attn_norm", "wq",         "wk",
                                                 "wv",         "wo",        "ffn_norm",   "w_gate",
                                                 "w_up",       "w_down",    "output_norm"};
    for (int t = 0; t < TRAIN_N_TENSORS; t++) {
        size_t n = m.tensor_sizes[t];
        check_grad(names[t], model_loss, &ctx, m.params_memory + off, grads + off, n,
                   n > 40 ? 7 : 1);
        off += n;
    }
    free(grads);
    train_model_free(&m);
}

/* ---- training ---- */
/* A repetitive "text": the ids of a short phrase over and over. */
static int32_t *phrase_tokens(size_t n) {
    static const char phrase[] = "def add(a, b):\n    return a + b\n\n";
    int32_t *tok = gb_malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++)
        tok[i] = (unsigned char)phrase[i % (sizeof(phrase) - 1)] % 23;
    return tok;
}

static Config small_config(void) {
    Config c = tiny_config();
    c.dim = 16;
    c.hidden_dim = 32;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.vocab_size = 23;
    return c;
}

static void test_loss_falls(void **state) {
    (void)state;
    TrainModel m;
    char err[GB_ERRLEN];
    Config cfg = small_config();
    assert_int_equal(train_model_build(&m, &cfg, 4, 16, err), 0);
    train_init_weights(&m, 3);
    size_t n = 600;
    int32_t *tok = phrase_tokens(n), inputs[64], targets[64];
    TrainOptions o = train_default_options();
    o.total_steps = 60;
    o.warmup = 5;
    o.lr = 1e-2f;
    float first = 0, last = 0;
    for (long s = 0; s < o.total_steps; s++) {
        float loss = train_step(&m, &o, tok, n, s, inputs, targets, NULL);
        if (s == 0) first = loss;
        last = loss;
    }
    /* starts near uniform (ln 23 = 3.14); the phrase is fully predictable from context */
    assert_true(fabsf(first - logf(23.0f)) < 0.3f);
    assert_true(last < 0.5f * first);
    /* held-out: the same phrase continues the pattern, so the loss is low there too */
    double bpb = 0;
    uint32_t bytes[23];
    for (int i = 0; i < 23; i++)
        bytes[i] = 1;
    double heldout = train_evaluate(&m, tok + 100, 200, -1, bytes, &bpb);
    assert_true(heldout < 0.5 * first);
    assert_true(fabs(bpb - heldout / log(2.0)) < 1e-6);
    free(tok);
    train_model_free(&m);
}

static void test_resume_is_exact(void **state) {
    (void)state;
    char err[GB_ERRLEN], path[64];
    snprintf(path, sizeof(path), "/tmp/gb_test_train_%d.ckpt", (int)getpid());
    Config cfg = small_config();
    size_t n = 500;
    int32_t *tok = phrase_tokens(n), inputs[64], targets[64];
    for (size_t i = 0; i < n; i++)
        tok[i] = (tok[i] * 7 + (int32_t)(i % 5)) % 23; /* less regular */
    uint64_t hash = train_data_hash(tok, n);
    TrainOptions o = train_default_options();
    o.total_steps = 12;
    o.warmup = 3;
    o.seed = 42;

    TrainModel full, half;
    assert_int_equal(train_model_build(&full, &cfg, 4, 16, err), 0);
    train_init_weights(&full, o.seed);
    for (long s = 0; s < o.total_steps; s++)
        train_step(&full, &o, tok, n, s, inputs, targets, NULL);

    assert_int_equal(train_model_build(&half, &cfg, 4, 16, err), 0);
    train_init_weights(&half, o.seed);
    for (long s = 0; s < 6; s++)
        train_step(&half, &o, tok, n, s, inputs, targets, NULL);
    assert_int_equal(train_checkpoint_save(&half, &o, 6, hash, path, err), 0);
    train_model_free(&half);

    TrainModel resumed;
    long step = -1;
    assert_int_equal(train_model_build(&resumed, &cfg, 4, 16, err), 0);
    train_init_weights(&resumed, 999); /* overwritten by the checkpoint */
    assert_int_equal(train_checkpoint_load(&resumed, &o, hash, &step, path, err), 0);
    assert_int_equal(step, 6);
    for (long s = step; s < o.total_steps; s++)
        train_step(&resumed, &o, tok, n, s, inputs, targets, NULL);
    assert_memory_equal(resumed.params_memory, full.params_memory, full.n_params * sizeof(float));
    assert_memory_equal(resumed.m_memory, full.m_memory, full.n_params * sizeof(float));

    /* a checkpoint refuses other data, other options, and damage */
    assert_int_equal(train_checkpoint_load(&resumed, &o, hash ^ 1, &step, path, err), -1);
    assert_non_null(strstr(err, "different training data"));
    TrainOptions other = o;
    other.lr = 1e-3f;
    assert_int_equal(train_checkpoint_load(&resumed, &other, hash, &step, path, err), -1);
    {
        char *data;
        size_t len;
        assert_int_equal(gb_read_file(path, &data, &len, err), 0);
        data[len / 2] ^= 0x40;
        assert_int_equal(gb_write_file_atomic(path, data, len, err), 0);
        free(data);
        assert_int_equal(train_checkpoint_load(&resumed, &o, hash, &step, path, err), -1);
        assert_non_null(strstr(err, "checksum"));
    }
    unlink(path);
    free(tok);
    train_model_free(&full);
    train_model_free(&resumed);
}

static void test_lr_schedule(void **state) {
    (void)state;
    /* warm-up is linear, the peak is reached at the end of warm-up, the end is 10% of the peak */
    assert_true(fabsf(train_lr(0, 1000, 100, 1.0f) - 0.01f) < 1e-6f);
    assert_true(fabsf(train_lr(99, 1000, 100, 1.0f) - 1.0f) < 1e-6f);
    assert_true(fabsf(train_lr(100, 1000, 100, 1.0f) - 1.0f) < 1e-6f);
    assert_true(fabsf(train_lr(550, 1000, 100, 1.0f) - 0.55f) < 1e-6f);
    assert_true(fabsf(train_lr(1000, 1000, 100, 1.0f) - 0.1f) < 1e-6f);
}

/* ---- agreement with src/model/model.c ---- */
/* A tiny trainer with weights large enough that every path matters. */
static void build_random(TrainModel *m, int B, int T, uint64_t seed) {
    char err[GB_ERRLEN];
    Config cfg = tiny_config();
    assert_int_equal(train_model_build(m, &cfg, B, T, err), 0);
    train_init_weights(m, seed);
    for (size_t i = 0; i < m->n_params; i++)
        m->params_memory[i] += 0.2f * frand();
}

/* Copies the trainer's parameters into a Model's weights, tensor by tensor. */
static void copy_into_model(Model *mm, const TrainModel *m) {
    const Config *c = &m->config;
    size_t C = c->dim, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim, V = c->vocab_size;
    const ParamTensors *p = &m->params;
    Weights *w = &mm->weights;
    memcpy(matrix_floats(w->token_embd), p->token_embd, V * C * 4);
    if (matrix_floats(w->output) != matrix_floats(w->token_embd)) memcpy(matrix_floats(w->output), p->token_embd, V * C * 4);
    memcpy(w->output_norm, p->output_norm, C * 4);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        memcpy(lw->attn_norm, p->attn_norm + l * C, C * 4);
        memcpy(matrix_floats(lw->wq), p->wq + l * QD * C, QD * C * 4);
        memcpy(matrix_floats(lw->wk), p->wk + l * KD * C, KD * C * 4);
        memcpy(matrix_floats(lw->wv), p->wv + l * KD * C, KD * C * 4);
        memcpy(matrix_floats(lw->wo), p->wo + l * C * QD, C * QD * 4);
        memcpy(lw->ffn_norm, p->ffn_norm + l * C, C * 4);
        memcpy(matrix_floats(lw->w_gate), p->w_gate + l * H * C, H * C * 4);
        memcpy(matrix_floats(lw->w_up), p->w_up + l * H * C, H * C * 4);
        memcpy(matrix_floats(lw->w_down), p->w_down + l * C * H, C * H * 4);
    }
}

/* The trainer's batched logits for every sequence equal model_forward's, position by position. */
static void assert_same_logits(Model *mm, TrainModel *m, const int32_t *inputs) {
    int V = m->config.vocab_size;
    for (int b = 0; b < m->B; b++)
        for (int t = 0; t < m->T; t++) {
            const float *want = model_forward(mm, inputs[b * m->T + t], t);
            const float *got = m->acts.logits + ((size_t)b * m->T + t) * V;
            for (int v = 0; v < V; v++)
                if (fabsf(want[v] - got[v]) > 1e-4f)
                    fail_msg("b %d t %d logit %d: trainer %.6f, model.c %.6f", b, t, v, got[v],
                             want[v]);
        }
}

static void test_matches_model_forward(void **state) {
    (void)state;
    TrainModel m;
    build_random(&m, 2, 7, 11);
    int32_t inputs[14];
    for (int i = 0; i < 14; i++)
        inputs[i] = (i * 4 + 3) % TV;
    train_forward(&m, inputs, NULL);
    Model mm;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&mm, &m.config, 5, err), 0);
    copy_into_model(&mm, &m);
    assert_same_logits(&mm, &m, inputs);
    model_free(&mm);
    train_model_free(&m);
}

/* train_load_weights takes a model's weights: the trainer then computes that model's logits. A model
 * of another shape is refused, naming both shapes. */
static void test_load_weights(void **state) {
    (void)state;
    TrainModel m;
    build_random(&m, 2, 7, 11);
    Model mm;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&mm, &m.config, 5, err), 0);
    assert_int_equal(train_load_weights(&m, &mm, err), 0);
    int32_t inputs[14];
    for (int i = 0; i < 14; i++)
        inputs[i] = (i * 5 + 1) % TV;
    train_forward(&m, inputs, NULL);
    assert_same_logits(&mm, &m, inputs);
    model_free(&mm);

    Config other = m.config;
    other.hidden_dim += 2;
    assert_int_equal(model_init_random(&mm, &other, 5, err), 0);
    assert_int_equal(train_load_weights(&m, &mm, err), -1);
    assert_non_null(strstr(err, "is not the one asked for"));
    model_free(&mm);
    train_model_free(&m);
}

static void test_written_gguf_loads(void **state) {
    (void)state;
    TrainModel m;
    build_random(&m, 1, 9, 21);
    int32_t inputs[9] = {1, 5, 2, 9, 10, 0, 3, 3, 7};
    train_forward(&m, inputs, NULL);
    char path[64], err[GB_ERRLEN];
    snprintf(path, sizeof(path), "/tmp/gb_test_train_%d.gguf", (int)getpid());
    GGUFWriter *w = gguf_writer_new();
    Model view;
    train_model_view(&view, &m);
    model_add_to_writer(w, &view, GGML_TYPE_F32);
    train_view_free(&view);
    assert_int_equal(gguf_writer_write(w, path, err), 0);
    gguf_writer_free(w);

    Model loaded;
    if (model_load(&loaded, path, 0, err) != 0) fail_msg("model_load: %s", err);
    unlink(path);
    assert_int_equal(loaded.config.dim, m.config.dim);
    assert_int_equal(loaded.config.n_layers, m.config.n_layers);
    assert_int_equal(loaded.config.n_kv_heads, m.config.n_kv_heads);
    assert_int_equal(loaded.config.context_length, 9);
    assert_true(loaded.weights.tied);
    assert_same_logits(&loaded, &m, inputs);
    model_free(&loaded);
    train_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsnorm_backward),
        cmocka_unit_test(test_matmul_backward),
        cmocka_unit_test(test_matmul_parallel),
        cmocka_unit_test(test_rope),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_attention_parallel),
        cmocka_unit_test(test_swiglu),
        cmocka_unit_test(test_crossentropy),
        cmocka_unit_test(test_kernel_sets_same_bits),
        cmocka_unit_test(test_model_gradient),
        cmocka_unit_test(test_loss_falls),
        cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_lr_schedule),
        cmocka_unit_test(test_matches_model_forward),
        cmocka_unit_test(test_load_weights),
        cmocka_unit_test(test_written_gguf_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
