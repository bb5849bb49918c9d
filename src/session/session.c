#include "session.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "loader.h"
#include "util.h"
#include "viewdata.h"

static int vocab_of(const Session *s) { return s->model.config.vocab_size; }
static int seq_of(const Session *s) { return s->model.config.seq_len; }

static void text_reserve(Session *s, size_t need) {
    if (need + 1 <= s->text_cap) return;
    size_t cap = s->text_cap ? s->text_cap : 256;
    while (cap < need + 1) cap *= 2;
    s->text = gb_realloc(s->text, cap);
    s->text_cap = cap;
}

/* Allocations that depend on the model's sizes. */
static void session_setup(Session *s) {
    int seq = seq_of(s), vocab = vocab_of(s);
    s->tokens = gb_calloc((size_t)seq, sizeof(SessionToken));
    s->steps = gb_calloc((size_t)seq, sizeof(SessionStep));
    s->written_at = gb_calloc((size_t)seq, sizeof(uint64_t));
    distribution_init(&s->next, vocab);
    s->scratch = gb_calloc((size_t)vocab, sizeof(float));
    text_reserve(s, 256);
    s->text[0] = 0;
    s->text_len = s->prompt_len = 0;
    s->n_tokens = s->n_prompt = 0;
    s->has_next = 0;
    s->selected = -1;
    s->span_first = s->span_last = -1;
    s->neigh_token = -1;
    s->layer = s->head = 0;
}

void session_init(Session *s, Model *m, Tokenizer *tok) {
    memset(s, 0, sizeof *s);
    s->model = *m;
    memset(m, 0, sizeof *m);
    s->has_model = 1;
    s->tok = tok;
    char err[GB_ERRLEN];
    if (model_enable_probes(&s->model, err) != 0) fprintf(stderr, "glassbox: %s\n", err); /* tests' models fit */
    sampler_init(&s->sampler, 1.0f, 0, 1.0f, 1);
    session_setup(s);
}

/* Frees what depends on the model (not the text or the sampler). */
static void session_release_model(Session *s) {
    if (s->steps) {
        for (int i = 0; i < seq_of(s); i++)
            if (s->steps[i].used) distribution_free(&s->steps[i].dist);
    }
    free(s->steps);
    free(s->tokens);
    free(s->written_at);
    s->written_at = NULL;
    if (s->next.probs) distribution_free(&s->next);
    free(s->scratch);
    free(s->embd_norms);
    free(s->pca);
    viewdata_free(s);
    lens_column_free(&s->lens);
    free(s->lens_heat);
    free(s->lens_heat_at);
    s->lens_heat = NULL;
    s->lens_heat_at = NULL;
    s->lens_at = 0;
    if (s->tok) tokenizer_free(s->tok);
    if (s->has_model) model_free(&s->model);
    s->steps = NULL;
    s->tokens = NULL;
    s->scratch = s->embd_norms = s->pca = NULL;
    memset(&s->next, 0, sizeof s->next);
    s->tok = NULL;
    s->has_model = 0;
}

void session_free(Session *s) {
    session_release_model(s);
    free(s->text);
    memset(s, 0, sizeof *s);
}

/* Context length to ask for: the file's, capped so the probes fit MODEL_PROBES_MAX_BYTES when the
 * caller leaves it to us (*capped_from then says the file's length). */
static int choose_max_seq(const char *path, int max_seq, int *capped_from) {
    *capped_from = 0;
    if (max_seq > 0) return max_seq;
    GGUFFile f;
    char err[GB_ERRLEN];
    if (gguf_open(&f, path, err) != 0) return 0; /* model_load reports the error */
    int64_t ctx = 0, layers = 1, heads = 1, dim = 1;
    gguf_get_int(&f, "llama.context_length", &ctx);
    gguf_get_int(&f, "llama.block_count", &layers);
    gguf_get_int(&f, "llama.attention.head_count", &heads);
    gguf_get_int(&f, "llama.embedding_length", &dim);
    gguf_close(&f);
    if (ctx <= 0 || layers <= 0 || heads <= 0 || dim <= 0) return 0;
    /* heads * S^2 + dim * S floats per layer within the budget: the positive root of the quadratic */
    double b = (double)MODEL_PROBES_MAX_BYTES / 4.0 / (double)layers, h = (double)heads, d = (double)dim;
    double cap = floor((-d + sqrt(d * d + 4.0 * h * b)) / (2.0 * h));
    if ((double)ctx <= cap) return 0;
    if (cap < 1) cap = 1;
    *capped_from = ctx > INT32_MAX ? INT32_MAX : (int)ctx;
    return (int)cap;
}

int session_open(Session *s, const char *model_path, int max_seq, char *err) {
    memset(s, 0, sizeof *s);
    int capped_from;
    int seq = choose_max_seq(model_path, max_seq, &capped_from);
    if (loader_open(&s->model, &s->tok, model_path, seq, err) != 0) return -1;
    s->has_model = 1;
    if (model_enable_probes(&s->model, err) != 0) {
        tokenizer_free(s->tok);
        model_free(&s->model);
        memset(s, 0, sizeof *s);
        return -1;
    }
    if (capped_from > s->model.config.seq_len) s->context_capped_from = capped_from;
    s->add_bos = tokenizer_prompt_bos(s->tok) >= 0;
    snprintf(s->model_path, sizeof s->model_path, "%s", model_path);
    sampler_init(&s->sampler, 1.0f, 0, 1.0f, 1);
    session_setup(s);
    return 0;
}

int session_load_model(Session *s, const char *path, char *err) {
    Session fresh;
    if (session_open(&fresh, path, 0, err) != 0) return -1;
    fresh.sampler = s->sampler;
    fresh.version = s->version; /* keeps growing, so caches keyed on it see every position as new */
    char *prompt = gb_malloc(s->prompt_len + 1);
    memcpy(prompt, s->text, s->prompt_len);
    size_t plen = s->prompt_len;
    session_free(s);
    *s = fresh;
    int rc = session_set_prompt(s, prompt, plen, err);
    free(prompt);
    return rc;
}

/* Computes the distribution for position n_tokens from logits: the tokens before it are the history
 * the penalties look at. */
static void compute_next(Session *s, const float *logits) {
    int n = s->n_tokens;
    int32_t *history = gb_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    for (int p = 0; p < n; p++) history[p] = s->tokens[p].id;
    distribution_compute_ctx(&s->next, logits, &s->sampler, history, n);
    free(history);
}

/* Re-shapes the pending distribution with the current sampler settings, from its own logits. */
static void reshape_next(Session *s) {
    if (!s->has_next) return;
    memcpy(s->scratch, s->next.logits, sizeof(float) * (size_t)vocab_of(s));
    compute_next(s, s->scratch);
}

static int settings_differ(const Distribution *d, const Sampler *sm) {
    return !sampler_same_settings(&d->settings, sm);
}

static void append_bytes(Session *s, const char *bytes, size_t len) {
    text_reserve(s, s->text_len + len);
    memcpy(s->text + s->text_len, bytes, len);
    s->text_len += len;
    s->text[s->text_len] = 0;
}

int session_set_prompt(Session *s, const char *text, size_t len, char *err) {
    TokenSpan *spans = NULL;
    int n = tokenizer_encode(s->tok, text, len, &spans, err);
    if (n < 0) return -1;
    int total = n + (s->add_bos ? 1 : 0);
    if (total > seq_of(s)) {
        gb_seterr(err, "prompt: %d tokens do not fit the context of %d", total, seq_of(s));
        free(spans);
        return -1;
    }
    s->text_len = 0;
    append_bytes(s, text, len);
    s->prompt_len = len;
    int k = 0;
    if (s->add_bos) s->tokens[k++] = (SessionToken){.id = tokenizer_prompt_bos(s->tok)};
    for (int i = 0; i < n; i++)
        s->tokens[k++] = (SessionToken){.id = spans[i].id, .start = spans[i].start, .end = spans[i].end};
    free(spans);
    s->n_tokens = s->n_prompt = total;
    sampler_reseed(&s->sampler, s->sampler.seed);
    s->version++;
    for (int p = 0; p < total; p++) s->written_at[p] = s->version;
    float *logits = NULL;
    if (total > 0) {
        int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)total);
        for (int p = 0; p < total; p++) ids[p] = s->tokens[p].id;
        logits = model_forward_prompt(&s->model, ids, total, 0);
        free(ids);
        if (!logits) {
            gb_seterr(err, "prompt: a token id is outside the model's vocabulary of %d", vocab_of(s));
            s->n_tokens = s->n_prompt = 0;
            s->has_next = 0;
            return -1;
        }
    }
    s->has_next = total > 0;
    if (logits) compute_next(s, logits);
    s->selected = -1;
    s->span_first = s->span_last = -1;
    return 0;
}

/* Adds token id at position n_tokens, chosen from `next`, and runs it through the model. */
static int advance(Session *s, int32_t id, int picked, uint64_t rng_before, char *err) {
    int pos = s->n_tokens;
    SessionStep *st = &s->steps[pos];
    if (!st->used) {
        distribution_init(&st->dist, vocab_of(s));
        st->used = 1;
    }
    st->rng_before = rng_before;
    size_t blen = 0;
    const char *bytes = tokenizer_token_bytes(s->tok, id, &blen);
    if (!bytes) {
        gb_seterr(err, "token %d has no text in this vocabulary", id);
        return -1;
    }
    SessionToken *t = &s->tokens[pos];
    t->id = id;
    t->start = (uint32_t)s->text_len;
    append_bytes(s, bytes, blen);
    t->end = (uint32_t)s->text_len;
    t->generated = 1;
    t->picked = picked;
    t->prob = s->next.probs[id];
    t->prob_t1 = s->next.probs_t1[id];
    Distribution tmp = st->dist;
    st->dist = s->next;
    s->next = tmp;
    distribution_note_drawn(&st->dist, id); /* the chain table's last row: where it stood at each stage */
    s->n_tokens++;
    float *logits = model_forward(&s->model, id, pos);
    s->written_at[pos] = ++s->version;
    compute_next(s, logits);
    return 0;
}

static int check_can_advance(Session *s, const char *what, char *err) {
    if (!s->has_next) {
        gb_seterr(err, "%s: no prompt yet (type: prompt TEXT)", what);
        return -1;
    }
    if (s->n_tokens >= seq_of(s)) {
        gb_seterr(err, "%s: the context is full (%d tokens)", what, seq_of(s));
        return -1;
    }
    return 0;
}

int session_step(Session *s, int n, char *err) {
    int done = 0;
    for (; done < n; done++) {
        if (check_can_advance(s, "step", err) != 0) break;
        uint64_t rng_before = s->sampler.rng;
        int32_t id = sampler_sample(&s->sampler, &s->next);
        if (advance(s, id, 0, rng_before, err) != 0) break;
    }
    return done;
}

int session_pick(Session *s, int32_t id, char *err) {
    if (check_can_advance(s, "pick", err) != 0) return -1;
    if (id < 0 || id >= vocab_of(s)) {
        gb_seterr(err, "pick: token #%d is out of range (vocabulary of %d)", id, vocab_of(s));
        return -1;
    }
    return advance(s, id, 1, s->sampler.rng, err);
}

int session_back(Session *s, int n) {
    int k = 0;
    while (k < n && s->n_tokens > s->n_prompt) {
        int pos = s->n_tokens - 1;
        SessionStep *st = &s->steps[pos];
        Distribution tmp = st->dist;
        st->dist = s->next;
        s->next = tmp;
        s->sampler.rng = st->rng_before;
        s->text_len = s->tokens[pos].start;
        s->text[s->text_len] = 0;
        s->n_tokens--;
        k++;
    }
    if (k > 0) {
        s->has_next = 1;
        if (settings_differ(&s->next, &s->sampler)) reshape_next(s);
        if (s->selected >= s->n_tokens) s->selected = -1;
    }
    return k;
}

int session_resample(Session *s, int new_seed, char *err) {
    int count = s->n_tokens - s->n_prompt;
    if (count == 0) {
        gb_seterr(err, "resample: nothing generated yet (step first)");
        return -1;
    }
    session_back(s, count);
    sampler_reseed(&s->sampler, s->sampler.seed + (new_seed ? 1 : 0));
    return session_step(s, count, err) == count ? 0 : -1;
}

int session_set_temp(Session *s, float t, char *err) {
    if (!(t >= 0) || !isfinite(t)) {
        gb_seterr(err, "temp: expected a number \u2265 0, got %g", t);
        return -1;
    }
    s->sampler.temperature = t;
    reshape_next(s);
    return 0;
}

int session_set_topk(Session *s, int k, char *err) {
    if (k < 0) {
        gb_seterr(err, "topk: expected an integer \u2265 0, got %d", k);
        return -1;
    }
    s->sampler.top_k = k;
    reshape_next(s);
    return 0;
}

int session_set_topp(Session *s, float p, char *err) {
    if (!(p >= 0 && p <= 1)) {
        gb_seterr(err, "topp: expected a number between 0 and 1, got %g", p);
        return -1;
    }
    s->sampler.top_p = p;
    reshape_next(s);
    return 0;
}

int session_set_sampler_value(Session *s, const char *name, double v, char *err) {
    if (sampler_set_value(&s->sampler, name, v, err) != 0) return -1;
    reshape_next(s);
    return 0;
}

void session_set_sampler(Session *s, const Sampler *settings) {
    uint64_t seed = s->sampler.seed, rng = s->sampler.rng;
    s->sampler = *settings;
    s->sampler.seed = seed;
    s->sampler.rng = rng;
    reshape_next(s);
}

int session_set_samplers(Session *s, const char *list, char *err) {
    if (sampler_set_chain(&s->sampler, list, err) != 0) return -1;
    reshape_next(s);
    return 0;
}

void session_set_seed(Session *s, uint64_t seed) { sampler_reseed(&s->sampler, seed); }

int session_select(Session *s, int index, char *err) {
    if (index < -1 || index >= s->n_tokens) {
        gb_seterr(err, "select: expected a token index between 0 and %d (or -1), got %d", s->n_tokens - 1, index);
        return -1;
    }
    s->selected = index;
    s->span_first = s->span_last = -1; /* a single focus ends a span */
    return 0;
}

int session_select_span(Session *s, int first, int last, char *err) {
    if (first < 0) {
        s->span_first = s->span_last = -1;
        return 0;
    }
    int lo = first < last ? first : last, hi = first < last ? last : first;
    if (hi >= s->n_tokens) {
        gb_seterr(err, "select: the span %d..%d goes past the last token (%d)", lo, hi, s->n_tokens - 1);
        return -1;
    }
    s->span_first = lo;
    s->span_last = hi;
    s->selected = last;
    return 0;
}

int session_span(const Session *s, int *first, int *last) {
    if (s->span_first < 0 || s->span_first >= s->n_tokens) return 0;
    *first = s->span_first;
    *last = s->span_last < s->n_tokens ? s->span_last : s->n_tokens - 1;
    return 1;
}

int session_span_attention(const Session *s, int layer, int head, float *receives, float *gives, double *received,
                           double *given) {
    int a, b, n = s->n_tokens;
    if (!session_span(s, &a, &b) || !session_attention_row(s, layer, head, 0)) return -1;
    *received = *given = 0.0;
    for (int k = 0; k < n; k++) gives[k] = 0.0f;
    for (int q = 0; q < n; q++) {
        const float *row = session_attention_row(s, layer, head, q);
        double in = 0.0;
        for (int k = a; k <= b && k <= q; k++) in += row[k]; /* keys after q are masked out (zero) */
        receives[q] = (float)in;
        *received += in;
        if (q >= a && q <= b)
            for (int k = 0; k <= q; k++) gives[k] += row[k];
    }
    for (int k = 0; k < n; k++) *given += gives[k];
    return 0;
}

int session_selected(const Session *s) {
    if (s->n_tokens == 0) return -1;
    if (s->selected >= 0 && s->selected < s->n_tokens) return s->selected;
    return s->n_tokens - 1;
}

int session_set_layer(Session *s, int layer, char *err) {
    if (layer < 0 || layer >= s->model.config.n_layers) {
        gb_seterr(err, "layer: expected 0 to %d, got %d", s->model.config.n_layers - 1, layer);
        return -1;
    }
    s->layer = layer;
    return 0;
}

int session_set_head(Session *s, int head, char *err) {
    if (head < 0 || head >= s->model.config.n_heads) {
        gb_seterr(err, "head: expected 0 to %d, got %d", s->model.config.n_heads - 1, head);
        return -1;
    }
    s->head = head;
    return 0;
}

static void ensure_norms(Session *s) {
    if (s->embd_norms) return;
    int vocab = vocab_of(s), dim = s->model.config.dim;
    s->embd_norms = gb_malloc(sizeof(float) * (size_t)vocab);
    float *e = gb_malloc(sizeof(float) * (size_t)dim);
    for (int i = 0; i < vocab; i++) {
        model_embedding(&s->model, i, e);
        double acc = 0;
        for (int j = 0; j < dim; j++) acc += (double)e[j] * e[j];
        s->embd_norms[i] = (float)sqrt(acc);
    }
    free(e);
}

int session_neighbours(Session *s, int32_t id, int k, int32_t *ids, float *sims) {
    int vocab = vocab_of(s), dim = s->model.config.dim;
    if (id < 0 || id >= vocab || k <= 0) return 0;
    ensure_norms(s);
    float *q = gb_malloc(sizeof(float) * 2 * (size_t)dim), *e = q + dim; /* (dim) each */
    model_embedding(&s->model, id, q);
    float qn = s->embd_norms[id];
    int n = 0;
    for (int i = 0; i < vocab; i++) {
        if (i == id) continue;
        model_embedding(&s->model, i, e);
        float dot = 0;
        for (int j = 0; j < dim; j++) dot += q[j] * e[j];
        float denom = qn * s->embd_norms[i];
        float sim = denom > 0 ? dot / denom : 0;
        if (n == k && sim <= sims[n - 1]) continue;
        int at = n < k ? n++ : k - 1; /* insertion into the sorted list (ties keep the lower id first) */
        while (at > 0 && sims[at - 1] < sim) {
            sims[at] = sims[at - 1];
            ids[at] = ids[at - 1];
            at--;
        }
        sims[at] = sim;
        ids[at] = i;
    }
    free(q);
    return n;
}

/* Leading eigenvector of the symmetric (dim, dim) matrix c, orthogonal to `against` when given. */
static void power_iteration(float *v, const float *c, int dim, const float *against) {
    float *w = gb_malloc(sizeof(float) * (size_t)dim);
    for (int i = 0; i < dim; i++) v[i] = 1.0f + 0.01f * (float)(i % 7) - 0.003f * (float)i;
    for (int it = 0; it < 300; it++) {
        if (against) {
            float d = 0;
            for (int i = 0; i < dim; i++) d += v[i] * against[i];
            for (int i = 0; i < dim; i++) v[i] -= d * against[i];
        }
        double norm = 0;
        for (int i = 0; i < dim; i++) norm += (double)v[i] * v[i];
        norm = sqrt(norm);
        if (norm == 0) break;
        for (int i = 0; i < dim; i++) v[i] = (float)(v[i] / norm);
        double change = 0;
        for (int i = 0; i < dim; i++) {
            double acc = 0;
            for (int j = 0; j < dim; j++) acc += (double)c[(size_t)i * dim + j] * v[j];
            w[i] = (float)acc;
        }
        double wn = 0;
        for (int i = 0; i < dim; i++) wn += (double)w[i] * w[i];
        wn = sqrt(wn);
        if (wn == 0) break;
        for (int i = 0; i < dim; i++) {
            float nv = (float)(w[i] / wn);
            change += fabs(nv - v[i]);
            v[i] = nv;
        }
        if (change < 1e-6 * dim) break;
    }
    if (against) { /* final clean-up of rounding */
        float d = 0;
        for (int i = 0; i < dim; i++) d += v[i] * against[i];
        for (int i = 0; i < dim; i++) v[i] -= d * against[i];
    }
    /* fix the sign: the largest component positive */
    int big = 0;
    for (int i = 1; i < dim; i++)
        if (fabsf(v[i]) > fabsf(v[big])) big = i;
    if (v[big] < 0)
        for (int i = 0; i < dim; i++) v[i] = -v[i];
    free(w);
}

const float *session_pca(Session *s) {
    if (s->pca) return s->pca;
    int vocab = vocab_of(s), dim = s->model.config.dim;
    float *mean = gb_calloc((size_t)dim, sizeof(float));
    float *centred = gb_malloc(sizeof(float) * (size_t)vocab * dim); /* (vocab, dim) */
    for (int i = 0; i < vocab; i++) {
        float *e = centred + (size_t)i * dim;
        model_embedding(&s->model, i, e);
        for (int j = 0; j < dim; j++) mean[j] += e[j];
    }
    for (int j = 0; j < dim; j++) mean[j] /= (float)vocab;
    for (int i = 0; i < vocab; i++)
        for (int j = 0; j < dim; j++) centred[(size_t)i * dim + j] -= mean[j];
    float *cov = gb_calloc((size_t)dim * dim, sizeof(float)); /* (dim, dim) */
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, dim, vocab, 1.0f / (float)vocab, centred, dim, 0.0f, cov,
                dim);
    for (int i = 0; i < dim; i++) /* mirror the upper triangle */
        for (int j = 0; j < i; j++) cov[(size_t)i * dim + j] = cov[(size_t)j * dim + i];
    float *v1 = gb_malloc(sizeof(float) * (size_t)dim), *v2 = gb_malloc(sizeof(float) * (size_t)dim);
    power_iteration(v1, cov, dim, NULL);
    power_iteration(v2, cov, dim, v1);
    s->pca = gb_malloc(sizeof(float) * 2 * (size_t)vocab);
    s->pca_min[0] = s->pca_min[1] = INFINITY;
    s->pca_max[0] = s->pca_max[1] = -INFINITY;
    for (int i = 0; i < vocab; i++) {
        const float *x = centred + (size_t)i * dim;
        float a = 0, b = 0;
        for (int j = 0; j < dim; j++) {
            a += x[j] * v1[j];
            b += x[j] * v2[j];
        }
        s->pca[2 * i] = a;
        s->pca[2 * i + 1] = b;
        if (a < s->pca_min[0]) s->pca_min[0] = a;
        if (a > s->pca_max[0]) s->pca_max[0] = a;
        if (b < s->pca_min[1]) s->pca_min[1] = b;
        if (b > s->pca_max[1]) s->pca_max[1] = b;
    }
    free(mean);
    free(centred);
    free(cov);
    free(v1);
    free(v2);
    return s->pca;
}

int32_t session_find_token(const Session *s, const char *bytes, size_t len, int by_id, int32_t id, const char *what,
                           char *err) {
    if (by_id) {
        if (id < 0 || id >= vocab_of(s)) {
            gb_seterr(err, "%s: #%d is out of range (the vocabulary has %d tokens)", what, id, vocab_of(s));
            return -1;
        }
        return id;
    }
    if (len == 0) {
        gb_seterr(err, "%s: empty token (write \"text\" or #id)", what);
        return -1;
    }
    int32_t found = tokenizer_find(s->tok, bytes, len);
    if (found >= 0) return found;
    char shown[64];
    token_display(bytes, len, shown, sizeof shown);
    TokenSpan *spans = NULL;
    char e2[GB_ERRLEN];
    int n = tokenizer_encode(s->tok, bytes, len, &spans, e2);
    free(spans);
    if (n > 1)
        gb_seterr(err, "%s: no single token is '%s' (it splits into %d tokens)", what, shown, n);
    else
        gb_seterr(err, "%s: no token is '%s'", what, shown);
    return -1;
}

char *session_token_label(const Session *s, int32_t id, char *out, size_t outsz) {
    size_t len = 0;
    const char *bytes = s->tok ? tokenizer_token_bytes(s->tok, id, &len) : NULL;
    if (!bytes) {
        snprintf(out, outsz, "<#%d>", id);
        return out;
    }
    return token_display(bytes, len, out, outsz);
}

int session_char_count(const Session *s) {
    int n = 0;
    for (size_t i = 0; i < s->text_len; i++)
        if (((unsigned char)s->text[i] & 0xc0) != 0x80) n++;
    return n;
}

const LensColumn *session_lens(Session *s, int k) {
    int pos = session_selected(s);
    const Model *m = &s->model;
    if (pos < 0 || !m->probes.enabled || !m->probes.residual || k < 1) return NULL;
    int32_t chosen = pos + 1 < s->n_tokens ? s->tokens[pos + 1].id : -1;
    int fresh = s->lens_at == s->written_at[pos] && s->lens.pos == pos && s->lens.k == k;
    if (fresh && (chosen < 0 || s->lens.chosen == chosen)) return &s->lens;
    if (s->lens.k != k || s->lens.n_layers != m->config.n_layers) {
        lens_column_free(&s->lens);
        lens_column_init(&s->lens, m->config.n_layers, k);
    }
    if (lens_column_compute(&s->lens, m, pos, chosen, s->scratch) != 0) return NULL;
    s->lens_at = s->written_at[pos];
    return &s->lens;
}

const float *session_lens_heat(Session *s, int32_t token) {
    const Model *m = &s->model;
    int L = m->config.n_layers, seq = seq_of(s);
    if (s->n_tokens == 0 || !m->probes.enabled || !m->probes.residual) return NULL;
    if (!s->lens_heat) {
        s->lens_heat = gb_calloc((size_t)seq * L, sizeof(float));
        s->lens_heat_at = gb_calloc((size_t)seq, sizeof(uint64_t));
    }
    if (token != s->lens_heat_token) memset(s->lens_heat_at, 0, sizeof(uint64_t) * (size_t)seq);
    s->lens_heat_token = token;
    for (int p = 0; p < s->n_tokens; p++) {
        if (s->lens_heat_at[p] == s->written_at[p]) continue;
        lens_token_probs(s->lens_heat + (size_t)p * L, m, p, token, s->scratch);
        s->lens_heat_at[p] = s->written_at[p];
    }
    return s->lens_heat;
}

const float *session_attention_row(const Session *s, int layer, int head, int q) {
    const Model *m = &s->model;
    if (!m->probes.enabled || !m->probes.attn) return NULL;
    const Config *c = &m->config;
    if (layer < 0 || layer >= c->n_layers || head < 0 || head >= c->n_heads || q < 0 || q >= c->seq_len) return NULL;
    return m->probes.attn + (((size_t)layer * c->n_heads + head) * c->seq_len + q) * c->seq_len;
}
