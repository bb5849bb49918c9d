#include "view_lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "record.h"
#include "screen.h"
#include "util.h"

enum { SPAN_PLAIN = 0, SPAN_CODE = 1, SPAN_EMPH = 2 };

/* Removes the markup of `code` and *emphasis*, leaving one style per byte. A marker with no partner
 * later in the text is kept as a plain character; inside code everything is literal, except that a
 * space at either end of a code span is drawn as a middle dot (` return` would otherwise look like
 * `return`). out and style hold at least 2 * strlen(text) + 1 bytes. Returns the length written. */
static int strip_markup(const char *text, char *out, unsigned char *style) {
    int n = 0, code = 0, emph = 0;
    for (const char *s = text; *s; s++) {
        if (*s == '`' && (code || strchr(s + 1, '`'))) {
            code = !code;
            continue;
        }
        if (!code && *s == '*' && (emph || (s[1] && s[1] != ' ' && strchr(s + 1, '*')))) {
            emph = !emph;
            continue;
        }
        unsigned char st = code ? SPAN_CODE : emph ? SPAN_EMPH : SPAN_PLAIN;
        if (code && *s == ' ' && (s[-1] == '`' || s[1] == '`')) {
            out[n] = '\xc2', style[n++] = st;
            out[n] = '\xb7', style[n++] = st;
            continue;
        }
        out[n] = *s;
        style[n] = st;
        n++;
    }
    out[n] = 0;
    return n;
}

/* Where lines are drawn: rows before `skip` and after the rectangle are only counted. */
typedef struct {
    Canvas *c;
    Rect r;
    int row, skip, draw;
    Style st[3]; /* plain, code, emphasis */
} Pen;

static int pen_y(const Pen *p) { return p->draw && p->row >= p->skip && p->row - p->skip < p->r.h ? p->r.y + p->row - p->skip : -1; }

static void pen_line(Pen *p, int indent, const char *t, const unsigned char *sty, int a, int b) {
    int y = pen_y(p);
    if (y >= 0) {
        int x = p->r.x + indent, right = p->r.x + p->r.w;
        while (a < b && x < right) {
            int e = a;
            while (e < b && sty[e] == sty[a]) e++;
            x += canvas_put_textn(p->c, x, y, right - x, t + a, e - a, p->st[sty[a]]);
            a = e;
        }
    }
    p->row++;
}

static void pen_blank(Pen *p) { p->row++; }

/* Bytes of the first code point at s (1 for an invalid byte). */
static int one_char(const char *s, int n) {
    int32_t cp;
    return utf8_decode(s, n, &cp);
}

/* Word-wraps t (styles sty) into lines of at most w columns starting at indent. */
static int wrap(Pen *p, int indent, const char *t, const unsigned char *sty, int n) {
    int w = p->r.w - indent, lines = 0, i = 0;
    if (w < 1) w = 1;
    while (i < n) {
        while (i < n && t[i] == ' ') i++;
        if (i >= n) break;
        int ls = i, le = i, used = 0, j = i;
        while (j < n) {
            int ws = j;
            while (j < n && t[j] != ' ') j++;
            int ww = text_width(t + ws, j - ws), gap = le > ls ? text_width(t + le, ws - le) : 0;
            if (used + gap + ww <= w) {
                used += gap + ww;
                le = j;
                while (j < n && t[j] == ' ') j++;
                continue;
            }
            if (le == ls) { /* a word longer than the line: cut it */
                int fit = text_fit(t + ws, j - ws, w);
                le = ws + (fit > 0 ? fit : one_char(t + ws, j - ws));
            }
            break;
        }
        if (p) pen_line(p, indent, t, sty, ls, le);
        lines++;
        i = le;
    }
    return lines;
}

/* Wraps marked-up text. */
static void para(Pen *p, int indent, const char *text, Style plain) {
    size_t n = strlen(text);
    char *t = gb_malloc(2 * n + 1);
    unsigned char *sty = gb_malloc(2 * n + 1);
    int len = strip_markup(text, t, sty);
    Style keep = p->st[0];
    p->st[0] = plain;
    wrap(p, indent, t, sty, len);
    p->st[0] = keep;
    free(t);
    free(sty);
}

/* Wraps text with a prefix (e.g. "a) ") drawn on the first line, the rest indented under the text. */
static void prefixed(Pen *p, const char *prefix, const char *text, Style plain, Style pre) {
    int pw = text_width(prefix, (int)strlen(prefix));
    int y = pen_y(p);
    if (y >= 0) canvas_put_text(p->c, p->r.x, y, p->r.w, prefix, pre);
    int before = p->row;
    para(p, pw, text, plain);
    if (p->row == before) p->row++;
}

int lesson_wrap_count(const char *text, int w) {
    size_t n = strlen(text);
    char *t = gb_malloc(2 * n + 1);
    unsigned char *sty = gb_malloc(2 * n + 1);
    int len = strip_markup(text, t, sty);
    Pen counter = {.c = NULL, .r = {0, 0, w, 1 << 30}, .draw = 0}; /* counts, draws nothing */
    int lines = wrap(&counter, 0, t, sty, len);
    free(t);
    free(sty);
    return lines;
}

/* Everything below the header; draw = 0 only counts the rows. */
static int body(Pen *pen, LessonPlayer *lp, UiState *ui) {
    const LessonStep *st = &lp->lesson.steps[lp->step];
    Style plain = pen->st[0];
    if (lp->claim_note[0]) { /* the loaded model does not show what this step says: never let it pass silently */
        char note[1200];
        snprintf(note, sizeof note, "This model does not show what this step says (%s).", lp->claim_note);
        Style warn = ui_style(ui, COLOR_IDX(209), 0, ATTR_BOLD);
        prefixed(pen, "\u26a0 ", note, ui_style(ui, COLOR_IDX(209), 0, 0), warn);
        pen_blank(pen);
    }
    if (st->title[0]) {
        para(pen, 0, st->title, ui_style(ui, COLOR_IDX(75), 0, ATTR_BOLD));
        pen_blank(pen);
    }
    for (int i = 0; i < st->n_blocks; i++) {
        const LessonBlock *b = &st->blocks[i];
        if (b->verbatim) {
            int y = pen_y(pen);
            if (y >= 0) canvas_put_text(pen->c, pen->r.x + 2, y, pen->r.w - 2, b->text, pen->st[SPAN_CODE]);
            pen->row++;
            if (i + 1 < st->n_blocks && !st->blocks[i + 1].verbatim) pen_blank(pen);
        } else {
            para(pen, 0, b->text, plain);
            if (i + 1 < st->n_blocks) pen_blank(pen);
        }
    }
    if (st->n_cmds) {
        pen_blank(pen);
        Style dim = ui_style(ui, COLOR_IDX(109), 0, 0);
        for (int i = 0; i < st->n_cmds; i++) {
            int y = pen_y(pen);
            if (y >= 0) {
                canvas_put_text(pen->c, pen->r.x, y, 2, "\u25b8", dim);
                canvas_put_text(pen->c, pen->r.x + 2, y, pen->r.w - 2, st->cmds[i].source, dim);
            }
            pen->row++;
        }
    }
    if (!st->has_question) return pen->row;
    const LessonQuestion *q = &st->q;
    pen_blank(pen);
    Style qs = ui_style(ui, COLOR_IDX(221), 0, ATTR_BOLD);
    prefixed(pen, "? ", q->text, qs, qs);
    for (int i = 0; i < q->n_choices; i++) {
        char pre[8];
        snprintf(pre, sizeof pre, "  %c) ", lesson_choice_letter(i));
        char shown[300];
        lesson_choice_display(&q->choices[i], shown, sizeof shown);
        /* the right choice is marked once it is known: answered right, or revealed (not after one miss) */
        int chosen = lp->has_answer && lp->answer.right[i] && ((lp->answered && lp->right) || lp->revealed);
        Style cs = chosen ? ui_style(ui, COLOR_IDX(114), 0, 0) : plain;
        prefixed(pen, pre, shown, cs, ui_style(ui, COLOR_IDX(221), 0, 0));
    }
    if (lp->show_hint && q->hint) {
        pen_blank(pen);
        prefixed(pen, "hint: ", q->hint, ui_style(ui, COLOR_IDX(180), 0, 0), ui_style(ui, COLOR_IDX(180), 0, ATTR_BOLD));
    }
    if (lp->feedback[0]) {
        pen_blank(pen);
        if (lp->answered) {
            char you[300];
            snprintf(you, sizeof you, "you answered: %s", lp->input);
            para(pen, 0, you, ui_style(ui, COLOR_IDX(250), 0, ATTR_DIM));
            Style fs = lp->right ? ui_style(ui, COLOR_IDX(114), 0, ATTR_BOLD) : ui_style(ui, COLOR_IDX(203), 0, ATTR_BOLD);
            prefixed(pen, lp->right ? "\u2713 " : "\u2717 ", lp->feedback, lp->right ? ui_style(ui, COLOR_IDX(114), 0, 0)
                                                                                     : ui_style(ui, COLOR_IDX(210), 0, 0), fs);
        } else {
            para(pen, 0, lp->feedback, ui_style(ui, COLOR_IDX(180), 0, 0));
        }
    }
    return pen->row;
}

void ViewLesson_draw(Canvas *c, Rect r, LessonPlayer *lp, UiState *ui) {
    if (r.w <= 4 || r.h <= 2) return;
    if (lp->lesson.n_steps == 0) {
        canvas_put_text(c, r.x, r.y, r.w, "(no lesson open)", ui_style(ui, 0, 0, ATTR_DIM));
        return;
    }
    Style head = ui_style(ui, COLOR_IDX(255), 0, ATTR_BOLD), dim = ui_style(ui, COLOR_IDX(244), 0, 0);
    char right[40];
    snprintf(right, sizeof right, "step %d/%d", lp->step + 1, lp->lesson.n_steps);
    int rw = text_width(right, (int)strlen(right));
    int tw = text_width(lp->lesson.title, (int)strlen(lp->lesson.title));
    if (tw + 1 + rw <= r.w) { /* side by side, else the step count goes on the (empty) second row */
        canvas_put_text(c, r.x, r.y, r.w - rw - 1, lp->lesson.title, head);
        canvas_put_text(c, r.x + r.w - rw, r.y, rw, right, dim);
    } else {
        canvas_put_text(c, r.x, r.y, r.w, lp->lesson.title, head);
        canvas_put_text(c, r.x + r.w - rw, r.y + 1, rw, right, dim);
    }

    Pen pen = {.c = c, .r = {r.x, r.y + 2, r.w, r.h - 3}, .draw = 0};
    pen.st[SPAN_PLAIN] = ui_style(ui, COLOR_IDX(252), 0, 0);
    pen.st[SPAN_CODE] = ui_style(ui, COLOR_IDX(117), COLOR_IDX(236), 0);
    pen.st[SPAN_EMPH] = ui_style(ui, COLOR_IDX(255), 0, ATTR_BOLD | ATTR_UNDERLINE);
    int total = body(&pen, lp, ui);
    int max_scroll = total - pen.r.h;
    if (lp->scroll > max_scroll) lp->scroll = max_scroll;
    if (lp->scroll < 0) lp->scroll = 0;
    pen.row = 0;
    pen.skip = lp->scroll;
    pen.draw = 1;
    body(&pen, lp, ui);

    /* the last row: what to do now */
    const LessonStep *st = &lp->lesson.steps[lp->step];
    const char *todo;
    char last[160];
    if (st->has_question && !(lp->answered && lp->right) && !lp->revealed)
        todo = st->q.kind == ANSWER_TASK ? "do it, then `:answer` \u00b7 `:hint` \u00b7 `:reveal` \u00b7 n skip"
               : st->q.n_choices        ? "`:answer` LETTER \u00b7 `:hint` \u00b7 `:reveal` \u00b7 n skip"
                                        : "`:answer` TEXT \u00b7 `:hint` \u00b7 `:reveal` \u00b7 n skip";
    else if (lp->step + 1 < lp->lesson.n_steps)
        todo = "n next step \u00b7 p previous step";
    else {
        snprintf(last, sizeof last, "the end of this lesson \u00b7 score %d/%d \u00b7 `:lessons` the course", lp->score_right,
                 lp->score_graded);
        todo = last;
    }
    char more[24] = "";
    if (max_scroll > 0) snprintf(more, sizeof more, " %s", lp->scroll < max_scroll ? "\u2193 more" : "\u2191");
    char line[200];
    snprintf(line, sizeof line, "%s%s", todo, more);
    size_t n = strlen(line);
    char *t = gb_malloc(2 * n + 1);
    unsigned char *sty = gb_malloc(2 * n + 1);
    int len = strip_markup(line, t, sty);
    Pen foot = {.c = c, .r = {r.x, r.y + r.h - 1, r.w, 1}, .draw = 1};
    foot.st[SPAN_PLAIN] = dim;
    foot.st[SPAN_CODE] = ui_style(ui, COLOR_IDX(117), 0, 0);
    foot.st[SPAN_EMPH] = dim;
    pen_line(&foot, 0, t, sty, 0, len);
    free(t);
    free(sty);
}

void ViewCourse_draw(Canvas *c, Rect r, char *const *paths, char *const *titles, const CourseScore *scores, int n,
                     int selected, const Progress *prog, UiState *ui) {
    if (r.w <= 4 || r.h <= 2) return;
    Style head = ui_style(ui, COLOR_IDX(255), 0, ATTR_BOLD), dim = ui_style(ui, COLOR_IDX(244), 0, 0);
    canvas_put_text(c, r.x, r.y, r.w, "The course: how a language model writes code", head);
    if (n == 0) canvas_put_text(c, r.x, r.y + 2, r.w, "(no lessons found)", dim);
    int rows = r.h - 4, first = 0;
    if (rows < 1) rows = 1;
    if (selected >= rows) first = selected - rows + 1;
    for (int i = first; i < n && i - first < rows; i++) {
        const char *base = strrchr(paths[i], '/');
        base = base ? base + 1 : paths[i];
        char status[64] = "not started", score[24] = "";
        ProgressLesson *pl = prog ? progress_lesson((Progress *)prog, base, 0) : NULL;
        if (pl && scores && scores[i].graded) snprintf(score, sizeof score, " \u00b7 %d/%d", scores[i].right, scores[i].graded);
        if (pl && pl->n_steps > 0 && pl->step + 1 >= pl->n_steps) snprintf(status, sizeof status, "\u2713 done%s", score);
        else if (pl) snprintf(status, sizeof status, "step %d/%d%s", pl->step + 1, pl->n_steps, score);
        int y = r.y + 2 + i - first, sw = text_width(status, (int)strlen(status));
        Style st = i == selected ? ui_style(ui, COLOR_IDX(16), COLOR_IDX(75), ATTR_BOLD | (ui->colours == COLOURS_NONE ? ATTR_REVERSE : 0))
                                 : ui_style(ui, COLOR_IDX(252), 0, 0);
        canvas_fill(c, (Rect){r.x, y, r.w, 1}, " ", st);
        char line[300];
        const char *title = titles && titles[i] ? titles[i] : base;
        if (title[0] >= '0' && title[0] <= '9') snprintf(line, sizeof line, " %s", title); /* numbered already */
        else snprintf(line, sizeof line, "%2d  %s", i + 1, title);
        canvas_put_text(c, r.x, y, r.w - sw - 2, line, st);
        Style ss = st;
        if (i != selected) ss = pl ? ui_style(ui, COLOR_IDX(114), 0, 0) : dim;
        canvas_put_text(c, r.x + r.w - sw, y, sw, status, ss);
    }
    canvas_put_text(c, r.x, r.y + r.h - 1, r.w, "\u2191\u2193 choose \u00b7 \u21b5 open \u00b7 esc close \u00b7 score: right without a reveal", dim);
}

/* ---- lesson mode ---- */

void lesson_ui_init(LessonUi *lu, UiState *ui) {
    memset(lu, 0, sizeof *lu);
    canvas_init(&lu->screen, 0, 0);
    char path[4096], note[GB_ERRLEN] = "", err[GB_ERRLEN];
    if (progress_default_path(path, sizeof path) && progress_load(&lu->progress, path, note, err) == 0)
        lu->has_progress = 1;
    if (note[0] && ui) ui_message(ui, 1, "%s", note);
}

static void free_course(LessonUi *lu) {
    if (lu->titles)
        for (int i = 0; i < lu->n_lessons; i++) free(lu->titles[i]);
    free(lu->titles);
    free(lu->scores);
    lu->scores = NULL;
    lesson_list_free(lu->paths, lu->n_lessons);
    lu->paths = lu->titles = NULL;
    lu->n_lessons = 0;
}

static void save_progress(LessonUi *lu, UiState *ui) {
    char err[GB_ERRLEN];
    if (lu->has_progress && progress_save(&lu->progress, err) != 0 && ui) ui_message(ui, 1, "%s", err);
}

void lesson_ui_free(LessonUi *lu) {
    if (lu->active) save_progress(lu, NULL);
    lesson_player_close(&lu->player);
    if (lu->has_progress) progress_free(&lu->progress);
    free_course(lu);
    canvas_free(&lu->screen);
    free(lu->lab_text);
    memset(lu, 0, sizeof *lu);
}

static int load_course(LessonUi *lu, char *err) {
    free_course(lu);
    char dir[4096];
    int n = lesson_list(lesson_dir(dir, sizeof dir), &lu->paths, err);
    if (n < 0) return -1;
    lu->n_lessons = n;
    lu->titles = gb_calloc((size_t)(n ? n : 1), sizeof(char *));
    lu->scores = gb_calloc((size_t)(n ? n : 1), sizeof(CourseScore));
    for (int i = 0; i < n; i++) {
        Lesson l;
        char perr[GB_ERRLEN];
        if (lesson_load(&l, lu->paths[i], perr) == 0) {
            lu->titles[i] = gb_strdup(l.title);
            const ProgressLesson *pl = lu->has_progress ? progress_lesson(&lu->progress, l.name, 0) : NULL;
            lesson_score(&l, pl, &lu->scores[i].right, &lu->scores[i].graded);
            lesson_free(&l);
        }
    }
    return 0;
}

/* After the scene changed: show the view it asked for (frozen or not), and ask the TUI for the step's
 * lab panel. */
static void apply_scene(LessonUi *lu, UiState *ui, const LessonScene *sc) {
    if (sc->view >= 0) ui->view = sc->view;
    ui->score_colour = sc->scored;
    ui->explain = sc->explain;
    free(lu->lab_text);
    lu->lab_text = NULL;
    lu->lab_pending = 1;
    lu->lab_cmd = sc->lab;
    lu->lab_len = sc->lab ? sc->lab_len : 0;
    if (sc->lab) {
        lu->lab_text = gb_malloc(sc->lab_len + 1);
        memcpy(lu->lab_text, sc->lab_text, sc->lab_len);
        lu->lab_text[sc->lab_len] = 0;
    }
}

int lesson_ui_open_path(LessonUi *lu, const char *path, Session *s, UiState *ui, char *err) {
    LessonPlayer fresh;
    LessonScene sc = {.view = -1};
    if (lesson_player_open(&fresh, path, s, lu->has_progress ? &lu->progress : NULL, &sc, err) != 0) return -1;
    lesson_player_close(&lu->player);
    lu->player = fresh;
    lu->active = 1;
    lu->menu = 0;
    apply_scene(lu, ui, &sc);
    save_progress(lu, ui);
    return 0;
}

int lesson_ui_open_number(LessonUi *lu, int n, Session *s, UiState *ui, char *err) {
    if (load_course(lu, err) != 0) return -1;
    if (n < 1 || n > lu->n_lessons) {
        char dir[4096];
        gb_seterr(err, "--lesson: no lesson %d (the course in %s has %d)", n, lesson_dir(dir, sizeof dir), lu->n_lessons);
        return -1;
    }
    return lesson_ui_open_path(lu, lu->paths[n - 1], s, ui, err);
}

int lesson_ui_open_menu(LessonUi *lu, UiState *ui, char *err) {
    (void)ui;
    if (load_course(lu, err) != 0) return -1;
    lu->menu = 1;
    lu->menu_sel = 0;
    if (lu->active) /* start on the open lesson */
        for (int i = 0; i < lu->n_lessons; i++)
            if (strcmp(lu->paths[i], lu->player.lesson.path) == 0) lu->menu_sel = i;
    return 0;
}

static void go(LessonUi *lu, int step, Session *s, UiState *ui) {
    char err[GB_ERRLEN];
    LessonScene sc = {.view = -1};
    if (lesson_player_goto(&lu->player, step, s, lu->has_progress ? &lu->progress : NULL, &sc, err) != 0) {
        ui_message(ui, 1, "%s", err);
        return;
    }
    apply_scene(lu, ui, &sc);
    save_progress(lu, ui);
}

/* The lesson commands (apply.c calls these): each says what happened on the status line. */
static LessonPlayer *open_player(LessonUi *lu, UiState *ui, const char *name) {
    if (lu->active) return &lu->player;
    ui_message(ui, 1, "%s: no lesson is open (type lessons for the course)", name);
    return NULL;
}

void lesson_ui_next(LessonUi *lu, Session *s, UiState *ui) {
    LessonPlayer *p = open_player(lu, ui, "next");
    if (!p) return;
    if (p->step + 1 >= p->lesson.n_steps) ui_message(ui, 0, "that was the last step: type lessons for the course");
    else go(lu, p->step + 1, s, ui);
}

void lesson_ui_prev(LessonUi *lu, Session *s, UiState *ui) {
    LessonPlayer *p = open_player(lu, ui, "prev");
    if (!p) return;
    if (p->step == 0) ui_message(ui, 0, "this is the first step");
    else go(lu, p->step - 1, s, ui);
}

void lesson_ui_hint(LessonUi *lu, UiState *ui) {
    LessonPlayer *p = open_player(lu, ui, "hint");
    if (!p) return;
    const LessonStep *st = &p->lesson.steps[p->step];
    if (st->has_question && st->q.hint) p->show_hint = 1;
    else ui_message(ui, 0, "this step has no hint");
}

void lesson_ui_reveal(LessonUi *lu, UiState *ui) {
    LessonPlayer *p = open_player(lu, ui, "reveal");
    if (!p) return;
    if (lesson_player_reveal(p, lu->has_progress ? &lu->progress : NULL) != 0) ui_message(ui, 0, "this step asks nothing");
    save_progress(lu, ui);
}

void lesson_ui_reset(LessonUi *lu, Session *s, UiState *ui) {
    LessonPlayer *p = open_player(lu, ui, "reset");
    if (!p) return;
    if (lu->has_progress) progress_reset(&lu->progress, p->lesson.name);
    go(lu, 0, s, ui);
    ui_message(ui, 0, "lesson restarted: its answers are forgotten");
}

void lesson_ui_answer(LessonUi *lu, const char *input, Session *s, UiState *ui) {
    LessonPlayer *p = open_player(lu, ui, "answer");
    if (!p) return;
    int r = lesson_player_answer(p, input ? input : "", s, lu->has_progress ? &lu->progress : NULL);
    if (r < 0) ui_message(ui, 1, "%s", p->feedback);
    else ui_message(ui, 0, "%s", r ? "\u2713 right" : "\u2717 not quite (see the lesson pane)");
    save_progress(lu, ui);
}

void lesson_ui_layout(int w, int h, Rect *pane, int *screen_w) {
    (void)h;
    if (w >= SCREEN_MIN_W + 40) { /* beside the views */
        int pw = w * 2 / 5;
        if (pw < 40) pw = 40;
        if (pw > 72) pw = 72;
        if (w - pw < SCREEN_MIN_W) pw = w - SCREEN_MIN_W;
        *pane = (Rect){w - pw, 0, pw, h};
        *screen_w = w - pw;
    } else { /* over the right part of the views, above the status and command lines */
        int pw = w / 2 < 40 ? (w < 40 ? w : 40) : w / 2;
        *pane = (Rect){w - pw, 1, pw, h - 3 > 1 ? h - 3 : 1};
        *screen_w = w;
    }
}

void lesson_ui_draw(LessonUi *lu, Canvas *c, Session *s, UiState *ui) {
    ui->in_lesson = lu->active;
    if (!lu->active) {
        screen_draw(c, s, ui);
    } else {
        Rect pane;
        int sw;
        lesson_ui_layout(c->w, c->h, &pane, &sw);
        if (sw < c->w) {
            if (lu->screen.w != sw || lu->screen.h != c->h) canvas_resize(&lu->screen, sw, c->h);
            lu->screen.ascii = c->ascii;
            screen_draw(&lu->screen, s, ui); /* hit map and cursor: same coordinates, the pane is on the right */
            canvas_clear(c, ui_style(ui, 0, 0, 0));
            for (int y = 0; y < c->h; y++)
                for (int x = 0; x < sw; x++) *canvas_cell(c, x, y) = *canvas_cell(&lu->screen, x, y);
        } else {
            screen_draw(c, s, ui);
        }
        Style frame = ui_style(ui, COLOR_IDX(75), 0, ATTR_BOLD);
        canvas_fill(c, pane, " ", ui_style(ui, 0, 0, 0));
        canvas_box(c, pane, "Lesson", frame);
        ViewLesson_draw(c, (Rect){pane.x + 2, pane.y + 1, pane.w - 4, pane.h - 2}, &lu->player, ui);
    }
    if (lu->menu) {
        int w = c->w - 8 < 72 ? c->w - 8 : 72, h = lu->n_lessons + 7;
        if (h > c->h - 2) h = c->h - 2;
        Rect r = {(c->w - w) / 2, (c->h - h) / 2, w, h};
        canvas_fill(c, r, " ", ui_style(ui, 0, 0, 0));
        canvas_box(c, r, "Lessons", ui_style(ui, COLOR_IDX(75), 0, ATTR_BOLD));
        ViewCourse_draw(c, (Rect){r.x + 2, r.y + 1, r.w - 4, r.h - 2}, lu->paths, lu->titles, lu->scores, lu->n_lessons,
                        lu->menu_sel, lu->has_progress ? &lu->progress : NULL, ui);
    }
}
