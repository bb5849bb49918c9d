/* The AVX2 + FMA and AVX-512 kernels, compiled for their instruction sets with target attributes
 * and chosen at run time by kernels.c (kernels_select); each sums in the order its portable kernel
 * does where the tests ask for the same bits. See kernels.c's opening comment for the method. */
#include "kernels_internal.h"

/* ------------------------------------------------------------------------------------------------
 * AVX2 + FMA kernels */

#ifdef GB_X86

/* The block loop of the Q8_0/Q4_0 kernels: STEP(i, acc) adds block i into acc; even blocks go to
 * acc0 and odd ones to acc1 (two chains of additions in flight instead of one), written out so both
 * stay in registers. */
#define EVEN_ODD_BLOCKS(nb, STEP)                                                                  \
    do {                                                                                           \
        int i_ = 0;                                                                                \
        for (; i_ + 2 <= (nb); i_ += 2) {                                                          \
            acc0 = STEP(i_, acc0);                                                                 \
            acc1 = STEP(i_ + 1, acc1);                                                             \
        }                                                                                          \
        if (i_ < (nb)) acc0 = STEP(i_, acc0);                                                      \
    } while (0)

/* The sum of a vector's eight lanes, in a fixed order. */
AVX2 static float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 static float half_to_float(const uint8_t *p) {
    return _cvtsh_ss((unsigned short)(p[0] | (p[1] << 8)));
}

/* acc + (8 signed bytes at the low half of q) * x (8) */
AVX2 static __m256 fma_i8x8(__m128i q, const float *x, __m256 acc) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_loadu_ps(x), acc);
}

/* Partial sums (8 lanes) of q[k] * x[k] for 16 signed bytes. */
AVX2 static __m256 dot_i8x16(__m128i q, const float *x, __m256 acc) {
    acc = fma_i8x8(q, x, acc);
    return fma_i8x8(_mm_srli_si128(q, 8), x + 8, acc);
}

/* Partial sums (8 lanes) of q[k] * x[k] for 32 signed bytes. */
AVX2 static __m256 dot_i8x32(__m256i q, const float *x) {
    __m256 acc = _mm256_setzero_ps();
    acc = dot_i8x16(_mm256_castsi256_si128(q), x, acc);
    return dot_i8x16(_mm256_extracti128_si256(q, 1), x + 16, acc);
}

/* Partial sums of 32 floats. */
AVX2 static __m256 sum_f32x32(const float *x) {
    __m256 a = _mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8));
    __m256 b = _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24));
    return _mm256_add_ps(a, b);
}

AVX2 float dot_f32_avx2(const void *row, const float *x, int n) {
    const float *w = row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        _mm_prefetch((const char *)(w + i) + PREFETCH_AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)(w + i) + 64 + PREFETCH_AHEAD, _MM_HINT_T0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++)
        sum += w[i] * x[i];
    return sum;
}

/* F16 and BF16: eight 16-bit values widened to floats. */
AVX2 static __m256 load_f16x8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
AVX2 static __m256 load_bf16x8(const uint16_t *p) {
    __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
}

AVX2 float dot_f16_avx2(const void *row, const float *x, int n) {
    const uint16_t *w = row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(load_f16x8(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load_f16x8(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(load_f16x8(w + i), _mm256_loadu_ps(x + i), a0);
    float sum = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; i++)
        sum += _cvtsh_ss(w[i]) * x[i];
    return sum;
}

AVX2 float dot_bf16_avx2(const void *row, const float *x, int n) {
    const uint16_t *w = row;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(load_bf16x8(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load_bf16x8(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(load_bf16x8(w + i), _mm256_loadu_ps(x + i), a0);
    float sum = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; i++)
        sum += gb_bf16_to_f32(w[i]) * x[i];
    return sum;
}

/* Q8_0: per block, the 32 products summed in a vector, then scaled by d into the total. */
AVX2 static __m256 q8_0_block_avx2(const uint8_t *b, const float *x, __m256 acc) {
    _mm_prefetch((const char *)b + PREFETCH_AHEAD, _MM_HINT_T0);
    __m256i q = _mm256_loadu_si256((const __m256i *)(b + 2));
    return _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(b)), dot_i8x32(q, x), acc);
}

AVX2 float dot_q8_0_avx2(const void *row, const float *x, int n) {
    const uint8_t *b = row;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
#define STEP(i, acc) q8_0_block_avx2(b + 34 * (i), x + 32 * (i), acc)
    EVEN_ODD_BLOCKS(n / 32, STEP);
#undef STEP
    return hsum(_mm256_add_ps(acc0, acc1));
}

/* Q8_0 on activations rounded to 16 bits (kernels.h): per block, the 32 weights widened to 16-bit
 * integers and multiplied with the block's rounded activations in pairs (pmaddwd: exact integers,
 * each lane the sum of four products, below 2^24 so exact as a float too), then scaled by the
 * weights' scale times the activations' into a float sum. Half the instructions per block of the
 * float kernel's, which widens every weight to a float. */
AVX2 static __m256 q8_0_x16_block_avx2(const uint8_t *b, float s, const int16_t *xq, __m256 acc) {
    __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 2)));
    __m256i hi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 18)));
    __m256i p =
        _mm256_add_epi32(_mm256_madd_epi16(lo, _mm256_loadu_si256((const __m256i *)xq)),
                         _mm256_madd_epi16(hi, _mm256_loadu_si256((const __m256i *)(xq + 16))));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(s), acc);
}

AVX2 float dot_q8_0_x16_avx2(const void *row, const int16_t *xq, const float *dx, int n) {
    const uint8_t *b = row;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
#define STEP(i, acc)                                                                               \
    (_mm_prefetch((const char *)b + 34 * (i) + PREFETCH_AHEAD, _MM_HINT_T0),                       \
     q8_0_x16_block_avx2(b + 34 * (i), half_to_float(b + 34 * (i)) * dx[i], xq + 32 * (i), acc))
    EVEN_ODD_BLOCKS(n / 32, STEP);
#undef STEP
    return hsum(_mm256_add_ps(acc0, acc1));
}

/* ROWS rows at a time, each row's operations those of dot_q8_0_x16_avx2 (the same bits). */
AVX2 void dot_rows_q8_0_x16_avx2(const Rows *r, const int16_t *xq, const float *dx, int n,
                                 size_t ahead) {
    const uint8_t *r0 = RROW(r, 0), *r1 = RROW(r, 1), *r2 = RROW(r, 2), *r3 = RROW(r, 3);
    __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    int nb = n / 32;
#define BLOCK(i, A0, A1, A2, A3)                                                                   \
    do {                                                                                           \
        size_t o = 34 * (size_t)(i);                                                               \
        const int16_t *xi = xq + 32 * (i);                                                         \
        float dxi = dx[i];                                                                         \
        _mm_prefetch((const char *)r0 + o + ahead, _MM_HINT_T0);                                   \
        _mm_prefetch((const char *)r1 + o + ahead, _MM_HINT_T0);                                   \
        _mm_prefetch((const char *)r2 + o + ahead, _MM_HINT_T0);                                   \
        _mm_prefetch((const char *)r3 + o + ahead, _MM_HINT_T0);                                   \
        A0 = q8_0_x16_block_avx2(r0 + o, half_to_float(r0 + o) * dxi, xi, A0);                     \
        A1 = q8_0_x16_block_avx2(r1 + o, half_to_float(r1 + o) * dxi, xi, A1);                     \
        A2 = q8_0_x16_block_avx2(r2 + o, half_to_float(r2 + o) * dxi, xi, A2);                     \
        A3 = q8_0_x16_block_avx2(r3 + o, half_to_float(r3 + o) * dxi, xi, A3);                     \
    } while (0)
    int i = 0;
    for (; i + 2 <= nb; i += 2) {
        BLOCK(i, a0, a1, a2, a3);
        BLOCK(i + 1, b0, b1, b2, b3);
    }
    if (i < nb) BLOCK(i, a0, a1, a2, a3);
#undef BLOCK
    *ROUT(r, 0) = hsum(_mm256_add_ps(a0, b0));
    *ROUT(r, 1) = hsum(_mm256_add_ps(a1, b1));
    *ROUT(r, 2) = hsum(_mm256_add_ps(a2, b2));
    *ROUT(r, 3) = hsum(_mm256_add_ps(a3, b3));
}

/* The rounding of kernels.h, eight lanes at a time (the same operations as round_x16_portable:
 * an exact maximum, two divisions, a product rounded to the nearest integer, ties to even). */
AVX2 int round_x16_avx2(int16_t *q, float *d, const float *x, int n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 bad = _mm256_setzero_ps();
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
        __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(v0, v1, _CMP_UNORD_Q));
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q));
        __m256 m =
            _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                          _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        float amax = _mm_cvtss_f32(h);
        if (!(amax <= X16_AMAX_MAX) || (amax > 0.0f && amax < X16_AMAX_MIN)) return -1;
        int16_t *qb = q + 32 * b;
        if (amax == 0.0f) {
            d[b] = 0.0f;
            memset(qb, 0, 32 * sizeof(int16_t));
            continue;
        }
        d[b] = amax / 32767.0f;
        __m256 id = _mm256_set1_ps(32767.0f / amax);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id)),
                i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id)),
                i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id));
        /* packs interleaves 128-bit lanes: put them back in order */
        __m256i p01 = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8);
        __m256i p23 = _mm256_permute4x64_epi64(_mm256_packs_epi32(i2, i3), 0xD8);
        _mm256_storeu_si256((__m256i *)qb, p01);
        _mm256_storeu_si256((__m256i *)(qb + 16), p23);
    }
    return _mm256_movemask_ps(bad) ? -1 : 0;
}

/* The 32 weights of a Q4_0 block as signed bytes, in order. */
AVX2 static __m256i q4_0_weights(const uint8_t *b) {
    const __m128i low4 = _mm_set1_epi8(0xF), eight = _mm_set1_epi8(8);
    __m128i qs = _mm_loadu_si128((const __m128i *)(b + 2));
    __m128i lo = _mm_sub_epi8(_mm_and_si128(qs, low4), eight);
    __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(qs, 4), low4), eight);
    return _mm256_set_m128i(hi, lo);
}

/* Q4_0: low nibbles are weights 0..15, high nibbles 16..31, each minus 8. */
AVX2 float dot_q4_0_avx2(const void *row, const float *x, int n) {
    const uint8_t *b = row;
    const __m128i low4 = _mm_set1_epi8(0xF), eight = _mm_set1_epi8(8);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n; i += 32, b += 18) {
        _mm_prefetch((const char *)b + PREFETCH_AHEAD, _MM_HINT_T0);
        __m128i qs = _mm_loadu_si128((const __m128i *)(b + 2));
        __m128i lo = _mm_sub_epi8(_mm_and_si128(qs, low4), eight);
        __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(qs, 4), low4), eight);
        __m256 s = dot_i8x16(lo, x + i, _mm256_setzero_ps());
        s = dot_i8x16(hi, x + i + 16, s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(b)), s, acc);
    }
    return hsum(acc);
}

/* Q4_K and Q5_K: w = d*sc*q - dmin*mn per sub-block of 32, so the dot product of a sub-block is
 * d*sc * (q . x) - dmin*mn * sum(x). Quants are 0..31, so they fit signed bytes. */
AVX2 static float dot_k45_avx2(const void *row, const float *x, int n, int five) {
    const uint8_t *b = row;
    const size_t bytes = five ? 176 : 144;
    const __m256i low4 = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
    for (int i = 0; i < n; i += QK_K, b += bytes) {
        float d = half_to_float(b), dmin = half_to_float(b + 2);
        const uint8_t *scales = b + 4;
        const uint8_t *qs = five ? b + 48 : b + 16;
        __m256i qh = five ? _mm256_loadu_si256((const __m256i *)(b + 16)) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            _mm_prefetch((const char *)qs + 32 * c + PREFETCH_AHEAD, _MM_HINT_T0);
            _mm_prefetch((const char *)qs + 32 * c + 64 + PREFETCH_AHEAD, _MM_HINT_T0);
            __m256i q0 = _mm256_and_si256(q, low4);
            __m256i q1 = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
            if (five) {
                __m256i h0 = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c)), one);
                __m256i h1 =
                    _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c + 1)), one);
                q0 = _mm256_or_si256(q0, _mm256_slli_epi16(h0, 4));
                q1 = _mm256_or_si256(q1, _mm256_slli_epi16(h1, 4));
            }
            const float *x0 = x + i + 64 * c, *x1 = x0 + 32;
            int sc0, mn0, sc1, mn1;
            quant_scale_min_k4(scales, 2 * c, &sc0, &mn0);
            quant_scale_min_k4(scales, 2 * c + 1, &sc1, &mn1);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc0), dot_i8x32(q0, x0), acc);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc1), dot_i8x32(q1, x1), acc);
            acc_min = _mm256_fmadd_ps(_mm256_set1_ps(dmin * (float)mn0), sum_f32x32(x0), acc_min);
            acc_min = _mm256_fmadd_ps(_mm256_set1_ps(dmin * (float)mn1), sum_f32x32(x1), acc_min);
        }
    }
    return hsum(acc) - hsum(acc_min);
}

AVX2 float dot_q4_k_avx2(const void *row, const float *x, int n) {
    return dot_k45_avx2(row, x, n, 0);
}
AVX2 float dot_q5_k_avx2(const void *row, const float *x, int n) {
    return dot_k45_avx2(row, x, n, 1);
}

/* Q6_K: per half of 128 weights, four groups of 32 six-bit quants (low nibbles from ql, two high
 * bits from qh), minus 32; each group spans two sub-blocks of 16 with their own int8 scale. */
AVX2 float dot_q6_k_avx2(const void *row, const float *x, int n) {
    const uint8_t *b = row;
    const __m256i low4 = _mm256_set1_epi8(0xF), three = _mm256_set1_epi8(3),
                  k32 = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n; i += QK_K, b += 210) {
        const int8_t *sc = (const int8_t *)(b + 192);
        float d = half_to_float(b + 208);
        for (int h = 0; h < 2; h++) {
            __m256i la = _mm256_loadu_si256((const __m256i *)(b + 64 * h));
            for (int o = 0; o < 128; o += 64)
                _mm_prefetch((const char *)b + 128 * h + o + PREFETCH_AHEAD, _MM_HINT_T0);
            __m256i lb = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32));
            __m256i hh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h));
            __m256i g[4];
            g[0] = _mm256_or_si256(_mm256_and_si256(la, low4),
                                   _mm256_slli_epi16(_mm256_and_si256(hh, three), 4));
            g[1] = _mm256_or_si256(
                _mm256_and_si256(lb, low4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hh, 2), three), 4));
            g[2] = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16(la, 4), low4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hh, 4), three), 4));
            g[3] = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16(lb, 4), low4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hh, 6), three), 4));
            for (int k = 0; k < 4; k++) {
                __m256i q = _mm256_sub_epi8(g[k], k32);
                const float *xg = x + i + 128 * h + 32 * k;
                int s = 8 * h + 2 * k; /* sub-blocks s and s + 1 */
                __m256 p0 = dot_i8x16(_mm256_castsi256_si128(q), xg, _mm256_setzero_ps());
                __m256 p1 = dot_i8x16(_mm256_extracti128_si256(q, 1), xg + 16, _mm256_setzero_ps());
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[s]), p0, acc);
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sc[s + 1]), p1, acc);
            }
        }
    }
    return hsum(acc);
}

/* Attention's two loops (kernels.h), eight lanes that are dot_f32's eight running sums and axpy's
 * eight values, with its multiplications and additions (no FMA) in its order: the same bits. */
AVX2 static float sum8_pairwise(__m256 v) { /* ((v0+v1)+(v2+v3)) + ((v4+v5)+(v6+v7)) */
    __m256 s1 = _mm256_add_ps(v, _mm256_permute_ps(v, 0xB1));   /* lane 2i: v[2i] + v[2i+1] */
    __m256 s2 = _mm256_add_ps(s1, _mm256_permute_ps(s1, 0x4E)); /* lane 4i: pairs of pairs */
    return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(s2), _mm256_extractf128_ps(s2, 1)));
}

AVX2 static float dot_tail(float sum, const float *a, const float *b, int i, int n) {
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

AVX2 void attn_scores_avx2(float *att, const float *q, const float *k, size_t stride, int n, int hd,
                           float scale) {
    /* one position at a time: the out-of-order core overlaps the positions' chains, and the cache's
     * rows are read in order (four positions interleaved measured slower, cold and warm) */
    int h8 = hd / 8 * 8;
    for (int t = 0; t < n; t++) {
        const float *kt = k + (size_t)t * stride;
        __m256 a0 = _mm256_setzero_ps();
        for (int i = 0; i < h8; i += 8)
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(kt + i)));
        att[t] = dot_tail(sum8_pairwise(a0), q, kt, h8, hd) * scale;
    }
}

/* attn_mix on `width` values (8 * W) of the head from i0, their sums kept in W registers over
 * every position. */
#define ATTN_MIX_SLICE(W)                                                                          \
    AVX2 static void attn_mix_slice##W(float *out, const float *att, const float *v,               \
                                       size_t stride, int n) {                                     \
        __m256 acc[W];                                                                             \
        for (int j = 0; j < W; j++)                                                                \
            acc[j] = _mm256_setzero_ps();                                                          \
        for (int t = 0; t < n; t++) {                                                              \
            __m256 a = _mm256_set1_ps(att[t]);                                                     \
            const float *vt = v + (size_t)t * stride;                                              \
            for (int j = 0; j < W; j++)                                                            \
                acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(a, _mm256_loadu_ps(vt + 8 * j)));     \
        }                                                                                          \
        for (int j = 0; j < W; j++)                                                                \
            _mm256_storeu_ps(out + 8 * j, acc[j]);                                                 \
    }
/* (the loops over j are unrolled: W is a constant; a runtime W kept the sums in memory) */
#pragma GCC push_options
#pragma GCC optimize("unroll-loops")
ATTN_MIX_SLICE(8)
ATTN_MIX_SLICE(4)
ATTN_MIX_SLICE(1)
#pragma GCC pop_options
#undef ATTN_MIX_SLICE

AVX2 void attn_mix_avx2(float *out, const float *att, const float *v, size_t stride, int n,
                        int hd) {
    int h8 = hd / 8 * 8, i0 = 0;
    for (; i0 + 64 <= h8; i0 += 64)
        attn_mix_slice8(out + i0, att, v + i0, stride, n);
    for (; i0 + 32 <= h8; i0 += 32)
        attn_mix_slice4(out + i0, att, v + i0, stride, n);
    for (; i0 < h8; i0 += 8)
        attn_mix_slice1(out + i0, att, v + i0, stride, n);
    for (int i = h8; i < hd; i++) {
        float y = 0.0f;
        for (int t = 0; t < n; t++)
            y += att[t] * v[(size_t)t * stride + i];
        out[i] = y;
    }
}

AVX2 float vec_sum_avx2(const float *x, int n) {
    __m256 a = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8)
        a = _mm256_add_ps(a, _mm256_loadu_ps(x + i));
    float sum = sum8_pairwise(a);
    for (; i < n; i++)
        sum += x[i];
    return sum;
}

AVX2 float vec_max_avx2(const float *x, int n) {
    __m256 m = _mm256_set1_ps(x[0]), nan = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        m = _mm256_max_ps(m, v);
    }
    if (_mm256_movemask_ps(nan) || x[0] != x[0]) return NAN; /* vec_max_portable's answer below */
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float best = _mm_cvtss_f32(h);
    for (; i < n; i++)
        if (x[i] > best) best = x[i];
    return best;
}

/* vec_exp eight lanes wide: exp_portable's operations. */
AVX2 static __m256 exp8(__m256 x) {
    __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(EXP_LO)), _mm256_set1_ps(EXP_HI));
    __m256i n = _mm256_cvtps_epi32(_mm256_mul_ps(xc, _mm256_set1_ps(EXP_LOG2E)));
    __m256 fn = _mm256_cvtepi32_ps(n);
    __m256 r = _mm256_sub_ps(xc, _mm256_mul_ps(fn, _mm256_set1_ps(EXP_C1)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(fn, _mm256_set1_ps(EXP_C2)));
    __m256 z = _mm256_mul_ps(r, r);
    __m256 y = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(EXP_P0), r), _mm256_set1_ps(EXP_P1));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(EXP_P2));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(EXP_P3));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(EXP_P4));
    y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(EXP_P5));
    y = _mm256_add_ps(_mm256_mul_ps(y, z), r);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
    __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    y = _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
    return _mm256_blendv_ps(y, x, nan);
}

AVX2 void vec_exp_avx2(float *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, exp8(_mm256_loadu_ps(x + i)));
    for (; i < n; i++)
        x[i] = exp_portable(x[i]);
}

/* AVX-512: the same sums sixteen lanes wide, for the types a model's bulk is usually stored in. */

AVX512 static float hsum512(__m512 v) {
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return hsum(_mm256_add_ps(_mm512_castps512_ps256(v), hi));
}

AVX512 float dot_f32_avx512(const void *row, const float *x, int n) {
    const float *w = row;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int o = 0; o < 256; o += 64)
            _mm_prefetch((const char *)(w + i) + o + PREFETCH_AHEAD, _MM_HINT_T0);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16)
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
    float sum = hsum512(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; i++)
        sum += w[i] * x[i];
    return sum;
}

/* F32, ROWS rows at a time (four streams, job_rows), each row's operations those of
 * dot_f32_avx512: four running sums over 64 floats, the rest 16 at a time into the first, then
 * one by one. Sixteen accumulators and the four vectors of x they share. */
AVX512 void dot_rows_f32_avx512(const Rows *r, const float *x, int n, size_t ahead) {
    const float *w0 = (const float *)RROW(r, 0), *w1 = (const float *)RROW(r, 1);
    const float *w2 = (const float *)RROW(r, 2), *w3 = (const float *)RROW(r, 3);
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
    __m512 a10 = a00, a11 = a00, a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    __m512 a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    int i = 0;
#define ROW(k, x0, x1, x2, x3)                                                                     \
    do {                                                                                           \
        for (int o = 0; o < 256; o += 64)                                                          \
            _mm_prefetch((const char *)(w##k + i) + o + ahead, _MM_HINT_T0);                       \
        a##k##0 = _mm512_fmadd_ps(_mm512_loadu_ps(w##k + i), x0, a##k##0);                         \
        a##k##1 = _mm512_fmadd_ps(_mm512_loadu_ps(w##k + i + 16), x1, a##k##1);                    \
        a##k##2 = _mm512_fmadd_ps(_mm512_loadu_ps(w##k + i + 32), x2, a##k##2);                    \
        a##k##3 = _mm512_fmadd_ps(_mm512_loadu_ps(w##k + i + 48), x3, a##k##3);                    \
    } while (0)
    for (; i + 64 <= n; i += 64) {
        __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        __m512 x2 = _mm512_loadu_ps(x + i + 32), x3 = _mm512_loadu_ps(x + i + 48);
        ROW(0, x0, x1, x2, x3);
        ROW(1, x0, x1, x2, x3);
        ROW(2, x0, x1, x2, x3);
        ROW(3, x0, x1, x2, x3);
    }
#undef ROW
    for (; i + 16 <= n; i += 16) {
        __m512 xi = _mm512_loadu_ps(x + i);
        a00 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), xi, a00);
        a10 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i), xi, a10);
        a20 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i), xi, a20);
        a30 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i), xi, a30);
    }
    float s0 = hsum512(_mm512_add_ps(_mm512_add_ps(a00, a01), _mm512_add_ps(a02, a03)));
    float s1 = hsum512(_mm512_add_ps(_mm512_add_ps(a10, a11), _mm512_add_ps(a12, a13)));
    float s2 = hsum512(_mm512_add_ps(_mm512_add_ps(a20, a21), _mm512_add_ps(a22, a23)));
    float s3 = hsum512(_mm512_add_ps(_mm512_add_ps(a30, a31), _mm512_add_ps(a32, a33)));
    for (; i < n; i++) {
        s0 += w0[i] * x[i];
        s1 += w1[i] * x[i];
        s2 += w2[i] * x[i];
        s3 += w3[i] * x[i];
    }
    *ROUT(r, 0) = s0;
    *ROUT(r, 1) = s1;
    *ROUT(r, 2) = s2;
    *ROUT(r, 3) = s3;
}

AVX512 float dot_f16_avx512(const void *row, const float *x, int n) {
    const uint16_t *w = row;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 w0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i)));
        __m512 w1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i + 16)));
        a0 = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i + 16), a1);
    }
    float sum = hsum512(_mm512_add_ps(a0, a1));
    for (; i < n; i++)
        sum += _cvtsh_ss(w[i]) * x[i];
    return sum;
}

/* 16 signed bytes widened to 16 floats */
AVX512 static __m512 i8x16_to_f32(__m128i q) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
}

/* One block of 32 signed-byte weights (lo: 0..15, hi: 16..31) scaled by d, against x (32). */
AVX512 static __m512 i8_block_avx512(__m128i lo, __m128i hi, float d, const float *x, __m512 acc) {
    __m512 s = _mm512_mul_ps(i8x16_to_f32(lo), _mm512_loadu_ps(x));
    s = _mm512_fmadd_ps(i8x16_to_f32(hi), _mm512_loadu_ps(x + 16), s);
    return _mm512_fmadd_ps(_mm512_set1_ps(d), s, acc);
}

AVX512 static __m512 q8_0_block_avx512(const uint8_t *b, const float *x, __m512 acc) {
    _mm_prefetch((const char *)b + PREFETCH_AHEAD, _MM_HINT_T0);
    return i8_block_avx512(_mm_loadu_si128((const __m128i *)(b + 2)),
                           _mm_loadu_si128((const __m128i *)(b + 18)), half_to_float(b), x, acc);
}

AVX512 float dot_q8_0_avx512(const void *row, const float *x, int n) {
    const uint8_t *b = row;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
#define STEP(i, acc) q8_0_block_avx512(b + 34 * (i), x + 32 * (i), acc)
    EVEN_ODD_BLOCKS(n / 32, STEP);
#undef STEP
    return hsum512(_mm512_add_ps(acc0, acc1));
}

/* Q8_0, ROWS rows at a time: per block the operations of i8_block_avx512 for each row, in the same
 * order, on the same 32 floats of x loaded once; each row's even blocks go to its acc a, odd ones
 * to its acc b, as in dot_q8_0_avx512. The prefetch asks for the same block of a group of rows at
 * least ROWS_PREFETCH_BYTES further on. One saving besides: the scales of 16 blocks of a row are
 * gathered and widened to floats in one go (the same conversion, so the same values), and each
 * block broadcasts its scale from memory rather than converting it on its own. */
AVX512 static __m512 q8_0_block_shared_avx512(const uint8_t *b, const float *d, __m512 x0,
                                              __m512 x1, __m512 acc) {
    __m512 s = _mm512_mul_ps(i8x16_to_f32(_mm_loadu_si128((const __m128i *)(b + 2))), x0);
    s = _mm512_fmadd_ps(i8x16_to_f32(_mm_loadu_si128((const __m128i *)(b + 18))), x1, s);
    return _mm512_fmadd_ps(_mm512_set1_ps(*d), s, acc);
}

/* The scales of blocks 0..m-1 (m <= 16) of a Q8_0 row at b, as floats into d. */
AVX512 static void q8_0_scales_avx512(float *d, const uint8_t *b, int m) {
    const __m512i offsets = _mm512_setr_epi32(0, 34, 68, 102, 136, 170, 204, 238, 272, 306, 340,
                                              374, 408, 442, 476, 510);
    __mmask16 k = (__mmask16)((1u << m) - 1);
    /* 4 bytes from each block's start (its scale, then its first two weights); lanes past m unread
     */
    __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), k, offsets, b, 1);
    _mm512_storeu_ps(d, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g)));
}

AVX512 void dot_rows_q8_0_avx512(const Rows *r, const float *x, int n, size_t ahead) {
    const uint8_t *r0 = RROW(r, 0), *r1 = RROW(r, 1), *r2 = RROW(r, 2), *r3 = RROW(r, 3);
    __m512 a0 = _mm512_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    float d[ROWS][16];
    int nb = n / 32;
#define BLOCK(i, j, A0, A1, A2, A3)                                                                \
    do {                                                                                           \
        const float *xi = x + 32 * (i);                                                            \
        size_t o = 34 * (size_t)(i);                                                               \
        _mm_prefetch((const char *)r0 + o + ahead, _MM_HINT_T0);                                   \
        _mm_prefetch((const char *)r1 + o + ahead, _MM_HINT_T0);                                   \
        _mm_prefetch((const char *)r2 + o + ahead, _MM_HINT_T0);                                   \
        _mm_prefetch((const char *)r3 + o + ahead, _MM_HINT_T0);                                   \
        __m512 x0 = _mm512_loadu_ps(xi), x1 = _mm512_loadu_ps(xi + 16);                            \
        A0 = q8_0_block_shared_avx512(r0 + o, &d[0][j], x0, x1, A0);                               \
        A1 = q8_0_block_shared_avx512(r1 + o, &d[1][j], x0, x1, A1);                               \
        A2 = q8_0_block_shared_avx512(r2 + o, &d[2][j], x0, x1, A2);                               \
        A3 = q8_0_block_shared_avx512(r3 + o, &d[3][j], x0, x1, A3);                               \
    } while (0)
    /* chunks of 16 blocks: an even number, so block i's parity (acc a or b) is the same as in
     * dot_q8_0_avx512 */
    for (int c = 0; c < nb; c += 16) {
        int m = nb - c < 16 ? nb - c : 16;
        q8_0_scales_avx512(d[0], r0 + 34 * (size_t)c, m);
        q8_0_scales_avx512(d[1], r1 + 34 * (size_t)c, m);
        q8_0_scales_avx512(d[2], r2 + 34 * (size_t)c, m);
        q8_0_scales_avx512(d[3], r3 + 34 * (size_t)c, m);
        int j = 0;
        for (; j + 2 <= m; j += 2) {
            BLOCK(c + j, j, a0, a1, a2, a3);
            BLOCK(c + j + 1, j + 1, b0, b1, b2, b3);
        }
        if (j < m) BLOCK(c + j, j, a0, a1, a2, a3);
    }
#undef BLOCK
    *ROUT(r, 0) = hsum512(_mm512_add_ps(a0, b0));
    *ROUT(r, 1) = hsum512(_mm512_add_ps(a1, b1));
    *ROUT(r, 2) = hsum512(_mm512_add_ps(a2, b2));
    *ROUT(r, 3) = hsum512(_mm512_add_ps(a3, b3));
}

/* Q8_0 on activations rounded to 16 bits, sixteen lanes: per block one widening of the 32 weights
 * to 16-bit integers, one pmaddwd (each lane the exact sum of two products), one conversion and
 * one multiply-add by the weights' scale times the activations'. */
AVX512 static __m512 q8_0_x16_block_avx512(const uint8_t *b, const float *s, const int16_t *xq,
                                           __m512 acc) {
    __m512i w = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + 2)));
    __m512 p = _mm512_cvtepi32_ps(_mm512_madd_epi16(w, _mm512_loadu_si512(xq)));
    return _mm512_fmadd_ps(p, _mm512_set1_ps(*s), acc);
}

AVX512 float dot_q8_0_x16_avx512(const void *row, const int16_t *xq, const float *dx, int n) {
    const uint8_t *b = row;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
    int nb = n / 32, i = 0;
    for (; i + 2 <= nb; i += 2) {
        _mm_prefetch((const char *)b + 34 * i + PREFETCH_AHEAD, _MM_HINT_T0);
        _mm_prefetch((const char *)b + 34 * i + 64 + PREFETCH_AHEAD, _MM_HINT_T0);
        float s0 = half_to_float(b + 34 * i) * dx[i],
              s1 = half_to_float(b + 34 * (i + 1)) * dx[i + 1];
        acc0 = q8_0_x16_block_avx512(b + 34 * i, &s0, xq + 32 * i, acc0);
        acc1 = q8_0_x16_block_avx512(b + 34 * (i + 1), &s1, xq + 32 * (i + 1), acc1);
    }
    if (i < nb) {
        float s0 = half_to_float(b + 34 * i) * dx[i];
        acc0 = q8_0_x16_block_avx512(b + 34 * i, &s0, xq + 32 * i, acc0);
    }
    return hsum512(_mm512_add_ps(acc0, acc1));
}

/* ROWS rows at a time, each row's operations those of dot_q8_0_x16_avx512: the scales of 16 blocks
 * of a row gathered and widened at once (the same conversion), times the activations' scales
 * (the same products). */
AVX512 void dot_rows_q8_0_x16_avx512(const Rows *r, const int16_t *xq, const float *dx, int n,
                                     size_t ahead) {
    /* eight rows: sixteen accumulators and the block's activations in AVX-512's 32 registers */
    const uint8_t *r0 = RROW(r, 0), *r1 = RROW(r, 1), *r2 = RROW(r, 2), *r3 = RROW(r, 3);
    const uint8_t *r4 = RROW(r, 4), *r5 = RROW(r, 5), *r6 = RROW(r, 6), *r7 = RROW(r, 7);
    __m512 a0 = _mm512_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    __m512 a4 = a0, b4 = a0, a5 = a0, b5 = a0, a6 = a0, b6 = a0, a7 = a0, b7 = a0;
    float d[8][16];
    int nb = n / 32;
#define ROW(k, A, i, j, o, xi)                                                                     \
    do {                                                                                           \
        _mm_prefetch((const char *)r##k + o + ahead, _MM_HINT_T0);                                 \
        A##k = q8_0_x16_block_avx512(r##k + o, &d[k][j], xi, A##k);                                \
    } while (0)
#define BLOCK(i, j, A)                                                                             \
    do {                                                                                           \
        size_t o = 34 * (size_t)(i);                                                               \
        const int16_t *xi = xq + 32 * (i);                                                         \
        ROW(0, A, i, j, o, xi);                                                                    \
        ROW(1, A, i, j, o, xi);                                                                    \
        ROW(2, A, i, j, o, xi);                                                                    \
        ROW(3, A, i, j, o, xi);                                                                    \
        ROW(4, A, i, j, o, xi);                                                                    \
        ROW(5, A, i, j, o, xi);                                                                    \
        ROW(6, A, i, j, o, xi);                                                                    \
        ROW(7, A, i, j, o, xi);                                                                    \
    } while (0)
    for (int c = 0; c < nb; c += 16) {
        int m = nb - c < 16 ? nb - c : 16;
        __m512 dxc = _mm512_maskz_loadu_ps((__mmask16)((1u << m) - 1), dx + c);
        for (int k = 0; k < 8; k++) {
            q8_0_scales_avx512(d[k], RROW(r, k) + 34 * (size_t)c, m);
            _mm512_storeu_ps(d[k], _mm512_mul_ps(_mm512_loadu_ps(d[k]), dxc));
        }
        int j = 0;
        for (; j + 2 <= m; j += 2) {
            BLOCK(c + j, j, a);
            BLOCK(c + j + 1, j + 1, b);
        }
        if (j < m) BLOCK(c + j, j, a);
    }
#undef BLOCK
#undef ROW
    *ROUT(r, 0) = hsum512(_mm512_add_ps(a0, b0));
    *ROUT(r, 1) = hsum512(_mm512_add_ps(a1, b1));
    *ROUT(r, 2) = hsum512(_mm512_add_ps(a2, b2));
    *ROUT(r, 3) = hsum512(_mm512_add_ps(a3, b3));
    *ROUT(r, 4) = hsum512(_mm512_add_ps(a4, b4));
    *ROUT(r, 5) = hsum512(_mm512_add_ps(a5, b5));
    *ROUT(r, 6) = hsum512(_mm512_add_ps(a6, b6));
    *ROUT(r, 7) = hsum512(_mm512_add_ps(a7, b7));
}

/* The rounding of kernels.h, sixteen lanes at a time (the same operations as round_x16_portable).
 */
AVX512 int round_x16_avx512(int16_t *q, float *d, const float *x, int n) {
    __mmask16 bad = 0;
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
        bad |= _mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        if (!(amax <= X16_AMAX_MAX) || (amax > 0.0f && amax < X16_AMAX_MIN)) return -1;
        int16_t *qb = q + 32 * b;
        if (amax == 0.0f) {
            d[b] = 0.0f;
            _mm512_storeu_si512(qb, _mm512_setzero_si512());
            continue;
        }
        d[b] = amax / 32767.0f;
        __m512 id = _mm512_set1_ps(32767.0f / amax);
        __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, id)),
                i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, id));
        _mm256_storeu_si256((__m256i *)qb, _mm512_cvtsepi32_epi16(i0));
        _mm256_storeu_si256((__m256i *)(qb + 16), _mm512_cvtsepi32_epi16(i1));
    }
    return bad ? -1 : 0;
}

AVX512 static __m512 q4_0_block_avx512(const uint8_t *b, const float *x, __m512 acc) {
    _mm_prefetch((const char *)b + PREFETCH_AHEAD, _MM_HINT_T0);
    __m256i w = q4_0_weights(b);
    return i8_block_avx512(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1),
                           half_to_float(b), x, acc);
}

AVX512 float dot_q4_0_avx512(const void *row, const float *x, int n) {
    const uint8_t *b = row;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
#define STEP(i, acc) q4_0_block_avx512(b + 18 * (i), x + 32 * (i), acc)
    EVEN_ODD_BLOCKS(n / 32, STEP);
#undef STEP
    return hsum512(_mm512_add_ps(acc0, acc1));
}

#endif /* GB_X86 */
