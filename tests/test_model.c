/* Tests of the llama forward pass (src/model/model.c) against expectations computed independently:
 * a naive full recompute written here in double precision (no KV cache, every prefix from scratch),
 * a one-layer model small enough to work out by hand, and models written and evaluated by a
 * separate pure-Python implementation (tests/gguf_ref.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gguf.h"
#include "kernels.h"
#include "lens.h"
#include "model.h"
#include "util.h"

/* ------------------------------------------------------------------------------------------------
 * Test weights: our own generator, so the test does not depend on model_init_random's values. */

static uint32_t lcg_next(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

/* uniform in (-scale, scale) */
static void fill_uniform(float *w, size_t n, float scale, uint32_t *s) {
    for (size_t i = 0; i < n; i++)
        w[i] = scale * (2.0f * (float)(lcg_next(s) >> 8) / 16777216.0f - 1.0f);
}

/* Overwrites every weight of m with values large enough that attention is far from uniform and the
 * norms are not all ones (so a wrong pairing, scaling or head mapping shows). */
static void fill_test_weights(Model *m, uint32_t seed) {
    const Config *c = &m->config;
    int q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    uint32_t s = seed;
    Weights *w = &m->weights;
    fill_uniform(matrix_floats(w->token_embd), (size_t)c->vocab_size * c->dim, 1.0f, &s);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        fill_uniform(lw->attn_norm, (size_t)c->dim, 0.5f, &s);
        fill_uniform(lw->ffn_norm, (size_t)c->dim, 0.5f, &s);
        for (int i = 0; i < c->dim; i++)
            lw->attn_norm[i] += 1.0f, lw->ffn_norm[i] += 1.0f;
        fill_uniform(matrix_floats(lw->wq), (size_t)q_dim * c->dim, 0.6f, &s);
        fill_uniform(matrix_floats(lw->wk), (size_t)kv_dim * c->dim, 0.6f, &s);
        fill_uniform(matrix_floats(lw->wv), (size_t)kv_dim * c->dim, 0.4f, &s);
        fill_uniform(matrix_floats(lw->wo), (size_t)c->dim * q_dim, 0.3f, &s);
        fill_uniform(matrix_floats(lw->w_gate), (size_t)c->hidden_dim * c->dim, 0.4f, &s);
        fill_uniform(matrix_floats(lw->w_up), (size_t)c->hidden_dim * c->dim, 0.4f, &s);
        fill_uniform(matrix_floats(lw->w_down), (size_t)c->dim * c->hidden_dim, 0.3f, &s);
    }
    fill_uniform(w->output_norm, (size_t)c->dim, 0.5f, &s);
    for (int i = 0; i < c->dim; i++)
        w->output_norm[i] += 1.0f;
}

/* ------------------------------------------------------------------------------------------------
 * The naive reference: the textbook transformer over a whole sequence at once, in double, no cache.
 * Written from the llama description (notes/gguf-llama.md), sharing no code with model.c. */

static void ref_rmsnorm(double *out, const double *x, const float *w, int n, double eps) {
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += x[i] * x[i];
    double r = 1.0 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * r * w[i];
}

/* out (d) = W (d rows of n) x */
static void ref_matvec(double *out, const float *w, const double *x, int n, int d) {
    for (int i = 0; i < d; i++) {
        double s = 0;
        for (int j = 0; j < n; j++)
            s += (double)w[(size_t)i * n + j] * x[j];
        out[i] = s;
    }
}

/* Rotates adjacent pairs (2i, 2i+1), i < rope_dim/2, of one head by pos * base^(-2i/rope_dim). */
static void ref_rope_head(double *v, int rope_dim, int pos, double base) {
    for (int i = 0; i < rope_dim / 2; i++) {
        double a = pos * pow(base, -2.0 * i / rope_dim);
        double x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * cos(a) - x1 * sin(a);
        v[2 * i + 1] = x0 * sin(a) + x1 * cos(a);
    }
}

/* Runs tokens[0..n) from scratch. Fills logits (vocab) of the last position, and optionally the
 * last position's attention probabilities att_last (n_layers, n_heads, n) and residuals resid_last
 * (n_layers, dim). */
static void naive_forward(const Model *m, const int32_t *tok, int n, double *logits,
                          double *att_last, double *resid_last) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    int D = c->dim, H = c->n_heads, KVH = c->n_kv_heads, hd = c->head_dim, F = c->hidden_dim;
    double *x = calloc((size_t)n * D, sizeof(double));
    double *xn = calloc((size_t)D, sizeof(double));
    double *q = calloc((size_t)n * H * hd, sizeof(double));
    double *k = calloc((size_t)n * KVH * hd, sizeof(double));
    double *v = calloc((size_t)n * KVH * hd, sizeof(double));
    double *o = calloc((size_t)H * hd, sizeof(double));
    double *tmp = calloc((size_t)(D > F ? D : F), sizeof(double));
    double *g = calloc((size_t)F, sizeof(double)), *u = calloc((size_t)F, sizeof(double));
    double *sc = calloc((size_t)n, sizeof(double));
    for (int t = 0; t < n; t++)
        for (int i = 0; i < D; i++)
            x[t * D + i] = matrix_floats(w->token_embd)[(size_t)tok[t] * D + i];
    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        for (int t = 0; t < n; t++) {
            ref_rmsnorm(xn, x + t * D, lw->attn_norm, D, c->norm_eps);
            ref_matvec(q + t * H * hd, matrix_floats(lw->wq), xn, D, H * hd);
            ref_matvec(k + t * KVH * hd, matrix_floats(lw->wk), xn, D, KVH * hd);
            ref_matvec(v + t * KVH * hd, matrix_floats(lw->wv), xn, D, KVH * hd);
            for (int h = 0; h < H; h++)
                ref_rope_head(q + t * H * hd + h * hd, c->rope_dim, t, c->rope_base);
            for (int h = 0; h < KVH; h++)
                ref_rope_head(k + t * KVH * hd + h * hd, c->rope_dim, t, c->rope_base);
        }
        /* attention for every query t over keys 0..t (all queries computed before any residual add)
         */
        double *newx = calloc((size_t)n * D, sizeof(double));
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < H; h++) {
                int kvh = h / (H / KVH);
                double mx = -1e300, sum = 0;
                for (int s = 0; s <= t; s++) {
                    double d = 0;
                    for (int i = 0; i < hd; i++)
                        d += q[t * H * hd + h * hd + i] * k[s * KVH * hd + kvh * hd + i];
                    sc[s] = d / sqrt((double)hd);
                    if (sc[s] > mx) mx = sc[s];
                }
                for (int s = 0; s <= t; s++)
                    sum += (sc[s] = exp(sc[s] - mx));
                for (int i = 0; i < hd; i++)
                    o[h * hd + i] = 0;
                for (int s = 0; s <= t; s++) {
                    sc[s] /= sum;
                    for (int i = 0; i < hd; i++)
                        o[h * hd + i] += sc[s] * v[s * KVH * hd + kvh * hd + i];
                }
                if (att_last && t == n - 1)
                    for (int s = 0; s < n; s++)
                        att_last[((size_t)l * H + h) * n + s] = sc[s];
            }
            ref_matvec(tmp, matrix_floats(lw->wo), o, H * hd, D);
            for (int i = 0; i < D; i++)
                newx[t * D + i] = x[t * D + i] + tmp[i];
        }
        memcpy(x, newx, (size_t)n * D * sizeof(double));
        free(newx);
        for (int t = 0; t < n; t++) {
            ref_rmsnorm(xn, x + t * D, lw->ffn_norm, D, c->norm_eps);
            ref_matvec(g, matrix_floats(lw->w_gate), xn, D, F);
            ref_matvec(u, matrix_floats(lw->w_up), xn, D, F);
            for (int i = 0; i < F; i++)
                g[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
            ref_matvec(tmp, matrix_floats(lw->w_down), g, F, D);
            for (int i = 0; i < D; i++)
                x[t * D + i] += tmp[i];
        }
        if (resid_last)
            for (int i = 0; i < D; i++)
                resid_last[l * D + i] = x[(n - 1) * D + i];
    }
    ref_rmsnorm(xn, x + (n - 1) * D, w->output_norm, D, c->norm_eps);
    ref_matvec(logits, matrix_floats(w->output), xn, D, c->vocab_size);
    free(x), free(xn), free(q), free(k), free(v), free(o), free(tmp), free(g), free(u), free(sc);
}

/* ------------------------------------------------------------------------------------------------
 */

/* dim 24, 4 heads of 6 sharing 2 kv heads, rope on the first 4 of each head's 6 dims. */
static Config small_config(int n_kv_heads, int rope_dim) {
    Config c = {0};
    c.dim = 24;
    c.hidden_dim = 40;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = n_kv_heads;
    c.rope_dim = rope_dim;
    c.vocab_size = 20;
    c.seq_len = 12;
    c.rope_base = 100.0f; /* a small base makes every pair turn noticeably within 12 positions */
    c.norm_eps = 1e-5f;
    return c;
}

static void assert_close(const float *got, const double *want, int n, double tol, const char *what,
                         int pos) {
    for (int i = 0; i < n; i++) {
        if (fabs(got[i] - want[i]) > tol) {
            fail_msg("%s at position %d, index %d: got %.7f, expected %.7f", what, pos, i, got[i],
                     want[i]);
        }
    }
}

static const int32_t SEQ[12] = {3, 17, 0, 5, 5, 19, 8, 2, 11, 3, 14, 7};

/* Whether any product of m takes a kernel that rounds its activations to 16 bits (kernels.h). */
static int model_rounds(const Model *m) {
    if (!kernels_rounding()) return 0;
    if (kernel_rounds_activations(m->weights.output.type)) return 1;
    for (int l = 0; l < m->config.n_layers; l++) {
        const LayerWeights *w = &m->weights.layers[l];
        Matrix mats[7] = {w->wq, w->wk, w->wv, w->wo, w->w_gate, w->w_up, w->w_down};
        for (int j = 0; j < 7; j++)
            if (kernel_rounds_activations(mats[j].type)) return 1;
    }
    return 0;
}

/* The tolerance on logits against a reference on the same weights: 1e-4 of max(1, |logit|) for
 * float32 activations (float32's summation, which these random models, with large weights and
 * sharp attention, amplify from ~1e-7 to up to ~1e-5 over a dozen positions). A model whose
 * products round the activations to 16 bits (2^-16 of each block's largest value: ~1e-4 of a
 * product of random data) is held to 5e-3 (measured: 2.6e-4 on the Python reference's models,
 * 1.3e-3 on the round trip's, at the last of its ten positions); the tests run both ways, and
 * test_quant checks the rounding kernels exactly against a float64 product. */
static double logit_tol(const Model *m) {
    return model_rounds(m) ? 5e-3 : 1e-4;
}

/* Every KV-cached step equals a full recompute of that prefix; so does stepping back and taking a
 * different branch; for each of: grouped (2 kv heads), multi-query (1), and plain (4) attention. */
static void test_kv_cache_matches_recompute(void **state) {
    (void)state;
    int kv_choices[3][2] = {{2, 4}, {1, 6}, {4, 2}};
    for (int cfg = 0; cfg < 3; cfg++) {
        Config c = small_config(kv_choices[cfg][0], kv_choices[cfg][1]);
        Model m;
        char err[GB_ERRLEN];
        assert_int_equal(model_init_random(&m, &c, 7, err), 0);
        fill_test_weights(&m, 100 + cfg);
        double want[20];
        for (int p = 0; p < 12; p++) {
            float *logits = model_forward(&m, SEQ[p], p);
            assert_non_null(logits);
            naive_forward(&m, SEQ, p + 1, want, NULL, NULL);
            assert_close(logits, want, 20, 1e-4, "cached step vs recompute", p);
        }
        /* step back to position 4 and continue with other tokens */
        int32_t branch[12];
        memcpy(branch, SEQ, sizeof(branch));
        for (int p = 4; p < 9; p++) {
            branch[p] = (int32_t)((SEQ[p] * 7 + 3) % 20);
            float *logits = model_forward(&m, branch[p], p);
            naive_forward(&m, branch, p + 1, want, NULL, NULL);
            assert_close(logits, want, 20, 1e-4, "step after stepping back", p);
        }
        model_free(&m);
    }
}

/* The whole-prompt path fills the cache and probes like single steps do. */
static void test_prompt_matches_steps(void **state) {
    (void)state;
    Config c = small_config(2, 4);
    Model a, b;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&a, &c, 3, err), 0);
    assert_int_equal(model_init_random(&b, &c, 3, err), 0);
    assert_int_equal(model_enable_probes(&a, err), 0);
    assert_int_equal(model_enable_probes(&b, err), 0);
    fill_test_weights(&a, 55);
    fill_test_weights(&b, 55);
    float *la = NULL;
    for (int p = 0; p < 10; p++)
        la = model_forward(&a, SEQ[p], p);
    /* prompt in two pieces: positions 0..4, then 5..9 (the second piece starts mid-cache) */
    assert_non_null(model_forward_prompt(&b, SEQ, 5, 0));
    float *lb = model_forward_prompt(&b, SEQ + 5, 5, 5);
    assert_non_null(lb);
    double want[20];
    naive_forward(&a, SEQ, 10, want, NULL, NULL);
    assert_close(la, want, 20, 1e-4, "steps", 9);
    assert_close(lb, want, 20, 1e-4, "prompt", 9);
    size_t n_att = (size_t)c.n_layers * c.n_heads * c.seq_len * c.seq_len;
    for (size_t i = 0; i < n_att; i++)
        assert_true(fabsf(a.probes.attn[i] - b.probes.attn[i]) < 1e-5f);
    size_t n_res = (size_t)c.n_layers * c.seq_len * c.dim;
    for (size_t i = 0; i < n_res; i++)
        assert_true(fabsf(a.probes.residual[i] - b.probes.residual[i]) < 1e-4f);
    /* a longer prompt (the matrix-matrix path) continues correctly with single steps */
    assert_non_null(model_forward_prompt(&b, SEQ, 11, 0));
    float *lc = model_forward(&b, SEQ[11], 11);
    naive_forward(&a, SEQ, 12, want, NULL, NULL);
    assert_close(lc, want, 20, 1e-4, "step after prompt", 11);
    /* every position's logits (the eval path), for the matrix-matrix path and the short one, each
     * against a naive recompute of its prefix */
    for (int n = 12; n >= 3; n -= 9) {
        float *all = malloc((size_t)n * 20 * sizeof(float)); /* (n, vocab) */
        assert_non_null(model_forward_prompt_all(&b, SEQ, n, 0, all));
        for (int p = 0; p < n; p++) {
            naive_forward(&a, SEQ, p + 1, want, NULL, NULL);
            assert_close(all + (size_t)p * 20, want, 20, 1e-4, "all-positions logits", p);
        }
        free(all);
    }
    /* out-of-range input computes nothing */
    int32_t bad[2] = {1, 20};
    assert_null(model_forward_prompt(&b, bad, 2, 0));
    assert_null(model_forward_prompt(&b, SEQ, 5, 8));
    assert_null(model_forward(&b, 20, 0));
    assert_null(model_forward(&b, -1, 0));
    assert_null(model_forward(&b, 1, 12));
    model_free(&a);
    model_free(&b);
}

/* Probe rows are probability distributions over the keys so far, causal, and equal to the
 * reference's attention; the residual probe of the last layer gives back the logits the step
 * returned. */
static void test_probes(void **state) {
    (void)state;
    Config c = small_config(2, 4);
    Model m;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&m, &c, 11, err), 0);
    assert_int_equal(model_enable_probes(&m, err), 0);
    fill_test_weights(&m, 9);
    assert_true(m.probes.enabled);
    int L = c.n_layers, H = c.n_heads, S = c.seq_len, D = c.dim;
    double *att_ref = calloc((size_t)L * H * S, sizeof(double));
    double *res_ref = calloc((size_t)L * D, sizeof(double));
    double logits_ref[20];
    for (int p = 0; p < 8; p++) {
        float *logits = model_forward(&m, SEQ[p], p);
        naive_forward(&m, SEQ, p + 1, logits_ref, att_ref, res_ref);
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                const float *row = m.probes.attn + (((size_t)l * H + h) * S + p) * S;
                double sum = 0;
                for (int t = 0; t <= p; t++) {
                    assert_true(row[t] >= 0.0f);
                    sum += row[t];
                    assert_true(fabs(row[t] - att_ref[((size_t)l * H + h) * (p + 1) + t]) < 1e-5);
                }
                assert_true(fabs(sum - 1.0) < 1e-5);
                for (int t = p + 1; t < S; t++)
                    assert_true(row[t] == 0.0f);
            }
            const float *res = m.probes.residual + ((size_t)l * S + p) * D;
            for (int i = 0; i < D; i++)
                assert_true(fabs(res[i] - res_ref[l * D + i]) < 1e-4);
        }
        /* logit lens on the last layer's residual = the returned logits */
        const float *last = m.probes.residual + ((size_t)(L - 1) * S + p) * D;
        double ss = 0;
        for (int i = 0; i < D; i++)
            ss += (double)last[i] * last[i];
        double r = 1.0 / sqrt(ss / D + c.norm_eps);
        for (int v = 0; v < c.vocab_size; v++) {
            double z = 0;
            for (int i = 0; i < D; i++)
                z += last[i] * r * m.weights.output_norm[i] * matrix_floats(m.weights.output)[(size_t)v * D + i];
            assert_true(fabs(z - logits[v]) < 1e-4);
        }
    }
    /* stepping back rewrites the row, including zeros after the new query position */
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++)
            m.probes.attn[(((size_t)l * H + h) * S + 3) * S + 5] = 42.0f;
    model_forward(&m, SEQ[3], 3);
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++)
            assert_true(m.probes.attn[(((size_t)l * H + h) * S + 3) * S + 5] == 0.0f);

    /* probes off: same logits, probe rows untouched */
    float with[20];
    memcpy(with, model_forward(&m, SEQ[7], 7), sizeof(with));
    m.probes.enabled = 0;
    memset(m.probes.attn, 0, (size_t)L * H * S * S * sizeof(float));
    memset(m.probes.residual, 0, (size_t)L * S * D * sizeof(float));
    float *without = model_forward(&m, SEQ[7], 7);
    for (int v = 0; v < c.vocab_size; v++)
        assert_true(with[v] == without[v]);
    for (size_t i = 0; i < (size_t)L * H * S * S; i++)
        assert_true(m.probes.attn[i] == 0.0f);
    for (size_t i = 0; i < (size_t)L * S * D; i++)
        assert_true(m.probes.residual[i] == 0.0f);
    free(att_ref);
    free(res_ref);
    model_free(&m);
}

/* One layer, one head of size 4, worked out by hand.
 *   dim 4, vocab 3, embedding rows e0, e1, e2 (unit vectors), norms all 1, eps 1e-6.
 *   Wq = Wk = Wv = Wo = identity (4x4). FFN: hidden 1 with w_gate = 0, so silu(0) * up = 0: the
 *   feed-forward adds nothing. rope_dim 4, base 10000: pair (x0,x1) turns by pos radians, pair
 *   (x2,x3) by pos/100. Output head tied to the embedding, so logit v = (normed x)[v].
 *   rmsnorm of a unit vector e: e / sqrt(1/4 + eps) = r e with r = 1/sqrt(0.25 + 1e-6) ~ 2.
 *
 * Position 0, token 0: q = k = v = (r,0,0,0); RoPE at 0 is the identity; one key, weight 1;
 *   attention output (r,0,0,0); x = (1 + r, 0, 0, 0) ~ (3,0,0,0); final norm gives ~(2,0,0,0):
 *   logits ~ (2, 0, 0).
 * Position 1, token 1: xn = (0,r,0,0); RoPE turns pair (x0,x1) by 1 rad: q1 = k1 = (-r sin1, r
 * cos1, 0, 0). Scores (scale 1/sqrt(4) = 1/2): q1.k0 / 2 = -r^2 sin1 / 2 ~ -1.682942; q1.k1 / 2 =
 * r^2 / 2 ~ 2. p0 = 1 / (1 + exp(2 + 1.682942)) ~ 0.024527, p1 ~ 0.975473. Attention output = p0 v0
 * + p1 v1 = (p0 r, p1 r, 0, 0) ~ (0.049054, 1.950946, 0, 0). x = (0,1,0,0) + that ~
 * (0.049054, 2.950946, 0, 0); mean square ~ 2.177622, rms ~ 1.475677; logits ~ (0.033242, 1.999727,
 * 0). (Rotating half-split pairs (x0,x2), (x1,x3) instead would give q1.k0 = 0 and different
 * logits.) */
static void test_hand_computed_layer(void **state) {
    (void)state;
    Config c = {0};
    c.dim = 4;
    c.hidden_dim = 1;
    c.n_layers = 1;
    c.n_heads = 1;
    c.n_kv_heads = 1;
    c.rope_dim = 4;
    c.vocab_size = 3;
    c.seq_len = 4;
    c.rope_base = 10000.0f;
    c.norm_eps = 1e-6f;
    Model m;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&m, &c, 1, err), 0);
    assert_int_equal(model_enable_probes(&m, err), 0);
    Weights *w = &m.weights;
    LayerWeights *lw = &w->layers[0];
    memset(matrix_floats(w->token_embd), 0, 3 * 4 * sizeof(float));
    for (int v = 0; v < 3; v++)
        matrix_floats(w->token_embd)[v * 4 + v] = 1.0f;
    float *mats[4] = {matrix_floats(lw->wq), matrix_floats(lw->wk), matrix_floats(lw->wv), matrix_floats(lw->wo)};
    for (int k = 0; k < 4; k++) {
        memset(mats[k], 0, 16 * sizeof(float));
        for (int i = 0; i < 4; i++)
            mats[k][i * 4 + i] = 1.0f;
    }
    for (int i = 0; i < 4; i++)
        lw->attn_norm[i] = lw->ffn_norm[i] = w->output_norm[i] = 1.0f;
    memset(matrix_floats(lw->w_gate), 0, 4 * sizeof(float));
    for (int i = 0; i < 4; i++)
        matrix_floats(lw->w_up)[i] = 1.0f, matrix_floats(lw->w_down)[i] = 1.0f;

    double eps = 1e-6, r = 1.0 / sqrt(0.25 + eps);
    float *l0 = model_forward(&m, 0, 0);
    double x0 = 1.0 + r, n0 = x0 / sqrt(x0 * x0 / 4 + eps);
    assert_true(fabs(l0[0] - n0) < 1e-5);
    assert_true(fabs(l0[0] - 2.0) < 1e-3); /* the hand figure */
    assert_true(fabs(l0[1]) < 1e-6 && fabs(l0[2]) < 1e-6);

    float *l1 = model_forward(&m, 1, 1);
    double s0 = -r * r * sin(1.0) / 2, s1 = r * r / 2;
    double p0 = 1.0 / (1.0 + exp(s1 - s0)), p1 = 1.0 - p0;
    double xa = p0 * r, xb = 1.0 + p1 * r;
    double rms = sqrt((xa * xa + xb * xb) / 4 + eps);
    assert_true(fabs(l1[0] - xa / rms) < 1e-5);
    assert_true(fabs(l1[1] - xb / rms) < 1e-5);
    assert_true(fabs(l1[2]) < 1e-6);
    assert_true(fabs(l1[0] - 0.033242) < 1e-4); /* the hand figures */
    assert_true(fabs(l1[1] - 1.999727) < 1e-4);
    /* the attention probe shows p0, p1 */
    assert_true(fabs(m.probes.attn[1 * 4 + 0] - 0.024527) < 1e-5);
    assert_true(fabs(m.probes.attn[1 * 4 + 1] - 0.975473) < 1e-5);
    model_free(&m);
}

/* Bad configurations are refused with a message. */
static void test_init_random_checks(void **state) {
    (void)state;
    Model m;
    char err[GB_ERRLEN];
    Config c = small_config(3, 4); /* 4 heads do not share 3 kv heads */
    assert_int_equal(model_init_random(&m, &c, 1, err), -1);
    assert_non_null(strstr(err, "key/value head count 3"));
    c = small_config(2, 5); /* odd rope dim */
    assert_int_equal(model_init_random(&m, &c, 1, err), -1);
    assert_non_null(strstr(err, "rope dimension 5"));
    c = small_config(2, 8); /* rope dim beyond the head size 6 */
    assert_int_equal(model_init_random(&m, &c, 1, err), -1);
    c = small_config(2, 4);
    c.n_heads = 5; /* 24 % 5 */
    assert_int_equal(model_init_random(&m, &c, 1, err), -1);
    assert_non_null(strstr(err, "not a multiple of the head count 5"));
    /* deterministic in the seed, different across seeds */
    c = small_config(2, 4);
    Model a, b, d;
    assert_int_equal(model_init_random(&a, &c, 5, err), 0);
    assert_int_equal(model_init_random(&b, &c, 5, err), 0);
    assert_int_equal(model_init_random(&d, &c, 6, err), 0);
    float ea[64], eb[64], ed[64];
    assert_int_equal(model_embedding(&a, 3, ea), 0);
    assert_int_equal(model_embedding(&b, 3, eb), 0);
    assert_int_equal(model_embedding(&d, 3, ed), 0);
    assert_memory_equal(ea, eb, (size_t)c.dim * sizeof(float));
    assert_memory_not_equal(ea, ed, (size_t)c.dim * sizeof(float));
    assert_int_equal(model_embedding(&a, 20, ea), -1);
    assert_true(a.weights.tied && matrix_floats(a.weights.output) == matrix_floats(a.weights.token_embd));
    model_free(&a);
    model_free(&b);
    model_free(&d);
}

/* ------------------------------------------------------------------------------------------------
 * Files: loading what another program wrote, writing and reading back, and refusing bad files */

/* A fresh temporary directory, and removal of it with the files the test named in it. */
static void make_temp_dir(char *dir, size_t size) {
    snprintf(dir, size, "%s/glassbox_model_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
}

/* The Python reference lives beside this file. The build passes the repository's assets directory
 * as an absolute path; the script is in ../tests from there. */
static void ref_script_path(char *out, size_t size) {
#ifdef GB_ASSETS_DIR
    snprintf(out, size, "%s/../tests/gguf_ref.py", GB_ASSETS_DIR);
    if (access(out, R_OK) == 0) return;
#endif
    snprintf(out, size, "tests/gguf_ref.py");
}

/* Models written by tests/gguf_ref.py (pure Python: its own GGUF writer, its own quantisers, its
 * own forward pass in double precision) give, here, the logits it computed at every position. */
static void test_python_reference(void **state) {
    (void)state;
    if (system("python3 -c 'import struct, math' >/dev/null 2>&1") != 0) {
        print_message("test_python_reference: skipped, python3 is not available\n");
        skip();
    }
    char dir[256], script[512], cmd[1024], path[512];
    make_temp_dir(dir, sizeof(dir));
    ref_script_path(script, sizeof(script));
    snprintf(cmd, sizeof(cmd), "python3 '%s' '%s'", script, dir);
    assert_int_equal(system(cmd), 0);

    snprintf(path, sizeof(path), "%s/manifest.txt", dir);
    FILE *manifest = fopen(path, "r");
    assert_non_null(manifest);
    char name[64];
    int dim, hidden, layers, heads, kv_heads, rope_dim, vocab, tied, n_tokens, n_cases = 0;
    while (fscanf(manifest, "%63s %d %d %d %d %d %d %d %d %d", name, &dim, &hidden, &layers, &heads,
                  &kv_heads, &rope_dim, &vocab, &tied, &n_tokens) == 10) {
        int32_t tokens[64];
        assert_true(n_tokens > 0 && n_tokens <= 64);
        for (int i = 0; i < n_tokens; i++)
            assert_int_equal(fscanf(manifest, "%d", &tokens[i]), 1);
        n_cases++;

        Model m;
        char err[GB_ERRLEN] = "";
        snprintf(path, sizeof(path), "%s/%s.gguf", dir, name);
        if (model_load(&m, path, 0, err) != 0) fail_msg("%s: %s", name, err);
        assert_int_equal(m.config.dim, dim);
        assert_int_equal(m.config.hidden_dim, hidden);
        assert_int_equal(m.config.n_layers, layers);
        assert_int_equal(m.config.n_heads, heads);
        assert_int_equal(m.config.n_kv_heads, kv_heads);
        assert_int_equal(m.config.rope_dim, rope_dim);
        assert_int_equal(m.config.vocab_size, vocab);
        assert_int_equal(m.config.seq_len, 32); /* context_length, uncapped */
        assert_int_equal(m.weights.tied, tied);
        assert_string_equal(m.name, name);

        snprintf(path, sizeof(path), "%s/%s.logits", dir, name);
        FILE *lf = fopen(path, "r");
        assert_non_null(lf);
        double *want = calloc((size_t)vocab * (size_t)n_tokens, sizeof(double));
        for (int i = 0; i < vocab * n_tokens; i++)
            assert_int_equal(fscanf(lf, "%lf", &want[i]), 1);
        /* with float32 activations everywhere, then with the kernels' default */
        for (int rounding = 0; rounding <= 1; rounding++) {
            kernels_set_rounding(rounding);
            double tol = logit_tol(&m);
            for (int p = 0; p < n_tokens; p++) {
                const double *wp = want + (size_t)p * vocab;
                float *logits = model_forward(&m, tokens[p], p);
                assert_non_null(logits);
                for (int v = 0; v < vocab; v++)
                    if (fabs(logits[v] - wp[v]) > tol * fmax(1.0, fabs(wp[v])))
                        fail_msg("%s (rounding %d): position %d, logit %d: got %.7f, the Python "
                                 "reference %.7f", name, rounding, p, v, logits[v], wp[v]);
            }
            /* the whole-prompt path agrees at the last position */
            float *last = model_forward_prompt(&m, tokens, n_tokens, 0);
            assert_non_null(last);
            const double *wl = want + (size_t)(n_tokens - 1) * vocab;
            for (int v = 0; v < vocab; v++)
                assert_true(fabs(last[v] - wl[v]) <= tol * fmax(1.0, fabs(wl[v])));
        }
        free(want);
        fclose(lf);
        model_free(&m);
        snprintf(path, sizeof(path), "%s/%s.gguf", dir, name);
        unlink(path);
        snprintf(path, sizeof(path), "%s/%s.logits", dir, name);
        unlink(path);
    }
    fclose(manifest);
    assert_int_equal(n_cases, 4);
    snprintf(path, sizeof(path), "%s/manifest.txt", dir);
    unlink(path);
    rmdir(dir);
}

/* Rounds every matrix of m through a storage format (norms stay F32 in the file, as in llama.cpp):
 * round_trip rewrites a block of 32 values in place. */
static void round_matrices(Model *m, void (*round_trip)(float *block)) {
    const Config *c = &m->config;
    size_t q_dim = (size_t)c->n_heads * c->head_dim, kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    struct {
        float *p;
        size_t n;
    } mats[64];
    int n = 0;
    mats[n].p = matrix_floats(m->weights.token_embd), mats[n++].n = (size_t)c->vocab_size * c->dim;
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &m->weights.layers[l];
        mats[n].p = matrix_floats(lw->wq), mats[n++].n = q_dim * c->dim;
        mats[n].p = matrix_floats(lw->wk), mats[n++].n = kv_dim * c->dim;
        mats[n].p = matrix_floats(lw->wv), mats[n++].n = kv_dim * c->dim;
        mats[n].p = matrix_floats(lw->wo), mats[n++].n = q_dim * c->dim;
        mats[n].p = matrix_floats(lw->w_gate), mats[n++].n = (size_t)c->hidden_dim * c->dim;
        mats[n].p = matrix_floats(lw->w_up), mats[n++].n = (size_t)c->hidden_dim * c->dim;
        mats[n].p = matrix_floats(lw->w_down), mats[n++].n = (size_t)c->hidden_dim * c->dim;
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(mats[i].n % 32, 0);
        for (size_t j = 0; j < mats[i].n; j += 32)
            round_trip(mats[i].p + j);
    }
}

static void through_f16(float *x) {
    for (int i = 0; i < 32; i++)
        x[i] = gb_f16_to_f32(gb_f32_to_f16(x[i]));
}
static void through_bf16(float *x) {
    for (int i = 0; i < 32; i++)
        x[i] = gb_bf16_to_f32(gb_f32_to_bf16(x[i]));
}
/* ggml's Q8_0: d = max|x| / 127 (kept as f16), q = round(x / d) as int8; the weight read back is d
 * q. */
static void through_q8_0(float *x) {
    float amax = 0.0f;
    for (int i = 0; i < 32; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    float d = amax / 127.0f, inv = d != 0.0f ? 1.0f / d : 0.0f;
    float d_stored = gb_f16_to_f32(gb_f32_to_f16(d));
    for (int i = 0; i < 32; i++)
        x[i] = d_stored * roundf(x[i] * inv);
}

/* A model written with model_add_to_writer and loaded back computes the same logits: exactly for
 * F32 (the weights are the same floats, used in place); for F16, BF16 and Q8_0 the same as the
 * original model with its matrices rounded through that format here. max_seq caps the positions. */
static void test_write_and_load_back(void **state) {
    (void)state;
    Config c = {0};
    c.dim = 32, c.hidden_dim = 64, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.rope_dim = 6;
    c.vocab_size = 20, c.seq_len = 16, c.context_length = 64, c.rope_base = 1000.0f,
    c.norm_eps = 1e-5f;
    char err[GB_ERRLEN], dir[256], path[512];
    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/m.gguf", dir);
    uint32_t types[4] = {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q8_0};
    for (int ti = 0; ti < 4; ti++) {
        Model a, b;
        assert_int_equal(model_init_random(&a, &c, 21, err), 0);
        fill_test_weights(&a, 77);
        snprintf(a.name, sizeof(a.name), "roundtrip");
        GGUFWriter *w = gguf_writer_new();
        model_add_to_writer(w, &a, types[ti]);
        if (gguf_writer_write(w, path, err) != 0) fail_msg("%s", err);
        gguf_writer_free(w);
        if (model_load(&b, path, 10, err) != 0) fail_msg("%s", err);
        assert_int_equal(b.config.seq_len, 10);
        assert_int_equal(b.config.context_length, 64);
        assert_int_equal(b.config.rope_dim, 6);
        assert_int_equal(b.config.n_kv_heads, 2);
        assert_true(b.config.rope_base == 1000.0f && b.config.norm_eps == 1e-5f);
        assert_true(b.weights.tied);
        assert_string_equal(b.name, "roundtrip");
        if (types[ti] == GGML_TYPE_F32) assert_null(b.owned); /* every weight used in place */
        if (types[ti] == GGML_TYPE_F16) round_matrices(&a, through_f16);
        if (types[ti] == GGML_TYPE_BF16) round_matrices(&a, through_bf16);
        if (types[ti] == GGML_TYPE_Q8_0) round_matrices(&a, through_q8_0);
        /* with float32 activations everywhere, then with the kernels' default */
        for (int rounding = 0; rounding <= 1; rounding++) {
            kernels_set_rounding(rounding);
            for (int p = 0; p < 10; p++) {
                float la[20];
                memcpy(la, model_forward(&a, SEQ[p], p), sizeof(la));
                float *lb = model_forward(&b, SEQ[p], p);
                double tol = types[ti] == GGML_TYPE_F32 ? 0.0 : logit_tol(&b);
                for (int v = 0; v < 20; v++)
                    if (fabs(la[v] - lb[v]) > tol * fmax(1.0, fabs(la[v])))
                        fail_msg("type %u (rounding %d), position %d, logit %d: %.6f vs %.6f",
                                 types[ti], rounding, p, v, la[v], lb[v]);
            }
        }
        assert_null(model_forward(&b, 1, 10)); /* beyond the cap */
        model_free(&a);
        model_free(&b);
    }
    unlink(path);
    rmdir(dir);
}

/* Writes a small llama file by hand (not with model_add_to_writer), with one thing wrong:
 * arch      the general.architecture value
 * omit      a tensor left out (or NULL)
 * reshape   a tensor given 100 rows instead of its own (or NULL)
 * ffn       the feed_forward_length written in the metadata
 * heads     the head count written in the metadata (the tensors are those of 2 heads of 4)
 * rope      llama.rope.dimension_count, or 0 to leave it out */
static void write_test_file(const char *path, const char *arch, const char *omit,
                            const char *reshape, int ffn, int heads, int rope) {
    enum { DIM = 8, FF = 12, VOCAB = 10 };
    static float zeros[100 * 16];
    GGUFWriter *w = gguf_writer_new();
    gguf_writer_set_string(w, "general.architecture", arch);
    gguf_writer_set_u32(w, "llama.context_length", 16);
    gguf_writer_set_u64(w, "llama.embedding_length", DIM);
    gguf_writer_set_u32(w, "llama.block_count", 2);
    gguf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)ffn);
    gguf_writer_set_i32(w, "llama.attention.head_count", heads);
    if (rope) gguf_writer_set_u32(w, "llama.rope.dimension_count", (uint32_t)rope);
    gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    struct {
        const char *name;
        uint64_t cols, rows;
    } t[32];
    int n = 0;
    char names[32][64];
#define T(nm, c_, r_)                                                                              \
    (snprintf(names[n], 64, "%s", nm), t[n].name = names[n], t[n].cols = c_, t[n].rows = r_, n++)
    T("token_embd.weight", DIM, VOCAB);
    for (int l = 0; l < 2; l++) {
        char b[64];
        snprintf(b, 64, "blk.%d.attn_norm.weight", l), T(b, DIM, 0);
        snprintf(b, 64, "blk.%d.attn_q.weight", l), T(b, DIM, DIM);
        snprintf(b, 64, "blk.%d.attn_k.weight", l), T(b, DIM, DIM);
        snprintf(b, 64, "blk.%d.attn_v.weight", l), T(b, DIM, DIM);
        snprintf(b, 64, "blk.%d.attn_output.weight", l), T(b, DIM, DIM);
        snprintf(b, 64, "blk.%d.ffn_norm.weight", l), T(b, DIM, 0);
        snprintf(b, 64, "blk.%d.ffn_gate.weight", l), T(b, DIM, FF);
        snprintf(b, 64, "blk.%d.ffn_up.weight", l), T(b, DIM, FF);
        snprintf(b, 64, "blk.%d.ffn_down.weight", l), T(b, FF, DIM);
    }
    T("output_norm.weight", DIM, 0);
#undef T
    for (int i = 0; i < n; i++) {
        if (omit && strcmp(t[i].name, omit) == 0) continue;
        uint64_t ne[2] = {t[i].cols, t[i].rows};
        if (reshape && strcmp(t[i].name, reshape) == 0) ne[1] = 100;
        gguf_writer_add_tensor(w, t[i].name, GGML_TYPE_F32, ne[1] ? 2 : 1, ne, zeros);
    }
    char err[GB_ERRLEN];
    if (gguf_writer_write(w, path, err) != 0) fail_msg("%s", err);
    gguf_writer_free(w);
}

static void expect_load_error(const char *path, const char *message) {
    Model m;
    char err[GB_ERRLEN] = "";
    assert_int_equal(model_load(&m, path, 0, err), -1);
    if (strncmp(err, path, strlen(path)) != 0)
        fail_msg("message does not start with the file: %s", err);
    if (!strstr(err, message)) fail_msg("expected \"%s\" in: %s", message, err);
}

static void test_load_errors(void **state) {
    (void)state;
    char dir[256], path[512];
    make_temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/bad.gguf", dir);

    /* the well-formed file loads (so each failure below is due to its one defect) */
    write_test_file(path, "llama", NULL, NULL, 12, 2, 0);
    Model m;
    char err[GB_ERRLEN];
    if (model_load(&m, path, 0, err) != 0) fail_msg("%s", err);
    assert_int_equal(m.config.dim, 8);
    assert_int_equal(m.config.n_kv_heads, 2); /* absent: equal to the head count */
    assert_int_equal(m.config.rope_dim, 4);   /* absent: the head size */
    assert_true(m.config.rope_base == 10000.0f);
    assert_string_equal(m.name, "bad.gguf"); /* no general.name: the file's name */
    assert_non_null(model_forward(&m, 3, 0));
    model_free(&m);

    write_test_file(path, "gpt2", NULL, NULL, 12, 2, 0);
    expect_load_error(path, "architecture 'gpt2' is not supported");
    write_test_file(path, "llama", "blk.1.attn_k.weight", NULL, 12, 2, 0);
    expect_load_error(path, "tensor 'blk.1.attn_k.weight' is missing");
    write_test_file(path, "llama", "output_norm.weight", NULL, 12, 2, 0);
    expect_load_error(path, "tensor 'output_norm.weight' is missing");
    write_test_file(path, "llama", NULL, "blk.0.ffn_up.weight", 12, 2, 0);
    expect_load_error(path, "tensor 'blk.0.ffn_up.weight' has shape [8, 100], expected [8, 12]");
    /* the metadata disagrees with every ffn tensor: the first one met is named */
    write_test_file(path, "llama", NULL, NULL, 14, 2, 0);
    expect_load_error(path, "tensor 'blk.0.ffn_gate.weight' has shape [8, 12], expected [8, 14]");
    write_test_file(path, "llama", NULL, NULL, 12, 3, 0);
    expect_load_error(path, "embedding length 8 is not a multiple of the head count 3");
    write_test_file(path, "llama", NULL, NULL, 12, 2, 3);
    expect_load_error(path, "rope dimension 3 must be even and at most the head size 4");
    write_test_file(path, "llama", NULL, NULL, 12, 2, 6);
    expect_load_error(path, "rope dimension 6 must be even and at most the head size 4");
    expect_load_error("/nonexistent/model.gguf", "");
    unlink(path);
    rmdir(dir);
}


/* The logit lens on the two-layer model: each layer's residual (from the independent double-precision
 * recompute) through the final norm and the head, softmaxed in double, against lens_column_compute;
 * and the last layer's lens is exactly the logits model_forward returned. */
static void test_logit_lens(void **state) {
    (void)state;
    Config c = small_config(2, 4);
    Model m;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&m, &c, 5, err), 0);
    assert_int_equal(model_enable_probes(&m, err), 0); /* the lens reads the residual probes */
    fill_test_weights(&m, 21);
    int L = c.n_layers, D = c.dim, V = c.vocab_size;
    double res_ref[2 * 24], logits_ref[20];
    float scratch[20], probs[2];
    LensColumn col;
    lens_column_init(&col, L, V);
    for (int p = 0; p < 7; p++) {
        float *logits = model_forward(&m, SEQ[p], p);
        float own[20];
        memcpy(own, logits, sizeof own);
        naive_forward(&m, SEQ, p + 1, logits_ref, NULL, res_ref);
        assert_int_equal(lens_column_compute(&col, &m, p, SEQ[p + 1], scratch), 0);
        assert_int_equal(col.chosen, SEQ[p + 1]);
        for (int l = 0; l < L; l++) {
            double xn[24], z[20], mx = -1e300, sum = 0;
            double ss = 0;
            for (int i = 0; i < D; i++) ss += res_ref[l * D + i] * res_ref[l * D + i];
            for (int i = 0; i < D; i++) xn[i] = res_ref[l * D + i] / sqrt(ss / D + c.norm_eps) * m.weights.output_norm[i];
            for (int v = 0; v < V; v++) {
                z[v] = 0;
                for (int i = 0; i < D; i++) z[v] += xn[i] * matrix_floats(m.weights.output)[(size_t)v * D + i];
                if (z[v] > mx) mx = z[v];
            }
            for (int v = 0; v < V; v++) sum += exp(z[v] - mx);
            // every token is listed (k = vocab), best first, with the reference probability
            for (int i = 0; i < V; i++) {
                const LensEntry *e = &col.top[(size_t)l * V + i];
                assert_true(fabs(e->prob - exp(z[e->id] - mx) / sum) < 1e-5);
                if (i > 0) assert_true(e->prob <= col.top[(size_t)l * V + i - 1].prob);
            }
            int rank = 1;
            for (int v = 0; v < V; v++) rank += z[v] > z[SEQ[p + 1]] + 1e-9;
            assert_int_equal(col.chosen_rank[l], rank);
            assert_true(fabs(col.chosen_prob[l] - exp(z[SEQ[p + 1]] - mx) / sum) < 1e-5);
        }
        // the last layer's lens: the model's own logits, bit for bit
        model_logits_from_residual(&m, scratch, m.probes.residual + ((size_t)(L - 1) * c.seq_len + p) * D);
        assert_memory_equal(scratch, own, sizeof own);
        lens_token_probs(probs, &m, p, SEQ[p + 1], scratch);
        for (int l = 0; l < L; l++) assert_true(fabs(probs[l] - col.chosen_prob[l]) < 1e-6);
    }
    // chosen < 0 follows the last layer's top token, which has rank 1 there
    assert_int_equal(lens_column_compute(&col, &m, 6, -1, scratch), 0);
    assert_int_equal(col.chosen_rank[L - 1], 1);
    assert_int_equal(col.chosen, col.top[(size_t)(L - 1) * V].id);
    m.probes.enabled = 0;
    assert_int_equal(lens_column_compute(&col, &m, 6, -1, scratch), -1);
    lens_column_free(&col);
    model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_layer),
        cmocka_unit_test(test_kv_cache_matches_recompute),
        cmocka_unit_test(test_prompt_matches_steps),
        cmocka_unit_test(test_probes),
        cmocka_unit_test(test_logit_lens),
        cmocka_unit_test(test_init_random_checks),
        cmocka_unit_test(test_python_reference),
        cmocka_unit_test(test_write_and_load_back),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
