/* Shared by the subcommands and the TUI: where the default model and the data live. */
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
