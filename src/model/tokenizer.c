/* The Tokenizer: a vocabulary of byte strings and the maps over it, built by the readers of each kind
 * of vocabulary file; special tokens found in the text first (as llama.cpp's parse_special does), then
 * each fragment between them pre-tokenized and merged (byte-level BPE) or encoded by SentencePiece;
 * decoding, the queries, and turning a BPE vocabulary into a SentencePiece one. The other files are
 * listed in tokenizer_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "utf8.h"
#include "util.h"

/* ---- the maps (their lookups are inline, in tokenizer_internal.h) ---- */

static uint32_t table_size_for(size_t n) {
    uint32_t cap = 16;
    while (cap < 2 * n + 1) cap *= 2;
    return cap;
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

/* ---- encoding ---- */

typedef struct {
    const Tokenizer *t;
    const uint8_t *text;
    size_t frag; /* offset of the fragment pretok_each is cutting */
    MergeWork work;
    SpanList spans;
    char *err;
} EncodeCtx;

static int encode_chunk_cb(void *ctx, size_t start, size_t end) {
    EncodeCtx *c = ctx;
    start += c->frag;
    end += c->frag;
    return merge_chunk(c->t, &c->work, c->text + start, end - start, start, c->t->whole_chunk, INT32_MAX,
                       &c->spans, c->err);
}

static int spm_emit_cb(void *ctx, int32_t id, size_t start, size_t end) {
    span_list_push(&((EncodeCtx *)ctx)->spans, id, start, end);
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
            span_list_push(&c.spans, f.id, f.start, f.end);
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
    merge_work_free(&c.work);
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

/* ---- building: the readers (tokenizer_gguf.c, tokenizer_tiktoken.c) and the constructors below ---- */

static void build_specials(Tokenizer *t);

Tokenizer *vocab_begin(VocabBuilder *vb, int n_vocab) {
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

void vocab_set(VocabBuilder *vb, int32_t id, const uint8_t *bytes, size_t len, int kind) {
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

int vocab_finish(Tokenizer *t, const char *name, int pattern, char *err) {
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

int vocab_set_bos_eos(Tokenizer *t, const char *name, int64_t bos, int64_t eos, char *err) {
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

void vocab_begin_merges(Tokenizer *t, size_t n_merges) {
    uint32_t cap = table_size_for(n_merges);
    t->pairs.keys = gb_malloc(cap * sizeof(uint64_t));
    memset(t->pairs.keys, 0xff, cap * sizeof(uint64_t));
    t->pairs.rank = gb_malloc(cap * sizeof(int32_t));
    t->pairs.result = gb_malloc(cap * sizeof(int32_t));
    t->pairs.mask = cap - 1;
    t->merge_list = gb_malloc((n_merges ? n_merges : 1) * 2 * sizeof(int32_t));
    t->n_merges = 0;
}

int vocab_add_merge(Tokenizer *t, const char *name, int32_t a, int32_t b, char *err) {
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
    if (vocab_finish(t, name, pattern, err) || vocab_set_bos_eos(t, name, bos, eos, err)) goto fail;
    t->whole_chunk = pattern == PRETOK_CL100K; /* as tokenizer_from_gguf will do for this file */
    vocab_begin_merges(t, n_merges);
    for (size_t m = 0; m < n_merges; m++) {
        int32_t a = merges[2 * m], b = merges[2 * m + 1];
        if (a < 0 || a >= n_tokens || b < 0 || b >= n_tokens || t->tok_kind[a] != TOK_NORMAL ||
            t->tok_kind[b] != TOK_NORMAL) {
            gb_seterr(err, "%s: merge %zu: ids %d %d are not both normal tokens", name, m, a, b);
            goto fail;
        }
        if (vocab_add_merge(t, name, a, b, err)) goto fail;
    }
    return t;
fail:
    tokenizer_free(t);
    return NULL;
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
    if (!t->pre || vocab_set_bos_eos(t, name, bos, eos, err)) {
        tokenizer_free(t);
        return NULL;
    }
    t->unk = unk >= 0 && unk < n ? unk : -1;
    t->add_space_prefix = add_space_prefix;
    return t;
}

/* ---- opening a vocabulary by name ---- */

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
