/* The llama forward pass, written to be read beside the attention view.
 *
 * One call to model_forward pushes one token through the network at one position:
 *
 *   x = token_embd[token]                                  the residual stream, (dim)
 *   for each layer:
 *       xb  = rmsnorm(x) * attn_norm
 *       q, k, v = Wq xb, Wk xb, Wv xb                      q (n_heads*hd), k and v (n_kv_heads*hd)
 *       rotate q and k by the position (RoPE, adjacent pairs)
 *       store k, v in the cache at pos
 *       per head: scores = q . k[0..pos] / sqrt(hd), softmax, weighted sum of v[0..pos]
 *       x  += Wo (concatenated head outputs)
 *       xb  = rmsnorm(x) * ffn_norm
 *       x  += Wdown (silu(Wgate xb) * (Wup xb))             SwiGLU feed-forward
 *   logits = Wout (rmsnorm(x) * output_norm)
 *
 * Matrices are stored row-major as (rows = outputs, cols = inputs), exactly as a GGUF tensor with
 * ne = {inputs, outputs} lies in the file, so y = W x reads each row contiguously. */
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Below this many multiply-adds a matrix-vector product runs on one thread: waking the OpenMP team
 * costs a couple of microseconds, more than a small product takes. Measured, serial vs threaded:
 * on a 2-core Xeon, 128x128 1.3 vs 1.6-2.5 us, 192x192 3.1 vs 2.6 us, 256x256 6 vs 4 us; on a
 * 16-core Xeon the crossover lies between 16K (2 threads) and 37K (16 threads) multiply-adds.
 * We start at 64K, above every crossover, because each parallel region is also a risk: on a
 * machine whose cores are busy with other programs a region can wait milliseconds for a descheduled
 * thread (seen: 64-dim model, 0.07 ms/token serial, 0.4-1.7 ms/token threaded). Products this size
 * gain enough to be worth it; the small shipped model never starts a thread. Whole model (dim 192,
 * 4 layers, vocab 4096, 256 positions, quiet 16-core Xeon), steps/s with 1/2/4/8 threads: 2000,
 * 2400-2900, 3200-3500, 2900 at 64K; 2000, 2400-3200, 3500-3700, 4400 at 32K. */
#ifndef MATMUL_PARALLEL_MIN
#define MATMUL_PARALLEL_MIN (1 << 16)
#endif
/* The same for attention over all heads at one position (n_heads * positions * head_dim). */
#ifndef ATTENTION_PARALLEL_MIN
#define ATTENTION_PARALLEL_MIN (1 << 16)
#endif

/* ------------------------------------------------------------------------------------------------
 * The building blocks */

/* out = x / sqrt(mean(x^2) + eps) * weight. out may be x. */
static void rmsnorm(float *out, const float *x, const float *weight, int n, float eps) {
    float sum_sq = 0.0f;
    for (int i = 0; i < n; i++)
        sum_sq += x[i] * x[i];
    float scale = 1.0f / sqrtf(sum_sq / (float)n + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * scale * weight[i];
}

/* In place: x = exp(x - max) / sum, so the largest score becomes exp(0) and nothing overflows. */
static void softmax(float *x, int n) {
    float max = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > max) max = x[i];
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int i = 0; i < n; i++)
        x[i] /= sum;
}

/* Dot product of two rows of n floats. Eight running sums instead of one let the compiler use
 * vector registers (a single sum forces every addition to wait for the previous one). */
static float dot(const float *a, const float *b, int n) {
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

/* y (n) += a * x (n). restrict promises y and x do not overlap, and the blocks of 8 let the
 * compiler work on several values at once, as in dot. */
static void axpy(float *restrict y, float a, const float *restrict x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            y[i + j] += a * x[i + j];
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* out (d) = W (d, n) . x (n): one dot product per output row; rows are split across threads when
 * the product is large enough to be worth it. */
static void matmul(float *out, const float *x, const float *w, int n, int d) {
#pragma omp parallel for schedule(static) if ((long)n * d >= MATMUL_PARALLEL_MIN)
    for (int i = 0; i < d; i++)
        out[i] = dot(w + (size_t)i * n, x, n);
}

/* The rotation angles of one position: pair i of each head turns by pos * base^(-2i/rope_dim).
 * cos_out, sin_out: (rope_dim / 2). Computed in double once per position and shared by every
 * layer and head. */
static void rope_angles(float *cos_out, float *sin_out, int pos, int rope_dim, float base) {
    for (int i = 0; i < rope_dim / 2; i++) {
        double freq = pow((double)base, -2.0 * i / (double)rope_dim);
        double angle = (double)pos * freq;
        cos_out[i] = (float)cos(angle);
        sin_out[i] = (float)sin(angle);
    }
}

/* Rotary position embedding on vec (n_heads, head_dim): within each head, the first rope_dim values
 * are taken as ADJACENT pairs (v[2i], v[2i+1]) and each pair is rotated by its angle. (Hugging Face
 * code rotates (v[i], v[i + hd/2]) instead; llama GGUF files expect adjacent pairs.) The values
 * past rope_dim are left as they are. */
static void rope(float *vec, int n_heads, int head_dim, int rope_dim, const float *cos_a,
                 const float *sin_a) {
    for (int h = 0; h < n_heads; h++) {
        float *head = vec + (size_t)h * head_dim;
        for (int i = 0; i < rope_dim / 2; i++) {
            float x0 = head[2 * i], x1 = head[2 * i + 1];
            head[2 * i] = x0 * cos_a[i] - x1 * sin_a[i];
            head[2 * i + 1] = x0 * sin_a[i] + x1 * cos_a[i];
        }
    }
}

static float silu(float x) {
    return x / (1.0f + expf(-x));
}

/* ------------------------------------------------------------------------------------------------
 * Attention of one query position over the cache */

/* For every head: scores of q against keys 0..pos, softmax, weighted sum of values.
 *   out:     (n_heads * head_dim) the heads' outputs side by side
 *   att:     (n_heads, seq_len) scratch; row h holds head h's probabilities on return
 *   q:       (n_heads * head_dim) the rotated query
 *   k_layer, v_layer: (seq_len, kv_dim) this layer's cache, rows 0..pos filled
 *   probe:   (n_heads, seq_len, seq_len) this layer's probe, or NULL; row pos of each head is
 *            written
 *   threads: whether heads may be split across OpenMP threads (when the work is large enough) */
static void attention(float *out, float *att, const float *q, const float *k_layer,
                      const float *v_layer, float *probe, const Config *c, int pos, int threads) {
    int hd = c->head_dim;
    int kv_dim = c->n_kv_heads * hd;
    int group = c->n_heads / c->n_kv_heads; /* query heads that share one kv head */
    float scale = 1.0f / sqrtf((float)hd);
    long work = (long)c->n_heads * (pos + 1) * hd;
#pragma omp parallel for schedule(static) if (threads && work >= ATTENTION_PARALLEL_MIN)
    for (int h = 0; h < c->n_heads; h++) {
        const float *q_h = q + (size_t)h * hd;       /* (head_dim) */
        int kv_off = (h / group) * hd;               /* this head's slice of a cache row */
        float *att_h = att + (size_t)h * c->seq_len; /* (pos + 1) used */
        for (int t = 0; t <= pos; t++)
            att_h[t] = dot(q_h, k_layer + (size_t)t * kv_dim + kv_off, hd) * scale;
        softmax(att_h, pos + 1);
        float *out_h = out + (size_t)h * hd; /* (head_dim) */
        memset(out_h, 0, (size_t)hd * sizeof(float));
        for (int t = 0; t <= pos; t++) {
            const float *v_t = v_layer + (size_t)t * kv_dim + kv_off;
            axpy(out_h, att_h[t], v_t, hd);
        }
        if (probe) {
            float *row = probe + ((size_t)h * c->seq_len + pos) * c->seq_len; /* (seq_len) */
            memcpy(row, att_h, (size_t)(pos + 1) * sizeof(float));
            memset(row + pos + 1, 0, (size_t)(c->seq_len - pos - 1) * sizeof(float));
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * One position */

float *model_forward(Model *m, int32_t token, int pos) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    RunState *s = &m->state;
    if (token < 0 || token >= c->vocab_size || pos < 0 || pos >= c->seq_len) return NULL;
    int dim = c->dim;
    int q_dim = c->n_heads * c->head_dim;
    int kv_dim = c->n_kv_heads * c->head_dim;
    int hidden = c->hidden_dim;

    memcpy(s->x, w->token_embd + (size_t)token * dim, (size_t)dim * sizeof(float));
    rope_angles(s->rope_cos, s->rope_sin, pos, c->rope_dim, c->rope_base);

    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        float *k_layer = s->key_cache + (size_t)l * c->seq_len * kv_dim;   /* (seq_len, kv_dim) */
        float *v_layer = s->value_cache + (size_t)l * c->seq_len * kv_dim; /* (seq_len, kv_dim) */
        float *k = k_layer + (size_t)pos * kv_dim;                         /* (kv_dim) */
        float *v = v_layer + (size_t)pos * kv_dim;                         /* (kv_dim) */

        /* attention block: q, k, v of this position; k and v go straight into the cache */
        rmsnorm(s->xb, s->x, lw->attn_norm, dim, c->norm_eps);
        matmul(s->q, s->xb, lw->wq, dim, q_dim);
        matmul(k, s->xb, lw->wk, dim, kv_dim);
        matmul(v, s->xb, lw->wv, dim, kv_dim);
        rope(s->q, c->n_heads, c->head_dim, c->rope_dim, s->rope_cos, s->rope_sin);
        rope(k, c->n_kv_heads, c->head_dim, c->rope_dim, s->rope_cos, s->rope_sin);

        float *probe = m->probes.enabled
                           ? m->probes.attn + (size_t)l * c->n_heads * c->seq_len * c->seq_len
                           : NULL;
        attention(s->att_out, s->att, s->q, k_layer, v_layer, probe, c, pos, 1);
        matmul(s->xb2, s->att_out, lw->wo, q_dim, dim);
        for (int i = 0; i < dim; i++)
            s->x[i] += s->xb2[i];

        /* feed-forward block: SwiGLU */
        rmsnorm(s->xb, s->x, lw->ffn_norm, dim, c->norm_eps);
        matmul(s->hb, s->xb, lw->w_gate, dim, hidden);
        matmul(s->hb2, s->xb, lw->w_up, dim, hidden);
        for (int i = 0; i < hidden; i++)
            s->hb[i] = silu(s->hb[i]) * s->hb2[i];
        matmul(s->xb2, s->hb, lw->w_down, hidden, dim);
        for (int i = 0; i < dim; i++)
            s->x[i] += s->xb2[i];

        if (m->probes.enabled)
            memcpy(m->probes.residual + ((size_t)l * c->seq_len + pos) * dim, s->x,
                   (size_t)dim * sizeof(float));
    }

    model_logits_from_residual(m, s->x, s->logits);
    return s->logits;
}

void model_logits_from_residual(const Model *m, const float *x, float *logits) {
    const Config *c = &m->config;
    float *xn = gb_malloc((size_t)c->dim * sizeof(float)); /* (dim) */
    rmsnorm(xn, x, m->weights.output_norm, c->dim, c->norm_eps);
    matmul(logits, xn, m->weights.output, c->dim, c->vocab_size);
    free(xn);
}

/* ------------------------------------------------------------------------------------------------
 * A whole prompt at once: the same computation, but every projection of the n positions is one
 * matrix-matrix product (X . W^T with X (n, in)), which reuses each weight n times while it is in
 * cache. Attention still goes position by position, since position i sees only keys 0..i. */

#ifndef PROMPT_ATTENTION_THREADS
#define PROMPT_ATTENTION_THREADS 0
#endif

/* Y (n, d) = X (n, k) . W (d, k)^T */
static void matmul_rows(float *y, const float *x, const float *w, int n, int k, int d) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, k, 1.0f, x, k, w, k, 0.0f, y, d);
}

float *model_forward_prompt(Model *m, const int32_t *tokens, int n, int start_pos) {
    return model_forward_prompt_all(m, tokens, n, start_pos, NULL);
}

float *model_forward_prompt_all(Model *m, const int32_t *tokens, int n, int start_pos,
                                float *all_logits) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    RunState *s = &m->state;
    if (n <= 0 || start_pos < 0 || start_pos > c->seq_len - n) return NULL;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab_size) return NULL;
    /* Below a few positions the matrix-matrix set-up does not pay: step one at a time. */
    if (n < 4) {
        float *logits = NULL;
        for (int i = 0; i < n; i++) {
            logits = model_forward(m, tokens[i], start_pos + i);
            if (all_logits)
                memcpy(all_logits + (size_t)i * c->vocab_size, logits,
                       (size_t)c->vocab_size * sizeof(float));
        }
        return logits;
    }
    int dim = c->dim;
    int q_dim = c->n_heads * c->head_dim;
    int kv_dim = c->n_kv_heads * c->head_dim;
    int hidden = c->hidden_dim;
    int half = c->rope_dim / 2;

    float *x = gb_malloc((size_t)n * dim * sizeof(float));      /* (n, dim) residual streams */
    float *xb = gb_malloc((size_t)n * dim * sizeof(float));     /* (n, dim) normed inputs */
    float *xb2 = gb_malloc((size_t)n * dim * sizeof(float));    /* (n, dim) sub-block outputs */
    float *q = gb_malloc((size_t)n * q_dim * sizeof(float));    /* (n, q_dim) queries */
    float *ao = gb_malloc((size_t)n * q_dim * sizeof(float));   /* (n, q_dim) attention outputs */
    float *hb = gb_malloc((size_t)n * hidden * sizeof(float));  /* (n, hidden) gate */
    float *hb2 = gb_malloc((size_t)n * hidden * sizeof(float)); /* (n, hidden) up */
    float *cos_a = gb_malloc((size_t)n * (half + 1) * sizeof(float)); /* (n, rope_dim/2) */
    float *sin_a = gb_malloc((size_t)n * (half + 1) * sizeof(float)); /* (n, rope_dim/2) */

    for (int i = 0; i < n; i++) {
        memcpy(x + (size_t)i * dim, w->token_embd + (size_t)tokens[i] * dim,
               (size_t)dim * sizeof(float));
        rope_angles(cos_a + (size_t)i * half, sin_a + (size_t)i * half, start_pos + i, c->rope_dim,
                    c->rope_base);
    }

    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        float *k_layer = s->key_cache + (size_t)l * c->seq_len * kv_dim;   /* (seq_len, kv_dim) */
        float *v_layer = s->value_cache + (size_t)l * c->seq_len * kv_dim; /* (seq_len, kv_dim) */
        float *k = k_layer + (size_t)start_pos * kv_dim;                   /* (n, kv_dim) */
        float *v = v_layer + (size_t)start_pos * kv_dim;                   /* (n, kv_dim) */

        for (int i = 0; i < n; i++)
            rmsnorm(xb + (size_t)i * dim, x + (size_t)i * dim, lw->attn_norm, dim, c->norm_eps);
        matmul_rows(q, xb, lw->wq, n, dim, q_dim);
        matmul_rows(k, xb, lw->wk, n, dim, kv_dim);
        matmul_rows(v, xb, lw->wv, n, dim, kv_dim);
        for (int i = 0; i < n; i++) {
            const float *ca = cos_a + (size_t)i * half, *sa = sin_a + (size_t)i * half;
            rope(q + (size_t)i * q_dim, c->n_heads, c->head_dim, c->rope_dim, ca, sa);
            rope(k + (size_t)i * kv_dim, c->n_kv_heads, c->head_dim, c->rope_dim, ca, sa);
        }
        float *probe = m->probes.enabled
                           ? m->probes.attn + (size_t)l * c->n_heads * c->seq_len * c->seq_len
                           : NULL;
        /* One thread here: OpenBLAS runs its own threads in the products, and OpenMP workers
         * spin-waiting after a parallel region would take their cores (measured at 256 positions,
         * 16 threads: 6.5K tokens/s with this single-threaded, 4.3K with threaded heads). */
        for (int i = 0; i < n; i++)
            attention(ao + (size_t)i * q_dim, s->att, q + (size_t)i * q_dim, k_layer, v_layer,
                      probe, c, start_pos + i, PROMPT_ATTENTION_THREADS);
        matmul_rows(xb2, ao, lw->wo, n, q_dim, dim);
        for (size_t i = 0; i < (size_t)n * dim; i++)
            x[i] += xb2[i];

        for (int i = 0; i < n; i++)
            rmsnorm(xb + (size_t)i * dim, x + (size_t)i * dim, lw->ffn_norm, dim, c->norm_eps);
        matmul_rows(hb, xb, lw->w_gate, n, dim, hidden);
        matmul_rows(hb2, xb, lw->w_up, n, dim, hidden);
        for (size_t i = 0; i < (size_t)n * hidden; i++)
            hb[i] = silu(hb[i]) * hb2[i];
        matmul_rows(xb2, hb, lw->w_down, n, hidden, dim);
        for (size_t i = 0; i < (size_t)n * dim; i++)
            x[i] += xb2[i];

        if (m->probes.enabled)
            memcpy(m->probes.residual + ((size_t)l * c->seq_len + start_pos) * dim, x,
                   (size_t)n * dim * sizeof(float));
    }

    /* The last position's residual is left in the run state, as a step would leave it. */
    memcpy(s->x, x + (size_t)(n - 1) * dim, (size_t)dim * sizeof(float));
    rmsnorm(s->xb, s->x, w->output_norm, dim, c->norm_eps);
    if (all_logits) {
        /* Every position's logits in one product: (n, vocab) = norm(x) (n, dim) . output^T */
        for (int i = 0; i < n; i++)
            rmsnorm(xb + (size_t)i * dim, x + (size_t)i * dim, w->output_norm, dim, c->norm_eps);
        matmul_rows(all_logits, xb, w->output, n, dim, c->vocab_size);
        memcpy(s->logits, all_logits + (size_t)(n - 1) * c->vocab_size,
               (size_t)c->vocab_size * sizeof(float));
    } else {
        matmul(s->logits, s->xb, w->output, dim, c->vocab_size);
    }

    free(x);
    free(xb);
    free(xb2);
    free(q);
    free(ao);
    free(hb);
    free(hb2);
    free(cos_a);
    free(sin_a);
    return s->logits;
}

void model_limit_threads(const Model *m) {
    const Config *c = &m->config;
    if ((long)c->dim * c->hidden_dim <= (1L << 20)) omp_set_num_threads(1);
}

const float *model_embedding(const Model *m, int32_t id) {
    if (id < 0 || id >= m->config.vocab_size) return NULL;
    return m->weights.token_embd + (size_t)id * m->config.dim;
}

/* ------------------------------------------------------------------------------------------------
 * Building and freeing */

/* Checks the sizes of a configuration; fills head_dim and the defaults the caller left at 0. */
static int check_config(Config *c, const char *what, char *err) {
    if (c->n_kv_heads == 0) c->n_kv_heads = c->n_heads;
    if (c->dim <= 0 || c->hidden_dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 ||
        c->n_kv_heads <= 0 || c->vocab_size <= 0 || c->seq_len <= 0) {
        gb_seterr(err,
                  "%s: sizes must be positive (dim %d, ffn %d, layers %d, heads %d, kv heads %d, "
                  "vocab %d, seq_len %d)",
                  what, c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads,
                  c->vocab_size, c->seq_len);
        return -1;
    }
    /* Bounds that keep every size product far from overflow and the allocations sane. */
    if (c->dim > (1 << 16) || c->hidden_dim > (1 << 18) || c->n_layers > 1024 ||
        c->vocab_size > (1 << 22) || c->seq_len > (1 << 20)) {
        gb_seterr(
            err,
            "%s: sizes too large for glassbox (dim %d, ffn %d, layers %d, vocab %d, seq_len %d)",
            what, c->dim, c->hidden_dim, c->n_layers, c->vocab_size, c->seq_len);
        return -1;
    }
    if (c->dim % c->n_heads != 0) {
        gb_seterr(err, "%s: embedding length %d is not a multiple of the head count %d", what,
                  c->dim, c->n_heads);
        return -1;
    }
    if (c->n_heads % c->n_kv_heads != 0) {
        gb_seterr(err, "%s: head count %d is not a multiple of the key/value head count %d", what,
                  c->n_heads, c->n_kv_heads);
        return -1;
    }
    c->head_dim = c->dim / c->n_heads;
    if (c->rope_dim == 0) c->rope_dim = c->head_dim;
    if (c->rope_dim < 0 || c->rope_dim % 2 != 0 || c->rope_dim > c->head_dim) {
        gb_seterr(err, "%s: rope dimension %d must be even and at most the head size %d", what,
                  c->rope_dim, c->head_dim);
        return -1;
    }
    if (c->rope_base == 0.0f) c->rope_base = 10000.0f;
    if (c->norm_eps == 0.0f) c->norm_eps = 1e-5f;
    if (!(c->rope_base > 0.0f) || !isfinite(c->rope_base) || !(c->norm_eps > 0.0f) ||
        !isfinite(c->norm_eps)) {
        gb_seterr(err, "%s: rope base %g and norm epsilon %g must be positive", what, c->rope_base,
                  c->norm_eps);
        return -1;
    }
    if (c->context_length <= 0) c->context_length = c->seq_len;
    return 0;
}

/* Run state and probes for config c (all zero: a fresh cache). Returns -1 when the probes would not
 * fit in memory sizes we can express. */
static int alloc_state(Model *m, const char *what, char *err) {
    const Config *c = &m->config;
    RunState *s = &m->state;
    size_t dim = (size_t)c->dim, q_dim = (size_t)c->n_heads * c->head_dim;
    size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim, seq = (size_t)c->seq_len;
    uint64_t probe_n;
    if (gb_mul_overflow((uint64_t)c->n_layers * c->n_heads, (uint64_t)seq * seq, &probe_n) ||
        probe_n > ((uint64_t)1 << 34)) {
        gb_seterr(err,
                  "%s: attention probes for %d layers x %d heads x %zu^2 positions are too large; "
                  "cap the context length",
                  what, c->n_layers, c->n_heads, seq);
        return -1;
    }
    s->x = gb_calloc(dim, sizeof(float));
    s->xb = gb_calloc(dim, sizeof(float));
    s->xb2 = gb_calloc(dim, sizeof(float));
    s->q = gb_calloc(q_dim, sizeof(float));
    s->att_out = gb_calloc(q_dim, sizeof(float));
    s->hb = gb_calloc((size_t)c->hidden_dim, sizeof(float));
    s->hb2 = gb_calloc((size_t)c->hidden_dim, sizeof(float));
    s->att = gb_calloc((size_t)c->n_heads * seq, sizeof(float));
    s->logits = gb_calloc((size_t)c->vocab_size, sizeof(float));
    s->key_cache = gb_calloc((size_t)c->n_layers * seq * kv_dim, sizeof(float));
    s->value_cache = gb_calloc((size_t)c->n_layers * seq * kv_dim, sizeof(float));
    s->rope_cos = gb_calloc((size_t)c->rope_dim / 2 + 1, sizeof(float));
    s->rope_sin = gb_calloc((size_t)c->rope_dim / 2 + 1, sizeof(float));
    /* calloc of a large block maps zero pages lazily: rows never computed cost no memory */
    m->probes.attn = gb_calloc((size_t)probe_n, sizeof(float));
    m->probes.residual = gb_calloc((size_t)c->n_layers * seq * dim, sizeof(float));
    m->probes.enabled = 1;
    return 0;
}

void model_free(Model *m) {
    if (!m) return;
    RunState *s = &m->state;
    free(s->x);
    free(s->xb);
    free(s->xb2);
    free(s->q);
    free(s->att_out);
    free(s->hb);
    free(s->hb2);
    free(s->att);
    free(s->logits);
    free(s->key_cache);
    free(s->value_cache);
    free(s->rope_cos);
    free(s->rope_sin);
    free(m->probes.attn);
    free(m->probes.residual);
    free(m->weights.layers);
    free(m->owned);
    if (m->has_file) gguf_close(&m->file);
    memset(m, 0, sizeof(*m));
}

/* Number of floats in each weight, from a config. */
typedef struct {
    size_t embd, norm, wq, wkv, wo, ffn;
} WeightSizes;

static WeightSizes weight_sizes(const Config *c) {
    WeightSizes z;
    size_t q_dim = (size_t)c->n_heads * c->head_dim, kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    z.embd = (size_t)c->vocab_size * c->dim;
    z.norm = (size_t)c->dim;
    z.wq = q_dim * c->dim;
    z.wkv = kv_dim * c->dim;
    z.wo = (size_t)c->dim * q_dim;
    z.ffn = (size_t)c->hidden_dim * c->dim;
    return z;
}

/* A small deterministic generator (xorshift64*), local to one call: no global state. */
static uint64_t next_u64(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Approximately normal(0, 1): the sum of 12 uniforms minus 6 (mean 0, variance 1). */
static float next_normal(uint64_t *state) {
    double sum = 0.0;
    for (int i = 0; i < 12; i++)
        sum += (double)(next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sum - 6.0);
}

static void fill_normal(float *w, size_t n, float std, uint64_t *state) {
    for (size_t i = 0; i < n; i++)
        w[i] = std * next_normal(state);
}

static void fill_ones(float *w, size_t n) {
    for (size_t i = 0; i < n; i++)
        w[i] = 1.0f;
}

int model_init_random(Model *m, const Config *config, uint64_t seed, char *err) {
    memset(m, 0, sizeof(*m));
    m->config = *config;
    Config *c = &m->config;
    if (check_config(c, "random model", err) < 0) return -1;
    if (alloc_state(m, "random model", err) < 0) {
        model_free(m);
        return -1;
    }
    WeightSizes z = weight_sizes(c);
    size_t per_layer = 2 * z.norm + z.wq + 2 * z.wkv + z.wo + 3 * z.ffn;
    size_t total = z.embd + (size_t)c->n_layers * per_layer + z.norm;
    m->owned = gb_malloc(total * sizeof(float));
    m->weights.layers = gb_calloc((size_t)c->n_layers, sizeof(LayerWeights));

    uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (state == 0) state = 1; /* xorshift must not start at zero */
    float std = 0.02f;
    float *p = m->owned;
    Weights *w = &m->weights;
    w->token_embd = p, p += z.embd;
    fill_normal(w->token_embd, z.embd, std, &state);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        lw->attn_norm = p, p += z.norm;
        lw->wq = p, p += z.wq;
        lw->wk = p, p += z.wkv;
        lw->wv = p, p += z.wkv;
        lw->wo = p, p += z.wo;
        lw->ffn_norm = p, p += z.norm;
        lw->w_gate = p, p += z.ffn;
        lw->w_up = p, p += z.ffn;
        lw->w_down = p, p += z.ffn;
        fill_ones(lw->attn_norm, z.norm);
        fill_ones(lw->ffn_norm, z.norm);
        fill_normal(lw->wq, z.wq, std, &state);
        fill_normal(lw->wk, z.wkv, std, &state);
        fill_normal(lw->wv, z.wkv, std, &state);
        fill_normal(lw->wo, z.wo, std, &state);
        fill_normal(lw->w_gate, z.ffn, std, &state);
        fill_normal(lw->w_up, z.ffn, std, &state);
        fill_normal(lw->w_down, z.ffn, std, &state);
    }
    w->output_norm = p, p += z.norm;
    fill_ones(w->output_norm, z.norm);
    w->output = w->token_embd;
    w->tied = 1;
    snprintf(m->name, sizeof(m->name), "random-%llu", (unsigned long long)seed);
    return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Loading a GGUF file */

/* The file's base name, for a model without general.name. */
static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Reads an integer size key into *out. Absent: *out = fallback, or an error when required. */
static int read_size_key(const GGUFFile *f, const char *key, int required, int fallback, int *out,
                         char *err) {
    int64_t v;
    if (!gguf_get_int(f, key, &v)) {
        if (gguf_find_kv(f, key)) {
            gb_seterr(err, "%s: key '%s' is not an integer", f->path, key);
            return -1;
        }
        if (required) {
            gb_seterr(err, "%s: key '%s' is missing", f->path, key);
            return -1;
        }
        *out = fallback;
        return 0;
    }
    if (v <= 0 || v > (1 << 30)) {
        gb_seterr(err, "%s: key '%s' = %lld is out of range", f->path, key, (long long)v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int read_float_key(const GGUFFile *f, const char *key, float fallback, float *out,
                          char *err) {
    double v;
    if (!gguf_get_float(f, key, &v)) {
        if (gguf_find_kv(f, key)) {
            gb_seterr(err, "%s: key '%s' is not a float", f->path, key);
            return -1;
        }
        *out = fallback;
        return 0;
    }
    if (!(v > 0.0) || !isfinite(v) || v > 1e30) {
        gb_seterr(err, "%s: key '%s' = %g is out of range", f->path, key, v);
        return -1;
    }
    *out = (float)v;
    return 0;
}

/* "[a, b]" for a message. */
static void format_shape(char *buf, size_t size, const uint64_t *ne, int n_dims) {
    size_t used = 0;
    used += (size_t)snprintf(buf + used, size - used, "[");
    for (int i = 0; i < n_dims && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", i ? ", " : "",
                                 (unsigned long long)ne[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

/* Finds a tensor and checks its shape ({cols} or {cols, rows}) and type. Trailing dimensions of 1
 * are ignored. */
static const GGUFTensor *find_weight(const GGUFFile *f, const char *name, uint64_t cols,
                                     uint64_t rows, int n_dims, char *err) {
    const GGUFTensor *t = gguf_find_tensor(f, name);
    if (!t) {
        gb_seterr(err, "%s: tensor '%s' is missing", f->path, name);
        return NULL;
    }
    uint64_t want[4] = {cols, n_dims == 2 ? rows : 1, 1, 1};
    int same = 1;
    for (int i = 0; i < 4; i++) {
        uint64_t have = i < (int)t->n_dims ? t->ne[i] : 1;
        if (have != want[i]) same = 0;
    }
    if (!same) {
        char have_s[96], want_s[96];
        format_shape(have_s, sizeof(have_s), t->ne, (int)t->n_dims);
        format_shape(want_s, sizeof(want_s), want, n_dims);
        gb_seterr(err, "%s: tensor '%s' has shape %s, expected %s", f->path, name, have_s, want_s);
        return NULL;
    }
    if (!ggml_type_name(t->type)) {
        gb_seterr(
            err,
            "%s: tensor '%s' has ggml type %u, which glassbox does not support (F32, F16, BF16, "
            "Q8_0)",
            f->path, name, t->type);
        return NULL;
    }
    return t;
}

/* One weight while loading: which tensor, and where its float pointer goes. */
typedef struct {
    const GGUFTensor *tensor;
    float **dest;
} WeightSlot;

/* F32 data in the map can be used in place when suitably aligned (it always is in a well-formed
 * file: the data section and every offset are multiples of the alignment). */
static int usable_in_place(const GGUFTensor *t) {
    return t->type == GGML_TYPE_F32 && ((uintptr_t)t->data % sizeof(float)) == 0;
}

static int model_load_opened(Model *m, const char *path, int max_seq, char *err);

int model_load(Model *m, const char *path, int max_seq, char *err) {
    memset(m, 0, sizeof(*m));
    if (gguf_open(&m->file, path, err) < 0) return -1;
    m->has_file = 1;
    return model_load_opened(m, path, max_seq, err);
}

int model_load_memory(Model *m, const void *data, size_t size, const char *name, int max_seq,
                      char *err) {
    memset(m, 0, sizeof(*m));
    if (gguf_open_memory(&m->file, data, size, name, err) < 0) return -1;
    m->has_file = 1;
    return model_load_opened(m, name, max_seq, err);
}

/* The rest of loading, once m->file is open. */
static int model_load_opened(Model *m, const char *path, int max_seq, char *err) {
    const GGUFFile *f = &m->file;
    Config *c = &m->config;
    WeightSlot *slots = NULL;

    GGUFString arch;
    if (!gguf_get_string(f, "general.architecture", &arch)) {
        gb_seterr(err, "%s: no general.architecture key (not a model file?)", path);
        goto fail;
    }
    if (!gguf_string_eq(arch, "llama")) {
        gb_seterr(err, "%s: architecture '%.*s' is not supported (glassbox runs llama models)",
                  path, (int)(arch.len > 64 ? 64 : arch.len), arch.data);
        goto fail;
    }
    if (read_size_key(f, "llama.context_length", 1, 0, &c->context_length, err) < 0 ||
        read_size_key(f, "llama.embedding_length", 1, 0, &c->dim, err) < 0 ||
        read_size_key(f, "llama.block_count", 1, 0, &c->n_layers, err) < 0 ||
        read_size_key(f, "llama.feed_forward_length", 1, 0, &c->hidden_dim, err) < 0 ||
        read_size_key(f, "llama.attention.head_count", 1, 0, &c->n_heads, err) < 0 ||
        read_size_key(f, "llama.attention.head_count_kv", 0, c->n_heads, &c->n_kv_heads, err) < 0 ||
        read_float_key(f, "llama.rope.freq_base", 10000.0f, &c->rope_base, err) < 0 ||
        read_float_key(f, "llama.attention.layer_norm_rms_epsilon", 1e-5f, &c->norm_eps, err) < 0)
        goto fail;
    if (c->dim % c->n_heads != 0) {
        gb_seterr(err, "%s: embedding length %d is not a multiple of the head count %d", path,
                  c->dim, c->n_heads);
        goto fail;
    }
    if (read_size_key(f, "llama.rope.dimension_count", 0, c->dim / c->n_heads, &c->rope_dim, err) <
        0)
        goto fail;

    const GGUFTensor *embd = gguf_find_tensor(f, "token_embd.weight");
    if (!embd) {
        gb_seterr(err, "%s: tensor 'token_embd.weight' is missing", path);
        goto fail;
    }
    if (embd->n_dims < 2 || embd->ne[1] == 0 || embd->ne[1] > (1 << 22)) {
        gb_seterr(err,
                  "%s: tensor 'token_embd.weight' has %u dimensions, expected [%d, vocab size]",
                  path, embd->n_dims, c->dim);
        goto fail;
    }
    c->vocab_size = (int)embd->ne[1];
    c->seq_len = (max_seq > 0 && max_seq < c->context_length) ? max_seq : c->context_length;
    if (check_config(c, path, err) < 0) goto fail;

    /* Every weight: find it, check its shape, and note where its pointer goes. */
    uint64_t dim = (uint64_t)c->dim, hidden = (uint64_t)c->hidden_dim,
             vocab = (uint64_t)c->vocab_size;
    uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
             kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
    m->weights.layers = gb_calloc((size_t)c->n_layers, sizeof(LayerWeights));
    slots = gb_calloc((size_t)c->n_layers * 9 + 3, sizeof(WeightSlot));
    int n_slots = 0;
    Weights *w = &m->weights;
#define WEIGHT(dest_, name_, cols_, rows_, dims_)                                                  \
    do {                                                                                           \
        const GGUFTensor *t_ = find_weight(f, name_, cols_, rows_, dims_, err);                    \
        if (!t_) goto fail;                                                                        \
        slots[n_slots].tensor = t_;                                                                \
        slots[n_slots].dest = &(dest_);                                                            \
        n_slots++;                                                                                 \
    } while (0)
    char name[64];
    WEIGHT(w->token_embd, "token_embd.weight", dim, vocab, 2);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        snprintf(name, sizeof(name), "blk.%d.attn_norm.weight", l);
        WEIGHT(lw->attn_norm, name, dim, 1, 1);
        snprintf(name, sizeof(name), "blk.%d.attn_q.weight", l);
        WEIGHT(lw->wq, name, dim, q_dim, 2);
        snprintf(name, sizeof(name), "blk.%d.attn_k.weight", l);
        WEIGHT(lw->wk, name, dim, kv_dim, 2);
        snprintf(name, sizeof(name), "blk.%d.attn_v.weight", l);
        WEIGHT(lw->wv, name, dim, kv_dim, 2);
        snprintf(name, sizeof(name), "blk.%d.attn_output.weight", l);
        WEIGHT(lw->wo, name, q_dim, dim, 2);
        snprintf(name, sizeof(name), "blk.%d.ffn_norm.weight", l);
        WEIGHT(lw->ffn_norm, name, dim, 1, 1);
        snprintf(name, sizeof(name), "blk.%d.ffn_gate.weight", l);
        WEIGHT(lw->w_gate, name, dim, hidden, 2);
        snprintf(name, sizeof(name), "blk.%d.ffn_up.weight", l);
        WEIGHT(lw->w_up, name, dim, hidden, 2);
        snprintf(name, sizeof(name), "blk.%d.ffn_down.weight", l);
        WEIGHT(lw->w_down, name, hidden, dim, 2);
    }
    WEIGHT(w->output_norm, "output_norm.weight", dim, 1, 1);
    if (gguf_find_tensor(f, "output.weight")) {
        WEIGHT(w->output, "output.weight", dim, vocab, 2);
    } else {
        w->tied = 1;
    }
#undef WEIGHT

    /* F32 weights are used where they lie in the map; the others are converted into one block. */
    size_t owned_floats = 0;
    for (int i = 0; i < n_slots; i++)
        if (!usable_in_place(slots[i].tensor)) owned_floats += (size_t)slots[i].tensor->n_elems;
    if (owned_floats) m->owned = gb_malloc(owned_floats * sizeof(float));
    float *p = m->owned;
    for (int i = 0; i < n_slots; i++) {
        const GGUFTensor *t = slots[i].tensor;
        if (usable_in_place(t)) {
            *slots[i].dest =
                (float *)t->data; /* read-only map: the forward pass never writes weights */
        } else {
            gguf_tensor_to_f32(p, t);
            *slots[i].dest = p;
            p += t->n_elems;
        }
    }
    if (w->tied) w->output = w->token_embd;
    free(slots);
    slots = NULL;

    GGUFString gname;
    if (gguf_get_string(f, "general.name", &gname) && gname.len > 0)
        snprintf(m->name, sizeof(m->name), "%.*s", (int)(gname.len > 127 ? 127 : gname.len),
                 gname.data);
    else
        snprintf(m->name, sizeof(m->name), "%s", base_name(path));

    if (alloc_state(m, path, err) < 0) goto fail;
    return 0;

fail:
    free(slots);
    model_free(m);
    return -1;
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

/* Adds one weight, converting to type where its rows allow (Q8_0 needs rows that are a multiple of
 * 32; a norm or odd-sized row stays F32, as llama.cpp's quantiser also keeps 1-D tensors in F32).
 */
static void add_weight(GGUFWriter *gw, const char *name, uint32_t type, uint64_t cols,
                       uint64_t rows, int n_dims, const float *data) {
    uint64_t ne[2] = {cols, rows};
    if (n_dims == 1) type = GGML_TYPE_F32;
    if (type == GGML_TYPE_Q8_0 && cols % 32 != 0) type = GGML_TYPE_F32;
    gguf_writer_add_tensor(gw, name, type, (uint32_t)n_dims, ne, data);
}

void model_add_to_writer(GGUFWriter *gw, const Model *m, uint32_t type) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    gguf_writer_set_string(gw, "general.architecture", "llama");
    gguf_writer_set_string(gw, "general.name", m->name);
    gguf_writer_set_u32(gw, "llama.context_length", (uint32_t)c->context_length);
    gguf_writer_set_u32(gw, "llama.embedding_length", (uint32_t)c->dim);
    gguf_writer_set_u32(gw, "llama.block_count", (uint32_t)c->n_layers);
    gguf_writer_set_u32(gw, "llama.feed_forward_length", (uint32_t)c->hidden_dim);
    gguf_writer_set_u32(gw, "llama.attention.head_count", (uint32_t)c->n_heads);
    gguf_writer_set_u32(gw, "llama.attention.head_count_kv", (uint32_t)c->n_kv_heads);
    gguf_writer_set_u32(gw, "llama.rope.dimension_count", (uint32_t)c->rope_dim);
    gguf_writer_set_f32(gw, "llama.rope.freq_base", c->rope_base);
    gguf_writer_set_f32(gw, "llama.attention.layer_norm_rms_epsilon", c->norm_eps);

    /* Our RoPE rotates adjacent pairs, as llama.cpp does for llama files: Q and K rows are written
     * in the order we use them, no permutation. */
    uint64_t dim = (uint64_t)c->dim, hidden = (uint64_t)c->hidden_dim,
             vocab = (uint64_t)c->vocab_size;
    uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
             kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
    char name[64];
    add_weight(gw, "token_embd.weight", type, dim, vocab, 2, w->token_embd);
    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        snprintf(name, sizeof(name), "blk.%d.attn_norm.weight", l);
        add_weight(gw, name, type, dim, 1, 1, lw->attn_norm);
        snprintf(name, sizeof(name), "blk.%d.attn_q.weight", l);
        add_weight(gw, name, type, dim, q_dim, 2, lw->wq);
        snprintf(name, sizeof(name), "blk.%d.attn_k.weight", l);
        add_weight(gw, name, type, dim, kv_dim, 2, lw->wk);
        snprintf(name, sizeof(name), "blk.%d.attn_v.weight", l);
        add_weight(gw, name, type, dim, kv_dim, 2, lw->wv);
        snprintf(name, sizeof(name), "blk.%d.attn_output.weight", l);
        add_weight(gw, name, type, q_dim, dim, 2, lw->wo);
        snprintf(name, sizeof(name), "blk.%d.ffn_norm.weight", l);
        add_weight(gw, name, type, dim, 1, 1, lw->ffn_norm);
        snprintf(name, sizeof(name), "blk.%d.ffn_gate.weight", l);
        add_weight(gw, name, type, dim, hidden, 2, lw->w_gate);
        snprintf(name, sizeof(name), "blk.%d.ffn_up.weight", l);
        add_weight(gw, name, type, dim, hidden, 2, lw->w_up);
        snprintf(name, sizeof(name), "blk.%d.ffn_down.weight", l);
        add_weight(gw, name, type, hidden, dim, 2, lw->w_down);
    }
    add_weight(gw, "output_norm.weight", type, dim, 1, 1, w->output_norm);
    if (!w->tied) add_weight(gw, "output.weight", type, dim, vocab, 2, w->output);
}
