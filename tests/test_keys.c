/* Key scripts played headless, the way tig replays its key scripts: keys go through the keymaps and
 * apply (apply.c) exactly as in the TUI, the frame is drawn into a canvas, and its text is compared
 * with what a person would see, without tmux. Also: a key and the command it stands for leave the
 * same screen; `[` stops at the first layer as :layer does; every mode's keys are in help; keys are
 * recorded as their commands. Uses the shipped model and course. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apply.h"
#include "keys.h"
#include "screen.h"
#include "util.h"

/* Everything the TUI holds but the terminal. */
typedef struct {
    Session s;
    UiState ui;
    Canvas c;
    LabUi lab;
    LessonUi lessons;
    Recorder rec;
    App app;
    int prompt_open;  /* ':' was pressed: keys now edit line */
    char line[4200];
    char state_dir[256];
} Tui;

static Tui *tui_open(int w, int h) {
    Tui *t = gb_calloc(1, sizeof *t);
    snprintf(t->state_dir, sizeof t->state_dir, "/tmp/gb-keys-XXXXXX");
    if (!mkdtemp(t->state_dir)) fail_msg("mkdtemp failed");
    setenv("XDG_STATE_HOME", t->state_dir, 1); /* the course's progress goes here, not to $HOME */
    char err[GB_ERRLEN], path[4096];
    snprintf(path, sizeof path, "%s/glassbox.gguf", gb_assets_dir());
    if (session_open(&t->s, path, 0, err) != 0) fail_msg("%s", err);
    if (session_set_prompt(&t->s, "def add(a, b):", 14, err) != 0) fail_msg("%s", err);
    ui_init(&t->ui);
    t->ui.colours = COLOURS_NONE;
    canvas_init(&t->c, w, h);
    lab_ui_init(&t->lab);
    lesson_ui_init(&t->lessons, &t->ui);
    t->app = (App){.s = &t->s, .ui = &t->ui, .lab = &t->lab, .lessons = &t->lessons, .rec = &t->rec,
                   .screen_w = w, .screen_h = h};
    return t;
}

static void tui_close(Tui *t) {
    record_stop(&t->rec);
    lesson_ui_free(&t->lessons);
    lab_ui_free(&t->lab);
    canvas_free(&t->c);
    ui_free(&t->ui);
    session_free(&t->s);
    char path[400];
    snprintf(path, sizeof path, "%s/glassbox/progress", t->state_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/glassbox", t->state_dir);
    rmdir(path);
    rmdir(t->state_dir);
    free(t);
}

static void draw(Tui *t) {
    lesson_ui_draw(&t->lessons, &t->c, &t->s, &t->ui);
    lab_ui_draw(&t->lab, &t->c, &t->s, &t->ui);
}

/* The key named at *p: a character, or <space> <bs> <enter> <esc> <up> <down> <left> <right> <pgup>
 * <pgdn> <home> <end> <tab>. */
static int next_key(const char **p) {
    static const struct {
        const char *name;
        int key;
    } NAMES[] = {{"<space>", ' '},         {"<bs>", GB_KEY_BACKSPACE}, {"<enter>", GB_KEY_ENTER},
                 {"<esc>", GB_KEY_ESC},    {"<up>", GB_KEY_UP},        {"<down>", GB_KEY_DOWN},
                 {"<left>", GB_KEY_LEFT},  {"<right>", GB_KEY_RIGHT},  {"<pgup>", GB_KEY_PGUP},
                 {"<pgdn>", GB_KEY_PGDN},  {"<home>", GB_KEY_HOME},    {"<end>", GB_KEY_END},
                 {"<tab>", GB_KEY_TAB}};
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strncmp(*p, NAMES[i].name, strlen(NAMES[i].name)) == 0) {
            *p += strlen(NAMES[i].name);
            return NAMES[i].key;
        }
    return (unsigned char)*(*p)++;
}

/* Plays a key script as the TUI would: ':' opens the command line (a stand-in for readline: keys
 * append, enter runs the line, esc cancels), every other key goes through the keymaps; a frame is
 * drawn after each key. */
static void play(Tui *t, const char *script) {
    const char *p = script;
    while (*p) {
        int key = next_key(&p);
        char err[GB_ERRLEN] = "";
        if (t->prompt_open) {
            size_t n = strlen(t->line);
            if (key == GB_KEY_ENTER) t->prompt_open = 0, app_line(&t->app, t->line);
            else if (key == GB_KEY_ESC) t->prompt_open = 0;
            else if (n + 1 < sizeof t->line) t->line[n] = (char)key, t->line[n + 1] = 0;
        } else {
            int rx = app_key(&t->app, key, err);
            if (rx > 0 && (rx & RX_ERROR)) ui_message(&t->ui, 1, "%s", err);
            if (rx > 0 && (rx & RX_PROMPT)) {
                t->prompt_open = 1;
                snprintf(t->line, sizeof t->line, "%s", t->app.prefill);
            }
        }
        draw(t);
    }
}

/* The frame as text, rows 0..rows-1 joined by newlines (malloc'ed). */
static char *screen_text(const Tui *t, int rows) {
    size_t cap = 1, len = 0;
    char *out = gb_malloc(cap);
    out[0] = 0;
    for (int y = 0; y < rows; y++) {
        char *row = canvas_row_text(&t->c, y);
        size_t n = strlen(row);
        out = gb_realloc(out, cap += n + 1);
        memcpy(out + len, row, n);
        len += n;
        out[len++] = '\n';
        out[len] = 0;
        free(row);
    }
    return out;
}

static void see(const Tui *t, const char *what) {
    int x, y;
    if (!canvas_find(&t->c, what, &x, &y)) {
        char *all = screen_text(t, t->c.h);
        fail_msg("'%s' is not on the screen:\n%s", what, all);
    }
}

/* Keys leave the screen their commands leave (the status message aside: the command line says ✓). */
static void same_screen(const char *keys, const char *commands) {
    Tui *a = tui_open(120, 36), *b = tui_open(120, 36);
    play(a, keys);
    play(b, commands);
    char *sa = screen_text(a, a->c.h - 1), *sb = screen_text(b, b->c.h - 1);
    if (strcmp(sa, sb) != 0) fail_msg("'%s' and '%s' differ:\n%s\n----\n%s", keys, commands, sa, sb);
    free(sa);
    free(sb);
    tui_close(a);
    tui_close(b);
}

static void test_key_is_its_command(void **state) {
    (void)state;
    same_screen("2]", ":view attention<enter>:layer 1<enter>");
    same_screen("2}}", ":view attention<enter>:head 2<enter>");
    same_screen("2[", ":view attention<enter>:layer 0<enter>"); /* the first layer: [ stays */
    same_screen(" ", ":step<enter>");
    same_screen("<home>", ":select 0<enter>");
    same_screen("3", ":view neighbours<enter>");
    same_screen("4+", ":view probs<enter>:temp 1.1<enter>");
    same_screen("  <bs>", ":step 2<enter>:back<enter>");
}

/* :defaults undoes every sampler setting: the distribution view is the untouched one again. */
static void test_defaults_resets_the_sampler(void **state) {
    (void)state;
    same_screen("4:temp 0.5<enter>:topk 3<enter>:minp 0.1<enter>:repeat 1.5<enter>:samplers top-k,temp<enter>"
                ":defaults<enter>",
                "4");
}

static void test_views_and_layers(void **state) {
    (void)state;
    Tui *t = tui_open(120, 36);
    play(t, "2");
    see(t, "\u2500 2 Attention \u2500");
    play(t, "]}");
    see(t, "L1 H1");
    play(t, "[[[[[["); /* stops at the first layer, as `:layer` accepts no less */
    see(t, "L0 H1");
    play(t, "]]]]]]]]]]");
    char last[16];
    snprintf(last, sizeof last, "L%d H1", t->s.model.config.n_layers - 1);
    see(t, last);
    play(t, "<tab>");
    see(t, "\u2500 3 Neighbours \u2500");
    play(t, ":view probs<enter>");
    see(t, "\u2500 4 Next token \u2500");
    play(t, ":layer 99<enter>");
    see(t, "layer");
    tui_close(t);
}

static void test_chooser_and_help(void **state) {
    (void)state;
    Tui *t = tui_open(120, 36);
    int before = t->s.n_tokens;
    play(t, "p");
    see(t, "Pick the next token");
    play(t, "<down><enter>");
    assert_int_equal(t->s.n_tokens, before + 1);
    assert_int_equal(t->ui.chooser, 0);
    play(t, "p<esc>");
    assert_int_equal(t->ui.chooser, 0);
    assert_int_equal(t->s.n_tokens, before + 1);
    play(t, "<bs>");
    assert_int_equal(t->s.n_tokens, before);
    play(t, "e");
    assert_true(t->prompt_open);
    assert_string_equal(t->line, "prompt \"def add(a, b):\"");
    play(t, "<esc>?");
    see(t, "Help: keys and commands");
    see(t, "generate one token");
    play(t, "<pgdn><pgdn><pgdn><pgdn><pgdn><pgdn><pgdn><pgdn><pgdn><pgdn>");
    see(t, "answer TEXT"); /* lesson mode's commands, at the end */
    play(t, "q");
    assert_int_equal(t->ui.help, 0);
    tui_close(t);
    /* a tall screen shows every mode's heading at once */
    t = tui_open(120, 120);
    play(t, "?");
    for (int m = 0; m < KEYMAP_COUNT; m++) see(t, keymap_heading(m));
    for (int i = 0; i < commands_count(); i++) see(t, commands_usage(i));
    tui_close(t);
}

static void test_lesson_keys(void **state) {
    (void)state;
    Tui *t = tui_open(160, 45);
    char err[GB_ERRLEN];
    if (lesson_ui_open_number(&t->lessons, 1, &t->s, &t->ui, err) != 0) fail_msg("%s", err);
    draw(t);
    see(t, "step 1/");
    see(t, "n p next/previous step"); /* the status line names the lesson's keys */
    play(t, "n");
    see(t, "step 2/");
    play(t, "p"); /* in a lesson p is the previous step ... */
    see(t, "step 1/");
    assert_int_equal(t->ui.chooser, 0);
    play(t, ":prompt x = 1<enter>P"); /* ... and P picks */
    see(t, "Pick the next token");
    play(t, "<esc>:lessons<enter>");
    see(t, "\u2500 Lessons \u2500");
    play(t, "<down><up><esc>");
    assert_int_equal(t->lessons.menu, 0);
    tui_close(t);
}

static void test_keys_are_recorded_as_commands(void **state) {
    (void)state;
    Tui *t = tui_open(120, 36);
    char path[300], err[GB_ERRLEN];
    snprintf(path, sizeof path, "/tmp/gb-keys-%ld.lesson", (long)getpid());
    if (record_start(&t->rec, path, &t->s, &t->ui, err) != 0) fail_msg("%s", err);
    play(t, "2] +[[<right>");
    char *text = NULL;
    size_t len = 0;
    if (gb_read_file(path, &text, &len, err) != 0) fail_msg("%s", err);
    const char *want[] = {"> view attention\n", "> layer 1\n", "> step\n", "> temp 1.1\n", "> layer 0\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i])) fail_msg("the recording lacks '%s':\n%s", want[i], text);
    free(text);
    unlink(path);
    tui_close(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_is_its_command),
        cmocka_unit_test(test_defaults_resets_the_sampler),
        cmocka_unit_test(test_views_and_layers),
        cmocka_unit_test(test_chooser_and_help),
        cmocka_unit_test(test_lesson_keys),
        cmocka_unit_test(test_keys_are_recorded_as_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
