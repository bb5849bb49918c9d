/* UTF-8, written once: decoding and encoding one code point, and the strict validity test the
 * tokenizer, the lesson parser and the JSON writer share (overlong forms, surrogates and code points
 * above U+10FFFF are invalid, as for PCRE2). */
#ifndef GB_UTF8_H
#define GB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s (n bytes available): returns the bytes it takes and sets *cp, or
 * returns 1 with *cp = -1 for an invalid or cut-off sequence. */
int utf8_decode(const char *s, int n, int32_t *cp);
/* Writes cp as UTF-8 (no NUL); returns the bytes written (1..4). */
int utf8_encode(char *out, int32_t cp);
/* Length (1..4) of the valid UTF-8 character at s (n bytes available), or 0 when it is not one. */
int utf8_valid_len(const void *s, size_t n);

#endif
