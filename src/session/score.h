/* Teacher-forced scoring: how surprised the model is by a given continuation of a prompt. The
 * continuation is fed token by token whatever the model would have sampled, and each token is scored
 * by the distribution it was fed into, at T = 1 with no cut: its probability, its rank in that
 * distribution and its surprisal -log2(p) in bits.
 *
 * Tokenisation: the prompt and the continuation are tokenised separately and the continuation's tokens
 * follow the prompt's, which is how `generate` and the TUI build a text (the prompt's tokens, then one
 * token per step). So a continuation scores exactly the path a sampler would have had to take to write
 * it token by token, and a `generate` output scores as the steps that produced it whenever its text
 * tokenises back into the same tokens (scoring by ids, `score --ids`, needs no such luck). */
#ifndef GB_SCORE_H
#define GB_SCORE_H

#include <stdint.h>

#include "model.h"
#include "session.h"

typedef struct {
    int32_t id;
    uint32_t start, end; /* bytes [start, end) of the continuation (0, 0 when scored by ids) */
    double prob;         /* p at T = 1 (the sampler's probs_t1) */
    double logprob;      /* log(prob), natural */
    double bits;         /* -log2(prob) */
    int rank;            /* 1 = the likeliest token of that distribution */
    double sampler_prob; /* with a sampler: its probability after the chain (0 when a stage cut it) */
    int sampler_rank;    /* with a sampler: its rank among the chain's survivors, 0 when cut */
} ScoredToken;

typedef struct {
    ScoredToken *tokens; /* (n) */
    int n;
    double total_bits, mean_bits;
} ScoreResult;

/* Scores cont[0..n_cont) after prefix[0..n_prefix) (prefix non-empty: BOS and the prompt) with the model.
 * The model's context must hold n_prefix + n_cont - 1 positions. Returns 0, or -1 with err. */
int score_tokens(ScoreResult *out, Model *m, const int32_t *prefix, int n_prefix, const int32_t *cont, int n_cont,
                 char *err);
/* The same, also scoring each token under the sampler's chain (the penalties see the prefix and the
 * continuation before the token): sampler_prob and sampler_rank. sampler may be NULL. */
int score_tokens_sampled(ScoreResult *out, Model *m, const int32_t *prefix, int n_prefix, const int32_t *cont,
                         int n_cont, const Sampler *sampler, char *err);
/* Teacher-forces text after the session's prompt: the generated tokens are dropped and text's tokens
 * appended by hand (session_pick), each with the distribution it was fed into kept for the views. */
int score_session(Session *s, const char *text, size_t len, char *err);
/* The scores of the session's generated tokens, from their stored distributions. */
void score_from_session(ScoreResult *out, const Session *s);
void score_free(ScoreResult *r);

/* 1-based rank of id in d's order. */
int score_rank(const Distribution *d, int32_t id);

#endif
