/* The GGUF reader on any bytes, and everything that reads an opened file: typed lookups, array
 * elements, tensor conversion to float32, the tokenizer (tokenizer_from_gguf) and the model loader
 * (config checks, weight shapes, conversion), with one forward pass when a model loads. Each either
 * works or gives an error naming the file; nothing reads outside the buffer. */
#include <math.h>
#include <string.h>

#include "encode_check.h"
#include "gguf.h"
#include "model.h"

static void walk_values(const GGUFFile *f) {
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const GGUFKeyValue *kv = &f->kv[i];
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(kv->key.len > 100 ? 100 : kv->key.len), kv->key.data);
        int64_t iv;
        double fv;
        bool bv;
        GGUFString sv;
        (void)gguf_get_int(f, key, &iv);
        (void)gguf_get_float(f, key, &fv);
        (void)gguf_get_bool(f, key, &bv);
        if (gguf_get_string(f, key, &sv) && sv.len > 0 && (sv.data[0] == 0x7f || sv.data[sv.len - 1] == 0x7f))
            iv = 0; /* touches both ends of the string */
        const GGUFValue *arr = gguf_get_array(f, key);
        if (!arr) continue;
        for (uint64_t k = 0; k < arr->count && k < 64; k++) {
            if (arr->elem_type == GGUF_TYPE_STRING) {
                if (arr->strs[k].len) iv += (unsigned char)arr->strs[k].data[arr->strs[k].len - 1];
            } else {
                iv += gguf_array_int(arr, k);
                fv += gguf_array_float(arr, k);
            }
        }
        if (arr->count) (void)gguf_array_int(arr, arr->count); /* out of range: 0 */
    }
}

static void convert_tensors(const GGUFFile *f) {
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const GGUFTensor *t = &f->tensors[i];
        if (gguf_find_tensor(f, t->name) == NULL) fuzz_fail("a tensor is not found by its name");
        if (!ggml_type_name(t->type) || t->n_elems > (1u << 20)) continue;
        if (t->n_bytes != ggml_type_nbytes(t->type, t->n_elems)) fuzz_fail("a tensor's size is not its type's");
        float *out = gb_malloc(sizeof(float) * (t->n_elems ? t->n_elems : 1)); /* (n_elems) */
        gguf_tensor_to_f32(out, t);
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    GGUFFile f;
    char err[GB_ERRLEN];
    err[0] = 0;
    if (gguf_open_memory(&f, data, size, "fuzz.gguf", err) != 0) {
        if (strncmp(err, "fuzz.gguf", 9) != 0) fuzz_fail("an error that does not name the file");
        return 0;
    }
    walk_values(&f);
    convert_tensors(&f);
    Tokenizer *t = tokenizer_from_gguf(&f, err);
    if (t) {
        static const char SAMPLE[] = "def add(a, b):\n    return a + b  # caf\xc3\xa9 \xff";
        fuzz_check_encode(t, SAMPLE, sizeof SAMPLE - 1);
        tokenizer_free(t);
    }
    gguf_close(&f);

    Model m;
    if (model_load_memory(&m, data, size, "fuzz.gguf", 8, err) == 0) {
        int32_t toks[2] = {0, m.config.vocab_size - 1};
        int n = m.config.seq_len < 2 ? m.config.seq_len : 2;
        const float *logits = model_forward_prompt(&m, toks, n, 0);
        if (!logits) fuzz_fail("a loaded model did not run");
        model_free(&m);
    } else if (strncmp(err, "fuzz.gguf", 9) != 0) {
        fuzz_fail("a model error that does not name the file");
    }
    return 0;
}
