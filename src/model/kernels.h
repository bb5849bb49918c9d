/* Matrix products on weights as they lie in the file (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K,
 * Q6_K; layouts in quant.h). One dot-product kernel per type, in portable C and, chosen once at run
 * time from what the CPU supports, AVX2/FMA or AVX-512. Activations stay float32: llama.cpp rounds
 * them to 8 bits for its quantised products (to BF16/F16 for those types); glassbox does not. (We
 * tried: integer products on 8-bit activations made a Q8_0 model's step only ~7% cheaper here,
 * once the weights were prefetched, not worth the 1% error.)
 *
 * For Q8_0 with AVX-512, matmul takes rows four at a time through a multi-row kernel that shares
 * the loads of x, prefetches the rows that follow, and gives each row the bits of its single dot
 * product.
 *
 * The order of every sum is fixed by the kernel alone: a row's dot product is always computed by one
 * thread, start to end, so results do not depend on the number of threads. */
#ifndef GB_KERNELS_H
#define GB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* A weight matrix: rows of the same length, back to back, in a ggml type. The shape travels with
 * each call (out-dimension d, in-dimension n), as in llama2.c. */
typedef struct {
    const void *data;
    uint32_t type; /* GGMLType */
} Matrix;

/* An F32 matrix over floats. */
Matrix matrix_f32(const float *w);
/* The floats of an F32 matrix, writable (for code that built it: random init, tests). */
/* Dot product of two rows of n floats, the order every F32 product and attention score uses: eight
 * running sums (which let the compiler use vector registers; a single sum makes every addition
 * wait for the one before), added pairwise at the end. Inline so attention's short rows pay no call. */
static inline float dot_f32(const float *a, const float *b, int n) {
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += a[i + j] * b[i + j];
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

static inline float *matrix_floats(Matrix w) {
    return (float *)w.data;
}
/* Bytes of one row of n weights. */
size_t matrix_row_bytes(Matrix w, int n);
/* out (n) = row i of W (., n) as floats. */
void matrix_row(float *out, Matrix w, int i, int n);

/* out (d) = W (d, n) . x (n). Rows are split across OpenMP threads when the product is large. */
void matmul(float *out, const float *x, Matrix w, int n, int d);
/* Y (b, d) = X (b, n) . W (d, n)^T: one BLAS matrix product (F32), or per slice of rows of W
 * dequantised into a scratch buffer, one product per slice (the other types). */
void matmul_batch(float *y, const float *x, Matrix w, int b, int n, int d);

/* The dot product of one row of n weights (type) with x, by the selected kernel. */
float kernel_dot(const void *row, uint32_t type, const float *x, int n);


/* AVX512 uses 16-lane kernels for F32, F16, Q8_0 and Q4_0 and the AVX2 ones for the rest. */
typedef enum { KERNEL_PORTABLE = 0, KERNEL_AVX2 = 1, KERNEL_AVX512 = 2 } KernelSet;
/* The kernels in use; the first call picks the best the CPU supports. */
KernelSet kernels_selected(void);
/* Chooses a set (tests run both). Returns the set in use: the portable one when the CPU lacks the
 * one asked for. */
KernelSet kernels_select(KernelSet k);
const char *kernels_name(KernelSet k);

#endif
