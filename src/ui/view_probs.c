#include "view_probs.h"

#include <stdio.h>
#include <string.h>

#include "view_chain.h"
#include "view_explain.h"
#include "viewdata.h"

const Distribution *ViewProbs_distribution(const Session *s, int32_t *sampled, int *picked) {
    return session_shown_distribution(s, sampled, picked);
}

/* The three lines above the bars: what the distribution is, its entropy and its cut (top-k k, top-p p),
 * and, live, what the step before drew. */
static void draw_header(Canvas *c, Rect r, Session *s, UiState *ui, const Distribution *d, int32_t sampled,
                        const char *k, const char *p) {
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0), dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    int sel = session_selected(s);
    char label[96], line[320];
    session_token_label(s, s->tokens[sel].id, label, sizeof label);
    if (sampled < 0)
        snprintf(line, sizeof line, "live: the token after '%s' (position %d) \u2014 space samples it", label, sel + 1);
    else
        snprintf(line, sizeof line, "position %d was drawn from this (after '%s')", sel + 1, label);
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD));
    snprintf(line, sizeof line, "entropy %.3f bits at T %.2f \u00b7 %.3f bits at T 1 \u00b7 kept %d of %d (top-k %s, top-p %s)",
             d->entropy, d->temperature, d->entropy_t1, d->n_kept, d->vocab, k, p);
    canvas_put_text(c, r.x, r.y + 1, r.w, line, text);
    /* live: recall what the previous step drew, so a step's outcome stays in sight */
    if (sampled < 0 && sel >= 1 && s->tokens[sel].generated && s->steps[sel].used) {
        const Distribution *pd = &s->steps[sel].dist;
        int32_t id = s->tokens[sel].id;
        int rank = 0;
        while (rank < pd->vocab && pd->order[rank] != id) rank++;
        session_token_label(s, id, label, sizeof label);
        snprintf(line, sizeof line, "the step before %s '%s': rank %d, %.2f%% (\u2190 shows that distribution)",
                 s->tokens[sel].picked ? "picked" : "drew", label, rank + 1, 100.0 * s->tokens[sel].prob);
        canvas_put_text(c, r.x, r.y + 2, r.w, line, dim);
    }
}

void ViewProbs_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    if (ui->explain) { /* a frozen step: the arithmetic instead of the bars */
        ViewExplain_draw(c, r, s, ui);
        return;
    }
    const ViewData *vd = session_view_data(s, 0); /* prepared before drawing */
    int32_t sampled = vd->shown_sampled;
    int picked = vd->shown_picked;
    const Distribution *d = vd->shown;
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0), dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    if (!d) {
        canvas_put_text(c, r.x, r.y, r.w, "(no distribution yet: set a prompt)", dim);
        return;
    }
    /* a tall view keeps its bottom for the sampler chain, stage by stage; `o` asks for it on any
     * height, on top, the bars getting what is left */
    int chain_h = ViewChain_height(d);
    if (ui->chain) {
        ViewChain_draw(c, (Rect){r.x, r.y, r.w, chain_h - 1}, s, d, ui);
        r.y += chain_h;
        r.h -= chain_h;
        if (r.h < 6) return;
    } else if (r.h >= 14 + chain_h) {
        r.h -= chain_h;
        ViewChain_draw(c, (Rect){r.x, r.y + r.h + 1, r.w, chain_h - 1}, s, d, ui);
    }
    char label[96], line[320], k[16], p[16];
    if (d->top_k > 0) snprintf(k, sizeof k, "%d", d->top_k);
    else snprintf(k, sizeof k, "off");
    if (d->top_p < 1) snprintf(p, sizeof p, "%.2f", d->top_p);
    else snprintf(p, sizeof p, "off");
    draw_header(c, r, s, ui, d, sampled, k, p);

    int labw = ui->big ? 20 : r.w >= 70 ? 16 : 12;
    int barw = (r.w - 5 - labw - 2 * 8 - 4 - 10) / 2; /* 10 columns for the sampled mark */
    if (barw < 4) barw = 4;
    int xT = r.x + 5 + labw, xT1 = xT + barw + 8 + 2;
    snprintf(line, sizeof line, "T %.2f", d->temperature);
    Style hs = ui_style(ui, COLOR_IDX(250), 0, ATTR_UNDERLINE);
    canvas_put_text(c, r.x, r.y + 3, r.w, "rank token", hs);
    canvas_put_text(c, xT, r.y + 3, barw + 8, line, hs);
    canvas_put_text(c, xT1, r.y + 3, barw + 8, "T 1 (no cut)", hs);

    float scale = d->probs[d->order[0]] > d->probs_t1[d->order[0]] ? d->probs[d->order[0]] : d->probs_t1[d->order[0]];
    if (!(scale > 0)) scale = 1;
    int rows = r.h - 5;
    int sampled_rank = -1;
    if (sampled >= 0)
        for (int i = 0; i < d->vocab; i++)
            if (d->order[i] == sampled) {
                sampled_rank = i;
                break;
            }
    if (sampled_rank >= rows - 1 && rows > 2) rows--; /* keep a row to show where the sampled token ranks */
    int y = r.y + 4;
    int gap = ui->big ? 2 : 1; /* projector mode: fewer rows, spaced out */
    for (int i = 0; i < d->vocab && y < r.y + 4 + rows; i++) {
        if (i == d->n_kept && i > 0) { /* the cut-off */
            snprintf(line, sizeof line, c->ascii ? "-- cut: %d kept (top-k %s, top-p %s) --" : "\u254c\u254c cut: %d kept (top-k %s, top-p %s) \u254c\u254c",
                     d->n_kept, k, p);
            canvas_put_text(c, r.x, y, r.w, line, ui_style(ui, COLOR_IDX(203), 0, 0));
            y += gap;
            if (y >= r.y + 4 + rows) break;
        }
        int32_t id = d->order[i];
        int kept = i < d->n_kept;
        int is_sampled = id == sampled;
        Style st = is_sampled ? ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD) : kept ? text : dim;
        if (is_sampled && ui->colours == COLOURS_NONE) st.attr |= ATTR_REVERSE;
        session_token_label(s, id, label, sizeof label);
        snprintf(line, sizeof line, "%4d ", i + 1);
        canvas_put_text(c, r.x, y, 5, line, st);
        canvas_put_text(c, r.x + 5, y, labw, label, st);
        ui_bar(c, xT, y, barw, d->probs[id] / scale, ui_style(ui, kept ? COLOR_IDX(75) : COLOR_IDX(240), 0, 0));
        snprintf(line, sizeof line, "%6.2f%%", 100.0 * d->probs[id]);
        canvas_put_text(c, xT + barw + 1, y, 7, line, st);
        ui_bar(c, xT1, y, barw, d->probs_t1[id] / scale, ui_style(ui, COLOR_IDX(244), 0, 0));
        snprintf(line, sizeof line, "%6.2f%%", 100.0 * d->probs_t1[id]);
        canvas_put_text(c, xT1 + barw + 1, y, 7, line, kept ? text : dim);
        if (is_sampled) {
            int mx = xT1 + barw + 9;
            canvas_put_text(c, mx, y, r.x + r.w - mx, picked ? "\u25c0 picked" : "\u25c0 sampled", st);
        }
        y += gap;
    }
    if (sampled_rank >= 0 && y <= r.y + r.h - 1 && sampled_rank >= rows) {
        session_token_label(s, sampled, label, sizeof label);
        snprintf(line, sizeof line, "\u2026 %s: '%s' at rank %d, %.2f%%", picked ? "picked" : "sampled", label,
                 sampled_rank + 1, 100.0 * d->probs[sampled]);
        canvas_put_text(c, r.x, y, r.w, line, ui_style(ui, COLOR_IDX(220), 0, ATTR_BOLD));
    }
}
