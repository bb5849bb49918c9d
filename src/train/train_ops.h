/* What the trainer's files share (train.c, train_layers.c, train_attn.c): the threshold for
 * splitting a loop across threads, the exponential the softmaxes and SwiGLU use, the way a loop is
 * compiled once per kernel set, and the layers train.h does not list. Internal to the trainer. */
#ifndef GB_TRAIN_OPS_H
#define GB_TRAIN_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* Loops with less work than this run on one thread: a team's start and barrier cost more than they
 * save there, and on a busy machine a descheduled team member can stall each barrier for a whole
 * time slice (tiny models, as in the tests, would crawl). */
#define PARALLEL_MIN_WORK (1L << 17)

/* e^x for x <= 0, within about 2e-7 relative of expf, in plain arithmetic so that loops over it
 * vectorize (libm's expf is a call per element; exponentials are a tenth of a training step).
 * Range reduction x = n ln2 + r with |r| <= ln2/2, a degree-7 Taylor polynomial for e^r, and 2^n
 * built in the exponent bits. Inputs below -60 count as -60: e^-60 (1e-26) is as good as 0 next to
 * the 1 every softmax row and sigmoid holds, and keeps every lane far from denormal numbers.
 * The loops that use it are compiled with TRAIN_FAST_MATH_BEGIN: no-trapping-math lets the clamp
 * vectorise; it changes no result. */
#define TRAIN_FAST_MATH_BEGIN                                                                      \
    _Pragma("GCC push_options") _Pragma("GCC optimize(\"no-trapping-math\")")
#define TRAIN_FAST_MATH_END _Pragma("GCC pop_options")

TRAIN_FAST_MATH_BEGIN
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
TRAIN_FAST_MATH_END

/* A loop written once as name##_body (TRAIN_BODY: always inlined), compiled for
 * AVX-512, AVX2 and the baseline as name##_avx512, name##_avx2, name##_portable of type name##_fn;
 * TRAIN_SIMD_PICK gives the one for the kernel set in use (kernels_selected: GLASSBOX_KERNELS caps
 * it). Pick outside parallel regions. */
#define TRAIN_BODY static inline __attribute__((always_inline))
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRAIN_SIMD_CLONES(name, params, args)                                                      \
    typedef void(*name##_fn) params;                                                               \
    __attribute__((                                                                                \
        target("avx512f,avx512bw,avx512dq,avx512vl"))) static void name##_avx512 params {          \
        name##_body args;                                                                          \
    }                                                                                              \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params {                           \
        name##_body args;                                                                          \
    }                                                                                              \
    static void name##_portable params {                                                           \
        name##_body args;                                                                          \
    }
#define TRAIN_SIMD_PICK(name)                                                                      \
    (kernels_selected() == KERNEL_AVX512 ? name##_avx512                                           \
     : kernels_selected() == KERNEL_AVX2 ? name##_avx2                                             \
                                         : name##_portable)
#else
#define TRAIN_SIMD_CLONES(name, params, args)                                                      \
    typedef void(*name##_fn) params;                                                               \
    static void name##_portable params {                                                           \
        name##_body args;                                                                          \
    }
#define TRAIN_SIMD_PICK(name) name##_portable
#endif

/* matmul_backward with both products times scale (dinp's accumulation, if any, is not scaled) */
void matmul_backward_scaled(float *dinp, float *dweight, const float *dout, const float *inp,
                            const float *weight, int N, int C, int OC, int accumulate, float scale);

/* out (n) = a (n) + b (n): the residual stream after a sub-block */
void residual_forward(float *out, const float *a, const float *b, size_t n);

/* One AdamW step's constants: c1, c2 are the bias corrections 1 - beta^t. */
typedef struct {
    float lr, beta1, beta2, eps, weight_decay, c1, c2;
} AdamWStep;
/* AdamW on n parameters p with gradients g and moments m, v. */
void adamw_update(float *p, const float *g, float *m, float *v, size_t n, const AdamWStep *s);

#endif
