/* See score.h. */
#include "score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"
#include "util.h"

int score_rank(const Distribution *d, int32_t id) {
    for (int r = 0; r < d->vocab; r++)
        if (d->order[r] == id) return r + 1;
    return d->vocab;
}

static void score_one(ScoredToken *t, const Distribution *d, int32_t id) {
    t->id = id;
    t->prob = d->probs_t1[id];
    t->logprob = log(t->prob);
    t->bits = -t->logprob / log(2.0);
    t->rank = score_rank(d, id);
}

static void add_totals(ScoreResult *r) {
    r->total_bits = 0;
    for (int i = 0; i < r->n; i++) r->total_bits += r->tokens[i].bits;
    r->mean_bits = r->n ? r->total_bits / r->n : 0;
}

int score_tokens(ScoreResult *out, Model *m, const int32_t *prefix, int n_prefix, const int32_t *cont, int n_cont,
                 char *err) {
    return score_tokens_sampled(out, m, prefix, n_prefix, cont, n_cont, NULL, err);
}

/* The chain's view of token id: its probability and rank among the survivors. */
static void score_sampled(ScoredToken *t, Distribution *d, const float *logits, const Sampler *sampler,
                          const int32_t *history, int n_history, int32_t id) {
    distribution_compute_ctx(d, logits, sampler, history, n_history);
    t->sampler_prob = d->probs[id];
    t->sampler_rank = 0;
    for (int r = 0; r < d->n_kept; r++)
        if (d->order[r] == id) t->sampler_rank = r + 1;
}

int score_tokens_sampled(ScoreResult *out, Model *m, const int32_t *prefix, int n_prefix, const int32_t *cont,
                         int n_cont, const Sampler *sampler, char *err) {
    memset(out, 0, sizeof *out);
    const Config *c = &m->config;
    if (n_prefix < 1) {
        gb_seterr(err, "score: nothing to condition on (an empty prompt and no BOS token)");
        return -1;
    }
    if (n_prefix + n_cont - 1 > c->seq_len) {
        gb_seterr(err, "score: the prompt and continuation are %d tokens but the model's context holds %d",
                  n_prefix + n_cont, c->seq_len);
        return -1;
    }
    for (int i = 0; i < n_cont; i++)
        if (cont[i] < 0 || cont[i] >= c->vocab_size) {
            gb_seterr(err, "score: token #%d is out of range (vocabulary of %d)", cont[i], c->vocab_size);
            return -1;
        }
    Sampler t1; /* T = 1, no cut: the model's own distribution */
    sampler_init(&t1, 1.0f, 0, 1.0f, 0);
    Distribution d;
    distribution_init(&d, c->vocab_size);
    out->tokens = gb_calloc(n_cont ? (size_t)n_cont : 1, sizeof *out->tokens);
    float *logits = model_forward_prompt(m, prefix, n_prefix, 0);
    if (!logits) {
        gb_seterr(err, "score: a prompt token is out of the model's range");
        distribution_free(&d);
        score_free(out);
        return -1;
    }
    int32_t *history = NULL; /* the prefix and the continuation so far, for the penalties */
    if (sampler) {
        history = gb_malloc(sizeof(int32_t) * (size_t)(n_prefix + n_cont));
        memcpy(history, prefix, sizeof(int32_t) * (size_t)n_prefix);
        memcpy(history + n_prefix, cont, sizeof(int32_t) * (size_t)n_cont);
    }
    for (int i = 0; i < n_cont; i++) {
        if (sampler) score_sampled(&out->tokens[i], &d, logits, sampler, history, n_prefix + i, cont[i]);
        distribution_compute(&d, logits, &t1);
        score_one(&out->tokens[i], &d, cont[i]);
        out->n++;
        if (i + 1 < n_cont) logits = model_forward(m, cont[i], n_prefix + i);
    }
    free(history);
    add_totals(out);
    distribution_free(&d);
    return 0;
}

int score_session(Session *s, const char *text, size_t len, char *err) {
    if (!s->has_next) {
        gb_seterr(err, "score: no prompt yet (type: prompt TEXT)");
        return -1;
    }
    TokenSpan *spans = NULL;
    int n = tokenizer_encode_ex(s->tok, text, len, TOKENIZE_CONTINUATION, &spans, err);
    if (n < 0) return -1;
    if (n == 0) {
        free(spans);
        gb_seterr(err, "score: expected a continuation to score (usage: score TEXT)");
        return -1;
    }
    if (s->n_prompt + n > s->model.config.seq_len) {
        gb_seterr(err, "score: the prompt and continuation are %d tokens but the context holds %d", s->n_prompt + n,
                  s->model.config.seq_len);
        free(spans);
        return -1;
    }
    session_back(s, s->n_tokens - s->n_prompt);
    for (int i = 0; i < n; i++)
        if (session_pick(s, spans[i].id, err) != 0) {
            free(spans);
            return -1;
        }
    free(spans);
    return 0;
}

void score_from_session(ScoreResult *out, const Session *s) {
    memset(out, 0, sizeof *out);
    int n = s->n_tokens - s->n_prompt;
    out->tokens = gb_calloc(n > 0 ? (size_t)n : 1, sizeof *out->tokens);
    for (int p = s->n_prompt; p < s->n_tokens; p++) {
        if (!s->steps[p].used) continue;
        ScoredToken *t = &out->tokens[out->n++];
        score_one(t, &s->steps[p].dist, s->tokens[p].id);
        t->start = s->tokens[p].start - (uint32_t)s->prompt_len;
        t->end = s->tokens[p].end - (uint32_t)s->prompt_len;
    }
    add_totals(out);
}

void score_free(ScoreResult *r) {
    free(r->tokens);
    memset(r, 0, sizeof *r);
}
