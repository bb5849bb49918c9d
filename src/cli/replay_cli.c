/* glassbox replay: plays back a session recorded in the TUI (`record FILE`), in the TUI's lesson
 * pane a step a key, or --headless as every step's screen in text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "cli.h"
#include "files.h"
#include "lesson.h"
#include "record.h"
#include "screen.h"
#include "session.h"
#include "util.h"

// clang-format off
static const char REPLAY_USAGE[] =
    "usage: glassbox replay [--headless] [--model FILE] [--width W] [--height H] FILE\n"
    "Plays back a recording made with the TUI's `record FILE` (any lesson file plays too): the TUI\n"
    "opens it in the lesson pane, one step a key (n next, p previous); --headless instead prints every\n"
    "step's screen (W x H cells, default 120 x 36) as text, so two replays can be compared. The model\n"
    "is the one the recording names (or --model FILE); when its sha256 differs from the recorded one,\n"
    "that is said before anything plays.\n";
// clang-format on

/* Prints step i's screen as text. */
static void print_screen(Session *s, UiState *ui, int w, int h, int step, int n_steps,
                         const char *title) {
    Canvas c;
    canvas_init(&c, w, h);
    ui->colours = COLOURS_NONE;
    screen_draw(&c, s, ui);
    printf("==== step %d/%d: %s\n", step + 1, n_steps, title);
    for (int y = 0; y < c.h; y++) {
        char *row = canvas_row_text(&c, y);
        printf("%s\n", row);
        free(row);
    }
    canvas_free(&c);
}

/* The model to replay on: model_path when given, else the one the recording names, else the
 * default; says so when its sha256 is not the recorded one. NULL after a message. */
static const char *replay_model(const char *model_path, const char *file, char *rec_model,
                                size_t rec_sz) {
    char *text = NULL, err[GB_ERRLEN];
    size_t len = 0;
    if (gb_read_input(GB_INPUT_RECORDING, file, &text, &len, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        return NULL;
    }
    char rec_sha[65], sha[65];
    record_header(text, rec_model, rec_sz, rec_sha);
    free(text);
    if (!model_path) model_path = rec_model[0] ? rec_model : cli_default_model();
    if (record_file_sha256(model_path, sha, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        return NULL;
    }
    if (rec_sha[0] && strcmp(sha, rec_sha) != 0)
        fprintf(stderr,
                "glassbox: replay: %s is not the model this was recorded on (sha256 %.12s…, "
                "recorded %.12s… on %s): "
                "the screens may differ\n",
                model_path, sha, rec_sha, rec_model[0] ? rec_model : "?");
    return model_path;
}

/* --headless: every step of the lesson at file, applied as recorded, its screen printed. */
static int replay_headless(const char *file, const char *model_path, int width, int height) {
    char err[GB_ERRLEN];
    Lesson l;
    if (lesson_load(&l, file, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        return GB_EXIT_USAGE;
    }
    Session s;
    if (session_open(&s, model_path, 0, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        lesson_free(&l);
        return GB_EXIT_USAGE;
    }
    UiState ui;
    ui_init(&ui);
    int rc = GB_EXIT_OK;
    if (lesson_reset_session(&s, NULL, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        rc = GB_EXIT_USAGE;
    }
    for (int i = 0; i < l.n_steps && rc == GB_EXIT_OK; i++) {
        const LessonStep *st = &l.steps[i];
        for (int k = 0; k < st->n_cmds; k++) {
            if (record_apply(&s, &ui, &st->cmds[k].cmd, err) == CMDR_ERROR) {
                fprintf(stderr, "glassbox: replay: %s:%d: %s\n", file, st->cmds[k].line, err);
                rc = GB_EXIT_USAGE;
                break;
            }
        }
        if (rc == GB_EXIT_OK) print_screen(&s, &ui, width, height, i, l.n_steps, st->title);
    }
    ui_free(&ui);
    session_free(&s);
    lesson_free(&l);
    if (rc == GB_EXIT_OK && fflush(stdout) != 0) rc = GB_EXIT_FAIL;
    return rc;
}

int cli_replay(int argc, char **argv) {
    const char *model_path = NULL;
    int width = 120, height = 36;
    bool headless = false;
    const Option opts[] = {
        OPTION_FLAG("--headless", &headless),
        OPTION_STRING("--model", "-m", &model_path),
        OPTION_INT("--width", &width, SCREEN_MIN_W, 1000),
        OPTION_INT("--height", &height, SCREEN_MIN_H, 1000),
    };
    static const char *const names[] = {"FILE"};
    const OptionSpec spec = {"replay", REPLAY_USAGE, opts, OPTIONS_COUNT(opts), names, 1, 1};
    const char *file;
    int n_args, r = options_parse(&spec, argc, argv, &file, &n_args);
    if (r != OPTIONS_RUN) return r;
    char rec_model[1024];
    if (!(model_path = replay_model(model_path, file, rec_model, sizeof rec_model)))
        return GB_EXIT_USAGE;
    if (!headless) { /* the TUI's lesson mode: a step a key */
        char *args[] = {"tui", "--model", (char *)model_path, "--lesson", (char *)file, NULL};
        return cli_tui(5, args);
    }
    return replay_headless(file, model_path, width, height);
}
