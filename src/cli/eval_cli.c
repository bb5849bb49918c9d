/* glassbox eval: the model's cross-entropy on a file, in bits per byte and per token. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "util.h"

// clang-format off
static const char EVAL_USAGE[] =
    "usage: glassbox eval [--json] [--stride N] [--model FILE] FILE|-\n"
    "The model's cross-entropy on FILE: the file's tokens run in non-overlapping windows of the\n"
    "model's context, each window starting from the BOS token (so every token of the file is\n"
    "predicted). Prints bits per byte (all predicted tokens' bits / the file's bytes), bits per\n"
    "token, and the counts. A model without BOS starts each window with the last token of the one\n"
    "before, so only the file's first token goes unpredicted.\n"
    "  --json       print {\"bytes\", \"tokens\", \"predicted\", \"bits\", \"bits_per_byte\",\n"
    "               \"bits_per_token\", \"stride\"}\n"
    "  --stride N   slide the window N tokens at a time instead (1 to the context - 1), scoring\n"
    "               only each window's last N tokens: every token after the first window is then\n"
    "               predicted from at least context - 1 - N tokens before it, as a compressor\n"
    "               driven by the model would see them (1 = always the full context; the cost\n"
    "               grows as (context - 1) / N)\n"
    "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n";
// clang-format on

/* -log2 softmax(logits)[target], computed stably. */
static double surprisal_bits(const float *logits, int vocab, int32_t target) {
    float max = logits[0];
    for (int i = 1; i < vocab; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int i = 0; i < vocab; i++)
        sum += exp((double)logits[i] - max);
    return -(((double)logits[target] - max) - log(sum)) / log(2.0);
}

typedef struct {
    double bits, secs;
    long predicted, windows;
    int stride; // how far apart the windows end
} EvalSum;

/* The bits of the n tokens of spans, window by window. A window is a first token that is only
 * context (BOS, or the token before the window's first) and up to seq_len - 1 tokens of the file,
 * each predicted from everything before it in the window. Windows end `stride` tokens apart (the
 * first ends at seq_len - 1 tokens), and each scores the tokens no window before it scored; with
 * stride seq_len - 1 they do not overlap. */
static EvalSum evaluate(Model *m, const TokenSpan *spans, int n, int32_t bos, int stride) {
    int vocab = m->config.vocab_size, seq_len = m->config.seq_len;
    EvalSum s = {.stride = stride};
    int first = bos >= 0 ? 0 : 1; // the first token of the file that can be predicted
    int start = first;            // the first token still to score
    // A whole window runs as one batched pass (matrix-matrix products), with the logits of every
    // position; the views' probes are not needed here.
    m->probes.enabled = 0;
    int32_t *window = gb_malloc((size_t)seq_len * sizeof(int32_t));     // (seq_len)
    float *logits = gb_malloc((size_t)seq_len * vocab * sizeof(float)); // (seq_len, vocab)
    double t0 = gb_now();
    while (start < n) {
        int step = start == first ? seq_len - 1 : stride;
        int end = n - start < step ? n : start + step; // this window scores [start, end)
        // The window is [from, end): it reaches back as far as a whole one would, so a last,
        // shorter window has the same context before its first token as the others.
        int from = start + step - (seq_len - 1) > first ? start + step - (seq_len - 1) : first;
        int count = end - from;
        window[0] = bos >= 0 ? bos : spans[from - 1].id;
        for (int i = 0; i < count - 1; i++)
            window[i + 1] = spans[from + i].id;
        // Position i's logits (after the context token and i file tokens) predict token from + i.
        // The positions before the first scored one only fill the KV cache: the output head runs
        // on the scored ones alone (the same bits as one pass: model_forward_prompt's contract).
        int skip = start - from;
        if (skip > 0) model_forward_prompt(m, window, skip, 0);
        model_forward_prompt_all(m, window + skip, count - skip, skip, logits);
        for (int i = 0; i < count - skip; i++) {
            s.bits += surprisal_bits(logits + (size_t)i * vocab, vocab, spans[start + i].id);
            s.predicted++;
        }
        start = end;
        s.windows++;
    }
    s.secs = gb_now() - t0;
    free(window);
    free(logits);
    return s;
}

static void print_eval(const EvalSum *s, const char *file, size_t len, int n, int seq_len, bool bos,
                       bool json) {
    if (json) {
        printf("{\"bytes\": %zu, \"tokens\": %d, \"predicted\": %ld, \"bits\": ", len, n,
               s->predicted);
        cli_json_number(stdout, s->bits);
        printf(", \"bits_per_byte\": ");
        cli_json_number(stdout, s->bits / (double)len);
        printf(", \"bits_per_token\": ");
        cli_json_number(stdout, s->predicted ? s->bits / (double)s->predicted : NAN);
        printf(", \"stride\": %d}\n", s->stride);
        return;
    }
    printf("file: %s, %zu bytes, %d tokens (%.3f bytes per token)\n", file, len, n,
           n ? (double)len / n : 0.0);
    printf("windows: %ld of up to %d tokens (context %d%s), ", s->windows, seq_len - 1, seq_len,
           bos ? ", each after BOS" : "");
    if (s->stride == seq_len - 1)
        printf("not overlapping\n");
    else
        printf("%d apart: each scores its last %d\n", s->stride, s->stride);
    if (s->predicted < n)
        printf("predicted: %ld tokens (the first has no context: no BOS)\n", s->predicted);
    printf("bits per byte: %.4f\n", s->bits / (double)len);
    printf("bits per token: %.4f (perplexity %.2f)\n", s->predicted ? s->bits / s->predicted : NAN,
           s->predicted ? exp2(s->bits / s->predicted) : NAN);
    printf("time: %.2f s (%.0f tokens/s)\n", s->secs, s->secs > 0 ? s->predicted / s->secs : 0.0);
}

int cli_eval(int argc, char **argv) {
    const char *model_path = cli_default_model();
    bool json = false;
    int stride = 0; // 0: the context - 1, windows that do not overlap
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &model_path),
        OPTION_FLAG("--json", &json),
        OPTION_INT("--stride", &stride, 1, 1 << 30),
    };
    static const char *const names[] = {"FILE"};
    const OptionSpec spec = {"eval", EVAL_USAGE, opts, OPTIONS_COUNT(opts), names, 1, 1};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;

    char err[GB_ERRLEN], *text;
    size_t len;
    if (gb_read_file(args[0], &text, &len, err) != 0) {
        fprintf(stderr, "glassbox: eval: %s\n", err);
        return GB_EXIT_USAGE;
    }
    if (len == 0) {
        fprintf(stderr, "glassbox: eval: %s: the file is empty\n", args[0]);
        free(text);
        return GB_EXIT_USAGE;
    }
    CliModel cm;
    TokenSpan *spans = NULL;
    if ((r = cli_open_tokenizer(&cm, "eval", model_path)) != 0) {
        free(text);
        return r;
    }
    int n = tokenizer_encode(cm.tok, text, len, &spans, err);
    if (n < 0) {
        fprintf(stderr, "glassbox: eval: %s\n", err);
        r = GB_EXIT_USAGE;
    } else if ((r = cli_load_weights(&cm, "eval", model_path, 0)) == 0) {
        int seq_len = cm.model.config.seq_len;
        int32_t bos = tokenizer_prompt_bos(cm.tok);
        if (seq_len < 2) {
            fprintf(stderr, "glassbox: eval: %s: a context of %d cannot predict anything\n",
                    model_path, seq_len);
            r = GB_EXIT_USAGE;
        } else if (stride > seq_len - 1) {
            fprintf(stderr,
                    "glassbox: eval: --stride %d: more than this model's context allows (%d: a "
                    "window holds %d tokens of the file)\n",
                    stride, seq_len - 1, seq_len - 1);
            r = GB_EXIT_USAGE;
        } else {
            EvalSum s = evaluate(&cm.model, spans, n, bos, stride ? stride : seq_len - 1);
            print_eval(&s, args[0], len, n, seq_len, bos >= 0, json);
            r = cli_finish_output("eval");
        }
    }
    free(spans);
    cli_model_free(&cm);
    free(text);
    return r;
}
