/* tiktoken rank files (OpenAI's `.tiktoken`): one "BASE64 RANK" line per normal token, its rank its id
 * and its merge priority (the rank rule of tokenizer_merge.c); the special tokens of each family are
 * listed here, as the files do not hold them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "tokenizer_internal.h"
#include "util.h"

static int base64_value(uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes standard base64 (with '=' padding) into out; returns the length or -1. */
static long base64_decode(const uint8_t *s, size_t n, uint8_t *out) {
    if (n == 0 || n % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) return -1;
                v[k] = base64_value(s[i + k]);
                if (v[k] < 0) return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) out[o++] = (uint8_t)(w >> 8);
        if (pad < 1) out[o++] = (uint8_t)w;
    }
    return (long)o;
}

/* A special token of a tiktoken family, at its published id. */
typedef struct {
    const char *text;
    int32_t id;
} TiktokenSpecial;

/* The specials tiktoken registers for each family (its openai_public.py), listed here because the
 * rank files hold only the normal tokens. The ids are above every rank; the ids between them that no
 * token uses (cl100k's 100256, 100261..100275; o200k's 200000..200017) stay empty. */
static const TiktokenSpecial R50K_SPECIALS[] = {{"<|endoftext|>", 50256}, {NULL, -1}};
static const TiktokenSpecial CL100K_SPECIALS[] = {{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258},
                                                  {"<|fim_middle|>", 100259}, {"<|fim_suffix|>", 100260},
                                                  {"<|endofprompt|>", 100276}, {NULL, -1}};
static const TiktokenSpecial O200K_SPECIALS[] = {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018},
                                                 {NULL, -1}};

/* The family a rank file belongs to, from its name: its pattern and specials (NULL: unknown; then
 * <|endoftext|> alone goes after the last rank). */
static int family_from_name(const char *path, const TiktokenSpecial **specials) {
    const char *b = gb_base_name(path);
    if (strstr(b, "r50k") || strstr(b, "p50k") || strstr(b, "gpt2")) {
        *specials = R50K_SPECIALS;
        return PRETOK_GPT2;
    }
    if (strstr(b, "cl100k")) {
        *specials = CL100K_SPECIALS;
        return PRETOK_CL100K;
    }
    if (strstr(b, "o200k")) {
        *specials = O200K_SPECIALS;
        return PRETOK_O200K;
    }
    *specials = NULL;
    return -1;
}

enum { MAX_TIKTOKEN_RANK = 1 << 24 };

Tokenizer *tokenizer_from_tiktoken(const char *path, int pattern, char *err) {
    const TiktokenSpecial *specials;
    if (pattern < 0) pattern = family_from_name(path, &specials);
    if (pattern < 0 || pattern > 2) {
        gb_seterr(err, "%s: cannot tell the split pattern from the file name (expected r50k, cl100k or o200k in it)",
                  path);
        return NULL;
    }
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_RANKS, path, &data, &len, err)) return NULL;
    Tokenizer *t = tokenizer_from_tiktoken_memory(path, data, len, pattern, err);
    free(data);
    return t;
}

/* One "BASE64 RANK" line of a rank file: where its token's base64 lies, and its rank. */
typedef struct {
    size_t start, len;
    int32_t rank;
    size_t line; /* its line number, for messages */
} RankLine;

/* The rank of a line, after the space at sp; -1 with err when it is not a number below the limit. */
static int64_t parse_rank(const char *fname, size_t line, const char *sp, const char *end, char *err) {
    int64_t rank = 0;
    const char *r = sp + 1;
    if (r == end) rank = -1;
    for (; r < end && rank >= 0; r++) {
        if (*r < '0' || *r > '9') rank = -1;
        else if (rank < MAX_TIKTOKEN_RANK) rank = rank * 10 + (*r - '0'); /* else: stays too large */
    }
    if (rank < 0) {
        gb_seterr(err, "%s:%zu: bad rank", fname, line);
        return -1;
    }
    if (rank >= MAX_TIKTOKEN_RANK) { /* ranks are ids: a huge one would size a huge table */
        gb_seterr(err, "%s:%zu: rank %.*s is too large (the limit is %d)", fname, line, (int)(end - (sp + 1)), sp + 1,
                  MAX_TIKTOKEN_RANK - 1);
        return -1;
    }
    return rank;
}

/* Reads every non-empty line's token and rank (a line may end in \r\n). Returns their count (*lines
 * malloc'ed, *max_rank the largest), or -1 with err. */
static long read_rank_lines(const char *fname, const char *data, size_t len, RankLine **lines, int64_t *max_rank,
                            char *err) {
    size_t n_lines = 1;
    for (size_t i = 0; i < len; i++) n_lines += data[i] == '\n';
    RankLine *v = *lines = gb_malloc(n_lines * sizeof(RankLine));
    size_t n = 0, line = 0;
    *max_rank = -1;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && data[e] != '\n') e++;
        line++;
        size_t end = e > i && data[e - 1] == '\r' ? e - 1 : e;
        if (end > i) {
            const char *sp = memchr(data + i, ' ', end - i);
            if (!sp) {
                gb_seterr(err, "%s:%zu: expected \"BASE64 RANK\"", fname, line);
                return -1;
            }
            int64_t rank = parse_rank(fname, line, sp, data + end, err);
            if (rank < 0) return -1;
            v[n++] = (RankLine){i, (size_t)(sp - (data + i)), (int32_t)rank, line};
            if (rank > *max_rank) *max_rank = rank;
        }
        i = e + 1;
    }
    if (n == 0) gb_seterr(err, "%s: no tokens", fname);
    return n ? (long)n : -1;
}

/* Sets each line's token at its rank: its base64 decoded, at an id no special token and no other line
 * has. Returns 0, or -1 with err. */
static int set_rank_tokens(VocabBuilder *vb, const char *fname, const char *data, size_t len, const RankLine *lines,
                           size_t n, const TiktokenSpecial *specials, char *err) {
    uint8_t *buf = gb_malloc(len / 4 * 3 + 4);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        const RankLine *rl = &lines[k];
        long nb = base64_decode((const uint8_t *)data + rl->start, rl->len, buf);
        const char *special_here = NULL;
        for (const TiktokenSpecial *sp = specials; sp->text; sp++)
            if (sp->id == rl->rank) special_here = sp->text;
        if (nb <= 0) {
            gb_seterr(err, "%s:%zu: bad base64", fname, rl->line);
            rc = -1;
        } else if (special_here) {
            gb_seterr(err, "%s:%zu: rank %d is the id of %s", fname, rl->line, rl->rank, special_here);
            rc = -1;
        } else if (vb->t->tok_kind[rl->rank] != TOK_MISSING) {
            gb_seterr(err, "%s:%zu: rank %d appears twice", fname, rl->line, rl->rank);
            rc = -1;
        } else {
            vocab_set(vb, rl->rank, buf, (size_t)nb, TOK_NORMAL);
        }
    }
    free(buf);
    return rc;
}

Tokenizer *tokenizer_from_tiktoken_memory(const char *path, const char *data, size_t len, int pattern, char *err) {
    const TiktokenSpecial *specials;
    int family = family_from_name(path, &specials);
    if (pattern < 0) pattern = family;
    if (pattern < 0 || pattern > 2) {
        gb_seterr(err, "%s: cannot tell the split pattern from the file name (expected r50k, cl100k or o200k in it)",
                  path);
        return NULL;
    }
    const char *fname = gb_base_name(path);
    RankLine *lines = NULL;
    int64_t max_rank;
    long n = read_rank_lines(fname, data, len, &lines, &max_rank, err);
    if (n < 0) {
        free(lines);
        return NULL;
    }
    /* a file of unknown family: <|endoftext|> right after its last rank */
    TiktokenSpecial unknown_specials[2] = {{"<|endoftext|>", (int32_t)max_rank + 1}, {NULL, -1}};
    if (!specials) specials = unknown_specials;
    int64_t highest = max_rank;
    for (const TiktokenSpecial *sp = specials; sp->text; sp++)
        if (sp->id > highest) highest = sp->id;
    VocabBuilder vb;
    Tokenizer *t = vocab_begin(&vb, (int)(highest + 1));
    int rc = set_rank_tokens(&vb, fname, data, len, lines, (size_t)n, specials, err);
    free(lines);
    for (const TiktokenSpecial *sp = specials; sp->text && rc == 0; sp++)
        vocab_set(&vb, sp->id, (const uint8_t *)sp->text, strlen(sp->text), TOK_SPECIAL);
    if (rc || vocab_finish(t, fname, pattern, err)) {
        tokenizer_free(t);
        return NULL;
    }
    t->rank_rule = 1;
    t->whole_chunk = 1;
    t->bos = t->eos = specials[0].id; /* every family lists <|endoftext|> first */
    return t;
}
