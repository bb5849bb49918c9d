/* SentencePiece vocabularies (tokenizer.ggml.model "llama") and special tokens: splits on a small
 * vocabulary with scores built here, expected pieces worked out by hand from llama.cpp's algorithm
 * (highest-scoring merge first, leftmost on ties), the space prefix, byte fallback, the unknown token,
 * control and user-defined tokens in the text, add_bos/add_eos, GGUF round trips, and byte-exact
 * decode(encode(x)) over the Python standard library with a vocabulary converted from BPE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

#define SP "\xe2\x96\x81" /* U+2581, SentencePiece's space */

/* The hand-made vocabulary: <unk> <s> </s>, 256 byte tokens, then these pieces and scores. */
typedef struct {
    const char *text;
    float score;
    int type;
} Piece;

static const Piece PIECES[] = {
    {SP, -10, 1},       {"h", -20, 1},      {"e", -20, 1},    {"l", -20, 1},     {"o", -20, 1},
    {"w", -20, 1},      {"r", -20, 1},      {"d", -20, 1},    {"ll", -1, 1},     {"he", -3, 1},
    {"hell", -2, 1},    {"llo", -4, 1},     {SP "h", -5, 1},  {"lo", -6, 1},     {SP "he", -7, 1},
    {"hello", -8, 1},   {SP SP, -9, 1},     {"<fim>", 0, 4},  {"wo", -11, 1},    {"ld", -12, 1},
    {"rld", -12.5f, 1}, {"world", -13, 1},  {SP "world", -0.5f, 1},
};
enum { N_PIECES = sizeof PIECES / sizeof PIECES[0], FIRST_PIECE = 259 };

static int32_t piece_id(const char *text) {
    for (int i = 0; i < N_PIECES; i++)
        if (strcmp(PIECES[i].text, text) == 0) return FIRST_PIECE + i;
    fail_msg("no piece %s", text);
    return -1;
}

/* Builds the vocabulary's arrays; with_bytes = 0 leaves the byte tokens out (their places become
 * unused pieces of their own). */
static Tokenizer *make_vocab(int with_bytes, int add_prefix, GGUFWriter *w) {
    int n = FIRST_PIECE + N_PIECES;
    const char **texts = malloc((size_t)n * sizeof(char *));
    char (*store)[16] = malloc((size_t)n * 16);
    size_t *lens = malloc((size_t)n * sizeof(size_t));
    float *scores = malloc((size_t)n * sizeof(float));
    uint8_t *types = malloc((size_t)n);
    int32_t *types32 = malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        if (i < 3) {
            snprintf(store[i], 16, "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
            types[i] = i == 0 ? 2 : 3;
            scores[i] = 0;
            texts[i] = store[i];
        } else if (i < FIRST_PIECE) {
            snprintf(store[i], 16, with_bytes ? "<0x%02X>" : "[unused%d]", with_bytes ? i - 3 : i);
            types[i] = with_bytes ? 6 : 5;
            scores[i] = 0;
            texts[i] = store[i];
        } else {
            texts[i] = PIECES[i - FIRST_PIECE].text;
            types[i] = (uint8_t)PIECES[i - FIRST_PIECE].type;
            scores[i] = PIECES[i - FIRST_PIECE].score;
        }
        lens[i] = strlen(texts[i]);
        types32[i] = types[i];
    }
    char err[GB_ERRLEN];
    Tokenizer *t = NULL;
    if (w) { /* as a GGUF file would carry it */
        gguf_writer_set_string(w, "tokenizer.ggml.model", "llama");
        gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", texts, lens, (uint64_t)n);
        gguf_writer_set_array_f32(w, "tokenizer.ggml.scores", scores, (uint64_t)n);
        gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types32, (uint64_t)n);
        if (!add_prefix) gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", false);
    } else {
        t = tokenizer_from_spm("hand-made", n, texts, lens, scores, types, 1, 2, 0, add_prefix, err);
        if (!t) fprintf(stderr, "%s\n", err);
        assert_non_null(t);
    }
    free(texts);
    free(store);
    free(lens);
    free(scores);
    free(types);
    free(types32);
    return t;
}

static Tokenizer *from_writer(GGUFWriter *w) {
    char err[GB_ERRLEN];
    uint8_t *data;
    size_t size;
    assert_int_equal(gguf_writer_to_memory(w, &data, &size, err), 0);
    gguf_writer_free(w);
    GGUFFile f;
    assert_int_equal(gguf_open_memory(&f, data, size, "spm.gguf", err), 0);
    Tokenizer *t = tokenizer_from_gguf(&f, err);
    if (!t) fprintf(stderr, "%s\n", err);
    gguf_close(&f);
    free(data);
    return t;
}

/* Encodes text (parse_special as given) and checks the ids, that the spans cover the text in order,
 * and that decoding gives the text back. */
static void expect(const Tokenizer *t, const char *text, int parse_special, const int32_t *want, int n_want) {
    char err[GB_ERRLEN];
    TokenSpan *sp;
    size_t len = strlen(text);
    int n = tokenizer_encode_ex(t, text, len, parse_special, &sp, err);
    if (n < 0) fprintf(stderr, "%s\n", err);
    assert_true(n >= 0);
    int same = n == n_want;
    for (int i = 0; same && i < n; i++) same = sp[i].id == want[i];
    if (!same) {
        fprintf(stderr, "text \"%s\": got", text);
        for (int i = 0; i < n; i++) fprintf(stderr, " %d", sp[i].id);
        fprintf(stderr, ", expected");
        for (int i = 0; i < n_want; i++) fprintf(stderr, " %d", want[i]);
        fprintf(stderr, "\n");
        fail();
    }
    int32_t *ids = malloc(((size_t)n + 1) * sizeof(int32_t));
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        assert_true(sp[i].start == at && sp[i].end >= sp[i].start);
        at = sp[i].end;
        ids[i] = sp[i].id;
    }
    assert_true(at == len);
    char *back;
    long bl = tokenizer_decode(t, ids, (size_t)n, &back);
    assert_true(bl == (long)len && memcmp(back, text, len) == 0);
    free(back);
    free(ids);
    free(sp);
}

#define IDS(t, text, special, ...)                                                                         \
    do {                                                                                                   \
        const int32_t want_[] = {__VA_ARGS__};                                                             \
        expect(t, text, special, want_, (int)(sizeof want_ / sizeof want_[0]));                            \
    } while (0)

static void test_scores_order_merges(void **state) {
    (void)state;
    Tokenizer *t = make_vocab(1, 1, NULL);
    assert_true(tokenizer_is_sentencepiece(t));
    assert_int_equal(tokenizer_pattern(t), PRETOK_SPM);
    /* "▁hello": pairs ▁h -5, he -3, ll -1, lo -6. ll (-1) merges first; then he (-3); then he+ll =
     * hell (-2); llo (-4), ▁h (-5), lo, ▁he (-7) are stale; hell+o = hello (-8). ▁+hello is no piece. */
    IDS(t, "hello", 0, piece_id(SP), piece_id("hello"));
    /* then wo (-11), ld (-12), r+ld (-12.5), wo+rld (-13), and only then ▁+world (-0.5) can form */
    IDS(t, "hello world", 0, piece_id(SP), piece_id("hello"), piece_id(SP "world"));
    /* "▁a▁▁world": ▁▁ (-9) merges before world exists, so ▁world never forms; "a" is no piece */
    IDS(t, "a  world", 0, piece_id(SP), 3 + 'a', piece_id(SP SP), piece_id("world"));
    /* pieces as the tokens' bytes: ▁ is a space */
    size_t len;
    const char *b = tokenizer_token_bytes(t, piece_id(SP "world"), &len);
    assert_true(len == 6 && memcmp(b, " world", 6) == 0);
    assert_int_equal(tokenizer_find(t, " world", 6), piece_id(SP "world"));
    assert_int_equal(tokenizer_find(t, "<s>", 3), 1);
    assert_true(tokenizer_token_score(t, piece_id("ll")) == -1.0f);
    tokenizer_free(t);
}

static void test_no_space_prefix(void **state) {
    (void)state;
    Tokenizer *t = make_vocab(1, 0, NULL);
    assert_false(tokenizer_adds_space_prefix(t));
    IDS(t, "hello", 0, piece_id("hello"));
    IDS(t, " hello", 0, piece_id(SP), piece_id("hello"));
    tokenizer_free(t);
    /* with the prefix, a continuation of other text gets none */
    t = make_vocab(1, 1, NULL);
    char err[GB_ERRLEN];
    TokenSpan *sp;
    assert_int_equal(tokenizer_encode_ex(t, "hello", 5, TOKENIZE_CONTINUATION, &sp, err), 1);
    assert_int_equal(sp[0].id, piece_id("hello"));
    free(sp);
    tokenizer_free(t);
}

static void test_byte_fallback_and_unknown(void **state) {
    (void)state;
    Tokenizer *t = make_vocab(1, 1, NULL);
    /* é (C3 A9) is no piece: its bytes; the 'x' too */
    IDS(t, "h\xc3\xa9x", 0, piece_id(SP "h"), 3 + 0xC3, 3 + 0xA9, 3 + 'x');
    size_t len;
    const char *b = tokenizer_token_bytes(t, 3 + 0xC3, &len);
    assert_true(len == 1 && (uint8_t)b[0] == 0xC3);
    /* invalid UTF-8: a lone continuation byte is a character of its own, and so is a lead byte without
     * its continuation bytes (it does not swallow the ▁ of the space after it) */
    IDS(t, "\x80h", 0, piece_id(SP), 3 + 0x80, piece_id("h"));
    IDS(t, "\xe4 he", 0, piece_id(SP), 3 + 0xE4, piece_id(SP "he"));
    tokenizer_free(t);
    /* without byte tokens, a character no piece covers is one <unk> */
    t = make_vocab(0, 1, NULL);
    char err[GB_ERRLEN];
    TokenSpan *sp;
    int n = tokenizer_encode(t, "h\xc3\xa9", 3, &sp, err);
    assert_int_equal(n, 2);
    assert_int_equal(sp[0].id, piece_id(SP "h"));
    assert_int_equal(sp[1].id, 0);
    assert_true(sp[1].start == 1 && sp[1].end == 3);
    free(sp);
    tokenizer_free(t);
}

static void test_special_tokens(void **state) {
    (void)state;
    Tokenizer *t = make_vocab(1, 1, NULL);
    /* parse_special: <s> and </s> are found in the text; the text after a special gets the ▁ too */
    IDS(t, "<s>hello</s>", 1, 1, piece_id(SP), piece_id("hello"), 2);
    /* without it they are text: < s > by bytes (no pieces), after the prefix */
    IDS(t, "<s>", 0, piece_id(SP), 3 + '<', 3 + 's', 3 + '>');
    /* a user-defined token always counts */
    IDS(t, "he<fim>he", 0, piece_id(SP "he"), piece_id("<fim>"), piece_id(SP "he"));
    assert_true(tokenizer_is_special(t, 1));
    assert_int_equal(tokenizer_token_type(t, piece_id("<fim>")), 4);
    /* the prompt: BOS in front (SentencePiece files want it unless add_bos_token = false) */
    char err[GB_ERRLEN];
    int32_t *ids;
    int n = tokenizer_encode_prompt(t, "hello", 5, &ids, err);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 1);
    free(ids);
    tokenizer_free(t);
}

static void test_gguf_round_trip(void **state) {
    (void)state;
    GGUFWriter *w = gguf_writer_new();
    make_vocab(1, 1, w);
    gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", true);
    Tokenizer *t = from_writer(w);
    assert_non_null(t);
    assert_int_equal(tokenizer_bos(t), 1); /* llama.cpp's defaults: no keys, <s> = 1, </s> = 2 */
    assert_int_equal(tokenizer_eos(t), 2);
    IDS(t, "hello world", 0, piece_id(SP), piece_id("hello"), piece_id(SP "world"));
    char err[GB_ERRLEN];
    int32_t *ids;
    int n = tokenizer_encode_prompt(t, "hello", 5, &ids, err);
    assert_int_equal(n, 4); /* <s> ▁ hello </s> */
    assert_int_equal(ids[3], 2);
    free(ids);
    /* written back by glassbox's writer, read again: the same */
    GGUFWriter *w2 = gguf_writer_new();
    tokenizer_add_to_writer(w2, t);
    Tokenizer *u = from_writer(w2);
    assert_non_null(u);
    IDS(u, "hello world", 0, piece_id(SP), piece_id("hello"), piece_id(SP "world"));
    assert_true(tokenizer_token_score(u, piece_id(SP "world")) == -0.5f);
    tokenizer_free(u);
    tokenizer_free(t);
    /* add_space_prefix = false in the file */
    w = gguf_writer_new();
    make_vocab(1, 0, w);
    t = from_writer(w);
    IDS(t, "hello", 0, piece_id("hello"));
    tokenizer_free(t);
}

static void test_bad_files(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    const char *texts[] = {"a", "b", "a"};
    size_t lens[] = {1, 1, 1};
    uint8_t types[] = {1, 1, 1};
    assert_null(tokenizer_from_spm("dup", 3, texts, lens, NULL, types, -1, -1, -1, 1, err));
    assert_non_null(strstr(err, "0 and 2"));
    /* scores of the wrong length */
    GGUFWriter *w = gguf_writer_new();
    size_t l2[] = {1, 1};
    float sc[] = {0};
    gguf_writer_set_string(w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", texts, l2, 2);
    gguf_writer_set_array_f32(w, "tokenizer.ggml.scores", sc, 1);
    assert_null(from_writer(w));
    /* an unknown pre-tokenizer names itself and the file */
    w = gguf_writer_new();
    int32_t ty[] = {1, 1};
    gguf_writer_set_string(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_set_string(w, "tokenizer.ggml.pre", "tekken");
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", texts, l2, 2);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", ty, 2);
    uint8_t *data;
    size_t size;
    assert_int_equal(gguf_writer_to_memory(w, &data, &size, err), 0);
    gguf_writer_free(w);
    GGUFFile f;
    assert_int_equal(gguf_open_memory(&f, data, size, "tekken.gguf", err), 0);
    assert_null(tokenizer_from_gguf(&f, err));
    assert_non_null(strstr(err, "tekken.gguf"));
    assert_non_null(strstr(err, "\"tekken\" is not supported"));
    gguf_close(&f);
    free(data);
}

/* A BPE vocabulary converted to SentencePiece: the pieces decode to what the text was, spans cover the
 * text, and the stdlib files come back byte for byte (invalid UTF-8 included). */
static void test_converted_round_trip(void **state) {
    (void)state;
    StdlibFiles files = stdlib_py_files();
    if (files.n == 0) {
        fprintf(stderr, "skipped: python3 (for the standard library's path) not found\n");
        skip();
    }
    size_t step = getenv("GLASSBOX_TEST_QUICK") ? 100 : 20;
#ifdef __SANITIZE_ADDRESS__
    step = 100;
#endif
    char err[GB_ERRLEN];
    char *train[2];
    size_t train_len[2];
    int n_train = 0;
    for (size_t i = 3; i < files.n && n_train < 2; i += files.n / 2)
        if (gb_read_file(files.paths[i], &train[n_train], &train_len[n_train], err) == 0) n_train++;
    Tokenizer *b = bpe_train((const char *const *)train, train_len, (size_t)n_train, 1500, PRETOK_GPT2, err);
    assert_non_null(b);
    for (int i = 0; i < n_train; i++) free(train[i]);
    Tokenizer *t = tokenizer_to_spm(b, err);
    if (!t) fprintf(stderr, "%s\n", err);
    assert_non_null(t);
    assert_true(tokenizer_is_sentencepiece(t));
    size_t bytes = 0, tokens = 0, bpe_tokens = 0;
    static const char awkward[] = "  x\n\n\t\xff\xfe caf\xc3\xa9 \xe4\xb8\xad\xf0\x9f\x99\x82 <s> </s>";
    for (size_t i = 0; i < files.n + step; i += step) {
        char *text;
        size_t len;
        if (i >= files.n) { /* last, the awkward bytes */
            text = gb_strdup(awkward);
            len = sizeof awkward - 1;
        } else if (gb_read_file(files.paths[i], &text, &len, err)) {
            continue;
        }
        TokenSpan *sp;
        int k = tokenizer_encode(t, text, len, &sp, err);
        assert_true(k >= 0);
        int32_t *ids = malloc(((size_t)k + 1) * sizeof(int32_t));
        for (int j = 0; j < k; j++) {
            assert_true(sp[j].start == (j ? sp[j - 1].end : 0));
            ids[j] = sp[j].id;
        }
        assert_true(k == 0 || sp[k - 1].end == len);
        char *back;
        long bl = tokenizer_decode(t, ids, (size_t)k, &back);
        assert_true(bl == (long)len && memcmp(back, text, len) == 0);
        TokenSpan *bsp;
        bpe_tokens += (size_t)tokenizer_encode(b, text, len, &bsp, err);
        free(bsp);
        bytes += len;
        tokens += (size_t)k;
        free(back);
        free(ids);
        free(sp);
        free(text);
    }
    fprintf(stderr, "SentencePiece round trip: %zu bytes, %zu tokens (the BPE vocabulary: %zu)\n", bytes, tokens,
            bpe_tokens);
    tokenizer_free(t);
    tokenizer_free(b);
    stdlib_files_free(&files);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_order_merges),
        cmocka_unit_test(test_no_space_prefix),
        cmocka_unit_test(test_byte_fallback_and_unknown),
        cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_gguf_round_trip),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_converted_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
