/* The tokenizer lab's TUI panel drawn headless: the compare panel has a row per tokenizer with the
 * count the encoder gives; the merges panel steps forward and back with its keys and ends on the
 * encoder's tokens; names lists every style; esc closes; the rank files load only when a panel opens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"
#include "screen.h"
#include "session.h"
#include "util.h"
#include "view_lab.h"

typedef struct {
    Session s;
    UiState ui;
    Canvas c;
    LabUi lab;
} Fixture;

static int setup(void **state) {
    Fixture *f = calloc(1, sizeof *f);
    char err[GB_ERRLEN], path[4096];
    snprintf(path, sizeof path, "%s/glassbox.gguf", gb_assets_dir());
    if (session_open(&f->s, path, 0, err) != 0) fail_msg("%s", err);
    ui_init(&f->ui);
    canvas_init(&f->c, 120, 40);
    lab_ui_init(&f->lab);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    lab_ui_free(&f->lab);
    canvas_free(&f->c);
    ui_free(&f->ui);
    session_free(&f->s);
    free(f);
    return 0;
}

static void draw(Fixture *f) {
    screen_draw(&f->c, &f->s, &f->ui);
    lab_ui_draw(&f->lab, &f->c, &f->s, &f->ui);
}

static int count_of(const Tokenizer *t, const char *text) {
    char err[GB_ERRLEN];
    TokenSpan *spans = NULL;
    int n = tokenizer_encode(t, text, strlen(text), &spans, err);
    free(spans);
    return n;
}

static void test_compare_rows(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    for (int i = 0; i < LAB_N_SHIPPED; i++) assert_null(f->lab.vocabs.tok[i]); /* nothing read yet */
    const char *text = "def get_user_name(self):";
    assert_int_equal(lab_ui_open(&f->lab, LAB_PANEL_COMPARE, text, strlen(text), &f->s, err), 0);
    draw(f);
    int x, y;
    assert_true(canvas_find(&f->c, "Tokenizer lab: compare", &x, &y));
    for (int k = 0; k < LAB_PANEL_ROWS; k++) {
        const Tokenizer *t = lab_ui_tokenizer(&f->lab, &f->s, k);
        assert_non_null(t);
        char want[64];
        snprintf(want, sizeof want, "%5d tokens", count_of(t, text));
        assert_true(canvas_find(&f->c, lab_ui_label(k), &x, &y));
        char *row = canvas_row_text(&f->c, y);
        if (!strstr(row, want) || !strstr(row, "def\u00b7get_user_name")) fail_msg("row %d: \"%s\" lacks \"%s\"", k, row, want);
        free(row);
    }
    assert_int_equal(lab_ui_key(&f->lab, GB_KEY_ESC, &f->s, &f->ui), 1);
    assert_int_equal(f->lab.kind, LAB_PANEL_NONE);
    draw(f);
    assert_false(canvas_find(&f->c, "Tokenizer lab", &x, &y));
    assert_int_equal(lab_ui_key(&f->lab, ' ', &f->s, &f->ui), 0); /* closed: keys go to the views */
}

static void test_merges_steps(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    assert_int_equal(lab_ui_open(&f->lab, LAB_PANEL_EXPLAIN, "tokenization", 12, &f->s, err), 0);
    int total = f->lab.replay.total_merges;
    assert_true(total > 0);
    draw(f);
    int x, y;
    assert_true(canvas_find(&f->c, "merge 0 of", &x, &y));
    assert_true(canvas_find(&f->c, "12 parts:", &x, &y));
    assert_int_equal(lab_ui_key(&f->lab, GB_KEY_RIGHT, &f->s, &f->ui), 1);
    draw(f);
    assert_true(canvas_find(&f->c, "merge 1 of", &x, &y));
    assert_true(canvas_find(&f->c, "11 parts:", &x, &y));
    assert_true(canvas_find(&f->c, "last merge: rank", &x, &y));
    lab_ui_key(&f->lab, GB_KEY_BACKSPACE, &f->s, &f->ui);
    lab_ui_key(&f->lab, GB_KEY_LEFT, &f->s, &f->ui); /* not below 0 */
    assert_int_equal(f->lab.step, 0);
    lab_ui_key(&f->lab, GB_KEY_END, &f->s, &f->ui);
    assert_int_equal(f->lab.step, total);
    lab_ui_key(&f->lab, ' ', &f->s, &f->ui); /* not past the end */
    assert_int_equal(f->lab.step, total);
    draw(f);
    char want[64];
    snprintf(want, sizeof want, "done: %d tokens", count_of(f->s.tok, "tokenization"));
    assert_true(canvas_find(&f->c, want, &x, &y));
    /* t: the same word under GPT-2, from the start */
    assert_int_equal(lab_ui_key(&f->lab, 't', &f->s, &f->ui), 1);
    assert_int_equal(f->lab.which, 1);
    assert_int_equal(f->lab.step, 0);
    lab_ui_key(&f->lab, GB_KEY_END, &f->s, &f->ui);
    draw(f);
    snprintf(want, sizeof want, "done: %d tokens", count_of(f->lab.vocabs.tok[LAB_R50K], "tokenization"));
    assert_true(canvas_find(&f->c, want, &x, &y));
    assert_true(canvas_find(&f->c, "under GPT-2 (r50k)", &x, &y));
    lab_ui_close(&f->lab);
    /* a chunk too long to replay: the panel stays closed and says why */
    char *big = malloc(5000);
    memset(big, 'x', 5000);
    assert_int_equal(lab_ui_open(&f->lab, LAB_PANEL_EXPLAIN, big, 5000, &f->s, err), -1);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(f->lab.kind, LAB_PANEL_NONE);
    free(big);
}

static void test_names_panel(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    const char *id = "user_authentication_token";
    assert_int_equal(lab_ui_open(&f->lab, LAB_PANEL_NAMES, id, strlen(id), &f->s, err), 0);
    draw(f);
    int x, y;
    for (int st = 0; st < STYLE_COUNT; st++) assert_true(canvas_find(&f->c, lab_style_name(st), &x, &y));
    assert_true(canvas_find(&f->c, "words: user authentication token", &x, &y));
    assert_true(canvas_find(&f->c, "split under model", &x, &y));
    lab_ui_key(&f->lab, 't', &f->s, &f->ui);
    draw(f);
    assert_true(canvas_find(&f->c, "split under GPT-2 (r50k)", &x, &y));
    /* a small terminal: nothing drawn outside the canvas (ASan watches) */
    canvas_resize(&f->c, 80, 24);
    draw(f);
    canvas_resize(&f->c, 30, 9);
    draw(f);
    lab_ui_close(&f->lab);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_rows),
        cmocka_unit_test(test_merges_steps),
        cmocka_unit_test(test_names_panel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
