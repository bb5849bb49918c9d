/* The .py files of the machine's Python standard library, for round-trip tests. */
#ifndef GB_TEST_STDLIB_FILES_H
#define GB_TEST_STDLIB_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

typedef struct {
    char **paths;
    size_t n;
} StdlibFiles;

static int stdlib_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted, site-packages excluded; n = 0 when python3 is missing. */
static StdlibFiles stdlib_py_files(void) {
    StdlibFiles l = {0};
    char dir[1024];
    if (gb_python_stdlib(dir, sizeof dir) != 0) return l;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "find '%s' -name site-packages -prune -o -name '*.py' -type f -print", dir);
    FILE *p = popen(cmd, "r");
    if (!p) return l;
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (l.n == cap) l.paths = realloc(l.paths, (cap = cap ? 2 * cap : 1024) * sizeof(char *));
        l.paths[l.n++] = strdup(line);
    }
    pclose(p);
    if (l.n) qsort(l.paths, l.n, sizeof(char *), stdlib_cmp_str);
    return l;
}

static void stdlib_files_free(StdlibFiles *l) {
    for (size_t i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
}

#endif
