/* The generation history a user steps through: a model, its tokenizer and the sampler settings; the
 * prompt tokens and the generated ones; for every generated token the distribution it was drawn from
 * (kept, so stepping back shows exactly what was there) and whether it was picked by hand. Also the
 * focus the views share (selected token, layer, head) and per-model caches (embedding norms, PCA).
 * No terminal code: the TUI, the lesson scripts and the tests drive it through these functions. */
#ifndef GB_SESSION_H
#define GB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "lens.h"
#include "model.h"
#include "sampler.h"
#include "tokenizer.h"

typedef struct {
    int32_t id;
    uint32_t start, end; /* bytes [start, end) of Session.text */
    int generated;       /* 0: part of the prompt */
    int picked;          /* chosen by hand (session_pick) rather than sampled */
    float prob;          /* generated: its probability in the distribution it was chosen from */
    float prob_t1;       /* the same at T = 1 */
} SessionToken;

typedef struct {
    Distribution dist;   /* the distribution the token at this position was chosen from */
    uint64_t rng_before; /* generator state before the draw, so a re-draw repeats it */
    int used;            /* dist is initialised */
} SessionStep;

typedef struct {
    Model model;
    int has_model;
    Tokenizer *tok; /* owned */
    char model_path[1024];
    int context_capped_from; /* session_open capped the file's context of this many positions, else 0 */
    int add_bos; /* prepend the BOS token to the prompt (tokenizer.ggml.add_bos_token) */
    Sampler sampler;

    char *text; /* (text_cap) the prompt followed by the generated tokens' bytes, NUL-terminated */
    size_t text_len, text_cap, prompt_len;

    SessionToken *tokens; /* (seq_len) tokens[0..n_tokens): all in the KV cache */
    int n_tokens, n_prompt;
    SessionStep *steps;   /* (seq_len) steps[p] for a generated token at position p */
    Distribution next;    /* the distribution for position n_tokens, from the logits at n_tokens-1 */
    int has_next;
    float *scratch;       /* (vocab) */

    int selected;    /* token index the views focus on; -1: follow the last token */
    int span_first, span_last; /* a selected span of tokens [first, last]; first < 0: none */
    int layer, head; /* attention view choice */
    uint64_t version;     /* bumped whenever a position is (re)computed */
    uint64_t *written_at; /* (seq_len) version at which each position's probes were last written */
    int32_t neigh_token; /* token the neighbours view shows; -1: the selected token's */

    float *embd_norms; /* (vocab) L2 norms of the embedding rows, computed on first use */
    float *pca;        /* (vocab, 2) PCA projection of the embeddings, computed once per model */
    float pca_min[2], pca_max[2];
    struct ViewData *view_data; /* what the views show, prepared from the above (viewdata.h) */

    /* the logit lens, cached (session_lens, session_lens_heat) */
    LensColumn lens;        /* the focused position's */
    uint64_t lens_at;       /* written_at of the position it was computed from; 0: none */
    float *lens_heat;       /* (seq_len, n_layers) one token's probability at each position and layer */
    uint64_t *lens_heat_at; /* (seq_len) written_at each row of lens_heat reflects; 0: none */
    int32_t lens_heat_token;
} Session;

/* Opens a model file (its tokenizer comes from the same GGUF, loader_open) with the probes on. max_seq
 * caps the context (0: the file's, capped so the attention probes stay within memory; the cap is then
 * noted in context_capped_from). Returns 0, or -1 with err. */
int session_open(Session *s, const char *model_path, int max_seq, char *err);
/* Takes ownership of a model and tokenizer built elsewhere (tests). */
void session_init(Session *s, Model *m, Tokenizer *tok);
void session_free(Session *s);
/* Replaces the model (on failure the old one stays). The prompt text is re-run on the new model. */
int session_load_model(Session *s, const char *path, char *err);

/* Sets the prompt and runs it through the model; the generated tokens are dropped. */
int session_set_prompt(Session *s, const char *text, size_t len, char *err);
/* Samples n tokens (stops early with an error when the context is full). Returns tokens added. */
int session_step(Session *s, int n, char *err);
/* Removes up to n generated tokens, restoring the distribution each was drawn from. Returns count. */
int session_back(Session *s, int n);
/* Appends token id by hand as the next token. */
int session_pick(Session *s, int32_t id, char *err);
/* Draws all generated tokens again, from the same seed (new_seed 0) or the next seed (new_seed 1). */
int session_resample(Session *s, int new_seed, char *err);

/* Sampler settings: the current step's distribution is re-shaped at once from its stored logits. */
int session_set_temp(Session *s, float t, char *err);
int session_set_topk(Session *s, int k, char *err);
int session_set_topp(Session *s, float p, char *err);
/* The other knobs by name (sampler_set_value: min-p, typical, repeat-penalty, ...) and the chain's
 * order (sampler_set_chain), re-shaping the current step the same way. */
int session_set_sampler_value(Session *s, const char *name, double v, char *err);
int session_set_samplers(Session *s, const char *list, char *err);
/* Every setting and the chain of settings (not its seed or generator state). */
void session_set_sampler(Session *s, const Sampler *settings);
void session_set_seed(Session *s, uint64_t seed);

int session_select(Session *s, int index, char *err); /* -1: follow the last token */
int session_selected(const Session *s);               /* the effective index, -1 when no tokens */
/* Selects the tokens from first to last (inclusive, either order) as a span and focuses `last`, the
 * end that moves when the span grows (shift+arrows); first = -1 clears the span. */
int session_select_span(Session *s, int first, int last, char *err);
/* Whether a span is selected (clamped to the tokens there are): [*first, *last]. */
int session_span(const Session *s, int *first, int *last);
/* The attention of the chosen layer and head around the span: receives[q] (n_tokens) is how much
 * query q puts on the span's keys, gives[k] (n_tokens) how much the span's queries put on key k.
 * Returns the totals (*received: summed over every query; *given: over every key, which is the
 * span's length, each query's row summing to 1), or -1 without a span or probes. */
int session_span_attention(const Session *s, int layer, int head, float *receives, float *gives, double *received,
                           double *given);
int session_set_layer(Session *s, int layer, char *err);
int session_set_head(Session *s, int head, char *err);

/* The k tokens nearest to id by cosine similarity of their embeddings (id itself excluded), best
 * first. Returns how many were written. */
int session_neighbours(Session *s, int32_t id, int k, int32_t *ids, float *sims);
/* The PCA projection (vocab, 2), computed on first call. */
const float *session_pca(Session *s);

/* Resolves a token written by a user: "#123" an id, otherwise the exact bytes of one token. Returns
 * the id, or -1 with err ("pick: no single token is 'xyz' (it splits into 2 tokens)"). */
int32_t session_find_token(const Session *s, const char *bytes, size_t len, int by_id, int32_t id,
                           const char *what, char *err);

/* The logit lens at the focused position (session_selected), k tokens a layer, following the token
 * that came next (the last layer's top at the last position). Computed when first asked for, then
 * kept until that position is recomputed. NULL when there are no tokens or the model keeps no probes. */
const LensColumn *session_lens(Session *s, int k);
/* (n_tokens, n_layers): the probability each layer's lens gives token at every position, rows
 * recomputed only for positions written since. NULL as session_lens. */
const float *session_lens_heat(Session *s, int32_t token);

/* Printable form of a token (token_display), into out. */
char *session_token_label(const Session *s, int32_t id, char *out, size_t outsz);
/* Number of code points in the text (for "tokens vs characters"). */
int session_char_count(const Session *s);
/* Attention weights row of query position q for the chosen layer and head: (n_tokens) floats, or NULL
 * when the model keeps no probes. */
const float *session_attention_row(const Session *s, int layer, int head, int q);

#endif
