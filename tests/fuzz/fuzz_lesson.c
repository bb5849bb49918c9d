/* lesson_parse on any text: a lesson or a "PATH:LINE: what" error, and lesson_free frees it all.
 * The parse never runs anything; model paths are only resolved, and the name given has no directory
 * that could hold one. */
#include <string.h>

#include "fuzz.h"
#include "lesson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Lesson l;
    char err[GB_ERRLEN];
    err[0] = 0;
    int rc = lesson_parse(&l, "/nonexistent/fuzz.lesson", (const char *)data, size, err);
    if (rc != 0) {
        if (strncmp(err, "/nonexistent/fuzz.lesson:", 25) != 0) fuzz_fail("an error that names no line");
        return 0;
    }
    if (!l.title || l.n_steps < 1 || l.n_steps > LESSON_MAX_STEPS) fuzz_fail("a lesson outside its bounds");
    for (int i = 0; i < l.n_steps; i++) {
        const LessonStep *st = &l.steps[i];
        if (st->n_cmds > LESSON_MAX_COMMANDS) fuzz_fail("too many commands in a step");
        for (int k = 0; k < st->n_blocks; k++)
            if (!st->blocks[k].text) fuzz_fail("a block without text");
        if (st->has_question) {
            const LessonQuestion *q = &st->q;
            if (q->n_choices > LESSON_MAX_CHOICES || q->n_accept > LESSON_MAX_ACCEPT)
                fuzz_fail("a question outside its bounds");
            for (int k = 0; k < q->n_choices; k++) {
                char shown[256];
                lesson_choice_display(&q->choices[k], shown, sizeof shown);
            }
            /* checking an answer against a fixed expected answer touches only the parsed question */
            if (q->kind == ANSWER_CHOICE || q->kind == ANSWER_NUMBER || q->kind == ANSWER_TEXT ||
                q->kind == ANSWER_FREE) {
                LessonAnswer a;
                memset(&a, 0, sizeof a);
                a.kind = q->kind;
                a.number = q->number;
                a.within = q->within;
                if (q->kind == ANSWER_CHOICE && q->choice >= 0 && q->choice < LESSON_MAX_CHOICES)
                    a.right[q->choice] = 1;
                char msg[256], fb[1024];
                int right = lesson_check_answer(q, &a, "b", msg, sizeof msg);
                lesson_feedback(q, &a, right > 0, fb, sizeof fb);
            }
        }
    }
    lesson_free(&l);
    return 0;
}
