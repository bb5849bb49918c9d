/* The arithmetic behind one next-token distribution, for instructors who freeze a step and sweep the
 * temperature over the same logits: for the top tokens, logit, logit / T, the weight
 * exp(logit / T - max / T), the normaliser (the sum of every weight), the probability before the
 * top-k / top-p cut and after it. Recomputed from the logits exactly the way sampler.c computes them
 * (double, the largest logit subtracted first), so the numbers printed reproduce the sampler's. */
#ifndef GB_EXPLAIN_H
#define GB_EXPLAIN_H

#include <stdint.h>

#include "sampler.h"

typedef struct {
    int32_t id;
    int rank;      /* 0-based, in the sampler's order (logit descending, id ascending) */
    double logit;
    double scaled; /* logit / T */
    double weight; /* exp(logit / T - max / T): the top token's is 1 */
    double prob;   /* weight / sum: the softmax at T before any cut */
    double kept_prob; /* weight / kept_sum when the token survives top-k / top-p, else 0 */
    int kept;
} ExplainRow;

typedef struct {
    float temperature; /* 0: greedy, no arithmetic (the top token gets everything) */
    int top_k;
    float top_p;
    int vocab, n_kept;
    double max_logit, max_scaled; /* the largest logit, and it divided by T */
    double sum;                   /* normaliser: the sum of the weights over the whole vocabulary */
    double kept_sum;              /* the sum of the kept tokens' weights: the normaliser after the cut */
    int n_rows;
    ExplainRow *rows; /* (n_rows) the top tokens */
} Explanation;

/* Explains the distribution of logits (vocab) under the sampler's temperature, top-k and top-p, for
 * the first `rows` tokens of the order. scratch is a Distribution of the same vocabulary (it is
 * overwritten with the sampler's own result, which the probabilities here agree with). */
void explain_logits(Explanation *e, Distribution *scratch, const float *logits, const Sampler *s, int rows);
/* The same for a distribution already computed (with its context: the penalties' history). The
 * temperature is the chain's (1 when it has no temperature stage), the logits the adjusted ones. */
void explain_distribution(Explanation *e, const Distribution *d, int rows);
void explanation_free(Explanation *e);

#endif
