/* BPE trainer: merges predicted by hand on a tiny corpus, exact vocabulary sizes, agreement with a
 * naive trainer that recounts every pair from scratch at every step, GGUF round trip. */
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
#include "sample_text.h"
#include "tokenizer.h"
#include "util.h"

static Tokenizer *train1(const char *text, int vocab, int pattern) {
    char err[GB_ERRLEN];
    const char *texts[1] = {text};
    size_t lens[1] = {strlen(text)};
    Tokenizer *t = bpe_train(texts, lens, 1, vocab, pattern, err);
    if (!t) fprintf(stderr, "%s\n", err);
    assert_non_null(t);
    return t;
}

static void expect_token(const Tokenizer *t, int32_t id, const char *bytes) {
    size_t len;
    const char *b = tokenizer_token_bytes(t, id, &len);
    assert_non_null(b);
    if (len != strlen(bytes) || memcmp(b, bytes, len) != 0) {
        fprintf(stderr, "token %d is \"%.*s\", expected \"%s\"\n", id, (int)len, b, bytes);
        fail();
    }
}

static void test_hand_computed_merges(void **state) {
    (void)state;
    /* Chunks (gpt2 pattern): "aaab", " aaab", " ab". Pair counts: a+a 4, a+b 3, space+a 2.
     * 1: a+a -> aa. Words: aa a b | _ aa a b | _ a b. Counts: a+b 3, aa+a 2, _+aa 1, _+a 1.
     * 2: a+b -> ab. Words: aa ab | _ aa ab | _ ab. Counts: aa+ab 2, _+aa 1, _+ab 1.
     * 3: aa+ab -> aaab. Then _+aaab 1 and _+ab 1 tie: the smaller ids win (ab = 257 < aaab = 258).
     * 4: _+ab -> " ab". 5: _+aaab -> " aaab". Then no pair is left. */
    const char *text = "aaab aaab ab";
    Tokenizer *t = train1(text, 262, PRETOK_GPT2);
    assert_int_equal(tokenizer_vocab_size(t), 262);
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        size_t len;
        const char *s = tokenizer_token_bytes(t, b, &len);
        assert_true(len == 1 && s[0] == c);
    }
    expect_token(t, 256, "aa");
    expect_token(t, 257, "ab");
    expect_token(t, 258, "aaab");
    expect_token(t, 259, " ab");
    expect_token(t, 260, " aaab");
    expect_token(t, 261, "<|endoftext|>");
    assert_true(tokenizer_is_special(t, 261));
    assert_int_equal(tokenizer_bos(t), 261);
    assert_int_equal(tokenizer_eos(t), 261);
    assert_int_equal(tokenizer_n_merges(t), 5);
    char err[GB_ERRLEN];
    TokenSpan *sp;
    int n = tokenizer_encode(t, text, strlen(text), &sp, err);
    assert_int_equal(n, 3);
    assert_true(sp[0].id == 258 && sp[1].id == 260 && sp[2].id == 259);
    free(sp);
    tokenizer_free(t);

    /* the size asked for is the size given */
    t = train1(text, 261, PRETOK_GPT2);
    assert_int_equal(tokenizer_vocab_size(t), 261);
    expect_token(t, 259, " ab");
    expect_token(t, 260, "<|endoftext|>");
    tokenizer_free(t);
    t = train1(text, 257, PRETOK_GPT2);
    assert_int_equal(tokenizer_vocab_size(t), 257);
    tokenizer_free(t);
    /* ... unless the corpus runs out of pairs */
    t = train1(text, 300, PRETOK_GPT2);
    assert_int_equal(tokenizer_vocab_size(t), 262);
    tokenizer_free(t);

    const char *texts[1] = {text};
    size_t lens[1] = {strlen(text)};
    assert_null(bpe_train(texts, lens, 1, 256, PRETOK_GPT2, err));
    assert_non_null(strstr(err, "256"));
}

static void test_overlapping_pairs(void **state) {
    (void)state;
    /* Chunks "aaaa", " aaaa" x2, " aaa". Overlapping pairs all count: a+a 3 + 3 + 3 + 2 = 11, _+a 3.
     * 1: a+a -> aa, left to right: aa aa | _ aa aa (x2) | _ aa a.
     * Then aa+aa 3 and _+aa 3 tie: _ (32) is the smaller left id. 2: _+aa -> " aa".
     * Words: aa aa | " aa" aa (x2) | " aa" a. 3: " aa"+aa 2 beats aa+aa 1 and " aa"+a 1. */
    Tokenizer *t = train1("aaaa aaaa aaaa aaa", 300, PRETOK_CL100K);
    expect_token(t, 256, "aa");
    expect_token(t, 257, " aa");
    expect_token(t, 258, " aaaa");
    tokenizer_free(t);
}

/* ---- a naive trainer, recounting everything at every step ---- */

typedef struct {
    int32_t *sym;
    size_t n;
    long count;
} NaiveWord;

static void naive_train(const char *text, size_t len, int pattern, int n_merges, int32_t (*out)[2], int *n_out) {
    char err[GB_ERRLEN];
    size_t *ends;
    long nc = pretokenize(pattern, text, len, &ends, err);
    assert_true(nc >= 0);
    NaiveWord *words = calloc((size_t)nc + 1, sizeof(NaiveWord));
    size_t nw = 0, start = 0;
    for (long c = 0; c < nc; c++) {
        size_t cl = ends[c] - start;
        size_t w = 0;
        for (; w < nw; w++) {
            if (words[w].n != cl) continue;
            size_t k = 0;
            while (k < cl && words[w].sym[k] == (uint8_t)text[start + k]) k++;
            if (k == cl) break;
        }
        if (w == nw) {
            words[nw].sym = malloc(cl * sizeof(int32_t));
            for (size_t k = 0; k < cl; k++) words[nw].sym[k] = (uint8_t)text[start + k];
            words[nw].n = cl;
            nw++;
        }
        words[w].count++;
        start = ends[c];
    }
    free(ends);
    int32_t(*pairs)[2] = malloc(len * sizeof *pairs);
    long *counts = malloc(len * sizeof(long));
    *n_out = 0;
    for (int m = 0; m < n_merges; m++) {
        size_t np = 0;
        for (size_t w = 0; w < nw; w++)
            for (size_t i = 0; i + 1 < words[w].n; i++) {
                size_t p = 0;
                while (p < np && !(pairs[p][0] == words[w].sym[i] && pairs[p][1] == words[w].sym[i + 1])) p++;
                if (p == np) {
                    pairs[np][0] = words[w].sym[i];
                    pairs[np][1] = words[w].sym[i + 1];
                    counts[np++] = 0;
                }
                counts[p] += words[w].count;
            }
        if (np == 0) break;
        size_t best = 0;
        for (size_t p = 1; p < np; p++)
            if (counts[p] > counts[best] ||
                (counts[p] == counts[best] && (pairs[p][0] < pairs[best][0] ||
                                               (pairs[p][0] == pairs[best][0] && pairs[p][1] < pairs[best][1]))))
                best = p;
        int32_t a = pairs[best][0], b = pairs[best][1], c = 256 + m;
        out[m][0] = a;
        out[m][1] = b;
        (*n_out)++;
        for (size_t w = 0; w < nw; w++) {
            size_t o = 0;
            for (size_t i = 0; i < words[w].n; i++) {
                if (i + 1 < words[w].n && words[w].sym[i] == a && words[w].sym[i + 1] == b) {
                    words[w].sym[o++] = c;
                    i++;
                } else {
                    words[w].sym[o++] = words[w].sym[i];
                }
            }
            words[w].n = o;
        }
    }
    for (size_t w = 0; w < nw; w++) free(words[w].sym);
    free(words);
    free(pairs);
    free(counts);
}

static void test_matches_naive_trainer(void **state) {
    (void)state;
    const char *src = SAMPLE_TEXT;
    size_t len = sizeof SAMPLE_TEXT - 1;
    char err[GB_ERRLEN];
    const int n_merges = 150;
    for (int pattern = 0; pattern < 3; pattern++) {
        int32_t(*want)[2] = malloc((size_t)n_merges * sizeof *want);
        int n_want;
        naive_train(src, len, pattern, n_merges, want, &n_want);
        assert_int_equal(n_want, n_merges);
        const char *texts[1] = {src};
        size_t lens[1] = {len};
        Tokenizer *t = bpe_train(texts, lens, 1, 256 + n_merges + 1, pattern, err);
        assert_non_null(t);
        assert_int_equal(tokenizer_vocab_size(t), 256 + n_merges + 1);
        /* token 256 + m must be the concatenation of the naive trainer's merge m */
        for (int m = 0; m < n_merges; m++) {
            size_t la, lb, lc;
            const char *a = tokenizer_token_bytes(t, want[m][0], &la);
            const char *b = tokenizer_token_bytes(t, want[m][1], &lb);
            const char *c = tokenizer_token_bytes(t, 256 + m, &lc);
            if (lc != la + lb || memcmp(c, a, la) != 0 || memcmp(c + la, b, lb) != 0) {
                fprintf(stderr, "pattern %d, merge %d: got \"%.*s\", naive \"%.*s\" + \"%.*s\"\n", pattern, m,
                        (int)lc, c, (int)la, a, (int)lb, b);
                fail();
            }
        }
        tokenizer_free(t);
        free(want);
    }
}

static void test_gguf_round_trip_and_text(void **state) {
    (void)state;
    const char *src = SAMPLE_TEXT;
    size_t len = sizeof SAMPLE_TEXT - 1;
    char err[GB_ERRLEN];
    const char *texts[2] = {src, "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xff\xfe"};
    size_t lens[2] = {len, strlen(texts[1])};
    Tokenizer *t = bpe_train(texts, lens, 2, 700, PRETOK_O200K, err);
    assert_non_null(t);
    assert_int_equal(tokenizer_vocab_size(t), 700);
    /* the same corpus gives the same vocabulary */
    Tokenizer *t2 = bpe_train(texts, lens, 2, 700, PRETOK_O200K, err);
    for (int32_t i = 0; i < 700; i++) {
        size_t la, lb;
        const char *a = tokenizer_token_bytes(t, i, &la), *b = tokenizer_token_bytes(t2, i, &lb);
        assert_true(la == lb && memcmp(a, b, la) == 0);
    }
    tokenizer_free(t2);

    GGUFWriter *w = gguf_writer_new();
    tokenizer_add_to_writer(w, t);
    uint8_t *data;
    size_t size;
    assert_int_equal(gguf_writer_to_memory(w, &data, &size, err), 0);
    gguf_writer_free(w);
    GGUFFile f;
    assert_int_equal(gguf_open_memory(&f, data, size, "trained.gguf", err), 0);
    GGUFString s;
    assert_true(gguf_get_string(&f, "tokenizer.ggml.pre", &s) && gguf_string_eq(s, "gpt-4o"));
    const GGUFValue *merges = gguf_get_array(&f, "tokenizer.ggml.merges");
    assert_non_null(merges);
    assert_int_equal(merges->count, 700 - 257);
    Tokenizer *u = tokenizer_from_gguf(&f, err);
    assert_non_null(u);
    gguf_close(&f);
    free(data);
    assert_int_equal(tokenizer_eos(u), 699);

    TokenSpan *a, *b;
    int na = tokenizer_encode(t, src, len, &a, err);
    int nb = tokenizer_encode(u, src, len, &b, err);
    assert_true(na > 0 && na == nb);
    assert_memory_equal(a, b, (size_t)na * sizeof(TokenSpan));
    assert_true((size_t)na < len / 2); /* 443 merges trained on this text compress it */
    int32_t *ids = malloc((size_t)na * sizeof(int32_t));
    for (int i = 0; i < na; i++) ids[i] = a[i].id;
    char *back;
    assert_int_equal(tokenizer_decode(u, ids, (size_t)na, &back), (long)len);
    assert_memory_equal(back, src, len);
    free(back);
    free(ids);
    free(a);
    free(b);
    tokenizer_free(t);
    tokenizer_free(u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_merges),
        cmocka_unit_test(test_overlapping_pairs),
        cmocka_unit_test(test_matches_naive_trainer),
        cmocka_unit_test(test_gguf_round_trip_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
