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
    char raw[GB_ERRLEN];
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* messages quote file names, keys and text from the input: no escape sequence reaches a terminal */
    gb_printable(raw, strlen(raw), err, GB_ERRLEN, 0);
}

/* Length of the valid UTF-8 character at s (n bytes available), or 0 when invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
static int utf8_len(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) return 0;
        return 4;
    }
    return 0;
}

static uint32_t utf8_value(const uint8_t *s, int k) {
    if (k == 1) return s[0];
    if (k == 2) return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    if (k == 3) return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
           (s[3] & 0x3F);
}

/* Code points a terminal acts on rather than shows: C0 and C1 controls, DEL, and the bidirectional
 * overrides and isolates that reorder what is shown around them. */
static int is_control(uint32_t cp) {
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

char *gb_printable(const char *bytes, size_t len, char *out, size_t outsz, int flags) {
    if (outsz == 0) return out;
    const uint8_t *s = (const uint8_t *)bytes;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        char piece[32];
        size_t pn;
        int k = utf8_len(s + i, len - i);
        uint32_t cp = k ? utf8_value(s + i, k) : 0;
        const char *name = NULL;
        if ((flags & GB_PRINT_TOKEN) && k == 1) {
            if (cp == '\t') name = "\xe2\x86\x92";      /* → */
            else if (cp == '\n') name = "\xe2\x8f\x8e"; /* ⏎ */
            else if (cp == '\r') name = "\xe2\x90\x8d"; /* ␍ */
            else if (cp == ' ') name = "\xc2\xb7";     /* · */
        } else if ((flags & GB_PRINT_LINES) && k == 1 && (cp == '\n' || cp == '\t')) {
            name = cp == '\n' ? "\n" : "\t";
        }
        if (name) {
            pn = strlen(name);
            memcpy(piece, name, pn);
            i += 1;
        } else if (k == 0 || is_control(cp)) { /* each byte in hex: invalid UTF-8 or a control */
            size_t nb = k > 1 ? (size_t)k : 1;
            pn = 0;
            for (size_t j = 0; j < nb; j++) pn += (size_t)snprintf(piece + pn, sizeof piece - pn, "<0x%02X>", s[i + j]);
            i += nb;
        } else {
            memcpy(piece, s + i, (size_t)k);
            pn = (size_t)k;
            i += (size_t)k;
        }
        if (o + pn + 1 > outsz) break;
        memcpy(out + o, piece, pn);
        o += pn;
    }
    out[o] = 0;
    return out;
}

size_t gb_utf8_incomplete_tail(const char *bytes, size_t len) {
    const uint8_t *s = (const uint8_t *)bytes;
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        uint8_t c = s[len - back];
        if ((c & 0xC0) == 0x80) continue; /* a continuation byte: look further back */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;
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

int gb_set_aside(const char *path, char *aside, size_t asidesz) {
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(aside, asidesz, "%s.corrupt-%s", path, stamp);
    return rename(path, aside);
}

int gb_hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

const char *gb_base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
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

int gb_read_quoted(const char **p, const char *end, char **out, size_t *out_len, char *err) {
    const char *s = *p + 1;
    char *buf = gb_malloc((size_t)(end - s) + 1);
    size_t k = 0;
    for (;;) {
        if (s >= end) {
            free(buf);
            gb_seterr(err, "missing closing quote");
            return -1;
        }
        char ch = *s++;
        if (ch == '"') break;
        if (ch != '\\') {
            buf[k++] = ch;
            continue;
        }
        char e = s < end ? *s++ : 0;
        if (e == 'n') buf[k++] = '\n';
        else if (e == 't') buf[k++] = '\t';
        else if (e == 'r') buf[k++] = '\r';
        else if (e == '"' || e == '\\') buf[k++] = e;
        else if (e == 'x' && end - s >= 2 && gb_hexval(s[0]) >= 0 && gb_hexval(s[1]) >= 0 &&
                 (gb_hexval(s[0]) | gb_hexval(s[1])) != 0) {
            buf[k++] = (char)(gb_hexval(s[0]) * 16 + gb_hexval(s[1]));
            s += 2;
        } else {
            free(buf);
            gb_seterr(err, "bad escape in a quoted string (use \\n \\t \\\" \\\\ or \\xNN, not \\x00)");
            return -1;
        }
    }
    buf[k] = 0;
    *out = buf;
    *out_len = k;
    *p = s;
    return 0;
}
