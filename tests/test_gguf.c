/* GGUF reader and writer: conversions against known bit patterns, writer -> reader round trips of
 * every value and tensor type, and corrupt files (made here by patching the writer's output) that
 * must each give a clear one-line error and never a crash or a read past the buffer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gguf.h"
#include "util.h"

/* ---- helpers ---- */

/* A deterministic pseudo-random float in [lo, hi). */
static float rand_float(uint64_t *state, float lo, float hi) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((*state >> 40) & 0xffffff) / 16777216.0f;
}

/* Copies data into an exactly-sized heap block, so ASan catches any read past the end. */
static uint8_t *exact_copy(const uint8_t *data, size_t size) {
    uint8_t *p = malloc(size ? size : 1);
    assert_non_null(p);
    if (size) memcpy(p, data, size);
    return p;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v |= (uint32_t)p[k] << (8 * k);
    return v;
}

static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static void serialise(GGUFWriter *w, uint8_t **data, size_t *size) {
    char err[GB_ERRLEN] = "";
    if (gguf_writer_to_memory(w, data, size, err) != 0) fail_msg("writer: %s", err);
}

static void open_ok(GGUFFile *f, const uint8_t *data, size_t size) {
    char err[GB_ERRLEN] = "";
    if (gguf_open_memory(f, data, size, "t.gguf", err) != 0) fail_msg("open: %s", err);
}

/* ---- conversions ---- */

/* The value of a half-precision bit pattern, computed from the format's definition. */
static double f16_reference(uint16_t h) {
    int exp = (h >> 10) & 31, mant = h & 1023;
    double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exp == 31) return mant ? NAN : sign * INFINITY;
    if (exp == 0) return sign * ldexp(mant, -24);
    return sign * ldexp(1024 + mant, exp - 25);
}

static void test_f16_known_bits(void **state) {
    (void)state;
    assert_int_equal(gb_f32_to_f16(1.0f), 0x3C00);
    assert_int_equal(gb_f32_to_f16(-2.0f), 0xC000);
    assert_int_equal(gb_f32_to_f16(65504.0f), 0x7BFF);
    assert_int_equal(gb_f32_to_f16(0.0f), 0x0000);
    assert_int_equal(gb_f32_to_f16(-0.0f), 0x8000);
    assert_int_equal(gb_f32_to_f16(5.960464477539063e-8f), 0x0001); /* 2^-24, smallest subnormal */
    assert_int_equal(gb_f32_to_f16(ldexpf(1, -14)), 0x0400);        /* smallest normal */
    assert_int_equal(gb_f32_to_f16(ldexpf(1023, -24)), 0x03FF);     /* largest subnormal */
    assert_int_equal(gb_f32_to_f16(INFINITY), 0x7C00);
    assert_int_equal(gb_f32_to_f16(-INFINITY), 0xFC00);
    uint16_t nan = gb_f32_to_f16(NAN);
    assert_int_equal(nan & 0x7C00, 0x7C00);
    assert_true((nan & 0x3FF) != 0);
    assert_float_equal(gb_f16_to_f32(0x3C00), 1.0f, 0);
    assert_float_equal(gb_f16_to_f32(0xC000), -2.0f, 0);
    assert_float_equal(gb_f16_to_f32(0x7BFF), 65504.0f, 0);
    assert_true(gb_f16_to_f32(0x0001) == 5.960464477539063e-8f);
    assert_true(isinf(gb_f16_to_f32(0x7C00)) && gb_f16_to_f32(0x7C00) > 0);
    assert_true(isinf(gb_f16_to_f32(0xFC00)) && gb_f16_to_f32(0xFC00) < 0);
    assert_true(isnan(gb_f16_to_f32(0x7E00)));
    assert_true(signbit(gb_f16_to_f32(0x8000)));

    /* Round to nearest, ties to even. */
    assert_int_equal(gb_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3C00);     /* tie -> even */
    assert_int_equal(gb_f32_to_f16(1.0f + 3 * ldexpf(1, -11)), 0x3C02); /* tie -> even */
    assert_int_equal(gb_f32_to_f16(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3C01); /* above tie */
    assert_int_equal(gb_f32_to_f16(65519.0f), 0x7BFF);
    assert_int_equal(gb_f32_to_f16(65520.0f),
                     0x7C00); /* tie between 65504 and 2^16 -> even = inf */
    assert_int_equal(gb_f32_to_f16(1e10f), 0x7C00);
    assert_int_equal(gb_f32_to_f16(ldexpf(1, -25)),
                     0x0000); /* half the smallest subnormal: tie -> 0 */
    assert_int_equal(gb_f32_to_f16(ldexpf(3, -26)), 0x0001); /* 0.75 of it: up */
    assert_int_equal(gb_f32_to_f16(ldexpf(3, -25)), 0x0002); /* 1.5 units: tie -> even 2 */
    assert_int_equal(gb_f32_to_f16(ldexpf(1, -30)), 0x0000);
    assert_int_equal(gb_f32_to_f16(ldexpf(2047, -25)),
                     0x0400);                        /* 1023.5 units: tie -> 1024 = normal */
    assert_int_equal(gb_f32_to_f16(1e-45f), 0x0000); /* a float32 subnormal */
}

/* Every half decodes to the value its definition gives, and encodes back to itself. */
static void test_f16_all_patterns(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        double want = f16_reference((uint16_t)h);
        float got = gb_f16_to_f32((uint16_t)h);
        if (isnan(want)) {
            assert_true(isnan(got));
            continue;
        }
        if ((double)got != want)
            fail_msg("f16 0x%04x: got %.10g, want %.10g", h, (double)got, want);
        assert_int_equal(gb_f32_to_f16(got), h);
    }
}

/* For many floats, the encoding is the nearest half (ties to even): no neighbour is closer. */
static void test_f16_nearest(void **state) {
    (void)state;
    uint64_t rng = 42;
    for (int i = 0; i < 200000; i++) {
        /* spread over exponents from deep subnormal to overflow */
        float x = ldexpf(rand_float(&rng, 1.0f, 2.0f), (int)rand_float(&rng, -27.0f, 17.0f));
        uint16_t h = gb_f32_to_f16(x);
        if (h == 0x7C00) {
            assert_true(x >= 65520.0f);
            continue;
        }
        double err = fabs(f16_reference(h) - x);
        double below = h > 0 ? fabs(f16_reference((uint16_t)(h - 1)) - x) : INFINITY;
        double above = h < 0x7BFF ? fabs(f16_reference((uint16_t)(h + 1)) - x) : fabs(65536.0 - x);
        assert_true(err <= below && err <= above);
        if (err == below || err == above) assert_int_equal(h & 1, 0);
        assert_int_equal(gb_f32_to_f16(-x), h | 0x8000);
    }
}

static void test_bf16(void **state) {
    (void)state;
    assert_int_equal(gb_f32_to_bf16(1.0f), 0x3F80);
    assert_int_equal(gb_f32_to_bf16(-2.0f), 0xC000);
    assert_int_equal(gb_f32_to_bf16(0.0f), 0x0000);
    assert_int_equal(gb_f32_to_bf16(-0.0f), 0x8000);
    assert_int_equal(gb_f32_to_bf16(INFINITY), 0x7F80);
    assert_int_equal(gb_f32_to_bf16(-INFINITY), 0xFF80);
    assert_int_equal(gb_f32_to_bf16(1.0f + ldexpf(1, -8)), 0x3F80);     /* tie -> even */
    assert_int_equal(gb_f32_to_bf16(1.0f + 3 * ldexpf(1, -8)), 0x3F82); /* tie -> even */
    assert_int_equal(gb_f32_to_bf16(1.0f + ldexpf(1, -8) + ldexpf(1, -20)), 0x3F81);
    assert_int_equal(gb_f32_to_bf16(3.4028235e38f), 0x7F80); /* FLT_MAX rounds up to inf */
    uint16_t nan = gb_f32_to_bf16(NAN);
    assert_true((nan & 0x7F80) == 0x7F80 && (nan & 0x7F) != 0);
    assert_true(isnan(gb_bf16_to_f32(nan)));
    assert_float_equal(gb_bf16_to_f32(0x3F80), 1.0f, 0);
    assert_float_equal(gb_bf16_to_f32(0xC000), -2.0f, 0);
    assert_true(gb_bf16_to_f32(0x0001) == ldexpf(1, -133)); /* smallest bf16 subnormal */
    /* Every finite bf16 pattern survives a round trip; random floats land within half a unit. */
    for (uint32_t h = 0; h < 65536; h++) {
        float f = gb_bf16_to_f32((uint16_t)h);
        if (!isnan(f)) assert_int_equal(gb_f32_to_bf16(f), h);
    }
    uint64_t rng = 7;
    for (int i = 0; i < 10000; i++) {
        float x = rand_float(&rng, -1000.0f, 1000.0f);
        float y = gb_bf16_to_f32(gb_f32_to_bf16(x));
        assert_true(fabsf(y - x) <= fabsf(x) * ldexpf(1, -8));
    }
}

/* ---- writer -> reader round trips ---- */

static void test_roundtrip_values(void **state) {
    (void)state;
    GGUFWriter *w = gguf_writer_new();
    gguf_writer_set_string(w, "general.architecture", "llama");
    gguf_writer_set_u8(w, "t.u8", 250);
    gguf_writer_set_i8(w, "t.i8", -100);
    gguf_writer_set_u16(w, "t.u16", 65000);
    gguf_writer_set_i16(w, "t.i16", -30000);
    gguf_writer_set_u32(w, "t.u32", 4000000000u);
    gguf_writer_set_i32(w, "t.i32", -2000000000);
    gguf_writer_set_u64(w, "t.u64", 12345678901234ull);
    gguf_writer_set_u64(w, "t.u64big", (1ull << 63) + 5);
    gguf_writer_set_i64(w, "t.i64", INT64_MIN);
    gguf_writer_set_f32(w, "t.f32", 3.25f);
    gguf_writer_set_f64(w, "t.f64", -1e300);
    gguf_writer_set_bool(w, "t.true", true);
    gguf_writer_set_bool(w, "t.false", false);
    gguf_writer_set_string(w, "t.utf8", "h\xc3\xa9llo \x01");
    gguf_writer_set_string_n(w, "t.bytes", "a\0b\xff", 4);
    gguf_writer_set_string(w, "t.empty", "");
    gguf_writer_set_u32(w, "t.replaced", 1);
    gguf_writer_set_u32(w, "t.replaced", 2); /* setting again replaces */
    int32_t ints[] = {-1, 0, 2147483647, INT32_MIN};
    gguf_writer_set_array_i32(w, "a.i32", ints, 4);
    float floats[] = {0.5f, -1e-3f, 1e30f};
    gguf_writer_set_array_f32(w, "a.f32", floats, 3);
    const char *strs[] = {"", "a b", "\0\xff", "tok"};
    size_t lens[] = {0, 3, 2, 3};
    gguf_writer_set_array_strings(w, "a.str", strs, lens, 4);
    uint8_t u8s[] = {0, 255, 7};
    gguf_writer_set_array(w, "a.u8", GGUF_TYPE_UINT8, u8s, 3);
    uint64_t u64s[] = {0, UINT64_MAX};
    gguf_writer_set_array(w, "a.u64", GGUF_TYPE_UINT64, u64s, 2);
    int64_t i64s[] = {INT64_MIN, -1, INT64_MAX};
    gguf_writer_set_array(w, "a.i64", GGUF_TYPE_INT64, i64s, 3);
    int16_t i16s[] = {-32768, 32767};
    gguf_writer_set_array(w, "a.i16", GGUF_TYPE_INT16, i16s, 2);
    double f64s[] = {1.0 / 3, -2.5e-300};
    gguf_writer_set_array(w, "a.f64", GGUF_TYPE_FLOAT64, f64s, 2);
    bool bools[] = {true, false, true};
    gguf_writer_set_array(w, "a.bool", GGUF_TYPE_BOOL, bools, 3);
    gguf_writer_set_array_i32(w, "a.none", NULL, 0);

    uint8_t *data;
    size_t size;
    serialise(w, &data, &size);
    gguf_writer_free(w);

    /* The header and first key/value, byte by byte as the GGUF spec lays them out. */
    assert_memory_equal(data, "GGUF", 4);
    assert_int_equal(get_u32(data + 4), 3);
    assert_int_equal(get_u64(data + 8), 0);   /* tensors */
    assert_int_equal(get_u64(data + 16), 29); /* key/values, general.alignment included */
    assert_int_equal(get_u64(data + 24), 17);
    assert_memory_equal(data + 32, "general.alignment", 17);
    assert_int_equal(get_u32(data + 49), GGUF_TYPE_UINT32);
    assert_int_equal(get_u32(data + 53), 32);

    GGUFFile f;
    open_ok(&f, data, size);
    assert_int_equal(f.version, 3);
    assert_int_equal(f.alignment, 32);
    assert_int_equal(f.n_kv, 29);
    int64_t i;
    double d;
    bool b;
    GGUFString s;
    assert_true(gguf_get_string(&f, "general.architecture", &s) && gguf_string_eq(s, "llama"));
    assert_true(gguf_get_int(&f, "t.u8", &i) && i == 250);
    assert_true(gguf_get_int(&f, "t.i8", &i) && i == -100);
    assert_true(gguf_get_int(&f, "t.u16", &i) && i == 65000);
    assert_true(gguf_get_int(&f, "t.i16", &i) && i == -30000);
    assert_true(gguf_get_int(&f, "t.u32", &i) && i == 4000000000ll);
    assert_true(gguf_get_int(&f, "t.i32", &i) && i == -2000000000);
    assert_true(gguf_get_int(&f, "t.u64", &i) && i == 12345678901234ll);
    assert_false(gguf_get_int(&f, "t.u64big", &i)); /* does not fit in int64 */
    assert_int_equal(gguf_find_kv(&f, "t.u64big")->value.u64, (1ull << 63) + 5);
    assert_true(gguf_get_int(&f, "t.i64", &i) && i == INT64_MIN);
    assert_true(gguf_get_float(&f, "t.f32", &d) && d == 3.25);
    assert_int_equal(gguf_find_kv(&f, "t.f32")->value.type, GGUF_TYPE_FLOAT32);
    assert_true(gguf_get_float(&f, "t.f64", &d) && d == -1e300);
    assert_int_equal(gguf_find_kv(&f, "t.f64")->value.type, GGUF_TYPE_FLOAT64);
    assert_true(gguf_get_bool(&f, "t.true", &b) && b);
    assert_true(gguf_get_bool(&f, "t.false", &b) && !b);
    assert_true(gguf_get_string(&f, "t.utf8", &s) && gguf_string_eq(s, "h\xc3\xa9llo \x01"));
    assert_true(gguf_get_string(&f, "t.bytes", &s) && s.len == 4 &&
                memcmp(s.data, "a\0b\xff", 4) == 0);
    assert_true(gguf_get_string(&f, "t.empty", &s) && s.len == 0);
    assert_true(gguf_get_int(&f, "t.replaced", &i) && i == 2);
    /* Wrong types and absent keys are refused. */
    assert_false(gguf_get_float(&f, "t.u32", &d));
    assert_false(gguf_get_int(&f, "t.f32", &i));
    assert_false(gguf_get_string(&f, "t.u8", &s));
    assert_false(gguf_get_bool(&f, "t.u8", &b));
    assert_false(gguf_get_int(&f, "no.such.key", &i));
    assert_null(gguf_get_array(&f, "t.u8"));
    assert_null(gguf_find_kv(&f, "t.u"));

    const GGUFValue *a = gguf_get_array(&f, "a.i32");
    assert_non_null(a);
    assert_int_equal(a->elem_type, GGUF_TYPE_INT32);
    assert_int_equal(a->count, 4);
    for (int k = 0; k < 4; k++)
        assert_true(gguf_array_int(a, (uint64_t)k) == ints[k]);
    assert_true(gguf_array_float(a, 0) == -1.0);
    a = gguf_get_array(&f, "a.f32");
    assert_int_equal(a->elem_type, GGUF_TYPE_FLOAT32);
    for (int k = 0; k < 3; k++)
        assert_true(gguf_array_float(a, (uint64_t)k) == floats[k]);
    a = gguf_get_array(&f, "a.str");
    assert_int_equal(a->elem_type, GGUF_TYPE_STRING);
    assert_int_equal(a->count, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(a->strs[k].len, lens[k]);
        assert_memory_equal(a->strs[k].data, strs[k], lens[k]);
    }
    a = gguf_get_array(&f, "a.u8");
    assert_true(gguf_array_int(a, 1) == 255 && gguf_array_int(a, 2) == 7);
    a = gguf_get_array(&f, "a.u64");
    assert_true(gguf_array_int(a, 0) == 0 && gguf_array_int(a, 1) == INT64_MAX); /* saturates */
    a = gguf_get_array(&f, "a.i64");
    for (int k = 0; k < 3; k++)
        assert_true(gguf_array_int(a, (uint64_t)k) == i64s[k]);
    a = gguf_get_array(&f, "a.i16");
    assert_true(gguf_array_int(a, 0) == -32768 && gguf_array_int(a, 1) == 32767);
    a = gguf_get_array(&f, "a.f64");
    assert_true(gguf_array_float(a, 0) == 1.0 / 3 && gguf_array_float(a, 1) == -2.5e-300);
    a = gguf_get_array(&f, "a.bool");
    assert_true(gguf_array_int(a, 0) == 1 && gguf_array_int(a, 1) == 0 &&
                gguf_array_int(a, 2) == 1);
    a = gguf_get_array(&f, "a.none");
    assert_int_equal(a->count, 0);
    assert_true(gguf_array_int(a, 0) == 0); /* out of range */
    gguf_close(&f);
    gguf_close(&f); /* closing twice is harmless */
    free(data);
}

/* The small model used by the round-trip and corruption tests. Its last tensor is 32 bytes, a whole
 * number of alignment units, so the file has no trailing padding and every truncation cuts data. */
#define N_F32 15  /* {5, 3} */
#define N_F16 16  /* {8, 2} */
#define N_BF16 16 /* {16} */
#define N_Q8 128  /* {64, 2}: 4 blocks */
#define N_TAIL 8  /* {8} */
typedef struct {
    float f32[N_F32], f16[N_F16], bf16[N_BF16], q8[N_Q8], tail[N_TAIL];
} ModelValues;

static void model_values(ModelValues *v) {
    uint64_t rng = 1234;
    for (int i = 0; i < N_F32; i++)
        v->f32[i] = rand_float(&rng, -3.0f, 3.0f);
    /* values exactly representable in half precision */
    const float f16s[N_F16] = {
        1.0f,   -2.0f,   65504.0f, -65504.0f, 5.960464477539063e-8f, 0.0f,
        0.5f,   -0.375f, 1000.5f,  3.140625f, ldexpf(1, -14),        ldexpf(1023, -24),
        100.0f, -7.25f,  2048.0f,  0.1015625f};
    memcpy(v->f16, f16s, sizeof f16s);
    for (int i = 0; i < N_BF16; i++)
        v->bf16[i] = i < 8 ? ldexpf((float)(i + 1) * 3, i - 4) : rand_float(&rng, -50, 50);
    for (int i = 0; i < N_Q8; i++)
        v->q8[i] = rand_float(&rng, -1.0f, 1.0f) * (i < 32 ? 0.01f : 4.0f);
    for (int i = 64; i < 96; i++)
        v->q8[i] = 0.0f; /* an all-zero block: d = 0 */
    for (int i = 0; i < N_TAIL; i++)
        v->tail[i] = (float)i - 3.5f;
}

static GGUFWriter *small_model(const ModelValues *v) {
    GGUFWriter *w = gguf_writer_new();
    gguf_writer_set_string(w, "general.architecture", "llama");
    gguf_writer_set_u32(w, "llama.block_count", 1);
    gguf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f);
    const char *toks[] = {"a", "b c", "\xff"};
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", toks, NULL, 3);
    int32_t types[] = {1, 1, 6};
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, 3);
    gguf_writer_set_bool(w, "t.flag", true);
    gguf_writer_set_u32(w, "t.dup1", 1);
    gguf_writer_set_u32(w, "t.dup2", 2);
    gguf_writer_add_tensor(w, "w.f32", GGML_TYPE_F32, 2, (uint64_t[]){5, 3}, v->f32);
    gguf_writer_add_tensor(w, "w.f16", GGML_TYPE_F16, 2, (uint64_t[]){8, 2}, v->f16);
    gguf_writer_add_tensor(w, "w.bf16", GGML_TYPE_BF16, 1, (uint64_t[]){16}, v->bf16);
    gguf_writer_add_tensor(w, "w.q8", GGML_TYPE_Q8_0, 2, (uint64_t[]){64, 2}, v->q8);
    gguf_writer_add_tensor(w, "w.tail", GGML_TYPE_F32, 1, (uint64_t[]){8}, v->tail);
    return w;
}

static void small_model_bytes(uint8_t **data, size_t *size) {
    ModelValues v;
    model_values(&v);
    GGUFWriter *w = small_model(&v);
    serialise(w, data, size);
    gguf_writer_free(w);
}

static void check_small_model(const GGUFFile *f, const ModelValues *v) {
    assert_int_equal(f->n_tensors, 5);
    /* Offsets: running sums of sizes padded to 32 bytes. F32 15*4=60 -> 64; F16 16*2=32; BF16 32;
     * Q8_0 4 blocks of 34 = 136 -> 160; the tail's 32. */
    static const char *names[] = {"w.f32", "w.f16", "w.bf16", "w.q8", "w.tail"};
    static const uint64_t offsets[] = {0, 64, 96, 128, 288}, bytes[] = {60, 32, 32, 136, 32};
    assert_int_equal(f->data_offset % 32, 0);
    assert_int_equal(f->data_offset + 320, f->size);
    for (int k = 0; k < 5; k++) {
        assert_string_equal(f->tensors[k].name, names[k]);
        assert_int_equal(f->tensors[k].offset, offsets[k]);
        assert_int_equal(f->tensors[k].n_bytes, bytes[k]);
        assert_ptr_equal(f->tensors[k].data, f->base + f->data_offset + offsets[k]);
    }
    const GGUFTensor *t = gguf_find_tensor(f, "w.f32");
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 5);
    assert_int_equal(t->ne[1], 3);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    assert_int_equal(t->n_elems, 15);
    assert_int_equal(t->type, GGML_TYPE_F32);
    float out[N_Q8];
    gguf_tensor_to_f32(out, t);
    assert_memory_equal(out, v->f32, sizeof v->f32); /* F32 is exact */
    uint32_t first;
    memcpy(&first, &v->f32[0], 4);
    assert_int_equal(get_u32(t->data), first); /* stored little-endian */

    t = gguf_find_tensor(f, "w.f16");
    assert_int_equal(t->type, GGML_TYPE_F16);
    gguf_tensor_to_f32(out, t);
    for (int i = 0; i < N_F16; i++)
        assert_true(out[i] == v->f16[i]); /* representable: exact */
    assert_int_equal(((const uint8_t *)t->data)[0] | ((const uint8_t *)t->data)[1] << 8, 0x3C00);

    t = gguf_find_tensor(f, "w.bf16");
    assert_int_equal(t->type, GGML_TYPE_BF16);
    gguf_tensor_to_f32(out, t);
    for (int i = 0; i < N_BF16; i++) {
        if (i < 8)
            assert_true(out[i] == v->bf16[i]); /* 1.5-bit mantissas: exact */
        else
            assert_true(fabsf(out[i] - v->bf16[i]) <= fabsf(v->bf16[i]) * ldexpf(1, -8));
    }

    t = gguf_find_tensor(f, "w.q8");
    assert_int_equal(t->type, GGML_TYPE_Q8_0);
    gguf_tensor_to_f32(out, t);
    for (int b = 0; b < N_Q8 / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++)
            amax = fmaxf(amax, fabsf(v->q8[b * 32 + j]));
        double d = amax / 127.0;                                          /* the exact scale */
        double d16 = gb_f16_to_f32(gb_f32_to_f16((float)(amax / 127.0))); /* as stored */
        /* Rounding q costs at most d/2; storing d in half precision moves each weight by |q|·|d -
         * d16|. */
        double bound = d / 2 + 127 * fabs(d - d16) + 1e-7 * amax;
        for (int j = 0; j < 32; j++) {
            double e = fabs(out[b * 32 + j] - v->q8[b * 32 + j]);
            if (e > bound) fail_msg("q8 block %d elem %d: error %g > %g", b, j, e, bound);
        }
        if (amax == 0)
            for (int j = 0; j < 32; j++)
                assert_true(out[b * 32 + j] == 0.0f);
    }
    t = gguf_find_tensor(f, "w.tail");
    gguf_tensor_to_f32(out, t);
    assert_memory_equal(out, v->tail, sizeof v->tail);
    assert_null(gguf_find_tensor(f, "w"));
}

static void test_roundtrip_tensors(void **state) {
    (void)state;
    ModelValues v;
    model_values(&v);
    GGUFWriter *w = small_model(&v);
    uint8_t *data;
    size_t size;
    serialise(w, &data, &size);
    gguf_writer_free(w);
    uint8_t *copy = exact_copy(data, size);
    GGUFFile f;
    open_ok(&f, copy, size);
    check_small_model(&f, &v);
    int64_t i;
    assert_true(gguf_get_int(&f, "llama.block_count", &i) && i == 1);
    gguf_close(&f);
    free(copy);
    free(data);
}

/* The same through the file system: atomic write, then the memory-mapped reader. */
static void test_roundtrip_file(void **state) {
    (void)state;
    ModelValues v;
    model_values(&v);
    GGUFWriter *w = small_model(&v);
    char path[64], err[GB_ERRLEN] = "";
    snprintf(path, sizeof path, "/tmp/glassbox-test-gguf-%ld.gguf", (long)getpid());
    if (gguf_writer_write(w, path, err) != 0) fail_msg("write: %s", err);
    gguf_writer_free(w);
    GGUFFile f;
    if (gguf_open(&f, path, err) != 0) fail_msg("open: %s", err);
    assert_true(f.mapped);
    check_small_model(&f, &v);
    gguf_close(&f);
    unlink(path);
    /* A missing file is a clear error naming it. */
    assert_int_equal(gguf_open(&f, path, err), -1);
    assert_non_null(strstr(err, path));
    gguf_close(&f);
}

/* Misuse of the writer is reported when writing, not ignored. */
static void test_writer_misuse(void **state) {
    (void)state;
    float x[33] = {0};
    const char *bad[] = {"q8 ragged", "dims", "dup", "long name"};
    for (int k = 0; k < 4; k++) {
        GGUFWriter *w = gguf_writer_new();
        gguf_writer_add_tensor(w, "ok", GGML_TYPE_F32, 1, (uint64_t[]){1}, x);
        if (k == 0) gguf_writer_add_tensor(w, "q", GGML_TYPE_Q8_0, 1, (uint64_t[]){33}, x);
        if (k == 1)
            gguf_writer_add_tensor(w, "d", GGML_TYPE_F32, 5, (uint64_t[]){1, 1, 1, 1, 1}, x);
        if (k == 2) gguf_writer_add_tensor(w, "ok", GGML_TYPE_F32, 1, (uint64_t[]){1}, x);
        if (k == 3)
            gguf_writer_add_tensor(
                w, "0123456789012345678901234567890123456789012345678901234567890123",
                GGML_TYPE_F32, 1, (uint64_t[]){1}, x);
        uint8_t *data = NULL;
        size_t size;
        char err[GB_ERRLEN] = "";
        if (gguf_writer_to_memory(w, &data, &size, err) != -1) fail_msg("%s: accepted", bad[k]);
        assert_non_null(strstr(err, "gguf writer"));
        gguf_writer_free(w);
    }
}

/* ---- corrupt files ---- */

/* Opens a copy of data (exactly sized) that must fail, with a message naming the file, a byte
 * offset and the word `want`. Returns the byte offset the message names. */
static uint64_t expect_error(const uint8_t *data, size_t size, const char *want) {
    uint8_t *copy = exact_copy(data, size);
    GGUFFile f;
    char err[GB_ERRLEN] = "";
    int rc = gguf_open_memory(&f, copy, size, "bad.gguf", err);
    if (rc != -1)
        fail_msg("corrupt file (%zu bytes) accepted; wanted an error about '%s'", size, want);
    assert_null(f.kv);
    assert_null(f.tensors);
    gguf_close(&f);
    free(copy);
    if (strncmp(err, "bad.gguf: byte ", 15) != 0)
        fail_msg("message lacks 'bad.gguf: byte ': %s", err);
    if (!strstr(err, want)) fail_msg("message lacks '%s': %s", want, err);
    if (strchr(err, '\n')) fail_msg("message is not one line: %s", err);
    return strtoull(err + 15, NULL, 10);
}

static void test_truncated_everywhere(void **state) {
    (void)state;
    uint8_t *data;
    size_t size;
    small_model_bytes(&data, &size);
    assert_true(size > 300 && size < 2000);
    expect_error(data, 0, "empty");
    for (size_t len = 1; len < size; len++) {
        uint8_t *copy = exact_copy(data, len);
        GGUFFile f;
        char err[GB_ERRLEN] = "";
        if (gguf_open_memory(&f, copy, len, "cut.gguf", err) != -1)
            fail_msg("truncated to %zu bytes: accepted", len);
        free(copy);
        if (strncmp(err, "cut.gguf: byte ", 15) != 0 || !strstr(err, "end of the file"))
            fail_msg("truncated to %zu bytes: unclear message: %s", len, err);
        /* the offset named lies inside what is left (or at its end, where a field should start) */
        assert_true(strtoull(err + 15, NULL, 10) <= len);
    }
    free(data);
}

static void test_bad_header(void **state) {
    (void)state;
    uint8_t *data;
    size_t size;
    small_model_bytes(&data, &size);
    uint8_t *bad = exact_copy(data, size);
    memcpy(bad, "GGML", 4);
    assert_int_equal(expect_error(bad, size, "not a GGUF file"), 0);
    memcpy(bad, data, size);
    put_u32(bad + 4, 1);
    assert_int_equal(expect_error(bad, size, "version 1"), 4);
    put_u32(bad + 4, 4);
    assert_int_equal(expect_error(bad, size, "version 4"), 4);
    put_u32(bad + 4, 0x03000000); /* version 3 written big-endian */
    assert_int_equal(expect_error(bad, size, "big-endian"), 4);
    put_u32(bad + 4, 2); /* version 2 has the same layout: accepted */
    GGUFFile f;
    open_ok(&f, bad, size);
    assert_int_equal(f.version, 2);
    gguf_close(&f);
    memcpy(bad, data, size);
    put_u64(bad + 8, 1ull << 60);
    assert_int_equal(expect_error(bad, size, "tensor count"), 8);
    put_u64(bad + 8, UINT64_MAX);
    assert_int_equal(expect_error(bad, size, "tensor count"), 8);
    memcpy(bad, data, size);
    put_u64(bad + 16, 1ull << 60);
    assert_int_equal(expect_error(bad, size, "key/value count"), 16);
    put_u64(bad + 16, UINT64_MAX);
    assert_int_equal(expect_error(bad, size, "key/value count"), 16);
    free(bad);
    free(data);
}

/* Offset of the only occurrence of the bytes of s in data. */
static size_t find_once(const uint8_t *data, size_t size, const char *s) {
    size_t n = strlen(s), found = SIZE_MAX;
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, s, n) == 0) {
            if (found != SIZE_MAX) fail_msg("'%s' occurs twice in the test file", s);
            found = i;
        }
    if (found == SIZE_MAX) fail_msg("'%s' not found in the test file", s);
    return found;
}

/* Where the fields of key/value `key` start: its length prefix, value type, value. */
typedef struct {
    size_t len_at, type_at, value_at;
} KVFields;

static KVFields kv_fields(const uint8_t *data, size_t size, const char *key) {
    size_t at = find_once(data, size, key);
    return (KVFields){at - 8, at + strlen(key), at + strlen(key) + 4};
}

/* Where the fields of tensor info `name` start. */
typedef struct {
    size_t len_at, n_dims_at, ne_at, type_at, offset_at;
} TensorFields;

static TensorFields tensor_fields(const uint8_t *data, size_t size, const char *name) {
    size_t at = find_once(data, size, name);
    size_t n_dims_at = at + strlen(name);
    uint32_t n_dims = get_u32(data + n_dims_at);
    size_t type_at = n_dims_at + 4 + 8 * n_dims;
    return (TensorFields){at - 8, n_dims_at, n_dims_at + 4, type_at, type_at + 4};
}

/* A fresh copy of the small model to patch, with its fields located. */
typedef struct {
    uint8_t *good, *bad;
    size_t size;
} Patchable;

static Patchable patchable(void) {
    Patchable p;
    small_model_bytes(&p.good, &p.size);
    p.bad = exact_copy(p.good, p.size);
    return p;
}

static void restore(Patchable *p) {
    memcpy(p->bad, p->good, p->size);
}

static void patch_free(Patchable *p) {
    free(p->good);
    free(p->bad);
}

static void test_bad_values(void **state) {
    (void)state;
    Patchable p = patchable();
    uint8_t *b = p.bad;
    size_t n = p.size;

    KVFields arch = kv_fields(p.good, n, "general.architecture");
    put_u64(b + arch.value_at, 1ull << 63); /* string length 2^63 */
    assert_int_equal(
        expect_error(b, n, "string length 9223372036854775808 runs past the end of the file"),
        arch.value_at);
    put_u64(b + arch.value_at, UINT64_MAX);
    assert_int_equal(expect_error(b, n, "runs past the end"), arch.value_at);
    restore(&p);
    put_u64(b + arch.len_at, INT64_MAX); /* key length */
    assert_int_equal(expect_error(b, n, "key length 9223372036854775807"), arch.len_at);
    put_u64(b + arch.len_at, 0);
    assert_int_equal(expect_error(b, n, "key is empty"), arch.len_at);
    restore(&p);

    KVFields toks = kv_fields(p.good, n, "tokenizer.ggml.tokens");
    put_u64(b + toks.value_at + 4, 1ull << 62); /* array count */
    assert_int_equal(expect_error(b, n, "array of 4611686018427387904 strings"), toks.value_at + 4);
    put_u64(b + toks.value_at + 4, 4); /* one more string than there is */
    expect_error(b, n,
                 "runs past the end of the file"); /* the reader runs on into the next key/value */
    restore(&p);
    put_u32(b + toks.value_at, GGUF_TYPE_ARRAY); /* array of arrays */
    assert_int_equal(expect_error(b, n, "arrays of arrays"), toks.value_at);
    put_u32(b + toks.value_at, 13);
    assert_int_equal(expect_error(b, n, "unknown array element type 13"), toks.value_at);
    restore(&p);

    KVFields tt = kv_fields(p.good, n, "tokenizer.ggml.token_type");
    put_u64(b + tt.value_at + 4, UINT64_MAX / 2);
    assert_int_equal(expect_error(b, n, "i32 values runs past the end"), tt.value_at + 4);
    restore(&p);

    KVFields flag = kv_fields(p.good, n, "t.flag");
    b[flag.value_at] = 2;
    assert_int_equal(expect_error(b, n, "bool value is 2"), flag.value_at);
    restore(&p);
    put_u32(b + flag.type_at, 13);
    assert_int_equal(expect_error(b, n, "unknown value type 13"), flag.type_at);
    put_u32(b + flag.type_at, 0x09000000);
    assert_int_equal(expect_error(b, n, "unknown value type"), flag.type_at);
    restore(&p);

    KVFields dup2 = kv_fields(p.good, n, "t.dup2");
    b[dup2.type_at - 1] = '1'; /* "t.dup2" -> "t.dup1" */
    uint64_t at = expect_error(b, n, "key 't.dup1' appears twice");
    assert_int_equal(at, dup2.len_at);
    restore(&p);

    KVFields align = kv_fields(p.good, n, "general.alignment");
    put_u32(b + align.value_at, 3);
    assert_int_equal(expect_error(b, n, "power of two"), align.value_at);
    put_u32(b + align.value_at, 0);
    assert_int_equal(expect_error(b, n, "power of two"), align.value_at);
    put_u32(b + align.value_at, 64); /* valid, but then the tensor offsets are misaligned */
    expect_error(b, n, "not a multiple of the alignment 64");
    put_u32(b + align.value_at, 32);
    put_u32(b + align.type_at, GGUF_TYPE_INT32);
    assert_int_equal(expect_error(b, n, "must be u32"), align.value_at);
    patch_free(&p);
}

static void test_bad_tensors(void **state) {
    (void)state;
    Patchable p = patchable();
    uint8_t *b = p.bad;
    size_t n = p.size;
    TensorFields f32 = tensor_fields(p.good, n, "w.f32");
    TensorFields f16 = tensor_fields(p.good, n, "w.f16");
    TensorFields bf16 = tensor_fields(p.good, n, "w.bf16");
    TensorFields q8 = tensor_fields(p.good, n, "w.q8");
    TensorFields tail = tensor_fields(p.good, n, "w.tail");

    put_u32(b + f32.n_dims_at, 0);
    assert_int_equal(expect_error(b, n, "has 0 dimensions"), f32.n_dims_at);
    put_u32(b + f32.n_dims_at, 5);
    assert_int_equal(expect_error(b, n, "has 5 dimensions"), f32.n_dims_at);
    restore(&p);

    put_u64(b + f32.ne_at, 0);
    assert_int_equal(expect_error(b, n, "dimension 0 is 0"), f32.ne_at);
    put_u64(b + f32.ne_at, 1ull << 40);
    put_u64(b + f32.ne_at + 8, 1ull << 40); /* 2^80 elements */
    assert_int_equal(expect_error(b, n, "overflow"), f32.ne_at + 8);
    put_u64(b + f32.ne_at, 1ull << 63);
    assert_int_equal(expect_error(b, n, "overflow"), f32.ne_at);
    put_u64(b + f32.ne_at, 1ull << 31);
    put_u64(b + f32.ne_at + 8, 1ull << 31); /* 2^62 elements of 4 bytes */
    assert_int_equal(expect_error(b, n, "overflow"), f32.type_at);
    put_u64(b + f32.ne_at, 1ull << 20); /* 2^51 elements: fine in 64 bits, not in the file */
    expect_error(b, n, "runs past the end of the file");
    restore(&p);

    put_u32(b + f32.type_at, 3); /* Q4_1: named, not supported */
    assert_int_equal(
        expect_error(b, n, "tensor 'w.f32' has type Q4_1 (3), which glassbox does not support"),
        f32.type_at);
    put_u32(b + f32.type_at, 12); /* Q4_K: supported, but rows of 5 are not whole blocks of 256 */
    assert_int_equal(expect_error(b, n, "type Q4_K, which needs dimension 0 to be a multiple of 256"),
                     f32.type_at);
    put_u32(b + f32.type_at, 10);
    expect_error(b, n, "Q2_K (10)");
    put_u32(b + f32.type_at, 28);
    expect_error(b, n, "F64 (28)");
    put_u32(b + f32.type_at, 99);
    assert_int_equal(expect_error(b, n, "unknown type 99"), f32.type_at);
    put_u32(b + f32.type_at, 4); /* a type id ggml retired */
    expect_error(b, n, "unknown type 4");
    restore(&p);

    put_u64(b + q8.ne_at, 48); /* Q8_0 rows must be whole blocks */
    assert_int_equal(expect_error(b, n, "multiple of 32"), q8.type_at);
    restore(&p);

    put_u64(b + f16.offset_at, 65);
    assert_int_equal(expect_error(b, n, "not a multiple of the alignment 32"), f16.offset_at);
    put_u64(b + f16.offset_at, 64 + 32 * 1000);
    assert_int_equal(expect_error(b, n, "tensor 'w.f16': data at offset 32064"), f16.offset_at);
    restore(&p);
    put_u64(b + tail.offset_at, 320); /* just past the end */
    assert_int_equal(expect_error(b, n, "runs past the end of the file"), tail.offset_at);
    put_u64(b + tail.offset_at, UINT64_MAX - 31); /* data_offset + offset overflows */
    assert_int_equal(expect_error(b, n, "runs past the end of the file"), tail.offset_at);
    restore(&p);

    put_u64(b + bf16.offset_at, 64); /* on top of w.f16 */
    assert_int_equal(expect_error(b, n, "tensor 'w.bf16' (data offset 64) overlaps tensor 'w.f16'"),
                     bf16.offset_at);
    restore(&p);
    put_u64(b + q8.offset_at,
            0); /* on top of w.f32, which comes first in the file but later by offset */
    expect_error(b, n, "overlaps");
    restore(&p);
    put_u64(b + f32.offset_at, 96); /* w.f32's 60 bytes from 96 run into w.q8 at 128 */
    put_u64(b + bf16.offset_at, 0);
    expect_error(b, n, "overlaps");
    restore(&p);

    b[f16.n_dims_at - 2] = '3'; /* "w.f16" -> "w.f36" is fine; "w.f32" twice is not */
    b[f16.n_dims_at - 1] = '2';
    assert_int_equal(expect_error(b, n, "tensor name 'w.f32' appears twice"), f16.len_at);
    restore(&p);
    put_u64(b + f32.len_at, 0);
    assert_int_equal(expect_error(b, n, "name is empty"), f32.len_at);
    put_u64(b + f32.len_at, 64);
    assert_int_equal(expect_error(b, n, "more than the 63"), f32.len_at);
    restore(&p);
    b[f32.len_at + 9] = 0; /* "w\0f32" */
    assert_int_equal(expect_error(b, n, "NUL"), f32.len_at);
    patch_free(&p);
}

/* Every byte before the data section, set to a few hostile values: each file either opens or fails
 * with a proper message, and never reads outside its buffer (ASan checks that). */
static void test_byte_flips(void **state) {
    (void)state;
    Patchable p = patchable();
    GGUFFile f;
    open_ok(&f, p.good, p.size);
    size_t header_end = f.data_offset;
    gguf_close(&f);
    static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    int opened = 0, failed = 0;
    for (size_t i = 0; i < header_end; i++)
        for (size_t v = 0; v < sizeof values; v++) {
            if (p.good[i] == values[v]) continue;
            restore(&p);
            p.bad[i] = values[v];
            char err[GB_ERRLEN] = "";
            if (gguf_open_memory(&f, p.bad, p.size, "flip.gguf", err) == 0) {
                /* whatever was accepted is consistent: tensors lie inside the file */
                for (uint64_t t = 0; t < f.n_tensors; t++)
                    assert_true((const uint8_t *)f.tensors[t].data + f.tensors[t].n_bytes <=
                                f.base + f.size);
                opened++;
            } else {
                if (strncmp(err, "flip.gguf: byte ", 16) != 0)
                    fail_msg("byte %zu = 0x%02x: %s", i, values[v], err);
                failed++;
            }
            gguf_close(&f);
        }
    assert_true(failed > 0 && opened > 0); /* e.g. flipped string contents still open */
    patch_free(&p);
}

static void test_close_zeroed(void **state) {
    (void)state;
    GGUFFile f;
    memset(&f, 0, sizeof f);
    gguf_close(&f);
    gguf_close(NULL);
    gguf_writer_free(NULL);
    char err[GB_ERRLEN] = "";
    assert_int_equal(gguf_open(&f, "/nonexistent/dir/x.gguf", err), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/x.gguf"));
    gguf_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_known_bits),       cmocka_unit_test(test_f16_all_patterns),
        cmocka_unit_test(test_f16_nearest),          cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_roundtrip_values),     cmocka_unit_test(test_roundtrip_tensors),
        cmocka_unit_test(test_roundtrip_file),       cmocka_unit_test(test_writer_misuse),
        cmocka_unit_test(test_truncated_everywhere), cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_values),           cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_byte_flips),           cmocka_unit_test(test_close_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
