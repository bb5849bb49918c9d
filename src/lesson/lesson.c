#include "lesson.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "score.h"
#include "files.h"
#include "util.h"

/* ---- small string helpers ---- */

static char *dup_n(const char *s, size_t n) {
    char *d = gb_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static const char *skip_blank(const char *s, const char *end) {
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    return s;
}

static const char *trim_end(const char *s, const char *end) {
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) end--;
    return end;
}

/* Appends text to a malloc'ed string, with sep between when both are non-empty. */
static char *append_text(char *dst, const char *sep, const char *s, size_t n) {
    size_t dl = dst ? strlen(dst) : 0, sl = dl && n ? strlen(sep) : 0;
    char *r = gb_realloc(dst, dl + sl + n + 1);
    memcpy(r + dl, sep, sl);
    memcpy(r + dl + sl, s, n);
    r[dl + sl + n] = 0;
    return r;
}

/* First occurrence of needle (n > 0 bytes) in hay, or NULL. */
static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t n) {
    for (size_t i = 0; i + n <= hn; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) return hay + i;
    return NULL;
}

static int read_quoted(const char **p, const char *end, LessonString *out, char *err) {
    return gb_read_quoted(p, end, &out->text, &out->len, err);
}

/* One argument: a quoted string, or a bare word up to the next blank. */
static int read_arg(const char **p, const char *end, LessonString *out, char *err) {
    *p = skip_blank(*p, end);
    if (*p >= end) {
        gb_seterr(err, "missing argument");
        return -1;
    }
    if (**p == '"') return read_quoted(p, end, out, err);
    const char *w = *p;
    while (*p < end && **p != ' ' && **p != '\t') (*p)++;
    out->text = dup_n(w, (size_t)(*p - w));
    out->len = (size_t)(*p - w);
    return 0;
}

/* The rest of a line as one string: quoted (then nothing may follow) or bare. */
static int read_rest(const char *s, const char *end, LessonString *out, char *err) {
    s = skip_blank(s, end);
    end = trim_end(s, end);
    if (s >= end) {
        gb_seterr(err, "missing text");
        return -1;
    }
    if (*s != '"') {
        out->text = dup_n(s, (size_t)(end - s));
        out->len = (size_t)(end - s);
        return 0;
    }
    if (read_quoted(&s, end, out, err) != 0) return -1;
    if (skip_blank(s, end) != end) {
        free(out->text);
        out->text = NULL;
        gb_seterr(err, "unexpected text after the closing quote");
        return -1;
    }
    return 0;
}

/* ---- parsing ---- */

typedef struct {
    Lesson *l;
    const char *path;
    char *dir; /* the lesson's directory, for model paths */
    int line;
    int work;  /* generation work so far (LESSON_MAX_WORK) */
    char *err;
    /* where the next plain line goes */
    enum { IN_HEAD, IN_NARRATIVE, IN_QUESTION } where;
    char **field; /* the question field an indented line continues (NULL: none) */
    int para_open;
} Parser;

static int fail(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Parser *p, const char *fmt, ...) {
    char msg[GB_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gb_seterr(p->err, "%s:%d: %s", p->path, p->line, msg);
    return -1;
}

static LessonStep *cur_step(Parser *p) { return p->l->n_steps ? &p->l->steps[p->l->n_steps - 1] : NULL; }

static void add_block(LessonStep *st, int verbatim, const char *s, size_t n) {
    st->blocks = gb_realloc(st->blocks, sizeof(LessonBlock) * (size_t)(st->n_blocks + 1));
    st->blocks[st->n_blocks++] = (LessonBlock){.verbatim = verbatim, .text = dup_n(s, n)};
}

/* A path that names a GGUF model: absolute, or relative to the lesson's directory, else to the assets
 * directory. The file must exist, be a regular file and start with the GGUF magic. */
static int resolve_model(Parser *p, Command *c) {
    const char *name = c->text;
    size_t n = c->text_len;
    if (n < 5 || strlen(name) != n || strcasecmp(name + n - 5, ".gguf") != 0)
        return fail(p, "model: a lesson may only name a .gguf model file, not '%.200s'", name);
    char full[4096];
    const char *tries[2] = {p->dir, gb_assets_dir()};
    int found = 0;
    for (int i = 0; i < (name[0] == '/' ? 1 : 2) && !found; i++) {
        if (name[0] == '/') snprintf(full, sizeof full, "%s", name);
        else snprintf(full, sizeof full, "%s/%s", tries[i], name);
        struct stat st;
        found = stat(full, &st) == 0;
        if (found && !S_ISREG(st.st_mode)) return fail(p, "model: '%.200s' is not a regular file", name);
    }
    if (!found) return fail(p, "model: no such model file '%.200s'", name);
    int fd = gb_open_regular(full, NULL); /* never waits on a FIFO swapped in after the stat */
    char magic[4] = {0};
    ssize_t got = fd >= 0 ? read(fd, magic, 4) : -1;
    if (fd >= 0) close(fd);
    if (got != 4 || memcmp(magic, "GGUF", 4) != 0)
        return fail(p, "model: '%.200s' is not a GGUF model file", name);
    free(c->text);
    c->text = gb_strdup(full);
    c->text_len = strlen(full);
    return 0;
}

/* One command (the text after '>') appended to *cmds: a step's scene, or a task's example. */
static int parse_command_to(Parser *p, const char *s, const char *end, LessonCommand **cmds, int *n_cmds) {
    if (*n_cmds >= LESSON_MAX_COMMANDS)
        return fail(p, "more than %d commands in one step", LESSON_MAX_COMMANDS);
    s = skip_blank(s, end);
    end = trim_end(s, end);
    char *line = dup_n(s, (size_t)(end - s));
    Command c;
    char cerr[GB_ERRLEN];
    int rc = commands_parse(line, &c, cerr);
    if (rc != 0) {
        free(line);
        return rc > 0 ? fail(p, "an empty command after '>'") : fail(p, "%s", cerr);
    }
    size_t wl = strcspn(line, " \t");
    const char *name = commands_name(c.id);
    /* Only the requests flagged RQ_LESSON: anything else (quit, help, requests added later) is refused
     * at parse time, so a new request never becomes reachable from old lesson files by accident. */
    int ok = (commands_flags(c.id) & RQ_LESSON) != 0;
    if (!ok || strlen(name) != wl || memcmp(name, line, wl) != 0) {
        command_free(&c);
        free(line);
        if (!ok) return fail(p, "%s: not allowed in a lesson", name);
        return fail(p, "write the command's full name '%s' in a lesson", name);
    }
    if ((commands_flags(c.id) & RQ_CAPPED) && c.inum > LESSON_MAX_GENERATE) {
        command_free(&c);
        free(line);
        return fail(p, "%s: %lld is more than a lesson may ask for (at most %d)", name, c.inum, LESSON_MAX_GENERATE);
    }
    int work = command_cost(&c, LESSON_MAX_GENERATE);
    if (p->work + work > LESSON_MAX_WORK) {
        command_free(&c);
        free(line);
        return fail(p, "the lesson generates more than %d tokens in all", LESSON_MAX_WORK);
    }
    p->work += work;
    if (c.id == CMD_MODEL && resolve_model(p, &c) != 0) {
        command_free(&c);
        free(line);
        return -1;
    }
    *cmds = gb_realloc(*cmds, sizeof(LessonCommand) * (size_t)(*n_cmds + 1));
    (*cmds)[(*n_cmds)++] = (LessonCommand){.line = p->line, .source = line, .cmd = c};
    return 0;
}

static int parse_command(Parser *p, const char *s, const char *end) {
    LessonStep *st = cur_step(p);
    if (!st) return fail(p, "a scene command before the first step:");
    if (p->where == IN_QUESTION) return fail(p, "scene commands come before the step's question");
    return parse_command_to(p, s, end, &st->cmds, &st->n_cmds);
}

/* A claim (`expect:`, `check:`) appended to *claims. */
static int parse_claim(Parser *p, const char *what, const char *s, const char *end, Claim **claims, int *n) {
    if (*n >= LESSON_MAX_CLAIMS) return fail(p, "more than %d %s: lines in one step", LESSON_MAX_CLAIMS, what);
    Claim c;
    char cerr[GB_ERRLEN];
    if (claim_parse(&c, s, (size_t)(end - s), cerr) != 0) return fail(p, "%s: %s", what, cerr);
    c.line = p->line;
    *claims = gb_realloc(*claims, sizeof(Claim) * (size_t)(*n + 1));
    (*claims)[(*n)++] = c;
    return 0;
}

static const struct {
    const char *name;
    AnswerKind kind;
} ANSWER_KINDS[] = {
    {"choice", ANSWER_CHOICE},         {"number", ANSWER_NUMBER},         {"text", ANSWER_TEXT},
    {"any", ANSWER_FREE},              {"count-tokens", ANSWER_COUNT_TOKENS}, {"top-token", ANSWER_TOP_TOKEN},
    {"top-prob", ANSWER_TOP_PROB},     {"top-key", ANSWER_TOP_KEY},       {"top-head", ANSWER_TOP_HEAD},
    {"neighbour", ANSWER_NEIGHBOUR},   {"likeliest", ANSWER_LIKELIEST},   {"fewest-tokens", ANSWER_FEWEST_TOKENS},
    {"most-tokens", ANSWER_MOST_TOKENS},     {"most-plausible", ANSWER_MOST_PLAUSIBLE}, {"task", ANSWER_TASK},
    {"kept", ANSWER_KEPT},             {"lens-layer", ANSWER_LENS_LAYER},
};
enum { N_ANSWER_KINDS = sizeof ANSWER_KINDS / sizeof ANSWER_KINDS[0] };

/* A number with nothing after it but blanks. */
static int read_number(const char **s, const char *end, double *out) {
    *s = skip_blank(*s, end);
    char buf[64];
    size_t n = 0;
    while (*s + n < end && (*s)[n] != ' ' && (*s)[n] != '\t' && n < sizeof buf - 1) n++;
    memcpy(buf, *s, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (n == 0 || *e || errno || !isfinite(v)) return -1;
    *s += n;
    *out = v;
    return 0;
}

/* `within E` or nothing. */
static int read_within(Parser *p, const char *s, const char *end, double *within) {
    s = skip_blank(s, end);
    if (s == end) return 0;
    if (end - s < 7 || memcmp(s, "within ", 7) != 0) return fail(p, "answer: expected 'within E' or nothing");
    s += 7;
    if (read_number(&s, end, within) != 0 || *within < 0 || skip_blank(s, end) != end)
        return fail(p, "answer: expected a tolerance (a number >= 0) after 'within'");
    return 0;
}

static int parse_answer(Parser *p, LessonQuestion *q, const char *s, const char *end) {
    if (q->answer_line) return fail(p, "a second answer: for the same question (first on line %d)", q->answer_line);
    q->answer_line = p->line;
    s = skip_blank(s, end);
    end = trim_end(s, end);
    const char *w = s;
    while (s < end && *s != ' ' && *s != '\t') s++;
    size_t wl = (size_t)(s - w);
    int k = -1;
    for (int i = 0; i < N_ANSWER_KINDS; i++)
        if (strlen(ANSWER_KINDS[i].name) == wl && memcmp(ANSWER_KINDS[i].name, w, wl) == 0) k = i;
    if (k < 0)
        return fail(p, "answer: unknown kind '%.*s' (choice, number, text, any, count-tokens, top-token, top-prob, "
                    "top-key, top-head, neighbour, likeliest, fewest-tokens, most-tokens, most-plausible, task, "
                    "kept, lens-layer)",
                    (int)(wl > 40 ? 40 : wl), w);
    q->kind = ANSWER_KINDS[k].kind;
    const char *kname = ANSWER_KINDS[k].name;
    char aerr[GB_ERRLEN];
    switch (q->kind) {
    case ANSWER_CHOICE: {
        s = skip_blank(s, end);
        if (end - s != 1 || *s < 'a' || *s >= 'a' + LESSON_MAX_CHOICES)
            return fail(p, "answer: choice needs the letter of the right choice (a-%c)", 'a' + LESSON_MAX_CHOICES - 1);
        q->choice = *s - 'a';
        return 0;
    }
    case ANSWER_NUMBER:
        if (read_number(&s, end, &q->number) != 0) return fail(p, "answer: number needs a number");
        return read_within(p, s, end, &q->within);
    case ANSWER_TOP_PROB:
        q->within = 10;
        return read_within(p, s, end, &q->within);
    case ANSWER_TEXT:
        while (skip_blank(s, end) < end) {
            if (q->n_accept >= LESSON_MAX_ACCEPT) return fail(p, "answer: more than %d accepted texts", LESSON_MAX_ACCEPT);
            if (read_arg(&s, end, &q->accept[q->n_accept], aerr) != 0) return fail(p, "answer: %s", aerr);
            q->n_accept++;
        }
        if (q->n_accept == 0) return fail(p, "answer: text needs at least one accepted answer");
        return 0;
    case ANSWER_COUNT_TOKENS:
    case ANSWER_TOP_HEAD:
    case ANSWER_NEIGHBOUR:
        if (read_rest(s, end, &q->arg, aerr) != 0) return fail(p, "answer: %s: %s", kname, aerr);
        return 0;
    default:
        if (skip_blank(s, end) != end) return fail(p, "answer: %s takes no argument", kname);
        return 0;
    }
}

/* Checks a finished question (at the end of its step). */
static int finish_question(Parser *p, LessonStep *st) {
    if (!st || !st->has_question) return 0;
    LessonQuestion *q = &st->q;
    int save = p->line;
    p->line = q->line;
    int rc = 0;
    if (!q->answer_line) rc = fail(p, "a question without an answer: line");
    else if (q->kind == ANSWER_CHOICE && q->choice >= q->n_choices)
        rc = fail(p, "answer: choice %c but the question has %d choices", 'a' + q->choice, q->n_choices);
    else if ((q->kind == ANSWER_LIKELIEST || q->kind == ANSWER_FEWEST_TOKENS || q->kind == ANSWER_MOST_TOKENS ||
              q->kind == ANSWER_MOST_PLAUSIBLE) &&
             q->n_choices < 2)
        rc = fail(p, "answer: this kind compares choices: give at least two choice: lines");
    else if (q->kind == ANSWER_TASK && q->n_checks == 0)
        rc = fail(p, "answer: a task needs check: lines that say what the student must achieve");
    else if (q->kind == ANSWER_TASK && !q->example && q->n_example_cmds == 0)
        rc = fail(p, "answer: a task needs an example: (an answer, or '> command') that does it, for lesson check");
    else if (q->kind != ANSWER_TASK && (q->n_checks || q->example || q->n_example_cmds))
        rc = fail(p, "check: and example: belong to a task (answer: task)");
    p->line = save;
    return rc;
}

static int start_step(Parser *p, const char *s, const char *end) {
    if (finish_question(p, cur_step(p)) != 0) return -1;
    if (p->l->n_steps >= LESSON_MAX_STEPS) return fail(p, "more than %d steps", LESSON_MAX_STEPS);
    Lesson *l = p->l;
    l->steps = gb_realloc(l->steps, sizeof(LessonStep) * (size_t)(l->n_steps + 1));
    LessonStep *st = &l->steps[l->n_steps++];
    memset(st, 0, sizeof *st);
    st->line = p->line;
    s = skip_blank(s, end);
    st->title = dup_n(s, (size_t)(trim_end(s, end) - s));
    p->where = IN_NARRATIVE;
    p->para_open = 0;
    p->field = NULL;
    return 0;
}

/* "word:" at the start of a line: the keyword's index in KEYWORDS, and *rest after the colon. */
static const char *const KEYWORDS[] = {"title", "step",  "expect", "answer", "choice",
                                       "hint",  "right", "wrong",  "check",  "example"};
enum { KW_TITLE, KW_STEP, KW_EXPECT, KW_ANSWER, KW_CHOICE, KW_HINT, KW_RIGHT, KW_WRONG, KW_CHECK, KW_EXAMPLE, KW_COUNT };

static int keyword_of(const char *s, const char *end, const char **rest) {
    for (int i = 0; i < KW_COUNT; i++) {
        size_t n = strlen(KEYWORDS[i]);
        if ((size_t)(end - s) > n && memcmp(s, KEYWORDS[i], n) == 0 && s[n] == ':') {
            *rest = s + n + 1;
            return i;
        }
    }
    return -1;
}

static int set_field(Parser *p, char **field, const char *what, const char *s, const char *end) {
    if (*field) return fail(p, "a second %s: for the same question", what);
    s = skip_blank(s, end);
    end = trim_end(s, end);
    if (s == end) return fail(p, "%s: is empty", what);
    *field = dup_n(s, (size_t)(end - s));
    p->field = field;
    return 0;
}

static int parse_line(Parser *p, const char *s, const char *end) {
    Lesson *l = p->l;
    LessonStep *st = cur_step(p);
    if (s < end && s[0] == '#') return 0; /* comment */
    const char *rest = end;
    int kw = keyword_of(s, end, &rest);
    if (kw == KW_TITLE) {
        if (l->title) return fail(p, "a second title:");
        if (st) return fail(p, "title: must come before the first step:");
        rest = skip_blank(rest, end);
        const char *e = trim_end(rest, end);
        if (rest == e) return fail(p, "title: is empty");
        l->title = dup_n(rest, (size_t)(e - rest));
        return 0;
    }
    if (skip_blank(s, end) == end) { /* blank: ends a paragraph and any field */
        p->para_open = 0;
        p->field = NULL;
        return 0;
    }
    if (kw == KW_STEP) {
        if (!l->title) return fail(p, "the lesson must start with a title: line");
        return start_step(p, rest, end);
    }
    if (!st) return fail(p, "text before the first step: (a lesson is title:, then steps)");
    if (s[0] == '>') return parse_command(p, s + 1, end);
    if (kw == KW_EXPECT) { /* anywhere in a step: measured once the step's scene has played */
        p->field = NULL;
        p->para_open = 0;
        return parse_claim(p, "expect", rest, end, &st->claims, &st->n_claims);
    }
    if (s[0] == '?') {
        if (st->has_question) return fail(p, "a second question in one step (start a new step:)");
        rest = skip_blank(s + 1, end);
        if (rest == trim_end(rest, end)) return fail(p, "a question with no text after '?'");
        st->has_question = 1;
        st->q.line = p->line;
        st->q.text = dup_n(rest, (size_t)(trim_end(rest, end) - rest));
        p->where = IN_QUESTION;
        p->field = &st->q.text;
        return 0;
    }
    if (kw >= KW_ANSWER) {
        if (p->where != IN_QUESTION) return fail(p, "%s: outside a question (a question starts with '?')", KEYWORDS[kw]);
        LessonQuestion *q = &st->q;
        switch (kw) {
        case KW_ANSWER:
            p->field = NULL;
            return parse_answer(p, q, rest, end);
        case KW_CHOICE: {
            if (q->n_choices >= LESSON_MAX_CHOICES) return fail(p, "more than %d choices", LESSON_MAX_CHOICES);
            char aerr[GB_ERRLEN];
            if (read_rest(rest, end, &q->choices[q->n_choices], aerr) != 0) return fail(p, "choice: %s", aerr);
            q->n_choices++;
            p->field = NULL;
            return 0;
        }
        case KW_CHECK:
            p->field = NULL;
            return parse_claim(p, "check", rest, end, &q->checks, &q->n_checks);
        case KW_EXAMPLE: {
            p->field = NULL;
            const char *e = skip_blank(rest, end);
            if (e < end && *e == '>') return parse_command_to(p, e + 1, end, &q->example_cmds, &q->n_example_cmds);
            if (q->example) return fail(p, "a second example: answer for the same task");
            LessonString ex;
            char aerr[GB_ERRLEN];
            if (read_rest(rest, end, &ex, aerr) != 0) return fail(p, "example: %s", aerr);
            q->example = ex.text;
            return 0;
        }
        case KW_HINT: return set_field(p, &q->hint, "hint", rest, end);
        case KW_RIGHT: return set_field(p, &q->right, "right", rest, end);
        default: return set_field(p, &q->wrong, "wrong", rest, end);
        }
    }
    if (p->where == IN_QUESTION) {
        if ((s[0] == ' ' || s[0] == '\t') && p->field) { /* an indented line continues a field */
            rest = skip_blank(s, end);
            *p->field = append_text(*p->field, " ", rest, (size_t)(trim_end(rest, end) - rest));
            return 0;
        }
        return fail(p, "text after the question (indent it to continue a field, or start a new step:)");
    }
    if (s[0] == '|') { /* verbatim line */
        rest = s + 1;
        if (rest < end && *rest == ' ') rest++;
        add_block(st, 1, rest, (size_t)(end - rest));
        p->para_open = 0;
        return 0;
    }
    if (s[0] == '\\') s++; /* a narrative line that would otherwise look like markup */
    rest = skip_blank(s, end);
    size_t n = (size_t)(trim_end(rest, end) - rest);
    if (p->para_open) {
        LessonBlock *b = &st->blocks[st->n_blocks - 1];
        b->text = append_text(b->text, " ", rest, n);
    } else {
        add_block(st, 0, rest, n);
        p->para_open = 1;
    }
    return 0;
}

static void question_free(LessonQuestion *q) {
    free(q->text);
    free(q->arg.text);
    for (int i = 0; i < q->n_accept; i++) free(q->accept[i].text);
    for (int i = 0; i < q->n_choices; i++) free(q->choices[i].text);
    free(q->hint);
    free(q->right);
    free(q->wrong);
    for (int i = 0; i < q->n_checks; i++) claim_free(&q->checks[i]);
    free(q->checks);
    free(q->example);
    for (int i = 0; i < q->n_example_cmds; i++) {
        free(q->example_cmds[i].source);
        command_free(&q->example_cmds[i].cmd);
    }
    free(q->example_cmds);
}

void lesson_free(Lesson *l) {
    for (int i = 0; i < l->n_steps; i++) {
        LessonStep *st = &l->steps[i];
        free(st->title);
        for (int j = 0; j < st->n_blocks; j++) free(st->blocks[j].text);
        free(st->blocks);
        for (int j = 0; j < st->n_cmds; j++) {
            free(st->cmds[j].source);
            command_free(&st->cmds[j].cmd);
        }
        free(st->cmds);
        for (int j = 0; j < st->n_claims; j++) claim_free(&st->claims[j]);
        free(st->claims);
        question_free(&st->q);
    }
    free(l->steps);
    free(l->path);
    free(l->name);
    free(l->title);
    memset(l, 0, sizeof *l);
}

int lesson_parse(Lesson *l, const char *path, const char *text, size_t len, char *err) {
    memset(l, 0, sizeof *l);
    l->path = gb_strdup(path);
    const char *slash = strrchr(path, '/');
    l->name = gb_strdup(slash ? slash + 1 : path);
    Parser p = {.l = l, .path = path, .err = err, .where = IN_HEAD};
    p.dir = slash ? dup_n(path, (size_t)(slash - path)) : gb_strdup(".");
    if (slash == path) {
        free(p.dir);
        p.dir = gb_strdup("/");
    }
    int rc = 0;
    if (len > LESSON_MAX_BYTES) {
        p.line = 1;
        rc = fail(&p, "the file is larger than a lesson may be (%d KiB)", LESSON_MAX_BYTES / 1024);
    }
    const char *s = text, *end = text + len;
    if (rc == 0 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) s += 3; /* a byte-order mark */
    while (rc == 0 && s < end) {
        p.line++;
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        if (e - s > LESSON_MAX_LINE) {
            rc = fail(&p, "line longer than %d bytes", LESSON_MAX_LINE);
            break;
        }
        if (e > s && e[-1] == '\r') e--;
        for (const char *c = s; c < e;) {
            unsigned char b = (unsigned char)*c;
            if ((b < 0x20 && b != '\t') || b == 0x7f) {
                rc = fail(&p, "control character 0x%02x at column %d", b, (int)(c - s) + 1);
                break;
            }
            int n = utf8_valid_len(c, (size_t)(e - c));
            if (n == 0) {
                rc = fail(&p, "invalid UTF-8 (byte 0x%02x at column %d)", b, (int)(c - s) + 1);
                break;
            }
            c += n;
        }
        if (rc == 0) rc = parse_line(&p, s, e);
        s = nl ? nl + 1 : end;
    }
    if (rc == 0) {
        p.line++;
        if (!l->title) {
            p.line = 1;
            rc = fail(&p, "no title: line (a lesson starts with 'title: ...')");
        } else if (l->n_steps == 0) {
            rc = fail(&p, "the lesson has no step: (each step starts with 'step: ...')");
        } else {
            rc = finish_question(&p, cur_step(&p));
        }
    }
    free(p.dir);
    if (rc != 0) lesson_free(l);
    return rc;
}

int lesson_load(Lesson *l, const char *path, char *err) {
    memset(l, 0, sizeof *l);
    struct stat st;
    if (stat(path, &st) != 0) {
        gb_seterr(err, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        gb_seterr(err, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_size > LESSON_MAX_BYTES) {
        gb_seterr(err, "%s:1: the file is larger than a lesson may be (%d KiB)", path, LESSON_MAX_BYTES / 1024);
        return -1;
    }
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_LESSON, path, &data, &len, err) != 0) return -1;
    int rc = lesson_parse(l, path, data, len, err);
    free(data);
    return rc;
}

/* ---- running scenes ---- */

int lesson_reset_session(Session *s, const char *base_model, char *err) {
    if (base_model && *base_model && strcmp(s->model_path, base_model) != 0 &&
        session_load_model(s, base_model, err) != 0)
        return -1;
    if (session_set_prompt(s, "", 0, err) != 0) return -1;
    Sampler fresh; /* T 1, every other stage off, the default chain */
    sampler_init(&fresh, 1.0f, 0, 1.0f, 1);
    session_set_sampler(s, &fresh);
    session_set_seed(s, 1);
    session_select(s, -1, err);
    session_set_layer(s, 0, err);
    session_set_head(s, 0, err);
    s->neigh_token = -1;
    return 0;
}

int lesson_run_step(const Lesson *l, int step, Session *s, LessonScene *scene, char *err) {
    if (step < 0 || step >= l->n_steps) {
        gb_seterr(err, "%s: no step %d (the lesson has %d)", l->path, step + 1, l->n_steps);
        return -1;
    }
    /* the commands run through apply on a screen of their own; the scene is what it shows after */
    UiState ui;
    ui_init(&ui);
    ui.view = scene ? scene->view : -1;
    ui.score_colour = scene ? scene->scored : 0;
    ui.explain = scene ? scene->explain : 0;
    App app = {.s = s, .ui = &ui};
    const LessonStep *st = &l->steps[step];
    if (scene) scene->lab = 0; /* a panel belongs to the step that opens it */
    int rc = 0;
    for (int i = 0; i < st->n_cmds && rc == 0; i++) {
        const LessonCommand *lc = &st->cmds[i];
        CommandId id = lc->cmd.id;
        if (id == CMD_COMPARE || id == CMD_NAMES || id == CMD_MERGES) { /* the TUI's panel, opened for this step */
            if (scene) scene->lab = id, scene->lab_text = lc->cmd.text, scene->lab_len = lc->cmd.text_len;
            continue;
        }
        char cerr[GB_ERRLEN] = "";
        if (apply(&app, &lc->cmd, cerr) & RX_ERROR) {
            gb_seterr(err, "%s:%d: %s", l->path, lc->line, cerr);
            rc = -1;
        }
    }
    if (scene) scene->view = ui.view, scene->scored = ui.score_colour, scene->explain = ui.explain;
    ui_free(&ui);
    return rc;
}

int lesson_goto(const Lesson *l, int step, Session *s, const char *base_model, LessonScene *scene, char *err) {
    if (scene) scene->view = -1, scene->scored = 0, scene->explain = 0, scene->lab = 0;
    if (step < 0 || step >= l->n_steps) {
        gb_seterr(err, "%s: no step %d (the lesson has %d)", l->path, step + 1, l->n_steps);
        return -1;
    }
    char rerr[GB_ERRLEN];
    if (lesson_reset_session(s, base_model, rerr) != 0) {
        gb_seterr(err, "%s: %s", l->path, rerr);
        return -1;
    }
    for (int i = 0; i <= step; i++)
        if (lesson_run_step(l, i, s, scene, err) != 0) return -1;
    return 0;
}

/* ---- questions ---- */

char lesson_choice_letter(int i) { return (char)('a' + i); }

void lesson_answer_free(LessonAnswer *a) {
    free(a->token.text);
    a->token.text = NULL;
}

/* Quoted printable form of a token's bytes, e.g. "'·return'". */
static void show_token(const Session *s, int32_t id, char *out, size_t outsz) {
    char label[200];
    session_token_label(s, id, label, sizeof label);
    snprintf(out, outsz, "'%s'", label);
}

static void set_token(LessonAnswer *a, const Session *s, int32_t id) {
    size_t n = 0;
    const char *b = tokenizer_token_bytes(s->tok, id, &n);
    a->token.text = dup_n(b ? b : "", b ? n : 0);
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

/* The answers written in the lesson itself: a choice, a number, texts, a reflection, a task's example. */
static int compute_fixed(const LessonQuestion *q, LessonAnswer *a) {
    switch (q->kind) {
    case ANSWER_CHOICE: {
        a->right[q->choice] = 1;
        char shown[200];
        lesson_choice_display(&q->choices[q->choice], shown, sizeof shown);
        snprintf(a->shown, sizeof a->shown, "%c) %s", lesson_choice_letter(q->choice), shown);
        return 0;
    }
    case ANSWER_NUMBER:
        a->number = q->number;
        a->within = q->within;
        snprintf(a->shown, sizeof a->shown, "%g", q->number);
        return 0;
    case ANSWER_TEXT:
        snprintf(a->shown, sizeof a->shown, "%.200s", q->accept[0].text);
        return 0;
    case ANSWER_TASK: /* what the example does: its answer, else its commands */
        if (q->example) {
            snprintf(a->shown, sizeof a->shown, "for instance `%.200s`", q->example);
        } else {
            size_t used = (size_t)snprintf(a->shown, sizeof a->shown, "for instance");
            for (int i = 0; i < q->n_example_cmds && used < sizeof a->shown; i++)
                used += (size_t)snprintf(a->shown + used, sizeof a->shown - used, "%s `:%.100s`", i ? "," : "",
                                         q->example_cmds[i].source);
        }
        return 0;
    default:
        snprintf(a->shown, sizeof a->shown, "(any answer)");
        return 0;
    }
}

/* top-token, top-prob: the scene's next-token distribution. */
static int compute_top(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    if (!s->has_next) {
        gb_seterr(err, "%s: the scene has no text to predict from (set a prompt first)",
                  q->kind == ANSWER_TOP_TOKEN ? "top-token" : "top-prob");
        return -1;
    }
    int32_t id = s->next.order[0];
    if (q->kind == ANSWER_TOP_TOKEN) {
        set_token(a, s, id);
        return 0;
    }
    a->number = 100.0 * s->next.probs[id];
    a->within = q->within;
    snprintf(a->shown, sizeof a->shown, a->number >= 10 ? "%.0f%%" : a->number >= 1 ? "%.1f%%" : "%.2f%%", a->number);
    return 0;
}

/* top-key, top-head: the attention weights of the selected token. */
/* kept: the sampler chain's kept count for the next token; lens-layer: the first layer whose logit
 * lens at the selected token already ranks the last layer's choice first. */
static int compute_chain(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    if (q->kind == ANSWER_KEPT) {
        if (!s->has_next) {
            gb_seterr(err, "kept: the scene has no text to predict from (set a prompt first)");
            return -1;
        }
        a->number = s->next.n_kept;
        snprintf(a->shown, sizeof a->shown, "%d", s->next.n_kept);
        return 0;
    }
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

static int compute_attention(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    const char *what = q->kind == ANSWER_TOP_KEY ? "top-key" : "top-head";
    int qi = session_selected(s);
    if (qi < 0) {
        gb_seterr(err, "%s: the scene has no tokens", what);
        return -1;
    }
    const Config *c = &s->model.config;
    if (q->kind == ANSWER_TOP_KEY) {
        const float *row = session_attention_row(s, s->layer, s->head, qi);
        if (!row) {
            gb_seterr(err, "%s: the model keeps no attention weights", what);
            return -1;
        }
        int best = 0;
        for (int k = 1; k <= qi; k++)
            if (row[k] > row[best]) best = k;
        set_token(a, s, s->tokens[best].id);
        return 0;
    }
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
    for (int h = 0; h < c->n_heads; h++) {
        const float *row = session_attention_row(s, s->layer, h, qi);
        if (!row) {
            gb_seterr(err, "%s: the model keeps no attention weights", what);
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

static int compute_likeliest(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    double score[LESSON_MAX_CHOICES];
    if (!s->has_next) {
        gb_seterr(err, "likeliest: the scene has no text to predict from (set a prompt first)");
        return -1;
    }
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

/* most-plausible: the choice with the fewest bits as a continuation of the scene. */
static int compute_plausible(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
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

static int compute(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err) {
    switch (q->kind) {
    case ANSWER_CHOICE: case ANSWER_NUMBER: case ANSWER_TEXT: case ANSWER_FREE: case ANSWER_TASK:
        return compute_fixed(q, a);
    case ANSWER_COUNT_TOKENS: {
        int n = count_tokens(s, &q->arg, NULL, err);
        if (n < 0) return -1;
        a->number = n;
        snprintf(a->shown, sizeof a->shown, "%d", n);
        return 0;
    }
    case ANSWER_TOP_TOKEN: case ANSWER_TOP_PROB: return compute_top(q, s, a, err);
    case ANSWER_KEPT: case ANSWER_LENS_LAYER: return compute_chain(q, s, a, err);
    case ANSWER_TOP_KEY: case ANSWER_TOP_HEAD: return compute_attention(q, s, a, err);
    case ANSWER_NEIGHBOUR: return compute_neighbour(q, s, a, err);
    case ANSWER_LIKELIEST: return compute_likeliest(q, s, a, err);
    case ANSWER_MOST_PLAUSIBLE: return compute_plausible(q, s, a, err);
    case ANSWER_FEWEST_TOKENS:
    case ANSWER_MOST_TOKENS: {
        double score[LESSON_MAX_CHOICES];
        for (int i = 0; i < q->n_choices; i++) {
            int n = count_tokens(s, &q->choices[i], NULL, err);
            if (n < 0) return -1;
            score[i] = n;
        }
        mark_best(a, q, score, q->kind == ANSWER_MOST_TOKENS);
        return 0;
    }
    }
    gb_seterr(err, "internal: unknown answer kind %d", (int)q->kind);
    return -1;
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
    if (compute(q, s, a, cerr) != 0) {
        lesson_answer_free(a);
        gb_seterr(err, "%s:%d: %s", l->path, q->answer_line, cerr);
        return -1;
    }
    return 0;
}

/* Trims blanks and newlines at both ends, and one pair of matching quotes around the rest. */
static void trim_input(const char *in, const char **s, size_t *n) {
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

int lesson_check_answer(const LessonQuestion *q, const LessonAnswer *a, const char *input, char *msg, size_t msgsz) {
    const char *s;
    size_t n;
    trim_input(input, &s, &n);
    if (msg && msgsz) msg[0] = 0;
    if (n == 0) {
        if (msg) snprintf(msg, msgsz, "type an answer first");
        return -1;
    }
    switch (q->kind) {
    case ANSWER_FREE:
        return 1;
    case ANSWER_CHOICE:
    case ANSWER_LIKELIEST:
    case ANSWER_FEWEST_TOKENS:
    case ANSWER_MOST_TOKENS:
    case ANSWER_MOST_PLAUSIBLE: {
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
    case ANSWER_NUMBER:
    case ANSWER_COUNT_TOKENS:
    case ANSWER_TOP_PROB:
    case ANSWER_KEPT:
    case ANSWER_LENS_LAYER:
    case ANSWER_TOP_HEAD: {
        double v;
        if (parse_student_number(s, n, q->kind == ANSWER_TOP_PROB, &v) != 0) {
            if (msg) snprintf(msg, msgsz, q->kind == ANSWER_TOP_PROB ? "answer with a percentage" : "answer with a number");
            return -1;
        }
        double tol = (q->kind == ANSWER_NUMBER || q->kind == ANSWER_TOP_PROB) ? a->within : 0;
        return fabs(v - a->number) <= tol + 1e-9 ? 1 : 0;
    }
    case ANSWER_TEXT:
        for (int i = 0; i < q->n_accept; i++)
            if (same_trimmed(q->accept[i].text, q->accept[i].len, s, n, 1)) return 1;
        return 0;
    case ANSWER_TASK: /* measured on the session by the player (lesson_player_answer), not by text */
        if (msg) snprintf(msg, msgsz, "a task is checked on the model: do it, then answer");
        return -1;
    case ANSWER_TOP_TOKEN:
    case ANSWER_TOP_KEY:
    case ANSWER_NEIGHBOUR: {
        if (token_matches(&a->token, s, n)) return 1;
        /* the displayed form ('·return') also counts */
        size_t sl = strlen(a->shown);
        if (sl >= 2 && same_trimmed(a->shown + 1, sl - 2, s, n, 0)) return 1;
        return 0;
    }
    }
    return 0;
}

char *lesson_feedback(const LessonQuestion *q, const LessonAnswer *a, int right, char *out, size_t outsz) {
    const char *tmpl = right ? q->right : q->wrong;
    if (!tmpl) tmpl = right ? (q->kind == ANSWER_FREE ? "Noted." : "Right: {answer}.") : "Not quite: the answer is {answer}.";
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

/* ---- checking a lesson against itself ---- */

/* The input a student would type for the expected answer, to test the checker against itself. */
static void model_input(const LessonQuestion *q, const LessonAnswer *a, char *out, size_t outsz) {
    switch (q->kind) {
    case ANSWER_CHOICE:
    case ANSWER_LIKELIEST:
    case ANSWER_FEWEST_TOKENS:
    case ANSWER_MOST_TOKENS:
    case ANSWER_MOST_PLAUSIBLE:
        for (int i = 0; i < q->n_choices; i++)
            if (a->right[i]) {
                snprintf(out, outsz, "%c", lesson_choice_letter(i));
                return;
            }
        snprintf(out, outsz, "?");
        return;
    case ANSWER_TEXT:
        snprintf(out, outsz, "%s", q->accept[0].text);
        return;
    case ANSWER_TOP_TOKEN:
    case ANSWER_TOP_KEY:
    case ANSWER_NEIGHBOUR:
        snprintf(out, outsz, "%s", a->shown);
        return;
    case ANSWER_TOP_PROB:
        snprintf(out, outsz, "%.17g%%", a->number);
        return;
    default:
        snprintf(out, outsz, "%.17g", a->number);
        return;
    }
}

/* ---- lesson check ---- */

typedef struct {
    const char *path;
    LessonReportFn report;
    void *ctx;
    LessonCheckStats *st;
    char *err; /* the first problem */
} Checker;

static void problem(Checker *k, int warning, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(Checker *k, int warning, const char *fmt, ...) {
    char line[GB_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (warning) k->st->warnings++;
    else if (k->st->problems++ == 0) gb_seterr(k->err, "%s", line);
    if (k->report) k->report(k->ctx, warning, line);
}

/* Measures every claim of a list; each one that fails or cannot be measured is a problem. */
static void check_claims(Checker *k, const Claim *claims, int n, Session *s, LabVocabs *v, const char *input) {
    for (int i = 0; i < n; i++) {
        char msg[GB_ERRLEN], cerr[GB_ERRLEN];
        int r = claim_eval(&claims[i], s, v, input, msg, sizeof msg, cerr);
        k->st->claims++;
        if (r == 1) continue;
        k->st->claims_failed++;
        if (r == 0) problem(k, 0, "%s:%d: %s", k->path, claims[i].line, msg);
        else problem(k, 0, "%s:%d: %s", k->path, claims[i].line, cerr);
    }
}

/* A task: not done by the scene alone, done by its example. The example's commands change the session,
 * so the step is replayed afterwards. */
static void check_task(Checker *k, const Lesson *l, int step, Session *s, const char *base_model, LabVocabs *v) {
    const LessonQuestion *q = &l->steps[step].q;
    int done = 1;
    for (int i = 0; i < q->n_checks && done; i++) {
        char cerr[GB_ERRLEN];
        done = claim_eval(&q->checks[i], s, v, "", NULL, 0, cerr) == 1;
    }
    if (done) problem(k, 0, "%s:%d: the task is done before the student does anything", k->path, q->line);
    for (int i = 0; i < q->n_example_cmds; i++) {
        char cerr[GB_ERRLEN] = "";
        if (commands_run(s, &q->example_cmds[i].cmd, cerr) == CMDR_ERROR)
            problem(k, 0, "%s:%d: %s", k->path, q->example_cmds[i].line, cerr);
    }
    int before = k->st->claims_failed;
    check_claims(k, q->checks, q->n_checks, s, v, q->example ? q->example : "");
    if (k->st->claims_failed > before)
        problem(k, 0, "%s:%d: the task's example does not do the task", k->path, q->line);
    char gerr[GB_ERRLEN];
    if (q->n_example_cmds && lesson_goto(l, step, s, base_model, NULL, gerr) != 0) problem(k, 0, "%s", gerr);
}

/* Counts a lettered question's right letter, and whether its right choice is the longest. */
static void count_letters(Checker *k, const LessonQuestion *q, const LessonAnswer *a) {
    int right = -1;
    for (int i = 0; i < q->n_choices && right < 0; i++)
        if (a->right[i]) right = i;
    if (right < 0) return;
    k->st->lettered++;
    k->st->letters[right]++;
    int longest = 1;
    for (int i = 0; i < q->n_choices; i++)
        if (i != right && q->choices[i].len >= q->choices[right].len) longest = 0;
    k->st->longest += longest;
}

/* Answers a student can guess without thinking: more than half on one letter, or on the longest choice. */
static void check_spread(Checker *k) {
    LessonCheckStats *st = k->st;
    if (st->lettered < 2) return;
    for (int i = 0; i < LESSON_MAX_CHOICES; i++)
        if (2 * st->letters[i] > st->lettered)
            problem(k, 1, "%s: warning: %d of the %d lettered answers are %c: spread them over the positions",
                    k->path, st->letters[i], st->lettered, lesson_choice_letter(i));
    if (2 * st->longest > st->lettered)
        problem(k, 1, "%s: warning: %d of the %d lettered answers are the longest choice", k->path, st->longest,
                st->lettered);
}

static void check_question(Checker *k, const Lesson *l, int i, Session *s, const char *base_model, LabVocabs *v) {
    const LessonQuestion *q = &l->steps[i].q;
    LessonAnswer a;
    char aerr[GB_ERRLEN];
    k->st->questions++;
    if (lesson_compute_answer(l, i, s, &a, aerr) != 0) {
        problem(k, 0, "%s", aerr);
        return;
    }
    if (q->kind == ANSWER_TASK) {
        k->st->tasks++;
        check_task(k, l, i, s, base_model, v);
    } else {
        char input[300], msg[200];
        model_input(q, &a, input, sizeof input);
        if (lesson_check_answer(q, &a, input, msg, sizeof msg) != 1)
            problem(k, 0, "%s:%d: the expected answer %s is not accepted by its own question", k->path, q->line, a.shown);
        if (q->n_choices) count_letters(k, q, &a);
    }
    lesson_answer_free(&a);
}

int lesson_check_report(const char *path, Session *s, const char *base_model, LessonReportFn report, void *ctx,
                        LessonCheckStats *stats, char *err) {
    LessonCheckStats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    Lesson l;
    if (lesson_load(&l, path, err) != 0) {
        stats->problems = 1;
        if (report) report(ctx, 0, err);
        return -1;
    }
    Checker k = {.path = path, .report = report, .ctx = ctx, .st = stats, .err = err};
    LabVocabs vocabs = {0};
    char rerr[GB_ERRLEN];
    stats->steps = l.n_steps;
    int ready = lesson_reset_session(s, base_model, rerr) == 0;
    if (!ready) problem(&k, 0, "%s: %s", path, rerr);
    for (int i = 0; ready && i < l.n_steps; i++) {
        char serr[GB_ERRLEN];
        if (lesson_run_step(&l, i, s, NULL, serr) != 0) { /* later steps build on this one: stop */
            problem(&k, 0, "%s", serr);
            break;
        }
        check_claims(&k, l.steps[i].claims, l.steps[i].n_claims, s, &vocabs, NULL);
        if (l.steps[i].has_question) check_question(&k, &l, i, s, base_model, &vocabs);
    }
    check_spread(&k);
    lab_vocabs_free(&vocabs);
    lesson_free(&l);
    return stats->problems ? -1 : 0;
}

int lesson_check(const char *path, Session *s, const char *base_model, char *err) {
    return lesson_check_report(path, s, base_model, NULL, NULL, NULL, err);
}

/* ---- the player ---- */

int lesson_question_graded(const LessonQuestion *q) { return q->kind != ANSWER_FREE; }

void lesson_score(const Lesson *l, const ProgressLesson *pl, int *right, int *graded) {
    *right = *graded = 0;
    for (int i = 0; i < l->n_steps; i++) {
        if (!l->steps[i].has_question || !lesson_question_graded(&l->steps[i].q)) continue;
        ++*graded;
        const ProgressAnswer *pa = pl ? progress_answer(pl, i) : NULL;
        if (pa && pa->right && !pa->revealed) ++*right;
    }
}

static void update_score(LessonPlayer *p, Progress *prog) {
    const ProgressLesson *pl = prog ? progress_lesson(prog, p->lesson.name, 0) : NULL;
    lesson_score(&p->lesson, pl, &p->score_right, &p->score_graded);
}

/* Measures the step's claims on the model as the scene left it: a broken one is shown on the step, so
 * that a lesson played on another model never silently says what that model does not do. */
static void player_claims(LessonPlayer *p, Session *s) {
    const LessonStep *st = &p->lesson.steps[p->step];
    p->claim_note[0] = 0;
    p->claims_broken = 0;
    for (int i = 0; i < st->n_claims; i++) {
        char msg[GB_ERRLEN], cerr[GB_ERRLEN];
        int r = claim_eval(&st->claims[i], s, &p->vocabs, NULL, msg, sizeof msg, cerr);
        if (r == 1) continue;
        size_t used = strlen(p->claim_note);
        if (p->claims_broken++ < 3)
            snprintf(p->claim_note + used, sizeof p->claim_note - used, "%s%s", used ? "; " : "", r == 0 ? msg : cerr);
    }
}

/* Computes the current step's expected answer right after its scene. */
static void player_prepare(LessonPlayer *p, Session *s) {
    if (p->has_answer) lesson_answer_free(&p->answer);
    p->has_answer = 0;
    p->answer_error[0] = 0;
    p->answered = p->right = p->tries = p->revealed = p->show_hint = p->scroll = 0;
    p->input[0] = p->feedback[0] = 0;
    player_claims(p, s);
    if (!p->lesson.steps[p->step].has_question) return;
    if (lesson_compute_answer(&p->lesson, p->step, s, &p->answer, p->answer_error) == 0) p->has_answer = 1;
}

/* The feedback shown after a wrong answer: the hint first, the answer after a second try or a reveal. */
static void wrong_feedback(LessonPlayer *p, const LessonQuestion *q, const char *measured) {
    if (p->revealed) {
        lesson_feedback(q, &p->answer, 0, p->feedback, sizeof p->feedback);
        return;
    }
    snprintf(p->feedback, sizeof p->feedback, "Not yet%s%s. %s", measured ? ": " : "", measured ? measured : "",
             q->hint ? "Read the hint and try again, or type :reveal." : "Try again, or type :reveal.");
}

int lesson_player_goto(LessonPlayer *p, int step, Session *s, Progress *prog, LessonScene *scene, char *err) {
    if (step < 0) step = 0;
    if (step >= p->lesson.n_steps) step = p->lesson.n_steps - 1;
    if (lesson_goto(&p->lesson, step, s, p->base_model, scene, err) != 0) return -1;
    p->step = step;
    player_prepare(p, s);
    if (prog) {
        progress_set_step(prog, p->lesson.name, step, p->lesson.n_steps);
        const ProgressAnswer *pa = progress_answer(progress_lesson(prog, p->lesson.name, 0), step);
        const LessonQuestion *q = &p->lesson.steps[step].q;
        if (pa && p->has_answer) { /* show what they answered last time */
            snprintf(p->input, sizeof p->input, "%s", pa->text);
            p->tries = pa->tries;
            p->revealed = pa->revealed;
            p->answered = pa->tries > 0;
            p->right = pa->right;
            p->show_hint = !pa->right && q->hint;
            if (p->right) lesson_feedback(q, &p->answer, 1, p->feedback, sizeof p->feedback);
            else if (p->answered || p->revealed) wrong_feedback(p, q, NULL);
        }
    }
    update_score(p, prog);
    return 0;
}

int lesson_player_open(LessonPlayer *p, const char *path, Session *s, Progress *prog, LessonScene *scene, char *err) {
    memset(p, 0, sizeof *p);
    if (lesson_load(&p->lesson, path, err) != 0) return -1;
    snprintf(p->base_model, sizeof p->base_model, "%s", s->model_path);
    int step = 0;
    const ProgressLesson *pl = prog ? progress_lesson(prog, p->lesson.name, 0) : NULL;
    if (pl && pl->step < p->lesson.n_steps) step = pl->step;
    if (lesson_player_goto(p, step, s, prog, scene, err) != 0) {
        lesson_player_close(p);
        return -1;
    }
    return 0;
}

/* A task: every check measured on the session with the student's input. 1 done, 0 not yet (the first
 * failing check's measurement in measured), -1 a check cannot be measured (measured says why). */
static int task_done(LessonPlayer *p, const LessonQuestion *q, Session *s, const char *input, char *measured,
                     size_t msz) {
    const char *in;
    size_t n;
    trim_input(input, &in, &n); /* as a typed answer: edge blanks go, quotes keep what they hold */
    char *text = dup_n(in, n);
    for (int i = 0; i < q->n_checks; i++) {
        char msg[GB_ERRLEN], cerr[GB_ERRLEN];
        int r = claim_eval(&q->checks[i], s, &p->vocabs, text, msg, sizeof msg, cerr);
        if (r == 1) continue;
        snprintf(measured, msz, "%s", r == 0 ? msg : cerr);
        free(text);
        return r;
    }
    free(text);
    return 1;
}

int lesson_player_answer(LessonPlayer *p, const char *input, Session *s, Progress *prog) {
    if (p->lesson.n_steps == 0) return -1;
    const LessonStep *st = &p->lesson.steps[p->step];
    if (!st->has_question) {
        snprintf(p->feedback, sizeof p->feedback, "This step asks nothing: press n for the next one.");
        p->answered = 0;
        return -1;
    }
    if (!p->has_answer) {
        snprintf(p->feedback, sizeof p->feedback, "This question cannot be checked here: %.900s", p->answer_error);
        return -1;
    }
    char msg[GB_ERRLEN] = "";
    int r;
    if (st->q.kind == ANSWER_TASK) {
        r = task_done(p, &st->q, s, input, msg, sizeof msg);
        if (r < 0) {
            snprintf(p->feedback, sizeof p->feedback, "%.900s", msg);
            return -1;
        }
    } else if ((r = lesson_check_answer(&st->q, &p->answer, input, msg, sizeof msg)) < 0) {
        snprintf(p->feedback, sizeof p->feedback, "%s", msg);
        return -1;
    }
    snprintf(p->input, sizeof p->input, "%s", input);
    p->answered = 1;
    p->right = r;
    p->tries++;
    if (!r && st->q.hint) p->show_hint = 1;
    if (!r && p->tries >= 2) p->revealed = 1;
    if (r) lesson_feedback(&st->q, &p->answer, 1, p->feedback, sizeof p->feedback);
    else wrong_feedback(p, &st->q, st->q.kind == ANSWER_TASK ? msg : NULL);
    if (prog) {
        progress_set_answer(prog, p->lesson.name, p->step, r, input);
        progress_set_attempts(prog, p->lesson.name, p->step, p->tries, p->revealed);
    }
    update_score(p, prog);
    return r;
}

int lesson_player_reveal(LessonPlayer *p, Progress *prog) {
    if (p->lesson.n_steps == 0 || !p->lesson.steps[p->step].has_question) return -1;
    const LessonQuestion *q = &p->lesson.steps[p->step].q;
    p->revealed = 1;
    if (!p->has_answer) snprintf(p->feedback, sizeof p->feedback, "It cannot be computed here: %.900s", p->answer_error);
    else if (!(p->answered && p->right)) lesson_feedback(q, &p->answer, 0, p->feedback, sizeof p->feedback);
    if (prog) {
        if (!progress_answer(progress_lesson(prog, p->lesson.name, 0), p->step))
            progress_set_answer(prog, p->lesson.name, p->step, 0, "");
        progress_set_attempts(prog, p->lesson.name, p->step, p->tries, 1);
    }
    update_score(p, prog);
    return 0;
}

void lesson_player_close(LessonPlayer *p) {
    if (p->has_answer) lesson_answer_free(&p->answer);
    lab_vocabs_free(&p->vocabs);
    lesson_free(&p->lesson);
    memset(p, 0, sizeof *p);
}

char *lesson_dir(char *out, size_t outsz) {
    const char *e = getenv("GLASSBOX_LESSONS");
    if (e && *e) snprintf(out, outsz, "%s", e);
    else snprintf(out, outsz, "%s/../lessons", gb_assets_dir());
    return out;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int lesson_list(const char *dir, char ***paths, char *err) {
    *paths = NULL;
    DIR *d = opendir(dir);
    if (!d) {
        gb_seterr(err, "%s: cannot open the lessons directory: %s", dir, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1000) {
        size_t len = strlen(e->d_name);
        if (len < 8 || e->d_name[0] == '.' || strcmp(e->d_name + len - 7, ".lesson") != 0) continue;
        *paths = gb_realloc(*paths, sizeof(char *) * (size_t)(n + 1));
        size_t pl = strlen(dir) + len + 2;
        (*paths)[n] = gb_malloc(pl);
        snprintf((*paths)[n], pl, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 1) qsort(*paths, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

void lesson_list_free(char **paths, int n) {
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
