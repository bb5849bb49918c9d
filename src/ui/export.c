/* See export.h. */
#include "export.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "explain.h"
#include "util.h"
#include "view_attention.h"
#include "view_lens.h"
#include "view_neighbours.h"
#include "view_probs.h"
#include "view_tokens.h"

#define EXPORT_NEIGHBOURS 40 /* as many as the neighbours view can list */
#define EXPORT_PROB_ROWS 200 /* the probs CSV: the likeliest tokens (a 200k vocabulary would be 10 MB) */

/* SVG cell geometry: a 15 px monospace font is about 9 px wide; 18 px lines leave room for descenders. */
#define SVG_CELL_W 9
#define SVG_CELL_H 18
#define SVG_FONT 15
#define SVG_BG "#14141c"
#define SVG_FG "#d8d8d8"

static const char *const FORMAT_NAMES[EXPORT_FORMATS] = {"txt", "ansi", "csv", "svg"};

int export_view_lookup(const char *name) {
    size_t n = strlen(name);
    if (n == 0) return -1;
    if (strncmp("text", name, n) == 0 && n >= 2) return EXPORT_VIEW_TEXT; /* "te": text, not tokens */
    int v = view_lookup(name, n);
    return v >= 0 ? v : -1;
}

const char *export_view_name(int view) { return view == EXPORT_VIEW_TEXT ? "text" : view_name(view); }

int export_format_lookup(const char *name) {
    if (strcmp(name, "text") == 0) return EXPORT_TXT;
    for (int i = 0; i < EXPORT_FORMATS; i++)
        if (strcmp(name, FORMAT_NAMES[i]) == 0) return i;
    return -1;
}

int export_format_from_path(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash)) return -1;
    for (int i = 0; i < EXPORT_FORMATS; i++)
        if (strcasecmp(dot + 1, FORMAT_NAMES[i]) == 0) return i;
    return -1;
}

const char *export_format_name(int fmt) { return fmt >= 0 && fmt < EXPORT_FORMATS ? FORMAT_NAMES[fmt] : "?"; }

/* ---- the buffer ---- */

static void buf_reserve(ExportBuf *b, size_t more) {
    if (b->len + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) cap *= 2;
    b->data = gb_realloc(b->data, cap);
    b->cap = cap;
}

static void buf_put(ExportBuf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void export_buf_printf(ExportBuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void export_buf_free(ExportBuf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- canvas serialisations ---- */

void export_canvas_txt(ExportBuf *b, const Canvas *c) {
    for (int y = 0; y < c->h; y++) {
        char *row = canvas_row_text(c, y);
        export_buf_printf(b, "%s\n", row);
        free(row);
    }
}

/* The SGR parameters of a colour: foreground base 38, background 48. */
static void sgr_colour(ExportBuf *b, uint32_t col, int base) {
    if (COLOR_IS_IDX(col)) export_buf_printf(b, ";%d;5;%u", base, col & 0xff);
    else if (COLOR_IS_RGB(col)) export_buf_printf(b, ";%d;2;%u;%u;%u", base, (col >> 16) & 0xff, (col >> 8) & 0xff, col & 0xff);
}

static int style_eq(Style a, Style b) { return a.fg == b.fg && a.bg == b.bg && a.attr == b.attr; }

void export_canvas_ansi(ExportBuf *b, const Canvas *c) {
    Style plain = {0, 0, 0};
    for (int y = 0; y < c->h; y++) {
        /* the last cell worth writing: trailing blanks in the default style are dropped */
        int last = c->w - 1;
        while (last >= 0) {
            const Cell *cell = &c->cells[(size_t)y * c->w + last];
            if (!style_eq(cell->style, plain) || (cell->text[0] && strcmp(cell->text, " ") != 0)) break;
            last--;
        }
        Style cur = plain;
        for (int x = 0; x <= last; x++) {
            const Cell *cell = &c->cells[(size_t)y * c->w + x];
            if (cell->width == 0) continue;
            if (!style_eq(cell->style, cur)) {
                Style s = cell->style;
                export_buf_printf(b, "\033[0");
                if (s.attr & ATTR_BOLD) export_buf_printf(b, ";1");
                if (s.attr & ATTR_DIM) export_buf_printf(b, ";2");
                if (s.attr & ATTR_UNDERLINE) export_buf_printf(b, ";4");
                if (s.attr & ATTR_REVERSE) export_buf_printf(b, ";7");
                sgr_colour(b, s.fg, 38);
                sgr_colour(b, s.bg, 48);
                export_buf_printf(b, "m");
                cur = s;
            }
            buf_put(b, cell->text[0] ? cell->text : " ", cell->text[0] ? strlen(cell->text) : 1);
        }
        if (!style_eq(cur, plain)) export_buf_printf(b, "\033[0m");
        export_buf_printf(b, "\n");
    }
}

static void colour_rgb(uint32_t col, int *r, int *g, int *bl) {
    if (COLOR_IS_RGB(col)) *r = (int)((col >> 16) & 0xff), *g = (int)((col >> 8) & 0xff), *bl = (int)(col & 0xff);
    else xterm256_to_rgb((int)(col & 0xff), r, g, bl);
}

/* "#rrggbb" of a colour, or def for the terminal's default. */
static const char *svg_colour(uint32_t col, const char *def, char *out) {
    if (!COLOR_IS_IDX(col) && !COLOR_IS_RGB(col)) return def;
    int r, g, bl;
    colour_rgb(col, &r, &g, &bl);
    snprintf(out, 8, "#%02x%02x%02x", r & 0xff, g & 0xff, bl & 0xff);
    return out;
}

/* The colours a cell shows, with reverse video applied. */
static void cell_colours(Style s, const char **fg, const char **bg, char *fgbuf, char *bgbuf) {
    *fg = svg_colour(s.fg, SVG_FG, fgbuf);
    *bg = svg_colour(s.bg, NULL, bgbuf);
    if (s.attr & ATTR_REVERSE) {
        const char *t = *fg;
        *fg = *bg ? *bg : SVG_BG;
        *bg = t;
    }
}

static void xml_escape(ExportBuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': export_buf_printf(b, "&amp;"); break;
        case '<': export_buf_printf(b, "&lt;"); break;
        case '>': export_buf_printf(b, "&gt;"); break;
        case '"': export_buf_printf(b, "&quot;"); break;
        case '\'': export_buf_printf(b, "&apos;"); break;
        default: buf_put(b, s, 1);
        }
    }
}

void export_canvas_svg(ExportBuf *b, const Canvas *c) {
    int W = c->w * SVG_CELL_W, H = c->h * SVG_CELL_H;
    export_buf_printf(b,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                      "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"%d\">\n"
                      "<rect width=\"%d\" height=\"%d\" fill=\"" SVG_BG "\"/>\n",
                      W, H, W, H, SVG_FONT, W, H);
    char fgbuf[8], bgbuf[8];
    /* backgrounds: one rectangle per run of cells with the same fill */
    for (int y = 0; y < c->h; y++) {
        int x = 0;
        while (x < c->w) {
            const char *fg, *bg;
            cell_colours(c->cells[(size_t)y * c->w + x].style, &fg, &bg, fgbuf, bgbuf);
            char fill[8];
            if (!bg) {
                x++;
                continue;
            }
            snprintf(fill, sizeof fill, "%s", bg);
            int x1 = x + 1;
            while (x1 < c->w) {
                const char *f2, *b2;
                char fb[8], bb[8];
                cell_colours(c->cells[(size_t)y * c->w + x1].style, &f2, &b2, fb, bb);
                if (!b2 || strcmp(b2, fill) != 0) break;
                x1++;
            }
            export_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", x * SVG_CELL_W,
                              y * SVG_CELL_H, (x1 - x) * SVG_CELL_W, SVG_CELL_H, fill);
            x = x1;
        }
    }
    /* text: one element per run of cells in the same style, stretched to exactly its cells so the
     * columns line up whatever the font's advance */
    for (int y = 0; y < c->h; y++) {
        int x = 0;
        while (x < c->w) {
            const Cell *first = &c->cells[(size_t)y * c->w + x];
            int x1 = x + 1;
            while (x1 < c->w && style_eq(c->cells[(size_t)y * c->w + x1].style, first->style)) x1++;
            int blank = 1;
            for (int i = x; i < x1 && blank; i++) {
                const char *t = c->cells[(size_t)y * c->w + i].text;
                if (t[0] && strcmp(t, " ") != 0) blank = 0;
            }
            if (!blank) {
                const char *fg, *bg;
                cell_colours(first->style, &fg, &bg, fgbuf, bgbuf);
                export_buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"%s\" textLength=\"%d\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\"",
                                  x * SVG_CELL_W, y * SVG_CELL_H + SVG_CELL_H - 5, fg, (x1 - x) * SVG_CELL_W);
                if (first->style.attr & ATTR_BOLD) export_buf_printf(b, " font-weight=\"bold\"");
                if (first->style.attr & ATTR_DIM) export_buf_printf(b, " fill-opacity=\"0.65\"");
                if (first->style.attr & ATTR_UNDERLINE) export_buf_printf(b, " text-decoration=\"underline\"");
                export_buf_printf(b, ">");
                for (int i = x; i < x1; i++) {
                    const Cell *cell = &c->cells[(size_t)y * c->w + i];
                    if (cell->width == 0) continue;
                    xml_escape(b, cell->text[0] ? cell->text : " ");
                }
                export_buf_printf(b, "</text>\n");
            }
            x = x1;
        }
    }
    export_buf_printf(b, "</svg>\n");
}

/* ---- CSV of the numbers under a view ---- */

/* A CSV field: quoted when it holds a comma, quote or line break (quotes doubled). */
static void csv_field(ExportBuf *b, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        export_buf_printf(b, "%s", s);
        return;
    }
    buf_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') buf_put(b, "\"", 1);
        buf_put(b, s, 1);
    }
    buf_put(b, "\"", 1);
}

static void csv_token(ExportBuf *b, const Session *s, int32_t id) {
    char label[128];
    session_token_label(s, id, label, sizeof label);
    csv_field(b, label);
}

static void csv_tokens(ExportBuf *b, const Session *s) {
    export_buf_printf(b, "index,id,start,end,generated,picked,token,prob,prob_t1,bits_t1\n");
    for (int t = 0; t < s->n_tokens; t++) {
        const SessionToken *k = &s->tokens[t];
        export_buf_printf(b, "%d,%d,%u,%u,%d,%d,", t, (int)k->id, k->start, k->end, k->generated, k->picked);
        csv_token(b, s, k->id);
        if (k->generated) export_buf_printf(b, ",%.9g,%.9g,%.9g\n", k->prob, k->prob_t1, -log2((double)k->prob_t1));
        else export_buf_printf(b, ",,,\n");
    }
}

static void csv_attention(ExportBuf *b, const Session *s) {
    export_buf_printf(b, "layer %d head %d: query \\ key", s->layer, s->head);
    for (int k = 0; k < s->n_tokens; k++) {
        char label[160], tl[128];
        session_token_label(s, s->tokens[k].id, tl, sizeof tl);
        snprintf(label, sizeof label, "%d:%s", k, tl);
        buf_put(b, ",", 1);
        csv_field(b, label);
    }
    buf_put(b, "\n", 1);
    for (int q = 0; q < s->n_tokens; q++) {
        char label[160], tl[128];
        session_token_label(s, s->tokens[q].id, tl, sizeof tl);
        snprintf(label, sizeof label, "%d:%s", q, tl);
        csv_field(b, label);
        const float *row = session_attention_row(s, s->layer, s->head, q);
        for (int k = 0; k < s->n_tokens; k++) export_buf_printf(b, ",%.9g", row && k <= q ? row[k] : 0.0);
        buf_put(b, "\n", 1);
    }
}

static void csv_neighbours(ExportBuf *b, Session *s) {
    int sel = session_selected(s);
    int32_t focus = s->neigh_token >= 0 ? s->neigh_token : sel >= 0 ? s->tokens[sel].id : -1;
    export_buf_printf(b, "rank,id,token,similarity\n");
    if (focus < 0) return;
    int32_t ids[EXPORT_NEIGHBOURS];
    float sims[EXPORT_NEIGHBOURS];
    int n = session_neighbours(s, focus, EXPORT_NEIGHBOURS, ids, sims);
    export_buf_printf(b, "0,%d,", (int)focus);
    csv_token(b, s, focus);
    export_buf_printf(b, ",1\n");
    for (int i = 0; i < n; i++) {
        export_buf_printf(b, "%d,%d,", i + 1, (int)ids[i]);
        csv_token(b, s, ids[i]);
        export_buf_printf(b, ",%.9g\n", sims[i]);
    }
}

/* The chain table in long form: for the model's distribution (stage 0) and after each stage, its
 * counts and the probability and rank of each row's token (the drawn token's row last). */
static void csv_chain(ExportBuf *b, const Session *s, const Distribution *d) {
    export_buf_printf(b, "stage,name,active,in,kept,removed,temperature,row,id,token,prob,rank\n");
    for (int i = -1; i < d->n_stages; i++) {
        const ChainStage *st = i >= 0 ? &d->stages[i] : NULL;
        for (int row = 0; row <= CHAIN_ROWS; row++) {
            if (row >= d->n_chain && row < CHAIN_ROWS) continue;
            if (row == CHAIN_ROWS && d->drawn < 0) continue;
            int32_t id = d->chain_ids[row];
            export_buf_printf(b, "%d,%s,%d,%d,%d,%.9g,%g,%s,%d,", i + 1, st ? sampler_stage_name(st->kind) : "model",
                              st ? st->active : 1, st ? st->n_in : d->vocab, st ? st->n_kept : d->vocab,
                              st ? st->removed : 0.0, st ? (double)st->temperature : 1.0,
                              row == CHAIN_ROWS ? "drawn" : "top", (int)id);
            csv_token(b, s, id);
            int rank = st ? st->rank[row] : row == CHAIN_ROWS ? distribution_stage_rank(d, -1, id) : row + 1;
            export_buf_printf(b, ",%.9g,%d\n", st ? st->prob[row] : d->chain_prob_in[row], rank);
        }
    }
}

/* The distribution the probs view shows; when a step is frozen (explain), its arithmetic at the
 * sampler's current settings, as the view shows it; with the chain table on (o), the chain. */
static void csv_probs(ExportBuf *b, const Session *s, const UiState *ui) {
    int32_t sampled;
    int picked;
    const Distribution *d = ViewProbs_distribution(s, &sampled, &picked);
    if (!d) {
        export_buf_printf(b, "rank,id,token,logit,prob,prob_t1,kept\n");
        return;
    }
    if (ui->chain && !ui->explain) {
        csv_chain(b, s, d);
        return;
    }
    int rows = d->vocab < EXPORT_PROB_ROWS ? d->vocab : EXPORT_PROB_ROWS;
    if (ui->explain) {
        Distribution scratch;
        distribution_init(&scratch, d->vocab);
        Explanation e;
        explain_logits(&e, &scratch, d->logits, &s->sampler, rows);
        export_buf_printf(b, "rank,id,token,logit,logit_over_t,weight,prob_no_cut,kept,prob,sum,kept_sum,temperature\n");
        for (int r = 0; r < e.n_rows; r++) {
            const ExplainRow *row = &e.rows[r];
            export_buf_printf(b, "%d,%d,", r + 1, (int)row->id);
            csv_token(b, s, row->id);
            export_buf_printf(b, ",%.9g,%.9g,%.9g,%.9g,%d,%.9g,%.9g,%.9g,%g\n", row->logit, row->scaled, row->weight,
                              row->prob, row->kept, row->kept_prob, e.sum, e.kept_sum, e.temperature);
        }
        explanation_free(&e);
        distribution_free(&scratch);
        return;
    }
    export_buf_printf(b, "rank,id,token,logit,prob,prob_t1,kept\n");
    for (int r = 0; r < rows; r++) {
        int32_t id = d->order[r];
        export_buf_printf(b, "%d,%d,", r + 1, (int)id);
        csv_token(b, s, id);
        export_buf_printf(b, ",%.9g,%.9g,%.9g,%d\n", d->logits[id], d->probs[id], d->probs_t1[id], r < d->n_kept);
    }
}

/* The lens in long form: for every layer its top tokens ("top", rank within the layer), the followed
 * token ("chosen", its rank at that layer), then that token at every position ("heat"). */
static void csv_lens(ExportBuf *b, Session *s) {
    export_buf_printf(b, "kind,layer,position,rank,id,token,prob\n");
    const LensColumn *col = session_lens(s, LENS_VIEW_TOP);
    if (!col) return;
    for (int l = 0; l < col->n_layers; l++) {
        for (int i = 0; i < col->k; i++) {
            const LensEntry *e = &col->top[(size_t)l * col->k + i];
            if (e->id < 0) break;
            export_buf_printf(b, "top,%d,%d,%d,%d,", l, col->pos, i + 1, (int)e->id);
            csv_token(b, s, e->id);
            export_buf_printf(b, ",%.9g\n", e->prob);
        }
        export_buf_printf(b, "chosen,%d,%d,%d,%d,", l, col->pos, col->chosen_rank[l], (int)col->chosen);
        csv_token(b, s, col->chosen);
        export_buf_printf(b, ",%.9g\n", col->chosen_prob[l]);
    }
    int32_t chosen = col->chosen; /* session_lens_heat may not move the column, but read it first */
    const float *heat = session_lens_heat(s, chosen);
    for (int p = 0; heat && p < s->n_tokens; p++)
        for (int l = 0; l < col->n_layers; l++) {
            export_buf_printf(b, "heat,%d,%d,,%d,", l, p, (int)chosen);
            csv_token(b, s, chosen);
            export_buf_printf(b, ",%.9g\n", heat[(size_t)p * col->n_layers + l]);
        }
}

/* ---- rendering ---- */

int export_render(ExportBuf *b, Session *s, const UiState *ui, int view, ExportFormat fmt, int w, int h, char *err) {
    if (view < 0 || view >= EXPORT_VIEWS) {
        gb_seterr(err, "export: unknown view (tokens, attention, neighbours, probs, text, lens)");
        return -1;
    }
    if (fmt == EXPORT_CSV) {
        switch (view) {
        case VIEW_TOKENS:
        case EXPORT_VIEW_TEXT: csv_tokens(b, s); break;
        case VIEW_ATTENTION: csv_attention(b, s); break;
        case VIEW_NEIGHBOURS: csv_neighbours(b, s); break;
        case VIEW_PROBS: csv_probs(b, s, ui); break;
        case VIEW_LENS: csv_lens(b, s); break;
        }
        return 0;
    }
    if (w < 20 || h < 4 || w > 1000 || h > 1000) {
        gb_seterr(err, "export: a canvas of %d x %d cells is out of range (20..1000 x 4..1000)", w, h);
        return -1;
    }
    /* A private copy of the UI state: its own hit map (none), so drawing here leaves the screen's
     * alone (the attention summary is the session's, prepared once for both); overlays and the command
     * line are not part of a view. */
    UiState u = *ui;
    u.hit = NULL;
    u.hit_w = u.hit_h = 0;
    u.help = u.chooser = u.cmd_active = 0;
    if (fmt == EXPORT_TXT) u.colours = COLOURS_NONE; /* plain text: shades and marks instead of colour */
    else if (fmt == EXPORT_SVG) u.colours = COLOURS_RGB;
    else if (u.colours == COLOURS_NONE) u.colours = COLOURS_256;
    Canvas c;
    canvas_init(&c, w, h);
    canvas_clear(&c, (Style){0, 0, 0});
    char title[256];
    const char *vt = view == EXPORT_VIEW_TEXT ? "Text" : view_title(view);
    snprintf(title, sizeof title, "glassbox \u00b7 %s \u00b7 %s \u00b7 T %.2f", vt, s->model.name, s->sampler.temperature);
    canvas_put_text(&c, 0, 0, w, title, ui_style(&u, COLOR_IDX(75), 0, ATTR_BOLD));
    Rect r = {0, 1, w, h - 1};
    switch (view) {
    case VIEW_TOKENS: ViewTokens_draw(&c, r, s, &u); break;
    case VIEW_ATTENTION: ViewAttention_draw(&c, r, s, &u); break;
    case VIEW_NEIGHBOURS: ViewNeighbours_draw(&c, r, s, &u); break;
    case VIEW_PROBS: ViewProbs_draw(&c, r, s, &u); break;
    case EXPORT_VIEW_TEXT: ViewTokens_draw_text(&c, r, s, &u, NULL, 0); break;
    case VIEW_LENS: ViewLens_draw(&c, r, s, &u); break;
    }
    if (fmt == EXPORT_TXT) export_canvas_txt(b, &c);
    else if (fmt == EXPORT_ANSI) export_canvas_ansi(b, &c);
    else export_canvas_svg(b, &c);
    canvas_free(&c);
    return 0;
}

int export_write(const char *path, Session *s, const UiState *ui, int view, ExportFormat fmt, int w, int h,
                 char *err) {
    ExportBuf b = {0};
    int rc = export_render(&b, s, ui, view, fmt, w, h, err);
    if (rc == 0) rc = gb_write_file_atomic(path, b.data ? b.data : "", b.len, err);
    export_buf_free(&b);
    return rc;
}

/* Splits the next blank-separated word (or "quoted" path) off *p into out. */
static int next_word(const char **p, char *out, size_t outsz) {
    const char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return 0;
    size_t n = 0;
    if (*s == '"') {
        s++;
        while (*s && *s != '"' && n + 1 < outsz) out[n++] = *s++;
        if (*s == '"') s++;
    } else {
        while (*s && *s != ' ' && *s != '\t' && n + 1 < outsz) out[n++] = *s++;
    }
    out[n] = 0;
    *p = s;
    return 1;
}

int export_command(const char *arg, Session *s, const UiState *ui, int current_view, int w, int h, char *msg,
                   size_t msgsz, char *err) {
    char words[3][1024];
    int n = 0;
    const char *p = arg;
    while (n < 3 && next_word(&p, words[n], sizeof words[n])) n++;
    while (*p == ' ' || *p == '\t') p++;
    if (n == 0 || *p) {
        gb_seterr(err, "export: usage: export [VIEW] FILE [txt|ansi|csv|svg]");
        return -1;
    }
    int view = current_view, first = 0;
    if (n >= 2 && export_view_lookup(words[0]) >= 0) view = export_view_lookup(words[0]), first = 1;
    if (n - first > 2 || n - first < 1) {
        gb_seterr(err, "export: usage: export [VIEW] FILE [txt|ansi|csv|svg]");
        return -1;
    }
    const char *path = words[first];
    int fmt = n - first == 2 ? export_format_lookup(words[first + 1]) : export_format_from_path(path);
    if (fmt < 0) {
        if (n - first == 2) gb_seterr(err, "export: unknown format '%s' (txt, ansi, csv or svg)", words[first + 1]);
        else gb_seterr(err, "export: %s: name the format by extension (.txt .ansi .csv .svg) or after the file", path);
        return -1;
    }
    if (export_write(path, s, ui, view, (ExportFormat)fmt, w, h, err) != 0) return -1;
    snprintf(msg, msgsz, "exported the %s view as %s to %s", export_view_name(view), export_format_name(fmt), path);
    return 0;
}
