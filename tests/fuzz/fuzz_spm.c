/* tokenizer_encode_ex on arbitrary bytes, over the tokenizers tokenizer_encode's other fuzzer does not
 * reach: SentencePiece vocabularies (with and without the space prefix, with and without byte tokens)
 * and a merges vocabulary under each of llama.cpp's other pre-tokenizers, with special tokens parsed
 * or not. Checks the encoding properties of encode_check.h (and, parsing specials, that the spans
 * still cover the text). The first input byte picks the tokenizer and the flags; the rest is the text. */
#include <string.h>

#include "encode_check.h"

#define SP "\xe2\x96\x81"
static const char *const PIECES[] = {SP, "h", "e", "l", "o", "ll", "he", "hell", "hello", SP "h", SP SP,
                                     "de", "def", SP "def", "(", ")", "()", "in", "ing", "\xc3\xa9", "<fim>"};
enum { N_PIECES = sizeof PIECES / sizeof PIECES[0], N_TOK = 3 + 256 + N_PIECES, N_BPE = PRETOK_SPM - 3 };

static Tokenizer *g_tok[N_BPE + 3];

static Tokenizer *build_spm(int with_bytes, int prefix) {
    const char *texts[N_TOK];
    char store[259][12];
    size_t lens[N_TOK];
    float scores[N_TOK];
    uint8_t types[N_TOK];
    for (int i = 0; i < N_TOK; i++) {
        if (i < 259) {
            if (i < 3) snprintf(store[i], 12, "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
            else snprintf(store[i], 12, with_bytes ? "<0x%02X>" : "[u%d]", with_bytes ? i - 3 : i);
            texts[i] = store[i];
            types[i] = i == 0 ? 2 : i < 3 ? 3 : with_bytes ? 6 : 5;
        } else {
            texts[i] = PIECES[i - 259];
            types[i] = strcmp(texts[i], "<fim>") == 0 ? 4 : 1;
        }
        lens[i] = strlen(texts[i]);
        scores[i] = -(float)(i % 7); /* ties on purpose */
    }
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_from_spm("fuzz", N_TOK, texts, lens, scores, types, 1, 2, 0, prefix, err);
    if (!t) fuzz_fail("fuzz_spm: the fixed SentencePiece vocabulary does not build");
    return t;
}

/* Every byte, a few merges, <|endoftext|> (control) and <tool> (user-defined, as a GGUF carries it). */
static Tokenizer *build_bpe(int pattern) {
    static const char *const M[][2] = {{" ", "t"}, {"h", "e"}, {" t", "he"}, {"1", "2"}, {"12", "3"},
                                       {" ", " "}, {"\n", "\n"}, {"d", "e"}, {"de", "f"}, {"(", ")"}};
    enum { NM = sizeof M / sizeof M[0], N = 256 + NM + 1 };
    char *bytes[N];
    size_t lens[N];
    uint8_t special[N] = {0};
    int32_t merges[2 * NM];
    for (int b = 0; b < 256; b++) {
        bytes[b] = gb_malloc(1);
        bytes[b][0] = (char)b;
        lens[b] = 1;
    }
    for (int m = 0; m < NM; m++) {
        size_t la = strlen(M[m][0]), lb = strlen(M[m][1]);
        bytes[256 + m] = gb_malloc(la + lb);
        memcpy(bytes[256 + m], M[m][0], la);
        memcpy(bytes[256 + m] + la, M[m][1], lb);
        lens[256 + m] = la + lb;
        for (int side = 0; side < 2; side++)
            for (int k = 0; k < 256 + m; k++)
                if (lens[k] == strlen(M[m][side]) && memcmp(bytes[k], M[m][side], lens[k]) == 0) merges[2 * m + side] = k;
    }
    bytes[N - 1] = gb_strdup("<|endoftext|>");
    lens[N - 1] = strlen(bytes[N - 1]);
    special[N - 1] = 1;
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_from_merges("fuzz", N, (const char *const *)bytes, lens, special, merges, NM,
                                         PRETOK_GPT2, N - 1, N - 1, err);
    if (!t || tokenizer_set_pretokenizer(t, pretok_gguf_name(pattern), err)) fuzz_fail("fuzz_spm: the BPE vocabulary");
    for (int i = 0; i < N; i++) free(bytes[i]);
    return t;
}

/* With special tokens parsed the spans still cover the text in order, and decoding gives it back. */
static void check_special(const Tokenizer *t, const char *text, size_t len) {
    TokenSpan *spans = NULL;
    char err[GB_ERRLEN];
    int n = tokenizer_encode_ex(t, text, len, TOKENIZE_SPECIAL, &spans, err);
    if (n < 0) {
        free(spans);
        return;
    }
    int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (spans[i].start != at || spans[i].end < spans[i].start) fuzz_fail("special: spans out of order");
        at = spans[i].end;
        ids[i] = spans[i].id;
    }
    if (at != len) fuzz_fail("special: spans stop before the end");
    char *back = NULL;
    long bl = tokenizer_decode(t, ids, (size_t)n, &back);
    if (bl < 0) fuzz_fail("special: decode failed");
    free(back);
    free(ids);
    free(spans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_tok[0]) {
        for (int p = 0; p < N_BPE; p++) g_tok[p] = build_bpe(3 + p);
        g_tok[N_BPE] = build_spm(1, 1);
        g_tok[N_BPE + 1] = build_spm(1, 0);
        g_tok[N_BPE + 2] = build_spm(0, 1);
    }
    if (size < 1 || size > 8192) return 0;
    Tokenizer *t = g_tok[(data[0] & 0x7f) % (N_BPE + 3)];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (fuzz_check_encode(t, text, len) < 0) fuzz_fail("a vocabulary with every byte failed to encode");
    if (data[0] & 0x80) check_special(t, text, len);
    return 0;
}
