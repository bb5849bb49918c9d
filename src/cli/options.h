/* The one option parser of the command line. A subcommand lists its options in a table of Option
 * rows (name, kind, where the value goes, its range) and calls options_parse, which fills the
 * destinations, collects the positional arguments and says what is wrong in one line:
 *
 *     glassbox: generate: --temp: expected a number ≥ 0, got 'abc'        (exit status 2)
 *
 * Every subcommand reads its command line the same way: options before or after the positional
 * arguments, `--name value` or `--name=value`, `--` ends the options, `-` alone is an argument
 * (standard input), `-h` / `--help` prints the usage. The usage is written by hand, and checked
 * against the table when it is printed: each row must be named in it and each --option it names
 * must be a row, so the help, the shell completion (which reads --help) and the parser agree. */
#ifndef GB_OPTIONS_H
#define GB_OPTIONS_H

#include <stdbool.h>

typedef enum {
    OPT_FLAG,   /* bool: true when given; takes no value */
    OPT_STRING, /* const char *: a value that is not empty (a file, a name) */
    OPT_TEXT,   /* const char *: any value, the empty one too (a prompt) */
    OPT_INT,    /* int in [min, max] */
    OPT_LONG,   /* long in [min, max]; a count may end in k, M or G (15M = 15000000) */
    OPT_U64,    /* uint64_t ≥ 0 (a seed): decimal, 0x... hexadecimal or 0... octal */
    OPT_FLOAT,  /* float in [min, max] (max INFINITY: no upper bound) */
    OPT_DOUBLE, /* double in [min, max] */
    OPT_CALL,   /* parse(option, value, why) stores it (a name in a list, a span, a sampler knob) */
} OptionKind;

typedef struct Option Option;
struct Option {
    const char *name;  /* "--temp", or a short one ("-o") */
    const char *alias; /* another spelling ("-m" for --model), or NULL */
    OptionKind kind;
    /* bool *, const char **, int *, long *, uint64_t *, float *, double *, or what parse knows */
    void *dest;
    double min, max; /* the numbers' range, inclusive */
    /* OPT_CALL: 0, or -1 with why: what was wrong. A why that starts with "expected" is followed by
     * ", got 'VALUE'" in the message. */
    int (*parse)(const Option *o, const char *value, char *why);
    /* the message's "expected ..." in place of the one the kind and range give, or NULL */
    const char *expected;
};

typedef struct {
    const char *cmd;   /* "generate": every message starts "glassbox: generate: " */
    const char *usage; /* what --help prints (checked against the rows) */
    const Option *opts;
    int n_opts;
    const char *const *arg_names; /* the first min_args positional arguments, for "missing" */
    int min_args, max_args;       /* max_args -1: any number (args then holds argc entries) */
} OptionSpec;

/* The rows of a table, one macro per kind (they fill the fields a kind does not use). */
#define OPTION_FLAG(name, dest)                                                                    \
    { (name), NULL, OPT_FLAG, (dest), 0, 0, NULL, NULL }
#define OPTION_STRING(name, alias, dest)                                                           \
    { (name), (alias), OPT_STRING, (dest), 0, 0, NULL, NULL }
#define OPTION_TEXT(name, dest)                                                                    \
    { (name), NULL, OPT_TEXT, (dest), 0, 0, NULL, NULL }
#define OPTION_NUMBER(kind, name, alias, dest, min, max)                                           \
    { (name), (alias), (kind), (dest), (min), (max), NULL, NULL }
#define OPTION_INT(name, dest, min, max) OPTION_NUMBER(OPT_INT, name, NULL, dest, min, max)
#define OPTION_LONG(name, dest, min, max) OPTION_NUMBER(OPT_LONG, name, NULL, dest, min, max)
#define OPTION_FLOAT(name, dest, min, max) OPTION_NUMBER(OPT_FLOAT, name, NULL, dest, min, max)
#define OPTION_DOUBLE(name, dest, min, max) OPTION_NUMBER(OPT_DOUBLE, name, NULL, dest, min, max)
#define OPTION_U64(name, dest)                                                                     \
    { (name), NULL, OPT_U64, (dest), 0, 0, NULL, NULL }
#define OPTION_CALL(name, dest, parse)                                                             \
    { (name), NULL, OPT_CALL, (dest), 0, 0, (parse), NULL }

#define OPTIONS_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* options_parse's answer when the subcommand goes on; anything else is the exit status. */
enum { OPTIONS_RUN = -1 };

/* Parses argv[1..argc) (argv[0] is the subcommand): fills the rows' destinations in the order given
 * and args[0..*n_args) with the positional arguments. Returns OPTIONS_RUN; or prints the usage for
 * --help and returns 0 (1 when the usage and the rows disagree); or prints one line and returns
 * 2. */
int options_parse(const OptionSpec *spec, int argc, char **argv, const char **args, int *n_args);

/* Prints the usage to standard output and checks it against the rows: 0, or 1 after a line on
 * standard error naming the option the usage and the table disagree on. */
int options_print_usage(const OptionSpec *spec);

#endif
