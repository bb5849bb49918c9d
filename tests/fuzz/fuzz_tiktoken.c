/* The .tiktoken loader on any bytes: a tokenizer or a "NAME:LINE: what" error. When it loads, a sample
 * text and the input itself encode with the encoding properties (or fail with a message: a rank file
 * may lack single bytes). The first byte picks the name and so the family and <|endoftext|> id. */
#include <string.h>

#include "encode_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536) return 0;
    static const char *const NAMES[8] = {"fuzz.tiktoken", "fuzz.tiktoken", "fuzz.tiktoken", "fuzz.tiktoken",
                                         "fuzz.tiktoken", "fuzz.tiktoken", "r50k_fuzz.tiktoken",
                                         "cl100k_fuzz.tiktoken"};
    const char *name = NAMES[data[0] & 7];
    int pattern = strcmp(name, "fuzz.tiktoken") == 0 ? (data[0] >> 3) % 3 : -1;
    char err[GB_ERRLEN];
    err[0] = 0;
    Tokenizer *t = tokenizer_from_tiktoken_memory(name, (const char *)data + 1, size - 1, pattern, err);
    if (!t) {
        if (!err[0]) fuzz_fail("load failed without a message");
        return 0;
    }
    static const char SAMPLE[] = "def f(x):\n    return x + 1  # caf\xc3\xa9 \xff\xfe <|endoftext|>";
    fuzz_check_encode(t, SAMPLE, sizeof SAMPLE - 1);
    fuzz_check_encode(t, (const char *)data, size);
    tokenizer_free(t);
    return 0;
}
