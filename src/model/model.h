/* A llama-architecture decoder exactly as llama.cpp reads one from GGUF: token embedding, RMSNorm,
 * rotary position embedding over adjacent pairs, grouped-query attention, SwiGLU feed-forward,
 * final norm, output head (tied to the embedding when output.weight is absent). qwen2 is the same
 * block with biases on Q, K and V and RoPE over (x[i], x[i + rope_dim/2]) pairs. Weights stay in
 * their file type, memory-mapped (kernels.h). A KV cache makes each step cost one position, and
 * probes capture what the views show during that same pass. */
#ifndef GB_MODEL_H
#define GB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "kernels.h"

/* general.architecture values glassbox runs */
typedef enum { ARCH_LLAMA = 0, ARCH_QWEN2 = 1 } Arch;

typedef struct {
    int arch;       /* Arch; the key prefix below is its name ("llama.", "qwen2.") */
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
    int rope_neox;      /* 1: rotate (x[i], x[i + rope_dim/2]) (qwen2), 0: adjacent pairs (llama) */
} Config;

typedef struct {
    float *attn_norm; /* (dim) */
    Matrix wq;        /* (n_heads * head_dim, dim) */
    Matrix wk;        /* (n_kv_heads * head_dim, dim) */
    Matrix wv;        /* (n_kv_heads * head_dim, dim) */
    float *bq;        /* (n_heads * head_dim) bias, or NULL (llama files have none; qwen2 has) */
    float *bk;        /* (n_kv_heads * head_dim) or NULL */
    float *bv;        /* (n_kv_heads * head_dim) or NULL */
    Matrix wo;        /* (dim, n_heads * head_dim) */
    float *ffn_norm;  /* (dim) */
    Matrix w_gate;    /* (hidden_dim, dim) */
    Matrix w_up;      /* (hidden_dim, dim) */
    Matrix w_down;    /* (dim, hidden_dim) */
} LayerWeights;

/* The tensors of one llama block, listed once for the loader, the writer and the trainer's view of
 * its parameters: X(LayerWeights field, GGUF name between "blk.N." and ".weight", columns, rows, kind,
 * heavy), the sizes in D (dim), Q (n_heads * head_dim), K (n_kv_heads * head_dim) and H (hidden_dim),
 * which each user defines. kind is MAT (a Matrix in the file's type) or VEC (float32); heavy marks the
 * matrices a mixed quantisation (Q4_K_M) keeps in the bigger type. In file order. */
#define LLAMA_BLOCK_TENSORS(X)                                                                       \
    X(attn_norm, "attn_norm", D, 1, VEC, 0)                                                          \
    X(wq, "attn_q", D, Q, MAT, 0)                                                                    \
    X(wk, "attn_k", D, K, MAT, 0)                                                                    \
    X(wv, "attn_v", D, K, MAT, 1)                                                                    \
    X(wo, "attn_output", Q, D, MAT, 0)                                                               \
    X(ffn_norm, "ffn_norm", D, 1, VEC, 0)                                                            \
    X(w_gate, "ffn_gate", D, H, MAT, 0)                                                              \
    X(w_up, "ffn_up", D, H, MAT, 0)                                                                  \
    X(w_down, "ffn_down", H, D, MAT, 1)
/* The optional biases (qwen2 has them): X(field, GGUF name between "blk.N." and ".bias", length). */
#define LLAMA_BLOCK_BIASES(X) X(bq, "attn_q", Q) X(bk, "attn_k", K) X(bv, "attn_v", K)

/* Matrices point into the memory-mapped file in their own type; norms and biases are float32, in
 * the map when they are stored so, else converted into `owned`. */
typedef struct {
    Matrix token_embd;    /* (vocab_size, dim) */
    LayerWeights *layers; /* (n_layers) */
    float *output_norm;   /* (dim) */
    Matrix output;        /* (vocab_size, dim); the same data as token_embd when tied */
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

/* Loads a llama GGUF. max_seq caps the positions held (0: the file's context length). No probes:
 * model_enable_probes adds them for the commands that show them. Returns 0, or -1 with err naming the
 * file and what is wrong. */
int model_load(Model *m, const char *path, int max_seq, char *err);
/* The same from a GGUF image in memory that the caller keeps alive until model_free (tests, fuzzing);
 * name is used in messages. */
int model_load_memory(Model *m, const void *data, size_t size, const char *name, int max_seq,
                      char *err);
/* A model with random weights for config c (vocab_size, seq_len and sizes must be set), for tests
 * and for `glassbox init-model`. Deterministic in seed. No probes, as model_load. */
int model_init_random(Model *m, const Config *c, uint64_t seed, char *err);
void model_free(Model *m);

/* The views' probes take layers x heads x seq_len^2 + layers x seq_len x dim floats: at most this. */
#define MODEL_PROBES_MAX_BYTES ((uint64_t)512 << 20)
/* Bytes the probes of config c take (seq_len as set); -1 on overflow. */
int model_probe_bytes(const Config *c, uint64_t *bytes);
/* Allocates the probes for the current seq_len and turns them on. Returns 0, or -1 with err (and
 * nothing allocated) when they would exceed MODEL_PROBES_MAX_BYTES. */
int model_enable_probes(Model *m, char *err);

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

/* Adds general.architecture, its keys (llama.*, qwen2.*) and the tensors (converted to type) to a
 * writer. The caller adds the tokenizer keys. Q and K rows are stored in the order the
 * architecture's RoPE expects (they are used as stored). type is a ggml type, or MODEL_TYPE_Q4_K_M:
 * Q4_K, with Q6_K for attn_v, ffn_down and the output head (as llama.cpp's Q4_K_M mostly does).
 * A matrix whose rows are not a whole number of the type's blocks is written as Q8_0 when they
 * are a multiple of 32, else F32; 1-D tensors are F32. */
#define MODEL_TYPE_Q4_K_M 1000u
void model_add_to_writer(GGUFWriter *w, const Model *m, uint32_t type);

/* Multiply-adds of weights per generated token (every matrix once; the output head included). */
double model_work_per_token(const Model *m);
/* Sets the thread count for running m from its work per token (omp_set_num_threads, which the
 * team of threads of kernels.h follows; BLAS, for the prompt's products, runs on one thread inside
 * the team): one thread below MODEL_SMALL_WORK (the shipped 2.6M-parameter model), where a team
 * costs more than it gains (a 4 ms step took 60-100 ms with 2 OpenMP threads on a loaded 2-core
 * machine); every core above it (a 135M-parameter model). */
#define MODEL_SMALL_WORK 8e6
void model_limit_threads(const Model *m);

/* out (dim) = row id of the token embedding, dequantised. Returns 0, or -1 when id is out of range. */
int model_embedding(const Model *m, int32_t id, float *out);

/* out_logits (vocab_size) = output head (final norm (residual)) for one residual row (dim): what the
 * model predicts from a residual stream, exactly as model_forward ends, in the head's own type (the
 * logit lens applies it to the residual after each layer). Reads only the weights. */
void model_logits_from_residual(const Model *m, float *out_logits, const float *residual);

/* Name of an architecture ("llama", "qwen2"). */
const char *model_arch_name(int arch);


#endif
