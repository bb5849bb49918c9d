/* glassbox's command line: `glassbox SUBCOMMAND [OPTIONS] ARGS`. Each subcommand is a function
 * cmd_NAME(argc, argv) with argv[0] = NAME that returns the exit status (util.h: 0 ok, 1 a runtime
 * failure, 2 bad input). Options may come before or after the positional arguments; `--` ends the
 * options; `-` as TEXT or FILE means standard input.
 *
 * Conventions shared by the subcommands that run the model:
 * - The prompt is encoded as bytes (any bytes, invalid UTF-8 included) and the vocabulary's BOS token
 *   is put in front of it when the model has one (glassbox's own models use <|endoftext|> as BOS, the
 *   way GPT-2 style models separate documents).
 * - Sampling defaults: temperature 0.8, top-k 0 (off), top-p 1 (off), seed 42.
 * - In JSON, a token's "text" is its bytes as UTF-8 in which every byte that is not part of a valid
 *   UTF-8 sequence is replaced by U+FFFD, and "bytes" lists the exact byte values. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpe_train.h"
#include "cli.h"
#include "explain.h"
#include "gguf.h"
#include "files.h"
#include "loader.h"
#include "model.h"
#include "sampler.h"
#include "tokenizer.h"
#include "tui.h"
#include "json.h"
#include "files.h"
#include "util.h"

#define GB_VERSION "0.1.0"
#define DEFAULT_TEMP 0.8f
#define DEFAULT_SEED 42
#define DEFAULT_STEPS 32
#define DEFAULT_PROMPT "def fibonacci(n):"

/* ------------------------------------------------------------------------------------------------
 * Option parsing: each subcommand lists its options in a table; parse_args fills the destinations,
 * collects the positional arguments and prints a one-line message for anything wrong. */

typedef enum { OPT_FLAG, OPT_STRING, OPT_FLOAT, OPT_INT, OPT_U64 } OptKind;

typedef struct {
    const char *name; /* "--temp" */
    const char *alias; /* "-o" or NULL */
    OptKind kind;
    void *dest;   /* bool*, const char**, float*, int*, uint64_t* */
    double min, max; /* allowed range of numbers (inclusive) */
} OptSpec;

typedef struct {
    const char *cmd;
    const char *usage; /* printed by --help */
    const OptSpec *opts;
    int n_opts;
    int min_pos, max_pos;
    const char *pos_name; /* "PROMPT|-", for the missing-argument message */
} CommandSpec;

enum { PARSE_OK = 0, PARSE_HELP = 1, PARSE_ERROR = 2 };

static void describe_range(char *out, size_t n, const OptSpec *o) {
    if (o->kind == OPT_FLOAT) {
        if (isinf(o->max)) snprintf(out, n, "a number ≥ %g", o->min);
        else snprintf(out, n, "a number in [%g, %g]", o->min, o->max);
    } else {
        snprintf(out, n, "an integer in [%.0f, %.0f]", o->min, o->max);
    }
}

static bool parse_number(const OptSpec *o, const char *s) {
    char *end;
    errno = 0;
    if (o->kind == OPT_FLOAT) {
        double v = strtod(s, &end);
        if (end == s || *end || errno || !isfinite(v) || v < o->min || v > o->max) return false;
        *(float *)o->dest = (float)v;
    } else if (o->kind == OPT_INT) {
        long v = strtol(s, &end, 10);
        if (end == s || *end || errno || (double)v < o->min || (double)v > o->max) return false;
        *(int *)o->dest = (int)v;
    } else {
        while (isspace((unsigned char)*s)) s++;
        if (*s == '-') return false; // strtoull would wrap it around
        unsigned long long v = strtoull(s, &end, 0);
        if (end == s || *end || errno) return false;
        *(uint64_t *)o->dest = v;
    }
    return true;
}

static int print_usage(const CommandSpec *c, FILE *f) {
    fputs(c->usage, f);
    return f == stdout ? GB_EXIT_OK : GB_EXIT_USAGE;
}

/* Fills pos[0..*n_pos) with the positional arguments of argv[1..argc). */
static int parse_args(const CommandSpec *c, int argc, char **argv, char **pos, int *n_pos) {
    *n_pos = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        bool is_option = !only_positional && arg[0] == '-' && arg[1] != 0;
        if (is_option && strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (!is_option) {
            if (*n_pos >= c->max_pos) {
                fprintf(stderr, "glassbox: %s: unexpected argument '%s' (see glassbox %s --help)\n",
                        c->cmd, arg, c->cmd);
                return PARSE_ERROR;
            }
            pos[(*n_pos)++] = arg;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) return PARSE_HELP;
        // --name=value or --name value
        const char *eq = strchr(arg, '=');
        size_t name_len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
        const OptSpec *o = NULL;
        for (int k = 0; k < c->n_opts && !o; k++) {
            const OptSpec *cand = &c->opts[k];
            if ((strlen(cand->name) == name_len && strncmp(cand->name, arg, name_len) == 0) ||
                (cand->alias && strcmp(cand->alias, arg) == 0))
                o = cand;
        }
        if (!o) {
            fprintf(stderr, "glassbox: %s: unknown option '%.*s' (see glassbox %s --help)\n", c->cmd,
                    (int)name_len, arg, c->cmd);
            return PARSE_ERROR;
        }
        if (o->kind == OPT_FLAG) {
            if (eq && name_len < strlen(arg)) {
                fprintf(stderr, "glassbox: %s: %s takes no value\n", c->cmd, o->name);
                return PARSE_ERROR;
            }
            *(bool *)o->dest = true;
            continue;
        }
        const char *value;
        if (eq && name_len < strlen(arg)) value = eq + 1;
        else if (i + 1 < argc) value = argv[++i];
        else {
            fprintf(stderr, "glassbox: %s: %s: missing value\n", c->cmd, o->name);
            return PARSE_ERROR;
        }
        if (o->kind == OPT_STRING) {
            if (!*value) {
                fprintf(stderr, "glassbox: %s: %s: empty value\n", c->cmd, o->name);
                return PARSE_ERROR;
            }
            *(const char **)o->dest = value;
        } else if (!parse_number(o, value)) {
            char range[96];
            if (o->kind == OPT_U64) snprintf(range, sizeof range, "an integer ≥ 0");
            else describe_range(range, sizeof range, o);
            fprintf(stderr, "glassbox: %s: %s: expected %s, got '%s'\n", c->cmd, o->name, range, value);
            return PARSE_ERROR;
        }
    }
    if (*n_pos < c->min_pos) {
        fprintf(stderr, "glassbox: %s: missing %s (see glassbox %s --help)\n", c->cmd, c->pos_name,
                c->cmd);
        return PARSE_ERROR;
    }
    return PARSE_OK;
}

/* Runs parse_args and turns help and errors into an exit status; -1 means carry on. */
static int parse_or_exit(const CommandSpec *c, int argc, char **argv, char **pos, int *n_pos) {
    int r = parse_args(c, argc, argv, pos, n_pos);
    if (r == PARSE_HELP) return print_usage(c, stdout);
    if (r == PARSE_ERROR) return GB_EXIT_USAGE;
    return -1;
}

/* ------------------------------------------------------------------------------------------------
 * Input, models and tokenizers. */

/* The bytes of a TEXT argument, or of standard input for "-". */
static int read_text_arg(const char *cmd, const char *arg, char **text, size_t *len) {
    if (strcmp(arg, "-") == 0) {
        char err[GB_ERRLEN];
        if (gb_read_input(GB_INPUT_PROMPT, "-", text, len, err) != 0) {
            fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
            return GB_EXIT_USAGE;
        }
        return GB_EXIT_OK;
    }
    *len = strlen(arg);
    *text = gb_strdup(arg);
    return GB_EXIT_OK;
}

static void print_open_error(const char *cmd, const char *path, const char *err) {
    struct stat st;
    bool missing_default = strcmp(path, cli_default_model()) == 0 && stat(path, &st) != 0;
    fprintf(stderr, "glassbox: %s: %s%s\n", cmd, err,
            missing_default ? " (the default model: `make` builds it, or pass --model FILE)" : "");
}

/* A model file opened for its tokenizer, and, when asked, its weights. */
typedef struct {
    GGUFFile file;
    bool has_file;
    Tokenizer *tok;
    Model model;
    bool has_model;
} Loaded;

static void loaded_free(Loaded *L) {
    if (L->has_model) model_free(&L->model);
    if (L->tok) tokenizer_free(L->tok);
    if (L->has_file) gguf_close(&L->file);
    memset(L, 0, sizeof *L);
}

static int open_tokenizer(const char *cmd, const char *path, Loaded *L) {
    char err[GB_ERRLEN];
    memset(L, 0, sizeof *L);
    if (gguf_open(&L->file, path, err) != 0) {
        print_open_error(cmd, path, err);
        return GB_EXIT_USAGE;
    }
    L->has_file = true;
    L->tok = tokenizer_from_gguf(&L->file, err);
    if (!L->tok) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        loaded_free(L);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

/* Loads the weights with room for max_seq positions (0: the model's context length), no probes, and
 * checks them against the tokenizer (loader_check, as every path that opens a model). */
static int load_weights(const char *cmd, const char *path, int max_seq, Loaded *L) {
    char err[GB_ERRLEN];
    if (model_load(&L->model, path, max_seq, err) != 0) {
        print_open_error(cmd, path, err);
        return GB_EXIT_USAGE;
    }
    L->has_model = true;
    model_limit_threads(&L->model);
    if (loader_check(&L->model, L->tok, path, err) != 0) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

/* Encodes text with BOS in front when the vocabulary has one. *ids is malloc'ed. */
static int encode_prompt(const char *cmd, const Tokenizer *tok, const char *text, size_t len,
                         int32_t **ids, int *n) {
    char err[GB_ERRLEN];
    int total = tokenizer_encode_prompt(tok, text, len, ids, err);
    if (total < 0) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        return GB_EXIT_USAGE;
    }
    *n = total;
    if (total == 0) {
        fprintf(stderr, "glassbox: %s: the prompt is empty and the model has no BOS token to start from\n",
                cmd);
        free(*ids);
        *ids = NULL;
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

/* The start of generate and probs: the prompt (text, or - for standard input) read, encoded with BOS
 * in front, and the model loaded with room for `extra` positions after it. On failure everything is
 * freed and the exit status returned. */
static int load_prompt(const char *cmd, const char *model_path, const char *arg, int extra, char **prompt,
                       size_t *prompt_len, Loaded *L, int32_t **ids, int *n_ids) {
    int r = read_text_arg(cmd, arg, prompt, prompt_len);
    if (r != 0) return r;
    *ids = NULL;
    *n_ids = 0;
    if ((r = open_tokenizer(cmd, model_path, L)) != 0) {
        free(*prompt);
        return r;
    }
    if ((r = encode_prompt(cmd, L->tok, *prompt, *prompt_len, ids, n_ids)) == 0 &&
        (r = load_weights(cmd, model_path, *n_ids + extra, L)) == 0 && *n_ids > L->model.config.seq_len) {
        fprintf(stderr, "glassbox: %s: the prompt is %d tokens but the model's context holds %d\n", cmd, *n_ids,
                L->model.config.seq_len);
        r = GB_EXIT_USAGE;
    }
    if (r != 0) {
        free(*ids);
        loaded_free(L);
        free(*prompt);
    }
    return r;
}

/* Feeds ids[0..n) at positions 0..n-1 in one pass and returns the logits after the last one. */
static float *run_prompt(Model *m, const int32_t *ids, int n) {
    return model_forward_prompt(m, ids, n, 0);
}

/* ------------------------------------------------------------------------------------------------
 * Text output: display form, JSON strings. */

static void json_bytes(FILE *f, const char *bytes, size_t n) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%u", i ? "," : "", (unsigned char)bytes[i]);
    fputc(']', f);
}

/* A number as JSON (which has no infinities or NaN: those become null). */
static void json_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
}

/* The display form of a token (token_display) in a buffer owned by the caller. */
static const char *display_token(const Tokenizer *tok, int32_t id, char *buf, size_t bufsz) {
    size_t len = 0;
    const char *bytes = tokenizer_token_bytes(tok, id, &len);
    if (!bytes) {
        snprintf(buf, bufsz, "<id %d>", (int)id);
        return buf;
    }
    return token_display(bytes, len, buf, bufsz);
}

/* Terminal columns of a UTF-8 string, counting one per code point (good enough for the tables). */
static int display_width(const char *s) {
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void print_padded(const char *s, int width) {
    fputs(s, stdout);
    for (int w = display_width(s); w < width; w++) fputc(' ', stdout);
}

/* ------------------------------------------------------------------------------------------------
 * glassbox info */

static const char *value_type_name(uint32_t t) {
    static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
                                  "string", "array", "u64", "i64", "f64"};
    return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* A string value, quoted and cut at max bytes. */
static void print_gguf_string(GGUFString s, size_t max) {
    size_t n = s.len < max ? (size_t)s.len : max;
    json_string(stdout, s.data, n);
    if (s.len > max) printf("…(%llu bytes)", (unsigned long long)s.len);
}

static void print_scalar(const GGUFValue *v) {
    switch (v->type) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_UINT16: case GGUF_TYPE_UINT32: case GGUF_TYPE_UINT64:
        printf("%llu", (unsigned long long)v->u64);
        break;
    case GGUF_TYPE_INT8: case GGUF_TYPE_INT16: case GGUF_TYPE_INT32: case GGUF_TYPE_INT64:
        printf("%lld", (long long)v->i64);
        break;
    case GGUF_TYPE_FLOAT32: case GGUF_TYPE_FLOAT64: printf("%g", v->f64); break;
    case GGUF_TYPE_BOOL: printf("%s", v->b ? "true" : "false"); break;
    case GGUF_TYPE_STRING: print_gguf_string(v->str, 80); break;
    default: printf("?"); break;
    }
}

static void print_array(const GGUFValue *v) {
    enum { SHOWN = 8 };
    printf("[%s × %llu] ", value_type_name(v->elem_type), (unsigned long long)v->count);
    uint64_t n = v->count < SHOWN ? v->count : SHOWN;
    for (uint64_t i = 0; i < n; i++) {
        if (i) printf(", ");
        if (v->elem_type == GGUF_TYPE_STRING) print_gguf_string(v->strs[i], 40);
        else if (v->elem_type == GGUF_TYPE_FLOAT32 || v->elem_type == GGUF_TYPE_FLOAT64)
            printf("%g", gguf_array_float(v, i));
        else if (v->elem_type == GGUF_TYPE_BOOL) printf("%s", gguf_array_int(v, i) ? "true" : "false");
        else printf("%lld", (long long)gguf_array_int(v, i));
    }
    if (v->count > n) printf(", … (%llu more)", (unsigned long long)(v->count - n));
}

static int cmd_info(int argc, char **argv) {
    const char *model_path = cli_default_model();
    OptSpec opts[] = {{"--model", "-m", OPT_STRING, &model_path, 0, 0}};
    CommandSpec c = {"info",
                     "usage: glassbox info [--model FILE]\n"
                     "Prints a GGUF model's metadata (long arrays abbreviated), its tensors (name, type,\n"
                     "shape with the contiguous dimension first, bytes) and the llama configuration read\n"
                     "from them.\n"
                     "  --model FILE   the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n",
                     opts, 1, 0, 0, ""};
    char *pos[1];
    int n_pos, r = parse_or_exit(&c, argc, argv, pos, &n_pos);
    if (r >= 0) return r;

    char err[GB_ERRLEN];
    GGUFFile f;
    if (gguf_open(&f, model_path, err) != 0) {
        print_open_error("info", model_path, err);
        return GB_EXIT_USAGE;
    }
    // every name below comes from the file: shown through gb_printable, never raw to the terminal
    char shown[512];
    printf("file: %s (%zu bytes), GGUF v%u, alignment %u\n",
           gb_printable(f.path, strlen(f.path), shown, sizeof shown, 0), f.size, f.version, f.alignment);
    printf("\nmetadata (%llu keys):\n", (unsigned long long)f.n_kv);
    for (uint64_t i = 0; i < f.n_kv; i++) {
        const GGUFKeyValue *kv = &f.kv[i];
        printf("  %s", gb_printable(kv->key.data, (size_t)kv->key.len, shown, sizeof shown, 0));
        printf(" (%s) = ", value_type_name(kv->value.type));
        if (kv->value.type == GGUF_TYPE_ARRAY) print_array(&kv->value);
        else print_scalar(&kv->value);
        printf("\n");
    }
    printf("\ntensors (%llu):\n", (unsigned long long)f.n_tensors);
    printf("  %-32s %-6s %-22s %12s\n", "name", "type", "shape", "bytes");
    uint64_t total = 0;
    for (uint64_t i = 0; i < f.n_tensors; i++) {
        const GGUFTensor *t = &f.tensors[i];
        char shape[96];
        int off = 0;
        for (uint32_t d = 0; d < t->n_dims; d++)
            off += snprintf(shape + off, sizeof shape - (size_t)off, "%s%llu", d ? " × " : "",
                            (unsigned long long)t->ne[d]);
        const char *tn = ggml_type_name(t->type);
        printf("  %-32s %-6s ", gb_printable(t->name, strlen(t->name), shown, sizeof shown, 0), tn ? tn : "?");
        print_padded(shape, 22);
        printf(" %12llu\n", (unsigned long long)t->n_bytes);
        total += t->n_bytes;
    }
    printf("  %-32s %-6s %-22s %12llu\n", "total", "", "", (unsigned long long)total);
    gguf_close(&f);

    Model m;
    if (model_load(&m, model_path, 1, err) != 0) {
        printf("\nconfig: not loadable as a llama model: %s\n", err);
        return GB_EXIT_OK;
    }
    const Config *cf = &m.config;
    printf("\nconfig (%s):\n", m.name);
    printf("  dim %d, hidden_dim %d, layers %d, heads %d, kv_heads %d, head_dim %d, rope_dim %d\n",
           cf->dim, cf->hidden_dim, cf->n_layers, cf->n_heads, cf->n_kv_heads, cf->head_dim,
           cf->rope_dim);
    printf("  vocab %d, context %d, rope_base %g, norm_eps %g, output head %s\n", cf->vocab_size,
           cf->context_length, cf->rope_base, cf->norm_eps,
           m.weights.tied ? "tied to the embedding" : "separate");
    long long params = (long long)cf->vocab_size * cf->dim * (m.weights.tied ? 1 : 2) + cf->dim;
    long long kv_dim = (long long)cf->n_kv_heads * cf->head_dim, q_dim = (long long)cf->n_heads * cf->head_dim;
    params += (long long)cf->n_layers * (2LL * cf->dim + q_dim * cf->dim * 2 + kv_dim * cf->dim * 2 +
                                         3LL * cf->hidden_dim * cf->dim);
    printf("  parameters %lld\n", params);
    model_free(&m);
    return GB_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------------
 * glassbox tokenize */

static int hex_value(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* tokenize --batch: texts in hexadecimal, one a line, on standard input; their ids, one line each. */
static int tokenize_batch(const char *model_path, const char *tok_name, bool special) {
    char err[GB_ERRLEN];
    Loaded L;
    memset(&L, 0, sizeof L);
    int r;
    if (tok_name) {
        if (!(L.tok = tokenizer_open_named(tok_name, err))) {
            fprintf(stderr, "glassbox: tokenize: %s\n", err);
            return GB_EXIT_USAGE;
        }
    } else if ((r = open_tokenizer("tokenize", model_path, &L)) != 0) {
        return r;
    }
    char *in;
    size_t n_in;
    if (gb_read_file("-", &in, &n_in, err)) {
        fprintf(stderr, "glassbox: tokenize: %s\n", err);
        loaded_free(&L);
        return GB_EXIT_USAGE;
    }
    char *text = gb_malloc(n_in / 2 + 1);
    r = GB_EXIT_OK;
    for (size_t i = 0, line = 1; i < n_in && r == GB_EXIT_OK; line++) {
        size_t e = i, len = 0;
        while (e < n_in && in[e] != '\n') e++;
        for (size_t k = i; k + 1 < e; k += 2) {
            int hi = hex_value(in[k]), lo = hex_value(in[k + 1]);
            if (hi < 0 || lo < 0) break;
            text[len++] = (char)(hi * 16 + lo);
        }
        if (2 * len != e - i) {
            fprintf(stderr, "glassbox: tokenize: standard input, line %zu: not hexadecimal\n", line);
            r = GB_EXIT_USAGE;
            break;
        }
        TokenSpan *spans;
        int n = tokenizer_encode_ex(L.tok, text, len, special ? TOKENIZE_SPECIAL : 0, &spans, err);
        if (n < 0) {
            printf("error: %s\n", err);
        } else {
            for (int k = 0; k < n; k++) printf("%s%d", k ? " " : "", (int)spans[k].id);
            printf("\n");
            free(spans);
        }
        i = e + 1;
    }
    free(text);
    free(in);
    loaded_free(&L);
    return r;
}

static int cmd_tokenize(int argc, char **argv) {
    const char *model_path = cli_default_model(), *tok_name = NULL, *lab_file = NULL;
    bool json = false, compare = false, names = false, explain = false, special = false, batch = false;
    OptSpec opts[] = {{"--model", "-m", OPT_STRING, &model_path, 0, 0},
                      {"--tokenizer", "-t", OPT_STRING, &tok_name, 0, 0},
                      {"--json", NULL, OPT_FLAG, &json, 0, 0},
                      {"--special", NULL, OPT_FLAG, &special, 0, 0},
                      {"--batch", NULL, OPT_FLAG, &batch, 0, 0},
                      /* the tokenizer lab (lab_cli.c) */
                      {"--compare", NULL, OPT_FLAG, &compare, 0, 0},
                      {"--names", NULL, OPT_FLAG, &names, 0, 0},
                      {"--explain", NULL, OPT_FLAG, &explain, 0, 0},
                      {"--file", NULL, OPT_STRING, &lab_file, 0, 0}};
    CommandSpec c = {
        "tokenize",
        "usage: glassbox tokenize [--json] [--special] [--model FILE | --tokenizer NAME|FILE.tiktoken]\n"
        "                         [--compare | --names | --explain] TEXT|-\n"
        "       glassbox tokenize --file FILE [--json] [--model FILE | --tokenizer NAME]\n"
        "Splits TEXT (or standard input, for -) into tokens, one a line: id, the token's text with\n"
        "whitespace made visible (space ·, tab →, newline ⏎, other bytes <0xNN>), and its byte span\n"
        "start-end of the input. A summary (token and byte counts) goes to standard error.\n"
        "  --model FILE       use the model's vocabulary (default: the default model)\n"
        "  --tokenizer NAME   gpt2, r50k_base, cl100k_base, o200k_base, or a .tiktoken file\n"
        "  --json             an array of {\"id\", \"text\", \"bytes\", \"start\", \"end\"}: \"text\" is the\n"
        "                     token's bytes as UTF-8 with invalid bytes replaced by U+FFFD, \"bytes\"\n"
        "                     the exact byte values\n"
        "  --special          control tokens written in TEXT (<s>, <|endoftext|>, ...) become those\n"
        "                     tokens (user-defined ones always do)\n"
        "  --batch            for tools (tools/crosscheck): each line of standard input is a text in\n"
        "                     hexadecimal; each line of output its token ids, separated by spaces\n"
        "The tokenizer lab: the model's tokenizer (or --tokenizer's) beside GPT-2 (r50k_base),\n"
        "cl100k_base and o200k_base:\n"
        "  --compare          TEXT's split and token count under each\n"
        "  --names            TEXT as an identifier (or a line of code) in snake_case, camelCase,\n"
        "                     PascalCase, SCREAMING_SNAKE_CASE, kebab-case and two abbreviations\n"
        "                     (first 4 letters less a final vowel: auth, tok; no vowels after the\n"
        "                     first letter: usr, msg), fewest tokens first, with each split\n"
        "  --explain          BPE step by step: from the bytes, one line per merge (rank, the pair,\n"
        "                     the parts after), lowest rank first, under the one tokenizer\n"
        "  --file FILE        a source file's tokens and bytes/token under each, and its 10 costliest\n"
        "                     lines (with how many tokens are leading whitespace)\n",
        opts, 9, 0, 1, "TEXT (or - for standard input)"};
    char *pos[1];
    int n_pos, r = parse_or_exit(&c, argc, argv, pos, &n_pos);
    if (r >= 0) return r;
    if ((int)compare + (int)names + (int)explain + (lab_file != NULL) > 1) {
        fprintf(stderr, "glassbox: tokenize: --compare, --names, --explain and --file go one at a time\n");
        return GB_EXIT_USAGE;
    }
    if (lab_file) {
        if (n_pos > 0) {
            fprintf(stderr, "glassbox: tokenize: --file takes no TEXT (got '%s')\n", pos[0]);
            return GB_EXIT_USAGE;
        }
        return cli_tokenize_lab(LAB_CLI_FILE, NULL, 0, lab_file, tok_name, model_path, json);
    }
    if (batch) return tokenize_batch(model_path, tok_name, special);
    if (n_pos == 0) {
        fprintf(stderr, "glassbox: tokenize: missing %s (see glassbox tokenize --help)\n", c.pos_name);
        return GB_EXIT_USAGE;
    }
    if (compare || names || explain) {
        char *lab_text;
        size_t lab_len;
        if ((r = read_text_arg("tokenize", pos[0], &lab_text, &lab_len)) != 0) return r;
        r = cli_tokenize_lab(compare ? LAB_CLI_COMPARE : names ? LAB_CLI_NAMES : LAB_CLI_EXPLAIN, lab_text,
                             lab_len, NULL, tok_name, model_path, json);
        free(lab_text);
        return r;
    }

    char *text;
    size_t len;
    if ((r = read_text_arg("tokenize", pos[0], &text, &len)) != 0) return r;
    Loaded L;
    memset(&L, 0, sizeof L);
    char err[GB_ERRLEN];
    if (tok_name) {
        L.tok = tokenizer_open_named(tok_name, err);
        if (!L.tok) {
            fprintf(stderr, "glassbox: tokenize: %s\n", err);
            free(text);
            return GB_EXIT_USAGE;
        }
    } else if ((r = open_tokenizer("tokenize", model_path, &L)) != 0) {
        free(text);
        return r;
    }
    TokenSpan *spans = NULL;
    int n = tokenizer_encode_ex(L.tok, text, len, special ? TOKENIZE_SPECIAL : 0, &spans, err);
    if (n < 0) {
        fprintf(stderr, "glassbox: tokenize: %s\n", err);
        free(text);
        loaded_free(&L);
        return GB_EXIT_USAGE;
    }
    size_t bufsz = 64;
    char *buf = gb_malloc(bufsz);
    if (json) printf("[");
    for (int i = 0; i < n; i++) {
        size_t tlen = 0;
        const char *bytes = tokenizer_token_bytes(L.tok, spans[i].id, &tlen);
        if (!bytes) bytes = "", tlen = 0;
        if (json) {
            printf("%s\n  {\"id\": %d, \"text\": ", i ? "," : "", (int)spans[i].id);
            json_string(stdout, bytes, tlen);
            printf(", \"bytes\": ");
            json_bytes(stdout, bytes, tlen);
            printf(", \"start\": %u, \"end\": %u}", spans[i].start, spans[i].end);
        } else {
            if (bufsz < 8 * tlen + 16) buf = gb_realloc(buf, bufsz = 8 * tlen + 16);
            printf("%d\t%s\t%u-%u\n", (int)spans[i].id, token_display(bytes, tlen, buf, bufsz),
                   spans[i].start, spans[i].end);
        }
    }
    if (json) printf("%s]\n", n ? "\n" : "");
    fprintf(stderr, "%d tokens, %zu bytes (%.2f bytes per token)\n", n, len, n ? (double)len / n : 0.0);
    free(buf);
    free(spans);
    free(text);
    loaded_free(&L);
    return GB_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------------
 * glassbox generate */

typedef struct {
    float temp;
    int top_k;
    float top_p;
    uint64_t seed;
} SamplingOptions;

/* Generated text on its way to standard output: raw bytes into a pipe or a file, but on a terminal
 * made printable (gb_printable, lines kept), so a vocabulary cannot send escape sequences. A UTF-8
 * character split across tokens is held back until its last byte arrives (or the end: last). */
typedef struct {
    bool tty;
    char held[4];
    size_t n_held;
} TextOut;

static void text_out(TextOut *o, const char *bytes, size_t n, bool last) {
    if (!o->tty) {
        fwrite(bytes, 1, n, stdout);
        return;
    }
    size_t total = o->n_held + n;
    char *joined = gb_malloc(total + 1);
    memcpy(joined, o->held, o->n_held);
    memcpy(joined + o->n_held, bytes, n);
    size_t keep = last ? 0 : gb_utf8_incomplete_tail(joined, total);
    size_t shown_sz = (total - keep) * 6 + 1; /* at most <0xNN> for every byte */
    char *shown = gb_malloc(shown_sz);
    fputs(gb_printable(joined, total - keep, shown, shown_sz, GB_PRINT_LINES), stdout);
    memcpy(o->held, joined + total - keep, keep);
    o->n_held = keep;
    free(shown);
    free(joined);
}

/* The sampler of a subcommand: the chain options taken out of argv (cli_take_sampler_options), then
 * today's knobs from the subcommand's own table. */
static void sampler_from_options(Sampler *s, const SamplingOptions *so) {
    s->temperature = so->temp;
    s->top_k = so->top_k;
    s->top_p = so->top_p;
    sampler_reseed(s, so->seed);
}

static int cmd_generate(int argc, char **argv) {
    const char *model_path = cli_default_model();
    SamplingOptions so = {DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED};
    Sampler sampler;
    sampler_init(&sampler, DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED);
    int r0 = cli_take_sampler_options("generate", &argc, argv, &sampler, 0);
    if (r0 != 0) return r0;
    int steps = DEFAULT_STEPS;
    bool json = false;
    OptSpec opts[] = {{"--model", "-m", OPT_STRING, &model_path, 0, 0},
                      {"--temp", NULL, OPT_FLOAT, &so.temp, 0, INFINITY},
                      {"--top-k", NULL, OPT_INT, &so.top_k, 0, 1 << 30},
                      {"--top-p", NULL, OPT_FLOAT, &so.top_p, 0, 1},
                      {"--seed", NULL, OPT_U64, &so.seed, 0, 0},
                      {"--steps", "-n", OPT_INT, &steps, 0, 1000000},
                      {"--json", NULL, OPT_FLAG, &json, 0, 0}};
    CommandSpec c = {
        "generate",
        "usage: glassbox generate [--temp T] [--top-k K] [--top-p P] [--seed S] [--steps N] [--json]\n"
        "                         [--min-p P] [--typical P] [--repeat-penalty R] [--repeat-last-n N]\n"
        "                         [--presence-penalty P] [--frequency-penalty P] [--samplers LIST]\n"
        "                         [--model FILE] PROMPT|-\n"
        "Continues PROMPT (or standard input, for -): prints the prompt, then streams up to N sampled\n"
        "tokens, stopping early at the end-of-text token or the model's context length. The model's\n"
        "BOS token goes in front of the prompt when it has one. The same seed gives the same text.\n"
        "  --temp T     temperature, 0 = always the most likely token (default 0.8)\n"
        "  --top-k K    sample among the K most likely tokens only, 0 = off (default 0)\n"
        "  --top-p P    then among the fewest tokens whose probability adds up to P (default 1 = off)\n"
        CLI_SAMPLER_USAGE
        "  --seed S     seed of the generator (default 42)\n"
        "  --steps N    tokens to generate (default 32)\n"
        "  --json       print {\"prompt\", \"tokens\": [{\"id\", \"text\", \"bytes\", \"prob\", \"logprob\",\n"
        "               \"prob_t1\"}], \"text\"}: prob is the chance the sampler gave the token (at T, after\n"
        "               top-k/top-p), logprob its natural log, prob_t1 the model's own (T = 1, no cut)\n"
        "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n",
        opts, 7, 1, 1, "PROMPT (or - for standard input)"};
    char *pos[1];
    int n_pos, r = parse_or_exit(&c, argc, argv, pos, &n_pos);
    if (r >= 0) return r;

    char *prompt;
    size_t prompt_len;
    Loaded L;
    int32_t *ids;
    int n_ids;
    if ((r = load_prompt("generate", model_path, pos[0], steps, &prompt, &prompt_len, &L, &ids, &n_ids)) != 0)
        return r;
    Model *m = &L.model;
    int seq_len = m->config.seq_len;
    int vocab = m->config.vocab_size;
    int32_t eos = tokenizer_eos(L.tok);
    sampler_from_options(&sampler, &so);
    int32_t *history = gb_malloc(sizeof(int32_t) * (size_t)(n_ids + steps + 1)); // what the penalties see
    memcpy(history, ids, sizeof(int32_t) * (size_t)n_ids);
    Distribution d;
    distribution_init(&d, vocab);
    size_t out_cap = 256, out_len = 0;
    char *out = gb_malloc(out_cap); // the generated bytes, for --json's "text"
    TextOut tout = {isatty(STDOUT_FILENO) != 0, {0}, 0};

    if (json) {
        printf("{\"prompt\": ");
        json_string(stdout, prompt, prompt_len);
        printf(", \"tokens\": [");
    } else {
        text_out(&tout, prompt, prompt_len, false);
        fflush(stdout);
    }
    float *logits = steps > 0 ? run_prompt(m, ids, n_ids) : NULL;
    int pos_next = n_ids, generated = 0;
    bool stopped_at_context = false;
    for (int step = 0; step < steps; step++) {
        distribution_compute_ctx(&d, logits, &sampler, history, pos_next);
        int32_t next = sampler_sample(&sampler, &d);
        if (next == eos) break;
        history[pos_next] = next;
        size_t tlen = 0;
        const char *bytes = tokenizer_token_bytes(L.tok, next, &tlen);
        if (!bytes) bytes = "", tlen = 0;
        if (out_len + tlen > out_cap) out = gb_realloc(out, out_cap = 2 * (out_len + tlen));
        memcpy(out + out_len, bytes, tlen);
        out_len += tlen;
        generated++;
        if (json) {
            printf("%s\n  {\"id\": %d, \"text\": ", step ? "," : "", (int)next);
            json_string(stdout, bytes, tlen);
            printf(", \"bytes\": ");
            json_bytes(stdout, bytes, tlen);
            printf(", \"prob\": ");
            json_number(stdout, d.probs[next]);
            printf(", \"logprob\": ");
            json_number(stdout, log((double)d.probs[next]));
            printf(", \"prob_t1\": ");
            json_number(stdout, d.probs_t1[next]);
            printf("}");
        } else {
            text_out(&tout, bytes, tlen, false);
            fflush(stdout);
        }
        if (step + 1 == steps) break;
        if (pos_next >= seq_len) {
            stopped_at_context = true;
            break;
        }
        logits = model_forward(m, next, pos_next++);
    }
    if (json) {
        printf("%s], \"text\": ", generated ? "\n" : "");
        json_string(stdout, out, out_len);
        printf("}\n");
    } else {
        text_out(&tout, "\n", 1, true);
    }
    if (stopped_at_context)
        fprintf(stderr, "glassbox: generate: stopped at the model's context length (%d tokens)\n", seq_len);
    free(out);
    free(history);
    distribution_free(&d);
    r = gb_finish_output(stdout, "generate", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
    free(ids);
    loaded_free(&L);
    free(prompt);
    return r;
}

/* ------------------------------------------------------------------------------------------------
 * glassbox probs */

/* probs --explain, the chain: one row per stage, what it kept and removed and the probabilities of the
 * likeliest tokens after it, then where the token the seed draws stood at each stage. */
static void print_chain_text(const Tokenizer *tok, const Distribution *d) {
    char buf[1024], chain[128];
    int cols = d->n_chain < 5 ? d->n_chain : 5;
    printf("\nthe chain, in order (%s); probabilities renormalised over the tokens still in:\n",
           sampler_chain_string(&d->settings, chain, sizeof chain));
    printf("%-10s %7s %9s %5s ", "stage", "kept", "removed", "T");
    for (int c = 0; c < cols; c++) {
        printf(" ");
        print_padded(display_token(tok, d->chain_ids[c], buf, sizeof buf), 10);
    }
    printf("\n%-10s %7d %9s %5s ", "(model)", d->vocab, "", "1");
    for (int c = 0; c < cols; c++) printf(" %9.4f%%", 100.0 * d->chain_prob_in[c]);
    printf("\n");
    for (int i = 0; i < d->n_stages; i++) {
        const ChainStage *st = &d->stages[i];
        printf("%-10s %7d %8.4f%% %5g ", sampler_stage_name(st->kind), st->n_kept, 100.0 * st->removed,
               (double)st->temperature);
        for (int c = 0; c < cols; c++)
            if (st->rank[c]) printf(" %9.4f%%", 100.0 * st->prob[c]);
            else printf(" %10s", "cut");
        printf("%s\n", st->active ? "" : "  (off)");
    }
    if (d->drawn >= 0) {
        printf("drawn: ");
        print_padded(display_token(tok, d->drawn, buf, sizeof buf), 0);
        printf(" (#%d): rank %d, %.4f%% from the model", (int)d->drawn, distribution_stage_rank(d, -1, d->drawn),
               100.0 * d->chain_prob_in[CHAIN_ROWS]);
        for (int i = 0; i < d->n_stages; i++)
            printf("; after %s rank %d, %.4f%%", sampler_stage_name(d->stages[i].kind), d->stages[i].rank[CHAIN_ROWS],
                   100.0 * d->stages[i].prob[CHAIN_ROWS]);
        printf("\n");
    }
}

static void print_chain_json(const Distribution *d) {
    printf(", \"samplers\": [");
    for (int i = 0; i < d->n_stages; i++) {
        const ChainStage *st = &d->stages[i];
        printf("%s\n  {\"stage\": \"%s\", \"active\": %s, \"in\": %d, \"kept\": %d, \"removed\": ", i ? "," : "",
               sampler_stage_name(st->kind), st->active ? "true" : "false", st->n_in, st->n_kept);
        json_number(stdout, st->removed);
        printf(", \"temperature\": ");
        json_number(stdout, st->temperature);
        printf(", \"top\": [");
        for (int c = 0; c < d->n_chain; c++) {
            printf("%s{\"id\": %d, \"prob\": ", c ? ", " : "", (int)d->chain_ids[c]);
            json_number(stdout, st->prob[c]);
            printf(", \"rank\": %d}", st->rank[c]);
        }
        printf("]");
        if (d->drawn >= 0) {
            printf(", \"drawn\": {\"prob\": ");
            json_number(stdout, st->prob[CHAIN_ROWS]);
            printf(", \"rank\": %d}", st->rank[CHAIN_ROWS]);
        }
        printf("}");
    }
    printf("%s]", d->n_stages ? "\n" : "");
    if (d->drawn >= 0) printf(", \"drawn\": %d", (int)d->drawn);
}

/* probs --explain: the softmax arithmetic of the top rows (explain.h), as a table or JSON, then the
 * chain stage by stage. Each row also carries the sampler's own probability, which the arithmetic
 * must reproduce. */
static void print_explained(const Tokenizer *tok, const Distribution *d, int rows, bool json) {
    Explanation e;
    explain_distribution(&e, d, rows);
    char buf[1024];
    if (json) {
        printf("{\"temperature\": ");
        json_number(stdout, e.temperature);
        printf(", \"top_k\": %d, \"top_p\": ", e.top_k);
        json_number(stdout, e.top_p);
        printf(", \"vocab\": %d, \"n_kept\": %d, \"max_logit\": ", e.vocab, e.n_kept);
        json_number(stdout, e.max_logit);
        printf(", \"max_scaled\": ");
        json_number(stdout, e.max_scaled);
        printf(", \"sum\": ");
        json_number(stdout, e.sum);
        printf(", \"kept_sum\": ");
        json_number(stdout, e.kept_sum);
        print_chain_json(d);
        printf(", \"tokens\": [");
        for (int r = 0; r < e.n_rows; r++) {
            const ExplainRow *row = &e.rows[r];
            size_t tlen = 0;
            const char *bytes = tokenizer_token_bytes(tok, row->id, &tlen);
            if (!bytes) bytes = "", tlen = 0;
            printf("%s\n  {\"rank\": %d, \"id\": %d, \"text\": ", r ? "," : "", r + 1, (int)row->id);
            json_string(stdout, bytes, tlen);
            printf(", \"logit\": ");
            json_number(stdout, row->logit);
            printf(", \"scaled\": ");
            json_number(stdout, row->scaled);
            printf(", \"weight\": ");
            json_number(stdout, row->weight);
            printf(", \"prob\": ");
            json_number(stdout, row->prob);
            printf(", \"kept\": %s, \"kept_prob\": ", row->kept ? "true" : "false");
            json_number(stdout, row->kept_prob);
            printf(", \"sampler_prob\": ");
            json_number(stdout, d->probs[row->id]);
            printf("}");
        }
        printf("%s]}\n", e.n_rows ? "\n" : "");
    } else if (!(e.temperature > 0)) {
        printf("T = 0: no softmax; the sampler takes the first token still in (largest logit, lowest id)\n");
        printf("%5s %7s  %-24s %12s %8s\n", "rank", "id", "token", "logit", "p");
        for (int r = 0; r < e.n_rows; r++) {
            printf("%5d %7d  ", r + 1, (int)e.rows[r].id);
            print_padded(display_token(tok, e.rows[r].id, buf, sizeof buf), 24);
            printf(" %12.6f %8.6f\n", e.rows[r].logit, e.rows[r].kept_prob);
        }
        print_chain_text(tok, d);
    } else {
        printf("T = %g, max logit %.6f, max/T %.6f; weight = exp(logit/T - max/T), p = weight / sum\n",
               e.temperature, e.max_logit, e.max_scaled);
        printf("%5s %7s  %-20s %12s %12s %14s %12s %12s\n", "rank", "id", "token", "logit", "logit/T",
               "weight", "p (no cut)", "p (kept)");
        for (int r = 0; r < e.n_rows; r++) {
            const ExplainRow *row = &e.rows[r];
            printf("%5d %7d  ", r + 1, (int)row->id);
            print_padded(display_token(tok, row->id, buf, sizeof buf), 20);
            printf(" %12.6f %12.6f %14.9g %12.9f ", row->logit, row->scaled, row->weight, row->prob);
            if (row->kept) printf("%12.9f\n", row->kept_prob);
            else printf("%12s\n", "cut");
        }
        printf("normaliser: sum of the weights over all %d tokens = %.9g\n", e.vocab, e.sum);
        if (e.n_kept < e.vocab)
            printf("cut (top-k %d, top-p %g): %d tokens kept, their weights sum to %.9g, the new normaliser\n",
                   e.top_k, e.top_p, e.n_kept, e.kept_sum);
        else
            printf("no cut: every token kept\n");
        print_chain_text(tok, d);
    }
    explanation_free(&e);
}

static int cmd_probs(int argc, char **argv) {
    const char *model_path = cli_default_model();
    SamplingOptions so = {DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED};
    Sampler sampler;
    sampler_init(&sampler, DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED);
    int r0 = cli_take_sampler_options("probs", &argc, argv, &sampler, 0);
    if (r0 != 0) return r0;
    int top = -1;
    bool json = false, explain = false;
    OptSpec opts[] = {{"--model", "-m", OPT_STRING, &model_path, 0, 0},
                      {"--temp", NULL, OPT_FLOAT, &so.temp, 0, INFINITY},
                      {"--top", NULL, OPT_INT, &top, 0, 1 << 30},
                      {"--top-k", NULL, OPT_INT, &so.top_k, 0, 1 << 30},
                      {"--top-p", NULL, OPT_FLOAT, &so.top_p, 0, 1},
                      {"--seed", NULL, OPT_U64, &so.seed, 0, 0},
                      {"--json", NULL, OPT_FLAG, &json, 0, 0},
                      {"--explain", NULL, OPT_FLAG, &explain, 0, 0}};
    CommandSpec c = {
        "probs",
        "usage: glassbox probs [--temp T] [--top K] [--top-k K] [--top-p P] [--json] [--explain]\n"
        "                      [--min-p P] [--typical P] [--repeat-penalty R] [--repeat-last-n N]\n"
        "                      [--presence-penalty P] [--frequency-penalty P] [--samplers LIST]\n"
        "                      [--seed S] [--model FILE] PROMPT|-\n"
        "The model's distribution over the token after PROMPT (BOS in front when the model has one):\n"
        "rank, id, token, probability at T (after top-k/top-p), probability at T = 1, logit; then\n"
        "the entropies. Tokens are ranked by logit (ties: lower id first).\n"
        "  --temp T     temperature (default 0.8; 0 puts everything on the most likely token)\n"
        "  --top K      rows to show (default 20; with --json: every token)\n"
        "  --top-k K    keep only the K most likely tokens at T (default 0 = off)\n"
        "  --top-p P    then the fewest whose probability adds up to P (default 1 = off)\n"
        CLI_SAMPLER_USAGE
        "  --seed S     with --explain: the seed of the draw whose path through the chain is shown (42)\n"
        "  --json       an array of {\"id\", \"text\", \"bytes\", \"prob\", \"prob_t1\", \"logit\"} in rank order\n"
        "  --explain    the softmax arithmetic instead: for the top rows (default 10) logit, logit/T,\n"
        "               weight = exp(logit/T - max/T), p = weight / sum, and after top-k / top-p\n"
        "               p = weight / (sum of the kept weights); then the normalisers. With --json an\n"
        "               object {\"temperature\", ..., \"sum\", \"kept_sum\", \"tokens\": [{\"rank\", \"id\",\n"
        "               \"text\", \"logit\", \"scaled\", \"weight\", \"prob\", \"kept\", \"kept_prob\",\n"
        "               \"sampler_prob\"}], \"samplers\": [{\"stage\", \"active\", \"in\", \"kept\", \"removed\",\n"
        "               \"temperature\", \"top\": [{\"id\", \"prob\", \"rank\"}], \"drawn\"}], \"drawn\"}\n"
        "               After the arithmetic, the chain: per stage the tokens kept, the probability mass\n"
        "               removed and the likeliest tokens' probabilities after it, and the drawn token's\n"
        "               rank and probability at every stage\n"
        "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n",
        opts, 8, 1, 1, "PROMPT (or - for standard input)"};
    char *pos[1];
    int n_pos, r = parse_or_exit(&c, argc, argv, pos, &n_pos);
    if (r >= 0) return r;

    char *prompt;
    size_t prompt_len;
    Loaded L;
    int32_t *ids;
    int n_ids;
    if ((r = load_prompt("probs", model_path, pos[0], 0, &prompt, &prompt_len, &L, &ids, &n_ids)) != 0) return r;
    Model *m = &L.model;
    int vocab = m->config.vocab_size;
    sampler_from_options(&sampler, &so);
    Distribution d;
    distribution_init(&d, vocab);
    distribution_compute_ctx(&d, run_prompt(m, ids, n_ids), &sampler, ids, n_ids);
    if (explain) {
        int rows = top < 0 ? 10 : (top < vocab ? top : vocab);
        distribution_note_drawn(&d, sampler_sample(&sampler, &d));
        print_explained(L.tok, &d, rows, json);
        distribution_free(&d);
        r = gb_finish_output(stdout, "probs", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
        goto done;
    }
    int rows = top < 0 ? (json ? vocab : 20) : (top < vocab ? top : vocab);
    char buf[1024];
    if (json) {
        printf("[");
        for (int k = 0; k < rows; k++) {
            int32_t id = d.order[k];
            size_t tlen = 0;
            const char *bytes = tokenizer_token_bytes(L.tok, id, &tlen);
            if (!bytes) bytes = "", tlen = 0;
            printf("%s\n  {\"id\": %d, \"text\": ", k ? "," : "", (int)id);
            json_string(stdout, bytes, tlen);
            printf(", \"bytes\": ");
            json_bytes(stdout, bytes, tlen);
            printf(", \"prob\": ");
            json_number(stdout, d.probs[id]);
            printf(", \"prob_t1\": ");
            json_number(stdout, d.probs_t1[id]);
            printf(", \"logit\": ");
            json_number(stdout, d.logits[id]);
            printf("}");
        }
        printf("%s]\n", rows ? "\n" : "");
    } else {
        char head[32];
        snprintf(head, sizeof head, "p(T=%g)", so.temp);
        printf("%5s %7s  %-24s %10s %10s %9s\n", "rank", "id", "token", head, "p(T=1)", "logit");
        for (int k = 0; k < rows; k++) {
            int32_t id = d.order[k];
            printf("%5d %7d  ", k + 1, (int)id);
            print_padded(display_token(L.tok, id, buf, sizeof buf), 24);
            printf(" %10.6f %10.6f %9.4f\n", d.probs[id], d.probs_t1[id], d.logits[id]);
        }
        printf("entropy: %.4f bits at T=%g (%d of %d tokens kept), %.4f bits at T=1\n", d.entropy,
               so.temp, d.n_kept, vocab, d.entropy_t1);
    }
    distribution_free(&d);
    r = gb_finish_output(stdout, "probs", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
done:
    free(ids);
    loaded_free(&L);
    free(prompt);
    return r;
}

/* ------------------------------------------------------------------------------------------------
 * glassbox eval */

/* -log2 softmax(logits)[target], computed stably. */
static double surprisal_bits(const float *logits, int vocab, int32_t target) {
    float max = logits[0];
    for (int i = 1; i < vocab; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int i = 0; i < vocab; i++) sum += exp((double)logits[i] - max);
    return -(((double)logits[target] - max) - log(sum)) / log(2.0);
}

static int cmd_eval(int argc, char **argv) {
    const char *model_path = cli_default_model();
    bool json = false;
    OptSpec opts[] = {{"--model", "-m", OPT_STRING, &model_path, 0, 0},
                      {"--json", NULL, OPT_FLAG, &json, 0, 0}};
    CommandSpec c = {
        "eval",
        "usage: glassbox eval [--json] [--model FILE] FILE|-\n"
        "The model's cross-entropy on FILE: the file's tokens run in non-overlapping windows of the\n"
        "model's context, each window starting from the BOS token (so every token of the file is\n"
        "predicted). Prints bits per byte (all predicted tokens' bits / the file's bytes), bits per\n"
        "token, and the counts. A model without BOS starts each window with the last token of the one\n"
        "before, so only the file's first token goes unpredicted.\n"
        "  --json       print {\"bytes\", \"tokens\", \"predicted\", \"bits\", \"bits_per_byte\",\n"
        "               \"bits_per_token\"}\n"
        "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n",
        opts, 2, 1, 1, "FILE"};
    char *pos[1];
    int n_pos, r = parse_or_exit(&c, argc, argv, pos, &n_pos);
    if (r >= 0) return r;

    char err[GB_ERRLEN], *text;
    size_t len;
    if (gb_read_file(pos[0], &text, &len, err) != 0) {
        fprintf(stderr, "glassbox: eval: %s\n", err);
        return GB_EXIT_USAGE;
    }
    if (len == 0) {
        fprintf(stderr, "glassbox: eval: %s: the file is empty\n", pos[0]);
        free(text);
        return GB_EXIT_USAGE;
    }
    Loaded L;
    TokenSpan *spans = NULL;
    if ((r = open_tokenizer("eval", model_path, &L)) != 0) goto done_text;
    int n = tokenizer_encode(L.tok, text, len, &spans, err);
    if (n < 0) {
        fprintf(stderr, "glassbox: eval: %s\n", err);
        r = GB_EXIT_USAGE;
        goto done;
    }
    if ((r = load_weights("eval", model_path, 0, &L)) != 0) goto done;
    Model *m = &L.model;
    int vocab = m->config.vocab_size, seq_len = m->config.seq_len;
    int32_t bos = tokenizer_prompt_bos(L.tok);
    if (seq_len < 2) {
        fprintf(stderr, "glassbox: eval: %s: a context of %d cannot predict anything\n", model_path,
                seq_len);
        r = GB_EXIT_USAGE;
        goto done;
    }
    // Each window: a first token that is only context (BOS, or the previous window's last token),
    // then up to seq_len - 1 tokens of the file, each predicted from everything before it.
    double bits = 0.0;
    long predicted = 0, windows = 0;
    int start = bos >= 0 ? 0 : 1; // index of the first file token still to predict
    // A whole window runs as one batched pass (matrix-matrix products), with the logits of every
    // position; the views' probes are not needed here.
    m->probes.enabled = 0;
    int32_t *window = gb_malloc((size_t)seq_len * sizeof(int32_t));     // (seq_len)
    float *logits = gb_malloc((size_t)seq_len * vocab * sizeof(float)); // (seq_len, vocab)
    double t0 = gb_now();
    while (start < n) {
        int count = n - start < seq_len - 1 ? n - start : seq_len - 1;
        window[0] = bos >= 0 ? bos : spans[start - 1].id;
        for (int i = 0; i < count - 1; i++)
            window[i + 1] = spans[start + i].id;
        // Positions 0..count-1: the context token and the first count-1 targets; position i's
        // logits predict target i.
        model_forward_prompt_all(m, window, count, 0, logits);
        for (int i = 0; i < count; i++) {
            bits += surprisal_bits(logits + (size_t)i * vocab, vocab, spans[start + i].id);
            predicted++;
        }
        start += count;
        windows++;
    }
    double secs = gb_now() - t0;
    free(window);
    free(logits);
    if (json) {
        printf("{\"bytes\": %zu, \"tokens\": %d, \"predicted\": %ld, \"bits\": ", len, n, predicted);
        json_number(stdout, bits);
        printf(", \"bits_per_byte\": ");
        json_number(stdout, bits / (double)len);
        printf(", \"bits_per_token\": ");
        json_number(stdout, predicted ? bits / (double)predicted : NAN);
        printf("}\n");
    } else {
        printf("file: %s, %zu bytes, %d tokens (%.3f bytes per token)\n", pos[0], len, n,
               n ? (double)len / n : 0.0);
        printf("windows: %ld of up to %d tokens (context %d%s)\n", windows, seq_len - 1, seq_len,
               bos >= 0 ? ", each after BOS" : "");
        if (predicted < n) printf("predicted: %ld tokens (the first has no context: no BOS)\n", predicted);
        printf("bits per byte: %.4f\n", bits / (double)len);
        printf("bits per token: %.4f (perplexity %.2f)\n", predicted ? bits / predicted : NAN,
               predicted ? exp2(bits / predicted) : NAN);
        printf("time: %.2f s (%.0f tokens/s)\n", secs, secs > 0 ? predicted / secs : 0.0);
    }
    r = gb_finish_output(stdout, "eval", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
done:
    free(spans);
    loaded_free(&L);
done_text:
    free(text);
    return r;
}

/* ------------------------------------------------------------------------------------------------
 * glassbox bench: speed figures, no assertions. */

/* The biggest .py of the Python standard library, for a realistic code-tokenizing figure. */
static char *biggest_stdlib_py(void) {
    glob_t g;
    char *best = NULL;
    off_t best_size = 0;
    const char *patterns[] = {"/usr/lib/python3*/*.py", "/usr/local/lib/python3*/*.py"};
    for (int p = 0; p < 2; p++) {
        if (glob(patterns[p], 0, NULL, &g) != 0) continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat st;
            if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size > best_size) {
                free(best);
                best = gb_strdup(g.gl_pathv[i]);
                best_size = st.st_size;
            }
        }
        globfree(&g);
    }
    return best;
}

/* The text for the tokenizer figure: the biggest stdlib .py, else glassbox's own sources. */
static int bench_text(char **text, size_t *len, char *what, size_t whatsz) {
    char err[GB_ERRLEN];
    char *py = biggest_stdlib_py();
    if (py && gb_read_file(py, text, len, err) == 0) {
        snprintf(what, whatsz, "%s", py);
        free(py);
        return 0;
    }
    free(py);
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/../src/*.c", gb_assets_dir());
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) return -1;
    size_t cap = 1 << 16, n = 0;
    char *all = gb_malloc(cap);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *data;
        size_t dlen;
        if (gb_read_file(g.gl_pathv[i], &data, &dlen, err) != 0) continue;
        if (n + dlen + 1 > cap) all = gb_realloc(all, cap = 2 * (n + dlen + 1));
        memcpy(all + n, data, dlen);
        n += dlen;
        free(data);
    }
    snprintf(what, whatsz, "glassbox's src/*.c (%zu files)", g.gl_pathc);
    globfree(&g);
    all[n] = 0;
    *text = all;
    *len = n;
    return 0;
}

/* Seconds per forward call at positions [from, to), repeated until at least min_secs have passed. */
static double time_forward(Model *m, const int32_t *ids, int from, int to, double min_secs) {
    int calls = 0;
    double t0 = gb_now(), t;
    do {
        for (int p = from; p < to; p++) model_forward(m, ids[p], p);
        calls += to - from;
        t = gb_now() - t0;
    } while (t < min_secs);
    return t / calls;
}

/* Seconds for one whole-prompt pass over ids[0..n), repeated until at least min_secs have passed. */
static double time_prefill(Model *m, const int32_t *ids, int n, double min_secs) {
    int calls = 0;
    double t0 = gb_now(), t;
    do {
        model_forward_prompt(m, ids, n, 0);
        calls++;
        t = gb_now() - t0;
    } while (t < min_secs);
    return t / calls;
}

static int cmd_bench(int argc, char **argv) {
    const char *model_path = cli_default_model();
    int decode_steps = 0, n_prompt = 16;
    bool no_probes = false;
    OptSpec opts[] = {{"--model", "-m", OPT_STRING, &model_path, 0, 0},
                      {"--decode", NULL, OPT_INT, &decode_steps, 1, 1 << 20},
                      {"--prompt", NULL, OPT_INT, &n_prompt, 1, 16},
                      {"--no-probes", NULL, OPT_FLAG, &no_probes, 0, 0}};
    CommandSpec c = {"bench",
                     "usage: glassbox bench [--model FILE] [--decode N [--prompt N] [--no-probes]]\n"
                     "Speed figures (no pass/fail): model load time; prompt prefill of 256 tokens;\n"
                     "forward tokens/s of one stream at 256 tokens of context, with the probes on and\n"
                     "off; the sampler chain per token (default settings, every stage on); tokenizer\n"
                     "encoding MB/s on a code file.\n"
                     "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n"
                     "  --decode N   only this: load time, then N tokens generated greedily after a\n"
                     "               prompt (--prompt), probes on, as one line of JSON with the peak RSS\n"
                     "               and the file size (bench/run.sh sets it beside llama.cpp's figure\n"
                     "               for the same file)\n"
                     "  --prompt N   with --decode: a prompt of N tokens (1-16, default 16)\n"
                     "  --no-probes  with --decode: probes off\n",
                     opts, 4, 0, 0, ""};
    char *pos[1];
    int n_pos, r = parse_or_exit(&c, argc, argv, pos, &n_pos);
    if (r >= 0) return r;

    char err[GB_ERRLEN];
    Loaded L;
    if ((r = open_tokenizer("bench", model_path, &L)) != 0) return r;
    // Load time: the median-free simple mean of a few loads (the file stays in the page cache).
    enum { LOADS = 5 };
    double t0 = gb_now();
    for (int i = 0; i < LOADS; i++) {
        Model m;
        if (model_load(&m, model_path, 0, err) != 0) {
            print_open_error("bench", model_path, err);
            loaded_free(&L);
            return GB_EXIT_USAGE;
        }
        model_free(&m);
    }
    double load_ms = (gb_now() - t0) / LOADS * 1e3;
    // 256 positions are all the figures use; the probes are sized for them, not the file's context
    if ((r = load_weights("bench", model_path, 256, &L)) != 0) {
        loaded_free(&L);
        return r;
    }
    Model *m = &L.model;
    const Config *cf = &m->config;
    if (decode_steps > 0) {
        if (n_prompt + decode_steps > cf->seq_len) decode_steps = cf->seq_len - n_prompt;
        if (decode_steps < 1) {
            fprintf(stderr, "glassbox: bench: the context is too short for --decode\n");
            loaded_free(&L);
            return GB_EXIT_USAGE;
        }
        int32_t prompt[16];
        for (int i = 0; i < n_prompt; i++) prompt[i] = (int32_t)((i * 7919) % cf->vocab_size);
        char perr[GB_ERRLEN];
        if (!no_probes && model_enable_probes(m, perr) != 0) { /* models load without them */
            fprintf(stderr, "glassbox: bench: %s\n", perr);
            loaded_free(&L);
            return GB_EXIT_USAGE;
        }
        m->probes.enabled = !no_probes;
        float *logits = model_forward_prompt(m, prompt, n_prompt, 0);
        double ts = gb_now();
        clock_t cs = clock();
        for (int i = 0; i < decode_steps; i++) {
            /* greedy: the first of the largest logits (the largest found eight at a time) */
            float top[8];
            int vocab = cf->vocab_size, v = 0;
            for (int k = 0; k < 8; k++)
                top[k] = logits[k < vocab ? k : 0];
            for (; v + 8 <= vocab; v += 8)
                for (int k = 0; k < 8; k++)
                    top[k] = logits[v + k] > top[k] ? logits[v + k] : top[k];
            float best = top[0];
            for (int k = 1; k < 8; k++)
                best = top[k] > best ? top[k] : best;
            for (; v < vocab; v++)
                best = logits[v] > best ? logits[v] : best;
            int32_t next = 0;
            while (next < vocab - 1 && !(logits[next] == best)) next++;
            logits = model_forward(m, next, n_prompt + i);
        }
        double ms = (gb_now() - ts) / decode_steps * 1e3;
        double cpu_ms = (double)(clock() - cs) / CLOCKS_PER_SEC / decode_steps * 1e3;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        /* what the probes of these positions hold: attention rows (seq_len wide) and residuals */
        double probe_mb = (double)cf->n_layers * (n_prompt + decode_steps) *
                          ((double)cf->n_heads * cf->seq_len + cf->dim) * sizeof(float) / 1e6;
        printf("{\"threads\": %d, \"prompt\": %d, \"steps\": %d, \"ms_per_token\": %.4f, \"tokens_per_s\": %.2f, \"cpu_ms_per_token\": %.4f, "
               "\"load_ms\": %.2f, \"probes\": %s, \"probe_mb\": %.1f, \"peak_rss_mb\": %.1f, "
               "\"file_mb\": %.1f}\n",
               omp_get_max_threads(), n_prompt, decode_steps, ms, 1e3 / ms, cpu_ms, load_ms, no_probes ? "false" : "true",
               no_probes ? 0.0 : probe_mb, ru.ru_maxrss / 1e3, m->file.size / 1e6);
        loaded_free(&L);
        return GB_EXIT_OK;
    }
    printf("model: %s (%s): dim %d, layers %d, heads %d/%d, ffn %d, vocab %d, context %d\n", m->name,
           model_path, cf->dim, cf->n_layers, cf->n_heads, cf->n_kv_heads, cf->hidden_dim,
           cf->vocab_size, cf->context_length);
    printf("threads: %d (OpenMP)\n", omp_get_max_threads());
    printf("model load: %.2f ms\n", load_ms);

    char what[4200];
    char *text = NULL;
    size_t text_len = 0;
    int ctx = cf->seq_len < 256 ? cf->seq_len : 256;
    int32_t *ids = gb_malloc((size_t)ctx * sizeof(int32_t));
    int have_text = bench_text(&text, &text_len, what, sizeof what) == 0;
    // Prompt tokens: real code where possible, so the figure is for text the model sees.
    {
        TokenSpan *spans = NULL;
        int n = have_text ? tokenizer_encode(L.tok, text, text_len, &spans, err) : 0;
        for (int i = 0; i < ctx; i++) ids[i] = n > 0 ? spans[i % n].id : i % cf->vocab_size;
        free(spans);
    }
    int can_probe = model_enable_probes(m, err) == 0;
    for (int probes = can_probe; probes >= 0; probes--) {
        m->probes.enabled = probes;
        double prefill = time_prefill(m, ids, ctx, 0.3);
        double prefill_steps = time_forward(m, ids, 0, ctx, 0.3) * ctx;
        // Decoding at a full context: the last 16 positions of the window, again and again.
        int from = ctx > 16 ? ctx - 16 : 0;
        double per_token = time_forward(m, ids, from, ctx, 0.5);
        printf("probes %-3s: prefill of %d tokens %.2f ms in one pass (%.0f tokens/s), %.2f ms token by "
               "token\n",
               probes ? "on" : "off", ctx, prefill * 1e3, ctx / prefill, prefill_steps * 1e3);
        printf("probes %-3s: forward at %d tokens of context %.3f ms/token = %.0f tokens/s\n",
               probes ? "on" : "off", ctx, per_token * 1e3, 1.0 / per_token);
    }
    m->probes.enabled = 0;

    // The sampler chain on real logits, per token as a step pays it: the chain with its records, the
    // draw, and the drawn token's row of the chain table; at the default settings, then every stage on.
    {
        Distribution d;
        distribution_init(&d, cf->vocab_size);
        float *logits = model_forward(m, ids[0], 0);
        int32_t history[64];
        for (int i = 0; i < 64; i++) history[i] = ids[i % 2]; // a window the penalties have to count
        for (int all = 0; all < 2; all++) {
            Sampler s;
            sampler_init(&s, DEFAULT_TEMP, all ? 40 : 0, all ? 0.95f : 1.0f, DEFAULT_SEED);
            if (all) {
                s.typical_p = 0.95f;
                s.min_p = 0.05f;
                s.repeat_penalty = 1.1f;
            }
            int calls = 0;
            double ts = gb_now(), t;
            do {
                distribution_compute_ctx(&d, logits, &s, history, 64);
                distribution_note_drawn(&d, sampler_sample(&s, &d));
                calls++;
            } while ((t = gb_now() - ts) < 0.2);
            printf("sampler chain: %.3f ms/token (vocab %d; %s)\n", t / calls * 1e3, cf->vocab_size,
                   all ? "every stage on: repeat-penalty 1.1 over 64, top-k 40, typical .95, top-p .95, "
                         "min-p .05, T 0.8"
                       : "default settings: T 0.8, the other stages off");
        }
        distribution_free(&d);
    }

    if (have_text) {
        int calls = 0, n = 0;
        double ts = gb_now(), t;
        do {
            TokenSpan *spans = NULL;
            n = tokenizer_encode(L.tok, text, text_len, &spans, err);
            free(spans);
            calls++;
        } while ((t = gb_now() - ts) < 0.5 && n >= 0);
        printf("tokenizer: %.2f MB/s encoding %s (%zu bytes, %d tokens, %.2f bytes/token)\n",
               (double)text_len * calls / t / 1e6, what, text_len, n, n > 0 ? (double)text_len / n : 0.0);
    } else {
        printf("tokenizer: no text found to encode\n");
    }
    cli_bench_lab(); /* cl100k and o200k on the text of scripts/tiktoken-bench.mjs, beside tiktoken's */
    // The interactive view, headless (tui.c): start-up to the first frame, then steps with all four
    // views drawn at 200x50. Last, because it may set the thread count for a small model.
    {
        TuiBench tb;
        if (tui_bench(model_path, 256, 200, 50, &tb, err) == 0)
            printf("tui: start-up %.1f ms to the first frame; step + all four views %.2f ms (max %.2f) at %d "
                   "tokens, %dx%d\n",
                   tb.startup_ms, tb.step_ms, tb.step_max_ms, tb.context, tb.width, tb.height);
        else
            printf("tui: %s\n", err);
    }
    free(text);
    free(ids);
    loaded_free(&L);
    return GB_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------------
 * glassbox init-model --random: the model the build ships until a trained one replaces it. */

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
    for (size_t i = 0; i < (size_t)c->vocab_size * dim; i++) e[i] *= f;
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
            for (size_t i = 0; i < parts[k].n; i++) parts[k].p[i] *= f;
    }
}

/* Rewrites the vocabulary keys tokenizer_add_to_writer wrote so they list n_total tokens: the
 * trained ones, then "<|pad_N|>" control tokens (never produced from text) up to n_total. For a
 * model the size of a real one's vocabulary (49152 in SmolLM) when BPE on our sources stops short. */
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
    for (int i = 0; i < n_total; i++) free(strs[i]);
    free(strs);
    free(lens);
    free(types);
}

static int cmd_init_model(int argc, char **argv) {
    bool random_weights = false, spm = false;
    const char *out_path = NULL, *pattern_name = NULL, *type_name = "f32", *tok_from = NULL;
    const char *arch_name = "llama";
    Config c;
    memset(&c, 0, sizeof c);
    c.dim = 64, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.hidden_dim = 172;
    c.context_length = 256, c.vocab_size = 512, c.rope_base = 10000.0f, c.norm_eps = 1e-5f;
    uint64_t seed = DEFAULT_SEED;
    float init_std = 0.02f;
    bool pad_vocab = false;
    OptSpec opts[] = {{"--random", NULL, OPT_FLAG, &random_weights, 0, 0},
                      {"--std", NULL, OPT_FLOAT, &init_std, 1e-6, 10},
                      {"--pad-vocab", NULL, OPT_FLAG, &pad_vocab, 0, 0},
                      {"--output", "-o", OPT_STRING, &out_path, 0, 0},
                      {"--dim", NULL, OPT_INT, &c.dim, 2, 65536},
                      {"--layers", NULL, OPT_INT, &c.n_layers, 1, 1024},
                      {"--heads", NULL, OPT_INT, &c.n_heads, 1, 1024},
                      {"--kv-heads", NULL, OPT_INT, &c.n_kv_heads, 1, 1024},
                      {"--ffn", NULL, OPT_INT, &c.hidden_dim, 1, 1 << 20},
                      {"--ctx", NULL, OPT_INT, &c.context_length, 1, 1 << 20},
                      {"--vocab", NULL, OPT_INT, &c.vocab_size, 257, 1 << 20},
                      {"--seed", NULL, OPT_U64, &seed, 0, 0},
                      {"--pattern", NULL, OPT_STRING, &pattern_name, 0, 0},
                      {"--type", NULL, OPT_STRING, &type_name, 0, 0},
                      {"--tokenizer-from", NULL, OPT_STRING, &tok_from, 0, 0},
                      {"--spm", NULL, OPT_FLAG, &spm, 0, 0},
                      {"--arch", NULL, OPT_STRING, &arch_name, 0, 0}};
    CommandSpec cs = {
        "init-model",
        "usage: glassbox init-model --random [--dim 64] [--layers 2] [--heads 4] [--kv-heads 2]\n"
        "                           [--ffn 172] [--ctx 256] [--vocab 512] [--seed 42]\n"
        "                           [--pattern gpt2] [--type f32] [--arch llama] [--std 0.02]\n"
        "                           [--pad-vocab] [--tokenizer-from NAME] [--spm] -o FILE\n"
        "Makes a llama model with random weights (normal, std 0.02; norms 1) and a byte-level BPE\n"
        "vocabulary of --vocab tokens (the last one <|endoftext|>, used as BOS and EOS) trained on\n"
        "glassbox's own sources (ASSETS/../src/*.c and *.h), and writes it as GGUF. The build uses it\n"
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
        "               scored by its id), as TinyLlama- or CodeLlama-style files carry it\n",
        opts, sizeof opts / sizeof opts[0], 0, 0, ""};
    char *pos[1];
    int n_pos, r = parse_or_exit(&cs, argc, argv, pos, &n_pos);
    if (r >= 0) return r;
    if (!random_weights) {
        fprintf(stderr, "glassbox: init-model: only --random is supported (`glassbox train` trains one)\n");
        return GB_EXIT_USAGE;
    }
    if (!out_path) {
        fprintf(stderr, "glassbox: init-model: -o FILE is required\n");
        return GB_EXIT_USAGE;
    }
    int pattern = pattern_name ? pretok_pattern_from_name(pattern_name) : PRETOK_GPT2;
    if (pattern < 0 || pattern == PRETOK_SPM) {
        fprintf(stderr, "glassbox: init-model: --pattern: '%s' is not a pre-tokenizer glassbox knows (%s)\n",
                pattern_name, pretok_supported_names());
        return GB_EXIT_USAGE;
    }
    uint32_t type;
    if (strcmp(type_name, "f32") == 0) type = GGML_TYPE_F32;
    else if (strcmp(type_name, "f16") == 0) type = GGML_TYPE_F16;
    else if (strcmp(type_name, "bf16") == 0) type = GGML_TYPE_BF16;
    else if (strcmp(type_name, "q8_0") == 0) type = GGML_TYPE_Q8_0;
    else if (strcmp(type_name, "q4_0") == 0) type = GGML_TYPE_Q4_0;
    else if (strcmp(type_name, "q4_k") == 0) type = GGML_TYPE_Q4_K;
    else if (strcmp(type_name, "q5_k") == 0) type = GGML_TYPE_Q5_K;
    else if (strcmp(type_name, "q6_k") == 0) type = GGML_TYPE_Q6_K;
    else if (strcmp(type_name, "q4_k_m") == 0) type = MODEL_TYPE_Q4_K_M;
    else {
        fprintf(stderr,
                "glassbox: init-model: --type: expected f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k "
                "or q4_k_m, got '%s'\n",
                type_name);
        return GB_EXIT_USAGE;
    }
    if (strcmp(arch_name, "llama") == 0) c.arch = ARCH_LLAMA;
    else if (strcmp(arch_name, "qwen2") == 0) c.arch = ARCH_QWEN2;
    else {
        fprintf(stderr, "glassbox: init-model: --arch: expected llama or qwen2, got '%s'\n", arch_name);
        return GB_EXIT_USAGE;
    }

    char err[GB_ERRLEN];
    char pat_c[4096], pat_h[4096];
    snprintf(pat_c, sizeof pat_c, "%s/../src/*.c", gb_assets_dir());
    snprintf(pat_h, sizeof pat_h, "%s/../src/*.h", gb_assets_dir());
    const char *patterns[] = {pat_c, pat_h};
    char **texts = NULL;
    size_t *lens = NULL, n_texts = 0, total = 0;
    Tokenizer *tok = NULL;
    Model m;
    bool has_model = false;
    r = GB_EXIT_USAGE;
    double t0 = gb_now();
    if (tok_from) {
        if (!(tok = tokenizer_open_named(tok_from, err))) {
            fprintf(stderr, "glassbox: init-model: %s\n", err);
            goto done;
        }
    } else if (read_corpus(patterns, 2, &texts, &lens, &n_texts, err) != 0) {
        fprintf(stderr, "glassbox: init-model: %s\n", err);
        goto done;
    }
    if (!tok && n_texts == 0) {
        fprintf(stderr, "glassbox: init-model: no sources found at %s or %s\n", pat_c, pat_h);
        goto done;
    }
    for (size_t i = 0; i < n_texts; i++) total += lens[i];
    if (!tok) tok = bpe_train((const char *const *)texts, lens, n_texts, c.vocab_size, pattern, err);
    if (!tok || (pattern_name && tokenizer_set_pretokenizer(tok, pattern_name, err) != 0)) {
        fprintf(stderr, "glassbox: init-model: %s\n", err);
        goto done;
    }
    if (spm) {
        Tokenizer *sp = tokenizer_to_spm(tok, err);
        tokenizer_free(tok);
        if (!(tok = sp)) {
            fprintf(stderr, "glassbox: init-model: %s\n", err);
            goto done;
        }
    }
    double t_bpe = gb_now() - t0;
    int vocab_asked = c.vocab_size;
    c.vocab_size = tokenizer_vocab_size(tok);
    int padded = pad_vocab && c.vocab_size < vocab_asked;
    if (padded) c.vocab_size = vocab_asked;
    c.head_dim = c.n_heads > 0 ? c.dim / c.n_heads : 0;
    c.rope_dim = c.head_dim;
    c.seq_len = c.context_length;
    if (model_init_random(&m, &c, seed, err) != 0) {
        fprintf(stderr, "glassbox: init-model: %s\n", err);
        goto done;
    }
    has_model = true;
    if (init_std != 0.02f) scale_random_weights(&m, init_std / 0.02f);
    snprintf(m.name, sizeof m.name, "glassbox-random"); // short: the TUI shows it in its status line
    GGUFWriter *w = gguf_writer_new();
    model_add_to_writer(w, &m, type);
    tokenizer_add_to_writer(w, tok);
    if (padded) pad_vocabulary(w, tok, c.vocab_size);
    gguf_writer_set_string(w, "general.description",
                           tok_from ? "random weights (glassbox init-model)"
                                    : "random weights (glassbox init-model); BPE vocabulary trained on glassbox's sources");
    int wr = gguf_writer_write(w, out_path, err);
    gguf_writer_free(w);
    if (wr != 0) {
        fprintf(stderr, "glassbox: init-model: %s\n", err);
        r = GB_EXIT_FAIL;
        goto done;
    }
    fprintf(stderr,
            "glassbox: init-model: wrote %s: %s, %d tokens (BPE on %zu files, %zu bytes, %.1f s), dim %d, "
            "%d layers, %d/%d heads, ffn %d, context %d\n",
            out_path, m.name, c.vocab_size, n_texts, total, t_bpe, c.dim, c.n_layers, c.n_heads,
            c.n_kv_heads, c.hidden_dim, c.context_length);
    r = GB_EXIT_OK;
done:
    if (has_model) model_free(&m);
    if (tok) tokenizer_free(tok);
    for (size_t i = 0; i < n_texts; i++) free(texts[i]);
    free(texts);
    free(lens);
    return r;
}

/* ------------------------------------------------------------------------------------------------
 * Dispatch */

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command commands[] = {
    {"tui", cli_tui, "the interactive view (the default; see glassbox tui --help)"},
    {"info", cmd_info, "metadata, tensors and configuration of a GGUF model"},
    {"tokenize", cmd_tokenize, "tokens of a text, with ids and byte spans"},
    {"generate", cmd_generate, "continue a prompt, sampling with a temperature"},
    {"probs", cmd_probs, "the next-token distribution after a prompt"},
    {"eval", cmd_eval, "cross-entropy of the model on a file (bits per byte and per token)"},
    {"bench", cmd_bench, "speed figures"},
    {"init-model", cmd_init_model, "make a model with random weights and a BPE vocabulary"},
    {"train-tokenizer", cli_train_tokenizer, "train a byte-level BPE vocabulary"},
    {"train", cli_train, "train a llama-style model in C"},
    {"lesson", cli_lesson, "check lesson scripts (glassbox lesson check FILE...)"},
    {"score", cli_score, "teacher-forced: each continuation token's probability, rank and bits"},
    {"export", cli_export, "a view as text, ANSI, CSV or SVG (for slides)"},
    {"replay", cli_replay, "play back a session recorded in the TUI (record FILE)"},
    {"lens", cli_lens, "the logit lens: what each layer would predict after a prompt"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_main_usage(FILE *f) {
    fprintf(f, "usage: glassbox [SUBCOMMAND] [OPTIONS] [ARGS]\n"
               "glassbox opens up a small language model: tokens, attention, embeddings\n"
               "and the next-token distribution.\n\nsubcommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nWith no subcommand (or only the TUI's options), glassbox opens the interactive view, as\n"
               "`glassbox tui` does; when not on a terminal it continues \"%s\" on the default model.\n"
               "`glassbox SUBCOMMAND --help` lists a subcommand's options. --model FILE works everywhere\n"
               "and defaults to $GLASSBOX_MODEL, else\n  %s\n"
               "TEXT or FILE `-` reads standard input. Options may come before or after the arguments;\n"
               "`--` ends them.\n"
               "Exit status: 0 success, 1 a runtime failure, 2 bad input (file, option, text).\n"
               "\n--version shows where glassbox looks for its data; --list-subcommands and --list-commands\n"
               "list the subcommands and the TUI's commands (`glassbox help NAME` explains one).\n"
               "The manual: man glassbox.\n",
            DEFAULT_PROMPT, cli_default_model());
    fprintf(f, "\nModels: GGUF files of general.architecture llama (SmolLM2, TinyLlama, CodeLlama,\n"
               "DeepSeek-Coder, stories15M and glassbox's own) or qwen2 (Qwen2.5-Coder), weights in F32, F16,\n"
               "BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K (Q4_K_M files mix the last two).\n");
    fprintf(f, "\nTokenizers: SentencePiece (tokenizer.ggml.model \"llama\": TinyLlama, CodeLlama, stories15M)\n"
               "and byte-level BPE (\"gpt2\") with llama.cpp's pre-tokenizers (tokenizer.ggml.pre): gpt-2,\n"
               "llama-bpe, smollm (SmolLM2), deepseek-coder, qwen2 (Qwen2.5-Coder), starcoder, refact,\n"
               "stablelm2, deepseek-llm, deepseek-v3, default, falcon, bloom, viking and their aliases.\n");
}

/* Every subcommand's results end here: what is still buffered is written and checked, so output
 * lost to a full disk or a closed pipe is a failure with a message, never a silent success. */
static int finish_output(const char *cmd, int r) {
    if (gb_finish_output(stdout, cmd, "standard output") != 0 && r == GB_EXIT_OK) return GB_EXIT_FAIL;
    return r;
}

int main(int argc, char **argv) {
    // No subcommand: the TUI on a terminal; piped, a short generation so scripts see some output.
    if (argc < 2) {
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
            char *args[] = {"glassbox", NULL};
            return cli_tui(1, args);
        }
        char *args[] = {"generate", DEFAULT_PROMPT, NULL};
        return finish_output("generate", cmd_generate(2, args));
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (strcmp(name, "help") == 0 && argc > 2) {
            char *args[] = {argv[2], "--help", NULL};
            for (int i = 0; i < N_COMMANDS; i++)
                if (strcmp(commands[i].name, argv[2]) == 0) return commands[i].run(2, args);
            if (cli_tui_commands(argv[2]) == 0) return GB_EXIT_OK; /* a TUI command */
            fprintf(stderr, "glassbox: help: '%s' is neither a subcommand nor a TUI command\n", argv[2]);
            return GB_EXIT_USAGE;
        }
        print_main_usage(stdout);
        return GB_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("glassbox " GB_VERSION "\n");
        cli_print_data_paths(); /* where it looks for its model, tokenizers and lessons */
        return GB_EXIT_OK;
    }
    if (strcmp(name, "--list-subcommands") == 0) { /* for shell completion and the man page's test */
        for (int i = 0; i < N_COMMANDS; i++) printf("%s\n", commands[i].name);
        return GB_EXIT_OK;
    }
    if (strcmp(name, "--list-commands") == 0) return cli_tui_commands(NULL);
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return finish_output(name, commands[i].run(argc - 1, argv + 1));
    // Options without a subcommand belong to the TUI (--model, --prompt, --big), which checks them.
    if (name[0] == '-') return cli_tui(argc, argv);
    size_t name_len = strlen(name); // `glassbox FILE.lesson` opens the lesson in the TUI
    if (name_len > 7 && strcmp(name + name_len - 7, ".lesson") == 0) return cli_tui(argc, argv);
    fprintf(stderr, "glassbox: unknown subcommand '%s' (see glassbox --help)\n", name);
    return GB_EXIT_USAGE;
}
