/* See explain.h. The weights are computed as sampler.c's softmax computes them, exp((logit - max) / T)
 * in double, which is exp(logit / T - max / T) up to rounding; the sums run over the vocabulary in id
 * order like the sampler's, so sum here is the very normaliser the sampler divided by. */
#include "explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static double weight_of(float logit, float max, float temperature) {
    if (logit == max) return 1.0;
    if (isnan(logit)) return 0.0;
    return exp(((double)logit - (double)max) / (double)temperature);
}

void explain_logits(Explanation *e, Distribution *d, const float *logits, const Sampler *s, int rows) {
    distribution_compute(d, logits, s);
    explain_distribution(e, d, rows);
}

void explain_distribution(Explanation *e, const Distribution *d, int rows) {
    memset(e, 0, sizeof *e);
    const Sampler *s = &d->settings;
    int n = d->vocab;
    if (rows > n) rows = n;
    if (rows < 0) rows = 0;
    /* The temperature the final probabilities are at: the temperature stage's, 1 without one. */
    float temperature = 1.0f;
    for (int i = 0; i < d->n_stages; i++)
        if (d->stages[i].kind == STAGE_TEMP) temperature = s->temperature;
    e->temperature = temperature;
    e->top_k = s->top_k;
    e->top_p = s->top_p;
    e->vocab = n;
    e->n_kept = d->n_kept;
    float max = d->adj_max;
    e->max_logit = max;
    int greedy = !(temperature > 0.0f);
    e->max_scaled = greedy ? NAN : (double)max / temperature;
    if (!greedy) {
        for (int i = 0; i < n; i++) e->sum += weight_of(d->adjusted[i], max, temperature);
        for (int r = 0; r < d->n_kept; r++) e->kept_sum += weight_of(d->adjusted[d->order[r]], max, temperature);
    } else {
        e->sum = e->kept_sum = 1.0;
    }
    e->n_rows = rows;
    e->rows = gb_calloc(rows ? (size_t)rows : 1, sizeof *e->rows);
    for (int r = 0; r < rows; r++) {
        ExplainRow *row = &e->rows[r];
        int32_t id = d->order[r];
        row->id = id;
        row->rank = r;
        row->logit = d->adjusted[id];
        row->kept = r < d->n_kept;
        if (greedy) { /* T = 0: no division, the first token of the order takes everything */
            row->scaled = row->weight = NAN;
            row->prob = row->kept_prob = r == 0 ? 1.0 : 0.0;
            continue;
        }
        row->scaled = row->logit / temperature;
        row->weight = weight_of(d->adjusted[id], max, temperature);
        row->prob = e->sum > 0 ? row->weight / e->sum : 0.0;
        row->kept_prob = row->kept && e->kept_sum > 0 ? row->weight / e->kept_sum : 0.0;
    }
}

void explanation_free(Explanation *e) {
    free(e->rows);
    memset(e, 0, sizeof *e);
}
