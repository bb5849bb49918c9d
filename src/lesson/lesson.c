/* Playing a lesson: its scenes replayed on the session through apply, and the player that walks the
 * steps, keeps the student's answers and attempts, and scores them; the course's directory and files.
 * Parsing is in lesson_parse.c, the answer kinds in answer.c, `lesson check` in lesson_check.c. */
#include "lesson.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "lesson_internal.h"
#include "util.h"

/* ---- running scenes ---- */

int lesson_reset_session(Session *s, const char *base_model, char *err) {
    if (base_model && *base_model && strcmp(s->model_path, base_model) != 0 &&
        session_load_model(s, base_model, err) != 0)
        return -1;
    if (session_set_prompt(s, "", 0, err) != 0) return -1;
    Sampler fresh; /* T 1, every other stage off, the default chain */
    sampler_init(&fresh, 1.0f, 0, 1.0f, 1);
    session_set_sampler(s, &fresh);
    session_set_seed(s, 1);
    session_select(s, -1, err);
    session_set_layer(s, 0, err);
    session_set_head(s, 0, err);
    s->neigh_token = -1;
    return 0;
}

int lesson_run_step(const Lesson *l, int step, Session *s, LessonScene *scene, char *err) {
    if (step < 0 || step >= l->n_steps) {
        gb_seterr(err, "%s: no step %d (the lesson has %d)", l->path, step + 1, l->n_steps);
        return -1;
    }
    /* the commands run through apply on a screen of their own; the scene is what it shows after */
    UiState ui;
    ui_init(&ui);
    ui.view = scene ? scene->view : -1;
    ui.score_colour = scene ? scene->scored : 0;
    ui.explain = scene ? scene->explain : 0;
    App app = {.s = s, .ui = &ui};
    const LessonStep *st = &l->steps[step];
    if (scene) scene->lab = 0; /* a panel belongs to the step that opens it */
    int rc = 0;
    for (int i = 0; i < st->n_cmds && rc == 0; i++) {
        const LessonCommand *lc = &st->cmds[i];
        CommandId id = lc->cmd.id;
        if (id == CMD_COMPARE || id == CMD_NAMES || id == CMD_MERGES) { /* the TUI's panel, opened for this step */
            if (scene) scene->lab = id, scene->lab_text = lc->cmd.text, scene->lab_len = lc->cmd.text_len;
            continue;
        }
        char cerr[GB_ERRLEN] = "";
        if (apply(&app, &lc->cmd, cerr) & RX_ERROR) {
            gb_seterr(err, "%s:%d: %s", l->path, lc->line, cerr);
            rc = -1;
        }
    }
    if (scene) scene->view = ui.view, scene->scored = ui.score_colour, scene->explain = ui.explain;
    ui_free(&ui);
    return rc;
}

int lesson_goto(const Lesson *l, int step, Session *s, const char *base_model, LessonScene *scene, char *err) {
    if (scene) scene->view = -1, scene->scored = 0, scene->explain = 0, scene->lab = 0;
    if (step < 0 || step >= l->n_steps) {
        gb_seterr(err, "%s: no step %d (the lesson has %d)", l->path, step + 1, l->n_steps);
        return -1;
    }
    char rerr[GB_ERRLEN];
    if (lesson_reset_session(s, base_model, rerr) != 0) {
        gb_seterr(err, "%s: %s", l->path, rerr);
        return -1;
    }
    for (int i = 0; i <= step; i++)
        if (lesson_run_step(l, i, s, scene, err) != 0) return -1;
    return 0;
}

/* ---- the player ---- */

void lesson_score(const Lesson *l, const ProgressLesson *pl, int *right, int *graded) {
    *right = *graded = 0;
    for (int i = 0; i < l->n_steps; i++) {
        if (!l->steps[i].has_question || !lesson_question_graded(&l->steps[i].q)) continue;
        ++*graded;
        const ProgressAnswer *pa = pl ? progress_answer(pl, i) : NULL;
        if (pa && pa->right && !pa->revealed) ++*right;
    }
}

static void update_score(LessonPlayer *p, Progress *prog) {
    const ProgressLesson *pl = prog ? progress_lesson(prog, p->lesson.name, 0) : NULL;
    lesson_score(&p->lesson, pl, &p->score_right, &p->score_graded);
}

/* Measures the step's claims on the model as the scene left it: a broken one is shown on the step, so
 * that a lesson played on another model never silently says what that model does not do. */
static void player_claims(LessonPlayer *p, Session *s) {
    const LessonStep *st = &p->lesson.steps[p->step];
    p->claim_note[0] = 0;
    p->claims_broken = 0;
    for (int i = 0; i < st->n_claims; i++) {
        char msg[GB_ERRLEN], cerr[GB_ERRLEN];
        int r = claim_eval(&st->claims[i], s, &p->vocabs, NULL, msg, sizeof msg, cerr);
        if (r == 1) continue;
        size_t used = strlen(p->claim_note);
        if (p->claims_broken++ < 3)
            snprintf(p->claim_note + used, sizeof p->claim_note - used, "%s%s", used ? "; " : "", r == 0 ? msg : cerr);
    }
}

/* Computes the current step's expected answer right after its scene. */
static void player_prepare(LessonPlayer *p, Session *s) {
    if (p->has_answer) lesson_answer_free(&p->answer);
    p->has_answer = 0;
    p->answer_error[0] = 0;
    p->answered = p->right = p->tries = p->revealed = p->show_hint = p->scroll = 0;
    p->input[0] = p->feedback[0] = 0;
    player_claims(p, s);
    if (!p->lesson.steps[p->step].has_question) return;
    if (lesson_compute_answer(&p->lesson, p->step, s, &p->answer, p->answer_error) == 0) p->has_answer = 1;
}

/* The feedback shown after a wrong answer: the hint first, the answer after a second try or a reveal. */
static void wrong_feedback(LessonPlayer *p, const LessonQuestion *q, const char *measured) {
    if (p->revealed) {
        lesson_feedback(q, &p->answer, 0, p->feedback, sizeof p->feedback);
        return;
    }
    snprintf(p->feedback, sizeof p->feedback, "Not yet%s%s. %s", measured ? ": " : "", measured ? measured : "",
             q->hint ? "Read the hint and try again, or type :reveal." : "Try again, or type :reveal.");
}

int lesson_player_goto(LessonPlayer *p, int step, Session *s, Progress *prog, LessonScene *scene, char *err) {
    if (step < 0) step = 0;
    if (step >= p->lesson.n_steps) step = p->lesson.n_steps - 1;
    if (lesson_goto(&p->lesson, step, s, p->base_model, scene, err) != 0) return -1;
    p->step = step;
    player_prepare(p, s);
    if (prog) {
        progress_set_step(prog, p->lesson.name, step, p->lesson.n_steps);
        const ProgressAnswer *pa = progress_answer(progress_lesson(prog, p->lesson.name, 0), step);
        const LessonQuestion *q = &p->lesson.steps[step].q;
        if (pa && p->has_answer) { /* show what they answered last time */
            snprintf(p->input, sizeof p->input, "%s", pa->text);
            p->tries = pa->tries;
            p->revealed = pa->revealed;
            p->answered = pa->tries > 0;
            p->right = pa->right;
            p->show_hint = !pa->right && q->hint;
            if (p->right) lesson_feedback(q, &p->answer, 1, p->feedback, sizeof p->feedback);
            else if (p->answered || p->revealed) wrong_feedback(p, q, NULL);
        }
    }
    update_score(p, prog);
    return 0;
}

int lesson_player_open(LessonPlayer *p, const char *path, Session *s, Progress *prog, LessonScene *scene, char *err) {
    memset(p, 0, sizeof *p);
    if (lesson_load(&p->lesson, path, err) != 0) return -1;
    snprintf(p->base_model, sizeof p->base_model, "%s", s->model_path);
    int step = 0;
    const ProgressLesson *pl = prog ? progress_lesson(prog, p->lesson.name, 0) : NULL;
    if (pl && pl->step < p->lesson.n_steps) step = pl->step;
    if (lesson_player_goto(p, step, s, prog, scene, err) != 0) {
        lesson_player_close(p);
        return -1;
    }
    return 0;
}

/* A task: every check measured on the session with the student's input. 1 done, 0 not yet (the first
 * failing check's measurement in measured), -1 a check cannot be measured (measured says why). */
static int task_done(LessonPlayer *p, const LessonQuestion *q, Session *s, const char *input, char *measured,
                     size_t msz) {
    const char *in;
    size_t n;
    answer_trim_input(input, &in, &n); /* as a typed answer: edge blanks go, quotes keep what they hold */
    char *text = lesson_strndup(in, n);
    for (int i = 0; i < q->n_checks; i++) {
        char msg[GB_ERRLEN], cerr[GB_ERRLEN];
        int r = claim_eval(&q->checks[i], s, &p->vocabs, text, msg, sizeof msg, cerr);
        if (r == 1) continue;
        snprintf(measured, msz, "%s", r == 0 ? msg : cerr);
        free(text);
        return r;
    }
    free(text);
    return 1;
}

int lesson_player_answer(LessonPlayer *p, const char *input, Session *s, Progress *prog) {
    if (p->lesson.n_steps == 0) return -1;
    const LessonStep *st = &p->lesson.steps[p->step];
    if (!st->has_question) {
        snprintf(p->feedback, sizeof p->feedback, "This step asks nothing: press n for the next one.");
        p->answered = 0;
        return -1;
    }
    if (!p->has_answer) {
        snprintf(p->feedback, sizeof p->feedback, "This question cannot be checked here: %.900s", p->answer_error);
        return -1;
    }
    char msg[GB_ERRLEN] = "";
    int r;
    if (ANSWER_KINDS[st->q.kind].form == ANSWER_BY_DOING) {
        r = task_done(p, &st->q, s, input, msg, sizeof msg);
        if (r < 0) {
            snprintf(p->feedback, sizeof p->feedback, "%.900s", msg);
            return -1;
        }
    } else if ((r = lesson_check_answer(&st->q, &p->answer, input, msg, sizeof msg)) < 0) {
        snprintf(p->feedback, sizeof p->feedback, "%s", msg);
        return -1;
    }
    snprintf(p->input, sizeof p->input, "%s", input);
    p->answered = 1;
    p->right = r;
    p->tries++;
    if (!r && st->q.hint) p->show_hint = 1;
    if (!r && p->tries >= 2) p->revealed = 1;
    if (r) lesson_feedback(&st->q, &p->answer, 1, p->feedback, sizeof p->feedback);
    else wrong_feedback(p, &st->q, ANSWER_KINDS[st->q.kind].form == ANSWER_BY_DOING ? msg : NULL);
    if (prog) {
        progress_set_answer(prog, p->lesson.name, p->step, r, input);
        progress_set_attempts(prog, p->lesson.name, p->step, p->tries, p->revealed);
    }
    update_score(p, prog);
    return r;
}

int lesson_player_reveal(LessonPlayer *p, Progress *prog) {
    if (p->lesson.n_steps == 0 || !p->lesson.steps[p->step].has_question) return -1;
    const LessonQuestion *q = &p->lesson.steps[p->step].q;
    p->revealed = 1;
    if (!p->has_answer) snprintf(p->feedback, sizeof p->feedback, "It cannot be computed here: %.900s", p->answer_error);
    else if (!(p->answered && p->right)) lesson_feedback(q, &p->answer, 0, p->feedback, sizeof p->feedback);
    if (prog) {
        if (!progress_answer(progress_lesson(prog, p->lesson.name, 0), p->step))
            progress_set_answer(prog, p->lesson.name, p->step, 0, "");
        progress_set_attempts(prog, p->lesson.name, p->step, p->tries, 1);
    }
    update_score(p, prog);
    return 0;
}

void lesson_player_close(LessonPlayer *p) {
    if (p->has_answer) lesson_answer_free(&p->answer);
    lab_vocabs_free(&p->vocabs);
    lesson_free(&p->lesson);
    memset(p, 0, sizeof *p);
}

char *lesson_dir(char *out, size_t outsz) {
    const char *e = getenv("GLASSBOX_LESSONS");
    if (e && *e) snprintf(out, outsz, "%s", e);
    else snprintf(out, outsz, "%s/../lessons", gb_assets_dir());
    return out;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int lesson_list(const char *dir, char ***paths, char *err) {
    *paths = NULL;
    DIR *d = opendir(dir);
    if (!d) {
        gb_seterr(err, "%s: cannot open the lessons directory: %s", dir, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1000) {
        size_t len = strlen(e->d_name);
        if (len < 8 || e->d_name[0] == '.' || strcmp(e->d_name + len - 7, ".lesson") != 0) continue;
        *paths = gb_realloc(*paths, sizeof(char *) * (size_t)(n + 1));
        size_t pl = strlen(dir) + len + 2;
        (*paths)[n] = gb_malloc(pl);
        snprintf((*paths)[n], pl, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 1) qsort(*paths, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

void lesson_list_free(char **paths, int n) {
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
