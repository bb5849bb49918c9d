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
#include "view_neighbours.h"
#include "view_probs.h"
#include "view_tokens.h"

void ui_init(UiState *ui) {
    memset(ui, 0, sizeof *ui);
    ui->view = VIEW_TOKENS;
    ui->colours = COLOURS_256;
    ui->autoplay_ms = 300;
    ui->cursor_x = ui->cursor_y = -1;
    ui->pyr.layer = ui->pyr.head = -1;
}

void ui_free(UiState *ui) {
    free(ui->hit);
    for (int k = 0; k < ATTN_LEVELS; k++) {
        free(ui->pyr.max[k]);
        free(ui->pyr.sum[k]);
    }
    memset(ui, 0, sizeof *ui);
}

void ui_message(UiState *ui, int error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof ui->message, fmt, ap);
    va_end(ap);
    ui->message_error = error;
}

Style ui_style(const UiState *ui, uint32_t fg, uint32_t bg, int attr) {
    Style s = {fg, bg, (uint8_t)attr};
    if (ui->colours == COLOURS_NONE) s.fg = s.bg = 0;
    if (ui->big) { /* projector mode: high contrast, no faint text */
        s.attr &= (uint8_t)~ATTR_DIM;
        s.attr |= ATTR_BOLD;
        if (COLOR_IS_IDX(s.fg) && (s.fg & 0xff) >= 232) s.fg = COLOR_IDX(231);
    }
    return s;
}

int rgb_to_xterm256(int r, int g, int b) {
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    int idx[3], v[3] = {r, g, b};
    for (int i = 0; i < 3; i++) {
        int best = 0;
        for (int j = 1; j < 6; j++)
            if (abs(level[j] - v[i]) < abs(level[best] - v[i])) best = j;
        idx[i] = best;
    }
    int cr = level[idx[0]], cg = level[idx[1]], cb = level[idx[2]];
    int cube_d = (cr - r) * (cr - r) + (cg - g) * (cg - g) + (cb - b) * (cb - b);
    int grey = (r + g + b) / 3;
    int gi = grey < 8 ? 0 : grey > 238 ? 23 : (grey - 8) / 10;
    int gv = 8 + 10 * gi;
    int grey_d = (gv - r) * (gv - r) + (gv - g) * (gv - g) + (gv - b) * (gv - b);
    if (grey_d < cube_d) return 232 + gi;
    return 16 + 36 * idx[0] + 6 * idx[1] + idx[2];
}

void xterm256_to_rgb(int idx, int *r, int *g, int *b) {
    static const int basic[16][3] = {{0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
                                     {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
                                     {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
                                     {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (idx < 16) {
        *r = basic[idx][0], *g = basic[idx][1], *b = basic[idx][2];
    } else if (idx < 232) {
        idx -= 16;
        *r = level[idx / 36], *g = level[(idx / 6) % 6], *b = level[idx % 6];
    } else {
        *r = *g = *b = 8 + 10 * (idx - 232);
    }
}

/* A dark-to-bright heat ramp (black, purple, red, orange, pale yellow). */
static void heat_rgb(float t, int *r, int *g, int *b) {
    static const float stops[5][3] = {{10, 8, 30}, {90, 20, 120}, {200, 50, 80}, {250, 140, 30}, {252, 250, 190}};
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    float x = t * 4;
    int i = (int)x;
    if (i > 3) i = 3;
    float f = x - (float)i;
    *r = (int)lroundf(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]));
    *g = (int)lroundf(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]));
    *b = (int)lroundf(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]));
}

uint32_t ui_heat(const UiState *ui, float t) {
    int r, g, b;
    heat_rgb(t, &r, &g, &b);
    if (ui->colours == COLOURS_RGB) return COLOR_RGB(r, g, b);
    if (ui->colours == COLOURS_256) return COLOR_IDX(rgb_to_xterm256(r, g, b));
    return COLOR_DEFAULT;
}

uint32_t ui_prob_colour(const UiState *ui, float p) {
    float t = p > 0 ? (log10f(p) + 3.0f) / 3.0f : 0; /* 0.001 .. 1 on a log scale */
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    int r = t < 0.5f ? 200 : (int)(200 - (t - 0.5f) * 2 * 150);
    int g = t < 0.5f ? (int)(60 + t * 2 * 140) : 200;
    int b = 60;
    if (ui->colours == COLOURS_RGB) return COLOR_RGB(r, g, b);
    if (ui->colours == COLOURS_256) return COLOR_IDX(rgb_to_xterm256(r, g, b));
    return COLOR_DEFAULT;
}

static const char *const SHADES_UNICODE[] = {" ", "\u2591", "\u2592", "\u2593", "\u2588"};
static const char *const SHADES_ASCII[] = {" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"};

int ui_shade_levels(const Canvas *c) { return c->ascii ? 10 : 5; }

const char *ui_shade(const Canvas *c, float t) {
    int n = ui_shade_levels(c);
    if (!(t > 0)) return " ";
    if (t > 1) t = 1;
    int i = 1 + (int)(t * (float)(n - 1) - 1e-6f); /* any t > 0 shows at least the faintest mark */
    if (i > n - 1) i = n - 1;
    if (i < 1) i = 1;
    return c->ascii ? SHADES_ASCII[i] : SHADES_UNICODE[i];
}

void ui_bar(Canvas *c, int x, int y, int maxw, float frac, Style s) {
    static const char *const EIGHTHS[8] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
    if (maxw <= 0) return;
    if (!(frac > 0)) frac = 0;
    if (frac > 1) frac = 1;
    int eighths = (int)lroundf(frac * (float)maxw * 8);
    int full = eighths / 8, rest = eighths % 8;
    for (int i = 0; i < full; i++) canvas_put_text(c, x + i, y, 1, c->ascii ? "#" : "\u2588", s);
    if (rest && full < maxw) {
        if (c->ascii) {
            if (rest >= 4) canvas_put_text(c, x + full, y, 1, "#", s);
        } else {
            canvas_put_text(c, x + full, y, 1, EIGHTHS[rest], s);
        }
    }
}

int screen_hit(const UiState *ui, int x, int y) {
    if (!ui->hit || x < 0 || y < 0 || x >= ui->hit_w || y >= ui->hit_h) return -1;
    return ui->hit[(size_t)y * ui->hit_w + x];
}

void screen_set_hit(UiState *ui, int x, int y, int t) {
    if (!ui->hit || x < 0 || y < 0 || x >= ui->hit_w || y >= ui->hit_h) return;
    ui->hit[(size_t)y * ui->hit_w + x] = t;
}

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
        canvas_put_text(c, 0, y, c->w,
                        ui->lesson_keys ? " : command   n next step   p previous step   space step   ? help   q quit"
                                        : " : command   space step   backspace back   p pick   ? help   q quit",
                        ui_style(ui, COLOR_IDX(244), 0, ATTR_DIM));
    }
}

static void draw_help(Canvas *c, UiState *ui) {
    /* the lines of the overlay, from the two tables */
    char lines[KA_COUNT + CMD_COUNT + 16][160];
    int n = 0;
    snprintf(lines[n++], 160, "KEYS");
    for (int i = 0; i < KA_COUNT; i++) {
        if (!KEY_BINDINGS[i].label[0]) continue;
        int lw = text_width(KEY_BINDINGS[i].label, (int)strlen(KEY_BINDINGS[i].label));
        const char *help = KEY_BINDINGS[i].help;
        if (ui->lesson_keys && i == KA_PICK) help = "in a lesson: the previous step (type :pick to pick a token)";
        snprintf(lines[n++], 160, "  %s%*s %s", KEY_BINDINGS[i].label, lw < 12 ? 12 - lw : 0, "", help);
    }
    snprintf(lines[n++], 160, " ");
    snprintf(lines[n++], 160, "COMMANDS (after : or /; tab completes)");
    for (int i = 0; i < CMD_COUNT; i++)
        snprintf(lines[n++], 160, "  %-17s %s", commands_usage(i), commands_help(i));
    snprintf(lines[n++], 160, " ");
    snprintf(lines[n++], 160, "LESSONS (a pane beside the views; glassbox --lesson N)");
    snprintf(lines[n++], 160, "  %-17s %s", "lessons", "the course menu");
    snprintf(lines[n++], 160, "  %-17s %s", "next, prev", "the next / previous step (keys n and p in a lesson)");
    snprintf(lines[n++], 160, "  %-17s %s", "answer TEXT", "answer the step's question (a letter, a number, a text)");
    snprintf(lines[n++], 160, "  %-17s %s", "hint, reveal", "a hint / show the answer (it then no longer scores)");
    snprintf(lines[n++], 160, "  %-17s %s", "reset", "start the lesson again, forgetting its answers");
    snprintf(lines[n++], 160, " ");
    snprintf(lines[n++], 160, "TOKENIZER LAB (compare, names, merges: a panel; esc closes it)");
    snprintf(lines[n++], 160, "  %-17s %s", "\u2192 \u2190 home end", "merges: next / previous merge, first / last");
    snprintf(lines[n++], 160, "  %-17s %s", "t", "names, merges: show another tokenizer");
    int h = c->h - 6, rows = h - 2;
    /* A wide screen puts the commands beside the keys, so the whole help shows without scrolling. */
    int split = n;
    if (c->w >= 164 && n > rows)
        for (int i = 1; i < n; i++)
            if (strncmp(lines[i], "COMMANDS", 8) == 0) {
                split = i;
                break;
            }
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
}

int screen_chooser_size(const Canvas *c) { return c->h - 8 < 20 ? c->h - 8 : 20; }

static void draw_chooser(Canvas *c, Session *s, UiState *ui) {
    int32_t ids[64];
    int max_rows = screen_chooser_size(c);
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
    Style base = ui_style(ui, 0, 0, 0);
    canvas_clear(c, base);
    if (ui->hit_w != c->w || ui->hit_h != c->h) {
        free(ui->hit);
        ui->hit = gb_malloc(sizeof(int) * ((size_t)c->w * c->h + 1));
        ui->hit_w = c->w;
        ui->hit_h = c->h;
    }
    for (int i = 0; i < c->w * c->h; i++) ui->hit[i] = -1;
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
        static const int order[4] = {VIEW_TOKENS, VIEW_ATTENTION, VIEW_NEIGHBOURS, VIEW_PROBS};
        for (int i = 0; i < 4; i++) draw_boxed_view(c, q[i], s, ui, order[i], order[i] == ui->view);
    } else {
        draw_boxed_view(c, body, s, ui, ui->view, 1);
    }
    draw_status(c, s, ui);
    draw_command_line(c, ui);
    if (ui->chooser) draw_chooser(c, s, ui);
    if (ui->help) draw_help(c, ui);
}
