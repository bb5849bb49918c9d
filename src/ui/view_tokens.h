#ifndef GB_VIEW_TOKENS_H
#define GB_VIEW_TOKENS_H

#include "canvas.h"
#include "theme.h"
#include "viewstate.h"
#include "session.h"

/* The text pane (each token on its own alternating background, whitespace made visible), the token
 * list with ids and byte lengths, and the counts of tokens and characters. */
void ViewTokens_draw(Canvas *c, Rect r, Session *s, UiState *ui);
/* The text alone, scrolled so the selected token shows. weights (n_tokens, may be NULL) paints each
 * token with a heat background scaled by wmax instead of the alternating one. */
void ViewTokens_draw_text(Canvas *c, Rect r, Session *s, UiState *ui, const float *weights, float wmax);

#endif
