/* The lesson pane and the course menu, drawn into a canvas rectangle (no terminal code). */
#ifndef GB_VIEW_LESSON_H
#define GB_VIEW_LESSON_H

#include "canvas.h"
#include "lesson.h"
#include "progress.h"
#include "theme.h"
#include "viewstate.h"

/* The current step: lesson title and step n/N, the step's title, the narrative wrapped to the pane with
 * `code` and *emphasis* styled, the scene's commands, the question with its choices, the hint, the
 * feedback, and a line saying what to do next. Long steps scroll (p->scroll is clamped here). */
void ViewLesson_draw(Canvas *c, Rect r, LessonPlayer *p, UiState *ui);

/* A lesson's score in the course menu (lesson_score). */
typedef struct {
    int right, graded;
} CourseScore;

/* The course: each lesson with its title, progress and score ("step 3/7 · 2/5", "done · 5/5"), the
 * selected one highlighted. titles[i] may be NULL (the lesson did not parse: its file name is shown);
 * scores may be NULL. */
void ViewCourse_draw(Canvas *c, Rect r, char *const *paths, char *const *titles, const CourseScore *scores, int n,
                     int selected, const Progress *prog, UiState *ui);

/* ---- the TUI's lesson mode: everything tui.c needs, behind a few calls ----
 * A lesson pane beside the views (right of them on a wide terminal, over their right part on a small
 * one), the course menu as an overlay, the commands next / prev / reset / answer / hint / reveal /
 * lessons, and the keys n / p
 * (next / previous step) and PgUp / PgDn (scroll the pane). Progress is saved after every change. */
typedef struct {
    int active;          /* a lesson is open */
    int menu;            /* the course menu is open */
    int menu_sel;
    LessonPlayer player;
    Progress progress;
    int has_progress;
    char **paths, **titles; /* the course, for the menu */
    CourseScore *scores;
    int n_lessons;
    Canvas screen;       /* the views, drawn narrower beside the pane */
    /* the lab panel the current step asks for, taken by the TUI (which owns the panel) before it draws:
     * lab_cmd CMD_COMPARE, CMD_NAMES, CMD_MERGES, or 0 to close it */
    int lab_pending, lab_cmd;
    char *lab_text;
    size_t lab_len;
} LessonUi;

/* Loads the progress file (a note about a corrupt one goes to the status line). */
void lesson_ui_init(LessonUi *lu, UiState *ui);
void lesson_ui_free(LessonUi *lu);
/* Opens a lesson file, the n-th lesson of the course (1-based), or the course menu. 0, or -1 with err. */
int lesson_ui_open_path(LessonUi *lu, const char *path, Session *s, UiState *ui, char *err);
int lesson_ui_open_number(LessonUi *lu, int n, Session *s, UiState *ui, char *err);
int lesson_ui_open_menu(LessonUi *lu, UiState *ui, char *err);
/* The lesson commands; each says on the status line what happened (apply.c calls them). */
void lesson_ui_next(LessonUi *lu, Session *s, UiState *ui);
void lesson_ui_prev(LessonUi *lu, Session *s, UiState *ui);
void lesson_ui_hint(LessonUi *lu, UiState *ui);
void lesson_ui_reveal(LessonUi *lu, UiState *ui);
void lesson_ui_reset(LessonUi *lu, Session *s, UiState *ui);
/* A task's checks are measured on s as the student left it. */
void lesson_ui_answer(LessonUi *lu, const char *input, Session *s, UiState *ui);
/* A lesson command by name (next, prev, reset, answer, hint, reveal, lessons; arg: the answer's text),
 * through apply: 1 when the name is one of them. (Defined in apply.c.) */
int lesson_ui_command(LessonUi *lu, const char *name, const char *arg, Session *s, UiState *ui);
/* A key through the course menu's or the lesson's keymap and apply: 1 when one binds it. (apply.c) */
int lesson_ui_key(LessonUi *lu, int key, Session *s, UiState *ui);
/* Draws the whole frame: screen_draw for the views (narrower when a lesson is open), the pane, the
 * menu. */
void lesson_ui_draw(LessonUi *lu, Canvas *c, Session *s, UiState *ui);
/* Where the pane goes on a w x h canvas; the views get the columns left of pane->x (all of them when
 * the pane overlays). */
void lesson_ui_layout(int w, int h, Rect *pane, int *screen_w);

/* Lines the narrative of text takes at width w (styled markers removed), for layout and tests. */
int lesson_wrap_count(const char *text, int w);

#endif
