/* Lessons: parsing, the errors a broken lesson gets (with FILE:LINE), what a lesson may not do, question
 * evaluation against answers computed here independently, replay, and the progress file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson.h"
#include "progress.h"
#include "keys.h"
#include "view_lesson.h"
#include "util.h"

#define SEED 11

typedef struct {
    Session s;
    char dir[256];        /* a scratch directory */
    char model_path[300]; /* the session's model written as GGUF there */
} Fixture;

static Config small_config(int vocab) {
    Config c = {.dim = 32, .hidden_dim = 64, .n_layers = 2, .n_heads = 4, .n_kv_heads = 4, .head_dim = 8,
                .rope_dim = 8, .vocab_size = vocab, .context_length = 128, .seq_len = 128,
                .rope_base = 10000, .norm_eps = 1e-5f};
    return c;
}

static int setup(void **state) {
    Fixture *f = gb_calloc(1, sizeof *f);
    char err[GB_ERRLEN];
    Tokenizer *tok = tokenizer_open_named("gpt2", err);
    assert_non_null(tok);
    Config c = small_config(tokenizer_vocab_size(tok));
    Model m;
    assert_int_equal(model_init_random(&m, &c, SEED, err), 0);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_lesson.%ld", (long)getpid());
    assert_int_equal(mkdir(f->dir, 0700), 0);
    snprintf(f->model_path, sizeof f->model_path, "%s/tiny.gguf", f->dir);
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, &m, 0);
    tokenizer_add_to_writer(w, tok);
    assert_int_equal(gguf_writer_write(w, f->model_path, err), 0);
    gguf_writer_free(w);
    session_init(&f->s, &m, tok);
    *state = f;
    return 0;
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[600];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_dir(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state) {
    Fixture *f = *state;
    session_free(&f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* ---- parsing ---- */

static const char *EXAMPLE =
    "# a comment\n"
    "title: Tokens\n"
    "\n"
    "step: First look\n"
    "A model reads *tokens*,\n"
    "not letters.\n"
    "\n"
    "Second `paragraph`.\n"
    "| def f(x):\n"
    "|     return x\n"
    "\\? not a question\n"
    "> tokenize \"user_authentication_token\"\n"
    "> view tokens\n"
    "? How many tokens is `user_authentication_token`?\n"
    "answer: count-tokens \"user_authentication_token\"\n"
    "hint: Count the boxes.\n"
    "right: Yes: {answer}.\n"
    "wrong: It is {answer},\n"
    "  one per box.\n"
    "\n"
    "step:\n"
    "> prompt \"def add(a, b):\\n\"\n"
    "> temp 0\n"
    "> step 3\n"
    "? Which is shortest?\n"
    "answer: fewest-tokens\n"
    "choice: \" return\"\n"
    "choice: user_authentication_token\n"
    "\n"
    "step: Free\n"
    "? What surprised you?\n"
    "answer: any\n";

static void test_parse_example(void **state) {
    (void)state;
    Lesson l;
    char err[GB_ERRLEN] = "";
    assert_int_equal(lesson_parse(&l, "dir/ex.lesson", EXAMPLE, strlen(EXAMPLE), err), 0);
    assert_string_equal(l.title, "Tokens");
    assert_string_equal(l.name, "ex.lesson");
    assert_int_equal(l.n_steps, 3);
    LessonStep *a = &l.steps[0];
    assert_int_equal(a->line, 4);
    assert_string_equal(a->title, "First look");
    assert_int_equal(a->n_blocks, 5);
    assert_string_equal(a->blocks[0].text, "A model reads *tokens*, not letters.");
    assert_int_equal(a->blocks[0].verbatim, 0);
    assert_string_equal(a->blocks[1].text, "Second `paragraph`.");
    assert_int_equal(a->blocks[2].verbatim, 1);
    assert_string_equal(a->blocks[3].text, "    return x");
    assert_string_equal(a->blocks[4].text, "? not a question");
    assert_int_equal(a->n_cmds, 2);
    assert_int_equal(a->cmds[0].line, 12);
    assert_int_equal(a->cmds[0].cmd.id, CMD_TOKENIZE);
    assert_string_equal(a->cmds[0].cmd.text, "user_authentication_token");
    assert_int_equal(a->cmds[1].cmd.id, CMD_VIEW);
    assert_int_equal(a->cmds[1].cmd.view, VIEW_TOKENS);
    assert_true(a->has_question);
    assert_int_equal(a->q.line, 14);
    assert_int_equal(a->q.kind, ANSWER_COUNT_TOKENS);
    assert_string_equal(a->q.arg.text, "user_authentication_token");
    assert_string_equal(a->q.hint, "Count the boxes.");
    assert_string_equal(a->q.wrong, "It is {answer}, one per box.");
    LessonStep *b = &l.steps[1];
    assert_string_equal(b->title, "");
    assert_int_equal(b->n_cmds, 3);
    assert_string_equal(b->cmds[0].cmd.text, "def add(a, b):\n");
    assert_int_equal(b->cmds[2].cmd.inum, 3);
    assert_int_equal(b->q.kind, ANSWER_FEWEST_TOKENS);
    assert_int_equal(b->q.n_choices, 2);
    assert_string_equal(b->q.choices[0].text, " return");
    assert_int_equal(l.steps[2].q.kind, ANSWER_FREE);
    lesson_free(&l);
}

typedef struct {
    const char *text;
    const char *where; /* expected "FILE:LINE:" prefix */
    const char *what;  /* a part of the message */
} Broken;

static const Broken BROKEN[] = {
    {"title: t\nstep: a\n> fly away\n", "b.lesson:3:", "unknown command"},
    {"title: t\nstep: a\n> temp abc\n", "b.lesson:3:", "temp"},
    {"title: t\nstep: a\n> topp 7\n", "b.lesson:3:", "topp"},
    {"title: t\nstep: a\n\n? How many?\nhint: count\n", "b.lesson:4:", "without an answer"},
    {"title: t\nstep: a\n? How many?\nanswer: guess 3\n", "b.lesson:4:", "unknown kind"},
    {"title: t\nstep: a\nnice \xff text\n", "b.lesson:3:", "invalid UTF-8"},
    {"title: t\nstep: a\nover\xc0\xaflong\n", "b.lesson:3:", "invalid UTF-8"},
    {"title: t\nstep: a\nbell\x07\n", "b.lesson:3:", "control character"},
    {"title: t\nstep: a\n> step 1000000\n", "b.lesson:3:", "more than a lesson may ask for"},
    {"title: t\nstep: a\n> quit\n", "b.lesson:3:", "not allowed in a lesson"},
    {"title: t\nstep: a\n> help\n", "b.lesson:3:", "not allowed in a lesson"},
    {"title: t\nstep: a\n> !rm -rf /\n", "b.lesson:3:", "unknown command"},
    {"title: t\nstep: a\n> $(touch x)\n", "b.lesson:3:", "unknown command"},
    {"title: t\nstep: a\n> model /etc/passwd\n", "b.lesson:3:", "only name a .gguf model"},
    {"title: t\nstep: a\n> model ../../etc/shadow\n", "b.lesson:3:", "only name a .gguf model"},
    {"title: t\nstep: a\n> model missing.gguf\n", "b.lesson:3:", "no such model"},
    {"title: t\nstep: a\n> tem 0.5\n", "b.lesson:3:", "full name"},
    {"step: a\n", "b.lesson:1:", "title"},
    {"title: t\nhello\n", "b.lesson:2:", "before the first step"},
    {"title: t\nstep: a\n? q\nanswer: any\n? q2\n", "b.lesson:5:", "second question"},
    {"title: t\nstep: a\nanswer: any\n", "b.lesson:3:", "outside a question"},
    {"title: t\nstep: a\n? q\nanswer: choice c\nchoice: x\nchoice: y\n", "b.lesson:3:", "2 choices"},
    {"title: t\nstep: a\n? q\nanswer: likeliest\nchoice: x\n", "b.lesson:3:", "at least two"},
    {"title: t\nstep: a\n? q\nanswer: any\n> step 1\n", "b.lesson:5:", "before the step's question"},
    {"title: t\nstep: a\n? q\nanswer: any\nmore words\n", "b.lesson:5:", "after the question"},
    {"title: t\nstep: a\n? q\nanswer: count-tokens \"abc\n", "b.lesson:4:", "closing quote"},
    {"title: t\n", "b.lesson:2:", "no step"},
};

static void test_broken_lessons(void **state) {
    Fixture *f = *state;
    char path[400], err[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/b.lesson", f->dir);
    for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
        Lesson l;
        err[0] = 0;
        int rc = lesson_parse(&l, path, BROKEN[i].text, strlen(BROKEN[i].text), err);
        if (rc == 0) fail_msg("case %zu parsed but should not: %s", i, BROKEN[i].text);
        char want[400];
        snprintf(want, sizeof want, "%s/%s", f->dir, BROKEN[i].where);
        if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, BROKEN[i].what))
            fail_msg("case %zu: got '%s', want '%s ...%s...'", i, err, want, BROKEN[i].what);
        assert_null(l.steps); /* nothing left to free */
    }
}

static void test_long_line_and_bounds(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    size_t n = LESSON_MAX_LINE + 100;
    char *text = gb_malloc(n + 64);
    strcpy(text, "title: t\nstep: a\n");
    size_t k = strlen(text);
    memset(text + k, 'x', LESSON_MAX_LINE + 1);
    strcpy(text + k + LESSON_MAX_LINE + 1, "\n");
    Lesson l;
    assert_int_equal(lesson_parse(&l, "long.lesson", text, strlen(text), err), -1);
    assert_string_equal(err, "long.lesson:3: line longer than 1000 bytes");
    /* exactly the limit is fine */
    strcpy(text + k + LESSON_MAX_LINE, "\n");
    assert_int_equal(lesson_parse(&l, "long.lesson", text, strlen(text), err), 0);
    lesson_free(&l);
    free(text);

    /* the whole lesson's generation is bounded too, not only each command */
    char buf[4096] = "title: t\nstep: a\n";
    for (int i = 0; i * LESSON_MAX_GENERATE <= LESSON_MAX_WORK; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "step: s%d\n> step %d\n", i, LESSON_MAX_GENERATE);
    assert_int_equal(lesson_parse(&l, "w.lesson", buf, strlen(buf), err), -1);
    assert_non_null(strstr(err, "generates more than"));
}

static void test_model_file_rules(void **state) {
    Fixture *f = *state;
    char path[400], junk[400], text[1200], err[GB_ERRLEN];
    /* a .gguf name on a file that is not GGUF */
    snprintf(junk, sizeof junk, "%s/fake.gguf", f->dir);
    write_text(junk, "#!/bin/sh\necho hi\n");
    snprintf(path, sizeof path, "%s/m.lesson", f->dir);
    Lesson l;
    const char *t1 = "title: t\nstep: a\n> model fake.gguf\n";
    assert_int_equal(lesson_parse(&l, path, t1, strlen(t1), err), -1);
    assert_non_null(strstr(err, "m.lesson:3: model: 'fake.gguf' is not a GGUF model file"));
    /* a directory named .gguf */
    snprintf(junk, sizeof junk, "%s/d.gguf", f->dir);
    assert_int_equal(mkdir(junk, 0700), 0);
    const char *t2 = "title: t\nstep: a\n> model d.gguf\n";
    assert_int_equal(lesson_parse(&l, path, t2, strlen(t2), err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    /* the real model beside the lesson is accepted, and resolved against the lesson's directory */
    snprintf(text, sizeof text, "title: t\nstep: a\n> model tiny.gguf\n> prompt x\n");
    assert_int_equal(lesson_parse(&l, path, text, strlen(text), err), 0);
    assert_string_equal(l.steps[0].cmds[0].cmd.text, f->model_path);
    lesson_free(&l);
}

/* ---- questions ---- */

static Lesson parse_ok(const char *text) {
    Lesson l;
    char err[GB_ERRLEN] = "";
    int rc = lesson_parse(&l, "q.lesson", text, strlen(text), err);
    if (rc != 0) fail_msg("%s", err);
    return l;
}

static void test_count_tokens_question(void **state) {
    Fixture *f = *state;
    const char *words[] = {"user_authentication_token", "userAuthenticationToken", "x", "    return None\n"};
    for (size_t i = 0; i < 4; i++) {
        char text[600], quoted[200], err[GB_ERRLEN];
        commands_quote(words[i], strlen(words[i]), quoted, sizeof quoted);
        snprintf(text, sizeof text, "title: t\nstep: a\n? how many?\nanswer: count-tokens %s\n", quoted);
        Lesson l = parse_ok(text);
        TokenSpan *spans;
        int want = tokenizer_encode(f->s.tok, words[i], strlen(words[i]), &spans, err);
        free(spans);
        assert_true(want > 0);
        LessonAnswer a;
        assert_int_equal(lesson_compute_answer(&l, 0, &f->s, &a, err), 0);
        assert_int_equal((int)a.number, want);
        char in[32], msg[100];
        snprintf(in, sizeof in, " %d ", want);
        assert_int_equal(lesson_check_answer(&l.steps[0].q, &a, in, msg, sizeof msg), 1);
        snprintf(in, sizeof in, "%d", want + 1);
        assert_int_equal(lesson_check_answer(&l.steps[0].q, &a, in, msg, sizeof msg), 0);
        assert_int_equal(lesson_check_answer(&l.steps[0].q, &a, "many", msg, sizeof msg), -1);
        assert_string_equal(msg, "answer with a number");
        char fb[200];
        snprintf(in, sizeof in, "It is %d.", want);
        const char *def = lesson_feedback(&l.steps[0].q, &a, 0, fb, sizeof fb);
        assert_non_null(strstr(def, in + 6));
        lesson_answer_free(&a);
        lesson_free(&l);
    }
}

/* The top token after a prompt, computed with a second copy of the model (same seed). */
static void test_top_token_and_likeliest(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    const char *prompt = "def add(a, b):\n    return";
    Lesson l = parse_ok("title: t\nstep: a\n> prompt \"def add(a, b):\\n    return\"\n> temp 0.5\n"
                        "? next?\nanswer: top-token\n"
                        "step: b\n? which?\nanswer: likeliest\nchoice: \" a\"\nchoice: \" b\"\nchoice: \"(\"\n"
                        "step: c\n? sure?\nanswer: top-prob within 5\n");
    Model m;
    Config c = small_config(tokenizer_vocab_size(f->s.tok));
    assert_int_equal(model_init_random(&m, &c, SEED, err), 0);
    TokenSpan *spans;
    int n = tokenizer_encode(f->s.tok, prompt, strlen(prompt), &spans, err);
    int32_t ids[64];
    for (int i = 0; i < n; i++) ids[i] = spans[i].id;
    free(spans);
    const float *logits = model_forward_prompt(&m, ids, n, 0);
    assert_non_null(logits);
    int32_t best = 0;
    for (int v = 1; v < c.vocab_size; v++)
        if (logits[v] > logits[best]) best = v;
    /* softmax at T = 0.5 for the top token's probability */
    double z = 0;
    for (int v = 0; v < c.vocab_size; v++) z += exp((logits[v] - logits[best]) / 0.5);
    double top_pct = 100.0 / z;
    int32_t choice_ids[3] = {tokenizer_find(f->s.tok, " a", 2), tokenizer_find(f->s.tok, " b", 2),
                             tokenizer_find(f->s.tok, "(", 1)};
    int best_choice = 0;
    for (int i = 1; i < 3; i++)
        if (logits[choice_ids[i]] > logits[choice_ids[best_choice]]) best_choice = i;

    LessonScene sc;
    assert_int_equal(lesson_goto(&l, 0, &f->s, NULL, &sc, err), 0);
    LessonAnswer a;
    assert_int_equal(lesson_compute_answer(&l, 0, &f->s, &a, err), 0);
    size_t blen;
    const char *bytes = tokenizer_token_bytes(f->s.tok, best, &blen);
    assert_int_equal(a.token.len, blen);
    assert_memory_equal(a.token.text, bytes, blen);
    char in[300], msg[100];
    snprintf(in, sizeof in, "\"%.*s\"", (int)blen, bytes); /* quoted, exactly */
    assert_int_equal(lesson_check_answer(&l.steps[0].q, &a, in, msg, sizeof msg), 1);
    lesson_answer_free(&a);

    assert_int_equal(lesson_run_step(&l, 1, &f->s, &sc, err), 0);
    assert_int_equal(lesson_compute_answer(&l, 1, &f->s, &a, err), 0);
    for (int i = 0; i < 3; i++) assert_int_equal(a.right[i], i == best_choice);
    char letter[2] = {lesson_choice_letter(best_choice), 0};
    assert_int_equal(lesson_check_answer(&l.steps[1].q, &a, letter, msg, sizeof msg), 1);
    letter[0] = lesson_choice_letter((best_choice + 1) % 3);
    assert_int_equal(lesson_check_answer(&l.steps[1].q, &a, letter, msg, sizeof msg), 0);
    assert_int_equal(lesson_check_answer(&l.steps[1].q, &a, "z", msg, sizeof msg), -1);
    lesson_answer_free(&a);

    assert_int_equal(lesson_run_step(&l, 2, &f->s, &sc, err), 0);
    assert_int_equal(lesson_compute_answer(&l, 2, &f->s, &a, err), 0);
    assert_true(fabs(a.number - top_pct) < 1e-3);
    snprintf(in, sizeof in, "%.1f%%", top_pct + 4.5);
    assert_int_equal(lesson_check_answer(&l.steps[2].q, &a, in, msg, sizeof msg), 1);
    snprintf(in, sizeof in, "%.1f", top_pct + 6);
    assert_int_equal(lesson_check_answer(&l.steps[2].q, &a, in, msg, sizeof msg), 0);
    lesson_answer_free(&a);
    model_free(&m);
    lesson_free(&l);
}

static void test_fewest_tokens_and_head(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    const char *opts[3] = {"user_authentication_token", "userAuthenticationToken", "uat"};
    Lesson l = parse_ok("title: t\nstep: a\n? fewest?\nanswer: fewest-tokens\nchoice: user_authentication_token\n"
                        "choice: userAuthenticationToken\nchoice: uat\n"
                        "step: b\n> prompt \"print(len(x))\"\n> layer 1\n? head?\nanswer: top-head \"(\"\n"
                        "step: c\n? key?\nanswer: top-key\n");
    int counts[3], lo = 1 << 30;
    for (int i = 0; i < 3; i++) {
        TokenSpan *sp;
        counts[i] = tokenizer_encode(f->s.tok, opts[i], strlen(opts[i]), &sp, err);
        free(sp);
        if (counts[i] < lo) lo = counts[i];
    }
    LessonAnswer a;
    assert_int_equal(lesson_goto(&l, 0, &f->s, NULL, NULL, err), 0);
    assert_int_equal(lesson_compute_answer(&l, 0, &f->s, &a, err), 0);
    for (int i = 0; i < 3; i++) assert_int_equal(a.right[i], counts[i] == lo);
    lesson_answer_free(&a);

    assert_int_equal(lesson_goto(&l, 1, &f->s, NULL, NULL, err), 0);
    assert_int_equal(lesson_compute_answer(&l, 1, &f->s, &a, err), 0);
    /* the head of layer 1 whose weight from the last token onto the token holding '(' is largest,
     * read straight from the probes */
    const Config *c = &f->s.model.config;
    int q = f->s.n_tokens - 1, key = -1;
    for (int k = 0; k < f->s.n_tokens; k++)
        if (f->s.text[f->s.tokens[k].start] == '(' && key < 0) key = k;
    assert_true(key >= 0);
    int best = 0;
    for (int h = 0; h < c->n_heads; h++) {
        const float *w = f->s.model.probes.attn + (((size_t)1 * c->n_heads + h) * c->seq_len + q) * c->seq_len;
        const float *wb = f->s.model.probes.attn + (((size_t)1 * c->n_heads + best) * c->seq_len + q) * c->seq_len;
        if (w[key] > wb[key]) best = h;
    }
    assert_int_equal((int)a.number, best);
    char in[32], msg[100];
    snprintf(in, sizeof in, "head %d", best);
    assert_int_equal(lesson_check_answer(&l.steps[1].q, &a, in, msg, sizeof msg), 1);
    lesson_answer_free(&a);

    assert_int_equal(lesson_run_step(&l, 2, &f->s, NULL, err), 0);
    assert_int_equal(lesson_compute_answer(&l, 2, &f->s, &a, err), 0);
    const float *w = f->s.model.probes.attn + ((size_t)1 * c->n_heads * c->seq_len + q) * c->seq_len;
    int bk = 0;
    for (int k = 1; k <= q; k++)
        if (w[k] > w[bk]) bk = k;
    size_t blen;
    const char *bytes = tokenizer_token_bytes(f->s.tok, f->s.tokens[bk].id, &blen);
    assert_memory_equal(a.token.text, bytes, blen);
    lesson_answer_free(&a);
    lesson_free(&l);
}

/* most-plausible: the choice with the fewest bits when fed after the scene, computed here with a second
 * copy of the model and a softmax of our own. */
static double bits_after(Model *m, const int32_t *prefix, int np, const Tokenizer *tok, const char *text) {
    char err[GB_ERRLEN];
    TokenSpan *sp;
    int n = tokenizer_encode(tok, text, strlen(text), &sp, err);
    const float *logits = model_forward_prompt(m, prefix, np, 0);
    double bits = 0;
    for (int i = 0; i < n; i++) {
        double mx = logits[0], z = 0;
        for (int v = 1; v < m->config.vocab_size; v++)
            if (logits[v] > mx) mx = logits[v];
        for (int v = 0; v < m->config.vocab_size; v++) z += exp(logits[v] - mx);
        bits += -((logits[sp[i].id] - mx) - log(z)) / log(2.0);
        if (i + 1 < n) logits = model_forward(m, sp[i].id, np + i);
    }
    free(sp);
    return bits;
}

static void test_most_plausible(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN], msg[100];
    const char *opts[3] = {" os.path.join(a, b)", " os.path.joinpath(a, b)", " 42"};
    Lesson l = parse_ok("title: t\nstep: a\n> prompt \"import os\\nname =\"\n> score \" os.path\"\n"
                        "? which?\nanswer: most-plausible\n"
                        "choice: \" os.path.join(a, b)\"\nchoice: \" os.path.joinpath(a, b)\"\nchoice: \" 42\"\n");
    assert_int_equal(lesson_goto(&l, 0, &f->s, NULL, NULL, err), 0);
    int32_t prefix[64];
    int np = f->s.n_tokens; /* the scene: the prompt and the scored tokens */
    assert_true(np > 0 && np < 64);
    assert_true(f->s.n_tokens > f->s.n_prompt); /* score appended the continuation */
    for (int i = 0; i < np; i++) prefix[i] = f->s.tokens[i].id;
    LessonAnswer a;
    assert_int_equal(lesson_compute_answer(&l, 0, &f->s, &a, err), 0);
    Model m;
    Config c = small_config(tokenizer_vocab_size(f->s.tok));
    assert_int_equal(model_init_random(&m, &c, SEED, err), 0);
    double bits[3];
    int best = 0;
    for (int i = 0; i < 3; i++) {
        bits[i] = bits_after(&m, prefix, np, f->s.tok, opts[i]);
        if (bits[i] < bits[best]) best = i;
    }
    for (int i = 0; i < 3; i++) assert_int_equal(a.right[i], fabs(bits[i] - bits[best]) < 1e-6);
    char letter[2] = {lesson_choice_letter(best), 0};
    assert_int_equal(lesson_check_answer(&l.steps[0].q, &a, letter, msg, sizeof msg), 1);
    /* the session still works from where the scene left it */
    assert_int_equal(session_step(&f->s, 1, err), 1);
    lesson_answer_free(&a);
    model_free(&m);
    lesson_free(&l);
}

static void test_fixed_questions(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN], msg[100], fb[200];
    Lesson l = parse_ok("title: t\nstep: a\n? pick\nanswer: choice b\nchoice: one\nchoice: Two words\nchoice: three\n"
                        "right: Yes, {answer}!\n"
                        "step: b\n? say\nanswer: text \"seed\" random\n"
                        "step: c\n? num\nanswer: number 2.5 within 0.5\n"
                        "step: d\n? think\nanswer: any\n");
    LessonAnswer a;
    assert_int_equal(lesson_compute_answer(&l, 0, &f->s, &a, err), 0);
    const LessonQuestion *q = &l.steps[0].q;
    assert_int_equal(lesson_check_answer(q, &a, "b", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(q, &a, "B)", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(q, &a, " two WORDS ", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(q, &a, "a", msg, sizeof msg), 0);
    assert_int_equal(lesson_check_answer(q, &a, "d", msg, sizeof msg), -1);
    assert_string_equal(msg, "answer with a letter, a to c");
    assert_string_equal(lesson_feedback(q, &a, 1, fb, sizeof fb), "Yes, b) Two words!");
    lesson_answer_free(&a);
    assert_int_equal(lesson_compute_answer(&l, 1, &f->s, &a, err), 0);
    assert_int_equal(lesson_check_answer(&l.steps[1].q, &a, "Random", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&l.steps[1].q, &a, "temperature", msg, sizeof msg), 0);
    lesson_answer_free(&a);
    assert_int_equal(lesson_compute_answer(&l, 2, &f->s, &a, err), 0);
    assert_int_equal(lesson_check_answer(&l.steps[2].q, &a, "2.9", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&l.steps[2].q, &a, "3.1", msg, sizeof msg), 0);
    lesson_answer_free(&a);
    assert_int_equal(lesson_compute_answer(&l, 3, &f->s, &a, err), 0);
    assert_int_equal(lesson_check_answer(&l.steps[3].q, &a, "anything", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&l.steps[3].q, &a, "   ", msg, sizeof msg), -1);
    lesson_answer_free(&a);
    lesson_free(&l);
}

/* A step looks the same however it is reached: replay from the start. */
static void test_goto_replays(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    Lesson l = parse_ok("title: t\nstep: a\n> prompt \"import \"\n> temp 1.5\n> seed 7\n> step 4\n"
                        "step: b\n> step 3\n> view attention\nstep: c\n> back 2\n> temp 0\n");
    LessonScene sc;
    assert_int_equal(lesson_goto(&l, 1, &f->s, NULL, &sc, err), 0);
    assert_int_equal(sc.view, VIEW_ATTENTION);
    char *first = gb_strdup(f->s.text);
    assert_int_equal(f->s.n_tokens - f->s.n_prompt, 7);
    assert_int_equal(lesson_goto(&l, 2, &f->s, NULL, &sc, err), 0);
    assert_int_equal(f->s.n_tokens - f->s.n_prompt, 5);
    assert_true(f->s.sampler.temperature == 0);
    assert_int_equal(lesson_goto(&l, 0, &f->s, NULL, &sc, err), 0);
    assert_int_equal(sc.view, -1);
    assert_int_equal(lesson_goto(&l, 1, &f->s, NULL, &sc, err), 0);
    assert_string_equal(f->s.text, first);
    assert_true(f->s.sampler.temperature == 1.5f);
    assert_int_equal(lesson_goto(&l, 3, &f->s, NULL, &sc, err), -1);
    free(first);
    lesson_free(&l);
}

/* lesson_check replays and evaluates; a computation that cannot be done names the answer's line. */
static void test_check_file(void **state) {
    Fixture *f = *state;
    char path[400], err[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/c.lesson", f->dir);
    write_text(path, "title: t\nstep: a\n> prompt \"f(x)\"\n? head\nanswer: top-head \"(\"\n"
                     "step: b\n? next\nanswer: top-token\n");
    assert_int_equal(lesson_check(path, &f->s, NULL, err), 0);
    write_text(path, "title: t\nstep: a\n> prompt \"f(x)\"\n? head\n\nanswer: top-head \"[\"\n");
    assert_int_equal(lesson_check(path, &f->s, NULL, err), -1);
    char want[500];
    snprintf(want, sizeof want, "%s:6: top-head: '[' does not occur", path);
    assert_non_null(strstr(err, want));
    write_text(path, "title: t\nstep: a\n> prompt \"x\"\n> select 5\n");
    assert_int_equal(lesson_check(path, &f->s, NULL, err), -1);
    snprintf(want, sizeof want, "%s:4: ", path);
    assert_non_null(strstr(err, want));
    write_text(path, "title: t\nstep: a\n? next\nanswer: top-token\n");
    assert_int_equal(lesson_check(path, &f->s, NULL, err), -1);
    assert_non_null(strstr(err, "no text to predict"));
}

/* ---- progress ---- */

static int count_entries(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    if (d) closedir(d);
    return n;
}

/* Two sessions on one progress file (two TUIs, one state directory): each loads it once, then records
 * answers and saves after each one, both at the same time. Every answer either recorded must be in
 * the file at the end: saves merge under a lock instead of writing back a stale whole copy. */
static void record_answers(const char *path, const char *own_lesson, int parity) {
    Progress p;
    char note[GB_ERRLEN], err[GB_ERRLEN];
    if (progress_load(&p, path, note, err) != 0) _exit(3);
    for (int i = 0; i < 20; i++) {
        char text[32];
        snprintf(text, sizeof text, "answer %d", 2 * i + parity);
        progress_set_answer(&p, "shared.lesson", 2 * i + parity, 1, text);
        progress_set_answer(&p, own_lesson, i, parity, text);
        progress_set_step(&p, own_lesson, i, 20);
        if (progress_save(&p, err) != 0) _exit(4);
    }
    progress_free(&p);
    _exit(0);
}

static void test_progress_two_sessions(void **state) {
    (void)state;
    char dir[] = "/tmp/glassbox-progress-XXXXXX", path[256], note[GB_ERRLEN], err[GB_ERRLEN];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/progress", dir);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) record_answers(path, k ? "b.lesson" : "a.lesson", k);
    }
    for (int k = 0; k < 2; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    Progress p;
    assert_int_equal(progress_load(&p, path, note, err), 0);
    assert_string_equal(note, "");
    const ProgressLesson *shared = progress_lesson(&p, "shared.lesson", 0);
    assert_non_null(shared);
    assert_int_equal(shared->n_answers, 40);
    for (int step = 0; step < 40; step++) {
        const ProgressAnswer *a = progress_answer(shared, step);
        assert_non_null(a);
        char want[32];
        snprintf(want, sizeof want, "answer %d", step);
        assert_string_equal(a->text, want);
    }
    for (int k = 0; k < 2; k++) {
        const ProgressLesson *own = progress_lesson(&p, k ? "b.lesson" : "a.lesson", 0);
        assert_non_null(own);
        assert_int_equal(own->n_answers, 20);
        assert_int_equal(own->step, 19);
    }
    /* a reset in one session removes that lesson, and only what that session knew of it */
    progress_reset(&p, "a.lesson");
    assert_int_equal(progress_save(&p, err), 0);
    progress_free(&p);
    assert_int_equal(progress_load(&p, path, note, err), 0);
    assert_null(progress_lesson(&p, "a.lesson", 0));
    assert_non_null(progress_lesson(&p, "b.lesson", 0));
    progress_free(&p);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_progress_round_trip(void **state) {
    Fixture *f = *state;
    char dir[400], path[500], note[GB_ERRLEN], err[GB_ERRLEN];
    snprintf(dir, sizeof dir, "%s/state", f->dir);
    setenv("XDG_STATE_HOME", dir, 1);
    assert_non_null(progress_default_path(path, sizeof path));
    snprintf(err, sizeof err, "%s/glassbox/progress", dir);
    assert_string_equal(path, err);
    Progress p;
    assert_int_equal(progress_load(&p, path, note, err), 0); /* missing: empty, no note */
    assert_int_equal(p.n_lessons, 0);
    assert_string_equal(note, "");
    progress_set_step(&p, "01-tokens.lesson", 3, 7);
    progress_set_answer(&p, "01-tokens.lesson", 1, 1, "7");
    progress_set_answer(&p, "01-tokens.lesson", 2, 0, "a \"quoted\"\\ answer\nwith\ttabs \xc3\xa9");
    progress_set_answer(&p, "01-tokens.lesson", 1, 0, "8"); /* replaces the first */
    progress_set_step(&p, "my lesson.lesson", 0, 2);
    assert_int_equal(progress_save(&p, err), 0); /* creates state/glassbox/ */
    char gdir[500];
    snprintf(gdir, sizeof gdir, "%s/glassbox", dir);
    assert_int_equal(count_entries(gdir, "progress.tmp"), 0);
    Progress r;
    assert_int_equal(progress_load(&r, path, note, err), 0);
    assert_string_equal(note, "");
    assert_int_equal(r.n_lessons, 2);
    ProgressLesson *a = progress_lesson(&r, "01-tokens.lesson", 0);
    assert_non_null(a);
    assert_int_equal(a->step, 3);
    assert_int_equal(a->n_steps, 7);
    assert_int_equal(a->n_answers, 2);
    const ProgressAnswer *x = progress_answer(a, 1);
    assert_string_equal(x->text, "8");
    assert_int_equal(x->right, 0);
    x = progress_answer(a, 2);
    assert_string_equal(x->text, "a \"quoted\"\\ answer\nwith\ttabs \xc3\xa9");
    assert_null(progress_answer(a, 5));
    assert_int_equal(progress_lesson(&r, "my lesson.lesson", 0)->n_steps, 2);
    progress_reset(&r, "01-tokens.lesson");
    assert_null(progress_lesson(&r, "01-tokens.lesson", 0));
    progress_free(&r);
    progress_free(&p);
    unsetenv("XDG_STATE_HOME");
}

static void test_progress_corrupt(void **state) {
    Fixture *f = *state;
    char dir[400], path[500], note[GB_ERRLEN], err[GB_ERRLEN];
    snprintf(dir, sizeof dir, "%s/corrupt", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/progress", dir);
    const char *bad[] = {
        "not a progress file\n",
        "glassbox-progress 1\nlesson \"a\" 3 4",                 /* unfinished last line */
        "glassbox-progress 1\nanswer \"a\" 1 1 \"x\"\n",         /* answer for no lesson */
        "glassbox-progress 1\nlesson \"a\" -3 4\n",              /* negative step */
        "glassbox-progress 1\nlesson \"a\" 99999999 4\n",        /* absurd step */
        "glassbox-progress 1\nlesson \"a 3 4\n",                 /* unclosed quote */
        "glassbox-progress 1\nlesson \"a\" 1 2\nanswer \"a\" 1 7 \"x\"\n", /* right is 0 or 1 */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i]);
        Progress p;
        assert_int_equal(progress_load(&p, path, note, err), 0);
        assert_int_equal(p.n_lessons, 0);
        if (!strstr(note, "moved to")) fail_msg("case %zu: note '%s'", i, note);
        assert_int_equal(access(path, F_OK), -1); /* set aside */
        /* saving afterwards works and gives a file that loads */
        progress_set_step(&p, "x.lesson", 1, 2);
        assert_int_equal(progress_save(&p, err), 0);
        progress_free(&p);
        assert_int_equal(progress_load(&p, path, note, err), 0);
        assert_string_equal(note, "");
        assert_int_equal(p.n_lessons, 1);
        progress_free(&p);
        unlink(path);
        /* the corrupt file is kept aside with its content (same second: later ones replace it) */
        assert_true(count_entries(dir, "progress.corrupt-") >= 1);
    }
    /* a directory where the file should be */
    assert_int_equal(mkdir(path, 0700), 0);
    Progress p;
    assert_int_equal(progress_load(&p, path, note, err), 0);
    assert_non_null(strstr(note, "not a regular file"));
    progress_free(&p);
}

/* ---- the player and the pane ---- */

static void test_player_and_view(void **state) {
    Fixture *f = *state;
    char path[400], err[GB_ERRLEN], ppath[400], note[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/player.lesson", f->dir);
    write_text(path, "title: Player test\n"
                     "step: One\nA model reads *tokens*, not `letters`, and this sentence is long enough to wrap twice "
                     "in a narrow pane.\n| def f(x):\n> prompt \"ab\"\n"
                     "? Pick one\nanswer: choice b\nchoice: first\nchoice: second\nhint: Not the first.\n"
                     "right: Yes, {answer}.\nwrong: No, it is {answer}.\n"
                     "step: Two\nThe end.\n");
    snprintf(ppath, sizeof ppath, "%s/player-progress", f->dir);
    Progress prog;
    assert_int_equal(progress_load(&prog, ppath, note, err), 0);
    LessonPlayer lp;
    LessonScene sc;
    assert_int_equal(lesson_player_open(&lp, path, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lp.step, 0);
    assert_true(lp.has_answer);
    assert_string_equal(f->s.text, "ab");
    assert_int_equal(lesson_player_answer(&lp, "a", &f->s, &prog), 0);
    assert_true(lp.show_hint);
    assert_null(strstr(lp.feedback, "second")); /* a first wrong answer gets the hint, not the answer */
    assert_int_equal(lesson_player_answer(&lp, "a", &f->s, &prog), 0);
    assert_string_equal(lp.feedback, "No, it is b) second.");

    Canvas c;
    canvas_init(&c, 40, 30);
    UiState ui;
    ui_init(&ui);
    ViewLesson_draw(&c, (Rect){0, 0, 40, 30}, &lp, &ui);
    int x, y;
    assert_true(canvas_find(&c, "Player test", &x, &y));
    assert_int_equal(y, 0);
    assert_true(canvas_find(&c, "step 1/2", &x, &y));
    assert_true(canvas_find(&c, "A model reads tokens, not letters,", &x, &y)); /* markup gone */
    assert_false(canvas_find(&c, "`", &x, &y));
    assert_true(canvas_find(&c, "? Pick one", &x, &y));
    assert_true(canvas_find(&c, "b) second", &x, &y));
    assert_true(canvas_find(&c, "hint: Not the first.", &x, &y));
    if (getenv("DUMP"))
        for (int r = 0; r < c.h; r++) {
            char *row = canvas_row_text(&c, r);
            fprintf(stderr, "|%s\n", row);
            free(row);
        }
    assert_true(canvas_find(&c, "No, it is b) second.", &x, &y));
    assert_true(canvas_find(&c, "\u25b8 prompt \"ab\"", &x, &y));

    assert_int_equal(lesson_player_answer(&lp, "b", &f->s, &prog), 1);
    assert_string_equal(lp.feedback, "Yes, b) second.");
    assert_int_equal(lesson_player_goto(&lp, 1, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lesson_player_goto(&lp, 5, &f->s, &prog, &sc, err), 0); /* clamped */
    assert_int_equal(lp.step, 1);
    assert_int_equal(progress_save(&prog, err), 0);
    lesson_player_close(&lp);
    progress_free(&prog);

    /* reopening resumes at the saved step, with the saved answer shown on step 1 */
    assert_int_equal(progress_load(&prog, ppath, note, err), 0);
    assert_int_equal(lesson_player_open(&lp, path, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lp.step, 1);
    assert_int_equal(lesson_player_goto(&lp, 0, &f->s, &prog, &sc, err), 0);
    assert_true(lp.answered && lp.right);
    assert_string_equal(lp.input, "b");
    lesson_player_close(&lp);

    /* the course menu shows the progress */
    char *paths[2] = {path, ppath};
    char *titles[2] = {"Player test", NULL};
    canvas_clear(&c, (Style){0});
    ViewCourse_draw(&c, (Rect){0, 0, 40, 10}, paths, titles, NULL, 2, 0, &prog, &ui);
    assert_true(canvas_find(&c, " 1  Player test", &x, &y));
    assert_true(canvas_find(&c, "step 1/2", &x, &y));
    assert_true(canvas_find(&c, "not started", &x, &y));
    progress_free(&prog);
    ui_free(&ui);
    canvas_free(&c);
}

/* Lesson mode as the TUI drives it: the menu, keys, commands, the frame, and resuming after a restart. */
static void test_lesson_ui(void **state) {
    Fixture *f = *state;
    char dir[400], p1[500], p2[500], st[400];
    snprintf(dir, sizeof dir, "%s/course", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(p1, sizeof p1, "%s/01-a.lesson", dir);
    snprintf(p2, sizeof p2, "%s/02-b.lesson", dir);
    write_text(p1, "title: First lesson\nstep: s1\nHello.\n> prompt \"x = 1\"\n? count\nanswer: count-tokens \"x\"\n"
                   "step: s2\n> view attention\nSecond.\nstep: s3\nThird.\n");
    write_text(p2, "title: Second lesson\nstep: only\nOne step.\n");
    snprintf(st, sizeof st, "%s/uistate", f->dir);
    setenv("GLASSBOX_LESSONS", dir, 1);
    setenv("XDG_STATE_HOME", st, 1);
    UiState ui;
    ui_init(&ui);
    LessonUi lu;
    lesson_ui_init(&lu, &ui);
    char err[GB_ERRLEN];
    assert_int_equal(lesson_ui_open_menu(&lu, &ui, err), 0);
    assert_int_equal(lu.n_lessons, 2);
    assert_string_equal(lu.titles[1], "Second lesson");
    Canvas c;
    canvas_init(&c, 140, 40);
    lesson_ui_draw(&lu, &c, &f->s, &ui);
    int x, y;
    assert_true(canvas_find(&c, " 2  Second lesson", &x, &y));
    assert_true(lesson_ui_key(&lu, GB_KEY_DOWN, &f->s, &ui));
    assert_true(lesson_ui_key(&lu, GB_KEY_UP, &f->s, &ui));
    assert_true(lesson_ui_key(&lu, GB_KEY_ENTER, &f->s, &ui));
    assert_true(lu.active);
    assert_false(lu.menu);
    assert_string_equal(f->s.text, "x = 1");
    lesson_ui_draw(&lu, &c, &f->s, &ui);
    assert_true(canvas_find(&c, "First lesson", &x, &y));
    assert_true(x >= 140 - 72); /* the pane is on the right */
    assert_true(canvas_find(&c, "step 1/3", &x, &y));
    assert_true(lesson_ui_command(&lu, "hint", NULL, &f->s, &ui));
    assert_false(lu.player.show_hint); /* this question has none */
    assert_true(lesson_ui_command(&lu, "answer", "1", &f->s, &ui));
    assert_true(lu.player.answered);
    assert_true(lu.player.right);
    ui.view = VIEW_TOKENS;
    assert_true(lesson_ui_key(&lu, 'n', &f->s, &ui));
    assert_int_equal(lu.player.step, 1);
    assert_int_equal(ui.view, VIEW_ATTENTION); /* the scene's view */
    assert_false(lesson_ui_key(&lu, ' ', &f->s, &ui)); /* other keys stay the TUI's */
    assert_false(lesson_ui_command(&lu, "prompt", "x", &f->s, &ui));
    /* a small terminal: the pane goes over the views */
    Canvas small;
    canvas_init(&small, 80, 24);
    lesson_ui_draw(&lu, &small, &f->s, &ui);
    assert_true(canvas_find(&small, "step 2/3", &x, &y));
    canvas_free(&small);
    lesson_ui_free(&lu); /* saves */

    /* a new run resumes where the last one was, as after a crash (progress is saved at each step) */
    lesson_ui_init(&lu, &ui);
    assert_int_equal(lesson_ui_open_number(&lu, 1, &f->s, &ui, err), 0);
    assert_int_equal(lu.player.step, 1);
    assert_true(lesson_ui_command(&lu, "prev", NULL, &f->s, &ui));
    assert_true(lu.player.answered); /* the saved answer is shown again */
    assert_true(lesson_ui_command(&lu, "reset", NULL, &f->s, &ui));
    assert_false(lu.player.answered);
    assert_int_equal(lesson_ui_open_number(&lu, 3, &f->s, &ui, err), -1);
    assert_non_null(strstr(err, "no lesson 3"));
    lesson_ui_free(&lu);
    ui_free(&ui);
    canvas_free(&c);
    unsetenv("GLASSBOX_LESSONS");
    unsetenv("XDG_STATE_HOME");
}

/* Token answers: edge spaces and quotes do not matter; a token of blanks is named in words. */
static void test_token_answers(void **state) {
    (void)state;
    LessonQuestion q = {.kind = ANSWER_TOP_TOKEN};
    LessonAnswer a = {.kind = ANSWER_TOP_TOKEN};
    char msg[100];
    a.token = (LessonString){" return", 7};
    snprintf(a.shown, sizeof a.shown, "'\xc2\xb7return'");
    assert_int_equal(lesson_check_answer(&q, &a, "return", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "\" return\"", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "'return'", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "\xc2\xb7return", msg, sizeof msg), 1); /* as displayed */
    assert_int_equal(lesson_check_answer(&q, &a, "Return", msg, sizeof msg), 0);     /* case matters in code */
    assert_int_equal(lesson_check_answer(&q, &a, "returns", msg, sizeof msg), 0);
    a.token = (LessonString){"\n   ", 4};
    snprintf(a.shown, sizeof a.shown, "'\xe2\x8f\x8e\xc2\xb7\xc2\xb7\xc2\xb7'");
    assert_int_equal(lesson_check_answer(&q, &a, "newline", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "\\n", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "\xe2\x8f\x8e", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "space", msg, sizeof msg), 0);
    assert_int_equal(lesson_check_answer(&q, &a, "x", msg, sizeof msg), 0);
    a.token = (LessonString){"    ", 4};
    assert_int_equal(lesson_check_answer(&q, &a, "spaces", msg, sizeof msg), 1);
    assert_int_equal(lesson_check_answer(&q, &a, "tab", msg, sizeof msg), 0);
}

static void test_wrap(void **state) {
    (void)state;
    assert_int_equal(lesson_wrap_count("aaa bbb ccc", 7), 2);
    assert_int_equal(lesson_wrap_count("aaa bbb ccc", 11), 1);
    assert_int_equal(lesson_wrap_count("`aaa` *bbb*", 7), 1); /* markers take no room */
    assert_int_equal(lesson_wrap_count("abcdefghij", 4), 3);  /* a long word is cut */
    assert_int_equal(lesson_wrap_count("\xc3\xa9\xc3\xa9\xc3\xa9 x", 3), 2); /* columns, not bytes */
    assert_int_equal(lesson_wrap_count("", 10), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_broken_lessons),
        cmocka_unit_test(test_long_line_and_bounds),
        cmocka_unit_test(test_model_file_rules),
        cmocka_unit_test(test_count_tokens_question),
        cmocka_unit_test(test_top_token_and_likeliest),
        cmocka_unit_test(test_fewest_tokens_and_head),
        cmocka_unit_test(test_most_plausible),
        cmocka_unit_test(test_fixed_questions),
        cmocka_unit_test(test_goto_replays),
        cmocka_unit_test(test_check_file),
        cmocka_unit_test(test_progress_round_trip),
        cmocka_unit_test(test_progress_corrupt),
        cmocka_unit_test(test_player_and_view),
        cmocka_unit_test(test_lesson_ui),
        cmocka_unit_test(test_token_answers),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_progress_two_sessions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
