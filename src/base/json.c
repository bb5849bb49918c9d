#include "json.h"

#include "utf8.h"

void json_string(FILE *f, const char *bytes, size_t n) {
    const unsigned char *s = (const unsigned char *)bytes;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        int len = utf8_valid_len(s + i, n - i);
        if (len == 0) fputs("\\ufffd", f), len = 1;
        else if (len == 2 && c == 0xC2 && s[i + 1] < 0xA0) fprintf(f, "\\u%04x", s[i + 1]); /* C1 control */
        else if (len > 1) fwrite(s + i, 1, (size_t)len, f);
        else if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else fputc((int)c, f);
        i += (size_t)len;
    }
    fputc('"', f);
}
