/* The encoding properties every fuzz target that has a tokenizer checks: the spans cover the text
 * exactly, in order, each span's bytes are its token's bytes, no special token comes out of text, and
 * decoding gives the text back. Returns the token count, or -1 when the tokenizer gave an error. */
#ifndef GB_FUZZ_ENCODE_CHECK_H
#define GB_FUZZ_ENCODE_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tokenizer.h"
#include "util.h"

static inline int fuzz_check_encode(const Tokenizer *t, const char *text, size_t len) {
    TokenSpan *spans = NULL;
    char err[GB_ERRLEN];
    err[0] = 0;
    int n = tokenizer_encode(t, text, len, &spans, err);
    if (n < 0) {
        if (!err[0]) fuzz_fail("encode failed without a message");
        free(spans);
        return -1;
    }
    if (len > 0 && n == 0) fuzz_fail("non-empty text gave no tokens");
    int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)(n ? n : 1)); /* (n) */
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (spans[i].start != at || spans[i].end <= spans[i].start || spans[i].end > len)
            fuzz_fail("spans do not cover the text in order");
        size_t tl;
        const char *tb = tokenizer_token_bytes(t, spans[i].id, &tl);
        if (!tb) fuzz_fail("a token id out of range");
        if (tokenizer_is_special(t, spans[i].id)) fuzz_fail("a special token came out of text");
        if (tl != spans[i].end - spans[i].start || memcmp(tb, text + at, tl) != 0)
            fuzz_fail("a span's bytes are not its token's bytes");
        ids[i] = spans[i].id;
        at = spans[i].end;
    }
    if (at != len) fuzz_fail("spans stop before the end of the text");
    char *back = NULL;
    long bl = tokenizer_decode(t, ids, (size_t)n, &back);
    if (bl < 0 || (size_t)bl != len || (len && memcmp(back, text, len) != 0))
        fuzz_fail("decode(encode(x)) != x");
    free(back);
    free(ids);
    free(spans);
    return n;
}

#endif
