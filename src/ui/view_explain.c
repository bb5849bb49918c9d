#include "view_explain.h"

#include <math.h>
#include <stdio.h>

#include "explain.h"
#include "view_probs.h"
#include "viewdata.h"

void ViewExplain_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    const ViewData *vd = session_view_data(s, 1); /* the arithmetic, prepared before drawing */
    const Distribution *shown = vd->shown;
    int32_t sampled = vd->shown_sampled;
    Style text = ui_style(ui, COLOR_IDX(252), 0, 0), dim = ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM);
    Style head = ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD), under = ui_style(ui, COLOR_IDX(250), 0, ATTR_UNDERLINE);
    if (!shown) {
        canvas_put_text(c, r.x, r.y, r.w, "(no distribution yet: set a prompt)", dim);
        return;
    }
    int gap = ui->big ? 2 : 1;
    int rows = (r.h - 6) / gap;
    if (rows < 1) rows = 1;
    const Explanation e = vd->explanation;

    char line[320], label[96], k[16], p[16];
    int sel = session_selected(s);
    session_token_label(s, s->tokens[sel].id, label, sizeof label);
    snprintf(line, sizeof line, "frozen: the logits after '%s' (position %d) \u00b7 +/- sweep T \u00b7 :explain unfreezes",
             label, sel + 1);
    canvas_put_text(c, r.x, r.y, r.w, line, head);
    if (e.top_k > 0) snprintf(k, sizeof k, "%d", e.top_k);
    else snprintf(k, sizeof k, "off");
    if (e.top_p < 1) snprintf(p, sizeof p, "%.2f", e.top_p);
    else snprintf(p, sizeof p, "off");
    if (e.temperature > 0)
        snprintf(line, sizeof line, "T %.2f \u00b7 top-k %s \u00b7 top-p %s \u00b7 max logit %.4f \u00b7 max/T %.4f \u00b7 weight = exp(logit/T \u2212 max/T)",
                 e.temperature, k, p, e.max_logit, e.max_scaled);
    else
        snprintf(line, sizeof line, "T 0: no softmax, the largest logit takes everything (greedy)");
    canvas_put_text(c, r.x, r.y + 1, r.w, line, text);

    int labw = r.w >= 100 ? 16 : 12;
    int x = r.x;
    canvas_put_text(c, x, r.y + 2, r.w, "rank token", under);
    int xn = r.x + 5 + labw + 1;
    /* columns: logit, logit/T, weight, p before the cut, p after it, a bar */
    static const char *const HEADS[5] = {"logit", "logit/T", "weight", "p=w/\u03a3", "p kept"};
    static const int WIDTHS[5] = {9, 9, 11, 9, 9};
    int cx = xn;
    for (int i = 0; i < 5; i++) {
        canvas_printf(c, cx, r.y + 2, WIDTHS[i], under, "%*s", WIDTHS[i] - 1, HEADS[i]);
        cx += WIDTHS[i];
    }
    int barx = cx + 1, barw = r.x + r.w - barx;
    /* bars relative to the likeliest kept token, as the probs view scales its bars */
    float scale = e.n_rows > 0 && e.rows[0].kept_prob > 0 ? (float)e.rows[0].kept_prob : 1.0f;
    int y = r.y + 3;
    for (int i = 0; i < e.n_rows && i < rows && y < r.y + r.h - 2; i++, y += gap) {
        const ExplainRow *row = &e.rows[i];
        Style st = row->kept ? text : dim;
        if (row->id == sampled) st = ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD);
        session_token_label(s, row->id, label, sizeof label);
        canvas_printf(c, x, y, 5, st, "%4d ", i + 1);
        canvas_put_text(c, x + 5, y, labw, label, st);
        cx = xn;
        if (e.temperature > 0) {
            canvas_printf(c, cx, y, WIDTHS[0], st, "%*.4f", WIDTHS[0] - 1, row->logit), cx += WIDTHS[0];
            canvas_printf(c, cx, y, WIDTHS[1], st, "%*.4f", WIDTHS[1] - 1, row->scaled), cx += WIDTHS[1];
            canvas_printf(c, cx, y, WIDTHS[2], st, "%*.6f", WIDTHS[2] - 1, row->weight), cx += WIDTHS[2];
            canvas_printf(c, cx, y, WIDTHS[3], st, "%*.5f", WIDTHS[3] - 1, row->prob), cx += WIDTHS[3];
        } else {
            canvas_printf(c, cx, y, WIDTHS[0], st, "%*.4f", WIDTHS[0] - 1, row->logit);
            cx += WIDTHS[0] + WIDTHS[1] + WIDTHS[2] + WIDTHS[3];
        }
        if (row->kept) canvas_printf(c, cx, y, WIDTHS[4], st, "%*.5f", WIDTHS[4] - 1, row->kept_prob);
        else canvas_printf(c, cx, y, WIDTHS[4], dim, "%*s", WIDTHS[4] - 1, "cut");
        if (barw > 2) ui_bar(c, barx, y, barw, (float)row->kept_prob / scale, ui_style(ui, COLOR_IDX(75), 0, 0));
    }
    if (e.temperature > 0) {
        snprintf(line, sizeof line, "\u03a3 weights (the normaliser) over all %d tokens = %.6f", e.vocab, e.sum);
        canvas_put_text(c, r.x, r.y + r.h - 2, r.w, line, text);
        if (e.n_kept < e.vocab)
            snprintf(line, sizeof line, "cut: %d kept, \u03a3 kept weights = %.6f \u2192 p kept = weight / %.6f",
                     e.n_kept, e.kept_sum, e.kept_sum);
        else
            snprintf(line, sizeof line, "no cut: every token kept, p kept = p");
        canvas_put_text(c, r.x, r.y + r.h - 1, r.w, line, text);
    }
}
