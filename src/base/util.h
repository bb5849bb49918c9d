/* Small helpers shared by every module: error messages, checked allocation, files. */
#ifndef GB_UTIL_H
#define GB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Every fallible core function takes `char *err` of at least GB_ERRLEN bytes and, on failure, leaves a
 * one-line message there that names the file (and byte offset or line) and what is wrong. */
#define GB_ERRLEN 512

/* Exit statuses of the CLI: 0 success, 1 a runtime failure, 2 bad input (file, option, text). */
enum { GB_EXIT_OK = 0, GB_EXIT_FAIL = 1, GB_EXIT_USAGE = 2 };

/* The message is made printable (gb_printable): text from a file cannot send escape sequences. */
void gb_seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The one sanitiser of text bound for a terminal: valid UTF-8 kept, except controls (C0, DEL, C1, the
 * bidirectional overrides), which are shown byte by byte as <0xNN>, as is invalid UTF-8. Flags:
 * GB_PRINT_TOKEN shows space as ·, tab as →, newline as ⏎, CR as ␍ (token text); GB_PRINT_LINES keeps
 * newline and tab (running text). Writes into out (size outsz, cut at a whole piece), returns out. */
enum { GB_PRINT_TOKEN = 1, GB_PRINT_LINES = 2 };
char *gb_printable(const char *bytes, size_t len, char *out, size_t outsz, int flags);
/* Bytes at the end of bytes[0..len) that begin a UTF-8 character still missing its last bytes (0-3). */
size_t gb_utf8_incomplete_tail(const char *bytes, size_t len);

/* Allocation that aborts with a message on failure (out-of-memory is not recoverable here). */
void *gb_malloc(size_t n);
void *gb_calloc(size_t count, size_t size);
void *gb_realloc(void *p, size_t n);
char *gb_strdup(const char *s);

/* Overflow-checked size arithmetic: return 0 on success, -1 on overflow. */
int gb_add_overflow(uint64_t a, uint64_t b, uint64_t *out);
int gb_mul_overflow(uint64_t a, uint64_t b, uint64_t *out);

/* Reads a whole text input ("-" is standard input), at most gb_input_limit(GB_INPUT_TEXT) bytes
 * (files.h: gb_read_input reads other kinds). Returns 0, or -1 with err set. *data is NUL-terminated
 * (the NUL is not counted in *len) and must be freed. */
int gb_read_file(const char *path, char **data, size_t *len, char *err);

/* Writes a file as files.h's gb_write_file does: atomically when it is a regular file or new. */
int gb_write_file_atomic(const char *path, const void *data, size_t len, char *err);

/* Hashing for the tokenizer's and the BPE trainer's tables: a 64-bit finaliser (splitmix64's) and a
 * hash of a byte string built on it. Not cryptographic. */
uint64_t gb_mix64(uint64_t x);
uint64_t gb_hash_bytes(const uint8_t *p, size_t n);

/* Renames a file that cannot be used to PATH.corrupt-YYYYMMDD-HHMMSS (UTC), so the next save starts
 * afresh; aside gets the new name. Returns 0, or -1 with errno set. */
int gb_set_aside(const char *path, char *aside, size_t asidesz);

/* The value of a hex digit, or -1. */
int gb_hexval(char c);
/* The last component of a path (what follows the last '/'). */
const char *gb_base_name(const char *path);

/* Monotonic clock in seconds, for timings. */
double gb_now(void);

/* Directory of the shipped assets: $GLASSBOX_ASSETS, else the compiled-in path. */
const char *gb_assets_dir(void);

/* Reads a "quoted" string with the command language's escapes (\n \t \r \" \\ \xNN, not \x00) at *p,
 * which points at the opening quote: *out (NUL-terminated, owned by the caller) and its length, and
 * *p advanced past the closing quote. Lessons, claims and recordings share it. Returns 0, or -1 with
 * err (no location). */
int gb_read_quoted(const char **p, const char *end, char **out, size_t *out_len, char *err);

#endif
