/* Recording a TUI session as a script that is itself a lesson (lessons/README.md): a header naming the
 * model file and its sha256, a setup step that rebuilds the state the recording started from, then one
 * step per command or key (keys as their equivalent commands: space is `step`, + is `temp 0.9`, ...).
 * `glassbox replay FILE` plays it back, on a key per step or headless; `glassbox --lesson FILE` opens
 * it in the lesson pane. The file is rewritten atomically after every command, so a crash keeps all
 * of it. No terminal code. */
#ifndef GB_RECORD_H
#define GB_RECORD_H

#include <stddef.h>

#include "commands.h"
#include "export.h"
#include "lesson.h"
#include "viewstate.h"
#include "session.h"

typedef struct {
    int active;
    char path[1024];
    ExportBuf script; /* the whole file so far */
    int n_steps;      /* steps written, the setup included */
    int cmds_in_step; /* commands in the last step */
    int full;         /* the lesson limits were reached: nothing more is recorded */
} Recorder;

/* Starts recording into path: writes the header and the setup steps, and reseeds the session's
 * generator with its seed so what follows replays exactly. Returns 0, or -1 with err. */
int record_start(Recorder *r, const char *path, Session *s, const UiState *ui, char *err);
/* Appends one command line (already run successfully) as a step of its own. Commands that do not
 * belong in a lesson (export, record, help, quit, the lab's panels) are skipped. Returns 0, or -1 with err (the file
 * could not be written, or the lesson limits are reached: recording stops). */
int record_line(Recorder *r, const char *line, char *err);
/* record_line with printf formatting. */
int record_linef(Recorder *r, char *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void record_stop(Recorder *r);

/* The model file's sha256 as 64 hex digits. Returns 0, or -1 with err. */
int record_file_sha256(const char *path, char out[65], char *err);
/* Reads "# model: PATH" and "# model-sha256: HEX" from a recording's header ("" when absent). */
void record_header(const char *text, char *model, size_t modelsz, char sha[65]);

/* apply (apply.h) with no lab, lessons or recorder, for replay: the view, explain and score colours
 * change as in the TUI. Returns the command's result; err set on CMDR_ERROR. */
CommandResult record_apply(Session *s, UiState *ui, const Command *c, char *err);

/* The TUI's `record FILE` / `record stop` argument: starts or stops, msg says what happened. */
int record_command(Recorder *r, const char *arg, Session *s, const UiState *ui, char *msg, size_t msgsz, char *err);

#endif
