/* GGUF's types: the ggml tensor types glassbox reads and writes (their block formats are in
 * quant.c), the scalar conversions between float32 and the 16-bit floats, and the value types of
 * the key/value section. The reader is gguf_read.c, the writer gguf_write.c. Layout:
 * ../shared/notes/gguf-llama.md. */
#include "gguf_internal.h"

#include "quant.h"

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

const char *gguf_value_type_name(uint32_t t) {
    static const char *const names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                        "bool", "string", "array", "u64", "i64", "f64"};
    return t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

uint64_t gguf_value_type_size(uint32_t t) {
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
