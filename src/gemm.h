/* The trainer's matrix product: C = alpha * op(A) . op(B) + beta * C over row-major float32
 * matrices, on the calling thread, in the way BLIS and GotoBLAS do it: blocks of B and of A are
 * copied ("packed") into buffers laid out in the order a register-blocked micro-kernel reads them,
 * and the micro-kernel keeps a whole tile of C in vector registers while it runs down K. The
 * micro-kernel is chosen at run time with the other kernels (kernels.h: AVX-512, AVX2 + FMA, or
 * portable C; GLASSBOX_KERNELS caps it).
 *
 * Why not OpenBLAS's sgemm: its run-time choice of kernels does not know newer CPUs (OpenBLAS 0.3.21
 * runs its Prescott, SSE3, kernels on a 2023 Xeon, a third of the speed), and the trainer wants the
 * order of every sum fixed by the code alone.
 *
 * The order of a sum: each element of C adds its K products in blocks of GEMM_KC in order, one
 * running sum per block, then alpha * block + (beta * C, then the block before); whatever M, N and
 * the position of the element in its tile. So splitting C's rows or columns across threads, each
 * running gemm on its own part, gives the same bits as one call. */
#ifndef GB_GEMM_H
#define GB_GEMM_H

/* A is (M, K), or (K, M) when trans_a; B is (K, N), or (N, K) when trans_b; C is (M, N). lda, ldb
 * and ldc are the row strides of the matrices as stored. With beta 0, C is not read (it may hold
 * anything, NaN included). */
void gemm(float *C, const float *A, const float *B, int M, int N, int K, int trans_a, int trans_b,
          int lda, int ldb, int ldc, float alpha, float beta);

/* The packing buffers: one per thread, made on first use and freed when the thread ends. */
#define GEMM_KC 256

#endif
