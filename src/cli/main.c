/* glassbox's command line: the table of subcommands and the dispatch to them. Each subcommand is a
 * function cli_NAME(argc, argv) in its own file (cli.h); its options are parsed by options.c. The
 * table also gives --list-subcommands (for the shell completion and the man page's test), the
 * summary --help prints, and `glassbox help NAME`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"
#include "util.h"

#define GB_VERSION "0.1.0"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the name; returns the exit status */
    const char *summary;               /* one line of --help */
} Subcommand;

static const Subcommand SUBCOMMANDS[] = {
    {"tui", cli_tui, "the interactive view (the default; see glassbox tui --help)"},
    {"info", cli_info, "metadata, tensors and configuration of a GGUF model"},
    {"tokenize", cli_tokenize, "tokens of a text, with ids and byte spans"},
    {"generate", cli_generate, "continue a prompt, sampling with a temperature"},
    {"probs", cli_probs, "the next-token distribution after a prompt"},
    {"eval", cli_eval, "cross-entropy of the model on a file (bits per byte and per token)"},
    {"bench", cli_bench, "speed figures"},
    {"init-model", cli_init_model, "make a model with random weights and a BPE vocabulary"},
    {"train-tokenizer", cli_train_tokenizer, "train a byte-level BPE vocabulary"},
    {"train", cli_train, "train a llama-style model in C"},
    {"lesson", cli_lesson, "check lesson scripts (glassbox lesson check FILE...)"},
    {"score", cli_score, "teacher-forced: each continuation token's probability, rank and bits"},
    {"export", cli_export, "a view as text, ANSI, CSV or SVG (for slides)"},
    {"replay", cli_replay, "play back a session recorded in the TUI (record FILE)"},
    {"lens", cli_lens, "the logit lens: what each layer would predict after a prompt"},
};
enum { N_SUBCOMMANDS = sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0] };

static const Subcommand *find_subcommand(const char *name) {
    for (int i = 0; i < N_SUBCOMMANDS; i++)
        if (strcmp(SUBCOMMANDS[i].name, name) == 0) return &SUBCOMMANDS[i];
    return NULL;
}

static void print_main_usage(FILE *f) {
    fprintf(f, "usage: glassbox [SUBCOMMAND] [OPTIONS] [ARGS]\n"
               "glassbox opens up a small language model: tokens, attention, embeddings\n"
               "and the next-token distribution.\n\nsubcommands:\n");
    for (int i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(f, "  %-16s %s\n", SUBCOMMANDS[i].name, SUBCOMMANDS[i].summary);
    fprintf(
        f,
        "\nWith no subcommand (or only the TUI's options), glassbox opens the interactive view, "
        "as\n"
        "`glassbox tui` does; when not on a terminal it continues \"%s\" on the default model.\n"
        "`glassbox SUBCOMMAND --help` lists a subcommand's options. --model FILE works everywhere\n"
        "and defaults to $GLASSBOX_MODEL, else\n  %s\n"
        "TEXT or FILE `-` reads standard input. Options may come before or after the arguments;\n"
        "`--` ends them.\n"
        "Exit status: 0 success, 1 a runtime failure, 2 bad input (file, option, text).\n"
        "\n--version shows where glassbox looks for its data; --list-subcommands and "
        "--list-commands\n"
        "list the subcommands and the TUI's commands (`glassbox help NAME` explains one).\n"
        "The manual: man glassbox.\n",
        DEFAULT_PROMPT, cli_default_model());
    fprintf(f,
            "\nModels: GGUF files of general.architecture llama (SmolLM2, TinyLlama, CodeLlama,\n"
            "DeepSeek-Coder, stories15M and glassbox's own) or qwen2 (Qwen2.5-Coder), weights in "
            "F32, F16,\n"
            "BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K (Q4_K_M files mix the last two).\n");
    fprintf(
        f,
        "\nTokenizers: SentencePiece (tokenizer.ggml.model \"llama\": TinyLlama, CodeLlama, "
        "stories15M)\n"
        "and byte-level BPE (\"gpt2\") with llama.cpp's pre-tokenizers (tokenizer.ggml.pre): "
        "gpt-2,\n"
        "llama-bpe, smollm (SmolLM2), deepseek-coder, qwen2 (Qwen2.5-Coder), starcoder, refact,\n"
        "stablelm2, deepseek-llm, deepseek-v3, default, falcon, bloom, viking and their "
        "aliases.\n");
}

/* `glassbox help NAME`: a subcommand's --help, or a TUI command's usage. */
static int help(const char *name) {
    const Subcommand *sub = find_subcommand(name);
    if (sub) {
        char *args[] = {(char *)name, "--help", NULL};
        return sub->run(2, args);
    }
    if (cli_tui_commands(name) == 0) return GB_EXIT_OK;
    fprintf(stderr, "glassbox: help: '%s' is neither a subcommand nor a TUI command\n", name);
    return GB_EXIT_USAGE;
}

/* Every subcommand's results end here: what is still buffered is written and checked, so output
 * lost to a full disk or a closed pipe is a failure with a message, never a silent success. */
static int finish_output(const char *cmd, int r) {
    if (gb_finish_output(stdout, cmd, "standard output") != 0 && r == GB_EXIT_OK)
        return GB_EXIT_FAIL;
    return r;
}

int main(int argc, char **argv) {
    // No subcommand: the TUI on a terminal; piped, a short generation so scripts see some output.
    if (argc < 2) {
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
            char *args[] = {"glassbox", NULL};
            return cli_tui(1, args);
        }
        char *args[] = {"generate", DEFAULT_PROMPT, NULL};
        return finish_output("generate", cli_generate(2, args));
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 && argc > 2) return help(argv[2]);
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_main_usage(stdout);
        return GB_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("glassbox " GB_VERSION "\n");
        cli_print_data_paths(); /* where it looks for its model, tokenizers and lessons */
        return GB_EXIT_OK;
    }
    if (strcmp(name, "--list-subcommands") == 0) {
        for (int i = 0; i < N_SUBCOMMANDS; i++)
            printf("%s\n", SUBCOMMANDS[i].name);
        return GB_EXIT_OK;
    }
    if (strcmp(name, "--list-commands") == 0) return cli_tui_commands(NULL);
    const Subcommand *sub = find_subcommand(name);
    if (sub) return finish_output(name, sub->run(argc - 1, argv + 1));
    // Options without a subcommand belong to the TUI (--model, --prompt, --big), which checks them.
    if (name[0] == '-') return cli_tui(argc, argv);
    size_t name_len = strlen(name); // `glassbox FILE.lesson` opens the lesson in the TUI
    if (name_len > 7 && strcmp(name + name_len - 7, ".lesson") == 0) return cli_tui(argc, argv);
    fprintf(stderr, "glassbox: unknown subcommand '%s' (see glassbox --help)\n", name);
    return GB_EXIT_USAGE;
}
