/* Byte-level BPE tokenizer: vocabularies from GGUF (GPT-2 byte-to-unicode tokens and merges) or from
 * tiktoken rank files, PCRE2 pre-tokenization, and one merge engine for both merge rules.
 *
 * A token is a byte string. Merging a chunk starts from its single bytes and repeatedly joins the
 * adjacent pair of lowest rank (leftmost on ties):
 *   - merges rule (GGUF): the pair (a, b) must be a merge rule; its rank is the rule's index;
 *   - rank rule (tiktoken): the concatenation must be a token; its rank is that token's id.
 * Long chunks use a min-heap over adjacent pairs and a doubly-linked list of parts, O(n log n). */
#include "tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "files.h"
#include "tokenizer_spm.h"
#include "util.h"

enum { TOK_MISSING = 0, TOK_NORMAL = 1, TOK_SPECIAL = 2 };

/* ---- hashing: gb_mix64 / gb_hash_bytes from util.h ---- */

static uint32_t table_size_for(size_t n) {
    uint32_t cap = 16;
    while (cap < 2 * n + 1) cap *= 2;
    return cap;
}

/* Open-addressing set of token ids keyed by the tokens' bytes (which live in the tokenizer). */
typedef struct {
    int32_t *slots; /* (cap) token id or -1 */
    uint32_t mask;
} BytesMap;

/* Merge rules: (left id, right id) -> rank and resulting id. */
typedef struct {
    uint64_t *keys;  /* (cap) left << 32 | right, or UINT64_MAX when empty */
    int32_t *rank;   /* (cap) */
    int32_t *result; /* (cap) */
    uint32_t mask;
} PairMap;

enum { PRETOK_MAX_REGEXES = 8 };

/* The regexes of a pattern, applied in sequence (see pretok.c). */
struct Pretokenizer {
    int pattern;
    int n;
    pcre2_code *code[PRETOK_MAX_REGEXES];
    int jit[PRETOK_MAX_REGEXES]; /* compiled for PCRE2's JIT: matched with pcre2_jit_match, skipping its per-call checks */
};

struct Tokenizer {
    int n_vocab;
    uint8_t *blob;      /* all token bytes, concatenated */
    size_t *tok_off;    /* (n_vocab) offset into blob */
    uint32_t *tok_len;  /* (n_vocab) */
    uint8_t *tok_kind;  /* (n_vocab) TOK_* */
    int32_t byte_token[256]; /* id of each single-byte token, or -1 */
    uint32_t max_len;   /* longest normal token */
    BytesMap normal;    /* bytes -> id of normal tokens */
    BytesMap special;   /* bytes -> id of special tokens */
    int rank_rule;      /* 1: tiktoken rank rule, 0: merges rule */
    int whole_chunk;    /* a chunk that is itself a token becomes that token (tiktoken, llama-bpe) */
    PairMap pairs;      /* merges rule only */
    size_t n_merges;
    int32_t *merge_list; /* (n_merges, 2) merges rule only, for the writer */
    int pattern;
    Pretokenizer *pre;
    int32_t bos, eos;
    int no_bos_in_front; /* tokenizer.ggml.add_bos_token = false */
    int add_eos;         /* tokenizer.ggml.add_eos_token = true: a prompt ends with EOS */
    int small_limit;
    uint8_t *tok_type;   /* (n_vocab) GGUF token type: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte */
    int32_t *specials;   /* (n_specials) unknown, control and user-defined tokens, longest first */
    int n_specials;
    char pre_name[48];   /* tokenizer.ggml.pre as read (written back as it was); "" when none */
    /* SentencePiece only: the pieces and their scores; tok_bytes holds what each stands for */
    SpmVocab *spm;
    int add_space_prefix; /* a fragment of text at the start or after a special token gets a space in front */
    int32_t unk;
};

static const uint8_t *tok_bytes(const Tokenizer *t, int32_t id) { return t->blob + t->tok_off[id]; }
static void build_specials(Tokenizer *t);

static int32_t bytes_map_find(const Tokenizer *t, const BytesMap *m, const uint8_t *s, size_t n) {
    if (!m->slots) return -1;
    uint32_t i = (uint32_t)gb_hash_bytes(s, n) & m->mask;
    for (;;) {
        int32_t id = m->slots[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && memcmp(tok_bytes(t, id), s, n) == 0) return id;
        i = (i + 1) & m->mask;
    }
}

/* Inserts id; returns the id already holding the same bytes, or -1 when inserted. */
static int32_t bytes_map_insert(const Tokenizer *t, BytesMap *m, int32_t id) {
    const uint8_t *s = tok_bytes(t, id);
    size_t n = t->tok_len[id];
    uint32_t i = (uint32_t)gb_hash_bytes(s, n) & m->mask;
    for (;;) {
        int32_t other = m->slots[i];
        if (other < 0) {
            m->slots[i] = id;
            return -1;
        }
        if (t->tok_len[other] == n && memcmp(tok_bytes(t, other), s, n) == 0) return other;
        i = (i + 1) & m->mask;
    }
}

static void bytes_map_init(BytesMap *m, size_t n) {
    uint32_t cap = table_size_for(n);
    m->slots = gb_malloc(cap * sizeof(int32_t));
    memset(m->slots, 0xff, cap * sizeof(int32_t));
    m->mask = cap - 1;
}

static uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t)(uint32_t)a << 32 | (uint32_t)b; }

static int pair_map_find(const PairMap *m, int32_t a, int32_t b, int32_t *result) {
    if (!m->keys) return -1;
    uint64_t k = pair_key(a, b);
    uint32_t i = (uint32_t)gb_mix64(k) & m->mask;
    for (;;) {
        if (m->keys[i] == k) {
            *result = m->result[i];
            return m->rank[i];
        }
        if (m->keys[i] == UINT64_MAX) return -1;
        i = (i + 1) & m->mask;
    }
}

/* Adds a rule unless the pair already has one (the earlier, lower rank wins). */
static void pair_map_insert(PairMap *m, int32_t a, int32_t b, int32_t rank, int32_t result) {
    uint64_t k = pair_key(a, b);
    uint32_t i = (uint32_t)gb_mix64(k) & m->mask;
    while (m->keys[i] != UINT64_MAX) {
        if (m->keys[i] == k) return;
        i = (i + 1) & m->mask;
    }
    m->keys[i] = k;
    m->rank[i] = rank;
    m->result[i] = result;
}

/* ---- GPT-2 byte-to-unicode ---- */

static const char B2U[256][3] = {
    "\xc4\x80", "\xc4\x81", "\xc4\x82", "\xc4\x83", "\xc4\x84", "\xc4\x85", "\xc4\x86", "\xc4\x87",
    "\xc4\x88", "\xc4\x89", "\xc4\x8a", "\xc4\x8b", "\xc4\x8c", "\xc4\x8d", "\xc4\x8e", "\xc4\x8f",
    "\xc4\x90", "\xc4\x91", "\xc4\x92", "\xc4\x93", "\xc4\x94", "\xc4\x95", "\xc4\x96", "\xc4\x97",
    "\xc4\x98", "\xc4\x99", "\xc4\x9a", "\xc4\x9b", "\xc4\x9c", "\xc4\x9d", "\xc4\x9e", "\xc4\x9f",
    "\xc4\xa0", "!", "\x22", "#", "$", "%", "&", "'",
    "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7",
    "8", "9", ":", ";", "<", "=", ">", "\x3f",
    "@", "A", "B", "C", "D", "E", "F", "G",
    "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W",
    "X", "Y", "Z", "[", "\x5c", "]", "^", "_",
    "`", "a", "b", "c", "d", "e", "f", "g",
    "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z", "{", "|", "}", "~", "\xc4\xa1",
    "\xc4\xa2", "\xc4\xa3", "\xc4\xa4", "\xc4\xa5", "\xc4\xa6", "\xc4\xa7", "\xc4\xa8", "\xc4\xa9",
    "\xc4\xaa", "\xc4\xab", "\xc4\xac", "\xc4\xad", "\xc4\xae", "\xc4\xaf", "\xc4\xb0", "\xc4\xb1",
    "\xc4\xb2", "\xc4\xb3", "\xc4\xb4", "\xc4\xb5", "\xc4\xb6", "\xc4\xb7", "\xc4\xb8", "\xc4\xb9",
    "\xc4\xba", "\xc4\xbb", "\xc4\xbc", "\xc4\xbd", "\xc4\xbe", "\xc4\xbf", "\xc5\x80", "\xc5\x81",
    "\xc5\x82", "\xc2\xa1", "\xc2\xa2", "\xc2\xa3", "\xc2\xa4", "\xc2\xa5", "\xc2\xa6", "\xc2\xa7",
    "\xc2\xa8", "\xc2\xa9", "\xc2\xaa", "\xc2\xab", "\xc2\xac", "\xc5\x83", "\xc2\xae", "\xc2\xaf",
    "\xc2\xb0", "\xc2\xb1", "\xc2\xb2", "\xc2\xb3", "\xc2\xb4", "\xc2\xb5", "\xc2\xb6", "\xc2\xb7",
    "\xc2\xb8", "\xc2\xb9", "\xc2\xba", "\xc2\xbb", "\xc2\xbc", "\xc2\xbd", "\xc2\xbe", "\xc2\xbf",
    "\xc3\x80", "\xc3\x81", "\xc3\x82", "\xc3\x83", "\xc3\x84", "\xc3\x85", "\xc3\x86", "\xc3\x87",
    "\xc3\x88", "\xc3\x89", "\xc3\x8a", "\xc3\x8b", "\xc3\x8c", "\xc3\x8d", "\xc3\x8e", "\xc3\x8f",
    "\xc3\x90", "\xc3\x91", "\xc3\x92", "\xc3\x93", "\xc3\x94", "\xc3\x95", "\xc3\x96", "\xc3\x97",
    "\xc3\x98", "\xc3\x99", "\xc3\x9a", "\xc3\x9b", "\xc3\x9c", "\xc3\x9d", "\xc3\x9e", "\xc3\x9f",
    "\xc3\xa0", "\xc3\xa1", "\xc3\xa2", "\xc3\xa3", "\xc3\xa4", "\xc3\xa5", "\xc3\xa6", "\xc3\xa7",
    "\xc3\xa8", "\xc3\xa9", "\xc3\xaa", "\xc3\xab", "\xc3\xac", "\xc3\xad", "\xc3\xae", "\xc3\xaf",
    "\xc3\xb0", "\xc3\xb1", "\xc3\xb2", "\xc3\xb3", "\xc3\xb4", "\xc3\xb5", "\xc3\xb6", "\xc3\xb7",
    "\xc3\xb8", "\xc3\xb9", "\xc3\xba", "\xc3\xbb", "\xc3\xbc", "\xc3\xbd", "\xc3\xbe", "\xc3\xbf",
};

const char *bpe_byte_to_unicode(uint8_t b) { return B2U[b]; }

/* Inverse of the mapping on code points: the byte, or -1 for a code point outside it. */
static int unicode_to_byte(uint32_t cp) {
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255)) return (int)cp;
    if (cp < 256 || cp > 323) return -1;
    uint32_t n = cp - 256;
    if (n <= 32) return (int)n;
    if (n <= 66) return (int)(n - 33 + 127);
    return 173;
}

static uint32_t code_point_of(const uint8_t *s, int k) { /* s holds a valid sequence of k bytes */
    if (k == 1) return s[0];
    if (k == 2) return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    if (k == 3) return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
           (s[3] & 0x3F);
}

/* Decodes byte-to-unicode text into raw bytes (out holds at least n bytes). Returns the byte count,
 * or -1 when the text is not in that form. */
static long b2u_decode(const uint8_t *s, size_t n, uint8_t *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        int k = utf8_valid_len(s + i, n - i);
        if (k == 0) return -1;
        int b = unicode_to_byte(code_point_of(s + i, k));
        if (b < 0) return -1;
        out[o++] = (uint8_t)b;
        i += (size_t)k;
    }
    return (long)o;
}

/* ---- pre-tokenization (the patterns are in pretok.c) ---- */

Pretokenizer *pretok_new(int pattern, char *err) {
    const char *const *res;
    int n = pretok_pattern_regexes(pattern, &res);
    if (n < 0 || n > PRETOK_MAX_REGEXES) {
        gb_seterr(err, "unknown pre-tokenizer pattern %d", pattern);
        return NULL;
    }
    Pretokenizer *p = gb_calloc(1, sizeof *p);
    p->pattern = pattern;
    for (int i = 0; i < n; i++) {
        int code;
        PCRE2_SIZE at;
        /* PCRE2's JIT finds where a match can start with vector loads that may read past the subject's
         * end (harmless, but valgrind counts it as use of uninitialised memory); the tiktoken patterns
         * have no such start, the others (a [\r\n] or \p{N} alone) do, so they go without it. */
        uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY;
        if (pattern > PRETOK_O200K) opts |= PCRE2_NO_START_OPTIMIZE;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)res[i], PCRE2_ZERO_TERMINATED, opts, &code, &at, NULL);
        if (!c) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            gb_seterr(err, "pre-tokenizer %s: regex %d: error at %zu: %s", pretok_pattern_name(pattern), i + 1,
                      (size_t)at, (const char *)msg);
            pretok_free(p);
            return NULL;
        }
        p->code[i] = c;
        p->jit[i] = pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) == 0; /* without JIT, matching is slower but works */
        p->n = i + 1;
    }
    return p;
}

void pretok_free(Pretokenizer *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++) pcre2_code_free(p->code[i]);
    free(p);
}

/* Runs regex number level over one valid UTF-8 piece [base, base + n) of text, then the next regexes
 * over each match and each gap between matches; the last level's pieces are the chunks. */
static int split_valid_run(const Pretokenizer *p, pcre2_match_data *md, int level, const char *text, size_t base,
                           size_t n, PretokChunkFn fn, void *ctx, char *err) {
    if (level == p->n) return n > 0 && fn(ctx, base, base + n) ? -1 : 0;
    PCRE2_SPTR subj = (PCRE2_SPTR)(text + base);
    size_t off = 0;
    /* Every alternative of these patterns backtracks at most over the run of blanks or letters it
     * started on, and the chunk then consumes that run: the work is linear in the text, but one match
     * may take as many steps as the run is long. PCRE2's fixed default limit (10 million) refused a
     * 10 MB blank line; scale it with the text instead. */
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (mc) pcre2_set_match_limit(mc, (uint32_t)(n > (UINT32_MAX - 10000000u) / 64 ? UINT32_MAX : 10000000u + 64 * n));
    while (off < n) {
        int rc = p->jit[level] ? pcre2_jit_match(p->code[level], subj, n, off, 0, md, mc)
                               : pcre2_match(p->code[level], subj, n, off, PCRE2_NO_UTF_CHECK, md, mc);
        size_t s, e;
        if (rc == PCRE2_ERROR_NOMATCH) {
            s = e = n; /* the rest is a gap */
        } else if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            gb_seterr(err, "pre-tokenizer: byte %zu: %s", base + off, (const char *)msg);
            pcre2_match_context_free(mc);
            return -1;
        } else {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            s = ov[0];
            e = ov[1];
        }
        if (s > off && split_valid_run(p, md, level + 1, text, base + off, s - off, fn, ctx, err)) break;
        if (e == s && s < n) e = s + (size_t)utf8_valid_len(subj + s, n - s); /* never empty */
        if (e > s && split_valid_run(p, md, level + 1, text, base + s, e - s, fn, ctx, err)) break;
        off = e;
    }
    pcre2_match_context_free(mc);
    return off < n ? -1 : 0;
}

int pretok_each(const Pretokenizer *p, const char *text, size_t len, PretokChunkFn fn, void *ctx, char *err) {
    const uint8_t *u = (const uint8_t *)text;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL); /* only the whole match is read */
    if (!md) {
        gb_seterr(err, "pre-tokenizer: out of memory");
        return -1;
    }
    int rc = 0;
    size_t i = 0;
    while (i < len && rc == 0) {
        size_t j = i;
        while (j < len) {
            if (u[j] < 0x80) {
                j++;
                continue;
            }
            int k = utf8_valid_len(u + j, len - j);
            if (k == 0) break;
            j += (size_t)k;
        }
        if (j > i) rc = split_valid_run(p, md, 0, text, i, j - i, fn, ctx, err);
        if (rc || j == len) break;
        size_t k = j; /* a run of bytes that start no valid character */
        while (k < len && utf8_valid_len(u + k, len - k) == 0) k++;
        if (fn(ctx, j, k)) rc = -1;
        i = k;
    }
    pcre2_match_data_free(md);
    return rc;
}

typedef struct {
    size_t *ends;
    size_t n, cap;
} EndList;

static int collect_end(void *ctx, size_t start, size_t end) {
    (void)start;
    EndList *l = ctx;
    if (l->n == l->cap) l->ends = gb_realloc(l->ends, (l->cap = l->cap ? 2 * l->cap : 64) * sizeof(size_t));
    l->ends[l->n++] = end;
    return 0;
}

long pretokenize(int pattern, const char *text, size_t len, size_t **ends, char *err) {
    *ends = NULL;
    Pretokenizer *p = pretok_new(pattern, err);
    if (!p) return -1;
    EndList l = {0};
    int rc = pretok_each(p, text, len, collect_end, &l, err);
    pretok_free(p);
    if (rc) {
        free(l.ends);
        return -1;
    }
    *ends = l.ends;
    return (long)l.n;
}

/* ---- the merge engine ---- */

/* Scratch buffers reused across the chunks of one encode call. */
typedef struct {
    int32_t *ids;     /* (cap) token id of each part; -1 once merged away */
    uint32_t *starts; /* (cap + 1) byte offset of each part in the chunk */
    int32_t *prev, *next; /* (cap) linked list of live parts (heap engine) */
    int32_t *ranks;   /* (cap) rank of the pair starting at each part, -1 when it does not merge */
    int32_t *results; /* (cap) id that pair merges into */
    uint64_t *heap;   /* (heap_cap) min-heap of rank << 32 | part: the pair starting at that part */
    size_t cap, heap_n, heap_cap;
    uint64_t *memo_keys;  /* (MEMO_SIZE) heap engine, rank rule: left << 32 | right, UINT64_MAX empty */
    int32_t *memo_rank;   /* (MEMO_SIZE) the pair's rank, -1 when it does not merge */
    int32_t *memo_result; /* (MEMO_SIZE) */
} Work;

enum { MEMO_BITS = 12, MEMO_SIZE = 1 << MEMO_BITS };

static void work_reserve(Work *w, size_t n) {
    if (n <= w->cap) return;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < n) cap *= 2;
    w->ids = gb_realloc(w->ids, cap * sizeof(int32_t));
    w->starts = gb_realloc(w->starts, (cap + 1) * sizeof(uint32_t));
    w->prev = gb_realloc(w->prev, cap * sizeof(int32_t));
    w->next = gb_realloc(w->next, cap * sizeof(int32_t));
    w->ranks = gb_realloc(w->ranks, cap * sizeof(int32_t));
    w->results = gb_realloc(w->results, cap * sizeof(int32_t));
    w->cap = cap;
}

static void work_free(Work *w) {
    free(w->ids);
    free(w->starts);
    free(w->prev);
    free(w->next);
    free(w->ranks);
    free(w->results);
    free(w->heap);
    free(w->memo_keys);
    free(w->memo_rank);
    free(w->memo_result);
}

/* Rank of joining the part with id a covering chunk[s, m) to the part with id b covering chunk[m, e);
 * -1 when they do not merge (or only at rank >= max_rank). */
static int32_t pair_rank(const Tokenizer *t, const uint8_t *chunk, size_t s, size_t e, int32_t a, int32_t b,
                         int32_t max_rank, int32_t *result) {
    int32_t r;
    if (t->rank_rule) {
        if (e - s > t->max_len) return -1;
        r = bytes_map_find(t, &t->normal, chunk + s, e - s);
        *result = r;
    } else {
        r = pair_map_find(&t->pairs, a, b, result);
    }
    return r >= max_rank ? -1 : r;
}

/* pair_rank for the heap engine. Under the rank rule a lookup hashes the concatenated bytes, up to
 * max_len of them; a long chunk asks about the same few id pairs again and again (a run of one
 * character above all: 1 MiB of spaces is a million questions about a dozen pairs), so the answers
 * are kept in a small direct-mapped cache keyed by the two ids, which determine the bytes. */
static int32_t heap_pair_rank(const Tokenizer *t, Work *w, const uint8_t *chunk, size_t s, size_t e, int32_t a,
                              int32_t b, int32_t max_rank, int32_t *result) {
    if (!t->rank_rule) return pair_rank(t, chunk, s, e, a, b, max_rank, result);
    if (!w->memo_keys) {
        w->memo_keys = gb_malloc(MEMO_SIZE * sizeof(uint64_t));
        memset(w->memo_keys, 0xff, MEMO_SIZE * sizeof(uint64_t));
        w->memo_rank = gb_malloc(MEMO_SIZE * sizeof(int32_t));
        w->memo_result = gb_malloc(MEMO_SIZE * sizeof(int32_t));
    }
    uint64_t k = pair_key(a, b);
    uint32_t i = (uint32_t)(gb_mix64(k) >> (64 - MEMO_BITS));
    int32_t r;
    if (w->memo_keys[i] == k) {
        r = w->memo_rank[i];
        *result = w->memo_result[i];
    } else {
        *result = -1;
        r = pair_rank(t, chunk, s, e, a, b, INT32_MAX, result);
        w->memo_keys[i] = k;
        w->memo_rank[i] = r;
        w->memo_result[i] = *result;
    }
    return r >= max_rank ? -1 : r;
}

/* A 4-ary min-heap (children of i are 4i+1..4i+4: one cache line, half the depth of a binary heap).
 * The key orders by rank, then by position: equal ranks merge leftmost first. */
static void heap_sift_down(uint64_t *h, size_t n, size_t i, uint64_t key) {
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t best = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (h[k] < h[best]) best = k;
        if (h[best] >= key) break;
        h[i] = h[best];
        i = best;
    }
    h[i] = key;
}

static void heap_push(Work *w, uint64_t key) {
    if (w->heap_n == w->heap_cap) {
        w->heap_cap = w->heap_cap ? 2 * w->heap_cap : 256;
        w->heap = gb_realloc(w->heap, w->heap_cap * sizeof(uint64_t));
    }
    size_t i = w->heap_n++;
    while (i > 0) {
        size_t up = (i - 1) / 4;
        if (key >= w->heap[up]) break;
        w->heap[i] = w->heap[up];
        i = up;
    }
    w->heap[i] = key;
}

/* Pops the minimum. The hole left at the root walks down the smaller children to a leaf, then the
 * last key rises from there: the last key is usually large, so this compares less than sifting it
 * down from the root. */
static uint64_t heap_pop(Work *w) {
    uint64_t *h = w->heap;
    uint64_t top = h[0], last = h[--w->heap_n];
    size_t n = w->heap_n, i = 0;
    if (n == 0) return top;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t best = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (h[k] < h[best]) best = k;
        h[i] = h[best];
        i = best;
    }
    while (i > 0) {
        size_t up = (i - 1) / 4;
        if (last >= h[up]) break;
        h[i] = h[up];
        i = up;
    }
    h[i] = last;
    return top;
}

/* Recomputes the pair starting at part l (after l or its right neighbour changed) and queues it. */
static void heap_offer(const Tokenizer *t, Work *w, const uint8_t *chunk, size_t len, int32_t l,
                       int32_t max_rank) {
    if (l < 0) return;
    int32_t r = w->next[l];
    w->ranks[l] = -1;
    if (r < 0) return;
    size_t end = w->next[r] < 0 ? len : w->starts[w->next[r]];
    int32_t rank = heap_pair_rank(t, w, chunk, w->starts[l], end, w->ids[l], w->ids[r], max_rank, &w->results[l]);
    w->ranks[l] = rank;
    if (rank >= 0) heap_push(w, (uint64_t)(uint32_t)rank << 32 | (uint32_t)l);
}

/* Heap engine over parts 0..n-1 (ids and starts filled). Leaves the live parts linked from part 0.
 * Entries go stale when a part changes; an entry counts only while its rank is still the rank of the
 * pair at its part (the same rank means the same merge, so a duplicate is harmless). */
static void merge_heap(const Tokenizer *t, Work *w, const uint8_t *chunk, size_t n, int32_t max_rank) {
    for (size_t i = 0; i < n; i++) {
        w->prev[i] = (int32_t)i - 1;
        w->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    /* the first pairs, then heapified in linear time */
    w->heap_n = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t r = w->next[i];
        w->ranks[i] = r < 0 ? -1
                            : heap_pair_rank(t, w, chunk, i, w->next[r] < 0 ? n : (size_t)w->next[r], w->ids[i], w->ids[r],
                                        max_rank, &w->results[i]);
        if (w->ranks[i] >= 0) {
            if (w->heap_n == w->heap_cap) {
                w->heap_cap = w->heap_cap ? 2 * w->heap_cap : 256;
                w->heap = gb_realloc(w->heap, w->heap_cap * sizeof(uint64_t));
            }
            w->heap[w->heap_n++] = (uint64_t)(uint32_t)w->ranks[i] << 32 | (uint32_t)i;
        }
    }
    for (size_t i = w->heap_n / 4 + 1; i-- > 0;)
        if (i < w->heap_n) heap_sift_down(w->heap, w->heap_n, i, w->heap[i]);
    while (w->heap_n > 0) {
        uint64_t key = heap_pop(w);
        int32_t l = (int32_t)(uint32_t)key, rank = (int32_t)(key >> 32);
        if (w->ids[l] < 0 || w->ranks[l] != rank) continue; /* stale */
        int32_t r = w->next[l];
        w->ids[l] = w->results[l];
        w->ids[r] = -1;
        w->ranks[r] = -1;
        w->next[l] = w->next[r];
        if (w->next[r] >= 0) w->prev[w->next[r]] = l;
        heap_offer(t, w, chunk, n, w->prev[l], max_rank);
        heap_offer(t, w, chunk, n, l, max_rank);
    }
}

/* Scan engine for short chunks: parts kept packed in ids/starts[0..*n). */
static void merge_scan(const Tokenizer *t, Work *w, const uint8_t *chunk, size_t *np, int32_t max_rank) {
    size_t n = *np;
    w->starts[n] = (uint32_t)n;
    for (size_t i = 0; i + 1 < n; i++)
        w->ranks[i] = pair_rank(t, chunk, w->starts[i], w->starts[i + 2], w->ids[i], w->ids[i + 1], max_rank,
                                &w->results[i]);
    while (n > 1) {
        size_t best = 0;
        int32_t best_rank = -1;
        for (size_t i = 0; i + 1 < n; i++)
            if (w->ranks[i] >= 0 && (best_rank < 0 || w->ranks[i] < best_rank)) {
                best_rank = w->ranks[i];
                best = i;
            }
        if (best_rank < 0) break;
        w->ids[best] = w->results[best];
        /* drop part best + 1, shifting the parts (and the pairs) after it down by one */
        memmove(&w->ids[best + 1], &w->ids[best + 2], (n - best - 2) * sizeof(int32_t));
        if (n >= best + 3) {
            memmove(&w->ranks[best + 1], &w->ranks[best + 2], (n - best - 3) * sizeof(int32_t));
            memmove(&w->results[best + 1], &w->results[best + 2], (n - best - 3) * sizeof(int32_t));
        }
        memmove(&w->starts[best + 1], &w->starts[best + 2], (n - best - 1) * sizeof(uint32_t));
        n--;
        if (best > 0)
            w->ranks[best - 1] = pair_rank(t, chunk, w->starts[best - 1], w->starts[best + 1], w->ids[best - 1],
                                           w->ids[best], max_rank, &w->results[best - 1]);
        if (best + 1 < n)
            w->ranks[best] = pair_rank(t, chunk, w->starts[best], w->starts[best + 2], w->ids[best],
                                       w->ids[best + 1], max_rank, &w->results[best]);
    }
    *np = n;
}

typedef struct {
    TokenSpan *v;
    size_t n, cap;
} SpanList;

static void span_push(SpanList *l, int32_t id, size_t start, size_t end) {
    if (l->n == l->cap) l->v = gb_realloc(l->v, (l->cap = l->cap ? 2 * l->cap : 64) * sizeof(TokenSpan));
    l->v[l->n++] = (TokenSpan){id, (uint32_t)start, (uint32_t)end};
}

/* Encodes one chunk at text offset base into out. whole: a chunk that is a token is taken whole. */
static int encode_chunk(const Tokenizer *t, Work *w, const uint8_t *chunk, size_t n, size_t base, int whole,
                        int32_t max_rank, SpanList *out, char *err) {
    if (n == 0) return 0;
    if (whole) {
        int32_t id = n <= t->max_len ? bytes_map_find(t, &t->normal, chunk, n) : -1;
        if (id >= 0 && id < max_rank) {
            span_push(out, id, base, base + n);
            return 0;
        }
    }
    work_reserve(w, n);
    for (size_t i = 0; i < n; i++) {
        int32_t id = t->byte_token[chunk[i]];
        if (id < 0) {
            gb_seterr(err, "byte 0x%02X at offset %zu has no token in the vocabulary", chunk[i], base + i);
            return -1;
        }
        w->ids[i] = id;
        w->starts[i] = (uint32_t)i;
    }
    if (n <= (size_t)t->small_limit) {
        merge_scan(t, w, chunk, &n, max_rank);
        for (size_t i = 0; i < n; i++) span_push(out, w->ids[i], base + w->starts[i], base + w->starts[i + 1]);
    } else {
        merge_heap(t, w, chunk, n, max_rank);
        for (int32_t i = 0; i >= 0; i = w->next[i]) {
            size_t end = w->next[i] < 0 ? n : w->starts[w->next[i]];
            span_push(out, w->ids[i], base + w->starts[i], base + end);
        }
    }
    return 0;
}

typedef struct {
    const Tokenizer *t;
    const uint8_t *text;
    size_t frag; /* offset of the fragment pretok_each is cutting */
    Work work;
    SpanList spans;
    char *err;
} EncodeCtx;

static int encode_chunk_cb(void *ctx, size_t start, size_t end) {
    EncodeCtx *c = ctx;
    start += c->frag;
    end += c->frag;
    return encode_chunk(c->t, &c->work, c->text + start, end - start, start, c->t->whole_chunk, INT32_MAX,
                        &c->spans, c->err);
}

static int spm_emit_cb(void *ctx, int32_t id, size_t start, size_t end) {
    span_push(&((EncodeCtx *)ctx)->spans, id, start, end);
    return 0;
}

/* A piece of the text between special tokens (id -1), or a special token found in it. */
typedef struct {
    size_t start, end;
    int32_t id;
} Fragment;

typedef struct {
    Fragment *v;
    size_t n, cap;
} FragmentList;

static void fragment_push(FragmentList *l, size_t start, size_t end, int32_t id) {
    if (l->n == l->cap) l->v = gb_realloc(l->v, (l->cap = l->cap ? 2 * l->cap : 16) * sizeof(Fragment));
    l->v[l->n++] = (Fragment){start, end, id};
}

/* The first occurrence of needle (nl >= 1 bytes) in hay, or NULL (memmem is not in C11). */
static const char *find_bytes(const char *hay, size_t hl, const uint8_t *needle, size_t nl) {
    for (const char *p = hay; hl >= nl;) {
        const char *c = memchr(p, needle[0], hl - nl + 1);
        if (!c) return NULL;
        if (memcmp(c, needle, nl) == 0) return c;
        hl -= (size_t)(c - p) + 1;
        p = c + 1;
    }
    return NULL;
}

/* llama.cpp's special-token pass (tokenizer_st_partition): each special token in turn, longest first,
 * cuts every piece of plain text where it occurs. User-defined tokens always count; unknown and
 * control ones only when parse_special. */
static void partition(const Tokenizer *t, const char *text, size_t len, int parse_special, FragmentList *out) {
    FragmentList a = {0}, b = {0};
    if (len > 0) fragment_push(&a, 0, len, -1);
    for (int k = 0; k < t->n_specials; k++) {
        int32_t id = t->specials[k];
        if (!parse_special && t->tok_type[id] != TT_USER) continue;
        const uint8_t *sb = tok_bytes(t, id);
        size_t sl = t->tok_len[id];
        b.n = 0;
        for (size_t i = 0; i < a.n; i++) {
            Fragment f = a.v[i];
            while (f.id < 0 && f.end - f.start >= sl) {
                const char *hit = find_bytes(text + f.start, f.end - f.start, sb, sl);
                if (!hit) break;
                size_t at = (size_t)(hit - text);
                if (at > f.start) fragment_push(&b, f.start, at, -1);
                fragment_push(&b, at, at + sl, id);
                f.start = at + sl;
            }
            if (f.id >= 0 || f.end > f.start) fragment_push(&b, f.start, f.end, f.id);
        }
        FragmentList tmp = a;
        a = b;
        b = tmp;
    }
    free(b.v);
    *out = a;
}

int tokenizer_encode_ex(const Tokenizer *t, const char *text, size_t len, int flags, TokenSpan **out, char *err) {
    *out = NULL;
    if (len > INT32_MAX) {
        gb_seterr(err, "text of %zu bytes is too long to encode (limit 2 GiB)", len);
        return -1;
    }
    EncodeCtx c = {.t = t, .text = (const uint8_t *)text, .err = err};
    c.spans.cap = len / 3 + 16;
    c.spans.v = gb_malloc(c.spans.cap * sizeof(TokenSpan));
    FragmentList frags;
    partition(t, text, len, (flags & TOKENIZE_SPECIAL) != 0, &frags);
    /* SentencePiece: a fragment at the start or after a special token gets a space in front */
    int rc = 0, after_special = !(flags & TOKENIZE_CONTINUATION);
    for (size_t i = 0; i < frags.n && rc == 0; i++) {
        Fragment f = frags.v[i];
        if (f.id >= 0) {
            span_push(&c.spans, f.id, f.start, f.end);
            after_special = 1;
            continue;
        }
        if (t->spm) {
            rc = spm_encode(t->spm, text + f.start, f.end - f.start, f.start, t->add_space_prefix && after_special,
                            t->unk, spm_emit_cb, &c, err);
        } else {
            c.frag = f.start;
            rc = pretok_each(t->pre, text + f.start, f.end - f.start, encode_chunk_cb, &c, err);
        }
        after_special = 0;
    }
    free(frags.v);
    work_free(&c.work);
    if (rc) {
        free(c.spans.v);
        return -1;
    }
    *out = c.spans.v;
    return (int)c.spans.n;
}

int tokenizer_encode(const Tokenizer *t, const char *text, size_t len, TokenSpan **out, char *err) {
    return tokenizer_encode_ex(t, text, len, 0, out, err);
}

/* SentencePiece puts a space in front of the text and of each fragment after a special token; decoding
 * takes it off again, so that decode(encode(text)) is the text. */
static int strips_space_after(const Tokenizer *t, int32_t id) {
    if (id < 0) return 1;
    uint8_t ty = t->tok_type[id];
    return ty == TT_UNKNOWN || ty == TT_CONTROL || ty == TT_USER;
}

long tokenizer_decode(const Tokenizer *t, const int32_t *ids, size_t n, char **out) {
    *out = NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_vocab || t->tok_kind[ids[i]] == TOK_MISSING) return -1;
        total += t->tok_len[ids[i]];
    }
    char *buf = gb_malloc(total + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = tok_bytes(t, ids[i]);
        size_t len = t->tok_len[ids[i]];
        if (t->spm && t->add_space_prefix && len > 0 && b[0] == ' ' && strips_space_after(t, i ? ids[i - 1] : -1) &&
            !strips_space_after(t, ids[i])) {
            b++;
            len--;
        }
        memcpy(buf + o, b, len);
        o += len;
    }
    buf[o] = 0;
    *out = buf;
    return (long)o;
}

/* ---- queries ---- */

int tokenizer_vocab_size(const Tokenizer *t) { return t->n_vocab; }

const char *tokenizer_token_bytes(const Tokenizer *t, int32_t id, size_t *len) {
    if (id < 0 || id >= t->n_vocab) return NULL;
    if (len) *len = t->tok_len[id];
    return (const char *)tok_bytes(t, id);
}

/* SentencePiece: the piece spelled with U+2581 for each space, else a single byte's byte token. */
static int32_t spm_find_bytes(const Tokenizer *t, const char *s, size_t len) {
    char stack[256] = {0};
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += s[i] == ' ' ? 3 : 1;
    char *esc = n <= sizeof stack ? stack : gb_malloc(n);
    for (size_t i = 0, o = 0; i < len; i++) {
        if (s[i] == ' ') {
            memcpy(esc + o, "\xe2\x96\x81", 3);
            o += 3;
        } else {
            esc[o++] = s[i];
        }
    }
    int32_t id = spm_find(t->spm, esc, n);
    if (esc != stack) free(esc);
    if (id < 0 && len == 1) id = spm_byte_token(t->spm, (uint8_t)s[0]);
    return id;
}

int32_t tokenizer_find(const Tokenizer *t, const char *s, size_t len) {
    if (t->spm) return spm_find_bytes(t, s, len);
    int32_t id = bytes_map_find(t, &t->normal, (const uint8_t *)s, len);
    return id >= 0 ? id : bytes_map_find(t, &t->special, (const uint8_t *)s, len);
}

int32_t tokenizer_bos(const Tokenizer *t) { return t->bos; }
int32_t tokenizer_prompt_bos(const Tokenizer *t) { return t->no_bos_in_front ? -1 : t->bos; }

int tokenizer_encode_prompt(const Tokenizer *t, const char *text, size_t len, int32_t **ids, char *err) {
    TokenSpan *spans = NULL;
    int count = tokenizer_encode(t, text, len, &spans, err);
    if (count < 0) return -1;
    int32_t bos = tokenizer_prompt_bos(t);
    int total = count + (bos >= 0) + (t->add_eos != 0);
    *ids = gb_malloc((size_t)(total + 1) * sizeof(int32_t));
    int k = 0;
    if (bos >= 0) (*ids)[k++] = bos;
    for (int i = 0; i < count; i++) (*ids)[k++] = spans[i].id;
    if (t->add_eos) (*ids)[k++] = t->eos; /* tokenizer.ggml.add_eos_token */
    free(spans);
    return total;
}
int32_t tokenizer_eos(const Tokenizer *t) { return t->eos; }
int tokenizer_pattern(const Tokenizer *t) { return t->pattern; }
int tokenizer_is_special(const Tokenizer *t, int32_t id) {
    return id >= 0 && id < t->n_vocab && t->tok_kind[id] == TOK_SPECIAL;
}
size_t tokenizer_n_merges(const Tokenizer *t) { return t->n_merges; }
int32_t tokenizer_pair_rank(const Tokenizer *t, int32_t left, int32_t right, int32_t *result) {
    *result = -1;
    if (left < 0 || right < 0 || left >= t->n_vocab || right >= t->n_vocab || t->tok_kind[left] != TOK_NORMAL ||
        t->tok_kind[right] != TOK_NORMAL)
        return -1;
    if (!t->rank_rule) return pair_map_find(&t->pairs, left, right, result);
    size_t la = t->tok_len[left], lb = t->tok_len[right];
    if (la + lb > t->max_len) return -1;
    uint8_t stack[256];
    uint8_t *cat = la + lb <= sizeof stack ? stack : gb_malloc(la + lb);
    memcpy(cat, tok_bytes(t, left), la);
    memcpy(cat + la, tok_bytes(t, right), lb);
    int32_t id = bytes_map_find(t, &t->normal, cat, la + lb);
    if (cat != stack) free(cat);
    *result = id;
    return id;
}

int tokenizer_takes_whole_chunks(const Tokenizer *t) { return t->whole_chunk; }
int tokenizer_is_sentencepiece(const Tokenizer *t) { return t->spm != NULL; }
int tokenizer_adds_space_prefix(const Tokenizer *t) { return t->spm && t->add_space_prefix; }
int tokenizer_token_type(const Tokenizer *t, int32_t id) {
    return id >= 0 && id < t->n_vocab ? t->tok_type[id] : -1;
}
float tokenizer_token_score(const Tokenizer *t, int32_t id) {
    return t->spm && id >= 0 && id < t->n_vocab ? spm_score(t->spm, id) : 0.0f;
}
void tokenizer_set_small_chunk_limit(Tokenizer *t, int n) { t->small_limit = n < 0 ? 0 : n; }

void tokenizer_free(Tokenizer *t) {
    if (!t) return;
    free(t->blob);
    free(t->tok_off);
    free(t->tok_len);
    free(t->tok_kind);
    free(t->normal.slots);
    free(t->special.slots);
    free(t->pairs.keys);
    free(t->pairs.rank);
    free(t->pairs.result);
    free(t->merge_list);
    free(t->tok_type);
    free(t->specials);
    spm_free(t->spm);
    pretok_free(t->pre);
    free(t);
}

/* ---- building ---- */

/* A vocabulary under construction: token bytes appended in id order. */
typedef struct {
    Tokenizer *t;
    size_t blob_len, blob_cap;
} VocabBuilder;

static Tokenizer *vocab_begin(VocabBuilder *vb, int n_vocab) {
    Tokenizer *t = gb_calloc(1, sizeof *t);
    t->n_vocab = n_vocab;
    t->tok_off = gb_calloc((size_t)n_vocab, sizeof(size_t));
    t->tok_len = gb_calloc((size_t)n_vocab, sizeof(uint32_t));
    t->tok_kind = gb_calloc((size_t)n_vocab, 1);
    t->tok_type = gb_calloc((size_t)n_vocab, 1);
    t->bos = t->eos = t->unk = -1;
    t->small_limit = 16;
    vb->t = t;
    vb->blob_len = 0;
    vb->blob_cap = 1024;
    t->blob = gb_malloc(vb->blob_cap);
    return t;
}

static void vocab_set(VocabBuilder *vb, int32_t id, const uint8_t *bytes, size_t len, int kind) {
    Tokenizer *t = vb->t;
    if (vb->blob_len + len > vb->blob_cap) {
        while (vb->blob_len + len > vb->blob_cap) vb->blob_cap *= 2;
        t->blob = gb_realloc(t->blob, vb->blob_cap);
    }
    memcpy(t->blob + vb->blob_len, bytes, len);
    t->tok_off[id] = vb->blob_len;
    t->tok_len[id] = (uint32_t)len;
    t->tok_kind[id] = (uint8_t)kind;
    t->tok_type[id] = kind == TOK_NORMAL ? TT_NORMAL : kind == TOK_SPECIAL ? TT_CONTROL : TT_UNDEFINED;
    vb->blob_len += len;
}

/* Builds the maps and the pre-tokenizer once every token is set. Returns 0, or -1 with err naming a
 * duplicate token. */
static int vocab_finish(Tokenizer *t, const char *name, int pattern, char *err) {
    size_t n_normal = 0, n_special = 0;
    for (int i = 0; i < t->n_vocab; i++) {
        n_normal += t->tok_kind[i] == TOK_NORMAL;
        n_special += t->tok_kind[i] == TOK_SPECIAL;
    }
    bytes_map_init(&t->normal, n_normal);
    bytes_map_init(&t->special, n_special);
    for (int i = 0; i < 256; i++) t->byte_token[i] = -1;
    for (int32_t i = 0; i < t->n_vocab; i++) {
        if (t->tok_kind[i] == TOK_MISSING) continue;
        if (t->tok_len[i] == 0) {
            gb_seterr(err, "%s: token %d is empty", name, i);
            return -1;
        }
        BytesMap *m = t->tok_kind[i] == TOK_NORMAL ? &t->normal : &t->special;
        int32_t other = bytes_map_insert(t, m, i);
        if (other >= 0) {
            char shown[96];
            token_display((const char *)tok_bytes(t, i), t->tok_len[i], shown, sizeof shown);
            gb_seterr(err, "%s: tokens %d and %d are the same (\"%s\")", name, other, i, shown);
            return -1;
        }
        if (t->tok_kind[i] == TOK_NORMAL) {
            if (t->tok_len[i] == 1) t->byte_token[tok_bytes(t, i)[0]] = i;
            if (t->tok_len[i] > t->max_len) t->max_len = t->tok_len[i];
        }
    }
    t->pattern = pattern;
    t->pre = pretok_new(pattern, err);
    build_specials(t);
    return t->pre ? 0 : -1;
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The tokens the special-token pass looks for in text: unknown, control and user-defined ones, longest
 * first, as llama.cpp's cache_special_tokens. */
static void build_specials(Tokenizer *t) {
    free(t->specials);
    t->specials = NULL;
    t->n_specials = 0;
    uint64_t *keys = gb_malloc(((size_t)t->n_vocab + 1) * sizeof(uint64_t));
    for (int32_t i = 0; i < t->n_vocab; i++) {
        uint8_t ty = t->tok_type[i];
        if (t->tok_kind[i] != TOK_MISSING && t->tok_len[i] > 0 && (ty == TT_UNKNOWN || ty == TT_CONTROL || ty == TT_USER))
            keys[t->n_specials++] = (uint64_t)(UINT32_MAX - t->tok_len[i]) << 32 | (uint32_t)i; /* longest first, then by id */
    }
    qsort(keys, (size_t)t->n_specials, sizeof(uint64_t), u64_cmp);
    t->specials = gb_malloc(((size_t)t->n_specials + 1) * sizeof(int32_t));
    for (int i = 0; i < t->n_specials; i++) t->specials[i] = (int32_t)(uint32_t)keys[i];
    free(keys);
}

static int check_bos_eos(Tokenizer *t, const char *name, int64_t bos, int64_t eos, char *err) {
    if (bos >= t->n_vocab || eos >= t->n_vocab || (bos >= 0 && t->tok_kind[bos] == TOK_MISSING) ||
        (eos >= 0 && t->tok_kind[eos] == TOK_MISSING)) {
        gb_seterr(err, "%s: bos/eos token id %lld/%lld is not in the vocabulary of %d", name, (long long)bos,
                  (long long)eos, t->n_vocab);
        return -1;
    }
    t->bos = bos < 0 ? -1 : (int32_t)bos;
    t->eos = eos < 0 ? -1 : (int32_t)eos;
    return 0;
}

static void merges_begin(Tokenizer *t, size_t n_merges) {
    uint32_t cap = table_size_for(n_merges);
    t->pairs.keys = gb_malloc(cap * sizeof(uint64_t));
    memset(t->pairs.keys, 0xff, cap * sizeof(uint64_t));
    t->pairs.rank = gb_malloc(cap * sizeof(int32_t));
    t->pairs.result = gb_malloc(cap * sizeof(int32_t));
    t->pairs.mask = cap - 1;
    t->merge_list = gb_malloc((n_merges ? n_merges : 1) * 2 * sizeof(int32_t));
    t->n_merges = 0;
}

/* Adds merge rule number n_merges: a + b. Returns 0, or -1 when the result is not a token. */
static int merges_add(Tokenizer *t, const char *name, int32_t a, int32_t b, char *err) {
    size_t la = t->tok_len[a], lb = t->tok_len[b];
    uint8_t stack[256];
    uint8_t *cat = la + lb <= sizeof stack ? stack : gb_malloc(la + lb);
    memcpy(cat, tok_bytes(t, a), la);
    memcpy(cat + la, tok_bytes(t, b), lb);
    int32_t result = bytes_map_find(t, &t->normal, cat, la + lb);
    if (result < 0) {
        char shown[96];
        token_display((const char *)cat, la + lb, shown, sizeof shown);
        gb_seterr(err, "%s: merge %zu: the result \"%s\" is not in the vocabulary", name, t->n_merges, shown);
    }
    if (cat != stack) free(cat);
    if (result < 0) return -1;
    pair_map_insert(&t->pairs, a, b, (int32_t)t->n_merges, result);
    t->merge_list[2 * t->n_merges] = a;
    t->merge_list[2 * t->n_merges + 1] = b;
    t->n_merges++;
    return 0;
}

Tokenizer *tokenizer_from_merges(const char *name, int n_tokens, const char *const *bytes, const size_t *lens,
                                 const uint8_t *special, const int32_t *merges, size_t n_merges, int pattern,
                                 int32_t bos, int32_t eos, char *err) {
    if (n_tokens <= 0) {
        gb_seterr(err, "%s: empty vocabulary", name);
        return NULL;
    }
    VocabBuilder vb;
    Tokenizer *t = vocab_begin(&vb, n_tokens);
    for (int i = 0; i < n_tokens; i++)
        vocab_set(&vb, i, (const uint8_t *)bytes[i], lens[i], special && special[i] ? TOK_SPECIAL : TOK_NORMAL);
    if (vocab_finish(t, name, pattern, err) || check_bos_eos(t, name, bos, eos, err)) goto fail;
    t->whole_chunk = pattern == PRETOK_CL100K; /* as tokenizer_from_gguf will do for this file */
    merges_begin(t, n_merges);
    for (size_t m = 0; m < n_merges; m++) {
        int32_t a = merges[2 * m], b = merges[2 * m + 1];
        if (a < 0 || a >= n_tokens || b < 0 || b >= n_tokens || t->tok_kind[a] != TOK_NORMAL ||
            t->tok_kind[b] != TOK_NORMAL) {
            gb_seterr(err, "%s: merge %zu: ids %d %d are not both normal tokens", name, m, a, b);
            goto fail;
        }
        if (merges_add(t, name, a, b, err)) goto fail;
    }
    return t;
fail:
    tokenizer_free(t);
    return NULL;
}

/* ---- GGUF ---- */

/* Copies at most 60 bytes of a GGUF string, printable, for a message. */
static void show_gguf_string(GGUFString s, char *out, size_t outsz) {
    token_display(s.data, s.len > 60 ? 60 : (size_t)s.len, out, outsz);
}

/* The keys both kinds of tokenizer share: add_bos_token, add_eos_token and the pre-tokenizer's name. */
static void read_flags(Tokenizer *t, const GGUFFile *f, GGUFString pre) {
    bool b = true;
    t->no_bos_in_front = gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b) && !b;
    b = false;
    t->add_eos = gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &b) && b && t->eos >= 0;
    if (pre.len > 0 && pre.len < sizeof t->pre_name) {
        memcpy(t->pre_name, pre.data, (size_t)pre.len);
        t->pre_name[pre.len] = 0;
    }
}

Tokenizer *tokenizer_from_spm(const char *name, int n, const char *const *texts, const size_t *lens,
                              const float *scores, const uint8_t *types, int32_t bos, int32_t eos, int32_t unk,
                              int add_space_prefix, char *err) {
    if (n <= 0) {
        gb_seterr(err, "%s: empty vocabulary", name);
        return NULL;
    }
    SpmVocab *v = spm_new(name, n, texts, lens, scores, types, err);
    if (!v) return NULL;
    VocabBuilder vb;
    Tokenizer *t = vocab_begin(&vb, n);
    t->spm = v;
    size_t max_len = 0, n_special = 0;
    for (int i = 0; i < n; i++) max_len = lens[i] > max_len ? lens[i] : max_len;
    char *buf = gb_malloc(max_len + 1);
    for (int i = 0; i < n; i++) {
        uint8_t ty = types[i] <= TT_BYTE ? types[i] : TT_UNDEFINED;
        size_t nb = spm_piece_bytes(v, i, ty, buf);
        int normal = ty == TT_NORMAL || ty == TT_BYTE || ty == TT_UNDEFINED;
        vocab_set(&vb, i, (const uint8_t *)buf, nb, normal ? TOK_NORMAL : TOK_SPECIAL);
        t->tok_type[i] = ty;
        n_special += !normal;
    }
    free(buf);
    /* Pieces are looked up by their spelling (spm_find); only the special ones by their bytes. A byte
     * token and the piece of the same character both stand for the same bytes, so there is no map of
     * normal tokens' bytes. */
    bytes_map_init(&t->special, n_special);
    for (int32_t i = 0; i < n; i++)
        if (t->tok_kind[i] == TOK_SPECIAL) bytes_map_insert(t, &t->special, i);
    for (int i = 0; i < 256; i++) t->byte_token[i] = -1;
    t->pattern = PRETOK_SPM;
    t->pre = pretok_new(PRETOK_SPM, err);
    build_specials(t);
    if (!t->pre || check_bos_eos(t, name, bos, eos, err)) {
        tokenizer_free(t);
        return NULL;
    }
    t->unk = unk >= 0 && unk < n ? unk : -1;
    t->add_space_prefix = add_space_prefix;
    return t;
}

/* tokenizer.ggml.model = "llama": pieces, scores and types; llama.cpp's defaults for the ids. */
static Tokenizer *tokenizer_from_gguf_spm(const GGUFFile *f, char *err) {
    const char *name = f->path ? f->path : "GGUF";
    const GGUFValue *tokens = gguf_get_array(f, "tokenizer.ggml.tokens");
    if (!tokens || tokens->elem_type != GGUF_TYPE_STRING || tokens->count == 0 || tokens->count > INT32_MAX / 2) {
        gb_seterr(err, "%s: tokenizer.ggml.tokens is missing, empty or not an array of strings", name);
        return NULL;
    }
    const GGUFValue *types = gguf_get_array(f, "tokenizer.ggml.token_type");
    const GGUFValue *scores = gguf_get_array(f, "tokenizer.ggml.scores");
    if ((types && (types->count != tokens->count || types->elem_type == GGUF_TYPE_STRING)) ||
        (scores && (scores->count != tokens->count || scores->elem_type == GGUF_TYPE_STRING))) {
        gb_seterr(err, "%s: tokenizer.ggml.token_type or tokenizer.ggml.scores does not have one number per token",
                  name);
        return NULL;
    }
    int n = (int)tokens->count;
    const char **texts = gb_malloc((size_t)n * sizeof(char *));
    size_t *lens = gb_malloc((size_t)n * sizeof(size_t));
    float *sc = gb_malloc((size_t)n * sizeof(float));
    uint8_t *ty = gb_malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        texts[i] = tokens->strs[i].data;
        lens[i] = (size_t)tokens->strs[i].len;
        sc[i] = scores ? (float)gguf_array_float(scores, (uint64_t)i) : 0.0f;
        int64_t k = types ? gguf_array_int(types, (uint64_t)i) : TT_NORMAL;
        ty[i] = k >= 0 && k <= TT_BYTE ? (uint8_t)k : TT_UNDEFINED;
    }
    int64_t bos = 1, eos = 2, unk = 0;
    gguf_get_int(f, "tokenizer.ggml.bos_token_id", &bos);
    gguf_get_int(f, "tokenizer.ggml.eos_token_id", &eos);
    gguf_get_int(f, "tokenizer.ggml.unknown_token_id", &unk);
    if (bos >= n) bos = -1; /* llama.cpp too ignores an id outside the vocabulary */
    if (eos >= n) eos = -1;
    bool prefix = true;
    gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &prefix);
    Tokenizer *t = tokenizer_from_spm(name, n, texts, lens, sc, ty, (int32_t)bos, (int32_t)eos,
                                      unk < n ? (int32_t)unk : -1, prefix, err);
    if (t) read_flags(t, f, (GGUFString){NULL, 0});
    free(texts);
    free(lens);
    free(sc);
    free(ty);
    return t;
}

Tokenizer *tokenizer_from_gguf(const GGUFFile *f, char *err) {
    const char *name = f->path ? f->path : "GGUF";
    GGUFString model, pre = {NULL, 0};
    char shown[128];
    if (!gguf_get_string(f, "tokenizer.ggml.model", &model)) {
        gb_seterr(err, "%s: no tokenizer (tokenizer.ggml.model is missing)", name);
        return NULL;
    }
    if (gguf_string_eq(model, "llama")) return tokenizer_from_gguf_spm(f, err);
    if (!gguf_string_eq(model, "gpt2")) {
        show_gguf_string(model, shown, sizeof shown);
        gb_seterr(err,
                  "%s: tokenizer model tokenizer.ggml.model = \"%s\" is not supported (glassbox reads \"gpt2\", "
                  "byte-level BPE, and \"llama\", SentencePiece)",
                  name, shown);
        return NULL;
    }
    /* A file without tokenizer.ggml.pre: GPT-2's split, as glassbox's older files expect (llama.cpp
     * would use its "default"). */
    int pattern = PRETOK_GPT2, ignore_merges = 0;
    if (gguf_get_string(f, "tokenizer.ggml.pre", &pre)) {
        pattern = pretok_from_gguf_pre(pre.data, (size_t)pre.len, &ignore_merges);
        if (pattern < 0) {
            show_gguf_string(pre, shown, sizeof shown);
            gb_seterr(err, "%s: pre-tokenizer tokenizer.ggml.pre = \"%s\" is not supported (supported: %s)", name,
                      shown, pretok_supported_names());
            return NULL;
        }
    }
    const GGUFValue *tokens = gguf_get_array(f, "tokenizer.ggml.tokens");
    if (!tokens || tokens->elem_type != GGUF_TYPE_STRING || tokens->count == 0 || tokens->count > INT32_MAX / 2) {
        gb_seterr(err, "%s: tokenizer.ggml.tokens is missing, empty or not an array of strings", name);
        return NULL;
    }
    const GGUFValue *types = gguf_get_array(f, "tokenizer.ggml.token_type");
    if (types && (types->count != tokens->count ||
                  (types->elem_type != GGUF_TYPE_INT32 && types->elem_type != GGUF_TYPE_UINT32 &&
                   types->elem_type != GGUF_TYPE_INT8 && types->elem_type != GGUF_TYPE_UINT8))) {
        gb_seterr(err, "%s: tokenizer.ggml.token_type has %llu integer entries, expected %llu", name,
                  (unsigned long long)types->count, (unsigned long long)tokens->count);
        return NULL;
    }
    const GGUFValue *merges = gguf_get_array(f, "tokenizer.ggml.merges");
    if (merges && merges->elem_type != GGUF_TYPE_STRING) {
        gb_seterr(err, "%s: tokenizer.ggml.merges is not an array of strings", name);
        return NULL;
    }
    int n = (int)tokens->count;
    VocabBuilder vb;
    Tokenizer *t = vocab_begin(&vb, n);
    size_t scratch_cap = 256;
    uint8_t *scratch = gb_malloc(scratch_cap);
    for (int i = 0; i < n; i++) {
        GGUFString s = tokens->strs[i];
        if (s.len == 0) {
            gb_seterr(err, "%s: tokenizer.ggml.tokens: token %d is empty", name, i);
            goto fail;
        }
        if (s.len > UINT32_MAX) {
            gb_seterr(err, "%s: tokenizer.ggml.tokens: token %d is too long", name, i);
            goto fail;
        }
        int64_t type = types ? gguf_array_int(types, (uint64_t)i) : 1;
        if (s.len > scratch_cap) scratch = gb_realloc(scratch, scratch_cap = (size_t)s.len);
        long nb = (type == 1 || type == 6) ? b2u_decode((const uint8_t *)s.data, (size_t)s.len, scratch) : -1;
        if (nb > 0) {
            vocab_set(&vb, i, scratch, (size_t)nb, TOK_NORMAL);
        } else {
            vocab_set(&vb, i, (const uint8_t *)s.data, (size_t)s.len, TOK_SPECIAL);
            if (type == TT_UNKNOWN || type == TT_USER || type == TT_UNUSED) t->tok_type[i] = (uint8_t)type;
        }
    }
    char where[512];
    snprintf(where, sizeof where, "%s: tokenizer.ggml.tokens", name);
    if (vocab_finish(t, where, pattern, err)) goto fail;
    int64_t bos = -1, eos = -1;
    gguf_get_int(f, "tokenizer.ggml.bos_token_id", &bos);
    gguf_get_int(f, "tokenizer.ggml.eos_token_id", &eos);
    if (check_bos_eos(t, name, bos, eos, err)) goto fail;
    read_flags(t, f, pre);
    t->whole_chunk = ignore_merges; /* llama.cpp's "ignore_merges" (llama-bpe) */
    size_t n_merges = merges ? (size_t)merges->count : 0;
    merges_begin(t, n_merges);
    snprintf(where, sizeof where, "%s: tokenizer.ggml.merges", name);
    for (size_t m = 0; m < n_merges; m++) {
        GGUFString s = merges->strs[m];
        const char *sp = s.len ? memchr(s.data, ' ', (size_t)s.len) : NULL;
        if (s.len > scratch_cap) scratch = gb_realloc(scratch, scratch_cap = (size_t)s.len);
        int32_t ids[2] = {-1, -1};
        if (sp) {
            size_t la = (size_t)(sp - s.data), lb = (size_t)s.len - la - 1;
            long na = b2u_decode((const uint8_t *)s.data, la, scratch);
            ids[0] = na > 0 ? bytes_map_find(t, &t->normal, scratch, (size_t)na) : -1;
            long nb = b2u_decode((const uint8_t *)sp + 1, lb, scratch);
            ids[1] = nb > 0 ? bytes_map_find(t, &t->normal, scratch, (size_t)nb) : -1;
        }
        if (ids[0] < 0 || ids[1] < 0) {
            show_gguf_string(s, shown, sizeof shown);
            gb_seterr(err, "%s: merge %zu \"%s\": %s", where, m, shown,
                      !sp ? "not two tokens separated by a space" : "its parts are not both tokens");
            goto fail;
        }
        if (merges_add(t, where, ids[0], ids[1], err)) goto fail;
    }
    free(scratch);
    return t;
fail:
    free(scratch);
    tokenizer_free(t);
    return NULL;
}

/* ---- tiktoken ---- */

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
    /* First pass: ranks and the largest one. */
    size_t n_lines = 0;
    for (size_t i = 0; i < len; i++) n_lines += data[i] == '\n';
    n_lines++;
    int32_t *rank_of_line = gb_malloc(n_lines * sizeof(int32_t));
    size_t *tok_start = gb_malloc(n_lines * sizeof(size_t));
    size_t *tok_len = gb_malloc(n_lines * sizeof(size_t));
    size_t n_entries = 0, line = 0;
    int64_t max_rank = -1;
    Tokenizer *t = NULL;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && data[e] != '\n') e++;
        line++;
        size_t end = e;
        if (end > i && data[end - 1] == '\r') end--;
        if (end > i) {
            const char *sp = memchr(data + i, ' ', end - i);
            if (!sp) {
                gb_seterr(err, "%s:%zu: expected \"BASE64 RANK\"", fname, line);
                goto fail;
            }
            const char *r = sp + 1;
            int64_t rank = 0;
            if (r == data + end) rank = -1;
            for (; r < data + end && rank >= 0; r++) {
                if (*r < '0' || *r > '9') rank = -1;
                else if (rank < MAX_TIKTOKEN_RANK) rank = rank * 10 + (*r - '0'); /* else: stays too large */
            }
            if (rank < 0) {
                gb_seterr(err, "%s:%zu: bad rank", fname, line);
                goto fail;
            }
            if (rank >= MAX_TIKTOKEN_RANK) { /* ranks are ids: a huge one would size a huge table */
                gb_seterr(err, "%s:%zu: rank %.*s is too large (the limit is %d)", fname, line,
                          (int)(data + end - (sp + 1)), sp + 1, MAX_TIKTOKEN_RANK - 1);
                goto fail;
            }
            rank_of_line[n_entries] = (int32_t)rank;
            tok_start[n_entries] = i;
            tok_len[n_entries] = (size_t)(sp - (data + i));
            n_entries++;
            if (rank > max_rank) max_rank = rank;
        }
        i = e + 1;
    }
    if (n_entries == 0) {
        gb_seterr(err, "%s: no tokens", fname);
        goto fail;
    }
    /* a file of unknown family: <|endoftext|> right after its last rank */
    TiktokenSpecial unknown_specials[2] = {{"<|endoftext|>", (int32_t)max_rank + 1}, {NULL, -1}};
    if (!specials) specials = unknown_specials;
    int32_t eot = specials[0].id; /* every family lists <|endoftext|> first */
    int64_t highest = max_rank;
    for (const TiktokenSpecial *sp = specials; sp->text; sp++)
        if (sp->id > highest) highest = sp->id;
    int n_vocab = (int)(highest + 1);
    VocabBuilder vb;
    t = vocab_begin(&vb, n_vocab);
    uint8_t *buf = gb_malloc(len / 4 * 3 + 4);
    line = 0;
    size_t entry = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && data[e] != '\n') e++;
        line++;
        size_t end = e;
        if (end > i && data[end - 1] == '\r') end--;
        if (end > i) {
            long nb = base64_decode((const uint8_t *)data + tok_start[entry], tok_len[entry], buf);
            int32_t rank = rank_of_line[entry++];
            if (nb <= 0) {
                gb_seterr(err, "%s:%zu: bad base64", fname, line);
                free(buf);
                goto fail;
            }
            const char *special_here = NULL;
            for (const TiktokenSpecial *sp = specials; sp->text; sp++)
                if (sp->id == rank) special_here = sp->text;
            if (special_here) {
                gb_seterr(err, "%s:%zu: rank %d is the id of %s", fname, line, rank, special_here);
                free(buf);
                goto fail;
            }
            if (t->tok_kind[rank] != TOK_MISSING) {
                gb_seterr(err, "%s:%zu: rank %d appears twice", fname, line, rank);
                free(buf);
                goto fail;
            }
            vocab_set(&vb, rank, buf, (size_t)nb, TOK_NORMAL);
        }
        i = e + 1;
    }
    free(buf);
    for (const TiktokenSpecial *sp = specials; sp->text; sp++)
        vocab_set(&vb, sp->id, (const uint8_t *)sp->text, strlen(sp->text), TOK_SPECIAL);
    if (vocab_finish(t, fname, pattern, err)) goto fail;
    t->rank_rule = 1;
    t->whole_chunk = 1;
    t->bos = t->eos = eot;
    free(rank_of_line);
    free(tok_start);
    free(tok_len);
    return t;
fail:
    tokenizer_free(t);
    free(rank_of_line);
    free(tok_start);
    free(tok_len);
    return NULL;
}

Tokenizer *tokenizer_open_named(const char *name_or_path, char *err) {
    static const char *const shipped[] = {"r50k_base", "cl100k_base", "o200k_base"};
    const char *name = strcmp(name_or_path, "gpt2") == 0 ? "r50k_base" : name_or_path;
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        if (strcmp(name, shipped[i]) == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/tokenizers/%s.tiktoken", gb_assets_dir(), name);
            return tokenizer_from_tiktoken(path, -1, err);
        }
    }
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".gguf") == 0) {
        GGUFFile f;
        if (gguf_open(&f, name, err)) return NULL;
        Tokenizer *t = tokenizer_from_gguf(&f, err);
        gguf_close(&f);
        return t;
    }
    return tokenizer_from_tiktoken(name, -1, err);
}

/* ---- GGUF writer ---- */

/* Merge rules of a rank-rule vocabulary: token r (length >= 2) is the merge of the two parts that the
 * rank rule leaves when only ranks below r may merge (tokens it cannot reach get no rule). */
static int32_t *derive_merges(const Tokenizer *t, size_t *n_out) {
    int32_t *m = gb_malloc(2 * (size_t)t->n_vocab * sizeof(int32_t));
    size_t n = 0;
    Work w = {0};
    SpanList parts = {0};
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (t->tok_kind[id] != TOK_NORMAL || t->tok_len[id] < 2) continue;
        parts.n = 0;
        if (encode_chunk(t, &w, tok_bytes(t, id), t->tok_len[id], 0, 0, id, &parts, NULL) == 0 && parts.n == 2) {
            m[2 * n] = parts.v[0].id;
            m[2 * n + 1] = parts.v[1].id;
            n++;
        }
    }
    work_free(&w);
    free(parts.v);
    *n_out = n;
    return m;
}

/* Appends the byte-to-unicode form of bytes to out (at least 2 * len bytes free); returns the length. */
static size_t b2u_encode(const uint8_t *bytes, size_t len, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const char *u = B2U[bytes[i]];
        size_t k = strlen(u);
        memcpy(out + o, u, k);
        o += k;
    }
    return o;
}

/* The keys every tokenizer writes besides its vocabulary. */
static void write_common(GGUFWriter *w, const Tokenizer *t) {
    if (t->bos >= 0) gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)t->bos);
    if (t->eos >= 0) gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)t->eos);
    if (t->no_bos_in_front) gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", false);
    if (t->add_eos) gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", true);
}

/* tokenizer.ggml.model "llama": the pieces as spelt, their scores and types. */
static void write_spm(GGUFWriter *w, const Tokenizer *t) {
    size_t n = (size_t)t->n_vocab;
    const char **strs = gb_malloc(n * sizeof(char *));
    size_t *lens = gb_malloc(n * sizeof(size_t));
    float *scores = gb_malloc(n * sizeof(float));
    int32_t *types = gb_malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        strs[i] = spm_text(t->spm, (int32_t)i, &lens[i]);
        scores[i] = spm_score(t->spm, (int32_t)i);
        types[i] = t->tok_type[i];
    }
    gguf_writer_set_string(w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", strs, lens, n);
    gguf_writer_set_array_f32(w, "tokenizer.ggml.scores", scores, n);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, n);
    if (t->unk >= 0) gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", (uint32_t)t->unk);
    gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", t->add_space_prefix != 0);
    write_common(w, t);
    free(strs);
    free(lens);
    free(scores);
    free(types);
}

void tokenizer_add_to_writer(GGUFWriter *w, const Tokenizer *t) {
    if (t->spm) {
        write_spm(w, t);
        return;
    }
    size_t n = (size_t)t->n_vocab;
    char **strs = gb_malloc(n * sizeof(char *));
    size_t *lens = gb_malloc(n * sizeof(size_t));
    int32_t *types = gb_malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = tok_bytes(t, (int32_t)i);
        size_t len = t->tok_len[i];
        if (t->tok_kind[i] == TOK_NORMAL) {
            strs[i] = gb_malloc(2 * len + 1);
            lens[i] = b2u_encode(b, len, strs[i]);
            types[i] = 1;
        } else if (t->tok_kind[i] == TOK_SPECIAL) {
            strs[i] = gb_malloc(len + 1);
            memcpy(strs[i], b, len);
            lens[i] = len;
            types[i] = t->tok_type[i] ? t->tok_type[i] : TT_CONTROL;
        } else { /* an id no token uses: a placeholder, as llama.cpp's converter writes */
            strs[i] = gb_malloc(32);
            lens[i] = (size_t)snprintf(strs[i], 32, "[PAD%zu]", i);
            types[i] = 5;
        }
    }
    size_t n_merges = t->n_merges;
    int32_t *derived = NULL;
    const int32_t *ml = t->merge_list;
    if (t->rank_rule) ml = derived = derive_merges(t, &n_merges);
    char **mstrs = gb_malloc((n_merges ? n_merges : 1) * sizeof(char *));
    size_t *mlens = gb_malloc((n_merges ? n_merges : 1) * sizeof(size_t));
    for (size_t m = 0; m < n_merges; m++) {
        int32_t a = ml[2 * m], b = ml[2 * m + 1];
        mstrs[m] = gb_malloc(2 * (t->tok_len[a] + t->tok_len[b]) + 2);
        size_t o = b2u_encode(tok_bytes(t, a), t->tok_len[a], mstrs[m]);
        mstrs[m][o++] = ' ';
        o += b2u_encode(tok_bytes(t, b), t->tok_len[b], mstrs[m] + o);
        mlens[m] = o;
    }
    gguf_writer_set_string(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_set_string(w, "tokenizer.ggml.pre", t->pre_name[0] ? t->pre_name : pretok_gguf_name(t->pattern));
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", (const char *const *)strs, lens, n);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, n);
    gguf_writer_set_array_strings(w, "tokenizer.ggml.merges", (const char *const *)mstrs, mlens, n_merges);
    write_common(w, t);
    for (size_t i = 0; i < n; i++) free(strs[i]);
    for (size_t m = 0; m < n_merges; m++) free(mstrs[m]);
    free(strs);
    free(lens);
    free(types);
    free(mstrs);
    free(mlens);
    free(derived);
}

/* ---- display ---- */

char *token_display(const char *bytes, size_t len, char *out, size_t outsz) {
    return gb_printable(bytes, len, out, outsz, GB_PRINT_TOKEN);
}

/* ---- changing a vocabulary's kind (init-model --pre / --spm) ---- */

int tokenizer_set_pretokenizer(Tokenizer *t, const char *name, char *err) {
    if (t->spm) {
        gb_seterr(err, "a SentencePiece vocabulary has no pre-tokenizer");
        return -1;
    }
    int ignore_merges = 0;
    int pattern = pretok_from_gguf_pre(name, strlen(name), &ignore_merges);
    const char *gguf_name = name;
    if (pattern < 0) {
        pattern = pretok_pattern_from_name(name);
        gguf_name = pattern >= 0 ? pretok_gguf_name(pattern) : NULL;
        if (pattern >= 0) pretok_from_gguf_pre(gguf_name, strlen(gguf_name), &ignore_merges);
    }
    if (pattern < 0 || pattern == PRETOK_SPM) {
        gb_seterr(err, "pre-tokenizer \"%s\" is not supported (supported: %s)", name, pretok_supported_names());
        return -1;
    }
    Pretokenizer *p = pretok_new(pattern, err);
    if (!p) return -1;
    pretok_free(t->pre);
    t->pre = p;
    t->pattern = pattern;
    t->whole_chunk = t->rank_rule || ignore_merges;
    snprintf(t->pre_name, sizeof t->pre_name, "%s", gguf_name);
    return 0;
}

/* Adds (text, len) to an open-addressing set of texts; returns 0 when it was already there. */
static int text_set_add(const char **texts, const size_t *lens, int32_t *slots, uint32_t mask, int32_t id) {
    uint32_t i = (uint32_t)gb_hash_bytes((const uint8_t *)texts[id], lens[id]) & mask;
    for (;; i = (i + 1) & mask) {
        int32_t o = slots[i];
        if (o < 0) {
            slots[i] = id;
            return 1;
        }
        if (lens[o] == lens[id] && memcmp(texts[o], texts[id], lens[id]) == 0) return 0;
    }
}

Tokenizer *tokenizer_to_spm(const Tokenizer *b, char *err) {
    size_t cap = (size_t)b->n_vocab + 259;
    const char **texts = gb_malloc(cap * sizeof(char *));
    char **owned = gb_malloc(cap * sizeof(char *));
    size_t *lens = gb_malloc(cap * sizeof(size_t));
    float *scores = gb_malloc(cap * sizeof(float));
    uint8_t *types = gb_malloc(cap);
    uint32_t tcap = table_size_for(cap);
    int32_t *slots = gb_malloc(tcap * sizeof(int32_t));
    memset(slots, 0xff, tcap * sizeof(int32_t));
    int n = 0;
    static const char *const head[3] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < 259; i++) { /* llama's layout: <unk> <s> </s>, then the 256 byte tokens */
        owned[n] = gb_malloc(8);
        if (i < 3) snprintf(owned[n], 8, "%s", head[i]);
        else snprintf(owned[n], 8, "<0x%02X>", i - 3);
        texts[n] = owned[n];
        lens[n] = strlen(owned[n]);
        scores[n] = 0.0f;
        types[n] = i == 0 ? TT_UNKNOWN : i < 3 ? TT_CONTROL : TT_BYTE;
        text_set_add(texts, lens, slots, tcap - 1, n);
        n++;
    }
    for (int32_t id = 0; id < b->n_vocab; id++) {
        const uint8_t *s = tok_bytes(b, id);
        size_t len = b->tok_len[id], ok = b->tok_kind[id] != TOK_MISSING && len > 0;
        for (size_t i = 0; ok && i < len;) { /* pieces are text: a token of partial characters is left out */
            int k = utf8_valid_len(s + i, len - i);
            if (k == 0) ok = 0;
            i += (size_t)k;
        }
        if (!ok) continue;
        char *piece = gb_malloc(3 * len + 1);
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] == ' ' && b->tok_kind[id] == TOK_NORMAL) {
                memcpy(piece + o, "\xe2\x96\x81", 3);
                o += 3;
            } else {
                piece[o++] = (char)s[i];
            }
        }
        owned[n] = piece;
        texts[n] = piece;
        lens[n] = o;
        scores[n] = -(float)id; /* earlier merges score higher, as SentencePiece BPE scores them */
        types[n] = b->tok_kind[id] == TOK_NORMAL ? TT_NORMAL : TT_CONTROL;
        if (text_set_add(texts, lens, slots, tcap - 1, n)) n++;
        else free(piece);
    }
    Tokenizer *t = tokenizer_from_spm("spm", n, texts, lens, scores, types, 1, 2, 0, 1, err);
    for (int i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(texts);
    free(lens);
    free(scores);
    free(types);
    free(slots);
    return t;
}
