/* progress_parse on any text: records or a "LINE: what" error. What parses, formatted and parsed
 * again, gives the same text (progress_format is the file's one writer, so it must read back). */
#include <string.h>

#include "fuzz.h"
#include "progress.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Progress p;
    memset(&p, 0, sizeof p);
    char err[GB_ERRLEN];
    if (progress_parse(&p, (const char *)data, size, err) != 0) {
        progress_free(&p);
        return 0;
    }
    if (p.n_lessons > PROGRESS_MAX_LESSONS) fuzz_fail("more lessons than the limit");
    size_t len1, len2;
    char *text1 = progress_format(&p, &len1);
    Progress q;
    memset(&q, 0, sizeof q);
    if (progress_parse(&q, text1, len1, err) != 0) fuzz_fail("formatted progress does not parse");
    char *text2 = progress_format(&q, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0) fuzz_fail("format(parse(format(p))) != format(p)");
    if (q.n_lessons != p.n_lessons) fuzz_fail("a lesson record was lost");
    free(text1);
    free(text2);
    progress_free(&p);
    progress_free(&q);
    return 0;
}
