/* Entry points of the subcommands that live beside their module rather than in main.c.
 * main.c dispatches `glassbox NAME ARGS...` to these with argv[0] = NAME.
 * Each returns the process exit status (GB_EXIT_*). */
#ifndef GB_CLI_H
#define GB_CLI_H

#include <stddef.h>

int cli_train_tokenizer(int argc, char **argv); /* bpe_train.c: glassbox train-tokenizer */
int cli_train(int argc, char **argv);           /* train.c: glassbox train */
int cli_tui(int argc, char **argv);             /* tui.c: glassbox (no subcommand), the TUI */
int cli_lesson(int argc, char **argv);          /* lesson.c: glassbox lesson check FILE... */
int cli_score(int argc, char **argv);           /* kit_cli.c: glassbox score (teacher-forced) */
int cli_export(int argc, char **argv);          /* kit_cli.c: glassbox export (a view to txt/ansi/csv/svg) */
int cli_replay(int argc, char **argv);          /* kit_cli.c: glassbox replay (a recorded session) */

/* lab_cli.c: `glassbox tokenize --compare|--names|--explain TEXT` and `--file FILE` (text is the TEXT,
 * file the FILE); the own tokenizer is tok_name, else the model's. And the lab's lines of `bench`. */
enum { LAB_CLI_COMPARE, LAB_CLI_NAMES, LAB_CLI_EXPLAIN, LAB_CLI_FILE };
int cli_tokenize_lab(int mode, const char *text, size_t len, const char *file, const char *tok_name,
                     const char *model_path, int json);
void cli_bench_lab(void);

/* Default model: $GLASSBOX_MODEL, else gb_assets_dir()/glassbox.gguf. */
const char *cli_default_model(void);
/* For --version: the assets directory, the default model and the lessons directory, one a line, each
 * with the variable that overrides it. */
void cli_print_data_paths(void);
/* --list-commands (name NULL) and `help NAME` for a TUI command: 0, or 1 when NAME is not one. */
int cli_tui_commands(const char *name);

#endif
