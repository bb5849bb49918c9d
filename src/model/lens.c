/* See lens.h. Probabilities are a softmax at T = 1 computed in double after subtracting the largest
 * logit, like the sampler's. */
#include "lens.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void lens_column_init(LensColumn *c, int n_layers, int k) {
    memset(c, 0, sizeof *c);
    c->n_layers = n_layers;
    c->k = k;
    c->pos = -1;
    c->chosen = -1;
    c->top = gb_calloc((size_t)n_layers * (size_t)(k > 0 ? k : 1), sizeof *c->top);
    c->chosen_prob = gb_calloc((size_t)n_layers, sizeof *c->chosen_prob);
    c->chosen_rank = gb_calloc((size_t)n_layers, sizeof *c->chosen_rank);
}

void lens_column_free(LensColumn *c) {
    free(c->top);
    free(c->chosen_prob);
    free(c->chosen_rank);
    memset(c, 0, sizeof *c);
}

static const float *residual_at(const Model *m, int layer, int pos) {
    const Config *c = &m->config;
    return m->probes.residual + ((size_t)layer * c->seq_len + pos) * c->dim;
}

static int probes_hold(const Model *m, int pos) {
    return m->probes.enabled && m->probes.residual && pos >= 0 && pos < m->config.seq_len;
}

/* The lens logits of one layer at one position into scratch; returns the largest of them. */
static float layer_logits(float *scratch, const Model *m, int layer, int pos) {
    model_logits_from_residual(m, scratch, residual_at(m, layer, pos));
    float max = -INFINITY;
    for (int v = 0; v < m->config.vocab_size; v++)
        if (scratch[v] > max) max = scratch[v];
    return max;
}

static double normaliser(const float *logits, int n, float max) {
    double z = 0.0;
    for (int v = 0; v < n; v++) z += exp((double)logits[v] - (double)max);
    return z;
}

/* Inserts (id, logit) into the k best kept in top/best (descending logit, lower id first on ties). */
static void keep_best(LensEntry *top, float *best, int *n, int k, int32_t id, float logit) {
    if (*n == k && !(logit > best[k - 1])) return;
    int at = *n < k ? (*n)++ : k - 1;
    while (at > 0 && best[at - 1] < logit) {
        best[at] = best[at - 1];
        top[at] = top[at - 1];
        at--;
    }
    best[at] = logit;
    top[at].id = id;
}

int lens_column_compute(LensColumn *c, const Model *m, int pos, int32_t chosen, float *scratch) {
    if (!probes_hold(m, pos) || c->n_layers != m->config.n_layers) return -1;
    int vocab = m->config.vocab_size, k = c->k < vocab ? c->k : vocab;
    float *best = gb_malloc(sizeof(float) * (size_t)(k > 0 ? k : 1));
    c->pos = pos;
    // The token to follow: given, else the last layer's top (what greedy decoding would write next).
    if (chosen < 0 || chosen >= vocab) {
        float max = layer_logits(scratch, m, c->n_layers - 1, pos);
        chosen = 0;
        while (chosen < vocab - 1 && !(scratch[chosen] == max)) chosen++;
    }
    c->chosen = chosen;
    for (int l = 0; l < c->n_layers; l++) {
        float max = layer_logits(scratch, m, l, pos);
        double z = normaliser(scratch, vocab, max);
        LensEntry *top = c->top + (size_t)l * c->k;
        int n = 0, rank = 1;
        float lc = scratch[chosen];
        for (int v = 0; v < vocab; v++) {
            if (k > 0) keep_best(top, best, &n, k, v, scratch[v]);
            if (scratch[v] > lc || (scratch[v] == lc && v < chosen)) rank++;
        }
        for (int i = 0; i < n; i++) top[i].prob = (float)(exp((double)best[i] - (double)max) / z);
        for (int i = n; i < c->k; i++) top[i] = (LensEntry){-1, 0.0f};
        c->chosen_prob[l] = (float)(exp((double)lc - (double)max) / z);
        c->chosen_rank[l] = rank;
    }
    free(best);
    return 0;
}

void lens_token_probs(float *out, const Model *m, int pos, int32_t token, float *scratch) {
    int L = m->config.n_layers, vocab = m->config.vocab_size;
    for (int l = 0; l < L; l++) {
        if (!probes_hold(m, pos) || token < 0 || token >= vocab) {
            out[l] = 0.0f;
            continue;
        }
        float max = layer_logits(scratch, m, l, pos);
        out[l] = (float)(exp((double)scratch[token] - (double)max) / normaliser(scratch, vocab, max));
    }
}
