/* Sampling the next token: softmax with temperature (T = 0 is argmax), top-k, top-p, and a seeded
 * generator that gives the same choices on every machine. The whole distribution is kept, at the
 * chosen temperature and at T = 1, so the views can show both. */
#ifndef GB_SAMPLER_H
#define GB_SAMPLER_H

#include <stdint.h>

typedef struct {
    float temperature; /* 0 = argmax */
    int top_k;         /* 0 = off */
    float top_p;       /* 1 = off */
    uint64_t seed;
    uint64_t rng;      /* generator state, derived from seed */
} Sampler;

typedef struct {
    int vocab;
    float *logits;   /* (vocab) copy of the logits this distribution came from */
    float *probs;    /* (vocab) softmax(logits / T), after the top-k / top-p cut (renormalised) */
    float *probs_t1; /* (vocab) softmax(logits), no cut */
    int32_t *order;  /* (vocab) token ids sorted by logit, descending (ties: lower id first) */
    int n_kept;      /* tokens left after top-k and top-p: order[0..n_kept) */
    float entropy;   /* bits, of probs */
    float entropy_t1;/* bits, of probs_t1 */
    float temperature, top_p;
    int top_k;
} Distribution;

void sampler_init(Sampler *s, float temperature, int top_k, float top_p, uint64_t seed);
void sampler_reseed(Sampler *s, uint64_t seed);

void distribution_init(Distribution *d, int vocab);
void distribution_free(Distribution *d);
/* Fills d from logits with the sampler's temperature, top-k and top-p. */
void distribution_compute(Distribution *d, const float *logits, const Sampler *s);
/* Draws a token from d.probs (argmax when T = 0), advancing the generator. */
int32_t sampler_sample(Sampler *s, const Distribution *d);
/* Uniform float in [0, 1) from the generator (exposed for tests). */
float sampler_uniform(Sampler *s);

#endif
