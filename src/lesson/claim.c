#include "claim.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "util.h"

/* Arguments: v an optional vocabulary name, s a string ("quoted", a bare word or {input}), i an integer. */
static const struct {
    const char *name;
    MeasureKind kind;
    const char *args;
    int text;    /* the measure is text, not a number */
    int percent; /* a probability: shown as a percentage */
} MEASURES[] = {
    {"tokens", MEASURE_TOKENS, "vs", 0, 0},           {"chars", MEASURE_CHARS, "s", 0, 0},
    {"prob", MEASURE_PROB, "s", 0, 1},                {"prob-t1", MEASURE_PROB_T1, "s", 0, 1},
    {"rank", MEASURE_RANK, "s", 0, 0},                {"top", MEASURE_TOP, "", 1, 0},
    {"top-prob", MEASURE_TOP_PROB, "", 0, 1},         {"top-prob-t1", MEASURE_TOP_PROB_T1, "", 0, 1},
    {"entropy", MEASURE_ENTROPY, "", 0, 0},           {"entropy-t1", MEASURE_ENTROPY_T1, "", 0, 0},
    {"kept", MEASURE_KEPT, "", 0, 0},                 {"attn", MEASURE_ATTN, "isii", 0, 0},
    {"attn-view", MEASURE_ATTN_VIEW, "is", 0, 0},    {"best-attn", MEASURE_BEST_ATTN, "is", 0, 0},     {"best-head", MEASURE_BEST_HEAD, "isi", 0, 0},
    {"best-layer", MEASURE_BEST_LAYER, "is", 0, 0},   {"neighbour-rank", MEASURE_NEIGHBOUR_RANK, "ss", 0, 0},
    {"similarity", MEASURE_SIMILARITY, "ss", 0, 0},   {"bits", MEASURE_BITS, "s", 0, 0},
    {"greedy", MEASURE_GREEDY, "i", 1, 0},            {"written", MEASURE_WRITTEN, "", 1, 0},
};
enum { N_MEASURES = sizeof MEASURES / sizeof MEASURES[0] };

static const char *const OPS[] = {"==", "!=", "<", "<=", ">", ">=", "contains", "lacks"};

static int measure_index(MeasureKind k) {
    for (int i = 0; i < N_MEASURES; i++)
        if (MEASURES[i].kind == k) return i;
    return -1;
}

static int is_text(const Measure *m) {
    if (m->kind == MEASURE_STRING) return 1;
    if (m->kind == MEASURE_NUMBER) return 0;
    return MEASURES[measure_index(m->kind)].text;
}

/* ---- parsing ---- */

typedef struct {
    const char *s, *end;
    char *err;
} Lexer;

static void skip_blank(Lexer *x) {
    while (x->s < x->end && (*x->s == ' ' || *x->s == '\t')) x->s++;
}

/* A "quoted" string with the command language's escapes, or a bare word up to the next blank. */
static int read_string(Lexer *x, char **out, size_t *len, int *quoted) {
    skip_blank(x);
    if (x->s >= x->end) {
        gb_seterr(x->err, "missing a value at the end");
        return -1;
    }
    *quoted = *x->s == '"';
    if (!*quoted) {
        const char *w = x->s;
        while (x->s < x->end && *x->s != ' ' && *x->s != '\t') x->s++;
        *len = (size_t)(x->s - w);
        *out = gb_malloc(*len + 1);
        memcpy(*out, w, *len);
        (*out)[*len] = 0;
        return 0;
    }
    return gb_read_quoted(&x->s, x->end, out, len, x->err);
}

/* The next blank-delimited word, without consuming it. */
static size_t peek_word(Lexer *x, const char **w) {
    skip_blank(x);
    *w = x->s;
    const char *e = x->s;
    while (e < x->end && *e != ' ' && *e != '\t') e++;
    return (size_t)(e - x->s);
}

static int word_is(const char *w, size_t n, const char *lit) { return strlen(lit) == n && memcmp(w, lit, n) == 0; }

/* A number, `40%` meaning 0.4. Returns 0 and consumes it, or -1 and consumes nothing. */
static int read_number(Lexer *x, double *v, int *percent) {
    const char *w;
    size_t n = peek_word(x, &w);
    char buf[64];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, w, n);
    buf[n] = 0;
    *percent = buf[n - 1] == '%';
    if (*percent) buf[n - 1] = 0;
    char *e;
    errno = 0;
    double d = strtod(buf, &e);
    if (e == buf || *e || errno || !isfinite(d)) return -1;
    *v = *percent ? d / 100.0 : d;
    x->s = w + n;
    return 0;
}

static int read_int(Lexer *x, int *out, const char *what) {
    double v;
    int pct;
    if (read_number(x, &v, &pct) != 0 || pct || v != floor(v) || fabs(v) > 1e6) {
        gb_seterr(x->err, "%s: expected a whole number", what);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static const struct {
    const char *name;
    int vocab;
} VOCABS[] = {{"model", CLAIM_VOCAB_MODEL}, {"gpt2", LAB_R50K},     {"r50k", LAB_R50K},
              {"cl100k", LAB_CL100K},      {"o200k", LAB_O200K}};

static int parse_measure(Lexer *x, Measure *m) {
    memset(m, 0, sizeof *m);
    m->vocab = CLAIM_VOCAB_MODEL;
    const char *w;
    size_t n = peek_word(x, &w);
    int k = -1;
    for (int i = 0; i < N_MEASURES; i++)
        if (word_is(w, n, MEASURES[i].name)) k = i;
    if (k < 0) {
        gb_seterr(x->err, "unknown measure '%.*s' (tokens, chars, prob, prob-t1, rank, top, top-prob, top-prob-t1, "
                          "entropy, entropy-t1, kept, attn, attn-view, best-attn, best-head, best-layer, neighbour-rank, "
                          "similarity, bits, greedy, written)", (int)(n > 40 ? 40 : n), w);
        return -1;
    }
    x->s = w + n;
    m->kind = MEASURES[k].kind;
    m->percent = MEASURES[k].percent;
    int ns = 0, ni = 0;
    for (const char *a = MEASURES[k].args; *a; a++) {
        if (*a == 'v') {
            n = peek_word(x, &w);
            for (size_t i = 0; i < sizeof VOCABS / sizeof VOCABS[0]; i++)
                if (word_is(w, n, VOCABS[i].name)) m->vocab = VOCABS[i].vocab, x->s = w + n;
        } else if (*a == 'i') {
            if (read_int(x, &m->num[ni++], MEASURES[k].name) != 0) return -1;
        } else {
            int quoted;
            if (read_string(x, &m->str[ns], &m->len[ns], &quoted) != 0) return -1;
            m->input[ns] = !quoted && word_is(m->str[ns], m->len[ns], "{input}");
            m->quoted[ns] = quoted;
            for (int o = 0; o < 8 && !quoted; o++)
                if (word_is(m->str[ns], m->len[ns], OPS[o])) {
                    gb_seterr(x->err, "%s: missing its text before '%s'", MEASURES[k].name, OPS[o]);
                    return -1;
                }
            ns++;
        }
    }
    return 0;
}

static void measure_free(Measure *m) {
    free(m->str[0]);
    free(m->str[1]);
    m->str[0] = m->str[1] = NULL;
}

void claim_free(Claim *c) {
    measure_free(&c->lhs);
    measure_free(&c->rhs);
    free(c->source);
    c->source = NULL;
}

int claim_parse(Claim *c, const char *s, size_t n, char *err) {
    memset(c, 0, sizeof *c);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    Lexer x = {s, s + n, err};
    skip_blank(&x);
    c->source = gb_malloc((size_t)(x.end - x.s) + 1);
    memcpy(c->source, x.s, (size_t)(x.end - x.s));
    c->source[x.end - x.s] = 0;
    if (parse_measure(&x, &c->lhs) != 0) goto bad;
    const char *w;
    size_t wl = peek_word(&x, &w);
    int op = -1;
    for (int i = 0; i < 8; i++)
        if (word_is(w, wl, OPS[i])) op = i;
    if (op < 0) {
        gb_seterr(err, "expected a comparison (== != < <= > >= contains lacks) after the measure, not '%.*s'",
                  (int)(wl > 20 ? 20 : wl), w);
        goto bad;
    }
    c->op = (ClaimOp)op;
    x.s = w + wl;
    skip_blank(&x);
    int pct;
    if (x.s < x.end && *x.s == '"') {
        int quoted;
        c->rhs.kind = MEASURE_STRING;
        if (read_string(&x, &c->rhs.str[0], &c->rhs.len[0], &quoted) != 0) goto bad;
    } else if (read_number(&x, &c->rhs.value, &pct) == 0) {
        c->rhs.kind = MEASURE_NUMBER;
        c->rhs.percent = pct || c->lhs.percent;
    } else if (x.s >= x.end) {
        gb_seterr(err, "missing the value to compare with");
        goto bad;
    } else if (parse_measure(&x, &c->rhs) != 0) {
        goto bad;
    }
    skip_blank(&x);
    if (x.s != x.end) {
        gb_seterr(err, "unexpected text '%.20s' after the claim", x.s);
        goto bad;
    }
    int lt = is_text(&c->lhs), rt = is_text(&c->rhs);
    int text_op = c->op == CLAIM_CONTAINS || c->op == CLAIM_LACKS;
    if (lt != rt || (text_op && !lt) || (lt && !text_op && c->op != CLAIM_EQ && c->op != CLAIM_NE)) {
        gb_seterr(err, "%s compares %s with %s (numbers take == != < <= > >=, text takes == != contains lacks)",
                  OPS[c->op], lt ? "text" : "a number", rt ? "text" : "a number");
        goto bad;
    }
    return 0;
bad:
    claim_free(c);
    return -1;
}

int claim_uses_input(const Claim *c) {
    return c->lhs.input[0] || c->lhs.input[1] || c->rhs.input[0] || c->rhs.input[1];
}

/* ---- measuring ---- */

void claim_value_free(ClaimValue *v) {
    free(v->text);
    v->text = NULL;
}

static void set_text(ClaimValue *v, const char *b, size_t n) {
    v->is_text = 1;
    v->text = gb_malloc(n + 1);
    if (n) memcpy(v->text, b, n);
    v->text[n] = 0;
    v->len = n;
}

static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t n) {
    if (n == 0) return hay;
    for (size_t i = 0; i + n <= hn; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) return hay + i;
    return NULL;
}

static const char *measure_name(MeasureKind k) {
    int i = measure_index(k);
    return i >= 0 ? MEASURES[i].name : "value";
}

/* A string argument: the student's input for {input}. */
static void arg(const Measure *m, int i, const char *input, const char **s, size_t *n) {
    if (m->input[i]) {
        *s = input ? input : "";
        *n = strlen(*s);
    } else {
        *s = m->str[i];
        *n = m->len[i];
    }
}

/* A token argument: its exact bytes, or a bare #ID (special tokens such as the end-of-text one have no
 * text to write). */
static int32_t one_token(Session *s, const Measure *m, int i, const char *input, char *err) {
    const char *t;
    size_t n;
    arg(m, i, input, &t, &n);
    if (!m->input[i] && !m->quoted[i] && n == 4 && memcmp(t, "#eos", 4) == 0) { /* whatever the model's id */
        int32_t eos = tokenizer_eos(s->tok);
        if (eos < 0) gb_seterr(err, "%s: the vocabulary has no end-of-text token", measure_name(m->kind));
        return eos;
    }
    if (!m->input[i] && !m->quoted[i] && n >= 2 && t[0] == '#') {
        char *e;
        long id = strtol(t + 1, &e, 10);
        return session_find_token(s, NULL, 0, 1, *e || id < 0 || id > INT32_MAX ? -1 : (int32_t)id,
                                  measure_name(m->kind), err);
    }
    return session_find_token(s, t, n, 0, -1, measure_name(m->kind), err);
}

static int need_next(Session *s, const Measure *m, char *err) {
    if (s->has_next) return 0;
    gb_seterr(err, "%s: the scene has no text to predict from", measure_name(m->kind));
    return -1;
}

/* The query token (num[0], negative from the end) and the key token holding the first byte of str[0]. */
static int attn_pair(Session *s, const Measure *m, const char *input, int *q, int *key, char *err) {
    const char *what = measure_name(m->kind);
    *q = m->num[0] < 0 ? s->n_tokens + m->num[0] : m->num[0];
    if (*q < 0 || *q >= s->n_tokens) {
        gb_seterr(err, "%s: no token %d (the scene has %d)", what, m->num[0], s->n_tokens);
        return -1;
    }
    const char *t;
    size_t n;
    arg(m, 0, input, &t, &n);
    if (!m->input[0] && m->quoted[0] == 0 && n >= 2 && t[0] == '#') { /* #K: token K itself (the BOS has no text) */
        char *e;
        long k = strtol(t + 1, &e, 10);
        *key = (int)(k < 0 ? s->n_tokens + k : k);
        if (*e || *key < 0 || *key > *q) {
            gb_seterr(err, "%s: no token %s at or before token %d", what, t, *q);
            return -1;
        }
        return 0;
    }
    const char *hit = n ? find_bytes(s->text, s->text_len, t, n) : NULL;
    if (!hit) {
        gb_seterr(err, "%s: '%.60s' does not occur in the scene's text", what, t);
        return -1;
    }
    uint32_t off = (uint32_t)(hit - s->text);
    *key = -1;
    for (int k = 0; k < s->n_tokens && *key < 0; k++)
        if (s->tokens[k].end > s->tokens[k].start && s->tokens[k].start <= off && off < s->tokens[k].end) *key = k;
    if (*key < 0 || *key > *q) {
        gb_seterr(err, "%s: '%.60s' is not at or before token %d", what, t, *q);
        return -1;
    }
    return 0;
}

static int measure_attention(const Measure *m, Session *s, const char *input, ClaimValue *v, char *err) {
    int q, key;
    if (attn_pair(s, m, input, &q, &key, err) != 0) return -1;
    const Config *c = &s->model.config;
    if (m->kind == MEASURE_ATTN || m->kind == MEASURE_ATTN_VIEW) {
        int layer = m->kind == MEASURE_ATTN ? m->num[1] : s->layer, head = m->kind == MEASURE_ATTN ? m->num[2] : s->head;
        if (layer < 0 || layer >= c->n_layers || head < 0 || head >= c->n_heads) {
            gb_seterr(err, "attn: no layer %d head %d (the model has %d layers of %d heads)", layer, head,
                      c->n_layers, c->n_heads);
            return -1;
        }
        const float *row = session_attention_row(s, layer, head, q);
        if (!row) goto no_probes;
        v->num = row[key];
        return 0;
    }
    int l0 = 0, l1 = c->n_layers;
    if (m->kind == MEASURE_BEST_HEAD) {
        if (m->num[1] < 0 || m->num[1] >= c->n_layers) {
            gb_seterr(err, "best-head: no layer %d (the model has %d)", m->num[1], c->n_layers);
            return -1;
        }
        l0 = m->num[1], l1 = l0 + 1;
    }
    float best = -1;
    int bl = 0, bh = 0;
    for (int l = l0; l < l1; l++)
        for (int h = 0; h < c->n_heads; h++) {
            const float *row = session_attention_row(s, l, h, q);
            if (!row) goto no_probes;
            if (row[key] > best) best = row[key], bl = l, bh = h;
        }
    v->num = m->kind == MEASURE_BEST_ATTN ? best : m->kind == MEASURE_BEST_HEAD ? bh : bl;
    return 0;
no_probes:
    gb_seterr(err, "%s: the model keeps no attention weights", measure_name(m->kind));
    return -1;
}

static double cosine(const float *a, const float *b, int n) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

/* Similarity, or OTHER's rank among TOKEN's neighbours: 1 + the tokens (TOKEN itself excluded) more
 * similar to TOKEN than OTHER is, the order the neighbours view lists them in. */
static int measure_neighbour(const Measure *m, Session *s, const char *input, ClaimValue *v, char *err) {
    int32_t a = one_token(s, m, 0, input, err), b = a < 0 ? -1 : one_token(s, m, 1, input, err);
    if (a < 0 || b < 0) return -1;
    const int dim = s->model.config.dim, vocab = s->model.config.vocab_size;
    float *ea = gb_malloc(2 * (size_t)dim * sizeof(float)), *et = ea + dim; /* (2, dim) dequantised rows */
    model_embedding(&s->model, a, ea);
    model_embedding(&s->model, b, et);
    double sim = cosine(ea, et, dim);
    int rank = 1;
    if (m->kind == MEASURE_SIMILARITY) {
        v->num = sim;
    } else if (a == b) {
        v->num = vocab + 1;
    } else {
        for (int32_t t = 0; t < vocab; t++) {
            if (t == a || t == b) continue;
            model_embedding(&s->model, t, et);
            if (cosine(ea, et, dim) > sim) rank++;
        }
        v->num = rank;
    }
    free(ea);
    return 0;
}

static int32_t *scene_ids(const Session *s) {
    int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)(s->n_tokens ? s->n_tokens : 1));
    for (int i = 0; i < s->n_tokens; i++) ids[i] = s->tokens[i].id;
    return ids;
}

/* Bits of TEXT teacher-forced after the scene's prompt, as `score` feeds it (the generated tokens do not
 * count, so a claim reads the same before and after a `score`). The prompt is run again from position
 * 0 with the same inputs; positions after it are scratch and the scene's own are left as they were. */
static int measure_bits(const Measure *m, Session *s, const char *input, ClaimValue *v, char *err) {
    if (s->n_prompt < 1) {
        gb_seterr(err, "bits: the scene has no prompt to continue");
        return -1;
    }
    const char *t;
    size_t n;
    arg(m, 0, input, &t, &n);
    TokenSpan *spans = NULL;
    int nt = tokenizer_encode(s->tok, t, n, &spans, err);
    if (nt <= 0) {
        if (nt == 0) gb_seterr(err, "bits: the text is empty");
        free(spans);
        return -1;
    }
    if (s->n_prompt + nt > s->model.config.seq_len) {
        free(spans);
        gb_seterr(err, "bits: the scene and the text do not fit in the context");
        return -1;
    }
    int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)nt), *prefix = scene_ids(s);
    for (int k = 0; k < nt; k++) ids[k] = spans[k].id;
    free(spans);
    ScoreResult r;
    int rc = score_tokens(&r, &s->model, prefix, s->n_prompt, ids, nt, err);
    free(ids);
    free(prefix);
    if (rc != 0) return -1;
    v->num = r.total_bits;
    score_free(&r);
    return 0;
}

static int32_t argmax(const float *logits, int n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

/* N tokens of greedy generation after the scene, written into positions past it (scratch: the scene's
 * own positions, its cache and its probes are untouched). */
static int measure_greedy(const Measure *m, Session *s, ClaimValue *v, char *err) {
    if (need_next(s, m, err) != 0) return -1;
    if (m->num[0] < 1 || m->num[0] > 64) {
        gb_seterr(err, "greedy: N must be 1 to 64");
        return -1;
    }
    int vocab = s->model.config.vocab_size, eos = tokenizer_eos(s->tok);
    char *out = NULL;
    size_t len = 0;
    int32_t tok = argmax(s->next.logits, vocab);
    for (int i = 0; i < m->num[0]; i++) {
        if (tok == eos) break;
        size_t n = 0;
        const char *b = tokenizer_token_bytes(s->tok, tok, &n);
        out = gb_realloc(out, len + n + 1);
        if (n) memcpy(out + len, b, n);
        len += n;
        int pos = s->n_tokens + i;
        if (i + 1 == m->num[0] || pos >= s->model.config.seq_len) break;
        const float *logits = model_forward(&s->model, tok, pos);
        if (!logits) break;
        tok = argmax(logits, vocab);
    }
    set_text(v, out ? out : "", len);
    free(out);
    return 0;
}

static int measure_tokens(const Measure *m, Session *s, LabVocabs *vocabs, const char *input, ClaimValue *v, char *err) {
    const char *t;
    size_t n;
    arg(m, 0, input, &t, &n);
    if (m->kind == MEASURE_CHARS) {
        int count = 0;
        for (size_t i = 0; i < n; i++) count += ((unsigned char)t[i] & 0xc0) != 0x80;
        v->num = count;
        return 0;
    }
    const Tokenizer *tok = s->tok;
    if (m->vocab != CLAIM_VOCAB_MODEL && !(tok = lab_vocab(vocabs, m->vocab, err))) return -1;
    TokenSpan *spans = NULL;
    int count = tokenizer_encode(tok, t, n, &spans, err);
    free(spans);
    if (count < 0) return -1;
    v->num = count;
    return 0;
}

static int measure_next(const Measure *m, Session *s, const char *input, ClaimValue *v, char *err) {
    if (need_next(s, m, err) != 0) return -1;
    const Distribution *d = &s->next;
    int32_t id = d->order[0];
    if (m->kind == MEASURE_PROB || m->kind == MEASURE_PROB_T1 || m->kind == MEASURE_RANK) {
        if ((id = one_token(s, m, 0, input, err)) < 0) return -1;
    }
    switch (m->kind) {
    case MEASURE_PROB: case MEASURE_TOP_PROB: v->num = d->probs[id]; return 0;
    case MEASURE_PROB_T1: case MEASURE_TOP_PROB_T1: v->num = d->probs_t1[id]; return 0;
    case MEASURE_RANK: v->num = score_rank(d, id); return 0;
    case MEASURE_ENTROPY: v->num = d->entropy; return 0;
    case MEASURE_ENTROPY_T1: v->num = d->entropy_t1; return 0;
    case MEASURE_KEPT: v->num = d->n_kept; return 0;
    default: {
        size_t n = 0;
        const char *b = tokenizer_token_bytes(s->tok, id, &n);
        set_text(v, b ? b : "", b ? n : 0);
        return 0;
    }
    }
}

int claim_measure(const Measure *m, Session *s, LabVocabs *vocabs, const char *input, ClaimValue *v, char *err) {
    memset(v, 0, sizeof *v);
    switch (m->kind) {
    case MEASURE_NUMBER: v->num = m->value; return 0;
    case MEASURE_STRING: set_text(v, m->str[0], m->len[0]); return 0;
    case MEASURE_TOKENS: case MEASURE_CHARS: return measure_tokens(m, s, vocabs, input, v, err);
    case MEASURE_ATTN: case MEASURE_ATTN_VIEW: case MEASURE_BEST_ATTN: case MEASURE_BEST_HEAD: case MEASURE_BEST_LAYER:
        return measure_attention(m, s, input, v, err);
    case MEASURE_NEIGHBOUR_RANK: case MEASURE_SIMILARITY: return measure_neighbour(m, s, input, v, err);
    case MEASURE_BITS: return measure_bits(m, s, input, v, err);
    case MEASURE_GREEDY: return measure_greedy(m, s, v, err);
    case MEASURE_WRITTEN: set_text(v, s->text + s->prompt_len, s->text_len - s->prompt_len); return 0;
    case MEASURE_COUNT: break;
    default: return measure_next(m, s, input, v, err);
    }
    gb_seterr(err, "internal: unknown measure %d", (int)m->kind);
    return -1;
}

/* ---- comparing ---- */

static void show_value(const Measure *m, const ClaimValue *v, char *out, size_t outsz) {
    if (v->is_text) {
        char shown[200];
        token_display(v->text, v->len, shown, sizeof shown);
        snprintf(out, outsz, "'%s'", shown);
    } else if (m->percent) {
        snprintf(out, outsz, "%.3g%%", 100.0 * v->num);
    } else if (v->num == floor(v->num) && fabs(v->num) < 1e15) { /* counts, ranks: every digit */
        snprintf(out, outsz, "%.0f", v->num);
    } else {
        snprintf(out, outsz, "%.4g", v->num);
    }
}

static int compare(ClaimOp op, const ClaimValue *a, const ClaimValue *b) {
    if (a->is_text) {
        int eq = a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
        int has = find_bytes(a->text, a->len, b->text, b->len) != NULL;
        return op == CLAIM_EQ ? eq : op == CLAIM_NE ? !eq : op == CLAIM_CONTAINS ? has : !has;
    }
    /* a tolerance for numbers that went through float and percent arithmetic (30% is 0.3 exactly only on paper) */
    double x = a->num, y = b->num, tol = 1e-6 * (fabs(x) > fabs(y) ? fabs(x) : fabs(y)) + 1e-9;
    switch (op) {
    case CLAIM_EQ: return fabs(x - y) <= tol;
    case CLAIM_NE: return fabs(x - y) > tol;
    case CLAIM_LT: return x < y - tol;
    case CLAIM_LE: return x <= y + tol;
    case CLAIM_GT: return x > y + tol;
    case CLAIM_GE: return x >= y - tol;
    default: return 0;
    }
}

int claim_eval(const Claim *c, Session *s, LabVocabs *vocabs, const char *input, char *msg, size_t msgsz, char *err) {
    ClaimValue a, b;
    if (claim_measure(&c->lhs, s, vocabs, input, &a, err) != 0) return -1;
    if (claim_measure(&c->rhs, s, vocabs, input, &b, err) != 0) {
        claim_value_free(&a);
        return -1;
    }
    int ok = compare(c->op, &a, &b);
    if (msg && msgsz) {
        char sa[256], sb[256];
        show_value(&c->lhs, &a, sa, sizeof sa);
        show_value(&c->rhs, &b, sb, sizeof sb);
        int literal = c->rhs.kind == MEASURE_NUMBER || c->rhs.kind == MEASURE_STRING;
        if (literal) snprintf(msg, msgsz, "expected %s, measured %s", c->source, sa);
        else snprintf(msg, msgsz, "expected %s, measured %s and %s", c->source, sa, sb);
    }
    claim_value_free(&a);
    claim_value_free(&b);
    return ok;
}
