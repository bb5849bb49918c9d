/* The sampler chain, the logit lens and span attention inside a session on the shipped model: the
 * last layer's lens is the model's own distribution at every position, the penalties see the
 * session's history, the span sums are the attention rows' own, and the views and the export show
 * what the session computed. */
#include <math.h>
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
#include "canvas.h"
#include "commands.h"
#include "export.h"
#include "keys.h"
#include "record.h"
#include "screen.h"
#include "session.h"
#include "util.h"
#include "view_lens.h"
#include "view_probs.h"

static void open_session(Session *s, const char *prompt) {
    char err[GB_ERRLEN], path[1024];
    snprintf(path, sizeof path, "%s/glassbox.gguf", gb_assets_dir());
    if (session_open(s, path, 0, err) != 0) fail_msg("%s", err);
    if (session_set_prompt(s, prompt, strlen(prompt), err) != 0) fail_msg("%s", err);
}

/* Whether any row of the canvas contains needle. */
static int canvas_has(const Canvas *c, const char *needle) {
    int found = 0;
    for (int y = 0; y < c->h && !found; y++) {
        char *row = canvas_row_text(c, y);
        found = strstr(row, needle) != NULL;
        free(row);
    }
    return found;
}

static void test_lens_is_the_model_at_the_last_layer(void **state) {
    (void)state;
    Session s;
    open_session(&s, "def add(a, b):");
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 4, err), 4);
    int L = s.model.config.n_layers;
    // The last position: the lens's last layer is the live distribution at T 1, in its order.
    const LensColumn *col = session_lens(&s, 5);
    assert_non_null(col);
    assert_int_equal(col->pos, s.n_tokens - 1);
    for (int i = 0; i < 5; i++) {
        const LensEntry *e = &col->top[(size_t)(L - 1) * 5 + i];
        assert_int_equal(e->id, s.next.order[i]);
        assert_true(fabs(e->prob - s.next.probs_t1[e->id]) < 1e-6);
    }
    assert_int_equal(col->chosen, s.next.order[0]);
    assert_int_equal(col->chosen_rank[L - 1], 1);
    // An earlier position follows the token that came next; its last layer is the step's own.
    int p = s.n_tokens - 3;
    assert_int_equal(session_select(&s, p, err), 0);
    col = session_lens(&s, 5);
    assert_int_equal(col->chosen, s.tokens[p + 1].id);
    const Distribution *d = &s.steps[p + 1].dist;
    assert_true(fabs(col->chosen_prob[L - 1] - d->probs_t1[col->chosen]) < 1e-6);
    int rank = 1;
    while (d->order[rank - 1] != col->chosen) rank++;
    assert_int_equal(col->chosen_rank[L - 1], rank);
    // The heat map's last layer row holds the same number; asking again reuses it.
    const float *heat = session_lens_heat(&s, col->chosen);
    assert_non_null(heat);
    assert_true(fabs(heat[(size_t)p * L + L - 1] - col->chosen_prob[L - 1]) < 1e-6);
    uint64_t at = s.lens_heat_at[p];
    assert_ptr_equal(session_lens_heat(&s, col->chosen), heat);
    assert_true(s.lens_heat_at[p] == at);
    // Stepping back and on rewrites the last positions: their columns are recomputed.
    session_back(&s, 2);
    assert_int_equal(session_step(&s, 2, err), 2);
    heat = session_lens_heat(&s, col->chosen);
    assert_true(s.lens_heat_at[s.n_tokens - 1] == s.written_at[s.n_tokens - 1]);
    session_free(&s);
}

static void test_session_penalties_and_chain(void **state) {
    (void)state;
    Session s;
    open_session(&s, "x = x + x + x");
    char err[GB_ERRLEN];
    assert_int_equal(session_set_sampler_value(&s, "repeat-penalty", 2.0, err), 0);
    assert_int_equal(session_set_sampler_value(&s, "presence-penalty", 0.5, err), 0);
    // Every token of the prompt is in the window: a positive logit is halved, less .5.
    const Distribution *d = &s.next;
    int32_t x = s.tokens[s.n_tokens - 1].id; // the last token, a repeated one
    float l = d->logits[x], want = (l <= 0 ? l * 2.0f : l / 2.0f) - 0.5f;
    assert_true(d->adjusted[x] == want);
    int32_t fresh = -1; // a token the prompt does not hold keeps its logit
    for (int32_t v = 0; v < d->vocab && fresh < 0; v++) {
        int seen = 0;
        for (int p = 0; p < s.n_tokens; p++) seen |= s.tokens[p].id == v;
        if (!seen) fresh = v;
    }
    assert_true(d->adjusted[fresh] == d->logits[fresh]);
    assert_int_equal(session_set_sampler_value(&s, "repeat-last-n", 0, err), 0);
    assert_true(s.next.adjusted[x] == s.next.logits[x]);
    assert_int_equal(session_set_sampler_value(&s, "min-p", 2.0, err), -1);
    assert_non_null(strstr(err, "min-p"));
    // The chain's order, reshaping the live step: top-p .5 at T 3 before or after the temperature.
    assert_int_equal(session_set_temp(&s, 3.0f, err), 0);
    assert_int_equal(session_set_topp(&s, 0.5f, err), 0);
    assert_int_equal(session_set_samplers(&s, "top-p,temp", err), 0);
    int kept_last = s.next.n_kept;
    assert_int_equal(session_set_samplers(&s, "temp,top-p", err), 0);
    assert_true(s.next.n_kept > kept_last); // a hotter distribution needs more tokens to reach .5
    assert_int_equal(session_set_samplers(&s, "temp,frob", err), -1);
    assert_int_equal(s.next.n_stages, 2);
    session_free(&s);
}

static void test_span_attention(void **state) {
    (void)state;
    Session s;
    open_session(&s, "for i in range(10):\n    print(i)");
    char err[GB_ERRLEN];
    int n = s.n_tokens, a = 2, b = 5;
    assert_int_equal(session_select_span(&s, b, a, err), 0); // either order; the focus on the second
    int f, l;
    assert_true(session_span(&s, &f, &l) && f == a && l == b);
    assert_int_equal(session_selected(&s), a);
    float *rec = calloc((size_t)n, sizeof *rec), *giv = calloc((size_t)n, sizeof *giv);
    double received, given;
    assert_int_equal(session_span_attention(&s, 1, 2, rec, giv, &received, &given), 0);
    double total = 0;
    for (int q = 0; q < n; q++) {
        const float *row = session_attention_row(&s, 1, 2, q);
        double want = 0;
        for (int k = a; k <= b; k++) want += k <= q ? row[k] : 0.0;
        assert_true(fabs(rec[q] - want) < 1e-6);
        total += want;
        if (q < a) assert_true(rec[q] == 0.0f); // a query before the span cannot see it
    }
    assert_true(fabs(received - total) < 1e-5);
    for (int k = 0; k < n; k++) {
        double want = 0;
        for (int q = a; q <= b; q++) want += k <= q ? session_attention_row(&s, 1, 2, q)[k] : 0.0;
        assert_true(fabs(giv[k] - want) < 1e-6);
        if (k > b) assert_true(giv[k] == 0.0f); // nor the span a key after it
    }
    assert_true(fabs(given - (b - a + 1)) < 1e-4); // every query's weights add up to one
    assert_int_equal(session_select_span(&s, 1, n, err), -1);
    assert_int_equal(session_select(&s, 3, err), 0); // a single focus ends the span
    assert_false(session_span(&s, &f, &l));
    assert_int_equal(session_span_attention(&s, 1, 2, rec, giv, &received, &given), -1);
    free(rec);
    free(giv);
    session_free(&s);
}

static void test_views_show_chain_and_lens(void **state) {
    (void)state;
    Session s;
    open_session(&s, "import os");
    char err[GB_ERRLEN];
    assert_int_equal(session_set_topp(&s, 0.9f, err), 0);
    assert_int_equal(session_step(&s, 3, err), 3);
    assert_int_equal(session_select(&s, s.n_tokens - 3, err), 0); // a step that was drawn
    UiState ui;
    ui_init(&ui);
    ui.colours = COLOURS_NONE;
    Canvas c;
    canvas_init(&c, 110, 44);
    canvas_clear(&c, (Style){0, 0, 0});
    ViewProbs_draw(&c, (Rect){0, 0, 110, 44}, &s, &ui);
    assert_true(canvas_has(&c, "the sampler chain: penalties,top-k,typical,top-p,min-p,temp"));
    assert_true(canvas_has(&c, "drawn "));
    char want[64];
    snprintf(want, sizeof want, "%d -", s.steps[s.n_tokens - 2].dist.stages[3].n_kept); // top-p: kept, removed
    assert_true(canvas_has(&c, want));
    canvas_clear(&c, (Style){0, 0, 0});
    ViewLens_draw(&c, (Rect){0, 0, 110, 44}, &s, &ui);
    assert_true(canvas_has(&c, "logit lens after"));
    assert_true(canvas_has(&c, "the token that came next"));
    canvas_free(&c);
    // The lens CSV: the followed token's last-layer probability is the step's own T = 1 probability.
    ExportBuf b = {0};
    assert_int_equal(export_render(&b, &s, &ui, VIEW_LENS, EXPORT_CSV, 100, 30, err), 0);
    int L = s.model.config.n_layers, p = s.n_tokens - 3;
    char line[64];
    snprintf(line, sizeof line, "\nchosen,%d,%d,", L - 1, p);
    const char *row = strstr(b.data, line);
    assert_non_null(row);
    char field[256];
    size_t len = strcspn(row + 1, "\n");
    assert_true(len < sizeof field);
    memcpy(field, row + 1, len);
    field[len] = 0;
    int32_t id = s.tokens[p + 1].id;
    assert_true(fabs(atof(strrchr(field, ',') + 1) - s.steps[p + 1].dist.probs_t1[id]) < 1e-6);
    assert_non_null(strstr(b.data, "\nheat,0,0,,"));
    export_buf_free(&b);
    // `o` puts the chain table on a short view too, and the probs CSV becomes the chain's.
    ui.chain = 1;
    Canvas small;
    canvas_init(&small, 90, 22);
    canvas_clear(&small, (Style){0, 0, 0});
    ViewProbs_draw(&small, (Rect){0, 0, 90, 22}, &s, &ui);
    assert_true(canvas_has(&small, "the sampler chain:"));
    canvas_free(&small);
    assert_int_equal(export_render(&b, &s, &ui, VIEW_PROBS, EXPORT_CSV, 100, 30, err), 0);
    assert_true(strncmp(b.data, "stage,name,active,in,kept,removed,temperature,row,id,token,prob,rank\n", 69) == 0);
    const Distribution *dd = &s.steps[p + 1].dist;
    snprintf(line, sizeof line, "\n4,top-p,1,%d,%d,", dd->stages[3].n_in, dd->stages[3].n_kept);
    assert_non_null(strstr(b.data, line));
    snprintf(line, sizeof line, ",drawn,%d,", (int)id);
    assert_non_null(strstr(b.data, line));
    export_buf_free(&b);
    ui.chain = 0;
    assert_int_equal(export_render(&b, &s, &ui, export_view_lookup("lens"), EXPORT_SVG, 100, 30, err), 0);
    assert_non_null(strstr(b.data, "</svg>"));
    export_buf_free(&b);
    ui_free(&ui);
    session_free(&s);
}

/* The TUI's requests for all of it, through apply as the prompt, keys and lessons make them. */
static void test_requests(void **state) {
    (void)state;
    Session s;
    open_session(&s, "for i in range(10):\n    print(i)");
    UiState ui;
    ui_init(&ui);
    App a = {.s = &s, .ui = &ui, .screen_w = 120, .screen_h = 40};
    assert_false(app_line(&a, "samplers top-p,temp") & RX_ERROR);
    char chain[128];
    assert_string_equal(sampler_chain_string(&s.sampler, chain, sizeof chain), "top-p,temp");
    assert_int_equal(s.next.n_stages, 2); // the live step re-shaped at once
    assert_int_equal(ui.view, VIEW_PROBS);
    assert_true(app_line(&a, "samplers temp,nope") & RX_ERROR);
    assert_non_null(strstr(ui.message, "unknown stage 'nope'"));
    assert_false(app_line(&a, "minp 0.1") & RX_ERROR);
    assert_false(app_line(&a, "typical 0.9") & RX_ERROR);
    assert_false(app_line(&a, "repeat 1.3") & RX_ERROR);
    assert_false(app_line(&a, "lastn 8") & RX_ERROR);
    assert_false(app_line(&a, "presence 0.5") & RX_ERROR);
    assert_false(app_line(&a, "frequency 0.25") & RX_ERROR);
    assert_true(s.sampler.min_p == 0.1f && s.sampler.typical_p == 0.9f && s.sampler.repeat_penalty == 1.3f);
    assert_true(s.sampler.repeat_last_n == 8 && s.sampler.presence_penalty == 0.5f &&
                s.sampler.frequency_penalty == 0.25f);
    assert_true(app_line(&a, "minp 2") & RX_ERROR);
    // A span: typed, formatted back as typed, grown with shift+arrows at the focused end.
    Command c;
    char err[GB_ERRLEN], line[64];
    assert_int_equal(commands_parse("select 2..5", &c, err), 0);
    assert_string_equal(command_format(&c, line, sizeof line), "select 2..5");
    command_free(&c);
    assert_int_equal(commands_parse("select 4", &c, err), 0);
    assert_string_equal(command_format(&c, line, sizeof line), "select 4");
    command_free(&c);
    assert_int_equal(commands_parse("select -1", &c, err), 0);
    command_free(&c);
    assert_int_equal(commands_parse("select 2..x", &c, err), -1);
    assert_int_equal(commands_parse("select -1..3", &c, err), -1);
    assert_false(app_line(&a, "select 2..5") & RX_ERROR);
    int f, l;
    assert_true(session_span(&s, &f, &l) && f == 2 && l == 5);
    assert_false(app_line(&a, "select 3") & RX_ERROR);
    assert_false(session_span(&s, &f, &l));
    assert_true(app_key(&a, GB_KEY_SRIGHT, err) >= 0);
    assert_true(app_key(&a, GB_KEY_SRIGHT, err) >= 0);
    assert_true(session_span(&s, &f, &l) && f == 3 && l == 5 && session_selected(&s) == 5);
    assert_true(app_key(&a, GB_KEY_SLEFT, err) >= 0);
    assert_true(session_span(&s, &f, &l) && f == 3 && l == 4);
    for (int i = 0; i < 3; i++) assert_true(app_key(&a, GB_KEY_SLEFT, err) >= 0); // past the anchor: flips
    assert_true(session_span(&s, &f, &l) && f == 1 && l == 3 && session_selected(&s) == 1);
    assert_true(app_key(&a, '5', err) >= 0);
    assert_int_equal(ui.view, VIEW_LENS);
    assert_true(app_key(&a, 'o', err) >= 0); // the chain table: on, the next-token view in front
    assert_true(ui.chain && ui.view == VIEW_PROBS);
    assert_true(app_key(&a, 'o', err) >= 0);
    assert_false(ui.chain);
    // A recording starts from these settings: its setup carries the chain and every knob changed.
    char path[96];
    snprintf(path, sizeof path, "/tmp/glassbox-test-lens-%d.lesson", (int)getpid());
    Recorder rec;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(record_start(&rec, path, &s, &ui, err), 0);
    record_stop(&rec);
    char *text;
    size_t len;
    assert_int_equal(gb_read_file(path, &text, &len, err), 0);
    const char *want[] = {"samplers top-p,temp", "minp 0.1", "typical 0.9", "repeat 1.3", "lastn 8", "presence 0.5",
                          "frequency 0.25", "select 3..1"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i])) fail_msg("the recording lacks '%s':\n%s", want[i], text);
    free(text);
    unlink(path);
    ui_free(&ui);
    session_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lens_is_the_model_at_the_last_layer),
        cmocka_unit_test(test_session_penalties_and_chain),
        cmocka_unit_test(test_span_attention),
        cmocka_unit_test(test_views_show_chain_and_lens),
        cmocka_unit_test(test_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
