/* What the views show, prepared from the session before a frame is drawn, so that drawing only
 * draws: the distribution of the selected position (the probs and explain views), its arithmetic
 * when a step is frozen, the neighbours view's token and its nearest tokens, and the attention
 * summary (a pyramid of block maxima and sums) of the chosen head with a selected span's strip. Kept with the session and
 * brought up to date when what it was made from changed. No terminal code. */
#ifndef GB_VIEWDATA_H
#define GB_VIEWDATA_H

#include <stdint.h>

#include "explain.h"
#include "session.h"

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

/* A selected span's attention on the text (the attention view's strip): a token before the span weighs
 * what the span's queries give it, a token after it what it gives the span (causal attention keeps the
 * two apart; inside the span, what its queries give its keys). */
typedef struct {
    int has_span, a, b; /* session_span */
    int n;              /* tokens weighed; 0: no span, or no attention probes */
    float *weights;     /* (cap) one per token */
    int cap;
    double from_after;  /* what the queries after the span put on it */
    double outside;     /* what its queries put on the keys before it */
    double given;       /* what its queries put on every key */
    uint64_t version;   /* what it was made from: session version, layer, head, span */
    int layer, head, made_a, made_b;
} SpanStrip;

#define VIEWDATA_NEIGHBOURS 40    /* nearest tokens kept: more than any screen lists */
#define VIEWDATA_EXPLAIN_ROWS 200 /* rows of the frozen step's arithmetic kept */

typedef struct ViewData {
    /* the distribution the probs view shows: the selected position's, else the pending one (NULL) */
    const Distribution *shown;
    int32_t shown_sampled; /* the token drawn from it (-1: still pending) */
    int shown_picked;      /* ... and it was picked by hand */
    /* the neighbours view: the token chosen by command, else the selected one (-1: none) */
    int32_t focus;
    int n_neighbours;
    int32_t neighbours[VIEWDATA_NEIGHBOURS];
    float similarity[VIEWDATA_NEIGHBOURS];
    /* the shown distribution's logits under today's sampler settings (the explain view) */
    int has_explanation;
    Explanation explanation;
    Distribution scratch;
    AttnPyramid pyr;
    SpanStrip span;
    /* what the parts above were made from */
    uint64_t version;
    int neighbours_of, have_neighbours;
    const Distribution *explained;
    float temperature, top_p;
    int top_k;
} ViewData;

/* The session's view data, brought up to date first (cheap when nothing changed); the explanation
 * only when asked for (a frozen step). */
const ViewData *session_view_data(Session *s, int with_explanation);
/* The distribution of the selected position (the one its token was drawn from, with that token and
 * whether it was picked by hand), else the pending one; NULL with no prompt. */
const Distribution *session_shown_distribution(const Session *s, int32_t *sampled, int *picked);
/* Frees the view data a session holds (session.c calls it when the model goes). */
void viewdata_free(Session *s);

/* The attention summary: brought in step with the session (a new token updates one row per level);
 * the value of block (row, col) at level k, its max or its mean. */
void attn_pyramid_sync(AttnPyramid *p, const Session *s);
float attn_pyramid_get(const AttnPyramid *p, const Session *s, int k, int row, int col, int mean);

#endif
