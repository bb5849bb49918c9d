/* The lesson pane and the course menu, drawn into a canvas rectangle (no terminal code). */
#ifndef GB_VIEW_LESSON_H
#define GB_VIEW_LESSON_H

#include "canvas.h"
#include "lesson.h"
#include "progress.h"
#include "screen.h"

/* The current step: lesson title and step n/N, the step's title, the narrative wrapped to the pane with
 * `code` and *emphasis* styled, the scene's commands, the question with its choices, the hint, the
 * feedback, and a line saying what to do next. Long steps scroll (p->scroll is clamped here). */
void ViewLesson_draw(Canvas *c, Rect r, LessonPlayer *p, UiState *ui);

/* The course: each lesson with its title and progress ("step 3/7", "done"), the selected one
 * highlighted. titles[i] may be NULL (the lesson did not parse: its file name is shown). */
void ViewCourse_draw(Canvas *c, Rect r, char *const *paths, char *const *titles, int n, int selected,
                     const Progress *prog, UiState *ui);

/* Lines the narrative of text takes at width w (styled markers removed), for layout and tests. */
int lesson_wrap_count(const char *text, int w);

#endif
