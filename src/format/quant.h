/* ggml's weight formats: how a row of weights lies in a GGUF file, converting it to floats, and
 * quantising floats into it (for the writer and the tests).
 *
 * Every format cuts a row into blocks that each carry their own scale:
 *
 *   F32, F16, BF16   one value per "block" (4, 2, 2 bytes)
 *   Q8_0   32 weights, 34 bytes:  f16 d, int8 q[32]                       w = d * q
 *   Q4_0   32 weights, 18 bytes:  f16 d, 16 bytes of nibbles              w = d * (q - 8)
 *          byte j holds weight j in its low nibble and weight j + 16 in its high nibble
 *   Q4_K  256 weights, 144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes
 *          of nibbles. 8 sub-blocks of 32 weights: w = d * sc[s] * q - dmin * mn[s]. Bytes
 *          32c .. 32c+31 hold sub-block 2c in their low nibbles and 2c + 1 in their high ones.
 *   Q5_K  256 weights, 176 bytes: as Q4_K with a fifth bit per weight: f16 d, f16 dmin,
 *          12 bytes of scales, qh[32], qs[128]; bit 2c of qh[j] is the high bit of weight j of
 *          sub-block 2c, bit 2c + 1 that of sub-block 2c + 1.
 *   Q6_K  256 weights, 210 bytes: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 sc[16], f16 d.
 *          16 sub-blocks of 16 weights: w = d * sc[s] * (q - 32).
 *
 * The 12 scale bytes of Q4_K/Q5_K pack eight 6-bit scales and eight 6-bit mins: for s < 4 the low
 * 6 bits of byte s (scale) and byte s + 4 (min); for s >= 4 the nibbles of byte s + 4 give the low
 * 4 bits and the top 2 bits of bytes s - 4 (scale) and s (min) the high ones.
 *
 * Multi-byte fields are little-endian; the kernels read them in place, so glassbox's quantised
 * paths assume a little-endian host (x86-64, arm64). */
#ifndef GB_QUANT_H
#define GB_QUANT_H

#include <stddef.h>
#include <stdint.h>

#define QK8_0 32
#define QK4_0 32
#define QK_K 256

/* Weights per block of a type (1 for F32/F16/BF16); 0 when glassbox does not support the type. */
int quant_block_size(uint32_t type);
/* Bytes of one block. */
size_t quant_block_bytes(uint32_t type);
/* Bytes of n weights of type: 0 when the type is unsupported, n is not a whole number of blocks,
 * or the count overflows. */
uint64_t quant_nbytes(uint32_t type, uint64_t n);

/* out (n) = the n weights at src, of type (n a whole number of blocks). */
void quant_dequantize(float *out, const void *src, uint32_t type, uint64_t n);
/* out = x (n) in type, n a whole number of blocks. The quantisers are glassbox's own (a plain
 * min/max fit per block, then the scales themselves quantised): simpler than ggml's searches, so
 * files are a little less accurate than llama.cpp's quantize tool makes, never differently laid
 * out. Non-finite inputs become 0. */
void quant_quantize(void *out, const float *x, uint32_t type, uint64_t n);

/* The packed 6-bit scale and min of sub-block s (0..7) of a Q4_K or Q5_K block. */
static inline void quant_scale_min_k4(const uint8_t *scales, int s, int *sc, int *mn) {
    if (s < 4) {
        *sc = scales[s] & 63;
        *mn = scales[s + 4] & 63;
    } else {
        *sc = (scales[s + 4] & 0xF) | ((scales[s - 4] >> 6) << 4);
        *mn = (scales[s + 4] >> 4) | ((scales[s] >> 6) << 4);
    }
}

#endif
