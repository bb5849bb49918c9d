/* Models from files and to files: a random model of a given shape, loading a GGUF file (weights
 * left in the memory map, in their type), and writing one. The forward pass is model.c. */
#include "model.h"
#include "model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "rng.h"
#include "util.h"

/* Number of floats in each weight, from a config. */
typedef struct {
    size_t embd, norm, wq, wkv, wo, ffn, bq, bkv; /* bq, bkv: 0 without biases */
} WeightSizes;

static WeightSizes weight_sizes(const Config *c) {
    WeightSizes z;
    size_t q_dim = (size_t)c->n_heads * c->head_dim, kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    z.embd = (size_t)c->vocab_size * c->dim;
    z.norm = (size_t)c->dim;
    z.wq = q_dim * c->dim;
    z.wkv = kv_dim * c->dim;
    z.wo = (size_t)c->dim * q_dim;
    z.ffn = (size_t)c->hidden_dim * c->dim;
    z.bq = c->arch == ARCH_QWEN2 ? q_dim : 0;
    z.bkv = c->arch == ARCH_QWEN2 ? kv_dim : 0;
    return z;
}

/* Approximately normal(0, 1): the sum of 12 uniforms minus 6 (mean 0, variance 1). */
static float next_normal(uint64_t *state) {
    double sum = 0.0;
    for (int i = 0; i < 12; i++)
        sum += (double)(rng_xorshift64star(state) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sum - 6.0);
}

static void fill_normal(float *w, size_t n, float std, uint64_t *state) {
    for (size_t i = 0; i < n; i++)
        w[i] = std * next_normal(state);
}

static void fill_ones(float *w, size_t n) {
    for (size_t i = 0; i < n; i++)
        w[i] = 1.0f;
}

/* 2^28 floats, 1 GiB: far beyond what glassbox shows, and an allocation that cannot abort the tool.
 */
#define RANDOM_MODEL_MAX_PARAMS ((size_t)1 << 28)

int model_init_random(Model *m, const Config *config, uint64_t seed, char *err) {
    memset(m, 0, sizeof(*m));
    m->config = *config;
    Config *c = &m->config;
    if (model_check_config(c, "random model", err) < 0) return -1;
    if (model_alloc_state(m, "random model", err) < 0) {
        model_free(m);
        return -1;
    }
    WeightSizes z = weight_sizes(c);
    size_t per_layer = 2 * z.norm + z.wq + 2 * z.wkv + z.wo + 3 * z.ffn + z.bq + 2 * z.bkv;
    size_t total = z.embd + (size_t)c->n_layers * per_layer + z.norm;
    if (total > RANDOM_MODEL_MAX_PARAMS) {
        gb_seterr(err,
                  "random model: %zu parameters, more than the %llu glassbox makes (smaller --dim, "
                  "--ffn, "
                  "--layers or --vocab)",
                  total, (unsigned long long)RANDOM_MODEL_MAX_PARAMS);
        model_free(m);
        return -1;
    }
    m->owned = gb_malloc(total * sizeof(float));
    m->weights.layers = gb_calloc((size_t)c->n_layers, sizeof(LayerWeights));

    uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (state == 0) state = 1; /* xorshift must not start at zero */
    float std = 0.02f;
    float *p = m->owned;
    Weights *w = &m->weights;
    /* Each F32 matrix: the next n floats of `owned`, filled with noise. */
#define NORMAL_MATRIX(dest_, n_)                                                                   \
    do {                                                                                           \
        fill_normal(p, n_, std, &state);                                                           \
        dest_ = matrix_f32(p);                                                                     \
        p += n_;                                                                                   \
    } while (0)
    NORMAL_MATRIX(w->token_embd, z.embd);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        lw->attn_norm = p, p += z.norm;
        fill_ones(lw->attn_norm, z.norm);
        NORMAL_MATRIX(lw->wq, z.wq);
        NORMAL_MATRIX(lw->wk, z.wkv);
        NORMAL_MATRIX(lw->wv, z.wkv);
        NORMAL_MATRIX(lw->wo, z.wo);
        lw->ffn_norm = p, p += z.norm;
        fill_ones(lw->ffn_norm, z.norm);
        NORMAL_MATRIX(lw->w_gate, z.ffn);
        NORMAL_MATRIX(lw->w_up, z.ffn);
        NORMAL_MATRIX(lw->w_down, z.ffn);
        if (c->arch == ARCH_QWEN2) { /* qwen2's biases on q, k, v: small noise */
            lw->bq = p, p += z.bq;
            lw->bk = p, p += z.bkv;
            lw->bv = p, p += z.bkv;
            fill_normal(lw->bq, z.bq, std, &state);
            fill_normal(lw->bk, z.bkv, std, &state);
            fill_normal(lw->bv, z.bkv, std, &state);
        }
    }
#undef NORMAL_MATRIX
    w->output_norm = p, p += z.norm;
    fill_ones(w->output_norm, z.norm);
    w->output = w->token_embd;
    w->tied = 1;
    snprintf(m->name, sizeof(m->name), "random-%llu", (unsigned long long)seed);
    return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Loading a GGUF file */

/* Reads an integer size key into *out. Absent: *out = fallback, or an error when required. */
static int read_size_key(const GGUFFile *f, const char *key, int required, int fallback, int *out,
                         char *err) {
    int64_t v;
    if (!gguf_get_int(f, key, &v)) {
        if (gguf_find_kv(f, key)) {
            gb_seterr(err, "%s: key '%s' is not an integer", f->path, key);
            return -1;
        }
        if (required) {
            gb_seterr(err, "%s: key '%s' is missing", f->path, key);
            return -1;
        }
        *out = fallback;
        return 0;
    }
    if (v <= 0 || v > (1 << 30)) {
        gb_seterr(err, "%s: key '%s' = %lld is out of range", f->path, key, (long long)v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int read_float_key(const GGUFFile *f, const char *key, float fallback, float *out,
                          char *err) {
    double v;
    if (!gguf_get_float(f, key, &v)) {
        if (gguf_find_kv(f, key)) {
            gb_seterr(err, "%s: key '%s' is not a float", f->path, key);
            return -1;
        }
        *out = fallback;
        return 0;
    }
    if (!(v > 0.0) || !isfinite(v) || v > 1e30) {
        gb_seterr(err, "%s: key '%s' = %g is out of range", f->path, key, v);
        return -1;
    }
    *out = (float)v;
    return 0;
}

/* "[a, b]" for a message. */
static void format_shape(char *buf, size_t size, const uint64_t *ne, int n_dims) {
    size_t used = 0;
    used += (size_t)snprintf(buf + used, size - used, "[");
    for (int i = 0; i < n_dims && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", i ? ", " : "",
                                 (unsigned long long)ne[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

/* Finds a tensor and checks its shape ({cols} or {cols, rows}) and type. Trailing dimensions of 1
 * are ignored. */
static const GGUFTensor *find_weight(const GGUFFile *f, const char *name, uint64_t cols,
                                     uint64_t rows, int n_dims, char *err) {
    const GGUFTensor *t = gguf_find_tensor(f, name);
    if (!t) {
        gb_seterr(err, "%s: tensor '%s' is missing", f->path, name);
        return NULL;
    }
    uint64_t want[4] = {cols, n_dims == 2 ? rows : 1, 1, 1};
    int same = 1;
    for (int i = 0; i < 4; i++) {
        uint64_t have = i < (int)t->n_dims ? t->ne[i] : 1;
        if (have != want[i]) same = 0;
    }
    if (!same) {
        char have_s[96], want_s[96];
        format_shape(have_s, sizeof(have_s), t->ne, (int)t->n_dims);
        format_shape(want_s, sizeof(want_s), want, n_dims);
        gb_seterr(err, "%s: tensor '%s' has shape %s, expected %s", f->path, name, have_s, want_s);
        return NULL;
    }
    if (!ggml_type_name(t->type)) {
        gb_seterr(err,
                  "%s: tensor '%s' has ggml type %u, which glassbox does not support (F32, F16, "
                  "BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)",
                  f->path, name, t->type);
        return NULL;
    }
    return t;
}

/* One weight while loading: which tensor, and where it goes: a float vector (norms, biases) or a
 * matrix in its own type. */
typedef struct {
    const GGUFTensor *tensor;
    float **vec;
    Matrix *mat;
} WeightSlot;

/* Data in the map can be used in place when aligned for its elements (it always is in a
 * well-formed file: the data section and every offset are multiples of the alignment). A vector
 * must also be F32. */
static int usable_in_place(const WeightSlot *s) {
    if ((uintptr_t)s->tensor->data % sizeof(float) != 0) return 0;
    return s->mat || s->tensor->type == GGML_TYPE_F32;
}

/* Floats of `owned` a slot needs when it cannot be used in place. */
static size_t owned_floats_for(const WeightSlot *s) {
    if (usable_in_place(s)) return 0;
    if (s->vec) return (size_t)s->tensor->n_elems;
    return ((size_t)s->tensor->n_bytes + sizeof(float) - 1) / sizeof(float); /* a copy, same type */
}

static int model_load_opened(Model *m, const char *path, int max_seq, char *err);

int model_load(Model *m, const char *path, int max_seq, char *err) {
    memset(m, 0, sizeof(*m));
    if (gguf_open(&m->file, path, err) < 0) return -1;
    m->has_file = 1;
    return model_load_opened(m, path, max_seq, err);
}

int model_load_memory(Model *m, const void *data, size_t size, const char *name, int max_seq,
                      char *err) {
    memset(m, 0, sizeof(*m));
    if (gguf_open_memory(&m->file, data, size, name, err) < 0) return -1;
    m->has_file = 1;
    return model_load_opened(m, name, max_seq, err);
}

/* The rest of loading, once m->file is open. */
/* The architecture and its hyper-parameters from the file's keys, and the vocabulary size from the
 * token embedding's shape; the context capped at max_seq when that is positive. */
static int load_config(Config *c, const GGUFFile *f, const char *path, int max_seq, char *err) {
    GGUFString arch;
    if (!gguf_get_string(f, "general.architecture", &arch)) {
        gb_seterr(err, "%s: no general.architecture key (not a model file?)", path);
        return -1;
    }
    if (gguf_string_eq(arch, "llama")) {
        c->arch = ARCH_LLAMA;
    } else if (gguf_string_eq(arch, "qwen2")) {
        c->arch = ARCH_QWEN2;
    } else {
        gb_seterr(err,
                  "%s: architecture '%.*s' is not supported (glassbox runs llama and qwen2 models)",
                  path, (int)(arch.len > 64 ? 64 : arch.len), arch.data);
        return -1;
    }
    /* The keys are the same for both architectures, under the architecture's name. */
    const char *an = model_arch_name(c->arch);
    char k_ctx[64], k_embd[64], k_blocks[64], k_ffn[64], k_heads[64], k_kv[64], k_base[64],
        k_eps[64], k_rope[64];
    snprintf(k_ctx, sizeof k_ctx, "%s.context_length", an);
    snprintf(k_embd, sizeof k_embd, "%s.embedding_length", an);
    snprintf(k_blocks, sizeof k_blocks, "%s.block_count", an);
    snprintf(k_ffn, sizeof k_ffn, "%s.feed_forward_length", an);
    snprintf(k_heads, sizeof k_heads, "%s.attention.head_count", an);
    snprintf(k_kv, sizeof k_kv, "%s.attention.head_count_kv", an);
    snprintf(k_base, sizeof k_base, "%s.rope.freq_base", an);
    snprintf(k_eps, sizeof k_eps, "%s.attention.layer_norm_rms_epsilon", an);
    snprintf(k_rope, sizeof k_rope, "%s.rope.dimension_count", an);
    if (read_size_key(f, k_ctx, 1, 0, &c->context_length, err) < 0 ||
        read_size_key(f, k_embd, 1, 0, &c->dim, err) < 0 ||
        read_size_key(f, k_blocks, 1, 0, &c->n_layers, err) < 0 ||
        read_size_key(f, k_ffn, 1, 0, &c->hidden_dim, err) < 0 ||
        read_size_key(f, k_heads, 1, 0, &c->n_heads, err) < 0 ||
        read_size_key(f, k_kv, 0, c->n_heads, &c->n_kv_heads, err) < 0 ||
        read_float_key(f, k_base, 10000.0f, &c->rope_base, err) < 0 ||
        read_float_key(f, k_eps, 1e-5f, &c->norm_eps, err) < 0)
        return -1;
    if (c->dim % c->n_heads != 0) {
        gb_seterr(err, "%s: embedding length %d is not a multiple of the head count %d", path,
                  c->dim, c->n_heads);
        return -1;
    }
    if (read_size_key(f, k_rope, 0, c->dim / c->n_heads, &c->rope_dim, err) < 0) return -1;

    const GGUFTensor *embd = gguf_find_tensor(f, "token_embd.weight");
    if (!embd) {
        gb_seterr(err, "%s: tensor 'token_embd.weight' is missing", path);
        return -1;
    }
    if (embd->n_dims < 2 || embd->ne[1] == 0 || embd->ne[1] > (1 << 22)) {
        gb_seterr(err,
                  "%s: tensor 'token_embd.weight' has %u dimensions, expected [%d, vocab size]",
                  path, embd->n_dims, c->dim);
        return -1;
    }
    c->vocab_size = (int)embd->ne[1];
    c->seq_len = (max_seq > 0 && max_seq < c->context_length) ? max_seq : c->context_length;
    if (model_check_config(c, path, err) < 0) return -1;

    return 0;
}

/* Finds every weight of the block list (and the biases a file has), checks its shape, and notes in
 * slots (room for 12 a layer + 3) where its pointer goes. Returns the number of slots, or -1. */
static int find_weights(WeightSlot *slots, Model *m, char *err) {
    const GGUFFile *f = &m->file;
    const Config *c = &m->config;
    /* Every weight: find it, check its shape, and note where its pointer goes. */
    uint64_t dim = (uint64_t)c->dim, hidden = (uint64_t)c->hidden_dim,
             vocab = (uint64_t)c->vocab_size;
    uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
             kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
    int n_slots = 0;
    Weights *w = &m->weights;
    /* A matrix (MAT) or a float vector (VEC): found, shape checked, destination noted. */
#define SLOT(vec_, mat_, name_, cols_, rows_, dims_)                                               \
    do {                                                                                           \
        const GGUFTensor *t_ = find_weight(f, name_, cols_, rows_, dims_, err);                    \
        if (!t_) return -1;                                                                        \
        slots[n_slots].tensor = t_;                                                                \
        slots[n_slots].vec = vec_;                                                                 \
        slots[n_slots].mat = mat_;                                                                 \
        n_slots++;                                                                                 \
    } while (0)
#define MAT(dest_, name_, cols_, rows_) SLOT(NULL, &(dest_), name_, cols_, rows_, 2)
#define VEC(dest_, name_, cols_) SLOT(&(dest_), NULL, name_, cols_, 1, 1)
    char name[64];
    MAT(w->token_embd, "token_embd.weight", dim, vocab);
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        const int D = dim, Q = q_dim, K = kv_dim, H = hidden;
#define LOAD_MAT(field, cols, rows) MAT(lw->field, name, cols, rows)
#define LOAD_VEC(field, cols, rows) VEC(lw->field, name, cols)
#define LOAD(field, suffix, cols, rows, kind, heavy)                                               \
    snprintf(name, sizeof(name), "blk.%d." suffix ".weight", l);                                   \
    LOAD_##kind(field, cols, rows);
        LLAMA_BLOCK_TENSORS(LOAD)
        /* Biases: qwen2 files have them on q, k and v; llama.cpp also takes them when a llama
         * file has them. */
#define LOAD_BIAS(field, suffix, n)                                                                \
    snprintf(name, sizeof(name), "blk.%d." suffix ".bias", l);                                     \
    if (c->arch == ARCH_QWEN2 || gguf_find_tensor(f, name)) VEC(lw->field, name, n);
        LLAMA_BLOCK_BIASES(LOAD_BIAS)
#undef LOAD_BIAS
#undef LOAD
#undef LOAD_VEC
#undef LOAD_MAT
    }
    VEC(w->output_norm, "output_norm.weight", dim);
    if (gguf_find_tensor(f, "output.weight")) {
        MAT(w->output, "output.weight", dim, vocab);
    } else {
        w->tied = 1;
    }
#undef MAT
#undef VEC
#undef SLOT

    return n_slots;
}

/* Points the model's weights at their slots' tensors. */
static void place_weights(Model *m, const WeightSlot *slots, int n_slots) {
    Weights *w = &m->weights;
    /* Matrices stay where they lie in the map, in their type; vectors that are not F32 are
     * converted, and a tensor misaligned in the map (only in a malformed file) is copied. */
    size_t owned_floats = 0;
    for (int i = 0; i < n_slots; i++)
        owned_floats += owned_floats_for(&slots[i]);
    if (owned_floats) m->owned = gb_malloc(owned_floats * sizeof(float));
    float *p = m->owned;
    for (int i = 0; i < n_slots; i++) {
        const WeightSlot *sl = &slots[i];
        const GGUFTensor *t = sl->tensor;
        /* read-only map: the forward pass never writes weights */
        const void *data = t->data;
        if (!usable_in_place(sl)) {
            if (sl->vec)
                gguf_tensor_to_f32(p, t);
            else
                memcpy(p, t->data, (size_t)t->n_bytes);
            data = p;
            p += owned_floats_for(sl);
        }
        if (sl->vec) {
            *sl->vec = (float *)data;
        } else {
            sl->mat->data = data;
            sl->mat->type = t->type;
        }
    }
    if (w->tied) w->output = w->token_embd;
}

static int model_load_opened(Model *m, const char *path, int max_seq, char *err) {
    if (load_config(&m->config, &m->file, path, max_seq, err) < 0) goto fail;
    m->weights.layers = gb_calloc((size_t)m->config.n_layers, sizeof(LayerWeights));
    WeightSlot *slots = gb_calloc((size_t)m->config.n_layers * 12 + 3, sizeof(WeightSlot));
    int n_slots = find_weights(slots, m, err);
    if (n_slots >= 0) place_weights(m, slots, n_slots);
    free(slots);
    if (n_slots < 0) goto fail;

    const GGUFFile *f = &m->file;
    GGUFString gname;
    if (gguf_get_string(f, "general.name", &gname) &&
        gname.len > 0) /* shown everywhere: printable */
        gb_printable(gname.data, gname.len > 127 ? 127 : (size_t)gname.len, m->name,
                     sizeof(m->name), 0);
    else
        snprintf(m->name, sizeof(m->name), "%s", gb_base_name(path));

    if (model_alloc_state(m, path, err) < 0) goto fail;
    return 0;

fail:
    model_free(m);
    return -1;
}

/* ------------------------------------------------------------------------------------------------
 * Writing */

/* The type a matrix is written in: the one asked for when its rows are a whole number of that
 * type's blocks, else Q8_0 when they are a multiple of 32 (llama.cpp's quantiser also falls back),
 * else F32. `heavy` marks the matrices MODEL_TYPE_Q4_K_M keeps in Q6_K. */
static uint32_t matrix_type(uint32_t type, uint64_t cols, int heavy) {
    if (type == MODEL_TYPE_Q4_K_M) type = heavy ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
    if (cols % (uint64_t)quant_block_size(type) == 0) return type;
    return cols % 32 == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F32;
}

/* Adds one matrix (rows, cols) converted to type; one of another type is dequantised first. */
static void add_matrix(GGUFWriter *gw, const char *name, uint32_t type, int heavy, uint64_t cols,
                       uint64_t rows, Matrix w) {
    uint64_t ne[2] = {cols, rows};
    float *tmp = NULL;
    const float *data = w.data;
    if (w.type != GGML_TYPE_F32) {
        tmp = gb_malloc((size_t)(cols * rows) * sizeof(float));
        quant_dequantize(tmp, w.data, w.type, cols * rows);
        data = tmp;
    }
    gguf_writer_add_tensor(gw, name, matrix_type(type, cols, heavy), 2, ne, data);
    free(tmp);
}

/* Norms and biases: F32, as llama.cpp's quantiser also keeps 1-D tensors. */
static void add_vector(GGUFWriter *gw, const char *name, uint64_t n, const float *data) {
    gguf_writer_add_tensor(gw, name, GGML_TYPE_F32, 1, &n, data);
}

void model_add_to_writer(GGUFWriter *gw, const Model *m, uint32_t type) {
    const Config *c = &m->config;
    const Weights *w = &m->weights;
    const char *an = model_arch_name(c->arch);
    char key[96];
#define KEY(suffix_) (snprintf(key, sizeof key, "%s.%s", an, suffix_), key)
    gguf_writer_set_string(gw, "general.architecture", an);
    gguf_writer_set_string(gw, "general.name", m->name);
    gguf_writer_set_u32(gw, KEY("context_length"), (uint32_t)c->context_length);
    gguf_writer_set_u32(gw, KEY("embedding_length"), (uint32_t)c->dim);
    gguf_writer_set_u32(gw, KEY("block_count"), (uint32_t)c->n_layers);
    gguf_writer_set_u32(gw, KEY("feed_forward_length"), (uint32_t)c->hidden_dim);
    gguf_writer_set_u32(gw, KEY("attention.head_count"), (uint32_t)c->n_heads);
    gguf_writer_set_u32(gw, KEY("attention.head_count_kv"), (uint32_t)c->n_kv_heads);
    gguf_writer_set_u32(gw, KEY("rope.dimension_count"), (uint32_t)c->rope_dim);
    gguf_writer_set_f32(gw, KEY("rope.freq_base"), c->rope_base);
    gguf_writer_set_f32(gw, KEY("attention.layer_norm_rms_epsilon"), c->norm_eps);
#undef KEY

    /* Q and K rows are written in the order our RoPE uses them (adjacent pairs for llama, halves
     * for qwen2, as llama.cpp reads each): no permutation. */
    uint64_t dim = (uint64_t)c->dim, hidden = (uint64_t)c->hidden_dim,
             vocab = (uint64_t)c->vocab_size;
    uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
             kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
    char name[64];
    add_matrix(gw, "token_embd.weight", type, w->tied, dim, vocab, w->token_embd);
    for (int l = 0; l < c->n_layers; l++) {
        const LayerWeights *lw = &w->layers[l];
        const uint64_t D = dim, Q = q_dim, K = kv_dim, H = hidden;
#define WRITE_MAT(field, cols, rows, heavy) add_matrix(gw, name, type, heavy, cols, rows, lw->field)
#define WRITE_VEC(field, cols, rows, heavy) add_vector(gw, name, cols, lw->field)
#define WRITE(field, suffix, cols, rows, kind, heavy)                                              \
    snprintf(name, sizeof(name), "blk.%d." suffix ".weight", l);                                   \
    WRITE_##kind(field, cols, rows, heavy);
        LLAMA_BLOCK_TENSORS(WRITE)
#define WRITE_BIAS(field, suffix, n)                                                               \
    if (lw->field) {                                                                               \
        snprintf(name, sizeof(name), "blk.%d." suffix ".bias", l);                                 \
        add_vector(gw, name, n, lw->field);                                                        \
    }
        LLAMA_BLOCK_BIASES(WRITE_BIAS)
#undef WRITE_BIAS
#undef WRITE
#undef WRITE_VEC
#undef WRITE_MAT
    }
    add_vector(gw, "output_norm.weight", dim, w->output_norm);
    if (!w->tied) add_matrix(gw, "output.weight", type, 1, dim, vocab, w->output);
}
