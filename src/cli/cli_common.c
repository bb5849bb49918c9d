/* What several subcommands share (cli.h): where the default model and the data live, the sampler
 * options, reading a prompt, opening a model, a few output helpers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "files.h"
#include "lesson.h"
#include "loader.h"
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
 * test and shell completion) and `glassbox help NAME` (one command's usage): 1 when NAME is
 * none. */
int cli_tui_commands(const char *name) {
    for (int i = 0; i < commands_count(); i++)
        if (!name)
            printf("%s\n", commands_name(i));
        else if (strcmp(name, commands_name(i)) == 0)
            return printf(":%s\n  %s (e.g. :%s)\n", commands_usage(i), commands_help(i),
                          commands_example(i)) < 0;
    return name != NULL;
}

/* ---- the sampler options ---- */

/* One sampler option: the knob is the option's name without its dashes, as sampler_set_value and
 * sampler_set_chain know them. why gets the sampler's own words: "expected a number between 0 and
 * 1" (the value given is added by the parser) or "unknown stage 'frob' (...)". */
int cli_sampler_option(const Option *o, const char *value, char *why) {
    SamplerArgs *sa = o->dest;
    const char *knob = o->name + 2;
    char err[GB_ERRLEN];
    sa->given++;
    if (strcmp(knob, "samplers") == 0) {
        if (sampler_set_chain(&sa->sampler, value, err) == 0) return 0;
    } else {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        bool number = end != value && !*end && !errno && isfinite(v);
        if (number && sampler_set_value(&sa->sampler, knob, v, err) == 0) return 0;
        if (!number) sampler_set_value(&sa->sampler, knob, NAN, err); // for the words of its range
    }
    // "min-p: expected ..., got nan": the parser names the text given instead
    char *got = strstr(err, ", got ");
    if (!got) got = strstr(err, "; got ");
    if (got) *got = 0;
    // err starts with the knob's name ("min-p: ..."), which the parser puts in front already
    size_t n = strlen(knob);
    snprintf(why, GB_ERRLEN, "%s", strncmp(err, knob, n) == 0 && err[n] == ':' ? err + n + 2 : err);
    return -1;
}

/* ---- input and models ---- */

int cli_read_text(char **text, size_t *len, const char *cmd, const char *arg) {
    if (strcmp(arg, "-") == 0) {
        char err[GB_ERRLEN];
        if (gb_read_input(GB_INPUT_PROMPT, "-", text, len, err) != 0) {
            fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
            return GB_EXIT_USAGE;
        }
        return GB_EXIT_OK;
    }
    *len = strlen(arg);
    *text = gb_strdup(arg);
    return GB_EXIT_OK;
}

void cli_print_open_error(const char *cmd, const char *path, const char *err) {
    struct stat st;
    bool missing_default = strcmp(path, cli_default_model()) == 0 && stat(path, &st) != 0;
    fprintf(stderr, "glassbox: %s: %s%s\n", cmd, err,
            missing_default ? " (the default model: `make` builds it, or pass --model FILE)" : "");
}

void cli_model_free(CliModel *cm) {
    if (cm->has_model) model_free(&cm->model);
    if (cm->tok) tokenizer_free(cm->tok);
    if (cm->has_file) gguf_close(&cm->file);
    memset(cm, 0, sizeof *cm);
}

int cli_open_tokenizer(CliModel *cm, const char *cmd, const char *path) {
    char err[GB_ERRLEN];
    memset(cm, 0, sizeof *cm);
    if (gguf_open(&cm->file, path, err) != 0) {
        cli_print_open_error(cmd, path, err);
        return GB_EXIT_USAGE;
    }
    cm->has_file = true;
    cm->tok = tokenizer_from_gguf(&cm->file, err);
    if (!cm->tok) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        cli_model_free(cm);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

int cli_open_named_tokenizer(CliModel *cm, const char *cmd, const char *tok_name,
                             const char *path) {
    if (!tok_name) return cli_open_tokenizer(cm, cmd, path);
    char err[GB_ERRLEN];
    memset(cm, 0, sizeof *cm);
    if (!(cm->tok = tokenizer_open_named(tok_name, err))) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

int cli_load_weights(CliModel *cm, const char *cmd, const char *path, int max_seq) {
    char err[GB_ERRLEN];
    if (model_load(&cm->model, path, max_seq, err) != 0) {
        cli_print_open_error(cmd, path, err);
        return GB_EXIT_USAGE;
    }
    cm->has_model = true;
    model_limit_threads(&cm->model);
    if (loader_check(&cm->model, cm->tok, path, err) != 0) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

/* Encodes text with BOS in front when the vocabulary has one; refuses nothing to start from. */
static int encode_prompt(CliPrompt *p, const char *cmd, const Tokenizer *tok) {
    char err[GB_ERRLEN];
    int total = tokenizer_encode_prompt(tok, p->text, p->len, &p->ids, err);
    if (total < 0) {
        fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
        return GB_EXIT_USAGE;
    }
    p->n_ids = total;
    if (total == 0) {
        fprintf(stderr,
                "glassbox: %s: the prompt is empty and the model has no BOS token to start from\n",
                cmd);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
}

void cli_prompt_free(CliPrompt *p) {
    free(p->ids);
    free(p->text);
    memset(p, 0, sizeof *p);
}

int cli_load_prompt(CliPrompt *p, CliModel *cm, const char *cmd, const char *model_path,
                    const char *arg, int extra) {
    memset(p, 0, sizeof *p);
    int r = cli_read_text(&p->text, &p->len, cmd, arg);
    if (r != 0) return r;
    if ((r = cli_open_tokenizer(cm, cmd, model_path)) != 0) {
        cli_prompt_free(p);
        return r;
    }
    if ((r = encode_prompt(p, cmd, cm->tok)) == 0 &&
        (r = cli_load_weights(cm, cmd, model_path, p->n_ids + extra)) == 0 &&
        p->n_ids > cm->model.config.seq_len) {
        fprintf(stderr, "glassbox: %s: the prompt is %d tokens but the model's context holds %d\n",
                cmd, p->n_ids, cm->model.config.seq_len);
        r = GB_EXIT_USAGE;
    }
    if (r != 0) {
        cli_model_free(cm);
        cli_prompt_free(p);
    }
    return r;
}

/* ---- output ---- */

void cli_json_number(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

void cli_json_bytes(FILE *f, const char *bytes, size_t n) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%u", i ? "," : "", (unsigned char)bytes[i]);
    fputc(']', f);
}

const char *cli_token_shown(char *buf, size_t bufsz, const Tokenizer *tok, int32_t id) {
    size_t len = 0;
    const char *bytes = tokenizer_token_bytes(tok, id, &len);
    if (!bytes) {
        snprintf(buf, bufsz, "<id %d>", (int)id);
        return buf;
    }
    return token_display(bytes, len, buf, bufsz);
}

void cli_print_padded(const char *s, int width) {
    fputs(s, stdout);
    int w = 0;
    for (const char *p = s; *p; p++)
        w += ((unsigned char)*p & 0xC0) != 0x80;
    for (; w < width; w++)
        fputc(' ', stdout);
}

int cli_finish_output(const char *cmd) {
    return gb_finish_output(stdout, cmd, "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
}
