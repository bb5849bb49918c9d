/* Apply: the one place a request is carried out, whoever makes it — the command line, a key, a lesson
 * scene, a recording's replay, `glassbox export`, the tests. Like htop's actions, it answers with
 * reaction flags (what the caller has to do next: draw, open the command line, quit) instead of
 * leaving each caller to switch on the request. A new request is one row in COMMAND_LIST
 * (commands.h) and one case here. */
#ifndef GB_APPLY_H
#define GB_APPLY_H

#include "commands.h"
#include "record.h"
#include "session.h"
#include "view_lab.h"
#include "view_lesson.h"
#include "viewstate.h"

/* What a request did, for its caller. */
enum {
    RX_NONE = 0,
    RX_ERROR = 1 << 0,   /* it failed; err says why (nothing was recorded) */
    RX_REDRAW = 1 << 1,  /* the frame changed */
    RX_VIEW = 1 << 2,    /* it brought its view forward (the table's view column) */
    RX_DIST = 1 << 3,    /* the tokens or the distribution changed: prepared view data is stale */
    RX_MESSAGE = 1 << 4, /* it wrote the status line itself */
    RX_PROMPT = 1 << 5,  /* open the command line, holding App.prefill */
    RX_REPAINT = 1 << 6, /* repaint the whole terminal */
    RX_QUIT = 1 << 7,    /* leave */
};

/* What a request may act on. Only s and ui are needed: a part left NULL makes the requests that
 * need it fail with "not available here" (a lesson scene has no lesson mode, replay no lab). */
typedef struct {
    Session *s;
    UiState *ui;
    LabUi *lab;
    LessonUi *lessons;
    Recorder *rec;           /* NULL or inactive: nothing is recorded */
    int screen_w, screen_h;  /* the canvas: what export draws and how many rows the chooser shows */
    char prefill[4200];      /* RX_PROMPT: the command line opens with this text */
} App;

/* Carries out c. Returns RX_* flags; with RX_ERROR, err holds a one-line message. A recordable
 * request that succeeded is written to the recording (as typed when c->line is set). */
unsigned apply(App *a, const Command *c, char *err);

/* The keymaps that take a key now, top first (keys.h): the chooser or help overlay alone; else the
 * lab panel's, the course menu or the lesson's, then the generic one. Returns how many (at most 5). */
int app_keymaps(const App *a, int *modes);
/* A key: looked up in app_keymaps, its request applied. Returns the reactions, or -1 when no keymap
 * binds it (it did nothing). */
int app_key(App *a, int key, char *err);
/* Parses and applies one typed line; the status line then says what happened (the error, the
 * request's own message, or "✓ line"). Returns the reactions (0 for a blank line). */
unsigned app_line(App *a, const char *line);

#endif
