/* glassbox info: a GGUF model's metadata, tensors and the llama configuration read from them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "util.h"

// clang-format off
static const char INFO_USAGE[] =
    "usage: glassbox info [--model FILE]\n"
    "Prints a GGUF model's metadata (long arrays abbreviated), its tensors (name, type,\n"
    "shape with the contiguous dimension first, bytes) and the llama configuration read\n"
    "from them.\n"
    "  --model FILE   the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n";
// clang-format on

static const char *value_type_name(uint32_t t) {
    static const char *names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                  "bool", "string", "array", "u64", "i64", "f64"};
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
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64:
        printf("%llu", (unsigned long long)v->u64);
        break;
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_INT64:
        printf("%lld", (long long)v->i64);
        break;
    case GGUF_TYPE_FLOAT32:
    case GGUF_TYPE_FLOAT64:
        printf("%g", v->f64);
        break;
    case GGUF_TYPE_BOOL:
        printf("%s", v->b ? "true" : "false");
        break;
    case GGUF_TYPE_STRING:
        print_gguf_string(v->str, 80);
        break;
    default:
        printf("?");
        break;
    }
}

static void print_array(const GGUFValue *v) {
    enum { SHOWN = 8 };
    printf("[%s × %llu] ", value_type_name(v->elem_type), (unsigned long long)v->count);
    uint64_t n = v->count < SHOWN ? v->count : SHOWN;
    for (uint64_t i = 0; i < n; i++) {
        if (i) printf(", ");
        if (v->elem_type == GGUF_TYPE_STRING)
            print_gguf_string(v->strs[i], 40);
        else if (v->elem_type == GGUF_TYPE_FLOAT32 || v->elem_type == GGUF_TYPE_FLOAT64)
            printf("%g", gguf_array_float(v, i));
        else if (v->elem_type == GGUF_TYPE_BOOL)
            printf("%s", gguf_array_int(v, i) ? "true" : "false");
        else
            printf("%lld", (long long)gguf_array_int(v, i));
    }
    if (v->count > n) printf(", … (%llu more)", (unsigned long long)(v->count - n));
}

/* The file's metadata and tensor table. Every name comes from the file: shown through gb_printable,
 * never raw to the terminal. */
static void print_file(const GGUFFile *f) {
    char shown[512];
    printf("file: %s (%zu bytes), GGUF v%u, alignment %u\n",
           gb_printable(f->path, strlen(f->path), shown, sizeof shown, 0), f->size, f->version,
           f->alignment);
    printf("\nmetadata (%llu keys):\n", (unsigned long long)f->n_kv);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const GGUFKeyValue *kv = &f->kv[i];
        printf("  %s", gb_printable(kv->key.data, (size_t)kv->key.len, shown, sizeof shown, 0));
        printf(" (%s) = ", value_type_name(kv->value.type));
        if (kv->value.type == GGUF_TYPE_ARRAY)
            print_array(&kv->value);
        else
            print_scalar(&kv->value);
        printf("\n");
    }
    printf("\ntensors (%llu):\n", (unsigned long long)f->n_tensors);
    printf("  %-32s %-6s %-22s %12s\n", "name", "type", "shape", "bytes");
    uint64_t total = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const GGUFTensor *t = &f->tensors[i];
        char shape[96];
        int off = 0;
        for (uint32_t d = 0; d < t->n_dims; d++)
            off += snprintf(shape + off, sizeof shape - (size_t)off, "%s%llu", d ? " × " : "",
                            (unsigned long long)t->ne[d]);
        const char *tn = ggml_type_name(t->type);
        printf("  %-32s %-6s ", gb_printable(t->name, strlen(t->name), shown, sizeof shown, 0),
               tn ? tn : "?");
        cli_print_padded(shape, 22);
        printf(" %12llu\n", (unsigned long long)t->n_bytes);
        total += t->n_bytes;
    }
    printf("  %-32s %-6s %-22s %12llu\n", "total", "", "", (unsigned long long)total);
}

/* The llama configuration, when the file loads as a model. */
static void print_config(const char *model_path) {
    char err[GB_ERRLEN];
    Model m;
    if (model_load(&m, model_path, 1, err) != 0) {
        printf("\nconfig: not loadable as a llama model: %s\n", err);
        return;
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
    long long kv_dim = (long long)cf->n_kv_heads * cf->head_dim,
              q_dim = (long long)cf->n_heads * cf->head_dim;
    params += (long long)cf->n_layers * (2LL * cf->dim + q_dim * cf->dim * 2 +
                                         kv_dim * cf->dim * 2 + 3LL * cf->hidden_dim * cf->dim);
    printf("  parameters %lld\n", params);
    model_free(&m);
}

int cli_info(int argc, char **argv) {
    const char *model_path = cli_default_model();
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &model_path),
    };
    const OptionSpec spec = {"info", INFO_USAGE, opts, OPTIONS_COUNT(opts), NULL, 0, 0};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;

    char err[GB_ERRLEN];
    GGUFFile f;
    if (gguf_open(&f, model_path, err) != 0) {
        cli_print_open_error("info", model_path, err);
        return GB_EXIT_USAGE;
    }
    print_file(&f);
    gguf_close(&f);
    print_config(model_path);
    return GB_EXIT_OK;
}
