#include "view_lens.h"

#include <stdio.h>
#include <string.h>

/* The layer rows: layer, the followed token's rank and probability, then the layer's top tokens. */
static int draw_layers(Canvas *c, Rect r, int y, Session *s, const LensColumn *col, UiState *ui) {
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0), dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    Style hit = ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD);
    if (ui->colours == COLOURS_NONE) hit.attr |= ATTR_REVERSE;
    char line[256], label[96];
    canvas_put_text(c, r.x, y++, r.w, "layer   rank        p   the likeliest next tokens if the model stopped here",
                    ui_style(ui, COLOR_IDX(250), 0, ATTR_UNDERLINE));
    for (int l = 0; l < col->n_layers && y < r.y + r.h; l++, y++) {
        snprintf(line, sizeof line, "%5d %6d %7.2f%%", l, col->chosen_rank[l], 100.0 * col->chosen_prob[l]);
        int x = r.x + canvas_put_text(c, r.x, y, r.w, line, col->chosen_rank[l] == 1 ? hit : text) + 2;
        for (int i = 0; i < col->k && x < r.x + r.w; i++) {
            const LensEntry *e = &col->top[(size_t)l * col->k + i];
            if (e->id < 0) break;
            session_token_label(s, e->id, label, sizeof label);
            snprintf(line, sizeof line, "%s %.0f%%", label, 100.0 * e->prob);
            x += canvas_put_text(c, x, y, r.x + r.w - x, line, e->id == col->chosen ? hit : i ? dim : text) + 2;
        }
    }
    return y;
}

/* The heat map: one row a layer, one two-cell column a position, the window ending near the focus. */
static void draw_heat(Canvas *c, Rect r, int y, Session *s, const LensColumn *col, UiState *ui) {
    const float *heat = session_lens_heat(s, col->chosen);
    int L = col->n_layers, n = s->n_tokens, cw = 2, hx = r.x + 5;
    int cols = (r.w - 5) / cw;
    if (!heat || cols < 1 || y + 2 > r.y + r.h) return;
    int first = 0;
    if (n > cols) {
        first = col->pos - cols * 3 / 4;
        if (first < 0) first = 0;
        if (first > n - cols) first = n - cols;
    }
    /* shaded relative to the largest value shown, so a rare token's pattern is visible too */
    float max = 0.0f;
    for (int p = first; p < n && p < first + cols; p++)
        for (int l = 0; l < L; l++)
            if (heat[(size_t)p * L + l] > max) max = heat[(size_t)p * L + l];
    if (!(max > 0.0f)) max = 1.0f;
    char line[256], label[96];
    session_token_label(s, col->chosen, label, sizeof label);
    snprintf(line, sizeof line, "p('%s') at each position (across) and layer (down), brightest %.1f%%; \u25b2 focus",
             label, 100.0 * max);
    canvas_put_text(c, r.x, y++, r.w, line, ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD));
    for (int l = 0; l < L && y < r.y + r.h; l++, y++) {
        snprintf(line, sizeof line, "L%d", l);
        canvas_put_text(c, r.x, y, 4, line, ui_style(ui, COLOR_IDX(250), 0, 0));
        for (int p = first; p < n && p < first + cols; p++) {
            float v = heat[(size_t)p * L + l] / max;
            int x = hx + (p - first) * cw;
            if (ui->colours == COLOURS_NONE) {
                const char *g = ui_shade(c, v);
                for (int k = 0; k < cw; k++) canvas_put_text(c, x + k, y, 1, g, ui_style(ui, 0, 0, 0));
            } else {
                Style st = ui_style(ui, 0, ui_heat(ui, v), 0);
                for (int k = 0; k < cw; k++) canvas_put_text(c, x + k, y, 1, " ", st);
            }
            for (int k = 0; k < cw; k++) screen_set_hit(ui, x + k, y, p);
        }
    }
    if (y < r.y + r.h && col->pos >= first && col->pos < first + cols)
        canvas_put_text(c, hx + (col->pos - first) * cw, y, cw, c->ascii ? "^" : "\u25b2",
                        ui_style(ui, COLOR_IDX(220), 0, ATTR_BOLD));
}

void ViewLens_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    Style dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    const LensColumn *col = session_lens(s, LENS_VIEW_TOP);
    if (!col) {
        canvas_put_text(c, r.x, r.y, r.w, "(no logit lens: set a prompt; the model must keep its probes)", dim);
        return;
    }
    char line[320], label[96], chosen[96];
    session_token_label(s, s->tokens[col->pos].id, label, sizeof label);
    session_token_label(s, col->chosen, chosen, sizeof chosen);
    snprintf(line, sizeof line, "logit lens after '%s' (position %d), following '%s' (%s)", label, col->pos, chosen,
             col->pos + 1 < s->n_tokens ? "the token that came next" : "the last layer's top token");
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD));
    canvas_put_text(c, r.x, r.y + 1, r.w,
                    "each layer's residual through the final norm and the output head; the last layer is the model's own",
                    dim);
    int y = draw_layers(c, r, r.y + 3, s, col, ui);
    draw_heat(c, r, y + 1, s, col, ui);
}
