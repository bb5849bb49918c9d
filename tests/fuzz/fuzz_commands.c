/* commands_parse on any line: it parses or gives an error, never reads past the line's NUL. A text
 * argument that parses, quoted back with commands_quote, parses to the same bytes. */
#include <string.h>

#include "commands.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *line = gb_malloc(size + 1); /* (size + 1) the line, NUL-terminated at its first NUL */
    memcpy(line, data, size);
    line[size] = 0;
    Command c;
    char err[GB_ERRLEN];
    int rc = commands_parse(line, &c, err);
    if (rc < 0 && !err[0]) fuzz_fail("an error without a message");
    if (rc == 0) {
        if ((int)c.id < 0 || (int)c.id >= commands_count()) fuzz_fail("command id out of range");
        if (c.text && strlen(c.text) > c.text_len) fuzz_fail("text longer than text_len");
        if (c.text && commands_arg(c.id) == ARG_TEXT) {
            size_t qsz = 4 * c.text_len + 16;
            char *again = gb_malloc(qsz + 8); /* "prompt " + the quoted text */
            memcpy(again, "prompt ", 7);
            commands_quote(c.text, c.text_len, again + 7, qsz);
            Command d;
            if (commands_parse(again, &d, err) != 0) fuzz_fail("a quoted text does not parse back");
            if (d.text_len != c.text_len || memcmp(d.text, c.text, c.text_len) != 0)
                fuzz_fail("a quoted text parses back to other bytes");
            command_free(&d);
            free(again);
        }
        command_free(&c);
    }
    free(line);
    return 0;
}
