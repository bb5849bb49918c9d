/* Sampling the next token. See sampler.h.
 *
 * The generator is fixed so that a seed gives the same text on every machine and every build:
 *   state  = rng_splitmix64_at(seed)            (0 is replaced by a constant: xorshift needs a non-zero state)
 *   next() = xorshift64* (shifts 12, 25, 27; multiplier 0x2545F4914F6CDD1D)
 *   uniform() = (next() >> 40) / 2^24    (the top 24 bits: exactly representable as a float in [0, 1))
 *
 * The distribution: logits are ordered by (logit descending, id ascending); probabilities at T are a
 * softmax computed in double after subtracting the largest logit; T = 0 puts all mass on the first
 * token of that order (the lowest id among the largest logits). Top-k keeps the first k of the order
 * and renormalises; top-p then keeps the smallest prefix whose renormalised mass reaches p (never
 * fewer than one token) and renormalises again. */
#include "sampler.h"

#include <math.h>
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

void sampler_init(Sampler *s, float temperature, int top_k, float top_p, uint64_t seed) {
    s->temperature = temperature;
    s->top_k = top_k;
    s->top_p = top_p;
    sampler_reseed(s, seed);
}

float sampler_uniform(Sampler *s) {
    return (float)(rng_xorshift64star(&s->rng) >> 40) * (1.0f / 16777216.0f);
}

void distribution_init(Distribution *d, int vocab) {
    memset(d, 0, sizeof *d);
    d->vocab = vocab;
    d->logits = gb_calloc((size_t)vocab, sizeof(float));
    d->probs = gb_calloc((size_t)vocab, sizeof(float));
    d->probs_t1 = gb_calloc((size_t)vocab, sizeof(float));
    d->order = gb_calloc((size_t)vocab, sizeof(int32_t));
}

void distribution_free(Distribution *d) {
    free(d->logits);
    free(d->probs);
    free(d->probs_t1);
    free(d->order);
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

static void sort_order(Distribution *d) {
    size_t n = (size_t)d->vocab;
    uint64_t *a = gb_malloc(n * sizeof *a); // (vocab) key << 32 | id
    uint64_t *b = gb_malloc(n * sizeof *b); // (vocab) scratch
    for (size_t i = 0; i < n; i++) a[i] = (uint64_t)descending_key(d->logits[i]) << 32 | (uint32_t)i;
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
    for (size_t i = 0; i < n; i++) d->order[i] = (int32_t)(uint32_t)a[i];
    free(a);
    free(b);
}

/* out[i] = softmax(logits / temperature) over the whole vocabulary; temperature > 0. The largest
 * logit is subtracted first; tokens equal to it get weight exactly 1, which also keeps +inf and an
 * all -inf row meaningful (one-hot on the infinities, uniform respectively). NaN gets weight 0. */
static void softmax_at(float *out, const float *logits, int n, float max, float temperature) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        float l = logits[i];
        double w;
        if (l == max) w = 1.0;
        else if (isnan(l)) w = 0.0;
        else w = exp(((double)l - (double)max) / (double)temperature);
        out[i] = (float)w;
        sum += w;
    }
    if (sum <= 0.0) { // only when every logit is NaN: nothing to prefer
        for (int i = 0; i < n; i++) out[i] = 1.0f / (float)n;
        return;
    }
    for (int i = 0; i < n; i++) out[i] = (float)(out[i] / sum);
}

static float entropy_bits(const float *p, int n) {
    double h = 0.0;
    for (int i = 0; i < n; i++)
        if (p[i] > 0.0f) h -= (double)p[i] * log2((double)p[i]);
    return (float)h;
}

/* Zeroes everything outside order[0..keep) and renormalises the rest to sum to 1. */
static void keep_prefix(Distribution *d, int keep) {
    for (int r = keep; r < d->vocab; r++) d->probs[d->order[r]] = 0.0f;
    double mass = 0.0;
    for (int r = 0; r < keep; r++) mass += d->probs[d->order[r]];
    if (mass <= 0.0) { // every kept weight underflowed: fall back to the top token
        for (int r = 0; r < keep; r++) d->probs[d->order[r]] = 0.0f;
        d->probs[d->order[0]] = 1.0f;
        return;
    }
    for (int r = 0; r < keep; r++) d->probs[d->order[r]] = (float)(d->probs[d->order[r]] / mass);
}

void distribution_compute(Distribution *d, const float *logits, const Sampler *s) {
    int n = d->vocab;
    memcpy(d->logits, logits, (size_t)n * sizeof(float));
    d->temperature = s->temperature;
    d->top_k = s->top_k;
    d->top_p = s->top_p;
    sort_order(d);
    float max = d->logits[d->order[0]];
    if (isnan(max)) max = -INFINITY;

    softmax_at(d->probs_t1, d->logits, n, max, 1.0f);
    d->entropy_t1 = entropy_bits(d->probs_t1, n);

    if (!(s->temperature > 0.0f)) { // T = 0 (or nonsense): greedy, one-hot on the argmax
        memset(d->probs, 0, (size_t)n * sizeof(float));
        d->probs[d->order[0]] = 1.0f;
        d->n_kept = 1;
        d->entropy = 0.0f;
        return;
    }
    softmax_at(d->probs, d->logits, n, max, s->temperature);

    int keep = n;
    if (s->top_k > 0 && s->top_k < n) keep = s->top_k;
    keep_prefix(d, keep);
    if (s->top_p < 1.0f) {
        double cum = 0.0;
        int nucleus = 0;
        while (nucleus < keep) {
            cum += d->probs[d->order[nucleus++]];
            if (cum + TOP_P_SLACK >= (double)s->top_p) break;
        }
        if (nucleus < keep) keep_prefix(d, keep = nucleus);
    }
    d->n_kept = keep;
    d->entropy = entropy_bits(d->probs, n);
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
