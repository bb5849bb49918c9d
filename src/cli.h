/* Entry points of the subcommands that live beside their module rather than in main.c.
 * main.c dispatches `glassbox NAME ARGS...` to these with argv[0] = NAME.
 * Each returns the process exit status (GB_EXIT_*). */
#ifndef GB_CLI_H
#define GB_CLI_H

int cli_train_tokenizer(int argc, char **argv); /* bpe_train.c: glassbox train-tokenizer */
int cli_train(int argc, char **argv);           /* train.c: glassbox train */
int cli_tui(int argc, char **argv);             /* tui.c: glassbox (no subcommand), the TUI */
int cli_lesson(int argc, char **argv);          /* lesson.c: glassbox lesson check FILE... */
int cli_score(int argc, char **argv);           /* kit_cli.c: glassbox score (teacher-forced) */

/* Default model: $GLASSBOX_MODEL, else gb_assets_dir()/glassbox.gguf. */
const char *cli_default_model(void);

#endif
