/* The merge engine of byte-level BPE: one chunk's bytes to tokens, under either rule.
 *
 * A token is a byte string. Merging a chunk starts from its single bytes and repeatedly joins the
 * adjacent pair of lowest rank (leftmost on ties):
 *   - merges rule (GGUF): the pair (a, b) must be a merge rule; its rank is the rule's index;
 *   - rank rule (tiktoken): the concatenation must be a token; its rank is that token's id.
 * Short chunks are merged by a scan over packed parts; long ones use a min-heap over adjacent pairs and
 * a doubly-linked list of parts, O(n log n). Both give the same tokens. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "util.h"

enum { MEMO_BITS = 12, MEMO_SIZE = 1 << MEMO_BITS };

static void work_reserve(MergeWork *w, size_t n) {
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

void merge_work_free(MergeWork *w) {
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
static int32_t heap_pair_rank(const Tokenizer *t, MergeWork *w, const uint8_t *chunk, size_t s, size_t e, int32_t a,
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
/* The smallest of the (up to four) children of the node whose first child is c < n. */
static size_t heap_min_child(const uint64_t *h, size_t n, size_t c) {
    size_t best = c, end = c + 4 < n ? c + 4 : n;
    for (size_t k = c + 1; k < end; k++)
        if (h[k] < h[best]) best = k;
    return best;
}

static void heap_sift_down(uint64_t *h, size_t n, size_t i, uint64_t key) {
    for (size_t c = 4 * i + 1; c < n; c = 4 * i + 1) {
        size_t best = heap_min_child(h, n, c);
        if (h[best] >= key) break;
        h[i] = h[best];
        i = best;
    }
    h[i] = key;
}

/* Puts key at hole i after moving its larger ancestors down. */
static void heap_sift_up(uint64_t *h, size_t i, uint64_t key) {
    while (i > 0) {
        size_t up = (i - 1) / 4;
        if (key >= h[up]) break;
        h[i] = h[up];
        i = up;
    }
    h[i] = key;
}

static void heap_push(MergeWork *w, uint64_t key) {
    if (w->heap_n == w->heap_cap) {
        w->heap_cap = w->heap_cap ? 2 * w->heap_cap : 256;
        w->heap = gb_realloc(w->heap, w->heap_cap * sizeof(uint64_t));
    }
    heap_sift_up(w->heap, w->heap_n++, key);
}

/* Pops the minimum. The hole left at the root walks down the smaller children to a leaf, then the
 * last key rises from there: the last key is usually large, so this compares less than sifting it
 * down from the root. */
static uint64_t heap_pop(MergeWork *w) {
    uint64_t *h = w->heap;
    uint64_t top = h[0], last = h[--w->heap_n];
    size_t n = w->heap_n, i = 0;
    if (n == 0) return top;
    for (size_t c = 1; c < n; c = 4 * i + 1) {
        size_t best = heap_min_child(h, n, c);
        h[i] = h[best];
        i = best;
    }
    heap_sift_up(h, i, last);
    return top;
}

/* Recomputes the pair starting at part l (after l or its right neighbour changed) and queues it. */
static void heap_offer(const Tokenizer *t, MergeWork *w, const uint8_t *chunk, size_t len, int32_t l,
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
static void merge_heap(const Tokenizer *t, MergeWork *w, const uint8_t *chunk, size_t n, int32_t max_rank) {
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
static void merge_scan(const Tokenizer *t, MergeWork *w, const uint8_t *chunk, size_t *np, int32_t max_rank) {
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

void span_list_push(SpanList *l, int32_t id, size_t start, size_t end) {
    if (l->n == l->cap) l->v = gb_realloc(l->v, (l->cap = l->cap ? 2 * l->cap : 64) * sizeof(TokenSpan));
    l->v[l->n++] = (TokenSpan){id, (uint32_t)start, (uint32_t)end};
}

int merge_chunk(const Tokenizer *t, MergeWork *w, const uint8_t *chunk, size_t n, size_t base, int whole,
                int32_t max_rank, SpanList *out, char *err) {
    if (n == 0) return 0;
    if (whole) {
        int32_t id = n <= t->max_len ? bytes_map_find(t, &t->normal, chunk, n) : -1;
        if (id >= 0 && id < max_rank) {
            span_list_push(out, id, base, base + n);
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
        for (size_t i = 0; i < n; i++) span_list_push(out, w->ids[i], base + w->starts[i], base + w->starts[i + 1]);
    } else {
        merge_heap(t, w, chunk, n, max_rank);
        for (int32_t i = 0; i >= 0; i = w->next[i]) {
            size_t end = w->next[i] < 0 ? n : w->starts[w->next[i]];
            span_list_push(out, w->ids[i], base + w->starts[i], base + end);
        }
    }
    return 0;
}

/* The public form of pair_rank, for the tokenizer lab (tokenlab.c). */
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
