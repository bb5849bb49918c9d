/* GGUF vocabularies, read and written: tokenizer.ggml.model "gpt2" (byte-level BPE: tokens and merges in
 * GPT-2's byte-to-unicode form, a pre-tokenizer named by tokenizer.ggml.pre) and "llama"
 * (SentencePiece: pieces, scores and token types). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "utf8.h"
#include "util.h"

/* ---- GPT-2 byte-to-unicode ---- */

static const char B2U[256][3] = {
    "\xc4\x80", "\xc4\x81", "\xc4\x82", "\xc4\x83", "\xc4\x84", "\xc4\x85", "\xc4\x86", "\xc4\x87",
    "\xc4\x88", "\xc4\x89", "\xc4\x8a", "\xc4\x8b", "\xc4\x8c", "\xc4\x8d", "\xc4\x8e", "\xc4\x8f",
    "\xc4\x90", "\xc4\x91", "\xc4\x92", "\xc4\x93", "\xc4\x94", "\xc4\x95", "\xc4\x96", "\xc4\x97",
    "\xc4\x98", "\xc4\x99", "\xc4\x9a", "\xc4\x9b", "\xc4\x9c", "\xc4\x9d", "\xc4\x9e", "\xc4\x9f",
    "\xc4\xa0", "!", "\x22", "#", "$", "%", "&", "'",
    "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7",
    "8", "9", ":", ";", "<", "=", ">", "\x3f",
    "@", "A", "B", "C", "D", "E", "F", "G",
    "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W",
    "X", "Y", "Z", "[", "\x5c", "]", "^", "_",
    "`", "a", "b", "c", "d", "e", "f", "g",
    "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z", "{", "|", "}", "~", "\xc4\xa1",
    "\xc4\xa2", "\xc4\xa3", "\xc4\xa4", "\xc4\xa5", "\xc4\xa6", "\xc4\xa7", "\xc4\xa8", "\xc4\xa9",
    "\xc4\xaa", "\xc4\xab", "\xc4\xac", "\xc4\xad", "\xc4\xae", "\xc4\xaf", "\xc4\xb0", "\xc4\xb1",
    "\xc4\xb2", "\xc4\xb3", "\xc4\xb4", "\xc4\xb5", "\xc4\xb6", "\xc4\xb7", "\xc4\xb8", "\xc4\xb9",
    "\xc4\xba", "\xc4\xbb", "\xc4\xbc", "\xc4\xbd", "\xc4\xbe", "\xc4\xbf", "\xc5\x80", "\xc5\x81",
    "\xc5\x82", "\xc2\xa1", "\xc2\xa2", "\xc2\xa3", "\xc2\xa4", "\xc2\xa5", "\xc2\xa6", "\xc2\xa7",
    "\xc2\xa8", "\xc2\xa9", "\xc2\xaa", "\xc2\xab", "\xc2\xac", "\xc5\x83", "\xc2\xae", "\xc2\xaf",
    "\xc2\xb0", "\xc2\xb1", "\xc2\xb2", "\xc2\xb3", "\xc2\xb4", "\xc2\xb5", "\xc2\xb6", "\xc2\xb7",
    "\xc2\xb8", "\xc2\xb9", "\xc2\xba", "\xc2\xbb", "\xc2\xbc", "\xc2\xbd", "\xc2\xbe", "\xc2\xbf",
    "\xc3\x80", "\xc3\x81", "\xc3\x82", "\xc3\x83", "\xc3\x84", "\xc3\x85", "\xc3\x86", "\xc3\x87",
    "\xc3\x88", "\xc3\x89", "\xc3\x8a", "\xc3\x8b", "\xc3\x8c", "\xc3\x8d", "\xc3\x8e", "\xc3\x8f",
    "\xc3\x90", "\xc3\x91", "\xc3\x92", "\xc3\x93", "\xc3\x94", "\xc3\x95", "\xc3\x96", "\xc3\x97",
    "\xc3\x98", "\xc3\x99", "\xc3\x9a", "\xc3\x9b", "\xc3\x9c", "\xc3\x9d", "\xc3\x9e", "\xc3\x9f",
    "\xc3\xa0", "\xc3\xa1", "\xc3\xa2", "\xc3\xa3", "\xc3\xa4", "\xc3\xa5", "\xc3\xa6", "\xc3\xa7",
    "\xc3\xa8", "\xc3\xa9", "\xc3\xaa", "\xc3\xab", "\xc3\xac", "\xc3\xad", "\xc3\xae", "\xc3\xaf",
    "\xc3\xb0", "\xc3\xb1", "\xc3\xb2", "\xc3\xb3", "\xc3\xb4", "\xc3\xb5", "\xc3\xb6", "\xc3\xb7",
    "\xc3\xb8", "\xc3\xb9", "\xc3\xba", "\xc3\xbb", "\xc3\xbc", "\xc3\xbd", "\xc3\xbe", "\xc3\xbf",
};

const char *bpe_byte_to_unicode(uint8_t b) { return B2U[b]; }

/* Inverse of the mapping on code points: the byte, or -1 for a code point outside it. */
static int unicode_to_byte(uint32_t cp) {
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255)) return (int)cp;
    if (cp < 256 || cp > 323) return -1;
    uint32_t n = cp - 256;
    if (n <= 32) return (int)n;
    if (n <= 66) return (int)(n - 33 + 127);
    return 173;
}

static uint32_t code_point_of(const uint8_t *s, int k) { /* s holds a valid sequence of k bytes */
    if (k == 1) return s[0];
    if (k == 2) return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    if (k == 3) return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
           (s[3] & 0x3F);
}

/* Decodes byte-to-unicode text into raw bytes (out holds at least n bytes). Returns the byte count,
 * or -1 when the text is not in that form. */
static long b2u_decode(const uint8_t *s, size_t n, uint8_t *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        int k = utf8_valid_len(s + i, n - i);
        if (k == 0) return -1;
        int b = unicode_to_byte(code_point_of(s + i, k));
        if (b < 0) return -1;
        out[o++] = (uint8_t)b;
        i += (size_t)k;
    }
    return (long)o;
}

/* ---- GGUF ---- */

/* Copies at most 60 bytes of a GGUF string, printable, for a message. */
static void show_gguf_string(GGUFString s, char *out, size_t outsz) {
    token_display(s.data, s.len > 60 ? 60 : (size_t)s.len, out, outsz);
}

/* The keys both kinds of tokenizer share: add_bos_token, add_eos_token and the pre-tokenizer's name. */
static void read_flags(Tokenizer *t, const GGUFFile *f, GGUFString pre) {
    bool b = true;
    t->no_bos_in_front = gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b) && !b;
    b = false;
    t->add_eos = gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &b) && b && t->eos >= 0;
    if (pre.len > 0 && pre.len < sizeof t->pre_name) {
        memcpy(t->pre_name, pre.data, (size_t)pre.len);
        t->pre_name[pre.len] = 0;
    }
}

/* tokenizer.ggml.model = "llama": pieces, scores and types; llama.cpp's defaults for the ids. */
static Tokenizer *tokenizer_from_gguf_spm(const GGUFFile *f, char *err) {
    const char *name = f->path ? f->path : "GGUF";
    const GGUFValue *tokens = gguf_get_array(f, "tokenizer.ggml.tokens");
    if (!tokens || tokens->elem_type != GGUF_TYPE_STRING || tokens->count == 0 || tokens->count > INT32_MAX / 2) {
        gb_seterr(err, "%s: tokenizer.ggml.tokens is missing, empty or not an array of strings", name);
        return NULL;
    }
    const GGUFValue *types = gguf_get_array(f, "tokenizer.ggml.token_type");
    const GGUFValue *scores = gguf_get_array(f, "tokenizer.ggml.scores");
    if ((types && (types->count != tokens->count || types->elem_type == GGUF_TYPE_STRING)) ||
        (scores && (scores->count != tokens->count || scores->elem_type == GGUF_TYPE_STRING))) {
        gb_seterr(err, "%s: tokenizer.ggml.token_type or tokenizer.ggml.scores does not have one number per token",
                  name);
        return NULL;
    }
    int n = (int)tokens->count;
    const char **texts = gb_malloc((size_t)n * sizeof(char *));
    size_t *lens = gb_malloc((size_t)n * sizeof(size_t));
    float *sc = gb_malloc((size_t)n * sizeof(float));
    uint8_t *ty = gb_malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        texts[i] = tokens->strs[i].data;
        lens[i] = (size_t)tokens->strs[i].len;
        sc[i] = scores ? (float)gguf_array_float(scores, (uint64_t)i) : 0.0f;
        int64_t k = types ? gguf_array_int(types, (uint64_t)i) : TT_NORMAL;
        ty[i] = k >= 0 && k <= TT_BYTE ? (uint8_t)k : TT_UNDEFINED;
    }
    int64_t bos = 1, eos = 2, unk = 0;
    gguf_get_int(f, "tokenizer.ggml.bos_token_id", &bos);
    gguf_get_int(f, "tokenizer.ggml.eos_token_id", &eos);
    gguf_get_int(f, "tokenizer.ggml.unknown_token_id", &unk);
    if (bos >= n) bos = -1; /* llama.cpp too ignores an id outside the vocabulary */
    if (eos >= n) eos = -1;
    bool prefix = true;
    gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &prefix);
    Tokenizer *t = tokenizer_from_spm(name, n, texts, lens, sc, ty, (int32_t)bos, (int32_t)eos,
                                      unk < n ? (int32_t)unk : -1, prefix, err);
    if (t) read_flags(t, f, (GGUFString){NULL, 0});
    free(texts);
    free(lens);
    free(sc);
    free(ty);
    return t;
}

/* The arrays of a "gpt2" vocabulary, checked: tokens (strings), token_type (integers, may be absent) and
 * merges (strings, may be absent). Returns 0, or -1 with err. */
static int bpe_arrays(const GGUFFile *f, const char *name, const GGUFValue **tokens, const GGUFValue **types,
                      const GGUFValue **merges, char *err) {
    *tokens = gguf_get_array(f, "tokenizer.ggml.tokens");
    if (!*tokens || (*tokens)->elem_type != GGUF_TYPE_STRING || (*tokens)->count == 0 ||
        (*tokens)->count > INT32_MAX / 2) {
        gb_seterr(err, "%s: tokenizer.ggml.tokens is missing, empty or not an array of strings", name);
        return -1;
    }
    const GGUFValue *ty = *types = gguf_get_array(f, "tokenizer.ggml.token_type");
    if (ty && (ty->count != (*tokens)->count ||
               (ty->elem_type != GGUF_TYPE_INT32 && ty->elem_type != GGUF_TYPE_UINT32 &&
                ty->elem_type != GGUF_TYPE_INT8 && ty->elem_type != GGUF_TYPE_UINT8))) {
        gb_seterr(err, "%s: tokenizer.ggml.token_type has %llu integer entries, expected %llu", name,
                  (unsigned long long)ty->count, (unsigned long long)(*tokens)->count);
        return -1;
    }
    *merges = gguf_get_array(f, "tokenizer.ggml.merges");
    if (*merges && (*merges)->elem_type != GGUF_TYPE_STRING) {
        gb_seterr(err, "%s: tokenizer.ggml.merges is not an array of strings", name);
        return -1;
    }
    return 0;
}

/* The tokens of a "gpt2" vocabulary: a normal or byte token (type 1 or 6) in byte-to-unicode form
 * becomes its bytes; anything else is a special token, its text as it is. Returns the tokenizer with
 * its maps built, or NULL with err. */
static Tokenizer *bpe_tokens(const char *name, const GGUFValue *tokens, const GGUFValue *types, int pattern,
                             char *err) {
    int n = (int)tokens->count;
    VocabBuilder vb;
    Tokenizer *t = vocab_begin(&vb, n);
    size_t scratch_cap = 256;
    uint8_t *scratch = gb_malloc(scratch_cap);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        GGUFString s = tokens->strs[i];
        if (s.len == 0 || s.len > UINT32_MAX) {
            gb_seterr(err, "%s: tokenizer.ggml.tokens: token %d is %s", name, i, s.len ? "too long" : "empty");
            rc = -1;
            break;
        }
        int64_t type = types ? gguf_array_int(types, (uint64_t)i) : 1;
        if (s.len > scratch_cap) scratch = gb_realloc(scratch, scratch_cap = (size_t)s.len);
        long nb = (type == 1 || type == 6) ? b2u_decode((const uint8_t *)s.data, (size_t)s.len, scratch) : -1;
        if (nb > 0) {
            vocab_set(&vb, i, scratch, (size_t)nb, TOK_NORMAL);
        } else {
            vocab_set(&vb, i, (const uint8_t *)s.data, (size_t)s.len, TOK_SPECIAL);
            if (type == TT_UNKNOWN || type == TT_USER || type == TT_UNUSED) t->tok_type[i] = (uint8_t)type;
        }
    }
    free(scratch);
    char where[512];
    snprintf(where, sizeof where, "%s: tokenizer.ggml.tokens", name);
    if (rc || vocab_finish(t, where, pattern, err)) {
        tokenizer_free(t);
        return NULL;
    }
    return t;
}

/* The merge rules of a "gpt2" vocabulary, "LEFT RIGHT" in byte-to-unicode form, in rank order (merges
 * may be NULL: none). Returns 0, or -1 with err. */
static int bpe_merges(Tokenizer *t, const char *name, const GGUFValue *merges, char *err) {
    size_t n_merges = merges ? (size_t)merges->count : 0;
    vocab_begin_merges(t, n_merges);
    char where[512], shown[128];
    snprintf(where, sizeof where, "%s: tokenizer.ggml.merges", name);
    size_t scratch_cap = 256;
    uint8_t *scratch = gb_malloc(scratch_cap);
    int rc = 0;
    for (size_t m = 0; m < n_merges && rc == 0; m++) {
        GGUFString s = merges->strs[m];
        const char *sp = s.len ? memchr(s.data, ' ', (size_t)s.len) : NULL;
        if (s.len > scratch_cap) scratch = gb_realloc(scratch, scratch_cap = (size_t)s.len);
        int32_t ids[2] = {-1, -1};
        if (sp) {
            size_t la = (size_t)(sp - s.data), lb = (size_t)s.len - la - 1;
            long na = b2u_decode((const uint8_t *)s.data, la, scratch);
            ids[0] = na > 0 ? bytes_map_find(t, &t->normal, scratch, (size_t)na) : -1;
            long nb = b2u_decode((const uint8_t *)sp + 1, lb, scratch);
            ids[1] = nb > 0 ? bytes_map_find(t, &t->normal, scratch, (size_t)nb) : -1;
        }
        if (ids[0] < 0 || ids[1] < 0) {
            show_gguf_string(s, shown, sizeof shown);
            gb_seterr(err, "%s: merge %zu \"%s\": %s", where, m, shown,
                      !sp ? "not two tokens separated by a space" : "its parts are not both tokens");
            rc = -1;
        } else {
            rc = vocab_add_merge(t, where, ids[0], ids[1], err);
        }
    }
    free(scratch);
    return rc;
}

Tokenizer *tokenizer_from_gguf(const GGUFFile *f, char *err) {
    const char *name = f->path ? f->path : "GGUF";
    GGUFString model, pre = {NULL, 0};
    char shown[128];
    if (!gguf_get_string(f, "tokenizer.ggml.model", &model)) {
        gb_seterr(err, "%s: no tokenizer (tokenizer.ggml.model is missing)", name);
        return NULL;
    }
    if (gguf_string_eq(model, "llama")) return tokenizer_from_gguf_spm(f, err);
    if (!gguf_string_eq(model, "gpt2")) {
        show_gguf_string(model, shown, sizeof shown);
        gb_seterr(err,
                  "%s: tokenizer model tokenizer.ggml.model = \"%s\" is not supported (glassbox reads \"gpt2\", "
                  "byte-level BPE, and \"llama\", SentencePiece)",
                  name, shown);
        return NULL;
    }
    /* A file without tokenizer.ggml.pre: GPT-2's split, as glassbox's older files expect (llama.cpp
     * would use its "default"). */
    int pattern = PRETOK_GPT2, ignore_merges = 0;
    if (gguf_get_string(f, "tokenizer.ggml.pre", &pre)) {
        pattern = pretok_from_gguf_pre(pre.data, (size_t)pre.len, &ignore_merges);
        if (pattern < 0) {
            show_gguf_string(pre, shown, sizeof shown);
            gb_seterr(err, "%s: pre-tokenizer tokenizer.ggml.pre = \"%s\" is not supported (supported: %s)", name,
                      shown, pretok_supported_names());
            return NULL;
        }
    }
    const GGUFValue *tokens, *types, *merges;
    if (bpe_arrays(f, name, &tokens, &types, &merges, err)) return NULL;
    Tokenizer *t = bpe_tokens(name, tokens, types, pattern, err);
    if (!t) return NULL;
    int64_t bos = -1, eos = -1;
    gguf_get_int(f, "tokenizer.ggml.bos_token_id", &bos);
    gguf_get_int(f, "tokenizer.ggml.eos_token_id", &eos);
    if (vocab_set_bos_eos(t, name, bos, eos, err)) goto fail;
    read_flags(t, f, pre);
    t->whole_chunk = ignore_merges; /* llama.cpp's "ignore_merges" (llama-bpe) */
    if (bpe_merges(t, name, merges, err)) goto fail;
    return t;
fail:
    tokenizer_free(t);
    return NULL;
}

/* ---- GGUF writer ---- */

/* Merge rules of a rank-rule vocabulary: token r (length >= 2) is the merge of the two parts that the
 * rank rule leaves when only ranks below r may merge (tokens it cannot reach get no rule). */
static int32_t *derive_merges(const Tokenizer *t, size_t *n_out) {
    int32_t *m = gb_malloc(2 * (size_t)t->n_vocab * sizeof(int32_t));
    size_t n = 0;
    MergeWork w = {0};
    SpanList parts = {0};
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (t->tok_kind[id] != TOK_NORMAL || t->tok_len[id] < 2) continue;
        parts.n = 0;
        if (merge_chunk(t, &w, tok_bytes(t, id), t->tok_len[id], 0, 0, id, &parts, NULL) == 0 && parts.n == 2) {
            m[2 * n] = parts.v[0].id;
            m[2 * n + 1] = parts.v[1].id;
            n++;
        }
    }
    merge_work_free(&w);
    free(parts.v);
    *n_out = n;
    return m;
}

/* Appends the byte-to-unicode form of bytes to out (at least 2 * len bytes free); returns the length. */
static size_t b2u_encode(const uint8_t *bytes, size_t len, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const char *u = B2U[bytes[i]];
        size_t k = strlen(u);
        memcpy(out + o, u, k);
        o += k;
    }
    return o;
}

/* The keys every tokenizer writes besides its vocabulary. */
static void write_common(GGUFWriter *w, const Tokenizer *t) {
    if (t->bos >= 0) gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)t->bos);
    if (t->eos >= 0) gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)t->eos);
    if (t->no_bos_in_front) gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", false);
    if (t->add_eos) gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", true);
}

/* tokenizer.ggml.model "llama": the pieces as spelt, their scores and types. */
static void write_spm(GGUFWriter *w, const Tokenizer *t) {
    size_t n = (size_t)t->n_vocab;
    const char **strs = gb_malloc(n * sizeof(char *));
    size_t *lens = gb_malloc(n * sizeof(size_t));
    float *scores = gb_malloc(n * sizeof(float));
    int32_t *types = gb_malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        strs[i] = spm_text(t->spm, (int32_t)i, &lens[i]);
        scores[i] = spm_score(t->spm, (int32_t)i);
        types[i] = t->tok_type[i];
    }
    gguf_writer_set_string(w, "tokenizer.ggml.model", "llama");
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", strs, lens, n);
    gguf_writer_set_array_f32(w, "tokenizer.ggml.scores", scores, n);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, n);
    if (t->unk >= 0) gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", (uint32_t)t->unk);
    gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", t->add_space_prefix != 0);
    write_common(w, t);
    free(strs);
    free(lens);
    free(scores);
    free(types);
}

void tokenizer_add_to_writer(GGUFWriter *w, const Tokenizer *t) {
    if (t->spm) {
        write_spm(w, t);
        return;
    }
    size_t n = (size_t)t->n_vocab;
    char **strs = gb_malloc(n * sizeof(char *));
    size_t *lens = gb_malloc(n * sizeof(size_t));
    int32_t *types = gb_malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = tok_bytes(t, (int32_t)i);
        size_t len = t->tok_len[i];
        if (t->tok_kind[i] == TOK_NORMAL) {
            strs[i] = gb_malloc(2 * len + 1);
            lens[i] = b2u_encode(b, len, strs[i]);
            types[i] = 1;
        } else if (t->tok_kind[i] == TOK_SPECIAL) {
            strs[i] = gb_malloc(len + 1);
            memcpy(strs[i], b, len);
            lens[i] = len;
            types[i] = t->tok_type[i] ? t->tok_type[i] : TT_CONTROL;
        } else { /* an id no token uses: a placeholder, as llama.cpp's converter writes */
            strs[i] = gb_malloc(32);
            lens[i] = (size_t)snprintf(strs[i], 32, "[PAD%zu]", i);
            types[i] = 5;
        }
    }
    size_t n_merges = t->n_merges;
    int32_t *derived = NULL;
    const int32_t *ml = t->merge_list;
    if (t->rank_rule) ml = derived = derive_merges(t, &n_merges);
    char **mstrs = gb_malloc((n_merges ? n_merges : 1) * sizeof(char *));
    size_t *mlens = gb_malloc((n_merges ? n_merges : 1) * sizeof(size_t));
    for (size_t m = 0; m < n_merges; m++) {
        int32_t a = ml[2 * m], b = ml[2 * m + 1];
        mstrs[m] = gb_malloc(2 * (t->tok_len[a] + t->tok_len[b]) + 2);
        size_t o = b2u_encode(tok_bytes(t, a), t->tok_len[a], mstrs[m]);
        mstrs[m][o++] = ' ';
        o += b2u_encode(tok_bytes(t, b), t->tok_len[b], mstrs[m] + o);
        mlens[m] = o;
    }
    gguf_writer_set_string(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_set_string(w, "tokenizer.ggml.pre", t->pre_name[0] ? t->pre_name : pretok_gguf_name(t->pattern));
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", (const char *const *)strs, lens, n);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, n);
    gguf_writer_set_array_strings(w, "tokenizer.ggml.merges", (const char *const *)mstrs, mlens, n_merges);
    write_common(w, t);
    for (size_t i = 0; i < n; i++) free(strs[i]);
    for (size_t m = 0; m < n_merges; m++) free(mstrs[m]);
    free(strs);
    free(lens);
    free(types);
    free(mstrs);
    free(mlens);
    free(derived);
}
