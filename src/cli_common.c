/* Shared by the subcommands and the TUI: where the default model lives. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "util.h"

const char *cli_default_model(void) {
    const char *env = getenv("GLASSBOX_MODEL");
    if (env && *env) return env;
    // Built once per process from the assets directory, which does not change while it runs.
    static char path[4096];
    snprintf(path, sizeof path, "%s/glassbox.gguf", gb_assets_dir());
    return path;
}
