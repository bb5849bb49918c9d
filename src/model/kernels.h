/* Matrix products on weights as they lie in the file (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K,
 * Q6_K; layouts in quant.h). One dot-product kernel per type, in portable C and, chosen once at run
 * time from what the CPU supports, AVX2/FMA or AVX-512.
 *
 * Activations: float32, except in the AVX2 and AVX-512 Q8_0 kernels, which round each block of 32
 * activations to 16-bit integers (2^-16 of the block's largest value; see kernel_round_activations)
 * and multiply integers: half the instructions per weight of widening every weight to a float, and
 * a SmolLM-135M-shaped Q8_0 step ~8% cheaper. llama.cpp rounds activations to 8 bits (2^-8) for its
 * quantised products; 8-bit integer products (VNNI) measured no faster than 16-bit ones here, and
 * 16-bit rounding moves the cross-check models' next-token probabilities by at most 1e-6
 * (GLASSBOX_ROUND_ACTIVATIONS=0 keeps float32 everywhere).
 *
 * Rows go through multi-row kernels (F32 and Q8_0 on AVX-512, Q8_0 on AVX2) that share the loads
 * of x and read their rows from four or eight places far apart in the matrix: several sequential
 * streams, which memory serves faster than one. Each row gets the bits of its single dot product.
 *
 * The order of every sum is fixed by the kernel alone: a row's dot product is always computed by one
 * thread, start to end, so results do not depend on the number of threads. The products of a step
 * run on a team of threads of glassbox's own (team_run), which never waits for a thread the machine
 * has descheduled unless it has taken a task. */
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

/* out (d) = W (d, n) . x (n). Rows are split across the team of threads when the product is large. */
void matmul(float *out, const float *x, Matrix w, int n, int d);
/* Several products on the same x (n): out_k (d_k) = W_k (d_k, n) . x, as matmul on each, in one
 * team of threads (Q, K and V; gate and up), the activations rounded once. */
typedef struct {
    float *out;
    Matrix w;
    int d;
} MatJob;
void matmul_many(const float *x, int n, const MatJob *jobs, int njobs);
/* h (d) = act(W_gate x) * (W_up x), element by element (a gated feed-forward's first half), with
 * up (d) for W_up x: the two products of each chunk of rows and then glu on its rows, in one
 * team; the same bits as the two products followed by glu(h, up, d). glu(h, up, n) sets
 * h[i] = act(h[i]) * up[i] for i < n. */
typedef void (*GluFn)(float *h, const float *up, int n);
void matmul_gated(float *h, float *up, const float *x, Matrix w_gate, Matrix w_up, int n, int d,
                  GluFn glu);
/* Y (b, d) = X (b, n) . W (d, n)^T: one BLAS product per slice of rows of W (dequantised first
 * into a thread's scratch buffer when not F32), the slices handed to the team of threads. BLAS
 * itself runs single-threaded inside them (model_limit_threads). */
void matmul_batch(float *y, const float *x, Matrix w, int b, int n, int d);

/* The dot product of one row of n weights (type) with x, by the selected kernel. */
float kernel_dot(const void *row, uint32_t type, const float *x, int n);

/* Activations rounded to 16 bits. The AVX2 and AVX-512 Q8_0 kernels multiply integers: each block
 * of 32 activations becomes q[j] = x[j] * (32767 / amax) rounded to the nearest integer (ties to
 * even), amax the block's largest magnitude, with the scale d = amax / 32767 (0 and 0 for a block
 * of zeros), so |x[j] - d q[j]| <= d / 2 (+ an ulp): 2^-16 of the block's largest value, where
 * float32 keeps 2^-24 and llama.cpp's 8-bit rounding 2^-8. Products of weights and rounded
 * activations are exact integers; each block's sum is then scaled by the two scales in float.
 * A vector with a NaN, an infinity or a block whose amax is below 1e-30 is not rounded: the
 * product takes the float kernel. Whether the selected kernel for type rounds: */
int kernel_rounds_activations(uint32_t type);
/* The rounding itself (n a multiple of 32): q (n), d (n / 32); 0, or -1 when not representable. */
int kernel_round_activations(int16_t *q, float *d, const float *x, int n);
/* Whether the kernels that can round activations do (default 1; GLASSBOX_ROUND_ACTIVATIONS=0 in
 * the environment turns it off): with 0 every product keeps float32 activations, as the portable
 * kernels always do. Applies to the set in use and to sets selected after. */
void kernels_set_rounding(int on);
int kernels_rounding(void);


/* Attention's loops over the cache, in the orders of dot_f32 and of an axpy (multiply, then add),
 * so every kernel set gives the same bits:
 *   att[t] = dot_f32(q, k + t * stride, hd) * scale                 for t = 0 .. n - 1
 *   out (hd) = 0, then out += att[t] * (v + t * stride)              for t = 0 .. n - 1 in order */
void attn_scores(float *att, const float *q, const float *k, size_t stride, int n, int hd, float scale);
void attn_mix(float *out, const float *att, const float *v, size_t stride, int n, int hd);

/* x[i] = e^x[i] (n), to about 1 ulp (Cephes's expf: a polynomial, every step a float32
 * multiplication or addition), the same bits in every kernel set; NaN stays NaN, e^x underflows to
 * 0 below about -87.3 (no subnormals below -88) and overflows to infinity above 88.72. */
void vec_exp(float *x, int n);
/* The largest of x (n >= 1), as `best = x[0]; if (x[i] > best) best = x[i]` finds it (the same
 * answer however it is found, NaNs included). */
float vec_max(const float *x, int n);
/* The sum of x (n) in dot_f32's order (eight running sums, added pairwise, then the rest), the same
 * bits in every set. */
float vec_sum(const float *x, int n);

/* A team of threads for the products of one token (started on first use, OMP_NUM_THREADS or
 * omp_set_num_threads of them, the caller included): fn(arg, t) for t = 0 .. tasks - 1, each task
 * on one thread, returning when all are done. Threads that are late or descheduled take no part,
 * the caller does what nobody else has taken. team <= 1, or a call from inside an OpenMP
 * region, runs the tasks in order on the caller. */
typedef void (*TaskFn)(void *arg, long task, int thread); /* thread: 0 (the caller) .. team - 1 */
/* (One caller at a time: the model's step; a task must not call team_run.) */
void team_run(long tasks, TaskFn fn, void *arg, int team);
/* The team size for a product now: omp_get_max_threads(), 1 inside an OpenMP region. */
int team_size(void);

/* AVX512 uses 16-lane kernels for F32, F16, Q8_0 and Q4_0 and the AVX2 ones for the rest. */
typedef enum { KERNEL_PORTABLE = 0, KERNEL_AVX2 = 1, KERNEL_AVX512 = 2 } KernelSet;
/* The kernels in use; the first call picks the best the CPU supports. */
KernelSet kernels_selected(void);
/* Chooses a set (tests run both). Returns the set in use: the portable one when the CPU lacks the
 * one asked for. */
KernelSet kernels_select(KernelSet k);
const char *kernels_name(KernelSet k);

#endif
