#include "view_tokens.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* One visible glyph of a token's bytes: whitespace made visible, control bytes and broken UTF-8 as
 * <0xNN>. Returns bytes consumed; *newline set when the glyph ends a line. */
static int next_glyph(const Canvas *c, const char *p, int n, char *out, int *newline, int *is_space) {
    *newline = 0;
    *is_space = 0;
    unsigned char b = (unsigned char)p[0];
    if (b == '\n') {
        strcpy(out, c->ascii ? "$" : "\u23ce");
        *newline = 1;
        *is_space = 1;
        return 1;
    }
    if (b == ' ') {
        strcpy(out, c->ascii ? "_" : "\u00b7");
        *is_space = 1;
        return 1;
    }
    if (b == '\t') {
        strcpy(out, c->ascii ? ">" : "\u2192");
        *is_space = 1;
        return 1;
    }
    int32_t cp;
    int len = utf8_decode(p, n, &cp);
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
        snprintf(out, 8, "<0x%02X>", b);
        return 1;
    }
    memcpy(out, p, (size_t)len);
    out[len] = 0;
    return len;
}

typedef struct {
    int line_of_selected, lines;
} TextLayout;

/* Walks the text as it would be laid out in width w; draws the lines [first, first + h) when draw. */
static TextLayout walk_text(Canvas *c, Rect r, Session *s, UiState *ui, const float *weights, float wmax, int first,
                            int draw) {
    TextLayout lay = {0, 1};
    int sel = session_selected(s);
    int gap = ui->big ? 2 : 1;  /* projector mode: a blank line between lines of text */
    int rows = (r.h + gap - 1) / gap; /* text lines that fit */
    int x = 0, y = 0;
    for (int t = 0; t < s->n_tokens; t++) {
        const SessionToken *tok = &s->tokens[t];
        if (t == sel) lay.line_of_selected = y;
        /* the token's style */
        Style st;
        int generated = tok->generated;
        if (weights) {
            float v = wmax > 0 ? weights[t] / wmax : 0;
            st = ui_style(ui, v > 0.55f ? COLOR_IDX(16) : COLOR_IDX(252), ui_heat(ui, v), 0);
            if (ui->colours == COLOURS_NONE) st.attr |= (v > 0.5f ? ATTR_BOLD : 0) | (v > 0.2f ? ATTR_UNDERLINE : 0);
        } else if ((ui->prob_colour || ui->score_colour) && generated) {
            /* score: the model's own probability (T = 1), i.e. the surprisal a `score` reports */
            st = ui_style(ui, COLOR_IDX(16), ui_prob_colour(ui, ui->score_colour ? tok->prob_t1 : tok->prob), 0);
        } else {
            st = ui_style(ui, generated ? COLOR_IDX(231) : COLOR_IDX(252), (t & 1) ? COLOR_IDX(60) : COLOR_IDX(238),
                          generated ? ATTR_BOLD : 0);
            if (ui->colours == COLOURS_NONE && (t & 1)) st.attr |= ATTR_UNDERLINE;
        }
        if (t == sel) {
            st = ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD);
            if (ui->colours == COLOURS_NONE) st.attr |= ATTR_REVERSE;
        }
        Style ws = st; /* whitespace markers are dimmer */
        if (!(t == sel) && !weights) ws.fg = ui->colours == COLOURS_NONE ? 0 : COLOR_IDX(246);
        const char *p = s->text + tok->start;
        int n = (int)(tok->end - tok->start);
        if (n == 0) { /* a token with no text (BOS): show its name */
            char label[32];
            session_token_label(s, tok->id, label, sizeof label);
            int lw = text_width(label, (int)strlen(label));
            if (x + lw > r.w && x > 0) x = 0, y++;
            if (draw && y >= first && y < first + rows) {
                Style ds = st;
                ds.attr |= ATTR_DIM;
                canvas_put_text(c, r.x + x, r.y + (y - first) * gap, r.w - x, label, ds);
                for (int k = 0; k < lw && x + k < r.w; k++) screen_set_hit(ui, r.x + x + k, r.y + (y - first) * gap, t);
            }
            x += lw;
            continue;
        }
        for (int i = 0; i < n;) {
            char g[16];
            int newline, space;
            int used = next_glyph(c, p + i, n - i, g, &newline, &space);
            int gw = text_width(g, (int)strlen(g));
            if (x + gw > r.w && x > 0) x = 0, y++;
            if (draw && y >= first && y < first + rows) {
                canvas_put_text(c, r.x + x, r.y + (y - first) * gap, r.w - x, g, space ? ws : st);
                for (int k = 0; k < gw && x + k < r.w; k++) screen_set_hit(ui, r.x + x + k, r.y + (y - first) * gap, t);
            }
            x += gw;
            if (newline) x = 0, y++;
            i += used;
        }
    }
    lay.lines = y + 1;
    return lay;
}

void ViewTokens_draw_text(Canvas *c, Rect r, Session *s, UiState *ui, const float *weights, float wmax) {
    if (r.w <= 0 || r.h <= 0) return;
    if (s->n_tokens == 0) {
        canvas_put_text(c, r.x, r.y, r.w, "(no prompt yet: press e or type :prompt TEXT)",
                        ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM));
        return;
    }
    TextLayout lay = walk_text(c, r, s, ui, weights, wmax, 0, 0);
    /* show the end of the text, unless the selected token would be above the window */
    int rows = ui->big ? (r.h + 1) / 2 : r.h;
    int first = lay.lines - rows;
    if (first < 0) first = 0;
    if (lay.line_of_selected < first) first = lay.line_of_selected;
    walk_text(c, r, s, ui, weights, wmax, first, 1);
}

static void draw_list(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.h < 2 || r.w < 20) return;
    Style head = ui_style(ui, COLOR_IDX(250), 0, ATTR_BOLD | ATTR_UNDERLINE);
    canvas_put_text(c, r.x, r.y, r.w, "   #     id  len  token               p (* picked)", head);
    int rows = r.h - 1, sel = session_selected(s);
    int first = sel - rows / 2;
    if (first > s->n_tokens - rows) first = s->n_tokens - rows;
    if (first < 0) first = 0;
    for (int i = 0; i < rows && first + i < s->n_tokens; i++) {
        int t = first + i;
        const SessionToken *tok = &s->tokens[t];
        char label[96], line[200], prob[16] = "";
        session_token_label(s, tok->id, label, sizeof label);
        if (tok->generated) snprintf(prob, sizeof prob, "%5.1f%%%s", 100.0 * tok->prob, tok->picked ? "*" : "");
        Style st = ui_style(ui, tok->generated ? COLOR_IDX(231) : COLOR_IDX(252), 0, 0);
        if (t == sel) {
            st = ui_style(ui, COLOR_IDX(16), COLOR_IDX(220), ATTR_BOLD);
            if (ui->colours == COLOURS_NONE) st.attr |= ATTR_REVERSE;
        }
        int y = r.y + 1 + i;
        snprintf(line, sizeof line, "%4d %6d %4u  ", t, tok->id, tok->end - tok->start);
        canvas_fill(c, (Rect){r.x, y, r.w, 1}, " ", st);
        int x = canvas_put_text(c, r.x, y, r.w, line, st);
        int lw = r.w - x - 8 < 16 ? r.w - x - 8 : 16;
        canvas_put_text(c, r.x + x, y, lw, label, st);
        if (prob[0]) {
            Style ps = st;
            if (ui->prob_colour && t != sel) ps.fg = ui_prob_colour(ui, tok->prob);
            canvas_put_text(c, r.x + x + lw + 1, y, 7, prob, ps);
        }
        for (int k = 0; k < r.w; k++) screen_set_hit(ui, r.x + k, y, t);
    }
}

void ViewTokens_draw(Canvas *c, Rect r, Session *s, UiState *ui) {
    if (r.w <= 0 || r.h <= 0) return;
    int chars = session_char_count(s);
    int gen = s->n_tokens - s->n_prompt;
    char head[256];
    snprintf(head, sizeof head, "%d tokens \u00b7 %d characters \u00b7 %.2f chars/token \u00b7 prompt %d + generated %d%s",
             s->n_tokens, chars, s->n_tokens ? (double)chars / s->n_tokens : 0.0, s->n_prompt, gen,
             ui->prob_colour ? " \u00b7 colour = probability" : "");
    canvas_put_text(c, r.x, r.y, r.w, head, ui_style(ui, COLOR_IDX(250), 0, 0));
    Rect text, list;
    if (r.w >= 90) {
        int lw = 40;
        text = (Rect){r.x, r.y + 2, r.w - lw - 2, r.h - 2};
        list = (Rect){r.x + r.w - lw, r.y + 2, lw, r.h - 2};
    } else {
        /* the text takes the lines it needs (at most 3/5), the list the rest */
        int th = (r.h - 2) * 3 / 5;
        TextLayout lay = walk_text(c, (Rect){r.x, r.y + 2, r.w, th}, s, ui, NULL, 0, 0, 0);
        if (lay.lines + 1 < th) th = lay.lines + 1 > 2 ? lay.lines + 1 : 2;
        text = (Rect){r.x, r.y + 2, r.w, th};
        list = (Rect){r.x, r.y + 3 + th, r.w, r.h - 3 - th};
    }
    ViewTokens_draw_text(c, text, s, ui, NULL, 0);
    draw_list(c, list, s, ui);
}
