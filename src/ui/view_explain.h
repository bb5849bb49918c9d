#ifndef GB_VIEW_EXPLAIN_H
#define GB_VIEW_EXPLAIN_H

#include "canvas.h"
#include "theme.h"
#include "viewstate.h"
#include "session.h"

/* The probs view while a step is frozen (`explain`): the logits of the distribution the probs view
 * shows, held fixed, re-shaped by the sampler's current temperature, top-k and top-p, with the
 * arithmetic of the top tokens (logit, logit / T, weight, normaliser, probability) as a table. */
void ViewExplain_draw(Canvas *c, Rect r, Session *s, UiState *ui);

#endif
