/* Tokenizer: pre-tokenization splits worked out by hand from the regexes, BPE splits with small
 * hand-made vocabularies (GGUF merges and tiktoken ranks), ids of the shipped OpenAI vocabularies
 * that are public knowledge, bad files, and byte-exact round trips over the Python standard library
 * (with a vocabulary bpe_train makes from some of its files, and with o200k).
 * GLASSBOX_TEST_QUICK=1 (and any ASan build) encodes only every 10th standard-library file. */
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
#include "gguf.h"
#include "sample_text.h"
#include "stdlib_files.h"
#include "tokenizer.h"
#include "util.h"

/* ---- helpers ---- */

/* Asserts that pretokenize(pattern, text) cuts exactly the chunks given (NULL-terminated). */
static void expect_split_n(int pattern, const char *text, size_t len, const char *const *chunks) {
    char err[GB_ERRLEN];
    size_t *ends;
    long n = pretokenize(pattern, text, len, &ends, err);
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

/* Encodes text and checks that the spans cover it contiguously and decode back to it. Returns the ids
 * (malloc'ed) and their count in *n. */
static int32_t *encode_checked(const Tokenizer *t, const char *text, size_t len, int *n) {
    char err[GB_ERRLEN];
    TokenSpan *sp;
    int k = tokenizer_encode(t, text, len, &sp, err);
    if (k < 0) fprintf(stderr, "encode: %s\n", err);
    assert_true(k >= 0);
    int32_t *ids = malloc(((size_t)k + 1) * sizeof(int32_t));
    size_t at = 0;
    for (int i = 0; i < k; i++) {
        assert_true(sp[i].start == at && sp[i].end > sp[i].start);
        size_t tl;
        const char *tb = tokenizer_token_bytes(t, sp[i].id, &tl);
        assert_non_null(tb);
        assert_true(tl == sp[i].end - sp[i].start && memcmp(tb, text + at, tl) == 0);
        assert_false(tokenizer_is_special(t, sp[i].id));
        at = sp[i].end;
        ids[i] = sp[i].id;
    }
    assert_true(at == len);
    char *back;
    long bl = tokenizer_decode(t, ids, (size_t)k, &back);
    assert_true(bl == (long)len && memcmp(back, text, len) == 0);
    free(back);
    free(sp);
    *n = k;
    return ids;
}

/* Asserts the encoding of text is exactly the given token texts (raw bytes). */
static void expect_tokens_n(const Tokenizer *t, const char *text, const char *const *want) {
    int n;
    int32_t *ids = encode_checked(t, text, strlen(text), &n);
    int i = 0;
    for (; want[i]; i++) {
        size_t tl = 0;
        const char *tb = i < n ? tokenizer_token_bytes(t, ids[i], &tl) : NULL;
        if (!tb || tl != strlen(want[i]) || memcmp(tb, want[i], tl) != 0) {
            fprintf(stderr, "text \"%s\": token %d differs (expected \"%s\")\n", text, i, want[i]);
            for (int k = 0; k < n; k++) {
                tb = tokenizer_token_bytes(t, ids[k], &tl);
                fprintf(stderr, "  got [%.*s]\n", (int)tl, tb);
            }
            fail();
        }
    }
    assert_int_equal(n, i);
    free(ids);
}

#define TOKENS(t, text, ...)                                                                               \
    do {                                                                                                   \
        const char *const want_[] = {__VA_ARGS__, NULL};                                                   \
        expect_tokens_n(t, text, want_);                                                                   \
    } while (0)

static void expect_ids(const Tokenizer *t, const char *text, const int32_t *want, int n_want) {
    int n;
    int32_t *ids = encode_checked(t, text, strlen(text), &n);
    assert_int_equal(n, n_want);
    for (int i = 0; i < n; i++) assert_int_equal(ids[i], want[i]);
    free(ids);
}

/* A GGUF vocabulary: the 256 byte tokens in id order (byte-to-unicode form), then extra tokens (in
 * that form too), then <|endoftext|> (control). */
typedef struct {
    const char *model, *pre;
    const char *const *extra;
    int n_extra;
    const char *const *merges;
    int n_merges;
} VocabSpec;

static Tokenizer *load_spec(const VocabSpec *s, char *err) {
    int n = 256 + s->n_extra + 1;
    const char **strs = malloc((size_t)n * sizeof(char *));
    size_t *lens = malloc((size_t)n * sizeof(size_t));
    int32_t *types = malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        strs[i] = i < 256 ? bpe_byte_to_unicode((uint8_t)i) : i < n - 1 ? s->extra[i - 256] : "<|endoftext|>";
        lens[i] = strlen(strs[i]);
        types[i] = i < n - 1 ? 1 : 3;
    }
    size_t *mlens = malloc(((size_t)s->n_merges + 1) * sizeof(size_t));
    for (int i = 0; i < s->n_merges; i++) mlens[i] = strlen(s->merges[i]);
    GGUFWriter *w = gguf_writer_new();
    gguf_writer_set_string(w, "tokenizer.ggml.model", s->model ? s->model : "gpt2");
    if (s->pre) gguf_writer_set_string(w, "tokenizer.ggml.pre", s->pre);
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", strs, lens, (uint64_t)n);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n);
    gguf_writer_set_array_strings(w, "tokenizer.ggml.merges", s->merges, mlens, (uint64_t)s->n_merges);
    gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(n - 1));
    uint8_t *data;
    size_t size;
    assert_int_equal(gguf_writer_to_memory(w, &data, &size, err), 0);
    gguf_writer_free(w);
    free(strs);
    free(lens);
    free(types);
    free(mlens);
    GGUFFile f;
    assert_int_equal(gguf_open_memory(&f, data, size, "vocab.gguf", err), 0);
    Tokenizer *t = tokenizer_from_gguf(&f, err);
    gguf_close(&f);
    free(data);
    return t;
}

/* Writes a tokenizer to GGUF in memory with tokenizer_add_to_writer and loads it back. */
static Tokenizer *via_gguf(const Tokenizer *t) {
    char err[GB_ERRLEN];
    GGUFWriter *w = gguf_writer_new();
    tokenizer_add_to_writer(w, t);
    uint8_t *data;
    size_t size;
    assert_int_equal(gguf_writer_to_memory(w, &data, &size, err), 0);
    gguf_writer_free(w);
    GGUFFile f;
    assert_int_equal(gguf_open_memory(&f, data, size, "copy.gguf", err), 0);
    Tokenizer *u = tokenizer_from_gguf(&f, err);
    if (!u) fprintf(stderr, "%s\n", err);
    assert_non_null(u);
    gguf_close(&f);
    free(data);
    return u;
}

static Tokenizer *open_named(const char *name) {
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_open_named(name, err);
    if (!t) fprintf(stderr, "%s\n", err);
    assert_non_null(t);
    return t;
}

/* ---- pre-tokenization ---- */

static void test_pretok_gpt2(void **state) {
    (void)state;
    const int P = PRETOK_GPT2;
    /* A run of spaces before a word leaves its last space to the word (\s+(?!\S)). */
    SPLIT(P, "Hello world's 12345!!\n\n  x", "Hello", " world", "'s", " 12345", "!!", "\n\n ", " x");
    SPLIT(P, "DON'T don't", "DON", "'", "T", " don", "'t"); /* contractions are lower case only */
    SPLIT(P, "getUserName 1234567", "getUserName", " 1234567");
    SPLIT(P, "a   b  ", "a", "  ", " b", "  ");
    SPLIT(P, "x!\n/y", "x", "!", "\n", "/", "y");
    SPLIT(P, "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87!", "caf\xc3\xa9", " \xe4\xb8\xad\xe6\x96\x87", "!");
    /* U+0085 (NEL) is white space to tiktoken (Unicode White_Space), so it does not join the '!' */
    SPLIT(P, "\xc2\x85!", "\xc2\x85", "!");
    /* a combining mark (U+0301) is not a letter: it splits e\u0301 from the letters before */
    SPLIT(P, "cafe\xcc\x81s", "cafe", "\xcc\x81", "s");
}

static void test_pretok_cl100k(void **state) {
    (void)state;
    const int P = PRETOK_CL100K;
    SPLIT(P, "Hello world's 12345!!\n\n  x", "Hello", " world", "'s", " ", "123", "45", "!!\n\n", " ", " x");
    SPLIT(P, "DON'T don't", "DON", "'T", " don", "'t");
    SPLIT(P, "getUserName 1234567", "getUserName", " ", "123", "456", "7");
    SPLIT(P, "x!\n/y", "x", "!\n", "/y");
    SPLIT(P, "a \n\n b", "a", " \n\n", " b");
    SPLIT(P, "(foo)", "(foo", ")");
    SPLIT(P, "\xc2\x85!", "\xc2\x85", "!");
}

static void test_pretok_o200k(void **state) {
    (void)state;
    const int P = PRETOK_O200K;
    /* a contraction stays with the word before it */
    SPLIT(P, "Hello world's 12345!!\n\n  x", "Hello", " world's", " ", "123", "45", "!!\n\n", " ", " x");
    SPLIT(P, "getUserName XMLHttpRequest", "get", "User", "Name", " XMLHttp", "Request");
    SPLIT(P, "DON'T don't", "DON'T", " don't");
    SPLIT(P, "x!\n/y", "x", "!\n/", "y");
    /* marks count as word characters here */
    SPLIT(P, "cafe\xcc\x81s", "cafe\xcc\x81s");
}

static void test_pretok_invalid_utf8(void **state) {
    (void)state;
    for (int p = 0; p < 3; p++) {
        SPLIT(p, "ab\xff\xfe" "cd", "ab", "\xff\xfe", "cd");
        SPLIT(p, "wor\x80ld", "wor", "\x80", "ld");         /* lone continuation byte */
        SPLIT(p, "x\xe4\xb8", "x", "\xe4\xb8");              /* truncated character at the end */
        SPLIT(p, "\xed\xa0\x80z", "\xed\xa0\x80", "z");      /* an encoded surrogate is invalid */
        SPLIT(p, "\xc0\xafq", "\xc0\xaf", "q");              /* overlong '/' */
    }
    /* NUL is an ordinary symbol */
    char err[GB_ERRLEN];
    size_t *ends;
    long n = pretokenize(PRETOK_GPT2, "a\0b", 3, &ends, err);
    assert_int_equal(n, 3);
    assert_true(ends[0] == 1 && ends[1] == 2 && ends[2] == 3);
    free(ends);
    n = pretokenize(PRETOK_GPT2, "", 0, &ends, err);
    assert_int_equal(n, 0);
    free(ends);
}

/* ---- BPE with hand-made GGUF vocabularies ---- */

static const char *const LOW_TOKENS[] = {"lo", "low", "er", "\xc4\xa0l", "\xc4\xa0low", "lower"};

static void test_gguf_merges_rank_order(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    /* \xc4\xa0 is the byte-to-unicode form of the space byte */
    const char *const merges_a[] = {"l o", "lo w", "e r", "\xc4\xa0 l", "\xc4\xa0 low", "low er"};
    VocabSpec a = {.extra = LOW_TOKENS, .n_extra = 6, .merges = merges_a, .n_merges = 6};
    Tokenizer *t = load_spec(&a, err);
    assert_non_null(t);
    assert_int_equal(tokenizer_vocab_size(t), 256 + 6 + 1);
    assert_int_equal(tokenizer_pattern(t), PRETOK_GPT2); /* no tokenizer.ggml.pre */
    assert_int_equal(tokenizer_n_merges(t), 6);
    /* Ġ l o w e r: l+o (0), lo+w (1), e+r (2), Ġ+low (4); low+er never meets: Ġlow took low first */
    TOKENS(t, " lower", " low", "er");
    TOKENS(t, "lower", "lower");
    TOKENS(t, "lowlow er", "low", "low", " ", "er");
    assert_int_equal(tokenizer_eos(t), 256 + 6);
    assert_int_equal(tokenizer_bos(t), -1);
    assert_true(tokenizer_is_special(t, 262));
    /* the special token is decodable but never comes out of text */
    int32_t eot = 262;
    char *back;
    assert_int_equal(tokenizer_decode(t, &eot, 1, &back), 13);
    assert_string_equal(back, "<|endoftext|>");
    free(back);
    assert_int_equal(tokenizer_find(t, "<|endoftext|>", 13), 262);
    assert_int_equal(tokenizer_find(t, "low", 3), 257);
    assert_int_equal(tokenizer_find(t, " ", 1), 32);
    assert_int_equal(tokenizer_find(t, "wo", 2), -1);
    int n;
    int32_t *ids = encode_checked(t, "<|endoftext|>", 13, &n);
    assert_int_equal(n, 13); /* no merge applies: one token per byte */
    free(ids);

    /* The same tokens, Ġ+l ranked first: Ġl o w e r -> Ġl, o, w, er */
    const char *const merges_b[] = {"\xc4\xa0 l", "l o", "lo w", "e r", "\xc4\xa0 low", "low er"};
    VocabSpec b = {.extra = LOW_TOKENS, .n_extra = 6, .merges = merges_b, .n_merges = 6};
    Tokenizer *u = load_spec(&b, err);
    assert_non_null(u);
    TOKENS(u, " lower", " l", "o", "w", "er");
    TOKENS(u, "lower", "lower");

    /* Written back with tokenizer_add_to_writer, the vocabulary loads and splits the same way. */
    Tokenizer *v = via_gguf(u);
    assert_int_equal(tokenizer_vocab_size(v), 263);
    assert_int_equal(tokenizer_eos(v), 262);
    assert_true(tokenizer_is_special(v, 262));
    TOKENS(v, " lower", " l", "o", "w", "er");
    for (int32_t i = 0; i < 263; i++) {
        size_t la, lb;
        const char *ta = tokenizer_token_bytes(u, i, &la), *tb = tokenizer_token_bytes(v, i, &lb);
        assert_true(la == lb && memcmp(ta, tb, la) == 0);
    }
    tokenizer_free(t);
    tokenizer_free(u);
    tokenizer_free(v);
}

static void test_gguf_leftmost_and_long_runs(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    const char *const extra[] = {"aa", "aaaa"};
    const char *const merges[] = {"a a", "aa aa"};
    VocabSpec s = {.extra = extra, .n_extra = 2, .merges = merges, .n_merges = 2};
    Tokenizer *t = load_spec(&s, err);
    assert_non_null(t);
    /* equal ranks merge leftmost first: aaa -> aa a; aaaaa -> aa aa a -> aaaa a */
    TOKENS(t, "aaa", "aa", "a");
    TOKENS(t, "aaaaa", "aaaa", "a");
    TOKENS(t, "aaaaaaa", "aaaa", "aa", "a");
    /* A run of 1,000,003 a's is one chunk: a+a pairs up 500,001 aa and one a, then aa+aa gives
     * 250,000 aaaa, one aa left over, then the a: 250,002 tokens. Both engines agree. */
    size_t len = 1000003;
    char *run = malloc(len + 1);
    memset(run, 'a', len);
    run[len] = 0;
    for (int pass = 0; pass < 2; pass++) {
        tokenizer_set_small_chunk_limit(t, pass == 0 ? 16 : 0);
        int n;
        int32_t *ids = encode_checked(t, run, len, &n);
        assert_int_equal(n, 250002);
        for (int i = 0; i < 250000; i++) assert_int_equal(ids[i], 257);
        assert_int_equal(ids[250000], 256);
        assert_int_equal(ids[250001], 'a');
        free(ids);
    }
    free(run);
    tokenizer_free(t);
}

static void test_gguf_llama_bpe_takes_whole_words(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    /* "abc" is a token that the merges cannot reach (b+c is ranked before a+b, and bc has no
     * partner). llama.cpp's llama-bpe pre-tokenizer ("ignore_merges") takes a chunk that is a token
     * whole; gpt-2 merges. */
    const char *const extra[] = {"ab", "bc", "abc"};
    const char *const merges[] = {"b c", "a b", "ab c"};
    VocabSpec s = {.pre = "gpt-2", .extra = extra, .n_extra = 3, .merges = merges, .n_merges = 3};
    Tokenizer *t = load_spec(&s, err);
    assert_non_null(t);
    TOKENS(t, "abc", "a", "bc");
    tokenizer_free(t);
    s.pre = "llama-bpe";
    t = load_spec(&s, err);
    assert_non_null(t);
    assert_int_equal(tokenizer_pattern(t), PRETOK_CL100K);
    TOKENS(t, "abc", "abc");
    TOKENS(t, "abcx", "a", "bc", "x");
    tokenizer_free(t);
}

static void test_gguf_bad_vocabularies(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    const char *const extra[] = {"lo", "low"};
    const char *const good[] = {"l o", "lo w"};
    VocabSpec s = {.extra = extra, .n_extra = 2, .merges = good, .n_merges = 2};

    s.model = "bert"; /* WordPiece: not read */
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "\"bert\""));
    assert_non_null(strstr(err, "not supported"));
    s.model = NULL;

    s.pre = "qwen-something";
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "qwen-something"));
    s.pre = "gpt-4o";
    Tokenizer *t = load_spec(&s, err);
    assert_non_null(t);
    assert_int_equal(tokenizer_pattern(t), PRETOK_O200K);
    tokenizer_free(t);
    s.pre = NULL;

    const char *const part_missing[] = {"l o", "lo w", "x yz"};
    s.merges = part_missing;
    s.n_merges = 3;
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "merge 2"));
    const char *const no_result[] = {"l o", "w e", "lo w"};
    s.merges = no_result;
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "merge 1"));
    const char *const no_space[] = {"lo"};
    s.merges = no_space;
    s.n_merges = 1;
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "merge 0"));
    s.merges = good;
    s.n_merges = 2;

    const char *const dup[] = {"lo", "lo"};
    s.extra = dup;
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "256"));
    assert_non_null(strstr(err, "257"));
    const char *const empty[] = {"lo", ""};
    s.extra = empty;
    s.n_merges = 1;
    assert_null(load_spec(&s, err));
    assert_non_null(strstr(err, "257"));
    assert_non_null(strstr(err, "empty"));
}

/* ---- tiktoken ---- */

static char *write_temp(const char *name, const char *text) {
    char *path = malloc(512);
    snprintf(path, 512, "%s/%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
    char err[GB_ERRLEN];
    assert_int_equal(gb_write_file_atomic(path, text, strlen(text), err), 0);
    return path;
}

static void test_tiktoken_small(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    /* a=0 b=1 c=2 abc=3 ab=4 (base64: YQ== Yg== Yw== YWJj YWI=) */
    char *path = write_temp("glassbox_test_small.tiktoken", "YQ== 0\nYg== 1\nYw== 2\nYWJj 3\nYWI= 4\n");
    Tokenizer *t = tokenizer_from_tiktoken(path, PRETOK_GPT2, err);
    assert_non_null(t);
    assert_int_equal(tokenizer_vocab_size(t), 6); /* <|endoftext|> after the last rank */
    assert_int_equal(tokenizer_eos(t), 5);
    /* a chunk that is a token is taken whole; otherwise the rank rule: ab (4), then ab+c = abc (3) */
    expect_ids(t, "abc", (const int32_t[]){3}, 1);
    expect_ids(t, "abcab", (const int32_t[]){3, 4}, 2);
    expect_ids(t, "cab", (const int32_t[]){2, 4}, 2);
    /* a byte without a token cannot be encoded: the error names its offset */
    TokenSpan *sp;
    assert_int_equal(tokenizer_encode(t, "ab c", 4, &sp, err), -1);
    assert_null(sp);
    assert_non_null(strstr(err, "0x20 at offset 2"));
    tokenizer_free(t);
    unlink(path);
    free(path);
}

static void test_tiktoken_errors(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    char *path = write_temp("glassbox_bad_cl100k.tiktoken", "YQ== 0\nYg== 1\nY!== 2\n");
    assert_null(tokenizer_from_tiktoken(path, -1, err));
    assert_non_null(strstr(err, "glassbox_bad_cl100k.tiktoken:3: bad base64"));
    unlink(path);
    free(path);
    path = write_temp("glassbox_bad2_cl100k.tiktoken", "YQ== 0\nYg== 0\n");
    assert_null(tokenizer_from_tiktoken(path, -1, err));
    assert_non_null(strstr(err, ":2:"));
    unlink(path);
    free(path);
    path = write_temp("glassbox_bad3_cl100k.tiktoken", "YQ== 0\nYg==\n");
    assert_null(tokenizer_from_tiktoken(path, -1, err));
    assert_non_null(strstr(err, ":2:"));
    unlink(path);
    free(path);
    path = write_temp("glassbox_bad4_cl100k.tiktoken", "YQ== 0\nYg== x1\n");
    assert_null(tokenizer_from_tiktoken(path, -1, err));
    assert_non_null(strstr(err, ":2: bad rank"));
    unlink(path);
    free(path);
    path = write_temp("glassbox_bad5_cl100k.tiktoken", "YQ== 0\nYg== 2000000000\n");
    assert_null(tokenizer_from_tiktoken(path, -1, err));
    assert_non_null(strstr(err, ":2: rank 2000000000 is too large"));
    unlink(path);
    free(path);
    /* a name that says nothing about the pattern needs one given */
    path = write_temp("glassbox_mystery.tiktoken", "YQ== 0\n");
    assert_null(tokenizer_from_tiktoken(path, -1, err));
    assert_non_null(strstr(err, "pattern"));
    unlink(path);
    free(path);
    assert_null(tokenizer_open_named("/nonexistent/x_cl100k.tiktoken", err));
    assert_non_null(strstr(err, "/nonexistent/x_cl100k.tiktoken"));
}

static void test_openai_vocabularies(void **state) {
    (void)state;
    /* Ids as published with GPT-2 and in OpenAI's tiktoken documentation and cookbook. */
    Tokenizer *t = open_named("gpt2");
    assert_int_equal(tokenizer_vocab_size(t), 50257);
    assert_int_equal(tokenizer_pattern(t), PRETOK_GPT2);
    assert_int_equal(tokenizer_eos(t), 50256);
    assert_int_equal(tokenizer_bos(t), 50256);
    expect_ids(t, "Hello world", (const int32_t[]){15496, 995}, 2);
    expect_ids(t, "!", (const int32_t[]){0}, 1);
    expect_ids(t, "\"", (const int32_t[]){1}, 1);
    expect_ids(t, " the\n", (const int32_t[]){262, 198}, 2);
    assert_int_equal(tokenizer_find(t, "<|endoftext|>", 13), 50256);
    int n;
    int32_t *ids = encode_checked(t, "<|endoftext|>", 13, &n);
    assert_true(n > 1);
    free(ids);
    tokenizer_free(t);

    t = open_named("cl100k_base");
    assert_int_equal(tokenizer_pattern(t), PRETOK_CL100K);
    assert_int_equal(tokenizer_eos(t), 100257);
    expect_ids(t, "hello world", (const int32_t[]){15339, 1917}, 2);
    expect_ids(t, "tiktoken is great!", (const int32_t[]){83, 1609, 5963, 374, 2294, 0}, 6);
    tokenizer_free(t);

    t = open_named("o200k_base");
    assert_int_equal(tokenizer_pattern(t), PRETOK_O200K);
    assert_int_equal(tokenizer_eos(t), 199999);
    expect_ids(t, "hello world", (const int32_t[]){24912, 2375}, 2);
    tokenizer_free(t);
}

/* Text that stresses the byte-level paths: invalid UTF-8, NUL, CJK, emoji, combining marks. */
static const char AWKWARD[] =
    "plain ascii, then \xff\xfe invalid, NUL \0 inside, lone \x80 continuation, "
    "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97 CJK, \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd emoji, "
    "cafe\xcc\x81 n\xcc\x83 combining, tabs\t\tand\r\nnewlines\n\n\n   \xed\xa0\x80 surrogate \xf4\x90\x80\x80"
    " too big \xc0\x80 overlong \xe2\x82 cut";

static void test_awkward_bytes_round_trip(void **state) {
    (void)state;
    const char *names[] = {"gpt2", "cl100k_base", "o200k_base"};
    for (int k = 0; k < 3; k++) {
        Tokenizer *t = open_named(names[k]);
        int n;
        free(encode_checked(t, AWKWARD, sizeof AWKWARD - 1, &n));
        /* every single byte value, alone and all together */
        char all[256];
        for (int b = 0; b < 256; b++) {
            all[b] = (char)b;
            free(encode_checked(t, all + b, 1, &n));
            assert_int_equal(n, 1);
        }
        free(encode_checked(t, all, 256, &n));
        tokenizer_free(t);
    }
}

/* Random text from an alphabet that makes long words, runs of spaces and newlines, digits, UTF-8
 * characters cut anywhere and stray bytes. */
static void random_text(char *out, size_t n, uint64_t *x) {
    static const char *const pieces[] = {"a", "e", "i", "n", "r", "s", "t", "l", "o", " ", " ", "  ", "\n",
                                         "\t", "1", "23", "'s", "!", "(", "\xc3\xa9", "\xe4\xb8\xad",
                                         "\xf0\x9f\x98\x80", "\xcc\x81", "\xff", "\x80", "\0", "A", "Z"};
    size_t o = 0;
    while (o < n) {
        *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
        const char *p = pieces[*x % (sizeof pieces / sizeof pieces[0])];
        size_t k = *p ? strlen(p) : 1; /* "\0" is the NUL byte */
        for (size_t i = 0; i < k && o < n; i++) out[o++] = p[i];
    }
}

static void test_engines_agree(void **state) {
    (void)state;
    /* The scan engine and the heap engine give the same tokens, under both merge rules, on every
     * chunk length; every random text round-trips. */
    char err[GB_ERRLEN];
    uint64_t x = 88172645463325252ULL;
    char corpus[20000];
    random_text(corpus, sizeof corpus, &x);
    const char *texts[1] = {corpus};
    size_t lens[1] = {sizeof corpus};
    Tokenizer *tok[3] = {open_named("cl100k_base"), open_named("gpt2"),
                         bpe_train(texts, lens, 1, 1500, PRETOK_O200K, err)};
    assert_non_null(tok[2]);
    for (int k = 0; k < 3; k++) {
        for (int round = 0; round < 40; round++) {
            char text[1500];
            size_t len = (size_t)(x % sizeof text);
            random_text(text, len, &x);
            int n1, n2;
            tokenizer_set_small_chunk_limit(tok[k], 1 << 30);
            int32_t *a = encode_checked(tok[k], text, len, &n1);
            tokenizer_set_small_chunk_limit(tok[k], 0);
            int32_t *b = encode_checked(tok[k], text, len, &n2);
            assert_int_equal(n1, n2);
            if (n1) assert_memory_equal(a, b, (size_t)n1 * sizeof(int32_t));
            free(a);
            free(b);
        }
        tokenizer_free(tok[k]);
    }
}

static void test_tiktoken_to_gguf_merges(void **state) {
    (void)state;
    /* r50k written as GGUF merges (derived from the ranks) encodes text like the rank rule does. */
    Tokenizer *t = open_named("r50k_base");
    Tokenizer *u = via_gguf(t);
    assert_int_equal(tokenizer_vocab_size(u), 50257);
    assert_int_equal(tokenizer_eos(u), 50256);
    assert_int_equal(tokenizer_n_merges(u), 50000); /* GPT-2 has 50,000 merges */
    const char *const texts[2] = {SAMPLE_TEXT, AWKWARD};
    const size_t lens[2] = {sizeof SAMPLE_TEXT - 1, sizeof AWKWARD - 1};
    for (int k = 0; k < 2; k++) {
        int n1, n2;
        int32_t *a = encode_checked(t, texts[k], lens[k], &n1);
        int32_t *b = encode_checked(u, texts[k], lens[k], &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, (size_t)n1 * sizeof(int32_t));
        free(a);
        free(b);
    }
    tokenizer_free(t);
    tokenizer_free(u);
}

static void test_display(void **state) {
    (void)state;
    char out[128];
    assert_string_equal(token_display("a b\t\n\r\x01\x7f\xff", 9, out, sizeof out),
                        "a\xc2\xb7" "b\xe2\x86\x92\xe2\x8f\x8e\xe2\x90\x8d<0x01><0x7F><0xFF>");
    assert_string_equal(token_display("\xc3\xa9\xe4\xb8\xad\xe4\xb8", 7, out, sizeof out),
                        "\xc3\xa9\xe4\xb8\xad<0xE4><0xB8>");
    assert_string_equal(token_display("\0", 1, out, sizeof out), "<0x00>");
    /* truncation never splits a piece */
    assert_string_equal(token_display("ab\xff", 3, out, 6), "ab");
    assert_string_equal(token_display("\xc3\xa9\xc3\xa9", 4, out, 4), "\xc3\xa9");
    assert_string_equal(bpe_byte_to_unicode(' '), "\xc4\xa0");
    assert_string_equal(bpe_byte_to_unicode('\n'), "\xc4\x8a");
    assert_string_equal(bpe_byte_to_unicode('A'), "A");
    assert_string_equal(bpe_byte_to_unicode(0xad), "\xc5\x83");
    assert_int_equal(pretok_pattern_from_name("llama-bpe"), PRETOK_CL100K);
    assert_int_equal(pretok_pattern_from_name("gpt-2"), PRETOK_GPT2);
    assert_int_equal(pretok_pattern_from_name("o200k"), PRETOK_O200K);
    assert_int_equal(pretok_pattern_from_name("bert"), -1);
}

/* ---- the Python standard library ---- */

static void test_stdlib_round_trip(void **state) {
    (void)state;
    StdlibFiles files = stdlib_py_files();
    if (files.n == 0) {
        fprintf(stderr, "skipped: python3 (for the standard library's path) not found\n");
        skip();
    }
    size_t step = getenv("GLASSBOX_TEST_QUICK") ? 10 : 1;
#ifdef __SANITIZE_ADDRESS__
    step = 10; /* sanitizer builds: a sample */
#endif
    char err[GB_ERRLEN];
    /* A vocabulary trained on every 100th file (cl100k pattern), and o200k. */
    size_t n_train = 0;
    char *train_text[64];
    size_t train_len[64];
    for (size_t i = 0; i < files.n && n_train < 64; i += 100)
        if (gb_read_file(files.paths[i], &train_text[n_train], &train_len[n_train], err) == 0) n_train++;
    Tokenizer *tok[2];
    tok[0] = bpe_train((const char *const *)train_text, train_len, n_train, 3000, PRETOK_CL100K, err);
    assert_non_null(tok[0]);
    assert_int_equal(tokenizer_vocab_size(tok[0]), 3000);
    for (size_t i = 0; i < n_train; i++) free(train_text[i]);
    tok[1] = open_named("o200k_base");
    size_t total = 0, n_files = 0, n_tokens[2] = {0, 0};
    for (size_t i = 0; i < files.n; i += step) {
        char *text;
        size_t len;
        if (gb_read_file(files.paths[i], &text, &len, err)) continue; /* unreadable: not our business */
        for (int k = 0; k < 2; k++) {
            int n;
            free(encode_checked(tok[k], text, len, &n));
            n_tokens[k] += (size_t)n;
        }
        total += len;
        n_files++;
        free(text);
    }
    fprintf(stderr, "round trip: %zu files, %zu bytes, %zu tokens (trained, 3000), %zu tokens (o200k)\n", n_files,
            total, n_tokens[0], n_tokens[1]);
    assert_true(n_files > 0);
    tokenizer_free(tok[0]);
    tokenizer_free(tok[1]);
    stdlib_files_free(&files);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretok_gpt2),
        cmocka_unit_test(test_pretok_cl100k),
        cmocka_unit_test(test_pretok_o200k),
        cmocka_unit_test(test_pretok_invalid_utf8),
        cmocka_unit_test(test_gguf_merges_rank_order),
        cmocka_unit_test(test_gguf_leftmost_and_long_runs),
        cmocka_unit_test(test_gguf_llama_bpe_takes_whole_words),
        cmocka_unit_test(test_gguf_bad_vocabularies),
        cmocka_unit_test(test_tiktoken_small),
        cmocka_unit_test(test_tiktoken_errors),
        cmocka_unit_test(test_openai_vocabularies),
        cmocka_unit_test(test_awkward_bytes_round_trip),
        cmocka_unit_test(test_engines_agree),
        cmocka_unit_test(test_tiktoken_to_gguf_merges),
        cmocka_unit_test(test_display),
        cmocka_unit_test(test_stdlib_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
