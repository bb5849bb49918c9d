/* `glassbox lesson check`: a lesson checked against itself on a model. Every step's scene is replayed,
 * every claim measured, every computable question's expected answer fed back to its own checker, every
 * task tried without and with its example, and the spread of the lettered answers looked at. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lesson_internal.h"
#include "util.h"

typedef struct {
    const char *path;
    LessonReportFn report;
    void *ctx;
    LessonCheckStats *st;
    char *err; /* the first problem */
} Checker;

static void problem(Checker *k, int warning, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(Checker *k, int warning, const char *fmt, ...) {
    char line[GB_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (warning) k->st->warnings++;
    else if (k->st->problems++ == 0) gb_seterr(k->err, "%s", line);
    if (k->report) k->report(k->ctx, warning, line);
}

/* Measures every claim of a list; each one that fails or cannot be measured is a problem. */
static void check_claims(Checker *k, const Claim *claims, int n, Session *s, LabVocabs *v, const char *input) {
    for (int i = 0; i < n; i++) {
        char msg[GB_ERRLEN], cerr[GB_ERRLEN];
        int r = claim_eval(&claims[i], s, v, input, msg, sizeof msg, cerr);
        k->st->claims++;
        if (r == 1) continue;
        k->st->claims_failed++;
        if (r == 0) problem(k, 0, "%s:%d: %s", k->path, claims[i].line, msg);
        else problem(k, 0, "%s:%d: %s", k->path, claims[i].line, cerr);
    }
}

/* A task: not done by the scene alone, done by its example. The example's commands change the session,
 * so the step is replayed afterwards. */
static void check_task(Checker *k, const Lesson *l, int step, Session *s, const char *base_model, LabVocabs *v) {
    const LessonQuestion *q = &l->steps[step].q;
    int done = 1;
    for (int i = 0; i < q->n_checks && done; i++) {
        char cerr[GB_ERRLEN];
        done = claim_eval(&q->checks[i], s, v, "", NULL, 0, cerr) == 1;
    }
    if (done) problem(k, 0, "%s:%d: the task is done before the student does anything", k->path, q->line);
    for (int i = 0; i < q->n_example_cmds; i++) {
        char cerr[GB_ERRLEN] = "";
        if (commands_run(s, &q->example_cmds[i].cmd, cerr) == CMDR_ERROR)
            problem(k, 0, "%s:%d: %s", k->path, q->example_cmds[i].line, cerr);
    }
    int before = k->st->claims_failed;
    check_claims(k, q->checks, q->n_checks, s, v, q->example ? q->example : "");
    if (k->st->claims_failed > before)
        problem(k, 0, "%s:%d: the task's example does not do the task", k->path, q->line);
    char gerr[GB_ERRLEN];
    if (q->n_example_cmds && lesson_goto(l, step, s, base_model, NULL, gerr) != 0) problem(k, 0, "%s", gerr);
}

/* Counts a lettered question's right letter, and whether its right choice is the longest. */
static void count_letters(Checker *k, const LessonQuestion *q, const LessonAnswer *a) {
    int right = -1;
    for (int i = 0; i < q->n_choices && right < 0; i++)
        if (a->right[i]) right = i;
    if (right < 0) return;
    k->st->lettered++;
    k->st->letters[right]++;
    int longest = 1;
    for (int i = 0; i < q->n_choices; i++)
        if (i != right && q->choices[i].len >= q->choices[right].len) longest = 0;
    k->st->longest += longest;
}

/* Answers a student can guess without thinking: more than half on one letter, or on the longest choice. */
static void check_spread(Checker *k) {
    LessonCheckStats *st = k->st;
    if (st->lettered < 2) return;
    for (int i = 0; i < LESSON_MAX_CHOICES; i++)
        if (2 * st->letters[i] > st->lettered)
            problem(k, 1, "%s: warning: %d of the %d lettered answers are %c: spread them over the positions",
                    k->path, st->letters[i], st->lettered, lesson_choice_letter(i));
    if (2 * st->longest > st->lettered)
        problem(k, 1, "%s: warning: %d of the %d lettered answers are the longest choice", k->path, st->longest,
                st->lettered);
}

static void check_question(Checker *k, const Lesson *l, int i, Session *s, const char *base_model, LabVocabs *v) {
    const LessonQuestion *q = &l->steps[i].q;
    LessonAnswer a;
    char aerr[GB_ERRLEN];
    k->st->questions++;
    if (lesson_compute_answer(l, i, s, &a, aerr) != 0) {
        problem(k, 0, "%s", aerr);
        return;
    }
    if (ANSWER_KINDS[q->kind].form == ANSWER_BY_DOING) {
        k->st->tasks++;
        check_task(k, l, i, s, base_model, v);
    } else {
        char input[300], msg[200];
        answer_example_input(q, &a, input, sizeof input);
        if (lesson_check_answer(q, &a, input, msg, sizeof msg) != 1)
            problem(k, 0, "%s:%d: the expected answer %s is not accepted by its own question", k->path, q->line, a.shown);
        if (q->n_choices) count_letters(k, q, &a);
    }
    lesson_answer_free(&a);
}

int lesson_check_report(const char *path, Session *s, const char *base_model, LessonReportFn report, void *ctx,
                        LessonCheckStats *stats, char *err) {
    LessonCheckStats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    Lesson l;
    if (lesson_load(&l, path, err) != 0) {
        stats->problems = 1;
        if (report) report(ctx, 0, err);
        return -1;
    }
    Checker k = {.path = path, .report = report, .ctx = ctx, .st = stats, .err = err};
    LabVocabs vocabs = {0};
    char rerr[GB_ERRLEN];
    stats->steps = l.n_steps;
    int ready = lesson_reset_session(s, base_model, rerr) == 0;
    if (!ready) problem(&k, 0, "%s: %s", path, rerr);
    for (int i = 0; ready && i < l.n_steps; i++) {
        char serr[GB_ERRLEN];
        if (lesson_run_step(&l, i, s, NULL, serr) != 0) { /* later steps build on this one: stop */
            problem(&k, 0, "%s", serr);
            break;
        }
        check_claims(&k, l.steps[i].claims, l.steps[i].n_claims, s, &vocabs, NULL);
        if (l.steps[i].has_question) check_question(&k, &l, i, s, base_model, &vocabs);
    }
    check_spread(&k);
    lab_vocabs_free(&vocabs);
    lesson_free(&l);
    return stats->problems ? -1 : 0;
}

int lesson_check(const char *path, Session *s, const char *base_model, char *err) {
    return lesson_check_report(path, s, base_model, NULL, NULL, NULL, err);
}
