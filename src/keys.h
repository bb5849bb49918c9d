/* The TUI's keys, listed once: the key handler dispatches on the actions and the help overlay lists
 * them from this table. Key codes: a printable character is itself; other keys are GB_KEY_* (crt.c
 * translates the terminal's codes into these). */
#ifndef GB_KEYS_H
#define GB_KEYS_H

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
    GB_KEY_RESIZE,
    GB_KEY_MOUSE,
};

/* X(ACTION, first key, second key (or GB_KEY_NONE), label shown in help, help text) */
#define KEY_LIST(X)                                                                                  \
    X(STEP, ' ', GB_KEY_NONE, "space", "generate one token")                                         \
    X(BACK, GB_KEY_BACKSPACE, GB_KEY_NONE, "backspace", "undo the last token")                       \
    X(AUTOPLAY, 'a', GB_KEY_NONE, "a", "autoplay on/off")                                            \
    X(FASTER, '>', GB_KEY_NONE, "> <", "autoplay faster / slower")                                   \
    X(SLOWER, '<', GB_KEY_NONE, "", "")                                                              \
    X(TEMP_UP, '+', '=', "+ -", "temperature up / down (re-shapes the distribution now)")          \
    X(TEMP_DOWN, '-', '_', "", "")                                                                   \
    X(RESAMPLE, 'r', GB_KEY_NONE, "r", "draw the generated tokens again, same seed")                 \
    X(NEWSEED, 'R', GB_KEY_NONE, "R", "draw them again with a new seed")                             \
    X(PICK, 'p', GB_KEY_NONE, "p", "pick the next token yourself from the distribution")            \
    X(EDIT, 'e', GB_KEY_NONE, "e", "edit the prompt")                                                \
    X(PREV, GB_KEY_LEFT, GB_KEY_UP, "\u2190 \u2192", "select the previous / next token (mouse: click)")   \
    X(NEXT, GB_KEY_RIGHT, GB_KEY_DOWN, "", "")                                                       \
    X(PAGE_UP, GB_KEY_PGUP, GB_KEY_NONE, "pgup pgdn", "select 10 tokens back / forward")               \
    X(PAGE_DOWN, GB_KEY_PGDN, GB_KEY_NONE, "", "")                                                   \
    X(FIRST, GB_KEY_HOME, GB_KEY_NONE, "home end", "select the first token / follow the last")       \
    X(LAST, GB_KEY_END, GB_KEY_NONE, "", "")                                                         \
    X(LAYER_DOWN, '[', GB_KEY_NONE, "[ ]", "previous / next layer")                                  \
    X(LAYER_UP, ']', GB_KEY_NONE, "", "")                                                            \
    X(HEAD_DOWN, '{', GB_KEY_NONE, "{ }", "previous / next head")                                    \
    X(HEAD_UP, '}', GB_KEY_NONE, "", "")                                                             \
    X(ZOOM_OUT, 'z', GB_KEY_NONE, "z Z", "attention: zoom out / in (blocks of 2^n tokens)")         \
    X(ZOOM_IN, 'Z', GB_KEY_NONE, "", "")                                                             \
    X(FIT, 'f', GB_KEY_NONE, "f", "attention: zoom so every key fits across")                       \
    X(KEYS_LEFT, ',', GB_KEY_NONE, ", .", "attention: scroll the keys left / right")                   \
    X(KEYS_RIGHT, '.', GB_KEY_NONE, "", "")                                                          \
    X(AGGREGATE, 'm', GB_KEY_NONE, "m", "attention: zoomed blocks show max / mean")                  \
    X(PROBCOLOUR, 'c', GB_KEY_NONE, "c", "tokens: colour generated tokens by their probability")     \
    X(VIEW1, '1', GB_KEY_F1, "1-4 F1-F4", "tokens, attention, neighbours, next-token views")          \
    X(VIEW2, '2', GB_KEY_F2, "", "")                                                                 \
    X(VIEW3, '3', GB_KEY_F3, "", "")                                                                 \
    X(VIEW4, '4', GB_KEY_F4, "", "")                                                                 \
    X(NEXTVIEW, GB_KEY_TAB, GB_KEY_NONE, "tab", "next view")                                          \
    X(COMMAND, ':', '/', ": /", "type a command (tab completes, esc cancels)")                       \
    X(COMPARE, 'C', GB_KEY_NONE, "C", "the text under the model's tokenizer, GPT-2, cl100k, o200k")  \
    X(BIG, 'B', GB_KEY_NONE, "B", "projector mode: larger, high contrast")                           \
    X(REDRAW, GB_KEY_CTRL_L, GB_KEY_NONE, "ctrl-l", "redraw the screen")                             \
    X(HELP, '?', GB_KEY_NONE, "?", "this help")                                                      \
    X(QUIT, 'q', GB_KEY_NONE, "q", "quit")

typedef enum {
#define X(action, k1, k2, label, help) KA_##action,
    KEY_LIST(X)
#undef X
        KA_COUNT
} KeyAction;

typedef struct {
    int key1, key2;
    const char *label, *help;
} KeyBinding;

static const KeyBinding KEY_BINDINGS[KA_COUNT] = {
#define X(action, k1, k2, label, help) {k1, k2, label, help},
    KEY_LIST(X)
#undef X
};

/* The action bound to key, or -1. */
static inline int key_action(int key) {
    for (int i = 0; i < KA_COUNT; i++)
        if (key != GB_KEY_NONE && (KEY_BINDINGS[i].key1 == key || KEY_BINDINGS[i].key2 == key)) return i;
    return -1;
}

#endif
