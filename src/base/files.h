/* Every file glassbox reads or writes goes through here, so the rules hold on every path:
 * - Inputs have a size limit per kind (below); past it the read stops with an error naming the file.
 * - Inputs that must be files (models, lessons, rank files, recordings, progress, checkpoints) are
 *   opened without blocking and refused unless they are regular files: a FIFO never hangs glassbox.
 *   Text inputs (eval FILE, tokenize --file, corpora) may also be pipes or devices, read up to the limit.
 * - Outputs replace a regular file atomically (a new temporary file beside it, then rename), keeping
 *   its mode, following a symbolic link to the real file; anything else (/dev/null, /dev/stdout, a
 *   FIFO, a file with more than one hard link) is written in place. */
#ifndef GB_FILES_H
#define GB_FILES_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    GB_INPUT_TEXT,       /* eval, tokenize --file, training corpora: 256 MiB */
    GB_INPUT_PROMPT,     /* a prompt or continuation on standard input: 16 MiB */
    GB_INPUT_LIST,       /* @LIST files of paths: 16 MiB */
    GB_INPUT_LESSON,     /* a .lesson script: 256 KiB (LESSON_MAX_BYTES) */
    GB_INPUT_RANKS,      /* a .tiktoken rank file: 64 MiB */
    GB_INPUT_RECORDING,  /* a recorded session: 16 MiB */
    GB_INPUT_PROGRESS,   /* the progress file: 4 MiB */
    GB_INPUT_HISTORY,    /* the TUI's command history: 4 MiB */
    GB_INPUT_CHECKPOINT, /* a training checkpoint: 8 GiB */
    GB_INPUT_KINDS
} GbInput;

/* The size limit of a kind of input, in bytes, and its name for messages ("lesson"). */
size_t gb_input_limit(GbInput kind);
const char *gb_input_name(GbInput kind);

/* Opens path for reading without ever blocking and checks that it is a regular file. Returns the
 * descriptor (blocking again, close-on-exec), or -1 with err "PATH: not a regular file (a FIFO)". */
int gb_open_regular(const char *path, char *err);

/* Reads a whole input of the given kind ("-" is standard input). *data is NUL-terminated (the NUL not
 * counted in *len) and must be freed. Returns 0, or -1 with err naming the file and what is wrong. */
int gb_read_input(GbInput kind, const char *path, char **data, size_t *len, char *err);

/* Writes data to path under the rules above. Returns 0, or -1 with err naming what could not be
 * written (the target is then unchanged when it was written atomically). */
int gb_write_file(const char *path, const void *data, size_t len, char *err);

/* Flushes and checks a stream the CLI wrote its results to (what names it in the message, e.g.
 * "standard output"). Returns 0, or -1 after printing "glassbox: CMD: cannot write WHAT: why". */
int gb_finish_output(FILE *f, const char *cmd, const char *what);

/* The folder of the machine's Python standard library, as `python3` reports it (sysconfig's
 * "stdlib" path), checked to hold os.py. Returns 0 with the folder in out, or -1 when there is no
 * python3 or it names no such folder. The tokenizer tests and `glassbox bench`'s tokenizer
 * figures read their stdlib texts from here. */
int gb_python_stdlib(char *out, size_t outsz);

#endif
