/* ggml's weight formats: dequantising and quantising blocks. The layouts are described in quant.h;
 * the kernels that multiply with them in place are in kernels.c. */
#include "quant.h"

#include <math.h>
#include <string.h>

#include "gguf.h"
#include "util.h"

#define Q8_0_BYTES 34
#define Q4_0_BYTES 18
#define Q4_K_BYTES 144
#define Q5_K_BYTES 176
#define Q6_K_BYTES 210

int quant_block_size(uint32_t type) {
    switch (type) {
    case GGML_TYPE_F32:
    case GGML_TYPE_F16:
    case GGML_TYPE_BF16:
        return 1;
    case GGML_TYPE_Q8_0:
    case GGML_TYPE_Q4_0:
        return 32;
    case GGML_TYPE_Q4_K:
    case GGML_TYPE_Q5_K:
    case GGML_TYPE_Q6_K:
        return QK_K;
    default:
        return 0;
    }
}

size_t quant_block_bytes(uint32_t type) {
    switch (type) {
    case GGML_TYPE_F32:
        return 4;
    case GGML_TYPE_F16:
    case GGML_TYPE_BF16:
        return 2;
    case GGML_TYPE_Q8_0:
        return Q8_0_BYTES;
    case GGML_TYPE_Q4_0:
        return Q4_0_BYTES;
    case GGML_TYPE_Q4_K:
        return Q4_K_BYTES;
    case GGML_TYPE_Q5_K:
        return Q5_K_BYTES;
    case GGML_TYPE_Q6_K:
        return Q6_K_BYTES;
    default:
        return 0;
    }
}

uint64_t quant_nbytes(uint32_t type, uint64_t n) {
    int bs = quant_block_size(type);
    uint64_t out;
    if (bs == 0 || n % (uint64_t)bs) return 0;
    return gb_mul_overflow(n / (uint64_t)bs, quant_block_bytes(type), &out) ? 0 : out;
}

static float half_at(const uint8_t *p) {
    return gb_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
}

static void put_half(uint8_t *p, float f) {
    uint16_t h = gb_f32_to_f16(f);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/* ------------------------------------------------------------------------------------------------
 * Dequantising: one function per block */

static void dequant_q8_0(float *y, const uint8_t *b) {
    float d = half_at(b);
    for (int j = 0; j < 32; j++)
        y[j] = d * (float)(int8_t)b[2 + j];
}

static void dequant_q4_0(float *y, const uint8_t *b) {
    float d = half_at(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((qs[j] & 0xF) - 8);
        y[j + 16] = d * (float)((qs[j] >> 4) - 8);
    }
}

/* Q4_K and Q5_K: qh is NULL for Q4_K. */
static void dequant_k45(float *y, const uint8_t *b, int five) {
    float d = half_at(b), dmin = half_at(b + 2);
    const uint8_t *scales = b + 4;
    const uint8_t *qh = five ? b + 16 : NULL;
    const uint8_t *qs = five ? b + 48 : b + 16;
    for (int c = 0; c < 4; c++) { /* chunks of 64 weights: sub-blocks 2c (low) and 2c+1 (high) */
        int sc0, mn0, sc1, mn1;
        quant_scale_min_k4(scales, 2 * c, &sc0, &mn0);
        quant_scale_min_k4(scales, 2 * c + 1, &sc1, &mn1);
        float d0 = d * (float)sc0, m0 = dmin * (float)mn0;
        float d1 = d * (float)sc1, m1 = dmin * (float)mn1;
        for (int l = 0; l < 32; l++) {
            int q0 = qs[32 * c + l] & 0xF, q1 = qs[32 * c + l] >> 4;
            if (qh) {
                q0 |= ((qh[l] >> (2 * c)) & 1) << 4;
                q1 |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
            }
            y[64 * c + l] = d0 * (float)q0 - m0;
            y[64 * c + 32 + l] = d1 * (float)q1 - m1;
        }
    }
}

static void dequant_q6_k(float *y, const uint8_t *b) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    float d = half_at(b + 208);
    for (int h = 0; h < 2; h++) { /* halves of 128 weights */
        const uint8_t *l4 = ql + 64 * h, *h2 = qh + 32 * h;
        float *yh = y + 128 * h;
        for (int l = 0; l < 32; l++) {
            int q[4] = {(l4[l] & 0xF) | ((h2[l] & 3) << 4), (l4[l + 32] & 0xF) | (((h2[l] >> 2) & 3) << 4),
                        (l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4), (l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4)};
            for (int k = 0; k < 4; k++) {
                int i = l + 32 * k; /* weight within the half; sub-block i / 16 */
                yh[i] = d * (float)sc[8 * h + i / 16] * (float)(q[k] - 32);
            }
        }
    }
}

void quant_dequantize(float *out, const void *src, uint32_t type, uint64_t n) {
    const uint8_t *p = src;
    int bs = quant_block_size(type);
    if (bs == 0) return;
    size_t bb = quant_block_bytes(type);
    for (uint64_t i = 0; i < n / (uint64_t)bs; i++, p += bb, out += bs) {
        switch (type) {
        case GGML_TYPE_F32:
            memcpy(out, p, 4);
            break;
        case GGML_TYPE_F16:
            out[0] = half_at(p);
            break;
        case GGML_TYPE_BF16:
            out[0] = gb_bf16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
            break;
        case GGML_TYPE_Q8_0:
            dequant_q8_0(out, p);
            break;
        case GGML_TYPE_Q4_0:
            dequant_q4_0(out, p);
            break;
        case GGML_TYPE_Q4_K:
            dequant_k45(out, p, 0);
            break;
        case GGML_TYPE_Q5_K:
            dequant_k45(out, p, 1);
            break;
        case GGML_TYPE_Q6_K:
            dequant_q6_k(out, p);
            break;
        default:
            return;
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * Quantising */

static float finite_or_zero(float x) {
    return isfinite(x) ? x : 0.0f;
}

/* round(v) clamped to [lo, hi] */
static int clamp_round(float v, int lo, int hi) {
    float r = roundf(v);
    if (!(r >= (float)lo)) return lo; /* also NaN */
    if (r > (float)hi) return hi;
    return (int)r;
}

static void quant_q8_0(uint8_t *b, const float *x) {
    float amax = 0;
    for (int j = 0; j < 32; j++)
        amax = fmaxf(amax, fabsf(finite_or_zero(x[j])));
    float d = amax / 127.0f;
    put_half(b, d);
    float inv = d != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++)
        b[2 + j] = (uint8_t)(int8_t)clamp_round(finite_or_zero(x[j]) * inv, -127, 127);
}

/* d = (the value of largest magnitude) / -8, so that value maps to q = 0 exactly and the other end
 * of the range keeps 7 steps: ggml's choice. */
static void quant_q4_0(uint8_t *b, const float *x) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; j++) {
        float v = finite_or_zero(x[j]);
        if (fabsf(v) > amax) amax = fabsf(v), max = v;
    }
    float d = max / -8.0f;
    put_half(b, d);
    d = half_at(b);
    float inv = d != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < 16; j++) {
        int q0 = clamp_round(finite_or_zero(x[j]) * inv + 8.0f, 0, 15);
        int q1 = clamp_round(finite_or_zero(x[j + 16]) * inv + 8.0f, 0, 15);
        b[2 + j] = (uint8_t)(q0 | (q1 << 4));
    }
}

/* Q4_K (levels 15) and Q5_K (levels 31): each sub-block of 32 gets scale (max - min) / levels and
 * min -min(0, min); both are then quantised to 6 bits against the block's largest. */
static void quant_k45(uint8_t *b, const float *x, int five) {
    int levels = five ? 31 : 15;
    float v[QK_K], scale[8], mn[8], max_scale = 0, max_mn = 0;
    for (int i = 0; i < QK_K; i++)
        v[i] = finite_or_zero(x[i]);
    for (int s = 0; s < 8; s++) {
        float lo = 0, hi = v[32 * s];
        for (int j = 0; j < 32; j++) {
            lo = fminf(lo, v[32 * s + j]);
            hi = fmaxf(hi, v[32 * s + j]);
        }
        scale[s] = (hi - lo) / (float)levels;
        mn[s] = -lo;
        max_scale = fmaxf(max_scale, scale[s]);
        max_mn = fmaxf(max_mn, mn[s]);
    }
    memset(b, 0, five ? Q5_K_BYTES : Q4_K_BYTES);
    put_half(b, max_scale / 63.0f);
    put_half(b + 2, max_mn / 63.0f);
    float d = half_at(b), dmin = half_at(b + 2);
    uint8_t *scales = b + 4;
    int sc_q[8], mn_q[8];
    for (int s = 0; s < 8; s++) {
        sc_q[s] = d > 0 ? clamp_round(scale[s] / d, 0, 63) : 0;
        mn_q[s] = dmin > 0 ? clamp_round(mn[s] / dmin, 0, 63) : 0;
        if (s < 4) {
            scales[s] |= (uint8_t)sc_q[s];
            scales[s + 4] |= (uint8_t)mn_q[s];
        } else {
            scales[s + 4] = (uint8_t)((sc_q[s] & 0xF) | ((mn_q[s] & 0xF) << 4));
            scales[s - 4] |= (uint8_t)((sc_q[s] >> 4) << 6);
            scales[s] |= (uint8_t)((mn_q[s] >> 4) << 6);
        }
    }
    uint8_t *qh = five ? b + 16 : NULL;
    uint8_t *qs = five ? b + 48 : b + 16;
    for (int s = 0; s < 8; s++) {
        float ds = d * (float)sc_q[s], ms = dmin * (float)mn_q[s];
        float inv = ds > 0 ? 1.0f / ds : 0.0f;
        int c = s / 2, high = s % 2;
        for (int l = 0; l < 32; l++) {
            int q = clamp_round((v[32 * s + l] + ms) * inv, 0, levels);
            qs[32 * c + l] |= (uint8_t)((q & 0xF) << (4 * high));
            if (qh) qh[l] |= (uint8_t)(((q >> 4) & 1) << s);
        }
    }
}

/* Q6_K: each sub-block of 16 gets scale max|x| / 31 (q in -32..31), quantised to 8 bits. */
static void quant_q6_k(uint8_t *b, const float *x) {
    float v[QK_K], scale[16], max_scale = 0;
    for (int i = 0; i < QK_K; i++)
        v[i] = finite_or_zero(x[i]);
    for (int s = 0; s < 16; s++) {
        float amax = 0;
        for (int j = 0; j < 16; j++)
            amax = fmaxf(amax, fabsf(v[16 * s + j]));
        scale[s] = amax / 31.0f;
        max_scale = fmaxf(max_scale, scale[s]);
    }
    memset(b, 0, Q6_K_BYTES);
    put_half(b + 208, max_scale / 127.0f);
    float d = half_at(b + 208);
    int8_t *sc = (int8_t *)(b + 192);
    uint8_t q[QK_K];
    for (int s = 0; s < 16; s++) {
        int scq = d > 0 ? clamp_round(scale[s] / d, 0, 127) : 0;
        sc[s] = (int8_t)scq;
        float ds = d * (float)scq, inv = ds > 0 ? 1.0f / ds : 0.0f;
        for (int j = 0; j < 16; j++)
            q[16 * s + j] = (uint8_t)(clamp_round(v[16 * s + j] * inv, -32, 31) + 32);
    }
    for (int h = 0; h < 2; h++) {
        uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
        const uint8_t *qq = q + 128 * h;
        for (int l = 0; l < 32; l++) {
            ql[l] = (uint8_t)((qq[l] & 0xF) | ((qq[l + 64] & 0xF) << 4));
            ql[l + 32] = (uint8_t)((qq[l + 32] & 0xF) | ((qq[l + 96] & 0xF) << 4));
            qh[l] = (uint8_t)((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) | ((qq[l + 64] >> 4) << 4) |
                              ((qq[l + 96] >> 4) << 6));
        }
    }
}

void quant_quantize(void *out, const float *x, uint32_t type, uint64_t n) {
    uint8_t *p = out;
    int bs = quant_block_size(type);
    if (bs == 0) return;
    size_t bb = quant_block_bytes(type);
    for (uint64_t i = 0; i < n / (uint64_t)bs; i++, p += bb, x += bs) {
        switch (type) {
        case GGML_TYPE_F32:
            memcpy(p, x, 4);
            break;
        case GGML_TYPE_F16:
            put_half(p, x[0]);
            break;
        case GGML_TYPE_BF16: {
            uint16_t h = gb_f32_to_bf16(x[0]);
            p[0] = (uint8_t)h;
            p[1] = (uint8_t)(h >> 8);
            break;
        }
        case GGML_TYPE_Q8_0:
            quant_q8_0(p, x);
            break;
        case GGML_TYPE_Q4_0:
            quant_q4_0(p, x);
            break;
        case GGML_TYPE_Q4_K:
            quant_k45(p, x, 0);
            break;
        case GGML_TYPE_Q5_K:
            quant_k45(p, x, 1);
            break;
        case GGML_TYPE_Q6_K:
            quant_q6_k(p, x);
            break;
        default:
            return;
        }
    }
}
