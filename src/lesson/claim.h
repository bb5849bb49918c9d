/* Claims: what a lesson says the loaded model or a tokenizer shows, written so that it can be measured.
 * A lesson's `expect:` line (and a task's `check:` line) is one comparison
 *
 *     MEASURE OP VALUE        e.g.  expect: prob " a" >= 30%
 *                                   expect: bits "join(a, b)" < bits "joinpath(a, b)"
 *
 * where VALUE is a number (`40%` means 0.4), a "quoted string" or another measure. Each measure is
 * computed on the session as the step's scene left it, with the same computations the answers use, so
 * a claim that held on the model the lesson was written for can be checked on any other (lessons/README.md
 * lists the measures). No terminal code; lesson_parse.c parses the lines, lesson.c and lesson_check.c
 * run them. */
#ifndef GB_CLAIM_H
#define GB_CLAIM_H

#include <stddef.h>

#include "session.h"
#include "tokenlab.h"

typedef enum {
    MEASURE_NUMBER,        /* a literal number */
    MEASURE_STRING,        /* a literal string */
    MEASURE_TOKENS,        /* tokens [VOCAB] "TEXT": TEXT's token count (model, gpt2, cl100k, o200k) */
    MEASURE_CHARS,         /* chars "TEXT": its code points */
    MEASURE_PROB,          /* prob "TOKEN": its probability next, at the scene's T (after any cut) */
    MEASURE_PROB_T1,       /* prob-t1 "TOKEN": the same at T = 1, no cut */
    MEASURE_RANK,          /* rank "TOKEN": 1 = the likeliest next */
    MEASURE_TOP,           /* top: the likeliest next token's bytes */
    MEASURE_TOP_PROB,      /* top-prob: its probability at the scene's T */
    MEASURE_TOP_PROB_T1,   /* top-prob-t1 */
    MEASURE_ENTROPY,       /* entropy: bits, at the scene's T */
    MEASURE_ENTROPY_T1,    /* entropy-t1 */
    MEASURE_KEPT,          /* kept: tokens left after top-k and top-p */
    MEASURE_ATTN,          /* attn Q "TEXT" L H: weight from token Q (negative: from the end) to the token
                              holding TEXT's first occurrence's first byte (or token K, written #K),
                              at layer L, head H */
    MEASURE_ATTN_VIEW,     /* attn-view Q "TEXT": the same at the layer and head the attention view shows
                              (what a student has chosen, for tasks) */
    MEASURE_BEST_ATTN,     /* best-attn Q "TEXT": that weight in the layer and head that give it most */
    MEASURE_BEST_HEAD,     /* best-head Q "TEXT" L: the head of layer L that gives it most */
    MEASURE_BEST_LAYER,    /* best-layer Q "TEXT": the layer of the head that gives it most */
    MEASURE_NEIGHBOUR_RANK,/* neighbour-rank "TOKEN" "OTHER": OTHER's place among TOKEN's neighbours (1 =
                              nearest; vocabulary size + 1 when it is TOKEN itself) */
    MEASURE_SIMILARITY,    /* similarity "TOKEN" "OTHER": cosine similarity of their embeddings */
    MEASURE_BITS,          /* bits "TEXT": surprisal of TEXT fed after the scene's prompt, token by token
                              (as `score` feeds it: generated tokens do not count) */
    MEASURE_GREEDY,        /* greedy N: what N tokens of greedy generation from the scene write (stops at
                              the end-of-text token) */
    MEASURE_WRITTEN,       /* written: the text generated so far (after the prompt) */
    MEASURE_COUNT
} MeasureKind;

typedef enum { CLAIM_EQ, CLAIM_NE, CLAIM_LT, CLAIM_LE, CLAIM_GT, CLAIM_GE, CLAIM_CONTAINS, CLAIM_LACKS } ClaimOp;

enum { CLAIM_VOCAB_MODEL = -1 }; /* tokens: the loaded model's tokenizer, else LAB_R50K ... */

typedef struct {
    MeasureKind kind;
    int vocab;             /* MEASURE_TOKENS */
    char *str[2];          /* string arguments (NUL-terminated; len below), or the literal string */
    size_t len[2];
    int input[2];          /* this string argument is `{input}`: the student's answer to a task */
    int quoted[2];         /* it was written in quotes (a bare #K names token K in attn and best-*) */
    int num[3];            /* integer arguments */
    double value;          /* MEASURE_NUMBER */
    int percent;           /* a literal written with %, or a probability: shown as a percentage */
} Measure;

typedef struct {
    int line;
    char *source; /* the claim as written, for messages */
    Measure lhs, rhs;
    ClaimOp op;
} Claim;

/* What a measure came to. */
typedef struct {
    int is_text;
    double num;
    char *text; /* malloc'ed when is_text */
    size_t len;
} ClaimValue;

/* Parses "MEASURE OP VALUE" (the text after `expect:`). Returns 0, or -1 with err (no location). */
int claim_parse(Claim *c, const char *s, size_t n, char *err);
void claim_free(Claim *c);
/* 1 when the claim uses `{input}` (a task's check). */
int claim_uses_input(const Claim *c);

/* Evaluates a claim on the session. input stands for `{input}` (NULL: ""). vocabs holds the shipped
 * tokenizers, loaded on first use. Returns 1 when the claim holds, 0 when it does not (msg: "expected
 * SOURCE, measured VALUE"), -1 when it cannot be measured here (err says why). */
int claim_eval(const Claim *c, Session *s, LabVocabs *vocabs, const char *input, char *msg, size_t msgsz,
               char *err);
/* Computes one measure. Returns 0, or -1 with err. */
int claim_measure(const Measure *m, Session *s, LabVocabs *vocabs, const char *input, ClaimValue *out, char *err);
void claim_value_free(ClaimValue *v);

#endif
