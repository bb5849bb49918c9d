/* Sampling the next token: a chain of stages whose order the user sets (llama.cpp's samplers and
 * names): repetition / presence / frequency penalties over the last N tokens, top-k, typical-p,
 * top-p, min-p, temperature (T = 0 is argmax) and greedy; then a seeded generator that gives the same
 * choices on every machine. The whole distribution is kept, after the chain and at T = 1 with no
 * cut, and every stage leaves a record (what it kept, the mass it removed, the probabilities after
 * it) so the views can show why the drawn token was drawn. */
#ifndef GB_SAMPLER_H
#define GB_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    STAGE_PENALTIES, /* repeat, presence and frequency penalties on the logits */
    STAGE_TOP_K,
    STAGE_TYPICAL,
    STAGE_TOP_P,
    STAGE_MIN_P,
    STAGE_TEMP,
    STAGE_GREEDY, /* keeps the most likely token only */
    STAGE_KINDS
} StageKind;

#define SAMPLER_MAX_STAGES STAGE_KINDS /* each stage at most once */
/* Rows of the chain table kept with every distribution: the likeliest tokens entering the chain. */
#define CHAIN_ROWS 8

typedef struct {
    float temperature;       /* 0 = argmax */
    int top_k;               /* 0 = off */
    float top_p;             /* 1 = off */
    float min_p;             /* 0 = off */
    float typical_p;         /* 1 = off */
    float repeat_penalty;    /* 1 = off: positive logits of recent tokens divided, negative multiplied */
    float presence_penalty;  /* 0 = off: subtracted once from each recent token's logit */
    float frequency_penalty; /* 0 = off: subtracted once per occurrence */
    int repeat_last_n;       /* how many recent tokens the penalties look at; 0 = none, -1 = all */
    int n_stages;
    uint8_t stages[SAMPLER_MAX_STAGES]; /* StageKind, in the order they run */
    uint64_t seed;
    uint64_t rng; /* generator state, derived from seed */
} Sampler;

/* What one stage of the chain did. Probabilities are those of the distribution renormalised over the
 * tokens still in; a token's probability after the stage is weight(t) * inv_z for the survivors,
 * weight(t) = exp((adjusted[t] - max) / temperature) (1 when onehot). */
typedef struct {
    uint8_t kind;        /* StageKind */
    int active;          /* 0: its setting is off, it changed nothing */
    int n_in, n_kept;    /* tokens entering it and surviving it */
    float removed;       /* probability mass (of its input) of the tokens it cut */
    float temperature;   /* the temperature in effect after it (1 until temp runs) */
    int onehot;          /* greedy or T = 0: one token with probability 1 */
    double inv_z;
    float prob[CHAIN_ROWS + 1]; /* after it, for chain_ids (0 = cut); the last row is the drawn token */
    int rank[CHAIN_ROWS + 1];   /* 1-based rank among the survivors, 0 = cut */
} ChainStage;

typedef struct {
    int vocab;
    float *logits;   /* (vocab) copy of the logits this distribution came from */
    float *adjusted; /* (vocab) the logits after the penalties (a copy of logits when none ran) */
    float *probs;    /* (vocab) after the whole chain (renormalised) */
    float *probs_t1; /* (vocab) softmax(logits), no cut */
    int32_t *order;  /* (vocab) the kept tokens, then the cut ones, each by adjusted logit descending
                        (ties: lower id first); without typical-p simply the logit order */
    uint8_t *cut_at; /* (vocab) index of the stage that cut each token, n_stages for the kept */
    int n_kept;      /* tokens left after the chain: order[0..n_kept) */
    float adj_max;   /* the largest adjusted logit (-inf when all are NaN) */
    float entropy;   /* bits, of probs */
    float entropy_t1;/* bits, of probs_t1 */
    float temperature, top_p; /* copies of the settings, for the views */
    int top_k;
    Sampler settings; /* the settings it was computed with (the generator state is not used) */
    int n_stages;
    ChainStage stages[SAMPLER_MAX_STAGES];
    int32_t chain_ids[CHAIN_ROWS + 1]; /* the rows of the table: the first n_chain of the order
                                          entering the chain; chain_ids[CHAIN_ROWS] the drawn token */
    int n_chain;
    float chain_prob_in[CHAIN_ROWS + 1]; /* their probability entering the chain (T = 1, adjusted) */
    int32_t drawn;                       /* -1 until distribution_note_drawn */
} Distribution;

/* The settings of today's three knobs; every other stage off; the default chain (llama.cpp's order). */
void sampler_init(Sampler *s, float temperature, int top_k, float top_p, uint64_t seed);
void sampler_reseed(Sampler *s, uint64_t seed);
/* The default chain: penalties, top-k, typical, top-p, min-p, temp. */
void sampler_default_chain(Sampler *s);
/* Parses a comma-separated list of stage names (penalties, top-k, typical, top-p, min-p, temp,
 * greedy; llama.cpp's spellings top_k, typ_p, temperature ... are accepted) into the chain. Each
 * stage at most once; penalties, when listed, first (they change the logits the others read).
 * Returns 0, or -1 with err (GB_ERRLEN) and the chain unchanged. */
int sampler_set_chain(Sampler *s, const char *list, char *err);
/* The chain as a list sampler_set_chain reads back ("penalties,top-k,typical,top-p,min-p,temp"). */
char *sampler_chain_string(const Sampler *s, char *out, size_t outsz);
const char *sampler_stage_name(int kind);
/* Sets one knob by its option name without the dashes: "temp", "top-k", "top-p", "min-p", "typical",
 * "repeat-penalty", "repeat-last-n", "presence-penalty", "frequency-penalty". Returns 0, or -1 with
 * err naming the allowed range. */
int sampler_set_value(Sampler *s, const char *name, double v, char *err);
/* Whether two samplers give the same distributions (every setting and the chain; not the generator). */
int sampler_same_settings(const Sampler *a, const Sampler *b);

void distribution_init(Distribution *d, int vocab);
void distribution_free(Distribution *d);
/* Fills d from logits with the sampler's chain; no earlier tokens (penalties have nothing to do). */
void distribution_compute(Distribution *d, const float *logits, const Sampler *s);
/* The same with the context: history[0..n_history) are the tokens before this position, which the
 * penalties look at (the last repeat_last_n of them). */
void distribution_compute_ctx(Distribution *d, const float *logits, const Sampler *s, const int32_t *history,
                              int n_history);
/* Records token id as drawn from d: its probability and rank after every stage go into the chain
 * table's last row. */
void distribution_note_drawn(Distribution *d, int32_t id);
/* Probability of token id after stage `stage` of d (-1: entering the chain, adjusted logits at T 1). */
double distribution_stage_prob(const Distribution *d, int stage, int32_t id);
/* 1-based rank of token id among the survivors of stage `stage` (-1: entering), 0 when cut. */
int distribution_stage_rank(const Distribution *d, int stage, int32_t id);
/* Draws a token from d.probs (argmax when T = 0), advancing the generator. */
int32_t sampler_sample(Sampler *s, const Distribution *d);
/* Uniform float in [0, 1) from the generator (exposed for tests). */
float sampler_uniform(Sampler *s);

#endif
