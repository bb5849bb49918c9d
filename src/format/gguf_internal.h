/* What the GGUF files share; gguf.h is the interface, and nothing outside them includes this.
 *   gguf.c        the ggml types, the scalar conversions, the value types;
 *   gguf_read.c   the reader and the lookups;
 *   gguf_write.c  the writer. */
#ifndef GB_GGUF_INTERNAL_H
#define GB_GGUF_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "gguf.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_NAME 63
#define GGUF_MAX_DIMS 4

static inline float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline double bits_to_f64(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The name of a value type ("u8", "string", ...), "unknown" for any other number. */
const char *gguf_value_type_name(uint32_t t);
/* Bytes of one value of a fixed-size type; 0 for strings, arrays and unknown types. */
uint64_t gguf_value_type_size(uint32_t t);

#endif
