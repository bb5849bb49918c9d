/* glassbox init-model --random: a llama model with random weights and a BPE vocabulary trained on
 * glassbox's own sources, the model the build ships until a trained one replaces it. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_train.h"
#include "cli.h"
#include "files.h"
#include "util.h"

// clang-format off
static const char INIT_MODEL_USAGE[] =
    "usage: glassbox init-model --random [--dim 64] [--layers 2] [--heads 4] [--kv-heads 2]\n"
    "                           [--ffn 172] [--ctx 256] [--vocab 512] [--seed 42]\n"
    "                           [--pattern gpt2] [--type f32] [--arch llama] [--std 0.02]\n"
    "                           [--pad-vocab] [--tokenizer-from NAME] [--spm] -o FILE\n"
    "Makes a llama model with random weights (normal, std 0.02; norms 1) and a byte-level BPE\n"
    "vocabulary of --vocab tokens (the last one <|endoftext|>, used as BOS and EOS) trained on\n"
    "glassbox's own sources (ASSETS/../src/*/*.c and *.h), and writes it as GGUF. The build uses it\n"
    "as the default model until a trained one is shipped. The same options give the same file.\n"
    "  --pattern P  pre-tokenizer: gpt2, cl100k, o200k or any tokenizer.ggml.pre name glassbox\n"
    "               reads (smollm, qwen2, deepseek-coder, llama-bpe, ...; default gpt2), written\n"
    "               to the file as given\n"
    "  --type T     tensor type: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k or q4_k_m (Q4_K with\n"
    "               Q6_K for attn_v, ffn_down and the head); a matrix whose rows do not fit the\n"
    "               type's blocks falls back to q8_0, else f32 (default f32)\n"
    "  --arch A     llama, or qwen2 (biases on q, k, v; RoPE over halves) (default llama)\n"
    "  --std S      standard deviation of the random matrices (default 0.02; larger ones give\n"
    "               peaked next-token distributions, for cross-checks)\n"
    "  --pad-vocab  when BPE on the sources stops short of --vocab, fill the vocabulary up with\n"
    "               <|pad_N|> control tokens (a model of a real one's shape, for benchmarks)\n"
    "  --tokenizer-from NAME  take the vocabulary (and --vocab) from r50k_base, cl100k_base,\n"
    "               o200k_base, a .tiktoken file or a .gguf file instead of training one\n"
    "  --spm        write the vocabulary as SentencePiece (tokenizer.ggml.model \"llama\": <unk>\n"
    "               <s> </s>, 256 byte tokens, then each whole-text token, spaces as U+2581,\n"
    "               scored by its id), as TinyLlama- or CodeLlama-style files carry it\n";
// clang-format on

/* Reads every file matching the patterns (in glob's sorted order, so the result is reproducible).
 * texts/lens are malloc'ed arrays of n malloc'ed texts. */
static int read_corpus(const char *const *patterns, int n_patterns, char ***texts, size_t **lens,
                       size_t *n, char *err) {
    *texts = NULL;
    *lens = NULL;
    *n = 0;
    for (int p = 0; p < n_patterns; p++) {
        glob_t g;
        int gr = glob(patterns[p], 0, NULL, &g);
        if (gr == GLOB_NOMATCH) continue;
        if (gr != 0) {
            gb_seterr(err, "%s: cannot list the files", patterns[p]);
            return -1;
        }
        *texts = gb_realloc(*texts, (*n + g.gl_pathc) * sizeof(char *));
        *lens = gb_realloc(*lens, (*n + g.gl_pathc) * sizeof(size_t));
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if (gb_read_file(g.gl_pathv[i], &(*texts)[*n], &(*lens)[*n], err) != 0) {
                globfree(&g);
                return -1;
            }
            (*n)++;
        }
        globfree(&g);
    }
    return 0;
}

/* Multiplies every matrix and bias of a random F32 model by f (init-model --std). */
static void scale_random_weights(Model *m, float f) {
    const Config *c = &m->config;
    size_t q_dim = (size_t)c->n_heads * c->head_dim, kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    size_t dim = (size_t)c->dim, ffn = (size_t)c->hidden_dim;
    struct {
        float *p;
        size_t n;
    } parts[12];
    float *e = matrix_floats(m->weights.token_embd);
    for (size_t i = 0; i < (size_t)c->vocab_size * dim; i++)
        e[i] *= f;
    for (int l = 0; l < c->n_layers; l++) {
        LayerWeights *lw = &m->weights.layers[l];
        int n = 0;
        parts[n].p = matrix_floats(lw->wq), parts[n++].n = q_dim * dim;
        parts[n].p = matrix_floats(lw->wk), parts[n++].n = kv_dim * dim;
        parts[n].p = matrix_floats(lw->wv), parts[n++].n = kv_dim * dim;
        parts[n].p = matrix_floats(lw->wo), parts[n++].n = dim * q_dim;
        parts[n].p = matrix_floats(lw->w_gate), parts[n++].n = ffn * dim;
        parts[n].p = matrix_floats(lw->w_up), parts[n++].n = ffn * dim;
        parts[n].p = matrix_floats(lw->w_down), parts[n++].n = ffn * dim;
        parts[n].p = lw->bq, parts[n++].n = lw->bq ? q_dim : 0;
        parts[n].p = lw->bk, parts[n++].n = lw->bk ? kv_dim : 0;
        parts[n].p = lw->bv, parts[n++].n = lw->bv ? kv_dim : 0;
        for (int k = 0; k < n; k++)
            for (size_t i = 0; i < parts[k].n; i++)
                parts[k].p[i] *= f;
    }
}

/* Rewrites the vocabulary keys tokenizer_add_to_writer wrote so they list n_total tokens: the
 * trained ones, then "<|pad_N|>" control tokens (never produced from text) up to n_total. For a
 * model the size of a real one's vocabulary (49152 in SmolLM) when BPE on our sources stops
 * short. */
static void pad_vocabulary(GGUFWriter *w, const Tokenizer *tok, int n_total) {
    int n = tokenizer_vocab_size(tok);
    char **strs = gb_calloc((size_t)n_total, sizeof(char *));
    size_t *lens = gb_calloc((size_t)n_total, sizeof(size_t));
    int32_t *types = gb_calloc((size_t)n_total, sizeof(int32_t));
    for (int i = 0; i < n_total; i++) {
        char buf[64];
        if (i < n && tokenizer_is_special(tok, i)) {
            size_t len;
            const char *b = tokenizer_token_bytes(tok, i, &len);
            strs[i] = gb_malloc(len + 1);
            memcpy(strs[i], b, len);
            lens[i] = len;
            types[i] = 3;
        } else if (i < n) { /* GPT-2's byte-to-unicode form, as tokenizer_add_to_writer writes it */
            size_t len;
            const char *b = tokenizer_token_bytes(tok, i, &len);
            strs[i] = gb_malloc(len * 2 + 1);
            for (size_t k = 0; k < len; k++) {
                const char *u = bpe_byte_to_unicode((uint8_t)b[k]);
                size_t ul = strlen(u);
                memcpy(strs[i] + lens[i], u, ul);
                lens[i] += ul;
            }
            types[i] = 1;
        } else {
            lens[i] = (size_t)snprintf(buf, sizeof buf, "<|pad_%d|>", i - n);
            strs[i] = gb_malloc(lens[i] + 1);
            memcpy(strs[i], buf, lens[i]);
            types[i] = 3;
        }
    }
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", (const char *const *)strs, lens,
                                  (uint64_t)n_total);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n_total);
    for (int i = 0; i < n_total; i++)
        free(strs[i]);
    free(strs);
    free(lens);
    free(types);
}

typedef struct {
    Config config; /* the shape asked for; vocab_size is the vocabulary's once there is one */
    uint64_t seed;
    float std;
    uint32_t type;
    const char *out, *pattern, *tok_from;
    bool random, pad_vocab, spm;
} InitArgs;

/* --type: a tensor type's name. */
static int parse_type(const Option *o, const char *value, char *why) {
    static const struct {
        const char *name;
        uint32_t type;
    } TYPES[] = {{"f32", GGML_TYPE_F32},   {"f16", GGML_TYPE_F16},   {"bf16", GGML_TYPE_BF16},
                 {"q8_0", GGML_TYPE_Q8_0}, {"q4_0", GGML_TYPE_Q4_0}, {"q4_k", GGML_TYPE_Q4_K},
                 {"q5_k", GGML_TYPE_Q5_K}, {"q6_k", GGML_TYPE_Q6_K}, {"q4_k_m", MODEL_TYPE_Q4_K_M}};
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcmp(value, TYPES[i].name) == 0) {
            *(uint32_t *)o->dest = TYPES[i].type;
            return 0;
        }
    snprintf(why, GB_ERRLEN, "expected f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k or q4_k_m");
    return -1;
}

/* --arch: llama or qwen2. */
static int parse_arch(const Option *o, const char *value, char *why) {
    Config *c = o->dest;
    if (strcmp(value, "llama") == 0)
        c->arch = ARCH_LLAMA;
    else if (strcmp(value, "qwen2") == 0)
        c->arch = ARCH_QWEN2;
    else {
        snprintf(why, GB_ERRLEN, "expected llama or qwen2");
        return -1;
    }
    return 0;
}

/* The options into a; OPTIONS_RUN, or the exit status. */
static int parse_init_args(InitArgs *a, int argc, char **argv) {
    memset(a, 0, sizeof *a);
    Config *c = &a->config;
    c->dim = 64, c->n_layers = 2, c->n_heads = 4, c->n_kv_heads = 2, c->hidden_dim = 172;
    c->context_length = 256, c->vocab_size = 512, c->rope_base = 10000.0f, c->norm_eps = 1e-5f;
    a->seed = DEFAULT_SEED, a->std = 0.02f, a->type = GGML_TYPE_F32;
    const Option opts[] = {
        OPTION_FLAG("--random", &a->random),
        OPTION_FLOAT("--std", &a->std, 1e-6, 10),
        OPTION_FLAG("--pad-vocab", &a->pad_vocab),
        OPTION_STRING("--output", "-o", &a->out),
        OPTION_INT("--dim", &c->dim, 2, 65536),
        OPTION_INT("--layers", &c->n_layers, 1, 1024),
        OPTION_INT("--heads", &c->n_heads, 1, 1024),
        OPTION_INT("--kv-heads", &c->n_kv_heads, 1, 1024),
        OPTION_INT("--ffn", &c->hidden_dim, 1, 1 << 20),
        OPTION_INT("--ctx", &c->context_length, 1, 1 << 20),
        OPTION_INT("--vocab", &c->vocab_size, 257, 1 << 20),
        OPTION_U64("--seed", &a->seed),
        OPTION_STRING("--pattern", NULL, &a->pattern),
        OPTION_CALL("--type", &a->type, parse_type),
        OPTION_STRING("--tokenizer-from", NULL, &a->tok_from),
        OPTION_FLAG("--spm", &a->spm),
        OPTION_CALL("--arch", c, parse_arch),
    };
    const OptionSpec spec = {"init-model", INIT_MODEL_USAGE, opts, OPTIONS_COUNT(opts), NULL, 0, 0};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;
    if (!a->random) {
        fprintf(stderr,
                "glassbox: init-model: only --random is supported (`glassbox train` trains one)\n");
        return GB_EXIT_USAGE;
    }
    if (!a->out) {
        fprintf(stderr, "glassbox: init-model: -o FILE is required\n");
        return GB_EXIT_USAGE;
    }
    return OPTIONS_RUN;
}

/* The vocabulary: --tokenizer-from's, else BPE trained on glassbox's sources (the files and bytes
 * read go to *n_files, *n_bytes), with --pattern's pre-tokenizer, as SentencePiece for --spm. NULL
 * after printing why. */
static Tokenizer *make_tokenizer(const InitArgs *a, int pattern, size_t *n_files, size_t *n_bytes) {
    char err[GB_ERRLEN], pat_c[4096], pat_h[4096];
    snprintf(pat_c, sizeof pat_c, "%s/../src/*/*.c", gb_assets_dir());
    snprintf(pat_h, sizeof pat_h, "%s/../src/*/*.h", gb_assets_dir());
    const char *patterns[] = {pat_c, pat_h};
    char **texts = NULL;
    size_t *lens = NULL, n_texts = 0;
    Tokenizer *tok = NULL;
    *n_bytes = 0;
    if (a->tok_from) {
        if (!(tok = tokenizer_open_named(a->tok_from, err))) goto fail;
    } else if (read_corpus(patterns, 2, &texts, &lens, &n_texts, err) != 0) {
        goto fail;
    } else if (n_texts == 0) {
        fprintf(stderr, "glassbox: init-model: no sources found at %s or %s\n", pat_c, pat_h);
        goto done;
    }
    for (size_t i = 0; i < n_texts; i++)
        *n_bytes += lens[i];
    if (!tok)
        tok = bpe_train((const char *const *)texts, lens, n_texts, a->config.vocab_size, pattern,
                        err);
    if (!tok || (a->pattern && tokenizer_set_pretokenizer(tok, a->pattern, err) != 0)) goto fail;
    if (a->spm) {
        Tokenizer *sp = tokenizer_to_spm(tok, err);
        tokenizer_free(tok);
        if (!(tok = sp)) goto fail;
    }
    goto done;
fail:
    fprintf(stderr, "glassbox: init-model: %s\n", err);
    if (tok) tokenizer_free(tok);
    tok = NULL;
done:
    *n_files = n_texts;
    for (size_t i = 0; i < n_texts; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    return tok;
}

#define RANDOM_MODEL_NAME "glassbox-random" /* short: the TUI shows it in its status line */

/* A model of c's shape with random weights and tok's vocabulary (padded up to vocab_asked with
 * --pad-vocab), written to a->out. 0, or the exit status after a message. */
static int write_model(const InitArgs *a, Config *c, const Tokenizer *tok, int vocab_asked) {
    char err[GB_ERRLEN];
    Model model, *m = &model;
    c->vocab_size = tokenizer_vocab_size(tok);
    int padded = a->pad_vocab && c->vocab_size < vocab_asked;
    if (padded) c->vocab_size = vocab_asked;
    c->head_dim = c->n_heads > 0 ? c->dim / c->n_heads : 0;
    c->rope_dim = c->head_dim;
    c->seq_len = c->context_length;
    if (model_init_random(m, c, a->seed, err) != 0) {
        fprintf(stderr, "glassbox: init-model: %s\n", err);
        return GB_EXIT_USAGE;
    }
    if (a->std != 0.02f) scale_random_weights(m, a->std / 0.02f);
    snprintf(m->name, sizeof m->name, RANDOM_MODEL_NAME);
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, m, a->type);
    tokenizer_add_to_writer(w, tok);
    if (padded) pad_vocabulary(w, tok, c->vocab_size);
    gguf_writer_set_string(
        w, "general.description",
        a->tok_from
            ? "random weights (glassbox init-model)"
            : "random weights (glassbox init-model); BPE vocabulary trained on glassbox's sources");
    int wr = gguf_writer_write(w, a->out, err);
    gguf_writer_free(w);
    model_free(m);
    if (wr != 0) {
        fprintf(stderr, "glassbox: init-model: %s\n", err);
        return GB_EXIT_FAIL;
    }
    return GB_EXIT_OK;
}

int cli_init_model(int argc, char **argv) {
    InitArgs a;
    int r = parse_init_args(&a, argc, argv);
    if (r != OPTIONS_RUN) return r;
    int pattern = a.pattern ? pretok_pattern_from_name(a.pattern) : PRETOK_GPT2;
    if (pattern < 0 || pattern == PRETOK_SPM) {
        fprintf(
            stderr,
            "glassbox: init-model: --pattern: '%s' is not a pre-tokenizer glassbox knows (%s)\n",
            a.pattern, pretok_supported_names());
        return GB_EXIT_USAGE;
    }
    double t0 = gb_now();
    size_t n_files, n_bytes;
    Tokenizer *tok = make_tokenizer(&a, pattern, &n_files, &n_bytes);
    if (!tok) return GB_EXIT_USAGE;
    double t_bpe = gb_now() - t0;
    Config c = a.config;
    r = write_model(&a, &c, tok, a.config.vocab_size);
    if (r == GB_EXIT_OK)
        fprintf(stderr,
                "glassbox: init-model: wrote %s: %s, %d tokens (BPE on %zu files, %zu bytes, %.1f "
                "s), dim %d, "
                "%d layers, %d/%d heads, ffn %d, context %d\n",
                a.out, RANDOM_MODEL_NAME, c.vocab_size, n_files, n_bytes, t_bpe, c.dim, c.n_layers,
                c.n_heads, c.n_kv_heads, c.hidden_dim, c.context_length);
    tokenizer_free(tok);
    return r;
}
