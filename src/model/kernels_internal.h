/* What kernels.c (the portable kernels, the selection, the team, the matrix products) and
 * kernels_x86.c (the AVX2 and AVX-512 kernels) share: block layouts, the multi-row interface, the
 * kernels' types and the x86 kernels the selection tables name. Not part of kernels.h. */
#ifndef GB_KERNELS_INTERNAL_H
#define GB_KERNELS_INTERNAL_H

#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gguf.h"
#include "quant.h"
#include "util.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GB_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* Below this many multiply-adds a product runs on one thread (see model.c's notes on measurements:
 * waking a team costs microseconds, and on a busy machine a region can wait for a descheduled
 * thread). */
#ifndef MATMUL_PARALLEL_MIN
#define MATMUL_PARALLEL_MIN (1 << 16)
#endif
/* How far ahead of the block being read the vector kernels ask for weights (bytes): streaming a
 * matrix from memory is limited by how many loads are in flight, and the loop's own loads come too
 * late (Q8_0 rows of 576 from a 28 MB matrix, one thread: 6-8 G weights/s without, 10-16 with
 * 2-4 KB ahead, measured in CPU time on a busy 2-core Xeon). */
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 2048
#endif
/* matmul_batch multiplies slices of about this many weights (1 MB of floats: a slice dequantised
 * stays in L2 for its product). */
#define BATCH_SLICE_FLOATS (1 << 18)

typedef float (*DotFn)(const void *row, const float *x, int n);
/* The multi-row kernels: ROWS rows, anywhere in the matrix, each row's dot product with x into its
 * out, each in exactly the order of the type's DotFn (the same bits), the rows interleaved so that
 * their loads of x are shared: four rows (AVX2's sixteen registers), or eight (the AVX-512 Q8_0
 * kernel on rounded activations). job_rows takes the rows from that many places far apart (the
 * starts of equal parts of its rows), so that the weights come in as as many sequential streams:
 * memory serves a core's several streams faster than one (SmolLM-135M's shape in Q8_0, one thread,
 * on a busy 2-core Xeon: 15.2 G weights/s from four streams against 11.0 from four adjacent rows,
 * 13.2 against 12.1 from eight streams against four; reading alone, 1, 2, 4 and 8 streams gave
 * 11-12, 13, 14.7 and 16 GB/s). Each stream is prefetched `ahead` bytes on. */
#define ROWS 4 /* the unit the products' rows are handed out in */
typedef struct {
    const uint8_t *row; /* row k: row + k * stream */
    size_t stream;
    float *out; /* its dot product: out + k * out_stream */
    size_t out_stream;
} Rows;
#define RROW(r, k) ((r)->row + (size_t)(k) * (r)->stream)
#define ROUT(r, k) ((r)->out + (size_t)(k) * (r)->out_stream)
typedef void (*DotRowsFn)(const Rows *r, const float *x, int n, size_t ahead);
/* How far ahead each stream prefetches, in rows (2 and 4 tried: the same). */
#ifndef STREAM_AHEAD_ROWS
#define STREAM_AHEAD_ROWS 2
#endif
#ifndef STREAM_BURST_ROWS
#define STREAM_BURST_ROWS 2
#endif

/* The rounding of activations to 16 bits (kernels.h) gives up, and the product takes the float
 * kernel, when a block's largest magnitude is not finite or so small that 32767 / it would not be.
 */
#define X16_AMAX_MAX 3.4028235e38f
#define X16_AMAX_MIN 1e-30f

/* Kernels on rounded activations: one row, and ROWS rows (as DotRowsFn). */
typedef float (*Dot16Fn)(const void *row, const int16_t *xq, const float *dx, int n);
typedef void (*Dot16RowsFn)(const Rows *r, const int16_t *xq, const float *dx, int n, size_t ahead);
typedef int (*Round16Fn)(int16_t *q, float *d, const float *x, int n);

/* The reference rounding, one value at a time (the vector ones do the same operations). */
static inline int round_x16_portable(int16_t *q, float *d, const float *x, int n) {
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            if (xb[j] != xb[j]) return -1; /* NaN */
            float a = fabsf(xb[j]);
            if (a > amax) amax = a;
        }
        if (!(amax <= X16_AMAX_MAX) || (amax > 0.0f && amax < X16_AMAX_MIN)) return -1;
        d[b] = amax == 0.0f ? 0.0f : amax / 32767.0f;
        float id = amax == 0.0f ? 0.0f : 32767.0f / amax;
        for (int j = 0; j < 32; j++)
            q[32 * b + j] = (int16_t)lrintf(xb[j] * id);
    }
    return 0;
}

/* e^x (kernels.h: vec_exp), Cephes's expf: x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two
 * parts, the first exact in a product with n), a degree-5 polynomial for e^r, then 2^n applied in
 * two halves so that a subnormal or infinite result rounds as one product would. Every step is a
 * float32 multiplication or addition, rounded, in the same order in this and the vector versions,
 * so they give the same bits. */
#define EXP_LO -104.0f /* e^-104 is below half the smallest subnormal: 0 */
#define EXP_HI 89.0f   /* e^89 overflows: infinity */
#define EXP_LOG2E 1.44269504088896341f
#define EXP_C1 0.693359375f
#define EXP_C2 -2.12194440e-4f
#define EXP_P0 1.9875691500e-4f
#define EXP_P1 1.3981999507e-3f
#define EXP_P2 8.3334519073e-3f
#define EXP_P3 4.1665795894e-2f
#define EXP_P4 1.6666665459e-1f
#define EXP_P5 5.0000001201e-1f

static inline float pow2i(int e) { /* 2^e for -126 <= e <= 127 */
    union {
        uint32_t u;
        float f;
    } v = {(uint32_t)(e + 127) << 23};
    return v.f;
}

static inline float exp_portable(float x) {
    if (x != x) return x;
    float xc = x < EXP_LO ? EXP_LO : x > EXP_HI ? EXP_HI : x;
    int n = (int)lrintf(xc * EXP_LOG2E);
    float fn = (float)n;
    float r = xc - fn * EXP_C1;
    r = r - fn * EXP_C2;
    float z = r * r;
    float y = EXP_P0 * r + EXP_P1;
    y = y * r + EXP_P2;
    y = y * r + EXP_P3;
    y = y * r + EXP_P4;
    y = y * r + EXP_P5;
    y = y * z + r;
    y = y + 1.0f;
    int n1 = n >> 1; /* floor(n / 2): n1 and n - n1 both in [-75, 64] */
    return y * pow2i(n1) * pow2i(n - n1);
}

#ifdef GB_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

AVX2 float dot_f32_avx2(const void *row, const float *x, int n);
AVX2 float dot_f16_avx2(const void *row, const float *x, int n);
AVX2 float dot_bf16_avx2(const void *row, const float *x, int n);
AVX2 float dot_q8_0_avx2(const void *row, const float *x, int n);
AVX2 float dot_q8_0_x16_avx2(const void *row, const int16_t *xq, const float *dx, int n);
AVX2 void dot_rows_q8_0_x16_avx2(const Rows *r, const int16_t *xq, const float *dx, int n,
                                 size_t ahead);
AVX2 int round_x16_avx2(int16_t *q, float *d, const float *x, int n);
AVX2 float dot_q4_0_avx2(const void *row, const float *x, int n);
AVX2 float dot_q4_k_avx2(const void *row, const float *x, int n);
AVX2 float dot_q5_k_avx2(const void *row, const float *x, int n);
AVX2 float dot_q6_k_avx2(const void *row, const float *x, int n);
AVX2 void attn_scores_avx2(float *att, const float *q, const float *k, size_t stride, int n, int hd,
                           float scale);
AVX2 void attn_mix_avx2(float *out, const float *att, const float *v, size_t stride, int n, int hd);
AVX2 float vec_sum_avx2(const float *x, int n);
AVX2 float vec_max_avx2(const float *x, int n);
AVX2 void vec_exp_avx2(float *x, int n);
AVX512 float dot_f32_avx512(const void *row, const float *x, int n);
AVX512 void dot_rows_f32_avx512(const Rows *r, const float *x, int n, size_t ahead);
AVX512 float dot_f16_avx512(const void *row, const float *x, int n);
AVX512 float dot_q8_0_avx512(const void *row, const float *x, int n);
AVX512 void dot_rows_q8_0_avx512(const Rows *r, const float *x, int n, size_t ahead);
AVX512 float dot_q8_0_x16_avx512(const void *row, const int16_t *xq, const float *dx, int n);
AVX512 void dot_rows_q8_0_x16_avx512(const Rows *r, const int16_t *xq, const float *dx, int n,
                                     size_t ahead);
AVX512 int round_x16_avx512(int16_t *q, float *d, const float *x, int n);
AVX512 float dot_q4_0_avx512(const void *row, const float *x, int n);
#endif /* GB_X86 */

#endif
