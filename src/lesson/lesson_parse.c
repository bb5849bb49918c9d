/* Parsing a lesson: its text, line by line, to a Lesson (the format: lessons/README.md). Every count is
 * bounded, every scene command checked against the request table, every model path resolved and
 * checked here, so that a lesson that parses is safe to play. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "lesson_internal.h"
#include "utf8.h"
#include "util.h"

/* ---- small string helpers ---- */

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
    out->text = lesson_strndup(w, (size_t)(*p - w));
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
        out->text = lesson_strndup(s, (size_t)(end - s));
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
    st->blocks[st->n_blocks++] = (LessonBlock){.verbatim = verbatim, .text = lesson_strndup(s, n)};
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
    char *line = lesson_strndup(s, (size_t)(end - s));
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

/* The kind named by the word [w, w + wl), or -1 with err listing the kinds. */
static int answer_kind_named(Parser *p, const char *w, size_t wl) {
    for (int k = 0; k < ANSWER_KIND_COUNT; k++)
        if (strlen(ANSWER_KINDS[k].name) == wl && memcmp(ANSWER_KINDS[k].name, w, wl) == 0) return k;
    char names[512];
    size_t used = 0;
    for (int k = 0; k < ANSWER_KIND_COUNT && used < sizeof names; k++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "", ANSWER_KINDS[k].name);
    return fail(p, "answer: unknown kind '%.*s' (%s)", (int)(wl > 40 ? 40 : wl), w, names);
}

/* The argument of an `answer:` line, [s, end) after the kind's name, as the kind's row says. */
static int parse_answer_arg(Parser *p, LessonQuestion *q, const char *s, const char *end) {
    const char *kname = ANSWER_KINDS[q->kind].name;
    char aerr[GB_ERRLEN];
    switch (ANSWER_KINDS[q->kind].arg) {
    case ANSWER_ARG_LETTER:
        s = skip_blank(s, end);
        if (end - s != 1 || *s < 'a' || *s >= 'a' + LESSON_MAX_CHOICES)
            return fail(p, "answer: %s needs the letter of the right choice (a-%c)", kname,
                        'a' + LESSON_MAX_CHOICES - 1);
        q->choice = *s - 'a';
        return 0;
    case ANSWER_ARG_NUMBER:
        if (read_number(&s, end, &q->number) != 0) return fail(p, "answer: %s needs a number", kname);
        return read_within(p, s, end, &q->within);
    case ANSWER_ARG_WITHIN:
        q->within = 10;
        return read_within(p, s, end, &q->within);
    case ANSWER_ARG_TEXTS:
        while (skip_blank(s, end) < end) {
            if (q->n_accept >= LESSON_MAX_ACCEPT) return fail(p, "answer: more than %d accepted texts", LESSON_MAX_ACCEPT);
            if (read_arg(&s, end, &q->accept[q->n_accept], aerr) != 0) return fail(p, "answer: %s", aerr);
            q->n_accept++;
        }
        if (q->n_accept == 0) return fail(p, "answer: %s needs at least one accepted answer", kname);
        return 0;
    case ANSWER_ARG_TEXT:
        if (read_rest(s, end, &q->arg, aerr) != 0) return fail(p, "answer: %s: %s", kname, aerr);
        return 0;
    case ANSWER_ARG_NONE:
        break;
    }
    if (skip_blank(s, end) != end) return fail(p, "answer: %s takes no argument", kname);
    return 0;
}

static int parse_answer(Parser *p, LessonQuestion *q, const char *s, const char *end) {
    if (q->answer_line) return fail(p, "a second answer: for the same question (first on line %d)", q->answer_line);
    q->answer_line = p->line;
    s = skip_blank(s, end);
    end = trim_end(s, end);
    const char *w = s;
    while (s < end && *s != ' ' && *s != '\t') s++;
    int k = answer_kind_named(p, w, (size_t)(s - w));
    if (k < 0) return -1;
    q->kind = (AnswerKind)k;
    return parse_answer_arg(p, q, s, end);
}

/* Checks a finished question (at the end of its step). */
static int finish_question(Parser *p, LessonStep *st) {
    if (!st || !st->has_question) return 0;
    LessonQuestion *q = &st->q;
    int save = p->line;
    p->line = q->line;
    const AnswerKindRow *kind = &ANSWER_KINDS[q->kind];
    int task = kind->form == ANSWER_BY_DOING;
    int rc = 0;
    if (!q->answer_line) rc = fail(p, "a question without an answer: line");
    else if (kind->arg == ANSWER_ARG_LETTER && q->choice >= q->n_choices)
        rc = fail(p, "answer: %s %c but the question has %d choices", kind->name, 'a' + q->choice, q->n_choices);
    else if (kind->form == ANSWER_BY_LETTER && kind->arg != ANSWER_ARG_LETTER && q->n_choices < 2)
        rc = fail(p, "answer: this kind compares choices: give at least two choice: lines");
    else if (task && q->n_checks == 0)
        rc = fail(p, "answer: a task needs check: lines that say what the student must achieve");
    else if (task && !q->example && q->n_example_cmds == 0)
        rc = fail(p, "answer: a task needs an example: (an answer, or '> command') that does it, for lesson check");
    else if (!task && (q->n_checks || q->example || q->n_example_cmds))
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
    st->title = lesson_strndup(s, (size_t)(trim_end(s, end) - s));
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
    *field = lesson_strndup(s, (size_t)(end - s));
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
        l->title = lesson_strndup(rest, (size_t)(e - rest));
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
        st->q.text = lesson_strndup(rest, (size_t)(trim_end(rest, end) - rest));
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
    p.dir = slash ? lesson_strndup(path, (size_t)(slash - path)) : gb_strdup(".");
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
