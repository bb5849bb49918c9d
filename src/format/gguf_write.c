/* GGUF writer. It collects key/values and tensors (converted at add time), then lays the file out
 * the way ggml's own reader insists on, so that it loads in llama.cpp: v3, the key/values in the
 * order set, tensor offsets the running sum of aligned sizes, the data section aligned. Layout:
 * ../shared/notes/gguf-llama.md. */
#include "gguf_internal.h"

#include "files.h"
#include "quant.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t len, cap;
} ByteBuf;

static void buf_put(ByteBuf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->data = gb_realloc(b->data, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_u8(ByteBuf *b, uint8_t v) {
    buf_put(b, &v, 1);
}

static void buf_u16(ByteBuf *b, uint16_t v) {
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    buf_put(b, le, 2);
}

static void buf_u32(ByteBuf *b, uint32_t v) {
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_put(b, le, 4);
}

static void buf_u64(ByteBuf *b, uint64_t v) {
    buf_u32(b, (uint32_t)v);
    buf_u32(b, (uint32_t)(v >> 32));
}

static void buf_string(ByteBuf *b, const char *s, size_t len) {
    buf_u64(b, len);
    buf_put(b, s, len);
}

static void buf_zeros(ByteBuf *b, size_t n) {
    static const uint8_t zeros[64];
    while (n > 0) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        buf_put(b, zeros, k);
        n -= k;
    }
}

typedef struct {
    char *key;
    ByteBuf value; /* u32 value type, then the value, as it goes in the file */
} WriterKV;

typedef struct {
    char name[64];
    uint32_t n_dims;
    uint64_t ne[4];
    uint32_t type;
    uint8_t *data; /* (n_bytes) converted at add time */
    uint64_t n_bytes;
} WriterTensor;

struct GGUFWriter {
    WriterKV *kv; /* (n_kv) in the order first set */
    size_t n_kv, cap_kv;
    WriterTensor *tensors; /* (n_tensors) in the order added */
    size_t n_tensors, cap_tensors;
    uint32_t alignment;
    char error[GB_ERRLEN]; /* the first misuse, reported when writing */
};

static void writer_misuse(GGUFWriter *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void writer_misuse(GGUFWriter *w, const char *fmt, ...) {
    if (w->error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof w->error, fmt, ap);
    va_end(ap);
}

/* The value buffer for key, emptied, with the value type written: an existing key is replaced. */
static ByteBuf *writer_slot(GGUFWriter *w, const char *key, uint32_t type) {
    if (!key[0]) writer_misuse(w, "gguf writer: empty key");
    if (strcmp(key, "general.alignment") == 0 && type != GGUF_TYPE_UINT32)
        writer_misuse(w, "gguf writer: general.alignment must be u32");
    WriterKV *kv = NULL;
    for (size_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->kv[i].key, key) == 0) kv = &w->kv[i];
    if (!kv) {
        if (w->n_kv == w->cap_kv) {
            w->cap_kv = w->cap_kv ? 2 * w->cap_kv : 16;
            w->kv = gb_realloc(w->kv, w->cap_kv * sizeof *w->kv);
        }
        kv = &w->kv[w->n_kv++];
        *kv = (WriterKV){gb_strdup(key), {0}};
    }
    kv->value.len = 0;
    buf_u32(&kv->value, type);
    return &kv->value;
}

GGUFWriter *gguf_writer_new(void) {
    GGUFWriter *w = gb_calloc(1, sizeof *w);
    gguf_writer_set_u32(w, "general.alignment", GGUF_DEFAULT_ALIGNMENT);
    return w;
}

void gguf_writer_free(GGUFWriter *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].value.data);
    }
    free(w->kv);
    for (size_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].data);
    free(w->tensors);
    free(w);
}

void gguf_writer_set_u8(GGUFWriter *w, const char *key, uint8_t v) {
    buf_u8(writer_slot(w, key, GGUF_TYPE_UINT8), v);
}
void gguf_writer_set_i8(GGUFWriter *w, const char *key, int8_t v) {
    buf_u8(writer_slot(w, key, GGUF_TYPE_INT8), (uint8_t)v);
}
void gguf_writer_set_u16(GGUFWriter *w, const char *key, uint16_t v) {
    buf_u16(writer_slot(w, key, GGUF_TYPE_UINT16), v);
}
void gguf_writer_set_i16(GGUFWriter *w, const char *key, int16_t v) {
    buf_u16(writer_slot(w, key, GGUF_TYPE_INT16), (uint16_t)v);
}

void gguf_writer_set_u32(GGUFWriter *w, const char *key, uint32_t v) {
    if (strcmp(key, "general.alignment") == 0) {
        if (v == 0 || (v & (v - 1)) != 0)
            writer_misuse(w, "gguf writer: general.alignment %" PRIu32 " is not a power of two", v);
        else
            w->alignment = v;
    }
    buf_u32(writer_slot(w, key, GGUF_TYPE_UINT32), v);
}

void gguf_writer_set_i32(GGUFWriter *w, const char *key, int32_t v) {
    buf_u32(writer_slot(w, key, GGUF_TYPE_INT32), (uint32_t)v);
}
void gguf_writer_set_u64(GGUFWriter *w, const char *key, uint64_t v) {
    buf_u64(writer_slot(w, key, GGUF_TYPE_UINT64), v);
}
void gguf_writer_set_i64(GGUFWriter *w, const char *key, int64_t v) {
    buf_u64(writer_slot(w, key, GGUF_TYPE_INT64), (uint64_t)v);
}
void gguf_writer_set_f32(GGUFWriter *w, const char *key, float v) {
    buf_u32(writer_slot(w, key, GGUF_TYPE_FLOAT32), f32_to_bits(v));
}
void gguf_writer_set_f64(GGUFWriter *w, const char *key, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    buf_u64(writer_slot(w, key, GGUF_TYPE_FLOAT64), u);
}
void gguf_writer_set_bool(GGUFWriter *w, const char *key, bool v) {
    buf_u8(writer_slot(w, key, GGUF_TYPE_BOOL), v ? 1 : 0);
}
void gguf_writer_set_string(GGUFWriter *w, const char *key, const char *v) {
    gguf_writer_set_string_n(w, key, v, strlen(v));
}
void gguf_writer_set_string_n(GGUFWriter *w, const char *key, const char *v, size_t len) {
    buf_string(writer_slot(w, key, GGUF_TYPE_STRING), v, len);
}

void gguf_writer_set_array_strings(GGUFWriter *w, const char *key, const char *const *strs,
                                   const size_t *lens, uint64_t n) {
    ByteBuf *b = writer_slot(w, key, GGUF_TYPE_ARRAY);
    buf_u32(b, GGUF_TYPE_STRING);
    buf_u64(b, n);
    for (uint64_t i = 0; i < n; i++)
        buf_string(b, strs[i], lens ? lens[i] : strlen(strs[i]));
}

void gguf_writer_set_array(GGUFWriter *w, const char *key, uint32_t elem_type, const void *elems,
                           uint64_t n) {
    uint64_t esize = gguf_value_type_size(elem_type);
    ByteBuf *b = writer_slot(w, key, GGUF_TYPE_ARRAY);
    if (esize == 0) {
        writer_misuse(w, "gguf writer: key '%s': array elements of type %s need their own setter",
                      key, gguf_value_type_name(elem_type));
        return;
    }
    buf_u32(b, elem_type);
    buf_u64(b, n);
    const uint8_t *p = elems;
    for (uint64_t i = 0; i < n; i++, p += esize) {
        uint16_t u16;
        uint32_t u32;
        uint64_t u64;
        switch (esize) {
        case 1:
            buf_u8(b, elem_type == GGUF_TYPE_BOOL ? (*(const bool *)p ? 1 : 0) : p[0]);
            break;
        case 2:
            memcpy(&u16, p, 2), buf_u16(b, u16);
            break;
        case 4:
            memcpy(&u32, p, 4), buf_u32(b, u32);
            break;
        default:
            memcpy(&u64, p, 8), buf_u64(b, u64);
            break;
        }
    }
}

void gguf_writer_set_array_i32(GGUFWriter *w, const char *key, const int32_t *v, uint64_t n) {
    gguf_writer_set_array(w, key, GGUF_TYPE_INT32, v, n);
}

void gguf_writer_set_array_f32(GGUFWriter *w, const char *key, const float *v, uint64_t n) {
    gguf_writer_set_array(w, key, GGUF_TYPE_FLOAT32, v, n);
}

void gguf_writer_add_tensor(GGUFWriter *w, const char *name, uint32_t type, uint32_t n_dims,
                            const uint64_t *ne, const float *data) {
    size_t name_len = strlen(name);
    if (name_len == 0 || name_len > GGUF_MAX_NAME) {
        writer_misuse(w, "gguf writer: tensor name '%s' must be 1 to %d bytes", name,
                      GGUF_MAX_NAME);
        return;
    }
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0) {
            writer_misuse(w, "gguf writer: tensor '%s' added twice", name);
            return;
        }
    if (!ggml_type_name(type)) {
        writer_misuse(w, "gguf writer: tensor '%s': unsupported type %" PRIu32, name, type);
        return;
    }
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS) {
        writer_misuse(w, "gguf writer: tensor '%s': %" PRIu32 " dimensions (must be 1 to 4)", name,
                      n_dims);
        return;
    }
    WriterTensor t = {.n_dims = n_dims, .type = type};
    memcpy(t.name, name, name_len + 1);
    uint64_t n = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] == 0 || gb_mul_overflow(n, t.ne[d], &n)) {
            writer_misuse(w, "gguf writer: tensor '%s': bad dimension %" PRIu32, name, d);
            return;
        }
    }
    int block = quant_block_size(type);
    if (t.ne[0] % (uint64_t)block) {
        writer_misuse(w, "gguf writer: tensor '%s': %s needs dimension 0 a multiple of %d", name,
                      ggml_type_name(type), block);
        return;
    }
    t.n_bytes = ggml_type_nbytes(type, n);
    if (t.n_bytes == 0 || t.n_bytes > SIZE_MAX) {
        writer_misuse(w, "gguf writer: tensor '%s' is too large", name);
        return;
    }
    t.data = gb_malloc((size_t)t.n_bytes);
    for (uint64_t i = 0; i < n && block == 1; i++) {
        uint8_t *o = t.data;
        if (type == GGML_TYPE_F32) {
            uint32_t u = f32_to_bits(data[i]);
            for (int k = 0; k < 4; k++)
                o[4 * i + k] = (uint8_t)(u >> (8 * k));
        } else {
            uint16_t h = type == GGML_TYPE_F16 ? gb_f32_to_f16(data[i]) : gb_f32_to_bf16(data[i]);
            o[2 * i] = (uint8_t)h;
            o[2 * i + 1] = (uint8_t)(h >> 8);
        }
    }
    if (block > 1) quant_quantize(t.data, data, type, n);
    if (w->n_tensors == w->cap_tensors) {
        w->cap_tensors = w->cap_tensors ? 2 * w->cap_tensors : 16;
        w->tensors = gb_realloc(w->tensors, w->cap_tensors * sizeof *w->tensors);
    }
    w->tensors[w->n_tensors++] = t;
}

static uint64_t align_up(uint64_t n, uint64_t alignment) {
    return (n + alignment - 1) / alignment * alignment;
}

int gguf_writer_to_memory(GGUFWriter *w, uint8_t **data, size_t *size, char *err) {
    if (w->error[0]) {
        gb_seterr(err, "%s", w->error);
        return -1;
    }
    ByteBuf b = {0};
    buf_put(&b, GGUF_MAGIC, 4);
    buf_u32(&b, 3);
    buf_u64(&b, w->n_tensors);
    buf_u64(&b, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        buf_string(&b, w->kv[i].key, strlen(w->kv[i].key));
        buf_put(&b, w->kv[i].value.data, w->kv[i].value.len);
    }
    uint64_t offset = 0; /* running sum of the aligned sizes before each tensor */
    for (size_t i = 0; i < w->n_tensors; i++) {
        const WriterTensor *t = &w->tensors[i];
        buf_string(&b, t->name, strlen(t->name));
        buf_u32(&b, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++)
            buf_u64(&b, t->ne[d]);
        buf_u32(&b, t->type);
        buf_u64(&b, offset);
        offset += align_up(t->n_bytes, w->alignment);
    }
    buf_zeros(&b, align_up(b.len, w->alignment) - b.len);
    for (size_t i = 0; i < w->n_tensors; i++) {
        const WriterTensor *t = &w->tensors[i];
        buf_put(&b, t->data, t->n_bytes);
        buf_zeros(&b, align_up(t->n_bytes, w->alignment) - t->n_bytes);
    }
    *data = b.data;
    *size = b.len;
    return 0;
}

int gguf_writer_write(GGUFWriter *w, const char *path, char *err) {
    uint8_t *data;
    size_t size;
    if (w->error[0]) {
        gb_seterr(err, "%s: %s", path, w->error);
        return -1;
    }
    if (gguf_writer_to_memory(w, &data, &size, err)) return -1;
    int rc = gb_write_file_atomic(path, data, size, err);
    free(data);
    return rc;
}
