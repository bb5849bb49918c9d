/* glassbox export: one view of a prompt (and the tokens generated after it) as text, ANSI, CSV or
 * SVG, drawn by the view itself (export.h). The options are the TUI's requests, applied in the
 * order a person would type them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cli.h"
#include "export.h"
#include "files.h"
#include "screen.h"
#include "session.h"
#include "util.h"

// clang-format off
static const char EXPORT_USAGE[] =
    "usage: glassbox export [--view NAME] [--format txt|ansi|csv|svg] [-o FILE] [--model FILE]\n"
    "                       [--steps N] [--temp T] [--top-k K] [--top-p P] [--seed S] [--layer L]\n"
    "                       [--head H] [--select I|A..B] [--explain] [--chain] [--score TEXT]\n"
    "                       [--width W] [--height H] [SAMPLER OPTIONS]\n"
    "                       PROMPT|-\n"
    "Sets PROMPT (BOS in front when the vocabulary has one, as everywhere), generates N tokens, and\n"
    "writes one view: as plain text, ANSI-coloured text or SVG, drawn by the view itself on a W x H\n"
    "canvas (the numbers are the ones the screen shows), or as CSV of the numbers underneath it.\n"
    "  --view NAME    tokens, attention, neighbours, probs, text (the coloured text alone) or lens\n"
    "                 (the logit lens at the focused token); default tokens\n"
    "  --format F     txt, ansi, csv or svg (default: from -o's extension, else txt)\n"
    "  -o FILE        write FILE atomically (default: standard output)\n"
    "  CSV columns    tokens/text: index,id,start,end,generated,picked,token,prob,prob_t1,bits_t1;\n"
    "                 attention: the layer/head matrix, queries down, keys across, labelled i:token;\n"
    "                 neighbours: rank,id,token,similarity (rank 0 is the token itself);\n"
    "                 probs: rank,id,token,logit,prob,prob_t1,kept (the likeliest 200), or with\n"
    "                 --explain the arithmetic: logit_over_t,weight,prob_no_cut,kept,prob,sum,kept_sum;\n"
    "                 lens: kind,layer,position,rank,id,token,prob (kind top: a layer's likeliest,\n"
    "                 chosen: the followed token, heat: that token at every position)\n"
    "  --steps N      tokens to generate first (default 0); --temp (0.8) --top-k --top-p --seed (42)\n"
    "                 and the sampler options of generate: --min-p --typical --repeat-penalty\n"
    "                 --repeat-last-n --presence-penalty --frequency-penalty --samplers LIST\n"
    "  --layer L --head H   the attention map to show (default 0 0)\n"
    "  --select I     the token the views focus on (default: the last); A..B selects a span: the\n"
    "                 attention view shows the attention it receives and gives\n"
    "  --explain      probs: the frozen-step arithmetic table instead of the bars\n"
    "  --chain        probs: the sampler chain table above the bars (as key o); its CSV is the chain:\n"
    "                 stage,name,active,in,kept,removed,temperature,row,id,token,prob,rank\n"
    "  --score TEXT   teacher-force TEXT after the prompt and colour it by surprisal (tokens, text)\n"
    "  --width W --height H  canvas size in cells (default 100 x 30)\n";
// clang-format on

typedef struct {
    const char *model_path, *view_name, *format, *out, *score_text;
    int steps, top_k, layer, head, width, height;
    int select, span_a, span_b; /* --select I, or A..B */
    double temp, top_p;
    uint64_t seed;
    bool explain, chain;
    SamplerArgs sa; /* the sampler options beside temp, top-k and top-p */
} ExportArgs;

/* --select I (a token, -1 the last) or A..B (a span). */
static int parse_select(const Option *o, const char *value, char *why) {
    ExportArgs *a = o->dest;
    if (strstr(value, "..")) {
        if (sscanf(value, "%d..%d", &a->span_a, &a->span_b) == 2 && a->span_a >= 0 &&
            a->span_b >= 0)
            return 0;
    } else {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end != value && !*end && !errno && v >= -1 && v <= 1000000000) {
            a->select = (int)v;
            return 0;
        }
    }
    snprintf(why, GB_ERRLEN, "expected I or A..B (token indices)");
    return -1;
}

/* The options into a; OPTIONS_RUN, or the exit status. */
static int parse_export_args(ExportArgs *a, const char **prompt_arg, int argc, char **argv) {
    *a = (ExportArgs){.model_path = cli_default_model(),
                      .view_name = "tokens",
                      .width = 100,
                      .height = 30,
                      .select = -1,
                      .span_a = -1,
                      .span_b = -1,
                      .temp = 0.8,
                      .top_p = 1.0,
                      .seed = DEFAULT_SEED};
    sampler_init(&a->sa.sampler, DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED);
    /* the canvas's sizes keep the words tests/harden.sh checks */
    const char *size_words = "a non-negative integer (at most 1000)";
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &a->model_path),
        OPTION_STRING("--view", NULL, &a->view_name),
        OPTION_STRING("--format", NULL, &a->format),
        OPTION_STRING("-o", "--output", &a->out),
        OPTION_TEXT("--score", &a->score_text),
        OPTION_FLAG("--explain", &a->explain),
        OPTION_FLAG("--chain", &a->chain),
        OPTION_INT("--steps", &a->steps, 0, 1000000),
        OPTION_DOUBLE("--temp", &a->temp, 0, 1e9),
        OPTION_INT("--top-k", &a->top_k, 0, 1 << 30),
        OPTION_DOUBLE("--top-p", &a->top_p, 0, 1),
        OPTION_U64("--seed", &a->seed),
        OPTION_INT("--layer", &a->layer, 0, 1000000000),
        OPTION_INT("--head", &a->head, 0, 1000000000),
        OPTION_CALL("--select", a, parse_select),
        {"--width", NULL, OPT_INT, &a->width, 0, 1000, NULL, size_words},
        {"--height", NULL, OPT_INT, &a->height, 0, 1000, NULL, size_words},
        CLI_SAMPLER_OPTIONS(&a->sa),
    };
    static const char *const names[] = {"PROMPT"};
    const OptionSpec spec = {"export", EXPORT_USAGE, opts, OPTIONS_COUNT(opts), names, 1, 1};
    int n_args;
    return options_parse(&spec, argc, argv, prompt_arg, &n_args);
}

/* The prompt and the options as the TUI's requests, then the selection: 0, or -1 with err. */
static int set_up(App *app, const ExportArgs *a, char *prompt, size_t prompt_len, char *err) {
    Command c[9];
    int n = 0;
    c[n++] = command_make(CMD_SEED, (long long)a->seed);
    c[n] = command_make(CMD_TEMP, 0), c[n++].num = a->temp;
    c[n++] = command_make(CMD_TOPK, a->top_k);
    c[n] = command_make(CMD_TOPP, 0), c[n++].num = a->top_p;
    c[n] = command_make(CMD_PROMPT, 0), c[n].text = prompt, c[n++].text_len = prompt_len;
    c[n++] = command_make(CMD_LAYER, a->layer);
    c[n++] = command_make(CMD_HEAD, a->head);
    if (a->steps > 0) c[n++] = command_make(CMD_STEP, a->steps);
    if (a->score_text)
        c[n] = command_make(CMD_SCORE, 0), c[n].text = (char *)a->score_text,
        c[n++].text_len = strlen(a->score_text);
    for (int i = 0; i < n; i++)
        if (apply(app, &c[i], err) & RX_ERROR) return -1;
    if ((a->select >= 0 && session_select(app->s, a->select, err) != 0) ||
        (a->span_a >= 0 && session_select_span(app->s, a->span_a, a->span_b, err) != 0))
        return -1;
    return 0;
}

/* Renders the view and writes it to -o's file or standard output. The view renders first (bad
 * input: 2); what fails after that is the write itself (1). */
static int write_view(Session *s, UiState *ui, const ExportArgs *a, int view, int fmt) {
    char err[GB_ERRLEN];
    ExportBuf b = {0};
    if (export_render(&b, s, ui, view, (ExportFormat)fmt, a->width, a->height, err) != 0) {
        fprintf(stderr, "glassbox: export: %s\n", err);
        return GB_EXIT_USAGE;
    }
    int rc = GB_EXIT_OK;
    if (a->out) {
        if (gb_write_file(a->out, b.data ? b.data : "", b.len, err) != 0) {
            fprintf(stderr, "glassbox: export: %s\n", err);
            rc = GB_EXIT_FAIL;
        }
    } else {
        fwrite(b.data ? b.data : "", 1, b.len, stdout);
        rc = cli_finish_output("export");
    }
    export_buf_free(&b);
    return rc;
}

int cli_export(int argc, char **argv) {
    ExportArgs a;
    const char *prompt_arg;
    int r = parse_export_args(&a, &prompt_arg, argc, argv);
    if (r != OPTIONS_RUN) return r;
    int view = export_view_lookup(a.view_name);
    if (view < 0) {
        fprintf(stderr,
                "glassbox: export: --view: expected tokens, attention, neighbours, probs, text or "
                "lens, got '%s'\n",
                a.view_name);
        return GB_EXIT_USAGE;
    }
    int fmt = a.format ? export_format_lookup(a.format)
              : a.out  ? export_format_from_path(a.out)
                       : EXPORT_TXT;
    if (a.format && fmt < 0) {
        fprintf(stderr, "glassbox: export: --format: expected txt, ansi, csv or svg, got '%s'\n",
                a.format);
        return GB_EXIT_USAGE;
    }
    if (fmt < 0) {
        fprintf(
            stderr,
            "glassbox: export: %s: no format given and the extension is not .txt .ansi .csv .svg\n",
            a.out);
        return GB_EXIT_USAGE;
    }
    char *prompt = NULL, err[GB_ERRLEN];
    size_t prompt_len = 0;
    if (cli_read_text(&prompt, &prompt_len, "export", prompt_arg) != 0) return GB_EXIT_USAGE;
    Session s;
    if (session_open(&s, a.model_path, 0, err) != 0) {
        cli_print_open_error("export", a.model_path, err);
        free(prompt);
        return GB_EXIT_USAGE;
    }
    UiState ui;
    ui_init(&ui);
    App app = {.s = &s, .ui = &ui};
    session_set_sampler(&s, &a.sa.sampler); /* the stages beside temp, top-k and top-p */
    if (set_up(&app, &a, prompt, prompt_len, err) != 0) {
        fprintf(stderr, "glassbox: export: %s\n", err);
        r = GB_EXIT_USAGE;
    } else {
        ui.explain = a.explain;
        ui.chain = a.chain;
        ui.view = view < VIEW_COUNT ? view : VIEW_TOKENS;
        r = write_view(&s, &ui, &a, view, fmt);
    }
    ui_free(&ui);
    session_free(&s);
    free(prompt);
    return r;
}
