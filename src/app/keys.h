/* The TUI's keys: the key codes, and one keymap per mode binding keys to requests. Key codes: a
 * printable character is itself; other keys are GB_KEY_* (crt.c translates the terminal's codes). */
#ifndef GB_KEYS_H
#define GB_KEYS_H

#include "commands.h"

enum {
    GB_KEY_NONE = -1,
    GB_KEY_ESC = 27,
    GB_KEY_ENTER = '\r',
    GB_KEY_TAB = '\t',
    GB_KEY_CTRL_L = 12,
    GB_KEY_BACKSPACE = 0x110000,
    GB_KEY_UP,
    GB_KEY_DOWN,
    GB_KEY_LEFT,
    GB_KEY_RIGHT,
    GB_KEY_HOME,
    GB_KEY_END,
    GB_KEY_PGUP,
    GB_KEY_PGDN,
    GB_KEY_DELETE,
    GB_KEY_BTAB,
    GB_KEY_F1,
    GB_KEY_F2,
    GB_KEY_F3,
    GB_KEY_F4,
    GB_KEY_F5,
    GB_KEY_SLEFT, /* shift+arrows */
    GB_KEY_SRIGHT,
    GB_KEY_RESIZE,
    GB_KEY_MOUSE,
};

/* The keymaps, one per mode, the way tig binds keys: each key names a request (commands.h) and its
 * integer argument, and apply carries it out exactly as the typed command. The help overlay lists
 * every mode's keys from these tables. A label of "" folds a binding into the line above it.
 * X(NAME, first key, second key (or GB_KEY_NONE), request, argument, label shown in help, help text) */
#define KEY_LIST(X)                                                                                  \
    X(STEP, ' ', GB_KEY_NONE, STEP, 1, "space", "generate one token")                                \
    X(BACK, GB_KEY_BACKSPACE, GB_KEY_NONE, BACK, 1, "backspace", "undo the last token")              \
    X(AUTOPLAY, 'a', GB_KEY_NONE, AUTOPLAY, 0, "a", "autoplay on/off")                               \
    X(FASTER, '>', GB_KEY_NONE, AUTOPLAY_SPEED, 1, "> <", "autoplay faster / slower")                \
    X(SLOWER, '<', GB_KEY_NONE, AUTOPLAY_SPEED, -1, "", "")                                          \
    X(TEMP_UP, '+', '=', TEMP_BY, 10, "+ -", "temperature up / down (re-shapes the distribution now)") \
    X(TEMP_DOWN, '-', '_', TEMP_BY, -10, "", "")                                                     \
    X(RESAMPLE, 'r', GB_KEY_NONE, RESAMPLE, 0, "r", "draw the generated tokens again, same seed")    \
    X(NEWSEED, 'R', GB_KEY_NONE, NEW_SEED, 0, "R", "draw them again with a new seed")                \
    X(PICK, 'p', 'P', CHOOSE, 0, "p P", "pick the next token yourself from the distribution (P in a lesson)") \
    X(EDIT, 'e', GB_KEY_NONE, EDIT, 0, "e", "edit the prompt")                                       \
    X(PREV, GB_KEY_LEFT, GB_KEY_UP, SELECT_BY, -1, "\u2190 \u2192", "select the previous / next token (mouse: click)") \
    X(NEXT, GB_KEY_RIGHT, GB_KEY_DOWN, SELECT_BY, 1, "", "")                                         \
    X(SPAN_LEFT, GB_KEY_SLEFT, GB_KEY_NONE, SPAN_BY, -1, "shift \u2190 \u2192", "select a span of tokens (attention it receives and gives)") \
    X(SPAN_RIGHT, GB_KEY_SRIGHT, GB_KEY_NONE, SPAN_BY, 1, "", "")                                    \
    X(PAGE_UP, GB_KEY_PGUP, GB_KEY_NONE, SELECT_BY, -10, "pgup pgdn", "select 10 tokens back / forward") \
    X(PAGE_DOWN, GB_KEY_PGDN, GB_KEY_NONE, SELECT_BY, 10, "", "")                                    \
    X(FIRST, GB_KEY_HOME, GB_KEY_NONE, SELECT, 0, "home end", "select the first token / follow the last") \
    X(LAST, GB_KEY_END, GB_KEY_NONE, SELECT, -1, "", "")                                             \
    X(LAYER_DOWN, '[', GB_KEY_NONE, LAYER_BY, -1, "[ ]", "previous / next layer (stops at the ends, as :layer)") \
    X(LAYER_UP, ']', GB_KEY_NONE, LAYER_BY, 1, "", "")                                               \
    X(HEAD_DOWN, '{', GB_KEY_NONE, HEAD_BY, -1, "{ }", "previous / next head")                       \
    X(HEAD_UP, '}', GB_KEY_NONE, HEAD_BY, 1, "", "")                                                 \
    X(ZOOM_OUT, 'z', GB_KEY_NONE, ZOOM_BY, 1, "z Z", "attention: zoom out / in (blocks of 2^n tokens)") \
    X(ZOOM_IN, 'Z', GB_KEY_NONE, ZOOM_BY, -1, "", "")                                                \
    X(FIT, 'f', GB_KEY_NONE, ZOOM_FIT, 0, "f", "attention: zoom so every key fits across")           \
    X(KEYS_LEFT, ',', GB_KEY_NONE, KEYS_SCROLL, 8, ", .", "attention: scroll the keys left / right") \
    X(KEYS_RIGHT, '.', GB_KEY_NONE, KEYS_SCROLL, -8, "", "")                                         \
    X(AGGREGATE, 'm', GB_KEY_NONE, AGGREGATE, 0, "m", "attention: zoomed blocks show max / mean")    \
    X(PROBCOLOUR, 'c', GB_KEY_NONE, PROB_COLOUR, 0, "c", "tokens: colour generated tokens by their probability") \
    X(CHAIN, 'o', GB_KEY_NONE, CHAIN, 0, "o", "next token: the sampler chain stage by stage, on a screen of any height") \
    X(VIEW1, '1', GB_KEY_F1, VIEW, VIEW_TOKENS, "1-5 F1-F5", "tokens, attention, neighbours, next-token, logit-lens views") \
    X(VIEW2, '2', GB_KEY_F2, VIEW, VIEW_ATTENTION, "", "")                                           \
    X(VIEW3, '3', GB_KEY_F3, VIEW, VIEW_NEIGHBOURS, "", "")                                          \
    X(VIEW4, '4', GB_KEY_F4, VIEW, VIEW_PROBS, "", "")                                               \
    X(VIEW5, '5', GB_KEY_F5, VIEW, VIEW_LENS, "", "")                                                \
    X(NEXTVIEW, GB_KEY_TAB, GB_KEY_NONE, VIEW_NEXT, 0, "tab", "next view")                           \
    X(COMMAND, ':', '/', COMMAND, 0, ": /", "type a command (tab completes, esc cancels)")           \
    X(COMPARE, 'C', GB_KEY_NONE, COMPARE_TEXT, 0, "C", "the text under the model's tokenizer, GPT-2, cl100k, o200k") \
    X(BIG, 'B', GB_KEY_NONE, BIG, 0, "B", "projector mode: larger, high contrast")                   \
    X(REDRAW, GB_KEY_CTRL_L, GB_KEY_NONE, REDRAW, 0, "ctrl-l", "redraw the screen")                  \
    X(HELP, '?', GB_KEY_NONE, HELP_TOGGLE, 0, "?", "this help")                                      \
    X(QUIT, 'q', GB_KEY_NONE, QUIT, 0, "q", "quit")

/* The token chooser (p): it takes every key while open. */
#define CHOOSER_KEYS(X)                                                                              \
    X(CH_UP, GB_KEY_UP, 'k', CHOOSER_MOVE, -1, "\u2191 \u2193 k j", "move the highlight")           \
    X(CH_DOWN, GB_KEY_DOWN, 'j', CHOOSER_MOVE, 1, "", "")                                            \
    X(CH_PICK, GB_KEY_ENTER, GB_KEY_NONE, CHOOSER_PICK, 0, "\u21b5 1-9", "pick the highlighted token / the N-th") \
    CHOOSER_DIGITS(X)                                                                                \
    X(CH_CLOSE, GB_KEY_ESC, 'q', CLOSE, 0, "esc q p", "close the chooser")                          \
    X(CH_CLOSE_P, 'p', GB_KEY_NONE, CLOSE, 0, "", "")
#define CHOOSER_DIGITS(X)                                                                            \
    X(CH_1, '1', GB_KEY_NONE, CHOOSER_PICK, 1, "", "") X(CH_2, '2', GB_KEY_NONE, CHOOSER_PICK, 2, "", "") \
    X(CH_3, '3', GB_KEY_NONE, CHOOSER_PICK, 3, "", "") X(CH_4, '4', GB_KEY_NONE, CHOOSER_PICK, 4, "", "") \
    X(CH_5, '5', GB_KEY_NONE, CHOOSER_PICK, 5, "", "") X(CH_6, '6', GB_KEY_NONE, CHOOSER_PICK, 6, "", "") \
    X(CH_7, '7', GB_KEY_NONE, CHOOSER_PICK, 7, "", "") X(CH_8, '8', GB_KEY_NONE, CHOOSER_PICK, 8, "", "") \
    X(CH_9, '9', GB_KEY_NONE, CHOOSER_PICK, 9, "", "")

/* The help overlay: it takes every key while open. */
#define HELP_KEYS(X)                                                                                 \
    X(HE_UP, GB_KEY_UP, GB_KEY_NONE, HELP_SCROLL, -1, "\u2191 \u2193", "scroll a line")              \
    X(HE_DOWN, GB_KEY_DOWN, GB_KEY_NONE, HELP_SCROLL, 1, "", "")                                     \
    X(HE_PGUP, GB_KEY_PGUP, GB_KEY_NONE, HELP_SCROLL, -10, "pgup pgdn", "scroll a page")             \
    X(HE_PGDN, GB_KEY_PGDN, GB_KEY_NONE, HELP_SCROLL, 10, "", "")                                    \
    X(HE_CLOSE, GB_KEY_ESC, 'q', CLOSE, 0, "esc q ?", "close the help")                             \
    X(HE_CLOSE_Q, '?', GB_KEY_NONE, CLOSE, 0, "", "")

/* A tokenizer lab panel (compare, names, merges); other keys reach the views. */
#define LAB_KEYS(X)                                                                                  \
    X(LA_CLOSE, GB_KEY_ESC, 'q', CLOSE, 0, "esc q", "close the panel")                              \
    X(LA_TOKENIZER, 't', GB_KEY_NONE, LAB_TOKENIZER, 0, "t", "names, merges: show another tokenizer")

/* The merges panel while it has merges to step through. */
#define MERGES_KEYS(X)                                                                               \
    X(ME_NEXT, GB_KEY_RIGHT, ' ', MERGE_BY, 1, "\u2192 \u2190", "the next / previous merge (also space, backspace)") \
    X(ME_PREV, GB_KEY_LEFT, GB_KEY_BACKSPACE, MERGE_BY, -1, "", "")                                  \
    X(ME_FIRST, GB_KEY_HOME, GB_KEY_NONE, MERGE_TO, 0, "home end", "the first / last merge")         \
    X(ME_LAST, GB_KEY_END, GB_KEY_NONE, MERGE_TO, -1, "", "")

/* A lesson is open: n and p walk its steps (so pick is P there); other keys reach the views. */
#define LESSON_KEYS(X)                                                                               \
    X(LE_NEXT, 'n', GB_KEY_NONE, NEXT, 0, "n p", "the next / previous step")                         \
    X(LE_PREV, 'p', GB_KEY_NONE, PREV, 0, "", "")                                                    \
    X(LE_DOWN, GB_KEY_PGDN, GB_KEY_NONE, PANE_SCROLL, 5, "pgdn pgup", "scroll the lesson pane")      \
    X(LE_UP, GB_KEY_PGUP, GB_KEY_NONE, PANE_SCROLL, -5, "", "")

/* The course menu: it takes every key while open. */
#define MENU_KEYS(X)                                                                                 \
    X(MN_UP, GB_KEY_UP, 'k', MENU_MOVE, -1, "\u2191 \u2193 k j", "choose a lesson")                 \
    X(MN_DOWN, GB_KEY_DOWN, 'j', MENU_MOVE, 1, "", "")                                               \
    X(MN_OPEN, GB_KEY_ENTER, GB_KEY_NONE, MENU_OPEN, 0, "\u21b5", "open it")                         \
    MENU_DIGITS(X)                                                                                   \
    X(MN_CLOSE, GB_KEY_ESC, 'q', CLOSE, 0, "esc q", "close the menu")
#define MENU_DIGITS(X)                                                                               \
    X(MN_1, '1', GB_KEY_NONE, MENU_SELECT, 1, "1-9", "choose lesson N")                              \
    X(MN_2, '2', GB_KEY_NONE, MENU_SELECT, 2, "", "") X(MN_3, '3', GB_KEY_NONE, MENU_SELECT, 3, "", "") \
    X(MN_4, '4', GB_KEY_NONE, MENU_SELECT, 4, "", "") X(MN_5, '5', GB_KEY_NONE, MENU_SELECT, 5, "", "") \
    X(MN_6, '6', GB_KEY_NONE, MENU_SELECT, 6, "", "") X(MN_7, '7', GB_KEY_NONE, MENU_SELECT, 7, "", "") \
    X(MN_8, '8', GB_KEY_NONE, MENU_SELECT, 8, "", "") X(MN_9, '9', GB_KEY_NONE, MENU_SELECT, 9, "", "")

/* The modes, in the order help lists them: X(MODE, keymap, heading, takes every key). */
#define KEYMAP_LIST(X)                                                                               \
    X(GENERIC, KEY_LIST, "KEYS", 0)                                                                  \
    X(CHOOSER, CHOOSER_KEYS, "KEYS OF THE TOKEN CHOOSER (p)", 1)                                     \
    X(HELP, HELP_KEYS, "KEYS OF THIS HELP", 1)                                                       \
    X(LAB, LAB_KEYS, "KEYS OF A TOKENIZER LAB PANEL (compare, names, merges)", 0)                    \
    X(MERGES, MERGES_KEYS, "KEYS OF THE MERGES PANEL", 0)                                            \
    X(LESSON, LESSON_KEYS, "KEYS IN A LESSON", 0)                                                    \
    X(MENU, MENU_KEYS, "KEYS OF THE COURSE MENU", 1)

typedef enum {
#define X(mode, keys, heading, modal) KEYMAP_##mode,
    KEYMAP_LIST(X)
#undef X
        KEYMAP_COUNT
} KeymapId;

typedef struct {
    int key1, key2;
    CommandId request;
    long long arg;
    const char *label, *help;
} KeyBinding;

/* The generic keymap's bindings by name, KA_STEP ... (tests and help walk it). */
typedef enum {
#define X(name, k1, k2, request, arg, label, help) KA_##name,
    KEY_LIST(X)
#undef X
        KA_COUNT
} KeyAction;

extern const KeyBinding *const KEY_BINDINGS; /* the generic keymap, KA_COUNT bindings */

/* Keymap m: its bindings and their count, its heading in help, and whether it takes every key. */
const KeyBinding *keymap_bindings(int m, int *n);
const char *keymap_heading(int m);
int keymap_modal(int m);
/* The binding of key in keymap m, or NULL. */
const KeyBinding *keymap_find(int m, int key);

#endif
