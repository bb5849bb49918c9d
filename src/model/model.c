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
 * kernels.c reads them in place. Loading a file, a random model and writing one: model_file.c. */
#include "model.h"
#include "model_internal.h"

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
int model_check_config(Config *c, const char *what, char *err) {
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
#define PREFAULT_MAX_BYTES ((size_t)32 << 20)
static void prefault_small(void *p, size_t bytes) {
    if (bytes <= PREFAULT_MAX_BYTES) memset(p, 0, bytes);
}

int model_alloc_state(Model *m, const char *what, char *err) {
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
