/* The whole frame, drawn into a canvas: the tab bar, the views laid out for the terminal's size (all four
 * on a wide screen, one at a time on a small one), the status line, the command line and the overlays
 * (help, the token chooser). No terminal code, so the bench and the tests draw frames headless. */
#ifndef GB_SCREEN_H
#define GB_SCREEN_H

#include "canvas.h"
#include "session.h"
#include "theme.h"
#include "viewstate.h"

#define SCREEN_MIN_W 80
#define SCREEN_MIN_H 24
#define SCREEN_WIDE_W 160
#define SCREEN_WIDE_H 40

/* Draws a frame of the session into c (the canvas' size is the terminal's). */
void screen_draw(Canvas *c, Session *s, UiState *ui);
/* The chooser's rows: token ids of the pending distribution in order of probability. */
int screen_chooser_rows(const Session *s, int max, int32_t *ids);
/* How many rows the chooser shows on a canvas of this size (at most 20). */
int screen_chooser_size(int h);

#endif
