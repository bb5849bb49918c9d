#include "util.h"

#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef GB_ASSETS_DIR
#define GB_ASSETS_DIR "assets"
#endif

void gb_seterr(char *err, const char *fmt, ...) {
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, GB_ERRLEN, fmt, ap);
    va_end(ap);
}

static void oom(size_t n) {
    fprintf(stderr, "glassbox: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *gb_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *gb_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *gb_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *gb_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = gb_malloc(n);
    memcpy(p, s, n);
    return p;
}

int gb_add_overflow(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

int gb_mul_overflow(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

int gb_read_file(const char *path, char **data, size_t *len, char *err) {
    return gb_read_input(GB_INPUT_TEXT, path, data, len, err);
}

int gb_write_file_atomic(const char *path, const void *data, size_t len, char *err) {
    return gb_write_file(path, data, len, err);
}

uint64_t gb_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t gb_hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = gb_mix64(h ^ w);
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    return gb_mix64(h ^ w ^ ((uint64_t)n << 56));
}

double gb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *gb_assets_dir(void) {
    const char *e = getenv("GLASSBOX_ASSETS");
    return (e && *e) ? e : GB_ASSETS_DIR;
}
