/* A lesson parsed and then played as `glassbox lesson check` plays it, on the tiny model: every step's
 * scene run on the session, every question's answer computed, checked against an answer a student
 * might type, and its feedback written. Any lesson the parser accepts must play without a crash
 * (scene commands may fail with a message); its limits keep each play short. */
#include <string.h>

#include "fuzz.h"
#include "lesson.h"
#include "util.h"

#ifndef GB_ASSETS_DIR
#define GB_ASSETS_DIR "assets"
#endif

static Session g_session;
static LabVocabs g_vocabs; /* the shipped tokenizers a claim names: loaded once, kept */
static int g_open;

/* Measures claims (expect: lines, a task's checks) with a few inputs for {input}: any claim the parser
 * accepts is measured or refused with a message, never a crash. */
static void measure_claims(const Claim *claims, int n, Session *s) {
    static const char *const INPUTS[] = {"", "x_y", "\xff", " return"};
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < (claim_uses_input(&claims[i]) ? 4u : 1u); k++) {
            char msg[GB_ERRLEN], err[GB_ERRLEN] = "";
            if (claim_eval(&claims[i], s, &g_vocabs, INPUTS[k], msg, sizeof msg, err) < 0 && !err[0])
                fuzz_fail("a claim failed without a message");
        }
}
static const char *const TINY = GB_ASSETS_DIR "/../tests/fuzz/corpus/fuzz_gguf/tiny-f32.gguf";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[GB_ERRLEN];
    if (!g_open) {
        if (session_open(&g_session, TINY, 0, err) != 0) {
            fprintf(stderr, "%s\n", err);
            fuzz_fail("fuzz_lesson_run: the tiny model does not open");
        }
        g_open = 1;
    }
    Lesson l;
    if (lesson_parse(&l, "/nonexistent/fuzz.lesson", (const char *)data, size, err) != 0) return 0;
    Session *s = &g_session;
    if (lesson_reset_session(s, TINY, err) != 0) fuzz_fail("the session does not reset");
    for (int i = 0; i < l.n_steps; i++) {
        LessonScene scene = {.view = -1};
        err[0] = 0;
        if (lesson_run_step(&l, i, s, &scene, err) != 0) {
            if (!err[0]) fuzz_fail("a scene failed without a message");
            break;
        }
        measure_claims(l.steps[i].claims, l.steps[i].n_claims, s);
        if (!l.steps[i].has_question) continue;
        const LessonQuestion *q = &l.steps[i].q;
        measure_claims(q->checks, q->n_checks, s);
        LessonAnswer a;
        if (lesson_compute_answer(&l, i, s, &a, err) != 0) continue;
        static const char *const INPUTS[] = {"a", "b)", "3", "42%", " the", "x", "\xff"};
        for (size_t k = 0; k < sizeof INPUTS / sizeof INPUTS[0]; k++) {
            char msg[256], fb[1024];
            int right = lesson_check_answer(q, &a, INPUTS[k], msg, sizeof msg);
            lesson_feedback(q, &a, right > 0, fb, sizeof fb);
        }
        if (a.token.text) lesson_check_answer(q, &a, a.token.text, NULL, 0);
        lesson_check_answer(q, &a, a.shown, NULL, 0);
        lesson_answer_free(&a);
    }
    lesson_free(&l);
    return 0;
}
