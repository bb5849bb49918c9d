/* The tokenizer lab's core (see tokenlab.h). */
#include "tokenlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- the shipped vocabularies ---- */

static const char *const SHIPPED_NAMES[LAB_N_SHIPPED] = {"r50k_base", "cl100k_base", "o200k_base"};
static const char *const SHIPPED_LABELS[LAB_N_SHIPPED] = {"GPT-2 (r50k)", "GPT-4 (cl100k)", "GPT-4o (o200k)"};

const char *lab_shipped_name(int i) { return i >= 0 && i < LAB_N_SHIPPED ? SHIPPED_NAMES[i] : "?"; }
const char *lab_shipped_label(int i) { return i >= 0 && i < LAB_N_SHIPPED ? SHIPPED_LABELS[i] : "?"; }

const Tokenizer *lab_vocab(LabVocabs *v, int i, char *err) {
    if (i < 0 || i >= LAB_N_SHIPPED) {
        gb_seterr(err, "no shipped vocabulary number %d", i);
        return NULL;
    }
    if (!v->tok[i]) v->tok[i] = tokenizer_open_named(SHIPPED_NAMES[i], err);
    return v->tok[i];
}

void lab_vocabs_free(LabVocabs *v) {
    for (int i = 0; i < LAB_N_SHIPPED; i++) tokenizer_free(v->tok[i]);
    memset(v, 0, sizeof *v);
}

/* ---- identifiers ---- */

static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
/* Lower-case for word splitting: ASCII lower-case letters and every byte of a non-ASCII character. */
static int is_lower(unsigned char c) { return (c >= 'a' && c <= 'z') || c >= 0x80; }
static int is_word_byte(unsigned char c) { return is_upper(c) || is_lower(c) || is_digit(c); }
static int is_vowel(unsigned char c) {
    c = (unsigned char)(c | 0x20);
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}
static char lower(char c) { return is_upper((unsigned char)c) ? (char)(c + 32) : c; }
static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

int lab_split_words(const char *s, size_t len, LabSpan *words, int max) {
    const unsigned char *u = (const unsigned char *)s;
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && !is_word_byte(u[i])) i++; /* separators */
        if (i >= len) break;
        size_t start = i++;
        for (; i < len && is_word_byte(u[i]); i++) {
            unsigned char prev = u[i - 1], cur = u[i];
            int boundary = (is_lower(prev) && is_upper(cur)) || (is_digit(prev) && is_upper(cur)) ||
                           (is_upper(prev) && is_upper(cur) && i + 1 < len && is_lower(u[i + 1]) && u[i + 1] < 0x80);
            if (boundary) {
                if (n < max) words[n] = (LabSpan){(uint32_t)start, (uint32_t)i};
                n++;
                start = i;
            }
        }
        if (n < max) words[n] = (LabSpan){(uint32_t)start, (uint32_t)i};
        n++;
    }
    return n;
}

static const char *const STYLE_NAMES[STYLE_COUNT] = {
    "snake_case", "camelCase", "PascalCase", "SCREAMING_SNAKE_CASE", "kebab-case", "abbrev (4 letters)",
    "abbrev (no vowels)"};

const char *lab_style_name(int style) { return style >= 0 && style < STYLE_COUNT ? STYLE_NAMES[style] : "?"; }
int lab_style_valid_python(int style) { return style != STYLE_KEBAB; }

size_t lab_abbreviate(const char *w, size_t n, int style, char *out) {
    size_t o = 0;
    if (style == STYLE_ABBREV_PREFIX) {
        size_t letters = 0;
        for (size_t i = 0; i < n; i++) letters += !is_digit((unsigned char)w[i]);
        if (letters <= 4) {
            for (size_t i = 0; i < n; i++) out[o++] = lower(w[i]);
        } else {
            size_t kept = 0, last_letter = 0;
            for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)w[i];
                if (is_digit(c)) { /* digits survive the cut */
                    out[o++] = (char)c;
                    continue;
                }
                if (kept == 4) continue;
                last_letter = o;
                out[o++] = lower((char)c);
                kept++;
            }
            if (kept == 4 && is_vowel((unsigned char)out[last_letter]) && (o == last_letter + 1)) o--;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            char c = lower(w[i]);
            if (i > 0 && is_vowel((unsigned char)c)) continue;
            if (o > 0 && out[o - 1] == c && !is_digit((unsigned char)c)) continue; /* message: msg */
            out[o++] = c;
        }
    }
    out[o] = 0;
    return o;
}

/* Appends the words of s in a style to out (room: 2 * len + 1); returns the length written. */
static size_t style_words(const char *s, const LabSpan *w, int n, int style, char *out) {
    size_t o = 0;
    for (int k = 0; k < n; k++) {
        const char *p = s + w[k].start;
        size_t wl = w[k].end - w[k].start;
        if (k > 0) {
            if (style == STYLE_KEBAB) out[o++] = '-';
            else if (style != STYLE_CAMEL && style != STYLE_PASCAL) out[o++] = '_';
        }
        if (style == STYLE_ABBREV_PREFIX || style == STYLE_ABBREV_VOWELS) {
            o += lab_abbreviate(p, wl, style, out + o);
            continue;
        }
        for (size_t i = 0; i < wl; i++) {
            char c = p[i];
            int cap = style == STYLE_SCREAMING || (i == 0 && (style == STYLE_PASCAL || (style == STYLE_CAMEL && k > 0)));
            out[o++] = cap ? upper(c) : lower(c);
        }
    }
    return o;
}

/* Restyles the identifier s[0..n) (its leading and trailing underscores kept) into out; force: even a
 * one-word identifier. Returns the length written. */
static size_t restyle_identifier(const char *s, size_t n, int style, int force, char *out) {
    size_t lead = 0, trail = 0;
    while (lead < n && s[lead] == '_') lead++;
    while (trail < n - lead && s[n - 1 - trail] == '_') trail++;
    LabSpan words[64];
    int nw = lab_split_words(s + lead, n - lead - trail, words, 64);
    if (nw == 0 || nw > 64 || (nw < 2 && !force)) {
        memcpy(out, s, n);
        return n;
    }
    memcpy(out, s, lead);
    size_t o = lead + style_words(s + lead, words, nw, style, out + lead);
    memcpy(out + o, s + n - trail, trail);
    return o + trail;
}

char *lab_restyle(const char *text, size_t len, int style, size_t *out_len) {
    char *out = gb_malloc(2 * len + 1);
    size_t a = 0, b = len;
    while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\n' || text[a] == '\r')) a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\n' || text[b - 1] == '\r')) b--;
    int lone = a < b;
    for (size_t i = a; i < b && lone; i++) {
        unsigned char c = (unsigned char)text[i];
        lone = is_word_byte(c) || c == '_' || c == '-';
    }
    size_t o = 0;
    if (lone) {
        o = restyle_identifier(text + a, b - a, style, 1, out);
    } else {
        /* a line of code: identifiers are [A-Za-z_][A-Za-z0-9_]* (and non-ASCII letters) */
        const unsigned char *u = (const unsigned char *)text;
        size_t i = 0;
        while (i < len) {
            if (is_upper(u[i]) || is_lower(u[i]) || u[i] == '_') {
                size_t j = i;
                while (j < len && (is_word_byte(u[j]) || u[j] == '_')) j++;
                o += restyle_identifier(text + i, j - i, style, 0, out + o);
                i = j;
            } else if (is_digit(u[i])) { /* a number, with any letters glued to it (0x1F, 1e5) */
                while (i < len && (is_word_byte(u[i]) || u[i] == '_')) out[o++] = text[i++];
            } else {
                out[o++] = text[i++];
            }
        }
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

/* ---- the merge replay ---- */

typedef struct {
    LabChunk *v;
    int n, cap;
    const Tokenizer *t;
    const char *text;
    char *err;
} ChunkList;

/* Replays one chunk into c (bytes_ids and merges allocated here). */
static int replay_chunk(const Tokenizer *t, const unsigned char *p, int n, LabChunk *c, char *err) {
    c->n_bytes = n;
    c->bytes_ids = gb_malloc((size_t)n * sizeof(int32_t));
    c->merges = gb_malloc((size_t)n * sizeof(LabMerge)); /* n - 1 merges at most, plus a whole step */
    c->n_merges = 0;
    for (int i = 0; i < n; i++) {
        int32_t id = tokenizer_find(t, (const char *)p + i, 1);
        if (id < 0 || tokenizer_is_special(t, id)) {
            gb_seterr(err, "byte 0x%02X at offset %u has no token in the vocabulary", p[i], c->start + (unsigned)i);
            return -1;
        }
        c->bytes_ids[i] = id;
    }
    int32_t *parts = gb_malloc((size_t)n * sizeof(int32_t));
    memcpy(parts, c->bytes_ids, (size_t)n * sizeof(int32_t));
    int np = n;
    int32_t whole = -1;
    if (tokenizer_takes_whole_chunks(t)) {
        whole = tokenizer_find(t, (const char *)p, (size_t)n);
        if (whole >= 0 && tokenizer_is_special(t, whole)) whole = -1;
    }
    for (;;) {
        int best = -1;
        int32_t best_rank = -1, best_result = -1;
        for (int i = 0; i + 1 < np; i++) {
            int32_t result;
            int32_t r = tokenizer_pair_rank(t, parts[i], parts[i + 1], &result);
            if (r >= 0 && (best_rank < 0 || r < best_rank)) best = i, best_rank = r, best_result = result;
        }
        if (best < 0) break;
        c->merges[c->n_merges++] = (LabMerge){best_rank, parts[best], parts[best + 1], best_result, best};
        parts[best] = best_result;
        memmove(parts + best + 1, parts + best + 2, (size_t)(np - best - 2) * sizeof(int32_t));
        np--;
    }
    if (whole >= 0 && !(np == 1 && parts[0] == whole))
        c->merges[c->n_merges++] = (LabMerge){LAB_WHOLE_CHUNK, -1, -1, whole, 0};
    free(parts);
    return 0;
}

static int replay_chunk_cb(void *ctx, size_t start, size_t end) {
    ChunkList *l = ctx;
    if (end - start > LAB_REPLAY_MAX_CHUNK) {
        gb_seterr(l->err, "a chunk of %zu bytes at offset %zu is too long to replay merge by merge (limit %d)",
                  end - start, start, LAB_REPLAY_MAX_CHUNK);
        return 1;
    }
    if (l->n == l->cap) l->v = gb_realloc(l->v, (size_t)(l->cap = l->cap ? 2 * l->cap : 16) * sizeof(LabChunk));
    LabChunk *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    c->start = (uint32_t)start;
    c->end = (uint32_t)end;
    return replay_chunk(l->t, (const unsigned char *)l->text + start, (int)(end - start), c, l->err) ? 1 : 0;
}

int lab_replay(const Tokenizer *t, const char *text, size_t len, LabReplay *out, char *err) {
    memset(out, 0, sizeof *out);
    if (len > INT32_MAX) {
        gb_seterr(err, "text too long");
        return -1;
    }
    if (tokenizer_is_sentencepiece(t)) { /* its merges go by the pieces' scores, not by merge rules */
        gb_seterr(err, "the merge replay is for byte-level BPE; this tokenizer is SentencePiece");
        return -1;
    }
    char perr[GB_ERRLEN] = "";
    Pretokenizer *pre = pretok_new(tokenizer_pattern(t), err);
    if (!pre) return -1;
    ChunkList l = {.t = t, .text = text, .err = perr};
    int rc = pretok_each(pre, text, len, replay_chunk_cb, &l, err);
    pretok_free(pre);
    out->chunks = l.v;
    out->n_chunks = l.n;
    if (rc) {
        if (perr[0]) gb_seterr(err, "%s", perr);
        lab_replay_free(out);
        return -1;
    }
    for (int i = 0; i < l.n; i++) out->total_merges += l.v[i].n_merges;
    return 0;
}

void lab_replay_free(LabReplay *r) {
    for (int i = 0; i < r->n_chunks; i++) {
        free(r->chunks[i].bytes_ids);
        free(r->chunks[i].merges);
    }
    free(r->chunks);
    memset(r, 0, sizeof *r);
}

int lab_replay_state(const LabReplay *r, int c, int k, int32_t *ids, uint32_t *starts) {
    const LabChunk *ch = &r->chunks[c];
    int np = ch->n_bytes;
    for (int i = 0; i < np; i++) {
        ids[i] = ch->bytes_ids[i];
        starts[i] = (uint32_t)i;
    }
    if (k > ch->n_merges) k = ch->n_merges;
    for (int m = 0; m < k; m++) {
        const LabMerge *mg = &ch->merges[m];
        if (mg->rank == LAB_WHOLE_CHUNK) {
            ids[0] = mg->result;
            starts[0] = 0;
            np = 1;
            continue;
        }
        int at = mg->at;
        ids[at] = mg->result;
        memmove(ids + at + 1, ids + at + 2, (size_t)(np - at - 2) * sizeof(int32_t));
        memmove(starts + at + 1, starts + at + 2, (size_t)(np - at - 2) * sizeof(uint32_t));
        np--;
    }
    starts[np] = (uint32_t)ch->n_bytes;
    return np;
}

/* ---- a file's cost ---- */

int lab_line_costs(const Tokenizer *t, const char *text, size_t len, LabLineCost **lines, int *n_lines,
                   int *n_tokens, char *err) {
    *lines = NULL;
    *n_lines = 0;
    *n_tokens = 0;
    TokenSpan *spans = NULL;
    int n = tokenizer_encode(t, text, len, &spans, err);
    if (n < 0) return -1;
    /* the lines: a final line without a newline counts; an empty text has none */
    int nl = 0;
    for (size_t i = 0; i < len; i++) nl += text[i] == '\n';
    if (len > 0 && text[len - 1] != '\n') nl++;
    LabLineCost *L = gb_calloc((size_t)(nl ? nl : 1), sizeof *L);
    size_t pos = 0;
    for (int k = 0; k < nl; k++) {
        size_t e = pos;
        while (e < len && text[e] != '\n') e++;
        L[k] = (LabLineCost){k + 1, (uint32_t)pos, (uint32_t)e, 0, 0};
        pos = e + 1;
    }
    int line = 0, indent_line = -1;
    uint32_t indent_end = 0;
    for (int i = 0; i < n; i++) {
        uint32_t last = spans[i].end - 1; /* the byte that decides the token's line */
        while (line + 1 < nl && last > L[line].end) line++; /* L[line].end is its newline's offset */
        LabLineCost *lc = &L[line];
        lc->tokens++;
        /* the end of the line's leading blanks, found once per line: scanning it again for every token
         * made a long blank line quadratic (100 KB of spaces: 4.5 s) */
        if (indent_line != line) {
            indent_line = line;
            indent_end = lc->start;
            while (indent_end < lc->end && (text[indent_end] == ' ' || text[indent_end] == '\t')) indent_end++;
        }
        /* wholly inside the leading blanks (the newline before them may belong to the token too) */
        if (indent_end > lc->start && spans[i].end <= indent_end && last >= lc->start) lc->indent_tokens++;
    }
    free(spans);
    *lines = L;
    *n_lines = nl;
    *n_tokens = n;
    return 0;
}

static int cmp_cost(const void *a, const void *b) {
    const LabLineCost *x = a, *y = b;
    if (x->tokens != y->tokens) return x->tokens > y->tokens ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

void lab_sort_costliest(LabLineCost *lines, int n) {
    if (n > 1) qsort(lines, (size_t)n, sizeof *lines, cmp_cost);
}
