/* Claims (`expect:` / `check:`), tasks, the attempt rules and the answer-spread warnings. Every measure is
 * compared with a value computed here another way: the tokenizer itself, a softmax of the logits done
 * here, a second forward pass, the sampler at T = 0, the neighbours view's list. */
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
#include <unistd.h>

#include "claim.h"
#include "lesson.h"
#include "progress.h"
#include "score.h"
#include "util.h"
#include "view_lesson.h"

#define SEED 23

typedef struct {
    Session s;
    LabVocabs vocabs;
    char dir[256];
} Fixture;

static int setup(void **state) {
    Fixture *f = gb_calloc(1, sizeof *f);
    char err[GB_ERRLEN];
    Tokenizer *tok = tokenizer_open_named("gpt2", err);
    assert_non_null(tok);
    Config c = {.dim = 32, .hidden_dim = 64, .n_layers = 2, .n_heads = 4, .n_kv_heads = 4, .head_dim = 8,
                .rope_dim = 8, .vocab_size = tokenizer_vocab_size(tok), .context_length = 128, .seq_len = 128,
                .rope_base = 10000, .norm_eps = 1e-5f};
    Model m;
    assert_int_equal(model_init_random(&m, &c, SEED, err), 0);
    session_init(&f->s, &m, tok);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_claim.%ld", (long)getpid());
    assert_int_equal(mkdir(f->dir, 0700), 0);
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
    remove_dir(f->dir);
    lab_vocabs_free(&f->vocabs);
    session_free(&f->s);
    free(f);
    return 0;
}

static void prompt(Fixture *f, const char *text) {
    char err[GB_ERRLEN];
    assert_int_equal(session_set_prompt(&f->s, text, strlen(text), err), 0);
}

/* Evaluates a claim written as text: 1 holds, 0 fails, -1 cannot be measured; msg gets the message. */
static int eval(Fixture *f, const char *text, const char *input, char *msg, size_t msgsz) {
    Claim c;
    char err[GB_ERRLEN];
    if (claim_parse(&c, text, strlen(text), err) != 0) fail_msg("parse '%s': %s", text, err);
    char local[GB_ERRLEN];
    int r = claim_eval(&c, &f->s, &f->vocabs, input, msg ? msg : local, msg ? msgsz : sizeof local, err);
    if (r < 0 && msg) snprintf(msg, msgsz, "%s", err);
    claim_free(&c);
    return r;
}

/* The value of a measure written as text. */
static double measure(Fixture *f, const char *text) {
    Claim c;
    char err[GB_ERRLEN];
    char buf[300];
    snprintf(buf, sizeof buf, "%s == 0", text);
    if (claim_parse(&c, buf, strlen(buf), err) != 0) fail_msg("parse '%s': %s", buf, err);
    ClaimValue v;
    if (claim_measure(&c.lhs, &f->s, &f->vocabs, NULL, &v, err) != 0) fail_msg("measure '%s': %s", text, err);
    claim_free(&c);
    return v.num;
}

static int count(const Tokenizer *t, const char *text) {
    TokenSpan *spans = NULL;
    char err[GB_ERRLEN];
    int n = tokenizer_encode(t, text, strlen(text), &spans, err);
    free(spans);
    return n;
}

static void test_parse_errors(void **state) {
    (void)state;
    const char *bad[] = {
        "",                      /* nothing */
        "tokenz \"x\" == 1",     /* unknown measure */
        "tokens \"x\" 1",        /* no comparison */
        "tokens \"x\" ==",       /* nothing to compare with */
        "tokens \"x == 1",       /* unclosed quote */
        "top > 3",               /* text with a number operator */
        "top-prob == \" a\"",    /* a number against text */
        "tokens \"x\" contains 1", /* contains needs text */
        "attn -1 \"x\" 0",       /* missing head */
        "attn x \"x\" 0 0 < 1",  /* not a number */
        "tokens \"x\" == 1 2",   /* trailing text */
        "prob == 1",             /* the token is missing */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Claim c;
        char err[GB_ERRLEN] = "";
        if (claim_parse(&c, bad[i], strlen(bad[i]), err) == 0) fail_msg("'%s' parsed", bad[i]);
        assert_true(err[0]);
    }
    Claim c;
    char err[GB_ERRLEN];
    assert_int_equal(claim_parse(&c, "tokens cl100k {input} >= 40%  ", 30, err), 0);
    assert_int_equal(c.lhs.kind, MEASURE_TOKENS);
    assert_int_equal(c.lhs.vocab, LAB_CL100K);
    assert_true(c.lhs.input[0]);
    assert_true(claim_uses_input(&c));
    assert_int_equal(c.op, CLAIM_GE);
    assert_true(fabs(c.rhs.value - 0.4) < 1e-12);
    assert_string_equal(c.source, "tokens cl100k {input} >= 40%");
    claim_free(&c);
}

/* Token counts under the model's tokenizer and under a shipped one; every comparison, both ways. */
static void test_tokens_and_comparisons(void **state) {
    Fixture *f = *state;
    int n = count(f->s.tok, "user_authentication_token");
    assert_true(n > 1);
    char text[200], msg[GB_ERRLEN];
    const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
    for (int d = -1; d <= 1; d++) {
        int want[6] = {d == 0, d != 0, n < n + d, n <= n + d, n > n + d, n >= n + d};
        for (int o = 0; o < 6; o++) {
            snprintf(text, sizeof text, "tokens \"user_authentication_token\" %s %d", ops[o], n + d);
            assert_int_equal(eval(f, text, NULL, msg, sizeof msg), want[o]);
        }
    }
    snprintf(text, sizeof text, "tokens \"user_authentication_token\" == %d", n + 1);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 0);
    char want[300];
    snprintf(want, sizeof want, "expected tokens \"user_authentication_token\" == %d, measured %d", n + 1, n);
    assert_string_equal(msg, want);
    /* measure against measure */
    assert_int_equal(eval(f, "tokens \"userAuthenticationToken\" < chars \"userAuthenticationToken\"", NULL, msg, sizeof msg), 1);
    assert_int_equal(eval(f, "chars \"caf\xc3\xa9\" == 4", NULL, msg, sizeof msg), 1); /* code points, not bytes */
    /* cl100k's pattern groups digits by at most three: 1234567 is 123 456 7 */
    assert_int_equal(eval(f, "tokens cl100k \"1234567\" == 3", NULL, msg, sizeof msg), 1);
    char err[GB_ERRLEN];
    Tokenizer *o200k = tokenizer_open_named("o200k_base", err);
    assert_non_null(o200k);
    snprintf(text, sizeof text, "tokens o200k \"    return self._cache[key]\" == %d",
             count(o200k, "    return self._cache[key]"));
    tokenizer_free(o200k);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 1);
    /* {input}: the student's text */
    assert_int_equal(eval(f, "tokens {input} > 8", "a_b_c_d_e", msg, sizeof msg), 1);
    assert_int_equal(eval(f, "tokens {input} > 8", "ab", msg, sizeof msg), 0);
}

/* The next-token measures against a softmax done here from the stored logits. */
static void test_next_token_measures(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN], msg[GB_ERRLEN], text[300];
    prompt(f, "def add(a, b):\n    return");
    assert_int_equal(session_set_temp(&f->s, 0.5f, err), 0);
    assert_int_equal(session_set_topk(&f->s, 3, err), 0);
    const Distribution *d = &f->s.next;
    int vocab = f->s.model.config.vocab_size;
    /* the top three by logit, found here */
    int32_t top[3] = {-1, -1, -1};
    for (int k = 0; k < 3; k++)
        for (int32_t i = 0; i < vocab; i++) {
            if (i == top[0] || i == top[1]) continue;
            if (top[k] < 0 || d->logits[i] > d->logits[top[k]]) top[k] = i;
        }
    double z = 0, p[3], zt1 = 0, h = 0;
    for (int k = 0; k < 3; k++) z += exp((d->logits[top[k]] - d->logits[top[0]]) / 0.5);
    for (int k = 0; k < 3; k++) p[k] = exp((d->logits[top[k]] - d->logits[top[0]]) / 0.5) / z;
    for (int32_t i = 0; i < vocab; i++) zt1 += exp(d->logits[i] - d->logits[top[0]]);
    for (int k = 0; k < 3; k++) h -= p[k] * log2(p[k]);
    char tok[3][64];
    for (int k = 0; k < 3; k++) {
        size_t n;
        const char *b = tokenizer_token_bytes(f->s.tok, top[k], &n);
        commands_quote(b, n, tok[k], sizeof tok[k]);
    }
    assert_true(fabs(measure(f, "top-prob") - p[0]) < 1e-4);
    assert_true(fabs(measure(f, "top-prob-t1") - 1.0 / zt1) < 1e-4);
    assert_true(fabs(measure(f, "entropy") - h) < 1e-3);
    assert_true(measure(f, "entropy-t1") > h); /* no cut and T = 1: more spread */
    assert_true(fabs(measure(f, "kept") - 3) < 1e-9);
    for (int k = 0; k < 3; k++) {
        snprintf(text, sizeof text, "prob %s", tok[k]);
        assert_true(fabs(measure(f, text) - p[k]) < 1e-4);
        snprintf(text, sizeof text, "prob-t1 %s", tok[k]);
        assert_true(fabs(measure(f, text) - exp(d->logits[top[k]] - d->logits[top[0]]) / zt1) < 1e-4);
        snprintf(text, sizeof text, "rank %s", tok[k]);
        assert_true(fabs(measure(f, text) - (k + 1)) < 1e-9);
    }
    snprintf(text, sizeof text, "top == %s", tok[0]);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 1);
    snprintf(text, sizeof text, "top != %s", tok[1]);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 1);
    snprintf(text, sizeof text, "top == %s", tok[1]);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 0);
    assert_non_null(strstr(msg, ", measured '"));
    snprintf(text, sizeof text, "prob %s > prob %s", tok[0], tok[1]);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 1);
    /* a percentage literal, and the message shows a percentage */
    snprintf(text, sizeof text, "top-prob >= %.1f%%", 100 * p[0] + 1);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "%, measured "));
    assert_non_null(strchr(strstr(msg, "measured"), '%'));
    /* a token that is not one token cannot be measured */
    assert_int_equal(eval(f, "prob \"xyzzyplugh\" > 0", NULL, msg, sizeof msg), -1);
    session_set_topk(&f->s, 0, err);
    session_set_temp(&f->s, 1, err);
    assert_int_equal((int)measure(f, "kept"), vocab);
}

/* Attention measures against the rows the attention view reads. */
static void test_attention_measures(void **state) {
    Fixture *f = *state;
    prompt(f, "def area(width, height):\n    return width * height");
    const Session *s = &f->s;
    int q = s->n_tokens - 1, key = -1;
    const char *hit = strstr(s->text, "width");
    for (int k = 0; k < s->n_tokens && key < 0; k++)
        if (s->tokens[k].start <= (uint32_t)(hit - s->text) && (uint32_t)(hit - s->text) < s->tokens[k].end) key = k;
    assert_true(key > 0);
    float best = -1;
    int bl = -1, bh = -1, bh1 = -1;
    float best1 = -1;
    for (int l = 0; l < 2; l++)
        for (int h = 0; h < 4; h++) {
            const float *row = session_attention_row(s, l, h, q);
            char text[100];
            snprintf(text, sizeof text, "attn -1 \"width\" %d %d", l, h);
            assert_true(fabs(measure(f, text) - row[key]) < 1e-7);
            snprintf(text, sizeof text, "attn %d \"width\" %d %d", q, l, h); /* the same token counted from 0 */
            assert_true(fabs(measure(f, text) - row[key]) < 1e-7);
            if (row[key] > best) best = row[key], bl = l, bh = h;
            if (l == 1 && row[key] > best1) best1 = row[key], bh1 = h;
        }
    assert_true(fabs(measure(f, "best-attn -1 \"width\"") - best) < 1e-7);
    assert_int_equal((int)measure(f, "best-layer -1 \"width\""), bl);
    assert_int_equal((int)measure(f, "best-head -1 \"width\" 1"), bh1);
    (void)bh;
    char msg[GB_ERRLEN];
    assert_int_equal(eval(f, "attn -1 \"width\" 0 9 > 0", NULL, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "no layer 0 head 9"));
    assert_int_equal(eval(f, "attn 0 \"height\" 0 0 > 0", NULL, msg, sizeof msg), -1); /* a later token */
    assert_int_equal(eval(f, "attn -1 \"depth\" 0 0 > 0", NULL, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "does not occur"));
}

/* Neighbour rank and similarity against the neighbours view's list. */
static void test_neighbour_measures(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN];
    int32_t id = session_find_token(&f->s, " return", 7, 0, -1, "t", err);
    assert_true(id >= 0);
    int32_t ids[5];
    float sims[5];
    assert_int_equal(session_neighbours(&f->s, id, 5, ids, sims), 5);
    for (int k = 0; k < 5; k++) {
        size_t n;
        const char *b = tokenizer_token_bytes(f->s.tok, ids[k], &n);
        char q[100], text[200];
        commands_quote(b, n, q, sizeof q);
        snprintf(text, sizeof text, "neighbour-rank \" return\" %s", q);
        assert_int_equal((int)measure(f, text), k + 1);
        snprintf(text, sizeof text, "similarity \" return\" %s", q);
        assert_true(fabs(measure(f, text) - sims[k]) < 1e-4);
    }
}

/* bits against a forward pass done here; greedy and written against the sampler at T = 0. */
static void test_bits_greedy_written(void **state) {
    Fixture *f = *state;
    char err[GB_ERRLEN], msg[GB_ERRLEN];
    const char *p = "import os\n\npath = os.path.", *cont = "join(a, b)";
    prompt(f, p);
    int32_t ids[128];
    int n = 0;
    for (int i = 0; i < f->s.n_tokens; i++) ids[n++] = f->s.tokens[i].id;
    int np = n;
    TokenSpan *spans;
    int nc = tokenizer_encode(f->s.tok, cont, strlen(cont), &spans, err);
    for (int i = 0; i < nc; i++) ids[n++] = spans[i].id;
    free(spans);
    /* a separate model with the same seed: the same weights, its own cache */
    Model m;
    Config c = f->s.model.config;
    assert_int_equal(model_init_random(&m, &c, SEED, err), 0);
    double bits = 0;
    const float *logits = model_forward_prompt(&m, ids, np, 0);
    for (int i = np; i < n; i++) {
        double mx = logits[0], z = 0;
        for (int v = 1; v < c.vocab_size; v++) mx = logits[v] > mx ? logits[v] : mx;
        for (int v = 0; v < c.vocab_size; v++) z += exp(logits[v] - mx);
        bits += -(logits[ids[i]] - mx - log(z)) / log(2);
        if (i + 1 < n) logits = model_forward(&m, ids[i], i);
    }
    model_free(&m);
    assert_true(fabs(measure(f, "bits \"join(a, b)\"") - bits) < 1e-3 * bits);
    assert_int_equal(eval(f, "bits \"join(a, b)\" < bits \"join(a, b) + zzz\"", NULL, msg, sizeof msg), 1);
    assert_non_null(strstr(msg, " and ")); /* two measured values */
    /* the scene is unchanged by the measures */
    assert_int_equal(f->s.n_tokens, np);
    /* greedy: what eight steps at T = 0 write */
    ClaimValue g;
    Claim cl;
    assert_int_equal(claim_parse(&cl, "greedy 8 contains \"\"", 20, err), 0);
    assert_int_equal(claim_measure(&cl.lhs, &f->s, &f->vocabs, NULL, &g, err), 0);
    claim_free(&cl);
    assert_int_equal(session_set_temp(&f->s, 0, err), 0);
    assert_int_equal(session_step(&f->s, 8, err), 8);
    const char *written = f->s.text + f->s.prompt_len;
    assert_int_equal(g.len, f->s.text_len - f->s.prompt_len);
    assert_memory_equal(g.text, written, g.len);
    char text[400], q[300];
    commands_quote(g.text, g.len, q, sizeof q);
    snprintf(text, sizeof text, "written == %s", q);
    assert_int_equal(eval(f, text, NULL, msg, sizeof msg), 1);
    claim_value_free(&g);
    assert_int_equal(eval(f, "written lacks \"\\xe2\\x98\\x95\"", NULL, msg, sizeof msg), 1);
    assert_int_equal(eval(f, "written contains \"\\xe2\\x98\\x95\"", NULL, msg, sizeof msg), 0);
    session_set_temp(&f->s, 1, err);
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

typedef struct {
    char lines[16][600];
    int n, warnings;
} Collected;

static void collect(void *ctx, int warning, const char *line) {
    Collected *c = ctx;
    if (c->n < 16) snprintf(c->lines[c->n++], sizeof c->lines[0], "%s", line);
    c->warnings += warning;
}

static int has_line(const Collected *c, const char *needle) {
    for (int i = 0; i < c->n; i++)
        if (strstr(c->lines[i], needle)) return 1;
    return 0;
}

/* lesson check: failing claims named FILE:LINE with expected and measured; every one reported. */
static void test_check_claims(void **state) {
    Fixture *f = *state;
    char path[400], err[GB_ERRLEN], want[600];
    snprintf(path, sizeof path, "%s/a.lesson", f->dir);
    int n = count(f->s.tok, "x = 1");
    char text[1000];
    snprintf(text, sizeof text,
             "title: t\nstep: a\n> prompt \"x = 1\"\nexpect: tokens \"x = 1\" == %d\n"
             "expect: tokens \"x = 1\" > %d\nText.\nexpect: kept < 2\n"
             "step: b\n? q\nanswer: top-token\nexpect: top-prob > 0\n",
             n, n);
    write_text(path, text);
    Collected c = {0};
    LessonCheckStats st;
    assert_int_equal(lesson_check_report(path, &f->s, NULL, collect, &c, &st, err), -1);
    assert_int_equal(st.claims, 4);
    assert_int_equal(st.claims_failed, 2);
    assert_int_equal(st.problems, 2);
    snprintf(want, sizeof want, "%s:5: expected tokens \"x = 1\" > %d, measured %d", path, n, n);
    assert_true(has_line(&c, want));
    snprintf(want, sizeof want, "%s:7: expected kept < 2, measured %d", path, f->s.model.config.vocab_size);
    assert_true(has_line(&c, want));
    assert_non_null(strstr(err, ":5: expected")); /* the first problem */
    /* all hold: ok */
    snprintf(text, sizeof text, "title: t\nstep: a\n> prompt \"x = 1\"\nexpect: tokens \"x = 1\" == %d\n", n);
    write_text(path, text);
    assert_int_equal(lesson_check_report(path, &f->s, NULL, NULL, NULL, &st, err), 0);
    assert_int_equal(st.claims, 1);
    /* a claim that cannot be measured is a problem too */
    write_text(path, "title: t\nstep: a\n> prompt \"ab\"\nexpect: attn -1 \"zz\" 0 0 > 0\n");
    assert_int_equal(lesson_check(path, &f->s, NULL, err), -1);
    assert_non_null(strstr(err, "a.lesson:4: attn: 'zz' does not occur"));
    /* a parse error names the line */
    write_text(path, "title: t\nstep: a\nexpect: top > 1\n");
    assert_int_equal(lesson_check(path, &f->s, NULL, err), -1);
    assert_non_null(strstr(err, "a.lesson:3: expect: > compares text"));
}

/* The spread warnings: more than half on one letter, or on the longest choice. */
static void test_spread_warnings(void **state) {
    Fixture *f = *state;
    char path[400], err[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/a.lesson", f->dir);
    const char *q = "? q\nanswer: choice b\nchoice: no\nchoice: the long one\nchoice: mid\n";
    char text[2000];
    snprintf(text, sizeof text, "title: t\nstep: 1\n%sstep: 2\n%sstep: 3\n? r\nanswer: choice a\nchoice: x\nchoice: yy\n", q, q);
    write_text(path, text);
    Collected c = {0};
    LessonCheckStats st;
    assert_int_equal(lesson_check_report(path, &f->s, NULL, collect, &c, &st, err), 0); /* warnings only */
    assert_int_equal(st.lettered, 3);
    assert_int_equal(st.letters[0], 1);
    assert_int_equal(st.letters[1], 2);
    assert_int_equal(st.longest, 2);
    assert_int_equal(c.warnings, 2);
    assert_true(has_line(&c, "warning: 2 of the 3 lettered answers are b"));
    assert_true(has_line(&c, "warning: 2 of the 3 lettered answers are the longest choice"));
    /* spread and not the longest: no warning */
    snprintf(text, sizeof text,
             "title: t\nstep: 1\n? q\nanswer: choice a\nchoice: no\nchoice: the long one\n"
             "step: 2\n? q\nanswer: choice c\nchoice: a long one\nchoice: b\nchoice: c\n"
             "step: 3\n? q\nanswer: choice b\nchoice: long one\nchoice: yes\n");
    write_text(path, text);
    Collected c2 = {0};
    assert_int_equal(lesson_check_report(path, &f->s, NULL, collect, &c2, &st, err), 0);
    assert_int_equal(c2.warnings, 0);
    assert_int_equal(st.longest, 0);
}

/* Tasks: parsed with their checks and examples, tried by lesson check, done on the live session. */
static void test_tasks(void **state) {
    Fixture *f = *state;
    char path[400], err[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/a.lesson", f->dir);
    const char *bad[][2] = {
        {"title: t\nstep: a\n? do it\nanswer: task\nexample: x\n", "needs check: lines"},
        {"title: t\nstep: a\n? do it\nanswer: task\ncheck: tokens {input} > 1\n", "needs an example"},
        {"title: t\nstep: a\n? q\nanswer: number 1\ncheck: tokens {input} > 1\n", "belong to a task"},
        {"title: t\nstep: a\n? do it\nanswer: task\ncheck: tokenz 1\nexample: x\n", "check: unknown measure"},
        {"title: t\nstep: a\n? do it\nanswer: task\ncheck: kept == 3\nexample: > quit\n", "not allowed in a lesson"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Lesson l;
        if (lesson_parse(&l, "t.lesson", bad[i][0], strlen(bad[i][0]), err) == 0) fail_msg("parsed: %s", bad[i][0]);
        if (!strstr(err, bad[i][1])) fail_msg("'%s' lacks '%s'", err, bad[i][1]);
    }
    /* an input task and a scene task; lesson check tries both examples */
    write_text(path, "title: t\nstep: a\n> prompt \"x = 1\"\n"
                     "? Type an identifier of more than 8 tokens.\nanswer: task\ncheck: tokens {input} > 8\n"
                     "example: a_b_c_d_e\nhint: underscores.\n"
                     "step: b\n? Keep only 3 tokens.\nanswer: task\ncheck: kept == 3\nexample: > topk 3\n"
                     "step: c\nexpect: kept > 3\n");
    LessonCheckStats st;
    assert_int_equal(lesson_check_report(path, &f->s, NULL, NULL, NULL, &st, err), 0);
    assert_int_equal(st.tasks, 2);
    /* the scene is replayed after an example's commands: step c sees no top-k */
    /* a task already done by the scene, and an example that does not do it */
    write_text(path, "title: t\nstep: a\n> prompt \"x\"\n> topk 3\n? Keep 3.\nanswer: task\ncheck: kept == 3\n"
                     "example: > topk 3\nstep: b\n? more\nanswer: task\ncheck: tokens {input} > 8\nexample: ab\n");
    Collected c = {0};
    assert_int_equal(lesson_check_report(path, &f->s, NULL, collect, &c, &st, err), -1);
    assert_true(has_line(&c, "a.lesson:5: the task is done before the student does anything"));
    assert_true(has_line(&c, "a.lesson:10: the task's example does not do the task"));
    assert_true(has_line(&c, "a.lesson:12: expected tokens {input} > 8, measured 1"));

    /* the player: measured on the session as the student left it */
    write_text(path, "title: t\nstep: a\n> prompt \"x = 1\"\n? Keep only 3 tokens.\nanswer: task\ncheck: kept == 3\n"
                     "example: > topk 3\nhint: topk.\nright: Done.\n");
    LessonPlayer lp;
    LessonScene sc;
    assert_int_equal(lesson_player_open(&lp, path, &f->s, NULL, &sc, err), 0);
    assert_int_equal(lesson_player_answer(&lp, "done", &f->s, NULL), 0);
    assert_non_null(strstr(lp.feedback, "Not yet: expected kept == 3, measured"));
    assert_true(lp.show_hint);
    assert_int_equal(session_set_topk(&f->s, 3, err), 0); /* the student does it */
    assert_int_equal(lesson_player_answer(&lp, "done", &f->s, NULL), 1);
    assert_string_equal(lp.feedback, "Done.");
    lesson_player_close(&lp);
    session_set_topk(&f->s, 0, err);
}

/* The attempt rules: hint first, the answer after a second wrong answer or a reveal; kept in progress;
 * the score counts right answers given before any reveal. */
static void test_attempts_and_score(void **state) {
    Fixture *f = *state;
    char path[400], ppath[400], err[GB_ERRLEN], note[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/a.lesson", f->dir);
    snprintf(ppath, sizeof ppath, "%s/progress", f->dir);
    write_text(path, "title: t\nstep: a\n? q1\nanswer: choice c\nchoice: one\nchoice: two\nchoice: three\n"
                     "hint: Count.\nwrong: It is {answer}.\n"
                     "step: b\n? q2\nanswer: number 7\nwrong: It is {answer}.\n"
                     "step: c\n? q3\nanswer: number 3\n"
                     "step: d\n? reflect\nanswer: any\n"
                     "step: e\nexpect: tokens \"ab\" > 99\nThe end.\n");
    Progress prog;
    assert_int_equal(progress_load(&prog, ppath, note, err), 0);
    LessonPlayer lp;
    LessonScene sc;
    assert_int_equal(lesson_player_open(&lp, path, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lp.score_graded, 3);
    assert_int_equal(lesson_player_answer(&lp, "a", &f->s, &prog), 0);
    assert_true(lp.show_hint);
    assert_false(lp.revealed);
    assert_null(strstr(lp.feedback, "three")); /* the first wrong answer does not give it away */
    assert_non_null(strstr(lp.feedback, "hint"));
    assert_int_equal(lesson_player_answer(&lp, "b", &f->s, &prog), 0);
    assert_true(lp.revealed);
    assert_string_equal(lp.feedback, "It is c) three.");
    assert_int_equal(lesson_player_answer(&lp, "c", &f->s, &prog), 1);
    assert_int_equal(lp.score_right, 0); /* right, but after the reveal */
    /* step b: reveal before answering */
    assert_int_equal(lesson_player_goto(&lp, 1, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lesson_player_reveal(&lp, &prog), 0);
    assert_string_equal(lp.feedback, "It is 7.");
    /* step c: right at the first try */
    assert_int_equal(lesson_player_goto(&lp, 2, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lesson_player_answer(&lp, "3", &f->s, &prog), 1);
    assert_int_equal(lp.score_right, 1);
    assert_int_equal(lp.score_graded, 3);
    assert_int_equal(lesson_player_goto(&lp, 3, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lesson_player_reveal(&lp, &prog), 0);
    /* the last step: a claim this model breaks is shown on the step */
    assert_int_equal(lesson_player_goto(&lp, 4, &f->s, &prog, &sc, err), 0);
    assert_true(lp.claims_broken == 1);
    assert_non_null(strstr(lp.claim_note, "expected tokens \"ab\" > 99, measured"));
    Canvas cv;
    canvas_init(&cv, 60, 30);
    UiState ui;
    ui_init(&ui);
    ViewLesson_draw(&cv, (Rect){0, 0, 60, 30}, &lp, &ui);
    int x, y;
    assert_true(canvas_find(&cv, "This model does not show what this step", &x, &y));
    assert_true(canvas_find(&cv, "score 1/3", &x, &y));
    assert_int_equal(lesson_player_reveal(&lp, &prog), -1); /* nothing to reveal */
    assert_int_equal(progress_save(&prog, err), 0);
    lesson_player_close(&lp);
    progress_free(&prog);
    /* the attempts survive a restart */
    assert_int_equal(progress_load(&prog, ppath, note, err), 0);
    const ProgressLesson *pl = progress_lesson(&prog, "a.lesson", 0);
    assert_non_null(pl);
    const ProgressAnswer *pa = progress_answer(pl, 0);
    assert_int_equal(pa->tries, 3);
    assert_int_equal(pa->revealed, 1);
    assert_int_equal(pa->right, 1);
    assert_int_equal(progress_answer(pl, 1)->revealed, 1);
    assert_int_equal(progress_answer(pl, 1)->tries, 0);
    assert_int_equal(progress_answer(pl, 2)->tries, 1);
    assert_int_equal(progress_answer(pl, 2)->revealed, 0);
    assert_int_equal(lesson_player_open(&lp, path, &f->s, &prog, &sc, err), 0);
    assert_int_equal(lp.step, 4);
    assert_int_equal(lp.score_right, 1);
    assert_int_equal(lesson_player_goto(&lp, 0, &f->s, &prog, &sc, err), 0);
    assert_true(lp.revealed && lp.right);
    assert_int_equal(lp.tries, 3);
    lesson_player_close(&lp);
    /* the course menu shows the score */
    char *paths[1] = {path};
    char *titles[1] = {"t"};
    CourseScore scores[1] = {{1, 3}};
    canvas_clear(&cv, (Style){0});
    ViewCourse_draw(&cv, (Rect){0, 0, 60, 10}, paths, titles, scores, 1, 0, &prog, &ui);
    assert_true(canvas_find(&cv, "step 1/5 \u00b7 1/3", &x, &y)); /* back at step 1 since the goto above */
    progress_free(&prog);
    ui_free(&ui);
    canvas_free(&cv);
    /* a file from before attempts were kept still reads: one try, not revealed */
    Progress old = {0};
    const char *text = "glassbox-progress 1\nlesson \"x.lesson\" 1 3\nanswer \"x.lesson\" 0 1 \"b\"\n";
    assert_int_equal(progress_parse(&old, text, strlen(text), err), 0);
    pa = progress_answer(progress_lesson(&old, "x.lesson", 0), 0);
    assert_int_equal(pa->tries, 1);
    assert_int_equal(pa->revealed, 0);
    progress_free(&old);
    Progress bad = {0};
    const char *badtext = "glassbox-progress 1\nlesson \"x.lesson\" 1 3\nanswer \"x.lesson\" 0 1 \"b\" 2 7\n";
    assert_int_equal(progress_parse(&bad, badtext, strlen(badtext), err), -1);
    progress_free(&bad);
}

/* Lesson mode through the request table: a step's lab panel is asked for and dropped with the step,
 * `reveal` is a lesson command, and a task's answer is measured on the session the student changed. */
static void test_lesson_mode(void **state) {
    Fixture *f = *state;
    char path[400], st[400], err[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/a.lesson", f->dir);
    snprintf(st, sizeof st, "%s/state", f->dir);
    setenv("XDG_STATE_HOME", st, 1);
    write_text(path, "title: t\nstep: a\n> prompt \"x = 1\"\n> compare user_name\n"
                     "? q\nanswer: number 3\nwrong: It is {answer}.\n"
                     "step: b\n? Keep 3.\nanswer: task\ncheck: kept == 3\nexample: > topk 3\n");
    /* headless: the scene names the panel, and only the step that opens it */
    Lesson l;
    assert_int_equal(lesson_load(&l, path, err), 0);
    LessonScene sc = {.view = -1};
    assert_int_equal(lesson_goto(&l, 0, &f->s, NULL, &sc, err), 0);
    assert_int_equal(sc.lab, CMD_COMPARE);
    assert_int_equal(sc.lab_len, 9);
    assert_memory_equal(sc.lab_text, "user_name", 9);
    assert_int_equal(lesson_goto(&l, 1, &f->s, NULL, &sc, err), 0);
    assert_int_equal(sc.lab, 0);
    lesson_free(&l);
    assert_int_equal(lesson_check(path, &f->s, NULL, err), 0);
    /* the TUI's side */
    UiState ui;
    ui_init(&ui);
    LessonUi lu;
    lesson_ui_init(&lu, &ui);
    assert_int_equal(lesson_ui_open_path(&lu, path, &f->s, &ui, err), 0);
    assert_true(lu.lab_pending);
    assert_int_equal(lu.lab_cmd, CMD_COMPARE);
    assert_string_equal(lu.lab_text, "user_name");
    int id = commands_lookup("reveal", 6);
    assert_true(id >= 0);
    assert_true(commands_flags(id) & RQ_LESSON_MODE);
    assert_true(lesson_ui_command(&lu, "reveal", NULL, &f->s, &ui));
    assert_true(lu.player.revealed);
    assert_string_equal(lu.player.feedback, "It is 3.");
    assert_true(lesson_ui_command(&lu, "next", NULL, &f->s, &ui));
    assert_int_equal(lu.player.step, 1);
    assert_true(lu.lab_pending);
    assert_int_equal(lu.lab_cmd, 0); /* the next step closes the panel */
    assert_true(lesson_ui_command(&lu, "answer", "done", &f->s, &ui));
    assert_false(lu.player.right);
    assert_int_equal(session_set_topk(&f->s, 3, err), 0);
    assert_true(lesson_ui_command(&lu, "answer", "done", &f->s, &ui));
    assert_true(lu.player.right);
    session_set_topk(&f->s, 0, err);
    lesson_ui_free(&lu);
    ui_free(&ui);
    unsetenv("XDG_STATE_HOME");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test_setup_teardown(test_tokens_and_comparisons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_token_measures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attention_measures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_neighbour_measures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bits_greedy_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_claims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spread_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attempts_and_score, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lesson_mode, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
