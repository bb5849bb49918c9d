/* The interactive loop: keys and the readline command line drive a Session; every change redraws the
 * frame (screen.c) and crt.c puts it on the terminal. Readline runs through its callback interface (see
 * shared/notes/readline-ncurses.md): keys meant for the command line are queued and handed to it one
 * byte at a time, and it draws through a hook into the canvas's last row. */
#include "tui.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"
#include "apply.h"
#include "commands.h"
#include "crt.h"
#include "keys.h"
#include "export.h"
#include "record.h"
#include "score.h"
#include "screen.h"
#include "session.h"
#include "files.h"
#include "util.h"
#include "view_lab.h"
#include "view_lesson.h"

/* DEFAULT_PROMPT, DEFAULT_TEMP, DEFAULT_SEED (cli.h): the same start as `glassbox generate`. */
#define HISTORY_LINES 1000
#define HISTORY_MAX_BYTES (4 << 20) /* HISTORY_LINES lines of the longest command line, and more */

typedef struct {
    Session s;
    UiState ui;
    Canvas canvas;
    Crt *crt;
    int quit;
    unsigned char inq[64]; /* bytes waiting for readline */
    int inq_len, inq_pos;
    char cmd_line[4096];   /* copy of readline's line buffer, for drawing */
    char history_path[1024];
    App app;          /* what the requests act on (apply.c): the parts below */
    LessonUi lessons; /* lesson mode (view_lesson.c): the pane, the course menu, their commands and keys */
    Recorder rec;     /* `record FILE`: commands and keys written as a lesson script (record.c) */
    LabUi lab;        /* the tokenizer lab's panel (view_lab.c): compare, names, explain */
} Tui;

/* Readline's callbacks carry no user pointer: the running TUI, the one mutable global of the top level. */
static Tui *g_tui;

static void react(Tui *t, int rx, const char *err);
static int line_command(void);


/* ---- readline hooks ---- */

static int rl_hook_getc(FILE *f) {
    (void)f;
    Tui *t = g_tui;
    if (!t || t->inq_pos >= t->inq_len) return EOF;
    return t->inq[t->inq_pos++];
}

static int rl_hook_available(void) { return g_tui && g_tui->inq_pos < g_tui->inq_len; }

static void rl_hook_redisplay(void) {
    Tui *t = g_tui;
    if (!t) return;
    snprintf(t->cmd_line, sizeof t->cmd_line, "%s", rl_line_buffer ? rl_line_buffer : "");
    int point = rl_point < (int)strlen(t->cmd_line) ? rl_point : (int)strlen(t->cmd_line);
    t->ui.cmd_text = t->cmd_line;
    t->ui.cmd_cursor = text_width(t->cmd_line, point);
}

/* Readline would print the candidates below the line; here they go to the status line instead. Whole
 * line candidates (token arguments) show only their argument. */
static void rl_hook_show_matches(char **matches, int num, int max_len) {
    (void)max_len;
    Tui *t = g_tui;
    char buf[512];
    size_t n = 0;
    buf[0] = 0;
    for (int i = 1; i <= num && n + 4 < sizeof buf; i++) {
        const char *m = matches[i];
        const char *sp = strchr(m, ' ');
        if (sp && line_command() >= 0 && commands_arg(line_command()) == ARG_TOKEN) m = sp + 1;
        int w = snprintf(buf + n, sizeof buf - n, "%s  ", m);
        if (w < 0 || (size_t)w >= sizeof buf - n) break;
        n += (size_t)w;
    }
    ui_message(&t->ui, 0, "%d matches: %s", num, buf);
}

static void on_line(char *line) {
    Tui *t = g_tui;
    rl_callback_handler_remove();
    t->ui.cmd_active = 0;
    if (!line) return; /* ctrl-d on an empty line: close the command line */
    if (*line) add_history(line);
    react(t, (int)app_line(&t->app, line), "");
    free(line);
}

/* ---- completion ---- */

static char **g_candidates; /* the current completion candidates (NULL-terminated), for the generator */

static char *candidate_generator(const char *text, int state) {
    static int index;
    if (state == 0) index = 0;
    if (!g_candidates) return NULL;
    size_t len = strlen(text);
    while (g_candidates[index]) {
        const char *c = g_candidates[index++];
        if (strncmp(c, text, len) == 0) return gb_strdup(c);
    }
    return NULL;
}

static void free_candidates(void) {
    if (!g_candidates) return;
    for (int i = 0; g_candidates[i]; i++) free(g_candidates[i]);
    free(g_candidates);
    g_candidates = NULL;
}

static void add_candidate(int *n, int *cap, const char *s) {
    if (*n + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 32;
        g_candidates = gb_realloc(g_candidates, sizeof(char *) * (size_t)*cap);
    }
    g_candidates[(*n)++] = gb_strdup(s);
    g_candidates[*n] = NULL;
}

/* The command word of the line being edited, or -1. */
static int line_command(void) {
    const char *p = rl_line_buffer;
    while (*p == ' ') p++;
    const char *w = p;
    while (*p && *p != ' ') p++;
    if (!*p) return -1; /* still typing the command itself */
    return commands_lookup(w, (size_t)(p - w));
}

/* Token arguments are completed as whole lines (a quoted token holds spaces), so for them the line has
 * no word breaks at all. */
static char *word_break_hook(void) {
    int cmd = line_command();
    if (cmd >= 0 && commands_arg(cmd) == ARG_TOKEN) return "\001";
    return " \t";
}

static char **attempt_completion(const char *text, int start, int end) {
    (void)end;
    Tui *t = g_tui;
    free_candidates();
    rl_attempted_completion_over = 1;
    int n = 0, cap = 0;
    int cmd = start == 0 ? -1 : line_command();
    if (start == 0 && !strchr(rl_line_buffer, ' ')) {
        for (int i = 0; i < commands_count(); i++) add_candidate(&n, &cap, commands_name(i));
    } else if (cmd < 0) {
        if (start == 0) { /* a token command with no breaks: text is the whole line */
            cmd = line_command();
        }
    }
    if (cmd >= 0) {
        char buf[512];
        const Config *c = &t->s.model.config;
        switch (commands_arg(cmd)) {
        case ARG_VIEW:
            for (int v = 0; v < VIEW_COUNT; v++) add_candidate(&n, &cap, view_name(v));
            break;
        case ARG_INT:
            if (cmd == CMD_LAYER || cmd == CMD_HEAD) {
                int limit = cmd == CMD_LAYER ? c->n_layers : c->n_heads;
                for (int i = 0; i < limit; i++) {
                    snprintf(buf, sizeof buf, "%d", i);
                    add_candidate(&n, &cap, buf);
                }
            }
            break;
        case ARG_TOKEN:
            if (t->s.has_next) { /* the likeliest next tokens, quoted, as whole lines */
                for (int i = 0; i < 30 && i < t->s.next.vocab; i++) {
                    size_t blen;
                    const char *bytes = tokenizer_token_bytes(t->s.tok, t->s.next.order[i], &blen);
                    if (!bytes) continue;
                    char q[256];
                    commands_quote(bytes, blen, q, sizeof q);
                    snprintf(buf, sizeof buf, "%s %s", commands_name(cmd), q);
                    add_candidate(&n, &cap, buf);
                }
            }
            break;
        case ARG_FILE:
            rl_attempted_completion_over = 0; /* readline's file names */
            return NULL;
        default:
            break;
        }
    }
    if (n == 0) return NULL;
    return rl_completion_matches(text, candidate_generator);
}

static void readline_setup(Tui *t) {
    g_tui = t;
    rl_readline_name = "glassbox";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_getc_function = rl_hook_getc;
    rl_input_available_hook = rl_hook_available;
    rl_redisplay_function = rl_hook_redisplay;
    rl_completion_display_matches_hook = rl_hook_show_matches;
    rl_attempted_completion_function = attempt_completion;
    rl_completion_word_break_hook = word_break_hook;
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (devnull) rl_outstream = devnull;
    rl_variable_bind("bell-style", "none");
    rl_variable_bind("horizontal-scroll-mode", "on");
    rl_variable_bind("show-all-if-ambiguous", "on");
    using_history();
    stifle_history(HISTORY_LINES);
}

/* ---- history file ---- */

static void history_location(Tui *t) {
    const char *state = getenv("XDG_STATE_HOME");
    char dir[900];
    if (state && *state) snprintf(dir, sizeof dir, "%s/glassbox", state);
    else if (getenv("HOME")) snprintf(dir, sizeof dir, "%s/.local/state/glassbox", getenv("HOME"));
    else {
        t->history_path[0] = 0;
        return;
    }
    snprintf(t->history_path, sizeof t->history_path, "%s/history", dir);
}

/* Reads the history file, unless it is not one: something other than a regular file (a directory, a
 * FIFO that would block the start), a file larger than any history of HISTORY_LINES lines, or one with
 * NUL bytes (binary garbage). That is renamed to history.corrupt-YYYYMMDD-HHMMSS, reported, and the
 * session starts with no history; the progress file is kept apart and not touched. */
static void history_load(Tui *t) {
    const char *path = t->history_path;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) ui_message(&t->ui, 1, "history file %s: %s", path, strerror(errno));
        return;
    }
    const char *why = NULL;
    char *data = NULL, rerr[GB_ERRLEN];
    size_t len = 0;
    if (!S_ISREG(st.st_mode)) why = "not a regular file";
    else if (st.st_size > HISTORY_MAX_BYTES) why = "larger than a history file should be";
    else if (gb_read_input(GB_INPUT_HISTORY, path, &data, &len, rerr) != 0) why = "cannot be read";
    else if (memchr(data, 0, len)) why = "holds binary data";
    free(data);
    if (!why) {
        read_history(path);
        return;
    }
    char aside[1200], before[200];
    /* a message already there (the progress file's, say) stays in front */
    snprintf(before, sizeof before, "%.180s%s", t->ui.message, t->ui.message[0] ? " \u00b7 " : "");
    if (gb_set_aside(path, aside, sizeof aside) == 0)
        ui_message(&t->ui, 1, "%shistory file %s: %s; moved to %s, starting afresh", before, path, why, aside);
    else
        ui_message(&t->ui, 1, "%shistory file %s: %s; could not move it aside (%s)", before, path, why,
                   strerror(errno));
}

static void mkdir_p(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(buf, 0700);
        *p = '/';
    }
    mkdir(buf, 0700);
}

static void history_save(Tui *t) {
    if (!t->history_path[0]) return;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", t->history_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    mkdir_p(dir);
    /* one line an entry, as write_history writes it, through the one writer (no guessable temp name) */
    size_t cap = 4096, len = 0;
    char *buf = gb_malloc(cap), err[GB_ERRLEN];
    HIST_ENTRY **h = history_list();
    for (int i = 0; h && h[i]; i++) {
        size_t n = strlen(h[i]->line);
        while (len + n + 2 > cap) buf = gb_realloc(buf, cap *= 2);
        memcpy(buf + len, h[i]->line, n);
        len += n;
        buf[len++] = '\n';
    }
    if (gb_write_file(t->history_path, buf, len, err) != 0) ui_message(&t->ui, 1, "history: %s", err);
    free(buf);
}

/* ---- actions ---- */

static void feed_readline(Tui *t, const char *bytes, int n) {
    if (t->inq_pos >= t->inq_len) t->inq_pos = t->inq_len = 0;
    if (t->inq_len + n > (int)sizeof t->inq) return;
    memcpy(t->inq + t->inq_len, bytes, (size_t)n);
    t->inq_len += n;
    while (t->ui.cmd_active && t->inq_pos < t->inq_len) rl_callback_read_char();
    t->inq_pos = t->inq_len = 0;
}

static void open_command_line(Tui *t, const char *prefill) {
    t->ui.cmd_active = 1;
    t->ui.message[0] = 0;
    t->cmd_line[0] = 0;
    t->ui.cmd_text = t->cmd_line;
    t->ui.cmd_cursor = 0;
    t->ui.cmd_prompt = ":";
    rl_callback_handler_install("", on_line);
    if (prefill) {
        rl_insert_text(prefill);
        rl_point = rl_end;
        rl_hook_redisplay();
    }
}

static void cancel_command_line(Tui *t) {
    rl_replace_line("", 1);
    rl_point = rl_end = 0;
    rl_callback_handler_remove();
    t->ui.cmd_active = 0;
    t->ui.message[0] = 0;
}

/* What the TUI does after a request: the terminal's part of the reactions. */
static void react(Tui *t, int rx, const char *err) {
    if (rx < 0) return;
    if ((rx & RX_ERROR) && err[0]) ui_message(&t->ui, 1, "%s", err);
    if (rx & RX_QUIT) t->quit = 1;
    if (rx & RX_REPAINT) crt_force_redraw(t->crt);
    if (rx & RX_PROMPT) open_command_line(t, t->app.prefill[0] ? t->app.prefill : NULL);
}

/* The screen size the requests see (export, the chooser's rows). */
static void app_sync(Tui *t) {
    t->app.screen_w = t->canvas.w;
    t->app.screen_h = t->canvas.h;
}

static void command_key(Tui *t, int key) {
    char buf[8];
    const char *seq = NULL;
    switch (key) {
    case GB_KEY_ESC: cancel_command_line(t); return;
    case GB_KEY_UP: seq = "\033[A"; break;
    case GB_KEY_DOWN: seq = "\033[B"; break;
    case GB_KEY_RIGHT: seq = "\033[C"; break;
    case GB_KEY_LEFT: seq = "\033[D"; break;
    case GB_KEY_HOME: seq = "\001"; break;
    case GB_KEY_END: seq = "\005"; break;
    case GB_KEY_DELETE: seq = "\033[3~"; break;
    case GB_KEY_BACKSPACE: seq = "\177"; break;
    case GB_KEY_ENTER: seq = "\r"; break;
    default:
        if (key >= 0 && key < 0x110000) {
            int n = utf8_encode(buf, key);
            buf[n] = 0;
            seq = buf;
        }
    }
    if (seq) feed_readline(t, seq, (int)strlen(seq));
}

/* A click on the views: a token selects it, a cell of the layer x head grid picks that head. */
static void mouse(Tui *t, int mx, int my, int button) {
    char err[GB_ERRLEN] = "";
    if (button == 4 || button == 5) {
        Command c = command_make(CMD_SELECT_BY, button == 4 ? -1 : 1);
        react(t, (int)apply(&t->app, &c, err), err);
        return;
    }
    int hit = screen_hit(&t->ui, mx, my);
    if (SCREEN_HIT_IS_HEAD(hit)) {
        int nh = t->s.model.config.n_heads, i = SCREEN_HIT_HEAD_INDEX(hit);
        Command layer = command_make(CMD_LAYER, i / nh), head = command_make(CMD_HEAD, i % nh);
        react(t, (int)apply(&t->app, &layer, err), err);
        react(t, (int)apply(&t->app, &head, err), err);
    } else if (hit >= 0) {
        Command c = command_make(CMD_FOCUS, hit == t->s.n_tokens - 1 ? -1 : hit);
        react(t, (int)apply(&t->app, &c, err), err);
    }
}

static void handle_key(Tui *t, int key, int mx, int my, int button) {
    UiState *ui = &t->ui;
    app_sync(t);
    if (key == GB_KEY_RESIZE) {
        crt_force_redraw(t->crt);
        return;
    }
    if (key == GB_KEY_MOUSE) {
        if (!ui->cmd_active && !ui->help && !ui->chooser) mouse(t, mx, my, button);
        return;
    }
    if (ui->cmd_active) {
        command_key(t, key);
        return;
    }
    char err[GB_ERRLEN] = "";
    react(t, app_key(&t->app, key, err), err);
}

/* A lesson step whose scene opens a lab panel (compare, names, merges) asks for it here, since the
 * panel is the TUI's; a step without one closes the panel an earlier step opened. */
static void sync_lesson_lab(Tui *t) {
    LessonUi *lu = &t->lessons;
    if (!lu->lab_pending) return;
    lu->lab_pending = 0;
    if (!lu->lab_cmd) {
        lab_ui_close(&t->lab);
        return;
    }
    Command c = command_make((CommandId)lu->lab_cmd, 0);
    c.text = lu->lab_text;
    c.text_len = lu->lab_len;
    char err[GB_ERRLEN];
    if (apply(&t->app, &c, err) & RX_ERROR) ui_message(&t->ui, 1, "%s", err);
}

/* The lab panel over the views. With a lesson open it covers only the columns left of the lesson pane,
 * so that the step that opened it stays readable beside it. */
static void draw_lab(Tui *t) {
    Canvas *c = &t->canvas;
    Rect pane;
    int sw;
    if (!t->lessons.active || t->lab.kind == LAB_PANEL_NONE) {
        lab_ui_draw(&t->lab, c, &t->s, &t->ui);
        return;
    }
    lesson_ui_layout(c->w, c->h, &pane, &sw);
    Canvas part;
    canvas_init(&part, pane.x, c->h);
    part.ascii = c->ascii;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < pane.x; x++) *canvas_cell(&part, x, y) = *canvas_cell(c, x, y);
    lab_ui_draw(&t->lab, &part, &t->s, &t->ui);
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < pane.x; x++) *canvas_cell(c, x, y) = *canvas_cell(&part, x, y);
    canvas_free(&part);
}

static void draw(Tui *t) {
    sync_lesson_lab(t);
    int w, h;
    crt_size(t->crt, &w, &h);
    if (w != t->canvas.w || h != t->canvas.h) canvas_resize(&t->canvas, w, h);
    t->canvas.ascii = !crt_unicode(t->crt);
    lesson_ui_draw(&t->lessons, &t->canvas, &t->s, &t->ui); /* screen_draw, plus the lesson pane if open */
    draw_lab(t);
    crt_blit(t->crt, &t->canvas, t->ui.cursor_x, t->ui.cursor_y);
}

/* Runs the terminal until q or a signal; the exit status. */
static int tui_loop(Tui *t) {
    crt_install_signals(t->crt);
    t->ui.colours = crt_colours(t->crt);
    canvas_init(&t->canvas, 0, 0);
    readline_setup(t);
    history_location(t);
    if (t->history_path[0]) history_load(t);
    if (!t->ui.message[0])
        ui_message(&t->ui, 0, "welcome \u00b7 space: next token \u00b7 ':' command \u00b7 '?' every key \u00b7 :lessons the course");

    draw(t);
    while (!t->quit && !crt_signalled()) {
        int timeout = 250;
        if (t->ui.autoplay) {
            double due = t->ui.autoplay_last + t->ui.autoplay_ms / 1000.0 - gb_now();
            timeout = due > 0 ? (int)(due * 1000) + 1 : 0;
        }
        int mx = 0, my = 0, button = 0;
        int key = crt_read_key(t->crt, timeout, &mx, &my, &button);
        char line[512];
        int changed = key != GB_KEY_NONE;
        if (crt_drain_output(t->crt, line, sizeof line)) {
            ui_message(&t->ui, 1, "%s", line);
            changed = 1;
        }
        if (key != GB_KEY_NONE) handle_key(t, key, mx, my, button);
        if (t->ui.autoplay && gb_now() >= t->ui.autoplay_last + t->ui.autoplay_ms / 1000.0) {
            t->ui.autoplay_last = gb_now();
            if (!t->ui.cmd_active && !t->ui.chooser) { /* the same request as space */
                Command step = command_make(CMD_STEP, 1);
                char err[GB_ERRLEN] = "";
                react(t, (int)apply(&t->app, &step, err), err);
            }
            changed = 1;
        }
        if (changed && !t->quit) draw(t); /* idle: nothing to redraw */
    }
    if (t->ui.cmd_active) rl_callback_handler_remove();
    crt_end(t->crt);
    history_save(t);
    int signalled = crt_signal();
    crt_free(t->crt);
    free_candidates();
    clear_history();
    g_tui = NULL;
    return signalled; /* the signal that ended the loop, or 0 */
}

static void tui_free(Tui *t) {
    lesson_ui_free(&t->lessons); /* saves the progress */
    record_stop(&t->rec);
    lab_ui_free(&t->lab);
    canvas_free(&t->canvas);
    ui_free(&t->ui);
    session_free(&t->s);
    free(t);
}

static const char TUI_USAGE[] =
    "usage: glassbox [--model FILE] [--prompt TEXT] [--big] [--ctx N] [--lesson N|FILE | --lessons]\n"
    "  Opens the interactive view: step through generation and watch the tokens, attention,\n"
    "  embedding neighbours and next-token distribution. Press ? inside for every key.\n"
    "  --model FILE   a llama GGUF model (default: $GLASSBOX_MODEL or the shipped model)\n"
    "  --prompt TEXT  the text to start from (default: \"" DEFAULT_PROMPT "\")\n"
    "  --big          projector mode: fewer, larger elements, high contrast\n"
    "  --lesson N|FILE  open lesson N of the course (or a .lesson file) beside the views;\n"
    "                 `glassbox FILE.lesson` does the same, and plain `glassbox` opens the menu\n"
    "  --lessons      open the course menu\n"
    "  --record FILE  record the session as a replayable lesson script (glassbox replay FILE)\n"
    "  --ctx N        positions to hold (default: the model's, capped so the attention probes\n"
    "                 fit in 512 MiB)\n";

int cli_tui(int argc, char **argv) {
    const char *model_path = NULL, *prompt = DEFAULT_PROMPT, *lesson = NULL, *record = NULL,
               *file = NULL;
    bool big = false, lessons_menu = false;
    int ctx = 0;
    const Option opts[] = {
        OPTION_STRING("--model", NULL, &model_path),
        OPTION_TEXT("--prompt", &prompt),
        OPTION_FLAG("--big", &big),
        OPTION_INT("--ctx", &ctx, 1, 1 << 20),
        OPTION_STRING("--lesson", NULL, &lesson),
        OPTION_FLAG("--lessons", &lessons_menu),
        OPTION_STRING("--record", NULL, &record),
    };
    const OptionSpec spec = {"tui", TUI_USAGE, opts, OPTIONS_COUNT(opts), NULL, 0, 1};
    int n_args, r = options_parse(&spec, argc, argv, &file, &n_args);
    if (r != OPTIONS_RUN) return r;
    if (file) { /* glassbox FILE.lesson */
        size_t n = strlen(file);
        if (n <= 7 || strcmp(file + n - 7, ".lesson") != 0) {
            fprintf(stderr, "glassbox: tui: unexpected argument '%s' (see glassbox tui --help)\n",
                    file);
            return GB_EXIT_USAGE;
        }
        lesson = file;
    }
    if (!model_path) model_path = cli_default_model();
    Tui *t = gb_calloc(1, sizeof *t);
    char err[GB_ERRLEN];
    if (session_open(&t->s, model_path, ctx, err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
        free(t);
        return GB_EXIT_USAGE;
    }
    model_limit_threads(&t->s.model);
    session_set_temp(&t->s, DEFAULT_TEMP, NULL);
    session_set_seed(&t->s, DEFAULT_SEED);
    if (session_set_prompt(&t->s, prompt, strlen(prompt), err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
        session_free(&t->s);
        free(t);
        return GB_EXIT_USAGE;
    }
    ui_init(&t->ui);
    t->ui.big = big;
    if (t->s.context_capped_from)
        ui_message(&t->ui, 0, "context capped at %d of the model's %d positions so the attention probes fit in "
                   "memory (--ctx N chooses another)", t->s.model.config.seq_len, t->s.context_capped_from);
    lesson_ui_init(&t->lessons, &t->ui);
    lab_ui_init(&t->lab);
    t->app = (App){.s = &t->s, .ui = &t->ui, .lab = &t->lab, .lessons = &t->lessons, .rec = &t->rec};
    if (argc == 1) lessons_menu = 1; /* plain `glassbox`: start from the course menu (esc closes it) */
    if (lesson || lessons_menu) {
        char *end = NULL;
        long num = lesson ? strtol(lesson, &end, 10) : 0;
        int rc = !lesson ? lesson_ui_open_menu(&t->lessons, &t->ui, err)
                 : (end && *end == 0 && num > 0) ? lesson_ui_open_number(&t->lessons, (int)num, &t->s, &t->ui, err)
                                                  : lesson_ui_open_path(&t->lessons, lesson, &t->s, &t->ui, err);
        if (rc != 0) goto fail;
    }
    if (record && record_start(&t->rec, record, &t->s, &t->ui, err) != 0) goto fail;
    if (record) ui_message(&t->ui, 0, "recording to %s (:record stop ends it)", record);
    t->crt = crt_init(err);
    if (!t->crt) goto fail;
    int signalled = tui_loop(t);
    tui_free(t);
    if (signalled) crt_reraise(signalled); /* the shell sees 128 + the signal, as for any other */
    return signalled ? 128 + signalled : GB_EXIT_OK;
fail:
    fprintf(stderr, "glassbox: %s\n", err);
    tui_free(t);
    return GB_EXIT_USAGE;
}

/* ---- headless measurement ---- */

int tui_bench(const char *model_path, int context, int width, int height, TuiBench *out, char *err) {
    memset(out, 0, sizeof *out);
    double t0 = gb_now();
    Session s;
    if (session_open(&s, model_path, 0, err) != 0) return -1;
    model_limit_threads(&s.model);
    UiState ui;
    ui_init(&ui);
    ui.colours = COLOURS_256;
    Canvas c;
    canvas_init(&c, width, height);
    if (session_set_prompt(&s, DEFAULT_PROMPT, strlen(DEFAULT_PROMPT), err) != 0) goto fail;
    screen_draw(&c, &s, &ui);
    out->startup_ms = (gb_now() - t0) * 1000;

    /* a prompt long enough to bring the context near `context` tokens, then steps from there */
    int steps = 16;
    if (context > s.model.config.seq_len) context = s.model.config.seq_len;
    int target = context - steps;
    if (target < 1) target = 1;
    const char *chunk = "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n\n";
    size_t cap = 1 << 16, len = 0;
    char *text = gb_malloc(cap);
    text[0] = 0;
    TokenSpan *spans = NULL;
    for (;;) {
        int n = tokenizer_encode(s.tok, text, len, &spans, err);
        free(spans);
        spans = NULL;
        if (n < 0) {
            free(text);
            goto fail;
        }
        if (n >= target || len + strlen(chunk) + 1 >= cap) break;
        memcpy(text + len, chunk, strlen(chunk) + 1);
        len += strlen(chunk);
    }
    /* trim to exactly `target` tokens */
    TokenSpan *sp = NULL;
    int n = tokenizer_encode(s.tok, text, len, &sp, err);
    if (n > target) len = sp[target].start;
    free(sp);
    int rc = session_set_prompt(&s, text, len, err);
    free(text);
    if (rc != 0) goto fail;
    screen_draw(&c, &s, &ui);
    double total = 0, worst = 0;
    int done = 0;
    for (int i = 0; i < steps; i++) {
        double a = gb_now();
        if (session_step(&s, 1, err) < 1) break;
        screen_draw(&c, &s, &ui);
        double d = (gb_now() - a) * 1000;
        total += d;
        if (d > worst) worst = d;
        done++;
    }
    out->steps = done;
    out->step_ms = done ? total / done : 0;
    out->step_max_ms = worst;
    out->context = s.n_tokens;
    out->width = width;
    out->height = height;
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
    return done ? 0 : -1;
fail:
    canvas_free(&c);
    ui_free(&ui);
    session_free(&s);
    return -1;
}
