/* See apply.h. One case per request in apply(); each calls a small function named after it. Requests
 * that only keys make and that mean a typed command (`[` is "layer L-1", + is "temp T+0.1") build
 * that command and apply it, so a key and its command cannot differ and the recording writes the
 * command. */
#include "apply.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "keys.h"
#include "score.h"
#include "screen.h"
#include "util.h"

static unsigned failed(char *err, const char *fmt, const char *name) {
    gb_seterr(err, fmt, name);
    return RX_ERROR;
}

/* Applies the typed command a key means. */
static unsigned apply_as(App *a, CommandId id, long long arg, char *err) {
    Command c = command_make(id, arg);
    return apply(a, &c, err);
}

static int32_t resolve_token(Session *s, const Command *c, char *err) {
    return session_find_token(s, c->text ? c->text : "", c->text_len, c->token_id >= 0, c->token_id,
                              commands_name(c->id), err);
}

/* ---- the session's requests ---- */

static unsigned Step_apply(App *a, const Command *c, char *err) {
    Session *s = a->s;
    if (session_step(s, (int)c->inum, err) < c->inum) {
        a->ui->autoplay = 0; /* at the end of the context autoplay stops, however the step was asked */
        return RX_ERROR;
    }
    int32_t eos = tokenizer_eos(s->tok);
    if (eos < 0 || s->tokens[s->n_tokens - 1].id != eos) return RX_REDRAW | RX_DIST;
    char label[64];
    session_token_label(s, eos, label, sizeof label);
    ui_message(a->ui, 0, "the model ended the text (%s); space goes on anyway, backspace undoes it", label);
    a->ui->autoplay = 0;
    return RX_REDRAW | RX_DIST | RX_MESSAGE;
}

static unsigned Back_apply(App *a, const Command *c, char *err) {
    if (session_back(a->s, (int)c->inum) == 0)
        return failed(err, "%s: nothing to undo (only the prompt is left)", "back");
    return RX_REDRAW | RX_DIST;
}

static unsigned Pick_apply(App *a, const Command *c, char *err) {
    int32_t id = resolve_token(a->s, c, err);
    if (id < 0 || session_pick(a->s, id, err) != 0) return RX_ERROR;
    return RX_REDRAW | RX_DIST;
}

static unsigned Neighbours_apply(App *a, const Command *c, char *err) {
    int32_t id = resolve_token(a->s, c, err);
    if (id < 0) return RX_ERROR;
    a->s->neigh_token = id;
    return RX_REDRAW | RX_VIEW;
}

static unsigned Resample_apply(App *a, char *err) {
    if (session_resample(a->s, 0, err) != 0) return RX_ERROR;
    ui_message(a->ui, 0, "re-sampled with seed %llu", (unsigned long long)a->s->sampler.seed);
    return RX_REDRAW | RX_DIST | RX_MESSAGE;
}

/* R: the next seed, then resample (recorded as the two commands). */
static unsigned NewSeed_apply(App *a, char *err) {
    if (a->s->n_tokens == a->s->n_prompt) return failed(err, "%s: nothing generated yet (step first)", "resample");
    unsigned rx = apply_as(a, CMD_SEED, (long long)(a->s->sampler.seed + 1), err);
    return rx & RX_ERROR ? rx : apply_as(a, CMD_RESAMPLE, 0, err);
}

static unsigned Model_apply(App *a, const Command *c, char *err, char *record_as, size_t sz) {
    if (session_load_model(a->s, c->text, err) != 0) return RX_ERROR;
    char full[2048], q[4200]; /* the file as loaded, so a replay finds it from anywhere */
    if (!realpath(a->s->model_path, full)) snprintf(full, sizeof full, "%s", a->s->model_path);
    snprintf(record_as, sz, "model %s", commands_quote(full, strlen(full), q, sizeof q));
    return RX_REDRAW | RX_DIST;
}

static unsigned Score_apply(App *a, const Command *c, char *err) {
    if (score_session(a->s, c->text, c->text_len, err) != 0) return RX_ERROR;
    ScoreResult r;
    score_from_session(&r, a->s);
    a->ui->score_colour = 1;
    session_select(a->s, -1, NULL);
    ui_message(a->ui, 0, "scored %d tokens at T 1: %.2f bits in all, %.2f bits a token (red: surprising, green: expected)",
               r.n, r.total_bits, r.mean_bits);
    score_free(&r);
    return RX_REDRAW | RX_VIEW | RX_MESSAGE;
}

static unsigned Explain_apply(App *a) {
    UiState *ui = a->ui;
    ui->explain = !ui->explain;
    ui_message(ui, 0, ui->explain ? "frozen: the probs view shows the arithmetic; +/- sweep T, :explain unfreezes"
                                  : "unfrozen: the probs view shows the bars again");
    return RX_REDRAW | RX_MESSAGE | (ui->explain ? RX_VIEW : 0);
}

/* + and -: T moves by hundredths, rounded to two places, within [0, 5]. */
static unsigned TempBy_apply(App *a, const Command *c, char *err) {
    float temp = a->s->sampler.temperature + (float)c->inum / 100.0f;
    temp = (float)((int)(temp * 100 + (temp >= 0 ? 0.5f : -0.5f))) / 100.0f;
    if (temp < 0) temp = 0;
    if (temp > 5) temp = 5;
    Command t = command_make(CMD_TEMP, 0);
    t.num = temp;
    unsigned rx = apply(a, &t, err);
    if (!(rx & RX_ERROR)) ui_message(a->ui, 0, "temperature %.2f", temp), rx |= RX_MESSAGE;
    return rx;
}

/* Arrows and the mouse: the selection moves, the last token follows the text, and the neighbours
 * view goes back to following the selection. */
static unsigned Focus_apply(App *a, const Command *c, char *err) {
    unsigned rx = apply_as(a, CMD_SELECT, c->inum, err);
    if (!(rx & RX_ERROR)) a->s->neigh_token = -1;
    return rx;
}

static unsigned SelectBy_apply(App *a, const Command *c, char *err) {
    int n = a->s->n_tokens;
    if (n == 0) return RX_NONE;
    long long sel = session_selected(a->s) + c->inum;
    if (sel < 0) sel = 0;
    if (sel >= n - 1) sel = -1;
    return apply_as(a, CMD_FOCUS, sel, err);
}

/* shift+arrows: the span grows (or shrinks) at the focused end, the other end staying where the span
 * began; recorded as the `select A..B` it means. */
static unsigned SpanBy_apply(App *a, const Command *c, char *err) {
    Session *s = a->s;
    int n = s->n_tokens, first, last, focus = session_selected(s);
    if (n == 0) return RX_NONE;
    int anchor = focus;
    if (session_span(s, &first, &last)) anchor = focus == first ? last : first;
    long long to = focus + c->inum;
    if (to < 0) to = 0;
    if (to > n - 1) to = n - 1;
    Command sel = command_make(CMD_SELECT, anchor);
    sel.span = 1;
    sel.inum2 = to;
    return apply(a, &sel, err);
}

static unsigned Select_apply(App *a, const Command *c, char *err) {
    int rc = c->span ? session_select_span(a->s, (int)c->inum, (int)c->inum2, err)
                     : session_select(a->s, (int)c->inum, err);
    return rc ? RX_ERROR : RX_REDRAW;
}

/* [ ] { }: one on, stopping at the ends (what :layer and :head accept). */
static unsigned LayerHeadBy_apply(App *a, CommandId id, long long delta, char *err) {
    const Config *cf = &a->s->model.config;
    int count = id == CMD_LAYER ? cf->n_layers : cf->n_heads;
    long long v = (id == CMD_LAYER ? a->s->layer : a->s->head) + delta;
    if (v >= count) v = count - 1;
    if (v < 0) v = 0;
    return apply_as(a, id, v, err);
}

/* ---- the screen's requests ---- */

static unsigned Lab_apply(App *a, const Command *c, int kind, const char *text, size_t len, char *err) {
    if (!a->lab) return failed(err, "%s: not available here", commands_name(c->id));
    char lerr[GB_ERRLEN];
    if (lab_ui_open(a->lab, kind, text, len, a->s, lerr) != 0) {
        gb_seterr(err, "%s: %s", commands_name(c->id == CMD_COMPARE_TEXT ? CMD_COMPARE : c->id), lerr);
        return RX_ERROR;
    }
    return RX_REDRAW;
}

static unsigned Export_apply(App *a, const Command *c, char *err) {
    char msg[1200];
    int h = a->screen_h > 2 ? a->screen_h - 2 : 24; /* the views' share of the screen */
    if (export_command(c->text, a->s, a->ui, a->ui->view, a->screen_w > 20 ? a->screen_w : 100, h, msg, sizeof msg,
                       err) != 0)
        return RX_ERROR;
    ui_message(a->ui, 0, "%s", msg);
    return RX_MESSAGE;
}

static unsigned Record_apply(App *a, const Command *c, char *err) {
    if (!a->rec) return failed(err, "%s: not available here", "record");
    char msg[1200];
    if (record_command(a->rec, c->text, a->s, a->ui, msg, sizeof msg, err) != 0) return RX_ERROR;
    ui_message(a->ui, 0, "%s", msg);
    return RX_MESSAGE;
}

static unsigned Edit_apply(App *a) {
    const Session *s = a->s;
    size_t cap = s->prompt_len * 4 + 16;
    char *q = gb_malloc(cap);
    commands_quote(s->text, s->prompt_len, q, cap);
    snprintf(a->prefill, sizeof a->prefill, "prompt %s", q);
    free(q);
    return RX_PROMPT;
}

static unsigned Choose_apply(App *a, char *err) {
    if (!a->s->has_next) return failed(err, "%s: no prompt yet", "pick");
    a->ui->chooser = 1;
    a->ui->chooser_sel = 0;
    return RX_REDRAW;
}

/* The chooser's rows on this screen. */
static int chooser_rows(const App *a, int32_t *ids) {
    return screen_chooser_rows(a->s, screen_chooser_size(a->screen_h), ids);
}

static unsigned ChooserMove_apply(App *a, const Command *c) {
    int32_t ids[64];
    int n = chooser_rows(a, ids);
    long long sel = a->ui->chooser_sel + c->inum;
    a->ui->chooser_sel = (int)(sel >= n ? (n > 0 ? n - 1 : 0) : sel < 0 ? 0 : sel);
    return RX_REDRAW;
}

static unsigned ChooserPick_apply(App *a, const Command *c, char *err) {
    int32_t ids[64];
    int n = chooser_rows(a, ids);
    long long row = c->inum > 0 ? c->inum - 1 : a->ui->chooser_sel;
    a->ui->chooser = 0;
    if (row >= n) return RX_REDRAW;
    Command p = command_make(CMD_PICK, 0);
    p.token_id = ids[row];
    return apply(a, &p, err);
}

/* esc: the overlay or panel on top closes. */
static unsigned Close_apply(App *a) {
    UiState *ui = a->ui;
    if (ui->chooser) ui->chooser = 0;
    else if (ui->help) ui->help = 0;
    else if (a->lab && a->lab->kind != LAB_PANEL_NONE) lab_ui_close(a->lab);
    else if (a->lessons) a->lessons->menu = 0;
    return RX_REDRAW;
}

/* ---- lesson mode ---- */

static unsigned Lesson_apply(App *a, const Command *c, char *err) {
    LessonUi *lu = a->lessons;
    if (!lu) return failed(err, "%s: not available here", commands_name(c->id));
    switch (c->id) {
    case CMD_LESSONS:
        if (lesson_ui_open_menu(lu, a->ui, err) != 0) return RX_ERROR;
        break;
    case CMD_NEXT: lesson_ui_next(lu, a->s, a->ui); break;
    case CMD_PREV: lesson_ui_prev(lu, a->s, a->ui); break;
    case CMD_HINT: lesson_ui_hint(lu, a->ui); break;
    case CMD_REVEAL: lesson_ui_reveal(lu, a->ui); break;
    case CMD_RESET: lesson_ui_reset(lu, a->s, a->ui); break;
    case CMD_ANSWER: lesson_ui_answer(lu, c->text, a->s, a->ui); break;
    case CMD_PANE_SCROLL: {
        long long sc = lu->player.scroll + c->inum;
        lu->player.scroll = sc < 0 ? 0 : sc > INT_MAX / 2 ? INT_MAX / 2 : (int)sc;
        break;
    }
    case CMD_MENU_MOVE: {
        long long sel = lu->menu_sel + c->inum;
        lu->menu_sel = (int)(sel < 0 ? 0 : sel >= lu->n_lessons ? (lu->n_lessons > 0 ? lu->n_lessons - 1 : 0) : sel);
        break;
    }
    case CMD_MENU_SELECT:
        if (c->inum <= lu->n_lessons) lu->menu_sel = (int)c->inum - 1;
        break;
    case CMD_MENU_OPEN:
        if (lu->n_lessons > 0 && lesson_ui_open_path(lu, lu->paths[lu->menu_sel], a->s, a->ui, err) != 0)
            return RX_ERROR;
        break;
    default: break;
    }
    return RX_REDRAW | RX_MESSAGE | RX_DIST;
}

/* ---- apply ---- */

static int clamp_add(int v, long long d, int lo, int hi) {
    long long r = v + d;
    return (int)(r < lo ? lo : r > hi ? hi : r);
}

/* Writes what succeeded into the recording; a failure stops the recording and says why. */
static unsigned record(App *a, const Command *c, const char *record_as) {
    if (!a->rec || !a->rec->active || !(commands_flags(c->id) & RQ_RECORD)) return 0;
    char line[4200], err[GB_ERRLEN];
    if (!record_as[0]) {
        if (c->line) snprintf(line, sizeof line, "%s", c->line);
        else command_format(c, line, sizeof line);
        record_as = line;
    }
    if (record_line(a->rec, record_as, err) == 0) return 0;
    ui_message(a->ui, 1, "%s", err);
    return RX_MESSAGE;
}

unsigned apply(App *a, const Command *c, char *err) {
    Session *s = a->s;
    UiState *ui = a->ui;
    char record_as[4200] = "";
    unsigned rx = RX_REDRAW;
    err[0] = 0;
    if (commands_flags(c->id) & RQ_UNSCORE) ui->score_colour = 0; /* no old scores on a new text */
    switch (c->id) {
    case CMD_PROMPT: rx = session_set_prompt(s, c->text, c->text_len, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_TOKENIZE: rx = session_set_prompt(s, c->text, c->text_len, err) ? RX_ERROR : RX_REDRAW | RX_DIST | RX_VIEW; break;
    case CMD_STEP: rx = Step_apply(a, c, err); break;
    case CMD_BACK: rx = Back_apply(a, c, err); break;
    case CMD_PICK: rx = Pick_apply(a, c, err); break;
    case CMD_TEMP: rx = session_set_temp(s, (float)c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_TOPK: rx = session_set_topk(s, (int)c->inum, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_TOPP: rx = session_set_topp(s, (float)c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_DEFAULTS: { /* the seed and the generator's state stay, as for every sampler setting */
        Sampler defaults;
        sampler_init(&defaults, 1.0f, 0, 1.0f, 1);
        session_set_sampler(s, &defaults);
        rx = RX_REDRAW | RX_DIST;
        break;
    }
    case CMD_SEED: session_set_seed(s, (uint64_t)c->inum); break;
    case CMD_RESAMPLE: rx = Resample_apply(a, err); break;
    case CMD_SELECT: rx = Select_apply(a, c, err); break;
    case CMD_MINP: rx = session_set_sampler_value(s, "min-p", c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_TYPICAL: rx = session_set_sampler_value(s, "typical", c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_REPEAT: rx = session_set_sampler_value(s, "repeat-penalty", c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_LASTN: rx = session_set_sampler_value(s, "repeat-last-n", (double)c->inum, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_PRESENCE: rx = session_set_sampler_value(s, "presence-penalty", c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_FREQUENCY: rx = session_set_sampler_value(s, "frequency-penalty", c->num, err) ? RX_ERROR : RX_REDRAW | RX_DIST; break;
    case CMD_SAMPLERS: rx = session_set_samplers(s, c->text, err) ? RX_ERROR : RX_REDRAW | RX_DIST | RX_VIEW; break;
    case CMD_LAYER: rx = session_set_layer(s, (int)c->inum, err) ? RX_ERROR : RX_REDRAW; break;
    case CMD_HEAD: rx = session_set_head(s, (int)c->inum, err) ? RX_ERROR : RX_REDRAW; break;
    case CMD_VIEW: rx = RX_REDRAW | RX_VIEW; break;
    case CMD_NEIGHBOURS: rx = Neighbours_apply(a, c, err); break;
    case CMD_MODEL: rx = Model_apply(a, c, err, record_as, sizeof record_as); break;
    case CMD_COMPARE: rx = Lab_apply(a, c, LAB_PANEL_COMPARE, c->text, c->text_len, err); break;
    case CMD_NAMES: rx = Lab_apply(a, c, LAB_PANEL_NAMES, c->text, c->text_len, err); break;
    case CMD_MERGES: rx = Lab_apply(a, c, LAB_PANEL_EXPLAIN, c->text, c->text_len, err); break;
    case CMD_EXPLAIN: rx = Explain_apply(a); break;
    case CMD_SCORE: rx = Score_apply(a, c, err); break;
    case CMD_EXPORT: rx = Export_apply(a, c, err); break;
    case CMD_RECORD: rx = Record_apply(a, c, err); break;
    case CMD_HELP: ui->help = 1, ui->help_scroll = 0; break;
    case CMD_QUIT: rx = RX_QUIT; break;
    case CMD_LESSONS: case CMD_NEXT: case CMD_PREV: case CMD_ANSWER: case CMD_HINT: case CMD_REVEAL: case CMD_RESET:
    case CMD_PANE_SCROLL: case CMD_MENU_MOVE: case CMD_MENU_SELECT: case CMD_MENU_OPEN:
        rx = Lesson_apply(a, c, err);
        break;
    case CMD_AUTOPLAY: ui->autoplay = !ui->autoplay, ui->autoplay_last = gb_now(); break;
    case CMD_AUTOPLAY_SPEED:
        if (c->inum > 0) ui->autoplay_ms = ui->autoplay_ms > 40 ? ui->autoplay_ms * 2 / 3 : 25;
        else ui->autoplay_ms = ui->autoplay_ms < 3000 ? ui->autoplay_ms * 3 / 2 : 3000;
        break;
    case CMD_TEMP_BY: rx = TempBy_apply(a, c, err); break;
    case CMD_NEW_SEED: rx = NewSeed_apply(a, err); break;
    case CMD_CHOOSE: rx = Choose_apply(a, err); break;
    case CMD_EDIT: rx = Edit_apply(a); break;
    case CMD_SELECT_BY: rx = SelectBy_apply(a, c, err); break;
    case CMD_SPAN_BY: rx = SpanBy_apply(a, c, err); break;
    case CMD_FOCUS: rx = Focus_apply(a, c, err); break;
    case CMD_LAYER_BY: rx = LayerHeadBy_apply(a, CMD_LAYER, c->inum, err); break;
    case CMD_HEAD_BY: rx = LayerHeadBy_apply(a, CMD_HEAD, c->inum, err); break;
    case CMD_ZOOM_BY: ui->attn_zoom = clamp_add(ui->attn_zoom, c->inum, 0, 62), ui->attn_left = 0; break;
    case CMD_ZOOM_FIT: ui->attn_fit = 1, ui->attn_left = 0; break;
    case CMD_KEYS_SCROLL: ui->attn_left = clamp_add(ui->attn_left, c->inum, 0, INT_MAX / 2); break;
    case CMD_AGGREGATE: ui->attn_mean = !ui->attn_mean; break;
    case CMD_PROB_COLOUR: ui->prob_colour = !ui->prob_colour; break;
    case CMD_CHAIN: ui->chain = !ui->chain, rx = RX_REDRAW | RX_VIEW; break;
    case CMD_VIEW_NEXT: rx = apply_as(a, CMD_VIEW, (ui->view + 1) % VIEW_COUNT, err); break;
    case CMD_COMMAND: a->prefill[0] = 0, rx = RX_PROMPT; break;
    case CMD_COMPARE_TEXT: rx = Lab_apply(a, c, LAB_PANEL_COMPARE, s->text, s->text_len, err); break;
    case CMD_BIG: ui->big = !ui->big; break;
    case CMD_REDRAW: rx = RX_REPAINT; break;
    case CMD_HELP_TOGGLE: ui->help = !ui->help, ui->help_scroll = 0; break;
    case CMD_HELP_SCROLL: ui->help_scroll = clamp_add(ui->help_scroll, c->inum, -1000000, 1000000); break;
    case CMD_CLOSE: rx = Close_apply(a); break;
    case CMD_CHOOSER_MOVE: rx = ChooserMove_apply(a, c); break;
    case CMD_CHOOSER_PICK: rx = ChooserPick_apply(a, c, err); break;
    case CMD_LAB_TOKENIZER: if (a->lab) lab_ui_next_tokenizer(a->lab, s, ui); break;
    case CMD_MERGE_BY: if (a->lab) lab_ui_merge_by(a->lab, (int)(c->inum < -1000000 ? -1000000 : c->inum > 1000000 ? 1000000 : c->inum)); break;
    case CMD_MERGE_TO: if (a->lab) lab_ui_merge_to(a->lab, c->inum != 0); break;
    case CMD_COUNT: return failed(err, "internal: request %s has no action", "?");
    }
    if (rx & RX_ERROR) return rx;
    if (rx & RX_VIEW) {
        int v = commands_view(c->id);
        if (v == VIEW_FROM_ARG) v = c->view;
        if (v >= 0 && v < VIEW_COUNT) ui->view = v;
    }
    return rx | record(a, c, record_as);
}

/* ---- keys and lines ---- */

int app_keymaps(const App *a, int *modes) {
    const UiState *ui = a->ui;
    int n = 0;
    if (ui->chooser) modes[n++] = KEYMAP_CHOOSER;
    else if (ui->help) modes[n++] = KEYMAP_HELP;
    if (n) return n;
    if (a->lab && a->lab->kind != LAB_PANEL_NONE) {
        if (lab_ui_stepping(a->lab)) modes[n++] = KEYMAP_MERGES;
        modes[n++] = KEYMAP_LAB;
    }
    if (a->lessons && a->lessons->menu) modes[n++] = KEYMAP_MENU;
    else if (a->lessons && a->lessons->active) modes[n++] = KEYMAP_LESSON;
    modes[n++] = KEYMAP_GENERIC;
    return n;
}

/* Looks key up in the given keymaps, top first; a modal one ends the search. */
static int key_in(App *a, const int *modes, int n, int key, char *err) {
    for (int i = 0; i < n; i++) {
        const KeyBinding *b = keymap_find(modes[i], key);
        if (b) {
            Command c = command_make(b->request, b->arg);
            return (int)apply(a, &c, err);
        }
        if (keymap_modal(modes[i])) return RX_NONE; /* a modal keymap swallows the rest */
    }
    return -1;
}

int app_key(App *a, int key, char *err) {
    int modes[8];
    int n = app_keymaps(a, modes);
    if (!a->ui->chooser && !a->ui->help) a->ui->message[0] = 0;
    return key_in(a, modes, n, key, err);
}

unsigned app_line(App *a, const char *line) {
    Command c;
    char err[GB_ERRLEN] = "";
    int rc = commands_parse(line, &c, err);
    if (rc == 1) return RX_NONE;
    if (rc < 0) {
        ui_message(a->ui, 1, "%s", err);
        return RX_ERROR | RX_MESSAGE;
    }
    unsigned rx = apply(a, &c, err);
    if (rx & RX_ERROR) ui_message(a->ui, 1, "%s", err);
    else if (!(rx & (RX_MESSAGE | RX_VIEW)) && !(commands_flags(c.id) & RQ_TOP)) ui_message(a->ui, 0, "\u2713 %s", line);
    command_free(&c);
    return rx | RX_MESSAGE;
}

/* ---- the session-only runner and the mode helpers the tests and older callers use ---- */

CommandResult commands_run(Session *s, const Command *c, char *err) {
    if (commands_flags(c->id) & RQ_TOP) return CMDR_UI;
    UiState ui;
    ui_init(&ui);
    App a = {.s = s, .ui = &ui};
    unsigned rx = apply(&a, c, err);
    ui_free(&ui);
    return rx & RX_ERROR ? CMDR_ERROR : rx & RX_VIEW ? CMDR_UI : CMDR_OK;
}

int lesson_ui_command(LessonUi *lu, const char *name, const char *arg, Session *s, UiState *ui) {
    int id = commands_lookup(name, strlen(name));
    if (id < 0 || !(commands_flags(id) & RQ_LESSON_MODE) || strcmp(commands_name(id), name) != 0) return 0;
    Command c = command_make((CommandId)id, 0);
    c.text = (char *)(arg ? arg : "");
    c.text_len = strlen(c.text);
    App a = {.s = s, .ui = ui, .lessons = lu};
    char err[GB_ERRLEN];
    if (apply(&a, &c, err) & RX_ERROR) ui_message(ui, 1, "%s", err);
    return 1;
}

int lesson_ui_key(LessonUi *lu, int key, Session *s, UiState *ui) {
    int mode = lu->menu ? KEYMAP_MENU : lu->active ? KEYMAP_LESSON : -1;
    if (mode < 0) return 0;
    App a = {.s = s, .ui = ui, .lessons = lu};
    char err[GB_ERRLEN];
    int rx = key_in(&a, &mode, 1, key, err);
    if (rx > 0 && (rx & RX_ERROR)) ui_message(ui, 1, "%s", err);
    return rx >= 0;
}

int lab_ui_key(LabUi *lu, int key, Session *s, UiState *ui) {
    if (lu->kind == LAB_PANEL_NONE) return 0;
    int modes[2], n = 0;
    if (lab_ui_stepping(lu)) modes[n++] = KEYMAP_MERGES;
    modes[n++] = KEYMAP_LAB;
    App a = {.s = s, .ui = ui, .lab = lu};
    char err[GB_ERRLEN];
    int rx = key_in(&a, modes, n, key, err);
    if (rx > 0 && (rx & RX_ERROR)) ui_message(ui, 1, "%s", err);
    return rx >= 0;
}
