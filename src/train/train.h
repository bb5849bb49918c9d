/* The trainer: a llama-architecture decoder (exactly the block src/model/model.c runs) trained with AdamW
 * on batches of B sequences of T tokens. Parameters, gradients, AdamW moments and activations each
 * live in one allocation, addressed through a struct of pointers; each layer is a *_forward /
 * *_backward pair over flat float arrays. Every batched matrix product is a call of gemm (gemm.h). */
#ifndef GB_TRAIN_H
#define GB_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "tokenizer.h"

/* The parameter tensors, in the order they lie in memory. Shapes use C = dim, L = n_layers,
 * QD = n_heads * head_dim, KD = n_kv_heads * head_dim, H = hidden_dim, V = vocab_size. */
#define TRAIN_N_TENSORS 11
typedef struct {
    float *token_embd;  /* (V, C), also the output head (tied) */
    float *attn_norm;   /* (L, C) */
    float *wq;          /* (L, QD, C) */
    float *wk;          /* (L, KD, C) */
    float *wv;          /* (L, KD, C) */
    float *wo;          /* (L, C, QD) */
    float *ffn_norm;    /* (L, C) */
    float *w_gate;      /* (L, H, C) */
    float *w_up;        /* (L, H, C) */
    float *w_down;      /* (L, C, H) */
    float *output_norm; /* (C) */
} ParamTensors;

/* What the forward pass keeps for the backward pass, plus the backward pass's scratch. */
typedef struct {
    float *encoded;   /* (B, T, C) token embeddings: the residual stream entering layer 0 */
    float *ln1;       /* (L, B, T, C) attention-norm output */
    float *ln1_rstd;  /* (L, B, T) */
    float *q;         /* (L, B, T, QD) after RoPE */
    float *k;         /* (L, B, T, KD) after RoPE */
    float *v;         /* (L, B, T, KD) */
    float *att;       /* (L, B, NH, T, T) attention probabilities (see attention_forward) */
    float *atty;      /* (L, B, T, QD) attention output, before wo */
    float *residual2; /* (L, B, T, C) residual stream after the attention sub-block */
    float *ln2;       /* (L, B, T, C) ffn-norm output */
    float *ln2_rstd;  /* (L, B, T) */
    float *gate;      /* (L, B, T, H) */
    float *up;        /* (L, B, T, H) */
    float *hact;      /* (L, B, T, H) silu(gate) * up */
    float *residual3; /* (L, B, T, C) residual stream after the ffn sub-block */
    float *lnf;       /* (B, T, C) final-norm output */
    float *lnf_rstd;  /* (B, T) */
    float *logits;    /* (B, T, V) logits, then probabilities, then their gradient */
    float *losses;    /* (B, T) per-position loss in nats (0 where the target is ignored) */
    /* backward scratch */
    float *dres;  /* (B, T, C) gradient of the residual stream */
    float *dln;   /* (B, T, C) gradient of a norm's output */
    float *dtmp;  /* (B, T, C) projection output in the forward pass */
    float *dhact; /* (B, T, H) */
    float *dgate; /* (B, T, H) */
    float *dup;   /* (B, T, H) */
    float *datty; /* (B, T, QD) */
    float *dq;    /* (B, T, QD) */
    float *dk;    /* (B, T, KD) */
    float *dv;    /* (B, T, KD) */
    float *attn_scratch; /* (n_slots, attention_scratch_floats) per thread */
} ActTensors;
#define TRAIN_N_ACTS 30

typedef struct {
    Config config; /* rope_dim == head_dim; context_length == seq_len == T */
    int B, T;
    int n_slots; /* threads the scratch is sized for: omp_get_max_threads() at build time */
    size_t tensor_sizes[TRAIN_N_TENSORS];
    size_t n_params;
    ParamTensors params;
    float *params_memory; /* (n_params) */
    ParamTensors grads;
    float *grads_memory; /* (n_params) */
    float *m_memory;     /* (n_params) AdamW first moment */
    float *v_memory;     /* (n_params) AdamW second moment */
    ActTensors acts;
    float *acts_memory;
    float *rope_cos;        /* (T, rope_dim / 2) */
    float *rope_sin;        /* (T, rope_dim / 2) */
    const int32_t *targets; /* (B, T) of the last forward pass; negative ids are ignored */
    int n_targets;          /* targets counted in the last forward pass's loss */
    float mean_loss;        /* of the last forward pass with targets */
    double *profile;        /* (TRAIN_N_PHASES) seconds per phase, or NULL: see train_model_build */
    long profile_steps;     /* train_step calls timed */
    int profile_cpu;        /* the profile's clock: 0 wall time, 1 the calling thread's CPU time */
} TrainModel;

/* The phases of a step that GLASSBOX_TRAIN_PROFILE times. */
typedef enum {
    PH_EMBED, PH_NORM, PH_MATMUL, PH_ROPE, PH_ATTN, PH_RESID, PH_SWIGLU, PH_HEAD, PH_LOSS,
    PH_LOSS_B, PH_HEAD_B, PH_MATMUL_B, PH_NORM_B, PH_SWIGLU_B, PH_ATTN_B, PH_ROPE_B, PH_EMBED_B,
    PH_ZERO, PH_CLIP, PH_ADAMW, TRAIN_N_PHASES
} TrainPhase;

/* Allocates a trainer for config c (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * rope_base, norm_eps; head_dim is derived) and batches of B x T. Parameters are zero until
 * train_init_weights. With GLASSBOX_TRAIN_PROFILE set in the environment, train_step times each
 * phase and train_model_free prints the table to stderr (GLASSBOX_TRAIN_PROFILE=cpu: the CPU time
 * of the calling thread rather than wall time). The trainer splits every product across its OpenMP
 * threads itself (omp_get_max_threads() at build time sizes the per-thread scratch).
 * Returns 0, or -1 with err. */
int train_model_build(TrainModel *m, const Config *c, int B, int T, char *err);
void train_model_free(TrainModel *m);
/* GPT-2 style initialisation: normal(0, 0.02), output projections scaled by 1/sqrt(2L), norms 1. */
void train_init_weights(TrainModel *m, uint64_t seed);

/* Forward pass over inputs (B, T). With targets (B, T) (negative: ignored) returns the mean loss
 * over counted targets and leaves probabilities in acts.logits; with targets NULL leaves logits and
 * returns 0. */
float train_forward(TrainModel *m, const int32_t *inputs, const int32_t *targets);
void train_zero_grad(TrainModel *m);
/* Accumulates the gradient of the last forward pass's mean loss into grads (inputs as given there).
 */
void train_backward(TrainModel *m, const int32_t *inputs);
/* Scales gradients so their global L2 norm is at most max_norm; returns the norm before scaling. */
float train_clip_grad(TrainModel *m, float max_norm);
/* One AdamW step (t counts from 1). Weight decay applies to matrices only. */
void train_adamw(TrainModel *m, float lr, float beta1, float beta2, float eps, float weight_decay,
                 int t);
/* Linear warm-up over `warmup` steps, then cosine decay to 10% of peak at step `total`. step from
 * 0. */
float train_lr(long step, long total, long warmup, float peak);

/* A Model (for model_add_to_writer) whose weights point into m's parameters. Free with
 * train_view_free. */
void train_model_view(Model *out, const TrainModel *m);
void train_view_free(Model *view);
/* Sets m's parameters to src's weights (dequantised to float), to train on from there (fine-tuning,
 * or a longer context: the weights do not depend on T). src must have m's shape: a llama block with
 * no biases, the output head tied to the embedding. Returns 0, or -1 with err saying what differs. */
int train_load_weights(TrainModel *m, const Model *src, char *err);

/* ---- the training loop's pieces ---- */
typedef struct {
    long total_steps;   /* the lr schedule's length */
    long warmup;        /* linear warm-up steps */
    float lr;           /* peak learning rate */
    float weight_decay; /* on matrices */
    float grad_clip;    /* max global gradient norm */
    uint64_t seed;      /* weights and data order */
} TrainOptions;

/* Defaults: lr 3e-3, warmup 200, weight decay 0.1, clip 1.0, seed 1, total_steps 0. */
TrainOptions train_default_options(void);

/* Fills inputs and targets (B, T) with B windows of T+1 consecutive tokens whose starts depend only
 * on (seed, step). n_tokens > T. */
void train_sample_batch(int32_t *inputs, int32_t *targets, const int32_t *tokens, size_t n_tokens,
                        int B, int T, uint64_t seed, long step);
/* One optimisation step (step counts from 0): sample, forward, backward, clip, AdamW at the
 * scheduled lr. inputs and targets are (B, T) scratch. Returns the loss; *grad_norm if non-NULL. */
float train_step(TrainModel *m, const TrainOptions *o, const int32_t *tokens, size_t n_tokens,
                 long step, int32_t *inputs, int32_t *targets, float *grad_norm);
/* Held-out loss over non-overlapping windows (stride T) of tokens. Targets equal to skip_id (or
 * negative) are not counted. token_bytes (V) gives each token's length in bytes for bits per byte
 * (NULL: *bits_per_byte = 0). Returns mean nats per counted token. */
double train_evaluate(TrainModel *m, const int32_t *tokens, size_t n_tokens, int32_t skip_id,
                      const uint32_t *token_bytes, double *bits_per_byte);

/* The training data: tokenizes the files arg names (a path, or @LIST: one path a line) into one
 * stream, each file followed by sep when sep >= 0. *bytes_out is the text's length in bytes. Errors name
 * the list and line. Returns 0, or -1 with err set. */
int train_tokenize_files(const Tokenizer *tok, const char *arg, int32_t sep, int32_t **out,
                         size_t *n_out, size_t *bytes_out, char *err);

/* FNV-1a of the token ids: a checkpoint only resumes on the data it was made from. */
uint64_t train_data_hash(const int32_t *tokens, size_t n);
/* Checkpoint: config, options, step (the next step to run), data hash, weights and AdamW moments,
 * written atomically. */
int train_checkpoint_save(const TrainModel *m, const TrainOptions *o, long step, uint64_t data_hash,
                          const char *path, char *err);
/* Loads into a model built with the same config; options and data hash must match. Sets *step. */
int train_checkpoint_load(TrainModel *m, const TrainOptions *o, uint64_t data_hash, long *step,
                          const char *path, char *err);

/* ---- layers, exposed for the finite-difference tests ----
 * N = B*T rows. Backward functions accumulate (+=) into every gradient they write, except where
 * noted. */
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int N, int C,
                     float eps);
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C);
/* out (N, OC) = inp (N, C) . weight (OC, C)^T */
void matmul_forward(float *out, const float *inp, const float *weight, int N, int C, int OC);
/* dweight accumulates; dinp accumulates when accumulate is nonzero, else is overwritten. */
void matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, int accumulate);
/* In place on x (B, T, n_heads * head_dim): rotates adjacent pairs of the first rope_dim values of
 * each head by pos * base^(-2i/rope_dim), tables from rope_tables. */
void rope_tables(float *cos_out, float *sin_out, int T, int rope_dim, float base);
void rope_forward(float *x, const float *cos_t, const float *sin_t, int B, int T, int n_heads,
                  int head_dim, int rope_dim);
void rope_backward(float *dx, const float *cos_t, const float *sin_t, int B, int T, int n_heads,
                   int head_dim, int rope_dim);
/* Causal grouped-query attention. q (B, T, NH*hd), k and v (B, T, NKV*hd); out (B, T, NH*hd);
 * att (B, NH, T, T) probabilities: row i holds keys 0 .. i, then zeros up to the end of its tile of
 * query rows; what lies further right is never written (nor read by attention_backward). scratch
 * holds n_slots * attention_scratch_floats(T, hd) floats; at most n_slots threads run. */
size_t attention_scratch_floats(int T, int hd);
void attention_forward(float *out, float *att, float *scratch, int n_slots, const float *q,
                       const float *k, const float *v, int B, int T, int NH, int NKV, int hd);
/* dq is overwritten; dk and dv accumulate. scratch as for attention_forward. */
void attention_backward(float *dq, float *dk, float *dv, float *scratch, int n_slots,
                        const float *dout, const float *att, const float *q, const float *k,
                        const float *v, int B, int T, int NH, int NKV, int hd);
void swiglu_forward(float *out, const float *gate, const float *up, size_t n);
/* dgate and dup are overwritten. */
void swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                     const float *up, size_t n);
/* In place: logits (N, V) become probabilities; losses (N) get -log p[target]. Returns the summed
 * loss and sets *count to the number of targets >= 0. */
double crossentropy_forward(float *losses, float *logits, const int32_t *targets, int N, int V,
                            int *count);
/* In place: probabilities become d(sum loss * scale)/dlogits. Ignored rows become 0. */
void crossentropy_backward(float *probs, const int32_t *targets, int N, int V, float scale);

#endif
