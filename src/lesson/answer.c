/* The answer kinds (ANSWER_KIND_LIST, lesson.h): the expected answer of each computed on the session as
 * the step's scene left it, and a student's answer checked against it by the form it takes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lesson_internal.h"
#include "score.h"
#include "util.h"

#define X(id, name, arg, form, compute) \
    static int compute(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err);
ANSWER_KIND_LIST(X)
#undef X

const AnswerKindRow ANSWER_KINDS[ANSWER_KIND_COUNT] = {
#define X(id, name, arg, form, compute) [ANSWER_##id] = {name, arg, form, compute},
    ANSWER_KIND_LIST(X)
#undef X
};

char *lesson_strndup(const char *s, size_t n) {
    char *d = gb_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char lesson_choice_letter(int i) { return (char)('a' + i); }

void lesson_answer_free(LessonAnswer *a) {
    free(a->token.text);
    a->token.text = NULL;
}

int lesson_question_graded(const LessonQuestion *q) { return ANSWER_KINDS[q->kind].form != ANSWER_BY_ANYTHING; }

/* A choice as written, except that spaces at its edges and any newline or tab are made visible (a
 * choice such as " return" differs from "return" only there). */
void lesson_choice_display(const LessonString *c, char *out, size_t outsz) {
    size_t a = 0, b = c->len;
    while (a < b && c->text[a] == ' ') a++;
    while (b > a && c->text[b - 1] == ' ') b--;
    int plain = 1;
    for (size_t i = a; i < b; i++)
        if ((unsigned char)c->text[i] < 0x20 || c->text[i] == 0x7f) plain = 0;
    if (!plain) {
        token_display(c->text, c->len, out, outsz);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < a && k + 3 < outsz; i++, k += 2) memcpy(out + k, "\xc2\xb7", 2);
    for (size_t i = a; i < b && k + 1 < outsz; i++) out[k++] = c->text[i];
    for (size_t i = b; i < c->len && k + 3 < outsz; i++, k += 2) memcpy(out + k, "\xc2\xb7", 2);
    out[k] = 0;
}

/* ---- computing the expected answer ---- */

/* Quoted printable form of a token's bytes, e.g. "'·return'". */
static void show_token(const Session *s, int32_t id, char *out, size_t outsz) {
    char label[200];
    session_token_label(s, id, label, sizeof label);
    snprintf(out, outsz, "'%s'", label);
}

static void set_token(LessonAnswer *a, const Session *s, int32_t id) {
    size_t n = 0;
    const char *b = tokenizer_token_bytes(s->tok, id, &n);
    a->token.text = lesson_strndup(b ? b : "", b ? n : 0);
    a->token.len = b ? n : 0;
    show_token(s, id, a->shown, sizeof a->shown);
}

static int count_tokens(const Session *s, const LessonString *t, int32_t *first, char *err) {
    TokenSpan *spans = NULL;
    int n = tokenizer_encode(s->tok, t->text, t->len, &spans, err);
    if (n > 0 && first) *first = spans[0].id;
    free(spans);
    return n;
}

/* Marks the choices whose score equals the best (max when want_max, else min). */
static void mark_best(LessonAnswer *a, const LessonQuestion *q, const double *score, int want_max) {
    double best = score[0];
    for (int i = 1; i < q->n_choices; i++)
        if (want_max ? score[i] > best : score[i] < best) best = score[i];
    char *o = a->shown;
    size_t left = sizeof a->shown;
    o[0] = 0;
    for (int i = 0; i < q->n_choices; i++) {
        a->right[i] = score[i] == best;
        if (!a->right[i]) continue;
        size_t used = strlen(o);
        char shown[100];
        lesson_choice_display(&q->choices[i], shown, sizeof shown);
        snprintf(o + used, left - used, "%s%c) %s", used ? " or " : "", lesson_choice_letter(i), shown);
    }
}

/* The kinds that predict the next token need a scene with text. */
static int need_next(const Session *s, const char *kind, char *err) {
    if (s->has_next) return 0;
    gb_seterr(err, "%s: the scene has no text to predict from (set a prompt first)", kind);
    return -1;
}

/* The answers written in the lesson itself: a choice, a number, texts, a reflection, a task's example. */

static int compute_choice(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)s, (void)err;
    a->right[q->choice] = 1;
    char shown[200];
    lesson_choice_display(&q->choices[q->choice], shown, sizeof shown);
    snprintf(a->shown, sizeof a->shown, "%c) %s", lesson_choice_letter(q->choice), shown);
    return 0;
}

static int compute_number(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)s, (void)err;
    a->number = q->number;
    a->within = q->within;
    snprintf(a->shown, sizeof a->shown, "%g", q->number);
    return 0;
}

static int compute_text(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)s, (void)err;
    snprintf(a->shown, sizeof a->shown, "%.200s", q->accept[0].text);
    return 0;
}

static int compute_any(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)q, (void)s, (void)err;
    snprintf(a->shown, sizeof a->shown, "(any answer)");
    return 0;
}

/* What the example does: its answer, else its commands. */
static int compute_task(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)s, (void)err;
    if (q->example) {
        snprintf(a->shown, sizeof a->shown, "for instance `%.200s`", q->example);
        return 0;
    }
    size_t used = (size_t)snprintf(a->shown, sizeof a->shown, "for instance");
    for (int i = 0; i < q->n_example_cmds && used < sizeof a->shown; i++)
        used += (size_t)snprintf(a->shown + used, sizeof a->shown - used, "%s `:%.100s`", i ? "," : "",
                                 q->example_cmds[i].source);
    return 0;
}

static int compute_count_tokens(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    int n = count_tokens(s, &q->arg, NULL, err);
    if (n < 0) return -1;
    a->number = n;
    snprintf(a->shown, sizeof a->shown, "%d", n);
    return 0;
}

/* top-token, top-prob: the scene's next-token distribution. */

static int compute_top_token(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)q;
    if (need_next(s, "top-token", err)) return -1;
    set_token(a, s, s->next.order[0]);
    return 0;
}

static int compute_top_prob(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    if (need_next(s, "top-prob", err)) return -1;
    a->number = 100.0 * s->next.probs[s->next.order[0]];
    a->within = q->within;
    snprintf(a->shown, sizeof a->shown, a->number >= 10 ? "%.0f%%" : a->number >= 1 ? "%.1f%%" : "%.2f%%", a->number);
    return 0;
}

/* kept: the sampler chain's kept count for the next token. */
static int compute_kept(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)q;
    if (need_next(s, "kept", err)) return -1;
    a->number = s->next.n_kept;
    snprintf(a->shown, sizeof a->shown, "%d", s->next.n_kept);
    return 0;
}

/* lens-layer: the first layer whose logit lens at the selected token already ranks the last layer's
 * choice first. */
static int compute_lens_layer(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)q;
    const LensColumn *col = session_lens(s, 1);
    if (!col) {
        gb_seterr(err, "lens-layer: the scene has no tokens, or the model keeps no probes");
        return -1;
    }
    int l = 0;
    while (l < col->n_layers - 1 && col->chosen_rank[l] != 1) l++;
    a->number = l;
    snprintf(a->shown, sizeof a->shown, "%d", l);
    return 0;
}

/* top-key, top-head: the attention weights of the selected token, the query; -1 when there is none. */
static int query_of(const Session *s, const char *kind, char *err) {
    int qi = session_selected(s);
    if (qi < 0) gb_seterr(err, "%s: the scene has no tokens", kind);
    return qi;
}

static int compute_top_key(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    (void)q;
    int qi = query_of(s, "top-key", err);
    if (qi < 0) return -1;
    const float *row = session_attention_row(s, s->layer, s->head, qi);
    if (!row) {
        gb_seterr(err, "top-key: the model keeps no attention weights");
        return -1;
    }
    int best = 0;
    for (int k = 1; k <= qi; k++)
        if (row[k] > row[best]) best = k;
    set_token(a, s, s->tokens[best].id);
    return 0;
}

/* First occurrence of needle (n > 0 bytes) in hay, or NULL. */
static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t n) {
    for (size_t i = 0; i + n <= hn; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) return hay + i;
    return NULL;
}

static int compute_top_head(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    int qi = query_of(s, "top-head", err);
    if (qi < 0) return -1;
    const char *hit = q->arg.len ? find_bytes(s->text, s->text_len, q->arg.text, q->arg.len) : NULL;
    if (!hit) {
        gb_seterr(err, "top-head: '%.60s' does not occur in the scene's text", q->arg.text);
        return -1;
    }
    uint32_t off = (uint32_t)(hit - s->text);
    int key = -1;
    for (int k = 0; k < s->n_tokens && key < 0; k++)
        if (s->tokens[k].end > s->tokens[k].start && s->tokens[k].start <= off && off < s->tokens[k].end) key = k;
    if (key < 0 || key > qi) {
        gb_seterr(err, "top-head: '%.60s' is not before the selected token", q->arg.text);
        return -1;
    }
    int best = 0;
    float bw = -1;
    for (int h = 0; h < s->model.config.n_heads; h++) {
        const float *row = session_attention_row(s, s->layer, h, qi);
        if (!row) {
            gb_seterr(err, "top-head: the model keeps no attention weights");
            return -1;
        }
        if (row[key] > bw) bw = row[key], best = h;
    }
    a->number = best;
    snprintf(a->shown, sizeof a->shown, "head %d", best);
    return 0;
}

static int compute_neighbour(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    int32_t id = session_find_token(s, q->arg.text, q->arg.len, 0, -1, "neighbour", err);
    if (id < 0) return -1;
    int32_t ids[1];
    float sims[1];
    if (session_neighbours(s, id, 1, ids, sims) < 1) {
        gb_seterr(err, "neighbour: the vocabulary has no other token");
        return -1;
    }
    set_token(a, s, ids[0]);
    return 0;
}

/* The kinds that compare the choices. */

static int compute_likeliest(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    double score[LESSON_MAX_CHOICES];
    if (need_next(s, "likeliest", err)) return -1;
    int32_t first[LESSON_MAX_CHOICES];
    for (int i = 0; i < q->n_choices; i++) {
        if (count_tokens(s, &q->choices[i], &first[i], err) <= 0) {
            if (q->choices[i].len == 0) gb_seterr(err, "likeliest: choice %c is empty", lesson_choice_letter(i));
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (first[j] == first[i]) {
                gb_seterr(err, "likeliest: choices %c and %c start with the same token", lesson_choice_letter(j),
                          lesson_choice_letter(i));
                return -1;
            }
        score[i] = s->next.logits[first[i]];
    }
    mark_best(a, q, score, 1);
    return 0;
}

/* fewest-tokens, most-tokens: each choice's token count. */
static int mark_token_counts(const LessonQuestion *q, Session *s, LessonAnswer *a, int want_max, char *err) {
    double score[LESSON_MAX_CHOICES];
    for (int i = 0; i < q->n_choices; i++) {
        int n = count_tokens(s, &q->choices[i], NULL, err);
        if (n < 0) return -1;
        score[i] = n;
    }
    mark_best(a, q, score, want_max);
    return 0;
}

static int compute_fewest_tokens(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    return mark_token_counts(q, s, a, 0, err);
}

static int compute_most_tokens(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    return mark_token_counts(q, s, a, 1, err);
}

/* most-plausible: the choice with the fewest bits as a continuation of the scene. */
static int compute_most_plausible(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    double score[LESSON_MAX_CHOICES];
    if (s->n_tokens < 1) {
        gb_seterr(err, "most-plausible: the scene has no text to continue (set a prompt first)");
        return -1;
    }
    /* the scene's tokens are run again from position 0 (same inputs, same cache), then each choice
     * is fed after them; positions past the scene's are scratch */
    int32_t *prefix = gb_malloc(sizeof(int32_t) * (size_t)s->n_tokens);
    for (int i = 0; i < s->n_tokens; i++) prefix[i] = s->tokens[i].id;
    for (int i = 0; i < q->n_choices; i++) {
        TokenSpan *spans = NULL;
        int n = tokenizer_encode(s->tok, q->choices[i].text, q->choices[i].len, &spans, err);
        if (n <= 0) {
            if (n == 0) gb_seterr(err, "most-plausible: choice %c is empty", lesson_choice_letter(i));
            free(spans);
            free(prefix);
            return -1;
        }
        int32_t *ids = gb_malloc(sizeof(int32_t) * (size_t)n);
        for (int k = 0; k < n; k++) ids[k] = spans[k].id;
        free(spans);
        ScoreResult r;
        int rc = score_tokens(&r, &s->model, prefix, s->n_tokens, ids, n, err);
        free(ids);
        if (rc != 0) {
            free(prefix);
            return -1;
        }
        score[i] = r.total_bits;
        score_free(&r);
    }
    free(prefix);
    mark_best(a, q, score, 0);
    return 0;
}

int lesson_compute_answer(const Lesson *l, int step, Session *s, LessonAnswer *a, char *err) {
    memset(a, 0, sizeof *a);
    if (step < 0 || step >= l->n_steps || !l->steps[step].has_question) {
        gb_seterr(err, "%s: step %d has no question", l->path, step + 1);
        return -1;
    }
    const LessonQuestion *q = &l->steps[step].q;
    a->kind = q->kind;
    char cerr[GB_ERRLEN];
    int rc = -1;
    if ((unsigned)q->kind < ANSWER_KIND_COUNT) rc = ANSWER_KINDS[q->kind].compute(q, s, a, cerr);
    else gb_seterr(cerr, "internal: unknown answer kind %d", (int)q->kind);
    if (rc != 0) {
        lesson_answer_free(a);
        gb_seterr(err, "%s:%d: %s", l->path, q->answer_line, cerr);
        return -1;
    }
    return 0;
}

/* ---- checking a student's answer ---- */

void answer_trim_input(const char *in, const char **s, size_t *n) {
    const char *b = in, *e = in + strlen(in);
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    if (e - b >= 2 && (*b == '"' || *b == '\'' || *b == '`') && e[-1] == *b) b++, e--;
    *s = b;
    *n = (size_t)(e - b);
}

static int same_trimmed(const char *a, size_t an, const char *b, size_t bn, int fold) {
    while (an && isspace((unsigned char)*a)) a++, an--;
    while (an && isspace((unsigned char)a[an - 1])) an--;
    while (bn && isspace((unsigned char)*b)) b++, bn--;
    while (bn && isspace((unsigned char)b[bn - 1])) bn--;
    return an == bn && (fold ? strncasecmp(a, b, an) == 0 : memcmp(a, b, an) == 0);
}

/* A token answer: the token's text without its edge spaces, or for a token of blanks only a word for
 * it (newline, space, tab) or its symbol. */
static int token_matches(const LessonString *tok, const char *in, size_t n) {
    if (same_trimmed(tok->text, tok->len, in, n, 0)) return 1;
    int blank = 1, nl = 0, sp = 0, tab = 0;
    for (size_t i = 0; i < tok->len; i++) {
        char c = tok->text[i];
        if (!isspace((unsigned char)c)) blank = 0;
        nl |= c == '\n', sp |= c == ' ', tab |= c == '\t';
    }
    if (!blank || n == 0) return 0;
    static const char *const NL[] = {"newline", "\\n", "\xe2\x8f\x8e", "enter", "line break"};
    static const char *const SP[] = {"space", "spaces", "\xc2\xb7", "indent", "indentation"};
    static const char *const TAB[] = {"tab", "\\t", "\xe2\x86\x92"};
    for (size_t i = 0; i < 5; i++)
        if (nl && same_trimmed(NL[i], strlen(NL[i]), in, n, 1)) return 1;
    for (size_t i = 0; i < 5; i++)
        if (sp && !nl && same_trimmed(SP[i], strlen(SP[i]), in, n, 1)) return 1;
    for (size_t i = 0; i < 3; i++)
        if (tab && same_trimmed(TAB[i], strlen(TAB[i]), in, n, 1)) return 1;
    return 0;
}

static int parse_student_number(const char *s, size_t n, int percent_kind, double *out) {
    char buf[64];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *p = buf;
    if (strncasecmp(p, "head", 4) == 0) p += 4;
    char *e;
    errno = 0;
    double v = strtod(p, &e);
    if (e == p || errno || !isfinite(v)) return -1;
    while (*e == ' ') e++;
    int pct = *e == '%';
    if (pct) e++;
    while (*e == ' ') e++;
    if (*e) return -1;
    if (percent_kind && !pct && v <= 1.0 && strchr(p, '.')) v *= 100.0; /* 0.4 means 40% */
    *out = v;
    return 0;
}

/* ANSWER_BY_LETTER: a letter ("b", "b)" or "b."), else a choice's text, as written, then ignoring case. */
static int check_letter(const LessonQuestion *q, const LessonAnswer *a, const char *s, size_t n, char *msg,
                        size_t msgsz) {
    int pick = -1;
    if ((n == 1 || (n == 2 && (s[1] == ')' || s[1] == '.'))) && tolower((unsigned char)s[0]) >= 'a' &&
        tolower((unsigned char)s[0]) < 'a' + q->n_choices)
        pick = tolower((unsigned char)s[0]) - 'a';
    for (int i = 0; i < q->n_choices && pick < 0; i++)
        if (same_trimmed(q->choices[i].text, q->choices[i].len, s, n, 0)) pick = i;
    for (int i = 0; i < q->n_choices && pick < 0; i++)
        if (same_trimmed(q->choices[i].text, q->choices[i].len, s, n, 1)) pick = i;
    if (pick < 0) {
        if (msg) snprintf(msg, msgsz, "answer with a letter, a to %c", lesson_choice_letter(q->n_choices - 1));
        return -1;
    }
    return a->right[pick] ? 1 : 0;
}

/* ANSWER_BY_NUMBER, ANSWER_BY_PERCENT. */
static int check_number(const LessonAnswer *a, int percent, const char *s, size_t n, char *msg, size_t msgsz) {
    double v;
    if (parse_student_number(s, n, percent, &v) != 0) {
        if (msg) snprintf(msg, msgsz, percent ? "answer with a percentage" : "answer with a number");
        return -1;
    }
    return fabs(v - a->number) <= a->within + 1e-9 ? 1 : 0;
}

/* ANSWER_BY_TOKEN: token_matches, or the displayed form ('·return'). */
static int check_token(const LessonAnswer *a, const char *s, size_t n) {
    if (token_matches(&a->token, s, n)) return 1;
    size_t sl = strlen(a->shown);
    return sl >= 2 && same_trimmed(a->shown + 1, sl - 2, s, n, 0);
}

int lesson_check_answer(const LessonQuestion *q, const LessonAnswer *a, const char *input, char *msg, size_t msgsz) {
    const char *s;
    size_t n;
    answer_trim_input(input, &s, &n);
    if (msg && msgsz) msg[0] = 0;
    if (n == 0) {
        if (msg) snprintf(msg, msgsz, "type an answer first");
        return -1;
    }
    if ((unsigned)q->kind >= ANSWER_KIND_COUNT) return 0;
    switch (ANSWER_KINDS[q->kind].form) {
    case ANSWER_BY_ANYTHING: return 1;
    case ANSWER_BY_LETTER: return check_letter(q, a, s, n, msg, msgsz);
    case ANSWER_BY_NUMBER: return check_number(a, 0, s, n, msg, msgsz);
    case ANSWER_BY_PERCENT: return check_number(a, 1, s, n, msg, msgsz);
    case ANSWER_BY_TOKEN: return check_token(a, s, n);
    case ANSWER_BY_TEXT:
        for (int i = 0; i < q->n_accept; i++)
            if (same_trimmed(q->accept[i].text, q->accept[i].len, s, n, 1)) return 1;
        return 0;
    case ANSWER_BY_DOING: /* measured on the session by the player (lesson_player_answer), not by text */
        if (msg) snprintf(msg, msgsz, "a task is checked on the model: do it, then answer");
        return -1;
    }
    return 0;
}

void answer_example_input(const LessonQuestion *q, const LessonAnswer *a, char *out, size_t outsz) {
    switch (ANSWER_KINDS[q->kind].form) {
    case ANSWER_BY_LETTER:
        for (int i = 0; i < q->n_choices; i++)
            if (a->right[i]) {
                snprintf(out, outsz, "%c", lesson_choice_letter(i));
                return;
            }
        snprintf(out, outsz, "?");
        return;
    case ANSWER_BY_TEXT: snprintf(out, outsz, "%s", q->accept[0].text); return;
    case ANSWER_BY_TOKEN: snprintf(out, outsz, "%s", a->shown); return;
    case ANSWER_BY_PERCENT: snprintf(out, outsz, "%.17g%%", a->number); return;
    case ANSWER_BY_NUMBER:
    case ANSWER_BY_ANYTHING:
    case ANSWER_BY_DOING: snprintf(out, outsz, "%.17g", a->number); return;
    }
}

char *lesson_feedback(const LessonQuestion *q, const LessonAnswer *a, int right, char *out, size_t outsz) {
    const char *tmpl = right ? q->right : q->wrong;
    if (!tmpl && right) tmpl = lesson_question_graded(q) ? "Right: {answer}." : "Noted.";
    if (!tmpl) tmpl = "Not quite: the answer is {answer}.";
    size_t k = 0;
    if (outsz == 0) return out;
    for (const char *t = tmpl; *t && k + 1 < outsz;) {
        if (strncmp(t, "{answer}", 8) == 0) {
            for (const char *v = a->shown; *v && k + 1 < outsz; v++) out[k++] = *v;
            t += 8;
        } else {
            out[k++] = *t++;
        }
    }
    out[k] = 0;
    return out;
}
