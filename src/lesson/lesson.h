/* Lessons: plain-text scripts that set scenes on a Session with the TUI's own command language and ask
 * the student to predict what the model will show. This module parses a lesson, replays its scenes and
 * evaluates its questions; it has no terminal code (view_lesson.c draws, tui.c drives). The format is
 * described in lessons/README.md.
 *
 * Safety: a lesson can only run the commands command_allowed() lists (no quit, no future commands), the only
 * file it may name is a GGUF model (checked at parse time, opened read-only by the model loader), and
 * every count is bounded so that any lesson, from anywhere, opens quickly. */
#ifndef GB_LESSON_H
#define GB_LESSON_H

#include <stddef.h>

#include "claim.h"
#include "commands.h"
#include "progress.h"
#include "session.h"
#include "util.h"

#define LESSON_MAX_BYTES (256 * 1024) /* a lesson file */
#define LESSON_MAX_LINE 1000          /* bytes in one line */
#define LESSON_MAX_STEPS 64
#define LESSON_MAX_COMMANDS 32  /* scene commands in one step */
#define LESSON_MAX_GENERATE 64  /* N of one `step N` / `back N` */
#define LESSON_MAX_WORK 1024    /* tokens generated over the whole lesson (`resample` counts 64) */
#define LESSON_MAX_CHOICES 6
#define LESSON_MAX_ACCEPT 8     /* accepted spellings of a fixed text answer */
#define LESSON_MAX_CLAIMS 32    /* expect: lines of one step, check: lines of one task */

/* What follows the kind on an `answer:` line. */
typedef enum {
    ANSWER_ARG_NONE,   /* nothing */
    ANSWER_ARG_LETTER, /* the letter of the right choice */
    ANSWER_ARG_NUMBER, /* a number, then `within E` or nothing */
    ANSWER_ARG_WITHIN, /* `within E` or nothing (then within 10) */
    ANSWER_ARG_TEXTS,  /* one or more accepted texts, each quoted or a bare word */
    ANSWER_ARG_TEXT,   /* one text: the rest of the line, quoted or bare */
} AnswerArg;

/* How the student answers, and so how lesson_check_answer reads what they type. */
typedef enum {
    ANSWER_BY_LETTER,   /* a choice: its letter or its text; right when the answer marks it right. A
                           kind that does not name the letter (ANSWER_ARG_LETTER) compares the
                           choices, so it needs two at least */
    ANSWER_BY_NUMBER,   /* a number ("head 3" too), within the answer's `within` (0: exactly) */
    ANSWER_BY_PERCENT,  /* a percentage (40, 40%, or 0.4 for 40%), within the answer's `within` */
    ANSWER_BY_TEXT,     /* any of the accepted texts (case and edge spaces ignored) */
    ANSWER_BY_TOKEN,    /* the token: its text without edge spaces, a word for a blank one, its display */
    ANSWER_BY_ANYTHING, /* a reflection: any non-empty answer, ungraded; the feedback discusses it */
    ANSWER_BY_DOING,    /* a task: the student does something; the question's `check:` claims, measured
                           on the live session with {input} the answer, decide (lesson_player_answer) */
} AnswerForm;

/* Every kind of answer, one row each: X(ID, name, argument, form, compute). name is what an
 * `answer:` line says; compute, in answer.c, finds the expected answer on the session as the step's
 * scene left it. A new kind is one row here and its compute function (and, for lesson authors, a line
 * in lessons/README.md); a new form also needs its case in lesson_check_answer and
 * answer_example_input (answer.c). */
#define ANSWER_KIND_LIST(X)                                                                          \
    /* `choice b`: a fixed choice */                                                                 \
    X(CHOICE, "choice", ANSWER_ARG_LETTER, ANSWER_BY_LETTER, compute_choice)                         \
    /* `number 3 [within E]`: a fixed number */                                                      \
    X(NUMBER, "number", ANSWER_ARG_NUMBER, ANSWER_BY_NUMBER, compute_number)                         \
    /* `text "a" "b"`: any of these */                                                               \
    X(TEXT, "text", ANSWER_ARG_TEXTS, ANSWER_BY_TEXT, compute_text)                                  \
    /* `any`: a reflection */                                                                        \
    X(FREE, "any", ANSWER_ARG_NONE, ANSWER_BY_ANYTHING, compute_any)                                 \
    /* `count-tokens "TEXT"`: how many tokens TEXT becomes */                                        \
    X(COUNT_TOKENS, "count-tokens", ANSWER_ARG_TEXT, ANSWER_BY_NUMBER, compute_count_tokens)         \
    /* `top-token`: the likeliest next token after the scene */                                      \
    X(TOP_TOKEN, "top-token", ANSWER_ARG_NONE, ANSWER_BY_TOKEN, compute_top_token)                   \
    /* `top-prob [within E]`: its probability in percent (default within 10) */                      \
    X(TOP_PROB, "top-prob", ANSWER_ARG_WITHIN, ANSWER_BY_PERCENT, compute_top_prob)                  \
    /* `top-key`: the token the selected token attends to most (layer, head) */                      \
    X(TOP_KEY, "top-key", ANSWER_ARG_NONE, ANSWER_BY_TOKEN, compute_top_key)                         \
    /* `top-head "TEXT"`: the head of the current layer that gives the first token covering TEXT the \
       most weight from the selected token */                                                        \
    X(TOP_HEAD, "top-head", ANSWER_ARG_TEXT, ANSWER_BY_NUMBER, compute_top_head)                     \
    /* `neighbour "TOKEN"`: the nearest token by embedding */                                        \
    X(NEIGHBOUR, "neighbour", ANSWER_ARG_TEXT, ANSWER_BY_TOKEN, compute_neighbour)                   \
    /* `likeliest`: the choice whose first token is likeliest next */                                \
    X(LIKELIEST, "likeliest", ANSWER_ARG_NONE, ANSWER_BY_LETTER, compute_likeliest)                  \
    /* `fewest-tokens`: the choice that becomes the fewest tokens */                                 \
    X(FEWEST_TOKENS, "fewest-tokens", ANSWER_ARG_NONE, ANSWER_BY_LETTER, compute_fewest_tokens)      \
    /* `most-tokens`: the choice that becomes the most tokens */                                     \
    X(MOST_TOKENS, "most-tokens", ANSWER_ARG_NONE, ANSWER_BY_LETTER, compute_most_tokens)            \
    /* `most-plausible`: the choice the model finds likeliest as a continuation of the scene's text  \
       (every token of it, teacher-forced: fewest bits) */                                           \
    X(MOST_PLAUSIBLE, "most-plausible", ANSWER_ARG_NONE, ANSWER_BY_LETTER, compute_most_plausible)   \
    /* `task`: the student does something (types commands, answers with a text) */                  \
    X(TASK, "task", ANSWER_ARG_NONE, ANSWER_BY_DOING, compute_task)                                  \
    /* `kept`: how many tokens the sampler chain keeps for the next token */                         \
    X(KEPT, "kept", ANSWER_ARG_NONE, ANSWER_BY_NUMBER, compute_kept)                                 \
    /* `lens-layer`: the first layer whose logit lens, at the selected token, already ranks the      \
       token the last layer follows first */                                                         \
    X(LENS_LAYER, "lens-layer", ANSWER_ARG_NONE, ANSWER_BY_NUMBER, compute_lens_layer)

/* How a question's expected answer is found: ANSWER_CHOICE, ANSWER_NUMBER, ... */
typedef enum {
#define X(id, name, arg, form, compute) ANSWER_##id,
    ANSWER_KIND_LIST(X)
#undef X
    ANSWER_KIND_COUNT
} AnswerKind;

typedef struct {
    char *text; /* bytes (NUL-terminated; may hold spaces, newlines) */
    size_t len;
} LessonString;

typedef struct {
    int line;
    char *source; /* the line as written after the marker, for display */
    Command cmd;
} LessonCommand;

typedef struct {
    int line;       /* of the `?` line */
    char *text;     /* the question */
    AnswerKind kind;
    int answer_line;
    LessonString arg;              /* count-tokens, top-head, neighbour */
    double number, within;         /* number, top-prob */
    int choice;                    /* ANSWER_CHOICE: index of the right choice */
    LessonString accept[LESSON_MAX_ACCEPT];
    int n_accept;
    LessonString choices[LESSON_MAX_CHOICES];
    int n_choices;
    char *hint, *right, *wrong;    /* may be NULL; {answer} stands for the expected answer */
    Claim *checks;                 /* ANSWER_TASK: what must hold when the student answers */
    int n_checks;
    char *example;                 /* ANSWER_TASK: an answer that does it (lesson check tries it) */
    LessonCommand *example_cmds;   /* ANSWER_TASK: commands that do it, run before the checks */
    int n_example_cmds;
} LessonQuestion;

/* Narrative: paragraphs (wrapped) and verbatim lines (`| ` lines, drawn as they are). */
typedef struct {
    int verbatim;
    char *text;
} LessonBlock;

typedef struct {
    int line;
    char *title; /* "" when the step has none */
    LessonBlock *blocks;
    int n_blocks;
    LessonCommand *cmds;
    int n_cmds;
    int has_question;
    LessonQuestion q;
    Claim *claims; /* expect: lines: what the scene must show, measured when the step is played */
    int n_claims;
} LessonStep;

typedef struct {
    char *path;  /* as given */
    char *name;  /* base name: the key in the progress file */
    char *title;
    LessonStep *steps;
    int n_steps;
} Lesson;

/* Parses a lesson's text. path names it in errors ("PATH:LINE: what is wrong") and resolves a
 * relative model path (against the lesson's directory, then the assets directory). Returns 0, or -1
 * with err; l is then empty. */
int lesson_parse(Lesson *l, const char *path, const char *text, size_t len, char *err);
/* Reads and parses a file (at most LESSON_MAX_BYTES). */
int lesson_load(Lesson *l, const char *path, char *err);
void lesson_free(Lesson *l);

/* What a replayed scene asks of the UI. */
typedef struct {
    int view;   /* the last view a command chose (`view`, or tokenize / neighbours / score), -1 none */
    int scored; /* 1: the text ends in a `score`d continuation (colour it by surprisal), 0: not */
    int explain;/* 1: the probs view is frozen on its softmax arithmetic (`explain`) */
    int lab;    /* the lab panel the step itself opens: CMD_COMPARE, CMD_NAMES or CMD_MERGES; 0 none */
    const char *lab_text; /* its text (the lesson's own bytes) */
    size_t lab_len;
} LessonScene;

/* Puts the session back to the start of a lesson: base_model (when not NULL and not already loaded),
 * empty prompt, T = 1, no top-k / top-p, seed 1, layer and head 0, following the last token. */
int lesson_reset_session(Session *s, const char *base_model, char *err);
/* Runs one step's commands on the session. Errors: "PATH:LINE: message". */
int lesson_run_step(const Lesson *l, int step, Session *s, LessonScene *scene, char *err);
/* Resets, then replays steps 0..step so a step always looks the same however it was reached. */
int lesson_goto(const Lesson *l, int step, Session *s, const char *base_model, LessonScene *scene, char *err);

/* The expected answer, computed on the session as the step's scene left it. */
typedef struct {
    AnswerKind kind;
    char shown[256];               /* the answer as the feedback shows it */
    double number, within;         /* numeric answers */
    int right[LESSON_MAX_CHOICES]; /* choice answers: which choices count as right (ties: several) */
    LessonString token;            /* top-token, top-key, neighbour: the token's bytes */
} LessonAnswer;

int lesson_compute_answer(const Lesson *l, int step, Session *s, LessonAnswer *a, char *err);
void lesson_answer_free(LessonAnswer *a);
/* 1 right, 0 wrong, -1 not understood (msg says why: "answer with a letter a-c or the choice's text"). */
int lesson_check_answer(const LessonQuestion *q, const LessonAnswer *a, const char *input, char *msg,
                        size_t msgsz);
/* The right or wrong feedback (or a default) with {answer} replaced. Returns out. */
char *lesson_feedback(const LessonQuestion *q, const LessonAnswer *a, int right, char *out, size_t outsz);
/* A choice as shown: as written, but with spaces at its edges as middle dots and control characters
 * made visible (" return" differs from "return" only there). */
void lesson_choice_display(const LessonString *c, char *out, size_t outsz);
/* The letter of choice i: 'a' + i. */
char lesson_choice_letter(int i);

/* ---- the player: a lesson being taken, its current step and the student's answer ----
 * The attempt rules: a first wrong answer gets the hint (not the answer); the answer is shown after a
 * second wrong answer or on `reveal`, and a revealed question no longer counts towards the score. */

typedef struct {
    Lesson lesson;
    int step;
    int has_answer;       /* answer holds the current step's expected answer */
    LessonAnswer answer;
    char answer_error[GB_ERRLEN]; /* why the answer could not be computed */
    int answered;         /* the student answered this step (right or wrong) */
    int right;            /* their latest answer was right */
    int tries;            /* answers given at this step */
    int revealed;         /* the answer was shown (second wrong answer, or `reveal`) */
    char input[256];      /* their latest answer */
    char feedback[1024];  /* what the player said about it */
    int show_hint;
    int scroll;           /* first line of the pane shown */
    char base_model[1024];/* the model the lesson started on: each replay starts from it */
    char claim_note[1024];/* the step's claims that the loaded model breaks, "" when all hold */
    int claims_broken;
    LabVocabs vocabs;     /* the shipped tokenizers a claim names, loaded on first use */
    int score_right, score_graded; /* the lesson's score so far (lesson_score), kept by goto and answer */
} LessonPlayer;

/* Loads a lesson and goes to the step saved in prog (when given), else the first. The scene is played
 * on s. Returns 0, or -1 with err (player then empty). */
int lesson_player_open(LessonPlayer *p, const char *path, Session *s, Progress *prog, LessonScene *scene,
                       char *err);
/* Goes to a step (clamped to the lesson) and records it in prog. */
int lesson_player_goto(LessonPlayer *p, int step, Session *s, Progress *prog, LessonScene *scene, char *err);
/* Checks an answer to the current step's question: 1 right, 0 wrong, -1 not understood or nothing to
 * answer (feedback says why). A task's checks are measured on s as the student left it. Recorded in
 * prog with the attempt count. */
int lesson_player_answer(LessonPlayer *p, const char *input, Session *s, Progress *prog);
/* Shows the current question's answer (`reveal`). Returns 0, or -1 when the step asks nothing. */
int lesson_player_reveal(LessonPlayer *p, Progress *prog);

/* 1 when a question is graded (everything but `any` reflections). */
int lesson_question_graded(const LessonQuestion *q);
/* A lesson's score from its progress record: graded questions answered right without the answer
 * being revealed first, out of all graded questions. */
void lesson_score(const Lesson *l, const ProgressLesson *pl, int *right, int *graded);
void lesson_player_close(LessonPlayer *p);

/* The directory of the shipped course: $GLASSBOX_LESSONS, else the assets directory's sibling
 * `lessons`. Writes into out and returns it. */
char *lesson_dir(char *out, size_t outsz);
/* The lesson files (*.lesson) of a directory, sorted by name. Returns the count (paths malloc'ed, free
 * with lesson_list_free), or -1 with err. */
int lesson_list(const char *dir, char ***paths, char *err);
void lesson_list_free(char **paths, int n);

/* What `lesson check` found in one lesson. */
typedef struct {
    int steps, claims, claims_failed, questions, tasks;
    int lettered;                       /* questions answered with a letter */
    int letters[LESSON_MAX_CHOICES];    /* how many of them have a as the right letter, b, ... */
    int longest;                        /* ... whose right choice is the longest one */
    int problems, warnings;
} LessonCheckStats;

/* Receives each problem ("FILE:LINE: ...", warning 0) and warning (warning 1) as found. */
typedef void (*LessonReportFn)(void *ctx, int warning, const char *line);

/* Parses and checks a lesson as `glassbox lesson check` does: every step's scene replayed on s, every
 * claim measured, every computable question evaluated, every task tried with its example (and found not
 * done before it), the lettered answers' spread checked. Every problem and warning goes to report (may
 * be NULL). Returns 0 when there is no problem (warnings allowed), else -1 with err the first problem. */
int lesson_check_report(const char *path, Session *s, const char *base_model, LessonReportFn report, void *ctx,
                        LessonCheckStats *stats, char *err);
int lesson_check(const char *path, Session *s, const char *base_model, char *err);

#endif
