/* See record.h. The limits of the lesson format (lesson.h) bound a recording: at most LESSON_MAX_STEPS
 * steps of LESSON_MAX_COMMANDS commands, lines of LESSON_MAX_LINE bytes, LESSON_MAX_WORK generated
 * tokens. When a recording would pass one of them it stops and says so, so that every file it leaves
 * is a valid lesson. */
#include "record.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "lesson.h"
#include "score.h"
#include "sha256.h"
#include "files.h"
#include "util.h"

#define SETUP_CHUNK 30 /* setup commands in one step (under LESSON_MAX_COMMANDS) */

typedef struct {
    int work; /* tokens the recorded commands generate, as lesson_parse.c counts them */
} RecordWork;

static int flush(Recorder *r, char *err) {
    return gb_write_file_atomic(r->path, r->script.data ? r->script.data : "", r->script.len, err);
}

int record_file_sha256(const char *path, char out[65], char *err) {
    int fd = gb_open_regular(path, err); /* a model path: a FIFO would block the read */
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) {
            gb_seterr(err, "%s: %s", path, strerror(errno));
            close(fd);
        }
        return -1;
    }
    Sha256 h;
    sha256_init(&h);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        gb_seterr(err, "%s: read error", path);
        return -1;
    }
    uint8_t d[32];
    sha256_final(&h, d);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
    return 0;
}

void record_header(const char *text, char *model, size_t modelsz, char sha[65]) {
    model[0] = 0;
    sha[0] = 0;
    const char *p = text;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (n > 9 && strncmp(p, "# model: ", 9) == 0) {
            size_t k = n - 9 < modelsz - 1 ? n - 9 : modelsz - 1;
            memcpy(model, p + 9, k);
            model[k] = 0;
        } else if (n >= 16 + 64 && strncmp(p, "# model-sha256: ", 16) == 0) {
            memcpy(sha, p + 16, 64);
            sha[64] = 0;
        }
        p = eol ? eol + 1 : NULL;
    }
}

/* The work recorded so far is kept in the script's budget comment-free: recount from the file. */
static int script_work(const Recorder *r) {
    int work = 0;
    const char *p = r->script.data;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        if (p[0] == '>' && p[1] == ' ') {
            size_t n = eol ? (size_t)(eol - p) : strlen(p);
            char line[LESSON_MAX_LINE + 1];
            if (n > LESSON_MAX_LINE) n = LESSON_MAX_LINE;
            memcpy(line, p + 2, n - 2);
            line[n - 2] = 0;
            Command c;
            char err[GB_ERRLEN];
            if (commands_parse(line, &c, err) == 0) {
                work += command_cost(&c, LESSON_MAX_GENERATE);
                command_free(&c);
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return work;
}

/* Adds "> line" to the script, opening a new step titled title when asked (or when the last is full). */
static int append(Recorder *r, const char *title, const char *line, int new_step, char *err) {
    if (strlen(line) + 2 > LESSON_MAX_LINE) {
        gb_seterr(err, "record: a command of %zu bytes is longer than a lesson line may be (%d)", strlen(line),
                  LESSON_MAX_LINE - 2);
        return -1;
    }
    if (new_step && r->n_steps >= LESSON_MAX_STEPS) new_step = 0; /* the last step takes the rest */
    if (!new_step && r->cmds_in_step >= LESSON_MAX_COMMANDS) {
        gb_seterr(err, "record: the recording is full (a lesson holds %d steps of %d commands); it stops here",
                  LESSON_MAX_STEPS, LESSON_MAX_COMMANDS);
        return -1;
    }
    if (new_step || r->n_steps == 0) {
        export_buf_printf(&r->script, "\nstep: %s\n", title);
        r->n_steps++;
        r->cmds_in_step = 0;
    }
    export_buf_printf(&r->script, "> %s\n", line);
    r->cmds_in_step++;
    return 0;
}

/* The sampler settings beyond temp, topk and topp, as commands, the ones that differ from a reset
 * session's (which is where a replay starts); returns how many lines it wrote (at most 7). */
static int record_chain_setup(char **lines, const Sampler *sm) {
    Sampler d;
    sampler_init(&d, 1.0f, 0, 1.0f, 1);
    char buf[160];
    int n = 0;
#define KNOB(field, fmt, name) \
    if (sm->field != d.field) snprintf(buf, sizeof buf, "%s " fmt, name, sm->field), lines[n++] = gb_strdup(buf);
    KNOB(min_p, "%g", "minp")
    KNOB(typical_p, "%g", "typical")
    KNOB(repeat_penalty, "%g", "repeat")
    KNOB(repeat_last_n, "%d", "lastn")
    KNOB(presence_penalty, "%g", "presence")
    KNOB(frequency_penalty, "%g", "frequency")
#undef KNOB
    char chain[128], dchain[128];
    if (strcmp(sampler_chain_string(sm, chain, sizeof chain), sampler_chain_string(&d, dchain, sizeof dchain)) != 0) {
        snprintf(buf, sizeof buf, "samplers %s", chain);
        lines[n++] = gb_strdup(buf);
    }
    return n;
}

int record_start(Recorder *r, const char *path, Session *s, const UiState *ui, char *err) {
    memset(r, 0, sizeof *r);
    if (strlen(path) >= sizeof r->path) {
        gb_seterr(err, "record: the file name is too long");
        return -1;
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    char sha[65] = "", model[PATH_MAX];
    if (!realpath(s->model_path, model)) snprintf(model, sizeof model, "%s", s->model_path);
    if (record_file_sha256(model, sha, err) != 0) return -1;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    export_buf_printf(&r->script,
                      "# A glassbox recording, and a lesson too: replay it with `glassbox replay FILE` (a key a\n"
                      "# step, or --headless), or open it with `glassbox --lesson FILE`.\n"
                      "# model: %s\n# model-sha256: %s\n# recorded: %s\n"
                      "title: Recorded session (%s)\n",
                      model, sha, when, s->model.name);

    /* the setup: the state the recording starts from, rebuilt from a reset session */
    char **lines = gb_calloc(64 + (size_t)(s->n_tokens - s->n_prompt), sizeof *lines);
    int n = 0;
    char buf[LESSON_MAX_LINE * 4 + 64];
    snprintf(buf, sizeof buf, "temp %g", (double)s->sampler.temperature);
    lines[n++] = gb_strdup(buf);
    snprintf(buf, sizeof buf, "topk %d", s->sampler.top_k);
    lines[n++] = gb_strdup(buf);
    snprintf(buf, sizeof buf, "topp %g", (double)s->sampler.top_p);
    lines[n++] = gb_strdup(buf);
    n += record_chain_setup(lines + n, &s->sampler);
    char *q = gb_malloc(s->prompt_len * 4 + 16);
    commands_quote(s->text, s->prompt_len, q, s->prompt_len * 4 + 16);
    snprintf(buf, sizeof buf, "prompt %s", q);
    free(q);
    lines[n++] = gb_strdup(buf);
    for (int p = s->n_prompt; p < s->n_tokens; p++) { /* the generated tokens exactly, whatever drew them */
        snprintf(buf, sizeof buf, "pick #%d", (int)s->tokens[p].id);
        lines[n++] = gb_strdup(buf);
    }
    snprintf(buf, sizeof buf, "seed %llu", (unsigned long long)s->sampler.seed);
    lines[n++] = gb_strdup(buf);
    snprintf(buf, sizeof buf, "layer %d", s->layer);
    lines[n++] = gb_strdup(buf);
    snprintf(buf, sizeof buf, "head %d", s->head);
    lines[n++] = gb_strdup(buf);
    int first, last;
    if (session_span(s, &first, &last)) /* the focus is the end written second */
        snprintf(buf, sizeof buf, "select %d..%d", s->selected == first ? last : first, s->selected);
    else
        snprintf(buf, sizeof buf, "select %d", s->selected);
    lines[n++] = gb_strdup(buf);
    if (s->neigh_token >= 0) {
        snprintf(buf, sizeof buf, "neighbours #%d", (int)s->neigh_token);
        lines[n++] = gb_strdup(buf);
    }
    snprintf(buf, sizeof buf, "view %s", view_name(ui->view));
    lines[n++] = gb_strdup(buf);
    if (ui->explain) lines[n++] = gb_strdup("explain");
    int rc = 0, chunks = (n + SETUP_CHUNK - 1) / SETUP_CHUNK;
    for (int i = 0; i < n && rc == 0; i++) {
        char title[64];
        if (chunks > 1) snprintf(title, sizeof title, "Setup (%d of %d)", i / SETUP_CHUNK + 1, chunks);
        else snprintf(title, sizeof title, "Setup");
        rc = append(r, title, lines[i], i % SETUP_CHUNK == 0, err);
    }
    for (int i = 0; i < n; i++) free(lines[i]);
    free(lines);
    if (rc == 0 && r->n_steps >= LESSON_MAX_STEPS) {
        gb_seterr(err, "record: the session is too long to record as a lesson");
        rc = -1;
    }
    if (rc == 0) rc = flush(r, err);
    if (rc != 0) {
        export_buf_free(&r->script);
        return -1;
    }
    /* the generator restarts from the seed, as the replay's `seed` line makes it */
    session_set_seed(s, s->sampler.seed);
    r->active = 1;
    return 0;
}

/* Appends one normalised command as a step of its own, stopping the recording on failure. */
static int record_one(Recorder *r, const char *line, int work, char *err) {
    if (script_work(r) + work > LESSON_MAX_WORK) {
        gb_seterr(err, "record: a lesson generates at most %d tokens; the recording stops here (%s)", LESSON_MAX_WORK,
                  r->path);
        record_stop(r);
        return -1;
    }
    char title[96];
    snprintf(title, sizeof title, "%d \u00b7 %.60s", r->n_steps, line);
    for (char *t = title; *t; t++)
        if (*t == '\n' || *t == '\r') *t = ' ';
    if (append(r, title, line, 1, err) != 0 || flush(r, err) != 0) {
        record_stop(r);
        return -1;
    }
    return 0;
}

int record_line(Recorder *r, const char *line, char *err) {
    if (!r->active) return 0;
    Command c;
    char perr[GB_ERRLEN];
    if (commands_parse(line, &c, perr) != 0) return 0; /* not a command of the language (lesson mode's) */
    /* the others (export, record, help, quit, the lab's panels) only show or write something and
     * would make the file no lesson */
    int skip = !(commands_flags(c.id) & RQ_RECORD);
    CommandId id = c.id;
    long long count = c.inum;
    int work = command_cost(&c, LESSON_MAX_GENERATE);
    command_free(&c);
    if (skip) return 0;
    /* lessons want the command's full name (the prompt takes unique prefixes) and its argument as typed */
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    while (*p && *p != ' ' && *p != '\t') p++;
    while (*p == ' ' || *p == '\t') p++;
    char norm[LESSON_MAX_LINE * 2];
    snprintf(norm, sizeof norm, "%s%s%s", commands_name(id), *p ? " " : "", p);
    size_t n = strlen(norm);
    while (n > 0 && (norm[n - 1] == ' ' || norm[n - 1] == '\t' || norm[n - 1] == '\n' || norm[n - 1] == '\r')) norm[--n] = 0;
    if ((commands_flags(id) & RQ_CAPPED) && count > LESSON_MAX_GENERATE) { /* a lesson's step N is at most 64 */
        while (count > 0) {
            long long k = count < LESSON_MAX_GENERATE ? count : LESSON_MAX_GENERATE;
            snprintf(norm, sizeof norm, "%s %lld", commands_name(id), k);
            Command part = command_make(id, k);
            if (record_one(r, norm, command_cost(&part, LESSON_MAX_GENERATE), err) != 0) return -1;
            count -= k;
        }
        return 0;
    }
    return record_one(r, norm, work, err);
}

int record_linef(Recorder *r, char *err, const char *fmt, ...) {
    if (!r->active) return 0;
    char line[LESSON_MAX_LINE * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return record_line(r, line, err);
}

void record_stop(Recorder *r) {
    export_buf_free(&r->script);
    r->active = 0;
}

CommandResult record_apply(Session *s, UiState *ui, const Command *c, char *err) {
    if (commands_flags(c->id) & RQ_TOP) return CMDR_UI; /* a replay writes no files, opens no panels */
    App a = {.s = s, .ui = ui};
    unsigned rx = apply(&a, c, err);
    return rx & RX_ERROR ? CMDR_ERROR : rx & RX_VIEW ? CMDR_UI : CMDR_OK;
}

int record_command(Recorder *r, const char *arg, Session *s, const UiState *ui, char *msg, size_t msgsz, char *err) {
    char path[1024];
    const char *a = arg;
    while (*a == ' ' || *a == '\t') a++;
    size_t n = strlen(a);
    while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t')) n--;
    if (n >= 2 && a[0] == '"' && a[n - 1] == '"') a++, n -= 2;
    if (n == 0 || n >= sizeof path) {
        gb_seterr(err, "record: usage: record FILE | record stop");
        return -1;
    }
    memcpy(path, a, n);
    path[n] = 0;
    if (strcmp(path, "stop") == 0) {
        if (!r->active) {
            gb_seterr(err, "record: not recording");
            return -1;
        }
        snprintf(msg, msgsz, "recording stopped: %d steps in %s (glassbox replay %s)", r->n_steps, r->path, r->path);
        record_stop(r);
        return 0;
    }
    if (r->active) {
        gb_seterr(err, "record: already recording to %s (record stop first)", r->path);
        return -1;
    }
    if (record_start(r, path, s, ui, err) != 0) return -1;
    snprintf(msg, msgsz, "recording to %s: every command and key from here (record stop ends it)", path);
    return 0;
}
