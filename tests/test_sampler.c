/* Sampler: temperature, top-k, top-p, entropies and the seeded generator, checked against
 * distributions built by hand and against direct formulas. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sampler.h"

static double sum_probs(const float *p, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += p[i];
    return s;
}

static int count_nonzero(const float *p, int n) {
    int c = 0;
    for (int i = 0; i < n; i++) c += p[i] > 0.0f;
    return c;
}

/* Logits whose softmax at T = 1 is exactly probs (up to rounding). */
static void logits_from_probs(float *logits, const double *probs, int n) {
    for (int i = 0; i < n; i++) logits[i] = (float)log(probs[i]);
}

/* A fixed, irregular set of logits (no ties) of size n. */
static void irregular_logits(float *logits, int n) {
    for (int i = 0; i < n; i++) logits[i] = (float)(3.0 * sin(i * 1.7) + 0.01 * i);
}

static void test_generator_is_the_documented_one(void **state) {
    (void)state;
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 0);
    // splitmix64's first output for seed 0 (its published test value).
    assert_true(s.rng == 0xE220A8397B1DCDAFull);
    // Three xorshift64* draws from that state, top 24 bits, computed independently in Python.
    const uint32_t expect[3] = {8109236, 14581732, 11781688};
    for (int i = 0; i < 3; i++) assert_true(sampler_uniform(&s) == (float)expect[i] / 16777216.0f);
}

static void test_uniform_range_and_mean(void **state) {
    (void)state;
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 7);
    double sum = 0.0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        float u = sampler_uniform(&s);
        assert_true(u >= 0.0f && u < 1.0f);
        sum += u;
    }
    assert_true(fabs(sum / n - 0.5) < 0.01);
}

static void test_softmax_matches_formula(void **state) {
    (void)state;
    enum { N = 50 };
    float logits[N];
    irregular_logits(logits, N);
    const float temps[] = {0.3f, 1.0f, 2.5f};
    for (int t = 0; t < 3; t++) {
        Sampler s;
        sampler_init(&s, temps[t], 0, 1.0f, 1);
        Distribution d;
        distribution_init(&d, N);
        distribution_compute(&d, logits, &s);
        double z = 0.0, z1 = 0.0;
        for (int i = 0; i < N; i++) {
            z += exp(logits[i] / temps[t]);
            z1 += exp(logits[i]);
        }
        for (int i = 0; i < N; i++) {
            assert_true(fabs(d.probs[i] - exp(logits[i] / temps[t]) / z) < 1e-6);
            assert_true(fabs(d.probs_t1[i] - exp(logits[i]) / z1) < 1e-6);
            assert_true(d.logits[i] == logits[i]);
        }
        assert_int_equal(d.n_kept, N);
        distribution_free(&d);
    }
}

static void test_large_logits_are_stable(void **state) {
    (void)state;
    float logits[3] = {1000.0f, 999.0f, -1000.0f};
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    Distribution d;
    distribution_init(&d, 3);
    distribution_compute(&d, logits, &s);
    double e = exp(-1.0);
    assert_true(fabs(d.probs[0] - 1.0 / (1.0 + e)) < 1e-6);
    assert_true(fabs(d.probs[1] - e / (1.0 + e)) < 1e-6);
    assert_true(d.probs[2] == 0.0f);
    assert_true(isfinite(d.entropy));
    distribution_free(&d);
}

static void test_order_descending_ties_lower_id(void **state) {
    (void)state;
    float logits[6] = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 2.0f};
    const int32_t expect[6] = {1, 3, 2, 5, 0, 4};
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    Distribution d;
    distribution_init(&d, 6);
    distribution_compute(&d, logits, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(d.order[i], expect[i]);
    distribution_free(&d);
}

/* The reference order: a comparison sort on (logit descending, id ascending), NaN as -inf. */
typedef struct {
    float logit;
    int32_t id;
} Ranked;

static int compare_reference(const void *a, const void *b) {
    const Ranked *x = a, *y = b;
    float lx = isnan(x->logit) ? -INFINITY : x->logit, ly = isnan(y->logit) ? -INFINITY : y->logit;
    if (lx != ly) return lx > ly ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void test_order_matches_comparison_sort(void **state) {
    (void)state;
    enum { N = 20000 };
    float *logits = malloc(N * sizeof *logits);
    Ranked *ref = malloc(N * sizeof *ref);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int r = (int)(x % 1000);
        // Many ties, both signs, zeros of both signs, tiny and huge values, infinities and NaN.
        if (r < 5) logits[i] = -INFINITY;
        else if (r < 8) logits[i] = INFINITY;
        else if (r < 12) logits[i] = NAN;
        else if (r < 40) logits[i] = -0.0f;
        else if (r < 70) logits[i] = 0.0f;
        else if (r < 100) logits[i] = 1e-30f * (float)(r - 85);
        else if (r < 120) logits[i] = 3e37f * (float)(r - 110);
        else logits[i] = (float)((int)(x >> 40) % 200 - 100) / 8.0f;
        ref[i].logit = logits[i];
        ref[i].id = i;
    }
    qsort(ref, N, sizeof *ref, compare_reference);
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    Distribution d;
    distribution_init(&d, N);
    distribution_compute(&d, logits, &s);
    for (int i = 0; i < N; i++) assert_int_equal(d.order[i], ref[i].id);
    distribution_free(&d);
    free(ref);
    free(logits);
}

static void test_temperature_zero_is_argmax(void **state) {
    (void)state;
    enum { N = 100 };
    float logits[N];
    irregular_logits(logits, N);
    int argmax = 0;
    for (int i = 1; i < N; i++)
        if (logits[i] > logits[argmax]) argmax = i;
    Sampler s;
    sampler_init(&s, 0.0f, 0, 1.0f, 123);
    Distribution d;
    distribution_init(&d, N);
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 1);
    for (int i = 0; i < N; i++) assert_true(d.probs[i] == (i == argmax ? 1.0f : 0.0f));
    assert_true(d.entropy == 0.0f);
    assert_true(fabs(sum_probs(d.probs_t1, N) - 1.0) < 1e-5); // T = 1 view still full
    for (int k = 0; k < 50; k++) assert_int_equal(sampler_sample(&s, &d), argmax);

    // A tiny temperature approaches the same thing.
    Sampler cold;
    sampler_init(&cold, 1e-3f, 0, 1.0f, 5);
    distribution_compute(&d, logits, &cold);
    assert_true(d.probs[argmax] > 0.999f);
    for (int k = 0; k < 50; k++) assert_int_equal(sampler_sample(&cold, &d), argmax);

    // Ties at the top: the lower id wins.
    float tied[4] = {0.5f, 2.0f, 1.0f, 2.0f};
    Distribution t;
    distribution_init(&t, 4);
    distribution_compute(&t, tied, &s);
    assert_true(t.probs[1] == 1.0f && t.probs[3] == 0.0f);
    assert_int_equal(sampler_sample(&s, &t), 1);
    distribution_free(&t);
    distribution_free(&d);
}

static void test_probs_sum_to_one(void **state) {
    (void)state;
    enum { N = 4096 };
    float *logits = malloc(N * sizeof *logits);
    irregular_logits(logits, N);
    const float temps[] = {0.0f, 0.1f, 0.8f, 1.0f, 2.0f, 10.0f};
    const int ks[] = {0, 1, 40, N};
    const float ps[] = {1.0f, 0.95f, 0.5f, 0.0f};
    Distribution d;
    distribution_init(&d, N);
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++) {
                Sampler s;
                sampler_init(&s, temps[a], ks[b], ps[c], 1);
                distribution_compute(&d, logits, &s);
                assert_true(fabs(sum_probs(d.probs, N) - 1.0) < 1e-4);
                assert_true(fabs(sum_probs(d.probs_t1, N) - 1.0) < 1e-4);
                assert_true(d.n_kept >= 1 && d.n_kept <= N);
                assert_true(count_nonzero(d.probs, N) <= d.n_kept);
                // Everything outside the kept prefix is zero.
                for (int r = d.n_kept; r < N; r++) assert_true(d.probs[d.order[r]] == 0.0f);
            }
    distribution_free(&d);
    free(logits);
}

static void test_top_k_keeps_exactly_k(void **state) {
    (void)state;
    enum { N = 300 };
    float logits[N];
    irregular_logits(logits, N);
    Distribution d;
    distribution_init(&d, N);
    const int ks[] = {1, 2, 7, 50, 299};
    for (int i = 0; i < 5; i++) {
        Sampler s;
        sampler_init(&s, 1.0f, ks[i], 1.0f, 1);
        distribution_compute(&d, logits, &s);
        assert_int_equal(d.n_kept, ks[i]);
        assert_int_equal(count_nonzero(d.probs, N), ks[i]);
        // The kept ones are the k largest logits: each kept logit ≥ each dropped one.
        float min_kept = INFINITY, max_dropped = -INFINITY;
        for (int t = 0; t < N; t++) {
            if (d.probs[t] > 0.0f) min_kept = fminf(min_kept, logits[t]);
            else max_dropped = fmaxf(max_dropped, logits[t]);
        }
        assert_true(min_kept > max_dropped);
        // Renormalised: ratios between kept tokens are unchanged.
        int a = d.order[0], b = d.order[ks[i] - 1];
        assert_true(fabs(d.probs[a] / d.probs[b] - exp(logits[a] - logits[b])) < 1e-3 * exp(logits[a] - logits[b]));
    }
    const int all[] = {0, N, N + 1000};
    for (int i = 0; i < 3; i++) {
        Sampler s;
        sampler_init(&s, 1.0f, all[i], 1.0f, 1);
        distribution_compute(&d, logits, &s);
        assert_int_equal(d.n_kept, N);
        assert_int_equal(count_nonzero(d.probs, N), N);
    }
    distribution_free(&d);
}

static void test_top_p_cut(void **state) {
    (void)state;
    // Given out of order so the sort matters: token 2 = .5, 0 = .3, 3 = .15, 1 = .05.
    const double probs[4] = {0.3, 0.05, 0.5, 0.15};
    float logits[4];
    logits_from_probs(logits, probs, 4);
    struct {
        float p;
        int keep;
    } cases[] = {{0.8f, 2}, {0.81f, 3}, {0.5f, 1}, {0.49f, 1}, {0.51f, 2}, {0.95f, 3}, {0.96f, 4},
                 {0.999f, 4}, {0.0f, 1}, {1.0f, 4}};
    Distribution d;
    distribution_init(&d, 4);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Sampler s;
        sampler_init(&s, 1.0f, 0, cases[i].p, 1);
        distribution_compute(&d, logits, &s);
        assert_int_equal(d.n_kept, cases[i].keep);
        assert_int_equal(count_nonzero(d.probs, 4), cases[i].keep);
        double mass = 0.0;
        const int ranked[4] = {2, 0, 3, 1};
        for (int r = 0; r < cases[i].keep; r++) mass += probs[ranked[r]];
        for (int r = 0; r < cases[i].keep; r++)
            assert_true(fabs(d.probs[ranked[r]] - probs[ranked[r]] / mass) < 1e-6);
    }
    // top-k first, then top-p over the renormalised top-k: k = 2 leaves {.625, .375}; p = .6 keeps 1.
    Sampler s;
    sampler_init(&s, 1.0f, 2, 0.6f, 1);
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 1);
    assert_true(d.probs[2] == 1.0f);
    sampler_init(&s, 1.0f, 2, 0.7f, 1);
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 2);
    assert_true(fabs(d.probs[2] - 0.625) < 1e-6 && fabs(d.probs[0] - 0.375) < 1e-6);
    distribution_free(&d);
}

static void test_entropy(void **state) {
    (void)state;
    const int sizes[] = {1, 2, 8, 1000};
    for (int i = 0; i < 4; i++) {
        int n = sizes[i];
        float *logits = calloc((size_t)n, sizeof *logits);
        for (int j = 0; j < n; j++) logits[j] = 0.25f; // uniform
        Sampler s;
        sampler_init(&s, 0.7f, 0, 1.0f, 1);
        Distribution d;
        distribution_init(&d, n);
        distribution_compute(&d, logits, &s);
        assert_true(fabs(d.entropy - log2(n)) < 1e-4);
        assert_true(fabs(d.entropy_t1 - log2(n)) < 1e-4);
        distribution_free(&d);
        free(logits);
    }
    // A hand-made distribution: H(.5, .25, .25) = 1.5 bits; top-k 2 leaves (2/3, 1/3).
    const double probs[3] = {0.5, 0.25, 0.25};
    float logits[3];
    logits_from_probs(logits, probs, 3);
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    Distribution d;
    distribution_init(&d, 3);
    distribution_compute(&d, logits, &s);
    assert_true(fabs(d.entropy - 1.5) < 1e-5);
    sampler_init(&s, 1.0f, 2, 1.0f, 1);
    distribution_compute(&d, logits, &s);
    double h = -(2.0 / 3) * log2(2.0 / 3) - (1.0 / 3) * log2(1.0 / 3);
    assert_true(fabs(d.entropy - h) < 1e-5);
    assert_true(fabs(d.entropy_t1 - 1.5) < 1e-5); // the T = 1 view is never cut
    distribution_free(&d);
}

static void test_temperature_flattens(void **state) {
    (void)state;
    enum { N = 64 };
    float logits[N];
    irregular_logits(logits, N);
    const float temps[] = {0.25f, 0.5f, 1.0f, 2.0f, 4.0f};
    Distribution d;
    distribution_init(&d, N);
    float prev = -1.0f, top_prev = 2.0f;
    for (int i = 0; i < 5; i++) {
        Sampler s;
        sampler_init(&s, temps[i], 0, 1.0f, 1);
        distribution_compute(&d, logits, &s);
        assert_true(d.entropy > prev);
        assert_true(d.probs[d.order[0]] < top_prev);
        assert_true(d.entropy < log2(N));
        prev = d.entropy;
        top_prev = d.probs[d.order[0]];
        if (temps[i] == 1.0f) assert_true(fabs(d.entropy - d.entropy_t1) < 1e-5);
    }
    distribution_free(&d);
}

static void draw_sequence(int32_t *out, int n, uint64_t seed, const float *logits, int vocab) {
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, seed);
    Distribution d;
    distribution_init(&d, vocab);
    distribution_compute(&d, logits, &s);
    for (int i = 0; i < n; i++) out[i] = sampler_sample(&s, &d);
    distribution_free(&d);
}

static void test_seeds_repeat_and_differ(void **state) {
    (void)state;
    enum { N = 32, DRAWS = 64 };
    float logits[N];
    for (int i = 0; i < N; i++) logits[i] = 0.0f; // uniform: every draw is informative
    int32_t a[DRAWS], b[DRAWS], c[DRAWS];
    draw_sequence(a, DRAWS, 42, logits, N);
    draw_sequence(b, DRAWS, 42, logits, N);
    draw_sequence(c, DRAWS, 43, logits, N);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < DRAWS; i++) {
        same_ab += a[i] == b[i];
        same_ac += a[i] == c[i];
    }
    assert_int_equal(same_ab, DRAWS);
    assert_true(same_ac < DRAWS / 2); // chance agreement is 1/32 per draw

    // Reseeding restarts the stream.
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 9);
    float u0 = sampler_uniform(&s);
    sampler_uniform(&s);
    sampler_reseed(&s, 9);
    assert_true(sampler_uniform(&s) == u0);
}

static void test_empirical_frequencies(void **state) {
    (void)state;
    const double probs[5] = {0.05, 0.4, 0.1, 0.3, 0.15};
    float logits[5];
    logits_from_probs(logits, probs, 5);
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 2024);
    Distribution d;
    distribution_init(&d, 5);
    distribution_compute(&d, logits, &s);
    int counts[5] = {0};
    const int draws = 100000;
    for (int i = 0; i < draws; i++) {
        int32_t t = sampler_sample(&s, &d);
        assert_true(t >= 0 && t < 5);
        counts[t]++;
    }
    // Standard deviation of a frequency is at most sqrt(.25 / 1e5) = .0016; allow about 5 of them.
    for (int i = 0; i < 5; i++) assert_true(fabs((double)counts[i] / draws - probs[i]) < 0.008);

    // With top-k 2 the draws only ever hit the two most likely tokens, in ratio .4 : .3.
    sampler_init(&s, 1.0f, 2, 1.0f, 2025);
    distribution_compute(&d, logits, &s);
    int c1 = 0, c3 = 0;
    for (int i = 0; i < draws; i++) {
        int32_t t = sampler_sample(&s, &d);
        assert_true(t == 1 || t == 3);
        c1 += t == 1;
        c3 += t == 3;
    }
    assert_true(fabs((double)c1 / draws - 4.0 / 7.0) < 0.008);
    distribution_free(&d);
}

/* ---- the chain ---- */

/* An independent copy of the sampler glassbox had before the chain (fixed order: softmax at T over
 * the whole vocabulary, top-k then renormalise, top-p then renormalise again; T = 0 one-hot on the
 * first of the order), kept here so the chain is checked against it bit for bit. */
typedef struct {
    float probs[512];
    int32_t order[512];
    int n_kept;
} OldDist;

static void old_keep_prefix(OldDist *d, int n, int keep) {
    for (int r = keep; r < n; r++) d->probs[d->order[r]] = 0.0f;
    double mass = 0.0;
    for (int r = 0; r < keep; r++) mass += d->probs[d->order[r]];
    if (mass <= 0.0) {
        for (int r = 0; r < keep; r++) d->probs[d->order[r]] = 0.0f;
        d->probs[d->order[0]] = 1.0f;
        return;
    }
    for (int r = 0; r < keep; r++) d->probs[d->order[r]] = (float)(d->probs[d->order[r]] / mass);
}

static void old_compute(OldDist *d, const float *logits, int n, float temp, int top_k, float top_p) {
    Ranked ref[512];
    for (int i = 0; i < n; i++) ref[i] = (Ranked){logits[i], i};
    qsort(ref, (size_t)n, sizeof *ref, compare_reference);
    for (int i = 0; i < n; i++) d->order[i] = ref[i].id;
    float max = logits[d->order[0]];
    if (!(temp > 0.0f)) {
        memset(d->probs, 0, sizeof d->probs);
        d->probs[d->order[0]] = 1.0f;
        d->n_kept = 1;
        return;
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double w = logits[i] == max ? 1.0 : exp(((double)logits[i] - (double)max) / (double)temp);
        d->probs[i] = (float)w;
        sum += w;
    }
    for (int i = 0; i < n; i++) d->probs[i] = (float)(d->probs[i] / sum);
    int keep = n;
    if (top_k > 0 && top_k < n) keep = top_k;
    old_keep_prefix(d, n, keep);
    if (top_p < 1.0f) {
        double cum = 0.0;
        int nucleus = 0;
        while (nucleus < keep) {
            cum += d->probs[d->order[nucleus++]];
            if (cum + 1e-6 >= (double)top_p) break;
        }
        if (nucleus < keep) old_keep_prefix(d, n, keep = nucleus);
    }
    d->n_kept = keep;
}

/* Draws with the old sampler's walk over its kept prefix. */
static int32_t old_sample(Sampler *s, const OldDist *d) {
    double u = sampler_uniform(s), cum = 0.0;
    for (int r = 0; r < d->n_kept; r++) {
        cum += d->probs[d->order[r]];
        if (u < cum) return d->order[r];
    }
    for (int r = d->n_kept - 1; r > 0; r--)
        if (d->probs[d->order[r]] > 0.0f) return d->order[r];
    return d->order[0];
}

static void test_old_order_reproduced(void **state) {
    (void)state;
    enum { N = 500 };
    float logits[N];
    const float temps[] = {0.0f, 0.3f, 0.8f, 1.0f, 1.7f};
    const int ks[] = {0, 1, 7, 40, N};
    const float ps[] = {1.0f, 0.95f, 0.6f, 0.1f};
    Distribution d;
    distribution_init(&d, N);
    static OldDist old;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) logits[i] = (float)(2.5 * sin(i * 0.37 + round) + 0.5 * cos(i * 1.3));
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++)
                for (int c = 0; c < 4; c++) {
                    // Today's settings under today's order give today's distribution, bit for bit...
                    Sampler s, ref;
                    sampler_init(&s, temps[a], ks[b], ps[c], 11 + round);
                    char err[512];
                    assert_int_equal(sampler_set_chain(&s, "temp,top-k,top-p", err), 0);
                    distribution_compute(&d, logits, &s);
                    old_compute(&old, logits, N, temps[a], ks[b], ps[c]);
                    assert_int_equal(d.n_kept, old.n_kept);
                    assert_memory_equal(d.probs, old.probs, N * sizeof(float));
                    assert_memory_equal(d.order, old.order, N * sizeof(int32_t));
                    // ...and so the same tokens from the same seed.
                    sampler_init(&ref, temps[a], ks[b], ps[c], 11 + round);
                    for (int k = 0; k < 20; k++) assert_int_equal(sampler_sample(&s, &d), old_sample(&ref, &old));
                    // With top-k and top-p off, the default chain (temperature last) is the same.
                    if (ps[c] == 1.0f) {
                        sampler_default_chain(&s);
                        distribution_compute(&d, logits, &s);
                        assert_memory_equal(d.probs, old.probs, N * sizeof(float));
                    }
                }
    }
    distribution_free(&d);
}

static Distribution chain_of(const float *logits, int n, const char *chain, float temp, float top_p) {
    Sampler s;
    sampler_init(&s, temp, 0, top_p, 1);
    char err[512];
    assert_int_equal(sampler_set_chain(&s, chain, err), 0);
    Distribution d;
    distribution_init(&d, n);
    distribution_compute(&d, logits, &s);
    return d;
}

/* The demo of issue 16: logits [3, 2, 1], top-p 0.8, T 0.5. At T 1 the probabilities are
 * (.665, .245, .090): .665 falls short of .8, so top-p keeps two; at T .5 they are (.867, .117, .016)
 * and the first alone reaches .8. */
static void test_order_demo(void **state) {
    (void)state;
    const float logits[3] = {3.0f, 2.0f, 1.0f};
    double e1 = exp(-1.0), e2 = exp(-2.0), z1 = 1 + e1 + e2;
    double f2 = exp(-2.0), f4 = exp(-4.0), z2 = 1 + f2 + f4;

    Distribution last = chain_of(logits, 3, "top-p,temp", 0.5f, 0.8f);
    assert_int_equal(last.n_kept, 2);
    assert_int_equal(last.n_stages, 2);
    assert_int_equal(last.stages[0].kind, STAGE_TOP_P);
    assert_int_equal(last.stages[0].n_in, 3);
    assert_int_equal(last.stages[0].n_kept, 2);
    assert_true(fabs(last.stages[0].removed - e2 / z1) < 1e-6);
    // after top-p (T 1): (1, e^-1) / (1 + e^-1); after temp: (1, e^-2) / (1 + e^-2)
    assert_true(fabs(last.stages[0].prob[0] - 1 / (1 + e1)) < 1e-6);
    assert_true(fabs(last.stages[1].prob[1] - e2 / (1 + e2)) < 1e-6);
    assert_true(last.stages[1].removed == 0.0f && last.stages[1].n_kept == 2);
    assert_true(fabs(last.probs[0] - 1 / (1 + f2)) < 1e-6 && fabs(last.probs[1] - f2 / (1 + f2)) < 1e-6);
    assert_true(last.probs[2] == 0.0f);
    assert_int_equal(last.stages[0].rank[2], 0);
    assert_int_equal(last.stages[1].rank[1], 2);

    Distribution first = chain_of(logits, 3, "temp,top-p", 0.5f, 0.8f);
    assert_int_equal(first.n_kept, 1);
    assert_int_equal(first.stages[0].n_kept, 3);
    assert_true(fabs(first.stages[0].prob[0] - 1 / z2) < 1e-6);
    assert_int_equal(first.stages[1].n_kept, 1);
    assert_true(fabs(first.stages[1].removed - (f2 + f4) / z2) < 1e-6);
    assert_true(first.probs[0] == 1.0f);

    // The drawn token's row: where it stood at each stage.
    distribution_note_drawn(&last, 1);
    assert_int_equal(last.stages[0].rank[CHAIN_ROWS], 2);
    assert_true(fabs(last.stages[0].prob[CHAIN_ROWS] - e1 / (1 + e1)) < 1e-6);
    assert_true(fabs(last.stages[1].prob[CHAIN_ROWS] - f2 / (1 + f2)) < 1e-6);
    assert_true(fabs(last.chain_prob_in[CHAIN_ROWS] - e1 / z1) < 1e-6);
    distribution_note_drawn(&first, 2);
    assert_int_equal(first.stages[0].rank[CHAIN_ROWS], 3);
    assert_int_equal(first.stages[1].rank[CHAIN_ROWS], 0);
    assert_true(first.stages[1].prob[CHAIN_ROWS] == 0.0f);
    distribution_free(&last);
    distribution_free(&first);
}

/* Probabilities (.5, .3, .15, .05) given out of order: ids 2, 0, 3, 1. */
static const double HAND[4] = {0.3, 0.05, 0.5, 0.15};

static void test_min_p(void **state) {
    (void)state;
    float logits[4];
    logits_from_probs(logits, HAND, 4);
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    Distribution d;
    distribution_init(&d, 4);
    // min-p .25: the floor is .125, so .5, .3 and .15 stay; min-p .5: the floor .25 keeps two.
    struct {
        float min_p;
        int keep;
    } cases[] = {{0.25f, 3}, {0.5f, 2}, {0.61f, 1}, {0.09f, 4}, {1.0f, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s.min_p = cases[i].min_p;
        distribution_compute(&d, logits, &s);
        assert_int_equal(d.n_kept, cases[i].keep);
    }
    s.min_p = 0.25f;
    distribution_compute(&d, logits, &s);
    assert_true(fabs(d.probs[2] - 0.5 / 0.95) < 1e-6 && fabs(d.probs[3] - 0.15 / 0.95) < 1e-6);
    assert_true(d.probs[1] == 0.0f);
    assert_true(fabs(d.stages[4].removed - 0.05) < 1e-6); // min-p is the fifth stage by default
    distribution_free(&d);
}

/* Typical-p by hand: H = -sum p ln p = 1.14218 nats; |-ln p - H| is .449 (.5), .062 (.3),
 * .755 (.15), 1.854 (.05), so the .3 token comes first, then .5. */
static void test_typical(void **state) {
    (void)state;
    float logits[4];
    logits_from_probs(logits, HAND, 4);
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    Distribution d;
    distribution_init(&d, 4);
    s.typical_p = 0.5f; // .3 is not above .5; .3 + .5 is
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 2);
    assert_true(fabs(d.probs[2] - 0.625) < 1e-6 && fabs(d.probs[0] - 0.375) < 1e-6);
    assert_int_equal(d.order[0], 2);
    s.typical_p = 0.2f; // the .3 token alone: typical sampling drops the likeliest token
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 1);
    assert_int_equal(d.order[0], 0);
    assert_true(d.probs[0] == 1.0f && d.probs[2] == 0.0f);
    // The cut ones follow in logit order: 2 (.5), 3 (.15), 1 (.05).
    assert_int_equal(d.order[1], 2);
    assert_int_equal(d.order[2], 3);
    assert_int_equal(d.order[3], 1);
    assert_int_equal(distribution_stage_rank(&d, 2, 2), 0); // typical is the third stage by default
    assert_int_equal(distribution_stage_rank(&d, 1, 2), 1); // before it, the .5 token led
    Sampler g = s;
    for (int k = 0; k < 20; k++) assert_int_equal(sampler_sample(&g, &d), 0);
    s.typical_p = 0.85f; // .3 + .5 = .8 is not above .85; + .15 is: three kept
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 3);
    distribution_free(&d);
}

static void test_penalties(void **state) {
    (void)state;
    const float logits[4] = {2.0f, -1.0f, 0.5f, 3.0f};
    const int32_t history[3] = {0, 1, 0};
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    s.repeat_penalty = 2.0f;
    s.presence_penalty = 0.5f;
    s.frequency_penalty = 0.25f;
    s.repeat_last_n = 64;
    Distribution d;
    distribution_init(&d, 4);
    distribution_compute_ctx(&d, logits, &s, history, 3);
    // token 0, seen twice: 2 / 2 - (2 * .25 + .5) = 0; token 1, once: -1 * 2 - (.25 + .5) = -2.75
    assert_true(d.adjusted[0] == 0.0f && d.adjusted[1] == -2.75f);
    assert_true(d.adjusted[2] == 0.5f && d.adjusted[3] == 3.0f);
    assert_true(d.logits[0] == 2.0f);
    double z = exp(0.0) + exp(-2.75) + exp(0.5) + exp(3.0);
    assert_true(fabs(d.probs[0] - 1.0 / z) < 1e-6);
    assert_true(fabs(d.probs_t1[0] - exp(2.0) / (exp(2.0) + exp(-1.0) + exp(0.5) + exp(3.0))) < 1e-6);
    assert_true(d.stages[0].active);
    assert_int_equal(d.order[1], 2); // .5 now outranks the penalised 0
    // Only the last token in the window: token 0 once, 2 / 2 - .75 = .25; token 1 untouched.
    s.repeat_last_n = 1;
    distribution_compute_ctx(&d, logits, &s, history, 3);
    assert_true(d.adjusted[0] == 0.25f && d.adjusted[1] == -1.0f);
    s.repeat_last_n = 0; // no window: nothing
    distribution_compute_ctx(&d, logits, &s, history, 3);
    assert_true(d.adjusted[0] == 2.0f && !d.stages[0].active);
    s.repeat_last_n = -1; // the whole history
    distribution_compute_ctx(&d, logits, &s, history, 3);
    assert_true(d.adjusted[0] == 0.0f);
    // Not in the chain: not applied.
    char err[512];
    assert_int_equal(sampler_set_chain(&s, "top-k,temp", err), 0);
    distribution_compute_ctx(&d, logits, &s, history, 3);
    assert_true(d.adjusted[0] == 2.0f);
    distribution_free(&d);
}

static void test_greedy_and_top_k_stage(void **state) {
    (void)state;
    float logits[4];
    logits_from_probs(logits, HAND, 4);
    Distribution d = chain_of(logits, 4, "top-p,greedy", 1.0f, 0.9f);
    assert_int_equal(d.n_kept, 1);
    assert_true(d.probs[2] == 1.0f);
    assert_int_equal(d.stages[0].n_kept, 3);
    assert_true(fabs(d.stages[1].removed - (0.3 + 0.15) / 0.95) < 1e-6);
    distribution_free(&d);
    // top-k renormalises: k = 2 leaves (.625, .375); the stage removed .2 of the mass.
    Sampler s;
    sampler_init(&s, 1.0f, 2, 1.0f, 1);
    distribution_init(&d, 4);
    distribution_compute(&d, logits, &s);
    assert_true(fabs(d.stages[1].removed - 0.2) < 1e-6);
    assert_true(fabs(distribution_stage_prob(&d, 1, 0) - 0.375) < 1e-6);
    assert_true(fabs(distribution_stage_prob(&d, -1, 0) - 0.3) < 1e-6);
    assert_int_equal(distribution_stage_rank(&d, 1, 0), 2);
    assert_int_equal(distribution_stage_rank(&d, 1, 3), 0);
    assert_int_equal(distribution_stage_rank(&d, -1, 1), 4);
    // T = 0 after everything: the first token still in.
    s.temperature = 0.0f;
    distribution_compute(&d, logits, &s);
    assert_int_equal(d.n_kept, 1);
    assert_true(d.probs[2] == 1.0f && d.entropy == 0.0f);
    distribution_free(&d);
}

static void test_chain_names(void **state) {
    (void)state;
    Sampler s;
    sampler_init(&s, 1.0f, 0, 1.0f, 1);
    char err[512], buf[128];
    assert_string_equal(sampler_chain_string(&s, buf, sizeof buf), "penalties,top-k,typical,top-p,min-p,temp");
    assert_int_equal(sampler_set_chain(&s, "top_k;typ_p;temperature", err), 0);
    assert_string_equal(sampler_chain_string(&s, buf, sizeof buf), "top-k,typical,temp");
    assert_int_equal(sampler_set_chain(&s, "top-p, temp", err), 0);
    assert_string_equal(sampler_chain_string(&s, buf, sizeof buf), "top-p,temp");
    Sampler t = s;
    assert_int_equal(sampler_set_chain(&s, "top-p,frob", err), -1);
    assert_non_null(strstr(err, "unknown stage 'frob'"));
    assert_int_equal(sampler_set_chain(&s, "temp,temp", err), -1);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(sampler_set_chain(&s, "temp,penalties", err), -1);
    assert_non_null(strstr(err, "first"));
    assert_int_equal(sampler_set_chain(&s, "", err), -1);
    assert_int_equal(sampler_set_chain(&s, "temp,", err), -1);
    assert_true(sampler_same_settings(&s, &t)); // unchanged by the failures
    t.min_p = 0.1f;
    assert_false(sampler_same_settings(&s, &t));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_is_the_documented_one),
        cmocka_unit_test(test_uniform_range_and_mean),
        cmocka_unit_test(test_softmax_matches_formula),
        cmocka_unit_test(test_large_logits_are_stable),
        cmocka_unit_test(test_order_descending_ties_lower_id),
        cmocka_unit_test(test_order_matches_comparison_sort),
        cmocka_unit_test(test_temperature_zero_is_argmax),
        cmocka_unit_test(test_probs_sum_to_one),
        cmocka_unit_test(test_top_k_keeps_exactly_k),
        cmocka_unit_test(test_top_p_cut),
        cmocka_unit_test(test_entropy),
        cmocka_unit_test(test_temperature_flattens),
        cmocka_unit_test(test_seeds_repeat_and_differ),
        cmocka_unit_test(test_empirical_frequencies),
        cmocka_unit_test(test_old_order_reproduced),
        cmocka_unit_test(test_order_demo),
        cmocka_unit_test(test_min_p),
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_penalties),
        cmocka_unit_test(test_greedy_and_top_k_stage),
        cmocka_unit_test(test_chain_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
