#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "files.h"
#include "util.h"

char *progress_default_path(char *out, size_t outsz) {
    const char *state = getenv("XDG_STATE_HOME");
    if (state && state[0] == '/') {
        snprintf(out, outsz, "%s/glassbox/progress", state);
        return out;
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        snprintf(out, outsz, "%s/.local/state/glassbox/progress", home);
        return out;
    }
    return NULL;
}

static void lesson_record_free(ProgressLesson *l) {
    for (int i = 0; i < l->n_answers; i++) free(l->answers[i].text);
    free(l->answers);
    free(l->name);
    memset(l, 0, sizeof *l);
}

void progress_free(Progress *p) {
    for (int i = 0; i < p->n_lessons; i++) lesson_record_free(&p->lessons[i]);
    free(p->lessons);
    free(p->path);
    free(p->base);
    memset(p, 0, sizeof *p);
}

ProgressLesson *progress_lesson(Progress *p, const char *name, int create) {
    for (int i = 0; i < p->n_lessons; i++)
        if (strcmp(p->lessons[i].name, name) == 0) return &p->lessons[i];
    if (!create) return NULL;
    p->lessons = gb_realloc(p->lessons, sizeof(ProgressLesson) * (size_t)(p->n_lessons + 1));
    ProgressLesson *l = &p->lessons[p->n_lessons++];
    memset(l, 0, sizeof *l);
    l->name = gb_strdup(name);
    return l;
}

void progress_set_step(Progress *p, const char *name, int step, int n_steps) {
    ProgressLesson *l = progress_lesson(p, name, 1);
    l->step = step < 0 ? 0 : step;
    l->n_steps = n_steps < 0 ? 0 : n_steps;
}

/* Copies at most PROGRESS_MAX_STRING bytes of s. */
static char *bounded_dup(const char *s) {
    size_t n = strlen(s);
    if (n > PROGRESS_MAX_STRING) n = PROGRESS_MAX_STRING;
    char *d = gb_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void progress_set_answer(Progress *p, const char *name, int step, int right, const char *text) {
    ProgressLesson *l = progress_lesson(p, name, 1);
    for (int i = 0; i < l->n_answers; i++) {
        if (l->answers[i].step == step) {
            free(l->answers[i].text);
            l->answers[i].text = bounded_dup(text);
            l->answers[i].right = right ? 1 : 0;
            return;
        }
    }
    l->answers = gb_realloc(l->answers, sizeof(ProgressAnswer) * (size_t)(l->n_answers + 1));
    l->answers[l->n_answers++] =
        (ProgressAnswer){.step = step, .right = right ? 1 : 0, .text = bounded_dup(text), .tries = 1};
}

void progress_set_attempts(Progress *p, const char *name, int step, int tries, int revealed) {
    ProgressLesson *l = progress_lesson(p, name, 0);
    for (int i = 0; l && i < l->n_answers; i++)
        if (l->answers[i].step == step) {
            l->answers[i].tries = tries < 0 ? 0 : tries > 999999 ? 999999 : tries;
            l->answers[i].revealed = revealed ? 1 : 0;
        }
}

const ProgressAnswer *progress_answer(const ProgressLesson *l, int step) {
    if (!l) return NULL;
    for (int i = 0; i < l->n_answers; i++)
        if (l->answers[i].step == step) return &l->answers[i];
    return NULL;
}

void progress_reset(Progress *p, const char *name) {
    for (int i = 0; i < p->n_lessons; i++) {
        if (strcmp(p->lessons[i].name, name) != 0) continue;
        lesson_record_free(&p->lessons[i]);
        p->lessons[i] = p->lessons[--p->n_lessons];
        return;
    }
}

/* ---- text form ---- */

typedef struct {
    char *buf;
    size_t len, cap;
} Buf;

static void buf_put(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? b->cap * 2 : 256;
        b->buf = gb_realloc(b->buf, b->cap);
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = 0;
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(Buf *b, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void buf_quoted(Buf *b, const char *s) {
    buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"') buf_put(b, "\\\"", 2);
        else if (c == '\\') buf_put(b, "\\\\", 2);
        else if (c == '\n') buf_put(b, "\\n", 2);
        else if (c == '\t') buf_put(b, "\\t", 2);
        else if (c < 0x20 || c == 0x7f) buf_printf(b, "\\x%02x", c);
        else buf_put(b, (const char *)s, 1);
    }
    buf_put(b, "\"", 1);
}

char *progress_format(const Progress *p, size_t *len) {
    Buf b = {0};
    buf_put(&b, "glassbox-progress 1\n", 20);
    for (int i = 0; i < p->n_lessons; i++) {
        const ProgressLesson *l = &p->lessons[i];
        buf_put(&b, "lesson ", 7);
        buf_quoted(&b, l->name);
        buf_printf(&b, " %d %d\n", l->step, l->n_steps);
        for (int j = 0; j < l->n_answers; j++) {
            buf_put(&b, "answer ", 7);
            buf_quoted(&b, l->name);
            buf_printf(&b, " %d %d ", l->answers[j].step, l->answers[j].right);
            buf_quoted(&b, l->answers[j].text);
            buf_printf(&b, " %d %d\n", l->answers[j].tries, l->answers[j].revealed);
        }
    }
    *len = b.len;
    return b.buf;
}

/* A cursor over one line. */
typedef struct {
    const char *s, *end;
} Cursor;

static int expect_char(Cursor *c, char ch) {
    if (c->s >= c->end || *c->s != ch) return -1;
    c->s++;
    return 0;
}

/* A quoted string into a malloc'ed buffer. NUL bytes are refused (they cannot be C strings). */
static char *read_quoted(Cursor *c) {
    if (expect_char(c, '"') != 0) return NULL;
    Buf b = {0};
    buf_put(&b, "", 0);
    while (c->s < c->end && *c->s != '"') {
        char ch = *c->s++;
        if (ch != '\\') {
            buf_put(&b, &ch, 1);
            continue;
        }
        if (c->s >= c->end) break;
        char e = *c->s++;
        if (e == 'n') ch = '\n';
        else if (e == 't') ch = '\t';
        else if (e == '"' || e == '\\') ch = e;
        else if (e == 'x' && c->end - c->s >= 2 && gb_hexval(c->s[0]) >= 0 && gb_hexval(c->s[1]) >= 0) {
            ch = (char)(gb_hexval(c->s[0]) * 16 + gb_hexval(c->s[1]));
            c->s += 2;
            if (ch == 0) break;
        } else break;
        buf_put(&b, &ch, 1);
    }
    if (expect_char(c, '"') != 0 || b.len > PROGRESS_MAX_STRING) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* A non-negative decimal integer below 1e6. */
static int read_count(Cursor *c, int *out) {
    long v = 0;
    int digits = 0;
    while (c->s < c->end && *c->s >= '0' && *c->s <= '9' && digits < 7) {
        v = v * 10 + (*c->s++ - '0');
        digits++;
    }
    if (digits == 0 || digits >= 7) return -1;
    *out = (int)v;
    return 0;
}

/* The optional " TRIES REVEALED" of an answer record (files written before they were kept have none). */
static int read_attempts(Cursor *c, int *tries, int *revealed) {
    *tries = 1, *revealed = 0;
    if (c->s == c->end) return 0;
    if (expect_char(c, ' ') || read_count(c, tries) || expect_char(c, ' ') || read_count(c, revealed) || *revealed > 1)
        return -1;
    return 0;
}

static int parse_line(Progress *p, Cursor *c) {
    int step, n, tries, revealed;
    char *name = NULL, *text = NULL;
    if (c->end - c->s >= 7 && memcmp(c->s, "lesson ", 7) == 0) {
        c->s += 7;
        if (!(name = read_quoted(c)) || !*name || expect_char(c, ' ') || read_count(c, &step) ||
            expect_char(c, ' ') || read_count(c, &n) || c->s != c->end) {
            free(name);
            return -1;
        }
        /* records are looked up by a linear scan: a bound keeps a hostile file from taking minutes */
        if (!progress_lesson(p, name, 0) && p->n_lessons >= PROGRESS_MAX_LESSONS) {
            free(name);
            return -1;
        }
        progress_set_step(p, name, step, n);
        free(name);
        return 0;
    }
    if (c->end - c->s >= 7 && memcmp(c->s, "answer ", 7) == 0) {
        c->s += 7;
        if (!(name = read_quoted(c)) || !*name || expect_char(c, ' ') || read_count(c, &step) ||
            expect_char(c, ' ') || read_count(c, &n) || n > 1 || expect_char(c, ' ') || !(text = read_quoted(c)) ||
            read_attempts(c, &tries, &revealed) || c->s != c->end || !progress_lesson(p, name, 0)) {
            free(name);
            free(text);
            return -1;
        }
        const ProgressLesson *l = progress_lesson(p, name, 0);
        if (!progress_answer(l, step) && l->n_answers >= PROGRESS_MAX_ANSWERS) {
            free(name);
            free(text);
            return -1;
        }
        progress_set_answer(p, name, step, n, text);
        progress_set_attempts(p, name, step, tries, revealed);
        free(name);
        free(text);
        return 0;
    }
    return -1;
}

int progress_parse(Progress *p, const char *text, size_t len, char *err) {
    const char *s = text, *end = text + len;
    int line = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) {
            gb_seterr(err, "%d: the last line is not finished (no newline)", line + 1);
            return -1;
        }
        line++;
        Cursor c = {s, nl};
        if (line == 1) {
            if ((size_t)(nl - s) != 19 || memcmp(s, "glassbox-progress 1", 19) != 0) {
                gb_seterr(err, "1: not a glassbox progress file (version 1)");
                return -1;
            }
        } else if (memchr(s, 0, (size_t)(nl - s)) || parse_line(p, &c) != 0) {
            gb_seterr(err, "%d: malformed record", line);
            return -1;
        }
        s = nl + 1;
    }
    if (line == 0) {
        gb_seterr(err, "1: empty file");
        return -1;
    }
    return 0;
}

/* Renames a bad file out of the way so the next save starts afresh. */
static void set_aside(const char *path, char *note, const char *why) {
    char aside[4200];
    if (gb_set_aside(path, aside, sizeof aside) == 0)
        gb_seterr(note, "progress file %s: %s; moved to %s, starting afresh", path, why, aside);
    else
        gb_seterr(note, "progress file %s: %s; could not move it aside (%s), starting afresh", path, why,
                  strerror(errno));
}

int progress_load(Progress *p, const char *path, char *note, char *err) {
    memset(p, 0, sizeof *p);
    if (note) note[0] = 0;
    if (!path) {
        gb_seterr(err, "progress: no place to keep it ($XDG_STATE_HOME and $HOME are unset)");
        return -1;
    }
    p->path = gb_strdup(path);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT && note) gb_seterr(note, "progress file %s: %s", path, strerror(errno));
        return 0;
    }
    char why[GB_ERRLEN];
    if (!S_ISREG(st.st_mode)) {
        set_aside(path, note, "not a regular file");
        return 0;
    }
    if (st.st_size > PROGRESS_MAX_BYTES) {
        set_aside(path, note, "larger than any progress file should be");
        return 0;
    }
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_PROGRESS, path, &data, &len, why) != 0) {
        set_aside(path, note, "cannot be read");
        return 0;
    }
    char perr[GB_ERRLEN];
    int rc = progress_parse(p, data, len, perr);
    if (rc == 0) p->base = progress_format(p, &len); /* what the file said: the base of later merges */
    free(data);
    if (rc != 0) {
        char *keep = p->path;
        p->path = NULL;
        progress_free(p);
        p->path = keep;
        snprintf(why, sizeof why, "line %.480s", perr);
        set_aside(path, note, why);
    }
    return 0;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path, char *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = 0;
    for (char *q = dir + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            gb_seterr(err, "%s: cannot create directory: %s", dir, strerror(errno));
            return -1;
        }
        *q = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        gb_seterr(err, "%s: cannot create directory: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- saving: a three-way merge under a lock ---- */

static const ProgressLesson *find_lesson(const Progress *p, const char *name) {
    for (int i = 0; i < p->n_lessons; i++)
        if (strcmp(p->lessons[i].name, name) == 0) return &p->lessons[i];
    return NULL;
}

static int steps_equal(const ProgressLesson *a, const ProgressLesson *b) {
    if (!a || !b) return a == b;
    return a->step == b->step && a->n_steps == b->n_steps;
}

static int answers_equal(const ProgressAnswer *a, const ProgressAnswer *b) {
    if (!a || !b) return a == b;
    return a->right == b->right && strcmp(a->text, b->text) == 0 && a->tries == b->tries &&
           a->revealed == b->revealed;
}

/* One answer of the merge: this session's when it changed it since base, else the file's now. */
static void merge_answer(Progress *out, const char *name, int step, const ProgressLesson *m,
                         const ProgressLesson *b, const ProgressLesson *t) {
    const ProgressAnswer *am = progress_answer(m, step), *ab = progress_answer(b, step);
    const ProgressAnswer *pick = answers_equal(am, ab) ? progress_answer(t, step) : am;
    if (!pick) return;
    progress_set_answer(out, name, step, pick->right, pick->text);
    progress_set_attempts(out, name, step, pick->tries, pick->revealed);
}

static void merge_lesson(Progress *out, const char *name, const Progress *mine, const Progress *base,
                         const Progress *theirs) {
    const ProgressLesson *m = find_lesson(mine, name), *b = find_lesson(base, name), *t = find_lesson(theirs, name);
    const ProgressLesson *step_from = steps_equal(m, b) ? t : m;
    if (step_from) progress_set_step(out, name, step_from->step, step_from->n_steps);
    for (int i = 0; m && i < m->n_answers; i++) merge_answer(out, name, m->answers[i].step, m, b, t);
    for (int i = 0; t && i < t->n_answers; i++)
        if (!progress_answer(m, t->answers[i].step)) merge_answer(out, name, t->answers[i].step, m, b, t);
}

/* The file as it is now (empty when missing or unreadable: it is about to be replaced whole). */
static void read_current(Progress *now, const char *path) {
    memset(now, 0, sizeof *now);
    char *data, why[GB_ERRLEN];
    size_t len;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (gb_read_input(GB_INPUT_PROGRESS, path, &data, &len, why) != 0) return;
    if (progress_parse(now, data, len, why) != 0) progress_free(now);
    free(data);
}

int progress_save(Progress *p, char *err) {
    if (!p->path) {
        gb_seterr(err, "progress: no file to save to");
        return -1;
    }
    if (make_parent_dirs(p->path, err) != 0) return -1;
    /* the lock is a file of its own: the progress file itself is replaced on every save */
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s.lock", p->path);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock >= 0)
        while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
        }
    Progress base, now, merged;
    memset(&base, 0, sizeof base);
    memset(&merged, 0, sizeof merged);
    char perr[GB_ERRLEN];
    if (p->base && progress_parse(&base, p->base, strlen(p->base), perr) != 0) progress_free(&base);
    read_current(&now, p->path);
    for (int i = 0; i < p->n_lessons; i++) merge_lesson(&merged, p->lessons[i].name, p, &base, &now);
    for (int i = 0; i < now.n_lessons; i++)
        if (!find_lesson(p, now.lessons[i].name)) merge_lesson(&merged, now.lessons[i].name, p, &base, &now);
    size_t len;
    char *text = progress_format(&merged, &len);
    int rc = gb_write_file(p->path, text, len, err);
    if (lock >= 0) close(lock); /* releases the lock */
    if (rc == 0) { /* this session now holds what the file holds */
        char *path = p->path;
        p->path = NULL;
        progress_free(p);
        *p = merged;
        p->path = path;
        p->base = text;
    } else {
        progress_free(&merged);
        free(text);
    }
    progress_free(&base);
    progress_free(&now);
    return rc;
}
