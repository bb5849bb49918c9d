/* What the trainer's layer files share (train.c, train_attn.c): the threshold for splitting a loop
 * across threads and the exponential the softmaxes and SwiGLU use. Internal to the trainer. */
#ifndef GB_TRAIN_OPS_H
#define GB_TRAIN_OPS_H

#include <stdint.h>
#include <string.h>

/* Loops with less work than this run on one thread: a team's start and barrier cost more than they
 * save there, and on a busy machine a descheduled team member can stall each barrier for a whole
 * time slice (tiny models, as in the tests, would crawl). */
#define PARALLEL_MIN_WORK (1L << 17)

/* e^x for x <= 0, within about 2e-7 relative of expf, in plain arithmetic so that loops over it
 * vectorize (libm's expf is a call per element; exponentials are a tenth of a training step).
 * Range reduction x = n ln2 + r with |r| <= ln2/2, a degree-7 Taylor polynomial for e^r, and 2^n
 * built in the exponent bits. Inputs below -60 count as -60: e^-60 (1e-26) is as good as 0 next to
 * the 1 every softmax row and sigmoid holds, and keeps every lane far from denormal numbers.
 * Callers compile with no-trapping-math (GB_TRAIN_FAST_MATH_BEGIN), which lets the clamp vectorise. */
#define GB_TRAIN_FAST_MATH_BEGIN _Pragma("GCC push_options") _Pragma("GCC optimize(\"no-trapping-math\")")
#define GB_TRAIN_FAST_MATH_END _Pragma("GCC pop_options")

GB_TRAIN_FAST_MATH_BEGIN
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
GB_TRAIN_FAST_MATH_END

#endif
