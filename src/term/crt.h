/* The terminal: the only module that talks to ncurses. It sets the terminal up and restores it (on
 * every exit path, exactly once), copies a canvas to the screen, and reads keys as code points or
 * GB_KEY_* values (keys.h). */
#ifndef GB_CRT_H
#define GB_CRT_H

#include "canvas.h"
#include "screen.h"

typedef struct Crt Crt;

/* Starts the screen on the controlling terminal. Standard output and error are captured from here on
 * (stray prints cannot corrupt the screen; crt_drain_output returns them). NULL with err on failure. */
Crt *crt_init(char *err);
/* Restores the terminal and standard output/error. Safe to call more than once; endwin runs once.
 * Captured output not yet drained is written to the real standard error. */
void crt_end(Crt *t);
void crt_free(Crt *t);

void crt_size(Crt *t, int *w, int *h);
int crt_unicode(const Crt *t);        /* the locale is UTF-8 */
ColourMode crt_colours(const Crt *t); /* NO_COLOR, COLORTERM and what the terminal can show */

/* Copies c to the screen and places the cursor (hidden when x < 0). */
void crt_blit(Crt *t, const Canvas *c, int cursor_x, int cursor_y);
/* Next key within timeout_ms (-1: wait): a code point, a GB_KEY_* value, or GB_KEY_NONE on time-out
 * or interruption. For GB_KEY_MOUSE, *mx and *my hold the cell clicked and *button 1 (left press),
 * 4 (wheel up) or 5 (wheel down). */
int crt_read_key(Crt *t, int timeout_ms, int *mx, int *my, int *button);
/* Makes the next blit repaint everything. */
void crt_force_redraw(Crt *t);
/* The last line printed to standard output or error since the last call ("" if none). */
int crt_drain_output(Crt *t, char *line, size_t linesz);

/* The signal policy of the TUI: SIGINT, SIGTERM and SIGHUP set a flag the loop polls (crt_signalled;
 * crt_signal says which), so it saves and restores the terminal before crt_reraise; every other signal
 * whose default action ends the process (SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGPIPE,
 * ...) restores the terminal at once (modes, alternate screen, mouse reporting, cursor) and is raised
 * again, so the exit status is 128 + the signal either way. */
void crt_install_signals(Crt *t);
int crt_signalled(void);
int crt_signal(void);
/* Dies of sig with its default action (core dump and all). Returns only for a signal that does not kill. */
void crt_reraise(int sig);

#endif
