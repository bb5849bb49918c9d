/* glassbox's tokenizer against tiktoken itself: for r50k_base, cl100k_base and o200k_base, the ids
 * of every case in tests/data/tiktoken_expected/NAME.txt, recorded from OpenAI's tiktoken by
 * scripts/tiktoken-expect.mjs (format described there). Cases that name a Python standard-library
 * file are skipped when the file is missing or differs from the recorded sha256; the stdlib is
 * looked for in $GLASSBOX_PY_STDLIB, then where `python3` says it is, then at the recorded path.
 * Also: the shipped rank files load token for token, and the test's own SHA-256 is right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "files.h"
#include "sha256.h"
#include "tokenizer.h"
#include "util.h"

/* ---- locating the data ---- */

/* Path of an encoding's expectation file: under $GLASSBOX_TESTDATA, else tests/data beside the
 * assets. */
static void expectation_path(char *out, size_t outsz, const char *enc) {
    const char *dir = getenv("GLASSBOX_TESTDATA");
    if (dir && *dir)
        snprintf(out, outsz, "%s/tiktoken_expected/%s.txt", dir, enc);
    else
        snprintf(out, outsz, "%s/../tests/data/tiktoken_expected/%s.txt", gb_assets_dir(), enc);
}

static int is_dir_with(const char *dir, const char *file) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

/* Root of the Python standard library to read `file` cases from, or "" when none is found. */
static void find_stdlib(char *out, size_t outsz, const char *recorded) {
    const char *env = getenv("GLASSBOX_PY_STDLIB");
    if (env && *env)
        snprintf(out, outsz, "%s", env);
    else if (gb_python_stdlib(out, outsz) != 0)
        snprintf(out, outsz, "%s", recorded && is_dir_with(recorded, "os.py") ? recorded : "");
}

/* ---- parsing the expectation file ---- */

typedef struct {
    char *data; // the whole file, lines cut in place
    char *next; // start of the next unread line
    int line;   // number of the line last returned
    const char *path;
} Lines;

/* Returns the next line that is not a comment (NUL-terminated, without its newline), or NULL. */
static char *next_line(Lines *l) {
    while (l->next && *l->next) {
        char *s = l->next;
        char *nl = strchr(s, '\n');
        if (nl) {
            *nl = 0;
            l->next = nl + 1;
        } else {
            l->next = NULL;
        }
        l->line++;
        if (s[0] != '#') return s;
    }
    return NULL;
}

/* If line starts with word and a space (or ends right after word), returns what follows, else NULL.
 */
static char *after(char *line, const char *word) {
    size_t n = strlen(word);
    if (strncmp(line, word, n) != 0) return NULL;
    if (line[n] == 0) return line + n;
    return line[n] == ' ' ? line + n + 1 : NULL;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes lower-case hex into a malloc'ed buffer; returns its length, or -1 if malformed. */
static long hex_decode(const char *hex, size_t hexlen, char **out) {
    if (hexlen % 2) return -1;
    *out = malloc(hexlen / 2 + 1);
    assert_non_null(*out);
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[i] = (char)(hi << 4 | lo);
    }
    return (long)(hexlen / 2);
}

/* Parses "N TOK TOK ..." (TOK = ID or ID*K) into a malloc'ed array; returns N, or -1 if malformed.
 */
static long parse_ids(const char *s, int32_t **out) {
    char *end;
    long n = strtol(s, &end, 10);
    if (end == s || n < 0 || n > 100000000) return -1;
    int32_t *ids = malloc(((size_t)n + 1) * sizeof(int32_t));
    assert_non_null(ids);
    long k = 0;
    s = end;
    while (*s == ' ') {
        long id = strtol(s + 1, &end, 10);
        if (end == s + 1 || id < 0 || id > INT32_MAX) goto bad;
        long count = 1;
        if (*end == '*') {
            const char *c = end + 1;
            count = strtol(c, &end, 10);
            if (end == c || count < 2) goto bad;
        }
        if (count > n - k) goto bad;
        for (long i = 0; i < count; i++)
            ids[k++] = (int32_t)id;
        s = end;
    }
    if (*s != 0 || k != n) goto bad;
    *out = ids;
    return n;
bad:
    free(ids);
    return -1;
}

/* ---- comparing ---- */

/* Prints tokens [from, to) of ids as their displayed text, for a mismatch report. */
static void print_tokens(const Tokenizer *t, const char *label, const int32_t *ids, long n,
                         long from, long to) {
    fprintf(stderr, "    %s:", label);
    for (long i = from < 0 ? 0 : from; i < to && i < n; i++) {
        size_t len = 0;
        const char *b = tokenizer_token_bytes(t, ids[i], &len);
        char shown[256];
        fprintf(stderr, " %ld:%d[%s]", i, ids[i],
                b ? token_display(b, len, shown, sizeof shown) : "?");
    }
    fprintf(stderr, "\n");
}

/* Encodes the case's input and compares with the recorded ids. Also checks that the spans tile the
 * input and carry their tokens' bytes, and that decoding gives the input back. Returns 0 if all
 * hold, else prints where they first differ and returns -1. */
static int check_case(const Tokenizer *t, const char *enc, const char *name, const char *text,
                      size_t len, const int32_t *want, long n_want) {
    char err[GB_ERRLEN];
    TokenSpan *sp;
    int n = tokenizer_encode(t, text, len, &sp, err);
    if (n < 0) {
        fprintf(stderr, "%s case %s: encode failed: %s\n", enc, name, err);
        return -1;
    }
    int rc = 0;
    int32_t *got = malloc(((size_t)n + 1) * sizeof(int32_t));
    assert_non_null(got);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        size_t tl = 0;
        const char *tb = tokenizer_token_bytes(t, sp[i].id, &tl);
        if (sp[i].start != at || !tb || tl != sp[i].end - sp[i].start ||
            memcmp(tb, text + at, tl) != 0) {
            fprintf(stderr,
                    "%s case %s: span %d [%u, %u) id %d does not match the input at byte %zu\n",
                    enc, name, i, sp[i].start, sp[i].end, sp[i].id, at);
            rc = -1;
            break;
        }
        at = sp[i].end;
        got[i] = sp[i].id;
    }
    if (rc == 0 && at != len) {
        fprintf(stderr, "%s case %s: spans cover %zu of %zu bytes\n", enc, name, at, len);
        rc = -1;
    }
    if (rc == 0) {
        long k = 0;
        while (k < n && k < n_want && got[k] == want[k])
            k++;
        if (k < n || k < n_want) {
            size_t offset = 0; // byte offset of the first differing token, from the recorded ids
            for (long i = 0; i < k; i++) {
                size_t tl = 0;
                tokenizer_token_bytes(t, want[i], &tl);
                offset += tl;
            }
            fprintf(
                stderr,
                "%s case %s: %d ids, tiktoken has %ld; first difference at index %ld (byte %zu)\n",
                enc, name, n, n_want, k, offset);
            print_tokens(t, "tiktoken", want, n_want, k - 3, k + 4);
            print_tokens(t, "glassbox", got, n, k - 3, k + 4);
            rc = -1;
        }
    }
    if (rc == 0) {
        char *back;
        long bl = tokenizer_decode(t, got, (size_t)n, &back);
        if (bl != (long)len || memcmp(back, text, len) != 0) {
            fprintf(stderr, "%s case %s: decode does not give the input back\n", enc, name);
            rc = -1;
        }
        free(back);
    }
    free(got);
    free(sp);
    return rc;
}

/* Runs every case of one expectation file; fails the test on any mismatch or malformed record. */
static void check_encoding(const char *enc) {
    char err[GB_ERRLEN];
    char path[4096];
    expectation_path(path, sizeof path, enc);
    Lines l = {.path = path};
    size_t flen;
    if (gb_read_file(path, &l.data, &flen, err)) fail_msg("%s", err);
    l.next = l.data;

    Tokenizer *t = tokenizer_open_named(enc, err);
    if (!t) fail_msg("%s", err);

    char *line = next_line(&l);
    char *arg;
    if (!line || !(arg = after(line, "encoding")) || strcmp(arg, enc) != 0)
        fail_msg("%s:%d: expected \"encoding %s\"", path, l.line, enc);
    char stdlib[4096] = "";
    int cases = 0, matched = 0, differ = 0, skipped = 0, ended = 0;
    while ((line = next_line(&l))) {
        if ((arg = after(line, "stdlib"))) {
            find_stdlib(stdlib, sizeof stdlib, arg);
            continue;
        }
        if ((arg = after(line, "end"))) {
            if (atoi(arg) != cases)
                fail_msg("%s:%d: %d cases read, file says %s", path, l.line, cases, arg);
            ended = 1;
            break;
        }
        char *name = after(line, "case");
        if (!name || !*name) fail_msg("%s:%d: expected \"case NAME\"", path, l.line);
        cases++;

        /* The input: inline hex, a repeated unit, or a stdlib file. */
        char *text = NULL;
        long len = -1;
        int skip = 0;
        char *in = next_line(&l);
        if (!in) fail_msg("%s:%d: case %s has no input", path, l.line, name);
        if ((arg = after(in, "input"))) {
            len = hex_decode(arg, strlen(arg), &text);
        } else if ((arg = after(in, "repeat"))) {
            char *sp = strchr(arg, ' ');
            char *unit = NULL;
            long ul = sp ? hex_decode(arg, (size_t)(sp - arg), &unit) : -1;
            long count = sp ? strtol(sp + 1, NULL, 10) : 0;
            if (ul > 0 && count > 0 && count <= 10000000 / ul) {
                len = ul * count;
                text = malloc((size_t)len + 1);
                assert_non_null(text);
                for (long i = 0; i < count; i++)
                    memcpy(text + i * ul, unit, (size_t)ul);
            }
            free(unit);
        } else if ((arg = after(in, "file"))) {
            char rel[1024], sha[65];
            long size;
            if (sscanf(arg, "%1023s %64s %ld", rel, sha, &size) != 3)
                fail_msg("%s:%d: bad file record", path, l.line);
            char fpath[4096 + 1024 + 2];
            snprintf(fpath, sizeof fpath, "%s/%s", stdlib, rel);
            size_t fl;
            char have[65];
            if (!*stdlib || gb_read_file(fpath, &text, &fl, err) != 0) {
                skip = 1;
            } else if ((long)fl != size || strcmp(sha256_hex(have, text, fl), sha) != 0) {
                skip = 1;
                free(text);
                text = NULL;
            } else {
                len = (long)fl;
            }
        }
        if (len < 0 && !skip) fail_msg("%s:%d: bad input record for case %s", path, l.line, name);

        char *ids_line = next_line(&l);
        int32_t *want = NULL;
        long n_want = ids_line && (arg = after(ids_line, "ids")) ? parse_ids(arg, &want) : -1;
        if (n_want < 0) fail_msg("%s:%d: bad ids record for case %s", path, l.line, name);

        if (skip) {
            skipped++;
        } else if (check_case(t, enc, name, text, (size_t)len, want, n_want) == 0) {
            matched++;
        } else {
            differ++;
        }
        free(text);
        free(want);
    }
    if (!ended) fail_msg("%s: no \"end\" record (truncated?)", path);
    printf("%s: %d cases: %d match tiktoken, %d differ, %d stdlib files skipped (missing or "
           "changed)%s%s\n",
           enc, cases, matched, differ, skipped,
           *stdlib ? ", stdlib at " : ", no Python stdlib found", stdlib);
    tokenizer_free(t);
    free(l.data);
    assert_int_equal(differ, 0);
    assert_true(matched > 0);
}

static void test_r50k_base(void **state) {
    (void)state;
    check_encoding("r50k_base");
}

static void test_cl100k_base(void **state) {
    (void)state;
    check_encoding("cl100k_base");
}

static void test_o200k_base(void **state) {
    (void)state;
    check_encoding("o200k_base");
}

/* ---- the rank files themselves ---- */

static int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes standard padded base64 into out (room for 3/4 of n); returns the length or -1. */
static long base64_decode(const char *s, size_t n, unsigned char *out) {
    if (n == 0 || n % 4) return -1;
    long o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (s[i + (size_t)j] == '=' && i + 4 == n && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad || (v[j] = base64_value(s[i + (size_t)j])) < 0) {
                return -1;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (unsigned char)(w >> 16);
        if (pad < 2) out[o++] = (unsigned char)(w >> 8);
        if (pad < 1) out[o++] = (unsigned char)w;
    }
    return o;
}

/* Every line "BASE64 RANK" of the shipped file is the token with that id, found back by its bytes;
 * the file has the expected size and sha256 (OpenAI's, as pinned by the tiktoken package). */
static void check_rank_file(const char *enc, long n_ranks, const char *sha) {
    char err[GB_ERRLEN], path[4096], have[65];
    snprintf(path, sizeof path, "%s/tokenizers/%s.tiktoken", gb_assets_dir(), enc);
    char *data;
    size_t len;
    if (gb_read_file(path, &data, &len, err)) fail_msg("%s", err);
    assert_string_equal(sha256_hex(have, data, len), sha);
    Tokenizer *t = tokenizer_open_named(enc, err);
    if (!t) fail_msg("%s", err);
    long rank = 0;
    for (char *s = data; *s; rank++) {
        char *sp = strchr(s, ' ');
        char *nl = strchr(s, '\n');
        assert_true(sp && nl && sp < nl);
        assert_int_equal(strtol(sp + 1, NULL, 10), rank);
        unsigned char bytes[256];
        assert_true((size_t)(sp - s) <= 4 * sizeof bytes / 3);
        long bl = base64_decode(s, (size_t)(sp - s), bytes);
        assert_true(bl > 0);
        size_t tl = 0;
        const char *tb = tokenizer_token_bytes(t, (int32_t)rank, &tl);
        if (!tb || tl != (size_t)bl || memcmp(tb, bytes, tl) != 0)
            fail_msg("%s: token %ld differs from line %ld", enc, rank, rank + 1);
        assert_int_equal(tokenizer_find(t, (const char *)bytes, (size_t)bl), rank);
        assert_false(tokenizer_is_special(t, (int32_t)rank));
        s = nl + 1;
    }
    assert_int_equal(rank, n_ranks);
    tokenizer_free(t);
    free(data);
}

static void test_rank_files(void **state) {
    (void)state;
    check_rank_file("r50k_base", 50256,
                    "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930");
    check_rank_file("cl100k_base", 100256,
                    "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7");
    check_rank_file("o200k_base", 199998,
                    "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d");
}

/* <|endoftext|> sits at its published id, outside the rank range, and is never made from text. */
static void test_endoftext_ids(void **state) {
    (void)state;
    static const struct {
        const char *enc;
        int32_t id;
    } want[] = {{"r50k_base", 50256}, {"cl100k_base", 100257}, {"o200k_base", 199999}};
    char err[GB_ERRLEN];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        Tokenizer *t = tokenizer_open_named(want[i].enc, err);
        if (!t) fail_msg("%s", err);
        assert_int_equal(tokenizer_find(t, "<|endoftext|>", 13), want[i].id);
        assert_true(tokenizer_is_special(t, want[i].id));
        size_t len = 0;
        const char *b = tokenizer_token_bytes(t, want[i].id, &len);
        assert_true(b && len == 13 && memcmp(b, "<|endoftext|>", 13) == 0);
        tokenizer_free(t);
    }
}

/* Every family's special tokens at the ids tiktoken gives them (openai_public.py); the vocabulary
 * ends at the highest of them; the unused ids between the ranks and the specials have no bytes and
 * do not decode; a special decodes to its text but never comes out of encoding that text. */
static void test_special_tokens(void **state) {
    (void)state;
    static const struct {
        const char *enc;
        const char *text;
        int32_t id;
    } want[] = {{"r50k_base", "<|endoftext|>", 50256},       {"cl100k_base", "<|endoftext|>", 100257},
                {"cl100k_base", "<|fim_prefix|>", 100258},   {"cl100k_base", "<|fim_middle|>", 100259},
                {"cl100k_base", "<|fim_suffix|>", 100260},   {"cl100k_base", "<|endofprompt|>", 100276},
                {"o200k_base", "<|endoftext|>", 199999},     {"o200k_base", "<|endofprompt|>", 200018}};
    static const struct {
        const char *enc;
        int vocab;          /* highest special id + 1 */
        int32_t gap_lo, gap_hi; /* unused ids [lo, hi] */
        int n_specials;
    } fam[] = {{"r50k_base", 50257, -1, -2, 1}, {"cl100k_base", 100277, 100261, 100275, 5},
               {"o200k_base", 200019, 200000, 200017, 2}};
    char err[GB_ERRLEN];
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        Tokenizer *t = tokenizer_open_named(fam[f].enc, err);
        if (!t) fail_msg("%s", err);
        assert_int_equal(tokenizer_vocab_size(t), fam[f].vocab);
        int n_special = 0;
        for (int32_t id = 0; id < fam[f].vocab; id++) n_special += tokenizer_is_special(t, id);
        assert_int_equal(n_special, fam[f].n_specials);
        for (int32_t id = fam[f].gap_lo; id <= fam[f].gap_hi; id++) {
            size_t len = 99;
            assert_non_null(tokenizer_token_bytes(t, id, &len));
            assert_int_equal(len, 0);
            assert_false(tokenizer_is_special(t, id));
            char *out = NULL;
            assert_int_equal(tokenizer_decode(t, &id, 1, &out), -1);
        }
        assert_null(tokenizer_token_bytes(t, fam[f].vocab, NULL));
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            if (strcmp(want[i].enc, fam[f].enc) != 0) continue;
            size_t tl = strlen(want[i].text), len = 0;
            assert_int_equal(tokenizer_find(t, want[i].text, tl), want[i].id);
            assert_true(tokenizer_is_special(t, want[i].id));
            const char *b = tokenizer_token_bytes(t, want[i].id, &len);
            assert_true(b && len == tl && memcmp(b, want[i].text, tl) == 0);
            char *out = NULL;
            assert_int_equal(tokenizer_decode(t, &want[i].id, 1, &out), (long)tl);
            assert_memory_equal(out, want[i].text, tl);
            free(out);
            TokenSpan *spans = NULL;
            int n = tokenizer_encode(t, want[i].text, tl, &spans, err);
            assert_true(n > 1); /* plain text: "<", "|", ... never the special */
            for (int k = 0; k < n; k++) assert_false(tokenizer_is_special(t, spans[k].id));
            free(spans);
        }
        tokenizer_free(t);
    }
}

/* ---- the test's SHA-256, against the FIPS 180-4 example values ---- */

static void test_sha256(void **state) {
    (void)state;
    char hex[65];
    assert_string_equal(sha256_hex(hex, "", 0),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(sha256_hex(hex, "abc", 3),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; // 56 bytes: padding spills
    assert_string_equal(sha256_hex(hex, two, strlen(two)),
                        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    Sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    for (size_t i = 0; i < 1000000; i += 999)
        sha256_update(&s, million + i, i + 999 < 1000000 ? 999 : 1000000 - i);
    sha256_final(&s, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),        cmocka_unit_test(test_rank_files),
        cmocka_unit_test(test_endoftext_ids), cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_r50k_base),
        cmocka_unit_test(test_cl100k_base),   cmocka_unit_test(test_o200k_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
