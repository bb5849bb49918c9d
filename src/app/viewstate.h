/* The state of the screen that is not the session's: which view is in front and how each is shown,
 * the overlays (help, chooser), the status message, the command line being edited, and the hit map
 * of the last frame (which token is under each cell, for the mouse). The requests change it
 * (apply.c), the frame draws from it (screen.c). No terminal code. */
#ifndef GB_VIEWSTATE_H
#define GB_VIEWSTATE_H

#include <stdint.h>

#include "canvas.h"

typedef enum { COLOURS_NONE = 0, COLOURS_256 = 1, COLOURS_RGB = 2 } ColourMode;

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
    int in_lesson;     /* a lesson is open: its keymap takes n and p (the status line says so) */
    int chooser;       /* token chooser open (pick) */
    int chooser_sel;   /* row in the chooser */
    int autoplay;      /* autoplay on */
    int autoplay_ms;   /* delay between autoplay steps */
    double autoplay_last; /* gb_now() of the last autoplay step (or of switching it on) */
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
    int explain;       /* probs view: the shown step frozen, its softmax arithmetic as a table (kit) */
    int chain;         /* probs view: the sampler chain table above the bars, whatever the height (o) */
    int score_colour;  /* tokens view: generated tokens coloured by surprisal at T = 1 (`score`, kit) */
} UiState;

void ui_init(UiState *ui);
void ui_free(UiState *ui);
void ui_message(UiState *ui, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The token index at a screen cell from the last frame, or -1. */
int screen_hit(const UiState *ui, int x, int y);
#define SCREEN_HIT_HEAD(i) (-2 - (i))
#define SCREEN_HIT_IS_HEAD(v) ((v) <= -2)
#define SCREEN_HIT_HEAD_INDEX(v) (-2 - (v))
/* Marks a cell as showing token index t (views call this). */
void screen_set_hit(UiState *ui, int x, int y, int t);
/* Sizes the hit map to a w x h canvas and clears it (the frame does this before the views draw). */
void screen_clear_hits(UiState *ui, int w, int h);

#endif
