/* `glassbox lesson check`: kept apart from lesson.c so that linking the lesson core (tests, the TUI)
 * does not pull in the command line's defaults. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lesson.h"
#include "util.h"

static void lesson_usage(FILE *f) {
    fprintf(f, "usage: glassbox lesson check [--model FILE] LESSON...\n"
               "Parses each lesson, replays every step's commands on the model, measures every expect: claim,\n"
               "computes the answer of every question and tries every task with its example. Problems are\n"
               "printed as FILE:LINE: message (a claim that does not hold: FILE:LINE: expected ..., measured\n"
               "...); the exit status is then 2. Answers that are easy to guess (more than half of a lesson's\n"
               "lettered answers on one letter, or the longest choice) get a warning.\n");
}

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
        if (st->letters[i]) k += (size_t)snprintf(out + k, outsz - k, "%s%c%d", k ? " " : "", 'a' + i, st->letters[i]);
}

int cli_lesson(int argc, char **argv) {
    const char *model = cli_default_model();
    int first = -1, n_files = 0;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        lesson_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GB_EXIT_USAGE : GB_EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "glassbox: lesson: unknown action '%s' (see glassbox lesson --help)\n", argv[1]);
        return GB_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "glassbox: lesson check: --model needs a file\n");
                return GB_EXIT_USAGE;
            }
            model = argv[++i];
        } else if (strncmp(argv[i], "--model=", 8) == 0) {
            model = argv[i] + 8;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            lesson_usage(stdout);
            return GB_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "glassbox: lesson check: unknown option '%s'\n", argv[i]);
            return GB_EXIT_USAGE;
        } else {
            if (first < 0) first = i;
            n_files++;
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "glassbox: lesson check: no lesson files given\n");
        return GB_EXIT_USAGE;
    }
    Session s;
    char err[GB_ERRLEN];
    if (session_open(&s, model, 0, err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
        return GB_EXIT_USAGE;
    }
    model_limit_threads(&s.model);
    int bad = 0;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) {
            i++;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) continue;
        double t0 = gb_now();
        LessonCheckStats st;
        if (lesson_check_report(argv[i], &s, model, print_report, NULL, &st, err) != 0) {
            if (st.problems > 1) /* a tally when there are several; one problem stays one line */
                fprintf(stderr, "%s: %d problems, %d of %d claims failed\n", argv[i], st.problems, st.claims_failed,
                        st.claims);
            bad++;
        } else {
            char spread[64];
            letters(&st, spread, sizeof spread);
            printf("%s: ok (%d steps, %d claims, %d questions, %d tasks; lettered answers %s, %d longest; %.2f s)\n",
                   argv[i], st.steps, st.claims, st.questions, st.tasks, spread[0] ? spread : "none", st.longest,
                   gb_now() - t0);
        }
    }
    session_free(&s);
    return bad ? GB_EXIT_USAGE : GB_EXIT_OK;
}
