/* `glassbox lesson check`: kept apart from lesson.c so that linking the lesson core (tests, the
 * TUI) does not pull in the command line's defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lesson.h"
#include "util.h"

// clang-format off
static const char LESSON_USAGE[] =
    "usage: glassbox lesson check [--model FILE] LESSON...\n"
    "Parses each lesson, replays every step's commands on the model, measures every expect: claim,\n"
    "computes the answer of every question and tries every task with its example. Problems are\n"
    "printed as FILE:LINE: message (a claim that does not hold: FILE:LINE: expected ..., measured\n"
    "...); the exit status is then 2. Answers that are easy to guess (more than half of a lesson's\n"
    "lettered answers on one letter, or the longest choice) get a warning.\n";
// clang-format on

static void print_report(void *ctx, int warning, const char *line) {
    (void)ctx;
    (void)warning;
    fprintf(stderr, "%s\n", line);
}

/* "a2 b3 c1": how the lesson's lettered answers are spread. */
static void letters(const LessonCheckStats *st, char *out, size_t outsz) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < LESSON_MAX_CHOICES && k < outsz; i++)
        if (st->letters[i])
            k += (size_t)snprintf(out + k, outsz - k, "%s%c%d", k ? " " : "", 'a' + i,
                                  st->letters[i]);
}

/* Checks one lesson on s, printing its problems or its tally. 0 when it passes. */
static int check_one(const char *file, Session *s, const char *model) {
    char err[GB_ERRLEN];
    double t0 = gb_now();
    LessonCheckStats st;
    if (lesson_check_report(file, s, model, print_report, NULL, &st, err) != 0) {
        if (st.problems > 1) /* a tally when there are several; one problem stays one line */
            fprintf(stderr, "%s: %d problems, %d of %d claims failed\n", file, st.problems,
                    st.claims_failed, st.claims);
        return -1;
    }
    char spread[64];
    letters(&st, spread, sizeof spread);
    printf("%s: ok (%d steps, %d claims, %d questions, %d tasks; lettered answers %s, %d longest; "
           "%.2f s)\n",
           file, st.steps, st.claims, st.questions, st.tasks, spread[0] ? spread : "none",
           st.longest, gb_now() - t0);
    return 0;
}

int cli_lesson(int argc, char **argv) {
    const char *model = cli_default_model();
    if (argc < 2) { /* no action: what there is to do */
        fputs(LESSON_USAGE, stderr);
        return GB_EXIT_USAGE;
    }
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &model),
    };
    static const char *const names[] = {"an action (check)"};
    const OptionSpec spec = {"lesson", LESSON_USAGE, opts, OPTIONS_COUNT(opts), names, 1, -1};
    const char **args = gb_malloc((size_t)argc * sizeof *args);
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r == OPTIONS_RUN && strcmp(args[0], "check") != 0) {
        fprintf(stderr, "glassbox: lesson: unknown action '%s' (see glassbox lesson --help)\n",
                args[0]);
        r = GB_EXIT_USAGE;
    } else if (r == OPTIONS_RUN && n_args < 2) {
        fprintf(stderr, "glassbox: lesson check: no lesson files given\n");
        r = GB_EXIT_USAGE;
    }
    if (r != OPTIONS_RUN) {
        free(args);
        return r;
    }
    Session s;
    char err[GB_ERRLEN];
    if (session_open(&s, model, 0, err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
        free(args);
        return GB_EXIT_USAGE;
    }
    model_limit_threads(&s.model);
    int bad = 0;
    for (int i = 1; i < n_args; i++)
        bad += check_one(args[i], &s, model) != 0;
    session_free(&s);
    free(args);
    return bad ? GB_EXIT_USAGE : GB_EXIT_OK;
}
