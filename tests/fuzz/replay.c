/* Replays saved inputs through a fuzz target without libFuzzer, so the crash inputs and the seed
 * corpora are regression tests under gcc: `replay_fuzz_X FILE...` runs each file once. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "util.h"

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *data, err[GB_ERRLEN];
        size_t len;
        if (gb_read_file(argv[i], &data, &len, err) != 0) {
            fprintf(stderr, "replay: %s\n", err);
            return 2;
        }
        /* a copy of exactly len bytes, so reading past the end is caught as it would be by libFuzzer */
        uint8_t *copy = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++) copy[k] = (uint8_t)data[k];
        free(data);
        LLVMFuzzerTestOneInput(copy, len);
        free(copy);
    }
    printf("replayed %d input%s\n", argc - 1, argc == 2 ? "" : "s");
    return 0;
}
