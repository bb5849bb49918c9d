/* The trainer's layers but attention (see train.h; attention is in train_attn.c): RMSNorm, the
 * weight products, SwiGLU, the cross-entropy over the vocabulary, the residual additions and
 * AdamW's update, each a *_forward / *_backward pair over flat arrays.
 *
 * The loops over rows and elements are written once and compiled three times (train_ops.h:
 * TRAIN_SIMD_CLONES): for AVX-512, for AVX2 and for any x86-64 or other CPU, the set chosen at run
 * time with the products' kernels (kernels.h). Element-wise arithmetic gives the same bits in
 * every set (-ffp-contract=off: no fused multiply-adds); sums over a row are taken as many lanes at
 * a time as the set has, so their bits follow the set, never the number of threads. */
#include "train.h"

#include <math.h>
#include <omp.h>

#include "gemm.h"
#include "train_ops.h"

/* The part [lo, hi) of n items that this thread of the team takes. */
static void slab(long n, long *lo, long *hi) {
    long nt = omp_get_num_threads(), t = omp_get_thread_num();
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

TRAIN_FAST_MATH_BEGIN

/* ---- RMSNorm ---- */

TRAIN_BODY void rmsnorm_rows_body(float *out, float *rstd, const float *inp, const float *weight,
                                  long n0, long n1, int C, float eps) {
    for (long n = n0; n < n1; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (int i = 0; i < C; i++)
            ss += x[i] * x[i];
        float r = 1.0f / sqrtf(ss / C + eps);
#pragma omp simd
        for (int i = 0; i < C; i++)
            o[i] = x[i] * r * weight[i];
        rstd[n] = r;
    }
}
TRAIN_SIMD_CLONES(rmsnorm_rows,
                  (float *out, float *rstd, const float *inp, const float *weight, long n0, long n1,
                   int C, float eps),
                  (out, rstd, inp, weight, n0, n1, C, eps))

void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int N, int C,
                     float eps) {
    rmsnorm_rows_fn fn = TRAIN_SIMD_PICK(rmsnorm_rows);
#pragma omp parallel if ((long)N * C >= PARALLEL_MIN_WORK)
    {
        long n0, n1;
        slab(N, &n0, &n1);
        fn(out, rstd, inp, weight, n0, n1, C, eps);
    }
}

/* dx = rstd * (dxhat - xhat * mean(dxhat . xhat)), with xhat = x * rstd, dxhat = dout * w */
TRAIN_BODY void rmsnorm_dinp_body(float *dinp, const float *dout, const float *inp,
                                  const float *weight, const float *rstd, long n0, long n1, int C) {
    for (long n = n0; n < n1; n++) {
        const float *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float r = rstd[n], dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int i = 0; i < C; i++)
            dot += dy[i] * weight[i] * x[i] * r;
        dot /= C;
#pragma omp simd
        for (int i = 0; i < C; i++)
            dx[i] += r * (dy[i] * weight[i] - x[i] * r * dot);
    }
}
TRAIN_SIMD_CLONES(rmsnorm_dinp,
                  (float *dinp, const float *dout, const float *inp, const float *weight,
                   const float *rstd, long n0, long n1, int C),
                  (dinp, dout, inp, weight, rstd, n0, n1, C))

/* The weight's gradient over channels [c0, c1): every row in order, so the sums do not depend on
 * how the channels are split. */
#define NORM_CHANNELS 32
TRAIN_BODY void rmsnorm_dweight_body(float *dweight, const float *dout, const float *inp,
                                     const float *rstd, int N, int C, int c0, int c1) {
    float s[NORM_CHANNELS] = {0};
    int w = c1 - c0;
    for (int n = 0; n < N; n++) {
        const float *dy = dout + (size_t)n * C + c0, *x = inp + (size_t)n * C + c0;
        float r = rstd[n];
#pragma omp simd
        for (int i = 0; i < w; i++)
            s[i] += dy[i] * x[i] * r;
    }
    for (int i = 0; i < w; i++)
        dweight[c0 + i] += s[i];
}
TRAIN_SIMD_CLONES(rmsnorm_dweight,
                  (float *dweight, const float *dout, const float *inp, const float *rstd, int N,
                   int C, int c0, int c1),
                  (dweight, dout, inp, rstd, N, C, c0, c1))

void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C) {
    rmsnorm_dinp_fn dinp_fn = TRAIN_SIMD_PICK(rmsnorm_dinp);
    rmsnorm_dweight_fn dw_fn = TRAIN_SIMD_PICK(rmsnorm_dweight);
    int n_blocks = (C + NORM_CHANNELS - 1) / NORM_CHANNELS;
#pragma omp parallel if ((long)N * C >= PARALLEL_MIN_WORK)
    {
        long n0, n1;
        slab(N, &n0, &n1);
        dinp_fn(dinp, dout, inp, weight, rstd, n0, n1, C);
#pragma omp for schedule(static) nowait
        for (int blk = 0; blk < n_blocks; blk++) {
            int c0 = blk * NORM_CHANNELS;
            dw_fn(dweight, dout, inp, rstd, N, C, c0,
                  c0 + NORM_CHANNELS < C ? c0 + NORM_CHANNELS : C);
        }
    }
}

/* ---- products with the weights ---- */

/* Threads each run gemm on their own slab of the output (rows, or rows or columns of a weight
 * gradient), so every sum is computed in the same order whatever the number of threads. */
void matmul_forward(float *out, const float *inp, const float *weight, int N, int C, int OC) {
    /* out (N, OC) = inp (N, C) . weight (OC, C)^T, rows split across threads */
#pragma omp parallel if ((long)N * C * OC >= PARALLEL_MIN_WORK)
    {
        long r0, r1;
        slab(N, &r0, &r1);
        gemm(out + (size_t)r0 * OC, inp + (size_t)r0 * C, weight, (int)(r1 - r0), OC, C, 0, 1, C, C,
             OC, 1.0f, 0.0f);
    }
}

void matmul_backward_scaled(float *dinp, float *dweight, const float *dout, const float *inp,
                            const float *weight, int N, int C, int OC, int accumulate,
                            float scale) {
#pragma omp parallel if ((long)N * C * OC >= PARALLEL_MIN_WORK)
    {
        long r0, r1;
        /* dinp (N, C) (+)= scale * dout (N, OC) . weight (OC, C), rows split */
        slab(N, &r0, &r1);
        gemm(dinp + (size_t)r0 * C, dout + (size_t)r0 * OC, weight, (int)(r1 - r0), C, OC, 0, 0, OC,
             C, C, scale, accumulate ? 1.0f : 0.0f);
        /* dweight (OC, C) += scale * dout^T (OC, N) . inp (N, C), split over its rows or its
         * columns: each thread packs the whole of the other operand, so split the side that keeps
         * that smaller */
        if (OC >= C) {
            slab(OC, &r0, &r1);
            gemm(dweight + (size_t)r0 * C, dout + r0, inp, (int)(r1 - r0), C, N, 1, 0, OC, C, C,
                 scale, 1.0f);
        } else {
            slab(C, &r0, &r1);
            gemm(dweight + r0, dout, inp + r0, OC, (int)(r1 - r0), N, 1, 0, OC, C, C, scale, 1.0f);
        }
    }
}

void matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, int accumulate) {
    matmul_backward_scaled(dinp, dweight, dout, inp, weight, N, C, OC, accumulate, 1.0f);
}

/* ---- element-wise ---- */

/* Runs fn on this thread's part of n elements (whole vectors of 16 but the last part). */
#define ELEMENTWISE(n, fn, ...)                                                                    \
    do {                                                                                           \
        long n_ = (long)(n);                                                                       \
        _Pragma("omp parallel if (n_ >= PARALLEL_MIN_WORK)") {                                     \
            long lo_, hi_;                                                                         \
            slab((n_ + 15) / 16, &lo_, &hi_);                                                      \
            lo_ *= 16, hi_ = hi_ * 16 < n_ ? hi_ * 16 : n_;                                        \
            if (hi_ > lo_) fn(lo_, hi_, __VA_ARGS__);                                              \
        }                                                                                          \
    } while (0)

TRAIN_BODY void residual_body(long i0, long i1, float *out, const float *a, const float *b) {
#pragma omp simd
    for (long i = i0; i < i1; i++)
        out[i] = a[i] + b[i];
}
TRAIN_SIMD_CLONES(residual, (long i0, long i1, float *out, const float *a, const float *b),
                  (i0, i1, out, a, b))

void residual_forward(float *out, const float *a, const float *b, size_t n) {
    residual_fn fn = TRAIN_SIMD_PICK(residual);
    ELEMENTWISE(n, fn, out, a, b);
}

/* silu(g) * u and its gradient. sigmoid(g) from e^-|g|, so the exponential's argument is never
 * positive: 1 / (1 + e) for g >= 0, e / (1 + e) below, as (g >= 0 ? 1 : e) * (1 / (1 + e)). */
TRAIN_BODY float sigmoid_fast(float g) {
    float e = exp_fast(g < 0.0f ? g : -g), r = 1.0f / (1.0f + e);
    return (g >= 0.0f ? 1.0f : e) * r;
}

TRAIN_BODY void swiglu_fwd_body(long i0, long i1, float *out, const float *gate, const float *up) {
#pragma omp simd
    for (long i = i0; i < i1; i++) {
        float g = gate[i];
        out[i] = g * sigmoid_fast(g) * up[i];
    }
}
TRAIN_SIMD_CLONES(swiglu_fwd, (long i0, long i1, float *out, const float *gate, const float *up),
                  (i0, i1, out, gate, up))

void swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
    swiglu_fwd_fn fn = TRAIN_SIMD_PICK(swiglu_fwd);
    ELEMENTWISE(n, fn, out, gate, up);
}

TRAIN_BODY void swiglu_bwd_body(long i0, long i1, float *dgate, float *dup, const float *dout,
                                const float *gate, const float *up) {
#pragma omp simd
    for (long i = i0; i < i1; i++) {
        float g = gate[i], sig = sigmoid_fast(g);
        dup[i] = dout[i] * g * sig;
        dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    }
}
TRAIN_SIMD_CLONES(swiglu_bwd,
                  (long i0, long i1, float *dgate, float *dup, const float *dout, const float *gate,
                   const float *up),
                  (i0, i1, dgate, dup, dout, gate, up))

void swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                     const float *up, size_t n) {
    swiglu_bwd_fn fn = TRAIN_SIMD_PICK(swiglu_bwd);
    ELEMENTWISE(n, fn, dgate, dup, dout, gate, up);
}

/* ---- cross-entropy over the vocabulary ---- */

TRAIN_BODY void softmax_rows_body(float *losses, float *logits, const int32_t *targets, long n0,
                                  long n1, int V) {
    for (long n = n0; n < n1; n++) {
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
}
TRAIN_SIMD_CLONES(softmax_rows,
                  (float *losses, float *logits, const int32_t *targets, long n0, long n1, int V),
                  (losses, logits, targets, n0, n1, V))

double crossentropy_forward(float *losses, float *logits, const int32_t *targets, int N, int V,
                            int *count) {
    softmax_rows_fn fn = TRAIN_SIMD_PICK(softmax_rows);
#pragma omp parallel if ((long)N * V >= PARALLEL_MIN_WORK)
    {
        long n0, n1;
        slab(N, &n0, &n1);
        fn(losses, logits, targets, n0, n1, V);
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

TRAIN_BODY void ce_backward_body(float *probs, const int32_t *targets, long n0, long n1, int V,
                                 float scale) {
    for (long n = n0; n < n1; n++) {
        float *row = probs + (size_t)n * V;
        int tgt = targets[n];
        if (tgt < 0) {
            memset(row, 0, (size_t)V * sizeof(float));
            continue;
        }
        if (scale != 1.0f) /* the trainer passes 1 and scales in the products that follow */
#pragma omp simd
            for (int i = 0; i < V; i++)
                row[i] *= scale;
        row[tgt] -= scale;
    }
}
TRAIN_SIMD_CLONES(ce_backward,
                  (float *probs, const int32_t *targets, long n0, long n1, int V, float scale),
                  (probs, targets, n0, n1, V, scale))

void crossentropy_backward(float *probs, const int32_t *targets, int N, int V, float scale) {
    ce_backward_fn fn = TRAIN_SIMD_PICK(ce_backward);
#pragma omp parallel if ((long)N * V >= PARALLEL_MIN_WORK)
    {
        long n0, n1;
        slab(N, &n0, &n1);
        fn(probs, targets, n0, n1, V, scale);
    }
}

TRAIN_FAST_MATH_END

/* ---- AdamW ---- */

/* The same operations, in the same order, one element or sixteen at a time: the same bits. (Only
 * -fno-math-errno, which the build does not set, would let the compiler vectorise sqrtf.) */
static void adamw_portable(long i0, long i1, float *p, const float *g, float *mm, float *vv,
                           const AdamWStep *s) {
    float lr = s->lr, b1 = s->beta1, b2 = s->beta2, eps = s->eps, wd = s->weight_decay;
    float c1 = s->c1, c2 = s->c2;
    for (long i = i0; i < i1; i++) {
        float mi = b1 * mm[i] + (1.0f - b1) * g[i];
        float vi = b2 * vv[i] + (1.0f - b2) * g[i] * g[i];
        mm[i] = mi;
        vv[i] = vi;
        p[i] -= lr * ((mi / c1) / (sqrtf(vi / c2) + eps) + wd * p[i]);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
__attribute__((target("avx512f"))) static void
adamw_avx512(long i0, long i1, float *p, const float *g, float *mm, float *vv, const AdamWStep *s) {
    __m512 lr = _mm512_set1_ps(s->lr), b1 = _mm512_set1_ps(s->beta1);
    __m512 b2 = _mm512_set1_ps(s->beta2), eps = _mm512_set1_ps(s->eps);
    __m512 wd = _mm512_set1_ps(s->weight_decay), c1 = _mm512_set1_ps(s->c1);
    __m512 c2 = _mm512_set1_ps(s->c2), one_b1 = _mm512_set1_ps(1.0f - s->beta1);
    __m512 one_b2 = _mm512_set1_ps(1.0f - s->beta2);
    long i = i0;
    for (; i + 16 <= i1; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i), pi = _mm512_loadu_ps(p + i);
        __m512 mi =
            _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(mm + i)), _mm512_mul_ps(one_b1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(vv + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(one_b2, gi), gi));
        _mm512_storeu_ps(mm + i, mi);
        _mm512_storeu_ps(vv + i, vi);
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_div_ps(vi, c2)), eps);
        __m512 upd =
            _mm512_add_ps(_mm512_div_ps(_mm512_div_ps(mi, c1), den), _mm512_mul_ps(wd, pi));
        _mm512_storeu_ps(p + i, _mm512_sub_ps(pi, _mm512_mul_ps(lr, upd)));
    }
    adamw_portable(i, i1, p, g, mm, vv, s);
}
#endif

void adamw_update(float *p, const float *g, float *m, float *v, size_t n, const AdamWStep *s) {
    void (*fn)(long, long, float *, const float *, float *, float *, const AdamWStep *) =
        adamw_portable;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (kernels_selected() == KERNEL_AVX512) fn = adamw_avx512;
#endif
    ELEMENTWISE(n, fn, p, g, m, v, s);
}
