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

/* A selected span's attention on the text: a token before the span shaded by how much the span's
 * queries give it, a token after it by how much it gives the span (causal attention keeps the two
 * apart; inside the span, what its queries give its keys). line: what the strip shows. */
static void span_strip(float *w, char *line, size_t linesz, const Session *s, int a, int b) {
    int n = s->n_tokens;
    float *rec = gb_calloc((size_t)n, sizeof(float)), *giv = gb_calloc((size_t)n, sizeof(float));
    double received = 0, given = 0;
    session_span_attention(s, s->layer, s->head, rec, giv, &received, &given);
    for (int t = 0; t < n; t++) w[t] = t > b ? rec[t] : giv[t];
    double from_after = 0, outside = 0; /* what later queries put on it; what it puts on earlier keys */
    for (int t = b + 1; t < n; t++) from_after += rec[t];
    for (int t = 0; t < a; t++) outside += giv[t];
    snprintf(line, linesz,
             "span %d..%d receives %.2f from the %d queries after it \u00b7 gives %.0f%% of its attention to earlier "
             "tokens:",
             a, b, from_after, n - 1 - b, given > 0 ? 100.0 * outside / given : 0.0);
    free(rec);
    free(giv);
}

void ViewAttention_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    const Config *cf = &s->model.config;
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0), dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    int n = s->n_tokens, sel = session_selected(s);
    if (n == 0 || !session_attention_row(s, 0, 0, 0)) {
        canvas_put_text(c, r.x, r.y, r.w, n == 0 ? "(no tokens yet)" : "(this model keeps no attention probes)", dim);
        return;
    }
    const AttnPyramid *pyr = &session_view_data(s, 0)->pyr; /* prepared before drawing */
    int maxzoom = pyr->n_levels - 1;
    if (ui->attn_fit) { /* the smallest zoom at which every key fits across the map */
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
    int zk = ui->attn_zoom, z = 1 << zk;
    char line[256], label[96];
    token_label(s, sel, label, sizeof label);
    char zoom[64] = "1 cell = 1 token";
    if (zk) snprintf(zoom, sizeof zoom, "1 cell = %d\u00d7%d tokens (%s)", z, z, ui->attn_mean ? "mean" : "max");
    snprintf(line, sizeof line, "layer %d/%d head %d/%d \u00b7 %s \u00b7 query \u2193 key \u2192 \u00b7 rows scaled to their max",
             s->layer, cf->n_layers, s->head, cf->n_heads, zoom);
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD));

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
    /* the text strip with the selected token's attention (or the span's), at the bottom when there is room */
    int strip_h = r.h >= 30 ? 5 : r.h >= 16 ? 3 : 0;
    int span_a, span_b, has_span = session_span(s, &span_a, &span_b);
    if (strip_h) {
        int sy = r.y + r.h - strip_h;
        float *w = gb_calloc((size_t)n, sizeof(float));
        if (has_span) {
            span_strip(w, line, sizeof line, s, span_a, span_b);
        } else {
            snprintf(line, sizeof line, "attention of '%s' (#%d) over the text:", label, sel);
            const float *row = session_attention_row(s, s->layer, s->head, sel);
            for (int k = 0; k <= sel && k < n; k++) w[k] = row[k];
        }
        canvas_put_text(c, r.x, sy, r.w, line, text);
        float wmax = 0;
        for (int k = 0; k < n; k++)
            if (w[k] > wmax) wmax = w[k];
        ViewTokens_draw_text(c, (Rect){r.x, sy + 1, r.w, strip_h - 1}, s, ui, w, wmax);
        free(w);
    }
    /* the heat map */
    int big = ui->big;
    int lw = big ? 12 : 10, cw = big ? 3 : 2, chh = zk ? 4 : 5;
    Rect area = {r.x, top, r.w - (grid_right ? gw + 2 : 0), r.h - 1 - strip_h - (strip_h ? 1 : 0)};
    int rows = area.h - chh, cols = (area.w - lw) / cw;
    if (rows < 1 || cols < 1) return;
    int nb = (n + z - 1) / z, qb = sel / z;
    int row0 = nb - rows > 0 ? nb - rows : 0;
    if (qb < row0) row0 = qb;
    int col0 = qb + 1 - cols > 0 ? qb + 1 - cols : 0;
    if (ui->attn_left > col0) ui->attn_left = col0; /* scrolled left: earlier keys */
    if (ui->attn_left < 0) ui->attn_left = 0;
    col0 -= ui->attn_left;
    int last_row = row0 + rows < nb ? row0 + rows : nb;
    int last_col = col0 + cols < nb ? col0 + cols : nb;
    /* each query row is scaled by its own largest weight (over all its keys, on screen or not), so the
     * darkest cell of a row is the key it attends to most */
    float *row_max = gb_calloc((size_t)(last_row - row0 + 1), sizeof(float));
    for (int i = row0; i < last_row; i++) {
        float m = 0;
        for (int j = 0; j <= i; j++) {
            float v = attn_pyramid_get(pyr, s, zk, i, j, ui->attn_mean);
            if (v > m) m = v;
        }
        row_max[i - row0] = m > 0 ? m : 1;
    }
    int hx = area.x + lw, hy = area.y + chh;
    /* column labels: the key token (first of its block), written downwards */
    for (int j = col0; j < last_col; j++) {
        int t = j * z;
        token_label(s, t, label, sizeof label);
        Style st = (t <= sel && sel < t + z) ? ui_style(ui, COLOR_IDX(220), 0, ATTR_BOLD) : text;
        if (has_span && t + z - 1 >= span_a && t <= span_b && !(t <= sel && sel < t + z)) /* a key of the span */
            st = ui_style(ui, COLOR_IDX(117), 0, ATTR_BOLD | ATTR_UNDERLINE);
        if (zk) {
            char num[16];
            snprintf(num, sizeof num, "%d", t);
            vertical_label(c, hx + (j - col0) * cw, area.y, chh, num, st);
        } else {
            vertical_label(c, hx + (j - col0) * cw, area.y, chh, label, st);
        }
    }
    for (int i = row0; i < last_row; i++) {
        int y = hy + (i - row0), t = i * z;
        int is_sel = t <= sel && sel < t + z;
        token_label(s, t, label, sizeof label);
        char rl[128];
        if (zk) snprintf(rl, sizeof rl, "%d-%d", t, t + z - 1 < n - 1 ? t + z - 1 : n - 1);
        else snprintf(rl, sizeof rl, "%s", label);
        Style ls = is_sel ? ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD) : text;
        if (is_sel && ui->colours == COLOURS_NONE) ls.attr |= ATTR_REVERSE;
        if (!is_sel && has_span && t + z - 1 >= span_a && t <= span_b) /* a query of the span */
            ls = ui_style(ui, COLOR_IDX(117), 0, ATTR_BOLD | ATTR_UNDERLINE);
        canvas_put_text(c, area.x, y, lw - 1, rl, ls);
        for (int k = 0; k < lw - 1; k++) screen_set_hit(ui, area.x + k, y, t);
        for (int j = col0; j < last_col; j++) {
            int x = hx + (j - col0) * cw;
            if (j > i) {
                canvas_put_text(c, x, y, 1, c->ascii ? " " : "\u00b7", dim);
                continue;
            }
            float v = attn_pyramid_get(pyr, s, zk, i, j, ui->attn_mean) / row_max[i - row0];
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
    free(row_max);
}
