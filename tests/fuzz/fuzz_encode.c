/* tokenizer_encode on arbitrary bytes, over small vocabularies built in memory: a merges-rule
 * vocabulary with each split pattern, and a rank-rule (tiktoken) one. Checks that the spans cover the
 * input, decode(encode(x)) == x, and that the simple-scan and heap merge engines agree. The first
 * input byte picks the vocabulary; the rest is the text. */
#include <string.h>

#include "encode_check.h"

/* Merges in rank order, as "left right" byte strings; each result joins the vocabulary. */
static const char *const MERGES[][2] = {
    {" ", "t"},   {"h", "e"},   {"i", "n"},   {" t", "he"}, {"e", "r"},   {"o", "n"},   {" ", "a"},
    {"r", "e"},   {"a", "t"},   {"s", "t"},   {"e", "n"},   {"o", "r"},   {" ", "s"},   {" ", "w"},
    {"in", "g"},  {"e", "s"},   {" ", "c"},   {" ", "f"},   {"\n", "\n"}, {" ", " "},   {"  ", "  "},
    {"d", "e"},   {"de", "f"},  {" ", "("},   {"(", ")"},   {"s", "e"},   {"l", "f"},   {"se", "lf"},
    {"\xc3", "\xa9"}, {"\xe2", "\x82"}, {"\xe2\x82", "\xac"}, {"a", "a"}, {"aa", "aa"}, {"aaaa", "aaaa"},
    {"r", "n"},   {"m", "m"},   {"rn", "m"},  {"1", "2"},   {"12", "3"},  {" ", "\t"},  {"\r", "\n"},
};
enum { N_MERGES = sizeof MERGES / sizeof MERGES[0] };

static Tokenizer *g_tok[4];

static Tokenizer *build_merges(int pattern) {
    int n = 256 + N_MERGES + 1;
    char **bytes = gb_calloc((size_t)n, sizeof(char *)); /* (n) token bytes */
    size_t *lens = gb_calloc((size_t)n, sizeof(size_t));
    uint8_t *special = gb_calloc((size_t)n, 1);
    int32_t *merges = gb_malloc(sizeof(int32_t) * 2 * N_MERGES);
    for (int b = 0; b < 256; b++) {
        bytes[b] = gb_malloc(1);
        bytes[b][0] = (char)b;
        lens[b] = 1;
    }
    for (int m = 0; m < N_MERGES; m++) {
        size_t la = strlen(MERGES[m][0]), lb = strlen(MERGES[m][1]);
        int id = 256 + m;
        bytes[id] = gb_malloc(la + lb);
        memcpy(bytes[id], MERGES[m][0], la);
        memcpy(bytes[id] + la, MERGES[m][1], lb);
        lens[id] = la + lb;
        for (int side = 0; side < 2; side++) {
            int32_t found = -1;
            size_t l = side ? lb : la;
            for (int k = 0; k < id && found < 0; k++)
                if (lens[k] == l && memcmp(bytes[k], MERGES[m][side], l) == 0) found = k;
            if (found < 0) fuzz_fail("fuzz_encode: a merge names a token not yet made");
            merges[2 * m + side] = found;
        }
    }
    int eot = 256 + N_MERGES;
    bytes[eot] = gb_strdup("<|endoftext|>");
    lens[eot] = strlen(bytes[eot]);
    special[eot] = 1;
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_from_merges("fuzz", n, (const char *const *)bytes, lens, special, merges,
                                         N_MERGES, pattern, eot, eot, err);
    if (!t) {
        fprintf(stderr, "%s\n", err);
        fuzz_fail("fuzz_encode: the fixed vocabulary does not build");
    }
    for (int i = 0; i < n; i++) free(bytes[i]);
    free(bytes);
    free(lens);
    free(special);
    free(merges);
    return t;
}

/* The same merges as tiktoken ranks (rank = id), written as a rank file and loaded. */
static Tokenizer *build_tiktoken(void) {
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    Tokenizer *m = g_tok[0];
    size_t cap = 64 * 1024, len = 0;
    char *text = gb_malloc(cap);
    for (int id = 0; id < 256 + N_MERGES; id++) {
        size_t tl;
        const uint8_t *b = (const uint8_t *)tokenizer_token_bytes(m, id, &tl);
        for (size_t i = 0; i < tl; i += 3) {
            uint32_t w = (uint32_t)b[i] << 16 | (i + 1 < tl ? (uint32_t)b[i + 1] << 8 : 0) |
                         (i + 2 < tl ? b[i + 2] : 0);
            text[len++] = B64[w >> 18 & 63];
            text[len++] = B64[w >> 12 & 63];
            text[len++] = i + 1 < tl ? B64[w >> 6 & 63] : '=';
            text[len++] = i + 2 < tl ? B64[w & 63] : '=';
        }
        len += (size_t)snprintf(text + len, cap - len, " %d\n", id);
    }
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_from_tiktoken_memory("fuzz.tiktoken", text, len, PRETOK_O200K, err);
    if (!t) {
        fprintf(stderr, "%s\n", err);
        fuzz_fail("fuzz_encode: the fixed rank file does not load");
    }
    free(text);
    return t;
}

/* Token ids of the text with the heap engine only, to compare with the default (scan for short
 * chunks). */
static void check_engines_agree(Tokenizer *t, const char *text, size_t len) {
    TokenSpan *a = NULL, *b = NULL;
    char err[GB_ERRLEN];
    int na = tokenizer_encode(t, text, len, &a, err);
    tokenizer_set_small_chunk_limit(t, 0);
    int nb = tokenizer_encode(t, text, len, &b, err);
    tokenizer_set_small_chunk_limit(t, 16);
    if (na != nb) fuzz_fail("the scan and heap engines give different token counts");
    for (int i = 0; i < na; i++)
        if (a[i].id != b[i].id || a[i].start != b[i].start) fuzz_fail("the scan and heap engines disagree");
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_tok[0]) {
        g_tok[0] = build_merges(PRETOK_GPT2);
        g_tok[1] = build_merges(PRETOK_CL100K);
        g_tok[2] = build_merges(PRETOK_O200K);
        g_tok[3] = build_tiktoken();
    }
    if (size < 1 || size > 8192) return 0;
    Tokenizer *t = g_tok[data[0] & 3];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (fuzz_check_encode(t, text, len) < 0) fuzz_fail("a full byte vocabulary failed to encode");
    check_engines_agree(t, text, len);
    return 0;
}
