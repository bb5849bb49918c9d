/* Colours, shades and bars shared by the views: how a value looks in each colour mode and in
 * projector mode. */
#ifndef GB_THEME_H
#define GB_THEME_H

#include <stdint.h>

#include "canvas.h"
#include "viewstate.h"

/* Styles and glyphs shared by the views. */
Style ui_style(const UiState *ui, uint32_t fg, uint32_t bg, int attr);
/* Colour of a heat value t in [0, 1] (0 dark .. 1 bright) for the colour mode. */
uint32_t ui_heat(const UiState *ui, float t);
/* Colour of a probability p in [0, 1] (red low .. green high). */
uint32_t ui_prob_colour(const UiState *ui, float p);
/* A shade glyph for t in [0, 1] when there is no colour: Unicode " ░▒▓█" or ASCII " .:-=+*#%@". */
const char *ui_shade(const Canvas *c, float t);
/* Number of distinct shade glyphs. */
int ui_shade_levels(const Canvas *c);
/* A horizontal bar of width frac * maxw columns in eighths (Unicode) or '#' (ASCII). */
void ui_bar(Canvas *c, int x, int y, int maxw, float frac, Style s);
/* Nearest xterm 256-colour palette index of an RGB colour. */
int rgb_to_xterm256(int r, int g, int b);
void xterm256_to_rgb(int idx, int *r, int *g, int *b);

#endif
