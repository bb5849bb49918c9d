/* Tests of the TUI's core: the canvas (widths of wide and combining characters), the command language
 * (quoting, errors, every command's example), the session (stepping back restores exactly what was
 * there, resuming overwrites the KV cache correctly) and the views drawn into a canvas (labels, the
 * strongest attention weight in the darkest cell, bars in order, the entropy figure, neighbours
 * against a brute-force search). The model is a small random one with a BPE vocabulary trained here. */
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
#include "keys.h"
#include "model.h"
#include "screen.h"
#include "session.h"
#include "tokenizer.h"
#include "util.h"
#include "view_attention.h"
#include "view_neighbours.h"
#include "view_probs.h"
#include "view_tokens.h"
#include "viewdata.h"

/* ---- fixture: a random model with a trained vocabulary ---- */

static const char *CORPUS[] = {
    "the cat sat on the mat. the dog sat on the log. a cat and a dog met on the mat.\n",
    "def add(a, b):\n\treturn a + b\n\ndef sub(a, b):\n\treturn a - b\n",
    "once upon a time the little cat saw the big dog and the dog saw the cat.\n",
    /* wide characters, often enough that whole ones become tokens */
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n",
};
#define N_CORPUS (sizeof CORPUS / sizeof *CORPUS)
#define NIHONGO "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" /* three wide characters */

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

/* A session over a fresh random model; the embeddings are scaled up so distributions are peaked. */
static void open_session(Session *s) {
    Tokenizer *tok = train_tokenizer();
    Config c = small_config(tokenizer_vocab_size(tok));
    Model m;
    char err[GB_ERRLEN];
    if (model_init_random(&m, &c, 7, err) != 0) fail_msg("model_init_random: %s", err);
    size_t n = (size_t)c.vocab_size * c.dim;
    for (size_t i = 0; i < n; i++) matrix_floats(m.weights.token_embd)[i] *= 60.0f;
    session_init(s, &m, tok);
}

static void set_prompt(Session *s, const char *text) {
    char err[GB_ERRLEN];
    if (session_set_prompt(s, text, strlen(text), err) != 0) fail_msg("set_prompt: %s", err);
}

static void ui_plain(UiState *ui) {
    ui_init(ui);
    ui->colours = COLOURS_NONE;
}

/* ---- canvas ---- */

static void test_canvas_widths(void **state) {
    (void)state;
    Canvas c;
    canvas_init(&c, 10, 2);
    Style s = {0, 0, 0};
    /* a, a wide CJK character (2 cells), b */
    int used = canvas_put_text(&c, 0, 0, 10, "a\xe6\x97\xa5" "b", s);
    assert_int_equal(used, 4);
    assert_string_equal(canvas_cell(&c, 0, 0)->text, "a");
    assert_string_equal(canvas_cell(&c, 1, 0)->text, "\xe6\x97\xa5");
    assert_int_equal(canvas_cell(&c, 1, 0)->width, 2);
    assert_int_equal(canvas_cell(&c, 2, 0)->width, 0);
    assert_string_equal(canvas_cell(&c, 3, 0)->text, "b");
    /* e + combining acute accent stays one cell */
    used = canvas_put_text(&c, 0, 1, 10, "e\xcc\x81x", s);
    assert_int_equal(used, 2);
    assert_string_equal(canvas_cell(&c, 0, 1)->text, "e\xcc\x81");
    assert_string_equal(canvas_cell(&c, 1, 1)->text, "x");
    /* a wide character that does not fit the clip is not split */
    used = canvas_put_text(&c, 5, 0, 2, "x\xe6\x97\xa5", s);
    assert_int_equal(used, 2);
    assert_string_equal(canvas_cell(&c, 6, 0)->text, " ");
    assert_int_equal(canvas_cell(&c, 6, 0)->width, 1);
    /* overwriting half of a wide character leaves no half behind */
    canvas_put_text(&c, 2, 0, 1, "z", s);
    assert_string_equal(canvas_cell(&c, 1, 0)->text, " ");
    assert_int_equal(canvas_cell(&c, 1, 0)->width, 1);
    assert_int_equal(text_width("a\xe6\x97\xa5\xcc\x81", 6), 3);
    char *row = canvas_row_text(&c, 1);
    assert_string_equal(row, "e\xcc\x81x");
    free(row);
    /* invalid UTF-8 becomes one replacement cell */
    used = canvas_put_text(&c, 0, 1, 10, "\xff!", s);
    assert_int_equal(used, 2);
    assert_string_equal(canvas_cell(&c, 0, 1)->text, "\xef\xbf\xbd");
    canvas_free(&c);
}

/* ---- commands ---- */

static void test_commands_examples(void **state) {
    (void)state;
    for (int i = 0; i < commands_count(); i++) {
        Command c;
        char err[GB_ERRLEN] = "";
        int rc = commands_parse(commands_example(i), &c, err);
        if (rc != 0) fail_msg("example '%s' of %s: %s", commands_example(i), commands_name(i), err);
        assert_int_equal(c.id, i);
        command_free(&c);
    }
}

static void test_commands_quoting(void **state) {
    (void)state;
    Command c;
    char err[GB_ERRLEN];
    assert_int_equal(commands_parse("prompt \"a\\tb\\n\\\"q\\\" \\\\ \\x41\"  ", &c, err), 0);
    assert_int_equal(c.id, CMD_PROMPT);
    assert_int_equal(c.text_len, 11);
    assert_memory_equal(c.text, "a\tb\n\"q\" \\ A", 11);
    command_free(&c);
    /* unquoted text is the rest of the line, inner spaces kept, edges trimmed */
    assert_int_equal(commands_parse("  prompt   hello  world  \n", &c, err), 0);
    assert_string_equal(c.text, "hello  world");
    command_free(&c);
    assert_int_equal(commands_parse("pick \" return\"", &c, err), 0);
    assert_string_equal(c.text, " return");
    assert_int_equal(c.token_id, -1);
    command_free(&c);
    assert_int_equal(commands_parse("pick #42", &c, err), 0);
    assert_int_equal(c.token_id, 42);
    command_free(&c);
    assert_int_equal(commands_parse("step", &c, err), 0);
    assert_int_equal(c.inum, 1);
    command_free(&c);
    assert_int_equal(commands_parse("step 5", &c, err), 0);
    assert_int_equal(c.inum, 5);
    command_free(&c);
    assert_int_equal(commands_parse("temp 0.25", &c, err), 0);
    assert_true(fabs(c.num - 0.25) < 1e-12);
    command_free(&c);
    assert_int_equal(commands_parse("view neigh", &c, err), 0); /* a unique prefix */
    assert_int_equal(c.view, VIEW_NEIGHBOURS);
    command_free(&c);
    assert_int_equal(commands_parse("   ", &c, err), 1);
    assert_int_equal(commands_parse("# a comment", &c, err), 1);
    /* quote round trip */
    const char raw[] = "x\n\"\\\x01y";
    char q[64];
    commands_quote(raw, sizeof raw - 1, q, sizeof q);
    char line[80];
    snprintf(line, sizeof line, "prompt %s", q);
    assert_int_equal(commands_parse(line, &c, err), 0);
    assert_int_equal(c.text_len, sizeof raw - 1);
    assert_memory_equal(c.text, raw, sizeof raw - 1);
    command_free(&c);
}

static void expect_error(const char *line, const char *message) {
    Command c;
    char err[GB_ERRLEN] = "";
    int rc = commands_parse(line, &c, err);
    if (rc != -1) fail_msg("'%s' parsed (rc %d)", line, rc);
    if (strcmp(err, message) != 0) fail_msg("'%s': got error '%s', want '%s'", line, err, message);
}

static void test_commands_errors(void **state) {
    (void)state;
    expect_error("temp x", "temp: expected a number \u2265 0, got 'x'");
    expect_error("temp -1", "temp: expected a number \u2265 0, got '-1'");
    expect_error("topp 1.5", "topp: expected a number between 0 and 1, got '1.5'");
    expect_error("topk 2.5", "topk: expected an integer \u2265 0, got '2.5'");
    expect_error("step 0", "step: expected a count \u2265 1, got '0'");
    expect_error("frobnicate", "unknown command 'frobnicate' (type help for the list)");
    expect_error("t 1", "unknown command 't' (type help for the list)"); /* ambiguous prefix */
    expect_error("quit now", "quit: takes no argument, got 'now'");
    expect_error("prompt \"abc", "prompt: missing closing quote");
    expect_error("prompt \"a\\qb\"", "prompt: unknown escape \\q (use \\n \\t \\\" \\\\ or \\xNN)");
    expect_error("prompt \"ab\" cd", "prompt: unexpected text after the closing quote: 'cd'");
    expect_error("view sideways", "view: expected one of tokens, attention, neighbours, probs, lens, got 'sideways'");
    expect_error("pick", "pick: expected a token: \"text\" or #id (usage: pick TOKEN)");
    expect_error("pick #x", "pick: expected #id with a number, got '#x'");
    expect_error("prompt", "prompt: expected text (usage: prompt TEXT)");
}

static void test_commands_run(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    const char *lines[] = {"prompt the cat", "temp 0.5", "topk 5", "topp 0.9", "seed 3", "step 3", "back 1",
                           "pick \" the\"", "layer 1", "head 2", "select 0", "resample"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        Command c;
        char err[GB_ERRLEN] = "";
        assert_int_equal(commands_parse(lines[i], &c, err), 0);
        CommandResult r = commands_run(&s, &c, err);
        if (r != CMDR_OK) fail_msg("'%s': %s", lines[i], err);
        command_free(&c);
    }
    assert_true(fabsf(s.sampler.temperature - 0.5f) < 1e-6f);
    assert_int_equal(s.sampler.top_k, 5);
    assert_int_equal(s.layer, 1);
    assert_int_equal(s.head, 2);
    assert_int_equal(s.n_tokens - s.n_prompt, 3);
    assert_int_equal(s.selected, 0);
    /* errors at run time: out of range layer, a token that is not one token */
    Command c;
    char err[GB_ERRLEN] = "", line[GB_ERRLEN];
    assert_int_equal(commands_parse("layer 9", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_ERROR);
    assert_string_equal(err, "layer: expected 0 to 1, got 9");
    command_free(&c);
    assert_int_equal(commands_parse("pick \"zzzzqqq\"", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_ERROR);
    assert_non_null(strstr(err, "no single token is 'zzzzqqq'"));
    command_free(&c);
    assert_int_equal(commands_parse("view probs", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_UI);
    command_free(&c);
    assert_int_equal(commands_parse("pick #99999", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_ERROR);
    snprintf(line, sizeof line, "pick: #99999 is out of range (the vocabulary has %d tokens)", s.model.config.vocab_size);
    assert_string_equal(err, line);
    command_free(&c);
    /* neighbours chooses the token the neighbours view shows; tokenize replaces the prompt */
    assert_int_equal(commands_parse("neighbours \" the\"", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_UI);
    assert_int_equal(s.neigh_token, tokenizer_find(s.tok, " the", 4));
    command_free(&c);
    assert_int_equal(commands_parse("tokenize a dog", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_UI);
    assert_int_equal((int)s.text_len, 5);
    assert_int_equal(s.n_tokens, s.n_prompt);
    command_free(&c);
    assert_int_equal(commands_parse("model /nonexistent/x.gguf", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_ERROR);
    assert_non_null(strstr(err, "/nonexistent/x.gguf"));
    assert_int_equal((int)s.text_len, 5); /* the session is untouched */
    command_free(&c);
    assert_int_equal(commands_parse("back", &c, err), 0);
    assert_int_equal(commands_run(&s, &c, err), CMDR_ERROR);
    assert_string_equal(err, "back: nothing to undo (only the prompt is left)");
    command_free(&c);
    session_free(&s);
}

/* ---- session ---- */

static void test_session_back_restores(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat sat");
    int vocab = s.model.config.vocab_size;
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 2, err), 2);
    /* the live distribution and the next token it yields */
    float *probs = gb_malloc(sizeof(float) * vocab);
    memcpy(probs, s.next.probs, sizeof(float) * vocab);
    assert_int_equal(session_step(&s, 1, err), 1);
    int32_t third = s.tokens[s.n_tokens - 1].id;
    size_t len_before = s.text_len;
    assert_int_equal(session_back(&s, 1), 1);
    assert_memory_equal(s.next.probs, probs, sizeof(float) * vocab);
    assert_int_equal(s.text_len, len_before - (s.tokens[s.n_tokens].end - s.tokens[s.n_tokens].start));
    /* stepping again draws the same token (the generator was restored) */
    assert_int_equal(session_step(&s, 1, err), 1);
    assert_int_equal(s.tokens[s.n_tokens - 1].id, third);
    /* back never goes into the prompt */
    assert_int_equal(session_back(&s, 100), 3);
    assert_int_equal(s.n_tokens, s.n_prompt);
    assert_int_equal(session_back(&s, 1), 0);
    free(probs);
    session_free(&s);
}

static void test_session_resume_overwrites_cache(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "a cat and");
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 4, err), 4);
    assert_int_equal(session_back(&s, 3), 3);
    assert_int_equal(session_pick(&s, tokenizer_find(s.tok, " dog", 4), err), 0);
    assert_int_equal(session_step(&s, 2, err), 2);
    /* independent recompute: a second model with the same weights run over the same ids from scratch */
    Config c = s.model.config;
    Model m;
    assert_int_equal(model_init_random(&m, &c, 7, err), 0);
    assert_int_equal(model_enable_probes(&m, err), 0);
    size_t n = (size_t)c.vocab_size * c.dim;
    for (size_t i = 0; i < n; i++) matrix_floats(m.weights.token_embd)[i] *= 60.0f;
    float *logits = NULL;
    for (int p = 0; p < s.n_tokens; p++) logits = model_forward(&m, s.tokens[p].id, p);
    for (int i = 0; i < c.vocab_size; i++) assert_true(fabsf(logits[i] - s.next.logits[i]) < 1e-3f);
    /* and the probes of the last position match */
    for (int l = 0; l < c.n_layers; l++)
        for (int h = 0; h < c.n_heads; h++) {
            const float *a = session_attention_row(&s, l, h, s.n_tokens - 1);
            const float *b = m.probes.attn + (((size_t)l * c.n_heads + h) * c.seq_len + s.n_tokens - 1) * c.seq_len;
            for (int k = 0; k < s.n_tokens; k++) assert_true(fabsf(a[k] - b[k]) < 1e-5f);
        }
    assert_true(s.tokens[s.n_prompt].picked == 0 && s.tokens[s.n_prompt + 1].picked == 1);
    model_free(&m);
    session_free(&s);
}

static void test_session_temperature_and_resample(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the dog");
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 5, err), 5);
    int32_t ids[5];
    for (int i = 0; i < 5; i++) ids[i] = s.tokens[s.n_prompt + i].id;
    assert_int_equal(session_resample(&s, 0, err), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(s.tokens[s.n_prompt + i].id, ids[i]);
    /* temperature re-shapes the live distribution from its logits: T = 0 is one-hot on the argmax */
    assert_int_equal(session_set_temp(&s, 0.0f, err), 0);
    int32_t top = s.next.order[0];
    assert_true(s.next.probs[top] == 1.0f);
    assert_int_equal(session_set_temp(&s, 2.0f, err), 0);
    assert_true(s.next.probs[top] < 1.0f);
    /* at T = 2 the live probabilities are softmax(logits / 2), computed here */
    double mx = s.next.logits[top], z = 0;
    for (int i = 0; i < s.next.vocab; i++) z += exp((s.next.logits[i] - mx) / 2.0);
    assert_true(fabs(s.next.probs[top] - 1.0 / z) < 1e-4);
    assert_int_equal(session_set_temp(&s, -1.0f, err), -1);
    session_free(&s);
}

/* ---- views ---- */

static int find(const Canvas *c, const char *needle) { return canvas_find(c, needle, NULL, NULL); }

static void test_view_tokens(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat\tsat\non");
    UiState ui;
    ui_plain(&ui);
    Canvas c;
    canvas_init(&c, 100, 20);
    ViewTokens_draw(&c, (Rect){0, 0, 100, 20}, &s, &ui);
    char want[128];
    snprintf(want, sizeof want, "%d tokens \u00b7 14 characters", s.n_tokens);
    assert_true(find(&c, want));
    assert_true(find(&c, "the\u00b7cat\u2192sat\u23ce")); /* whitespace made visible, newline ends the line */
    /* every token is listed with its id */
    for (int t = 0; t < s.n_tokens; t++) {
        char label[64], line[96];
        session_token_label(&s, s.tokens[t].id, label, sizeof label);
        snprintf(line, sizeof line, "%6d %4u  %s", s.tokens[t].id, s.tokens[t].end - s.tokens[t].start, label);
        if (!find(&c, line)) fail_msg("token list lacks '%s'", line);
    }
    /* the text after the newline starts a new line */
    int x, y, x2, y2;
    assert_true(canvas_find(&c, "the\u00b7cat", &x, &y));
    assert_true(canvas_find(&c, "on", &x2, &y2));
    assert_int_equal(x2, x);
    assert_int_equal(y2, y + 1);
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

/* Columns of bar cells in a row from x0 (full blocks count 8, partial ones their eighths). */
static int bar_eighths(const Canvas *c, int x0, int y, int maxw) {
    static const char *const parts[9] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589", "\u2588"};
    int total = 0;
    for (int x = x0; x < x0 + maxw; x++) {
        const Cell *cell = &c->cells[(size_t)y * c->w + x];
        int k = 0;
        for (int i = 1; i <= 8; i++)
            if (strcmp(cell->text, parts[i]) == 0) k = i;
        if (!k) break;
        total += k;
    }
    return total;
}

static void test_view_probs(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat");
    char err[GB_ERRLEN];
    session_set_topk(&s, 4, err);
    UiState ui;
    ui_plain(&ui);
    Canvas c;
    canvas_init(&c, 100, 20);
    ViewProbs_draw(&c, (Rect){0, 0, 100, 20}, &s, &ui);
    char want[96];
    snprintf(want, sizeof want, "entropy %.3f bits at T 1.00", s.next.entropy);
    assert_true(find(&c, want));
    snprintf(want, sizeof want, "%.3f bits at T 1", s.next.entropy_t1);
    assert_true(find(&c, want));
    assert_true(find(&c, "cut: 4 kept"));
    /* rows in order of probability: labels follow d->order, bars never grow */
    int labw = 16, barw = (100 - 5 - labw - 2 * 8 - 4 - 10) / 2, xT = 5 + labw;
    int prev = 1 << 30, row = 0;
    for (int y = 4; y < 20 && row < 4; y++, row++) {
        char label[64];
        session_token_label(&s, s.next.order[row], label, sizeof label);
        char *text = canvas_row_text(&c, y);
        char rank[8];
        snprintf(rank, sizeof rank, "%4d ", row + 1);
        assert_memory_equal(text, rank, 5);
        assert_true(strncmp(text + 5, label, strlen(label)) == 0);
        free(text);
        int e = bar_eighths(&c, xT, y, barw);
        assert_true(e <= prev);
        prev = e;
    }
    assert_int_equal(bar_eighths(&c, xT, 4, barw), barw * 8); /* the top token fills the scale */
    /* after a step, selecting the token before shows the distribution it was drawn from, marked */
    assert_int_equal(session_step(&s, 1, err), 1);
    session_select(&s, s.n_tokens - 2, err);
    int32_t sampled;
    int picked;
    const Distribution *d = ViewProbs_distribution(&s, &sampled, &picked);
    assert_int_equal(sampled, s.tokens[s.n_tokens - 1].id);
    assert_ptr_equal(d, &s.steps[s.n_tokens - 1].dist);
    canvas_clear(&c, (Style){0, 0, 0});
    ViewProbs_draw(&c, (Rect){0, 0, 100, 20}, &s, &ui);
    assert_true(find(&c, "\u25c0 sampled"));
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

/* Writes a known pattern into the probes of (layer, head): row q puts weight 0.7 on key (3q) % (q+1)
 * and spreads the rest evenly. Returns the strongest key of each row in want (n). */
static void plant_attention(Session *s, int layer, int head, int *want) {
    const Config *c = &s->model.config;
    for (int q = 0; q < s->n_tokens; q++) {
        float *row = s->model.probes.attn + (((size_t)layer * c->n_heads + head) * c->seq_len + q) * c->seq_len;
        int strong = (3 * q) % (q + 1);
        for (int k = 0; k <= q; k++) row[k] = q == 0 ? 1.0f : 0.3f / (float)q;
        if (q > 0) row[strong] = 0.7f;
        want[q] = strong;
        s->written_at[q] = ++s->version;
    }
}

static void test_view_attention(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat sat on the mat");
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 4, err), 4);
    session_set_layer(&s, 1, err);
    session_set_head(&s, 2, err);
    int want[64];
    plant_attention(&s, 1, 2, want);
    UiState ui;
    ui_plain(&ui);
    Canvas c;
    canvas_init(&c, 110, 40);
    ViewAttention_draw(&c, (Rect){0, 0, 110, 40}, &s, &ui);
    assert_true(find(&c, "layer 1/2 head 2/4"));
    assert_true(find(&c, "L\\H"));
    /* find the heat map's rows by their labels: each query row's darkest cell is its strongest key */
    int n = s.n_tokens, lw = 10, cw = 2, chh = 5, top = 1;
    for (int q = 0; q < n; q++) {
        int y = top + chh + q;
        char label[64];
        session_token_label(&s, s.tokens[q].id, label, sizeof label);
        char *text = canvas_row_text(&c, y);
        int fit = text_fit(label, (int)strlen(label), lw - 1);
        if (strncmp(text, label, (size_t)fit) != 0) fail_msg("row %d: label '%s' not at the start of '%s'", q, label, text);
        free(text);
        for (int k = 0; k <= q; k++) {
            const Cell *cell = canvas_cell(&c, lw + k * cw, y);
            int darkest = strcmp(cell->text, "\u2588") == 0;
            if (k == want[q]) assert_true(darkest);
            else assert_false(darkest);
        }
    }
    /* the column labels are the key tokens, written downwards */
    char label[64];
    session_token_label(&s, s.tokens[1].id, label, sizeof label);
    int32_t first;
    utf8_decode(label, (int)strlen(label), &first);
    char g[8] = {0};
    utf8_encode(g, first);
    assert_string_equal(canvas_cell(&c, lw + 1 * cw, top)->text, g);
    /* 256 colours: the strongest cell has the top of the ramp as its background */
    ui.colours = COLOURS_256;
    canvas_clear(&c, (Style){0, 0, 0});
    ViewAttention_draw(&c, (Rect){0, 0, 110, 40}, &s, &ui);
    int q = n - 1;
    assert_int_equal(canvas_cell(&c, lw + want[q] * cw, top + chh + q)->style.bg, ui_heat(&ui, 1.0f));
    /* zoomed out by 2: block (i, j) is the max of its 2x2 positions */
    ui.colours = COLOURS_NONE;
    ui.attn_zoom = 1;
    canvas_clear(&c, (Style){0, 0, 0});
    ViewAttention_draw(&c, (Rect){0, 0, 110, 40}, &s, &ui);
    assert_true(find(&c, "1 cell = 2\u00d72 tokens (max)"));
    for (int i = 0; i < (n + 1) / 2; i++)
        for (int j = 0; j <= i; j++) {
            float m = 0;
            for (int a = 2 * i; a < 2 * i + 2 && a < n; a++)
                for (int b = 2 * j; b < 2 * j + 2 && b <= a; b++) {
                    const float *row = session_attention_row(&s, 1, 2, a);
                    if (row[b] > m) m = row[b];
                }
            float got = attn_pyramid_get(&session_view_data(&s, 0)->pyr, &s, 1, i, j, 0);
            assert_true(fabsf(got - m) < 1e-6f);
        }
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

/* Labels holding wide characters are cut at their true widths: never half a character, never into the
 * next column. */
static void test_wide_labels(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    int32_t wide = tokenizer_find(s.tok, NIHONGO, 9);
    if (wide < 0) wide = tokenizer_find(s.tok, " " NIHONGO, 10);
    assert_true(wide >= 0); /* the corpus repeats it enough to become one token */
    set_prompt(&s, NIHONGO NIHONGO NIHONGO " " NIHONGO " the cat");
    UiState ui;
    ui_plain(&ui);
    ui.big = 0;
    Canvas c;
    canvas_init(&c, 110, 40);
    ViewAttention_draw(&c, (Rect){0, 0, 110, 40}, &s, &ui);
    int lw = 10, rows = 0, top = 1 + 5; /* the header line and five rows of column labels */
    for (int y = top; y < top + s.n_tokens; y++) {
        int wides = 0;
        for (int x = 0; x < lw - 1; x++) {
            const Cell *cell = canvas_cell(&c, x, y);
            if (cell->width == 2) {
                wides++;
                assert_int_equal(canvas_cell(&c, x + 1, y)->width, 0);
            }
            if (cell->width == 0) assert_int_equal(canvas_cell(&c, x - 1, y)->width, 2);
        }
        /* the column between the labels and the map stays clear: no wide character crosses it */
        assert_int_not_equal(canvas_cell(&c, lw - 1, y)->width, 0);
        if (wides) rows++;
    }
    assert_true(rows > 0); /* some row label does hold wide characters */
    /* the token list shows the label of the wide token in two-cell characters */
    canvas_clear(&c, (Style){0, 0, 0});
    ViewTokens_draw(&c, (Rect){0, 0, 110, 40}, &s, &ui);
    int x, y;
    assert_true(canvas_find(&c, "\xe6\x97\xa5\xe6\x9c\xac", &x, &y));
    assert_int_equal(canvas_cell(&c, x, y)->width, 2);
    assert_int_equal(canvas_cell(&c, x + 1, y)->width, 0);
    assert_string_equal(canvas_cell(&c, x + 2, y)->text, "\xe6\x9c\xac");
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

/* A text longer than the map is wide: by default the keys end at the selected query; scrolling left
 * brings the first key in; "fit" zooms out until every key fits. */
static void test_attention_scroll_and_fit(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "zebras quickly jump over five lazy wolves; xylophones vibrate");
    assert_true(s.n_tokens > 40);
    UiState ui;
    ui_plain(&ui);
    Canvas c;
    int w = 70, lw = 10, cw = 2; /* too narrow for the mini grid: the map has (70 - 10) / 2 = 30 columns */
    canvas_init(&c, w, 40);
    ViewAttention_draw(&c, (Rect){0, 0, w, 40}, &s, &ui);
    char first[64], label[64];
    session_token_label(&s, s.tokens[0].id, label, sizeof label);
    int32_t cp;
    first[utf8_encode(first, (utf8_decode(label, (int)strlen(label), &cp), cp))] = 0;
    int cols = (w - lw) / cw, n = s.n_tokens;
    /* default: the last column is the last key */
    session_token_label(&s, s.tokens[n - 1].id, label, sizeof label);
    char last[8];
    last[utf8_encode(last, (utf8_decode(label, (int)strlen(label), &cp), cp))] = 0;
    assert_string_equal(canvas_cell(&c, lw + (cols - 1) * cw, 1)->text, last);
    /* scrolled all the way left: the first column is key 0 */
    ui.attn_left = 1000;
    canvas_clear(&c, (Style){0, 0, 0});
    ViewAttention_draw(&c, (Rect){0, 0, w, 40}, &s, &ui);
    assert_int_equal(ui.attn_left, n - cols); /* clamped */
    assert_string_equal(canvas_cell(&c, lw, 1)->text, first);
    /* fit: the smallest zoom with every key across */
    ui.attn_left = 0;
    ui.attn_fit = 1;
    canvas_clear(&c, (Style){0, 0, 0});
    ViewAttention_draw(&c, (Rect){0, 0, w, 40}, &s, &ui);
    int z = 1 << ui.attn_zoom;
    assert_true((n + z - 1) / z <= cols);
    assert_true(ui.attn_zoom == 0 || (n + z / 2 - 1) / (z / 2) > cols);
    assert_true(canvas_find(&c, "1 cell = ", NULL, NULL));
    assert_string_equal(canvas_cell(&c, lw, 1)->text, "0"); /* zoomed columns are labelled by position */
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

/* The pyramid kept up to date step by step equals one built from scratch. */
static void test_attention_pyramid_incremental(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat sat on the mat and the dog");
    AttnPyramid inc;
    memset(&inc, 0, sizeof inc);
    inc.layer = inc.head = -1;
    attn_pyramid_sync(&inc, &s);
    char err[GB_ERRLEN];
    const int script[] = {3, -2, 5, -4, 1, 6, -1, 2};
    for (size_t i = 0; i < sizeof script / sizeof *script; i++) {
        if (script[i] > 0) session_step(&s, script[i], err);
        else session_back(&s, -script[i]);
        attn_pyramid_sync(&inc, &s);
        AttnPyramid full;
        memset(&full, 0, sizeof full);
        full.layer = full.head = -1;
        attn_pyramid_sync(&full, &s);
        for (int k = 1; k < full.n_levels; k++) {
            int side = (s.n_tokens + (1 << k) - 1) >> k;
            for (int a = 0; a < side; a++)
                for (int b = 0; b < side; b++) {
                    assert_true(attn_pyramid_get(&inc, &s, k, a, b, 0) == attn_pyramid_get(&full, &s, k, a, b, 0));
                    assert_true(fabsf(attn_pyramid_get(&inc, &s, k, a, b, 1) - attn_pyramid_get(&full, &s, k, a, b, 1)) < 1e-6f);
                }
        }
        for (int k = 0; k < ATTN_LEVELS; k++) free(full.max[k]), free(full.sum[k]);
    }
    for (int k = 0; k < ATTN_LEVELS; k++) free(inc.max[k]), free(inc.sum[k]);
    session_free(&s);
}

static void test_view_neighbours(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat");
    int32_t focus = s.tokens[s.n_tokens - 1].id;
    /* brute force in double precision */
    const Config *cf = &s.model.config;
    float *q = malloc(sizeof(float) * 2 * (size_t)cf->dim), *e = q + cf->dim;
    model_embedding(&s.model, focus, q);
    int best = -1;
    double best_sim = -2;
    for (int i = 0; i < cf->vocab_size; i++) {
        if (i == focus) continue;
        model_embedding(&s.model, i, e);
        double d = 0, na = 0, nb = 0;
        for (int j = 0; j < cf->dim; j++) d += (double)q[j] * e[j], na += (double)q[j] * q[j], nb += (double)e[j] * e[j];
        double sim = d / sqrt(na * nb);
        if (sim > best_sim) best_sim = sim, best = i;
    }
    free(q);
    int32_t ids[8];
    float sims[8];
    assert_int_equal(session_neighbours(&s, focus, 8, ids, sims), 8);
    assert_int_equal(ids[0], best);
    assert_true(fabs(sims[0] - best_sim) < 1e-4);
    for (int i = 1; i < 8; i++) assert_true(sims[i] <= sims[i - 1]);
    UiState ui;
    ui_plain(&ui);
    Canvas c;
    canvas_init(&c, 120, 30);
    ViewNeighbours_draw(&c, (Rect){0, 0, 120, 30}, &s, &ui);
    char label[64], line[96];
    session_token_label(&s, best, label, sizeof label);
    assert_true(canvas_find(&c, label, NULL, NULL));
    snprintf(line, sizeof line, "%6.3f", sims[0]);
    assert_true(find(&c, line));
    assert_true(find(&c, "\u25c6")); /* the token marked on the scatter */
    int braille = 0;
    for (int i = 0; i < c.w * c.h; i++) {
        int32_t cp;
        utf8_decode(c.cells[i].text, (int)strlen(c.cells[i].text), &cp);
        if (cp > 0x2800 && cp <= 0x28ff) braille++;
    }
    assert_true(braille > 10);
    /* the PCA axes are orthogonal unit directions: projections are uncorrelated */
    const float *pca = session_pca(&s);
    double sa = 0, sb = 0, sab = 0;
    for (int i = 0; i < cf->vocab_size; i++) sa += pca[2 * i], sb += pca[2 * i + 1];
    sa /= cf->vocab_size, sb /= cf->vocab_size;
    double va = 0, vb = 0;
    for (int i = 0; i < cf->vocab_size; i++) {
        sab += (pca[2 * i] - sa) * (pca[2 * i + 1] - sb);
        va += (pca[2 * i] - sa) * (pca[2 * i] - sa);
        vb += (pca[2 * i + 1] - sb) * (pca[2 * i + 1] - sb);
    }
    assert_true(fabs(sab) / sqrt(va * vb) < 1e-2);
    assert_true(va >= vb); /* the first axis carries the most variance */
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

static void test_screen_layouts(void **state) {
    (void)state;
    Session s;
    open_session(&s);
    set_prompt(&s, "the cat");
    UiState ui;
    ui_init(&ui);
    Canvas c;
    canvas_init(&c, 200, 50);
    screen_draw(&c, &s, &ui);
    /* wide: all four views at once */
    assert_true(find(&c, "1 Tokens"));
    int views = 0, x, y;
    const char *titles[] = {"\u2500 1 Tokens \u2500", "\u2500 2 Attention \u2500", "\u2500 3 Neighbours \u2500", "\u2500 4 Next token \u2500"};
    for (int i = 0; i < 4; i++) views += canvas_find(&c, titles[i], &x, &y);
    assert_int_equal(views, 4);
    assert_true(find(&c, "pos 2/64") || find(&c, "pos"));
    /* small: one view */
    canvas_resize(&c, 80, 24);
    ui.view = VIEW_PROBS;
    screen_draw(&c, &s, &ui);
    views = 0;
    for (int i = 0; i < 4; i++) views += canvas_find(&c, titles[i], &x, &y);
    assert_int_equal(views, 1);
    assert_true(find(&c, titles[3]));
    /* an empty prompt: every view draws without tokens */
    set_prompt(&s, "");
    for (int v = 0; v < VIEW_COUNT; v++) {
        ui.view = v;
        screen_draw(&c, &s, &ui);
    }
    char err[GB_ERRLEN];
    assert_int_equal(session_step(&s, 1, err), 0);
    assert_string_equal(err, "step: no prompt yet (type: prompt TEXT)");
    set_prompt(&s, "the cat");
    /* too small */
    canvas_resize(&c, 60, 20);
    screen_draw(&c, &s, &ui);
    assert_true(find(&c, "enlarge the terminal (need 80\u00d724, have 60\u00d720)"));
    /* the help overlay lists every key and every command from the tables */
    canvas_resize(&c, 200, 60);
    ui.help = 1;
    screen_draw(&c, &s, &ui);
    for (int i = 0; i < KA_COUNT; i++)
        if (KEY_BINDINGS[i].label[0] && !find(&c, KEY_BINDINGS[i].help)) fail_msg("help lacks key '%s'", KEY_BINDINGS[i].label);
    for (int i = 0; i < commands_count(); i++)
        if (!find(&c, commands_usage(i))) fail_msg("help lacks command '%s'", commands_usage(i));
    /* ASCII fallback: nothing but ASCII on the screen */
    ui.help = 0;
    c.ascii = 1;
    for (int v = 0; v < VIEW_COUNT; v++) {
        ui.view = v;
        canvas_resize(&c, 100, 30);
        c.ascii = 1;
        screen_draw(&c, &s, &ui);
        for (int i = 0; i < c.w * c.h; i++)
            for (const char *p = c.cells[i].text; *p; p++)
                if ((unsigned char)*p >= 0x80) fail_msg("view %d: non-ASCII cell at %d", v, i);
    }
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
}

/* A model written to a GGUF file with its vocabulary opens through session_open. */
static void test_session_open_file(void **state) {
    (void)state;
    Tokenizer *tok = train_tokenizer();
    Config cfg = small_config(tokenizer_vocab_size(tok));
    Model m;
    char err[GB_ERRLEN];
    assert_int_equal(model_init_random(&m, &cfg, 3, err), 0);
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, &m, GGML_TYPE_F32);
    tokenizer_add_to_writer(w, tok);
    char path[] = "/tmp/glassbox-test-views-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gguf_writer_write(w, path, err), 0);
    gguf_writer_free(w);
    Session s;
    if (session_open(&s, path, 0, err) != 0) fail_msg("%s", err);
    set_prompt(&s, "the cat sat");
    TokenSpan *spans;
    int n = tokenizer_encode(tok, "the cat sat", 11, &spans, err);
    /* the prompt starts with BOS when the vocabulary has one, as in the CLI */
    int32_t bos = tokenizer_bos(tok);
    int off = bos >= 0;
    assert_int_equal(s.n_tokens, n + off);
    if (off) assert_int_equal(s.tokens[0].id, bos);
    for (int i = 0; i < n; i++) assert_int_equal(s.tokens[i + off].id, spans[i].id);
    free(spans);
    assert_int_equal(session_step(&s, 3, err), 3);
    session_free(&s);
    assert_int_equal(session_open(&s, "/nonexistent/model.gguf", 0, err), -1);
    assert_non_null(strstr(err, "/nonexistent/model.gguf"));
    unlink(path);
    model_free(&m);
    tokenizer_free(tok);
}

int main(void) {
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canvas_widths),
        cmocka_unit_test(test_commands_examples),
        cmocka_unit_test(test_commands_quoting),
        cmocka_unit_test(test_commands_errors),
        cmocka_unit_test(test_commands_run),
        cmocka_unit_test(test_session_back_restores),
        cmocka_unit_test(test_session_resume_overwrites_cache),
        cmocka_unit_test(test_session_temperature_and_resample),
        cmocka_unit_test(test_view_tokens),
        cmocka_unit_test(test_view_probs),
        cmocka_unit_test(test_view_attention),
        cmocka_unit_test(test_wide_labels),
        cmocka_unit_test(test_attention_scroll_and_fit),
        cmocka_unit_test(test_attention_pyramid_incremental),
        cmocka_unit_test(test_view_neighbours),
        cmocka_unit_test(test_screen_layouts),
        cmocka_unit_test(test_session_open_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
