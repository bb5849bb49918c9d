/* Dot-product kernels per weight type, and the matrix products built from them. See kernels.h.
 *
 * Each kernel walks a row block by block. The portable ones dequantise a block into floats and add
 * it with eight running sums; the AVX2 ones widen the block's integers to eight floats at a time and
 * multiply-add them against x with FMA instructions, one vector of partial sums per block scale;
 * the Q8_0 ones on rounded activations multiply 16-bit integers in pairs (pmaddwd) and scale each
 * block's sum once. The compiler flags stay strict (-ffp-contract=off): the vector code asks for FMA
 * explicitly, and attention's loops and vec_exp, whose bits must not depend on the kernel set,
 * multiply and add separately as the portable code does.
 *
 * Figures quoted here were measured on a 2-core Xeon (Sapphire Rapids) shared with other builds,
 * CPU time, medians of runs side by side. */
#include "kernels_internal.h"

/* ------------------------------------------------------------------------------------------------
 * Portable kernels */

static float dot_f32_portable(const void *row, const float *x, int n) {
    return dot_f32(row, x, n);
}

/* Any type: dequantise 256 weights at a time (a whole number of blocks of every type), add them. */
static float dot_blocks_portable(uint32_t type, const void *row, const float *x, int n) {
    float tmp[QK_K];
    const uint8_t *p = row;
    int bs = quant_block_size(type);
    int step = QK_K;
    if (n % QK_K) step = bs == 1 ? 8 : bs; /* a row of F16 or Q8_0 need not be a multiple of 256 */
    size_t step_bytes = (size_t)(step / bs) * quant_block_bytes(type);
    float sum = 0.0f;
    int i = 0;
    for (; i + step <= n; i += step, p += step_bytes) {
        quant_dequantize(tmp, p, type, (uint64_t)step);
        sum += dot_f32(tmp, x + i, step);
    }
    if (i < n) { /* the rest of an F16/BF16 row: fewer than 8 values */
        quant_dequantize(tmp, p, type, (uint64_t)(n - i));
        sum += dot_f32(tmp, x + i, n - i);
    }
    return sum;
}

#define PORTABLE(name, type)                                                                       \
    static float dot_##name##_portable(const void *row, const float *x, int n) {                  \
        return dot_blocks_portable(type, row, x, n);                                               \
    }
PORTABLE(f16, GGML_TYPE_F16)
PORTABLE(bf16, GGML_TYPE_BF16)
PORTABLE(q8_0, GGML_TYPE_Q8_0)
PORTABLE(q4_0, GGML_TYPE_Q4_0)
PORTABLE(q4_k, GGML_TYPE_Q4_K)
PORTABLE(q5_k, GGML_TYPE_Q5_K)
PORTABLE(q6_k, GGML_TYPE_Q6_K)
#undef PORTABLE

/* ------------------------------------------------------------------------------------------------
 * Selection */

/* Kernels indexed by ggml type id (F32 0 .. BF16 30). */
#define N_TYPES 31
static DotFn portable_fns[N_TYPES] = {
    [GGML_TYPE_F32] = dot_f32_portable,   [GGML_TYPE_F16] = dot_f16_portable,
    [GGML_TYPE_BF16] = dot_bf16_portable, [GGML_TYPE_Q8_0] = dot_q8_0_portable,
    [GGML_TYPE_Q4_0] = dot_q4_0_portable, [GGML_TYPE_Q4_K] = dot_q4_k_portable,
    [GGML_TYPE_Q5_K] = dot_q5_k_portable, [GGML_TYPE_Q6_K] = dot_q6_k_portable,
};
#ifdef GB_X86
static DotFn avx2_fns[N_TYPES] = {
    [GGML_TYPE_F32] = dot_f32_avx2,   [GGML_TYPE_F16] = dot_f16_avx2,
    [GGML_TYPE_BF16] = dot_bf16_avx2, [GGML_TYPE_Q8_0] = dot_q8_0_avx2,
    [GGML_TYPE_Q4_0] = dot_q4_0_avx2, [GGML_TYPE_Q4_K] = dot_q4_k_avx2,
    [GGML_TYPE_Q5_K] = dot_q5_k_avx2, [GGML_TYPE_Q6_K] = dot_q6_k_avx2,
};
static DotFn avx512_fns[N_TYPES] = {
    [GGML_TYPE_F32] = dot_f32_avx512,  [GGML_TYPE_F16] = dot_f16_avx512,
    [GGML_TYPE_BF16] = dot_bf16_avx2,  [GGML_TYPE_Q8_0] = dot_q8_0_avx512,
    [GGML_TYPE_Q4_0] = dot_q4_0_avx512, [GGML_TYPE_Q4_K] = dot_q4_k_avx2,
    [GGML_TYPE_Q5_K] = dot_q5_k_avx2,  [GGML_TYPE_Q6_K] = dot_q6_k_avx2,
};
#endif


/* Multi-row kernels where there is one (NULL: row by row with the DotFn). */
static DotRowsFn portable_rows_fns[N_TYPES];
#ifdef GB_X86
/* none for AVX2: a four-row Q8_0 kernel there (eight accumulators and four vectors of x in sixteen
 * registers, each block's scale converted on its own) made the SmolLM-135M-shaped step 18% slower */
static DotRowsFn avx2_rows_fns[N_TYPES];
static DotRowsFn avx512_rows_fns[N_TYPES] = {[GGML_TYPE_F32] = dot_rows_f32_avx512,
                                             [GGML_TYPE_Q8_0] = dot_rows_q8_0_avx512};
#endif

/* Kernels on activations rounded to 16 bits, where a set has them (NULL: the float kernels). */
static Dot16Fn portable_dot16_fns[N_TYPES];
static Dot16RowsFn portable_rows16_fns[N_TYPES];
#ifdef GB_X86
static Dot16Fn avx2_dot16_fns[N_TYPES] = {[GGML_TYPE_Q8_0] = dot_q8_0_x16_avx2};
static Dot16RowsFn avx2_rows16_fns[N_TYPES] = {[GGML_TYPE_Q8_0] = dot_rows_q8_0_x16_avx2};
static Dot16Fn avx512_dot16_fns[N_TYPES] = {[GGML_TYPE_Q8_0] = dot_q8_0_x16_avx512};
static Dot16RowsFn avx512_rows16_fns[N_TYPES] = {[GGML_TYPE_Q8_0] = dot_rows_q8_0_x16_avx512};
#endif

/* One instruction set's kernels, chosen as a whole by kernels_select. */
typedef struct {
    KernelSet set;
    DotFn *dot;          /* (type) one row · x */
    DotRowsFn *rows;     /* (type) ROWS rows · x, or NULL */
    Dot16Fn *dot16;      /* (type) one row · x rounded to 16 bits, or NULL */
    Dot16RowsFn *rows16; /* (type) rows16_count rows · rounded x, or NULL */
    int rows16_count;    /* rows per call of rows16 */
    Round16Fn round16;   /* x to the 16-bit blocks that dot16 and rows16 read */
} KernelTable;

#define KERNEL_TABLE(SET, NAME, ROWS16)                                                            \
    {                                                                                              \
        .set = SET, .dot = NAME##_fns, .rows = NAME##_rows_fns, .dot16 = NAME##_dot16_fns,         \
        .rows16 = NAME##_rows16_fns, .rows16_count = ROWS16, .round16 = round_x16_##NAME           \
    }
static const KernelTable portable_table = KERNEL_TABLE(KERNEL_PORTABLE, portable, ROWS);
#ifdef GB_X86
static const KernelTable avx2_table = KERNEL_TABLE(KERNEL_AVX2, avx2, ROWS);
static const KernelTable avx512_table = KERNEL_TABLE(KERNEL_AVX512, avx512, 8);
#endif

static int selected = -1; /* the set in use, -1 before the first choice */
static int rounding = 1;  /* kernels_set_rounding */
/* the selected set's kernels, less its 16-bit ones when rounding is off */
static KernelTable active = KERNEL_TABLE(KERNEL_PORTABLE, portable, ROWS);


static int cpu_has_avx512(void) {
#ifdef GB_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

/* F16C from cpuid itself: clang 14's __builtin_cpu_supports does not know the name. */
static int cpu_has_f16c(void) {
#ifdef GB_X86
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
#else
    return 0;
#endif
}

static int cpu_has_avx2(void) {
#ifdef GB_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
#else
    return 0;
#endif
}

KernelSet kernels_select(KernelSet k) {
    const KernelTable *t = &portable_table;
#ifdef GB_X86
    if (k == KERNEL_AVX512 && !(cpu_has_avx512() && cpu_has_avx2())) k = KERNEL_AVX2;
    if (k == KERNEL_AVX512)
        t = &avx512_table;
    else if (k == KERNEL_AVX2 && cpu_has_avx2())
        t = &avx2_table;
#else
    (void)k;
#endif
    active = *t;
    if (!rounding) { /* the float kernels for every type: the portable set has no 16-bit ones */
        active.dot16 = portable_dot16_fns;
        active.rows16 = portable_rows16_fns;
    }
    selected = t->set;
    return t->set;
}

void kernels_set_rounding(int on) {
    rounding = on;
    if (selected >= 0) kernels_select((KernelSet)selected);
}

int kernels_rounding(void) {
    return rounding;
}

KernelSet kernels_selected(void) {
    if (selected < 0) {
        /* GLASSBOX_KERNELS=portable or avx2 caps the choice (for comparisons) */
        const char *env = getenv("GLASSBOX_KERNELS");
        KernelSet k = KERNEL_AVX512;
        if (env && strcmp(env, "portable") == 0) k = KERNEL_PORTABLE;
        if (env && strcmp(env, "avx2") == 0) k = KERNEL_AVX2;
        kernels_select(k);
        /* GLASSBOX_ROUND_ACTIVATIONS=0: the float kernels for every type (for comparisons) */
        const char *round_env = getenv("GLASSBOX_ROUND_ACTIVATIONS");
        if (round_env && strcmp(round_env, "0") == 0) kernels_set_rounding(0);
    }
    return (KernelSet)selected;
}

const char *kernels_name(KernelSet k) {
    return k == KERNEL_AVX512 ? "avx512" : k == KERNEL_AVX2 ? "avx2+fma" : "portable";
}

/* Attention's loops in portable C (kernels.h): dot_f32 per position, and axpy's order. */
static void attn_scores_portable(float *att, const float *q, const float *k, size_t stride, int n,
                                 int hd, float scale) {
    for (int t = 0; t < n; t++)
        att[t] = dot_f32(q, k + (size_t)t * stride, hd) * scale;
}

static void attn_mix_portable(float *out, const float *att, const float *v, size_t stride, int n,
                              int hd) {
    memset(out, 0, (size_t)hd * sizeof(float));
    for (int t = 0; t < n; t++) {
        const float *restrict x = v + (size_t)t * stride;
        float *restrict y = out;
        float a = att[t];
        int i = 0;
        for (; i + 8 <= hd; i += 8)
            for (int j = 0; j < 8; j++)
                y[i + j] += a * x[i + j];
        for (; i < hd; i++)
            y[i] += a * x[i];
    }
}

void attn_scores(float *att, const float *q, const float *k, size_t stride, int n, int hd, float scale) {
#ifdef GB_X86
    if (kernels_selected() != KERNEL_PORTABLE) {
        attn_scores_avx2(att, q, k, stride, n, hd, scale);
        return;
    }
#endif
    attn_scores_portable(att, q, k, stride, n, hd, scale);
}

void attn_mix(float *out, const float *att, const float *v, size_t stride, int n, int hd) {
#ifdef GB_X86
    if (kernels_selected() != KERNEL_PORTABLE) {
        attn_mix_avx2(out, att, v, stride, n, hd);
        return;
    }
#endif
    attn_mix_portable(out, att, v, stride, n, hd);
}

static float vec_sum_portable(const float *x, int n) {
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += x[i + j];
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++)
        sum += x[i];
    return sum;
}

float vec_sum(const float *x, int n) {
#ifdef GB_X86
    if (kernels_selected() != KERNEL_PORTABLE) return vec_sum_avx2(x, n);
#endif
    return vec_sum_portable(x, n);
}

static float vec_max_portable(const float *x, int n) {
    float best = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > best) best = x[i];
    return best;
}

float vec_max(const float *x, int n) {
#ifdef GB_X86
    if (kernels_selected() != KERNEL_PORTABLE) {
        float m = vec_max_avx2(x, n);
        if (m == m && m != 0.0f) return m; /* (which zero the loop keeps depends on the order) */
    }
#endif
    return vec_max_portable(x, n); /* with a NaN in x, the loop's own answer */
}

void vec_exp(float *x, int n) {
#ifdef GB_X86
    if (kernels_selected() != KERNEL_PORTABLE) {
        vec_exp_avx2(x, n);
        return;
    }
#endif
    for (int i = 0; i < n; i++)
        x[i] = exp_portable(x[i]);
}

/* Activations rounded to 16 bits for one product: on the stack up to X16_STACK values. */
#define X16_STACK 8192
typedef struct {
    int16_t *q;
    float *d;
    void *heap;
    int16_t q_stack[X16_STACK] __attribute__((aligned(64)));
    float d_stack[X16_STACK / 32];
} X16;

/* Rounds x (n) for the kernels; 0, or -1 when it is not representable (then the float kernels). */
static int x16_round(X16 *r, const float *x, int n) {
    r->heap = NULL;
    r->q = r->q_stack;
    r->d = r->d_stack;
    if (n > X16_STACK) {
        r->heap = gb_malloc((size_t)n * sizeof(int16_t) + (size_t)(n / 32 + 1) * sizeof(float));
        r->q = r->heap;
        r->d = (float *)(r->q + n);
    }
    return active.round16(r->q, r->d, x, n);
}

static void x16_free(X16 *r) {
    free(r->heap);
}

int kernel_rounds_activations(uint32_t type) {
    kernels_selected();
    return type < N_TYPES && active.dot16[type] != NULL;
}

int kernel_round_activations(int16_t *q, float *d, const float *x, int n) {
    kernels_selected();
    return active.round16(q, d, x, n);
}

float kernel_dot(const void *row, uint32_t type, const float *x, int n) {
    kernels_selected();
    if (active.dot16[type] && n % 32 == 0) {
        X16 r;
        float out = 0.0f;
        int ok = x16_round(&r, x, n) == 0;
        if (ok) out = active.dot16[type](row, r.q, r.d, n);
        x16_free(&r);
        if (ok) return out;
    }
    return active.dot[type](row, x, n);
}

/* ------------------------------------------------------------------------------------------------
 * The team of threads for one token's products (kernels.h: team_run)
 *
 * Workers started once, on first use, that wait for a job by spinning a little and then sleeping.
 * A job is a number of tasks; every thread, the caller too, claims the next task with a
 * compare-and-swap on one word that holds the job's generation, its task count and the next task,
 * so a worker that wakes late, or that the machine has descheduled, claims nothing of a job that is
 * over, and the caller does every task nobody else has claimed: it waits only for tasks a worker
 * has claimed and not yet finished. (An OpenMP region, by contrast, ends at a barrier that waits for
 * every thread of the team, however late; on 2 cores shared with other programs that turned a
 * 135M-parameter model's step from 10 ms into hundreds.) */

#ifndef TEAM_SPIN
#define TEAM_SPIN 20000 /* pauses a worker spins (0.3 ms on the development Xeon) before it sleeps */
#endif
#define TEAM_MAX 64
#define TASK_BITS 20

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started;           /* workers running */
    _Atomic uint64_t word; /* generation (24 bits), tasks (20), next task (20) */
    _Atomic long done;     /* tasks of this generation finished */
    _Atomic int sleepers;  /* workers waiting on cv */
    _Atomic int team;      /* threads that take part in the job, the caller included */
    TaskFn fn;             /* the job: read only after a claim succeeds */
    void *arg;
} team_state = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, NULL, NULL};

static uint32_t word_gen(uint64_t w) {
    return (uint32_t)(w >> (2 * TASK_BITS));
}
static long word_tasks(uint64_t w) {
    return (long)((w >> TASK_BITS) & ((1u << TASK_BITS) - 1));
}
static long word_next(uint64_t w) {
    return (long)(w & ((1u << TASK_BITS) - 1));
}

static void cpu_relax(void) {
#ifdef GB_X86
    __builtin_ia32_pause();
#endif
}

/* Claims and runs tasks of generation gen until there are none left; id: the thread's number. */
static void team_work(uint32_t gen, int id) {
    uint64_t w = atomic_load_explicit(&team_state.word, memory_order_acquire);
    for (;;) {
        if (word_gen(w) != gen || word_next(w) >= word_tasks(w)) return;
        if (!atomic_compare_exchange_weak_explicit(&team_state.word, &w, w + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        team_state.fn(team_state.arg, word_next(w), id);
        atomic_fetch_add_explicit(&team_state.done, 1, memory_order_release);
        w = atomic_load_explicit(&team_state.word, memory_order_acquire);
    }
}

/* How long a worker spins before it sleeps: TEAM_SPIN pauses, none with OMP_WAIT_POLICY=passive
 * (as OpenMP's threads then), ten times as many with active. */
static long team_spin(void) {
    const char *p = getenv("OMP_WAIT_POLICY");
    if (p && strcasecmp(p, "passive") == 0) return 0;
    if (p && strcasecmp(p, "active") == 0) return 10L * TEAM_SPIN;
    return TEAM_SPIN;
}

static void *team_worker(void *p) {
    int id = (int)(intptr_t)p; /* 1 .. TEAM_MAX - 1 */
    const long spin = team_spin();
    uint32_t seen = word_gen(atomic_load(&team_state.word));
    for (;;) {
        uint64_t w;
        long spins = 0;
        while (word_gen(w = atomic_load_explicit(&team_state.word, memory_order_acquire)) == seen) {
            if (++spins < spin) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&team_state.mu);
            atomic_fetch_add(&team_state.sleepers, 1);
            while (word_gen(atomic_load(&team_state.word)) == seen)
                pthread_cond_wait(&team_state.cv, &team_state.mu);
            atomic_fetch_sub(&team_state.sleepers, 1);
            pthread_mutex_unlock(&team_state.mu);
            spins = 0;
        }
        seen = word_gen(w);
        if (id < atomic_load_explicit(&team_state.team, memory_order_relaxed)) team_work(seen, id);
    }
    return NULL;
}

/* Starts workers up to team - 1 of them; returns how many there are. The workers block every
 * signal (they inherit the mask they are created with), so that signals reach the thread that
 * waits for them (the interactive view's resizes, Ctrl-C, Ctrl-Z). */
static int team_start(int team) {
    if (team > TEAM_MAX) team = TEAM_MAX;
    if (team_state.started >= team - 1) return team_state.started;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    while (team_state.started < team - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int ok = pthread_create(&t, &attr, team_worker, (void *)(intptr_t)(team_state.started + 1)) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        team_state.started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return team_state.started;
}

void team_run(long tasks, TaskFn fn, void *arg, int team) {
    if (team > 1 && tasks > 1 && !omp_in_parallel() && tasks < (1L << TASK_BITS) &&
        team_start(team) > 0) {
        team_state.fn = fn;
        team_state.arg = arg;
        atomic_store_explicit(&team_state.done, 0, memory_order_relaxed);
        atomic_store_explicit(&team_state.team, team, memory_order_relaxed);
        uint64_t w = atomic_load(&team_state.word);
        uint32_t gen = (word_gen(w) + 1) & ((1u << 24) - 1);
        atomic_store(&team_state.word, ((uint64_t)gen << (2 * TASK_BITS)) | ((uint64_t)tasks << TASK_BITS));
        if (atomic_load(&team_state.sleepers) > 0) {
            pthread_mutex_lock(&team_state.mu);
            pthread_cond_broadcast(&team_state.cv);
            pthread_mutex_unlock(&team_state.mu);
        }
        team_work(gen, 0);
        /* every task is claimed: wait for those a worker is still on */
        for (int spins = 0; atomic_load_explicit(&team_state.done, memory_order_acquire) < tasks;)
            if (++spins < 1000)
                cpu_relax();
            else
                sched_yield();
        return;
    }
    for (long t = 0; t < tasks; t++)
        fn(arg, t, 0);
}

int team_size(void) {
    return omp_in_parallel() ? 1 : omp_get_max_threads();
}

/* ------------------------------------------------------------------------------------------------
 * Matrices */

Matrix matrix_f32(const float *w) {
    Matrix m = {w, GGML_TYPE_F32};
    return m;
}

size_t matrix_row_bytes(Matrix w, int n) {
    return (size_t)quant_nbytes(w.type, (uint64_t)n);
}

void matrix_row(float *out, Matrix w, int i, int n) {
    size_t rb = matrix_row_bytes(w, n);
    quant_dequantize(out, (const uint8_t *)w.data + (size_t)i * rb, w.type, (uint64_t)n);
}

static void prefetch_bytes(const void *p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch((const char *)p + o, 0, 3);
}

/* One job's rows [r0, r1): a row from each of the kernel's streams at a time by the multi-row
 * kernel where there is one (row i of each equal part of the range), the rest row by row (the same bits either way). xq: the rounded
 * activations, or NULL for the float kernels. Each stream starts cold (nothing read ahead into
 * it), so its first rows are asked for at once. */
static void job_rows(const MatJob *j, const float *x, const X16 *xq, int n, int r0, int r1) {
    const uint8_t *rows = j->w.data;
    size_t rb = matrix_row_bytes(j->w, n), ahead = STREAM_AHEAD_ROWS * rb;
    float *out = j->out;
    Dot16RowsFn rows16 = xq ? active.rows16[j->w.type] : NULL;
    DotRowsFn rowsf = xq ? NULL : active.rows[j->w.type];
    int streams = rows16 ? active.rows16_count : ROWS;
    int q = (r1 - r0) / streams, i = r0;
    if ((rows16 || rowsf) && q > 0) {
        for (int k = 0; k < streams; k++)
            prefetch_bytes(rows + (size_t)(r0 + k * q) * rb, STREAM_BURST_ROWS * rb);
        Rows g = {rows + (size_t)r0 * rb, (size_t)q * rb, out + r0, (size_t)q};
        for (int t = 0; t < q; t++, g.row += rb, g.out++) {
            if (rows16)
                rows16(&g, xq->q, xq->d, n, ahead);
            else
                rowsf(&g, x, n, ahead);
        }
        i = r0 + streams * q;
    }
    if (xq) {
        Dot16Fn dot = active.dot16[j->w.type];
        for (; i < r1; i++)
            out[i] = dot(rows + (size_t)i * rb, xq->q, xq->d, n);
    } else {
        DotFn dot = active.dot[j->w.type];
        for (; i < r1; i++)
            out[i] = dot(rows + (size_t)i * rb, x, n);
    }
}

/* With one thread a product is one pass over its rows. With more, the rows are handed out in
 * chunks of groups of ROWS rows, numbered across the jobs one after the other: a thread takes the
 * next chunk when it is done with one, so a thread that the machine deschedules holds up no more
 * than its chunk (each row is still one kernel call: the bits do not depend on who computes it).
 * The chunks shrink as the work runs out ("guided"): each is 1 / (2 * team) of what is left, at
 * least CHUNK_MIN_WORK multiply-adds, so the threads finish together without many claims. */
#ifndef CHUNK_MIN_WORK
#define CHUNK_MIN_WORK (1 << 15)
#endif
#define MAX_CHUNKS 128

/* The groups [g0, g1) of the jobs laid end to end. */
static void job_groups(const MatJob *jobs, int njobs, const float *x, const X16 *xq, int n,
                       long g0, long g1) {
    long base = 0;
    for (int k = 0; k < njobs && base < g1; k++) {
        long gk = (jobs[k].d + ROWS - 1) / ROWS;
        long lo = g0 > base ? g0 : base, hi = g1 < base + gk ? g1 : base + gk;
        if (lo < hi) {
            int r0 = (int)((lo - base) * ROWS);
            int r1 = (int)((hi - base) * ROWS);
            if (r1 > jobs[k].d) r1 = jobs[k].d;
            job_rows(&jobs[k], x, xq, n, r0, r1);
        }
        base += gk;
    }
}

typedef struct {
    const MatJob *jobs;
    int njobs;
    const float *x;
    const X16 *xq;
    int n;
    long bounds[MAX_CHUNKS + 1]; /* chunk c: groups [bounds[c], bounds[c + 1]) */
    GluFn glu;                   /* matmul_gated: jobs are gate and up, chunks count the gate's groups */
} ChunkJob;

/* Rows [r0, r1) of matmul_gated: the gate's and up's products, then h = act(gate) * up. */
static void gated_rows(const ChunkJob *cj, int r0, int r1) {
    const MatJob *g = &cj->jobs[0], *u = &cj->jobs[1];
    job_rows(g, cj->x, cj->xq, cj->n, r0, r1);
    job_rows(u, cj->x, cj->xq, cj->n, r0, r1);
    cj->glu(g->out + r0, u->out + r0, r1 - r0);
}

static void chunk_task(void *arg, long c, int thread) {
    (void)thread;
    const ChunkJob *cj = arg;
    long g0 = cj->bounds[c], g1 = cj->bounds[c + 1];
    if (cj->glu) {
        int d = cj->jobs[0].d, r1 = (int)(g1 * ROWS);
        gated_rows(cj, (int)(g0 * ROWS), r1 < d ? r1 : d);
        return;
    }
    job_groups(cj->jobs, cj->njobs, cj->x, cj->xq, cj->n, g0, g1);
}

static void matmul_run(const float *x, int n, const MatJob *jobs, int njobs, GluFn act) {
    kernels_selected();
    /* the activations rounded once for every job whose kernel takes them so */
    X16 xq;
    int rounded = 0;
    for (int k = 0; k < njobs && !rounded; k++)
        if (active.dot16[jobs[k].w.type] && n % 32 == 0) rounded = 1;
    if (rounded && x16_round(&xq, x, n) != 0) {
        x16_free(&xq);
        rounded = 0;
    }
    const X16 *xr = rounded ? &xq : NULL;
    long groups = 0, work = 0;
    for (int k = 0; k < njobs; k++) {
        if (!act || k == 0) groups += (jobs[k].d + ROWS - 1) / ROWS;
        work += (long)n * jobs[k].d;
    }
    int team = work >= MATMUL_PARALLEL_MIN ? team_size() : 1;
    ChunkJob cj = {jobs, njobs, x, xr, n, {0}, act};
    long nchunks = 0;
    if (team > 1) {
        long min_chunk = CHUNK_MIN_WORK / ((long)n * ROWS * (act ? 2 : 1)) + 1;
        for (long g = 0; g < groups; nchunks++) {
            long left = groups - g, size = left / (2L * team);
            if (size < min_chunk) size = min_chunk;
            if (nchunks == MAX_CHUNKS - 1 || size > left) size = left;
            cj.bounds[nchunks] = g;
            g += size;
        }
        cj.bounds[nchunks] = groups;
        if (nchunks < team) team = (int)nchunks;
    }
    if (team <= 1) {
        if (act)
            gated_rows(&cj, 0, jobs[0].d);
        else
            job_groups(jobs, njobs, x, xr, n, 0, groups);
    } else {
        team_run(nchunks, chunk_task, &cj, team);
    }
    if (rounded) x16_free(&xq);
}

void matmul_many(const float *x, int n, const MatJob *jobs, int njobs) {
    matmul_run(x, n, jobs, njobs, NULL);
}

void matmul_gated(float *h, float *up, const float *x, Matrix w_gate, Matrix w_up, int n, int d,
                  GluFn act) {
    MatJob jobs[2] = {{h, w_gate, d}, {up, w_up, d}};
    matmul_run(x, n, jobs, 2, act);
}

void matmul(float *out, const float *x, Matrix w, int n, int d) {
    MatJob j = {out, w, d};
    matmul_many(x, n, &j, 1);
}

typedef struct {
    float *y;
    const float *x;
    Matrix w;
    int b, n, d, slice;
    float *scratch; /* (team, slice, n): each thread's own, for the quantised types */
} BatchJob;

/* Slice t of a BatchJob: Y[:, r0:r0+rows] = X . W[r0:r0+rows]^T, W's rows dequantised first
 * when they are not F32. */
static void batch_slice(void *arg, long t, int thread) {
    const BatchJob *j = arg;
    int r0 = (int)t * j->slice, rows = j->d - r0 < j->slice ? j->d - r0 : j->slice;
    const float *wf;
    if (j->w.type == GGML_TYPE_F32) {
        wf = (const float *)j->w.data + (size_t)r0 * j->n;
    } else {
        float *sc = j->scratch + (size_t)thread * j->slice * j->n;
        size_t rb = matrix_row_bytes(j->w, j->n);
        for (int i = 0; i < rows; i++)
            quant_dequantize(sc + (size_t)i * j->n, (const uint8_t *)j->w.data + (size_t)(r0 + i) * rb,
                             j->w.type, (uint64_t)j->n);
        wf = sc;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->b, rows, j->n, 1.0f, j->x, j->n, wf, j->n,
                0.0f, j->y + r0, j->d);
}

void matmul_batch(float *y, const float *x, Matrix w, int b, int n, int d) {
    /* Slices of BATCH_SLICE_FLOATS weights (a whole number of ROWS rows), one product each, handed
     * to the team: the slicing does not depend on the number of threads, so neither do the bits. */
    int slice = BATCH_SLICE_FLOATS / n / ROWS * ROWS;
    if (slice < ROWS) slice = ROWS;
    if (slice > d) slice = d;
    long slices = (d + slice - 1) / slice;
    int team = (long)b * n * d >= MATMUL_PARALLEL_MIN ? team_size() : 1;
    if (team > slices) team = (int)slices;
    BatchJob j = {y, x, w, b, n, d, slice, NULL};
    if (w.type != GGML_TYPE_F32) j.scratch = gb_malloc((size_t)(team < 1 ? 1 : team) * slice * n * sizeof(float));
    team_run(slices, batch_slice, &j, team);
    free(j.scratch);
}
