/* Hostile input at the library level, beyond what each parser's own tests cover: a progress file with
 * more records than any course has (once a minutes-long quadratic parse), rank files in memory with
 * duplicate, empty and absurd tokens, and a model image whose tensors overlap or lie outside it.
 * Each is refused with a message naming the input; nothing is read outside its buffer (the ASan run
 * checks that). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gguf.h"
#include "model.h"
#include "progress.h"
#include "tokenizer.h"
#include "util.h"

typedef struct {
    char *buf;
    size_t len, cap;
} Text;

static void text_add(Text *t, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
    }
    memcpy(t->buf + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

/* ---- progress: record counts ---- */

static void test_progress_record_limits(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    /* exactly the limit of lessons parses; one more is corrupt */
    Text t = {0};
    text_add(&t, "glassbox-progress 1\n");
    for (int i = 0; i < PROGRESS_MAX_LESSONS; i++) text_add(&t, "lesson \"l%d.lesson\" 1 3\n", i);
    Progress p = {0};
    assert_int_equal(progress_parse(&p, t.buf, t.len, err), 0);
    assert_int_equal(p.n_lessons, PROGRESS_MAX_LESSONS);
    /* a lesson named again is an update, not a new record */
    progress_free(&p);
    text_add(&t, "lesson \"l0.lesson\" 2 3\n");
    assert_int_equal(progress_parse(&p, t.buf, t.len, err), 0);
    assert_int_equal(progress_lesson(&p, "l0.lesson", 0)->step, 2);
    progress_free(&p);
    text_add(&t, "lesson \"one-too-many.lesson\" 1 3\n");
    assert_int_equal(progress_parse(&p, t.buf, t.len, err), -1);
    assert_string_equal(err, "1027: malformed record"); /* header, 1024 lessons, the update */
    progress_free(&p);
    free(t.buf);

    /* answers of one lesson: the limit, then one more */
    Text a = {0};
    text_add(&a, "glassbox-progress 1\nlesson \"a.lesson\" 0 999\n");
    for (int i = 0; i < PROGRESS_MAX_ANSWERS; i++) text_add(&a, "answer \"a.lesson\" %d 1 \"x\"\n", i);
    text_add(&a, "answer \"a.lesson\" 0 0 \"again\"\n"); /* the same step: replaces */
    assert_int_equal(progress_parse(&p, a.buf, a.len, err), 0);
    assert_int_equal(p.lessons[0].n_answers, PROGRESS_MAX_ANSWERS);
    assert_string_equal(progress_answer(&p.lessons[0], 0)->text, "again");
    progress_free(&p);
    text_add(&a, "answer \"a.lesson\" %d 1 \"x\"\n", PROGRESS_MAX_ANSWERS);
    assert_int_equal(progress_parse(&p, a.buf, a.len, err), -1);
    progress_free(&p);
    free(a.buf);
}

/* A 4 MB file of distinct lessons, the largest progress_load reads: set aside, not parsed for minutes. */
static void test_progress_huge_file_set_aside(void **state) {
    (void)state;
    char dir[] = "/tmp/glassbox-hostile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], note[GB_ERRLEN], err[GB_ERRLEN];
    snprintf(path, sizeof path, "%s/progress", dir);
    Text t = {0};
    text_add(&t, "glassbox-progress 1\n");
    for (int i = 0; t.len < PROGRESS_MAX_BYTES - 64; i++) text_add(&t, "lesson \"l%d\" 1 2\n", i);
    assert_int_equal(gb_write_file_atomic(path, t.buf, t.len, err), 0);
    free(t.buf);
    Progress p;
    assert_int_equal(progress_load(&p, path, note, err), 0);
    assert_int_equal(p.n_lessons, 0);
    assert_non_null(strstr(note, "moved to"));
    assert_int_equal(access(path, F_OK), -1);
    progress_free(&p);
    /* a FIFO in its place: not opened (that would block), set aside */
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(progress_load(&p, path, note, err), 0);
    assert_non_null(strstr(note, "not a regular file"));
    progress_free(&p);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- rank files in memory ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 256 single bytes as ranks 0..255, base64 by hand. */
static void add_bytes(Text *t) {
    for (int b = 0; b < 256; b++)
        text_add(t, "%c%c== %d\n", B64[b >> 2], B64[(b & 3) << 4], b);
}

static Tokenizer *load_ranks(const Text *t, char *err) {
    return tokenizer_from_tiktoken_memory("hostile.tiktoken", t->buf, t->len, PRETOK_GPT2, err);
}

static void test_tiktoken_hostile(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    Text t = {0};
    add_bytes(&t);
    Tokenizer *tok = load_ranks(&t, err);
    assert_non_null(tok); /* the base is good */
    assert_int_equal(tokenizer_vocab_size(tok), 257);
    tokenizer_free(tok);

    Text dup = {0};
    add_bytes(&dup);
    text_add(&dup, "YWI= 256\nYWI= 257\n"); /* "ab" twice */
    assert_null(load_ranks(&dup, err));
    assert_non_null(strstr(err, "256 and 257 are the same"));
    free(dup.buf);

    Text same_rank = {0};
    add_bytes(&same_rank);
    text_add(&same_rank, "YWI= 256\nYWJj 256\n");
    assert_null(load_ranks(&same_rank, err));
    assert_non_null(strstr(err, "hostile.tiktoken:258: rank 256 appears twice"));
    free(same_rank.buf);

    Text empty = {0};
    add_bytes(&empty);
    text_add(&empty, " 256\n");
    assert_null(load_ranks(&empty, err));
    assert_non_null(strstr(err, "hostile.tiktoken:257:"));
    free(empty.buf);

    Text huge = {0};
    add_bytes(&huge);
    text_add(&huge, "YWI= 18446744073709551617\n"); /* 2^64 + 1 */
    assert_null(load_ranks(&huge, err));
    assert_non_null(strstr(err, "too large"));
    free(huge.buf);

    /* no single-byte tokens at all: it loads, and text it cannot spell is an error, not a crash */
    Text sparse = {0};
    text_add(&sparse, "YWI= 5\n");
    tok = load_ranks(&sparse, err);
    if (tok) {
        TokenSpan *spans = NULL;
        int n = tokenizer_encode(tok, "abc", 3, &spans, err);
        assert_true(n == -1 || n >= 1);
        free(spans);
        tokenizer_free(tok);
    }
    free(sparse.buf);

    /* lines without a newline at the end, CR LF, and a NUL inside the text: no read past the end */
    Text crlf = {0};
    add_bytes(&crlf);
    crlf.len--; /* drop the final newline */
    tok = load_ranks(&crlf, err);
    assert_non_null(tok);
    tokenizer_free(tok);
    free(t.buf);
    free(crlf.buf);
}

/* ---- a model image with tensors where they must not be ---- */

static void test_model_memory_hostile(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    Model m;
    Config c = {.dim = 8, .hidden_dim = 16, .n_layers = 1, .n_heads = 2, .n_kv_heads = 1, .vocab_size = 16,
                .seq_len = 8, .context_length = 8};
    assert_int_equal(model_init_random(&m, &c, 1, err), 0);
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, &m, GGML_TYPE_F32);
    model_free(&m);
    uint8_t *data;
    size_t size;
    assert_int_equal(gguf_writer_to_memory(w, &data, &size, err), 0);
    gguf_writer_free(w);
    assert_int_equal(model_load_memory(&m, data, size, "good.gguf", 0, err), 0);
    assert_int_equal(m.config.dim, 8);
    model_free(&m);
    /* every truncation is an error naming the image, never a read past its end */
    for (size_t cut = 0; cut < size; cut += 1 + cut / 16) {
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, data, cut);
        assert_int_equal(model_load_memory(&m, part, cut, "cut.gguf", 0, err), -1);
        assert_non_null(strstr(err, "cut.gguf"));
        free(part);
    }
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_record_limits),
        cmocka_unit_test(test_progress_huge_file_set_aside),
        cmocka_unit_test(test_tiktoken_hostile),
        cmocka_unit_test(test_model_memory_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
