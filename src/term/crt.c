#include "crt.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "keys.h"
#include "util.h"

struct Crt {
    SCREEN *screen;
    FILE *out, *in;    /* the terminal, for ncurses */
    int saved_stdout, saved_stderr;
    int pipe_r;        /* read end of the pipe standard output and error now go to */
    int ended;
    int unicode;
    int direct;        /* the terminal takes 24-bit colours as colour numbers */
    int has_colour;
    ColourMode colours;
    int tty_fd;         /* the terminal's input side, for its modes */
    struct termios saved_modes; /* as glassbox found them */
    int has_saved_modes;
    char pending[1024]; /* partial captured line */
    size_t pending_len;
    char last[1024];
};

/* The TUI's top level: signals can only talk to the loop through these. */
static volatile sig_atomic_t g_signalled;
static Crt *g_crt;

int crt_signalled(void) { return g_signalled != 0; }

int crt_signal(void) { return (int)g_signalled; }

static void on_quit_signal(int sig) { g_signalled = sig; }

/* Every signal whose default action ends the process. The first three end the loop (crt_signalled),
 * which saves the progress and the history on its way out; the rest end glassbox at once. */
static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP};
static const int fatal_signals[] = {
    SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
    SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS,
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
#ifdef SIGPWR
    SIGPWR,
#endif
#ifdef SIGIO
    SIGIO,
#endif
};

/* What ncurses turned on, turned off with async-signal-safe calls only (tcsetattr, write): mouse
 * reporting, the hidden cursor, the alternate screen, the colours; then the saved tty modes. */
static void restore_terminal_now(Crt *t) {
    static const char reset[] = "\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?1015l"
                                "\033[0m\033[?25h\033[?1049l\r\n";
    if (t->out) {
        ssize_t w = write(fileno(t->out), reset, sizeof reset - 1);
        (void)w;
    }
    if (t->has_saved_modes) tcsetattr(t->tty_fd, TCSAFLUSH, &t->saved_modes);
}

static void on_fatal_signal(int sig) {
    /* restore the terminal and the real standard error (passing on what was captured, such as the
     * message of a failed allocation), then die of the same signal: the shell sees 128 + sig */
    Crt *t = g_crt;
    if (t && !t->ended) {
        t->ended = 1;
        restore_terminal_now(t);
        if (t->saved_stdout >= 0) dup2(t->saved_stdout, STDOUT_FILENO);
        if (t->saved_stderr >= 0) dup2(t->saved_stderr, STDERR_FILENO);
        if (t->pipe_r >= 0) {
            char buf[1024];
            ssize_t n;
            while ((n = read(t->pipe_r, buf, sizeof buf)) > 0)
                if (write(STDERR_FILENO, buf, (size_t)n) < 0) break;
        }
    }
    crt_reraise(sig);
}

void crt_reraise(int sig) {
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

static void at_exit_restore(void) {
    if (g_crt) crt_end(g_crt);
}

void crt_install_signals(Crt *t) {
    g_crt = t;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++) sigaction(quit_signals[i], &sa, NULL);
    sa.sa_handler = on_fatal_signal;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        struct sigaction old;
        /* a signal the user's shell set to be ignored (nohup: SIGHUP; SIGPIPE) stays ignored */
        if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(fatal_signals[i], &sa, NULL);
    }
    atexit(at_exit_restore);
}

static ColourMode detect_colours(Crt *t) {
    const char *no = getenv("NO_COLOR");
    if (no && *no) return COLOURS_NONE;
    if (!t->has_colour || COLORS < 256) return COLOURS_NONE;
    const char *ct = getenv("COLORTERM");
    if (ct && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0)) return COLOURS_RGB;
    return COLOURS_256;
}

Crt *crt_init(char *err) {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        gb_seterr(err, "the interactive view needs a terminal (standard input and output must be a tty)");
        return NULL;
    }
    setlocale(LC_ALL, "");
    Crt *t = gb_calloc(1, sizeof *t);
    t->unicode = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    t->saved_stdout = dup(STDOUT_FILENO);
    t->saved_stderr = dup(STDERR_FILENO);
    int tty_out = dup(STDOUT_FILENO);
    t->out = fdopen(tty_out, "w");
    t->in = fdopen(dup(STDIN_FILENO), "r");
    t->pipe_r = -1;
    t->tty_fd = STDIN_FILENO;
    t->has_saved_modes = tcgetattr(t->tty_fd, &t->saved_modes) == 0;
    if (!t->out || !t->in) {
        gb_seterr(err, "cannot open the terminal: %s", strerror(errno));
        crt_free(t);
        return NULL;
    }
    if (!getenv("ESCDELAY")) set_escdelay(25);
    t->screen = newterm(NULL, t->out, t->in);
    if (!t->screen) {
        const char *term = getenv("TERM");
        gb_seterr(err, "cannot start the screen for TERM=%s", term ? term : "(unset)");
        t->ended = 1;
        crt_free(t);
        return NULL;
    }
    set_term(t->screen);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    meta(stdscr, TRUE);
    set_escdelay(25);
    mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        t->has_colour = 1;
    }
    t->direct = tigetflag("RGB") > 0 && COLORS >= 0x1000000;
    t->colours = detect_colours(t);
    /* from here on, stray prints go to a pipe that the loop drains into the status line */
    int fds[2];
    if (pipe(fds) == 0) {
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
        fflush(stdout);
        fflush(stderr);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        t->pipe_r = fds[0];
    }
    return t;
}

int crt_drain_output(Crt *t, char *line, size_t linesz) {
    line[0] = 0;
    if (t->pipe_r < 0) return 0;
    fflush(stdout);
    fflush(stderr);
    char buf[4096];
    int got_any = 0;
    for (;;) {
        ssize_t n = read(t->pipe_r, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            char ch = buf[i];
            if (ch == '\n' || t->pending_len + 1 >= sizeof t->pending) {
                t->pending[t->pending_len] = 0;
                if (t->pending_len) {
                    snprintf(t->last, sizeof t->last, "%s", t->pending);
                    got_any = 1;
                }
                t->pending_len = 0;
                if (ch == '\n') continue;
            }
            t->pending[t->pending_len++] = ch;
        }
    }
    if (got_any) snprintf(line, linesz, "%s", t->last);
    return got_any;
}

void crt_end(Crt *t) {
    if (!t || t->ended) return;
    t->ended = 1;
    curs_set(1);
    endwin();
    fflush(t->out);
    /* put standard output and error back, then pass on what was captured and never shown */
    fflush(stdout);
    fflush(stderr);
    if (t->saved_stdout >= 0) dup2(t->saved_stdout, STDOUT_FILENO);
    if (t->saved_stderr >= 0) dup2(t->saved_stderr, STDERR_FILENO);
    if (t->pipe_r >= 0) {
        char buf[4096];
        ssize_t n;
        if (t->pending_len) {
            ssize_t w = write(STDERR_FILENO, t->pending, t->pending_len);
            (void)w;
            t->pending_len = 0;
        }
        while ((n = read(t->pipe_r, buf, sizeof buf)) > 0) {
            ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
            (void)w;
        }
    }
}

void crt_free(Crt *t) {
    if (!t) return;
    crt_end(t);
    if (g_crt == t) g_crt = NULL;
    if (t->screen) delscreen(t->screen);
    if (t->out) fclose(t->out);
    if (t->in) fclose(t->in);
    if (t->pipe_r >= 0) close(t->pipe_r);
    if (t->saved_stdout >= 0) close(t->saved_stdout);
    if (t->saved_stderr >= 0) close(t->saved_stderr);
    free(t);
}

void crt_size(Crt *t, int *w, int *h) {
    (void)t;
    getmaxyx(stdscr, *h, *w);
}

int crt_unicode(const Crt *t) { return t->unicode; }
ColourMode crt_colours(const Crt *t) { return t->colours; }
void crt_force_redraw(Crt *t) {
    (void)t;
    clearok(curscr, TRUE);
}

/* A canvas colour as an ncurses colour number (-1: the terminal's default). */
static int colour_number(const Crt *t, uint32_t c) {
    if (c == COLOR_DEFAULT || t->colours == COLOURS_NONE) return -1;
    if (COLOR_IS_IDX(c)) return (int)(c & 0xff) < COLORS ? (int)(c & 0xff) : -1;
    int r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
    if (t->direct) return (r << 16) | (g << 8) | b;
    return rgb_to_xterm256(r, g, b);
}

void crt_blit(Crt *t, const Canvas *c, int cursor_x, int cursor_y) {
    int sh, sw;
    getmaxyx(stdscr, sh, sw);
    for (int y = 0; y < c->h && y < sh; y++) {
        for (int x = 0; x < c->w && x < sw; x++) {
            const Cell *cell = &c->cells[(size_t)y * c->w + x];
            if (cell->width == 0) continue;
            wchar_t wbuf[CELL_TEXT_MAX];
            size_t n = mbstowcs(wbuf, cell->text, CELL_TEXT_MAX - 1);
            if (n == (size_t)-1 || n == 0) {
                wbuf[0] = L'?';
                n = 1;
            }
            wbuf[n] = 0;
            if (cell->width == 2 && x + 1 >= sw) {
                wbuf[0] = L' ';
                wbuf[1] = 0;
            }
            attr_t a = 0;
            if (cell->style.attr & ATTR_BOLD) a |= A_BOLD;
            if (cell->style.attr & ATTR_REVERSE) a |= A_REVERSE;
            if (cell->style.attr & ATTR_DIM) a |= A_DIM;
            if (cell->style.attr & ATTR_UNDERLINE) a |= A_UNDERLINE;
            int pair = 0;
            if (t->has_colour && t->colours != COLOURS_NONE) {
                int fg = colour_number(t, cell->style.fg), bg = colour_number(t, cell->style.bg);
                if (fg != -1 || bg != -1) {
                    pair = alloc_pair(fg, bg);
                    if (pair < 0) pair = 0;
                }
            }
            cchar_t cc;
            setcchar(&cc, wbuf, a, 0, &pair);
            mvadd_wch(y, x, &cc);
        }
    }
    if (cursor_x >= 0 && cursor_y >= 0 && cursor_x < sw && cursor_y < sh) {
        curs_set(1);
        move(cursor_y, cursor_x);
    } else {
        curs_set(0);
    }
    refresh();
}

int crt_read_key(Crt *t, int timeout_ms, int *mx, int *my, int *button) {
    (void)t;
    timeout(timeout_ms);
    wint_t ch;
    int rc = get_wch(&ch);
    if (rc == ERR) return GB_KEY_NONE;
    if (rc == OK) {
        if (ch == 127 || ch == 8) return GB_KEY_BACKSPACE;
        if (ch == '\n') return GB_KEY_ENTER;
        return (int)ch;
    }
    switch (ch) {
    case KEY_RESIZE: return GB_KEY_RESIZE;
    case KEY_BACKSPACE: return GB_KEY_BACKSPACE;
    case KEY_UP: return GB_KEY_UP;
    case KEY_DOWN: return GB_KEY_DOWN;
    case KEY_LEFT: return GB_KEY_LEFT;
    case KEY_RIGHT: return GB_KEY_RIGHT;
    case KEY_HOME: return GB_KEY_HOME;
    case KEY_END: return GB_KEY_END;
    case KEY_PPAGE: return GB_KEY_PGUP;
    case KEY_NPAGE: return GB_KEY_PGDN;
    case KEY_DC: return GB_KEY_DELETE;
    case KEY_BTAB: return GB_KEY_BTAB;
    case KEY_ENTER: return GB_KEY_ENTER;
    case KEY_F(1): return GB_KEY_F1;
    case KEY_F(2): return GB_KEY_F2;
    case KEY_F(3): return GB_KEY_F3;
    case KEY_F(4): return GB_KEY_F4;
    case KEY_F(5): return GB_KEY_F5;
    case KEY_SLEFT: return GB_KEY_SLEFT;
    case KEY_SRIGHT: return GB_KEY_SRIGHT;
    case KEY_MOUSE: {
        MEVENT ev;
        if (getmouse(&ev) != OK) return GB_KEY_NONE;
        *mx = ev.x;
        *my = ev.y;
        *button = (ev.bstate & BUTTON4_PRESSED) ? 4 : (ev.bstate & BUTTON5_PRESSED) ? 5 : 1;
        return GB_KEY_MOUSE;
    }
    default: return GB_KEY_NONE;
    }
}
