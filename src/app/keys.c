#include "keys.h"

#include <stddef.h>

#define BINDING(name, k1, k2, request, arg, label, help) {k1, k2, CMD_##request, arg, label, help},


typedef struct {
    const KeyBinding *bindings;
    int n;
    const char *heading;
    int modal;
} Keymap;

#define X(mode, keys, heading, modal) static const KeyBinding MODE_##mode[] = {keys(BINDING)};
KEYMAP_LIST(X)
#undef X

const KeyBinding *const KEY_BINDINGS = MODE_GENERIC;

static const Keymap KEYMAPS[KEYMAP_COUNT] = {
#define X(mode, keys, heading, modal) {MODE_##mode, (int)(sizeof MODE_##mode / sizeof MODE_##mode[0]), heading, modal},
    KEYMAP_LIST(X)
#undef X
};

const KeyBinding *keymap_bindings(int m, int *n) {
    if (m < 0 || m >= KEYMAP_COUNT) {
        *n = 0;
        return NULL;
    }
    *n = KEYMAPS[m].n;
    return KEYMAPS[m].bindings;
}

const char *keymap_heading(int m) { return m >= 0 && m < KEYMAP_COUNT ? KEYMAPS[m].heading : ""; }
int keymap_modal(int m) { return m >= 0 && m < KEYMAP_COUNT && KEYMAPS[m].modal; }

const KeyBinding *keymap_find(int m, int key) {
    int n;
    const KeyBinding *b = keymap_bindings(m, &n);
    for (int i = 0; key != GB_KEY_NONE && i < n; i++)
        if (b[i].key1 == key || b[i].key2 == key) return &b[i];
    return NULL;
}
