/* The random generators, written once. Each keeps its whole state in one integer the caller owns, so
 * nothing is global and a run repeats from its seed. */
#ifndef GB_RNG_H
#define GB_RNG_H

#include <stdint.h>

/* splitmix64 at x: a well-mixed 64-bit value (seeds a generator from a small number). */
uint64_t rng_splitmix64_at(uint64_t x);
/* splitmix64 as a generator: the value at *state, then the state moves on. */
uint64_t rng_splitmix64(uint64_t *state);
/* xorshift64* (shifts 12, 25, 27; multiplier 0x2545F4914F6CDD1D): state must not be 0. */
uint64_t rng_xorshift64star(uint64_t *state);

#endif
