/* What the lesson files share; lesson.h is the interface, and nothing outside them includes this.
 *   lesson_parse.c  the text of a lesson to a Lesson;
 *   answer.c        the answer kinds: the expected answer computed, a student's answer checked;
 *   lesson.c        scenes replayed, the player, the course's files;
 *   lesson_check.c  `glassbox lesson check`: a lesson checked against itself. */
#ifndef GB_LESSON_INTERNAL_H
#define GB_LESSON_INTERNAL_H

#include <stddef.h>

#include "lesson.h"

/* A row of ANSWER_KIND_LIST. */
typedef struct {
    const char *name;
    AnswerArg arg;
    AnswerForm form;
    /* The expected answer on the session as the scene left it (a is zeroed, its kind set). Returns 0,
     * or -1 with err ("KIND: what is missing"). */
    int (*compute)(const LessonQuestion *q, Session *s, LessonAnswer *a, char *err);
} AnswerKindRow;

extern const AnswerKindRow ANSWER_KINDS[ANSWER_KIND_COUNT];

/* A malloc'ed, NUL-terminated copy of n bytes. */
char *lesson_strndup(const char *s, size_t n);
/* An answer as typed, trimmed: blanks and newlines at both ends, then one pair of matching quotes
 * around the rest. */
void answer_trim_input(const char *in, const char **s, size_t *n);
/* The input a student would type for the expected answer a (lesson check tries the checker on it). */
void answer_example_input(const LessonQuestion *q, const LessonAnswer *a, char *out, size_t outsz);

#endif
