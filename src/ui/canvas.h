/* A plain grid of terminal cells that the views draw into. No terminal code: crt.c copies a canvas to
 * the screen, and the tests read one directly. A cell holds one grapheme (a code point plus any
 * combining marks, as UTF-8) of display width 1 or 2; the cell right of a wide character is a
 * continuation (width 0). */
#ifndef GB_CANVAS_H
#define GB_CANVAS_H

#include <stdint.h>

#include "utf8.h"

/* Colours: 0 is the terminal's default; COLOR_IDX(n) a 256-colour palette index; COLOR_RGB(r,g,b) a
 * 24-bit colour (crt.c maps it to the nearest palette entry when the terminal cannot show it). */
#define COLOR_DEFAULT 0u
#define COLOR_IDX(n) (0x01000000u | (uint32_t)((n) & 0xff))
#define COLOR_RGB(r, g, b) \
    (0x02000000u | ((uint32_t)((r) & 0xff) << 16) | ((uint32_t)((g) & 0xff) << 8) | (uint32_t)((b) & 0xff))
#define COLOR_IS_IDX(c) (((c) >> 24) == 1u)
#define COLOR_IS_RGB(c) (((c) >> 24) == 2u)

enum { ATTR_BOLD = 1, ATTR_REVERSE = 2, ATTR_DIM = 4, ATTR_UNDERLINE = 8 };

typedef struct {
    uint32_t fg, bg;
    uint8_t attr;
} Style;

#define CELL_TEXT_MAX 16 /* bytes of one grapheme, NUL included; extra combining marks are dropped */

typedef struct {
    char text[CELL_TEXT_MAX]; /* UTF-8, NUL-terminated; "" for a continuation cell */
    uint8_t width;            /* 1 or 2; 0 for the continuation cell of a wide character */
    Style style;
} Cell;

typedef struct {
    int w, h;
    Cell *cells; /* (h, w) */
    int ascii;   /* 1: the locale cannot show UTF-8; non-ASCII text is drawn as '?' */
} Canvas;

/* A rectangle of a canvas that a view owns. */
typedef struct {
    int x, y, w, h;
} Rect;

void canvas_init(Canvas *c, int w, int h);
void canvas_resize(Canvas *c, int w, int h); /* contents cleared */
void canvas_free(Canvas *c);
void canvas_clear(Canvas *c, Style s);
Cell *canvas_cell(Canvas *c, int x, int y); /* NULL outside */

/* Writes text at (x, y) clipped to the columns [x, x + maxw) and to the canvas. Wide characters take two
 * cells (never split at the clip edge: a space is drawn instead), combining marks join the cell before
 * them, control characters and invalid UTF-8 show as U+FFFD (or '?'). Returns the columns used. */
int canvas_put_text(Canvas *c, int x, int y, int maxw, const char *text, Style s);
/* Like canvas_put_text for the first n bytes of text. */
int canvas_put_textn(Canvas *c, int x, int y, int maxw, const char *text, int n, Style s);
/* printf into the canvas (clipped to maxw columns). */
int canvas_printf(Canvas *c, int x, int y, int maxw, Style s, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* One cell holding the given grapheme (no width check beyond wcwidth). */
void canvas_put_glyph(Canvas *c, int x, int y, const char *glyph, Style s);
void canvas_fill(Canvas *c, Rect r, const char *glyph, Style s);
/* A frame around r with an optional title in its top edge. */
void canvas_box(Canvas *c, Rect r, const char *title, Style s);
/* Sets the style of existing cells in r (keeps their text). */
void canvas_style_rect(Canvas *c, Rect r, Style s);

/* Display width of a UTF-8 string the way canvas_put_text lays it out. */
int text_width(const char *text, int n);
/* Longest prefix (in bytes) of text[0..n) that fits in maxw columns. */
int text_fit(const char *text, int n, int maxw);
/* Decodes one UTF-8 code point from s[0..n); returns its length (1 for an invalid byte, *cp = -1). */

/* The text of row y (cells joined, continuation cells skipped, trailing spaces trimmed), for tests and
 * for dumping a frame. out is malloc'ed. */
char *canvas_row_text(const Canvas *c, int y);
/* Finds the first occurrence of needle in the rows' text: 1 with its cell (*x, *y), else 0. */
int canvas_find(const Canvas *c, const char *needle, int *x, int *y);

#endif
