/* The logit lens (nostalgebraist, 2020): what the model would predict if the residual stream stopped
 * after layer l, i.e. the residual after layer l through the final norm and the output head. It reads
 * the residual probes the forward pass already keeps, so no layer runs again; the head is applied by
 * model_logits_from_residual, the very arithmetic that ends model_forward, so the last layer's lens is
 * the model's own prediction. No terminal code. */
#ifndef GB_LENS_H
#define GB_LENS_H

#include <stdint.h>

#include "model.h"

typedef struct {
    int32_t id;
    float prob;
} LensEntry;

/* One position through every layer. */
typedef struct {
    int n_layers, k;     /* k entries a layer */
    int pos;             /* the position looked at: its lens predicts the token at pos + 1 */
    int32_t chosen;      /* the token followed through the layers */
    LensEntry *top;      /* (n_layers, k) the likeliest tokens of each layer, best first */
    float *chosen_prob;  /* (n_layers) chosen's probability at each layer */
    int *chosen_rank;    /* (n_layers) chosen's 1-based rank at each layer (ties: lower id first) */
} LensColumn;

void lens_column_init(LensColumn *c, int n_layers, int k);
void lens_column_free(LensColumn *c);
/* Fills c for position pos (its probes written) of m; chosen < 0 follows the last layer's top token.
 * scratch: (vocab) floats. Returns 0, or -1 when the model keeps no probes or pos is out of range. */
int lens_column_compute(LensColumn *c, const Model *m, int pos, int32_t chosen, float *scratch);
/* out (n_layers): the probability each layer's lens gives token at position pos. */
void lens_token_probs(float *out, const Model *m, int pos, int32_t token, float *scratch);

#endif
