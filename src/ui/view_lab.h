/* The tokenizer lab in the TUI: a panel over the views, opened by the commands
 *   compare TEXT    TEXT under the model's tokenizer, GPT-2 (r50k), cl100k and o200k: a row each with
 *                   its count and its split (alternating backgrounds, whitespace made visible);
 *   names IDENT     an identifier's (or a line of code's) naming variants, fewest tokens first, with
 *                   the counts under all four and the split under one (t cycles which);
 *   merges WORD     BPE's merges replayed on WORD: → or space applies the next merge, ← or backspace
 *                   undoes one, home / end jump, t changes the tokenizer (`explain` is the probs
 *                   view's softmax arithmetic, kit.c).
 * Esc (or q) closes the panel. The shipped rank files are read the first time a panel needs them. */
#ifndef GB_VIEW_LAB_H
#define GB_VIEW_LAB_H

#include "canvas.h"
#include "theme.h"
#include "viewstate.h"
#include "session.h"
#include "tokenlab.h"
#include "util.h"

enum { LAB_PANEL_NONE = 0, LAB_PANEL_COMPARE, LAB_PANEL_NAMES, LAB_PANEL_EXPLAIN };
enum { LAB_PANEL_ROWS = 1 + LAB_N_SHIPPED }; /* the model's tokenizer, then the shipped three */

typedef struct {
    int kind;          /* LAB_PANEL_*; NONE: closed */
    char *text;        /* (len) what the panel shows, malloc'ed */
    size_t len;
    LabVocabs vocabs;  /* the shipped vocabularies, loaded on first use */
    int which;         /* names and explain: the tokenizer row shown (0: the model's) */
    LabReplay replay;  /* explain: the merges of text under `which` */
    int has_replay;
    int step;          /* explain: merges applied so far, over all chunks */
    char err[GB_ERRLEN]; /* why the panel has nothing to show (a vocabulary that did not load, ...) */
} LabUi;

void lab_ui_init(LabUi *lu);
void lab_ui_free(LabUi *lu);
/* Opens a panel on text. 0, or -1 with err (the panel stays closed). */
int lab_ui_open(LabUi *lu, int kind, const char *text, size_t len, Session *s, char *err);
void lab_ui_close(LabUi *lu);
/* t: names and merges show the next tokenizer (compare shows them all). */
void lab_ui_next_tokenizer(LabUi *lu, Session *s, UiState *ui);
/* The merges panel has merges to step through. */
int lab_ui_stepping(const LabUi *lu);
/* Merges: delta merges on (clamped), or to the first (last 0) / the last (last 1). */
void lab_ui_merge_by(LabUi *lu, int delta);
void lab_ui_merge_to(LabUi *lu, int last);
/* A key through the lab's keymaps and apply while a panel is open: 1 when one binds it. (apply.c) */
int lab_ui_key(LabUi *lu, int key, Session *s, UiState *ui);
/* Draws the open panel (if any) over the frame already in c. */
void lab_ui_draw(LabUi *lu, Canvas *c, Session *s, UiState *ui);

/* The tokenizer of row i: 0 the session's, 1..3 the shipped ones (loaded now); NULL with lu->err set. */
const Tokenizer *lab_ui_tokenizer(LabUi *lu, Session *s, int i);
const char *lab_ui_label(int i); /* "model", "GPT-2 (r50k)", ... */

#endif
