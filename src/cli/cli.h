/* Entry points of the subcommands that live beside their module rather than in main.c.
 * main.c dispatches `glassbox NAME ARGS...` to these with argv[0] = NAME.
 * Each returns the process exit status (GB_EXIT_*). */
#ifndef GB_CLI_H
#define GB_CLI_H

#include <stddef.h>

#include "sampler.h"

int cli_train_tokenizer(int argc, char **argv); /* bpe_train.c: glassbox train-tokenizer */
int cli_train(int argc, char **argv);           /* train.c: glassbox train */
int cli_tui(int argc, char **argv);             /* tui.c: glassbox (no subcommand), the TUI */
int cli_lesson(int argc, char **argv);          /* lesson.c: glassbox lesson check FILE... */
int cli_score(int argc, char **argv);           /* kit_cli.c: glassbox score (teacher-forced) */
int cli_export(int argc, char **argv);          /* kit_cli.c: glassbox export (a view to txt/ansi/csv/svg) */
int cli_replay(int argc, char **argv);          /* kit_cli.c: glassbox replay (a recorded session) */
int cli_lens(int argc, char **argv);            /* lens_cli.c: glassbox lens (the logit lens) */

/* lab_cli.c: `glassbox tokenize --compare|--names|--explain TEXT` and `--file FILE` (text is the TEXT,
 * file the FILE); the own tokenizer is tok_name, else the model's. And the lab's lines of `bench`. */
enum { LAB_CLI_COMPARE, LAB_CLI_NAMES, LAB_CLI_EXPLAIN, LAB_CLI_FILE };
int cli_tokenize_lab(int mode, const char *text, size_t len, const char *file, const char *tok_name,
                     const char *model_path, int json);
void cli_bench_lab(void);

/* Takes the sampler options every sampling subcommand shares (--min-p, --typical, --repeat-penalty,
 * --repeat-last-n, --presence-penalty, --frequency-penalty, --samplers) out of argv[1..*argc) into s,
 * and with with_basic also --temp, --top-k, --top-p, leaving the rest (and everything after `--`) for
 * the subcommand's own parser. Returns 0, or prints one line and returns GB_EXIT_USAGE.
 * CLI_SAMPLER_USAGE describes them for --help. */
int cli_take_sampler_options(const char *cmd, int *argc, char **argv, Sampler *s, int with_basic);
#define CLI_SAMPLER_USAGE \
    "  --min-p P    keep the tokens at least P times as likely as the likeliest (default 0 = off)\n" \
    "  --typical P  locally typical sampling: the tokens nearest the entropy up to mass P (default 1 = off)\n" \
    "  --repeat-penalty R  divide the positive logits of the last N tokens by R, multiply the negative\n" \
    "               ones (default 1 = off)\n" \
    "  --repeat-last-n N   how many recent tokens the penalties look at (default 64; -1 = all, 0 = none)\n" \
    "  --presence-penalty P   subtract P from each of those tokens' logits (default 0)\n" \
    "  --frequency-penalty P  subtract P per occurrence (default 0)\n" \
    "  --samplers LIST  the chain's order, comma-separated, as in llama.cpp (default\n" \
    "               penalties,top-k,typical,top-p,min-p,temp; also greedy); a stage not listed is off\n"

/* Default model: $GLASSBOX_MODEL, else gb_assets_dir()/glassbox.gguf. */
const char *cli_default_model(void);
/* For --version: the assets directory, the default model and the lessons directory, one a line, each
 * with the variable that overrides it. */
void cli_print_data_paths(void);
/* --list-commands (name NULL) and `help NAME` for a TUI command: 0, or 1 when NAME is not one. */
int cli_tui_commands(const char *name);

#endif
