/* The encoding properties every fuzz target that has a tokenizer checks: the spans cover the text
 * exactly, in order, each span's bytes are its token's bytes, no control token comes out of text
 * (user-defined ones may), and decoding gives the text back. Returns the token count, or -1 when the tokenizer gave an error. */
#ifndef GB_FUZZ_ENCODE_CHECK_H
#define GB_FUZZ_ENCODE_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tokenizer.h"
#include "util.h"

/* SentencePiece: the first token may carry the space put in front of the text (its span then starts
 * at 0 but its bytes have one more), and decoding gives the text back only when the vocabulary has a
 * ▁ piece (else a space falls back to the bytes of U+2581) and no character became <unk>. */
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
    int spm = tokenizer_is_sentencepiece(t);
    int32_t sp = spm ? tokenizer_find(t, " ", 1) : -1;
    int exact = !spm || (sp >= 0 && tokenizer_token_type(t, sp) != 6);
    int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)(n ? n : 1)); /* (n) */
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (spans[i].start != at || spans[i].end < spans[i].start || spans[i].end > len ||
            (!spm && spans[i].end == spans[i].start))
            fuzz_fail("spans do not cover the text in order");
        size_t tl;
        const char *tb = tokenizer_token_bytes(t, spans[i].id, &tl);
        if (!tb) fuzz_fail("a token id out of range");
        int type = tokenizer_token_type(t, spans[i].id);
        if (type == 2) exact = 0; /* <unk> */
        if (tokenizer_is_special(t, spans[i].id) && type != 4 && !(spm && type == 2))
            fuzz_fail("a control token came out of text");
        size_t sl = spans[i].end - spans[i].start;
        int prefixed = spm && tl == sl + 1 && tb[0] == ' ' && memcmp(tb + 1, text + at, sl) == 0;
        if (!spm && (tl != sl || memcmp(tb, text + at, tl) != 0)) fuzz_fail("a span's bytes are not its token's bytes");
        if (spm && exact && !prefixed && (tl != sl || memcmp(tb, text + at, tl) != 0) && type != 6)
            fuzz_fail("a SentencePiece span's bytes are not its token's bytes");
        ids[i] = spans[i].id;
        at = spans[i].end;
    }
    if (at != len) fuzz_fail("spans stop before the end of the text");
    char *back = NULL;
    long bl = tokenizer_decode(t, ids, (size_t)n, &back);
    if (bl < 0) fuzz_fail("decode failed");
    if (exact && ((size_t)bl != len || (len && memcmp(back, text, len) != 0))) fuzz_fail("decode(encode(x)) != x");
    free(back);
    free(ids);
    free(spans);
    return n;
}

#endif
