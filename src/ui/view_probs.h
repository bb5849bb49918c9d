#ifndef GB_VIEW_PROBS_H
#define GB_VIEW_PROBS_H

#include "canvas.h"
#include "theme.h"
#include "viewstate.h"
#include "session.h"

/* The next-token distribution: the top tokens as bars at the current temperature beside their T = 1
 * bars, the entropy, the top-k / top-p cut-off and the sampled token. Shows the distribution after the
 * selected token: the live one after the last token, else the one that token's successor came from. */
void ViewProbs_draw(Canvas *c, Rect r, Session *s, UiState *ui);
/* The distribution the view shows and the token drawn from it (-1 for the live one). */
const Distribution *ViewProbs_distribution(const Session *s, int32_t *sampled, int *picked);

#endif
