/* The tokenizer lab's core: the same text under several vocabularies, an identifier's naming
 * variants, a source file's costliest lines, and BPE's merges replayed one at a time. No terminal
 * code: `glassbox tokenize --compare/--names/--file/--explain` (lab_cli.c) and the TUI's lab panel
 * (view_lab.c) print or draw what these functions compute. */
#ifndef GB_TOKENLAB_H
#define GB_TOKENLAB_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* ---- the shipped vocabularies, opened on first use ----
 * Loading o200k's 200k ranks takes a noticeable moment, so nothing is read until a lab feature asks. */
enum { LAB_R50K = 0, LAB_CL100K = 1, LAB_O200K = 2, LAB_N_SHIPPED = 3 };

typedef struct {
    Tokenizer *tok[LAB_N_SHIPPED]; /* NULL until first asked for */
} LabVocabs;

const char *lab_shipped_name(int i);  /* "r50k_base", "cl100k_base", "o200k_base" */
const char *lab_shipped_label(int i); /* "GPT-2 (r50k)", "GPT-4 (cl100k)", "GPT-4o (o200k)" */
/* The i-th shipped vocabulary, loaded on the first call. NULL with err when its file cannot be read. */
const Tokenizer *lab_vocab(LabVocabs *v, int i, char *err);
void lab_vocabs_free(LabVocabs *v);

/* ---- identifiers and their naming variants ----
 * Words of an identifier: '_', '-', '.', spaces and other punctuation separate words and are dropped;
 * inside a run of letters and digits a word starts at a lower-to-upper change (userName: user, Name),
 * before the last capital of a run of capitals that a lower-case letter follows (HTTPServer: HTTP,
 * Server), and at a capital after a digit (utf8Decoder: utf8, Decoder). Digits stay with the word
 * before them (utf8, sha256, HTTP2). Bytes above 0x7F count as lower-case letters. */
typedef struct {
    uint32_t start, end; /* bytes [start, end) of the identifier */
} LabSpan;

/* Writes at most max words; returns how many there are (may exceed max: only max are written). */
int lab_split_words(const char *s, size_t len, LabSpan *words, int max);

typedef enum {
    STYLE_SNAKE,         /* user_authentication_token */
    STYLE_CAMEL,         /* userAuthenticationToken */
    STYLE_PASCAL,        /* UserAuthenticationToken */
    STYLE_SCREAMING,     /* USER_AUTHENTICATION_TOKEN */
    STYLE_KEBAB,         /* user-authentication-token: not a valid Python name (it reads as a - b) */
    STYLE_ABBREV_PREFIX, /* user_auth_tok: see lab_abbreviate */
    STYLE_ABBREV_VOWELS, /* usr_athntctn_tkn: see lab_abbreviate */
    STYLE_COUNT
} NameStyle;

const char *lab_style_name(int style);  /* "snake_case", "camelCase", ..., "abbrev (4 letters)", ... */
int lab_style_valid_python(int style);  /* 0 for kebab-case */

/* The abbreviation rules, lower-case, written snake_case:
 * - STYLE_ABBREV_PREFIX: a word of up to 4 letters stays; a longer one is cut to its first 4, then loses
 *   a final vowel (authentication: auth, token: tok, string: str, user: user);
 * - STYLE_ABBREV_VOWELS: the first letter stays, the vowels a e i o u after it go, and a letter equal to
 *   the one kept before it is dropped (user: usr, message: msg, token: tkn).
 * Digits always stay. Writes the abbreviation of word w[0..n) into out (room for n + 1); returns its length. */
size_t lab_abbreviate(const char *w, size_t n, int style, char *out);

/* The text with identifiers written in a style, malloc'ed (*out_len its length). A lone identifier
 * (letters, digits, '_' and '-', nothing else but surrounding blanks) is restyled whatever its words;
 * in a line of code only the identifiers of two or more words change (keywords and one-word names stay),
 * and leading or trailing underscores (__init__, _private) are kept as they are. */
char *lab_restyle(const char *text, size_t len, int style, size_t *out_len);

/* ---- BPE merges replayed ----
 * The text is pre-tokenized as encoding does; each chunk starts as its single bytes and the merge the
 * engine performs next is applied, one at a time: the adjacent pair of lowest rank (leftmost on ties),
 * found by plain scans over tokenizer_pair_rank, independently of the engine in tokenizer_merge.c. When the
 * tokenizer takes whole chunks and the chunk is a token the merges cannot reach, a last step replaces
 * the parts by that token (rank LAB_WHOLE_CHUNK). */
#define LAB_WHOLE_CHUNK (-2)
#define LAB_REPLAY_MAX_CHUNK 4096 /* bytes: replay is quadratic in a chunk's length */

typedef struct {
    int32_t rank;                /* the merge's rank, or LAB_WHOLE_CHUNK */
    int32_t left, right, result; /* ids merged and the id they became (left = right = -1 for a whole step) */
    int at;                      /* index of the left part among the parts before this merge */
} LabMerge;

typedef struct {
    uint32_t start, end; /* the chunk's bytes in the text */
    int n_bytes;
    int32_t *bytes_ids;  /* (n_bytes) the single-byte tokens it starts from */
    LabMerge *merges;    /* (n_merges) in the order they happen */
    int n_merges;
} LabChunk;

typedef struct {
    LabChunk *chunks; /* (n_chunks) */
    int n_chunks;
    int total_merges;
} LabReplay;

/* 0, or -1 with err (a byte with no token, a chunk longer than LAB_REPLAY_MAX_CHUNK). */
int lab_replay(const Tokenizer *t, const char *text, size_t len, LabReplay *out, char *err);
void lab_replay_free(LabReplay *r);
/* The parts of chunk c after its first k merges (0 <= k <= n_merges): ids and their byte offsets
 * relative to the chunk (starts has room for n_bytes + 1: starts[count] = n_bytes). Returns the count. */
int lab_replay_state(const LabReplay *r, int c, int k, int32_t *ids, uint32_t *starts);

/* ---- a file's cost in tokens ----
 * Every token is charged to the line holding its last byte (a newline belongs to the line it ends), so
 * a token of "\n" plus the next line's indentation counts for that next line. An indentation token lies
 * wholly inside its line's leading blanks. */
typedef struct {
    int line;          /* 1-based */
    uint32_t start, end; /* the line's bytes, its newline excluded */
    int tokens;
    int indent_tokens;
} LabLineCost;

/* Fills *lines (malloc'ed, one per line) and *n_tokens. 0, or -1 with err. */
int lab_line_costs(const Tokenizer *t, const char *text, size_t len, LabLineCost **lines, int *n_lines,
                   int *n_tokens, char *err);
/* Sorts lines by tokens, most first (ties: earlier line first). */
void lab_sort_costliest(LabLineCost *lines, int n);

#endif
