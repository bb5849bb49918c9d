/* The trainer's matrix product (see gemm.h).
 *
 * Loops, outermost first: columns of C in blocks of GEMM_NC, K in blocks of GEMM_KC (B's block
 * packed into slivers of (KC, NR), zero-padded at the edge), rows of C in blocks of GEMM_MC, then
 * tiles of MR x NR, each a call of the micro-kernel. A untransposed is read in place, its rows lda
 * apart (only a bottom-edge sliver is copied, zero-padded); A transposed is packed, a block at a
 * time, into slivers of (KC, MR) when B has several slivers to meet it. B's sliver (32 KB with
 * AVX-512) stays in L1 while the kernel walks down A's block (L2). The compiler flags stay strict
 * (-ffp-contract=off): the vector kernels ask for FMA explicitly, the portable one multiplies and
 * adds. */
#include "gemm.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "util.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GB_X86 1
#include <immintrin.h>
#endif

/* rows of A a block of B meets before the next block: a multiple of every MR */
#define GEMM_MC 96
#define GEMM_NC 1024 /* a multiple of every kernel's NR (32, 16) */
#define MR_MAX 12
#define NR_MAX 32

/* c (mr, nr of a tile; row stride ldc) = alpha * (a . b) + beta * c, where a's element (i, k) is
 * a[i * ars + k * acs] for i < MR (A in place: no copy of A is made but at an edge) and b's row k
 * (NR floats) starts at b + k * bcs (a packed sliver: bcs = NR) */
typedef void (*MicroKernel)(int kc, const float *a, long ars, long acs, const float *b, long bcs,
                            float *c, int ldc, float alpha, float beta, int mr, int nr);

/* Writes a finished tile held in tmp (MR_MAX x NR_MAX, row stride NR_MAX): the same operations, in
 * the same order, as the kernels' vector stores (alpha * sum, then + beta * c), so a tile at an
 * edge gets the bits it would get inside. */
static void store_tile(float *c, int ldc, const float *tmp, float alpha, float beta, int mr,
                       int nr) {
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float v = alpha * tmp[i * NR_MAX + j];
            c[(size_t)i * ldc + j] = beta != 0.0f ? v + beta * c[(size_t)i * ldc + j] : v;
        }
}

/* ------------------------------------------------------------------------------------------------
 * Micro-kernels */

/* Portable: 4 x 16, one running sum per element (the inner loop vectorises where the compiler
 * can). */
#define P_MR 4
#define P_NR 16
static void kernel_portable(int kc, const float *a, long ars, long acs, const float *b, long bcs,
                            float *c, int ldc, float alpha, float beta, int mr, int nr) {
    float acc[P_MR][P_NR] = {{0}};
    for (int k = 0; k < kc; k++, a += acs, b += bcs)
        for (int i = 0; i < P_MR; i++) {
            float ai = a[i * ars];
            for (int j = 0; j < P_NR; j++)
                acc[i][j] += ai * b[j];
        }
    float tmp[MR_MAX * NR_MAX];
    for (int i = 0; i < P_MR; i++)
        memcpy(tmp + i * NR_MAX, acc[i], sizeof(acc[i]));
    store_tile(c, ldc, tmp, alpha, beta, mr, nr);
}

#ifdef GB_X86
/* AVX2 + FMA: 6 x 16, twelve accumulators of 8 lanes. */
#define AVX2 __attribute__((target("avx2,fma")))
#define A2_MR 6
#define A2_NR 16
AVX2 static void kernel_avx2(int kc, const float *a, long ars, long acs, const float *b, long bcs,
                             float *c, int ldc, float alpha, float beta, int mr, int nr) {
    __m256 acc[A2_MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < A2_MR; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++, a += acs, b += bcs) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < A2_MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i * ars);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (mr == A2_MR && nr == A2_NR) {
#pragma GCC unroll 6
        for (int i = 0; i < A2_MR; i++) {
            float *ci = c + (size_t)i * ldc;
            __m256 v0 = _mm256_mul_ps(va, acc[i][0]), v1 = _mm256_mul_ps(va, acc[i][1]);
            if (beta != 0.0f) {
                v0 = _mm256_add_ps(v0, _mm256_mul_ps(vb, _mm256_loadu_ps(ci)));
                v1 = _mm256_add_ps(v1, _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8)));
            }
            _mm256_storeu_ps(ci, v0);
            _mm256_storeu_ps(ci + 8, v1);
        }
        return;
    }
    float tmp[MR_MAX * NR_MAX];
    for (int i = 0; i < A2_MR; i++) {
        _mm256_storeu_ps(tmp + i * NR_MAX, acc[i][0]);
        _mm256_storeu_ps(tmp + i * NR_MAX + 8, acc[i][1]);
    }
    store_tile(c, ldc, tmp, alpha, beta, mr, nr);
}

/* AVX-512: 12 x 32, twenty-four accumulators of 16 lanes; A's values are broadcast from memory. */
#define AVX512 __attribute__((target("avx512f")))
#define A5_MR 12
#define A5_NR 32
AVX512 static void kernel_avx512(int kc, const float *a, long ars, long acs, const float *b,
                                 long bcs, float *c, int ldc, float alpha, float beta, int mr,
                                 int nr) {
    __m512 acc[A5_MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < A5_MR; i++) {
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)i * ldc + 16), _MM_HINT_T0);
    }
    for (int k = 0; k < kc; k++, a += acs, b += bcs) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < A5_MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i * ars]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    /* the tile's rows, the columns past nr masked off (the operations of store_tile, per lane) */
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
#pragma GCC unroll 12
    for (int i = 0; i < A5_MR; i++) {
        if (i >= mr) break;
        float *ci = c + (size_t)i * ldc;
        __m512 v0 = _mm512_mul_ps(va, acc[i][0]), v1 = _mm512_mul_ps(va, acc[i][1]);
        if (beta != 0.0f) {
            v0 = _mm512_add_ps(v0, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, ci)));
            v1 = _mm512_add_ps(v1, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16)));
        }
        _mm512_mask_storeu_ps(ci, m0, v0);
        _mm512_mask_storeu_ps(ci + 16, m1, v1);
    }
}
#endif

typedef struct {
    MicroKernel fn;
    int mr, nr;
} Kernel;

static Kernel pick_kernel(void) {
    Kernel k = {kernel_portable, P_MR, P_NR};
#ifdef GB_X86
    KernelSet s = kernels_selected();
    if (s == KERNEL_AVX512) k = (Kernel){kernel_avx512, A5_MR, A5_NR};
    if (s == KERNEL_AVX2) k = (Kernel){kernel_avx2, A2_MR, A2_NR};
#endif
    return k;
}

/* ------------------------------------------------------------------------------------------------
 * Packing */

/* Slivers of width w from kc rows ld apart, ncols floats of each: the floats [s, s + w) of row k go
 * to dst + (s / w) * kc * w + k * w, the last sliver zero-padded. Row by row, so that memory is
 * read in order, each row's pieces copied with a width the compiler knows. */
#define PANEL_ROWS(W)                                                                              \
    static void panel_rows_##W(float *dst, const float *src, size_t ld, int kc, int ncols) {       \
        int full = ncols / W, rest = ncols % W;                                                    \
        size_t sliver = (size_t)kc * W;                                                            \
        for (int k = 0; k < kc; k++, src += ld) {                                                  \
            float *d = dst + (size_t)k * W;                                                        \
            for (int s = 0; s < full; s++, d += sliver)                                            \
                for (int i = 0; i < W; i++)                                                        \
                    d[i] = src[s * W + i];                                                         \
            if (rest) {                                                                            \
                for (int i = 0; i < rest; i++)                                                     \
                    d[i] = src[full * W + i];                                                      \
                for (int i = rest; i < W; i++)                                                     \
                    d[i] = 0.0f;                                                                   \
            }                                                                                      \
        }                                                                                          \
    }
PANEL_ROWS(16)
PANEL_ROWS(32)
#undef PANEL_ROWS

/* B's slivers are 16 (portable, AVX2) or 32 (AVX-512) wide */
static void panel_rows(float *dst, const float *src, size_t ld, int kc, int ncols, int w) {
    if (w == 16)
        panel_rows_16(dst, src, ld, kc, ncols);
    else
        panel_rows_32(dst, src, ld, kc, ncols);
}

/* dst (kc, W) = W floats from each of kc rows ld apart: a copy whose width the compiler knows */
#define COPY_ROWS(W)                                                                               \
    static void copy_rows_##W(float *dst, const float *src, size_t ld, int kc) {                   \
        for (int k = 0; k < kc; k++, dst += W, src += ld)                                          \
            for (int i = 0; i < W; i++)                                                            \
                dst[i] = src[i];                                                                   \
    }
COPY_ROWS(4)
COPY_ROWS(6)
COPY_ROWS(12)
#undef COPY_ROWS

/* dst: slivers of mr rows of op(A)[i0 : i0 + mc, k0 : k0 + kc] for A stored (K, M), each (kc, mr),
 * rows past mc zero. A row of A holds one k for consecutive i: sliver by sliver (measured faster
 * than row by row here, where A is wide and each sliver takes a short piece of its rows). */
static void pack_a_trans(float *dst, const float *A, int lda, int i0, int k0, int mc, int kc,
                         int mr) {
    for (int s = 0; s < mc; s += mr, dst += (size_t)kc * mr) {
        const float *src = A + (size_t)k0 * lda + i0 + s;
        int rows = mc - s < mr ? mc - s : mr;
        if (rows == mr && mr == 12) {
            copy_rows_12(dst, src, (size_t)lda, kc);
        } else if (rows == mr && mr == 6) {
            copy_rows_6(dst, src, (size_t)lda, kc);
        } else if (rows == mr && mr == 4) {
            copy_rows_4(dst, src, (size_t)lda, kc);
        } else {
            for (int k = 0; k < kc; k++)
                for (int i = 0; i < mr; i++)
                    dst[(size_t)k * mr + i] = i < rows ? src[(size_t)k * lda + i] : 0.0f;
        }
    }
}

/* dst (kc, mr) = rows [i0, i0 + rows) of op(A)[., k0 : k0 + kc], rows past `rows` zero: the sliver
 * at the bottom edge where A is read in place. */
static void pack_a_edge(float *dst, const float *A, int trans_a, int lda, int i0, int k0, int rows,
                        int kc, int mr) {
    for (int k = 0; k < kc; k++)
        for (int i = 0; i < mr; i++) {
            size_t at = trans_a ? (size_t)(k0 + k) * lda + i0 + i : (size_t)(i0 + i) * lda + k0 + k;
            dst[(size_t)k * mr + i] = i < rows ? A[at] : 0.0f;
        }
}

/* dst: slivers of nr columns of op(B)[k0 : k0 + kc, j0 : j0 + nc], each (kc, nr), columns past nc
 * zero. */
static void pack_b(float *dst, const float *B, int trans_b, int ldb, int k0, int j0, int kc, int nc,
                   int nr) {
    if (!trans_b) { /* B (K, N): a row of B holds one k for consecutive j */
        panel_rows(dst, B + (size_t)k0 * ldb + j0, (size_t)ldb, kc, nc, nr);
        return;
    }
    for (int s = 0; s < nc; s += nr, dst += (size_t)kc * nr) {
        int cols = nc - s < nr ? nc - s : nr;
        for (int j = 0; j < nr; j++) {
            float *d = dst + j;
            if (j >= cols) {
                for (int k = 0; k < kc; k++)
                    d[(size_t)k * nr] = 0.0f;
                continue;
            }
            const float *src = B + (size_t)(j0 + s + j) * ldb + k0;
            for (int k = 0; k < kc; k++)
                d[(size_t)k * nr] = src[k];
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * Per-thread buffers */

static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;

static void make_key(void) {
    pthread_key_create(&buffer_key, free);
}

/* This thread's packing buffers: A's block (MC x KC) then B's (KC x NC), from a 64-byte boundary
 * (a vector load then never straddles two cache lines). */
static float *thread_buffers(void) {
    pthread_once(&buffer_once, make_key);
    char *buf = pthread_getspecific(buffer_key);
    if (!buf) {
        buf =
            gb_malloc(((size_t)GEMM_MC * GEMM_KC + (size_t)GEMM_KC * GEMM_NC) * sizeof(float) + 64);
        pthread_setspecific(buffer_key, buf);
    }
    return (float *)(buf + (64 - (uintptr_t)buf % 64) % 64);
}

/* ------------------------------------------------------------------------------------------------
 * The products */

/* Rows [ic, ic + mc) of C times columns [jc, jc + nc) over K's block [pc, pc + kc): B's block
 * packed at bp as slivers sstride floats apart, A in place (untransposed) or packed here
 * (transposed). */
static void block_product(const Kernel *kern, float *C, int ldc, const float *A, int trans_a,
                          int lda, float *abuf, const float *bp, size_t sstride, long bcs, int ic,
                          int mc, int jc, int nc, int pc, int kc, float alpha, float beta) {
    /* A transposed is packed when B has several slivers to meet it (A's block then stays in L2);
     * with one, each sliver of A is read once either way, and is read in place */
    int pack_all = trans_a && nc > kern->nr;
    if (pack_all) pack_a_trans(abuf, A, lda, ic, pc, mc, kc, kern->mr);
    for (int jr = 0; jr < nc; jr += kern->nr) {
        int nr = nc - jr < kern->nr ? nc - jr : kern->nr;
        const float *bs = bp + (size_t)(jr / kern->nr) * sstride;
        for (int ir = 0; ir < mc; ir += kern->mr) {
            int mr = mc - ir < kern->mr ? mc - ir : kern->mr, i = ic + ir;
            float *ct = C + (size_t)i * ldc + jc + jr;
            const float *as = abuf + (size_t)(ir / kern->mr) * kc * kern->mr;
            long ars = 1, acs = kern->mr;      /* a packed sliver */
            if (!pack_all && mr == kern->mr) { /* A in place */
                as = trans_a ? A + (size_t)pc * lda + i : A + (size_t)i * lda + pc;
                ars = trans_a ? 1 : lda, acs = trans_a ? lda : 1;
            } else if (!pack_all) { /* the bottom edge: copied once, for the first sliver of B */
                if (jr == 0) pack_a_edge(abuf, A, trans_a, lda, i, pc, mr, kc, kern->mr);
                as = abuf;
            }
            kern->fn(kc, as, ars, acs, bs, bcs, ct, ldc, alpha, beta, mr, nr);
        }
    }
}

/* C = beta * C, for K = 0 */
static void scale_c(float *C, int M, int N, int ldc, float beta) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            C[(size_t)i * ldc + j] = beta != 0.0f ? beta * C[(size_t)i * ldc + j] : 0.0f;
}

void gemm(float *C, const float *A, const float *B, int M, int N, int K, int trans_a, int trans_b,
          int lda, int ldb, int ldc, float alpha, float beta) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(C, M, N, ldc, beta);
        return;
    }
    Kernel kern = pick_kernel();
    float *abuf = thread_buffers(), *bbuf = abuf + (size_t)GEMM_MC * GEMM_KC;
    for (int jc = 0; jc < N; jc += GEMM_NC) {
        int nc = N - jc < GEMM_NC ? N - jc : GEMM_NC;
        for (int pc = 0; pc < K; pc += GEMM_KC) {
            int kc = K - pc < GEMM_KC ? K - pc : GEMM_KC;
            pack_b(bbuf, B, trans_b, ldb, pc, jc, kc, nc, kern.nr);
            for (int ic = 0; ic < M; ic += GEMM_MC)
                block_product(&kern, C, ldc, A, trans_a, lda, abuf, bbuf, (size_t)kc * kern.nr,
                              kern.nr, ic, M - ic < GEMM_MC ? M - ic : GEMM_MC, jc, nc, pc, kc,
                              alpha, pc == 0 ? beta : 1.0f);
        }
    }
}

size_t gemm_pack_floats(int K, int N) {
    return (size_t)K * (size_t)((N + NR_MAX - 1) / NR_MAX * NR_MAX);
}

void gemm_pack(GemmPacked *out, float *dst, const float *B, int K, int N, int trans_b, int ldb) {
    Kernel kern = pick_kernel();
    out->K = K, out->N = N, out->nr = kern.nr;
    if (!trans_b && N == kern.nr) { /* one sliver's width: B's rows are read where they are */
        out->data = B, out->ld = ldb;
        return;
    }
    size_t npad = (size_t)(N + kern.nr - 1) / kern.nr * kern.nr;
    for (int pc = 0; pc < K; pc += GEMM_KC)
        pack_b(dst + (size_t)pc * npad, B, trans_b, ldb, pc, 0, K - pc < GEMM_KC ? K - pc : GEMM_KC,
               N, kern.nr);
    out->data = dst, out->ld = 0;
}

void gemm_packed(float *C, const float *A, const GemmPacked *b, int M, int N, int K, int k0,
                 int trans_a, int lda, int ldc, float alpha, float beta) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(C, M, N, ldc, beta);
        return;
    }
    Kernel kern = pick_kernel();
    if (kern.nr != b->nr) { /* a caller's bug: the kernels changed between packing and use */
        fprintf(stderr, "glassbox: gemm_packed: B was packed for other kernels\n");
        abort();
    }
    float *abuf = thread_buffers();
    size_t npad = (size_t)(b->N + kern.nr - 1) / kern.nr * kern.nr;
    /* K's blocks as B was packed: [ks, ke) within the block that starts at pb */
    for (int ks = k0, ke; ks < k0 + K; ks = ke) {
        int pb = ks / GEMM_KC * GEMM_KC;
        ke = pb + GEMM_KC < k0 + K ? pb + GEMM_KC : k0 + K;
        int kblock = b->K - pb < GEMM_KC ? b->K - pb : GEMM_KC; /* the packed block's depth */
        const float *bp = b->ld ? b->data + (size_t)ks * b->ld
                                : b->data + (size_t)pb * npad + (size_t)(ks - pb) * kern.nr;
        for (int ic = 0; ic < M; ic += GEMM_MC)
            block_product(&kern, C, ldc, A, trans_a, lda, abuf, bp, (size_t)kblock * kern.nr,
                          b->ld ? b->ld : kern.nr, ic, M - ic < GEMM_MC ? M - ic : GEMM_MC, 0, N,
                          ks - k0, ke - ks, alpha, ks == k0 ? beta : 1.0f);
    }
}
