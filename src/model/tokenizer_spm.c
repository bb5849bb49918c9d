/* SentencePiece BPE as llama.cpp runs it on a GGUF vocabulary (llm_tokenizer_spm_session::tokenize in
 * src/llama-vocab.cpp): the text, spaces escaped as U+2581, starts as one symbol per UTF-8 character;
 * every adjacent pair whose concatenation is a piece is queued by that piece's score; the best pair
 * merges (highest score, leftmost on ties), and the pairs it forms with its neighbours are queued in
 * turn. What is left unmerged and is no piece falls back to byte tokens <0xAB>.
 *
 * One difference, on purpose: llama.cpp looks concatenations up among all pieces, so a text spelling
 * "<s>" or "<0x41>" can merge into a control or byte token. Here only normal, user-defined and unused
 * pieces take part in merging, so text never turns into a control token unless asked (tokenizer.c's
 * special-token pass) and every token decodes back to the text it came from. */
#include "tokenizer_spm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct SpmVocab {
    int n;
    char *blob;      /* the pieces' texts, concatenated */
    size_t *off;     /* (n) */
    uint32_t *len;   /* (n) */
    float *score;    /* (n) */
    int32_t *slots;  /* (mask + 1) open addressing over the texts of mergeable pieces: id or -1 */
    int32_t *all;    /* (mask + 1) the same over every piece (spm_find) */
    uint32_t mask;
    int32_t byte_token[256]; /* <0xAB> (or the one-byte piece) of each byte, -1 when neither exists */
};

static int mergeable(uint8_t type) { return type == 1 || type == 4 || type == 5 || type == 0; }

static int32_t map_find(const SpmVocab *v, const int32_t *slots, const char *s, size_t n) {
    uint32_t i = (uint32_t)gb_hash_bytes((const uint8_t *)s, n) & v->mask;
    for (;; i = (i + 1) & v->mask) {
        int32_t id = slots[i];
        if (id < 0) return -1;
        if (v->len[id] == n && memcmp(v->blob + v->off[id], s, n) == 0) return id;
    }
}

/* Inserts id; returns the id already spelled the same, or -1. */
static int32_t map_insert(SpmVocab *v, int32_t *slots, int32_t id) {
    const char *s = v->blob + v->off[id];
    size_t n = v->len[id];
    uint32_t i = (uint32_t)gb_hash_bytes((const uint8_t *)s, n) & v->mask;
    for (;; i = (i + 1) & v->mask) {
        int32_t other = slots[i];
        if (other < 0) {
            slots[i] = id;
            return -1;
        }
        if (v->len[other] == n && memcmp(v->blob + v->off[other], s, n) == 0) return other;
    }
}

SpmVocab *spm_new(const char *name, int n, const char *const *texts, const size_t *lens, const float *scores,
                  const uint8_t *types, char *err) {
    SpmVocab *v = gb_calloc(1, sizeof *v);
    v->n = n;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += lens[i];
    v->blob = gb_malloc(total + 1);
    v->off = gb_malloc((size_t)n * sizeof(size_t));
    v->len = gb_malloc((size_t)n * sizeof(uint32_t));
    v->score = gb_malloc((size_t)n * sizeof(float));
    uint32_t cap = 16;
    while (cap < 2u * (uint32_t)n + 1) cap *= 2;
    v->mask = cap - 1;
    v->slots = gb_malloc(cap * sizeof(int32_t));
    v->all = gb_malloc(cap * sizeof(int32_t));
    memset(v->slots, 0xff, cap * sizeof(int32_t));
    memset(v->all, 0xff, cap * sizeof(int32_t));
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (lens[i] == 0 || lens[i] > UINT32_MAX) {
            gb_seterr(err, "%s: piece %d is empty or too long", name, i);
            spm_free(v);
            return NULL;
        }
        memcpy(v->blob + o, texts[i], lens[i]);
        v->off[i] = o;
        v->len[i] = (uint32_t)lens[i];
        v->score[i] = scores ? scores[i] : 0.0f;
        o += lens[i];
        int32_t other = map_insert(v, v->all, i);
        if (other >= 0) {
            gb_seterr(err, "%s: pieces %d and %d are spelled the same", name, other, i);
            spm_free(v);
            return NULL;
        }
        if (mergeable(types[i])) map_insert(v, v->slots, i);
    }
    /* llama.cpp's byte_to_token: the piece <0xAB>, else the one-byte piece */
    for (int b = 0; b < 256; b++) {
        char hex[8];
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        int32_t id = map_find(v, v->all, hex, 6);
        if (id < 0) {
            char one = (char)b;
            id = map_find(v, v->all, &one, 1);
        }
        v->byte_token[b] = id;
    }
    return v;
}

void spm_free(SpmVocab *v) {
    if (!v) return;
    free(v->blob);
    free(v->off);
    free(v->len);
    free(v->score);
    free(v->slots);
    free(v->all);
    free(v);
}

const char *spm_text(const SpmVocab *v, int32_t id, size_t *len) {
    *len = v->len[id];
    return v->blob + v->off[id];
}

float spm_score(const SpmVocab *v, int32_t id) { return v->score[id]; }

int32_t spm_find(const SpmVocab *v, const char *s, size_t len) { return map_find(v, v->all, s, len); }
int32_t spm_byte_token(const SpmVocab *v, uint8_t b) { return v->byte_token[b]; }

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

size_t spm_piece_bytes(const SpmVocab *v, int32_t id, int type, char *out) {
    size_t n = v->len[id];
    const char *s = v->blob + v->off[id];
    if (type == 6 && n == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>' && hex_digit(s[3]) >= 0 &&
        hex_digit(s[4]) >= 0) {
        out[0] = (char)(hex_digit(s[3]) * 16 + hex_digit(s[4]));
        return 1;
    }
    if (type == 2 || type == 3 || type == 4) {
        memcpy(out, s, n);
        return n;
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + 3 <= n && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
            out[o++] = ' ';
            i += 3;
        } else {
            out[o++] = s[i++];
        }
    }
    return o;
}

/* ---- encoding ---- */

typedef struct {
    float score;
    int32_t left, right;
    uint32_t size; /* bytes of the merged piece: a queued pair is stale once its parts changed */
} Bigram;

typedef struct {
    uint32_t start, n; /* bytes of the escaped text; n = 0 once merged into its left neighbour */
    int32_t prev, next;
} Symbol;

typedef struct {
    Bigram *v;
    size_t n, cap;
} BigramHeap;

/* a comes out of the queue before b */
static int bigram_before(const Bigram *a, const Bigram *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(BigramHeap *h, Bigram b) {
    if (h->n == h->cap) h->v = gb_realloc(h->v, (h->cap = h->cap ? 2 * h->cap : 64) * sizeof(Bigram));
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!bigram_before(&b, &h->v[up])) break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = b;
}

static Bigram heap_pop(BigramHeap *h) {
    Bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && bigram_before(&h->v[c + 1], &h->v[c])) c++;
        if (!bigram_before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0) h->v[i] = last;
    return top;
}

static void try_pair(const SpmVocab *v, const char *esc, const Symbol *sym, int32_t l, int32_t r, BigramHeap *h) {
    if (l < 0 || r < 0) return;
    uint32_t size = sym[l].n + sym[r].n;
    int32_t id = map_find(v, v->slots, esc + sym[l].start, size);
    if (id >= 0) heap_push(h, (Bigram){v->score[id], l, r, size});
}

/* The escaped text: U+2581 for each space (and in front when add_prefix); at[i] is the input offset of
 * escaped byte i (at[len] the end), so that tokens map back to the bytes they came from. */
static char *escape(const char *text, size_t len, size_t base, int add_prefix, size_t **at_out, size_t *n_out) {
    size_t n = (add_prefix ? 3 : 0);
    for (size_t i = 0; i < len; i++) n += text[i] == ' ' ? 3 : 1;
    char *esc = gb_malloc(n + 1);
    size_t *at = gb_malloc((n + 1) * sizeof(size_t));
    size_t o = 0;
    if (add_prefix) {
        memcpy(esc, "\xe2\x96\x81", 3);
        at[0] = at[1] = at[2] = base;
        o = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(esc + o, "\xe2\x96\x81", 3);
            at[o] = base + i;
            at[o + 1] = at[o + 2] = base + i + 1;
            o += 3;
        } else {
            esc[o] = text[i];
            at[o++] = base + i;
        }
    }
    at[o] = base + len;
    *at_out = at;
    *n_out = n;
    return esc;
}

/* Bytes of the character at s: its lead byte's length, as llama.cpp's unicode_len_utf8 says, when the
 * continuation bytes are there; else 1. llama.cpp does not check them, so a bad lead byte can swallow
 * the start of the next character (of a U+2581 even, which then decodes to bytes, not a space); on
 * valid UTF-8 the two cut the same. */
static size_t char_len(const uint8_t *s, size_t n) {
    static const uint8_t lead_len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    size_t k = lead_len[s[0] >> 4];
    if (k > n) return 1;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 1;
    return k;
}

int spm_encode(const SpmVocab *v, const char *text, size_t len, size_t base, int add_prefix, int32_t unk,
               SpmEmitFn emit, void *ctx, char *err) {
    if (len == 0 && !add_prefix) return 0;
    size_t *at, n;
    char *esc = escape(text, len, base, add_prefix, &at, &n);
    Symbol *sym = gb_malloc(n * sizeof(Symbol));
    int32_t n_sym = 0;
    for (size_t o = 0; o < n; n_sym++) {
        size_t k = char_len((const uint8_t *)esc + o, n - o);
        sym[n_sym] = (Symbol){(uint32_t)o, (uint32_t)k, n_sym - 1, o + k == n ? -1 : n_sym + 1};
        o += k;
    }
    BigramHeap h = {0};
    for (int32_t i = 1; i < n_sym; i++) try_pair(v, esc, sym, i - 1, i, &h);
    while (h.n > 0) {
        Bigram b = heap_pop(&h);
        Symbol *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        try_pair(v, esc, sym, l->prev, b.left, &h);
        try_pair(v, esc, sym, b.left, l->next, &h);
    }
    free(h.v);
    int rc = 0;
    for (int32_t i = n_sym > 0 ? 0 : -1; i >= 0 && rc == 0; i = sym[i].next) {
        const Symbol *s = &sym[i];
        int32_t id = map_find(v, v->slots, esc + s->start, s->n);
        if (id >= 0) {
            rc = emit(ctx, id, at[s->start], at[s->start + s->n]);
            continue;
        }
        int all_bytes = 1;
        for (uint32_t k = 0; k < s->n; k++) all_bytes &= v->byte_token[(uint8_t)esc[s->start + k]] >= 0;
        if (!all_bytes) { /* no byte tokens for it: one unknown token for the character */
            if (unk < 0) {
                gb_seterr(err, "byte 0x%02X at offset %zu has no token in the vocabulary (and there is no unknown token)",
                          (uint8_t)esc[s->start], at[s->start]);
                rc = -1;
                break;
            }
            rc = emit(ctx, unk, at[s->start], at[s->start + s->n]);
            continue;
        }
        for (uint32_t k = 0; k < s->n && rc == 0; k++) /* byte fallback */
            rc = emit(ctx, v->byte_token[(uint8_t)esc[s->start + k]], at[s->start + k], at[s->start + k + 1]);
    }
    free(sym);
    free(esc);
    free(at);
    return rc ? -1 : 0;
}
