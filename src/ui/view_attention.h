#ifndef GB_VIEW_ATTENTION_H
#define GB_VIEW_ATTENTION_H

#include "canvas.h"
#include "theme.h"
#include "viewstate.h"
#include "session.h"
#include "viewdata.h"

/* Heat map of the chosen layer and head (queries down, keys across, both labelled), a miniature grid of
 * every layer x head, and the selected token's attention (or a selected span's) painted onto the text.
 * Zoomed out, a cell shows the max (or mean) over a block of 2^zoom positions, read from the pyramid
 * the view data keeps (viewdata.h), so a frame costs the cells on screen however long the text is. */
void ViewAttention_draw(Canvas *c, Rect r, Session *s, UiState *ui);

#endif
