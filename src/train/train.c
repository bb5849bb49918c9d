/* The trainer (see train.h): forward and backward passes of the llama block over flat arrays,
 * AdamW, the training data (tokenized once; windows sampled as a pure function of (seed, step)) and
 * the checkpoint (written atomically). `glassbox train` itself is src/cli/train_cli.c. */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "train_ops.h"
#include "gguf.h"
#include "tokenizer.h"
#include "rng.h"
#include "files.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------------- */
/* the model (its layers are in train_layers.c and train_attn.c) */

/* The profile's clock: wall time, or with GLASSBOX_TRAIN_PROFILE=cpu the CPU time of the calling
 * thread (steadier on a busy machine; with one thread, all of the work). */
static double profile_now(const TrainModel *m) {
    if (!m->profile_cpu) return gb_now();
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs stmt, adding its time to phase ph of m's profile when profiling is on. */
#define TIMED(m, ph, stmt)                                                                         \
    do {                                                                                           \
        double t0_ = (m)->profile ? profile_now(m) : 0.0;                                           \
        stmt;                                                                                      \
        if ((m)->profile) (m)->profile[ph] += profile_now(m) - t0_;                                 \
    } while (0)

static void tensor_sizes(size_t sizes[TRAIN_N_TENSORS], const Config *c) {
    size_t C = c->dim, L = c->n_layers, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim, V = c->vocab_size;
    sizes[0] = V * C;
    sizes[1] = L * C;
    sizes[2] = L * QD * C;
    sizes[3] = L * KD * C;
    sizes[4] = L * KD * C;
    sizes[5] = L * C * QD;
    sizes[6] = L * C;
    sizes[7] = L * H * C;
    sizes[8] = L * H * C;
    sizes[9] = L * C * H;
    sizes[10] = C;
}

/* Points each tensor of t into memory, in order. */
static void point_params(ParamTensors *t, float *memory, const size_t sizes[TRAIN_N_TENSORS]) {
    float **ptrs[TRAIN_N_TENSORS] = {&t->token_embd, &t->attn_norm, &t->wq,         &t->wk,
                                     &t->wv,         &t->wo,        &t->ffn_norm,   &t->w_gate,
                                     &t->w_up,       &t->w_down,    &t->output_norm};
    for (int i = 0; i < TRAIN_N_TENSORS; i++) {
        *ptrs[i] = memory;
        memory += sizes[i];
    }
}

/* Norm weights are vectors: no weight decay. */
static int tensor_is_matrix(int i) {
    return i != 1 && i != 6 && i != 10;
}

static size_t act_sizes(size_t sizes[TRAIN_N_ACTS], const Config *c, int B, int T, int n_slots) {
    size_t C = c->dim, L = c->n_layers, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim, V = c->vocab_size,
           NH = c->n_heads, BT = (size_t)B * T;
    size_t s[TRAIN_N_ACTS] = {
        BT * C,                  /* encoded */
        L * BT * C,              /* ln1 */
        L * BT,                  /* ln1_rstd */
        L * BT * QD,             /* q */
        L * BT * KD,             /* k */
        L * BT * KD,             /* v */
        L * B * NH * T * T,      /* att */
        L * BT * QD,             /* atty */
        L * BT * C,              /* residual2 */
        L * BT * C,              /* ln2 */
        L * BT,                  /* ln2_rstd */
        L * BT * H,              /* gate */
        L * BT * H,              /* up */
        L * BT * H,              /* hact */
        L * BT * C,              /* residual3 */
        BT * C,                  /* lnf */
        BT,                      /* lnf_rstd */
        BT * V,                  /* logits */
        BT,                      /* losses */
        BT * C,                  /* dres */
        BT * C,                  /* dln */
        BT * C,                  /* dtmp */
        BT * H,                  /* dhact */
        BT * H,                  /* dgate */
        BT * H,                  /* dup */
        BT * QD,                 /* datty */
        BT * QD,                 /* dq */
        BT * KD,                 /* dk */
        BT * KD,                 /* dv */
        attention_scratch_floats(T, c->head_dim) * n_slots, /* attn_scratch */
    };
    size_t total = 0;
    for (int i = 0; i < TRAIN_N_ACTS; i++)
        total += (sizes[i] = s[i]);
    return total;
}

static void point_acts(ActTensors *a, float *memory, const size_t sizes[TRAIN_N_ACTS]) {
    float **ptrs[TRAIN_N_ACTS] = {
        &a->encoded, &a->ln1,   &a->ln1_rstd,  &a->q,    &a->k,        &a->v,
        &a->att,     &a->atty,  &a->residual2, &a->ln2,  &a->ln2_rstd, &a->gate,
        &a->up,      &a->hact,  &a->residual3, &a->lnf,  &a->lnf_rstd, &a->logits,
        &a->losses,  &a->dres,  &a->dln,       &a->dtmp, &a->dhact,    &a->dgate,
        &a->dup,     &a->datty, &a->dq,        &a->dk,   &a->dv,       &a->attn_scratch};
    for (int i = 0; i < TRAIN_N_ACTS; i++) {
        *ptrs[i] = memory;
        memory += sizes[i];
    }
}

/* n zeroed floats. Where the kernel gives transparent huge pages only on request (Debian's default),
 * asks for them: every product and pass streams through these arrays, and with 4 KB pages the
 * 12 rows a micro-kernel reads at once, 16 KB apart in the logits, cost a page walk each. */
static float *big_calloc(size_t n) {
    float *p = gb_calloc(n, sizeof(float));
#ifdef MADV_HUGEPAGE
    size_t huge = (size_t)2 << 20, bytes = n * sizeof(float);
    uintptr_t lo = ((uintptr_t)p + huge - 1) / huge * huge, hi = ((uintptr_t)p + bytes) / huge * huge;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice: failure changes nothing */
#endif
    return p;
}

int train_model_build(TrainModel *m, const Config *cin, int B, int T, char *err) {
    memset(m, 0, sizeof(*m));
    Config c = *cin;
    if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.vocab_size <= 0 ||
        B <= 0 || T <= 0) {
        gb_seterr(err, "train: sizes must be positive");
        return -1;
    }
    if (c.n_kv_heads <= 0) c.n_kv_heads = c.n_heads;
    if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || (c.dim / c.n_heads) % 2 != 0) {
        gb_seterr(err,
                  "train: dim %d must split into %d heads of even size, heads into %d kv heads",
                  c.dim, c.n_heads, c.n_kv_heads);
        return -1;
    }
    c.head_dim = c.dim / c.n_heads;
    c.rope_dim = c.head_dim;
    c.context_length = c.seq_len = T;
    if (c.rope_base <= 0) c.rope_base = 10000.0f;
    if (c.norm_eps <= 0) c.norm_eps = 1e-5f;
    m->config = c;
    m->B = B;
    m->T = T;
    tensor_sizes(m->tensor_sizes, &c);
    m->n_params = 0;
    for (int i = 0; i < TRAIN_N_TENSORS; i++)
        m->n_params += m->tensor_sizes[i];
    m->params_memory = big_calloc(m->n_params);
    m->grads_memory = big_calloc(m->n_params);
    m->m_memory = big_calloc(m->n_params);
    m->v_memory = big_calloc(m->n_params);
    point_params(&m->params, m->params_memory, m->tensor_sizes);
    point_params(&m->grads, m->grads_memory, m->tensor_sizes);
    size_t asz[TRAIN_N_ACTS];
    m->n_slots = omp_get_max_threads();
    kernels_selected(); /* the kernel set, chosen once here rather than by racing threads */
    size_t total = act_sizes(asz, &c, B, T, m->n_slots);
    m->acts_memory = big_calloc(total);
    point_acts(&m->acts, m->acts_memory, asz);
    int half = c.rope_dim / 2;
    m->rope_cos = gb_malloc((size_t)T * half * sizeof(float));
    m->rope_sin = gb_malloc((size_t)T * half * sizeof(float));
    rope_tables(m->rope_cos, m->rope_sin, T, c.rope_dim, c.rope_base);
    const char *prof = getenv("GLASSBOX_TRAIN_PROFILE");
    if (prof && *prof && strcmp(prof, "0") != 0) {
        m->profile = gb_calloc(TRAIN_N_PHASES, sizeof(double));
        m->profile_cpu = strcmp(prof, "cpu") == 0;
    }
    return 0;
}

/* The profile's table: milliseconds a step per phase, and each phase's share. */
static void print_profile(const TrainModel *m, FILE *f) {
    static const char *names[TRAIN_N_PHASES] = {
        "embedding",       "rmsnorm",          "matmul (weights)", "rope",
        "attention",       "residual add",     "swiglu",           "output head matmul",
        "softmax + loss",  "loss backward",    "head backward",    "matmul backward",
        "rmsnorm backward", "swiglu backward", "attention backward", "rope backward",
        "embedding backward", "zero grad",     "grad clip",        "adamw"};
    double total = 0;
    for (int i = 0; i < TRAIN_N_PHASES; i++)
        total += m->profile[i];
    long n = m->profile_steps > 0 ? m->profile_steps : 1;
    fprintf(f, "train profile: %ld steps, %.1f ms a step (%d threads; %s)\n", m->profile_steps,
            1e3 * total / n, m->n_slots,
            m->profile_cpu ? "CPU time of the calling thread" : "wall time");
    for (int i = 0; i < TRAIN_N_PHASES; i++)
        fprintf(f, "  %-20s %8.1f ms %5.1f %%\n", names[i], 1e3 * m->profile[i] / n,
                total > 0 ? 100.0 * m->profile[i] / total : 0.0);
}

void train_model_free(TrainModel *m) {
    if (m->profile) {
        print_profile(m, stderr);
        free(m->profile);
    }
    free(m->params_memory);
    free(m->grads_memory);
    free(m->m_memory);
    free(m->v_memory);
    free(m->acts_memory);
    free(m->rope_cos);
    free(m->rope_sin);
    memset(m, 0, sizeof(*m));
}

static double rng_uniform(uint64_t *state) { /* in (0, 1) */
    return ((double)(rng_splitmix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static float rng_normal(uint64_t *state) {
    double u1 = rng_uniform(state), u2 = rng_uniform(state);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void train_init_weights(TrainModel *m, uint64_t seed) {
    uint64_t state = seed ^ 0x5DEECE66DULL;
    float proj_std = 0.02f / sqrtf(2.0f * m->config.n_layers);
    float *p = m->params_memory;
    for (int t = 0; t < TRAIN_N_TENSORS; t++) {
        size_t n = m->tensor_sizes[t];
        if (!tensor_is_matrix(t)) {
            for (size_t i = 0; i < n; i++)
                p[i] = 1.0f;
        } else {
            float std = (t == 5 || t == 9) ? proj_std : 0.02f; /* wo, w_down feed the residual */
            for (size_t i = 0; i < n; i++)
                p[i] = std * rng_normal(&state);
        }
        p += n;
    }
}

float train_forward(TrainModel *m, const int32_t *inputs, const int32_t *targets) {
    const Config *c = &m->config;
    int B = m->B, T = m->T, BT = B * T, C = c->dim, L = c->n_layers, NH = c->n_heads,
        NKV = c->n_kv_heads, hd = c->head_dim, QD = NH * hd, KD = NKV * hd, H = c->hidden_dim,
        V = c->vocab_size;
    ParamTensors *p = &m->params;
    ActTensors *a = &m->acts;

    /* token embeddings; ids out of range read row 0 (callers check their data) */
    double t_embed = m->profile ? profile_now(m) : 0.0;
#pragma omp parallel for schedule(static) if ((long)BT * C >= PARALLEL_MIN_WORK)
    for (int n = 0; n < BT; n++) {
        int id = inputs[n] >= 0 && inputs[n] < V ? inputs[n] : 0;
        memcpy(a->encoded + (size_t)n * C, p->token_embd + (size_t)id * C, C * sizeof(float));
    }
    if (m->profile) m->profile[PH_EMBED] += profile_now(m) - t_embed;
    for (int l = 0; l < L; l++) {
        const float *resid = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * BT * C;
        float *ln1 = a->ln1 + (size_t)l * BT * C, *ln1_rstd = a->ln1_rstd + (size_t)l * BT;
        float *q = a->q + (size_t)l * BT * QD, *k = a->k + (size_t)l * BT * KD,
              *v = a->v + (size_t)l * BT * KD;
        float *att = a->att + (size_t)l * B * NH * T * T, *atty = a->atty + (size_t)l * BT * QD;
        float *res2 = a->residual2 + (size_t)l * BT * C, *res3 = a->residual3 + (size_t)l * BT * C;
        float *ln2 = a->ln2 + (size_t)l * BT * C, *ln2_rstd = a->ln2_rstd + (size_t)l * BT;
        float *gate = a->gate + (size_t)l * BT * H, *up = a->up + (size_t)l * BT * H,
              *hact = a->hact + (size_t)l * BT * H;

        TIMED(m, PH_NORM,
              rmsnorm_forward(ln1, ln1_rstd, resid, p->attn_norm + (size_t)l * C, BT, C,
                              c->norm_eps));
        TIMED(m, PH_MATMUL, {
            matmul_forward(q, ln1, p->wq + (size_t)l * QD * C, BT, C, QD);
            matmul_forward(k, ln1, p->wk + (size_t)l * KD * C, BT, C, KD);
            matmul_forward(v, ln1, p->wv + (size_t)l * KD * C, BT, C, KD);
        });
        TIMED(m, PH_ROPE, {
            rope_forward(q, m->rope_cos, m->rope_sin, B, T, NH, hd, c->rope_dim);
            rope_forward(k, m->rope_cos, m->rope_sin, B, T, NKV, hd, c->rope_dim);
        });
        TIMED(m, PH_ATTN,
              attention_forward(atty, att, a->attn_scratch, m->n_slots, q, k, v, B, T, NH, NKV, hd));
        TIMED(m, PH_MATMUL, matmul_forward(a->dtmp, atty, p->wo + (size_t)l * C * QD, BT, QD, C));
        TIMED(m, PH_RESID, residual_forward(res2, resid, a->dtmp, (size_t)BT * C));

        TIMED(m, PH_NORM,
              rmsnorm_forward(ln2, ln2_rstd, res2, p->ffn_norm + (size_t)l * C, BT, C,
                              c->norm_eps));
        TIMED(m, PH_MATMUL, {
            matmul_forward(gate, ln2, p->w_gate + (size_t)l * H * C, BT, C, H);
            matmul_forward(up, ln2, p->w_up + (size_t)l * H * C, BT, C, H);
        });
        TIMED(m, PH_SWIGLU, swiglu_forward(hact, gate, up, (size_t)BT * H));
        TIMED(m, PH_MATMUL, matmul_forward(a->dtmp, hact, p->w_down + (size_t)l * C * H, BT, H, C));
        TIMED(m, PH_RESID, residual_forward(res3, res2, a->dtmp, (size_t)BT * C));
    }
    TIMED(m, PH_NORM,
          rmsnorm_forward(a->lnf, a->lnf_rstd, a->residual3 + (size_t)(L - 1) * BT * C,
                          p->output_norm, BT, C, c->norm_eps));
    TIMED(m, PH_HEAD, matmul_forward(a->logits, a->lnf, p->token_embd, BT, C, V));

    m->targets = targets;
    if (!targets) return 0.0f;
    int count = 0;
    double total;
    TIMED(m, PH_LOSS, total = crossentropy_forward(a->losses, a->logits, targets, BT, V, &count));
    m->n_targets = count;
    m->mean_loss = count ? (float)(total / count) : 0.0f;
    return m->mean_loss;
}

void train_zero_grad(TrainModel *m) {
    memset(m->grads_memory, 0, m->n_params * sizeof(float));
}

void train_backward(TrainModel *m, const int32_t *inputs) {
    const Config *c = &m->config;
    int B = m->B, T = m->T, BT = B * T, C = c->dim, L = c->n_layers, NH = c->n_heads,
        NKV = c->n_kv_heads, hd = c->head_dim, QD = NH * hd, KD = NKV * hd, H = c->hidden_dim,
        V = c->vocab_size;
    ParamTensors *p = &m->params, *g = &m->grads;
    ActTensors *a = &m->acts;
    if (!m->targets || m->n_targets == 0) return;

    /* loss = mean over counted targets */
    /* the gradient of the summed loss (probabilities minus the one-hot targets), then the mean's
     * 1 / n_targets applied in the head's products: no pass over the (BT, V) logits but theirs */
    TIMED(m, PH_LOSS_B, crossentropy_backward(a->logits, m->targets, BT, V, 1.0f));
    /* tied head: lnf (BT, C) -> logits (BT, V) through token_embd */
    TIMED(m, PH_HEAD_B,
          matmul_backward_scaled(a->dln, g->token_embd, a->logits, a->lnf, p->token_embd, BT, C, V,
                                 0, 1.0f / m->n_targets));
    TIMED(m, PH_NORM_B, {
        memset(a->dres, 0, (size_t)BT * C * sizeof(float));
        rmsnorm_backward(a->dres, g->output_norm, a->dln, a->residual3 + (size_t)(L - 1) * BT * C,
                         p->output_norm, a->lnf_rstd, BT, C);
    });

    for (int l = L - 1; l >= 0; l--) {
        const float *resid = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * BT * C;
        const float *ln1 = a->ln1 + (size_t)l * BT * C, *ln1_rstd = a->ln1_rstd + (size_t)l * BT;
        const float *q = a->q + (size_t)l * BT * QD, *k = a->k + (size_t)l * BT * KD,
                    *v = a->v + (size_t)l * BT * KD;
        const float *att = a->att + (size_t)l * B * NH * T * T,
                    *atty = a->atty + (size_t)l * BT * QD;
        const float *res2 = a->residual2 + (size_t)l * BT * C;
        const float *ln2 = a->ln2 + (size_t)l * BT * C, *ln2_rstd = a->ln2_rstd + (size_t)l * BT;
        const float *gate = a->gate + (size_t)l * BT * H, *up = a->up + (size_t)l * BT * H,
                    *hact = a->hact + (size_t)l * BT * H;

        /* ffn: res3 = res2 + w_down . (silu(w_gate . ln2) * (w_up . ln2)); dres flows straight
         * through */
        TIMED(m, PH_MATMUL_B,
              matmul_backward(a->dhact, g->w_down + (size_t)l * C * H, a->dres, hact,
                              p->w_down + (size_t)l * C * H, BT, H, C, 0));
        TIMED(m, PH_SWIGLU_B, swiglu_backward(a->dgate, a->dup, a->dhact, gate, up, (size_t)BT * H));
        TIMED(m, PH_MATMUL_B, {
            matmul_backward(a->dln, g->w_gate + (size_t)l * H * C, a->dgate, ln2,
                            p->w_gate + (size_t)l * H * C, BT, C, H, 0);
            matmul_backward(a->dln, g->w_up + (size_t)l * H * C, a->dup, ln2,
                            p->w_up + (size_t)l * H * C, BT, C, H, 1);
        });
        TIMED(m, PH_NORM_B,
              rmsnorm_backward(a->dres, g->ffn_norm + (size_t)l * C, a->dln, res2,
                               p->ffn_norm + (size_t)l * C, ln2_rstd, BT, C));

        /* attention: res2 = resid + wo . attention(rope(wq . ln1), rope(wk . ln1), wv . ln1) */
        TIMED(m, PH_MATMUL_B,
              matmul_backward(a->datty, g->wo + (size_t)l * C * QD, a->dres, atty,
                              p->wo + (size_t)l * C * QD, BT, QD, C, 0));
        TIMED(m, PH_ATTN_B, {
            memset(a->dk, 0, (size_t)BT * KD * sizeof(float));
            memset(a->dv, 0, (size_t)BT * KD * sizeof(float));
            attention_backward(a->dq, a->dk, a->dv, a->attn_scratch, m->n_slots, a->datty, att, q,
                               k, v, B, T, NH, NKV, hd);
        });
        TIMED(m, PH_ROPE_B, {
            rope_backward(a->dq, m->rope_cos, m->rope_sin, B, T, NH, hd, c->rope_dim);
            rope_backward(a->dk, m->rope_cos, m->rope_sin, B, T, NKV, hd, c->rope_dim);
        });
        TIMED(m, PH_MATMUL_B, {
            matmul_backward(a->dln, g->wq + (size_t)l * QD * C, a->dq, ln1,
                            p->wq + (size_t)l * QD * C, BT, C, QD, 0);
            matmul_backward(a->dln, g->wk + (size_t)l * KD * C, a->dk, ln1,
                            p->wk + (size_t)l * KD * C, BT, C, KD, 1);
            matmul_backward(a->dln, g->wv + (size_t)l * KD * C, a->dv, ln1,
                            p->wv + (size_t)l * KD * C, BT, C, KD, 1);
        });
        TIMED(m, PH_NORM_B,
              rmsnorm_backward(a->dres, g->attn_norm + (size_t)l * C, a->dln, resid,
                               p->attn_norm + (size_t)l * C, ln1_rstd, BT, C));
    }
    double t_embed = m->profile ? profile_now(m) : 0.0;
    /* embedding: rows in order, so repeated ids sum deterministically; blocks of channels in
     * parallel */
    int n_blocks = (C + 31) / 32;
#pragma omp parallel for schedule(static) if ((long)BT * C >= PARALLEL_MIN_WORK)
    for (int blk = 0; blk < n_blocks; blk++) {
        int i0 = blk * 32, i1 = i0 + 32 < C ? i0 + 32 : C;
        for (int n = 0; n < BT; n++) {
            int id = inputs[n] >= 0 && inputs[n] < V ? inputs[n] : 0;
            float *dst = g->token_embd + (size_t)id * C;
            const float *src = a->dres + (size_t)n * C;
            for (int i = i0; i < i1; i++)
                dst[i] += src[i];
        }
    }
    if (m->profile) m->profile[PH_EMBED_B] += profile_now(m) - t_embed;
}

float train_clip_grad(TrainModel *m, float max_norm) {
    double ss = 0.0;
    for (size_t i = 0; i < m->n_params; i++)
        ss += (double)m->grads_memory[i] * m->grads_memory[i];
    float norm = (float)sqrt(ss);
    if (norm > max_norm) {
        float s = max_norm / (norm + 1e-6f);
#pragma omp parallel for schedule(static) if ((long)m->n_params >= PARALLEL_MIN_WORK)
        for (size_t i = 0; i < m->n_params; i++)
            m->grads_memory[i] *= s;
    }
    return norm;
}

void train_adamw(TrainModel *m, float lr, float beta1, float beta2, float eps, float weight_decay,
                 int t) {
    AdamWStep s = {lr, beta1, beta2, eps, 0.0f, 1.0f - powf(beta1, (float)t),
                   1.0f - powf(beta2, (float)t)};
    size_t off = 0;
    for (int k = 0; k < TRAIN_N_TENSORS; k++) {
        size_t n = m->tensor_sizes[k];
        s.weight_decay = tensor_is_matrix(k) ? weight_decay : 0.0f;
        adamw_update(m->params_memory + off, m->grads_memory + off, m->m_memory + off,
                     m->v_memory + off, n, &s);
        off += n;
    }
}

float train_lr(long step, long total, long warmup, float peak) {
    if (step < warmup) return peak * (float)(step + 1) / (float)warmup;
    float min_lr = 0.1f * peak;
    if (total <= warmup) return peak;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    if (progress > 1.0) progress = 1.0;
    return min_lr + 0.5f * (peak - min_lr) * (float)(1.0 + cos(3.141592653589793 * progress));
}

void train_model_view(Model *out, const TrainModel *m) {
    memset(out, 0, sizeof(*out));
    out->config = m->config;
    const Config *c = &m->config;
    size_t C = c->dim, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim;
    const ParamTensors *p = &m->params;
    out->weights.token_embd = matrix_f32(p->token_embd);
    out->weights.output = matrix_f32(p->token_embd);
    out->weights.tied = 1;
    out->weights.output_norm = p->output_norm;
    out->weights.layers = gb_calloc(c->n_layers, sizeof(LayerWeights));
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &out->weights.layers[l];
        const size_t D = C, Q = QD, K = KD; /* the names LLAMA_BLOCK_TENSORS sizes in */
#define VIEW_MAT(field, offset) lw->field = matrix_f32(p->field + (offset))
#define VIEW_VEC(field, offset) lw->field = p->field + (offset)
#define VIEW(field, suffix, cols, rows, kind, heavy) VIEW_##kind(field, l * (cols) * (rows));
        LLAMA_BLOCK_TENSORS(VIEW)
#undef VIEW
#undef VIEW_VEC
#undef VIEW_MAT
    }
    snprintf(out->name, sizeof(out->name), "glassbox");
}

void train_view_free(Model *view) {
    free(view->weights.layers);
    view->weights.layers = NULL;
}

/* Rows x cols floats of w (any type the loader reads) into out. */
static void copy_matrix(float *out, Matrix w, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        matrix_row(out + r * cols, w, (int)r, (int)cols);
}

int train_load_weights(TrainModel *m, const Model *src, char *err) {
    const Config *c = &m->config, *s = &src->config;
    if (s->arch != ARCH_LLAMA || s->rope_neox || s->dim != c->dim || s->hidden_dim != c->hidden_dim ||
        s->n_layers != c->n_layers || s->n_heads != c->n_heads || s->n_kv_heads != c->n_kv_heads ||
        s->vocab_size != c->vocab_size || s->rope_dim != c->rope_dim) {
        gb_seterr(err, "its shape (%s, dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d) is not "
                      "the one asked for (llama, dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d)",
                 model_arch_name(s->arch), s->dim, s->n_layers, s->n_heads, s->n_kv_heads,
                 s->hidden_dim, s->vocab_size, c->dim, c->n_layers, c->n_heads, c->n_kv_heads,
                 c->hidden_dim, c->vocab_size);
        return -1;
    }
    if (!src->weights.tied) {
        gb_seterr(err, "it has an output head of its own, and the trainer ties it to the embedding");
        return -1;
    }
    if (src->weights.layers[0].bq) {
        gb_seterr(err, "it has biases on Q, K and V, which the trainer has not");
        return -1;
    }
    size_t C = c->dim, QD = (size_t)c->n_heads * c->head_dim,
           KD = (size_t)c->n_kv_heads * c->head_dim, H = c->hidden_dim;
    ParamTensors *p = &m->params;
    copy_matrix(p->token_embd, src->weights.token_embd, (size_t)c->vocab_size, C);
    memcpy(p->output_norm, src->weights.output_norm, C * sizeof(float));
    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &src->weights.layers[l];
        const size_t D = C, Q = QD, K = KD; /* the names LLAMA_BLOCK_TENSORS sizes in */
#define LOAD_MAT(field, cols, rows) copy_matrix(p->field + l * (cols) * (rows), lw->field, rows, cols)
#define LOAD_VEC(field, cols, rows) memcpy(p->field + l * (cols), lw->field, (cols) * sizeof(float))
#define LOAD(field, suffix, cols, rows, kind, heavy) LOAD_##kind(field, cols, rows);
        LLAMA_BLOCK_TENSORS(LOAD)
#undef LOAD
#undef LOAD_VEC
#undef LOAD_MAT
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* the training loop's pieces */

TrainOptions train_default_options(void) {
    TrainOptions o = {.total_steps = 0,
                      .warmup = 200,
                      .lr = 3e-3f,
                      .weight_decay = 0.1f,
                      .grad_clip = 1.0f,
                      .seed = 1};
    return o;
}

/* The sampling stream of one step: a pure function of (seed, step), so a resumed run sees the same
 * windows as an uninterrupted one. */
static uint64_t step_stream(uint64_t seed, long step) {
    uint64_t s = seed * 0xD1B54A32D192ED03ULL ^ ((uint64_t)step + 1) * 0x9E3779B97F4A7C15ULL;
    rng_splitmix64(&s);
    return s;
}

void train_sample_batch(int32_t *inputs, int32_t *targets, const int32_t *tokens, size_t n_tokens,
                        int B, int T, uint64_t seed, long step) {
    uint64_t s = step_stream(seed, step);
    uint64_t range = n_tokens - (uint64_t)T; /* starts 0 .. n - T - 1 keep T+1 tokens inside */
    for (int b = 0; b < B; b++) {
        uint64_t start = rng_splitmix64(&s) % range;
        memcpy(inputs + (size_t)b * T, tokens + start, (size_t)T * sizeof(int32_t));
        memcpy(targets + (size_t)b * T, tokens + start + 1, (size_t)T * sizeof(int32_t));
    }
}

float train_step(TrainModel *m, const TrainOptions *o, const int32_t *tokens, size_t n_tokens,
                 long step, int32_t *inputs, int32_t *targets, float *grad_norm) {
    train_sample_batch(inputs, targets, tokens, n_tokens, m->B, m->T, o->seed, step);
    float loss = train_forward(m, inputs, targets);
    TIMED(m, PH_ZERO, train_zero_grad(m));
    train_backward(m, inputs);
    float norm;
    TIMED(m, PH_CLIP, norm = train_clip_grad(m, o->grad_clip));
    if (grad_norm) *grad_norm = norm;
    float lr = train_lr(step, o->total_steps, o->warmup, o->lr);
    TIMED(m, PH_ADAMW, train_adamw(m, lr, 0.9f, 0.95f, 1e-8f, o->weight_decay, (int)(step + 1)));
    if (m->profile) m->profile_steps++;
    return loss;
}

double train_evaluate(TrainModel *m, const int32_t *tokens, size_t n_tokens, int32_t skip_id,
                      const uint32_t *token_bytes, double *bits_per_byte) {
    int B = m->B, T = m->T;
    int32_t *inputs = gb_malloc((size_t)B * T * sizeof(int32_t));
    int32_t *targets = gb_malloc((size_t)B * T * sizeof(int32_t));
    double nats = 0.0, bytes = 0.0;
    long counted = 0;
    size_t n_windows = n_tokens > 1 ? (n_tokens - 2) / (size_t)T + 1 : 0;
    for (size_t w0 = 0; w0 < n_windows; w0 += (size_t)B) {
        for (int b = 0; b < B; b++) {
            size_t start = (w0 + b) * (size_t)T;
            for (int t = 0; t < T; t++) {
                size_t i = start + t;
                int ok = w0 + b < n_windows && i + 1 < n_tokens;
                inputs[b * T + t] = ok ? tokens[i] : 0;
                int32_t tgt = ok ? tokens[i + 1] : -1;
                targets[b * T + t] = tgt == skip_id ? -1 : tgt;
            }
        }
        train_forward(m, inputs, targets);
        for (int i = 0; i < B * T; i++) {
            if (targets[i] < 0) continue;
            nats += m->acts.losses[i];
            if (token_bytes) bytes += token_bytes[targets[i]];
            counted++;
        }
    }
    free(inputs);
    free(targets);
    if (bits_per_byte) *bits_per_byte = bytes > 0 ? nats / log(2.0) / bytes : 0.0;
    return counted ? nats / counted : 0.0;
}

uint64_t train_data_hash(const int32_t *tokens, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *p = (const unsigned char *)tokens;
    for (size_t i = 0; i < n * sizeof(int32_t); i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* checkpoint layout: magic, then the fields below in order (native little-endian), params, m, v,
 * then an FNV-1a checksum of everything before it */
#define CKPT_MAGIC "GBTRAIN1"
typedef struct {
    int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, B, T;
    float rope_base, norm_eps;
    int64_t total_steps, warmup;
    float lr, weight_decay, grad_clip;
    uint32_t pad;
    uint64_t seed;
    int64_t step;
    uint64_t rng_state; /* the next step's sampling stream (derived from seed and step) */
    uint64_t data_hash;
    uint64_t n_params;
} CkptHeader;

static uint64_t fnv_bytes(const void *data, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static CkptHeader ckpt_header(const TrainModel *m, const TrainOptions *o, long step,
                              uint64_t data_hash) {
    CkptHeader h;
    memset(&h, 0, sizeof(h));
    const Config *c = &m->config;
    h.dim = c->dim, h.hidden_dim = c->hidden_dim, h.n_layers = c->n_layers, h.n_heads = c->n_heads;
    h.n_kv_heads = c->n_kv_heads, h.vocab_size = c->vocab_size, h.B = m->B, h.T = m->T;
    h.rope_base = c->rope_base, h.norm_eps = c->norm_eps;
    h.total_steps = o->total_steps, h.warmup = o->warmup;
    h.lr = o->lr, h.weight_decay = o->weight_decay, h.grad_clip = o->grad_clip;
    h.seed = o->seed, h.step = step, h.rng_state = step_stream(o->seed, step);
    h.data_hash = data_hash, h.n_params = m->n_params;
    return h;
}

int train_checkpoint_save(const TrainModel *m, const TrainOptions *o, long step, uint64_t data_hash,
                          const char *path, char *err) {
    CkptHeader h = ckpt_header(m, o, step, data_hash);
    size_t pbytes = m->n_params * sizeof(float);
    size_t total = 8 + sizeof(h) + 3 * pbytes + 8;
    unsigned char *buf = gb_malloc(total), *p = buf;
    memcpy(p, CKPT_MAGIC, 8), p += 8;
    memcpy(p, &h, sizeof(h)), p += sizeof(h);
    memcpy(p, m->params_memory, pbytes), p += pbytes;
    memcpy(p, m->m_memory, pbytes), p += pbytes;
    memcpy(p, m->v_memory, pbytes), p += pbytes;
    uint64_t sum = fnv_bytes(buf, (size_t)(p - buf));
    memcpy(p, &sum, 8);
    int rc = gb_write_file_atomic(path, buf, total, err);
    free(buf);
    return rc;
}

int train_checkpoint_load(TrainModel *m, const TrainOptions *o, uint64_t data_hash, long *step,
                          const char *path, char *err) {
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_CHECKPOINT, path, &data, &len, err) != 0) return -1;
    size_t pbytes = m->n_params * sizeof(float);
    int rc = -1;
    CkptHeader h, want;
    uint64_t sum;
    if (len < 8 + sizeof(h) || memcmp(data, CKPT_MAGIC, 8) != 0) {
        gb_seterr(err, "%s: not a glassbox training checkpoint", path);
        goto out;
    }
    memcpy(&h, data + 8, sizeof(h));
    if (len != 8 + sizeof(h) + 3 * pbytes + 8 || h.n_params != m->n_params) {
        gb_seterr(err, "%s: %zu bytes, expected %zu for %zu parameters (a different model size?)",
                  path, len, 8 + sizeof(h) + 3 * pbytes + 8, m->n_params);
        goto out;
    }
    memcpy(&sum, data + len - 8, 8);
    if (sum != fnv_bytes(data, len - 8)) {
        gb_seterr(err, "%s: checksum mismatch (file damaged)", path);
        goto out;
    }
    want = ckpt_header(m, o, h.step, data_hash);
    if (h.dim != want.dim || h.hidden_dim != want.hidden_dim || h.n_layers != want.n_layers ||
        h.n_heads != want.n_heads || h.n_kv_heads != want.n_kv_heads ||
        h.vocab_size != want.vocab_size || h.B != want.B || h.T != want.T ||
        h.rope_base != want.rope_base || h.norm_eps != want.norm_eps) {
        gb_seterr(err,
                  "%s: made for dim %d, layers %d, heads %d/%d, ffn %d, vocab %d, batch %d x %d; "
                  "this run "
                  "asks for dim %d, layers %d, heads %d/%d, ffn %d, vocab %d, batch %d x %d",
                  path, h.dim, h.n_layers, h.n_heads, h.n_kv_heads, h.hidden_dim, h.vocab_size, h.B,
                  h.T, want.dim, want.n_layers, want.n_heads, want.n_kv_heads, want.hidden_dim,
                  want.vocab_size, want.B, want.T);
        goto out;
    }
    if (h.total_steps != want.total_steps || h.warmup != want.warmup || h.lr != want.lr ||
        h.weight_decay != want.weight_decay || h.grad_clip != want.grad_clip ||
        h.seed != want.seed) {
        gb_seterr(
            err,
            "%s: made with --steps %lld --warmup %lld --lr %g --seed %llu; this run asks for "
            "--steps %lld --warmup %lld --lr %g --seed %llu (continue it with the same options)",
            path, (long long)h.total_steps, (long long)h.warmup, h.lr, (unsigned long long)h.seed,
            (long long)want.total_steps, (long long)want.warmup, want.lr,
            (unsigned long long)want.seed);
        goto out;
    }
    if (h.data_hash != data_hash) {
        gb_seterr(err, "%s: made from different training data (token hash differs)", path);
        goto out;
    }
    if (h.rng_state != want.rng_state || h.step < 0) {
        gb_seterr(err, "%s: inconsistent step/random state", path);
        goto out;
    }
    const char *p = data + 8 + sizeof(h);
    memcpy(m->params_memory, p, pbytes), p += pbytes;
    memcpy(m->m_memory, p, pbytes), p += pbytes;
    memcpy(m->v_memory, p, pbytes);
    *step = (long)h.step;
    rc = 0;
out:
    free(data);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* The training data */

/* Expands FILE or @LIST into a list of paths (malloc'ed array of malloc'ed strings). */
static int expand_paths(const char *arg, char ***out, int **lines_out, int *n_out, char *err) {
    *out = NULL;
    *lines_out = NULL;
    *n_out = 0;
    if (arg[0] != '@') {
        *out = gb_malloc(sizeof(char *));
        (*out)[0] = gb_strdup(arg);
        *lines_out = gb_calloc(1, sizeof(int));
        *n_out = 1;
        return 0;
    }
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_LIST, arg + 1, &data, &len, err) != 0) return -1;
    int n = 0, cap = 0, line_no = 0;
    char **paths = NULL;
    int *lines = NULL;
    for (char *line = data; line < data + len;) {
        line_no++;
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        char *end = nl ? nl : data + len;
        if (end > line && end[-1] == '\r') end[-1] = 0, end--;
        *end = 0;
        if (end > line) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                paths = gb_realloc(paths, (size_t)cap * sizeof(char *));
                lines = gb_realloc(lines, (size_t)cap * sizeof(int));
            }
            lines[n] = line_no;
            paths[n++] = gb_strdup(line);
        }
        if (!nl) break;
        line = nl + 1;
    }
    free(data);
    if (n == 0) {
        gb_seterr(err, "%s: the list names no files", arg + 1);
        free(paths);
        free(lines);
        return -1;
    }
    *out = paths;
    *lines_out = lines;
    *n_out = n;
    return 0;
}

static void free_paths(char **paths, int n) {
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* Tokenizes every file of FILE|@LIST, each followed by sep (when >= 0). */
int train_tokenize_files(const Tokenizer *tok, const char *arg, int32_t sep, int32_t **out,
                         size_t *n_out, size_t *bytes_out, char *err) {
    char **paths;
    int *lines, n_paths;
    if (expand_paths(arg, &paths, &lines, &n_paths, err) != 0) return -1;
    size_t n = 0, cap = 1 << 20, bytes = 0;
    int32_t *ids = gb_malloc(cap * sizeof(int32_t));
    int rc = 0;
    for (int i = 0; i < n_paths && rc == 0; i++) {
        char *text;
        size_t len;
        TokenSpan *spans = NULL;
        if (gb_read_file(paths[i], &text, &len, err) != 0) {
            if (arg[0] == '@') { /* name the list and line too */
                char inner[GB_ERRLEN];
                snprintf(inner, sizeof(inner), "%s", err);
                gb_seterr(err, "%s:%d: %s", arg + 1, lines[i], inner);
            }
            rc = -1;
            break;
        }
        int count = tokenizer_encode(tok, text, len, &spans, err);
        free(text);
        if (count < 0) {
            rc = -1;
            break;
        }
        if (n + (size_t)count + 1 > cap) {
            while (n + (size_t)count + 1 > cap)
                cap *= 2;
            ids = gb_realloc(ids, cap * sizeof(int32_t));
        }
        for (int j = 0; j < count; j++)
            ids[n++] = spans[j].id;
        if (sep >= 0) ids[n++] = sep;
        bytes += len;
        free(spans);
    }
    free_paths(paths, n_paths);
    free(lines);
    if (rc != 0) {
        free(ids);
        return -1;
    }
    *out = ids;
    *n_out = n;
    *bytes_out = bytes;
    return 0;
}
