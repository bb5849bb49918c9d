/* What the tokenizer's files share; tokenizer.h is the interface, and nothing outside them includes
 * this. The files:
 *   tokenizer.c          the Tokenizer: its maps, building a vocabulary, special tokens, encode and
 *                        decode, the queries, SentencePiece from pieces or from a BPE vocabulary;
 *   tokenizer_merge.c    the merge engine: one chunk's bytes to tokens, by merges or by ranks;
 *   tokenizer_gguf.c     GGUF vocabularies (byte-to-unicode tokens and merges, or SentencePiece
 *                        pieces), read and written;
 *   tokenizer_tiktoken.c tiktoken rank files;
 *   pretok.c             the pre-tokenizers' regexes and the matching;
 *   tokenizer_spm.c      SentencePiece's pieces and merge algorithm. */
#ifndef GB_TOKENIZER_INTERNAL_H
#define GB_TOKENIZER_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "tokenizer.h"
#include "tokenizer_spm.h"
#include "util.h"

enum { TOK_MISSING = 0, TOK_NORMAL = 1, TOK_SPECIAL = 2 };

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

/* ---- the maps' lookups: inline, as the merge engine asks them for every pair it considers ---- */

static inline const uint8_t *tok_bytes(const Tokenizer *t, int32_t id) { return t->blob + t->tok_off[id]; }

static inline int32_t bytes_map_find(const Tokenizer *t, const BytesMap *m, const uint8_t *s, size_t n) {
    if (!m->slots) return -1;
    uint32_t i = (uint32_t)gb_hash_bytes(s, n) & m->mask;
    for (;;) {
        int32_t id = m->slots[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && memcmp(tok_bytes(t, id), s, n) == 0) return id;
        i = (i + 1) & m->mask;
    }
}

static inline uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t)(uint32_t)a << 32 | (uint32_t)b; }

static inline int pair_map_find(const PairMap *m, int32_t a, int32_t b, int32_t *result) {
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

/* ---- building a vocabulary (tokenizer.c), for the GGUF and tiktoken readers ---- */

/* A vocabulary under construction: token bytes appended in id order. */
typedef struct {
    Tokenizer *t;
    size_t blob_len, blob_cap;
} VocabBuilder;

Tokenizer *vocab_begin(VocabBuilder *vb, int n_vocab);
/* Sets token id to bytes, of kind TOK_*. */
void vocab_set(VocabBuilder *vb, int32_t id, const uint8_t *bytes, size_t len, int kind);
/* Builds the maps and the pre-tokenizer once every token is set. Returns 0, or -1 with err naming a
 * duplicate token. */
int vocab_finish(Tokenizer *t, const char *name, int pattern, char *err);
/* Sets bos and eos (-1: none). Returns 0, or -1 when an id is not a token of the vocabulary. */
int vocab_set_bos_eos(Tokenizer *t, const char *name, int64_t bos, int64_t eos, char *err);
/* Makes room for n_merges merge rules, added in rank order by vocab_add_merge. */
void vocab_begin_merges(Tokenizer *t, size_t n_merges);
/* Adds merge rule number n_merges: a + b. Returns 0, or -1 when the result is not a token. */
int vocab_add_merge(Tokenizer *t, const char *name, int32_t a, int32_t b, char *err);

/* ---- the merge engine (tokenizer_merge.c) ---- */

/* Scratch buffers reused across the chunks of one encode call; zero-initialise, free with
 * merge_work_free. */
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
} MergeWork;

void merge_work_free(MergeWork *w);

/* A growing list of encoded tokens. */
typedef struct {
    TokenSpan *v;
    size_t n, cap;
} SpanList;

void span_list_push(SpanList *l, int32_t id, size_t start, size_t end);

/* Encodes one chunk at text offset base into out, merging only pairs of rank below max_rank.
 * whole: a chunk that is a token is taken whole. Returns 0, or -1 (a byte without a token) with err. */
int merge_chunk(const Tokenizer *t, MergeWork *w, const uint8_t *chunk, size_t n, size_t base, int whole,
                int32_t max_rank, SpanList *out, char *err);

#endif
