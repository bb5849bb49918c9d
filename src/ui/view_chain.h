#ifndef GB_VIEW_CHAIN_H
#define GB_VIEW_CHAIN_H

#include "canvas.h"
#include "screen.h"
#include "session.h"

/* The sampler chain of one distribution, stage by stage: one column per stage (the model's own
 * distribution first) with the tokens it kept and the probability mass it removed, and one row per
 * likely token with its renormalised probability after each stage ("cut" once a stage drops it); the
 * drawn token's row last, its rank and probability at every stage. Reads only what the sampler
 * recorded in the distribution (sampler.h: ChainStage). */
void ViewChain_draw(Canvas *c, Rect r, const Session *s, const Distribution *d, UiState *ui);
/* Rows ViewChain_draw wants for d. */
int ViewChain_height(const Distribution *d);

#endif
