/* The whole frame, drawn into a canvas: the tab bar, the views laid out for the terminal's size (all four
 * on a wide screen, one at a time on a small one), the status line, the command line and the overlays
 * (help, the token chooser). No terminal code, so the bench and the tests draw frames headless. */
#ifndef GB_SCREEN_H
#define GB_SCREEN_H

#include "canvas.h"
#include "session.h"

#define SCREEN_MIN_W 80
#define SCREEN_MIN_H 24
#define SCREEN_WIDE_W 160
#define SCREEN_WIDE_H 40

typedef enum { COLOURS_NONE = 0, COLOURS_256 = 1, COLOURS_RGB = 2 } ColourMode;

/* Pyramid of block maxima and sums of one head's attention matrix, so a zoomed-out heat map reads one
 * value per cell: level k holds blocks of 2^k x 2^k positions. Kept in step with the session
 * incrementally (a new token updates one row per level). */
#define ATTN_LEVELS 16
typedef struct {
    int layer, head;     /* which matrix; -1: none yet */
    int seq;             /* positions of level 0 */
    int n;               /* rows (and keys) the pyramid covers */
    uint64_t synced;     /* session version it reflects */
    int n_levels;        /* levels 1..n_levels-1 are stored */
    float *max[ATTN_LEVELS]; /* level k: (side_k, side_k), side_k = ceil(seq / 2^k) */
    float *sum[ATTN_LEVELS];
} AttnPyramid;

typedef struct {
    int view;       /* ViewId shown large (and highlighted in the wide layout) */
    int big;        /* projector mode */
    ColourMode colours;
    int prob_colour;   /* tokens view: colour generated tokens by probability */
    int attn_zoom;     /* log2 of positions per heat-map cell */
    int attn_mean;     /* zoomed blocks: mean instead of max */
    int attn_left;     /* heat-map columns scrolled left of the default (the selected query at the right) */
    int attn_fit;      /* choose the zoom so every key fits across */
    int help;          /* help overlay open */
    int help_scroll;
    int chooser;       /* token chooser open (pick) */
    int chooser_sel;   /* row in the chooser */
    int autoplay;      /* autoplay on */
    int autoplay_ms;   /* delay between autoplay steps */
    char message[512]; /* one-line message for the status line */
    int message_error; /* the message is an error */
    /* the command line, drawn on the last row */
    int cmd_active;
    const char *cmd_prompt, *cmd_text; /* text is the line being edited */
    int cmd_cursor;                    /* column of the cursor inside cmd_text */
    int cursor_x, cursor_y;            /* where the terminal cursor goes; -1 hidden (set by screen_draw) */
    /* hit map of the last frame, (h, w): a token index under each cell, -1 nothing, or
     * SCREEN_HIT_HEAD(layer * n_heads + head) on the attention view's layer x head grid */
    int *hit;
    int hit_w, hit_h;
    AttnPyramid pyr;
    int explain;       /* probs view: the shown step frozen, its softmax arithmetic as a table (kit) */
    int lesson_keys;   /* a lesson is open: n / p are the next / previous step (the bar and help say so) */
    int score_colour;  /* tokens view: generated tokens coloured by surprisal at T = 1 (`score`, kit) */
} UiState;

void ui_init(UiState *ui);
void ui_free(UiState *ui);
void ui_message(UiState *ui, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Draws a frame of the session into c (the canvas' size is the terminal's). */
void screen_draw(Canvas *c, Session *s, UiState *ui);
/* The token index at a screen cell from the last frame, or -1. */
int screen_hit(const UiState *ui, int x, int y);
#define SCREEN_HIT_HEAD(i) (-2 - (i))
#define SCREEN_HIT_IS_HEAD(v) ((v) <= -2)
#define SCREEN_HIT_HEAD_INDEX(v) (-2 - (v))
/* Marks a cell as showing token index t (views call this). */
void screen_set_hit(UiState *ui, int x, int y, int t);
/* The chooser's rows: token ids of the pending distribution in order of probability. */
int screen_chooser_rows(const Session *s, int max, int32_t *ids);
/* How many rows the chooser shows on a canvas of this size (at most 20). */
int screen_chooser_size(const Canvas *c);

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
