#include "commands.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "util.h"

typedef struct {
    const char *name;
    ArgKind kind;
    double lo, hi;
    const char *usage, *example, *help;
    int flags, view;
} CommandInfo;

static const CommandInfo COMMANDS[CMD_COUNT] = {
#define X(id, name, kind, lo, hi, usage, example, help, flags, view)                                   \
    {name, kind, lo, hi, usage, example, help, flags, view},
    COMMAND_LIST(X)
#undef X
};

/* The typed commands come before the key-only requests in the table. */
enum {
    N_TYPED = 0
#define X(id, name, kind, lo, hi, usage, example, help, flags, view) +!((flags) & RQ_KEY)
              COMMAND_LIST(X)
#undef X
};

static const char *const VIEW_NAMES[VIEW_COUNT] = {
#define X(id, name, title) name,
    VIEW_LIST(X)
#undef X
};
static const char *const VIEW_TITLES[VIEW_COUNT] = {
#define X(id, name, title) title,
    VIEW_LIST(X)
#undef X
};

int commands_count(void) { return N_TYPED; }
int commands_flags(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].flags : 0; }
int commands_view(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].view : VIEW_NONE; }
const char *commands_name(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].name : ""; }
ArgKind commands_arg(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].kind : ARG_NONE; }
const char *commands_usage(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].usage : ""; }
const char *commands_example(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].example : ""; }
const char *commands_help(int id) { return id >= 0 && id < CMD_COUNT ? COMMANDS[id].help : ""; }
const char *view_name(int v) { return v >= 0 && v < VIEW_COUNT ? VIEW_NAMES[v] : ""; }
const char *view_title(int v) { return v >= 0 && v < VIEW_COUNT ? VIEW_TITLES[v] : ""; }

/* Exact name, else a unique prefix. */
static int lookup_in(const char *const *names, int n, const char *word, size_t len) {
    int found = -1;
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0) return i;
        if (len > 0 && strncmp(names[i], word, len) == 0) found = found == -1 ? i : -2;
    }
    return found >= 0 ? found : -1;
}

int commands_lookup(const char *name, size_t len) {
    const char *names[CMD_COUNT];
    for (int i = 0; i < N_TYPED; i++)
        if (strlen(COMMANDS[i].name) == len && memcmp(COMMANDS[i].name, name, len) == 0) return i;
    int n = 0, ids[CMD_COUNT];
    for (int i = 0; i < N_TYPED; i++)
        if (!(COMMANDS[i].flags & RQ_EXACT)) ids[n] = i, names[n++] = COMMANDS[i].name;
    int k = lookup_in(names, n, name, len);
    return k >= 0 ? ids[k] : -1;
}

int view_lookup(const char *name, size_t len) {
    return lookup_in((const char *const *)VIEW_NAMES, VIEW_COUNT, name, len);
}

void command_free(Command *c) {
    free(c->text);
    c->text = NULL;
}

/* Shortened copy of a word for an error message. */
static const char *shown(const char *s, size_t len, char *buf, size_t bufsz) {
    size_t n = len < bufsz - 4 ? len : bufsz - 4;
    memcpy(buf, s, n);
    strcpy(buf + n, len > n ? "..." : "");
    return buf;
}

/* Reads a "quoted" string starting at s[0] == '"'. On success sets out and outlen (malloc'ed) and returns
 * the bytes consumed; -1 with err. */
static int parse_quoted(const char *name, const char *s, char **out, size_t *outlen, char *err) {
    size_t n = strlen(s);
    char *buf = gb_malloc(n + 1);
    size_t k = 0, i = 1;
    for (;;) {
        if (i >= n) {
            free(buf);
            gb_seterr(err, "%s: missing closing quote", name);
            return -1;
        }
        char ch = s[i];
        if (ch == '"') {
            i++;
            break;
        }
        if (ch != '\\') {
            buf[k++] = ch;
            i++;
            continue;
        }
        char e = s[i + 1];
        switch (e) {
        case 'n': buf[k++] = '\n'; i += 2; break;
        case 't': buf[k++] = '\t'; i += 2; break;
        case 'r': buf[k++] = '\r'; i += 2; break;
        case '"': buf[k++] = '"'; i += 2; break;
        case '\\': buf[k++] = '\\'; i += 2; break;
        case 'x':
            if (gb_hexval(s[i + 2]) >= 0 && gb_hexval(s[i + 3]) >= 0) {
                buf[k++] = (char)(gb_hexval(s[i + 2]) * 16 + gb_hexval(s[i + 3]));
                i += 4;
                break;
            }
            free(buf);
            gb_seterr(err, "%s: \\x needs two hex digits (at column %zu)", name, i + 1);
            return -1;
        case 0:
            free(buf);
            gb_seterr(err, "%s: missing closing quote", name);
            return -1;
        default:
            free(buf);
            gb_seterr(err, "%s: unknown escape \\%c (use \\n \\t \\\" \\\\ or \\xNN)", name, e);
            return -1;
        }
    }
    buf[k] = 0;
    *out = buf;
    *outlen = k;
    return (int)i;
}

static const char *skip_space(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

/* The rest of the line with trailing blanks (and a newline) trimmed. */
static size_t trimmed_len(const char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    return n;
}

/* A quoted string (then only blanks), or the rest of the line. */
static int parse_text_arg(const char *name, const char *a, Command *out, char *err) {
    if (*a == '"') {
        int used = parse_quoted(name, a, &out->text, &out->text_len, err);
        if (used < 0) return -1;
        const char *rest = skip_space(a + used);
        size_t rl = trimmed_len(rest);
        if (rl > 0) {
            char b[40];
            gb_seterr(err, "%s: unexpected text after the closing quote: '%s'", name, shown(rest, rl, b, sizeof b));
            command_free(out);
            return -1;
        }
        return 0;
    }
    size_t n = trimmed_len(a);
    out->text = gb_malloc(n + 1);
    memcpy(out->text, a, n);
    out->text[n] = 0;
    out->text_len = n;
    return 0;
}

static void expect_phrase(const CommandInfo *ci, char *buf, size_t bufsz) {
    const char *what = ci->kind == ARG_NUMBER ? "a number" : ci->kind == ARG_OPT_INT ? "a count" : "an integer";
    if (ci->hi >= 1e5)
        snprintf(buf, bufsz, "%s \u2265 %g", what, ci->lo);
    else
        snprintf(buf, bufsz, "%s between %g and %g", what, ci->lo, ci->hi);
}

/* "I" or "A..B", each within the command's bounds. */
static int parse_span(const CommandInfo *ci, const char *a, size_t al, Command *out, char *err) {
    char b[48];
    char *end;
    long long first = strtoll(a, &end, 10), last = first;
    int ok = end != a && al > 0;
    if (ok && (size_t)(end - a) + 2 <= al && end[0] == '.' && end[1] == '.') {
        const char *q = end + 2;
        last = strtoll(q, &end, 10);
        ok = end != q;
        out->span = 1;
    }
    if (!ok || (size_t)(end - a) != al || first < ci->lo || first > ci->hi ||
        (out->span && (first < 0 || last < 0 || last > ci->hi))) {
        gb_seterr(err, "%s: expected a token index I (-1 = last) or a span A..B, got '%s' (usage: %s)", ci->name,
                  shown(a, al, b, sizeof b), ci->usage);
        out->span = 0;
        return -1;
    }
    out->inum = first;
    out->inum2 = last;
    out->num = (double)first;
    out->has_arg = 1;
    return 0;
}

int commands_parse(const char *line, Command *out, char *err) {
    memset(out, 0, sizeof *out);
    out->token_id = -1;
    out->inum = 1;
    const char *p = skip_space(line);
    if (*p == 0 || *p == '\n' || *p == '\r' || *p == '#') return 1;
    const char *w = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    size_t wl = (size_t)(p - w);
    int id = commands_lookup(w, wl);
    if (id < 0) {
        char b[40];
        gb_seterr(err, "unknown command '%s' (type help for the list)", shown(w, wl, b, sizeof b));
        return -1;
    }
    out->id = (CommandId)id;
    out->line = line;
    const CommandInfo *ci = &COMMANDS[id];
    const char *a = skip_space(p);
    size_t al = trimmed_len(a);
    char b[48], ex[64];
    switch (ci->kind) {
    case ARG_RAW:
        out->has_arg = al > 0;
        out->text = gb_malloc(strlen(a) + 1);
        out->text_len = strlen(a);
        memcpy(out->text, a, out->text_len + 1);
        return 0;
    case ARG_NONE:
        if (al > 0) {
            gb_seterr(err, "%s: takes no argument, got '%s'", ci->name, shown(a, al, b, sizeof b));
            return -1;
        }
        return 0;
    case ARG_TEXT:
    case ARG_FILE:
        if (al == 0) {
            gb_seterr(err, "%s: expected %s (usage: %s)", ci->name, ci->kind == ARG_FILE ? "a file" : "text",
                      ci->usage);
            return -1;
        }
        out->has_arg = 1;
        return parse_text_arg(ci->name, a, out, err);
    case ARG_TOKEN:
        if (al == 0) {
            gb_seterr(err, "%s: expected a token: \"text\" or #id (usage: %s)", ci->name, ci->usage);
            return -1;
        }
        out->has_arg = 1;
        if (a[0] == '#' && al > 1) {
            char *end;
            long long v = strtoll(a + 1, &end, 10);
            if ((size_t)(end - a) == al && isdigit((unsigned char)a[1]) && v <= INT32_MAX) {
                out->token_id = (int32_t)v;
                out->text = gb_strdup("");
                return 0;
            }
            gb_seterr(err, "%s: expected #id with a number, got '%s'", ci->name, shown(a, al, b, sizeof b));
            return -1;
        }
        return parse_text_arg(ci->name, a, out, err);
    case ARG_VIEW: {
        int v = view_lookup(a, al);
        if (v < 0) {
            gb_seterr(err, "%s: expected one of tokens, attention, neighbours, probs, lens, got '%s'", ci->name,
                      shown(a, al, b, sizeof b));
            return -1;
        }
        out->has_arg = 1;
        out->view = v;
        return 0;
    }
    case ARG_SPAN: return parse_span(ci, a, al, out, err);
    case ARG_OPT_INT:
        if (al == 0) return 0;
        /* fall through */
    case ARG_INT:
    case ARG_NUMBER: {
        expect_phrase(ci, ex, sizeof ex);
        if (al == 0) {
            gb_seterr(err, "%s: expected %s (usage: %s)", ci->name, ex, ci->usage);
            return -1;
        }
        char *end;
        double v;
        if (ci->kind == ARG_NUMBER) {
            v = strtod(a, &end);
        } else {
            long long iv = strtoll(a, &end, 10);
            v = (double)iv;
            out->inum = iv;
        }
        if ((size_t)(end - a) != al || !isfinite(v) || v < ci->lo || v > ci->hi) {
            gb_seterr(err, "%s: expected %s, got '%s'", ci->name, ex, shown(a, al, b, sizeof b));
            return -1;
        }
        out->num = v;
        out->has_arg = 1;
        return 0;
    }
    }
    return 0;
}

char *commands_quote(const char *s, size_t len, char *out, size_t outsz) {
    size_t k = 0;
    if (outsz < 3) {
        if (outsz) out[0] = 0;
        return out;
    }
    out[k++] = '"';
    for (size_t i = 0; i < len; i++) {
        char tmp[8];
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') strcpy(tmp, "\\n");
        else if (c == '\t') strcpy(tmp, "\\t");
        else if (c == '\r') strcpy(tmp, "\\r");
        else if (c == '"') strcpy(tmp, "\\\"");
        else if (c == '\\') strcpy(tmp, "\\\\");
        else if (c < 0x20 || c == 0x7f) snprintf(tmp, sizeof tmp, "\\x%02x", c);
        else tmp[0] = (char)c, tmp[1] = 0;
        size_t tl = strlen(tmp);
        if (k + tl + 2 > outsz) break;
        memcpy(out + k, tmp, tl);
        k += tl;
    }
    out[k++] = '"';
    out[k] = 0;
    return out;
}

Command command_make(CommandId id, long long arg) {
    Command c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.has_arg = COMMANDS[id].kind != ARG_NONE;
    c.inum = arg;
    c.num = (double)arg;
    c.view = (int)arg;
    c.token_id = -1;
    return c;
}

char *command_format(const Command *c, char *out, size_t outsz) {
    const CommandInfo *ci = &COMMANDS[c->id];
    char arg[4200] = "";
    switch (ci->kind) {
    case ARG_NONE: break;
    case ARG_OPT_INT:
        if (c->inum != 1) snprintf(arg, sizeof arg, "%lld", c->inum); /* the default count goes unsaid */
        break;
    case ARG_INT: snprintf(arg, sizeof arg, "%lld", c->inum); break;
    case ARG_SPAN:
        if (c->span) snprintf(arg, sizeof arg, "%lld..%lld", c->inum, c->inum2);
        else snprintf(arg, sizeof arg, "%lld", c->inum);
        break;
    case ARG_NUMBER: snprintf(arg, sizeof arg, "%g", c->num); break;
    case ARG_VIEW: snprintf(arg, sizeof arg, "%s", view_name(c->view)); break;
    case ARG_TOKEN:
        if (c->token_id >= 0) {
            snprintf(arg, sizeof arg, "#%d", (int)c->token_id);
            break;
        }
        /* fall through */
    case ARG_TEXT:
    case ARG_FILE: commands_quote(c->text ? c->text : "", c->text_len, arg, sizeof arg); break;
    case ARG_RAW: snprintf(arg, sizeof arg, "%s", c->text ? c->text : ""); break;
    }
    snprintf(out, outsz, "%s%s%s", ci->name, arg[0] ? " " : "", arg);
    return out;
}

int command_cost(const Command *c, int full) {
    int flags = COMMANDS[c->id].flags;
    if (flags & RQ_COST_COUNT) return c->inum > 0 && c->inum < 1 << 30 ? (int)c->inum : 1 << 30;
    return flags & RQ_COST_FULL ? full : 0;
}

