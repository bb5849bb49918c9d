/* The pre-tokenizers: which regexes split a text before BPE merges it, per llama.cpp's
 * `tokenizer.ggml.pre` names (src/llama-vocab.cpp, llm_tokenizer_bpe's constructor) and per tiktoken.
 *
 * A pre-tokenizer is a list of regexes applied in sequence: the first cuts the text into chunks (the
 * matches, and the gaps between them, each a chunk); every later one cuts each chunk again, seeing only
 * that chunk as its subject. The matching (pretok_each) is at the end of this file.
 *
 * llama.cpp runs most of these through std::regex on a "collapsed" text where every non-ASCII code point
 * stands for its Unicode category and \s means ASCII white space or any non-ASCII White_Space code
 * point. PCRE2 with UTF and UCP gives the same classes, except that its \s misses U+0085: so \s is spelt
 * out as the White_Space class below, as the tiktoken patterns already did. `$` in llama.cpp's
 * ECMAScript regexes is the end of the chunk only, hence PCRE2_DOLLAR_ENDONLY where the regexes are
 * compiled. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"
#include "utf8.h"
#include "util.h"

/* Unicode White_Space, the meaning of \s in tiktoken's regex engine and in llama.cpp's. */
#define WS "\\t-\\r \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"
#define S_ "[" WS "]"
#define NOT_S "[^" WS "]"
#define CONTRACTIONS "'s|'t|'re|'ve|'m|'ll|'d"
#define UPPERISH "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]"
#define LOWERISH "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"

/* GPT-2 / r50k_base. llama.cpp's list ends at \s+(?!\S) but its hand-written matcher for this regex
 * (unicode_regex_split_custom_gpt2) also takes a final \s+, as here. */
#define RE_GPT2 CONTRACTIONS "| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|" S_ "+(?!" NOT_S ")|" S_ "+"
/* cl100k_base / llama-3; with \p{N} for \p{N}{1,3} it is Qwen2's. */
#define RE_CL100K_HEAD "(?i:" CONTRACTIONS ")|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
#define RE_CL100K_TAIL "| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*|" S_ "*[\\r\\n]+|" S_ "+(?!" NOT_S ")|" S_ "+"
#define RE_O200K                                                                                           \
    "[^\\r\\n\\p{L}\\p{N}]?" UPPERISH "*" LOWERISH "+(?i:" CONTRACTIONS ")?"                                \
    "|[^\\r\\n\\p{L}\\p{N}]?" UPPERISH "+" LOWERISH "*(?i:" CONTRACTIONS ")?"                               \
    "|\\p{N}{1,3}| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n/]*|" S_ "*[\\r\\n]+|" S_ "+(?!" NOT_S ")|" S_ "+"

/* CJK ranges of the DeepSeek pre-tokenizers, as llama.cpp writes them: 一-龥, U+0800-一, 가-U+D7FF. */
#define RE_CJK "[\\x{4e00}-\\x{9fa5}\\x{0800}-\\x{4e00}\\x{ac00}-\\x{d7ff}]+"
/* deepseek-llm's letter class: llama.cpp's list of cased-letter ranges (\p{L&}), as code points. */
#define RE_DEEPSEEK_LETTERS \
    "[A-Za-z\\x{b5}\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{1ba}\\x{1bc}-\\x{1bf}\\x{1c4}-\\x{293}" \
    "\\x{295}-\\x{2af}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37b}-\\x{37d}\\x{37f}\\x{386}" \
    "\\x{388}-\\x{38a}\\x{38c}\\x{38e}-\\x{3a1}\\x{3a3}-\\x{3f5}\\x{3f7}-\\x{481}\\x{48a}-\\x{52f}" \
    "\\x{531}-\\x{556}\\x{10a0}-\\x{10c5}\\x{13a0}-\\x{13f5}\\x{13f8}-\\x{13fd}\\x{1c90}-\\x{1cba}" \
    "\\x{1cbd}-\\x{1cbf}\\x{1d00}-\\x{1d2b}\\x{1d6b}-\\x{1d77}\\x{1d79}-\\x{1d9a}\\x{1e00}-\\x{1f15}" \
    "\\x{1f18}-\\x{1f1d}\\x{1f20}-\\x{1f45}\\x{1f48}-\\x{1f4d}\\x{1f50}-\\x{1f57}\\x{1f59}\\x{1f5b}" \
    "\\x{1f5d}\\x{1f5f}-\\x{1f7d}\\x{1f80}-\\x{1fb4}\\x{1fb6}-\\x{1fbc}\\x{1fbe}\\x{1fc2}-\\x{1fc4}" \
    "\\x{1fc6}-\\x{1fcc}\\x{1fd0}-\\x{1fd3}\\x{1fd6}-\\x{1fdb}\\x{1fe0}-\\x{1fec}\\x{1ff2}-\\x{1ff4}" \
    "\\x{1ff6}-\\x{1ffc}\\x{2102}\\x{2107}\\x{210a}-\\x{2113}\\x{2115}\\x{2119}-\\x{211d}\\x{2124}" \
    "\\x{2126}\\x{2128}\\x{212a}-\\x{212d}\\x{212f}-\\x{2134}\\x{2139}\\x{213c}-\\x{213f}" \
    "\\x{2145}-\\x{2149}\\x{214e}\\x{2183}\\x{2184}\\x{2c00}-\\x{2c7b}\\x{2c7e}-\\x{2ce4}" \
    "\\x{2ceb}-\\x{2cee}\\x{2cf2}\\x{2cf3}\\x{a640}-\\x{a66d}\\x{a680}-\\x{a69b}\\x{a722}-\\x{a76f}" \
    "\\x{a771}-\\x{a787}\\x{a78b}-\\x{a78e}\\x{ab70}-\\x{abbf}\\x{fb00}-\\x{fb06}\\x{fb13}-\\x{fb17}" \
    "\\x{ff21}-\\x{ff3a}\\x{ff41}-\\x{ff5a}\\x{10400}-\\x{1044f}\\x{104b0}-\\x{104d3}" \
    "\\x{104d8}-\\x{104fb}\\x{10c80}-\\x{10cb2}\\x{10cc0}-\\x{10cf2}\\x{118a0}-\\x{118df}" \
    "\\x{1e900}-\\x{1e943}]+"

static const char *const RES_GPT2[] = {RE_GPT2, NULL};
static const char *const RES_CL100K[] = {RE_CL100K_HEAD "\\p{N}{1,3}" RE_CL100K_TAIL, NULL};
static const char *const RES_O200K[] = {RE_O200K, NULL};
/* llama.cpp's "default" (also what it uses for a BPE file without tokenizer.ggml.pre) */
static const char *const RES_DEFAULT[] = {"[\\p{P}$+<=>^~|]+", RE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]", NULL};
/* starcoder, smollm, refact, command-r, codeshell, exaone, minerva-7b: every digit alone */
static const char *const RES_STARCODER[] = {"\\p{N}", RE_GPT2, NULL};
/* qwen2, stablelm2, megrez */
static const char *const RES_QWEN2[] = {RE_CL100K_HEAD "\\p{N}" RE_CL100K_TAIL, NULL};
static const char *const RES_DEEPSEEK_CODER[] = {"[\\r\\n]", S_ "?\\p{L}+", S_ "?\\p{P}+", RE_CJK, "\\p{N}", NULL};
static const char *const RES_DEEPSEEK_LLM[] = {
    "[\\r\\n]",         S_ "?" RE_DEEPSEEK_LETTERS,
    S_ "?[!-/:-~\\x{ff01}-\\x{ff0f}\\x{ff1a}-\\x{ff5e}\\x{2018}-\\x{201f}\\x{3000}-\\x{3002}]+",
    S_ "+$",            RE_CJK,
    "\\p{N}+",          NULL};
static const char *const RES_DEEPSEEK3[] = {
    "\\p{N}{1,3}", "[\\x{4e00}-\\x{9fa5}\\x{3040}-\\x{309f}\\x{30a0}-\\x{30ff}]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
    "| ?[\\p{P}\\p{S}]+[\\r\\n]*|" S_ "*[\\r\\n]+|" S_ "+(?!" NOT_S ")|" S_ "+",
    NULL};
static const char *const RES_FALCON[] = {"[\\p{P}$+<=>^~|`]+", RE_GPT2, "[0-9][0-9][0-9]", NULL};
/* bloom, poro-chat, gpt3-finnish; viking adds single digits */
#define RE_BLOOM " ?[^(" WS "|.,!?\\x{2026}\\x{3002}\\x{ff0c}\\x{3001}\\x{0964}\\x{06d4}\\x{060c})]+"
static const char *const RES_BLOOM[] = {RE_BLOOM, NULL};
static const char *const RES_VIKING[] = {RE_BLOOM, "\\p{N}", NULL};
static const char *const RES_NONE[] = {NULL};

typedef struct {
    const char *name;            /* glassbox's short name (pretok_pattern_name) */
    const char *const *regexes;  /* NULL-terminated */
} PatternInfo;

static const PatternInfo PATTERN_INFO[PRETOK_COUNT] = {
    [PRETOK_GPT2] = {"gpt2", RES_GPT2},
    [PRETOK_CL100K] = {"cl100k", RES_CL100K},
    [PRETOK_O200K] = {"o200k", RES_O200K},
    [PRETOK_DEFAULT] = {"default", RES_DEFAULT},
    [PRETOK_STARCODER] = {"starcoder", RES_STARCODER},
    [PRETOK_QWEN2] = {"qwen2", RES_QWEN2},
    [PRETOK_DEEPSEEK_CODER] = {"deepseek-coder", RES_DEEPSEEK_CODER},
    [PRETOK_DEEPSEEK_LLM] = {"deepseek-llm", RES_DEEPSEEK_LLM},
    [PRETOK_DEEPSEEK3] = {"deepseek-v3", RES_DEEPSEEK3},
    [PRETOK_FALCON] = {"falcon", RES_FALCON},
    [PRETOK_BLOOM] = {"bloom", RES_BLOOM},
    [PRETOK_VIKING] = {"viking", RES_VIKING},
    [PRETOK_SPM] = {"sentencepiece", RES_NONE},
};

/* tokenizer.ggml.pre names as llama.cpp reads them (llama_vocab::impl::load). ignore_merges: a chunk
 * that is itself a token becomes that token without merging. The first name of each pattern is the
 * one the writer uses. */
static const struct {
    const char *name;
    int pattern;
    int ignore_merges;
} GGUF_PRE[] = {
    {"gpt-2", PRETOK_GPT2, 0},           {"llama-bpe", PRETOK_CL100K, 1},     {"gpt-4o", PRETOK_O200K, 0},
    {"default", PRETOK_DEFAULT, 0},      {"starcoder", PRETOK_STARCODER, 0},  {"qwen2", PRETOK_QWEN2, 0},
    {"deepseek-coder", PRETOK_DEEPSEEK_CODER, 0},                             {"deepseek-llm", PRETOK_DEEPSEEK_LLM, 0},
    {"deepseek-v3", PRETOK_DEEPSEEK3, 0}, {"falcon", PRETOK_FALCON, 0},       {"bloom", PRETOK_BLOOM, 0},
    {"viking", PRETOK_VIKING, 0},
    /* aliases */
    {"gpt2", PRETOK_GPT2, 0},            {"phi-2", PRETOK_GPT2, 0},           {"mpt", PRETOK_GPT2, 0},
    {"olmo", PRETOK_GPT2, 0},            {"jais", PRETOK_GPT2, 0},            {"roberta-bpe", PRETOK_GPT2, 0},
    {"gigachat", PRETOK_GPT2, 0},        {"jina-es", PRETOK_GPT2, 0},         {"jina-de", PRETOK_GPT2, 0},
    {"jina-v1-en", PRETOK_GPT2, 0},      {"jina-v2-es", PRETOK_GPT2, 0},      {"jina-v2-de", PRETOK_GPT2, 0},
    {"jina-v2-code", PRETOK_GPT2, 0},    {"llama3", PRETOK_CL100K, 1},        {"llama-v3", PRETOK_CL100K, 1},
    {"falcon3", PRETOK_CL100K, 1},       {"dbrx", PRETOK_CL100K, 0},          {"smaug-bpe", PRETOK_CL100K, 0},
    {"cl100k", PRETOK_CL100K, 1},        {"o200k", PRETOK_O200K, 0},          {"smollm", PRETOK_STARCODER, 0},
    {"refact", PRETOK_STARCODER, 0},     {"command-r", PRETOK_STARCODER, 0},  {"codeshell", PRETOK_STARCODER, 0},
    {"exaone", PRETOK_STARCODER, 0},     {"minerva-7b", PRETOK_STARCODER, 0}, {"stablelm2", PRETOK_QWEN2, 0},
    {"megrez", PRETOK_QWEN2, 0},         {"poro-chat", PRETOK_BLOOM, 0},      {"gpt3-finnish", PRETOK_BLOOM, 0},
};

int pretok_pattern_regexes(int pattern, const char *const **regexes) {
    if (pattern < 0 || pattern >= PRETOK_COUNT) return -1;
    *regexes = PATTERN_INFO[pattern].regexes;
    int n = 0;
    while ((*regexes)[n]) n++;
    return n;
}

const char *pretok_pattern_regex(int pattern) {
    const char *const *res;
    return pretok_pattern_regexes(pattern, &res) > 0 ? res[0] : NULL;
}

const char *pretok_pattern_name(int pattern) {
    return pattern >= 0 && pattern < PRETOK_COUNT ? PATTERN_INFO[pattern].name : "?";
}

int pretok_from_gguf_pre(const char *s, size_t len, int *ignore_merges) {
    for (size_t i = 0; i < sizeof GGUF_PRE / sizeof GGUF_PRE[0]; i++)
        if (strlen(GGUF_PRE[i].name) == len && memcmp(GGUF_PRE[i].name, s, len) == 0) {
            if (ignore_merges) *ignore_merges = GGUF_PRE[i].ignore_merges;
            return GGUF_PRE[i].pattern;
        }
    return -1;
}

const char *pretok_gguf_name(int pattern) {
    for (size_t i = 0; i < sizeof GGUF_PRE / sizeof GGUF_PRE[0]; i++)
        if (GGUF_PRE[i].pattern == pattern) return GGUF_PRE[i].name;
    return "default";
}

int pretok_pattern_from_name(const char *name) {
    static const struct {
        const char *name;
        int pattern;
    } names[] = {
        {"r50k", PRETOK_GPT2}, {"r50k_base", PRETOK_GPT2}, {"cl100k_base", PRETOK_CL100K},
        {"o200k_base", PRETOK_O200K},
    };
    if (!name) return -1;
    for (int p = 0; p < PRETOK_SPM; p++)
        if (strcmp(name, PATTERN_INFO[p].name) == 0) return p;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) return names[i].pattern;
    return pretok_from_gguf_pre(name, strlen(name), NULL);
}

const char *pretok_supported_names(void) {
    return "gpt-2, llama-bpe (llama3), gpt-4o, default, starcoder, smollm, refact, qwen2, stablelm2, "
           "deepseek-coder, deepseek-llm, deepseek-v3, falcon, bloom, viking, and their aliases";
}

/* ---- matching ---- */

enum { PRETOK_MAX_REGEXES = 8 };

/* The regexes of a pattern (above), compiled, applied in sequence. */
struct Pretokenizer {
    int pattern;
    int n;
    pcre2_code *code[PRETOK_MAX_REGEXES];
    int jit[PRETOK_MAX_REGEXES]; /* compiled for PCRE2's JIT: matched with pcre2_jit_match, skipping its per-call checks */
};


Pretokenizer *pretok_new(int pattern, char *err) {
    const char *const *res;
    int n = pretok_pattern_regexes(pattern, &res);
    if (n < 0 || n > PRETOK_MAX_REGEXES) {
        gb_seterr(err, "unknown pre-tokenizer pattern %d", pattern);
        return NULL;
    }
    Pretokenizer *p = gb_calloc(1, sizeof *p);
    p->pattern = pattern;
    for (int i = 0; i < n; i++) {
        int code;
        PCRE2_SIZE at;
        /* PCRE2's JIT finds where a match can start with vector loads that may read past the subject's
         * end (harmless, but valgrind counts it as use of uninitialised memory); the tiktoken patterns
         * have no such start, the others (a [\r\n] or \p{N} alone) do, so they go without it. */
        uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY;
        if (pattern > PRETOK_O200K) opts |= PCRE2_NO_START_OPTIMIZE;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)res[i], PCRE2_ZERO_TERMINATED, opts, &code, &at, NULL);
        if (!c) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            gb_seterr(err, "pre-tokenizer %s: regex %d: error at %zu: %s", pretok_pattern_name(pattern), i + 1,
                      (size_t)at, (const char *)msg);
            pretok_free(p);
            return NULL;
        }
        p->code[i] = c;
        p->jit[i] = pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) == 0; /* without JIT, matching is slower but works */
        p->n = i + 1;
    }
    return p;
}

void pretok_free(Pretokenizer *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++) pcre2_code_free(p->code[i]);
    free(p);
}

/* Runs regex number level over one valid UTF-8 piece [base, base + n) of text, then the next regexes
 * over each match and each gap between matches; the last level's pieces are the chunks. */
static int split_valid_run(const Pretokenizer *p, pcre2_match_data *md, int level, const char *text, size_t base,
                           size_t n, PretokChunkFn fn, void *ctx, char *err) {
    if (level == p->n) return n > 0 && fn(ctx, base, base + n) ? -1 : 0;
    PCRE2_SPTR subj = (PCRE2_SPTR)(text + base);
    size_t off = 0;
    /* Every alternative of these patterns backtracks at most over the run of blanks or letters it
     * started on, and the chunk then consumes that run: the work is linear in the text, but one match
     * may take as many steps as the run is long. PCRE2's fixed default limit (10 million) refused a
     * 10 MB blank line; scale it with the text instead. */
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (mc) pcre2_set_match_limit(mc, (uint32_t)(n > (UINT32_MAX - 10000000u) / 64 ? UINT32_MAX : 10000000u + 64 * n));
    while (off < n) {
        int rc = p->jit[level] ? pcre2_jit_match(p->code[level], subj, n, off, 0, md, mc)
                               : pcre2_match(p->code[level], subj, n, off, PCRE2_NO_UTF_CHECK, md, mc);
        size_t s, e;
        if (rc == PCRE2_ERROR_NOMATCH) {
            s = e = n; /* the rest is a gap */
        } else if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            gb_seterr(err, "pre-tokenizer: byte %zu: %s", base + off, (const char *)msg);
            pcre2_match_context_free(mc);
            return -1;
        } else {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            s = ov[0];
            e = ov[1];
        }
        if (s > off && split_valid_run(p, md, level + 1, text, base + off, s - off, fn, ctx, err)) break;
        if (e == s && s < n) e = s + (size_t)utf8_valid_len(subj + s, n - s); /* never empty */
        if (e > s && split_valid_run(p, md, level + 1, text, base + s, e - s, fn, ctx, err)) break;
        off = e;
    }
    pcre2_match_context_free(mc);
    return off < n ? -1 : 0;
}

int pretok_each(const Pretokenizer *p, const char *text, size_t len, PretokChunkFn fn, void *ctx, char *err) {
    const uint8_t *u = (const uint8_t *)text;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL); /* only the whole match is read */
    if (!md) {
        gb_seterr(err, "pre-tokenizer: out of memory");
        return -1;
    }
    int rc = 0;
    size_t i = 0;
    while (i < len && rc == 0) {
        size_t j = i;
        while (j < len) {
            if (u[j] < 0x80) {
                j++;
                continue;
            }
            int k = utf8_valid_len(u + j, len - j);
            if (k == 0) break;
            j += (size_t)k;
        }
        if (j > i) rc = split_valid_run(p, md, 0, text, i, j - i, fn, ctx, err);
        if (rc || j == len) break;
        size_t k = j; /* a run of bytes that start no valid character */
        while (k < len && utf8_valid_len(u + k, len - k) == 0) k++;
        if (fn(ctx, j, k)) rc = -1;
        i = k;
    }
    pcre2_match_data_free(md);
    return rc;
}

typedef struct {
    size_t *ends;
    size_t n, cap;
} EndList;

static int collect_end(void *ctx, size_t start, size_t end) {
    (void)start;
    EndList *l = ctx;
    if (l->n == l->cap) l->ends = gb_realloc(l->ends, (l->cap = l->cap ? 2 * l->cap : 64) * sizeof(size_t));
    l->ends[l->n++] = end;
    return 0;
}

long pretokenize(int pattern, const char *text, size_t len, size_t **ends, char *err) {
    *ends = NULL;
    Pretokenizer *p = pretok_new(pattern, err);
    if (!p) return -1;
    EndList l = {0};
    int rc = pretok_each(p, text, len, collect_end, &l, err);
    pretok_free(p);
    if (rc) {
        free(l.ends);
        return -1;
    }
    *ends = l.ends;
    return (long)l.n;
}
