/* Shared by the subcommands and the TUI: where the default model and the data live, the sampler
 * options. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "lesson.h"
#include "util.h"

const char *cli_default_model(void) {
    const char *env = getenv("GLASSBOX_MODEL");
    if (env && *env) return env;
    // Built once per process from the assets directory, which does not change while it runs.
    static char path[4096];
    snprintf(path, sizeof path, "%s/glassbox.gguf", gb_assets_dir());
    return path;
}

/* One line of --version: a data path, where it comes from and whether it is there. */
static void print_data_path(const char *what, const char *path, const char *env) {
    const char *e = getenv(env);
    int set = e && *e;
    printf("%-8s %s (%s$%s%s)%s\n", what, path, set ? "from " : "", env, set ? "" : " overrides",
           access(path, R_OK) == 0 ? "" : " -- not found");
}

void cli_print_data_paths(void) {
    char lessons[4096];
    print_data_path("assets", gb_assets_dir(), "GLASSBOX_ASSETS");
    print_data_path("model", cli_default_model(), "GLASSBOX_MODEL");
    print_data_path("lessons", lesson_dir(lessons, sizeof lessons), "GLASSBOX_LESSONS");
}

/* `glassbox --list-commands` (name NULL: every typed command's name, one a line, for the man page's
 * test and shell completion) and `glassbox help NAME` (one command's usage). 1 when NAME is none. */
int cli_tui_commands(const char *name) {
    for (int i = 0; i < commands_count(); i++)
        if (!name) printf("%s\n", commands_name(i));
        else if (strcmp(name, commands_name(i)) == 0)
            return printf(":%s\n  %s (e.g. :%s)\n", commands_usage(i), commands_help(i), commands_example(i)) < 0;
    return name != NULL;
}

/* The sampler options every sampling subcommand takes, with llama.cpp's names: option, the knob
 * sampler_set_value knows it by, and the value's kind for the message. */
static const struct {
    const char *option, *knob;
} SAMPLER_OPTIONS[] = {
    {"--temp", "temp"}, /* the first three only for the subcommands that do not parse them themselves */
    {"--top-k", "top-k"},
    {"--top-p", "top-p"},
    {"--min-p", "min-p"},
    {"--typical", "typical"},
    {"--repeat-penalty", "repeat-penalty"},
    {"--repeat-last-n", "repeat-last-n"},
    {"--presence-penalty", "presence-penalty"},
    {"--frequency-penalty", "frequency-penalty"},
};

int cli_take_sampler_options(const char *cmd, int *argc, char **argv, Sampler *s, int with_basic) {
    int out = 1, only_positional = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || !a[1]) {
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) only_positional = 1;
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        const char *knob = NULL;
        int chain = name_len == 10 && strncmp(a, "--samplers", 10) == 0;
        for (size_t k = with_basic ? 0 : 3; k < sizeof SAMPLER_OPTIONS / sizeof SAMPLER_OPTIONS[0] && !knob; k++)
            if (strlen(SAMPLER_OPTIONS[k].option) == name_len && strncmp(SAMPLER_OPTIONS[k].option, a, name_len) == 0)
                knob = SAMPLER_OPTIONS[k].knob;
        if (!knob && !chain) {
            argv[out++] = argv[i];
            continue;
        }
        const char *value = eq ? eq + 1 : i + 1 < *argc ? argv[++i] : NULL;
        if (!value) {
            fprintf(stderr, "glassbox: %s: %.*s: missing value\n", cmd, (int)name_len, a);
            return GB_EXIT_USAGE;
        }
        char err[GB_ERRLEN];
        if (chain) {
            if (sampler_set_chain(s, value, err) != 0) {
                fprintf(stderr, "glassbox: %s: --%s\n", cmd, err);
                return GB_EXIT_USAGE;
            }
            continue;
        }
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v) || sampler_set_value(s, knob, v, err) != 0) {
            if (end == value || *end || errno || !isfinite(v)) sampler_set_value(s, knob, NAN, err);
            // err reads "min-p: expected a number between 0 and 1, got nan": name the text given instead
            char *got = strstr(err, ", got ");
            if (got) *got = 0;
            fprintf(stderr, "glassbox: %s: --%s, got '%s'\n", cmd, err, value);
            return GB_EXIT_USAGE;
        }
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}
