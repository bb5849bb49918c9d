/* GGUF reader and writer. The reader maps the file and checks every count, length, dimension and
 * offset against the file size before it uses it; the writer lays files out the way ggml's own
 * reader insists on, so they load in llama.cpp. Layout: ../shared/notes/gguf-llama.md. */
#include "gguf.h"

#include "files.h"
#include "quant.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAGIC "GGUF"
#define GGUF_HEADER_BYTES 24 /* magic, version, tensor count, key/value count */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_NAME 63
#define GGUF_MAX_DIMS 4
/* The fewest bytes one key/value can take: key length, a 1-byte key, value type, a 1-byte value. */
#define GGUF_MIN_KV_BYTES (8 + 1 + 4 + 1)
/* The fewest bytes one tensor info can take: name length, 1-byte name, n_dims, one ne, type,
 * offset. */
#define GGUF_MIN_TENSOR_INFO_BYTES (8 + 1 + 4 + 8 + 4 + 8)
#define SUPPORTED_TYPES "F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K"

/* ---------------------------------------------------------------------------------------------- */
/* Little-endian access (unaligned, independent of the host's byte order). */

static uint16_t rd_u16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_u64(const uint8_t *p) {
    return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32;
}

static float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static double bits_to_f64(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---------------------------------------------------------------------------------------------- */
/* Scalar conversions. */

float gb_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    if (exp == 0x1f)
        return bits_to_f32(sign | 0x7f800000u | mant << 13); /* inf, nan (payload kept) */
    if (exp != 0) return bits_to_f32(sign | (exp - 15 + 127) << 23 | mant << 13);
    if (mant == 0) return bits_to_f32(sign); /* signed zero */
    /* Subnormal (mant * 2^-24): move the leading one up to the implicit bit. */
    int e = -14;
    while (!(mant & 0x400)) {
        mant <<= 1;
        e--;
    }
    mant &= 0x3ff;
    return bits_to_f32(sign | (uint32_t)(e + 127) << 23 | mant << 13);
}

/* Shifts m right by `shift` bits, rounding to nearest with ties to even (1 <= shift <= 31). */
static uint32_t shift_round_even(uint32_t m, int shift) {
    uint32_t kept = m >> shift;
    uint32_t rest = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (kept & 1))) kept++;
    return kept;
}

uint16_t gb_f32_to_f16(float f) {
    uint32_t x = f32_to_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t exp = (x >> 23) & 0xff;
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff) /* inf stays inf; nan stays a quiet nan */
        return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
    int e = (int)exp - 127;
    if (e > 15) return (uint16_t)(sign | 0x7c00); /* too large: inf */
    if (e >= -14) {
        /* Normal half. Rounding may carry into the exponent, and from 65504 up into inf: both are
         * the correctly rounded encodings, so the carry is left to happen. */
        uint32_t h = ((uint32_t)(e + 15) << 10) + shift_round_even(mant, 13);
        return (uint16_t)(sign | h);
    }
    if (exp == 0) return sign; /* float32 subnormals are far below half's smallest subnormal */
    /* Subnormal half, in units of 2^-24: value = (mant | 2^23) * 2^(e-23) = m * 2^-24 >> (-e-1). */
    int shift = -e - 1;
    if (shift > 24) return sign; /* below half the smallest subnormal: rounds to zero */
    return (uint16_t)(sign | shift_round_even(mant | 0x800000, shift));
}

float gb_bf16_to_f32(uint16_t h) {
    return bits_to_f32((uint32_t)h << 16);
}

uint16_t gb_f32_to_bf16(float f) {
    uint32_t x = f32_to_bits(f);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* nan: keep it quiet */
    /* Round to nearest even on the 16 bits dropped; a carry may reach the exponent (up to inf). */
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

/* ---------------------------------------------------------------------------------------------- */
/* Types. */

/* Every ggml type id with a name, so that unsupported types are named in messages. */
static const char *ggml_known_type_name(uint32_t type) {
    static const char *const names[] = {
        [0] = "F32",     [1] = "F16",      [2] = "Q4_0",   [3] = "Q4_1",    [6] = "Q5_0",
        [7] = "Q5_1",    [8] = "Q8_0",     [9] = "Q8_1",   [10] = "Q2_K",   [11] = "Q3_K",
        [12] = "Q4_K",   [13] = "Q5_K",    [14] = "Q6_K",  [15] = "Q8_K",   [16] = "IQ2_XXS",
        [17] = "IQ2_XS", [18] = "IQ3_XXS", [19] = "IQ1_S", [20] = "IQ4_NL", [21] = "IQ3_S",
        [22] = "IQ2_S",  [23] = "IQ4_XS",  [24] = "I8",    [25] = "I16",    [26] = "I32",
        [27] = "I64",    [28] = "F64",     [29] = "IQ1_M", [30] = "BF16",   [34] = "TQ1_0",
        [35] = "TQ2_0",  [39] = "MXFP4",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

const char *ggml_type_name(uint32_t type) {
    switch (type) {
    case GGML_TYPE_F32:
        return "F32";
    case GGML_TYPE_F16:
        return "F16";
    case GGML_TYPE_BF16:
        return "BF16";
    case GGML_TYPE_Q8_0:
        return "Q8_0";
    case GGML_TYPE_Q4_0:
        return "Q4_0";
    case GGML_TYPE_Q4_K:
        return "Q4_K";
    case GGML_TYPE_Q5_K:
        return "Q5_K";
    case GGML_TYPE_Q6_K:
        return "Q6_K";
    default:
        return NULL;
    }
}

uint64_t ggml_type_nbytes(uint32_t type, uint64_t n) {
    return quant_nbytes(type, n);
}

static const char *value_type_name(uint32_t t) {
    static const char *const names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                        "bool", "string", "array", "u64", "i64", "f64"};
    return t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

/* Bytes of one value of a fixed-size type; 0 for strings, arrays and unknown types. */
static uint64_t value_type_size(uint32_t t) {
    switch (t) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_BOOL:
        return 1;
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_INT16:
        return 2;
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_FLOAT32:
        return 4;
    case GGUF_TYPE_UINT64:
    case GGUF_TYPE_INT64:
    case GGUF_TYPE_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

static bool is_unsigned_type(uint32_t t) {
    return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_UINT16 || t == GGUF_TYPE_UINT32 ||
           t == GGUF_TYPE_UINT64;
}

static bool is_signed_type(uint32_t t) {
    return t == GGUF_TYPE_INT8 || t == GGUF_TYPE_INT16 || t == GGUF_TYPE_INT32 ||
           t == GGUF_TYPE_INT64;
}

/* Decodes one fixed-size value at p into the widened fields of v (v->type already set). */
static void decode_scalar(GGUFValue *v, uint32_t type, const uint8_t *p) {
    switch (type) {
    case GGUF_TYPE_UINT8:
        v->u64 = p[0];
        break;
    case GGUF_TYPE_INT8:
        v->i64 = (int8_t)p[0];
        break;
    case GGUF_TYPE_UINT16:
        v->u64 = rd_u16(p);
        break;
    case GGUF_TYPE_INT16:
        v->i64 = (int16_t)rd_u16(p);
        break;
    case GGUF_TYPE_UINT32:
        v->u64 = rd_u32(p);
        break;
    case GGUF_TYPE_INT32:
        v->i64 = (int32_t)rd_u32(p);
        break;
    case GGUF_TYPE_FLOAT32:
        v->f64 = bits_to_f32(rd_u32(p));
        break;
    case GGUF_TYPE_BOOL:
        v->b = p[0] != 0;
        break;
    case GGUF_TYPE_UINT64:
        v->u64 = rd_u64(p);
        break;
    case GGUF_TYPE_INT64:
        v->i64 = (int64_t)rd_u64(p);
        break;
    case GGUF_TYPE_FLOAT64:
        v->f64 = bits_to_f64(rd_u64(p));
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Reader. */

/* A cursor over the file being parsed; every read goes through need(). */
typedef struct {
    const uint8_t *base;
    uint64_t size;
    uint64_t pos; /* always <= size */
    const char *path;
    char *err;
} Parser;

static int fail(Parser *p, uint64_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(Parser *p, uint64_t at, const char *fmt, ...) {
    char msg[GB_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gb_seterr(p->err, "%s: byte %" PRIu64 ": %s", p->path, at, msg);
    return -1;
}

/* Writes bytes s[0..len) into out as printable text (escaping the rest), shortened if long. */
static void printable(char *out, size_t cap, const uint8_t *s, uint64_t len) {
    size_t o = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (o + 8 >= cap) {
            snprintf(out + o, cap - o, "...");
            return;
        }
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '\'')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
    }
    out[o] = 0;
}

static int need(Parser *p, uint64_t n, const char *ctx, const char *what) {
    if (n <= p->size - p->pos) return 0;
    return fail(p, p->pos, "%s%s%s runs past the end of the file (size %" PRIu64 ")", ctx,
                *ctx ? ": " : "", what, p->size);
}

static int read_u32(Parser *p, uint32_t *out, const char *ctx, const char *what) {
    if (need(p, 4, ctx, what)) return -1;
    *out = rd_u32(p->base + p->pos);
    p->pos += 4;
    return 0;
}

static int read_u64(Parser *p, uint64_t *out, const char *ctx, const char *what) {
    if (need(p, 8, ctx, what)) return -1;
    *out = rd_u64(p->base + p->pos);
    p->pos += 8;
    return 0;
}

/* A string: u64 length, then the bytes. `what` names it in messages ("key", "string", ...). */
static int read_string(Parser *p, GGUFString *s, const char *ctx, const char *what) {
    uint64_t at = p->pos, len;
    char field[64];
    snprintf(field, sizeof field, "%s length", what);
    if (read_u64(p, &len, ctx, field)) return -1;
    if (len > p->size - p->pos)
        return fail(p, at,
                    "%s: %s length %" PRIu64 " runs past the end of the file (size %" PRIu64 ")",
                    ctx, what, len, p->size);
    s->data = (const char *)p->base + p->pos;
    s->len = len;
    p->pos += len;
    return 0;
}

/* An array: u32 element type, u64 count, the elements. Counts are bounded by the bytes left before
 * anything is allocated. */
static int read_array(Parser *p, GGUFValue *v, const char *ctx) {
    uint64_t at = p->pos;
    if (read_u32(p, &v->elem_type, ctx, "array element type")) return -1;
    if (v->elem_type == GGUF_TYPE_ARRAY)
        return fail(p, at, "%s: arrays of arrays are not supported by GGUF readers", ctx);
    if (v->elem_type > GGUF_TYPE_FLOAT64)
        return fail(p, at, "%s: unknown array element type %" PRIu32 " (valid types are 0 to 12)",
                    ctx, v->elem_type);
    at = p->pos;
    if (read_u64(p, &v->count, ctx, "array count")) return -1;
    uint64_t left = p->size - p->pos;
    if (v->elem_type == GGUF_TYPE_STRING) {
        if (v->count > left / 8)
            return fail(p, at,
                        "%s: array of %" PRIu64
                        " strings runs past the end of the file (size %" PRIu64
                        "): each string needs at least 8 bytes",
                        ctx, v->count, p->size);
        v->strs = gb_calloc(v->count, sizeof *v->strs);
        for (uint64_t i = 0; i < v->count; i++) {
            char what[48];
            snprintf(what, sizeof what, "string element %" PRIu64, i);
            if (read_string(p, &v->strs[i], ctx, what)) return -1;
        }
        return 0;
    }
    uint64_t esize = value_type_size(v->elem_type);
    if (v->count > left / esize)
        return fail(p, at,
                    "%s: array of %" PRIu64
                    " %s values runs past the end of the file (size %" PRIu64 ")",
                    ctx, v->count, value_type_name(v->elem_type), p->size);
    v->elems = p->base + p->pos;
    if (v->elem_type == GGUF_TYPE_BOOL)
        for (uint64_t i = 0; i < v->count; i++)
            if (v->elems[i] > 1)
                return fail(p, p->pos + i, "%s: bool element %" PRIu64 " is %u (must be 0 or 1)",
                            ctx, i, v->elems[i]);
    p->pos += v->count * esize;
    return 0;
}

static int read_value(Parser *p, GGUFValue *v, uint32_t type, const char *ctx) {
    v->type = type;
    if (type == GGUF_TYPE_STRING) return read_string(p, &v->str, ctx, "string");
    if (type == GGUF_TYPE_ARRAY) return read_array(p, v, ctx);
    uint64_t size = value_type_size(type);
    char what[32];
    snprintf(what, sizeof what, "%s value", value_type_name(type));
    if (need(p, size, ctx, what)) return -1;
    const uint8_t *at = p->base + p->pos;
    if (type == GGUF_TYPE_BOOL && at[0] > 1)
        return fail(p, p->pos, "%s: bool value is %u (must be 0 or 1)", ctx, at[0]);
    decode_scalar(v, type, at);
    p->pos += size;
    return 0;
}

/* A (bytes, position) pair for finding duplicate keys and names by sorting. */
typedef struct {
    const char *data;
    uint64_t len;
    uint64_t at; /* byte offset where the item starts */
} NamedItem;

static int compare_named(const void *a, const void *b) {
    const NamedItem *x = a, *y = b;
    uint64_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Sorts items and returns the index of the duplicate that comes first in the file, or -1. */
static int64_t first_duplicate(NamedItem *items, uint64_t n) {
    qsort(items, n, sizeof *items, compare_named);
    int64_t best = -1;
    for (uint64_t i = 1; i < n; i++)
        if (items[i].len == items[i - 1].len &&
            memcmp(items[i].data, items[i - 1].data, items[i].len) == 0 &&
            (best < 0 || items[i].at < items[best].at))
            best = (int64_t)i;
    return best;
}

static int check_alignment_kv(Parser *p, const GGUFValue *v, uint64_t at, const char *ctx,
                              uint32_t *alignment) {
    if (v->type != GGUF_TYPE_UINT32)
        return fail(p, at, "%s: general.alignment has type %s, but must be u32", ctx,
                    value_type_name(v->type));
    if (v->u64 == 0 || (v->u64 & (v->u64 - 1)) != 0)
        return fail(p, at, "%s: general.alignment is %" PRIu64 ", but must be a power of two", ctx,
                    v->u64);
    *alignment = (uint32_t)v->u64;
    return 0;
}

static int parse_kvs(Parser *p, GGUFFile *f) {
    if (f->n_kv > (p->size - p->pos) / GGUF_MIN_KV_BYTES)
        return fail(p, 16,
                    "key/value count %" PRIu64
                    " cannot fit before the end of the file (size %" PRIu64
                    "): each needs at least %d bytes",
                    f->n_kv, p->size, GGUF_MIN_KV_BYTES);
    f->kv = gb_calloc(f->n_kv, sizeof *f->kv);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        GGUFKeyValue *kv = &f->kv[i];
        char ctx[160], name[96];
        uint64_t at = p->pos;
        snprintf(ctx, sizeof ctx, "key/value %" PRIu64, i);
        if (read_string(p, &kv->key, ctx, "key")) return -1;
        if (kv->key.len == 0) return fail(p, at, "%s: key is empty", ctx);
        printable(name, sizeof name, (const uint8_t *)kv->key.data, kv->key.len);
        snprintf(ctx, sizeof ctx, "key/value %" PRIu64 " ('%s')", i, name);
        uint32_t type;
        at = p->pos;
        if (read_u32(p, &type, ctx, "value type")) return -1;
        if (type > GGUF_TYPE_FLOAT64)
            return fail(p, at, "%s: unknown value type %" PRIu32 " (valid types are 0 to 12)", ctx,
                        type);
        at = p->pos;
        if (read_value(p, &kv->value, type, ctx)) return -1;
        if (gguf_string_eq(kv->key, "general.alignment") &&
            check_alignment_kv(p, &kv->value, at, ctx, &f->alignment))
            return -1;
    }
    NamedItem *items = gb_calloc(f->n_kv, sizeof *items);
    for (uint64_t i = 0; i < f->n_kv; i++)
        items[i] = (NamedItem){f->kv[i].key.data, f->kv[i].key.len,
                               (uint64_t)((const uint8_t *)f->kv[i].key.data - p->base) - 8};
    int64_t dup = first_duplicate(items, f->n_kv);
    int rc = 0;
    if (dup >= 0) {
        char name[96];
        printable(name, sizeof name, (const uint8_t *)items[dup].data, items[dup].len);
        rc = fail(p, items[dup].at, "key '%s' appears twice (first at byte %" PRIu64 ")", name,
                  items[dup - 1].at);
    }
    free(items);
    return rc;
}

/* Where a tensor info's name and offset fields start, for messages about them. */
typedef struct {
    uint64_t name_at, offset_at;
} TensorInfoPos;

/* One tensor info: name, n_dims, ne[n_dims], type, offset. */
static int parse_tensor_info(Parser *p, GGUFFile *f, GGUFTensor *t, uint64_t i,
                             TensorInfoPos *pos) {
    char ctx[128];
    snprintf(ctx, sizeof ctx, "tensor %" PRIu64, i);
    GGUFString name;
    uint64_t at = p->pos;
    pos->name_at = at;
    if (read_string(p, &name, ctx, "name")) return -1;
    if (name.len == 0) return fail(p, at, "%s: name is empty", ctx);
    if (name.len > GGUF_MAX_NAME)
        return fail(p, at, "%s: name is %" PRIu64 " bytes long, more than the %d that ggml allows",
                    ctx, name.len, GGUF_MAX_NAME);
    if (memchr(name.data, 0, name.len)) return fail(p, at, "%s: name contains a NUL byte", ctx);
    memcpy(t->name, name.data, name.len);
    t->name[name.len] = 0;
    char shown[80];
    printable(shown, sizeof shown, (const uint8_t *)t->name, name.len);
    snprintf(ctx, sizeof ctx, "tensor '%s'", shown);

    at = p->pos;
    if (read_u32(p, &t->n_dims, ctx, "dimension count")) return -1;
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
        return fail(p, at, "%s has %" PRIu32 " dimensions (must be 1 to %d)", ctx, t->n_dims,
                    GGUF_MAX_DIMS);
    t->n_elems = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims) continue;
        at = p->pos;
        char what[32];
        snprintf(what, sizeof what, "dimension %" PRIu32, d);
        if (read_u64(p, &t->ne[d], ctx, what)) return -1;
        if (t->ne[d] == 0)
            return fail(p, at, "%s: dimension %" PRIu32 " is 0 (empty tensors are not supported)",
                        ctx, d);
        if (t->ne[d] > (uint64_t)INT64_MAX || gb_mul_overflow(t->n_elems, t->ne[d], &t->n_elems))
            return fail(p, at,
                        "%s: dimension %" PRIu32 " is %" PRIu64
                        ", which makes the element count overflow",
                        ctx, d, t->ne[d]);
    }

    at = p->pos;
    if (read_u32(p, &t->type, ctx, "type")) return -1;
    if (!ggml_type_name(t->type)) {
        const char *known = ggml_known_type_name(t->type);
        if (known)
            return fail(p, at,
                        "%s has type %s (%" PRIu32
                        "), which glassbox does not support (supported: %s)",
                        ctx, known, t->type, SUPPORTED_TYPES);
        return fail(p, at, "%s has unknown type %" PRIu32 " (supported: %s)", ctx, t->type,
                    SUPPORTED_TYPES);
    }
    if (t->ne[0] % (uint64_t)quant_block_size(t->type))
        return fail(p, at,
                    "%s has type %s, which needs dimension 0 to be a multiple of %d, but it is "
                    "%" PRIu64,
                    ctx, ggml_type_name(t->type), quant_block_size(t->type), t->ne[0]);
    t->n_bytes = ggml_type_nbytes(t->type, t->n_elems);
    if (t->n_bytes == 0)
        return fail(p, at, "%s: %" PRIu64 " elements of type %s overflow a 64-bit byte count", ctx,
                    t->n_elems, ggml_type_name(t->type));

    at = p->pos;
    if (read_u64(p, &t->offset, ctx, "data offset")) return -1;
    if (t->offset % f->alignment)
        return fail(p, at,
                    "%s: data offset %" PRIu64 " is not a multiple of the alignment %" PRIu32, ctx,
                    t->offset, f->alignment);
    pos->offset_at = at;
    return 0;
}

typedef struct {
    uint64_t offset, index;
} OffsetItem;

static int compare_offsets(const void *a, const void *b) {
    const OffsetItem *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Checks that every tensor's data lies inside the file and that no two overlap. */
static int check_tensor_data(Parser *p, GGUFFile *f, const TensorInfoPos *pos) {
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        GGUFTensor *t = &f->tensors[i];
        uint64_t start, end;
        if (gb_add_overflow(f->data_offset, t->offset, &start) ||
            gb_add_overflow(start, t->n_bytes, &end) || end > p->size)
            return fail(p, pos[i].offset_at,
                        "tensor '%s': data at offset %" PRIu64 " (%" PRIu64
                        " bytes, data section at byte %" PRIu64
                        ") runs past the end of the file (size %" PRIu64 ")",
                        t->name, t->offset, t->n_bytes, f->data_offset, p->size);
        t->data = p->base + start;
    }
    /* Sort by offset (ties by index), then each must end before the next begins. */
    OffsetItem *order = gb_calloc(f->n_tensors, sizeof *order);
    for (uint64_t i = 0; i < f->n_tensors; i++)
        order[i] = (OffsetItem){f->tensors[i].offset, i};
    int rc = 0;
    qsort(order, f->n_tensors, sizeof *order, compare_offsets);
    for (uint64_t k = 1; k < f->n_tensors && rc == 0; k++) {
        const GGUFTensor *a = &f->tensors[order[k - 1].index], *b = &f->tensors[order[k].index];
        if (a->offset + a->n_bytes > b->offset) /* no overflow: both lie inside the file */
            rc = fail(p, pos[order[k].index].offset_at,
                      "tensor '%s' (data offset %" PRIu64
                      ") overlaps tensor '%s' (data offset %" PRIu64 ", %" PRIu64 " bytes)",
                      b->name, b->offset, a->name, a->offset, a->n_bytes);
    }
    free(order);
    return rc;
}

static int parse_tensors(Parser *p, GGUFFile *f) {
    if (f->n_tensors > (p->size - p->pos) / GGUF_MIN_TENSOR_INFO_BYTES)
        return fail(p, 8,
                    "tensor count %" PRIu64 " cannot fit before the end of the file (size %" PRIu64
                    "): each tensor info needs at least %d bytes, and they start at byte %" PRIu64,
                    f->n_tensors, p->size, GGUF_MIN_TENSOR_INFO_BYTES, p->pos);
    f->tensors = gb_calloc(f->n_tensors, sizeof *f->tensors);
    TensorInfoPos *pos = gb_calloc(f->n_tensors, sizeof *pos); /* (n_tensors) */
    int rc = 0;
    for (uint64_t i = 0; i < f->n_tensors && rc == 0; i++)
        rc = parse_tensor_info(p, f, &f->tensors[i], i, &pos[i]);
    if (rc == 0) {
        NamedItem *names = gb_calloc(f->n_tensors, sizeof *names);
        for (uint64_t i = 0; i < f->n_tensors; i++)
            names[i] = (NamedItem){f->tensors[i].name, strlen(f->tensors[i].name), pos[i].name_at};
        int64_t dup = first_duplicate(names, f->n_tensors);
        if (dup >= 0) {
            char shown[80];
            printable(shown, sizeof shown, (const uint8_t *)names[dup].data, names[dup].len);
            rc =
                fail(p, names[dup].at, "tensor name '%s' appears twice (first at byte %" PRIu64 ")",
                     shown, names[dup - 1].at);
        }
        free(names);
    }
    if (rc == 0) {
        /* The data section starts at the end of the tensor infos, padded to the alignment. */
        uint64_t padded;
        if (gb_add_overflow(p->pos, f->alignment - 1, &padded)) padded = UINT64_MAX;
        f->data_offset = padded / f->alignment * f->alignment;
        rc = check_tensor_data(p, f, pos);
    }
    free(pos);
    return rc;
}

static int parse_header(Parser *p, GGUFFile *f) {
    if (p->size == 0) return fail(p, 0, "file is empty, not a GGUF file");
    if (need(p, 4, "", "GGUF magic")) return -1;
    if (memcmp(p->base, GGUF_MAGIC, 4) != 0) {
        char magic[40];
        printable(magic, sizeof magic, p->base, 4);
        return fail(p, 0, "not a GGUF file: it starts with '%s' instead of the magic 'GGUF'",
                    magic);
    }
    p->pos = 4;
    if (read_u32(p, &f->version, "", "version")) return -1;
    if (f->version == 1)
        return fail(
            p, 4, "GGUF version 1 is obsolete and not supported (glassbox reads versions 2 and 3)");
    if (f->version != 2 && f->version != 3) {
        uint32_t swapped = __builtin_bswap32(f->version);
        if (swapped >= 1 && swapped <= 3)
            return fail(p, 4,
                        "version reads as %" PRIu32 " (byte-swapped %" PRIu32
                        "): this is a big-endian GGUF file, which glassbox does not read "
                        "(little-endian only)",
                        f->version, swapped);
        return fail(p, 4,
                    "GGUF version %" PRIu32 " is not supported (glassbox reads versions 2 and 3)",
                    f->version);
    }
    if (read_u64(p, &f->n_tensors, "", "tensor count")) return -1;
    if (read_u64(p, &f->n_kv, "", "key/value count")) return -1;
    /* A first bound on the tensor count before the key/values are read (checked again after). */
    if (f->n_tensors > (p->size - p->pos) / GGUF_MIN_TENSOR_INFO_BYTES)
        return fail(p, 8,
                    "tensor count %" PRIu64 " cannot fit before the end of the file (size %" PRIu64
                    "): each tensor info needs at least %d bytes",
                    f->n_tensors, p->size, GGUF_MIN_TENSOR_INFO_BYTES);
    return 0;
}

static int parse_file(GGUFFile *f, const void *data, size_t size, int mapped, const char *name,
                      char *err) {
    f->path = gb_strdup(name);
    f->base = data;
    f->size = size;
    f->mapped = mapped;
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    Parser p = {f->base, size, 0, f->path, err};
    if (parse_header(&p, f) || parse_kvs(&p, f) || parse_tensors(&p, f)) {
        gguf_close(f);
        return -1;
    }
    return 0;
}

int gguf_open(GGUFFile *f, const char *path, char *err) {
    memset(f, 0, sizeof *f);
    int fd = gb_open_regular(path, err); /* never blocks: a FIFO is refused, not waited on */
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        gb_seterr(err, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        close(fd);
        gb_seterr(err, "%s: byte 0: file is empty, not a GGUF file", path);
        return -1;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        gb_seterr(err, "%s: file is too large to map", path);
        return -1;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) {
        gb_seterr(err, "%s: cannot map: %s", path, strerror(map_errno));
        return -1;
    }
    return parse_file(f, map, (size_t)st.st_size, 1, path, err);
}

int gguf_open_memory(GGUFFile *f, const void *data, size_t size, const char *name, char *err) {
    memset(f, 0, sizeof *f);
    return parse_file(f, data, size, 0, name, err);
}

void gguf_close(GGUFFile *f) {
    if (!f) return;
    if (f->kv)
        for (uint64_t i = 0; i < f->n_kv; i++)
            free(f->kv[i].value.strs);
    free(f->kv);
    free(f->tensors);
    if (f->mapped && f->base) munmap((void *)f->base, f->size);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------------------------------------- */
/* Lookups. */

bool gguf_string_eq(GGUFString s, const char *c) {
    size_t n = strlen(c);
    return s.len == n && (n == 0 || memcmp(s.data, c, n) == 0);
}

const GGUFKeyValue *gguf_find_kv(const GGUFFile *f, const char *key) {
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (gguf_string_eq(f->kv[i].key, key)) return &f->kv[i];
    return NULL;
}

/* A widened integer value as int64, false when it does not fit. */
static bool value_to_int(uint32_t type, uint64_t u, int64_t i, int64_t *out) {
    if (is_unsigned_type(type)) {
        if (u > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)u;
        return true;
    }
    if (is_signed_type(type)) {
        *out = i;
        return true;
    }
    return false;
}

bool gguf_get_int(const GGUFFile *f, const char *key, int64_t *out) {
    const GGUFKeyValue *kv = gguf_find_kv(f, key);
    return kv && value_to_int(kv->value.type, kv->value.u64, kv->value.i64, out);
}

bool gguf_get_float(const GGUFFile *f, const char *key, double *out) {
    const GGUFKeyValue *kv = gguf_find_kv(f, key);
    if (!kv || (kv->value.type != GGUF_TYPE_FLOAT32 && kv->value.type != GGUF_TYPE_FLOAT64))
        return false;
    *out = kv->value.f64;
    return true;
}

bool gguf_get_bool(const GGUFFile *f, const char *key, bool *out) {
    const GGUFKeyValue *kv = gguf_find_kv(f, key);
    if (!kv || kv->value.type != GGUF_TYPE_BOOL) return false;
    *out = kv->value.b;
    return true;
}

bool gguf_get_string(const GGUFFile *f, const char *key, GGUFString *out) {
    const GGUFKeyValue *kv = gguf_find_kv(f, key);
    if (!kv || kv->value.type != GGUF_TYPE_STRING) return false;
    *out = kv->value.str;
    return true;
}

const GGUFValue *gguf_get_array(const GGUFFile *f, const char *key) {
    const GGUFKeyValue *kv = gguf_find_kv(f, key);
    return kv && kv->value.type == GGUF_TYPE_ARRAY ? &kv->value : NULL;
}

/* Element i of a numeric array decoded into a scalar value (type set); false when out of range. */
static bool array_elem(const GGUFValue *arr, uint64_t i, GGUFValue *out) {
    memset(out, 0, sizeof *out);
    uint64_t esize = value_type_size(arr->elem_type);
    if (arr->type != GGUF_TYPE_ARRAY || esize == 0 || i >= arr->count) return false;
    out->type = arr->elem_type;
    decode_scalar(out, arr->elem_type, arr->elems + i * esize);
    return true;
}

/* Integers convert (u64 above INT64_MAX saturates), floats truncate toward zero, bools are 0/1. */
int64_t gguf_array_int(const GGUFValue *arr, uint64_t i) {
    GGUFValue v;
    if (!array_elem(arr, i, &v)) return 0;
    int64_t out;
    if (value_to_int(v.type, v.u64, v.i64, &out)) return out;
    if (is_unsigned_type(v.type)) return INT64_MAX;
    if (v.type == GGUF_TYPE_BOOL) return v.b;
    if (v.type == GGUF_TYPE_FLOAT32 || v.type == GGUF_TYPE_FLOAT64) {
        if (!(v.f64 > -9.2e18 && v.f64 < 9.2e18)) return 0; /* nan or out of range */
        return (int64_t)v.f64;
    }
    return 0;
}

/* Floats as they are, integers converted, bools 0/1. */
double gguf_array_float(const GGUFValue *arr, uint64_t i) {
    GGUFValue v;
    if (!array_elem(arr, i, &v)) return 0;
    if (v.type == GGUF_TYPE_FLOAT32 || v.type == GGUF_TYPE_FLOAT64) return v.f64;
    if (is_unsigned_type(v.type)) return (double)v.u64;
    if (is_signed_type(v.type)) return (double)v.i64;
    if (v.type == GGUF_TYPE_BOOL) return v.b;
    return 0;
}

const GGUFTensor *gguf_find_tensor(const GGUFFile *f, const char *name) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

void gguf_tensor_to_f32(float *out, const GGUFTensor *t) {
    const uint8_t *src = t->data;
    switch (t->type) {
    case GGML_TYPE_F32:
        for (uint64_t i = 0; i < t->n_elems; i++)
            out[i] = bits_to_f32(rd_u32(src + 4 * i));
        break;
    case GGML_TYPE_F16:
        for (uint64_t i = 0; i < t->n_elems; i++)
            out[i] = gb_f16_to_f32(rd_u16(src + 2 * i));
        break;
    case GGML_TYPE_BF16:
        for (uint64_t i = 0; i < t->n_elems; i++)
            out[i] = gb_bf16_to_f32(rd_u16(src + 2 * i));
        break;
    default: /* the block formats */
        quant_dequantize(out, src, t->type, t->n_elems);
        break;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Writer. */

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
    uint64_t esize = value_type_size(elem_type);
    ByteBuf *b = writer_slot(w, key, GGUF_TYPE_ARRAY);
    if (esize == 0) {
        writer_misuse(w, "gguf writer: key '%s': array elements of type %s need their own setter",
                      key, value_type_name(elem_type));
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
