#include "view_chain.h"

#include <stdio.h>
#include <string.h>

#define CHAIN_LABEL_W 14
#define CHAIN_COL_W 10

int ViewChain_height(const Distribution *d) { return 4 + d->n_chain + (d->drawn >= 0 ? 1 : 0); }

/* One cell of a token row: its probability after the stage, "cut" when a stage has dropped it. */
static void put_cell(Canvas *c, int x, int y, int rank, float prob, int with_rank, Style st, Style cut) {
    char cell[32];
    if (!rank) {
        canvas_put_text(c, x, y, CHAIN_COL_W, "     cut", cut);
        return;
    }
    if (with_rank) snprintf(cell, sizeof cell, "#%d %.1f%%", rank, 100.0 * prob);
    else snprintf(cell, sizeof cell, "%7.2f%%", 100.0 * prob);
    canvas_put_text(c, x, y, CHAIN_COL_W, cell, st);
}

static void draw_row(Canvas *c, Rect r, int y, const Session *s, const Distribution *d, int row, int cols,
                     Style st, Style cut, const char *mark) {
    char label[96], line[128];
    session_token_label(s, d->chain_ids[row], label, sizeof label);
    snprintf(line, sizeof line, "%s%s", mark, label);
    canvas_put_text(c, r.x, y, CHAIN_LABEL_W - 1, line, st);
    int drawn_row = row == CHAIN_ROWS;
    int model_rank = drawn_row ? distribution_stage_rank(d, -1, d->drawn) : row + 1;
    put_cell(c, r.x + CHAIN_LABEL_W, y, model_rank, d->chain_prob_in[row], drawn_row, st, cut);
    for (int i = 0; i < cols; i++)
        put_cell(c, r.x + CHAIN_LABEL_W + (i + 1) * CHAIN_COL_W, y, d->stages[i].rank[row], d->stages[i].prob[row],
                 drawn_row, st, cut);
}

void ViewChain_draw(Canvas *c, Rect r, const Session *s, const Distribution *d, UiState *ui) {
    if (r.w < CHAIN_LABEL_W + 2 * CHAIN_COL_W || r.h < 4) return;
    Style head = ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD), text = ui_style(ui, COLOR_IDX(252), 0, 0);
    Style dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM), cut = ui_style(ui, COLOR_IDX(203), 0, 0);
    Style drawn = ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD);
    if (ui->colours == COLOURS_NONE) drawn.attr |= ATTR_REVERSE;
    char chain[128], line[256];
    snprintf(line, sizeof line, "the sampler chain: %s (`samplers LIST` reorders it)",
             sampler_chain_string(&d->settings, chain, sizeof chain));
    canvas_put_text(c, r.x, r.y, r.w, line, head);
    int cols = d->n_stages, fit = (r.w - CHAIN_LABEL_W) / CHAIN_COL_W - 1;
    if (cols > fit) cols = fit;
    Style hs = ui_style(ui, COLOR_IDX(250), 0, ATTR_UNDERLINE);
    int y = r.y + 1;
    canvas_put_text(c, r.x, y, CHAIN_LABEL_W, "stage", hs);
    canvas_put_text(c, r.x + CHAIN_LABEL_W, y, CHAIN_COL_W - 1, "model", hs);
    for (int i = 0; i < cols; i++) {
        const ChainStage *st = &d->stages[i];
        if (st->kind == STAGE_TEMP) snprintf(line, sizeof line, "temp %g", (double)d->settings.temperature);
        else snprintf(line, sizeof line, "%s", sampler_stage_name(st->kind));
        canvas_put_text(c, r.x + CHAIN_LABEL_W + (i + 1) * CHAIN_COL_W, y, CHAIN_COL_W - 1, line,
                        st->active ? hs : dim);
    }
    y++;
    canvas_put_text(c, r.x, y, CHAIN_LABEL_W - 1, "kept, removed", dim);
    snprintf(line, sizeof line, "%d", d->vocab);
    canvas_put_text(c, r.x + CHAIN_LABEL_W, y, CHAIN_COL_W - 1, line, text);
    for (int i = 0; i < cols; i++) {
        const ChainStage *st = &d->stages[i];
        if (!st->active) snprintf(line, sizeof line, "off");
        else if (st->removed > 0) snprintf(line, sizeof line, "%d -%.0f%%", st->n_kept, 100.0 * st->removed);
        else snprintf(line, sizeof line, "%d", st->n_kept);
        canvas_put_text(c, r.x + CHAIN_LABEL_W + (i + 1) * CHAIN_COL_W, y, CHAIN_COL_W - 1, line,
                        st->active ? text : dim);
    }
    y++;
    for (int row = 0; row < d->n_chain && y < r.y + r.h; row++, y++) {
        int is_drawn = d->chain_ids[row] == d->drawn;
        draw_row(c, r, y, s, d, row, cols, is_drawn ? drawn : text, cut, is_drawn ? "\u25b6" : " ");
    }
    if (d->drawn >= 0 && y < r.y + r.h)
        draw_row(c, r, y, s, d, CHAIN_ROWS, cols, drawn, cut, "drawn ");
}
