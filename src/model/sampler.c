/* Sampling the next token. See sampler.h.
 *
 * The generator is fixed so that a seed gives the same text on every machine and every build:
 *   state  = rng_splitmix64_at(seed)            (0 is replaced by a constant: xorshift needs a non-zero state)
 *   next() = xorshift64* (shifts 12, 25, 27; multiplier 0x2545F4914F6CDD1D)
 *   uniform() = (next() >> 40) / 2^24    (the top 24 bits: exactly representable as a float in [0, 1))
 *
 * The chain. The penalties (when listed, always first) change the logits; the adjusted logits are
 * ordered by (logit descending, id ascending); probabilities are a softmax computed in double after
 * subtracting the largest logit, at T = 1 until the temperature stage recomputes them at T over the
 * whole vocabulary (so a cut made before it stays made). Each cut zeroes what it drops; the survivors
 * are renormalised lazily, only when a later stage reads probabilities or at the end, which makes
 * "temp,top-k,top-p" the very arithmetic of the fixed order glassbox had before the chain: softmax at
 * T, top-k, renormalise, top-p (the smallest prefix whose mass reaches p), renormalise again.
 * T = 0 (and greedy) keeps only the first token still in (the lowest id among the largest logits).
 * Every stage except typical-p keeps a prefix of the order; typical-p's survivors are moved to the
 * front (in logit order), so the kept tokens are always order[0..n_kept). */
#include "sampler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

/* The slack allowed when comparing a cumulative mass with top_p, so that rounding in (.5 + .3) does
 * not turn "reaches .8" into "falls short of .8" and keep one token more than asked. */
#define TOP_P_SLACK 1e-6

void sampler_reseed(Sampler *s, uint64_t seed) {
    s->seed = seed;
    s->rng = rng_splitmix64_at(seed);
    if (s->rng == 0) s->rng = 0x9E3779B97F4A7C15ull;
}

void sampler_default_chain(Sampler *s) {
    static const uint8_t chain[] = {STAGE_PENALTIES, STAGE_TOP_K, STAGE_TYPICAL, STAGE_TOP_P, STAGE_MIN_P, STAGE_TEMP};
    s->n_stages = (int)sizeof chain;
    memcpy(s->stages, chain, sizeof chain);
}

void sampler_init(Sampler *s, float temperature, int top_k, float top_p, uint64_t seed) {
    memset(s, 0, sizeof *s);
    s->temperature = temperature;
    s->top_k = top_k;
    s->top_p = top_p;
    s->min_p = 0.0f;
    s->typical_p = 1.0f;
    s->repeat_penalty = 1.0f;
    s->repeat_last_n = 64; // llama.cpp's default window
    sampler_default_chain(s);
    sampler_reseed(s, seed);
}

/* Canonical names first, then the spellings llama.cpp and its users write. */
static const struct {
    const char *name;
    uint8_t kind;
} STAGE_NAMES[] = {
    {"penalties", STAGE_PENALTIES}, {"top-k", STAGE_TOP_K},   {"typical", STAGE_TYPICAL},
    {"top-p", STAGE_TOP_P},         {"min-p", STAGE_MIN_P},   {"temp", STAGE_TEMP},
    {"greedy", STAGE_GREEDY},       {"top_k", STAGE_TOP_K},   {"typ_p", STAGE_TYPICAL},
    {"typ-p", STAGE_TYPICAL},       {"typical_p", STAGE_TYPICAL}, {"typical-p", STAGE_TYPICAL},
    {"top_p", STAGE_TOP_P},         {"min_p", STAGE_MIN_P},   {"temperature", STAGE_TEMP},
    {"penalty", STAGE_PENALTIES},
};

const char *sampler_stage_name(int kind) {
    return kind >= 0 && kind < STAGE_KINDS ? STAGE_NAMES[kind].name : "?";
}

int sampler_set_chain(Sampler *s, const char *list, char *err) {
    uint8_t stages[SAMPLER_MAX_STAGES];
    int n = 0, seen[STAGE_KINDS] = {0};
    const char *p = list;
    for (;;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, ", ;");
        if (len == 0) {
            gb_seterr(err, "samplers: expected a comma-separated list of penalties, top-k, typical, top-p, min-p, "
                           "temp, greedy; got '%s'", list);
            return -1;
        }
        int kind = -1;
        for (size_t i = 0; i < sizeof STAGE_NAMES / sizeof STAGE_NAMES[0] && kind < 0; i++)
            if (strlen(STAGE_NAMES[i].name) == len && strncmp(STAGE_NAMES[i].name, p, len) == 0)
                kind = STAGE_NAMES[i].kind;
        if (kind < 0) {
            gb_seterr(err, "samplers: unknown stage '%.*s' (penalties, top-k, typical, top-p, min-p, temp, greedy)",
                      (int)len, p);
            return -1;
        }
        if (seen[kind]++) {
            gb_seterr(err, "samplers: '%s' is listed twice", sampler_stage_name(kind));
            return -1;
        }
        if (kind == STAGE_PENALTIES && n > 0) {
            gb_seterr(err, "samplers: penalties must come first (they change the logits every other stage reads)");
            return -1;
        }
        stages[n++] = (uint8_t)kind;
        p += len;
        while (*p == ' ') p++;
        if (!*p) break;
        p++; // the separator
    }
    s->n_stages = n;
    memcpy(s->stages, stages, (size_t)n);
    return 0;
}

char *sampler_chain_string(const Sampler *s, char *out, size_t outsz) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < s->n_stages && k < outsz; i++) {
        int w = snprintf(out + k, outsz - k, "%s%s", i ? "," : "", sampler_stage_name(s->stages[i]));
        if (w < 0) break;
        k += (size_t)w;
    }
    return out;
}

int sampler_set_value(Sampler *s, const char *name, double v, char *err) {
    static const struct {
        const char *name;
        double lo, hi;
        int integer;
    } KNOBS[] = {{"temp", 0, 1e5, 0},           {"top-k", 0, 1e9, 1},           {"top-p", 0, 1, 0},
                 {"min-p", 0, 1, 0},            {"typical", 0, 1, 0},           {"repeat-penalty", 1e-3, 1e3, 0},
                 {"repeat-last-n", -1, 1e9, 1}, {"presence-penalty", -1e3, 1e3, 0}, {"frequency-penalty", -1e3, 1e3, 0}};
    for (size_t i = 0; i < sizeof KNOBS / sizeof KNOBS[0]; i++) {
        if (strcmp(KNOBS[i].name, name) != 0) continue;
        if (!(v >= KNOBS[i].lo && v <= KNOBS[i].hi) || (KNOBS[i].integer && v != floor(v))) {
            gb_seterr(err, "%s: expected %s between %g and %g, got %g", name, KNOBS[i].integer ? "an integer" : "a number",
                      KNOBS[i].lo, KNOBS[i].hi, v);
            return -1;
        }
        switch (i) {
        case 0: s->temperature = (float)v; break;
        case 1: s->top_k = (int)v; break;
        case 2: s->top_p = (float)v; break;
        case 3: s->min_p = (float)v; break;
        case 4: s->typical_p = (float)v; break;
        case 5: s->repeat_penalty = (float)v; break;
        case 6: s->repeat_last_n = (int)v; break;
        case 7: s->presence_penalty = (float)v; break;
        default: s->frequency_penalty = (float)v; break;
        }
        return 0;
    }
    gb_seterr(err, "unknown sampler setting '%s'", name);
    return -1;
}

int sampler_same_settings(const Sampler *a, const Sampler *b) {
    return a->temperature == b->temperature && a->top_k == b->top_k && a->top_p == b->top_p &&
           a->min_p == b->min_p && a->typical_p == b->typical_p && a->repeat_penalty == b->repeat_penalty &&
           a->presence_penalty == b->presence_penalty && a->frequency_penalty == b->frequency_penalty &&
           a->repeat_last_n == b->repeat_last_n && a->n_stages == b->n_stages &&
           memcmp(a->stages, b->stages, (size_t)a->n_stages) == 0;
}

float sampler_uniform(Sampler *s) {
    return (float)(rng_xorshift64star(&s->rng) >> 40) * (1.0f / 16777216.0f);
}

void distribution_init(Distribution *d, int vocab) {
    memset(d, 0, sizeof *d);
    d->vocab = vocab;
    d->logits = gb_calloc((size_t)vocab, sizeof(float));
    d->adjusted = gb_calloc((size_t)vocab, sizeof(float));
    d->probs = gb_calloc((size_t)vocab, sizeof(float));
    d->probs_t1 = gb_calloc((size_t)vocab, sizeof(float));
    d->order = gb_calloc((size_t)vocab, sizeof(int32_t));
    d->cut_at = gb_calloc((size_t)vocab, 1);
    d->drawn = -1;
}

void distribution_free(Distribution *d) {
    free(d->logits);
    free(d->adjusted);
    free(d->probs);
    free(d->probs_t1);
    free(d->order);
    free(d->cut_at);
    memset(d, 0, sizeof *d);
}

/* order = ids sorted by (logit descending, id ascending), NaN as -inf. A stable LSD radix sort on
 * the logit's bits: the keys start in id order and stability keeps equal logits in id order, so the
 * result is exactly what a comparison sort on (logit desc, id asc) gives, in linear time (a 200k
 * vocabulary sorts in about a millisecond, where qsort takes tens). */
static uint32_t descending_key(float logit) {
    if (isnan(logit)) logit = -INFINITY;
    if (logit == 0.0f) logit = 0.0f; // -0 and +0 are equal logits: one key
    uint32_t u;
    memcpy(&u, &logit, sizeof u);
    // Map floats to unsigned integers in ascending order, then flip for descending.
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return ~u;
}

static void sort_order(int32_t *order, const float *logits, int vocab) {
    size_t n = (size_t)vocab;
    uint64_t *a = gb_malloc(n * sizeof *a); // (vocab) key << 32 | id
    uint64_t *b = gb_malloc(n * sizeof *b); // (vocab) scratch
    for (size_t i = 0; i < n; i++) a[i] = (uint64_t)descending_key(logits[i]) << 32 | (uint32_t)i;
    for (int shift = 32; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0xFF) + 1]++;
        if (count[((a[0] >> shift) & 0xFF) + 1] == n) continue; // one bucket: nothing moves
        for (int k = 0; k < 256; k++) count[k + 1] += count[k];
        for (size_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 0xFF]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++) order[i] = (int32_t)(uint32_t)a[i];
    free(a);
    free(b);
}

/* Whether token a comes before token b in the order of these logits. */
static int ranks_before(const float *logits, int32_t a, int32_t b) {
    uint32_t ka = descending_key(logits[a]), kb = descending_key(logits[b]);
    return ka < kb || (ka == kb && a < b);
}

/* The weight softmax_at gives a logit: 1 for the largest, 0 for NaN. */
static double weight_at(float l, float max, float temperature) {
    if (l == max) return 1.0;
    if (isnan(l)) return 0.0;
    return exp(((double)l - (double)max) / (double)temperature);
}

/* out[i] = softmax(logits / temperature) over the whole vocabulary; temperature > 0. The largest
 * logit is subtracted first; tokens equal to it get weight exactly 1, which also keeps +inf and an
 * all -inf row meaningful (one-hot on the infinities, uniform respectively). NaN gets weight 0.
 * Returns the normaliser (the sum of the weights), 0 when every logit is NaN. */
static double softmax_at(float *out, const float *logits, int n, float max, float temperature) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double w = weight_at(logits[i], max, temperature);
        out[i] = (float)w;
        sum += w;
    }
    if (sum <= 0.0) { // only when every logit is NaN: nothing to prefer
        for (int i = 0; i < n; i++) out[i] = 1.0f / (float)n;
        return 0.0;
    }
    for (int i = 0; i < n; i++) out[i] = (float)(out[i] / sum);
    return sum;
}

static float entropy_bits(const float *p, int n) {
    double h = 0.0;
    for (int i = 0; i < n; i++)
        if (p[i] > 0.0f) h -= (double)p[i] * log2((double)p[i]);
    return (float)h;
}

/* The chain's working state: d->probs holds the survivors' probabilities, order[0..n) the survivors.
 * For them probs[t] = weight_at(adjusted[t], max, temp) * scale (up to float rounding). */
typedef struct {
    Distribution *d;
    int n;
    float temp;      /* 1 until the temperature stage */
    double scale;
    int pending;     /* a cut since the last renormalisation */
    int stage;       /* index of the running stage */
    double removed;  /* probability (unnormalised) the running stage cut */
} Chain;

static double kept_mass(const Chain *c) {
    double mass = 0.0;
    for (int r = 0; r < c->n; r++) mass += c->d->probs[c->d->order[r]];
    return mass;
}

/* Keeps order[0..keep): the rest of the survivors is zeroed and marked cut by the running stage. */
static void cut_to(Chain *c, int keep) {
    Distribution *d = c->d;
    for (int r = keep; r < c->n; r++) {
        int32_t id = d->order[r];
        c->removed += d->probs[id];
        d->probs[id] = 0.0f;
        d->cut_at[id] = (uint8_t)c->stage;
    }
    if (keep < c->n) c->pending = 1;
    c->n = keep;
}

/* One token left with probability 1: T = 0 and greedy. */
static void keep_top(Chain *c) {
    cut_to(c, 1);
    c->d->probs[c->d->order[0]] = 1.0f;
    c->pending = 0;
}

/* Renormalises the survivors to sum to 1 (the summation in rank order, as before the chain). */
static void renormalise(Chain *c) {
    Distribution *d = c->d;
    double mass = kept_mass(c);
    c->pending = 0;
    if (mass <= 0.0) { // every kept weight underflowed: fall back to the top token
        for (int r = 0; r < c->n; r++) d->probs[d->order[r]] = 0.0f;
        d->probs[d->order[0]] = 1.0f;
        return;
    }
    for (int r = 0; r < c->n; r++) d->probs[d->order[r]] = (float)(d->probs[d->order[r]] / mass);
    c->scale /= mass;
}

static void stage_top_p(Chain *c, float top_p) {
    if (c->pending) renormalise(c);
    double cum = 0.0;
    int nucleus = 0;
    while (nucleus < c->n) {
        cum += c->d->probs[c->d->order[nucleus++]];
        if (cum + TOP_P_SLACK >= (double)top_p) break;
    }
    cut_to(c, nucleus);
}

/* min-p: keeps the tokens at least min_p times as likely as the likeliest (ratios need no
 * renormalisation). */
static void stage_min_p(Chain *c, float min_p) {
    const Distribution *d = c->d;
    double floor = (double)min_p * d->probs[d->order[0]];
    int keep = 1;
    while (keep < c->n && (double)d->probs[d->order[keep]] >= floor) keep++;
    cut_to(c, keep);
}

typedef struct {
    double score;
    int rank;
} Typical;

static int typical_cmp(const void *a, const void *b) {
    const Typical *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return x->rank - y->rank;
}

/* Locally typical sampling (Meister et al., as llama.cpp does it): the tokens whose surprisal
 * -ln p is closest to the entropy, taken in that order until their mass exceeds p. The survivors
 * are moved to the front of the order, keeping their logit order. */
static void stage_typical(Chain *c, float typical_p) {
    Distribution *d = c->d;
    if (c->pending) renormalise(c);
    int n = c->n;
    double h = 0.0;
    for (int r = 0; r < n; r++) {
        double p = d->probs[d->order[r]];
        if (p > 0) h -= p * log(p);
    }
    Typical *t = gb_malloc((size_t)n * sizeof *t);
    for (int r = 0; r < n; r++) {
        double p = d->probs[d->order[r]];
        t[r].score = p > 0 ? fabs(-log(p) - h) : INFINITY;
        t[r].rank = r;
    }
    qsort(t, (size_t)n, sizeof *t, typical_cmp);
    double cum = 0.0;
    int keep = n;
    for (int i = 0; i < n; i++) {
        cum += d->probs[d->order[t[i].rank]];
        if (cum > (double)typical_p) {
            keep = i + 1;
            break;
        }
    }
    // Survivors first, each group in logit order: mark, then a stable partition of order[0..n).
    uint8_t *in = gb_calloc((size_t)n, 1);
    for (int i = 0; i < keep; i++) in[t[i].rank] = 1;
    int32_t *tmp = gb_malloc((size_t)n * sizeof *tmp);
    int k = 0;
    for (int r = 0; r < n; r++)
        if (in[r]) tmp[k++] = d->order[r];
    for (int r = 0; r < n; r++)
        if (!in[r]) tmp[k++] = d->order[r];
    memcpy(d->order, tmp, (size_t)n * sizeof *tmp);
    free(tmp);
    free(in);
    free(t);
    cut_to(c, keep);
}

/* The temperature: probabilities recomputed at T over the whole vocabulary, as the softmax always has
 * been, and the tokens already cut zeroed again. The whole vocabulary even after a cut, so that a cut
 * which commutes with the temperature (top-k, min-p) before it gives the very numbers it gave after
 * it: the default chain reproduces the old fixed order whenever top-p is off. */
static void stage_temp(Chain *c, float temperature) {
    Distribution *d = c->d;
    if (!(temperature > 0.0f)) { // T = 0 (or nonsense): greedy
        c->temp = 0.0f;
        keep_top(c);
        return;
    }
    double sum = softmax_at(d->probs, d->adjusted, d->vocab, d->adj_max, temperature);
    for (int r = c->n; r < d->vocab; r++) d->probs[d->order[r]] = 0.0f;
    c->temp = temperature;
    c->scale = sum > 0 ? 1.0 / sum : 0.0;
    c->pending = 1;
}

/* llama.cpp's penalties: each token among the last repeat_last_n of history, seen count times, has
 * its logit divided by repeat_penalty when positive (multiplied when not), then count *
 * frequency_penalty + presence_penalty subtracted. Returns whether anything was changed. */
static int apply_penalties(float *logits, int vocab, const Sampler *s, const int32_t *history, int n_history) {
    int n = s->repeat_last_n < 0 || s->repeat_last_n > n_history ? n_history : s->repeat_last_n;
    if (n <= 0 || !history) return 0;
    if (s->repeat_penalty == 1.0f && s->presence_penalty == 0.0f && s->frequency_penalty == 0.0f) return 0;
    int32_t *recent = gb_malloc((size_t)n * sizeof *recent);
    memcpy(recent, history + (n_history - n), (size_t)n * sizeof *recent);
    // Count by sorting: the window is small next to the vocabulary.
    for (int i = 1; i < n; i++) { // insertion sort: windows are tens of tokens
        int32_t v = recent[i];
        int j = i;
        while (j > 0 && recent[j - 1] > v) recent[j] = recent[j - 1], j--;
        recent[j] = v;
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && recent[j] == recent[i]) j++;
        int32_t id = recent[i];
        if (id >= 0 && id < vocab) {
            float l = logits[id];
            l = l <= 0.0f ? l * s->repeat_penalty : l / s->repeat_penalty;
            logits[id] = l - ((float)(j - i) * s->frequency_penalty + s->presence_penalty);
        }
        i = j;
    }
    free(recent);
    return 1;
}

/* Whether a stage's setting does anything: an inactive stage leaves the distribution as it was. */
static int stage_active(int kind, const Sampler *s, int penalised) {
    switch (kind) {
    case STAGE_PENALTIES: return penalised;
    case STAGE_TOP_K: return s->top_k > 0;
    case STAGE_TYPICAL: return s->typical_p < 1.0f;
    case STAGE_TOP_P: return s->top_p < 1.0f;
    case STAGE_MIN_P: return s->min_p > 0.0f;
    case STAGE_TEMP: return s->temperature != 1.0f; // T = 1 is the softmax the chain starts from
    case STAGE_GREEDY: return 1;
    }
    return 0;
}

/* Runs one active stage. */
static void run_stage(Chain *c, int kind, const Sampler *s) {
    switch (kind) {
    case STAGE_TOP_K:
        if (s->top_k < c->n) cut_to(c, s->top_k);
        break;
    case STAGE_TYPICAL: stage_typical(c, s->typical_p); break;
    case STAGE_TOP_P: stage_top_p(c, s->top_p); break;
    case STAGE_MIN_P: stage_min_p(c, s->min_p); break;
    case STAGE_TEMP: stage_temp(c, s->temperature); break;
    case STAGE_GREEDY: keep_top(c); break;
    }
}

/* The stage's record: counts, the mass it removed, and the chain table's rows after it. */
static void record_stage(Chain *c, ChainStage *st, double in_mass) {
    Distribution *d = c->d;
    double mass = kept_mass(c);
    st->n_kept = c->n;
    st->removed = in_mass > 0 ? (float)(c->removed / in_mass) : 0.0f;
    st->temperature = c->temp;
    st->onehot = c->n == 1;
    st->inv_z = mass > 0 ? c->scale / mass : 0.0;
    for (int i = 0, alive = 0; i < d->n_chain; i++) {
        int32_t id = d->chain_ids[i];
        int in = d->cut_at[id] > c->stage;
        st->prob[i] = in && mass > 0 ? (float)(d->probs[id] / mass) : 0.0f;
        st->rank[i] = in ? ++alive : 0; // the rows are the top of the order: survivors above count
    }
    st->prob[CHAIN_ROWS] = 0.0f;
    st->rank[CHAIN_ROWS] = 0;
}

void distribution_compute_ctx(Distribution *d, const float *logits, const Sampler *s, const int32_t *history,
                              int n_history) {
    int n = d->vocab;
    memcpy(d->logits, logits, (size_t)n * sizeof(float));
    memcpy(d->adjusted, logits, (size_t)n * sizeof(float));
    d->settings = *s;
    d->temperature = s->temperature;
    d->top_k = s->top_k;
    d->top_p = s->top_p;
    d->drawn = -1;
    int penalised = s->n_stages > 0 && s->stages[0] == STAGE_PENALTIES &&
                    apply_penalties(d->adjusted, n, s, history, n_history);
    sort_order(d->order, d->adjusted, n);
    float max = d->adjusted[d->order[0]];
    d->adj_max = isnan(max) ? -INFINITY : max;
    float raw_max = penalised ? -INFINITY : d->adj_max;
    if (penalised)
        for (int i = 0; i < n; i++)
            if (d->logits[i] > raw_max) raw_max = d->logits[i];
    double t1_sum = softmax_at(d->probs_t1, d->logits, n, raw_max, 1.0f);
    d->entropy_t1 = entropy_bits(d->probs_t1, n);

    d->n_stages = s->n_stages;
    memset(d->cut_at, s->n_stages, (size_t)n);
    d->n_chain = n < CHAIN_ROWS ? n : CHAIN_ROWS;
    for (int i = 0; i < d->n_chain; i++) {
        d->chain_ids[i] = d->order[i];
        d->chain_prob_in[i] = d->probs_t1[d->order[i]];
    }
    d->chain_ids[CHAIN_ROWS] = -1;
    // Without penalties the chain starts from the model's own softmax, already computed.
    double sum = t1_sum;
    if (penalised) sum = softmax_at(d->probs, d->adjusted, n, d->adj_max, 1.0f);
    else memcpy(d->probs, d->probs_t1, (size_t)n * sizeof(float));
    Chain c = {d, n, 1.0f, sum > 0 ? 1.0 / sum : 0.0, 1, 0, 0.0};
    for (int i = 0; i < s->n_stages; i++) {
        ChainStage *st = &d->stages[i];
        int kind = s->stages[i], active = stage_active(kind, s, penalised);
        if (!active && i > 0) { // nothing changes: the record of the stage before, nothing removed
            *st = d->stages[i - 1];
            st->kind = (uint8_t)kind;
            st->active = 0;
            st->n_in = c.n;
            st->removed = 0.0f;
            continue;
        }
        memset(st, 0, sizeof *st);
        st->kind = (uint8_t)kind;
        st->active = active;
        st->n_in = c.n;
        c.stage = i;
        c.removed = 0.0;
        double in_mass = kept_mass(&c);
        if (active && kind != STAGE_PENALTIES) run_stage(&c, kind, s);
        record_stage(&c, st, in_mass);
    }
    if (c.pending) renormalise(&c);
    d->n_kept = c.n;
    d->entropy = entropy_bits(d->probs, n);
}

void distribution_compute(Distribution *d, const float *logits, const Sampler *s) {
    distribution_compute_ctx(d, logits, s, NULL, 0);
}

double distribution_stage_prob(const Distribution *d, int stage, int32_t id) {
    if (id < 0 || id >= d->vocab) return 0.0;
    if (stage < 0) return d->probs_t1[id];
    if (stage >= d->n_stages) return d->probs[id];
    const ChainStage *st = &d->stages[stage];
    if (d->cut_at[id] <= stage) return 0.0;
    if (st->onehot) return 1.0;
    return weight_at(d->adjusted[id], d->adj_max, st->temperature) * st->inv_z;
}

int distribution_stage_rank(const Distribution *d, int stage, int32_t id) {
    if (id < 0 || id >= d->vocab) return 0;
    const float *logits = stage < 0 ? d->logits : d->adjusted;
    if (stage >= d->n_stages) stage = d->n_stages - 1;
    if (stage >= 0 && d->cut_at[id] <= stage) return 0;
    int rank = 1;
    for (int32_t u = 0; u < d->vocab; u++)
        if ((stage < 0 || d->cut_at[u] > stage) && ranks_before(logits, u, id)) rank++;
    return rank;
}

void distribution_note_drawn(Distribution *d, int32_t id) {
    d->drawn = id;
    d->chain_ids[CHAIN_ROWS] = id;
    d->chain_prob_in[CHAIN_ROWS] = id >= 0 && id < d->vocab ? d->probs_t1[id] : 0.0f;
    if (id < 0 || id >= d->vocab) return;
    // Every stage's rank in one pass: a token ahead of id in the order counts at each stage it survives.
    int rank[SAMPLER_MAX_STAGES];
    for (int i = 0; i < d->n_stages; i++) rank[i] = 1;
    uint32_t key = descending_key(d->adjusted[id]);
    for (int32_t u = 0; u < d->vocab; u++) {
        uint32_t ku = descending_key(d->adjusted[u]);
        if (ku < key || (ku == key && u < id))
            for (int i = 0; i < d->cut_at[u] && i < d->n_stages; i++) rank[i]++;
    }
    for (int i = 0; i < d->n_stages; i++) {
        d->stages[i].prob[CHAIN_ROWS] = (float)distribution_stage_prob(d, i, id);
        d->stages[i].rank[CHAIN_ROWS] = d->cut_at[id] > i ? rank[i] : 0;
    }
}

int32_t sampler_sample(Sampler *s, const Distribution *d) {
    // Always draw, so a run's stream of random numbers does not depend on the temperature.
    double u = sampler_uniform(s);
    double cum = 0.0;
    for (int r = 0; r < d->n_kept; r++) {
        cum += d->probs[d->order[r]];
        if (u < cum) return d->order[r];
    }
    // u fell in the rounding gap above the last cumulative sum: the last kept token with mass.
    for (int r = d->n_kept - 1; r > 0; r--)
        if (d->probs[d->order[r]] > 0.0f) return d->order[r];
    return d->order[0];
}
