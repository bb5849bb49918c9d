#include "rng.h"

#include "util.h"

#define GOLDEN 0x9E3779B97F4A7C15ull /* splitmix64's increment: 2^64 / the golden ratio */

uint64_t rng_splitmix64_at(uint64_t x) { return gb_mix64(x + GOLDEN); }

uint64_t rng_splitmix64(uint64_t *state) {
    uint64_t v = rng_splitmix64_at(*state);
    *state += GOLDEN;
    return v;
}

uint64_t rng_xorshift64star(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
