/* What model.c (the forward pass, the run state) and model_file.c (random init, loading, writing)
 * share; not part of the model's interface. */
#ifndef GB_MODEL_INTERNAL_H
#define GB_MODEL_INTERNAL_H

#include "model.h"

/* Derives head_dim and checks the sizes are sane; what names the model in the error. */
int model_check_config(Config *c, const char *what, char *err);
/* Allocates the run state (activations, KV cache) for c->seq_len positions. */
int model_alloc_state(Model *m, const char *what, char *err);

#endif
