/* The one command language: typed at the TUI's prompt and read from lesson scripts. Every command is
 * listed once in COMMAND_LIST; the enum, the parser's name table, tab completion and the help overlay
 * all come from it. */
#ifndef GB_COMMANDS_H
#define GB_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* What a command's argument is. */
typedef enum {
    ARG_NONE,    /* nothing may follow */
    ARG_TEXT,    /* the rest of the line, or one "quoted" string with escapes */
    ARG_NUMBER,  /* a real number */
    ARG_INT,     /* an integer */
    ARG_OPT_INT, /* an optional integer (default 1) */
    ARG_TOKEN,   /* one token: "quoted text" with escapes, a bare word, or #id */
    ARG_VIEW,    /* a view name */
    ARG_FILE,    /* a path: quoted or the rest of the line */
} ArgKind;

/* X(ID, name, argument kind, min, max, usage, example, help); min and max bound numeric arguments. */
#define COMMAND_LIST(X)                                                                                \
    X(PROMPT, "prompt", ARG_TEXT, 0, 0, "prompt TEXT", "prompt \"def add(a, b):\\n\"",              \
      "set the prompt (quote it to keep edge spaces or write \\n) and restart")                        \
    X(STEP, "step", ARG_OPT_INT, 1, 1e6, "step [N]", "step 3", "generate N tokens (default 1)")      \
    X(BACK, "back", ARG_OPT_INT, 1, 1e6, "back [N]", "back 2", "undo N generated tokens (default 1)")\
    X(PICK, "pick", ARG_TOKEN, 0, 0, "pick TOKEN", "pick \" return\"",                              \
      "append a token of your choice: \"text\" or #id")                                                \
    X(TEMP, "temp", ARG_NUMBER, 0, 1e5, "temp T", "temp 0.7", "temperature (0 = always the top token)")\
    X(TOPK, "topk", ARG_INT, 0, 1e9, "topk K", "topk 40", "keep only the K likeliest tokens (0 = off)")\
    X(TOPP, "topp", ARG_NUMBER, 0, 1, "topp P", "topp 0.9",                                          \
      "keep the likeliest tokens up to total probability P (1 = off)")                                 \
    X(SEED, "seed", ARG_INT, 0, 9.2e18, "seed S", "seed 42", "seed of the sampler's generator")      \
    X(RESAMPLE, "resample", ARG_NONE, 0, 0, "resample", "resample",                                  \
      "draw the generated tokens again with the same seed")                                            \
    X(SELECT, "select", ARG_INT, -1, 1e9, "select I", "select 0", "focus token number I (-1 = last)")\
    X(LAYER, "layer", ARG_INT, 0, 1e6, "layer L", "layer 0", "attention layer to show")              \
    X(HEAD, "head", ARG_INT, 0, 1e6, "head H", "head 1", "attention head to show")                   \
    X(VIEW, "view", ARG_VIEW, 0, 0, "view NAME", "view attention",                                   \
      "show a view: tokens, attention, neighbours, probs")                                             \
    X(NEIGHBOURS, "neighbours", ARG_TOKEN, 0, 0, "neighbours TOKEN", "neighbours \" the\"",         \
      "nearest tokens to TOKEN by embedding")                                                          \
    X(TOKENIZE, "tokenize", ARG_TEXT, 0, 0, "tokenize TEXT", "tokenize getUserName",                \
      "show how TEXT splits into tokens (it becomes the prompt)")                                      \
    X(MODEL, "model", ARG_FILE, 0, 0, "model FILE", "model assets/glassbox.gguf",                    \
      "load another model")                                                                            \
    /* the tokenizer lab (view_lab.c): panels over the views */                                      \
    X(COMPARE, "compare", ARG_TEXT, 0, 0, "compare TEXT", "compare def get_user(self):",             \
      "TEXT under the model's tokenizer, GPT-2, cl100k and o200k")                                     \
    X(NAMES, "names", ARG_TEXT, 0, 0, "names IDENT", "names user_authentication_token",              \
      "naming variants of an identifier, fewest tokens first")                                         \
    X(MERGES, "merges", ARG_TEXT, 0, 0, "merges WORD", "merges tokenization",                        \
      "replay BPE's merges on WORD, one per key (\u2192 \u2190)")                                      \
    X(EXPLAIN, "explain", ARG_NONE, 0, 0, "explain", "explain",                                      \
      "freeze this step: the probs view shows its softmax arithmetic (+/- sweep T)")                 \
    X(SCORE, "score", ARG_TEXT, 0, 0, "score TEXT", "score \" os.path.join\"",                       \
      "teacher-force TEXT after the prompt, coloured by surprisal (bits)")                           \
    X(EXPORT, "export", ARG_TEXT, 0, 0, "export [VIEW] FILE [FORMAT]", "export attention heat.svg",  \
      "write a view (or text) as .txt .ansi .csv .svg")                                              \
    X(RECORD, "record", ARG_TEXT, 0, 0, "record FILE | record stop", "record demo.lesson",           \
      "record commands and keys as a replayable lesson; record stop ends it")                        \
    X(HELP, "help", ARG_NONE, 0, 0, "help", "help", "show keys and commands")                        \
    X(QUIT, "quit", ARG_NONE, 0, 0, "quit", "quit", "leave glassbox")

typedef enum {
#define X(id, name, kind, lo, hi, usage, example, help) CMD_##id,
    COMMAND_LIST(X)
#undef X
        CMD_COUNT
} CommandId;

/* The views, in the order of the keys 1-4. */
#define VIEW_LIST(X)                                    \
    X(TOKENS, "tokens", "Tokens")                       \
    X(ATTENTION, "attention", "Attention")              \
    X(NEIGHBOURS, "neighbours", "Neighbours")           \
    X(PROBS, "probs", "Next token")

typedef enum {
#define X(id, name, title) VIEW_##id,
    VIEW_LIST(X)
#undef X
        VIEW_COUNT
} ViewId;

typedef struct {
    CommandId id;
    int has_arg;
    double num;      /* ARG_NUMBER */
    long long inum;  /* ARG_INT, ARG_OPT_INT (1 when absent) */
    int view;        /* ARG_VIEW: a ViewId */
    int32_t token_id;/* ARG_TOKEN written as #id; else -1 */
    char *text;      /* ARG_TEXT, ARG_TOKEN, ARG_FILE: malloc'ed bytes (NUL-terminated) */
    size_t text_len; /* bytes of text (\x00 may appear inside) */
} Command;

typedef enum {
    CMDR_OK = 0,     /* done */
    CMDR_ERROR = -1, /* err holds a one-line message */
    CMDR_UI = 1,     /* the core did its part (if any); the UI acts on it (view, help, quit, ...) */
} CommandResult;

/* Parses one line: 0 on success (free with command_free), 1 for a blank line or a '#' comment (nothing
 * to do), -1 with err set ("temp: expected a number between 0 and 100, got 'x'"). */
int commands_parse(const char *line, Command *out, char *err);
void command_free(Command *c);
/* Applies a parsed command to the session. */
CommandResult commands_run(Session *s, const Command *c, char *err);

int commands_count(void);
const char *commands_name(int id);
ArgKind commands_arg(int id);
const char *commands_usage(int id);
const char *commands_example(int id);
const char *commands_help(int id);
int commands_lookup(const char *name, size_t len); /* -1 if unknown (no prefixes) */
const char *view_name(int view);
const char *view_title(int view);
int view_lookup(const char *name, size_t len);

/* Writes s quoted so that commands_parse reads back the same bytes. Returns out. */
char *commands_quote(const char *s, size_t len, char *out, size_t outsz);

#endif
