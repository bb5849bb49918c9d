/* Tests of the instructor kit's core: the explained softmax against a softmax computed here by hand,
 * teacher-forced scores against the session's own steps, the canvas exports (plain text equals the
 * canvas rows, SVG escapes what XML needs escaped, ANSI resets its colours), the probs CSV against the
 * distribution, and a recording that parses as a lesson and replays to the same tokens. The model is
 * a small random one with a BPE vocabulary trained here. */
#include <locale.h>
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

#include "bpe_train.h"
#include "canvas.h"
#include "commands.h"
#include "explain.h"
#include "export.h"
#include "lesson.h"
#include "record.h"
#include "sampler.h"
#include "score.h"
#include "screen.h"
#include "session.h"
#include "tokenizer.h"
#include "util.h"

static const char *CORPUS[] = {
    "the cat sat on the mat. the dog sat on the log. a cat and a dog met on the mat.\n",
    "def add(a, b):\n\treturn a + b\n\ndef sub(a, b):\n\treturn a - b\n",
};
#define N_CORPUS (sizeof CORPUS / sizeof *CORPUS)

static Tokenizer *train_tokenizer(void) {
    size_t lens[N_CORPUS];
    for (size_t i = 0; i < N_CORPUS; i++) lens[i] = strlen(CORPUS[i]);
    char err[GB_ERRLEN];
    Tokenizer *t = bpe_train(CORPUS, lens, N_CORPUS, 300, PRETOK_GPT2, err);
    if (!t) fail_msg("bpe_train: %s", err);
    return t;
}

static Config small_config(int vocab) {
    Config c = {0};
    c.dim = 32;
    c.hidden_dim = 64;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.rope_dim = 8;
    c.vocab_size = vocab;
    c.context_length = 64;
    c.seq_len = 64;
    c.rope_base = 10000.0f;
    c.norm_eps = 1e-5f;
    return c;
}

/* A random model written to a GGUF file (recordings name a file and its hash). */
static void write_model(const char *path) {
    Tokenizer *tok = train_tokenizer();
    Config cfg = small_config(tokenizer_vocab_size(tok));
    Model m;
    char err[GB_ERRLEN];
    if (model_init_random(&m, &cfg, 3, err) != 0) fail_msg("%s", err);
    size_t n = (size_t)cfg.vocab_size * cfg.dim;
    for (size_t i = 0; i < n; i++) matrix_floats(m.weights.token_embd)[i] *= 40.0f; /* peaked distributions */
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, &m, GGML_TYPE_F32);
    tokenizer_add_to_writer(w, tok);
    if (gguf_writer_write(w, path, err) != 0) fail_msg("%s", err);
    gguf_writer_free(w);
    model_free(&m);
    tokenizer_free(tok);
}

static char g_model[64];

static int setup(void **state) {
    (void)state;
    snprintf(g_model, sizeof g_model, "/tmp/glassbox-test-kit-%d.gguf", (int)getpid());
    write_model(g_model);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(g_model);
    return 0;
}

static void open_session(Session *s, const char *prompt) {
    char err[GB_ERRLEN];
    if (session_open(s, g_model, 0, err) != 0) fail_msg("%s", err);
    if (session_set_prompt(s, prompt, strlen(prompt), err) != 0) fail_msg("%s", err);
}

/* ---- explain ---- */

/* The softmax of six hand-made logits, worked out here in long double, against the explanation. */
static void test_explain_by_hand(void **state) {
    (void)state;
    const float logits[6] = {1.5f, -0.25f, 3.0f, 0.75f, 3.0f, -2.0f};
    const int want_order[6] = {2, 4, 0, 3, 1, 5}; /* logit descending, ties by id */
    Distribution d;
    distribution_init(&d, 6);
    Sampler s;
    for (int variant = 0; variant < 3; variant++) {
        float T = variant == 0 ? 0.7f : variant == 1 ? 1.0f : 2.5f;
        int top_k = variant == 1 ? 3 : 0;
        sampler_init(&s, T, top_k, 1.0f, 1);
        Explanation e;
        explain_logits(&e, &d, logits, &s, 6);
        long double sum = 0, w[6];
        for (int i = 0; i < 6; i++) sum += w[i] = expl((long double)logits[i] / T - 3.0L / T);
        assert_true(fabs(e.sum - (double)sum) < 1e-9);
        assert_true(fabs(e.max_scaled - 3.0 / T) < 1e-6);
        long double kept_sum = 0;
        int keep = top_k ? top_k : 6;
        for (int r = 0; r < keep; r++) kept_sum += w[want_order[r]];
        assert_true(fabs(e.kept_sum - (double)kept_sum) < 1e-9);
        assert_int_equal(e.n_kept, keep);
        for (int r = 0; r < 6; r++) {
            const ExplainRow *row = &e.rows[r];
            int id = want_order[r];
            assert_int_equal(row->id, id);
            assert_true(fabs(row->scaled - logits[id] / (double)T) < 1e-6);
            assert_true(fabs(row->weight - (double)w[id]) < 1e-9);
            assert_true(fabs(row->prob - (double)(w[id] / sum)) < 1e-9);
            double kp = r < keep ? (double)(w[id] / kept_sum) : 0.0;
            assert_true(fabs(row->kept_prob - kp) < 1e-9);
            assert_true(fabs(row->kept_prob - d.probs[id]) < 1e-6); /* the sampler agrees */
        }
        explanation_free(&e);
    }
    /* T = 0: the first of the tied top logits takes everything, no arithmetic */
    sampler_init(&s, 0.0f, 0, 1.0f, 1);
    Explanation e;
    explain_logits(&e, &d, logits, &s, 3);
    assert_int_equal(e.n_rows, 3);
    assert_int_equal(e.rows[0].id, 2);
    assert_true(e.rows[0].kept_prob == 1.0 && e.rows[1].kept_prob == 0.0);
    assert_true(isnan(e.rows[0].weight));
    explanation_free(&e);
    distribution_free(&d);
}

/* ---- score ---- */

/* score_tokens on the model equals what the session's steps stored for the same tokens; the CLI's
 * tokenisation (prompt and continuation apart) and score_session's agree. */
static void test_score_matches_session(void **state) {
    (void)state;
    Session s;
    open_session(&s, "the cat");
    char err[GB_ERRLEN];
    assert_int_equal(score_session(&s, " sat on the mat", 15, err), 0);
    ScoreResult a;
    score_from_session(&a, &s);
    assert_true(a.n > 1);
    assert_int_equal(a.n, s.n_tokens - s.n_prompt);
    int32_t prefix[64], cont[64];
    for (int i = 0; i < s.n_prompt; i++) prefix[i] = s.tokens[i].id;
    for (int i = 0; i < a.n; i++) cont[i] = s.tokens[s.n_prompt + i].id;
    ScoreResult b;
    assert_int_equal(score_tokens(&b, &s.model, prefix, s.n_prompt, cont, a.n, err), 0);
    double total = 0;
    for (int i = 0; i < a.n; i++) {
        assert_int_equal(a.tokens[i].id, b.tokens[i].id);
        assert_true(fabs(a.tokens[i].logprob - b.tokens[i].logprob) < 1e-5);
        assert_int_equal(a.tokens[i].rank, b.tokens[i].rank);
        /* rank: how many tokens the distribution put strictly above it, plus one (no exact ties here) */
        const Distribution *d = &s.steps[s.n_prompt + i].dist;
        int above = 0;
        for (int v = 0; v < d->vocab; v++) above += d->logits[v] > d->logits[cont[i]];
        assert_int_equal(a.tokens[i].rank, above + 1);
        assert_true(fabs(a.tokens[i].bits + log2(d->probs_t1[cont[i]])) < 1e-6);
        total += a.tokens[i].bits;
    }
    assert_true(fabs(total - a.total_bits) < 1e-9);
    assert_true(fabs(a.mean_bits - total / a.n) < 1e-9);
    /* the continuation's bytes follow the prompt exactly */
    assert_int_equal(a.tokens[a.n - 1].end, 15);
    assert_memory_equal(s.text + s.prompt_len, " sat on the mat", 15);
    score_free(&a);
    score_free(&b);
    assert_int_equal(score_session(&s, "", 0, err), -1);
    assert_int_equal(score_tokens(&b, &s.model, prefix, 0, cont, 1, err), -1);
    session_free(&s);
}

/* ---- export ---- */

static void test_export_canvas(void **state) {
    (void)state;
    Canvas c;
    canvas_init(&c, 24, 3);
    canvas_clear(&c, (Style){0, 0, 0});
    canvas_put_text(&c, 0, 0, 24, "a<b & \"c\" 'd'>", (Style){COLOR_IDX(196), COLOR_RGB(10, 20, 30), ATTR_BOLD});
    canvas_put_text(&c, 2, 2, 10, "\xe6\x97\xa5x", (Style){0, 0, ATTR_REVERSE});
    ExportBuf b = {0};
    export_canvas_txt(&b, &c);
    assert_string_equal(b.data, "a<b & \"c\" 'd'>\n\n  \xe6\x97\xa5x\n");
    export_buf_free(&b);
    export_canvas_svg(&b, &c);
    assert_non_null(strstr(b.data, ">a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;</text>"));
    assert_non_null(strstr(b.data, "fill=\"#0a141e\"")); /* the RGB background */
    assert_non_null(strstr(b.data, "fill=\"#ff0000\"")); /* palette 196 */
    assert_non_null(strstr(b.data, "font-weight=\"bold\""));
    assert_non_null(strstr(b.data, "\xe6\x97\xa5x</text>"));
    assert_null(strstr(b.data, "<b &"));
    assert_non_null(strstr(b.data, "</svg>\n"));
    export_buf_free(&b);
    export_canvas_ansi(&b, &c);
    assert_non_null(strstr(b.data, "\033[0;1;38;5;196;48;2;10;20;30ma<b"));
    assert_non_null(strstr(b.data, "\033[0;7m\xe6\x97\xa5x\033[0m\n"));
    export_buf_free(&b);
    canvas_free(&c);

    assert_int_equal(export_format_from_path("x/heat.SVG"), EXPORT_SVG);
    assert_int_equal(export_format_from_path("a.b/heat"), -1);
    assert_int_equal(export_view_lookup("te"), EXPORT_VIEW_TEXT);
    assert_int_equal(export_view_lookup("to"), VIEW_TOKENS);
    assert_int_equal(export_view_lookup("att"), VIEW_ATTENTION);
    assert_int_equal(export_view_lookup("x"), -1);
}

/* Reads field `col` (0-based) of CSV line `row` (0 = header) as a number; quoted fields are skipped
 * whole (a token label may hold a comma). */
static double csv_number(const char *csv, int row, int col) {
    const char *p = csv;
    for (int r = 0; r < row; r++) p = strchr(p, '\n') + 1;
    for (int k = 0; k < col; k++) {
        if (*p == '"') {
            p++;
            while (!(p[0] == '"' && p[1] != '"')) p += p[0] == '"' ? 2 : 1;
            p++;
        } else {
            while (*p != ',') p++;
        }
        p++; /* the comma */
    }
    return strtod(p, NULL);
}

static void test_export_csv_and_files(void **state) {
    (void)state;
    Session s;
    open_session(&s, "def add(a, b):");
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 3, err), 3);
    UiState ui;
    ui_init(&ui);
    ExportBuf b = {0};
    assert_int_equal(export_render(&b, &s, &ui, VIEW_PROBS, EXPORT_CSV, 100, 30, err), 0);
    const Distribution *d = &s.next;
    for (int r = 0; r < 5; r++) {
        int32_t id = d->order[r];
        assert_int_equal((int)csv_number(b.data, r + 1, 1), id);
        assert_true(fabs(csv_number(b.data, r + 1, 4) - d->probs[id]) < 1e-8);
        assert_true(fabs(csv_number(b.data, r + 1, 5) - d->probs_t1[id]) < 1e-8);
    }
    export_buf_free(&b);
    /* attention: each query's row is a distribution over the keys up to it */
    assert_int_equal(export_render(&b, &s, &ui, VIEW_ATTENTION, EXPORT_CSV, 100, 30, err), 0);
    for (int q = 0; q < s.n_tokens; q++) {
        double sum = 0;
        for (int k = 0; k < s.n_tokens; k++) {
            double v = csv_number(b.data, q + 1, k + 1);
            if (k > q) assert_true(v == 0.0);
            sum += v;
        }
        assert_true(fabs(sum - 1.0) < 1e-5);
    }
    export_buf_free(&b);
    /* a file, written whole; the screen's UI state is left as it was */
    char path[96];
    snprintf(path, sizeof path, "/tmp/glassbox-test-kit-%d.svg", (int)getpid());
    char msg[256];
    int *hit_before = ui.hit;
    UiState ui_before = ui;
    assert_int_equal(export_command(path, &s, &ui, VIEW_ATTENTION, 100, 30, msg, sizeof msg, err), 0);
    assert_ptr_equal(ui.hit, hit_before);
    assert_memory_equal(&ui, &ui_before, sizeof ui); /* every field, as the pyramid was (it is the session's now) */
    char *text;
    size_t len;
    assert_int_equal(gb_read_file(path, &text, &len, err), 0);
    assert_true(len > 100 && strncmp(text, "<?xml", 5) == 0 && strstr(text, "</svg>\n"));
    free(text);
    unlink(path);
    assert_int_equal(export_command("probs out.png", &s, &ui, VIEW_PROBS, 100, 30, msg, sizeof msg, err), -1);
    assert_non_null(strstr(err, "extension"));
    assert_int_equal(export_command("probs out.x pdf", &s, &ui, VIEW_PROBS, 100, 30, msg, sizeof msg, err), -1);
    assert_non_null(strstr(err, "unknown format 'pdf'"));
    ui_free(&ui);
    session_free(&s);
}

/* ---- record and replay ---- */

static void test_record_replays(void **state) {
    (void)state;
    Session s;
    open_session(&s, "the cat");
    char err[GB_ERRLEN];
    session_set_temp(&s, 0.9f, NULL);
    assert_int_equal(session_step(&s, 2, err), 2); /* generated before the recording starts */
    UiState ui;
    ui_init(&ui);
    ui.view = VIEW_ATTENTION;
    char path[96];
    snprintf(path, sizeof path, "/tmp/glassbox-test-kit-%d.lesson", (int)getpid());
    Recorder r;
    assert_int_equal(record_start(&r, path, &s, &ui, err), 0);
    const char *lines[] = {"step 3", "temp 1.5", "export x.svg", "step", "explain", "back", "score \" sat on\""};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        Command c;
        assert_int_equal(commands_parse(lines[i], &c, err), 0);
        assert_int_not_equal(record_apply(&s, &ui, &c, err), CMDR_ERROR);
        command_free(&c);
        assert_int_equal(record_line(&r, lines[i], err), 0);
    }
    record_stop(&r);
    /* it is a lesson: the setup and one step per recorded command, export left out */
    Lesson l;
    if (lesson_load(&l, path, err) != 0) fail_msg("%s", err);
    assert_int_equal(l.n_steps, 1 + 6);
    char *text;
    size_t len;
    assert_int_equal(gb_read_file(path, &text, &len, err), 0);
    char model[256], sha[65], want[65];
    record_header(text, model, sizeof model, sha);
    assert_null(strstr(text, "export"));
    free(text);
    assert_int_equal(record_file_sha256(g_model, want, err), 0);
    assert_string_equal(sha, want);
    /* replayed on a fresh session: the same tokens, the same distributions, the same UI state */
    Session t;
    open_session(&t, "something else");
    UiState tu;
    ui_init(&tu);
    assert_int_equal(lesson_reset_session(&t, NULL, err), 0);
    for (int i = 0; i < l.n_steps; i++)
        for (int k = 0; k < l.steps[i].n_cmds; k++)
            if (record_apply(&t, &tu, &l.steps[i].cmds[k].cmd, err) == CMDR_ERROR) fail_msg("%s", err);
    assert_int_equal(t.n_tokens, s.n_tokens);
    for (int i = 0; i < s.n_tokens; i++) assert_int_equal(t.tokens[i].id, s.tokens[i].id);
    assert_memory_equal(t.next.probs, s.next.probs, sizeof(float) * (size_t)s.next.vocab);
    assert_int_equal(tu.view, ui.view);
    assert_int_equal(tu.explain, ui.explain);
    assert_int_equal(tu.score_colour, 1);
    assert_true(t.sampler.temperature == s.sampler.temperature);
    lesson_free(&l);
    ui_free(&tu);
    session_free(&t);
    ui_free(&ui);
    session_free(&s);
    unlink(path);
}

/* The lesson limits bound a recording: past them it stops with a message, and the file stays a lesson. */
static void test_record_limits(void **state) {
    (void)state;
    Session s;
    open_session(&s, "the");
    UiState ui;
    ui_init(&ui);
    char path[96], err[GB_ERRLEN];
    snprintf(path, sizeof path, "/tmp/glassbox-test-kit-lim-%d.lesson", (int)getpid());
    Recorder r;
    assert_int_equal(record_start(&r, path, &s, &ui, err), 0);
    int i, stopped = 0;
    for (i = 0; i < 200 && !stopped; i++) stopped = record_line(&r, i % 2 ? "temp 0.5" : "temp 1", err) != 0;
    assert_true(stopped);
    assert_false(r.active);
    assert_non_null(strstr(err, "full"));
    Lesson l;
    if (lesson_load(&l, path, err) != 0) fail_msg("%s", err);
    assert_int_equal(l.n_steps, LESSON_MAX_STEPS);
    lesson_free(&l);
    /* generating: the lesson budget of tokens */
    assert_int_equal(record_start(&r, path, &s, &ui, err), 0);
    for (i = 0, stopped = 0; i < 40 && !stopped; i++) stopped = record_line(&r, "step 64", err) != 0;
    assert_true(stopped);
    assert_non_null(strstr(err, "at most"));
    if (lesson_load(&l, path, err) != 0) fail_msg("%s", err);
    lesson_free(&l);
    ui_free(&ui);
    session_free(&s);
    unlink(path);
}

/* Lessons want full command names and step counts of at most 64: the recording writes them so. */
static void test_record_normalises(void **state) {
    (void)state;
    Session s;
    open_session(&s, "the");
    UiState ui;
    ui_init(&ui);
    char path[96], err[GB_ERRLEN];
    snprintf(path, sizeof path, "/tmp/glassbox-test-kit-norm-%d.lesson", (int)getpid());
    Recorder r;
    assert_int_equal(record_start(&r, path, &s, &ui, err), 0);
    assert_int_equal(record_line(&r, "  te 0.5  ", err), 0);
    assert_int_equal(record_line(&r, "ste 100", err), 0);
    assert_int_equal(record_line(&r, "next", err), 0); /* lesson mode's: not a command, not recorded */
    assert_int_equal(record_line(&r, "record stop", err), 0);
    assert_int_equal(record_line(&r, "help", err), 0);
    assert_int_equal(record_line(&r, "compare getUserName", err), 0); /* the lab's: no lesson command */
    record_stop(&r);
    char *text;
    size_t len;
    assert_int_equal(gb_read_file(path, &text, &len, err), 0);
    assert_non_null(strstr(text, "\n> temp 0.5\n"));
    assert_non_null(strstr(text, "\n> step 64\n"));
    assert_non_null(strstr(text, "\n> step 36\n"));
    assert_null(strstr(text, "> next"));
    assert_null(strstr(text, "> record"));
    assert_null(strstr(text, "> help"));
    assert_null(strstr(text, "> compare"));
    free(text);
    Lesson l;
    if (lesson_load(&l, path, err) != 0) fail_msg("%s", err);
    assert_int_equal(l.n_steps, 1 + 3);
    lesson_free(&l);
    ui_free(&ui);
    session_free(&s);
    unlink(path);
}

int main(void) {
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_by_hand),
        cmocka_unit_test(test_score_matches_session),
        cmocka_unit_test(test_export_canvas),
        cmocka_unit_test(test_export_csv_and_files),
        cmocka_unit_test(test_record_replays),
        cmocka_unit_test(test_record_limits),
        cmocka_unit_test(test_record_normalises),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
