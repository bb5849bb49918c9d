#ifndef GB_VIEW_LENS_H
#define GB_VIEW_LENS_H

#include "canvas.h"
#include "screen.h"
#include "session.h"

/* Tokens a layer the lens view lists (and its CSV). */
#define LENS_VIEW_TOP 5

/* The logit lens (lens.h) at the focused position: one row per layer, the last layer last, with the
 * rank and probability of the token that came next (the last layer's top at the last position) and
 * the layer's likeliest tokens; below, that token's probability as a heat map over positions
 * (across) and layers (down), so the prediction is seen forming layer by layer and position by
 * position. Reads the session's lens caches (session_lens, session_lens_heat). */
void ViewLens_draw(Canvas *c, Rect r, Session *s, UiState *ui);

#endif
