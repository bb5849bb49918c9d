/* JSON output, written once for every subcommand's --json. */
#ifndef GB_JSON_H
#define GB_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes bytes as a JSON string: valid UTF-8 kept, each invalid byte as U+FFFD, quotes, backslashes
 * and control characters escaped, so the output always parses. */
void json_string(FILE *f, const char *bytes, size_t n);

#endif
