/* The trainer's matrix product: C = alpha * op(A) . op(B) + beta * C over row-major float32
 * matrices, on the calling thread, in the way BLIS and GotoBLAS do it: blocks of B (and of a
 * transposed A) are copied ("packed") into buffers laid out in the order a register-blocked
 * micro-kernel reads them, an untransposed A is read where it lies, and the micro-kernel keeps a
 * whole tile of C in vector registers while it runs down K. The micro-kernel is chosen at run time
 * with the other kernels (kernels.h: AVX-512, AVX2 + FMA, or portable C; GLASSBOX_KERNELS caps it).
 *
 * Why not OpenBLAS's sgemm: its run-time choice of kernels does not know newer CPUs (OpenBLAS
 * 0.3.21, Debian 12's, runs its Prescott SSE3 kernels on a Xeon of family 6 model 207, a third of
 * the speed of its SkylakeX ones), and the trainer wants the order of every sum fixed by the code
 * alone.
 *
 * The order of a sum: each element of C adds its K products in blocks of GEMM_KC in order, one
 * running sum per block, then alpha * block + (beta * C, then the block before); whatever M, N and
 * the position of the element in its tile. So splitting C's rows or columns across threads, each
 * running gemm on its own part, gives the same bits as one call. */
#ifndef GB_GEMM_H
#define GB_GEMM_H

#include <stddef.h>

/* A is (M, K), or (K, M) when trans_a; B is (K, N), or (N, K) when trans_b; C is (M, N). lda, ldb
 * and ldc are the row strides of the matrices as stored. With beta 0, C is not read (it may hold
 * anything, NaN included). */
void gemm(float *C, const float *A, const float *B, int M, int N, int K, int trans_a, int trans_b,
          int lda, int ldb, int ldc, float alpha, float beta);

/* B packed once for several products with it (attention packs a sequence's keys and values once
 * for all its queries). The layout follows the kernels in use when it was packed; a B one sliver
 * wide (N = the kernels' NR, untransposed) is not copied but read in place (ld: its row stride). */
typedef struct {
    const float *data;
    int K, N, nr;
    long ld; /* 0: packed */
} GemmPacked;
/* Floats gemm_pack may write for a (K, N) B. */
size_t gemm_pack_floats(int K, int N);
/* *out describes B (K, N), or (N, K) when trans_b, packed into dst. */
void gemm_pack(GemmPacked *out, float *dst, const float *B, int K, int N, int trans_b, int ldb);
/* gemm with a packed B: C (M, N) = alpha * op(A) (M, K) . B[k0 : k0 + K, 0 : N] + beta * C, for
 * k0 + K <= b->K and N <= b->N: a band of the packed matrix's rows, and its leading columns. K is
 * added in the blocks B was packed in (from 0, GEMM_KC at a time), so with k0 = 0 these are gemm's
 * bits. */
void gemm_packed(float *C, const float *A, const GemmPacked *b, int M, int N, int K, int k0,
                 int trans_a, int lda, int ldc, float alpha, float beta);
/* K is added in blocks of GEMM_KC. The packing buffers: one per thread, made on first use and freed
 * when the thread ends. */
#define GEMM_KC 256

#endif
