/* Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput, which libFuzzer drives
 * (build/fuzz/) and replay.c drives over saved inputs (gcc, ASan+UBSan: build/asan/fuzz/). A target
 * that finds a property broken calls fuzz_fail, which aborts so that both drivers report it. */
#ifndef GB_FUZZ_H
#define GB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *what) {
    fprintf(stderr, "fuzz: property broken: %s\n", what);
    abort();
}

#endif
