/* A student's progress through the course: for each lesson the step they are on and the answers they
 * gave. Kept in $XDG_STATE_HOME/glassbox/progress (default ~/.local/state/glassbox/progress) as plain
 * lines, rewritten atomically. A file that cannot be read back is moved aside and reported, never fatal.
 * Several sessions may share the file: each save merges, under a lock (flock on PATH.lock), what this
 * session changed since it last read or wrote the file into what is there now, so neither loses what
 * the other recorded.
 *
 * The file, one record a line (fields separated by single spaces, strings quoted with \" \\ \n \t \xNN):
 *   glassbox-progress 1
 *   lesson "01-tokens.lesson" STEP N_STEPS          step is 0-based; N_STEPS as last seen
 *   answer "01-tokens.lesson" STEP RIGHT "TEXT" [TRIES REVEALED]
 *                                                   RIGHT is 1 or 0: the student's latest answer; TRIES
 *                                                   the answers given, REVEALED 1 once the answer was
 *                                                   shown (absent in older files: 1 and 0) */
#ifndef GB_PROGRESS_H
#define GB_PROGRESS_H

#include <stddef.h>

#define PROGRESS_MAX_BYTES (4 << 20) /* a larger file is treated as corrupt */
#define PROGRESS_MAX_STRING 1024     /* longest lesson name or answer kept */
#define PROGRESS_MAX_LESSONS 1024    /* lessons in a file: more is treated as corrupt */
#define PROGRESS_MAX_ANSWERS 256     /* answers of one lesson: more is treated as corrupt */

typedef struct {
    int step;
    int right;
    char *text;   /* what the student typed */
    int tries;    /* answers given at this step */
    int revealed; /* the answer was shown before a right one */
} ProgressAnswer;

typedef struct {
    char *name; /* the lesson's file name (no directory): the key */
    int step;   /* current step, 0-based */
    int n_steps;
    ProgressAnswer *answers; /* one per step answered, latest answer */
    int n_answers;
} ProgressLesson;

typedef struct {
    char *path; /* file it was read from and is saved to */
    ProgressLesson *lessons;
    int n_lessons;
    char *base; /* the file's text as this session last read or wrote it (NULL: none): what changed */
} Progress;

/* $XDG_STATE_HOME/glassbox/progress, else $HOME/.local/state/glassbox/progress. Returns out, or NULL
 * when neither variable is set. */
char *progress_default_path(char *out, size_t outsz);

/* Reads path (a missing file gives empty progress). A file that is unreadable or malformed is renamed
 * to PATH.corrupt-YYYYMMDD-HHMMSS and progress starts empty; *note (GB_ERRLEN, may be NULL) then says
 * what happened ("" otherwise). Always returns 0 with p usable, except -1 with err when path is NULL. */
int progress_load(Progress *p, const char *path, char *note, char *err);
/* Merges p's changes into the file as it is now and writes it atomically (creating its directory);
 * p then holds the merged record. Returns 0, or -1 with err. */
int progress_save(Progress *p, char *err);
void progress_free(Progress *p);

/* The record of a lesson, or NULL when there is none and create is 0. */
ProgressLesson *progress_lesson(Progress *p, const char *name, int create);
void progress_set_step(Progress *p, const char *name, int step, int n_steps);
/* Records the latest answer (a new record counts 1 try, not revealed). */
void progress_set_answer(Progress *p, const char *name, int step, int right, const char *text);
/* Sets the attempt count and the revealed mark of a step's answer (which must be recorded). */
void progress_set_attempts(Progress *p, const char *name, int step, int tries, int revealed);
/* The stored answer of a step, or NULL. */
const ProgressAnswer *progress_answer(const ProgressLesson *l, int step);
/* Forgets a lesson's step and answers (the `reset` command). */
void progress_reset(Progress *p, const char *name);

/* Text form of the whole record (malloc'ed), exactly what progress_save writes. */
char *progress_format(const Progress *p, size_t *len);
/* Parses text in that form into p (which must be empty). Returns 0, or -1 with err "LINE: what". */
int progress_parse(Progress *p, const char *text, size_t len, char *err);

#endif
