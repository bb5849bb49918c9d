#include "view_attention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "view_tokens.h"

/* Label of a token for the heat map, made printable. */
static void token_label(const Session *s, int t, char *out, size_t outsz) {
    session_token_label(s, s->tokens[t].id, out, outsz);
}

static void draw_mini_grid(Canvas *c, int x, int y, Session *s, UiState *ui, int sel) {
    const Config *cf = &s->model.config;
    Style hs = ui_style(ui, COLOR_IDX(250), 0, 0);
    canvas_put_text(c, x, y, 6, "L\\H", hs);
    for (int h = 0; h < cf->n_heads && h < 32; h++) {
        char num[8];
        snprintf(num, sizeof num, "%d", h % 10);
        canvas_put_text(c, x + 4 + 2 * h, y, 2, num, hs);
    }
    for (int l = 0; l < cf->n_layers && l < 48; l++) {
        char num[8];
        snprintf(num, sizeof num, "%2d", l);
        canvas_put_text(c, x, y + 1 + l, 3, num, hs);
        for (int h = 0; h < cf->n_heads && h < 32; h++) {
            const float *row = session_attention_row(s, l, h, sel);
            float m = 0;
            if (row)
                for (int k = 0; k <= sel; k++)
                    if (row[k] > m) m = row[k];
            int chosen = l == s->layer && h == s->head;
            int cx = x + 4 + 2 * h, cy = y + 1 + l;
            screen_set_hit(ui, cx, cy, SCREEN_HIT_HEAD(l * cf->n_heads + h));
            screen_set_hit(ui, cx + 1, cy, SCREEN_HIT_HEAD(l * cf->n_heads + h));
            if (ui->colours == COLOURS_NONE) {
                const char *g = ui_shade(c, m);
                Style st = ui_style(ui, 0, 0, chosen ? ATTR_REVERSE : 0);
                canvas_put_text(c, cx, cy, 1, chosen ? "[" : g, st);
                canvas_put_text(c, cx + 1, cy, 1, chosen ? "]" : g, st);
            } else {
                Style st = ui_style(ui, m < 0.5f ? COLOR_IDX(231) : COLOR_IDX(16), ui_heat(ui, m), ATTR_BOLD);
                canvas_put_text(c, cx, cy, 2, chosen ? "[]" : "  ", st);
            }
        }
    }
}

/* Draws the glyphs of label downwards from (x, y), at most h of them. */
static void vertical_label(Canvas *c, int x, int y, int h, const char *label, Style st) {
    int n = (int)strlen(label);
    for (int i = 0, row = 0; i < n && row < h; row++) {
        int32_t cp;
        int len = utf8_decode(label + i, n - i, &cp);
        canvas_put_textn(c, x, y + row, 2, label + i, len, st);
        i += len;
    }
}

/* The zoom level: kept in range; on `fit`, the smallest at which every key fits across the map. */
static int attention_zoom(UiState *ui, Rect r, const Config *cf, int n, int maxzoom) {
    if (ui->attn_fit) {
        int lw0 = ui->big ? 12 : 10, cw0 = ui->big ? 3 : 2;
        int gw0 = 4 + 2 * (cf->n_heads < 32 ? cf->n_heads : 32);
        int avail = (r.w - (r.w >= 60 + gw0 ? gw0 + 2 : 0) - lw0) / cw0;
        int k = 0;
        while (k < maxzoom && avail > 0 && ((n + (1 << k) - 1) >> k) > avail) k++;
        ui->attn_zoom = k;
        ui->attn_fit = 0;
    }
    if (ui->attn_zoom > maxzoom) ui->attn_zoom = maxzoom;
    if (ui->attn_zoom < 0) ui->attn_zoom = 0;
    return ui->attn_zoom;
}

/* The title line: layer, head, what a cell stands for. */
static void draw_title(Canvas *c, Rect r, const Session *s, UiState *ui, int zk) {
    const Config *cf = &s->model.config;
    int z = 1 << zk;
    char zoom[64] = "1 cell = 1 token", line[256];
    if (zk) snprintf(zoom, sizeof zoom, "1 cell = %d\u00d7%d tokens (%s)", z, z, ui->attn_mean ? "mean" : "max");
    snprintf(line, sizeof line, "layer %d/%d head %d/%d \u00b7 %s \u00b7 query \u2193 key \u2192 \u00b7 rows scaled to their max",
             s->layer, cf->n_layers, s->head, cf->n_heads, zoom);
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD));
}

/* The text strip at the bottom of r: the selected token's attention painted on the text, or the span's
 * (prepared in the view data). */
static void draw_strip(Canvas *c, Rect r, Session *s, UiState *ui, const SpanStrip *span, int sel) {
    int n = s->n_tokens;
    char line[256], label[96];
    const float *w;
    if (span->has_span) {
        w = span->weights;
        snprintf(line, sizeof line,
                 "span %d..%d receives %.2f from the %d queries after it \u00b7 gives %.0f%% of its attention to "
                 "earlier tokens:",
                 span->a, span->b, span->from_after, n - 1 - span->b,
                 span->given > 0 ? 100.0 * span->outside / span->given : 0.0);
    } else {
        w = session_attention_row(s, s->layer, s->head, sel); /* keys after sel weigh nothing */
        token_label(s, sel, label, sizeof label);
        snprintf(line, sizeof line, "attention of '%s' (#%d) over the text:", label, sel);
    }
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(252), 0, 0));
    int m = span->has_span ? n : sel + 1;
    float *shown = gb_calloc((size_t)n, sizeof(float)), wmax = 0;
    for (int k = 0; k < m && k < n; k++) shown[k] = w[k];
    for (int k = 0; k < n; k++)
        if (shown[k] > wmax) wmax = shown[k];
    ViewTokens_draw_text(c, (Rect){r.x, r.y + 1, r.w, r.h - 1}, s, ui, shown, wmax);
    free(shown);
}

/* The part of the heat map on screen: rows [row0, last_row) of queries and columns [col0, last_col) of
 * keys, in cells of z tokens, and the cell width and label widths. */
typedef struct {
    int zk, z, sel;
    int row0, last_row, col0, last_col;
    int lw, cw, chh; /* row label width, cell width, column label height */
    int has_span, span_a, span_b;
} HeatWindow;

/* The key tokens across the top (first of their block), written downwards. */
static void draw_key_labels(Canvas *c, Rect area, const Session *s, UiState *ui, const HeatWindow *hw) {
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0);
    char label[96];
    int hx = area.x + hw->lw, z = hw->z, sel = hw->sel;
    for (int j = hw->col0; j < hw->last_col; j++) {
        int t = j * z;
        int has_sel = t <= sel && sel < t + z;
        Style st = has_sel ? ui_style(ui, COLOR_IDX(220), 0, ATTR_BOLD) : text;
        if (hw->has_span && t + z - 1 >= hw->span_a && t <= hw->span_b && !has_sel) /* a key of the span */
            st = ui_style(ui, COLOR_IDX(117), 0, ATTR_BOLD | ATTR_UNDERLINE);
        if (hw->zk) snprintf(label, sizeof label, "%d", t);
        else token_label(s, t, label, sizeof label);
        vertical_label(c, hx + (j - hw->col0) * hw->cw, area.y, hw->chh, label, st);
    }
}

/* One query row: its label, then a cell per key on screen shaded by its weight over row_max. */
static void draw_query_row(Canvas *c, Rect area, const Session *s, UiState *ui, const HeatWindow *hw,
                           const AttnPyramid *pyr, int i, float row_max) {
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0), dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    int n = s->n_tokens, z = hw->z, lw = hw->lw, cw = hw->cw;
    int y = area.y + hw->chh + (i - hw->row0), t = i * z, hx = area.x + lw;
    int is_sel = t <= hw->sel && hw->sel < t + z;
    char label[96], rl[128];
    token_label(s, t, label, sizeof label);
    if (hw->zk) snprintf(rl, sizeof rl, "%d-%d", t, t + z - 1 < n - 1 ? t + z - 1 : n - 1);
    else snprintf(rl, sizeof rl, "%s", label);
    Style ls = is_sel ? ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD) : text;
    if (is_sel && ui->colours == COLOURS_NONE) ls.attr |= ATTR_REVERSE;
    if (!is_sel && hw->has_span && t + z - 1 >= hw->span_a && t <= hw->span_b) /* a query of the span */
        ls = ui_style(ui, COLOR_IDX(117), 0, ATTR_BOLD | ATTR_UNDERLINE);
    canvas_put_text(c, area.x, y, lw - 1, rl, ls);
    for (int k = 0; k < lw - 1; k++) screen_set_hit(ui, area.x + k, y, t);
    for (int j = hw->col0; j < hw->last_col; j++) {
        int x = hx + (j - hw->col0) * cw;
        if (j > i) {
            canvas_put_text(c, x, y, 1, c->ascii ? " " : "\u00b7", dim);
            continue;
        }
        float v = attn_pyramid_get(pyr, s, hw->zk, i, j, ui->attn_mean) / row_max;
        if (ui->colours == COLOURS_NONE) {
            const char *g = ui_shade(c, v);
            for (int k = 0; k < cw; k++) canvas_put_text(c, x + k, y, 1, g, ui_style(ui, 0, 0, 0));
        } else {
            Style st = ui_style(ui, 0, ui_heat(ui, v), 0);
            for (int k = 0; k < cw; k++) canvas_put_text(c, x + k, y, 1, " ", st);
        }
        for (int k = 0; k < cw; k++) screen_set_hit(ui, x + k, y, j * z);
    }
}

/* The heat map in area: the rows that end at the selected token's, scrolled left by ui->attn_left. */
static void draw_heat_map(Canvas *c, Rect area, Session *s, UiState *ui, const AttnPyramid *pyr,
                          const SpanStrip *span, int zk, int sel) {
    int n = s->n_tokens, big = ui->big;
    HeatWindow hw = {.zk = zk, .z = 1 << zk, .sel = sel, .lw = big ? 12 : 10, .cw = big ? 3 : 2, .chh = zk ? 4 : 5,
                     .has_span = span->has_span, .span_a = span->a, .span_b = span->b};
    int rows = area.h - hw.chh, cols = (area.w - hw.lw) / hw.cw;
    if (rows < 1 || cols < 1) return;
    int nb = (n + hw.z - 1) / hw.z, qb = sel / hw.z;
    hw.row0 = nb - rows > 0 ? nb - rows : 0;
    if (qb < hw.row0) hw.row0 = qb;
    hw.col0 = qb + 1 - cols > 0 ? qb + 1 - cols : 0;
    if (ui->attn_left > hw.col0) ui->attn_left = hw.col0; /* scrolled left: earlier keys */
    if (ui->attn_left < 0) ui->attn_left = 0;
    hw.col0 -= ui->attn_left;
    hw.last_row = hw.row0 + rows < nb ? hw.row0 + rows : nb;
    hw.last_col = hw.col0 + cols < nb ? hw.col0 + cols : nb;
    draw_key_labels(c, area, s, ui, &hw);
    /* each query row is scaled by its own largest weight (over all its keys, on screen or not), so the
     * darkest cell of a row is the key it attends to most */
    for (int i = hw.row0; i < hw.last_row; i++) {
        float m = 0;
        for (int j = 0; j <= i; j++) {
            float v = attn_pyramid_get(pyr, s, zk, i, j, ui->attn_mean);
            if (v > m) m = v;
        }
        draw_query_row(c, area, s, ui, &hw, pyr, i, m > 0 ? m : 1);
    }
}

void ViewAttention_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    const Config *cf = &s->model.config;
    Style dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    int n = s->n_tokens, sel = session_selected(s);
    if (n == 0 || !session_attention_row(s, 0, 0, 0)) {
        canvas_put_text(c, r.x, r.y, r.w, n == 0 ? "(no tokens yet)" : "(this model keeps no attention probes)", dim);
        return;
    }
    const ViewData *vd = session_view_data(s, 0); /* the pyramid and the span's strip, prepared before drawing */
    int zk = attention_zoom(ui, r, cf, n, vd->pyr.n_levels - 1);
    draw_title(c, r, s, ui, zk);
    /* the miniature layer x head grid, top right */
    int gw = 4 + 2 * (cf->n_heads < 32 ? cf->n_heads : 32), gh = 1 + (cf->n_layers < 48 ? cf->n_layers : 48);
    int grid_right = r.w >= 60 + gw;
    int top = r.y + 1;
    if (grid_right) {
        draw_mini_grid(c, r.x + r.w - gw, top, s, ui, sel);
        /* what the grid's shades mean: how much of this token's attention goes to its top key */
        if (gh + 2 < r.h) {
            canvas_put_text(c, r.x + r.w - gw, top + gh, gw, "shade: focus", dim);
            canvas_put_text(c, r.x + r.w - gw, top + gh + 1, gw, "click: pick", dim);
        }
    }
    /* the text strip, at the bottom when there is room */
    int strip_h = r.h >= 30 ? 5 : r.h >= 16 ? 3 : 0;
    if (strip_h) draw_strip(c, (Rect){r.x, r.y + r.h - strip_h, r.w, strip_h}, s, ui, &vd->span, sel);
    Rect area = {r.x, top, r.w - (grid_right ? gw + 2 : 0), r.h - 1 - strip_h - (strip_h ? 1 : 0)};
    draw_heat_map(c, area, s, ui, &vd->pyr, &vd->span, zk, sel);
}
