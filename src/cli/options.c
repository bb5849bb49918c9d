/* The one option parser (options.h). */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* What a value of o must be, for the message: its own words, else from the kind and range. */
static void describe_expected(char *out, size_t n, const Option *o) {
    if (o->expected)
        snprintf(out, n, "%s", o->expected);
    else if (o->kind == OPT_U64)
        snprintf(out, n, "an integer ≥ 0");
    else if (o->kind == OPT_FLOAT || o->kind == OPT_DOUBLE) {
        if (isinf(o->max))
            snprintf(out, n, "a number ≥ %g", o->min);
        else
            snprintf(out, n, "a number in [%g, %g]", o->min, o->max);
    } else
        snprintf(out, n, "an integer in [%.0f, %.0f]", o->min, o->max);
}

/* A count with an optional k/M/G suffix (train's --tokens 15M), as a double for the range check. */
static bool parse_count(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s && (*end == 'k' || *end == 'K'))
        v *= 1e3, end++;
    else if (end != s && *end == 'M')
        v *= 1e6, end++;
    else if (end != s && (*end == 'G' || *end == 'B'))
        v *= 1e9, end++;
    if (end == s || *end || errno || !isfinite(v) || v != floor(v)) return false;
    *out = v;
    return true;
}

/* Stores the number s into o's destination: false when it is not one or is out of range. */
static bool parse_number(const Option *o, const char *s) {
    char *end;
    errno = 0;
    if (o->kind == OPT_U64) {
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '-') return false; // strtoull would wrap it around
        unsigned long long v = strtoull(s, &end, 0);
        if (end == s || *end || errno) return false;
        *(uint64_t *)o->dest = v;
        return true;
    }
    double v;
    if (o->kind == OPT_INT) {
        long l = strtol(s, &end, 10);
        if (end == s || *end || errno) return false;
        v = (double)l;
    } else if (o->kind == OPT_LONG) {
        if (!parse_count(s, &v)) return false;
    } else {
        v = strtod(s, &end);
        if (end == s || *end || errno || !isfinite(v)) return false;
    }
    if (v < o->min || v > o->max) return false;
    if (o->kind == OPT_INT)
        *(int *)o->dest = (int)v;
    else if (o->kind == OPT_LONG)
        *(long *)o->dest = (long)v;
    else if (o->kind == OPT_FLOAT)
        *(float *)o->dest = (float)v;
    else
        *(double *)o->dest = v;
    return true;
}

/* Stores value into o's destination; 0, or prints why it cannot and returns GB_EXIT_USAGE. name is
 * the option as typed. */
static int take_value(const OptionSpec *spec, const Option *o, const char *name,
                      const char *value) {
    char why[GB_ERRLEN];
    if (o->kind == OPT_STRING || o->kind == OPT_TEXT) {
        if (o->kind == OPT_STRING && !*value) {
            fprintf(stderr, "glassbox: %s: %s: empty value\n", spec->cmd, name);
            return GB_EXIT_USAGE;
        }
        *(const char **)o->dest = value;
        return 0;
    }
    if (o->kind == OPT_CALL) {
        why[0] = 0;
        if (o->parse(o, value, why) == 0) return 0;
        if (strncmp(why, "expected", 8) == 0)
            fprintf(stderr, "glassbox: %s: %s: %s, got '%s'\n", spec->cmd, name, why, value);
        else
            fprintf(stderr, "glassbox: %s: %s: %s\n", spec->cmd, name, why);
        return GB_EXIT_USAGE;
    }
    if (parse_number(o, value)) return 0;
    describe_expected(why, sizeof why, o);
    fprintf(stderr, "glassbox: %s: %s: expected %s, got '%s'\n", spec->cmd, name, why, value);
    return GB_EXIT_USAGE;
}

/* The row named by arg (up to name_len bytes), or NULL. */
static const Option *find_option(const OptionSpec *spec, const char *arg, size_t name_len) {
    for (int k = 0; k < spec->n_opts; k++) {
        const Option *o = &spec->opts[k];
        if ((strlen(o->name) == name_len && strncmp(o->name, arg, name_len) == 0) ||
            (o->alias && strlen(o->alias) == name_len && strncmp(o->alias, arg, name_len) == 0))
            return o;
    }
    return NULL;
}

/* One option at argv[*i] (its value may be argv[*i + 1]): 0, or the exit status. */
static int parse_option(const OptionSpec *spec, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    // --name=value splits at the '='; a short option is only ever its name
    const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const Option *o = find_option(spec, arg, name_len);
    if (!o) {
        fprintf(stderr, "glassbox: %s: unknown option '%.*s' (see glassbox %s --help)\n", spec->cmd,
                (int)name_len, arg, spec->cmd);
        return GB_EXIT_USAGE;
    }
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)name_len, arg);
    if (o->kind == OPT_FLAG) {
        if (eq) {
            fprintf(stderr, "glassbox: %s: %s takes no value\n", spec->cmd, name);
            return GB_EXIT_USAGE;
        }
        *(bool *)o->dest = true;
        return 0;
    }
    // the next argument is the value whatever it looks like (--temp -1 is refused by the range)
    const char *value = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!value) {
        fprintf(stderr, "glassbox: %s: %s: missing value\n", spec->cmd, name);
        return GB_EXIT_USAGE;
    }
    return take_value(spec, o, name, value);
}

/* "missing PROMPT and CONTINUATION": the names of the arguments from n on. */
static void print_missing(const OptionSpec *spec, int n) {
    fprintf(stderr, "glassbox: %s: missing ", spec->cmd);
    for (int k = n; k < spec->min_args; k++)
        fprintf(stderr, "%s%s", k > n ? " and " : "", spec->arg_names[k]);
    fprintf(stderr, " (see glassbox %s --help)\n", spec->cmd);
}

int options_parse(const OptionSpec *spec, int argc, char **argv, const char **args, int *n_args) {
    *n_args = 0;
    bool only_args = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool is_option = !only_args && arg[0] == '-' && arg[1] != 0;
        if (is_option && strcmp(arg, "--") == 0) {
            only_args = true;
        } else if (!is_option) {
            if (spec->max_args >= 0 && *n_args >= spec->max_args) {
                fprintf(stderr, "glassbox: %s: unexpected argument '%s' (see glassbox %s --help)\n",
                        spec->cmd, arg, spec->cmd);
                return GB_EXIT_USAGE;
            }
            args[(*n_args)++] = arg;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            return options_print_usage(spec);
        } else {
            int r = parse_option(spec, argc, argv, &i);
            if (r != 0) return r;
        }
    }
    if (*n_args < spec->min_args) {
        print_missing(spec, *n_args);
        return GB_EXIT_USAGE;
    }
    return OPTIONS_RUN;
}

/* ---- the usage against the table ---- */

static bool is_word_char(char c) {
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Whether word ("--top") stands in text as a whole word, not inside another ("--top-k"). */
static bool mentions(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || !is_word_char(p[-1])) && !is_word_char(p[n])) return true;
    return false;
}

int options_print_usage(const OptionSpec *spec) {
    fputs(spec->usage, stdout);
    // every row is in the usage, under one of its spellings ...
    for (int k = 0; k < spec->n_opts; k++) {
        const Option *o = &spec->opts[k];
        if (!mentions(spec->usage, o->name) && !(o->alias && mentions(spec->usage, o->alias))) {
            fprintf(stderr, "glassbox: %s: --help does not describe %s\n", spec->cmd, o->name);
            return GB_EXIT_FAIL;
        }
    }
    // ... and every --option the usage names is a row (or --help itself)
    for (const char *p = strstr(spec->usage, "--"); p; p = strstr(p + 2, "--")) {
        if ((p > spec->usage && is_word_char(p[-1])) || !isalpha((unsigned char)p[2])) continue;
        size_t n = 2;
        while (is_word_char(p[n]))
            n++;
        if ((n == 6 && strncmp(p, "--help", 6) == 0) || find_option(spec, p, n)) continue;
        fprintf(stderr, "glassbox: %s: --help names %.*s, which is not an option\n", spec->cmd,
                (int)n, p);
        return GB_EXIT_FAIL;
    }
    return GB_EXIT_OK;
}
