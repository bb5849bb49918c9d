/* `glassbox lesson check`: kept apart from lesson.c so that linking the lesson core (tests, the TUI)
 * does not pull in the command line's defaults. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lesson.h"
#include "util.h"

static void lesson_usage(FILE *f) {
    fprintf(f, "usage: glassbox lesson check [--model FILE] LESSON...\n"
               "Parses each lesson, replays every step's commands on the model and computes the answer of\n"
               "every question. Problems are printed as FILE:LINE: message; the exit status is then 2.\n");
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
        if (lesson_check(argv[i], &s, model, err) != 0) {
            fprintf(stderr, "%s\n", err);
            bad++;
        } else {
            printf("%s: ok (%.2f s)\n", argv[i], gb_now() - t0);
        }
    }
    session_free(&s);
    return bad ? GB_EXIT_USAGE : GB_EXIT_OK;
}
