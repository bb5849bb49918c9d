/* The trainer's attention (see train.h): rotary position embeddings, and causal grouped-query
 * attention forward and backward as matrix products over tiles of query rows.
 *
 * One task is one (sequence, kv head) pair: the query heads of a group share its keys and values,
 * which are packed once for the products (gemm.h), and their gradients accumulate within the task.
 * A task runs on one thread, start to end, so every sum is in the same order whatever the number
 * of threads. Query rows go in tiles of ATT_TILE: tile [i0, i1) meets keys [0, i1) only, so the
 * products skip the masked upper triangle but for a tile-sized strip along the diagonal. */
#include "train.h"

#include <math.h>
#include <omp.h>

#include "gemm.h"
#include "train_ops.h"

/* Query rows per tile: a multiple of every micro-kernel's rows (12, 6, 4); 24 wastes 9% of the
 * causal products on the strip above the diagonal at T = 256 and keeps the products' calls few. */
#define ATT_TILE 24

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
 * a rotation is the inverse rotation. Pairs [p0, p1) of each head of the row at position t. */
static void rope_row(float *row, const float *c, const float *s, int n_heads, int head_dim, int p0,
                     int p1, float sign) {
    for (int h = 0; h < n_heads; h++) {
        float *xh = row + h * head_dim;
        for (int i = p0; i < p1; i++) {
            float a = xh[2 * i], bb = xh[2 * i + 1], sn = sign * s[i];
            xh[2 * i] = a * c[i] - bb * sn;
            xh[2 * i + 1] = a * sn + bb * c[i];
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
/* 16 pairs at a time: x * (c, c) + swap(x) * (-s, s), the same products and sums as rope_row (a
 * sum's two terms swapped, a product's sign moved onto s: both exact), so the same bits. Returns
 * the pairs done. */
__attribute__((target("avx512f"))) static int rope_row_avx512(float *row, const float *c,
                                                              const float *s, int n_heads,
                                                              int head_dim, int half, float sign) {
    const __m512i lo = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i hi = _mm512_set_epi32(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8);
    const __m512 zero = _mm512_setzero_ps();
    int p0 = 0;
    for (; p0 + 16 <= half; p0 += 16) {
        __m512 cv = _mm512_loadu_ps(c + p0),
               sv = _mm512_mul_ps(_mm512_set1_ps(sign), _mm512_loadu_ps(s + p0));
        __m512 c_lo = _mm512_permutexvar_ps(lo, cv), c_hi = _mm512_permutexvar_ps(hi, cv);
        __m512 s_lo = _mm512_permutexvar_ps(lo, sv), s_hi = _mm512_permutexvar_ps(hi, sv);
        s_lo = _mm512_mask_sub_ps(s_lo, 0x5555, zero, s_lo); /* -s in the even lanes */
        s_hi = _mm512_mask_sub_ps(s_hi, 0x5555, zero, s_hi);
        for (int h = 0; h < n_heads; h++) {
            float *x = row + h * head_dim + 2 * p0;
            __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
            _mm512_storeu_ps(x, _mm512_add_ps(_mm512_mul_ps(x0, c_lo),
                                              _mm512_mul_ps(_mm512_permute_ps(x0, 0xB1), s_lo)));
            _mm512_storeu_ps(x + 16,
                             _mm512_add_ps(_mm512_mul_ps(x1, c_hi),
                                           _mm512_mul_ps(_mm512_permute_ps(x1, 0xB1), s_hi)));
        }
    }
    return p0;
}
#endif

static void rope_apply(float *x, const float *cos_t, const float *sin_t, int B, int T, int n_heads,
                       int head_dim, int rope_dim, float sign) {
    int half = rope_dim / 2, avx512 = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    avx512 = kernels_selected() == KERNEL_AVX512;
#endif
#pragma omp parallel for collapse(2)                                                               \
    schedule(static) if ((long)B * T * n_heads * head_dim >= PARALLEL_MIN_WORK)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *row = x + ((size_t)b * T + t) * n_heads * head_dim;
            const float *c = cos_t + (size_t)t * half, *s = sin_t + (size_t)t * half;
            int p0 = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
            if (avx512) p0 = rope_row_avx512(row, c, s, n_heads, head_dim, half, sign);
#endif
            rope_row(row, c, s, n_heads, head_dim, p0, half, sign);
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

/* One thread's scratch: a head's (T, T) gradient of the probabilities, then k or v transposed and
 * packed, then v or k, and one head's dout and q (the backward pass) packed. */
size_t attention_scratch_floats(int T, int hd) {
    return (size_t)T * T + gemm_pack_floats(hd, T) + 3 * gemm_pack_floats(T, hd);
}

TRAIN_FAST_MATH_BEGIN
/* Causal softmax of rows [i0, i1) of a (T, T) score matrix in place, each row over its keys
 * 0 .. i; the entries right of the diagonal up to i1 become 0. */
TRAIN_BODY void causal_softmax_body(float *att, int T, int i0, int i1) {
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
#pragma omp simd
        for (int j = 0; j <= i; j++)
            row[j] *= inv;
        for (int j = i + 1; j < i1; j++)
            row[j] = 0.0f;
    }
}
TRAIN_SIMD_CLONES(causal_softmax, (float *att, int T, int i0, int i1), (att, T, i0, i1))

/* Rows [i0, i1) of the softmax's backward pass in place: d (the gradient of the probabilities p)
 * becomes the gradient of the scores, p * (d - sum_j p . d) over j <= i, 0 right of the diagonal
 * up to i1. */
TRAIN_BODY void softmax_backward_rows_body(float *d, const float *p, int T, int i0, int i1) {
    for (int i = i0; i < i1; i++) {
        const float *pi = p + (size_t)i * T;
        float *di = d + (size_t)i * T;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j <= i; j++)
            dot += pi[j] * di[j];
#pragma omp simd
        for (int j = 0; j <= i; j++)
            di[j] = pi[j] * (di[j] - dot);
        for (int j = i + 1; j < i1; j++)
            di[j] = 0.0f;
    }
}
TRAIN_SIMD_CLONES(softmax_backward_rows, (float *d, const float *p, int T, int i0, int i1),
                  (d, p, T, i0, i1))
TRAIN_FAST_MATH_END

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same two functions for AVX-512 by hand: rows are short (i + 1 keys), and the compiler's
 * loops finish each one element at a time; here the last part of a row is a masked vector. */
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

/* exp_fast on 16 lanes: the same operations in the same order, so the same bits */
AVX512 static inline __m512 exp_fast16(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-60.0f), x); /* -60 > x ? -60 : x, as exp_fast (NaN stays) */
    __m512 big = _mm512_set1_ps(12582912.0f);
    __m512 n =
        _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), big), big);
    __m512 r = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693145751953125f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(1.428606765330187e-06f)));
    static const float c[7] = {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    for (int i = 0; i < 7; i++)
        p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(c[i]));
    __m512i bits =
        _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

/* lanes [0, n - j) of the vector at j, for the last part of a row of n */
AVX512 static inline __mmask16 lanes(int j, int n) {
    return n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
}

AVX512 static void causal_softmax_hand512(float *att, int T, int i0, int i1) {
    for (int i = i0; i < i1; i++) {
        float *row = att + (size_t)i * T;
        int n = i + 1;
        __m512 vm = _mm512_set1_ps(-INFINITY), vs = _mm512_setzero_ps();
        for (int j = 0; j < n; j += 16)
            vm = _mm512_max_ps(vm, _mm512_mask_loadu_ps(vm, lanes(j, n), row + j));
        __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vm));
        for (int j = 0; j < n; j += 16) {
            __mmask16 k = lanes(j, n);
            __m512 e = exp_fast16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, row + j), mx));
            _mm512_mask_storeu_ps(row + j, k, e);
            vs = _mm512_add_ps(vs, _mm512_maskz_mov_ps(k, e));
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vs));
        for (int j = 0; j < n; j += 16) {
            __mmask16 k = lanes(j, n);
            _mm512_mask_storeu_ps(row + j, k,
                                  _mm512_mul_ps(_mm512_maskz_loadu_ps(k, row + j), inv));
        }
        for (int j = n; j < i1; j++)
            row[j] = 0.0f;
    }
}

AVX512 static void softmax_backward_rows_hand512(float *d, const float *p, int T, int i0, int i1) {
    for (int i = i0; i < i1; i++) {
        const float *pi = p + (size_t)i * T;
        float *di = d + (size_t)i * T;
        int n = i + 1;
        __m512 vd = _mm512_setzero_ps();
        for (int j = 0; j < n; j += 16) {
            __mmask16 k = lanes(j, n);
            vd = _mm512_add_ps(vd, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, pi + j),
                                                 _mm512_maskz_loadu_ps(k, di + j)));
        }
        __m512 dot = _mm512_set1_ps(_mm512_reduce_add_ps(vd));
        for (int j = 0; j < n; j += 16) {
            __mmask16 k = lanes(j, n);
            __m512 g = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, di + j), dot);
            _mm512_mask_storeu_ps(di + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, pi + j), g));
        }
        for (int j = n; j < i1; j++)
            di[j] = 0.0f;
    }
}
#define PICK_SOFTMAX(name)                                                                         \
    (kernels_selected() == KERNEL_AVX512 ? name##_hand512 : TRAIN_SIMD_PICK(name))
#else
#define PICK_SOFTMAX(name) TRAIN_SIMD_PICK(name)
#endif

/* One task of the forward pass: query heads [h0, h0 + group) over kv head kvh of one sequence.
 * q (T, QD), k and v (T, KD) are the sequence's rows; att (NH, T, T) its probabilities. */
static void attention_forward_task(float *out, float *att, float *scratch, const float *q,
                                   const float *k, const float *v, int T, int QD, int KD, int h0,
                                   int group, int kvh, int hd, causal_softmax_fn softmax) {
    float scale = 1.0f / sqrtf((float)hd);
    GemmPacked kt, vp;
    float *kbuf = scratch + (size_t)T * T, *vbuf = kbuf + gemm_pack_floats(hd, T);
    gemm_pack(&kt, kbuf, k + kvh * hd, hd, T, 1, KD); /* k^T (hd, T) */
    gemm_pack(&vp, vbuf, v + kvh * hd, T, hd, 0, KD); /* v (T, hd) */
    for (int h = h0; h < h0 + group; h++) {
        const float *qh = q + h * hd;
        float *a = att + (size_t)h * T * T, *oh = out + h * hd;
        for (int i0 = 0; i0 < T; i0 += ATT_TILE) {
            int i1 = i0 + ATT_TILE < T ? i0 + ATT_TILE : T;
            /* scores (i0:i1, 0:i1) = scale * q (i0:i1, hd) . k (0:i1, hd)^T */
            gemm_packed(a + (size_t)i0 * T, qh + (size_t)i0 * QD, &kt, i1 - i0, i1, hd, 0, 0, QD, T,
                        scale, 0.0f);
            softmax(a, T, i0, i1);
            /* out (i0:i1, hd) = att (i0:i1, 0:i1) . v (0:i1, hd) */
            gemm_packed(oh + (size_t)i0 * QD, a + (size_t)i0 * T, &vp, i1 - i0, hd, i1, 0, 0, T, QD,
                        1.0f, 0.0f);
        }
    }
}

void attention_forward(float *out, float *att, float *scratch, int n_slots, const float *q,
                       const float *k, const float *v, int B, int T, int NH, int NKV, int hd) {
    int QD = NH * hd, KD = NKV * hd, group = NH / NKV;
    size_t per_slot = attention_scratch_floats(T, hd);
    causal_softmax_fn softmax = PICK_SOFTMAX(causal_softmax);
#pragma omp parallel num_threads(n_slots) if ((long)B * NH * T * T * hd >= PARALLEL_MIN_WORK)
    {
        float *s = scratch + (size_t)omp_get_thread_num() * per_slot;
#pragma omp for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int kvh = 0; kvh < NKV; kvh++)
                attention_forward_task(out + (size_t)b * T * QD, att + (size_t)b * NH * T * T, s,
                                       q + (size_t)b * T * QD, k + (size_t)b * T * KD,
                                       v + (size_t)b * T * KD, T, QD, KD, kvh * group, group, kvh,
                                       hd, softmax);
    }
}

/* One task of the backward pass (the rows and heads of attention_forward_task). dq rows are
 * written, dk and dv rows accumulate. */
static void attention_backward_task(float *dq, float *dk, float *dv, float *scratch,
                                    const float *dout, const float *att, const float *q,
                                    const float *k, const float *v, int T, int QD, int KD, int h0,
                                    int group, int kvh, int hd,
                                    softmax_backward_rows_fn softmax_bwd) {
    float scale = 1.0f / sqrtf((float)hd);
    size_t nt = gemm_pack_floats(T, hd);
    float *datt = scratch, *vbuf = scratch + (size_t)T * T, *kbuf = vbuf + gemm_pack_floats(hd, T);
    float *dobuf = kbuf + nt, *qbuf = dobuf + nt;
    GemmPacked vt, kp, dop, qp;
    gemm_pack(&vt, vbuf, v + kvh * hd, hd, T, 1, KD); /* v^T (hd, T) */
    gemm_pack(&kp, kbuf, k + kvh * hd, T, hd, 0, KD); /* k (T, hd) */
    float *dkh = dk + kvh * hd, *dvh = dv + kvh * hd;
    for (int h = h0; h < h0 + group; h++) {
        const float *a = att + (size_t)h * T * T, *doh = dout + h * hd, *qh = q + h * hd;
        float *dqh = dq + h * hd;
        for (int i0 = 0; i0 < T; i0 += ATT_TILE) {
            int i1 = i0 + ATT_TILE < T ? i0 + ATT_TILE : T, m = i1 - i0;
            float *db = datt + (size_t)i0 * T;
            /* datt (i0:i1, 0:i1) = dout (i0:i1, hd) . v (0:i1, hd)^T */
            gemm_packed(db, doh + (size_t)i0 * QD, &vt, m, i1, hd, 0, 0, QD, T, 1.0f, 0.0f);
            softmax_bwd(datt, a, T, i0, i1);
            /* dq (i0:i1, hd) = scale * dscore (i0:i1, 0:i1) . k (0:i1, hd) */
            gemm_packed(dqh + (size_t)i0 * QD, db, &kp, m, hd, i1, 0, 0, T, QD, scale, 0.0f);
        }
        /* keys in the same tiles: key tile [j0, j1) meets queries [j0, T), whose rows hold
         * probabilities (and score gradients) for every key of the tile */
        gemm_pack(&dop, dobuf, doh, T, hd, 0, QD); /* dout (T, hd) */
        gemm_pack(&qp, qbuf, qh, T, hd, 0, QD);    /* q (T, hd) */
        for (int j0 = 0; j0 < T; j0 += ATT_TILE) {
            int j1 = j0 + ATT_TILE < T ? j0 + ATT_TILE : T;
            size_t at = (size_t)j0 * T + j0;
            /* dv (j0:j1, hd) += att (j0:T, j0:j1)^T . dout (j0:T, hd) */
            gemm_packed(dvh + (size_t)j0 * KD, a + at, &dop, j1 - j0, hd, T - j0, j0, 1, T, KD,
                        1.0f, 1.0f);
            /* dk (j0:j1, hd) += scale * dscore (j0:T, j0:j1)^T . q (j0:T, hd) */
            gemm_packed(dkh + (size_t)j0 * KD, datt + at, &qp, j1 - j0, hd, T - j0, j0, 1, T, KD,
                        scale, 1.0f);
        }
    }
}

void attention_backward(float *dq, float *dk, float *dv, float *scratch, int n_slots,
                        const float *dout, const float *att, const float *q, const float *k,
                        const float *v, int B, int T, int NH, int NKV, int hd) {
    int QD = NH * hd, KD = NKV * hd, group = NH / NKV;
    size_t per_slot = attention_scratch_floats(T, hd);
    softmax_backward_rows_fn softmax_bwd = PICK_SOFTMAX(softmax_backward_rows);
#pragma omp parallel num_threads(n_slots) if ((long)B * NH * T * T * hd >= PARALLEL_MIN_WORK)
    {
        float *s = scratch + (size_t)omp_get_thread_num() * per_slot;
#pragma omp for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int kvh = 0; kvh < NKV; kvh++) {
                size_t qo = (size_t)b * T * QD, ko = (size_t)b * T * KD;
                attention_backward_task(dq + qo, dk + ko, dv + ko, s, dout + qo,
                                        att + (size_t)b * NH * T * T, q + qo, k + ko, v + ko, T, QD,
                                        KD, kvh * group, group, kvh, hd, softmax_bwd);
            }
    }
}
