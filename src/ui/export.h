/* Exporting a view for slides and handouts: the canvas a view draws, as plain text, ANSI-coloured
 * text or SVG (a grid of rectangles and text), and the numbers underneath it as CSV. Text, ANSI and
 * SVG are drawn by the view's own draw function into a canvas of their own, so every number in them is
 * the one the screen shows; CSV comes from the same session data the view reads. No terminal code. */
#ifndef GB_EXPORT_H
#define GB_EXPORT_H

#include <stddef.h>

#include "canvas.h"
#include "screen.h"
#include "session.h"

typedef enum { EXPORT_TXT, EXPORT_ANSI, EXPORT_CSV, EXPORT_SVG, EXPORT_FORMATS } ExportFormat;

/* The exportable views: the views (ViewId) and the coloured text alone. */
#define EXPORT_VIEW_TEXT VIEW_COUNT
#define EXPORT_VIEWS (VIEW_COUNT + 1)

/* "tokens" "attention" "neighbours" "probs" "text" "lens" (a unique prefix will do); -1 when unknown. */
int export_view_lookup(const char *name);
const char *export_view_name(int view);
/* "txt" (or "text") "ansi" "csv" "svg"; -1 when unknown. */
int export_format_lookup(const char *name);
/* From a file name's extension (.txt .ansi .csv .svg); -1 when it has none of these. */
int export_format_from_path(const char *path);
const char *export_format_name(int fmt);

/* A growing byte buffer. */
typedef struct {
    char *data;
    size_t len, cap;
} ExportBuf;
void export_buf_printf(ExportBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void export_buf_free(ExportBuf *b);

/* Serialisations of a canvas (exposed for tests). */
void export_canvas_txt(ExportBuf *b, const Canvas *c);
void export_canvas_ansi(ExportBuf *b, const Canvas *c);
void export_canvas_svg(ExportBuf *b, const Canvas *c);

/* Renders a view of the session (as ui sets it up: layer, head, selection, explain mode...) at
 * w x h cells into b. The view draws into its own canvas with its own copy of ui, so the caller's
 * screen and caches are left alone. Returns 0, or -1 with err. */
int export_render(ExportBuf *b, Session *s, const UiState *ui, int view, ExportFormat fmt, int w, int h, char *err);
/* export_render, written atomically to path. */
int export_write(const char *path, Session *s, const UiState *ui, int view, ExportFormat fmt, int w, int h,
                 char *err);

/* The TUI's `export [VIEW] FILE [FORMAT]`: VIEW defaults to current_view, FORMAT to FILE's extension.
 * On success msg says what was written. Returns 0, or -1 with err. */
int export_command(const char *arg, Session *s, const UiState *ui, int current_view, int w, int h, char *msg,
                   size_t msgsz, char *err);

#endif
