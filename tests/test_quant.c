/* Tests of the weight formats (src/format/quant.c) and the kernels (src/model/kernels.c) against expectations
 * written here independently:
 *   - a decoder of each block layout, weight by weight, from ggml's definitions (not quant.c's code),
 *     and a float64 dot product on what it decodes: every kernel of every set the CPU has (for the
 *     kernels that round the activations to 16 bits, the float64 product on activations rounded
 *     by the rule of kernels.h, implemented here again, and the rounding's own bound against the
 *     exact product);
 *   - quantise -> dequantise error bounds per format;
 *   - the forward pass on a file of each type against the F32 forward on the same weights
 *     dequantised (llama and qwen2), step by step and through the whole-prompt path;
 *   - the same logits, bit for bit, with 1 and 2 threads. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gguf.h"
#include "kernels.h"
#include "model.h"
#include "quant.h"

static const uint32_t TYPES[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16,
                                 GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_K,
                                 GGML_TYPE_Q5_K, GGML_TYPE_Q6_K};
#define N_TYPES_TESTED (sizeof TYPES / sizeof TYPES[0])

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s;
}
/* uniform in (-1, 1) */
static float unif(uint32_t *s) {
    return 2.0f * (float)(lcg(s) >> 8) / 16777216.0f - 1.0f;
}
/* Test data: uniform noise whose scale changes every 16 values, with an outlier now and then (what
 * the per-block scales are for). */
static void fill_data(float *x, size_t n, uint32_t seed) {
    uint32_t s = seed;
    float scale = 1.0f;
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0) scale = 0.05f + (float)(lcg(&s) >> 8) / 16777216.0f;
        x[i] = scale * unif(&s);
        if (lcg(&s) % 97 == 0) x[i] *= 6.0f;
    }
}

/* ------------------------------------------------------------------------------------------------
 * An independent decoder: weight j of a row, straight from the block definitions. */

static double half_to_double(const uint8_t *p) {
    unsigned h = (unsigned)p[0] | ((unsigned)p[1] << 8);
    int sign = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return sign ? -v : v; /* (no inf/nan in test data) */
}

/* The j-th 6-bit field of eight scales then eight mins packed as ggml's K_SCALE_SIZE bytes: bytes
 * 0-3 hold scales 0-3 in their low 6 bits and the top 2 bits of scales 4-7; bytes 4-7 the same for
 * mins; bytes 8-11 hold the low 4 bits of scale 4+i (low nibble) and min 4+i (high nibble). */
static void k_scale(const uint8_t *sc, int s, int *scale, int *min) {
    if (s < 4) {
        *scale = sc[s] % 64;
        *min = sc[4 + s] % 64;
    } else {
        *scale = (sc[8 + s - 4] % 16) + 16 * (sc[s - 4] / 64);
        *min = (sc[8 + s - 4] / 16) + 16 * (sc[s] / 64);
    }
}

static double ref_weight(const uint8_t *row, uint32_t type, int j) {
    switch (type) {
    case GGML_TYPE_F32: {
        float f;
        memcpy(&f, row + 4 * j, 4);
        return f;
    }
    case GGML_TYPE_F16:
        return half_to_double(row + 2 * j);
    case GGML_TYPE_BF16: {
        uint32_t u = ((uint32_t)row[2 * j] | ((uint32_t)row[2 * j + 1] << 8)) << 16;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    case GGML_TYPE_Q8_0: {
        const uint8_t *b = row + 34 * (j / 32);
        return half_to_double(b) * (int8_t)b[2 + j % 32];
    }
    case GGML_TYPE_Q4_0: {
        const uint8_t *b = row + 18 * (j / 32);
        int k = j % 32;
        int q = k < 16 ? b[2 + k] & 15 : b[2 + k - 16] >> 4;
        return half_to_double(b) * (q - 8);
    }
    case GGML_TYPE_Q4_K:
    case GGML_TYPE_Q5_K: {
        int five = type == GGML_TYPE_Q5_K;
        const uint8_t *b = row + (five ? 176 : 144) * (j / 256);
        int k = j % 256, sub = k / 32, l = k % 32;
        const uint8_t *qs = b + (five ? 48 : 16);
        int q = (qs[32 * (sub / 2) + l] >> (4 * (sub % 2))) & 15;
        if (five) q += 16 * ((b[16 + l] >> sub) & 1);
        int scale, min;
        k_scale(b + 4, sub, &scale, &min);
        return half_to_double(b) * scale * q - half_to_double(b + 2) * min;
    }
    case GGML_TYPE_Q6_K: {
        const uint8_t *b = row + 210 * (j / 256);
        int k = j % 256, half = k / 128, r = k % 128, group = r / 32, l = r % 32;
        int byte = b[64 * half + l + 32 * (group % 2)];
        int low = group < 2 ? byte & 15 : byte >> 4;
        int high = (b[128 + 32 * half + l] >> (2 * group)) & 3;
        return half_to_double(b + 208) * (int8_t)b[192 + k / 16] * (low + 16 * high - 32);
    }
    }
    fail_msg("type %u", type);
    return 0;
}

static const char *name_of(uint32_t t) {
    return ggml_type_name(t);
}

/* ------------------------------------------------------------------------------------------------
 * The formats */

static void test_dequantize_matches_reference_decoder(void **state) {
    (void)state;
    int n = 1024;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    fill_data(x, (size_t)n, 5);
    for (size_t t = 0; t < N_TYPES_TESTED; t++) {
        uint8_t *q = malloc(quant_nbytes(TYPES[t], (uint64_t)n));
        quant_quantize(q, x, TYPES[t], (uint64_t)n);
        quant_dequantize(y, q, TYPES[t], (uint64_t)n);
        for (int j = 0; j < n; j++)
            if ((double)y[j] != (double)(float)ref_weight(q, TYPES[t], j))
                fail_msg("%s weight %d: quant_dequantize %.9g, the reference decoder %.9g",
                         name_of(TYPES[t]), j, y[j], ref_weight(q, TYPES[t], j));
        free(q);
    }
    free(x);
    free(y);
}

/* Quantise -> dequantise: the largest error in each block against what the format's step allows,
 * and the error over the whole row relative to the data. */
static void test_round_trip_error(void **state) {
    (void)state;
    int n = 4096;
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    fill_data(x, (size_t)n, 9);
    struct {
        uint32_t type;
        int block;
        double step; /* the worst error allowed, as a fraction of the block's max |x| */
        double rms;  /* rms(error) / rms(x) at most */
    } cases[] = {
        {GGML_TYPE_F16, 1, 1.0 / 1024, 1e-3},   {GGML_TYPE_BF16, 1, 1.0 / 128, 5e-3},
        {GGML_TYPE_Q8_0, 32, 1.0 / 127, 0.01},  {GGML_TYPE_Q4_0, 32, 1.0 / 8, 0.15},
        {GGML_TYPE_Q4_K, 256, 2.0 / 15, 0.15},  {GGML_TYPE_Q5_K, 256, 2.0 / 31, 0.08},
        {GGML_TYPE_Q6_K, 256, 1.0 / 31, 0.04},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *q = malloc(quant_nbytes(cases[c].type, (uint64_t)n));
        quant_quantize(q, x, cases[c].type, (uint64_t)n);
        quant_dequantize(y, q, cases[c].type, (uint64_t)n);
        double se = 0, sx = 0;
        for (int b = 0; b < n; b += cases[c].block) {
            double amax = 0, emax = 0;
            for (int j = b; j < b + cases[c].block; j++) {
                amax = fmax(amax, fabs(x[j]));
                emax = fmax(emax, fabs((double)y[j] - x[j]));
                se += ((double)y[j] - x[j]) * ((double)y[j] - x[j]);
                sx += (double)x[j] * x[j];
            }
            if (emax > cases[c].step * amax * 1.02 + 1e-7)
                fail_msg("%s: block at %d: error %.3g > %.3g x max|x| %.3g", name_of(cases[c].type),
                         b, emax, cases[c].step, amax);
        }
        double rel = sqrt(se / sx);
        if (rel > cases[c].rms) fail_msg("%s: rms error %.4f > %.4f", name_of(cases[c].type), rel, cases[c].rms);
        print_message("%-5s rms error / rms data %.5f\n", name_of(cases[c].type), rel);
        free(q);
    }
    /* a block of zeros and a constant block survive exactly where the format can express them */
    memset(x, 0, sizeof(float) * 256);
    for (size_t t = 0; t < N_TYPES_TESTED; t++) {
        uint8_t *q = malloc(quant_nbytes(TYPES[t], 256));
        quant_quantize(q, x, TYPES[t], 256);
        quant_dequantize(y, q, TYPES[t], 256);
        for (int j = 0; j < 256; j++)
            assert_true(y[j] == 0.0f);
        free(q);
    }
    free(x);
    free(y);
}

/* ------------------------------------------------------------------------------------------------
 * The kernels */

/* The rounding of activations of kernels.h, written again: per block of 32, amax the largest
 * magnitude, q = nearest integer (ties to even) to x * (32767 / amax), d = amax / 32767, both in
 * float32. xr (n) = d * q in float64, half_step (n) = the rounding's bound for that value: half a
 * step d, and a little for the float32 rounding of d and of x * id (each a few 1e-3 of a step). */
static void round16_reference(double *xr, double *half_step, const float *x, int n) {
    for (int b = 0; b < n / 32; b++) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++)
            amax = fabsf(x[32 * b + j]) > amax ? fabsf(x[32 * b + j]) : amax;
        float d = amax / 32767.0f, id = amax > 0 ? 32767.0f / amax : 0.0f;
        for (int j = 0; j < 32; j++) {
            float p = x[32 * b + j] * id;
            double q = nearbyint((double)p); /* the default rounding: to nearest, ties to even */
            xr[32 * b + j] = amax > 0 ? (double)d * q : 0.0;
            half_step[32 * b + j] = amax > 0 ? 0.51 * d : 0.0;
        }
    }
}

/* kernel_round_activations gives exactly the rounding described in kernels.h, in every set, and
 * refuses what it cannot represent. */
static void test_round_activations(void **state) {
    (void)state;
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    enum { N = 640 };
    float x[N];
    int16_t q[N];
    float d[N / 32];
    double xr[N], hs[N];
    for (size_t k = 0; k < 3; k++) {
        if (kernels_select(sets[k]) != sets[k]) continue;
        fill_data(x, N, 7);
        for (int j = 64; j < 96; j++)
            x[j] = 0.0f; /* a block of zeros */
        x[100] = 1e-38f; /* a tiny value beside ordinary ones */
        x[130] = 32767.0f / 3.0f; /* ties and large values */
        x[131] = -0.5f * x[130];
        assert_int_equal(kernel_round_activations(q, d, x, N), 0);
        round16_reference(xr, hs, x, N);
        for (int j = 0; j < N; j++) {
            double got = (double)d[j / 32] * q[j];
            if (got != xr[j])
                fail_msg("%s: activation %d: %.9g (%d x %.9g), the rule gives %.9g", kernels_name(sets[k]),
                         j, got, q[j], d[j / 32], xr[j]);
            assert_true(fabs(got - x[j]) <= hs[j]);
        }
        for (int j = 64; j < 96; j++)
            assert_true(q[j] == 0 && d[j / 32] == 0.0f);
        float bad[4] = {NAN, INFINITY, -INFINITY, 1e-31f};
        for (int b = 0; b < 4; b++) {
            float y[64] = {0};
            y[40] = bad[b];
            assert_int_equal(kernel_round_activations(q, d, y, 64), -1);
        }
        /* and a product on such activations takes the float kernel: NaN stays NaN */
        float y[64] = {0}, w[64];
        fill_data(w, 64, 3);
        uint8_t row[68];
        quant_quantize(row, w, GGML_TYPE_Q8_0, 64);
        y[5] = NAN;
        assert_true(isnan(kernel_dot(row, GGML_TYPE_Q8_0, y, 64)));
        y[5] = 1e-31f;
        assert_true(fabs(kernel_dot(row, GGML_TYPE_Q8_0, y, 64)) < 1e-30);
    }
    kernels_select(before);
}

static void test_kernels_against_float64(void **state) {
    (void)state;
    int sizes[] = {256, 768, 4096, 37, 100}; /* the last two only for F32/F16/BF16 */
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    for (size_t k = 0; k < 3; k++) {
        if (kernels_select(sets[k]) != sets[k]) continue; /* the CPU lacks it */
        for (size_t t = 0; t < N_TYPES_TESTED; t++)
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                int n = sizes[si];
                if (n % quant_block_size(TYPES[t])) continue;
                float *w = malloc(sizeof(float) * (size_t)n), *x = malloc(sizeof(float) * (size_t)n);
                fill_data(w, (size_t)n, 100 + (uint32_t)si);
                fill_data(x, (size_t)n, 200 + (uint32_t)t);
                /* block formats at an odd address: their kernels take any alignment (the loader
                 * copies a misaligned F32/F16/BF16 tensor, so those are always aligned) */
                size_t off = quant_block_size(TYPES[t]) > 1;
                uint8_t *base = malloc(quant_nbytes(TYPES[t], (uint64_t)n) + 1), *row = base + off;
                quant_quantize(row, w, TYPES[t], (uint64_t)n);
                double ref = 0, mag = 0;
                for (int j = 0; j < n; j++) {
                    double wj = ref_weight(row, TYPES[t], j);
                    ref += wj * x[j];
                    mag += fabs(wj * x[j]);
                }
                float got = kernel_dot(row, TYPES[t], x, n);
                double bound = 0; /* what rounding the activations may cost, at most */
                if (kernel_rounds_activations(TYPES[t])) {
                    /* the float32 sums are those of the product on the rounded activations */
                    double *xr = malloc(sizeof(double) * (size_t)n), *half_step = malloc(sizeof(double) * (size_t)n);
                    round16_reference(xr, half_step, x, n);
                    double ref16 = 0, mag16 = 0;
                    for (int j = 0; j < n; j++) {
                        double wj = ref_weight(row, TYPES[t], j);
                        ref16 += wj * xr[j];
                        mag16 += fabs(wj * xr[j]);
                        bound += fabs(wj) * half_step[j];
                    }
                    if (fabs(got - ref16) > 4e-7 * mag16 * sqrt((double)n) + 1e-30)
                        fail_msg("%s kernel, %s, n %d: %.9g, float64 on the rounded activations %.9g",
                                 kernels_name(sets[k]), name_of(TYPES[t]), n, got, ref16);
                    free(xr);
                    free(half_step);
                }
                /* float32 sums of n terms: a few ulps of the sum of magnitudes */
                if (fabs(got - ref) > 4e-7 * mag * sqrt((double)n) + bound + 1e-30)
                    fail_msg("%s kernel, %s, n %d: %.9g, float64 reference %.9g", kernels_name(sets[k]),
                             name_of(TYPES[t]), n, got, ref);
                /* matmul over rows of that row agrees with the single dot product, exactly */
                Matrix m = {row, TYPES[t]};
                float out;
                matmul(&out, x, m, n, 1);
                assert_true(out == got);
                free(w);
                free(x);
                free(base);
            }
    }
    kernels_select(before);
}

/* vec_exp: the same bits in every set; within 2 ulp of e^x in float64 where the result is a normal
 * float, within a subnormal step below; and the edges (NaN, the infinities, overflow, 0). */
static void test_vec_exp(void **state) {
    (void)state;
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    enum { N = 200003 };
    float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N), *ref = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++)
        x[i] = -110.0f + 205.0f * (float)i / (float)(N - 1);
    float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 88.72f, 88.73f, 89.0f, 200.0f, -87.3f, -103.9f, -104.0f,
                       -200.0f, INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f};
    int ns = (int)(sizeof special / sizeof special[0]);
    memcpy(x, special, sizeof special);
    for (size_t k = 0; k < 3; k++) {
        if (kernels_select(sets[k]) != sets[k]) continue;
        memcpy(y, x, sizeof(float) * N);
        vec_exp(y, N);
        if (k == 0) memcpy(ref, y, sizeof(float) * N);
        for (int i = 0; i < N; i++)
            if (memcmp(&y[i], &ref[i], sizeof(float)) != 0 && !(isnan(y[i]) && isnan(ref[i])))
                fail_msg("%s: e^%.9g = %.9g, the portable version %.9g", kernels_name(sets[k]), x[i], y[i], ref[i]);
    }
    for (int i = 0; i < N; i++) {
        if (isnan(x[i])) {
            assert_true(isnan(ref[i]));
            continue;
        }
        double e = exp((double)x[i]);
        if (e > 3.4028234663852886e38) {
            if (!isinf(ref[i])) fail_msg("e^%.9g = %.9g, not infinity", x[i], ref[i]);
        } else if (e >= 1.1754943508222875e-38) {
            if (fabs(ref[i] - e) > 2.5 * 1.1920929e-7 * e)
                fail_msg("e^%.9g = %.9g, float64 %.9g", x[i], ref[i], e);
        } else if (fabs(ref[i] - e) > 1.5e-45) {
            fail_msg("e^%.9g = %.9g, float64 %.9g (subnormal)", x[i], ref[i], e);
        }
    }
    assert_true(ref[0] == 1.0f && ref[1] == 1.0f);
    assert_true(isinf(ref[12]) && ref[12] > 0 && ref[13] == 0.0f && ref[10] == 0.0f);
    (void)ns;
    free(x);
    free(y);
    free(ref);
    kernels_select(before);
}

/* vec_max: the loop's answer in every set, on ties, zeros of both signs and NaNs. */
static void test_vec_max(void **state) {
    (void)state;
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    float x[300];
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + trial % 97 + (trial > 150 ? 200 : 0);
        fill_data(x, (size_t)n, 1000 + (uint32_t)trial);
        if (trial % 5 == 1) x[(trial * 7) % n] = NAN;
        if (trial % 7 == 2)
            for (int i = 0; i < n; i++)
                x[i] = (i + trial) % 2 ? 0.0f : -0.0f;
        if (trial % 11 == 3) x[0] = NAN;
        float want = x[0];
        for (int i = 1; i < n; i++)
            if (x[i] > want) want = x[i];
        for (size_t k = 0; k < 3; k++) {
            if (kernels_select(sets[k]) != sets[k]) continue;
            float got = vec_max(x, n);
            if (memcmp(&got, &want, sizeof got) != 0 && !(isnan(got) && isnan(want)))
                fail_msg("%s, n %d: %g, the loop's %g", kernels_name(sets[k]), n, got, want);
        }
    }
    kernels_select(before);
}

/* vec_sum: dot_f32's order, the same bits in every set, float32's rounding of the float64 sum. */
static void test_vec_sum(void **state) {
    (void)state;
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    float x[300];
    for (int n = 1; n <= 300; n += 7) {
        fill_data(x, (size_t)n, 2000 + (uint32_t)n);
        float want = 0;
        double ref = 0, mag = 0;
        for (int i = 0; i < n; i++) {
            ref += x[i];
            mag += fabs(x[i]);
        }
        for (size_t k = 0; k < 3; k++) {
            if (kernels_select(sets[k]) != sets[k]) continue;
            float got = vec_sum(x, n);
            if (k == 0) want = got;
            assert_memory_equal(&got, &want, sizeof got);
            assert_true(fabs(got - ref) <= 4e-7 * mag * sqrt((double)n) + 1e-30);
        }
    }
    kernels_select(before);
}

static float test_act(float x) {
    return x / (1.0f + expf(-x));
}

static void test_glu(float *h, const float *up, int n) {
    for (int i = 0; i < n; i++)
        h[i] = test_act(h[i]) * up[i];
}

/* matmul_many and matmul_gated give each output exactly what matmul gives it (then the
 * activation and the product), with one thread and with two. */
static void test_matmul_many_and_gated(void **state) {
    (void)state;
    int threads_before = omp_get_max_threads();
    uint32_t types[] = {GGML_TYPE_F32, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K};
    enum { N = 768, D1 = 131, D2 = 40 };
    float *w = malloc(sizeof(float) * N), *x = malloc(sizeof(float) * N);
    fill_data(x, N, 5);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        size_t rb = quant_nbytes(types[t], N);
        uint8_t *a = malloc(rb * D1), *b = malloc(rb * D1);
        for (int r = 0; r < D1; r++) {
            fill_data(w, N, 600 + (uint32_t)r);
            quant_quantize(a + rb * (size_t)r, w, types[t], N);
            fill_data(w, N, 900 + (uint32_t)r);
            quant_quantize(b + rb * (size_t)r, w, types[t], N);
        }
        Matrix ma = {a, types[t]}, mb = {b, types[t]};
        float ra[D1], rb2[D2], h[D1], up[D1], oa[D1], ob[D2];
        matmul(ra, x, ma, N, D1);
        matmul(rb2, x, mb, N, D2);
        for (int threads = 1; threads <= 2; threads++) {
            omp_set_num_threads(threads);
            MatJob jobs[2] = {{oa, ma, D1}, {ob, mb, D2}};
            matmul_many(x, N, jobs, 2);
            assert_memory_equal(oa, ra, sizeof ra);
            assert_memory_equal(ob, rb2, sizeof rb2);
            matmul_gated(h, up, x, ma, mb, N, D1, test_glu);
            float upr[D1];
            matmul(upr, x, mb, N, D1);
            for (int i = 0; i < D1; i++) {
                float want = test_act(ra[i]) * upr[i];
                assert_memory_equal(&h[i], &want, sizeof want);
            }
        }
        free(a);
        free(b);
    }
    free(w);
    free(x);
    omp_set_num_threads(threads_before);
}

/* Attention's loops (kernels.h) give the same bits in every set (the orders of dot_f32 and of an
 * axpy), and agree with float64 to float32's rounding: head sizes with and without a tail of
 * fewer than 8 values, one position and several, cache rows wider than a head. */
static void test_attention_loops(void **state) {
    (void)state;
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    int hds[] = {64, 32, 48, 7, 100, 136};
    int ns[] = {1, 3, 4, 5, 17};
    enum { MAXN = 17, MAXHD = 136, STRIDE = 3 * 136 };
    float *q = malloc(sizeof(float) * MAXHD), *kv = malloc(sizeof(float) * MAXN * STRIDE);
    fill_data(q, MAXHD, 11);
    fill_data(kv, (size_t)MAXN * STRIDE, 12);
    for (size_t hi = 0; hi < sizeof hds / sizeof hds[0]; hi++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
            int hd = hds[hi], n = ns[ni];
            float att[3][MAXN], out[3][MAXHD];
            int have[3] = {0};
            for (size_t k = 0; k < 3; k++) {
                if (kernels_select(sets[k]) != sets[k]) continue;
                have[k] = 1;
                attn_scores(att[k], q, kv + 5, STRIDE, n, hd, 0.125f);
                attn_mix(out[k], att[k], kv + 9, STRIDE, n, hd);
                if (memcmp(att[k], att[0], sizeof(float) * (size_t)n) != 0 ||
                    memcmp(out[k], out[0], sizeof(float) * (size_t)hd) != 0)
                    fail_msg("%s: head size %d, %d positions: not the portable loops' bits",
                             kernels_name(sets[k]), hd, n);
            }
            assert_true(have[0]);
            for (int t = 0; t < n; t++) {
                double ref = 0, mag = 0;
                for (int i = 0; i < hd; i++) {
                    ref += (double)q[i] * kv[5 + (size_t)t * STRIDE + i];
                    mag += fabs((double)q[i] * kv[5 + (size_t)t * STRIDE + i]);
                }
                assert_true(fabs(att[0][t] - 0.125 * ref) <= 0.125 * 4e-7 * mag * sqrt((double)hd) + 1e-30);
            }
            for (int i = 0; i < hd; i++) {
                double ref = 0, mag = 0;
                for (int t = 0; t < n; t++) {
                    ref += (double)att[0][t] * kv[9 + (size_t)t * STRIDE + i];
                    mag += fabs((double)att[0][t] * kv[9 + (size_t)t * STRIDE + i]);
                }
                assert_true(fabs(out[0][i] - ref) <= 4e-7 * mag * sqrt((double)n) + 1e-30);
            }
        }
    free(q);
    free(kv);
    kernels_select(before);
}

/* matmul over many rows (the multi-row kernels take them ROWS at a time, a short last group row by
 * row) gives each row exactly the bits of its single dot product, with one thread and with two. */
static void test_matmul_rows_match_dot(void **state) {
    (void)state;
    KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};
    KernelSet before = kernels_selected();
    int threads_before = omp_get_max_threads();
    int ns[] = {32, 576, 1536};         /* odd and even numbers of blocks, one and several chunks */
    int ds[] = {1, 3, 4, 5, 8, 9, 131}; /* 131 x 576 and up: large enough to split across threads */
    for (size_t k = 0; k < 3; k++) {
        if (kernels_select(sets[k]) != sets[k]) continue;
        for (size_t t = 0; t < N_TYPES_TESTED; t++)
            for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
                int n = ns[ni];
                if (n % quant_block_size(TYPES[t])) continue;
                size_t rb = quant_nbytes(TYPES[t], (uint64_t)n);
                int dmax = 131;
                float *w = malloc(sizeof(float) * (size_t)n), *x = malloc(sizeof(float) * (size_t)n);
                /* block formats at an odd address, as in test_kernels_against_float64 */
                size_t off = quant_block_size(TYPES[t]) > 1;
                uint8_t *base = malloc(rb * (size_t)dmax + 1), *rows = base + off;
                for (int r = 0; r < dmax; r++) {
                    fill_data(w, (size_t)n, 300 + (uint32_t)r);
                    quant_quantize(rows + rb * (size_t)r, w, TYPES[t], (uint64_t)n);
                }
                fill_data(x, (size_t)n, 400 + (uint32_t)t);
                float *ref = malloc(sizeof(float) * (size_t)dmax);
                float *out = malloc(sizeof(float) * (size_t)dmax);
                for (int r = 0; r < dmax; r++)
                    ref[r] = kernel_dot(rows + rb * (size_t)r, TYPES[t], x, n);
                Matrix m = {rows, TYPES[t]};
                for (size_t di = 0; di < sizeof ds / sizeof ds[0]; di++)
                    for (int threads = 1; threads <= 2; threads++) {
                        omp_set_num_threads(threads);
                        memset(out, 0, sizeof(float) * (size_t)dmax);
                        matmul(out, x, m, n, ds[di]);
                        for (int r = 0; r < ds[di]; r++)
                            if (memcmp(&out[r], &ref[r], sizeof(float)) != 0)
                                fail_msg("%s kernels, %s, n %d, %d rows, %d threads: row %d %.9g, "
                                         "its dot product %.9g",
                                         kernels_name(sets[k]), name_of(TYPES[t]), n, ds[di],
                                         threads, r, out[r], ref[r]);
                        for (int r = ds[di]; r < dmax; r++)
                            assert_true(out[r] == 0.0f); /* nothing written past d */
                    }
                free(w);
                free(x);
                free(base);
                free(ref);
                free(out);
            }
    }
    omp_set_num_threads(threads_before);
    kernels_select(before);
}

/* ------------------------------------------------------------------------------------------------
 * The forward pass in every type */

static Config shape(int arch) {
    Config c = {0};
    c.arch = arch;
    c.dim = 256; /* rows of 256: every k-quant applies */
    c.hidden_dim = 512;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.vocab_size = 96;
    c.seq_len = 16;
    c.context_length = 16;
    c.rope_base = 10000.0f;
    c.norm_eps = 1e-5f;
    return c;
}

/* Random F32 model with weights large enough that attention and the distribution are far from
 * uniform. */
static void random_model(Model *m, int arch) {
    Config c = shape(arch);
    char err[256];
    if (model_init_random(m, &c, 3, err) != 0) fail_msg("%s", err);
    const Config *k = &m->config;
    size_t dim = (size_t)k->dim, ffn = (size_t)k->hidden_dim;
    size_t qd = (size_t)k->n_heads * k->head_dim, kvd = (size_t)k->n_kv_heads * k->head_dim;
    uint32_t s = 77;
    float *e = matrix_floats(m->weights.token_embd);
    for (size_t i = 0; i < (size_t)k->vocab_size * dim; i++)
        e[i] = unif(&s);
    for (int l = 0; l < k->n_layers; l++) {
        LayerWeights *lw = &m->weights.layers[l];
        Matrix *mats[7] = {&lw->wq, &lw->wk, &lw->wv, &lw->wo, &lw->w_gate, &lw->w_up, &lw->w_down};
        size_t sizes[7] = {qd * dim, kvd * dim, kvd * dim, dim * qd, ffn * dim, ffn * dim, dim * ffn};
        for (int j = 0; j < 7; j++) {
            float *p = matrix_floats(*mats[j]);
            for (size_t i = 0; i < sizes[j]; i++)
                p[i] = 0.15f * unif(&s);
        }
        if (lw->bq)
            for (size_t i = 0; i < qd; i++)
                lw->bq[i] = 0.3f * unif(&s);
    }
}

/* ref = the F32 model with every matrix replaced by what file b holds, dequantised. */
static void adopt_weights(Model *ref, const Model *b) {
    const Config *k = &ref->config;
    int dim = k->dim, ffn = k->hidden_dim;
    int qd = k->n_heads * k->head_dim, kvd = k->n_kv_heads * k->head_dim;
    for (int i = 0; i < k->vocab_size; i++)
        matrix_row(matrix_floats(ref->weights.token_embd) + (size_t)i * dim, b->weights.token_embd, i, dim);
    for (int l = 0; l < k->n_layers; l++) {
        LayerWeights *r = &ref->weights.layers[l];
        const LayerWeights *q = &b->weights.layers[l];
        struct {
            Matrix dst, src;
            int rows, cols;
        } mats[7] = {{r->wq, q->wq, qd, dim},       {r->wk, q->wk, kvd, dim},
                     {r->wv, q->wv, kvd, dim},      {r->wo, q->wo, dim, qd},
                     {r->w_gate, q->w_gate, ffn, dim}, {r->w_up, q->w_up, ffn, dim},
                     {r->w_down, q->w_down, dim, ffn}};
        for (int j = 0; j < 7; j++)
            for (int i = 0; i < mats[j].rows; i++)
                matrix_row(matrix_floats(mats[j].dst) + (size_t)i * mats[j].cols, mats[j].src, i,
                           mats[j].cols);
    }
}

static void load_as(Model *b, uint8_t **data, const Model *a, uint32_t type) {
    char err[256];
    size_t size;
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, a, type);
    if (gguf_writer_to_memory(w, data, &size, err) != 0) fail_msg("%s", err);
    gguf_writer_free(w);
    if (model_load_memory(b, *data, size, "typed.gguf", 0, err) != 0) fail_msg("%s", err);
}

static void test_forward_in_every_type(void **state) {
    (void)state;
    static const int32_t SEQ[8] = {5, 17, 3, 90, 41, 41, 8, 60};
    uint32_t types[N_TYPES_TESTED + 1];
    memcpy(types, TYPES, sizeof TYPES);
    types[N_TYPES_TESTED] = MODEL_TYPE_Q4_K_M;
    for (int arch = ARCH_LLAMA; arch <= ARCH_QWEN2; arch++)
        for (size_t t = 0; t <= N_TYPES_TESTED; t++) {
            Model a, b;
            uint8_t *data;
            random_model(&a, arch);
            load_as(&b, &data, &a, types[t]);
            assert_int_equal(b.config.arch, arch);
            assert_int_equal(b.config.rope_neox, arch == ARCH_QWEN2);
            assert_true((b.weights.layers[0].bq != NULL) == (arch == ARCH_QWEN2));
            uint32_t want = types[t] == MODEL_TYPE_Q4_K_M ? GGML_TYPE_Q4_K : types[t];
            assert_int_equal(b.weights.layers[1].w_up.type, want); /* kept in its type */
            if (types[t] == MODEL_TYPE_Q4_K_M) assert_int_equal(b.weights.layers[1].w_down.type, GGML_TYPE_Q6_K);
            adopt_weights(&a, &b);
            int vocab = a.config.vocab_size;
            /* The F32 model's products round nothing but their sums. Where the kernels round the
             * activations to 16 bits (Q8_0 with AVX2/AVX-512), every product is off by up to 2^-16
             * of its inputs' block maxima (~1e-4 of a product of this test's random data), which
             * this random model's large weights amplify: 2.7e-3 at most measured over these
             * positions, bounded here at 1e-2. */
            float tol = kernel_rounds_activations(want) ? 1e-2f : 2e-4f;
            float *la = malloc(sizeof(float) * (size_t)vocab);
            for (int p = 0; p < 8; p++) {
                memcpy(la, model_forward(&a, SEQ[p], p), sizeof(float) * (size_t)vocab);
                const float *lb = model_forward(&b, SEQ[p], p);
                for (int v = 0; v < vocab; v++)
                    if (fabsf(la[v] - lb[v]) > tol * fmaxf(1.0f, fabsf(la[v])))
                        fail_msg("%s %s, position %d, logit %d: %.6f, F32 on the same weights %.6f",
                                 model_arch_name(arch), t < N_TYPES_TESTED ? name_of(types[t]) : "Q4_K_M",
                                 p, v, lb[v], la[v]);
            }
            /* the whole-prompt path (dequantised slices, one product each) agrees with the steps */
            const float *lp = model_forward_prompt(&b, SEQ, 8, 0);
            for (int v = 0; v < vocab; v++)
                assert_true(fabsf(la[v] - lp[v]) <= tol * fmaxf(1.0f, fabsf(la[v])));
            /* the embedding row and the output head on a residual, in the file's type */
            float row[256], logits[96];
            assert_int_equal(model_embedding(&b, 41, row), 0);
            for (int i = 0; i < 256; i++)
                assert_true(row[i] == matrix_floats(a.weights.token_embd)[41 * 256 + i]);
            model_logits_from_residual(&b, logits, b.state.x);
            for (int v = 0; v < vocab; v++)
                assert_true(fabsf(logits[v] - lp[v]) <= 1e-5f * fmaxf(1.0f, fabsf(lp[v])));
            free(la);
            model_free(&a);
            model_free(&b);
            free(data);
        }
}

/* The same bits with one thread and with two: every row is summed by one thread, in one order. */
static void test_thread_count_does_not_change_results(void **state) {
    (void)state;
    static const int32_t SEQ[6] = {1, 2, 30, 4, 50, 6};
    int before = omp_get_max_threads();
    uint32_t types[] = {GGML_TYPE_F32, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        Model a, b;
        uint8_t *data;
        random_model(&a, ARCH_QWEN2);
        load_as(&b, &data, &a, types[t]);
        int vocab = b.config.vocab_size;
        float one[6][96], two[6][96];
        omp_set_num_threads(1);
        for (int p = 0; p < 6; p++)
            memcpy(one[p], model_forward(&b, SEQ[p], p), sizeof(float) * (size_t)vocab);
        omp_set_num_threads(2);
        for (int p = 0; p < 6; p++)
            memcpy(two[p], model_forward(&b, SEQ[p], p), sizeof(float) * (size_t)vocab);
        assert_memory_equal(one, two, sizeof one);
        model_free(&a);
        model_free(&b);
        free(data);
    }
    omp_set_num_threads(before);
}

/* Threads follow the work per token: the shipped model's size runs on one, a 135M-parameter
 * model's on all. */
static void test_thread_policy(void **state) {
    (void)state;
    Model m;
    memset(&m, 0, sizeof m);
    m.config = (Config){.dim = 192, .hidden_dim = 512, .n_layers = 4, .n_heads = 4, .n_kv_heads = 4,
                        .head_dim = 48, .vocab_size = 4096};
    assert_true(model_work_per_token(&m) < MODEL_SMALL_WORK);
    m.config = (Config){.dim = 576, .hidden_dim = 1536, .n_layers = 30, .n_heads = 9, .n_kv_heads = 3,
                        .head_dim = 64, .vocab_size = 49152};
    double w = model_work_per_token(&m);
    assert_true(w > 1.3e8 && w < 1.4e8); /* SmolLM-135M: 134.5M multiply-adds per token */
    assert_true(w >= MODEL_SMALL_WORK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequantize_matches_reference_decoder),
        cmocka_unit_test(test_round_trip_error),
        cmocka_unit_test(test_round_activations),
        cmocka_unit_test(test_kernels_against_float64),
        cmocka_unit_test(test_matmul_rows_match_dot),
        cmocka_unit_test(test_matmul_many_and_gated),
        cmocka_unit_test(test_attention_loops),
        cmocka_unit_test(test_vec_exp),
        cmocka_unit_test(test_vec_max),
        cmocka_unit_test(test_vec_sum),
        cmocka_unit_test(test_forward_in_every_type),
        cmocka_unit_test(test_thread_count_does_not_change_results),
        cmocka_unit_test(test_thread_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
