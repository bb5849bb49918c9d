/* The .py files of the machine's Python standard library, for round-trip tests. */
#ifndef GB_TEST_STDLIB_FILES_H
#define GB_TEST_STDLIB_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **paths;
    size_t n;
} StdlibFiles;

static int stdlib_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted, site-packages excluded; n = 0 when python3 is missing. */
static StdlibFiles stdlib_py_files(void) {
    StdlibFiles l = {0};
    FILE *p = popen("python3 -c 'import sysconfig; print(sysconfig.get_paths()[\"stdlib\"])' 2>/dev/null", "r");
    if (!p) return l;
    char dir[1024] = "";
    char *got = fgets(dir, sizeof dir, p);
    pclose(p);
    if (!got || !dir[0]) return l;
    dir[strcspn(dir, "\n")] = 0;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "find '%s' -name site-packages -prune -o -name '*.py' -type f -print", dir);
    p = popen(cmd, "r");
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
