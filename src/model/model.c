/* The llama forward pass, written to be read beside the attention view.
 *
 * One call to model_forward pushes one token through the network at one position:
 *
 *   x = token_embd[token]                                  the residual stream, (dim)
 *   for each layer:
 *       xb  = rmsnorm(x) * attn_norm
 *       q, k, v = Wq xb, Wk xb, Wv xb                      q (n_heads*hd), k and v (n_kv_heads*hd)
 *                 (+ bq, bk, bv in qwen2)
 *       rotate q and k by the position (RoPE: adjacent pairs in llama, halves in qwen2)
 *       store k, v in the cache at pos
 *       per head: scores = q . k[0..pos] / sqrt(hd), softmax, weighted sum of v[0..pos]
 *       x  += Wo (concatenated head outputs)
 *       xb  = rmsnorm(x) * ffn_norm
 *       x  += Wdown (silu(Wgate xb) * (Wup xb))             SwiGLU feed-forward
 *   logits = Wout (rmsnorm(x) * output_norm)
 *
 * Matrices are stored row-major as (rows = outputs, cols = inputs), exactly as a GGUF tensor with
 * ne = {inputs, outputs} lies in the file, so y = W x reads each row contiguously. They stay in the
 * file's type (F32, F16, BF16, or blocks of quantised integers with a scale each); matmul in
 * kernels.c reads them in place. */
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "rng.h"
#include "util.h"

/* Below this much work attention over all heads at one position (n_heads * positions * head_dim)
 * runs on one thread: below it, handing heads to the team costs about what it saves. */
#ifndef ATTENTION_PARALLEL_MIN
#define ATTENTION_PARALLEL_MIN (1 << 13)
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

/* In place: x = exp(x - max) / sum, so the largest score becomes exp(0) and nothing overflows.
 * (exp: vec_exp, a whole row at once, within 1 ulp of e^x.) */
static void softmax(float *x, int n) {
    float max = vec_max(x, n);
    for (int i = 0; i < n; i++)
        x[i] -= max;
    vec_exp(x, n);
    float sum = vec_sum(x, n);
    for (int i = 0; i < n; i++)
        x[i] /= sum;
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
 * are taken as pairs and pair i is rotated by its angle. llama files pair ADJACENT values
 * (v[2i], v[2i+1]); qwen2 files (llama.cpp's "NEOX" rope, as in Hugging Face's code) pair the two
 * halves (v[i], v[i + rope_dim/2]). The values past rope_dim are left as they are. */
static void rope(float *vec, int n_heads, int head_dim, int rope_dim, int neox, const float *cos_a,
                 const float *sin_a) {
    int half = rope_dim / 2;
    for (int h = 0; h < n_heads; h++) {
        float *head = vec + (size_t)h * head_dim;
        for (int i = 0; i < half; i++) {
            int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
            float x0 = head[i0], x1 = head[i1];
            head[i0] = x0 * cos_a[i] - x1 * sin_a[i];
            head[i1] = x0 * sin_a[i] + x1 * cos_a[i];
        }
    }
}

/* y (n) += b (n) when there is a bias */
static void add_bias(float *y, const float *b, int n) {
    if (!b) return;
    for (int i = 0; i < n; i++)
        y[i] += b[i];
}

/* SwiGLU's product: h = silu(h) * up (n), silu(x) = x / (1 + e^-x), e^-x by vec_exp. */
static void swiglu(float *h, const float *up, int n) {
    float e[256];
    for (int i0 = 0; i0 < n; i0 += 256) {
        int m = n - i0 < 256 ? n - i0 : 256;
        for (int i = 0; i < m; i++)
            e[i] = -h[i0 + i];
        vec_exp(e, m);
        for (int i = 0; i < m; i++)
            h[i0 + i] = h[i0 + i] / (1.0f + e[i]) * up[i0 + i];
    }
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
 *   threads: whether heads may be split across the team of threads (when the work is large enough) */
typedef struct {
    float *out, *att;
    const float *q, *k_layer, *v_layer;
    float *probe;
    const Config *c;
    int pos;
} AttentionJob;

/* Head h of an AttentionJob. */
static void attention_head(void *arg, long h, int thread) {
    (void)thread;
    const AttentionJob *j = arg;
    const Config *c = j->c;
    int hd = c->head_dim, pos = j->pos;
    size_t kv_dim = (size_t)c->n_kv_heads * hd;
    int group = c->n_heads / c->n_kv_heads; /* query heads that share one kv head */
    const float *q_h = j->q + (size_t)h * hd;    /* (head_dim) */
    size_t kv_off = (size_t)(h / group) * hd;    /* this head's slice of a cache row */
    float *att_h = j->att + (size_t)h * c->seq_len; /* (pos + 1) used */
    attn_scores(att_h, q_h, j->k_layer + kv_off, kv_dim, pos + 1, hd, 1.0f / sqrtf((float)hd));
    softmax(att_h, pos + 1);
    attn_mix(j->out + (size_t)h * hd, att_h, j->v_layer + kv_off, kv_dim, pos + 1, hd);
    if (j->probe) {
        float *row = j->probe + ((size_t)h * c->seq_len + pos) * c->seq_len; /* (seq_len) */
        memcpy(row, att_h, (size_t)(pos + 1) * sizeof(float));
        memset(row + pos + 1, 0, (size_t)(c->seq_len - pos - 1) * sizeof(float));
    }
}

static void attention(float *out, float *att, const float *q, const float *k_layer,
                      const float *v_layer, float *probe, const Config *c, int pos, int threads) {
    AttentionJob j = {out, att, q, k_layer, v_layer, probe, c, pos};
    long work = (long)c->n_heads * (pos + 1) * c->head_dim;
    team_run(c->n_heads, attention_head, &j, threads && work >= ATTENTION_PARALLEL_MIN ? team_size() : 1);
}

/* ------------------------------------------------------------------------------------------------
 * One position */

/* out_logits (vocab) = output head (final norm (residual)), with xn (dim) as the normed row. */
static void head_logits(const Model *m, float *out_logits, const float *residual, float *xn) {
    const Config *c = &m->config;
    rmsnorm(xn, residual, m->weights.output_norm, c->dim, c->norm_eps);
    matmul(out_logits, xn, m->weights.output, c->dim, c->vocab_size);
}

float *model_forward(Model *m, int32_t token, int pos) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    RunState *s = &m->state;
    if (token < 0 || token >= c->vocab_size || pos < 0 || pos >= c->seq_len) return NULL;
    int dim = c->dim;
    int q_dim = c->n_heads * c->head_dim;
    int kv_dim = c->n_kv_heads * c->head_dim;
    int hidden = c->hidden_dim;

    matrix_row(s->x, w->token_embd, token, dim);
    rope_angles(s->rope_cos, s->rope_sin, pos, c->rope_dim, c->rope_base);

    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        float *k_layer = s->key_cache + (size_t)l * c->seq_len * kv_dim;   /* (seq_len, kv_dim) */
        float *v_layer = s->value_cache + (size_t)l * c->seq_len * kv_dim; /* (seq_len, kv_dim) */
        float *k = k_layer + (size_t)pos * kv_dim;                         /* (kv_dim) */
        float *v = v_layer + (size_t)pos * kv_dim;                         /* (kv_dim) */

        /* attention block: q, k, v of this position; k and v go straight into the cache */
        rmsnorm(s->xb, s->x, lw->attn_norm, dim, c->norm_eps);
        MatJob qkv[3] = {{s->q, lw->wq, q_dim}, {k, lw->wk, kv_dim}, {v, lw->wv, kv_dim}};
        matmul_many(s->xb, dim, qkv, 3);
        add_bias(s->q, lw->bq, q_dim);
        add_bias(k, lw->bk, kv_dim);
        add_bias(v, lw->bv, kv_dim);
        rope(s->q, c->n_heads, c->head_dim, c->rope_dim, c->rope_neox, s->rope_cos, s->rope_sin);
        rope(k, c->n_kv_heads, c->head_dim, c->rope_dim, c->rope_neox, s->rope_cos, s->rope_sin);

        float *probe = m->probes.enabled
                           ? m->probes.attn + (size_t)l * c->n_heads * c->seq_len * c->seq_len
                           : NULL;
        attention(s->att_out, s->att, s->q, k_layer, v_layer, probe, c, pos, 1);
        matmul(s->xb2, s->att_out, lw->wo, q_dim, dim);
        for (int i = 0; i < dim; i++)
            s->x[i] += s->xb2[i];

        /* feed-forward block: SwiGLU */
        rmsnorm(s->xb, s->x, lw->ffn_norm, dim, c->norm_eps);
        matmul_gated(s->hb, s->hb2, s->xb, lw->w_gate, lw->w_up, dim, hidden, swiglu); /* silu(gate) * up */
        matmul(s->xb2, s->hb, lw->w_down, hidden, dim);
        for (int i = 0; i < dim; i++)
            s->x[i] += s->xb2[i];

        if (m->probes.enabled)
            memcpy(m->probes.residual + ((size_t)l * c->seq_len + pos) * dim, s->x,
                   (size_t)dim * sizeof(float));
    }

    head_logits(m, s->logits, s->x, s->xb); /* what model_logits_from_residual does, without its allocation */
    return s->logits;
}

void model_logits_from_residual(const Model *m, float *out_logits, const float *residual) {
    float *xn = gb_malloc((size_t)m->config.dim * sizeof(float)); /* (dim); not the run state's: m stays untouched */
    head_logits(m, out_logits, residual, xn);
    free(xn);
}

/* ------------------------------------------------------------------------------------------------
 * A whole prompt at once: the same computation, but every projection of the n positions is one
 * matrix-matrix product (X . W^T with X (n, in)), which reuses each weight n times while it is in
 * cache. Attention still goes position by position, since position i sees only keys 0..i. */

#ifndef PROMPT_ATTENTION_THREADS
#define PROMPT_ATTENTION_THREADS 0
#endif

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
        matrix_row(x + (size_t)i * dim, w->token_embd, tokens[i], dim);
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
        matmul_batch(q, xb, lw->wq, n, dim, q_dim);
        matmul_batch(k, xb, lw->wk, n, dim, kv_dim);
        matmul_batch(v, xb, lw->wv, n, dim, kv_dim);
        for (int i = 0; i < n; i++) {
            const float *ca = cos_a + (size_t)i * half, *sa = sin_a + (size_t)i * half;
            float *qi = q + (size_t)i * q_dim, *ki = k + (size_t)i * kv_dim;
            add_bias(qi, lw->bq, q_dim);
            add_bias(ki, lw->bk, kv_dim);
            add_bias(v + (size_t)i * kv_dim, lw->bv, kv_dim);
            rope(qi, c->n_heads, c->head_dim, c->rope_dim, c->rope_neox, ca, sa);
            rope(ki, c->n_kv_heads, c->head_dim, c->rope_dim, c->rope_neox, ca, sa);
        }
        float *probe = m->probes.enabled
                           ? m->probes.attn + (size_t)l * c->n_heads * c->seq_len * c->seq_len
                           : NULL;
        /* One thread here (measured when the products ran on OpenBLAS's and OpenMP's threads, at
         * 256 positions and 16 threads: 6.5K tokens/s with this single-threaded, 4.3K with
         * threaded heads; not measured again since they run on the team). */
        for (int i = 0; i < n; i++)
            attention(ao + (size_t)i * q_dim, s->att, q + (size_t)i * q_dim, k_layer, v_layer,
                      probe, c, start_pos + i, PROMPT_ATTENTION_THREADS);
        matmul_batch(xb2, ao, lw->wo, n, q_dim, dim);
        for (size_t i = 0; i < (size_t)n * dim; i++)
            x[i] += xb2[i];

        for (int i = 0; i < n; i++)
            rmsnorm(xb + (size_t)i * dim, x + (size_t)i * dim, lw->ffn_norm, dim, c->norm_eps);
        matmul_batch(hb, xb, lw->w_gate, n, dim, hidden);
        matmul_batch(hb2, xb, lw->w_up, n, dim, hidden);
        for (int i = 0; i < n; i++)
            swiglu(hb + (size_t)i * hidden, hb2 + (size_t)i * hidden, hidden);
        matmul_batch(xb2, hb, lw->w_down, n, hidden, dim);
        for (size_t i = 0; i < (size_t)n * dim; i++)
            x[i] += xb2[i];

        if (m->probes.enabled)
            memcpy(m->probes.residual + ((size_t)l * c->seq_len + start_pos) * dim, x,
                   (size_t)n * dim * sizeof(float));
    }

    /* The last position's residual is left in the run state, as a step would leave it. */
    memcpy(s->x, x + (size_t)(n - 1) * dim, (size_t)dim * sizeof(float));
    if (all_logits) {
        /* Every position's logits in one product: (n, vocab) = norm(x) (n, dim) . output^T */
        for (int i = 0; i < n; i++)
            rmsnorm(xb + (size_t)i * dim, x + (size_t)i * dim, w->output_norm, dim, c->norm_eps);
        matmul_batch(all_logits, xb, w->output, n, dim, c->vocab_size);
        memcpy(s->logits, all_logits + (size_t)(n - 1) * c->vocab_size,
               (size_t)c->vocab_size * sizeof(float));
    } else {
        head_logits(m, s->logits, s->x, s->xb);
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

double model_work_per_token(const Model *m) {
    const Config *c = &m->config;
    double q_dim = (double)c->n_heads * c->head_dim, kv_dim = (double)c->n_kv_heads * c->head_dim;
    double layer = (double)c->dim * (2 * q_dim + 2 * kv_dim) + 3.0 * c->dim * c->hidden_dim;
    return c->n_layers * layer + (double)c->dim * c->vocab_size;
}

void model_limit_threads(const Model *m) {
    static int team = 0; /* the team size the process started with (OMP_NUM_THREADS, else cores) */
    if (team == 0) team = omp_get_max_threads();
    omp_set_num_threads(model_work_per_token(m) < MODEL_SMALL_WORK ? 1 : team);
    /* the team of threads (kernels.h) runs the products, BLAS inside it on one thread: BLAS's own
     * threads, which spin a while after each product, would take the cores the next step needs */
    openblas_set_num_threads(1);
}

int model_embedding(const Model *m, int32_t id, float *out) {
    if (id < 0 || id >= m->config.vocab_size) return -1;
    matrix_row(out, m->weights.token_embd, id, m->config.dim);
    return 0;
}

const char *model_arch_name(int arch) {
    return arch == ARCH_QWEN2 ? "qwen2" : "llama";
}

/* ------------------------------------------------------------------------------------------------
 * Building and freeing */

/* Checks the sizes of a configuration; fills head_dim and the defaults the caller left at 0. */
static int check_config(Config *c, const char *what, char *err) {
    if (c->n_kv_heads == 0) c->n_kv_heads = c->n_heads;
    if (c->arch != ARCH_LLAMA && c->arch != ARCH_QWEN2) {
        gb_seterr(err, "%s: unknown architecture %d", what, c->arch);
        return -1;
    }
    c->rope_neox = c->arch == ARCH_QWEN2;
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

/* Largest KV cache glassbox allocates (keys and values, all layers), in floats: 8 GiB. */
#define KV_CACHE_MAX_FLOATS ((uint64_t)1 << 31)

/* Run state for config c (all zero: a fresh cache); no probes (model_enable_probes). Returns -1 when
 * the KV cache would be larger than glassbox allocates. */
/* Buffers that fill as positions come (the key/value cache, the probes) are calloc'd, so the pages
 * of positions never reached cost no memory; a small one (at most PREFAULT_MAX_BYTES) is written
 * once at allocation instead, so that a step does not pay a page fault every few positions (the
 * shipped model: 8 faults a step, a few per cent of its time). */
#define PREFAULT_MAX_BYTES ((size_t)16 << 20)
static void prefault_small(void *p, size_t bytes) {
    if (bytes <= PREFAULT_MAX_BYTES) memset(p, 0, bytes);
}

static int alloc_state(Model *m, const char *what, char *err) {
    const Config *c = &m->config;
    RunState *s = &m->state;
    size_t dim = (size_t)c->dim, q_dim = (size_t)c->n_heads * c->head_dim;
    size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim, seq = (size_t)c->seq_len;
    uint64_t kv_n;
    if (gb_mul_overflow((uint64_t)c->n_layers * 2 * kv_dim, (uint64_t)seq, &kv_n) ||
        kv_n > KV_CACHE_MAX_FLOATS) {
        gb_seterr(err,
                  "%s: the key/value cache for %d layers x %zu positions x %zu would exceed 8 GiB; "
                  "choose a shorter context (--ctx N)",
                  what, c->n_layers, seq, kv_dim);
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
    prefault_small(s->key_cache, (size_t)c->n_layers * seq * kv_dim * sizeof(float));
    prefault_small(s->value_cache, (size_t)c->n_layers * seq * kv_dim * sizeof(float));
    s->rope_cos = gb_calloc((size_t)c->rope_dim / 2 + 1, sizeof(float));
    s->rope_sin = gb_calloc((size_t)c->rope_dim / 2 + 1, sizeof(float));
    return 0;
}

int model_probe_bytes(const Config *c, uint64_t *bytes) {
    uint64_t seq = (uint64_t)c->seq_len, attn, resid;
    if (gb_mul_overflow((uint64_t)c->n_layers * c->n_heads, seq * seq, &attn) ||
        gb_mul_overflow((uint64_t)c->n_layers * seq, (uint64_t)c->dim, &resid) ||
        gb_add_overflow(attn, resid, &attn) || gb_mul_overflow(attn, sizeof(float), bytes))
        return -1;
    return 0;
}

int model_enable_probes(Model *m, char *err) {
    const Config *c = &m->config;
    if (m->probes.attn) {
        m->probes.enabled = 1;
        return 0;
    }
    uint64_t bytes;
    if (model_probe_bytes(c, &bytes) != 0 || bytes > MODEL_PROBES_MAX_BYTES) {
        gb_seterr(err,
                  "%s: attention probes for %d layers x %d heads x %d^2 positions would exceed %d MiB; "
                  "choose a shorter context (--ctx N)",
                  m->name, c->n_layers, c->n_heads, c->seq_len, (int)(MODEL_PROBES_MAX_BYTES >> 20));
        return -1;
    }
    size_t seq = (size_t)c->seq_len;
    /* calloc of a large block maps zero pages lazily: rows never computed cost no memory */
    m->probes.attn = gb_calloc((size_t)c->n_layers * c->n_heads * seq * seq, sizeof(float));
    m->probes.residual = gb_calloc((size_t)c->n_layers * seq * c->dim, sizeof(float));
    prefault_small(m->probes.attn, (size_t)c->n_layers * c->n_heads * seq * seq * sizeof(float));
    prefault_small(m->probes.residual, (size_t)c->n_layers * seq * c->dim * sizeof(float));
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
    size_t embd, norm, wq, wkv, wo, ffn, bq, bkv; /* bq, bkv: 0 without biases */
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
    z.bq = c->arch == ARCH_QWEN2 ? q_dim : 0;
    z.bkv = c->arch == ARCH_QWEN2 ? kv_dim : 0;
    return z;
}

/* Approximately normal(0, 1): the sum of 12 uniforms minus 6 (mean 0, variance 1). */
static float next_normal(uint64_t *state) {
    double sum = 0.0;
    for (int i = 0; i < 12; i++)
        sum += (double)(rng_xorshift64star(state) >> 11) * (1.0 / 9007199254740992.0);
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

/* 2^28 floats, 1 GiB: far beyond what glassbox shows, and an allocation that cannot abort the tool. */
#define RANDOM_MODEL_MAX_PARAMS ((size_t)1 << 28)

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
    size_t per_layer = 2 * z.norm + z.wq + 2 * z.wkv + z.wo + 3 * z.ffn + z.bq + 2 * z.bkv;
    size_t total = z.embd + (size_t)c->n_layers * per_layer + z.norm;
    if (total > RANDOM_MODEL_MAX_PARAMS) {
        gb_seterr(err, "random model: %zu parameters, more than the %llu glassbox makes (smaller --dim, --ffn, "
                  "--layers or --vocab)", total, (unsigned long long)RANDOM_MODEL_MAX_PARAMS);
        model_free(m);
        return -1;
    }
    m->owned = gb_malloc(total * sizeof(float));
    m->weights.layers = gb_calloc((size_t)c->n_layers, sizeof(LayerWeights));

    uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (state == 0) state = 1; /* xorshift must not start at zero */
    float std = 0.02f;
    float *p = m->owned;
    Weights *w = &m->weights;
    /* Each F32 matrix: the next n floats of `owned`, filled with noise. */
#define NORMAL_MATRIX(dest_, n_)                                                                   \
    do {                                                                                           \
        fill_normal(p, n_, std, &state);                                                           \
        dest_ = matrix_f32(p);                                                                     \
        p += n_;                                                                                   \
    } while (0)
    NORMAL_MATRIX(w->token_embd, z.embd);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        lw->attn_norm = p, p += z.norm;
        fill_ones(lw->attn_norm, z.norm);
        NORMAL_MATRIX(lw->wq, z.wq);
        NORMAL_MATRIX(lw->wk, z.wkv);
        NORMAL_MATRIX(lw->wv, z.wkv);
        NORMAL_MATRIX(lw->wo, z.wo);
        lw->ffn_norm = p, p += z.norm;
        fill_ones(lw->ffn_norm, z.norm);
        NORMAL_MATRIX(lw->w_gate, z.ffn);
        NORMAL_MATRIX(lw->w_up, z.ffn);
        NORMAL_MATRIX(lw->w_down, z.ffn);
        if (c->arch == ARCH_QWEN2) { /* qwen2's biases on q, k, v: small noise */
            lw->bq = p, p += z.bq;
            lw->bk = p, p += z.bkv;
            lw->bv = p, p += z.bkv;
            fill_normal(lw->bq, z.bq, std, &state);
            fill_normal(lw->bk, z.bkv, std, &state);
            fill_normal(lw->bv, z.bkv, std, &state);
        }
    }
#undef NORMAL_MATRIX
    w->output_norm = p, p += z.norm;
    fill_ones(w->output_norm, z.norm);
    w->output = w->token_embd;
    w->tied = 1;
    snprintf(m->name, sizeof(m->name), "random-%llu", (unsigned long long)seed);
    return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Loading a GGUF file */

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
        gb_seterr(err,
                  "%s: tensor '%s' has ggml type %u, which glassbox does not support (F32, F16, "
                  "BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)",
                  f->path, name, t->type);
        return NULL;
    }
    return t;
}

/* One weight while loading: which tensor, and where it goes: a float vector (norms, biases) or a
 * matrix in its own type. */
typedef struct {
    const GGUFTensor *tensor;
    float **vec;
    Matrix *mat;
} WeightSlot;

/* Data in the map can be used in place when aligned for its elements (it always is in a
 * well-formed file: the data section and every offset are multiples of the alignment). A vector
 * must also be F32. */
static int usable_in_place(const WeightSlot *s) {
    if ((uintptr_t)s->tensor->data % sizeof(float) != 0) return 0;
    return s->mat || s->tensor->type == GGML_TYPE_F32;
}

/* Floats of `owned` a slot needs when it cannot be used in place. */
static size_t owned_floats_for(const WeightSlot *s) {
    if (usable_in_place(s)) return 0;
    if (s->vec) return (size_t)s->tensor->n_elems;
    return ((size_t)s->tensor->n_bytes + sizeof(float) - 1) / sizeof(float); /* a copy, same type */
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
    if (gguf_string_eq(arch, "llama")) {
        c->arch = ARCH_LLAMA;
    } else if (gguf_string_eq(arch, "qwen2")) {
        c->arch = ARCH_QWEN2;
    } else {
        gb_seterr(err,
                  "%s: architecture '%.*s' is not supported (glassbox runs llama and qwen2 models)",
                  path, (int)(arch.len > 64 ? 64 : arch.len), arch.data);
        goto fail;
    }
    /* The keys are the same for both architectures, under the architecture's name. */
    const char *an = model_arch_name(c->arch);
    char k_ctx[64], k_embd[64], k_blocks[64], k_ffn[64], k_heads[64], k_kv[64], k_base[64],
        k_eps[64], k_rope[64];
    snprintf(k_ctx, sizeof k_ctx, "%s.context_length", an);
    snprintf(k_embd, sizeof k_embd, "%s.embedding_length", an);
    snprintf(k_blocks, sizeof k_blocks, "%s.block_count", an);
    snprintf(k_ffn, sizeof k_ffn, "%s.feed_forward_length", an);
    snprintf(k_heads, sizeof k_heads, "%s.attention.head_count", an);
    snprintf(k_kv, sizeof k_kv, "%s.attention.head_count_kv", an);
    snprintf(k_base, sizeof k_base, "%s.rope.freq_base", an);
    snprintf(k_eps, sizeof k_eps, "%s.attention.layer_norm_rms_epsilon", an);
    snprintf(k_rope, sizeof k_rope, "%s.rope.dimension_count", an);
    if (read_size_key(f, k_ctx, 1, 0, &c->context_length, err) < 0 ||
        read_size_key(f, k_embd, 1, 0, &c->dim, err) < 0 ||
        read_size_key(f, k_blocks, 1, 0, &c->n_layers, err) < 0 ||
        read_size_key(f, k_ffn, 1, 0, &c->hidden_dim, err) < 0 ||
        read_size_key(f, k_heads, 1, 0, &c->n_heads, err) < 0 ||
        read_size_key(f, k_kv, 0, c->n_heads, &c->n_kv_heads, err) < 0 ||
        read_float_key(f, k_base, 10000.0f, &c->rope_base, err) < 0 ||
        read_float_key(f, k_eps, 1e-5f, &c->norm_eps, err) < 0)
        goto fail;
    if (c->dim % c->n_heads != 0) {
        gb_seterr(err, "%s: embedding length %d is not a multiple of the head count %d", path,
                  c->dim, c->n_heads);
        goto fail;
    }
    if (read_size_key(f, k_rope, 0, c->dim / c->n_heads, &c->rope_dim, err) < 0) goto fail;

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
    slots = gb_calloc((size_t)c->n_layers * 12 + 3, sizeof(WeightSlot));
    int n_slots = 0;
    Weights *w = &m->weights;
    /* A matrix (MAT) or a float vector (VEC): found, shape checked, destination noted. */
#define SLOT(vec_, mat_, name_, cols_, rows_, dims_)                                               \
    do {                                                                                           \
        const GGUFTensor *t_ = find_weight(f, name_, cols_, rows_, dims_, err);                    \
        if (!t_) goto fail;                                                                        \
        slots[n_slots].tensor = t_;                                                                \
        slots[n_slots].vec = vec_;                                                                 \
        slots[n_slots].mat = mat_;                                                                 \
        n_slots++;                                                                                 \
    } while (0)
#define MAT(dest_, name_, cols_, rows_) SLOT(NULL, &(dest_), name_, cols_, rows_, 2)
#define VEC(dest_, name_, cols_) SLOT(&(dest_), NULL, name_, cols_, 1, 1)
    char name[64];
    MAT(w->token_embd, "token_embd.weight", dim, vocab);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        const int D = dim, Q = q_dim, K = kv_dim, H = hidden;
#define LOAD_MAT(field, cols, rows) MAT(lw->field, name, cols, rows)
#define LOAD_VEC(field, cols, rows) VEC(lw->field, name, cols)
#define LOAD(field, suffix, cols, rows, kind, heavy)                                               \
    snprintf(name, sizeof(name), "blk.%d." suffix ".weight", l);                                   \
    LOAD_##kind(field, cols, rows);
        LLAMA_BLOCK_TENSORS(LOAD)
        /* Biases: qwen2 files have them on q, k and v; llama.cpp also takes them when a llama
         * file has them. */
#define LOAD_BIAS(field, suffix, n)                                                                \
    snprintf(name, sizeof(name), "blk.%d." suffix ".bias", l);                                     \
    if (c->arch == ARCH_QWEN2 || gguf_find_tensor(f, name)) VEC(lw->field, name, n);
        LLAMA_BLOCK_BIASES(LOAD_BIAS)
#undef LOAD_BIAS
#undef LOAD
#undef LOAD_VEC
#undef LOAD_MAT
    }
    VEC(w->output_norm, "output_norm.weight", dim);
    if (gguf_find_tensor(f, "output.weight")) {
        MAT(w->output, "output.weight", dim, vocab);
    } else {
        w->tied = 1;
    }
#undef MAT
#undef VEC
#undef SLOT

    /* Matrices stay where they lie in the map, in their type; vectors that are not F32 are
     * converted, and a tensor misaligned in the map (only in a malformed file) is copied. */
    size_t owned_floats = 0;
    for (int i = 0; i < n_slots; i++)
        owned_floats += owned_floats_for(&slots[i]);
    if (owned_floats) m->owned = gb_malloc(owned_floats * sizeof(float));
    float *p = m->owned;
    for (int i = 0; i < n_slots; i++) {
        const WeightSlot *sl = &slots[i];
        const GGUFTensor *t = sl->tensor;
        /* read-only map: the forward pass never writes weights */
        const void *data = t->data;
        if (!usable_in_place(sl)) {
            if (sl->vec) gguf_tensor_to_f32(p, t);
            else memcpy(p, t->data, (size_t)t->n_bytes);
            data = p;
            p += owned_floats_for(sl);
        }
        if (sl->vec) {
            *sl->vec = (float *)data;
        } else {
            sl->mat->data = data;
            sl->mat->type = t->type;
        }
    }
    if (w->tied) w->output = w->token_embd;
    free(slots);
    slots = NULL;

    GGUFString gname;
    if (gguf_get_string(f, "general.name", &gname) && gname.len > 0) /* shown everywhere: printable */
        gb_printable(gname.data, gname.len > 127 ? 127 : (size_t)gname.len, m->name, sizeof(m->name), 0);
    else
        snprintf(m->name, sizeof(m->name), "%s", gb_base_name(path));

    if (alloc_state(m, path, err) < 0) goto fail;
    return 0;

fail:
    free(slots);
    model_free(m);
    return -1;
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

/* The type a matrix is written in: the one asked for when its rows are a whole number of that type's
 * blocks, else Q8_0 when they are a multiple of 32 (llama.cpp's quantiser also falls back), else F32.
 * `heavy` marks the matrices MODEL_TYPE_Q4_K_M keeps in Q6_K. */
static uint32_t matrix_type(uint32_t type, uint64_t cols, int heavy) {
    if (type == MODEL_TYPE_Q4_K_M) type = heavy ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
    if (cols % (uint64_t)quant_block_size(type) == 0) return type;
    return cols % 32 == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F32;
}

/* Adds one matrix (rows, cols) converted to type; one of another type is dequantised first. */
static void add_matrix(GGUFWriter *gw, const char *name, uint32_t type, int heavy, uint64_t cols,
                       uint64_t rows, Matrix w) {
    uint64_t ne[2] = {cols, rows};
    float *tmp = NULL;
    const float *data = w.data;
    if (w.type != GGML_TYPE_F32) {
        tmp = gb_malloc((size_t)(cols * rows) * sizeof(float));
        quant_dequantize(tmp, w.data, w.type, cols * rows);
        data = tmp;
    }
    gguf_writer_add_tensor(gw, name, matrix_type(type, cols, heavy), 2, ne, data);
    free(tmp);
}

/* Norms and biases: F32, as llama.cpp's quantiser also keeps 1-D tensors. */
static void add_vector(GGUFWriter *gw, const char *name, uint64_t n, const float *data) {
    gguf_writer_add_tensor(gw, name, GGML_TYPE_F32, 1, &n, data);
}

void model_add_to_writer(GGUFWriter *gw, const Model *m, uint32_t type) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    const char *an = model_arch_name(c->arch);
    char key[96];
#define KEY(suffix_) (snprintf(key, sizeof key, "%s.%s", an, suffix_), key)
    gguf_writer_set_string(gw, "general.architecture", an);
    gguf_writer_set_string(gw, "general.name", m->name);
    gguf_writer_set_u32(gw, KEY("context_length"), (uint32_t)c->context_length);
    gguf_writer_set_u32(gw, KEY("embedding_length"), (uint32_t)c->dim);
    gguf_writer_set_u32(gw, KEY("block_count"), (uint32_t)c->n_layers);
    gguf_writer_set_u32(gw, KEY("feed_forward_length"), (uint32_t)c->hidden_dim);
    gguf_writer_set_u32(gw, KEY("attention.head_count"), (uint32_t)c->n_heads);
    gguf_writer_set_u32(gw, KEY("attention.head_count_kv"), (uint32_t)c->n_kv_heads);
    gguf_writer_set_u32(gw, KEY("rope.dimension_count"), (uint32_t)c->rope_dim);
    gguf_writer_set_f32(gw, KEY("rope.freq_base"), c->rope_base);
    gguf_writer_set_f32(gw, KEY("attention.layer_norm_rms_epsilon"), c->norm_eps);
#undef KEY

    /* Q and K rows are written in the order our RoPE uses them (adjacent pairs for llama, halves
     * for qwen2, as llama.cpp reads each): no permutation. */
    uint64_t dim = (uint64_t)c->dim, hidden = (uint64_t)c->hidden_dim,
             vocab = (uint64_t)c->vocab_size;
    uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
             kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
    char name[64];
    add_matrix(gw, "token_embd.weight", type, w->tied, dim, vocab, w->token_embd);
    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        const uint64_t D = dim, Q = q_dim, K = kv_dim, H = hidden;
#define WRITE_MAT(field, cols, rows, heavy) add_matrix(gw, name, type, heavy, cols, rows, lw->field)
#define WRITE_VEC(field, cols, rows, heavy) add_vector(gw, name, cols, lw->field)
#define WRITE(field, suffix, cols, rows, kind, heavy)                                              \
    snprintf(name, sizeof(name), "blk.%d." suffix ".weight", l);                                   \
    WRITE_##kind(field, cols, rows, heavy);
        LLAMA_BLOCK_TENSORS(WRITE)
#define WRITE_BIAS(field, suffix, n)                                                               \
    if (lw->field) {                                                                               \
        snprintf(name, sizeof(name), "blk.%d." suffix ".bias", l);                                 \
        add_vector(gw, name, n, lw->field);                                                        \
    }
        LLAMA_BLOCK_BIASES(WRITE_BIAS)
#undef WRITE_BIAS
#undef WRITE
#undef WRITE_VEC
#undef WRITE_MAT
    }
    add_vector(gw, "output_norm.weight", dim, w->output_norm);
    if (!w->tied) add_matrix(gw, "output.weight", type, 1, dim, vocab, w->output);
}
