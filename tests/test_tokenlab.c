/* The tokenizer lab's core: identifier words and naming variants against hand-worked expectations;
 * the BPE merge replay against the encoder (same final tokens, under the model's GGUF vocabulary and
 * r50k, cl100k and o200k, with both merge engines) and against the rule it claims to follow (each
 * merge is the lowest-ranked adjacent pair present, leftmost on ties); per-line file costs; a 1 MiB
 * line of one repeated character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sample_text.h"
#include "tokenlab.h"
#include "util.h"

/* ---- words ---- */

/* Splits id and compares with the words of want, written "a|b|c" ("" for none). */
static void expect_words(const char *id, const char *want) {
    LabSpan w[16];
    int n = lab_split_words(id, strlen(id), w, 16);
    char got[256] = "";
    size_t o = 0;
    for (int i = 0; i < n && i < 16; i++)
        o += (size_t)snprintf(got + o, sizeof got - o, "%s%.*s", i ? "|" : "", (int)(w[i].end - w[i].start), id + w[i].start);
    if (strcmp(got, want) != 0) fail_msg("words of \"%s\": got \"%s\", want \"%s\"", id, got, want);
}

static void test_split_words(void **state) {
    (void)state;
    expect_words("user_authentication_token", "user|authentication|token");
    expect_words("userAuthenticationToken", "user|Authentication|Token");
    expect_words("UserAuthenticationToken", "User|Authentication|Token");
    expect_words("USER_AUTHENTICATION_TOKEN", "USER|AUTHENTICATION|TOKEN");
    expect_words("user-authentication-token", "user|authentication|token");
    expect_words("HTTPServer", "HTTP|Server");
    expect_words("getHTTPResponseCode", "get|HTTP|Response|Code");
    expect_words("XMLHttpRequest", "XML|Http|Request");
    expect_words("userID", "user|ID");
    expect_words("ID", "ID");
    expect_words("utf8Decoder", "utf8|Decoder");
    expect_words("sha256_hash", "sha256|hash");
    expect_words("HTTP2Server", "HTTP2|Server");
    expect_words("parseJSON5File", "parse|JSON5|File");
    expect_words("vec3d", "vec3d");
    expect_words("__init__", "init");
    expect_words("a__b", "a|b");
    expect_words("x", "x");
    expect_words("", "");
    expect_words("__", "");
    expect_words("self.max_len", "self|max|len");
    /* only max words are written, the count is all of them */
    LabSpan w[2];
    assert_int_equal(lab_split_words("a_b_c_d", 7, w, 2), 4);
    assert_int_equal(w[1].start, 2);
}

/* ---- variants ---- */

static void expect_style(const char *text, int style, const char *want) {
    size_t n;
    char *got = lab_restyle(text, strlen(text), style, &n);
    assert_int_equal(n, strlen(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s of \"%s\": got \"%s\", want \"%s\"", lab_style_name(style), text, got, want);
    free(got);
}

static void test_variants(void **state) {
    (void)state;
    const char *id = "user_authentication_token";
    expect_style(id, STYLE_SNAKE, "user_authentication_token");
    expect_style(id, STYLE_CAMEL, "userAuthenticationToken");
    expect_style(id, STYLE_PASCAL, "UserAuthenticationToken");
    expect_style(id, STYLE_SCREAMING, "USER_AUTHENTICATION_TOKEN");
    expect_style(id, STYLE_KEBAB, "user-authentication-token");
    expect_style(id, STYLE_ABBREV_PREFIX, "user_auth_tok");
    expect_style(id, STYLE_ABBREV_VOWELS, "usr_athntctn_tkn");
    /* the same from any of its forms */
    expect_style("UserAuthenticationToken", STYLE_SNAKE, "user_authentication_token");
    expect_style("USER_AUTHENTICATION_TOKEN", STYLE_CAMEL, "userAuthenticationToken");
    expect_style("user-authentication-token", STYLE_PASCAL, "UserAuthenticationToken");
    /* acronyms lose their capitals in camel and Pascal case */
    expect_style("HTTPServer", STYLE_SNAKE, "http_server");
    expect_style("HTTPServer", STYLE_CAMEL, "httpServer");
    expect_style("HTTPServer", STYLE_PASCAL, "HttpServer");
    expect_style("HTTPServer", STYLE_SCREAMING, "HTTP_SERVER");
    expect_style("HTTPServer", STYLE_ABBREV_PREFIX, "http_serv");
    expect_style("HTTPServer", STYLE_ABBREV_VOWELS, "htp_srvr"); /* http: the second t repeats the first */
    expect_style("utf8_decoder", STYLE_CAMEL, "utf8Decoder");
    expect_style("utf8Decoder", STYLE_SNAKE, "utf8_decoder");
    /* blanks around a lone identifier go; its underscores at the ends stay */
    expect_style("  max_len\n", STYLE_CAMEL, "maxLen");
    expect_style("__init__", STYLE_SCREAMING, "__INIT__");
    expect_style("_private_name", STYLE_PASCAL, "_PrivateName");
    expect_style("x", STYLE_SCREAMING, "X");
    /* a line of code: only the identifiers of two or more words change */
    expect_style("def get_user_name(self):", STYLE_CAMEL, "def getUserName(self):");
    expect_style("x = max_retry_count + 1", STYLE_SCREAMING, "x = MAX_RETRY_COUNT + 1");
    expect_style("if userId in seenIds: return 0x1F_ab", STYLE_SNAKE, "if user_id in seen_ids: return 0x1F_ab");
    expect_style("a-b", STYLE_CAMEL, "aB"); /* no blanks, only word characters: one identifier */
    expect_style("a - b", STYLE_CAMEL, "a - b");
    expect_style("", STYLE_SNAKE, "");
    assert_false(lab_style_valid_python(STYLE_KEBAB));
    assert_true(lab_style_valid_python(STYLE_SNAKE));
}

static void expect_abbrev(const char *w, int style, const char *want) {
    char out[64];
    size_t n = lab_abbreviate(w, strlen(w), style, out);
    assert_int_equal(n, strlen(want));
    if (strcmp(out, want) != 0) fail_msg("abbreviation of \"%s\": got \"%s\", want \"%s\"", w, out, want);
}

static void test_abbreviations(void **state) {
    (void)state;
    expect_abbrev("authentication", STYLE_ABBREV_PREFIX, "auth");
    expect_abbrev("token", STYLE_ABBREV_PREFIX, "tok");
    expect_abbrev("string", STYLE_ABBREV_PREFIX, "str");
    expect_abbrev("user", STYLE_ABBREV_PREFIX, "user");
    expect_abbrev("data", STYLE_ABBREV_PREFIX, "data");
    expect_abbrev("database", STYLE_ABBREV_PREFIX, "dat");
    expect_abbrev("Configuration", STYLE_ABBREV_PREFIX, "conf");
    expect_abbrev("sha256", STYLE_ABBREV_PREFIX, "sha256");
    expect_abbrev("version2", STYLE_ABBREV_PREFIX, "vers2");
    expect_abbrev("user", STYLE_ABBREV_VOWELS, "usr");
    expect_abbrev("message", STYLE_ABBREV_VOWELS, "msg");
    expect_abbrev("token", STYLE_ABBREV_VOWELS, "tkn");
    expect_abbrev("id", STYLE_ABBREV_VOWELS, "id");
    expect_abbrev("aardvark", STYLE_ABBREV_VOWELS, "ardvrk");
    expect_abbrev("utf88", STYLE_ABBREV_VOWELS, "utf88"); /* repeated digits stay */
}

/* ---- the merge replay ---- */

typedef struct {
    Tokenizer *t;
    const char *name;
    int rank_rule; /* tiktoken: a pair's rank is the id of the concatenated token */
} Vocab;

/* The rank of merging parts a and b, computed without the engine where possible: for a tiktoken
 * vocabulary the id of the token whose bytes are a's followed by b's. */
static int32_t independent_rank(const Vocab *v, int32_t a, int32_t b, int32_t *result) {
    if (!v->rank_rule) return tokenizer_pair_rank(v->t, a, b, result);
    size_t la, lb;
    const char *pa = tokenizer_token_bytes(v->t, a, &la), *pb = tokenizer_token_bytes(v->t, b, &lb);
    char buf[512];
    if (la + lb > sizeof buf) return *result = -1;
    memcpy(buf, pa, la);
    memcpy(buf + la, pb, lb);
    int32_t id = tokenizer_find(v->t, buf, la + lb);
    if (id >= 0 && tokenizer_is_special(v->t, id)) id = -1;
    return *result = id;
}

typedef struct {
    long merges, decreases; /* merges seen, and how many had a lower rank than the one before */
} ReplayStats;

/* Replays text and checks it against the encoder and the lowest-rank rule. */
static void check_replay(const Vocab *v, const char *text, size_t len, ReplayStats *st) {
    char err[GB_ERRLEN];
    LabReplay rp;
    if (lab_replay(v->t, text, len, &rp, err) != 0) fail_msg("%s: %s", v->name, err);
    int32_t *ids = malloc((len + 1) * sizeof(int32_t));
    uint32_t *starts = malloc((len + 2) * sizeof(uint32_t));
    int32_t *all = malloc((len + 1) * sizeof(int32_t));
    uint32_t *all_start = malloc((len + 1) * sizeof(uint32_t));
    assert_true(ids && starts && all && all_start);
    int n_all = 0;
    uint32_t covered = 0;
    for (int c = 0; c < rp.n_chunks; c++) {
        const LabChunk *ch = &rp.chunks[c];
        assert_int_equal(ch->start, covered); /* the chunks cover the text in order */
        covered = ch->end;
        assert_int_equal(ch->n_bytes, (int)(ch->end - ch->start));
        int32_t prev_rank = -1;
        for (int k = 0; k <= ch->n_merges; k++) {
            int np = lab_replay_state(&rp, c, k, ids, starts);
            assert_int_equal(np, k < ch->n_merges || ch->n_merges == 0 || ch->merges[ch->n_merges - 1].rank != LAB_WHOLE_CHUNK
                                     ? ch->n_bytes - k
                                     : 1);
            /* every part is the token of its bytes */
            for (int i = 0; i < np; i++) {
                size_t tl;
                const char *tb = tokenizer_token_bytes(v->t, ids[i], &tl);
                assert_true(tb && tl == starts[i + 1] - starts[i]);
                assert_memory_equal(tb, text + ch->start + starts[i], tl);
            }
            /* the lowest rank present, leftmost on ties */
            int best = -1;
            int32_t best_rank = -1, best_result = -1;
            for (int i = 0; i + 1 < np; i++) {
                int32_t res, r = independent_rank(v, ids[i], ids[i + 1], &res);
                if (r >= 0 && (best_rank < 0 || r < best_rank)) best = i, best_rank = r, best_result = res;
            }
            if (k == ch->n_merges) {
                if (k == 0 || ch->merges[k - 1].rank != LAB_WHOLE_CHUNK) assert_int_equal(best, -1); /* nothing left */
                break;
            }
            const LabMerge *m = &ch->merges[k];
            if (m->rank == LAB_WHOLE_CHUNK) { /* only as the last step, and only for a chunk that is a token */
                assert_int_equal(k, ch->n_merges - 1);
                assert_int_equal(best, -1);
                assert_true(tokenizer_takes_whole_chunks(v->t));
                assert_int_equal(tokenizer_find(v->t, text + ch->start, (size_t)ch->n_bytes), m->result);
                continue;
            }
            assert_int_equal(m->at, best);
            assert_int_equal(m->rank, best_rank);
            assert_int_equal(m->result, best_result);
            assert_int_equal(m->left, ids[best]);
            assert_int_equal(m->right, ids[best + 1]);
            st->merges++;
            if (m->rank < prev_rank) st->decreases++;
            prev_rank = m->rank;
        }
        int np = lab_replay_state(&rp, c, ch->n_merges, ids, starts);
        for (int i = 0; i < np; i++) {
            all[n_all] = ids[i];
            all_start[n_all++] = ch->start + starts[i];
        }
    }
    assert_int_equal(covered, len);
    /* the same tokens as the encoder, with the scan engine for short chunks and with the heap alone */
    for (int limit = 16; limit >= 0; limit -= 16) {
        tokenizer_set_small_chunk_limit(v->t, limit);
        TokenSpan *spans = NULL;
        int n = tokenizer_encode(v->t, text, len, &spans, err);
        if (n != n_all) fail_msg("%s: \"%.40s\": replay gives %d tokens, encode %d", v->name, text, n_all, n);
        for (int i = 0; i < n; i++) {
            assert_int_equal(spans[i].id, all[i]);
            assert_int_equal(spans[i].start, all_start[i]);
        }
        free(spans);
    }
    tokenizer_set_small_chunk_limit(v->t, 16);
    free(ids);
    free(starts);
    free(all);
    free(all_start);
    lab_replay_free(&rp);
}

static int open_vocabs(Vocab *v) {
    char err[GB_ERRLEN], path[4096];
    static const char *const names[] = {"r50k_base", "cl100k_base", "o200k_base"};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        v[n].t = tokenizer_open_named(names[i], err);
        if (!v[n].t) fail_msg("%s", err);
        v[n].name = names[i];
        v[n++].rank_rule = 1;
    }
    snprintf(path, sizeof path, "%s/glassbox.gguf", gb_assets_dir());
    v[n].t = tokenizer_open_named(path, err); /* the model's vocabulary: GGUF merges */
    if (!v[n].t) fail_msg("%s", err);
    v[n].name = "glassbox.gguf";
    v[n++].rank_rule = 0;
    return n;
}

static const char *const WORDS[] = {
    "tokenization", " tokenization", "user_authentication_token", "userAuthenticationToken",
    "USER_AUTHENTICATION_TOKEN", "HTTPServer", " getHTTPResponseCode", "    return counts\n",
    "\n\n\n        ", "12345678901", " 3.14159", "naïve café", " 東京タワー", "🙂🙂", "\xff\xfe\x80 bad",
    "supercalifragilisticexpialidocious", " antidisestablishmentarianism", "'s 've 're", "!!!???...",
    "def __init__(self, *args, **kwargs):", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "                                         x", "<|endoftext|>", "\t\t\tif (x) {", "ᚠᚢᚦᚨᚱᚲ",
};

static void test_replay_matches_encoder(void **state) {
    (void)state;
    Vocab v[4];
    int nv = open_vocabs(v);
    for (int i = 0; i < nv; i++) {
        ReplayStats st = {0, 0};
        for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++) check_replay(&v[i], WORDS[w], strlen(WORDS[w]), &st);
        check_replay(&v[i], SAMPLE_TEXT, strlen(SAMPLE_TEXT), &st);
        /* a long run: the encoder's heap engine against the replay's plain scans */
        size_t n = 1500;
        char *run = malloc(n);
        assert_non_null(run);
        memset(run, 'a', n);
        check_replay(&v[i], run, n, &st);
        memset(run, ' ', n);
        check_replay(&v[i], run, n, &st);
        free(run);
        /* The rule is "lowest rank present"; it does not by itself make ranks rise from one merge to the
         * next (test_replay_rank_order builds a vocabulary where they fall). They do rise in trained
         * vocabularies, where every token is made from two older ones, so a pair that a merge creates
         * ranks after the merge that created its new part. */
        printf("%s: %ld merges replayed, %ld of them of lower rank than the merge before\n", v[i].name, st.merges,
               st.decreases);
        assert_true(st.merges > 1000);
        assert_int_equal(st.decreases, 0);
        tokenizer_free(v[i].t);
    }
}

/* A hand-made merges list where the second merge has a lower rank than the first: "xab" merges a + b
 * (rank 1, the only pair present), then x + ab (rank 0). The replay follows the engine there too. */
static void test_replay_rank_order(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    const char *bytes[] = {"x", "a", "b", "ab", "xab"};
    size_t lens[] = {1, 1, 1, 2, 3};
    const int32_t merges[] = {0, 3, /* rank 0: x + ab */ 1, 2 /* rank 1: a + b */};
    Tokenizer *t = tokenizer_from_merges("hand-made", 5, bytes, lens, NULL, merges, 2, PRETOK_GPT2, -1, -1, err);
    if (!t) fail_msg("%s", err);
    LabReplay rp;
    assert_int_equal(lab_replay(t, "xab", 3, &rp, err), 0);
    assert_int_equal(rp.n_chunks, 1);
    assert_int_equal(rp.chunks[0].n_merges, 2);
    assert_int_equal(rp.chunks[0].merges[0].rank, 1);
    assert_int_equal(rp.chunks[0].merges[0].result, 3);
    assert_int_equal(rp.chunks[0].merges[1].rank, 0);
    assert_int_equal(rp.chunks[0].merges[1].result, 4);
    Vocab v = {t, "hand-made", 0};
    ReplayStats st = {0, 0};
    check_replay(&v, "xab", 3, &st);
    check_replay(&v, "abxab", 5, &st);
    assert_true(st.decreases >= 2);
    lab_replay_free(&rp);
    tokenizer_free(t);
}

static void test_replay_errors(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_open_named("cl100k_base", err);
    assert_non_null(t);
    size_t n = LAB_REPLAY_MAX_CHUNK + 1;
    char *run = malloc(n);
    assert_non_null(run);
    memset(run, 'x', n);
    LabReplay rp;
    assert_int_equal(lab_replay(t, run, n, &rp, err), -1);
    assert_non_null(strstr(err, "too long to replay"));
    assert_int_equal(rp.n_chunks, 0);
    assert_int_equal(lab_replay(t, "", 0, &rp, err), 0); /* nothing to replay */
    assert_int_equal(rp.n_chunks, 0);
    lab_replay_free(&rp);
    free(run);
    tokenizer_free(t);
}

/* ---- a file's cost per line ---- */

static void test_line_costs(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    Tokenizer *t = tokenizer_open_named("cl100k_base", err);
    assert_non_null(t);
    const char *src = "def f(x):\n        return x\n\n    pass";
    LabLineCost *lines;
    int nl, nt;
    assert_int_equal(lab_line_costs(t, src, strlen(src), &lines, &nl, &nt, err), 0);
    assert_int_equal(nl, 4);
    TokenSpan *spans = NULL;
    int n = tokenizer_encode(t, src, strlen(src), &spans, err);
    assert_int_equal(nt, n);
    int sum = 0;
    for (int i = 0; i < nl; i++) sum += lines[i].tokens;
    assert_int_equal(sum, n); /* every token charged once */
    /* line 2: its indentation token(s) lie inside the 8 leading spaces */
    assert_int_equal(lines[1].line, 2);
    assert_int_equal(lines[1].start, 10);
    assert_int_equal(lines[1].end, 26);
    int indent = 0, expect_indent = 0;
    for (int i = 0; i < n; i++)
        if (spans[i].end <= 18 && spans[i].end > 10) expect_indent++;
    indent = lines[1].indent_tokens;
    assert_true(expect_indent >= 1);
    assert_int_equal(indent, expect_indent);
    assert_int_equal(lines[0].indent_tokens, 0);
    /* the costliest first */
    lab_sort_costliest(lines, nl);
    for (int i = 1; i < nl; i++) assert_true(lines[i - 1].tokens >= lines[i].tokens);
    free(lines);
    free(spans);
    assert_int_equal(lab_line_costs(t, "", 0, &lines, &nl, &nt, err), 0);
    assert_int_equal(nl, 0);
    assert_int_equal(nt, 0);
    free(lines);
    tokenizer_free(t);
}

/* ---- one character repeated over 1 MiB ---- */

static void test_megabyte_line(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    static const char *const names[] = {"cl100k_base", "o200k_base"};
    size_t n = 1 << 20;
    char *line = malloc(n);
    assert_non_null(line);
    memset(line, 'a', n);
    for (int k = 0; k < 2; k++) {
        Tokenizer *t = tokenizer_open_named(names[k], err);
        assert_non_null(t);
        TokenSpan *spans = NULL;
        int count = tokenizer_encode(t, line, n, &spans, err);
        assert_true(count > 0 && (size_t)count < n);
        uint32_t at = 0;
        for (int i = 0; i < count; i++) { /* contiguous spans, each the bytes of its token */
            size_t tl;
            assert_int_equal(spans[i].start, at);
            assert_non_null(tokenizer_token_bytes(t, spans[i].id, &tl));
            assert_int_equal(tl, spans[i].end - spans[i].start);
            at = spans[i].end;
        }
        assert_int_equal(at, n);
        int32_t *ids = malloc((size_t)count * sizeof(int32_t));
        assert_non_null(ids);
        for (int i = 0; i < count; i++) ids[i] = spans[i].id;
        char *back = NULL;
        assert_int_equal(tokenizer_decode(t, ids, (size_t)count, &back), (long)n);
        assert_memory_equal(back, line, n);
        free(back);
        free(ids);
        free(spans);
        tokenizer_free(t);
    }
    free(line);
}

/* ---- long blank lines: linear work (issue 14, case 9) ---- */

static int count_chunk(void *ctx, size_t start, size_t end) {
    size_t *covered = ctx;
    *covered += end - start;
    return 0;
}

/* 4 MiB of spaces on one line: the line costs scanned the line's indentation again for every token
 * (100 KB took 4.5 s, so this size would take hours); and 12 MiB of blanks ran into PCRE2's fixed
 * match limit ("match limit exceeded"). Both are linear now, so this finishes in about a second. */
static void test_blank_megabytes(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    size_t n = 4u << 20;
    char *text = malloc(12u << 20);
    assert_non_null(text);
    memset(text, ' ', 12u << 20);
    Tokenizer *t = tokenizer_open_named("cl100k_base", err);
    assert_non_null(t);
    LabLineCost *lines;
    int nl, nt;
    assert_int_equal(lab_line_costs(t, text, n, &lines, &nl, &nt, err), 0);
    assert_int_equal(nl, 1);
    assert_true(nt > 0);
    assert_int_equal(lines[0].tokens, nt);
    assert_int_equal(lines[0].indent_tokens, nt); /* all of it is indentation */
    free(lines);
    tokenizer_free(t);
    for (int pattern = 0; pattern < 3; pattern++) {
        Pretokenizer *p = pretok_new(pattern, err);
        assert_non_null(p);
        size_t covered = 0;
        if (pretok_each(p, text, 12u << 20, count_chunk, &covered, err) != 0) fail_msg("%s", err);
        assert_int_equal(covered, 12u << 20);
        pretok_free(p);
    }
    free(text);
}

/* ---- the shipped vocabularies load on demand ---- */

static void test_lazy_vocabs(void **state) {
    (void)state;
    char err[GB_ERRLEN];
    LabVocabs v = {0};
    for (int i = 0; i < LAB_N_SHIPPED; i++) assert_null(v.tok[i]);
    const Tokenizer *t = lab_vocab(&v, LAB_CL100K, err);
    assert_non_null(t);
    assert_null(v.tok[LAB_R50K]);
    assert_null(v.tok[LAB_O200K]);
    assert_ptr_equal(lab_vocab(&v, LAB_CL100K, err), t); /* once */
    assert_int_equal(tokenizer_vocab_size(t), 100277);
    assert_null(lab_vocab(&v, LAB_N_SHIPPED, err));
    assert_string_equal(lab_shipped_name(LAB_O200K), "o200k_base");
    lab_vocabs_free(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_words),   cmocka_unit_test(test_variants),
        cmocka_unit_test(test_abbreviations), cmocka_unit_test(test_replay_matches_encoder),
        cmocka_unit_test(test_replay_rank_order), cmocka_unit_test(test_replay_errors),
        cmocka_unit_test(test_line_costs),
        cmocka_unit_test(test_megabyte_line), cmocka_unit_test(test_lazy_vocabs),
        cmocka_unit_test(test_blank_megabytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
