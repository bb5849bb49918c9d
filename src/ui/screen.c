#include "screen.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keys.h"
#include "util.h"
#include "view_attention.h"
#include "view_lens.h"
#include "view_neighbours.h"
#include "view_probs.h"
#include "view_tokens.h"
#include "viewdata.h"

int screen_chooser_rows(const Session *s, int max, int32_t *ids) {
    if (!s->has_next) return 0;
    int n = s->next.vocab < max ? s->next.vocab : max;
    for (int i = 0; i < n; i++) ids[i] = s->next.order[i];
    return n;
}

static void draw_view(Canvas *c, Rect r, Session *s, UiState *ui, int view) {
    switch (view) {
    case VIEW_TOKENS: ViewTokens_draw(c, r, s, ui); break;
    case VIEW_ATTENTION: ViewAttention_draw(c, r, s, ui); break;
    case VIEW_NEIGHBOURS: ViewNeighbours_draw(c, r, s, ui); break;
    case VIEW_PROBS: ViewProbs_draw(c, r, s, ui); break;
    case VIEW_LENS: ViewLens_draw(c, r, s, ui); break;
    }
}

static void draw_boxed_view(Canvas *c, Rect r, Session *s, UiState *ui, int view, int focused) {
    char title[64];
    snprintf(title, sizeof title, "%d %s", view + 1, view_title(view));
    Style frame = ui_style(ui, focused ? COLOR_IDX(75) : COLOR_IDX(244), 0, focused ? ATTR_BOLD : 0);
    canvas_box(c, r, title, frame);
    Rect inner = {r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    if (inner.w > 0 && inner.h > 0) draw_view(c, inner, s, ui, view);
}

static void draw_tabs(Canvas *c, Session *s, UiState *ui, int wide) {
    Style bar = ui_style(ui, COLOR_IDX(252), COLOR_IDX(236), 0);
    canvas_fill(c, (Rect){0, 0, c->w, 1}, " ", bar);
    int x = canvas_put_text(c, 0, 0, c->w, " glassbox ", ui_style(ui, COLOR_IDX(231), COLOR_IDX(25), ATTR_BOLD));
    for (int v = 0; v < VIEW_COUNT; v++) {
        char tab[48];
        snprintf(tab, sizeof tab, " %d %s ", v + 1, view_title(v));
        int active = v == ui->view;
        Style st = active ? ui_style(ui, COLOR_IDX(16), COLOR_IDX(75), ATTR_BOLD | (wide ? 0 : ATTR_REVERSE))
                          : bar;
        if (active && ui->colours == COLOURS_NONE) st.attr |= ATTR_REVERSE;
        x += canvas_put_text(c, x + 1, 0, c->w - x - 1, tab, st) + 1;
    }
    const char *right = "? help  q quit ";
    int rw = text_width(right, (int)strlen(right));
    if (x + rw + 2 < c->w) canvas_put_text(c, c->w - rw, 0, rw, right, bar);
    (void)s;
}

static void draw_status(Canvas *c, Session *s, UiState *ui) {
    int y = c->h - 2;
    Style st = ui_style(ui, COLOR_IDX(16), COLOR_IDX(250), 0);
    if (ui->colours == COLOURS_NONE) st.attr |= ATTR_REVERSE;
    canvas_fill(c, (Rect){0, y, c->w, 1}, " ", st);
    char buf[512], k[16], p[16];
    const Sampler *sm = &s->sampler;
    if (sm->top_k > 0) snprintf(k, sizeof k, "%d", sm->top_k);
    else snprintf(k, sizeof k, "off");
    if (sm->top_p < 1) snprintf(p, sizeof p, "%.2f", sm->top_p);
    else snprintf(p, sizeof p, "off");
    const char *name = s->has_model ? s->model.name : "(no model)";
    char autoplay[48] = "";
    if (ui->autoplay) snprintf(autoplay, sizeof autoplay, " \u2502 \u25b6 autoplay %d ms", ui->autoplay_ms);
    /* most useful first: the model's name goes last, where a narrow terminal cuts it */
    snprintf(buf, sizeof buf, " pos %d/%d \u2502 T %.2f top-k %s top-p %s \u2502 seed %llu \u2502 L%d H%d%s \u2502 %.60s",
             s->n_tokens, s->has_model ? s->model.config.seq_len : 0, sm->temperature, k, p,
             (unsigned long long)sm->seed, s->layer, s->head, autoplay, name);
    if (ui->cmd_active && ui->message[0]) /* while typing: completions and hints take the line */
        snprintf(buf, sizeof buf, " %.500s", ui->message);
    canvas_put_text(c, 0, y, c->w, buf, st);
}

static void draw_command_line(Canvas *c, UiState *ui) {
    int y = c->h - 1;
    canvas_fill(c, (Rect){0, y, c->w, 1}, " ", ui_style(ui, 0, 0, 0));
    ui->cursor_x = ui->cursor_y = -1;
    if (ui->cmd_active) {
        const char *prompt = ui->cmd_prompt ? ui->cmd_prompt : ":";
        int pw = canvas_put_text(c, 0, y, c->w, prompt, ui_style(ui, COLOR_IDX(75), 0, ATTR_BOLD));
        const char *text = ui->cmd_text ? ui->cmd_text : "";
        int avail = c->w - pw - 1;
        /* scroll horizontally so the cursor stays visible */
        int skip_cols = ui->cmd_cursor > avail ? ui->cmd_cursor - avail : 0;
        int off = skip_cols ? text_fit(text, (int)strlen(text), skip_cols) : 0;
        int shown_skip = text_width(text, off);
        canvas_put_text(c, pw, y, avail, text + off, ui_style(ui, 0, 0, 0));
        ui->cursor_x = pw + ui->cmd_cursor - shown_skip;
        ui->cursor_y = y;
        if (ui->cursor_x >= c->w) ui->cursor_x = c->w - 1;
    } else if (ui->message[0]) {
        Style st = ui->message_error ? ui_style(ui, COLOR_IDX(196), 0, ATTR_BOLD) : ui_style(ui, COLOR_IDX(114), 0, 0);
        if (ui->message_error && ui->colours == COLOURS_NONE) st.attr |= ATTR_REVERSE;
        canvas_put_text(c, 0, y, c->w, ui->message, st);
    } else {
        /* in a lesson n and p walk the steps (its keymap), so pick is P there */
        canvas_put_text(c, 0, y, c->w,
                        ui->in_lesson ? " : command   space step   n p next/previous step   P pick   ? help   q quit"
                                      : " : command   space step   backspace back   p pick   ? help   q quit",
                        ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM));
    }
}

/* Help lines: every keymap's bindings (a label of "" continues the line above), then the commands.
 * A wide screen shows the commands beside the keys. */
enum { HELP_MAX_LINES = 240, HELP_LINE = 160 };

static int help_keys(char (*lines)[HELP_LINE], int n) {
    for (int m = 0; m < KEYMAP_COUNT && n < HELP_MAX_LINES - 40; m++) {
        int nb;
        const KeyBinding *b = keymap_bindings(m, &nb);
        if (m > 0) snprintf(lines[n++], HELP_LINE, " ");
        snprintf(lines[n++], HELP_LINE, "%s", keymap_heading(m));
        for (int i = 0; i < nb; i++) {
            if (!b[i].label[0]) continue;
            int lw = text_width(b[i].label, (int)strlen(b[i].label));
            snprintf(lines[n++], HELP_LINE, "  %s%*s %s", b[i].label, lw < 12 ? 12 - lw : 0, "", b[i].help);
        }
    }
    return n;
}

static int help_commands(char (*lines)[HELP_LINE], int n, int lesson_mode) {
    snprintf(lines[n++], HELP_LINE, lesson_mode ? "LESSONS (a pane beside the views; glassbox --lesson N)"
                                                : "COMMANDS (after : or /; tab completes)");
    for (int i = 0; i < commands_count() && n < HELP_MAX_LINES - 2; i++)
        if (!(commands_flags(i) & RQ_LESSON_MODE) == !lesson_mode)
            snprintf(lines[n++], HELP_LINE, "  %-17s %s", commands_usage(i), commands_help(i));
    return n;
}

static void draw_help(Canvas *c, UiState *ui) {
    char (*lines)[HELP_LINE] = gb_malloc(sizeof(char[HELP_MAX_LINES][HELP_LINE]));
    int n = help_keys(lines, 0);
    snprintf(lines[n++], HELP_LINE, " ");
    int commands_at = n;
    n = help_commands(lines, n, 0);
    snprintf(lines[n++], HELP_LINE, " ");
    n = help_commands(lines, n, 1);
    int h = c->h - 6, rows = h - 2;
    /* A wide screen puts the commands beside the keys, so the whole help shows without scrolling. */
    int split = n;
    if (c->w >= 164 && n > rows) split = commands_at;
    int two = split < n;
    int w = two ? (c->w - 4 < 200 ? c->w - 4 : 200) : (c->w - 4 < 100 ? c->w - 4 : 100);
    Rect r = {(c->w - w) / 2, 3, w, h};
    Style bg = ui_style(ui, COLOR_IDX(252), COLOR_IDX(235), 0);
    canvas_fill(c, r, " ", bg);
    canvas_box(c, r, "Help: keys and commands (esc or ? closes, \u2191\u2193 scroll)", ui_style(ui, COLOR_IDX(75), COLOR_IDX(235), ATTR_BOLD));
    int colw = two ? (r.w - 6) / 2 : r.w - 4;
    int longest = two ? (split > n - split ? split : n - split) : n;
    if (ui->help_scroll > longest - rows) ui->help_scroll = longest - rows;
    if (ui->help_scroll < 0) ui->help_scroll = 0;
    for (int col = 0; col < (two ? 2 : 1); col++) {
        int first = col == 0 ? 0 : split, last = two && col == 0 ? split : n;
        for (int i = 0; i < rows && first + i + ui->help_scroll < last; i++) {
            const char *line = lines[first + i + ui->help_scroll];
            int heading = line[0] != ' ';
            canvas_put_text(c, r.x + 2 + col * (colw + 2), r.y + 1 + i, colw, line,
                            heading ? ui_style(ui, COLOR_IDX(222), COLOR_IDX(235), ATTR_BOLD) : bg);
        }
    }
    free(lines);
}

int screen_chooser_size(int h) { return h - 8 < 20 ? h - 8 : 20; }

static void draw_chooser(Canvas *c, Session *s, UiState *ui) {
    int32_t ids[64];
    int max_rows = screen_chooser_size(c->h);
    int n = screen_chooser_rows(s, max_rows, ids);
    int w = 44;
    Rect r = {(c->w - w) / 2, 3, w, n + 4};
    Style bg = ui_style(ui, COLOR_IDX(252), COLOR_IDX(235), 0);
    canvas_fill(c, r, " ", bg);
    canvas_box(c, r, "Pick the next token (\u21b5 picks, esc cancels)", ui_style(ui, COLOR_IDX(75), COLOR_IDX(235), ATTR_BOLD));
    if (ui->chooser_sel >= n) ui->chooser_sel = n - 1;
    if (ui->chooser_sel < 0) ui->chooser_sel = 0;
    for (int i = 0; i < n; i++) {
        char label[96], line[160];
        session_token_label(s, ids[i], label, sizeof label);
        snprintf(line, sizeof line, "%2d  %6.2f%%  %s", i + 1, 100.0 * s->next.probs[ids[i]], label);
        Style st = i == ui->chooser_sel ? ui_style(ui, COLOR_IDX(16), COLOR_IDX(75), ATTR_BOLD | ATTR_REVERSE * (ui->colours == COLOURS_NONE))
                                        : bg;
        if (i >= s->next.n_kept) st.attr |= ATTR_DIM;
        canvas_fill(c, (Rect){r.x + 1, r.y + 2 + i, r.w - 2, 1}, " ", st);
        canvas_put_text(c, r.x + 2, r.y + 2 + i, r.w - 4, line, st);
    }
    canvas_put_text(c, r.x + 2, r.y + 1, r.w - 4, "rank  prob    token", ui_style(ui, COLOR_IDX(244), COLOR_IDX(235), 0));
}

void screen_draw(Canvas *c, Session *s, UiState *ui) {
    session_view_data(s, ui->explain); /* compute, then draw: the views read what this prepared */
    Style base = ui_style(ui, 0, 0, 0);
    canvas_clear(c, base);
    screen_clear_hits(ui, c->w, c->h);
    ui->cursor_x = ui->cursor_y = -1;
    if (c->w < SCREEN_MIN_W || c->h < SCREEN_MIN_H) {
        char msg[128];
        snprintf(msg, sizeof msg, "enlarge the terminal (need %d\u00d7%d, have %d\u00d7%d)", SCREEN_MIN_W, SCREEN_MIN_H, c->w, c->h);
        int mw = text_width(msg, (int)strlen(msg));
        int x = (c->w - mw) / 2;
        canvas_put_text(c, x < 0 ? 0 : x, c->h / 2, c->w, msg, ui_style(ui, 0, 0, ATTR_BOLD));
        return;
    }
    int wide = c->w >= SCREEN_WIDE_W && c->h >= SCREEN_WIDE_H && !ui->big;
    draw_tabs(c, s, ui, wide);
    Rect body = {0, 1, c->w, c->h - 3};
    if (wide) {
        int lw = c->w * 9 / 20, th = body.h / 2;
        Rect q[4] = {{0, 1, lw, th},
                     {lw, 1, c->w - lw, th},
                     {0, 1 + th, lw, body.h - th},
                     {lw, 1 + th, c->w - lw, body.h - th}};
        /* the lens, when in front, takes the neighbours' quadrant */
        const int order[4] = {VIEW_TOKENS, VIEW_ATTENTION, ui->view == VIEW_LENS ? VIEW_LENS : VIEW_NEIGHBOURS,
                              VIEW_PROBS};
        for (int i = 0; i < 4; i++) draw_boxed_view(c, q[i], s, ui, order[i], order[i] == ui->view);
    } else {
        draw_boxed_view(c, body, s, ui, ui->view, 1);
    }
    draw_status(c, s, ui);
    draw_command_line(c, ui);
    if (ui->chooser) draw_chooser(c, s, ui);
    if (ui->help) draw_help(c, ui);
}
