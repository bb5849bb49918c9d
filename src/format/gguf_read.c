/* GGUF reader. It maps the file and checks every count, length, dimension and offset against the
 * file size before it uses it; then the typed lookups over what it read. Layout:
 * ../shared/notes/gguf-llama.md. */
#include "gguf_internal.h"

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

#define GGUF_HEADER_BYTES 24 /* magic, version, tensor count, key/value count */
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
    uint64_t esize = gguf_value_type_size(v->elem_type);
    if (v->count > left / esize)
        return fail(p, at,
                    "%s: array of %" PRIu64
                    " %s values runs past the end of the file (size %" PRIu64 ")",
                    ctx, v->count, gguf_value_type_name(v->elem_type), p->size);
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
    uint64_t size = gguf_value_type_size(type);
    char what[32];
    snprintf(what, sizeof what, "%s value", gguf_value_type_name(type));
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
                    gguf_value_type_name(v->type));
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
    uint64_t esize = gguf_value_type_size(arr->elem_type);
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
