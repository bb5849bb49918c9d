/* The tokenizer lab's panel (see view_lab.h). */
#include "view_lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "util.h"

static const char *const ROW_LABELS[LAB_PANEL_ROWS] = {"model", "GPT-2 (r50k)", "GPT-4 (cl100k)", "GPT-4o (o200k)"};

const char *lab_ui_label(int i) { return i >= 0 && i < LAB_PANEL_ROWS ? ROW_LABELS[i] : "?"; }

void lab_ui_init(LabUi *lu) { memset(lu, 0, sizeof *lu); }

static void drop_replay(LabUi *lu) {
    if (lu->has_replay) lab_replay_free(&lu->replay);
    lu->has_replay = 0;
    lu->step = 0;
}

void lab_ui_close(LabUi *lu) {
    drop_replay(lu);
    free(lu->text);
    lu->text = NULL;
    lu->len = 0;
    lu->kind = LAB_PANEL_NONE;
}

void lab_ui_free(LabUi *lu) {
    lab_ui_close(lu);
    lab_vocabs_free(&lu->vocabs);
}

const Tokenizer *lab_ui_tokenizer(LabUi *lu, Session *s, int i) {
    if (i == 0) {
        if (!s->tok) snprintf(lu->err, sizeof lu->err, "no model loaded");
        return s->tok;
    }
    char err[GB_ERRLEN];
    const Tokenizer *t = lab_vocab(&lu->vocabs, i - 1, err);
    if (!t) snprintf(lu->err, sizeof lu->err, "%s", err);
    return t;
}

/* (Re)computes the replay of the text under row lu->which. */
static int make_replay(LabUi *lu, Session *s, char *err) {
    drop_replay(lu);
    const Tokenizer *t = lab_ui_tokenizer(lu, s, lu->which);
    if (!t) {
        gb_seterr(err, "%s", lu->err);
        return -1;
    }
    if (lab_replay(t, lu->text, lu->len, &lu->replay, err) != 0) return -1;
    lu->has_replay = 1;
    return 0;
}

int lab_ui_open(LabUi *lu, int kind, const char *text, size_t len, Session *s, char *err) {
    char *copy = gb_malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = 0;
    lab_ui_close(lu);
    lu->text = copy;
    lu->len = len;
    lu->err[0] = 0;
    lu->which = 0;
    if (kind == LAB_PANEL_EXPLAIN) {
        if (make_replay(lu, s, err) != 0) {
            lab_ui_close(lu);
            return -1;
        }
    } else {
        for (int i = 0; i < LAB_PANEL_ROWS; i++) /* all four now: the first use reads the rank files */
            if (!lab_ui_tokenizer(lu, s, i)) {
                gb_seterr(err, "%s", lu->err);
                lab_ui_close(lu);
                return -1;
            }
    }
    lu->kind = kind;
    return 0;
}

void lab_ui_next_tokenizer(LabUi *lu, Session *s, UiState *ui) {
    if (lu->kind == LAB_PANEL_NONE || lu->kind == LAB_PANEL_COMPARE) return; /* compare shows them all */
    lu->which = (lu->which + 1) % LAB_PANEL_ROWS;
    if (lu->kind != LAB_PANEL_EXPLAIN) return;
    char err[GB_ERRLEN];
    if (make_replay(lu, s, err) != 0) {
        ui_message(ui, 1, "explain: %s", err);
        lab_ui_close(lu);
    }
}

int lab_ui_stepping(const LabUi *lu) { return lu->kind == LAB_PANEL_EXPLAIN && lu->has_replay; }

void lab_ui_merge_by(LabUi *lu, int delta) {
    if (!lab_ui_stepping(lu)) return;
    long step = (long)lu->step + delta, total = lu->replay.total_merges;
    lu->step = (int)(step < 0 ? 0 : step > total ? total : step);
}

void lab_ui_merge_to(LabUi *lu, int last) {
    if (lab_ui_stepping(lu)) lu->step = last ? lu->replay.total_merges : 0;
}

/* ---- drawing ---- */

typedef struct {
    const char *bytes;
    size_t len;
} Piece;

/* Draws pieces (tokens) side by side on alternating backgrounds, whitespace made visible, wrapping
 * within columns [x0, x1) for at most max_lines lines from y. Returns the lines used. */
static int draw_pieces(Canvas *c, int x0, int x1, int y, int max_lines, const Piece *p, int n, int gap, UiState *ui,
                       Style base) {
    int x = x0, line = 0;
    char shown[512];
    for (int i = 0; i < n; i++) {
        token_display(p[i].bytes, p[i].len, shown, sizeof shown);
        int w = text_width(shown, (int)strlen(shown)) + gap;
        if (x + w > x1 && x > x0) {
            if (line + 1 >= max_lines) { /* out of room: mark the cut */
                canvas_put_text(c, x1 - 1 > x0 ? x1 - 1 : x0, y + line, 1, c->ascii ? ">" : "\u2026", base);
                return line + 1;
            }
            line++;
            x = x0;
        }
        Style st = ui_style(ui, COLOR_IDX(252), (i & 1) ? COLOR_IDX(60) : COLOR_IDX(238), 0);
        if (ui->colours == COLOURS_NONE && (i & 1)) st.attr |= ATTR_UNDERLINE;
        x += canvas_put_text(c, x, y + line, x1 - x, shown, st) + gap;
    }
    return n ? line + 1 : 1;
}

/* The tokens of text under t as pieces (malloc'ed); returns the count, or -1. */
static int encode_pieces(const Tokenizer *t, const char *text, size_t len, Piece **out) {
    char err[GB_ERRLEN];
    TokenSpan *spans = NULL;
    int n = tokenizer_encode(t, text, len, &spans, err);
    *out = NULL;
    if (n < 0) return -1;
    *out = gb_malloc((size_t)(n ? n : 1) * sizeof(Piece));
    for (int i = 0; i < n; i++) (*out)[i] = (Piece){text + spans[i].start, spans[i].end - spans[i].start};
    free(spans);
    return n;
}

static void draw_compare(LabUi *lu, Canvas *c, Rect r, Session *s, UiState *ui, Style bg) {
    char line[512], shown[256];
    token_display(lu->text, lu->len > 120 ? 120 : lu->len, shown, sizeof shown);
    snprintf(line, sizeof line, "%zu bytes: %s", lu->len, shown);
    canvas_put_text(c, r.x, r.y, r.w, line, bg);
    int per = (r.h - 2) / LAB_PANEL_ROWS; /* lines per tokenizer: its split wraps within them */
    if (per > 3) per = 3;
    if (per < 1) per = 1;
    int label_w = 16, split_x = r.x + label_w + 14;
    for (int k = 0; k < LAB_PANEL_ROWS; k++) {
        int y = r.y + 2 + k * per;
        if (y >= r.y + r.h) break;
        const Tokenizer *t = lab_ui_tokenizer(lu, s, k);
        Piece *p = NULL;
        int n = t ? encode_pieces(t, lu->text, lu->len, &p) : -1;
        canvas_put_text(c, r.x, y, label_w, lab_ui_label(k), ui_style(ui, COLOR_IDX(222), COLOR_IDX(235), ATTR_BOLD));
        if (n < 0) {
            canvas_put_text(c, r.x + label_w, y, r.w - label_w, t ? "cannot encode" : lu->err, bg);
        } else {
            snprintf(line, sizeof line, "%5d tokens", n);
            canvas_put_text(c, r.x + label_w, y, 12, line, ui_style(ui, COLOR_IDX(231), COLOR_IDX(235), ATTR_BOLD));
            int room = r.y + r.h - y;
            draw_pieces(c, split_x, r.x + r.w, y, per < room ? per : room, p, n, 0, ui, bg);
        }
        free(p);
    }
}

typedef struct {
    int style;
    char *text;
    size_t len;
    int count[LAB_PANEL_ROWS];
    int total;
} NameRow;

static int cmp_name_row(const void *a, const void *b) {
    const NameRow *x = a, *y = b;
    if (x->total != y->total) return x->total < y->total ? -1 : 1;
    return (x->style > y->style) - (x->style < y->style);
}

static void draw_names(LabUi *lu, Canvas *c, Rect r, Session *s, UiState *ui, Style bg) {
    char line[512];
    LabSpan words[16];
    int nw = lab_split_words(lu->text, lu->len, words, 16);
    int o = snprintf(line, sizeof line, "words:");
    for (int i = 0; i < nw && i < 16 && o < (int)sizeof line - 64; i++)
        o += snprintf(line + o, sizeof line - (size_t)o, " %.*s", (int)(words[i].end - words[i].start), lu->text + words[i].start);
    canvas_put_text(c, r.x, r.y, r.w, line, bg);
    snprintf(line, sizeof line, "split under %s (t: another)", lab_ui_label(lu->which));
    canvas_put_text(c, r.x, r.y + 1, r.w, line, ui_style(ui, COLOR_IDX(244), COLOR_IDX(235), 0));
    NameRow rows[STYLE_COUNT];
    for (int st = 0; st < STYLE_COUNT; st++) {
        rows[st].style = st;
        rows[st].text = lab_restyle(lu->text, lu->len, st, &rows[st].len);
        rows[st].total = 0;
        for (int k = 0; k < LAB_PANEL_ROWS; k++) {
            const Tokenizer *t = lab_ui_tokenizer(lu, s, k);
            TokenSpan *spans = NULL;
            char err[GB_ERRLEN];
            rows[st].count[k] = t ? tokenizer_encode(t, rows[st].text, rows[st].len, &spans, err) : -1;
            free(spans);
            rows[st].total += rows[st].count[k];
        }
    }
    qsort(rows, STYLE_COUNT, sizeof rows[0], cmp_name_row); /* fewest tokens (all four added) first */
    int y = r.y + 3;
    Style head = ui_style(ui, COLOR_IDX(250), COLOR_IDX(235), ATTR_BOLD | ATTR_UNDERLINE);
    canvas_put_text(c, r.x, y++, r.w, "style                 model  r50k cl100k o200k total  split", head);
    const Tokenizer *shown_t = lab_ui_tokenizer(lu, s, lu->which);
    for (int i = 0; i < STYLE_COUNT && y < r.y + r.h; i++, y++) {
        char style[48];
        snprintf(style, sizeof style, "%s%s", lab_style_name(rows[i].style),
                 lab_style_valid_python(rows[i].style) ? "" : " !py");
        snprintf(line, sizeof line, "%-21s %5d %5d %6d %5d %5d", style, rows[i].count[0], rows[i].count[1],
                 rows[i].count[2], rows[i].count[3], rows[i].total);
        int x = canvas_put_text(c, r.x, y, r.w, line, i == 0 ? ui_style(ui, COLOR_IDX(114), COLOR_IDX(235), ATTR_BOLD) : bg);
        Piece *p = NULL;
        int n = shown_t ? encode_pieces(shown_t, rows[i].text, rows[i].len, &p) : -1;
        if (n >= 0) draw_pieces(c, r.x + x + 2, r.x + r.w, y, 1, p, n, 0, ui, bg);
        free(p);
    }
    if (y + 1 < r.y + r.h)
        canvas_put_text(c, r.x, y + 1, r.w, "!py: not a valid Python name (kebab-case reads as a subtraction)",
                        ui_style(ui, COLOR_IDX(244), COLOR_IDX(235), 0));
    for (int i = 0; i < STYLE_COUNT; i++) free(rows[i].text);
}

/* Chunk c's merges applied at global step `step` (chunks merge one after another). */
static int applied_in_chunk(const LabReplay *rp, int c, int step) {
    int before = 0;
    for (int i = 0; i < c; i++) before += rp->chunks[i].n_merges;
    int k = step - before;
    if (k < 0) k = 0;
    if (k > rp->chunks[c].n_merges) k = rp->chunks[c].n_merges;
    return k;
}

/* Describes merge m of a chunk: "rank R: a + b → ab". */
static void describe_merge(const Tokenizer *t, const LabMerge *m, char *out, size_t outsz) {
    char a[96], b[96], ab[160];
    size_t n;
    const char *p;
    p = tokenizer_token_bytes(t, m->result, &n);
    token_display(p ? p : "", p ? n : 0, ab, sizeof ab);
    if (m->rank == LAB_WHOLE_CHUNK) {
        snprintf(out, outsz, "the whole chunk is token %d \"%.80s\": taken as it is", (int)m->result, ab);
        return;
    }
    p = tokenizer_token_bytes(t, m->left, &n);
    token_display(p ? p : "", p ? n : 0, a, sizeof a);
    p = tokenizer_token_bytes(t, m->right, &n);
    token_display(p ? p : "", p ? n : 0, b, sizeof b);
    snprintf(out, outsz, "rank %-7d %.60s + %.60s \u2192 %.80s", (int)m->rank, a, b, ab);
}

static void draw_explain(LabUi *lu, Canvas *c, Rect r, Session *s, UiState *ui, Style bg) {
    const Tokenizer *t = lab_ui_tokenizer(lu, s, lu->which);
    if (!t || !lu->has_replay) {
        canvas_put_text(c, r.x, r.y, r.w, lu->err[0] ? lu->err : "nothing to replay", bg);
        return;
    }
    const LabReplay *rp = &lu->replay;
    char line[600], shown[256];
    token_display(lu->text, lu->len > 80 ? 80 : lu->len, shown, sizeof shown);
    snprintf(line, sizeof line, "\"%s\" under %s: merge %d of %d", shown, lab_ui_label(lu->which), lu->step,
             rp->total_merges);
    canvas_put_text(c, r.x, r.y, r.w, line, ui_style(ui, COLOR_IDX(231), COLOR_IDX(235), ATTR_BOLD));
    canvas_put_text(c, r.x, r.y + 1, r.w, "\u2192/space next merge  \u2190/backspace back  home/end  t tokenizer  esc close",
                    ui_style(ui, COLOR_IDX(244), COLOR_IDX(235), 0));
    /* the parts now: every chunk's state at this step */
    Piece *p = gb_malloc((lu->len + 1) * sizeof(Piece));
    int32_t *ids = gb_malloc((lu->len + 1) * sizeof(int32_t));
    uint32_t *starts = gb_malloc((lu->len + 2) * sizeof(uint32_t));
    int np = 0;
    const LabMerge *last = NULL, *next = NULL;
    for (int ch = 0; ch < rp->n_chunks; ch++) {
        const LabChunk *chunk = &rp->chunks[ch];
        int k = applied_in_chunk(rp, ch, lu->step);
        int n = lab_replay_state(rp, ch, k, ids, starts);
        for (int i = 0; i < n; i++)
            p[np++] = (Piece){lu->text + chunk->start + starts[i], starts[i + 1] - starts[i]};
        if (!next && k < chunk->n_merges) next = &chunk->merges[k];
    }
    snprintf(line, sizeof line, "%d part%s:", np, np == 1 ? "" : "s");
    canvas_put_text(c, r.x, r.y + 3, r.w, line, bg);
    int used = draw_pieces(c, r.x + 12, r.x + r.w, r.y + 3, 4, p, np, 1, ui, bg); /* apart: a merge shows */
    int y = r.y + 4 + used;
    /* the merge just applied and the one to come */
    if (lu->step > 0) { /* merge number step, counted over the chunks in order */
        int step = lu->step, ch = 0;
        while (ch < rp->n_chunks && step > rp->chunks[ch].n_merges) step -= rp->chunks[ch++].n_merges;
        if (ch < rp->n_chunks && step > 0) last = &rp->chunks[ch].merges[step - 1];
    }
    if (last) {
        describe_merge(t, last, shown, sizeof shown);
        snprintf(line, sizeof line, "last merge: %s", shown);
        canvas_put_text(c, r.x, y, r.w, line, ui_style(ui, COLOR_IDX(114), COLOR_IDX(235), ATTR_BOLD));
    } else {
        canvas_put_text(c, r.x, y, r.w, "the bytes, before any merge", bg);
    }
    y++;
    if (next) {
        describe_merge(t, next, shown, sizeof shown);
        snprintf(line, sizeof line, "next merge: %s  (the lowest-ranked pair present)", shown);
    } else {
        snprintf(line, sizeof line, "done: %d tokens, what the encoder gives", np);
    }
    canvas_put_text(c, r.x, y, r.w, line, bg);
    y += 2;
    /* the merges so far, newest last, as many as fit */
    int rows = r.y + r.h - y;
    if (rows > 0 && lu->step > 0) {
        canvas_put_text(c, r.x, y++, r.w, "merges so far:", ui_style(ui, COLOR_IDX(250), COLOR_IDX(235), ATTR_UNDERLINE));
        rows--;
        int first = lu->step - rows > 0 ? lu->step - rows : 0;
        int g = 0;
        for (int ch = 0; ch < rp->n_chunks; ch++)
            for (int k = 0; k < rp->chunks[ch].n_merges; k++, g++) {
                if (g < first || g >= lu->step) continue;
                describe_merge(t, &rp->chunks[ch].merges[k], shown, sizeof shown);
                snprintf(line, sizeof line, "%4d  %s", g + 1, shown);
                canvas_put_text(c, r.x, y++, r.w, line, bg);
            }
    }
    free(p);
    free(ids);
    free(starts);
}

void lab_ui_draw(LabUi *lu, Canvas *c, Session *s, UiState *ui) {
    if (lu->kind == LAB_PANEL_NONE || c->w < 20 || c->h < 8) return;
    Rect r = {1, 2, c->w - 2, c->h - 5};
    Style bg = ui_style(ui, COLOR_IDX(252), COLOR_IDX(235), 0);
    canvas_fill(c, r, " ", bg);
    const char *title = lu->kind == LAB_PANEL_COMPARE ? "Tokenizer lab: compare (esc closes)"
                        : lu->kind == LAB_PANEL_NAMES ? "Tokenizer lab: naming variants, fewest tokens first (esc closes)"
                                                      : "Tokenizer lab: BPE merges, one at a time";
    canvas_box(c, r, title, ui_style(ui, COLOR_IDX(75), COLOR_IDX(235), ATTR_BOLD));
    Rect in = {r.x + 2, r.y + 1, r.w - 4, r.h - 2};
    if (in.w < 10 || in.h < 3) return;
    switch (lu->kind) {
    case LAB_PANEL_COMPARE: draw_compare(lu, c, in, s, ui, bg); break;
    case LAB_PANEL_NAMES: draw_names(lu, c, in, s, ui, bg); break;
    case LAB_PANEL_EXPLAIN: draw_explain(lu, c, in, s, ui, bg); break;
    }
}
