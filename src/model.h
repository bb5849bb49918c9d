/* A llama-architecture decoder exactly as llama.cpp reads one from GGUF: token embedding, RMSNorm,
 * rotary position embedding over adjacent pairs, grouped-query attention, SwiGLU feed-forward,
 * final norm, output head (tied to the embedding when output.weight is absent). A KV cache makes
 * each step cost one position, and probes capture what the views show during that same pass. */
#ifndef GB_MODEL_H
#define GB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

typedef struct {
    int dim;        /* llama.embedding_length */
    int hidden_dim; /* llama.feed_forward_length */
    int n_layers;   /* llama.block_count */
    int n_heads;    /* llama.attention.head_count */
    int n_kv_heads; /* llama.attention.head_count_kv (default n_heads) */
    int head_dim;   /* dim / n_heads */
    int rope_dim;   /* llama.rope.dimension_count (default head_dim); rotates the first rope_dim */
    int vocab_size; /* rows of token_embd */
    int context_length; /* llama.context_length */
    int seq_len;        /* positions the run state holds: min(context_length, the cap asked for) */
    float rope_base;    /* llama.rope.freq_base (default 10000) */
    float norm_eps;     /* llama.attention.layer_norm_rms_epsilon (default 1e-5) */
} Config;

typedef struct {
    float *attn_norm; /* (dim) */
    float *wq;        /* (n_heads * head_dim, dim) */
    float *wk;        /* (n_kv_heads * head_dim, dim) */
    float *wv;        /* (n_kv_heads * head_dim, dim) */
    float *wo;        /* (dim, n_heads * head_dim) */
    float *ffn_norm;  /* (dim) */
    float *w_gate;    /* (hidden_dim, dim) */
    float *w_up;      /* (hidden_dim, dim) */
    float *w_down;    /* (dim, hidden_dim) */
} LayerWeights;

/* F32 tensors point into the memory-mapped file; other types are converted into `owned`. */
typedef struct {
    float *token_embd;    /* (vocab_size, dim) */
    LayerWeights *layers; /* (n_layers) */
    float *output_norm;   /* (dim) */
    float *output;        /* (vocab_size, dim); the same pointer as token_embd when tied */
    int tied;
} Weights;

typedef struct {
    float *x;           /* (dim) the residual stream at the current position */
    float *xb;          /* (dim) normed input of a sub-block */
    float *xb2;         /* (dim) output of a sub-block before it joins the residual */
    float *q;           /* (n_heads * head_dim) */
    float *att_out;     /* (n_heads * head_dim) attention output, before wo */
    float *hb;          /* (hidden_dim) gate */
    float *hb2;         /* (hidden_dim) up */
    float *att;         /* (n_heads, seq_len) attention scores, then probabilities */
    float *logits;      /* (vocab_size) */
    float *key_cache;   /* (n_layers, seq_len, n_kv_heads * head_dim) */
    float *value_cache; /* (n_layers, seq_len, n_kv_heads * head_dim) */
    float *rope_cos;    /* (rope_dim / 2) rotation of each pair at the current position */
    float *rope_sin;    /* (rope_dim / 2) */
} RunState;

/* What the views read. Captured during the forward pass: computing position p writes row p. */
typedef struct {
    int enabled;
    float *attn; /* (n_layers, n_heads, seq_len, seq_len): [l][h][query][key], keys > query are 0 */
    float
        *residual; /* (n_layers, seq_len, dim): the residual stream after each layer (logit lens) */
} Probes;

typedef struct {
    GGUFFile file; /* kept open: F32 weights live in its map */
    int has_file;
    Config config;
    Weights weights;
    float *owned; /* converted or randomly initialised weights, one allocation */
    RunState state;
    Probes probes;
    char name[128]; /* general.name, else the file's base name */
} Model;

/* Loads a llama GGUF. max_seq caps the positions held (0: the file's context length). Probes are
 * allocated and on. Returns 0, or -1 with err naming the file and what is wrong. */
int model_load(Model *m, const char *path, int max_seq, char *err);
/* The same from a GGUF image in memory that the caller keeps alive until model_free (tests, fuzzing);
 * name is used in messages. */
int model_load_memory(Model *m, const void *data, size_t size, const char *name, int max_seq,
                      char *err);
/* A model with random weights for config c (vocab_size, seq_len and sizes must be set), for tests
 * and for `glassbox init-model`. Deterministic in seed. */
int model_init_random(Model *m, const Config *c, uint64_t seed, char *err);
void model_free(Model *m);

/* Runs one position: token at position pos, attending to positions 0..pos-1 already in the KV cache
 * (so stepping back is just calling again with a smaller pos). Returns the logits (vocab_size) for
 * the token after it. Writes the probes' row pos when probes are enabled. pos < config.seq_len. */
float *model_forward(Model *m, int32_t token, int pos);

/* Runs positions start_pos .. start_pos+n-1 for tokens[0..n) in one pass (matrix-matrix products
 * over the prompt), filling the KV cache and the probes exactly as n calls of model_forward would.
 * Returns the logits after the last token. Both return NULL (and compute nothing) when a token id
 * or position is out of range. */
float *model_forward_prompt(Model *m, const int32_t *tokens, int n, int start_pos);
/* The same, also writing the logits after every one of the n positions into all_logits
 * (n, vocab_size) when it is not NULL: one matrix product for the output head (for eval and score). */
float *model_forward_prompt_all(Model *m, const int32_t *tokens, int n, int start_pos,
                                float *all_logits);

/* Adds general.architecture, llama.* keys and the tensors (converted to type) to a writer. The
 * caller adds the tokenizer keys. Q and K rows are stored in the order adjacent-pair RoPE expects.
 */
void model_add_to_writer(GGUFWriter *w, const Model *m, uint32_t type);

/* Sets the process's OpenMP thread count for running m: one thread when the model is small (dim x
 * hidden <= 2^20), where a team of threads costs more than it gains and spinning threads stall a busy
 * machine (a 4 ms step took 60-100 ms with 2 threads on a loaded 2-core machine). */
void model_limit_threads(const Model *m);

/* Row of the token embedding for id (dim floats). */
const float *model_embedding(const Model *m, int32_t id);

/* logits (vocab_size) = the output head applied to a residual vector x (dim): final RMSNorm, then
 * the head, in the head's own type. What the last layer's output becomes; the logit lens applies it
 * to earlier layers. */
void model_logits_from_residual(const Model *m, const float *x, float *logits);

#endif
