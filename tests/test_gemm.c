/* The trainer's matrix product (src/gemm.c) with every kernel set the CPU has: against a plain
 * double-precision loop for each transpose, edge sizes, K over several blocks, alpha and beta
 * (beta 0 never reads C); a packed B and its leading parts give gemm's bits; and the bits of an
 * element do not depend on how C is cut into parts (what lets the trainer split a product across
 * threads). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gemm.h"
#include "kernels.h"
#include "util.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static float frand(void) { /* in [-1, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (2.0 / 16777216.0) - 1.0);
}
static float *rand_buf(size_t n) {
    float *p = gb_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

/* op(A)[i, k] and op(B)[k, j] as stored */
static float at(const float *A, int ta, int lda, int i, int k) {
    return ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}

static void check_one(int M, int N, int K, int ta, int tb, float alpha, float beta) {
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 5; /* strides past the width */
    float *A = rand_buf((size_t)(ta ? K : M) * lda), *B = rand_buf((size_t)(tb ? N : K) * ldb);
    float *C = rand_buf((size_t)M * ldc), *C0 = gb_malloc((size_t)M * ldc * sizeof(float));
    if (beta == 0.0f)
        for (size_t i = 0; i < (size_t)M * ldc; i++)
            C[i] = NAN; /* not read */
    memcpy(C0, C, (size_t)M * ldc * sizeof(float));
    gemm(C, A, B, M, N, K, ta, tb, lda, ldb, ldc, alpha, beta);
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int k = 0; k < K; k++) {
                double p = (double)at(A, ta, lda, i, k) * at(B, !tb, ldb, j, k);
                s += p, mag += fabs(p);
            }
            double want = alpha * s + (beta != 0.0f ? beta * C0[(size_t)i * ldc + j] : 0.0);
            double got = C[(size_t)i * ldc + j];
            if (!(fabs(got - want) <= 1e-5 * (fabs(alpha) * mag + 1.0)))
                fail_msg(
                    "%s M %d N %d K %d ta %d tb %d alpha %g beta %g: C[%d][%d] %.7g, want %.7g",
                    kernels_name(kernels_selected()), M, N, K, ta, tb, alpha, beta, i, j, got,
                    want);
        }
        for (int j = N; j < ldc; j++) /* past the width: untouched */
            assert_memory_equal(&C[(size_t)i * ldc + j], &C0[(size_t)i * ldc + j], sizeof(float));
    }
    free(A), free(B), free(C), free(C0);
}

static const KernelSet sets[] = {KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512};

static void test_against_loops(void **state) {
    (void)state;
    static const int sizes[][3] = {{1, 1, 1},    {5, 7, 3},     {12, 32, 16},   {13, 33, 17},
                                   {97, 70, 40}, {30, 20, 600}, {200, 1100, 9}, {3, 2, 257}};
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        if (kernels_select(sets[s]) != sets[s]) continue;
        for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
            for (int t = 0; t < 4; t++) {
                check_one(sizes[z][0], sizes[z][1], sizes[z][2], t & 1, t >> 1, 1.0f, 0.0f);
                check_one(sizes[z][0], sizes[z][1], sizes[z][2], t & 1, t >> 1, 0.37f, 1.0f);
            }
        check_one(20, 40, 30, 0, 1, -2.0f, 0.5f);
        check_one(20, 40, 0, 1, 0, 1.0f, 0.5f); /* K 0: C = beta C */
    }
    kernels_select(KERNEL_AVX512);
}

/* A product cut into parts (rows, columns) gives each element the bits of the whole; a packed B,
 * or a leading part of one, gives gemm's bits. */
static void test_parts_same_bits(void **state) {
    (void)state;
    int M = 150, N = 300, K = 700;
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        if (kernels_select(sets[s]) != sets[s]) continue;
        for (int ta = 0; ta < 2; ta++) {
            float *A = rand_buf((size_t)M * K), *B = rand_buf((size_t)K * N);
            float *whole = gb_malloc((size_t)M * N * 4), *parts = gb_malloc((size_t)M * N * 4);
            int lda = ta ? M : K;
            gemm(whole, A, B, M, N, K, ta, 0, lda, N, N, 1.0f, 0.0f);
            /* rows in three parts, the middle one in two column parts */
            int r[4] = {0, 37, 101, M};
            for (int p = 0; p < 3; p++) {
                const float *Ap = ta ? A + r[p] : A + (size_t)r[p] * K;
                if (p != 1) {
                    gemm(parts + (size_t)r[p] * N, Ap, B, r[p + 1] - r[p], N, K, ta, 0, lda, N, N,
                         1.0f, 0.0f);
                } else {
                    gemm(parts + (size_t)r[p] * N, Ap, B, r[2] - r[1], 45, K, ta, 0, lda, N, N,
                         1.0f, 0.0f);
                    gemm(parts + (size_t)r[p] * N + 45, Ap, B + 45, r[2] - r[1], N - 45, K, ta, 0,
                         lda, N, N, 1.0f, 0.0f);
                }
            }
            assert_memory_equal(whole, parts, (size_t)M * N * 4);
            /* packed B: the whole, and its leading (K', N') part */
            float *bp = gb_malloc(gemm_pack_floats(K, N) * 4);
            GemmPacked pb;
            gemm_pack(&pb, bp, B, K, N, 0, N);
            gemm_packed(parts, A, &pb, M, N, K, 0, ta, lda, N, 1.0f, 0.0f);
            assert_memory_equal(whole, parts, (size_t)M * N * 4);
            int K2 = 300, N2 = 77;
            gemm(whole, A, B, M, N2, K2, ta, 0, lda, N, N, 1.0f, 0.0f);
            gemm_packed(parts, A, &pb, M, N2, K2, 0, ta, lda, N, 1.0f, 0.0f);
            for (int i = 0; i < M; i++)
                assert_memory_equal(whole + (size_t)i * N, parts + (size_t)i * N, (size_t)N2 * 4);
            /* a band of B's rows inside one block: gemm on the band's own rows */
            int k0 = 260, K3 = 200;
            const float *A3 = ta ? A + (size_t)k0 * lda : A + k0;
            gemm(whole, A3, B + (size_t)k0 * N, M, N, K3, ta, 0, lda, N, N, 1.0f, 0.0f);
            gemm_packed(parts, A3, &pb, M, N, K3, k0, ta, lda, N, 1.0f, 0.0f);
            assert_memory_equal(whole, parts, (size_t)M * N * 4);
            free(A), free(B), free(whole), free(parts), free(bp);
        }
    }
    kernels_select(KERNEL_AVX512);
}

/* B one sliver wide (16 or 32 columns: one of them the kernels' width) is read in place by
 * gemm_packed: the same bits as gemm, bands of rows included. */
static void test_packed_in_place(void **state) {
    (void)state;
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        if (kernels_select(sets[s]) != sets[s]) continue;
        for (int N = 16; N <= 32; N += 16)
            for (int ta = 0; ta < 2; ta++) {
                int M = 50, K = 300, ldb = N + 7, lda = ta ? M : K;
                float *A = rand_buf((size_t)M * K), *B = rand_buf((size_t)K * ldb);
                float *want = gb_malloc((size_t)M * N * 4), *got = gb_malloc((size_t)M * N * 4);
                float *bp = gb_malloc(gemm_pack_floats(K, N) * 4);
                GemmPacked pb;
                gemm_pack(&pb, bp, B, K, N, 0, ldb);
                gemm(want, A, B, M, N, K, ta, 0, lda, ldb, N, 0.5f, 0.0f);
                gemm_packed(got, A, &pb, M, N, K, 0, ta, lda, N, 0.5f, 0.0f);
                assert_memory_equal(want, got, (size_t)M * N * 4);
                int k0 = 40, K2 = 100;
                const float *A2 = ta ? A + (size_t)k0 * lda : A + k0;
                gemm(want, A2, B + (size_t)k0 * ldb, M, N, K2, ta, 0, lda, ldb, N, 1.0f, 0.0f);
                gemm_packed(got, A2, &pb, M, N, K2, k0, ta, lda, N, 1.0f, 0.0f);
                assert_memory_equal(want, got, (size_t)M * N * 4);
                free(A), free(B), free(want), free(got), free(bp);
            }
    }
    kernels_select(KERNEL_AVX512);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_loops),
        cmocka_unit_test(test_parts_same_bits),
        cmocka_unit_test(test_packed_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
