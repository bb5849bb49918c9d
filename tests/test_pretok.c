/* llama.cpp's BPE pre-tokenizers (tokenizer.ggml.pre): splits of awkward texts worked out by hand from
 * the regex lists in llama-vocab.cpp (each regex cuts the pieces the previous ones left: matches and
 * the gaps between them), names, and byte-exact round trips over the Python standard library under
 * every pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpe_train.h"
#include "gguf.h"
#include "stdlib_files.h"
#include "tokenizer.h"
#include "util.h"

static void expect_split_n(int pattern, const char *text, size_t len, const char *const *chunks) {
    char err[GB_ERRLEN];
    size_t *ends;
    long n = pretokenize(pattern, text, len, &ends, err);
    if (n < 0) fprintf(stderr, "%s\n", err);
    assert_true(n >= 0);
    size_t start = 0;
    long i = 0;
    for (; chunks[i]; i++) {
        size_t cl = strlen(chunks[i]);
        if (i >= n || ends[i] - start != cl || memcmp(text + start, chunks[i], cl) != 0) {
            fprintf(stderr, "pattern %s, text \"%s\": chunk %ld differs (expected \"%s\")\n",
                    pretok_pattern_name(pattern), text, i, chunks[i]);
            for (long k = 0, s = 0; k < n; s = (long)ends[k], k++)
                fprintf(stderr, "  got [%.*s]\n", (int)(ends[k] - (size_t)s), text + s);
            fail();
        }
        start = ends[i];
    }
    assert_int_equal(n, i);
    assert_true(start == len);
    free(ends);
}

#define SPLIT(pattern, text, ...)                                                                          \
    do {                                                                                                   \
        const char *const want_[] = {__VA_ARGS__, NULL};                                                   \
        expect_split_n(pattern, text, sizeof(text) - 1, want_);                                            \
    } while (0)

#define CJK "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c" /* 你好世界 */
#define SMILE "\xf0\x9f\x99\x82"                              /* 🙂 (So: a symbol) */

/* starcoder / smollm / refact: \p{N} first (every digit alone, the rest a gap), then GPT-2 */
static void test_starcoder(void **state) {
    (void)state;
    const int P = PRETOK_STARCODER;
    assert_int_equal(pretok_pattern_from_name("smollm"), P);
    assert_int_equal(pretok_pattern_from_name("refact"), P);
    /* the space before a number stays alone: GPT-2 only sees "x = " */
    SPLIT(P, "x = 12345", "x", " =", " ", "1", "2", "3", "4", "5");
    SPLIT(P, "v2.0", "v", "2", ".", "0");
    SPLIT(P, "don't DON'T", "don", "'t", " DON", "'", "T");
    SPLIT(P, "a\n\n  b", "a", "\n\n ", " b");
    SPLIT(P, CJK " " SMILE SMILE, CJK, " " SMILE SMILE);
    SPLIT(P, "def f(x):\n\treturn x**2", "def", " f", "(", "x", "):", "\n", "\t", "return", " x", "**", "2");
}

/* qwen2 / stablelm2: cl100k's regex with \p{N} for \p{N}{1,3} */
static void test_qwen2(void **state) {
    (void)state;
    const int P = PRETOK_QWEN2;
    assert_int_equal(pretok_pattern_from_name("stablelm2"), P);
    SPLIT(P, "x = 12345", "x", " =", " ", "1", "2", "3", "4", "5");
    SPLIT(P, "DON'T don't", "DON", "'T", " don", "'t"); /* contractions in either case */
    SPLIT(P, "a \n\n b", "a", " \n\n", " b");
    SPLIT(P, "(foo)", "(foo", ")");
    SPLIT(P, CJK " " SMILE SMILE, CJK, " " SMILE SMILE);
    SPLIT(P, "\tif x:\n        y", "\tif", " x", ":\n", "       ", " y");
}

/* llama-bpe (llama 3): cl100k's, numbers in threes from the left */
static void test_llama_bpe(void **state) {
    (void)state;
    int ignore = 0;
    assert_int_equal(pretok_from_gguf_pre("llama-bpe", 9, &ignore), PRETOK_CL100K);
    assert_int_equal(ignore, 1); /* llama.cpp's ignore_merges */
    assert_int_equal(pretok_from_gguf_pre("dbrx", 4, &ignore), PRETOK_CL100K);
    assert_int_equal(ignore, 0);
    SPLIT(PRETOK_CL100K, "x = 1234567", "x", " =", " ", "123", "456", "7");
}

/* deepseek-coder: [\r\n], \s?\p{L}+, \s?\p{P}+, CJK runs, \p{N}, in turn */
static void test_deepseek_coder(void **state) {
    (void)state;
    const int P = PRETOK_DEEPSEEK_CODER;
    /* "def f(x):" -> letters: def, " f", gap "(", x, gap "):"; then punctuation cuts "(" and "):" whole */
    SPLIT(P, "def f(x):\n    return 42", "def", " f", "(", "x", "):", "\n", "   ", " return", " ", "4", "2");
    SPLIT(P, "a\r\n\r\nb", "a", "\r", "\n", "\r", "\n", "b");
    /* an emoji is a symbol, not punctuation: it stays in the gap with its space */
    SPLIT(P, CJK " " SMILE SMILE, CJK, " " SMILE SMILE);
    SPLIT(P, "x+=1", "x", "+=", "1");  /* + and = are symbols (\p{S}), not \p{P}: a gap */
    SPLIT(P, "x, y", "x", ",", " y"); /* "," is punctuation */
    SPLIT(P, "don't", "don", "'", "t");
}

/* deepseek-llm: as deepseek-coder, with its own letter and punctuation classes, \s+$, and \p{N}+ */
static void test_deepseek_llm(void **state) {
    (void)state;
    const int P = PRETOK_DEEPSEEK_LLM;
    SPLIT(P, "abc 123", "abc", " ", "123");
    SPLIT(P, "x+=1; y", "x", "+=", "1", ";", " y"); /* [!-/:-~] takes + = ; */
    SPLIT(P, "end   ", "end", "   ");                /* \s+$: the trailing run */
    SPLIT(P, "a\nb", "a", "\n", "b");
}

/* default: punctuation and $+<=>^~| runs, GPT-2, \p{N}+, then [0-9]{3} from the left */
static void test_default(void **state) {
    (void)state;
    const int P = PRETOK_DEFAULT;
    SPLIT(P, "a+=1234567;", "a", "+=", "123", "456", "7", ";");
    SPLIT(P, "hello, world!", "hello", ",", " world", "!");
    SPLIT(P, "it's", "it", "'", "s"); /* the apostrophe is punctuation: cut before GPT-2 sees 's */
}

static void test_falcon_bloom_viking(void **state) {
    (void)state;
    /* ` is cut first; GPT-2 leaves " 1234", whose digits [0-9]{3} cuts from the left */
    SPLIT(PRETOK_FALCON, "a`b 1234", "a", "`", "b", " ", "123", "4");
    SPLIT(PRETOK_FALCON, "12345", "123", "45");
    /* bloom: " ?[^(\s|.,!?…。，、।۔،)]+" */
    SPLIT(PRETOK_BLOOM, "Hi, you there.", "Hi", ",", " you", " there", ".");
    SPLIT(PRETOK_VIKING, "ab12 c", "ab", "1", "2", " c");
}

static void test_names(void **state) {
    (void)state;
    static const char *const names[] = {"gpt-2", "llama-bpe", "default", "starcoder", "smollm", "qwen2",
                                        "deepseek-coder", "deepseek-llm", "deepseek-v3", "refact",
                                        "stablelm2", "falcon", "bloom", "viking", "command-r", "olmo"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int p = pretok_from_gguf_pre(names[i], strlen(names[i]), NULL);
        assert_true(p >= 0 && p < PRETOK_SPM);
        char err[GB_ERRLEN];
        Pretokenizer *pre = pretok_new(p, err);
        if (!pre) fprintf(stderr, "%s: %s\n", names[i], err);
        assert_non_null(pre);
        pretok_free(pre);
        /* the writer's name for the pattern reads back as the same pattern */
        const char *w = pretok_gguf_name(p);
        assert_int_equal(pretok_from_gguf_pre(w, strlen(w), NULL), p);
    }
    assert_int_equal(pretok_from_gguf_pre("tekken", 6, NULL), -1);
    assert_int_equal(pretok_from_gguf_pre("llama-bp", 8, NULL), -1);
    const char *const *res;
    assert_int_equal(pretok_pattern_regexes(PRETOK_DEEPSEEK_CODER, &res), 5);
    assert_int_equal(pretok_pattern_regexes(PRETOK_SPM, &res), 0);
}

/* Every pattern on bytes that are not UTF-8: the invalid runs are chunks of their own, the rest
 * splits as usual, and everything is covered. */
static void test_invalid_utf8_every_pattern(void **state) {
    (void)state;
    static const char text[] = "ab\xff\xfe 12\xc3(x)\xe4\xb8 \xf0\x9f\x99";
    for (int p = 0; p < PRETOK_SPM; p++) {
        char err[GB_ERRLEN];
        size_t *ends;
        long n = pretokenize(p, text, sizeof text - 1, &ends, err);
        assert_true(n > 0);
        assert_true(ends[n - 1] == sizeof text - 1);
        for (long i = 1; i < n; i++) assert_true(ends[i] > ends[i - 1]);
        free(ends);
    }
}

/* decode(encode(x)) == x for standard-library files under every pattern, with one trained vocabulary
 * switched from pattern to pattern. */
static void test_round_trip_every_pattern(void **state) {
    (void)state;
    StdlibFiles files = stdlib_py_files();
    if (files.n == 0) {
        fprintf(stderr, "skipped: python3 (for the standard library's path) not found\n");
        skip();
    }
    size_t step = getenv("GLASSBOX_TEST_QUICK") ? 200 : 40;
#ifdef __SANITIZE_ADDRESS__
    step = 200;
#endif
    char err[GB_ERRLEN];
    char *train[3];
    size_t train_len[3];
    int n_train = 0;
    for (size_t i = 7; i < files.n && n_train < 3; i += files.n / 3)
        if (gb_read_file(files.paths[i], &train[n_train], &train_len[n_train], err) == 0) n_train++;
    Tokenizer *t = bpe_train((const char *const *)train, train_len, (size_t)n_train, 1200, PRETOK_GPT2, err);
    assert_non_null(t);
    for (int i = 0; i < n_train; i++) free(train[i]);
    for (int p = 0; p < PRETOK_SPM; p++) {
        assert_int_equal(tokenizer_set_pretokenizer(t, pretok_gguf_name(p), err), 0);
        size_t bytes = 0, tokens = 0;
        for (size_t i = 0; i < files.n; i += step) {
            char *text;
            size_t len;
            if (gb_read_file(files.paths[i], &text, &len, err)) continue;
            TokenSpan *sp;
            int k = tokenizer_encode(t, text, len, &sp, err);
            assert_true(k >= 0);
            int32_t *ids = malloc(((size_t)k + 1) * sizeof(int32_t));
            for (int j = 0; j < k; j++) {
                assert_true(sp[j].start == (j ? sp[j - 1].end : 0));
                ids[j] = sp[j].id;
            }
            char *back;
            long bl = tokenizer_decode(t, ids, (size_t)k, &back);
            assert_true(bl == (long)len && memcmp(back, text, len) == 0);
            bytes += len;
            tokens += (size_t)k;
            free(back);
            free(ids);
            free(sp);
            free(text);
        }
        fprintf(stderr, "round trip %-15s %zu bytes, %zu tokens\n", pretok_pattern_name(p), bytes, tokens);
    }
    tokenizer_free(t);
    stdlib_files_free(&files);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starcoder),
        cmocka_unit_test(test_qwen2),
        cmocka_unit_test(test_llama_bpe),
        cmocka_unit_test(test_deepseek_coder),
        cmocka_unit_test(test_deepseek_llm),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_falcon_bloom_viking),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_invalid_utf8_every_pattern),
        cmocka_unit_test(test_round_trip_every_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
