/* BPE training with incremental pair counts.
 *
 * The corpus becomes a table of distinct chunks ("words") with their counts. Every adjacent pair of
 * symbols in every word is counted (weighted by the word's count), and each pair remembers the words
 * it occurs in. A merge then only touches the words listed under the chosen pair: their pairs are
 * un-counted, the word is rewritten, and its new pairs counted. A max-heap with lazy deletion finds
 * the most frequent pair: stale entries (a count that has changed since) are skipped or re-queued. */
#include "bpe_train.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "util.h"

/* ---- distinct chunks ---- */

typedef struct {
    uint64_t off;   /* into the byte arena, and into the symbol pool (same offsets) */
    uint32_t len;   /* bytes of the chunk */
    uint32_t n_sym; /* current number of symbols (shrinks as merges apply) */
    int64_t count;  /* occurrences in the corpus */
} Word;

typedef struct {
    uint8_t *bytes;   /* (bytes_len) the chunks' bytes, back to back */
    size_t bytes_len, bytes_cap;
    Word *words;      /* (n_words) */
    size_t n_words, words_cap;
    uint32_t *slots;  /* (mask + 1) word index + 1, 0 empty */
    uint32_t mask;
} WordTable;

static void word_table_grow(WordTable *wt) {
    uint32_t cap = (wt->mask + 1) * 2;
    uint32_t *slots = gb_calloc(cap, sizeof(uint32_t));
    for (size_t i = 0; i < wt->n_words; i++) {
        const Word *w = &wt->words[i];
        uint32_t h = (uint32_t)gb_hash_bytes(wt->bytes + w->off, w->len) & (cap - 1);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(wt->slots);
    wt->slots = slots;
    wt->mask = cap - 1;
}

static void word_table_add(WordTable *wt, const uint8_t *s, size_t n) {
    uint32_t h = (uint32_t)gb_hash_bytes(s, n) & wt->mask;
    for (;;) {
        uint32_t k = wt->slots[h];
        if (!k) break;
        Word *w = &wt->words[k - 1];
        if (w->len == n && memcmp(wt->bytes + w->off, s, n) == 0) {
            w->count++;
            return;
        }
        h = (h + 1) & wt->mask;
    }
    if (wt->bytes_len + n > wt->bytes_cap) {
        while (wt->bytes_len + n > wt->bytes_cap) wt->bytes_cap = wt->bytes_cap ? 2 * wt->bytes_cap : 1 << 16;
        wt->bytes = gb_realloc(wt->bytes, wt->bytes_cap);
    }
    if (wt->n_words == wt->words_cap)
        wt->words = gb_realloc(wt->words, (wt->words_cap = wt->words_cap ? 2 * wt->words_cap : 1024) * sizeof(Word));
    memcpy(wt->bytes + wt->bytes_len, s, n);
    wt->words[wt->n_words] = (Word){wt->bytes_len, (uint32_t)n, (uint32_t)n, 1};
    wt->bytes_len += n;
    wt->slots[h] = (uint32_t)++wt->n_words;
    if (2 * wt->n_words > wt->mask) word_table_grow(wt);
}

typedef struct {
    WordTable *wt;
    const uint8_t *text;
} CountCtx;

static int count_chunk(void *ctx, size_t start, size_t end) {
    CountCtx *c = ctx;
    /* chunks longer than 4 GiB cannot occur: texts are limited below */
    word_table_add(c->wt, c->text + start, end - start);
    return 0;
}

/* ---- pairs ---- */

typedef struct {
    int32_t a, b;     /* left and right symbol ids */
    int64_t count;    /* weighted occurrences in the current words */
    uint32_t *where;  /* (n_where) words that contain (or once contained) the pair */
    uint32_t n_where, cap_where;
    int32_t pushed_at; /* the merge step at which it was last queued */
} Pair;

typedef struct {
    Pair *v;
    size_t n, cap;
    uint32_t *slots; /* (mask + 1) pair index + 1, 0 empty */
    uint32_t mask;
} PairTable;

static uint32_t pair_hash(int32_t a, int32_t b) { return (uint32_t)gb_mix64((uint64_t)(uint32_t)a << 32 | (uint32_t)b); }

static void pair_table_grow(PairTable *pt) {
    uint32_t cap = pt->slots ? (pt->mask + 1) * 2 : 1 << 16;
    uint32_t *slots = gb_calloc(cap, sizeof(uint32_t));
    for (size_t i = 0; i < pt->n; i++) {
        uint32_t h = pair_hash(pt->v[i].a, pt->v[i].b) & (cap - 1);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(pt->slots);
    pt->slots = slots;
    pt->mask = cap - 1;
}

/* Index of pair (a, b), created with count 0 when new. */
static uint32_t pair_get(PairTable *pt, int32_t a, int32_t b) {
    uint32_t h = pair_hash(a, b) & pt->mask;
    for (;;) {
        uint32_t k = pt->slots[h];
        if (!k) break;
        if (pt->v[k - 1].a == a && pt->v[k - 1].b == b) return k - 1;
        h = (h + 1) & pt->mask;
    }
    if (pt->n == pt->cap) pt->v = gb_realloc(pt->v, (pt->cap = pt->cap ? 2 * pt->cap : 4096) * sizeof(Pair));
    pt->v[pt->n] = (Pair){a, b, 0, NULL, 0, 0, -1};
    pt->slots[h] = (uint32_t)++pt->n;
    if (2 * pt->n > pt->mask) pair_table_grow(pt);
    return (uint32_t)pt->n - 1;
}

static void pair_note_word(Pair *p, uint32_t word) {
    if (p->n_where && p->where[p->n_where - 1] == word) return;
    if (p->n_where == p->cap_where)
        p->where = gb_realloc(p->where, (p->cap_where = p->cap_where ? 2 * p->cap_where : 4) * sizeof(uint32_t));
    p->where[p->n_where++] = word;
}

/* ---- the max-heap of candidate pairs ---- */

typedef struct {
    int64_t count;
    int32_t a, b;
    uint32_t pair;
} Candidate;

typedef struct {
    Candidate *v;
    size_t n, cap;
} Heap;

/* Higher count first; on equal counts the smaller ids. */
static int cand_before(const Candidate *x, const Candidate *y) {
    if (x->count != y->count) return x->count > y->count;
    if (x->a != y->a) return x->a < y->a;
    return x->b < y->b;
}

static void heap_push(Heap *h, Candidate c) {
    if (h->n == h->cap) h->v = gb_realloc(h->v, (h->cap = h->cap ? 2 * h->cap : 4096) * sizeof(Candidate));
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!cand_before(&c, &h->v[up])) break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = c;
}

static Candidate heap_pop(Heap *h) {
    Candidate top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && cand_before(&h->v[c + 1], &h->v[c])) c++;
        if (!cand_before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0) h->v[i] = last;
    return top;
}

static void queue_pair(Heap *h, PairTable *pt, uint32_t p) {
    heap_push(h, (Candidate){pt->v[p].count, pt->v[p].a, pt->v[p].b, p});
}

/* ---- training ---- */

typedef struct {
    uint8_t **bytes; /* (n) token bytes */
    uint32_t *lens;  /* (n) */
    size_t n, cap;
} TokenList;

static void token_list_add(TokenList *tl, const uint8_t *a, uint32_t la, const uint8_t *b, uint32_t lb) {
    if (tl->n == tl->cap) {
        tl->cap = tl->cap ? 2 * tl->cap : 1024;
        tl->bytes = gb_realloc(tl->bytes, tl->cap * sizeof(uint8_t *));
        tl->lens = gb_realloc(tl->lens, tl->cap * sizeof(uint32_t));
    }
    uint8_t *s = gb_malloc((size_t)la + lb + 1);
    memcpy(s, a, la);
    if (lb) memcpy(s + la, b, lb);
    tl->bytes[tl->n] = s;
    tl->lens[tl->n++] = la + lb;
}

static void log_merge(FILE *log, const TokenList *tl, int32_t a, int32_t b, int64_t count) {
    char sa[96], sb[96];
    token_display((const char *)tl->bytes[a], tl->lens[a], sa, sizeof sa);
    token_display((const char *)tl->bytes[b], tl->lens[b], sb, sizeof sb);
    fprintf(log, "  merge %zu: \"%s\" + \"%s\" (%lld)\n", tl->n - 256, sa, sb, (long long)count);
}

/* Step 1: the corpus as its distinct pre-tokenizer chunks with their counts. */
static int count_words(WordTable *wt, const char *const *texts, const size_t *lens, size_t n_texts, int pattern,
                       size_t *total_bytes, char *err) {
    Pretokenizer *pre = pretok_new(pattern, err);
    if (!pre) return -1;
    wt->slots = gb_calloc(1 << 16, sizeof(uint32_t));
    wt->mask = (1 << 16) - 1;
    *total_bytes = 0;
    int rc = 0;
    for (size_t i = 0; i < n_texts && rc == 0; i++) {
        CountCtx c = {wt, (const uint8_t *)texts[i]};
        rc = pretok_each(pre, texts[i], lens[i], count_chunk, &c, err) ? -1 : 0;
        *total_bytes += lens[i];
    }
    pretok_free(pre);
    free(wt->slots);
    wt->slots = NULL;
    return rc;
}

/* Step 2: every adjacent pair of symbols in every word, weighted by the word's count, each pair
 * remembering the words it occurs in; all of them queued. */
static void count_pairs(PairTable *pt, Heap *heap, const WordTable *wt, const int32_t *sym) {
    pair_table_grow(pt);
    for (uint32_t w = 0; w < wt->n_words; w++) {
        const Word *wd = &wt->words[w];
        const int32_t *s = sym + wd->off;
        for (uint32_t i = 0; i + 1 < wd->n_sym; i++) {
            uint32_t p = pair_get(pt, s[i], s[i + 1]);
            pt->v[p].count += wd->count;
            pair_note_word(&pt->v[p], w);
        }
    }
    for (uint32_t p = 0; p < pt->n; p++) queue_pair(heap, pt, p);
}

/* The pairs whose count grew during one merge, to queue again once it is done. */
typedef struct {
    uint32_t *v;
    size_t n, cap;
    int32_t merge; /* the merge they belong to: a pair is listed once a merge */
} Touched;

static void touch_pair(Touched *t, Pair *pair, uint32_t p) {
    if (pair->pushed_at == t->merge) return;
    pair->pushed_at = t->merge;
    if (t->n == t->cap) t->v = gb_realloc(t->v, (t->cap = t->cap ? 2 * t->cap : 256) * sizeof(uint32_t));
    t->v[t->n++] = p;
}

/* Rewrites word w with A B merged into C: un-counts its old pairs, counts its new ones, and notes the
 * words and the grown pairs of those that contain C. */
static void merge_in_word(PairTable *pt, WordTable *wt, int32_t *sym, uint32_t w, int32_t A, int32_t B, int32_t C,
                          Touched *touched) {
    Word *wd = &wt->words[w];
    int32_t *s = sym + wd->off;
    uint32_t n = wd->n_sym, i;
    for (i = 0; i + 1 < n; i++)
        if (s[i] == A && s[i + 1] == B) break;
    if (i + 1 >= n) return; /* the pair has left this word already */
    for (i = 0; i + 1 < n; i++) pt->v[pair_get(pt, s[i], s[i + 1])].count -= wd->count;
    uint32_t o = 0;
    for (i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == A && s[i + 1] == B) {
            s[o++] = C;
            i++;
        } else {
            s[o++] = s[i];
        }
    }
    wd->n_sym = n = o;
    for (i = 0; i + 1 < n; i++) {
        uint32_t p = pair_get(pt, s[i], s[i + 1]);
        pt->v[p].count += wd->count;
        if (s[i] == C || s[i + 1] == C) {
            pair_note_word(&pt->v[p], w);
            touch_pair(touched, &pt->v[p], p);
        }
    }
}

static void log_last_merges(FILE *log, const TokenList *tl, size_t n_merges) {
    size_t from = n_merges > 8 ? n_merges - 8 : 0;
    fprintf(log, "train-tokenizer: the last merges:\n");
    for (size_t m = from; m < n_merges; m++) {
        char s[96];
        token_display((const char *)tl->bytes[256 + m], tl->lens[256 + m], s, sizeof s);
        fprintf(log, "  %zu \"%s\"\n", 256 + m, s);
    }
}

/* Step 4: the learned tokens, <|endoftext|> last, and the merges as a Tokenizer. */
static Tokenizer *make_tokenizer(TokenList *tl, const int32_t *merges, size_t n_merges, int pattern, char *err) {
    const uint8_t eot[] = "<|endoftext|>";
    token_list_add(tl, eot, 13, NULL, 0);
    int n_tokens = (int)tl->n;
    uint8_t *special = gb_calloc((size_t)n_tokens, 1);
    special[n_tokens - 1] = 1;
    size_t *tlens = gb_malloc((size_t)n_tokens * sizeof(size_t));
    for (int i = 0; i < n_tokens; i++) tlens[i] = tl->lens[i];
    Tokenizer *t = tokenizer_from_merges("bpe_train", n_tokens, (const char *const *)tl->bytes, tlens, special, merges,
                                         n_merges, pattern, n_tokens - 1, n_tokens - 1, err);
    free(special);
    free(tlens);
    return t;
}

Tokenizer *bpe_train_log(const char *const *texts, const size_t *lens, size_t n_texts, int vocab_size,
                         int pattern, FILE *log, char *err) {
    if (vocab_size < 257) {
        gb_seterr(err, "vocabulary size %d is too small (256 bytes + <|endoftext|> at least)", vocab_size);
        return NULL;
    }
    for (size_t i = 0; i < n_texts; i++)
        if (lens[i] > UINT32_MAX) {
            gb_seterr(err, "text %zu is too long (%zu bytes; the limit is 4 GiB)", i, lens[i]);
            return NULL;
        }
    double t0 = gb_now();
    WordTable wt = {0};
    size_t total_bytes;
    if (count_words(&wt, texts, lens, n_texts, pattern, &total_bytes, err) != 0) {
        free(wt.bytes);
        free(wt.words);
        return NULL;
    }
    if (log)
        fprintf(log, "train-tokenizer: %zu bytes, %zu distinct chunks (%.2f s); %d merges to go\n", total_bytes,
                wt.n_words, gb_now() - t0, vocab_size - 257);

    int32_t *sym = gb_malloc((wt.bytes_len ? wt.bytes_len : 1) * sizeof(int32_t)); /* (bytes_len) */
    for (size_t i = 0; i < wt.bytes_len; i++) sym[i] = wt.bytes[i];
    PairTable pt = {0};
    Heap heap = {0};
    count_pairs(&pt, &heap, &wt, sym);

    TokenList tl = {0};
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        token_list_add(&tl, &byte, 1, NULL, 0);
    }
    int32_t *merges = gb_malloc((size_t)(vocab_size - 257 + 1) * 2 * sizeof(int32_t)); /* (merges, 2) */
    size_t n_merges = 0;
    Touched touched = {0};
    double t_merge = gb_now(), t_report = t_merge;

    /* Step 3: merge the most frequent pair until the vocabulary is full. */
    while (tl.n < (size_t)vocab_size - 1 && heap.n > 0) {
        Candidate c = heap_pop(&heap);
        Pair *best = &pt.v[c.pair];
        if (c.count != best->count) { /* stale: re-queue a count that has dropped */
            if (best->count > 0 && best->count < c.count) queue_pair(&heap, &pt, c.pair);
            continue;
        }
        if (c.count <= 0) break;
        int32_t A = best->a, B = best->b, C = (int32_t)tl.n;
        token_list_add(&tl, tl.bytes[A], tl.lens[A], tl.bytes[B], tl.lens[B]);
        merges[2 * n_merges] = A;
        merges[2 * n_merges + 1] = B;
        n_merges++;
        uint32_t *where = best->where; /* merging rewrites best's own list of words */
        uint32_t n_where = best->n_where;
        best->where = NULL;
        best->n_where = best->cap_where = 0;
        touched.n = 0;
        touched.merge = (int32_t)n_merges;
        for (uint32_t k = 0; k < n_where; k++) merge_in_word(&pt, &wt, sym, where[k], A, B, C, &touched);
        free(where);
        for (size_t k = 0; k < touched.n; k++) queue_pair(&heap, &pt, touched.v[k]);
        if (log && (gb_now() - t_report > 1.0 || tl.n == (size_t)vocab_size - 1)) {
            t_report = gb_now();
            fprintf(log, "train-tokenizer: %zu/%d merges, %.0f merges/s, last:\n", n_merges, vocab_size - 257,
                    (double)n_merges / (t_report - t_merge + 1e-9));
            log_merge(log, &tl, A, B, c.count);
        }
    }
    if (log) {
        fprintf(log, "train-tokenizer: %zu merges in %.2f s (%.2f s in all)%s\n", n_merges, gb_now() - t_merge,
                gb_now() - t0, tl.n < (size_t)vocab_size - 1 ? "; the corpus ran out of pairs" : "");
        log_last_merges(log, &tl, n_merges);
    }

    Tokenizer *t = make_tokenizer(&tl, merges, n_merges, pattern, err);
    for (size_t i = 0; i < tl.n; i++) free(tl.bytes[i]);
    free(tl.bytes);
    free(tl.lens);
    free(merges);
    free(touched.v);
    free(heap.v);
    for (size_t p = 0; p < pt.n; p++) free(pt.v[p].where);
    free(pt.v);
    free(pt.slots);
    free(sym);
    free(wt.bytes);
    free(wt.words);
    return t;
}

Tokenizer *bpe_train(const char *const *texts, const size_t *lens, size_t n_texts, int vocab_size, int pattern,
                     char *err) {
    return bpe_train_log(texts, lens, n_texts, vocab_size, pattern, NULL, err);
}
