/* The instructor kit's subcommands: glassbox score, glassbox export, glassbox replay (see cli.h).
 * They follow main.c's conventions: options before or after the arguments, `--` ends them, `-` as
 * TEXT reads standard input, BOS in front of the prompt when the vocabulary has one, one-line errors
 * and exit status 2 for bad input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "cli.h"
#include "apply.h"
#include "export.h"
#include "kit.h"
#include "lesson.h"
#include "record.h"
#include "score.h"
#include "screen.h"
#include "session.h"
#include "json.h"
#include "tokenizer.h"
#include "files.h"
#include "loader.h"
#include "util.h"

/* ---- small shared pieces ---- */

void kit_json_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
}

/* The bytes of a TEXT argument ("-": standard input). Returns 0, or prints the error and returns 2. */
int kit_read_text(const char *cmd, const char *arg, char **text, size_t *len) {
    if (strcmp(arg, "-") == 0) {
        char err[GB_ERRLEN];
        if (gb_read_input(GB_INPUT_PROMPT, "-", text, len, err) != 0) {
            fprintf(stderr, "glassbox: %s: %s\n", cmd, err);
            return GB_EXIT_USAGE;
        }
        return 0;
    }
    *text = gb_strdup(arg);
    *len = strlen(arg);
    return 0;
}

/* Option value of argv[*i] ("--name value" or "--name=value"); NULL when it is not this option. Sets
 * *missing when the value is absent. */
const char *kit_option(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != 0) return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* ---- glassbox score ---- */

static const char SCORE_USAGE[] =
    "usage: glassbox score [--json] [--ids] [--model FILE] [SAMPLER OPTIONS] PROMPT|- CONTINUATION\n"
    "Teacher-forced scoring: feeds CONTINUATION after PROMPT token by token, whatever the model would\n"
    "have sampled, and prints for each of its tokens the probability the model gave it (T = 1, no\n"
    "top-k / top-p), its rank in that distribution (1 = the likeliest) and its surprisal -log2 p in\n"
    "bits; then the total and the mean. The prompt and the continuation are tokenised separately and\n"
    "the continuation's tokens follow the prompt's (BOS in front when the model has one), as generate\n"
    "builds a text, so a generated text scores the steps that wrote it when it tokenises back into them.\n"
    "  --ids        CONTINUATION is token ids (\"481 292 117\"): score exactly those tokens\n"
    "  --json       {\"prompt\", \"continuation\", \"tokens\": [{\"id\", \"text\", \"start\", \"end\", \"prob\",\n"
    "               \"logprob\", \"rank\", \"bits\"}], \"total_bits\", \"mean_bits\"} (logprob natural)\n"
    "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n"
    "Sampler options (any of them adds each token's probability and rank after the sampler's chain,\n"
    "\"sampler_prob\" and \"sampler_rank\", 0 = a stage cut it: could this sampler have written it?):\n"
    "  --temp T --top-k K --top-p P  as for generate (defaults 0.8, 0 = off, 1 = off)\n"
    CLI_SAMPLER_USAGE;

/* Parses "481 292, 117" into ids. Returns the count, or -1 with err. */
static int parse_ids(const char *s, int32_t **ids, char *err) {
    int n = 0, cap = 16;
    *ids = gb_malloc((size_t)cap * sizeof **ids);
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX) {
            gb_seterr(err, "--ids: expected token ids separated by spaces, got '%.20s'", p);
            free(*ids);
            *ids = NULL;
            return -1;
        }
        if (n == cap) *ids = gb_realloc(*ids, (size_t)(cap *= 2) * sizeof **ids);
        (*ids)[n++] = (int32_t)v;
        p = end;
    }
    return n;
}

int cli_score(int argc, char **argv) {
    const char *model_path = cli_default_model();
    Sampler sampler;
    sampler_init(&sampler, 0.8f, 0, 1.0f, 42);
    int argc_all = argc;
    if (cli_take_sampler_options("score", &argc, argv, &sampler, 1) != 0) return GB_EXIT_USAGE;
    int sampled = argc < argc_all; /* a sampler option was given */
    int json = 0, by_ids = 0, only_pos = 0, n_pos = 0, missing = 0;
    const char *pos[2];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!only_pos && strcmp(a, "--") == 0) only_pos = 1;
        else if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(SCORE_USAGE, stdout);
            return GB_EXIT_OK;
        } else if (!only_pos && strcmp(a, "--json") == 0) json = 1;
        else if (!only_pos && strcmp(a, "--ids") == 0) by_ids = 1;
        else if (!only_pos && ((v = kit_option(argc, argv, &i, "--model", &missing)) ||
                               (v = kit_option(argc, argv, &i, "-m", &missing))))
            model_path = v;
        else if (missing) {
            fprintf(stderr, "glassbox: score: %s: missing value\n", a);
            return GB_EXIT_USAGE;
        } else if (!only_pos && a[0] == '-' && a[1]) {
            fprintf(stderr, "glassbox: score: unknown option '%s' (see glassbox score --help)\n", a);
            return GB_EXIT_USAGE;
        } else if (n_pos < 2) pos[n_pos++] = a;
        else {
            fprintf(stderr, "glassbox: score: unexpected argument '%s' (see glassbox score --help)\n", a);
            return GB_EXIT_USAGE;
        }
    }
    if (n_pos < 2) {
        fprintf(stderr, "glassbox: score: missing %s (see glassbox score --help)\n",
                n_pos == 0 ? "PROMPT and CONTINUATION" : "CONTINUATION");
        return GB_EXIT_USAGE;
    }
    char *prompt = NULL, *cont = NULL, err[GB_ERRLEN];
    size_t prompt_len = 0, cont_len = 0;
    if (kit_read_text("score", pos[0], &prompt, &prompt_len) != 0) return GB_EXIT_USAGE;
    cont = gb_strdup(pos[1]);
    cont_len = strlen(cont);
    int rc = GB_EXIT_USAGE;
    Model m;
    int has_model = 0;
    Tokenizer *tok = NULL;
    TokenSpan *cspans = NULL;
    int32_t *prefix = NULL, *ids = NULL;
    ScoreResult res = {0};
    if (loader_open(&m, &tok, model_path, 0, err) != 0) { /* no probes: score shows none */
        fprintf(stderr, "glassbox: score: %s\n", err);
        goto done;
    }
    has_model = 1;
    int n_prefix = tokenizer_encode_prompt(tok, prompt, prompt_len, &prefix, err);
    if (n_prefix < 0) {
        fprintf(stderr, "glassbox: score: %s\n", err);
        goto done;
    }
    int nc;
    if (by_ids) {
        nc = parse_ids(cont, &ids, err);
    } else {
        nc = tokenizer_encode_ex(tok, cont, cont_len, TOKENIZE_CONTINUATION, &cspans, err);
        if (nc >= 0) {
            ids = gb_malloc((size_t)(nc + 1) * sizeof *ids);
            for (int i = 0; i < nc; i++) ids[i] = cspans[i].id;
        }
    }
    if (nc < 0) {
        fprintf(stderr, "glassbox: score: %s\n", err);
        goto done;
    }
    if (nc == 0) {
        fprintf(stderr, "glassbox: score: the continuation is empty: nothing to score\n");
        goto done;
    }
    if (score_tokens_sampled(&res, &m, prefix, n_prefix, ids, nc, sampled ? &sampler : NULL, err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
        goto done;
    }
    for (int i = 0; i < res.n && cspans; i++) res.tokens[i].start = cspans[i].start, res.tokens[i].end = cspans[i].end;
    char buf[512];
    if (json) {
        printf("{\"prompt\": ");
        json_string(stdout, prompt, prompt_len);
        printf(", \"continuation\": ");
        json_string(stdout, cont, cont_len);
        printf(", \"tokens\": [");
        for (int i = 0; i < res.n; i++) {
            const ScoredToken *t = &res.tokens[i];
            size_t tl = 0;
            const char *b = tokenizer_token_bytes(tok, t->id, &tl);
            if (!b) b = "", tl = 0;
            printf("%s\n  {\"id\": %d, \"text\": ", i ? "," : "", (int)t->id);
            json_string(stdout, b, tl);
            printf(", \"start\": %u, \"end\": %u, \"prob\": ", t->start, t->end);
            kit_json_number(stdout, t->prob);
            printf(", \"logprob\": ");
            kit_json_number(stdout, t->logprob);
            printf(", \"rank\": %d, \"bits\": ", t->rank);
            kit_json_number(stdout, t->bits);
            if (sampled) {
                printf(", \"sampler_prob\": ");
                kit_json_number(stdout, t->sampler_prob);
                printf(", \"sampler_rank\": %d", t->sampler_rank);
            }
            printf("}");
        }
        printf("\n], \"total_bits\": ");
        kit_json_number(stdout, res.total_bits);
        printf(", \"mean_bits\": ");
        kit_json_number(stdout, res.mean_bits);
        printf("}\n");
    } else {
        printf("%4s %7s  %-20s %12s %7s %8s%s\n", "#", "id", "token", "p (T=1)", "rank", "bits",
               sampled ? "  p (sampler)  rank" : "");
        for (int i = 0; i < res.n; i++) {
            const ScoredToken *t = &res.tokens[i];
            size_t tl = 0;
            const char *b = tokenizer_token_bytes(tok, t->id, &tl);
            token_display(b ? b : "", b ? tl : 0, buf, sizeof buf);
            int pad = 20 - text_width(buf, (int)strlen(buf));
            printf("%4d %7d  %s%*s %12.6g %7d %8.3f", i + 1, (int)t->id, buf, pad > 0 ? pad : 0, "", t->prob,
                   t->rank, t->bits);
            if (sampled && t->sampler_rank) printf("  %11.6g %5d", t->sampler_prob, t->sampler_rank);
            else if (sampled) printf("  %11s %5s", "cut", "-");
            printf("\n");
        }
        printf("total %.3f bits over %d tokens, mean %.3f bits a token (%.1f bits a byte of the continuation)\n",
               res.total_bits, res.n, res.mean_bits, cont_len && !by_ids ? res.total_bits / (double)cont_len : 0.0);
    }
    rc = gb_finish_output(stdout, "score", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
done:
    score_free(&res);
    free(ids);
    free(prefix);
    free(cspans);
    if (tok) tokenizer_free(tok);
    if (has_model) model_free(&m);
    free(prompt);
    free(cont);
    return rc;
}

/* ---- glassbox export ---- */

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

int cli_export(int argc, char **argv) {
    const char *model_path = cli_default_model(), *view_name_arg = "tokens", *format = NULL, *out = NULL;
    const char *score_text = NULL;
    int steps = 0, top_k = 0, layer = 0, head = 0, select = -1, explain = 0, width = 100, height = 30;
    int span_a = -1, span_b = -1, chain_table = 0;
    double temp = 0.8, top_p = 1.0;
    unsigned long long seed = 42;
    Sampler chain; /* the sampler options beside temp, top-k and top-p */
    sampler_init(&chain, 0.8f, 0, 1.0f, 42);
    if (cli_take_sampler_options("export", &argc, argv, &chain, 0) != 0) return GB_EXIT_USAGE;
    int only_pos = 0, n_pos = 0, missing = 0;
    const char *pos[1];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        char *end = NULL;
        if (only_pos || a[0] != '-' || !a[1]) {
            if (n_pos >= 1) {
                fprintf(stderr, "glassbox: export: unexpected argument '%s' (see glassbox export --help)\n", a);
                return GB_EXIT_USAGE;
            }
            pos[n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) only_pos = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(EXPORT_USAGE, stdout);
            return GB_EXIT_OK;
        } else if (strcmp(a, "--explain") == 0) explain = 1;
        else if (strcmp(a, "--chain") == 0) chain_table = 1;
        else if ((v = kit_option(argc, argv, &i, "--model", &missing)) || (v = kit_option(argc, argv, &i, "-m", &missing)))
            model_path = v;
        else if ((v = kit_option(argc, argv, &i, "--view", &missing))) view_name_arg = v;
        else if ((v = kit_option(argc, argv, &i, "--format", &missing))) format = v;
        else if ((v = kit_option(argc, argv, &i, "-o", &missing)) || (v = kit_option(argc, argv, &i, "--output", &missing)))
            out = v;
        else if ((v = kit_option(argc, argv, &i, "--score", &missing))) score_text = v;
        else if (!missing) {
            /* the numeric options */
            static const char *const NUMS[] = {"--steps", "--top-k", "--layer", "--head", "--select", "--width",
                                               "--height", "--temp", "--top-p", "--seed"};
            int which = -1;
            for (int k = 0; k < 10 && which < 0; k++)
                if ((v = kit_option(argc, argv, &i, NUMS[k], &missing))) which = k;
            if (which < 0) {
                if (missing) {
                    fprintf(stderr, "glassbox: export: %s: missing value\n", a);
                    return GB_EXIT_USAGE;
                }
                fprintf(stderr, "glassbox: export: unknown option '%s' (see glassbox export --help)\n", a);
                return GB_EXIT_USAGE;
            }
            if (which == 4 && strstr(v, "..")) { /* --select A..B: a span */
                if (sscanf(v, "%d..%d", &span_a, &span_b) != 2 || span_a < 0 || span_b < 0) {
                    fprintf(stderr, "glassbox: export: --select: expected I or A..B, got '%s'\n", v);
                    return GB_EXIT_USAGE;
                }
                continue;
            }
            errno = 0;
            double num = which == 9 ? (double)strtoull(v, &end, 10) : strtod(v, &end);
            int bad = end == v || *end || errno || !isfinite(num) || num < (which == 4 ? -1 : 0);
            if (which < 7 && num != floor(num)) bad = 1;
            if (which == 8 && num > 1) bad = 1;
            if (which == 9 && v[0] == '-') bad = 1;
            /* sizes that allocate (a canvas of width x height, steps of the model) are bounded too */
            static const double MAXS[] = {1e6, 1 << 30, 1e9, 1e9, 1e9, 1000, 1000, 1e9, 1, 1e19};
            if (bad || num > MAXS[which]) {
                fprintf(stderr, "glassbox: export: %s: expected a %s (at most %.0f), got '%s'\n", NUMS[which],
                        which < 7 || which == 9 ? "non-negative integer" : which == 8 ? "number in [0, 1]" : "number ≥ 0",
                        MAXS[which], v);
                return GB_EXIT_USAGE;
            }
            switch (which) {
            case 0: steps = (int)num; break;
            case 1: top_k = (int)num; break;
            case 2: layer = (int)num; break;
            case 3: head = (int)num; break;
            case 4: select = (int)num; break;
            case 5: width = (int)num; break;
            case 6: height = (int)num; break;
            case 7: temp = num; break;
            case 8: top_p = num; break;
            case 9: seed = strtoull(v, NULL, 10); break;
            }
        }
        if (missing) {
            fprintf(stderr, "glassbox: export: %s: missing value\n", a);
            return GB_EXIT_USAGE;
        }
    }
    if (n_pos < 1) {
        fprintf(stderr, "glassbox: export: missing PROMPT (see glassbox export --help)\n");
        return GB_EXIT_USAGE;
    }
    int view = export_view_lookup(view_name_arg);
    if (view < 0) {
        fprintf(stderr, "glassbox: export: --view: expected tokens, attention, neighbours, probs, text or lens, got '%s'\n",
                view_name_arg);
        return GB_EXIT_USAGE;
    }
    int fmt = format ? export_format_lookup(format) : out ? export_format_from_path(out) : EXPORT_TXT;
    if (format && fmt < 0) {
        fprintf(stderr, "glassbox: export: --format: expected txt, ansi, csv or svg, got '%s'\n", format);
        return GB_EXIT_USAGE;
    }
    if (fmt < 0) {
        fprintf(stderr, "glassbox: export: %s: no format given and the extension is not .txt .ansi .csv .svg\n", out);
        return GB_EXIT_USAGE;
    }
    char *prompt = NULL, err[GB_ERRLEN];
    size_t prompt_len = 0;
    if (kit_read_text("export", pos[0], &prompt, &prompt_len) != 0) return GB_EXIT_USAGE;
    Session s;
    if (session_open(&s, model_path, 0, err) != 0) {
        fprintf(stderr, "glassbox: export: %s\n", err);
        free(prompt);
        return GB_EXIT_USAGE;
    }
    UiState ui;
    ui_init(&ui);
    int rc = GB_EXIT_USAGE;
    /* the options are the TUI's requests, applied in the order a person would type them */
    App app = {.s = &s, .ui = &ui};
    session_set_sampler(&s, &chain); /* the stages beside temp, top-k and top-p */
    Command c[9];
    int n = 0;
    c[n++] = command_make(CMD_SEED, (long long)seed);
    c[n] = command_make(CMD_TEMP, 0), c[n++].num = temp;
    c[n++] = command_make(CMD_TOPK, top_k);
    c[n] = command_make(CMD_TOPP, 0), c[n++].num = top_p;
    c[n] = command_make(CMD_PROMPT, 0), c[n].text = prompt, c[n++].text_len = prompt_len;
    c[n++] = command_make(CMD_LAYER, layer);
    c[n++] = command_make(CMD_HEAD, head);
    if (steps > 0) c[n++] = command_make(CMD_STEP, steps);
    if (score_text) c[n] = command_make(CMD_SCORE, 0), c[n].text = (char *)score_text, c[n++].text_len = strlen(score_text);
    for (int i = 0; i < n; i++)
        if (apply(&app, &c[i], err) & RX_ERROR) {
            fprintf(stderr, "glassbox: export: %s\n", err);
            goto done;
        }
    if ((select >= 0 && session_select(&s, select, err) != 0) ||
        (span_a >= 0 && session_select_span(&s, span_a, span_b, err) != 0)) {
        fprintf(stderr, "glassbox: export: %s\n", err);
        goto done;
    }
    ui.explain = explain;
    ui.chain = chain_table;
    ui.view = view < VIEW_COUNT ? view : VIEW_TOKENS;
    if (out) {
        /* the view renders first (bad input: 2); what fails after that is the write itself (1) */
        ExportBuf b = {0};
        if (export_render(&b, &s, &ui, view, (ExportFormat)fmt, width, height, err) != 0) {
            fprintf(stderr, "glassbox: export: %s\n", err);
            goto done;
        }
        int wr = gb_write_file(out, b.data ? b.data : "", b.len, err);
        export_buf_free(&b);
        if (wr != 0) {
            fprintf(stderr, "glassbox: export: %s\n", err);
            rc = GB_EXIT_FAIL;
            goto done;
        }
        rc = GB_EXIT_OK;
    } else {
        ExportBuf b = {0};
        if (export_render(&b, &s, &ui, view, (ExportFormat)fmt, width, height, err) != 0) {
            fprintf(stderr, "glassbox: export: %s\n", err);
            goto done;
        }
        fwrite(b.data ? b.data : "", 1, b.len, stdout);
        export_buf_free(&b);
        rc = gb_finish_output(stdout, "export", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
    }
done:
    ui_free(&ui);
    session_free(&s);
    free(prompt);
    return rc;
}

/* ---- glassbox replay ---- */

static const char REPLAY_USAGE[] =
    "usage: glassbox replay [--headless] [--model FILE] [--width W] [--height H] FILE\n"
    "Plays back a recording made with the TUI's `record FILE` (any lesson file plays too): the TUI\n"
    "opens it in the lesson pane, one step a key (n next, p previous); --headless instead prints every\n"
    "step's screen (W x H cells, default 120 x 36) as text, so two replays can be compared. The model\n"
    "is the one the recording names (or --model FILE); when its sha256 differs from the recorded one,\n"
    "that is said before anything plays.\n";

/* Prints step i's screen as text. */
static void print_screen(Session *s, UiState *ui, int w, int h, int step, int n_steps, const char *title) {
    Canvas c;
    canvas_init(&c, w, h);
    ui->colours = COLOURS_NONE;
    screen_draw(&c, s, ui);
    printf("==== step %d/%d: %s\n", step + 1, n_steps, title);
    for (int y = 0; y < c.h; y++) {
        char *row = canvas_row_text(&c, y);
        printf("%s\n", row);
        free(row);
    }
    canvas_free(&c);
}

int cli_replay(int argc, char **argv) {
    const char *model_path = NULL, *file = NULL;
    int headless = 0, width = 120, height = 36, missing = 0, only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (only_pos || a[0] != '-' || !a[1]) {
            if (file) {
                fprintf(stderr, "glassbox: replay: unexpected argument '%s' (see glassbox replay --help)\n", a);
                return GB_EXIT_USAGE;
            }
            file = a;
        } else if (strcmp(a, "--") == 0) only_pos = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(REPLAY_USAGE, stdout);
            return GB_EXIT_OK;
        } else if (strcmp(a, "--headless") == 0) headless = 1;
        else if ((v = kit_option(argc, argv, &i, "--model", &missing)) || (v = kit_option(argc, argv, &i, "-m", &missing)))
            model_path = v;
        else if ((v = kit_option(argc, argv, &i, "--width", &missing)) ||
                 (v = kit_option(argc, argv, &i, "--height", &missing))) {
            char *end;
            long n = strtol(v, &end, 10);
            int is_w = strncmp(a, "--width", 7) == 0;
            if (end == v || *end || n < (is_w ? SCREEN_MIN_W : SCREEN_MIN_H) || n > 1000) {
                fprintf(stderr, "glassbox: replay: %s: expected an integer in [%d, 1000], got '%s'\n",
                        is_w ? "--width" : "--height", is_w ? SCREEN_MIN_W : SCREEN_MIN_H, v);
                return GB_EXIT_USAGE;
            }
            if (is_w) width = (int)n;
            else height = (int)n;
        } else {
            if (missing) fprintf(stderr, "glassbox: replay: %s: missing value\n", a);
            else fprintf(stderr, "glassbox: replay: unknown option '%s' (see glassbox replay --help)\n", a);
            return GB_EXIT_USAGE;
        }
    }
    if (!file) {
        fprintf(stderr, "glassbox: replay: missing FILE (see glassbox replay --help)\n");
        return GB_EXIT_USAGE;
    }
    char *text = NULL, err[GB_ERRLEN];
    size_t len = 0;
    if (gb_read_input(GB_INPUT_RECORDING, file, &text, &len, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        return GB_EXIT_USAGE;
    }
    char rec_model[1024], rec_sha[65], sha[65];
    record_header(text, rec_model, sizeof rec_model, rec_sha);
    free(text);
    if (!model_path) model_path = rec_model[0] ? rec_model : cli_default_model();
    if (record_file_sha256(model_path, sha, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        return GB_EXIT_USAGE;
    }
    if (rec_sha[0] && strcmp(sha, rec_sha) != 0)
        fprintf(stderr,
                "glassbox: replay: %s is not the model this was recorded on (sha256 %.12s…, recorded %.12s… on %s): "
                "the screens may differ\n",
                model_path, sha, rec_sha, rec_model[0] ? rec_model : "?");
    if (!headless) { /* the TUI's lesson mode: a step a key */
        char *args[] = {"tui", "--model", (char *)model_path, "--lesson", (char *)file, NULL};
        return cli_tui(5, args);
    }
    Lesson l;
    if (lesson_load(&l, file, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        return GB_EXIT_USAGE;
    }
    Session s;
    if (session_open(&s, model_path, 0, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        lesson_free(&l);
        return GB_EXIT_USAGE;
    }
    UiState ui;
    ui_init(&ui);
    int rc = GB_EXIT_OK;
    if (lesson_reset_session(&s, NULL, err) != 0) {
        fprintf(stderr, "glassbox: replay: %s\n", err);
        rc = GB_EXIT_USAGE;
    }
    for (int i = 0; i < l.n_steps && rc == GB_EXIT_OK; i++) {
        const LessonStep *st = &l.steps[i];
        for (int k = 0; k < st->n_cmds; k++) {
            if (record_apply(&s, &ui, &st->cmds[k].cmd, err) == CMDR_ERROR) {
                fprintf(stderr, "glassbox: replay: %s:%d: %s\n", file, st->cmds[k].line, err);
                rc = GB_EXIT_USAGE;
                break;
            }
        }
        if (rc == GB_EXIT_OK) print_screen(&s, &ui, width, height, i, l.n_steps, st->title);
    }
    ui_free(&ui);
    session_free(&s);
    lesson_free(&l);
    if (rc == GB_EXIT_OK && fflush(stdout) != 0) rc = GB_EXIT_FAIL;
    return rc;
}
