/* glassbox's command line: `glassbox SUBCOMMAND [OPTIONS] ARGS`. main.c holds the table of
 * subcommands and dispatches to their functions, one file each in src/cli/ (NAME_cli.c); each is
 * cli_NAME(argc, argv) with argv[0] = NAME, parses its options with options_parse (options.h) and
 * returns the exit status (util.h: 0 ok, 1 a runtime failure, 2 bad input). cli_common.c holds
 * what several share: the default model, opening a model, reading a prompt, the sampler options.
 *
 * Conventions shared by the subcommands that run the model:
 * - The prompt is encoded as bytes (any bytes, invalid UTF-8 included) and the vocabulary's BOS
 *   token is put in front of it when the model has one (glassbox's own models use <|endoftext|> as
 *   BOS, the way GPT-2 style models separate documents).
 * - Sampling defaults: temperature 0.8, top-k 0 (off), top-p 1 (off), seed 42.
 * - In JSON, a token's "text" is its bytes as UTF-8 in which every byte that is not part of a valid
 *   UTF-8 sequence is replaced by U+FFFD, and "bytes" lists the exact byte values. */
#ifndef GB_CLI_H
#define GB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gguf.h"
#include "model.h"
#include "options.h"
#include "sampler.h"
#include "tokenizer.h"

#define DEFAULT_TEMP 0.8f
#define DEFAULT_SEED 42
#define DEFAULT_PROMPT "def fibonacci(n):"

/* ---- the subcommands (main.c's table), each in its own file ---- */
int cli_tui(int argc, char **argv);             /* src/term/tui.c: the interactive view */
int cli_info(int argc, char **argv);            /* info_cli.c */
int cli_tokenize(int argc, char **argv);        /* tokenize_cli.c (the lab's modes: lab_cli.c) */
int cli_generate(int argc, char **argv);        /* generate_cli.c */
int cli_probs(int argc, char **argv);           /* probs_cli.c */
int cli_eval(int argc, char **argv);            /* eval_cli.c */
int cli_bench(int argc, char **argv);           /* bench_cli.c */
int cli_init_model(int argc, char **argv);      /* init_model_cli.c */
int cli_train_tokenizer(int argc, char **argv); /* train_tokenizer_cli.c */
int cli_train(int argc, char **argv);           /* train_cli.c */
int cli_lesson(int argc, char **argv);          /* lesson_cli.c: glassbox lesson check FILE... */
int cli_score(int argc, char **argv);           /* score_cli.c: teacher-forced scoring */
int cli_export(int argc, char **argv);          /* export_cli.c: a view to txt/ansi/csv/svg */
int cli_replay(int argc, char **argv);          /* replay_cli.c: a recorded session */
int cli_lens(int argc, char **argv);            /* lens_cli.c: the logit lens */

/* lab_cli.c: `glassbox tokenize --compare|--names|--explain TEXT` and `--file FILE` (text is the
 * TEXT, file the FILE); the own tokenizer is tok_name, else the model's. And the lab's lines of
 * `bench`. */
enum { LAB_CLI_COMPARE, LAB_CLI_NAMES, LAB_CLI_EXPLAIN, LAB_CLI_FILE };
int cli_tokenize_lab(int mode, const char *text, size_t len, const char *file, const char *tok_name,
                     const char *model_path, int json);
void cli_bench_lab(void);

/* ---- cli_common.c ---- */

/* Default model: $GLASSBOX_MODEL, else gb_assets_dir()/glassbox.gguf. */
const char *cli_default_model(void);
/* For --version: the assets directory, the default model and the lessons directory, one a line,
 * each with the variable that overrides it. */
void cli_print_data_paths(void);
/* --list-commands (name NULL) and `help NAME` for a TUI command: 0, or 1 when NAME is not one. */
int cli_tui_commands(const char *name);

/* The sampler options every sampling subcommand shares, with llama.cpp's names, as option rows
 * whose destination is a SamplerArgs: the sampler checks each value (sampler_set_value and
 * sampler_set_chain: its ranges, its messages) and `given` counts them. CLI_SAMPLER_OPTIONS are
 * --min-p, --typical, --repeat-penalty, --repeat-last-n, --presence-penalty, --frequency-penalty
 * and --samplers; CLI_SAMPLER_BASIC_OPTIONS add --temp, --top-k and --top-p for a subcommand that
 * does not parse them itself (score). CLI_SAMPLER_USAGE describes the first seven for --help. */
typedef struct {
    Sampler sampler;
    int given; /* how many sampler options the command line gave */
} SamplerArgs;
int cli_sampler_option(const Option *o, const char *value, char *why);
#define CLI_SAMPLER_ROW(name, sa) OPTION_CALL(name, sa, cli_sampler_option)
#define CLI_SAMPLER_OPTIONS(sa)                                                                    \
    CLI_SAMPLER_ROW("--min-p", sa), CLI_SAMPLER_ROW("--typical", sa),                              \
        CLI_SAMPLER_ROW("--repeat-penalty", sa), CLI_SAMPLER_ROW("--repeat-last-n", sa),           \
        CLI_SAMPLER_ROW("--presence-penalty", sa), CLI_SAMPLER_ROW("--frequency-penalty", sa),     \
        CLI_SAMPLER_ROW("--samplers", sa)
#define CLI_SAMPLER_BASIC_OPTIONS(sa)                                                              \
    CLI_SAMPLER_ROW("--temp", sa), CLI_SAMPLER_ROW("--top-k", sa), CLI_SAMPLER_ROW("--top-p", sa)
// clang-format off
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
// clang-format on

/* The bytes of a TEXT argument, or of standard input for "-" (at most a prompt's limit). *text is
 * malloc'ed. Returns 0, or prints the error and returns GB_EXIT_USAGE. */
int cli_read_text(char **text, size_t *len, const char *cmd, const char *arg);
/* "glassbox: CMD: ERR", and when path is the default model and missing, how to get one. */
void cli_print_open_error(const char *cmd, const char *path, const char *err);

/* A model file opened for its tokenizer and, when asked, its weights (the weights after the text is
 * encoded, so that they are sized for it). */
typedef struct {
    GGUFFile file;
    bool has_file;
    Tokenizer *tok;
    Model model;
    bool has_model;
} CliModel;
/* Opens path's tokenizer: 0, or prints the error and returns GB_EXIT_USAGE (nothing to free). */
int cli_open_tokenizer(CliModel *cm, const char *cmd, const char *path);
/* tok_name's tokenizer (tokenizer_open_named) when given, else path's; as cli_open_tokenizer. */
int cli_open_named_tokenizer(CliModel *cm, const char *cmd, const char *tok_name, const char *path);
/* Loads the weights with room for max_seq positions (0: the model's context length), no probes, and
 * checks them against the tokenizer (loader_check, as every path that opens a model). 0, or prints
 * the error and returns GB_EXIT_USAGE (cli_model_free still frees what was opened). */
int cli_load_weights(CliModel *cm, const char *cmd, const char *path, int max_seq);
void cli_model_free(CliModel *cm);

/* The start of generate and probs: the prompt (text, or - for standard input) read, encoded with
 * BOS in front, and the model loaded with room for `extra` positions after it. */
typedef struct {
    char *text;
    size_t len;
    int32_t *ids; /* BOS (when the vocabulary has one), then the prompt's tokens */
    int n_ids;
} CliPrompt;
/* Returns 0, or prints the error, frees everything and returns the exit status. */
int cli_load_prompt(CliPrompt *p, CliModel *cm, const char *cmd, const char *model_path,
                    const char *arg, int extra);
void cli_prompt_free(CliPrompt *p);

/* ---- output ---- */
void cli_json_number(FILE *f, double v);                   /* null for NaN and the infinities */
void cli_json_bytes(FILE *f, const char *bytes, size_t n); /* [104,105] */
/* A token's display form (token_display) in the caller's buffer; "<id N>" for one without bytes. */
const char *cli_token_shown(char *buf, size_t bufsz, const Tokenizer *tok, int32_t id);
/* s, then spaces up to width terminal columns (one per code point: good enough for the tables). */
void cli_print_padded(const char *s, int width);
/* The end of a subcommand's output: what is buffered is written and checked (gb_finish_output). */
int cli_finish_output(const char *cmd);

#endif
