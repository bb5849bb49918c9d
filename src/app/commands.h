/* The requests: everything a user can ask of glassbox, typed at the TUI's prompt, read from lesson
 * scripts and recordings, or made by a key. Every request is listed once in COMMAND_LIST with its
 * argument, help and flags; the enum, the parser, tab completion, the help overlay, the lesson rules
 * and the recordable list come from it. apply.c carries each out; keys.h binds keys to them. */
#ifndef GB_COMMANDS_H
#define GB_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* What a request's argument is. */
typedef enum {
    ARG_NONE,    /* nothing may follow */
    ARG_TEXT,    /* the rest of the line, or one "quoted" string with escapes */
    ARG_NUMBER,  /* a real number */
    ARG_INT,     /* an integer */
    ARG_OPT_INT, /* an optional integer (default 1) */
    ARG_TOKEN,   /* one token: "quoted text" with escapes, a bare word, or #id */
    ARG_VIEW,    /* a view name */
    ARG_FILE,    /* a path: quoted or the rest of the line */
    ARG_RAW,     /* the rest of the line exactly as typed, possibly empty (an answer) */
    ARG_SPAN,    /* an integer I, or a span of them A..B */
} ArgKind;

/* The views, in the order of the keys 1-5. */
#define VIEW_LIST(X)                                    \
    X(TOKENS, "tokens", "Tokens")                       \
    X(ATTENTION, "attention", "Attention")              \
    X(NEIGHBOURS, "neighbours", "Neighbours")           \
    X(PROBS, "probs", "Next token")                     \
    X(LENS, "lens", "Logit lens")

typedef enum {
#define X(id, name, title) VIEW_##id,
    VIEW_LIST(X)
#undef X
        VIEW_COUNT
} ViewId;

/* A request's flags: where it may run and what it costs. */
enum {
    RQ_LESSON = 1 << 0,      /* a lesson scene may run it (`> ...` lines) */
    RQ_RECORD = 1 << 1,      /* `record FILE` writes it into the recording */
    RQ_COST_COUNT = 1 << 2,  /* generates its count of tokens: that much of a lesson's budget */
    RQ_COST_FULL = 1 << 3,   /* may generate a whole step's worth: LESSON_MAX_GENERATE of the budget */
    RQ_CAPPED = 1 << 4,      /* in a lesson its count is at most LESSON_MAX_GENERATE */
    RQ_EXACT = 1 << 5,       /* only its full name calls it, never a prefix (the lesson commands) */
    RQ_KEY = 1 << 6,         /* made by keys only: not typed, not completed, not in the command list */
    RQ_LESSON_MODE = 1 << 7, /* a command of lesson mode (help lists it under LESSONS) */
    RQ_TOP = 1 << 8,         /* its work is the top level's (panels, files, overlays, the command line):
                                commands_run, the session-only runner, leaves it alone */
    RQ_UNSCORE = 1 << 9,     /* starts a new text: the score colouring goes */
};
#define RQ_SCENE (RQ_LESSON | RQ_RECORD)
/* The view column: which view a request brings forward when it succeeds. */
#define VIEW_NONE (-1)
#define VIEW_FROM_ARG (-2) /* `view NAME`: the named one */

/* Every request, listed once: X(ID, name, argument kind, min, max, usage, example, help, flags, view).
 * min and max bound numeric arguments. The enum, the parser, tab completion, the help overlay, the
 * lesson allow-list, the recordable list and the lesson budget all come from it; apply.c does the
 * work, one case per request; keys.h binds keys to requests. Typed commands come first (in the order
 * help lists them), then lesson mode's, then the requests that only keys make. */
#define COMMAND_LIST(X)                                                                                \
    X(PROMPT, "prompt", ARG_TEXT, 0, 0, "prompt TEXT", "prompt \"def add(a, b):\\n\"",              \
      "set the prompt (quote it to keep edge spaces or write \\n) and restart", RQ_SCENE | RQ_UNSCORE, \
      VIEW_NONE)                                                                                       \
    X(STEP, "step", ARG_OPT_INT, 1, 1e6, "step [N]", "step 3", "generate N tokens (default 1)",       \
      RQ_SCENE | RQ_COST_COUNT | RQ_CAPPED, VIEW_NONE)                                                 \
    X(BACK, "back", ARG_OPT_INT, 1, 1e6, "back [N]", "back 2", "undo N generated tokens (default 1)", \
      RQ_SCENE | RQ_CAPPED, VIEW_NONE)                                                                 \
    X(PICK, "pick", ARG_TOKEN, 0, 0, "pick TOKEN", "pick \" return\"",                              \
      "append a token of your choice: \"text\" or #id", RQ_SCENE, VIEW_NONE)                          \
    X(TEMP, "temp", ARG_NUMBER, 0, 1e5, "temp T", "temp 0.7", "temperature (0 = always the top token)", \
      RQ_SCENE, VIEW_NONE)                                                                             \
    X(TOPK, "topk", ARG_INT, 0, 1e9, "topk K", "topk 40", "keep only the K likeliest tokens (0 = off)", \
      RQ_SCENE, VIEW_NONE)                                                                             \
    X(TOPP, "topp", ARG_NUMBER, 0, 1, "topp P", "topp 0.9",                                          \
      "keep the likeliest tokens up to total probability P (1 = off)", RQ_SCENE, VIEW_NONE)           \
    X(MINP, "minp", ARG_NUMBER, 0, 1, "minp P", "minp 0.05",                                        \
      "keep the tokens at least P times as likely as the top one (0 = off)", RQ_SCENE, VIEW_NONE)     \
    X(TYPICAL, "typical", ARG_NUMBER, 0, 1, "typical P", "typical 0.9",                              \
      "locally typical: the tokens nearest the entropy up to mass P (1 = off)", RQ_SCENE, VIEW_NONE)  \
    X(REPEAT, "repeat", ARG_NUMBER, 0.001, 1000, "repeat R", "repeat 1.3",                          \
      "repeat penalty on the last N tokens: positive logits / R, negative * R (1 = off)", RQ_SCENE,   \
      VIEW_NONE)                                                                                       \
    X(LASTN, "lastn", ARG_INT, -1, 1e9, "lastn N", "lastn 64",                                       \
      "how many recent tokens the penalties see (-1 = all, 0 = none)", RQ_SCENE, VIEW_NONE)           \
    X(PRESENCE, "presence", ARG_NUMBER, -1000, 1000, "presence P", "presence 0.5",                   \
      "subtract P from the logit of every recent token (0 = off)", RQ_SCENE, VIEW_NONE)               \
    X(FREQUENCY, "frequency", ARG_NUMBER, -1000, 1000, "frequency P", "frequency 0.2",               \
      "subtract P per occurrence among the recent tokens (0 = off)", RQ_SCENE, VIEW_NONE)             \
    X(SAMPLERS, "samplers", ARG_TEXT, 0, 0, "samplers LIST", "samplers top-p,temp",                  \
      "the sampler chain's order: penalties,top-k,typical,top-p,min-p,temp (greedy too)", RQ_SCENE,   \
      VIEW_PROBS)                                                                                      \
    X(DEFAULTS, "defaults", ARG_NONE, 0, 0, "defaults", "defaults",                                \
      "every sampler setting back to its default (T 1, no truncation or penalties, the usual chain)", \
      RQ_SCENE, VIEW_NONE)                                                                             \
    X(SEED, "seed", ARG_INT, 0, 9.2e18, "seed S", "seed 42", "seed of the sampler's generator",       \
      RQ_SCENE, VIEW_NONE)                                                                             \
    X(RESAMPLE, "resample", ARG_NONE, 0, 0, "resample", "resample",                                  \
      "draw the generated tokens again with the same seed", RQ_SCENE | RQ_COST_FULL, VIEW_NONE)       \
    X(SELECT, "select", ARG_SPAN, -1, 1e9, "select I | A..B", "select 3..7",                         \
      "focus token number I (-1 = last), or the span A..B: the attention it receives and gives",      \
      RQ_SCENE, VIEW_NONE)                                                                             \
    X(LAYER, "layer", ARG_INT, 0, 1e6, "layer L", "layer 0", "attention layer to show", RQ_SCENE,    \
      VIEW_NONE)                                                                                       \
    X(HEAD, "head", ARG_INT, 0, 1e6, "head H", "head 1", "attention head to show", RQ_SCENE, VIEW_NONE) \
    X(VIEW, "view", ARG_VIEW, 0, 0, "view NAME", "view attention",                                   \
      "show a view: tokens, attention, neighbours, probs, lens", RQ_SCENE, VIEW_FROM_ARG)             \
    X(NEIGHBOURS, "neighbours", ARG_TOKEN, 0, 0, "neighbours TOKEN", "neighbours \" the\"",         \
      "nearest tokens to TOKEN by embedding", RQ_SCENE, VIEW_NEIGHBOURS)                              \
    X(TOKENIZE, "tokenize", ARG_TEXT, 0, 0, "tokenize TEXT", "tokenize getUserName",                \
      "show how TEXT splits into tokens (it becomes the prompt)", RQ_SCENE | RQ_UNSCORE, VIEW_TOKENS) \
    X(MODEL, "model", ARG_FILE, 0, 0, "model FILE", "model assets/glassbox.gguf", "load another model", \
      RQ_SCENE | RQ_COST_FULL | RQ_UNSCORE, VIEW_NONE)                                                 \
    /* the tokenizer lab (view_lab.c): panels over the views */                                      \
    X(COMPARE, "compare", ARG_TEXT, 0, 0, "compare TEXT", "compare def get_user(self):",             \
      "TEXT under the model's tokenizer, GPT-2, cl100k and o200k", RQ_TOP | RQ_LESSON, VIEW_NONE)                 \
    X(NAMES, "names", ARG_TEXT, 0, 0, "names IDENT", "names user_authentication_token",              \
      "naming variants of an identifier, fewest tokens first", RQ_TOP | RQ_LESSON, VIEW_NONE)                     \
    X(MERGES, "merges", ARG_TEXT, 0, 0, "merges WORD", "merges tokenization",                        \
      "replay BPE's merges on WORD, one per key (\u2192 \u2190)", RQ_TOP | RQ_LESSON, VIEW_NONE)                  \
    X(EXPLAIN, "explain", ARG_NONE, 0, 0, "explain", "explain",                                      \
      "freeze this step: the probs view shows its softmax arithmetic (+/- sweep T)", RQ_SCENE,         \
      VIEW_PROBS)                                                                                      \
    X(SCORE, "score", ARG_TEXT, 0, 0, "score TEXT", "score \" os.path.join\"",                       \
      "teacher-force TEXT after the prompt, coloured by surprisal (bits)", RQ_SCENE | RQ_COST_FULL,    \
      VIEW_TOKENS)                                                                                     \
    X(EXPORT, "export", ARG_TEXT, 0, 0, "export [VIEW] FILE [FORMAT]", "export attention heat.svg",  \
      "write a view (or text) as .txt .ansi .csv .svg", RQ_TOP, VIEW_NONE)                            \
    X(RECORD, "record", ARG_TEXT, 0, 0, "record FILE | record stop", "record demo.lesson",           \
      "record commands and keys as a replayable lesson; record stop ends it", RQ_TOP, VIEW_NONE)      \
    X(HELP, "help", ARG_NONE, 0, 0, "help", "help", "show keys and commands", RQ_TOP, VIEW_NONE)      \
    X(QUIT, "quit", ARG_NONE, 0, 0, "quit", "quit", "leave glassbox", RQ_TOP, VIEW_NONE)             \
    /* lesson mode (view_lesson.c): the pane beside the views and the course menu */                 \
    X(LESSONS, "lessons", ARG_NONE, 0, 0, "lessons", "lessons", "the course menu", RQ_LESSON_CMD,    \
      VIEW_NONE)                                                                                       \
    X(NEXT, "next", ARG_NONE, 0, 0, "next", "next", "the next step of the lesson", RQ_LESSON_CMD,     \
      VIEW_NONE)                                                                                       \
    X(PREV, "prev", ARG_NONE, 0, 0, "prev", "prev", "the previous step", RQ_LESSON_CMD, VIEW_NONE)    \
    X(ANSWER, "answer", ARG_RAW, 0, 0, "answer TEXT", "answer b", "answer the step's question",       \
      RQ_LESSON_CMD, VIEW_NONE)                                                                        \
    X(HINT, "hint", ARG_NONE, 0, 0, "hint", "hint", "show the question's hint", RQ_LESSON_CMD,        \
      VIEW_NONE)                                                                                       \
    X(REVEAL, "reveal", ARG_NONE, 0, 0, "reveal", "reveal",                                          \
      "show the question's answer (it then no longer scores)", RQ_LESSON_CMD, VIEW_NONE)              \
    X(RESET, "reset", ARG_NONE, 0, 0, "reset", "reset", "start the lesson again, answers forgotten",  \
      RQ_LESSON_CMD, VIEW_NONE)                                                                        \
    /* made by keys only (keys.h): the integer argument comes from the binding */                    \
    X(AUTOPLAY, "autoplay", ARG_NONE, 0, 0, "", "", "autoplay on/off", RQ_KEY_UI, VIEW_NONE)          \
    X(AUTOPLAY_SPEED, "autoplay-speed", ARG_INT, -1, 1, "", "", "autoplay faster (1) / slower (-1)",  \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(TEMP_BY, "temp-by", ARG_INT, -500, 500, "", "", "temperature up / down by N hundredths",        \
      RQ_KEY, VIEW_NONE)                                                                               \
    X(NEW_SEED, "new-seed", ARG_NONE, 0, 0, "", "", "draw the tokens again with a new seed", RQ_KEY,  \
      VIEW_NONE)                                                                                       \
    X(CHOOSE, "choose", ARG_NONE, 0, 0, "", "", "open the token chooser", RQ_KEY_UI, VIEW_NONE)        \
    X(EDIT, "edit", ARG_NONE, 0, 0, "", "", "edit the prompt on the command line", RQ_KEY_UI,          \
      VIEW_NONE)                                                                                       \
    X(SELECT_BY, "select-by", ARG_INT, -1e9, 1e9, "", "", "select N tokens on, the last following",   \
      RQ_KEY, VIEW_NONE)                                                                               \
    X(SPAN_BY, "span-by", ARG_INT, -1e9, 1e9, "", "", "grow the span N tokens from the focus",        \
      RQ_KEY, VIEW_NONE)                                                                               \
    X(FOCUS, "focus", ARG_INT, -1, 1e9, "", "", "select token I, the neighbours view following it",   \
      RQ_KEY, VIEW_NONE)                                                                               \
    X(LAYER_BY, "layer-by", ARG_INT, -1e6, 1e6, "", "", "layer N on, clamped to the model's", RQ_KEY, \
      VIEW_NONE)                                                                                       \
    X(HEAD_BY, "head-by", ARG_INT, -1e6, 1e6, "", "", "head N on, clamped to the model's", RQ_KEY,    \
      VIEW_NONE)                                                                                       \
    X(ZOOM_BY, "zoom-by", ARG_INT, -1, 1, "", "", "attention: zoom out (1) / in (-1)", RQ_KEY_UI,     \
      VIEW_NONE)                                                                                       \
    X(ZOOM_FIT, "zoom-fit", ARG_NONE, 0, 0, "", "", "attention: zoom so every key fits", RQ_KEY_UI,   \
      VIEW_NONE)                                                                                       \
    X(KEYS_SCROLL, "keys-scroll", ARG_INT, -1e6, 1e6, "", "", "attention: keys N columns left",       \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(AGGREGATE, "aggregate", ARG_NONE, 0, 0, "", "", "attention: zoomed blocks max / mean",          \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(PROB_COLOUR, "prob-colour", ARG_NONE, 0, 0, "", "", "tokens: colour by probability", RQ_KEY_UI, \
      VIEW_NONE)                                                                                       \
    X(CHAIN, "chain", ARG_NONE, 0, 0, "", "", "next token: the sampler chain table on/off", RQ_KEY_UI,  \
      VIEW_PROBS)                                                                                      \
    X(VIEW_NEXT, "view-next", ARG_NONE, 0, 0, "", "", "the next view", RQ_KEY, VIEW_NONE)              \
    X(COMMAND, "command", ARG_NONE, 0, 0, "", "", "open the command line", RQ_KEY_UI, VIEW_NONE)       \
    X(COMPARE_TEXT, "compare-text", ARG_NONE, 0, 0, "", "", "the lab's compare panel on the text",    \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(BIG, "big", ARG_NONE, 0, 0, "", "", "projector mode on/off", RQ_KEY_UI, VIEW_NONE)               \
    X(REDRAW, "redraw", ARG_NONE, 0, 0, "", "", "repaint the terminal", RQ_KEY_UI, VIEW_NONE)          \
    X(HELP_TOGGLE, "help-toggle", ARG_NONE, 0, 0, "", "", "help on/off", RQ_KEY_UI, VIEW_NONE)         \
    X(HELP_SCROLL, "help-scroll", ARG_INT, -1e6, 1e6, "", "", "help: scroll N lines", RQ_KEY_UI,      \
      VIEW_NONE)                                                                                       \
    X(CLOSE, "close", ARG_NONE, 0, 0, "", "", "close the overlay or panel on top", RQ_KEY_UI,         \
      VIEW_NONE)                                                                                       \
    X(CHOOSER_MOVE, "chooser-move", ARG_INT, -1e6, 1e6, "", "", "chooser: move N rows", RQ_KEY_UI,    \
      VIEW_NONE)                                                                                       \
    X(CHOOSER_PICK, "chooser-pick", ARG_INT, 0, 1e6, "", "", "chooser: pick row N (0: highlighted)",  \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(LAB_TOKENIZER, "lab-tokenizer", ARG_NONE, 0, 0, "", "", "lab: show the next tokenizer",         \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(MERGE_BY, "merge-by", ARG_INT, -1e6, 1e6, "", "", "merges: N merges on", RQ_KEY_UI, VIEW_NONE)   \
    X(MERGE_TO, "merge-to", ARG_INT, -1, 0, "", "", "merges: the first (0) / the last (-1)",          \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(PANE_SCROLL, "pane-scroll", ARG_INT, -1e6, 1e6, "", "", "lesson: scroll the pane N lines",      \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(MENU_MOVE, "menu-move", ARG_INT, -1e6, 1e6, "", "", "course menu: move N rows", RQ_KEY_UI,      \
      VIEW_NONE)                                                                                       \
    X(MENU_SELECT, "menu-select", ARG_INT, 1, 1e6, "", "", "course menu: highlight lesson N",         \
      RQ_KEY_UI, VIEW_NONE)                                                                            \
    X(MENU_OPEN, "menu-open", ARG_NONE, 0, 0, "", "", "course menu: open the highlighted lesson",     \
      RQ_KEY_UI, VIEW_NONE)
#define RQ_LESSON_CMD (RQ_TOP | RQ_EXACT | RQ_LESSON_MODE)
#define RQ_KEY_UI (RQ_KEY | RQ_TOP)

typedef enum {
#define X(id, name, kind, lo, hi, usage, example, help, flags, view) CMD_##id,
    COMMAND_LIST(X)
#undef X
        CMD_COUNT
} CommandId;

typedef struct {
    CommandId id;
    int has_arg;
    double num;      /* ARG_NUMBER */
    long long inum;  /* ARG_INT, ARG_OPT_INT (1 when absent), ARG_SPAN: I or A */
    long long inum2; /* ARG_SPAN: B of A..B; span 0 when only I was given */
    int span;
    int view;        /* ARG_VIEW: a ViewId */
    int32_t token_id;/* ARG_TOKEN written as #id; else -1 */
    char *text;      /* ARG_TEXT, ARG_TOKEN, ARG_FILE: malloc'ed bytes (NUL-terminated) */
    size_t text_len; /* bytes of text (\x00 may appear inside) */
    const char *line;/* the line it was parsed from (not owned), NULL when a key made it: a recording
                        writes the line as typed */
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
/* Runs a command on a bare session, the way apply (apply.h) does with no screen: requests whose work
 * is the top level's (RQ_TOP) are left alone and answer CMDR_UI, as do those that bring a view
 * forward. For callers that hold only a Session (fuzzers, tests). */
CommandResult commands_run(Session *s, const Command *c, char *err);
/* A command made by a key or by code: id with an integer argument (also the view of ARG_VIEW); no
 * text. Free with command_free all the same. */
Command command_make(CommandId id, long long arg);
/* The command as a line commands_parse reads back: "layer 2", "temp 0.9", "pick #17", "step". */
char *command_format(const Command *c, char *out, size_t outsz);
/* Tokens the command may generate, against a lesson's budget (full: what RQ_COST_FULL costs). */
int command_cost(const Command *c, int full);

/* The typed commands are ids 0..commands_count()-1; the key-only requests follow up to CMD_COUNT. */
int commands_count(void);
int commands_flags(int id);
int commands_view(int id); /* the view column: a ViewId, VIEW_NONE or VIEW_FROM_ARG */
const char *commands_name(int id);
ArgKind commands_arg(int id);
const char *commands_usage(int id);
const char *commands_example(int id);
const char *commands_help(int id);
int commands_lookup(const char *name, size_t len); /* a typed command: exact name, else a unique prefix
                                                      (RQ_EXACT ones never by prefix); -1 if unknown */
const char *view_name(int view);
const char *view_title(int view);
int view_lookup(const char *name, size_t len);

/* Writes s quoted so that commands_parse reads back the same bytes. Returns out. */
char *commands_quote(const char *s, size_t len, char *out, size_t outsz);

#endif
