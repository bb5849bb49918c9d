#ifndef GB_VIEW_NEIGHBOURS_H
#define GB_VIEW_NEIGHBOURS_H

#include "canvas.h"
#include "theme.h"
#include "viewstate.h"
#include "session.h"

/* The tokens nearest to the selected one (or the one `neighbours TOKEN` chose) by cosine similarity of
 * their embeddings, as bars, and a braille scatter of the PCA projection of every embedding with that
 * token and its neighbours marked. */
void ViewNeighbours_draw(Canvas *c, Rect r, Session *s, UiState *ui);

#endif
