/* glassbox score: teacher-forced scoring of a continuation after a prompt (score.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "cli.h"
#include "json.h"
#include "loader.h"
#include "score.h"
#include "util.h"

// clang-format off
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
// clang-format on

/* Parses "481 292, 117" into ids. Returns the count, or -1 with err. */
static int parse_ids(const char *s, int32_t **ids, char *err) {
    int n = 0, cap = 16;
    *ids = gb_malloc((size_t)cap * sizeof **ids);
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
            p++;
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

static void print_score_json(const ScoreResult *res, const Tokenizer *tok, const char *prompt,
                             size_t prompt_len, const char *cont, size_t cont_len, bool sampled) {
    printf("{\"prompt\": ");
    json_string(stdout, prompt, prompt_len);
    printf(", \"continuation\": ");
    json_string(stdout, cont, cont_len);
    printf(", \"tokens\": [");
    for (int i = 0; i < res->n; i++) {
        const ScoredToken *t = &res->tokens[i];
        size_t tl = 0;
        const char *b = tokenizer_token_bytes(tok, t->id, &tl);
        if (!b) b = "", tl = 0;
        printf("%s\n  {\"id\": %d, \"text\": ", i ? "," : "", (int)t->id);
        json_string(stdout, b, tl);
        printf(", \"start\": %u, \"end\": %u, \"prob\": ", t->start, t->end);
        cli_json_number(stdout, t->prob);
        printf(", \"logprob\": ");
        cli_json_number(stdout, t->logprob);
        printf(", \"rank\": %d, \"bits\": ", t->rank);
        cli_json_number(stdout, t->bits);
        if (sampled) {
            printf(", \"sampler_prob\": ");
            cli_json_number(stdout, t->sampler_prob);
            printf(", \"sampler_rank\": %d", t->sampler_rank);
        }
        printf("}");
    }
    printf("\n], \"total_bits\": ");
    cli_json_number(stdout, res->total_bits);
    printf(", \"mean_bits\": ");
    cli_json_number(stdout, res->mean_bits);
    printf("}\n");
}

/* A table row per token, then the total; bytes is the continuation's length (0 for --ids). */
static void print_score_table(const ScoreResult *res, const Tokenizer *tok, size_t bytes,
                              bool sampled) {
    char buf[512];
    printf("%4s %7s  %-20s %12s %7s %8s%s\n", "#", "id", "token", "p (T=1)", "rank", "bits",
           sampled ? "  p (sampler)  rank" : "");
    for (int i = 0; i < res->n; i++) {
        const ScoredToken *t = &res->tokens[i];
        size_t tl = 0;
        const char *b = tokenizer_token_bytes(tok, t->id, &tl);
        token_display(b ? b : "", b ? tl : 0, buf, sizeof buf);
        int pad = 20 - text_width(buf, (int)strlen(buf));
        printf("%4d %7d  %s%*s %12.6g %7d %8.3f", i + 1, (int)t->id, buf, pad > 0 ? pad : 0, "",
               t->prob, t->rank, t->bits);
        if (sampled && t->sampler_rank)
            printf("  %11.6g %5d", t->sampler_prob, t->sampler_rank);
        else if (sampled)
            printf("  %11s %5s", "cut", "-");
        printf("\n");
    }
    printf("total %.3f bits over %d tokens, mean %.3f bits a token (%.1f bits a byte of the "
           "continuation)\n",
           res->total_bits, res->n, res->mean_bits, bytes ? res->total_bits / (double)bytes : 0.0);
}

/* The continuation's tokens: the ids given (--ids) or its text tokenised on its own, as generate's
 * continuation would be (*spans then holds where each came from). The count, or -1 with err. */
static int continuation_ids(int32_t **ids, TokenSpan **spans, const Tokenizer *tok,
                            const char *cont, bool by_ids, char *err) {
    if (by_ids) return parse_ids(cont, ids, err);
    int nc = tokenizer_encode_ex(tok, cont, strlen(cont), TOKENIZE_CONTINUATION, spans, err);
    if (nc >= 0) {
        *ids = gb_malloc((size_t)(nc + 1) * sizeof **ids);
        for (int i = 0; i < nc; i++)
            (*ids)[i] = (*spans)[i].id;
    }
    return nc;
}

typedef struct {
    const char *model_path;
    bool json, by_ids;
    SamplerArgs sa;
} ScoreArgs;

/* Scores cont after prompt and prints the result. 0, or the exit status after a message. */
static int score(const ScoreArgs *a, const char *prompt, size_t prompt_len, const char *cont) {
    char err[GB_ERRLEN];
    int rc = GB_EXIT_USAGE;
    Model m;
    Tokenizer *tok = NULL;
    TokenSpan *cspans = NULL;
    int32_t *prefix = NULL, *ids = NULL;
    ScoreResult res = {0};
    if (loader_open(&m, &tok, a->model_path, 0, err) != 0) { /* no probes: score shows none */
        cli_print_open_error("score", a->model_path, err);
        return GB_EXIT_USAGE;
    }
    int n_prefix = tokenizer_encode_prompt(tok, prompt, prompt_len, &prefix, err);
    int nc = n_prefix < 0 ? -1 : continuation_ids(&ids, &cspans, tok, cont, a->by_ids, err);
    if (n_prefix < 0 || nc < 0) {
        fprintf(stderr, "glassbox: score: %s\n", err);
    } else if (nc == 0) {
        fprintf(stderr, "glassbox: score: the continuation is empty: nothing to score\n");
    } else if (score_tokens_sampled(&res, &m, prefix, n_prefix, ids, nc,
                                    a->sa.given ? &a->sa.sampler : NULL, err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
    } else {
        for (int i = 0; i < res.n && cspans; i++)
            res.tokens[i].start = cspans[i].start, res.tokens[i].end = cspans[i].end;
        if (a->json)
            print_score_json(&res, tok, prompt, prompt_len, cont, strlen(cont), a->sa.given > 0);
        else
            print_score_table(&res, tok, a->by_ids ? 0 : strlen(cont), a->sa.given > 0);
        rc = cli_finish_output("score");
    }
    score_free(&res);
    free(ids);
    free(prefix);
    free(cspans);
    tokenizer_free(tok);
    model_free(&m);
    return rc;
}

int cli_score(int argc, char **argv) {
    ScoreArgs a = {.model_path = cli_default_model()};
    sampler_init(&a.sa.sampler, DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED);
    const Option opts[] = {
        OPTION_FLAG("--json", &a.json),
        OPTION_FLAG("--ids", &a.by_ids),
        OPTION_STRING("--model", "-m", &a.model_path),
        CLI_SAMPLER_BASIC_OPTIONS(&a.sa),
        CLI_SAMPLER_OPTIONS(&a.sa),
    };
    static const char *const names[] = {"PROMPT", "CONTINUATION"};
    const OptionSpec spec = {"score", SCORE_USAGE, opts, OPTIONS_COUNT(opts), names, 2, 2};
    const char *args[2];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;
    char *prompt;
    size_t prompt_len;
    if (cli_read_text(&prompt, &prompt_len, "score", args[0]) != 0) return GB_EXIT_USAGE;
    r = score(&a, prompt, prompt_len, args[1]);
    free(prompt);
    return r;
}
