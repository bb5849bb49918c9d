#include "view_neighbours.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "viewdata.h"

#define MAX_NEIGHBOURS VIEWDATA_NEIGHBOURS

/* Braille dot bits of a 2x4 cell, by (column, row). */
static const uint8_t BRAILLE_BIT[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

/* Maps a PCA point to dot coordinates of a w x h cell area. */
static void to_dots(const Session *s, const float *pt, int w, int h, int *dx, int *dy) {
    float sx = s->pca_max[0] - s->pca_min[0], sy = s->pca_max[1] - s->pca_min[1];
    float fx = sx > 0 ? (pt[0] - s->pca_min[0]) / sx : 0.5f, fy = sy > 0 ? (pt[1] - s->pca_min[1]) / sy : 0.5f;
    *dx = (int)(fx * (float)(2 * w - 1) + 0.5f);
    *dy = (int)((1 - fy) * (float)(4 * h - 1) + 0.5f);
}

static void draw_scatter(Canvas *c, Rect r, Session *s, UiState *ui, int32_t focus, const int32_t *ids, int n) {
    if (r.w < 4 || r.h < 3) return;
    const float *pca = session_pca(s);
    int vocab = s->model.config.vocab_size;
    uint8_t *bits = gb_calloc((size_t)r.w * r.h, 1); /* (h, w) */
    for (int i = 0; i < vocab; i++) {
        int dx, dy;
        to_dots(s, pca + 2 * i, r.w, r.h, &dx, &dy);
        bits[(size_t)(dy / 4) * r.w + dx / 2] |= BRAILLE_BIT[dx % 2][dy % 4];
    }
    Style dots = ui_style(ui, COLOR_IDX(242), 0, 0);
    for (int y = 0; y < r.h; y++)
        for (int x = 0; x < r.w; x++) {
            uint8_t b = bits[(size_t)y * r.w + x];
            if (!b) continue;
            if (c->ascii) {
                canvas_put_text(c, r.x + x, r.y + y, 1, ".", dots);
            } else {
                char g[4];
                utf8_encode(g, 0x2800 + b);
                g[3] = 0;
                canvas_put_text(c, r.x + x, r.y + y, 1, g, dots);
            }
        }
    free(bits);
    Style ns = ui_style(ui, COLOR_IDX(81), 0, ATTR_BOLD);
    for (int i = n - 1; i >= 0; i--) {
        int dx, dy;
        to_dots(s, pca + 2 * ids[i], r.w, r.h, &dx, &dy);
        canvas_put_text(c, r.x + dx / 2, r.y + dy / 4, 1, c->ascii ? "o" : "\u2022", ns);
    }
    if (focus >= 0) {
        int dx, dy;
        to_dots(s, pca + 2 * focus, r.w, r.h, &dx, &dy);
        Style fs = ui_style(ui, COLOR_IDX(220), 0, ATTR_BOLD);
        if (ui->colours == COLOURS_NONE) fs.attr |= ATTR_REVERSE;
        int x = r.x + dx / 2, y = r.y + dy / 4;
        canvas_put_text(c, x, y, 1, c->ascii ? "@" : "\u25c6", fs);
        char label[96];
        session_token_label(s, focus, label, sizeof label);
        int lw = text_width(label, (int)strlen(label));
        int lx = x + 2 + lw <= r.x + r.w ? x + 2 : x - 1 - lw;
        if (lx < r.x) lx = r.x;
        canvas_put_text(c, lx, y, r.x + r.w - lx, label, fs);
    }
}

void ViewNeighbours_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    const ViewData *vd = session_view_data(s, 0); /* the focus and its neighbours, prepared before drawing */
    int32_t focus = vd->focus;
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0);
    if (focus < 0) {
        canvas_put_text(c, r.x, r.y, r.w, "(no token selected)", ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM));
        return;
    }
    char label[96], line[256];
    session_token_label(s, focus, label, sizeof label);
    snprintf(line, sizeof line, "nearest to '%s' (#%d) by cosine similarity of embeddings%s", label, focus,
             s->neigh_token >= 0 ? " (chosen by command; select a token to follow it)" : "");
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD));
    int side = r.w >= 70;
    int list_w = side ? (r.w * 2 / 5 < 44 ? r.w * 2 / 5 : 44) : r.w;
    int list_h = side ? r.h - 1 : (r.h - 1) / 2;
    int k = list_h < MAX_NEIGHBOURS ? list_h : MAX_NEIGHBOURS;
    int n = k < vd->n_neighbours ? k : vd->n_neighbours;
    const int32_t *ids = vd->neighbours;
    const float *sims = vd->similarity;
    int labw = list_w >= 36 ? 14 : 10, barw = list_w - labw - 8;
    for (int i = 0; i < n; i++) {
        int y = r.y + 1 + i;
        session_token_label(s, ids[i], label, sizeof label);
        canvas_put_text(c, r.x, y, labw, label, text);
        ui_bar(c, r.x + labw + 1, y, barw, sims[i] > 0 ? sims[i] : 0, ui_style(ui, COLOR_IDX(81), 0, 0));
        snprintf(line, sizeof line, "%6.3f", sims[i]);
        canvas_put_text(c, r.x + labw + 1 + barw, y, 7, line, text);
    }
    Rect sc = side ? (Rect){r.x + list_w + 2, r.y + 2, r.w - list_w - 2, r.h - 2}
                   : (Rect){r.x, r.y + 2 + list_h, r.w, r.h - 2 - list_h};
    if (sc.h >= 3) {
        canvas_put_text(c, sc.x, sc.y - 1, sc.w, "PCA of all embeddings (\u25c6 this token, \u2022 its neighbours)",
                        ui_style(ui, COLOR_IDX(244), 0, 0));
        draw_scatter(c, sc, s, ui, focus, ids, n);
    }
}
