/* glassbox bench: speed figures, no assertions. The whole run: model load, prefill and forward with
 * the probes on and off, the sampler chain, the tokenizer (and the lab's against tiktoken), the TUI
 * headless. --decode N: one line of JSON for bench/run.sh. */
#include <glob.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "files.h"
#include "tui.h"
#include "util.h"

// clang-format off
static const char BENCH_USAGE[] =
    "usage: glassbox bench [--model FILE] [--decode N [--prompt N] [--no-probes]]\n"
    "Speed figures (no pass/fail): model load time; prompt prefill of 256 tokens;\n"
    "forward tokens/s of one stream at 256 tokens of context, with the probes on and\n"
    "off; the sampler chain per token (default settings, every stage on); tokenizer\n"
    "encoding MB/s on a code file.\n"
    "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n"
    "  --decode N   only this: load time, then N tokens generated greedily after a\n"
    "               prompt (--prompt), probes on, as one line of JSON with the peak RSS\n"
    "               and the file size (bench/run.sh sets it beside llama.cpp's figure\n"
    "               for the same file)\n"
    "  --prompt N   with --decode: a prompt of N tokens (1-16, default 16)\n"
    "  --no-probes  with --decode: probes off\n";
// clang-format on

/* The biggest .py of the Python standard library, for a realistic code-tokenizing figure. */
static char *biggest_stdlib_py(void) {
    glob_t g;
    char *best = NULL;
    off_t best_size = 0;
    const char *patterns[] = {"/usr/lib/python3*/*.py", "/usr/local/lib/python3*/*.py"};
    for (int p = 0; p < 2; p++) {
        if (glob(patterns[p], 0, NULL, &g) != 0) continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat st;
            if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size > best_size) {
                free(best);
                best = gb_strdup(g.gl_pathv[i]);
                best_size = st.st_size;
            }
        }
        globfree(&g);
    }
    return best;
}

/* The text for the tokenizer figure: the biggest stdlib .py, else glassbox's own sources. */
static int bench_text(char **text, size_t *len, char *what, size_t whatsz) {
    char err[GB_ERRLEN];
    char *py = biggest_stdlib_py();
    if (py && gb_read_file(py, text, len, err) == 0) {
        snprintf(what, whatsz, "%s", py);
        free(py);
        return 0;
    }
    free(py);
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/../src/*/*.c", gb_assets_dir());
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) return -1;
    size_t cap = 1 << 16, n = 0;
    char *all = gb_malloc(cap);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *data;
        size_t dlen;
        if (gb_read_file(g.gl_pathv[i], &data, &dlen, err) != 0) continue;
        if (n + dlen + 1 > cap) all = gb_realloc(all, cap = 2 * (n + dlen + 1));
        memcpy(all + n, data, dlen);
        n += dlen;
        free(data);
    }
    snprintf(what, whatsz, "glassbox's src/*/*.c (%zu files)", g.gl_pathc);
    globfree(&g);
    all[n] = 0;
    *text = all;
    *len = n;
    return 0;
}

/* Seconds per forward call at positions [from, to), repeated until min_secs have passed. */
static double time_forward(Model *m, const int32_t *ids, int from, int to, double min_secs) {
    int calls = 0;
    double t0 = gb_now(), t;
    do {
        for (int p = from; p < to; p++)
            model_forward(m, ids[p], p);
        calls += to - from;
        t = gb_now() - t0;
    } while (t < min_secs);
    return t / calls;
}

/* Seconds for one whole-prompt pass over ids[0..n), repeated until min_secs have passed. */
static double time_prefill(Model *m, const int32_t *ids, int n, double min_secs) {
    int calls = 0;
    double t0 = gb_now(), t;
    do {
        model_forward_prompt(m, ids, n, 0);
        calls++;
        t = gb_now() - t0;
    } while (t < min_secs);
    return t / calls;
}

/* Milliseconds to load the model, the mean of a few loads (the file stays in the page cache). */
static int time_loads(double *ms, const char *model_path) {
    enum { LOADS = 5 };
    char err[GB_ERRLEN];
    double t0 = gb_now();
    for (int i = 0; i < LOADS; i++) {
        Model m;
        if (model_load(&m, model_path, 0, err) != 0) {
            cli_print_open_error("bench", model_path, err);
            return GB_EXIT_USAGE;
        }
        model_free(&m);
    }
    *ms = (gb_now() - t0) / LOADS * 1e3;
    return GB_EXIT_OK;
}

/* Greedy: the first of the largest logits, the largest found eight at a time (a loop the compiler
 * vectorises, as run.c's is; the decode figure should time the model, not the pick). */
static int32_t greedy_token(const float *logits, int vocab) {
    float top[8];
    int v = 0;
    for (int k = 0; k < 8; k++) top[k] = logits[k < vocab ? k : 0];
    for (; v + 8 <= vocab; v += 8)
        for (int k = 0; k < 8; k++) top[k] = logits[v + k] > top[k] ? logits[v + k] : top[k];
    float best = top[0];
    for (int k = 1; k < 8; k++) best = top[k] > best ? top[k] : best;
    for (; v < vocab; v++) best = logits[v] > best ? logits[v] : best;
    int32_t next = 0;
    while (next < vocab - 1 && !(logits[next] == best)) next++;
    return next;
}

/* bench --decode: steps tokens generated greedily after an n_prompt-token prompt, as one line of
 * JSON. */
static int bench_decode(Model *m, int steps, int n_prompt, bool no_probes, double load_ms) {
    const Config *cf = &m->config;
    if (n_prompt + steps > cf->seq_len) steps = cf->seq_len - n_prompt;
    if (steps < 1) {
        fprintf(stderr, "glassbox: bench: the context is too short for --decode\n");
        return GB_EXIT_USAGE;
    }
    int32_t prompt[16];
    for (int i = 0; i < n_prompt; i++)
        prompt[i] = (int32_t)((i * 7919) % cf->vocab_size);
    char err[GB_ERRLEN];
    if (!no_probes && model_enable_probes(m, err) != 0) { /* models load without them */
        fprintf(stderr, "glassbox: bench: %s\n", err);
        return GB_EXIT_USAGE;
    }
    m->probes.enabled = !no_probes;
    float *logits = model_forward_prompt(m, prompt, n_prompt, 0);
    double ts = gb_now();
    clock_t cs = clock();
    for (int i = 0; i < steps; i++) logits = model_forward(m, greedy_token(logits, cf->vocab_size), n_prompt + i);
    double ms = (gb_now() - ts) / steps * 1e3;
    double cpu_ms = (double)(clock() - cs) / CLOCKS_PER_SEC / steps * 1e3;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* what the probes of these positions hold: attention rows (seq_len wide) and residuals */
    double probe_mb = (double)cf->n_layers * (n_prompt + steps) *
                      ((double)cf->n_heads * cf->seq_len + cf->dim) * sizeof(float) / 1e6;
    printf("{\"threads\": %d, \"prompt\": %d, \"steps\": %d, \"ms_per_token\": %.4f, \"tokens_per_s\": %.2f, "
           "\"cpu_ms_per_token\": %.4f, "
           "\"load_ms\": %.2f, \"probes\": %s, \"probe_mb\": %.1f, \"peak_rss_mb\": %.1f, "
           "\"file_mb\": %.1f}\n",
           omp_get_max_threads(), n_prompt, steps, ms, 1e3 / ms, cpu_ms, load_ms, no_probes ? "false" : "true",
           no_probes ? 0.0 : probe_mb, ru.ru_maxrss / 1e3, m->file.size / 1e6);
    return GB_EXIT_OK;
}

/* Prefill in one pass and token by token, and decoding at a full context, probes on and off. */
static void bench_forward(Model *m, const int32_t *ids, int ctx) {
    char err[GB_ERRLEN];
    int can_probe = model_enable_probes(m, err) == 0;
    for (int probes = can_probe; probes >= 0; probes--) {
        m->probes.enabled = probes;
        double prefill = time_prefill(m, ids, ctx, 0.3);
        double prefill_steps = time_forward(m, ids, 0, ctx, 0.3) * ctx;
        // Decoding at a full context: the last 16 positions of the window, again and again.
        int from = ctx > 16 ? ctx - 16 : 0;
        double per_token = time_forward(m, ids, from, ctx, 0.5);
        printf("probes %-3s: prefill of %d tokens %.2f ms in one pass (%.0f tokens/s), %.2f ms "
               "token by "
               "token\n",
               probes ? "on" : "off", ctx, prefill * 1e3, ctx / prefill, prefill_steps * 1e3);
        printf("probes %-3s: forward at %d tokens of context %.3f ms/token = %.0f tokens/s\n",
               probes ? "on" : "off", ctx, per_token * 1e3, 1.0 / per_token);
    }
    m->probes.enabled = 0;
}

/* The sampler chain on real logits, per token as a step pays it: the chain with its records, the
 * draw, and the drawn token's row of the chain table; at the default settings, then every stage
 * on. */
static void bench_sampler(Model *m, const int32_t *ids) {
    int vocab = m->config.vocab_size;
    Distribution d;
    distribution_init(&d, vocab);
    float *logits = model_forward(m, ids[0], 0);
    int32_t history[64];
    for (int i = 0; i < 64; i++)
        history[i] = ids[i % 2]; // a window the penalties have to count
    for (int all = 0; all < 2; all++) {
        Sampler s;
        sampler_init(&s, DEFAULT_TEMP, all ? 40 : 0, all ? 0.95f : 1.0f, DEFAULT_SEED);
        if (all) {
            s.typical_p = 0.95f;
            s.min_p = 0.05f;
            s.repeat_penalty = 1.1f;
        }
        int calls = 0;
        double ts = gb_now(), t;
        do {
            distribution_compute_ctx(&d, logits, &s, history, 64);
            distribution_note_drawn(&d, sampler_sample(&s, &d));
            calls++;
        } while ((t = gb_now() - ts) < 0.2);
        printf(
            "sampler chain: %.3f ms/token (vocab %d; %s)\n", t / calls * 1e3, vocab,
            all ? "every stage on: repeat-penalty 1.1 over 64, top-k 40, typical .95, top-p .95, "
                  "min-p .05, T 0.8"
                : "default settings: T 0.8, the other stages off");
    }
    distribution_free(&d);
}

/* The tokenizer's encoding speed on text (what names it), or a line saying there is none. */
static void bench_tokenizer(const Tokenizer *tok, const char *text, size_t len, const char *what) {
    if (!text) {
        printf("tokenizer: no text found to encode\n");
        return;
    }
    char err[GB_ERRLEN];
    int calls = 0, n = 0;
    double ts = gb_now(), t;
    do {
        TokenSpan *spans = NULL;
        n = tokenizer_encode(tok, text, len, &spans, err);
        free(spans);
        calls++;
    } while ((t = gb_now() - ts) < 0.5 && n >= 0);
    printf("tokenizer: %.2f MB/s encoding %s (%zu bytes, %d tokens, %.2f bytes/token)\n",
           (double)len * calls / t / 1e6, what, len, n, n > 0 ? (double)len / n : 0.0);
}

/* The interactive view, headless (tui.c): start-up to the first frame, then steps with all four
 * views drawn at 200x50. Last, because it may set the thread count for a small model. */
static void bench_tui(const char *model_path) {
    char err[GB_ERRLEN];
    TuiBench tb;
    if (tui_bench(model_path, 256, 200, 50, &tb, err) == 0)
        printf("tui: start-up %.1f ms to the first frame; step + all four views %.2f ms (max %.2f) "
               "at %d "
               "tokens, %dx%d\n",
               tb.startup_ms, tb.step_ms, tb.step_max_ms, tb.context, tb.width, tb.height);
    else
        printf("tui: %s\n", err);
}

/* Every figure but --decode's. */
static void bench_all(CliModel *cm, const char *model_path, double load_ms) {
    Model *m = &cm->model;
    const Config *cf = &m->config;
    printf("model: %s (%s): dim %d, layers %d, heads %d/%d, ffn %d, vocab %d, context %d\n",
           m->name, model_path, cf->dim, cf->n_layers, cf->n_heads, cf->n_kv_heads, cf->hidden_dim,
           cf->vocab_size, cf->context_length);
    printf("threads: %d (OpenMP)\n", omp_get_max_threads());
    printf("model load: %.2f ms\n", load_ms);

    char what[4200], err[GB_ERRLEN];
    char *text = NULL;
    size_t text_len = 0;
    int ctx = cf->seq_len < 256 ? cf->seq_len : 256;
    int32_t *ids = gb_malloc((size_t)ctx * sizeof(int32_t));
    int have_text = bench_text(&text, &text_len, what, sizeof what) == 0;
    // Prompt tokens: real code where possible, so the figure is for text the model sees.
    TokenSpan *spans = NULL;
    int n = have_text ? tokenizer_encode(cm->tok, text, text_len, &spans, err) : 0;
    for (int i = 0; i < ctx; i++)
        ids[i] = n > 0 ? spans[i % n].id : i % cf->vocab_size;
    free(spans);

    bench_forward(m, ids, ctx);
    bench_sampler(m, ids);
    bench_tokenizer(cm->tok, have_text ? text : NULL, text_len, what);
    cli_bench_lab(); /* cl100k and o200k on the text of scripts/tiktoken-bench.mjs, beside
                        tiktoken's */
    bench_tui(model_path);
    free(text);
    free(ids);
}

int cli_bench(int argc, char **argv) {
    const char *model_path = cli_default_model();
    int decode_steps = 0, n_prompt = 16;
    bool no_probes = false;
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &model_path),
        OPTION_INT("--decode", &decode_steps, 1, 1 << 20),
        OPTION_INT("--prompt", &n_prompt, 1, 16),
        OPTION_FLAG("--no-probes", &no_probes),
    };
    const OptionSpec spec = {"bench", BENCH_USAGE, opts, OPTIONS_COUNT(opts), NULL, 0, 0};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;

    CliModel cm;
    double load_ms;
    if ((r = cli_open_tokenizer(&cm, "bench", model_path)) != 0) return r;
    // 256 positions are all the figures use; the probes are sized for them, not the file's context
    if ((r = time_loads(&load_ms, model_path)) == 0 &&
        (r = cli_load_weights(&cm, "bench", model_path, 256)) == 0) {
        if (decode_steps > 0)
            r = bench_decode(&cm.model, decode_steps, n_prompt, no_probes, load_ms);
        else
            bench_all(&cm, model_path, load_ms);
    }
    cli_model_free(&cm);
    return r;
}
