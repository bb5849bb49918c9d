/* GGUF: the one model format. A memory-mapped reader that checks every count, length and offset
 * against the file size before use (gguf_read.c), and a writer whose files load in llama.cpp
 * (gguf_write.c); the types and conversions both use are in gguf.c.
 * Layout facts: ../shared/notes/gguf-llama.md and ggml's docs/gguf.md. */
#ifndef GB_GGUF_H
#define GB_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
} GGUFValueType;

typedef enum {
    GGML_TYPE_F32 = 0,
    GGML_TYPE_F16 = 1,
    GGML_TYPE_Q4_0 = 2,
    GGML_TYPE_Q8_0 = 8,
    GGML_TYPE_Q4_K = 12,
    GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14,
    GGML_TYPE_BF16 = 30,
} GGMLType;

/* A string inside the mapped file: not NUL-terminated. */
typedef struct {
    const char *data;
    uint64_t len;
} GGUFString;

typedef struct {
    uint32_t type; /* GGUFValueType */
    union {
        uint64_t u64; /* any unsigned integer type, widened */
        int64_t i64;  /* any signed integer type, widened */
        double f64;   /* FLOAT32 or FLOAT64, widened */
        bool b;
        GGUFString str;
    };
    /* ARRAY only: element type, count, and the elements. Numeric elements lie packed at `elems`
     * (little-endian, unaligned: read them with gguf_array_int / gguf_array_float); string elements
     * are indexed in `strs` (allocated by the reader). */
    uint32_t elem_type;
    uint64_t count;
    const uint8_t *elems;
    GGUFString *strs;
} GGUFValue;

typedef struct {
    GGUFString key;
    GGUFValue value;
} GGUFKeyValue;

typedef struct {
    char name[64];    /* NUL-terminated copy (ggml limits names to 63 bytes) */
    uint32_t n_dims;  /* 1..4 */
    uint64_t ne[4];   /* ne[0] is the contiguous dimension; unused dims are 1 */
    uint32_t type;    /* GGMLType */
    uint64_t offset;  /* relative to the data section */
    uint64_t n_elems; /* product of ne */
    uint64_t n_bytes; /* size of the data in the file */
    const void *data; /* into the map; checked to lie inside the file */
} GGUFTensor;

typedef struct {
    char *path;          /* owned copy, for messages */
    const uint8_t *base; /* the whole file (mapped, or a caller's buffer for gguf_open_memory) */
    size_t size;
    int mapped;         /* base must be munmap'ed */
    uint32_t version;   /* 2 or 3 */
    uint32_t alignment; /* general.alignment, default 32 */
    uint64_t n_kv;
    GGUFKeyValue *kv;
    uint64_t n_tensors;
    GGUFTensor *tensors;
    uint64_t data_offset; /* start of the data section */
} GGUFFile;

/* Opens and validates a file. On failure returns -1 and err reads "PATH: byte N: what is wrong". */
int gguf_open(GGUFFile *f, const char *path, char *err);
/* The same over a buffer the caller keeps alive (tests, fuzzing); name is used in messages. */
int gguf_open_memory(GGUFFile *f, const void *data, size_t size, const char *name, char *err);
void gguf_close(GGUFFile *f);

const GGUFKeyValue *gguf_find_kv(const GGUFFile *f, const char *key);
/* Typed lookups: false when absent or of an incompatible type. Integers of any width and signedness
 * convert (when in range); floats accept FLOAT32 and FLOAT64. */
bool gguf_get_int(const GGUFFile *f, const char *key, int64_t *out);
bool gguf_get_float(const GGUFFile *f, const char *key, double *out);
bool gguf_get_bool(const GGUFFile *f, const char *key, bool *out);
bool gguf_get_string(const GGUFFile *f, const char *key, GGUFString *out);
/* Returns the array value for key, or NULL when absent or not an array. */
const GGUFValue *gguf_get_array(const GGUFFile *f, const char *key);
/* Element i of a numeric (or bool) array, converted: 0 when i is out of range; gguf_array_int
 * saturates a u64 above INT64_MAX and truncates floats toward zero. */
int64_t gguf_array_int(const GGUFValue *arr, uint64_t i);
double gguf_array_float(const GGUFValue *arr, uint64_t i);
/* True when s equals the C string c. */
bool gguf_string_eq(GGUFString s, const char *c);

const GGUFTensor *gguf_find_tensor(const GGUFFile *f, const char *name);
/* Name of a tensor type ("F32", "Q8_0", ...), or NULL when glassbox does not support it. */
const char *ggml_type_name(uint32_t type);
/* Bytes needed by n elements of type (n a multiple of the block size); 0 if unsupported/ragged. */
uint64_t ggml_type_nbytes(uint32_t type, uint64_t n);
/* Converts a tensor's data to float32 (out holds t->n_elems floats). */
void gguf_tensor_to_f32(float *out, const GGUFTensor *t);

/* Scalar conversions, exposed for the writer and the tests. */
float gb_f16_to_f32(uint16_t h);
uint16_t gb_f32_to_f16(float f);
float gb_bf16_to_f32(uint16_t h);
uint16_t gb_f32_to_bf16(float f);

/* ---- writer ----
 * Collects key/values and tensors, then writes a GGUF v3 file atomically. Tensor data is converted
 * from float32 into the requested type at add time (so the caller's buffer may be freed). Tensors
 * are laid out in the order added, each offset the running sum of the aligned sizes before it (as
 * ggml requires). */
typedef struct GGUFWriter GGUFWriter;

GGUFWriter *gguf_writer_new(void);
void gguf_writer_free(GGUFWriter *w);
void gguf_writer_set_u32(GGUFWriter *w, const char *key, uint32_t v);
void gguf_writer_set_i32(GGUFWriter *w, const char *key, int32_t v);
void gguf_writer_set_u64(GGUFWriter *w, const char *key, uint64_t v);
void gguf_writer_set_f32(GGUFWriter *w, const char *key, float v);
void gguf_writer_set_bool(GGUFWriter *w, const char *key, bool v);
void gguf_writer_set_string(GGUFWriter *w, const char *key, const char *v);
/* The remaining scalar types, and a string of any bytes (len bytes, NULs allowed). */
void gguf_writer_set_u8(GGUFWriter *w, const char *key, uint8_t v);
void gguf_writer_set_i8(GGUFWriter *w, const char *key, int8_t v);
void gguf_writer_set_u16(GGUFWriter *w, const char *key, uint16_t v);
void gguf_writer_set_i16(GGUFWriter *w, const char *key, int16_t v);
void gguf_writer_set_i64(GGUFWriter *w, const char *key, int64_t v);
void gguf_writer_set_f64(GGUFWriter *w, const char *key, double v);
void gguf_writer_set_string_n(GGUFWriter *w, const char *key, const char *v, size_t len);
/* Arrays. Strings are (pointer, length) pairs so tokens may hold any bytes. */
void gguf_writer_set_array_strings(GGUFWriter *w, const char *key, const char *const *strs,
                                   const size_t *lens, uint64_t n);
void gguf_writer_set_array_i32(GGUFWriter *w, const char *key, const int32_t *v, uint64_t n);
void gguf_writer_set_array_f32(GGUFWriter *w, const char *key, const float *v, uint64_t n);
/* An array of any fixed-size element type (integers, floats, bool): elems holds n values of the C
 * type matching elem_type (uint8_t ... double, bool), in host layout. Setting a key again replaces
 * it. */
void gguf_writer_set_array(GGUFWriter *w, const char *key, uint32_t elem_type, const void *elems,
                           uint64_t n);
/* Adds a tensor with dims ne[0..n_dims) (ne[0] contiguous), converting float32 data to type. */
void gguf_writer_add_tensor(GGUFWriter *w, const char *name, uint32_t type, uint32_t n_dims,
                            const uint64_t *ne, const float *data);
/* Writes the file (temporary file, then rename). 0 or -1 with err. Misuse of the setters above
 * (empty key, bad tensor name/type/dims, duplicate tensor) is recorded and reported here and by
 * gguf_writer_to_memory. */
int gguf_writer_write(GGUFWriter *w, const char *path, char *err);
/* Serialises into a malloc'ed buffer (for tests that corrupt files in memory). */
int gguf_writer_to_memory(GGUFWriter *w, uint8_t **data, size_t *size, char *err);

#endif
