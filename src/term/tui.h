/* The interactive program (cli_tui in cli.h) and its headless measurement for `glassbox bench`. */
#ifndef GB_TUI_H
#define GB_TUI_H

typedef struct {
    double startup_ms;   /* open the model, run the default prompt, draw the first frame */
    double step_ms;      /* mean of one step (forward pass + all four views drawn) */
    double step_max_ms;  /* slowest of those steps */
    int context;         /* tokens in the context while stepping */
    int steps;           /* steps measured */
    int width, height;   /* canvas size drawn */
} TuiBench;

/* Opens model_path and measures start-up and steps near `context` tokens (capped by the model's
 * context), drawing every frame into a width x height canvas with all four views. 0, or -1 with err. */
int tui_bench(const char *model_path, int context, int width, int height, TuiBench *out, char *err);

#endif
