/* glassbox probs: the next-token distribution after a prompt; with --explain the softmax arithmetic
 * and the sampler chain stage by stage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explain.h"
#include "json.h"
#include "util.h"

// clang-format off
static const char PROBS_USAGE[] =
    "usage: glassbox probs [--temp T] [--top K] [--top-k K] [--top-p P] [--json] [--explain]\n"
    "                      [--min-p P] [--typical P] [--repeat-penalty R] [--repeat-last-n N]\n"
    "                      [--presence-penalty P] [--frequency-penalty P] [--samplers LIST]\n"
    "                      [--seed S] [--model FILE] PROMPT|-\n"
    "The model's distribution over the token after PROMPT (BOS in front when the model has one):\n"
    "rank, id, token, probability at T (after top-k/top-p), probability at T = 1, logit; then\n"
    "the entropies. Tokens are ranked by logit (ties: lower id first).\n"
    "  --temp T     temperature (default 0.8; 0 puts everything on the most likely token)\n"
    "  --top K      rows to show (default 20; with --json: every token)\n"
    "  --top-k K    keep only the K most likely tokens at T (default 0 = off)\n"
    "  --top-p P    then the fewest whose probability adds up to P (default 1 = off)\n"
    CLI_SAMPLER_USAGE
    "  --seed S     with --explain: the seed of the draw whose path through the chain is shown (42)\n"
    "  --json       an array of {\"id\", \"text\", \"bytes\", \"prob\", \"prob_t1\", \"logit\"} in rank order\n"
    "  --explain    the softmax arithmetic instead: for the top rows (default 10) logit, logit/T,\n"
    "               weight = exp(logit/T - max/T), p = weight / sum, and after top-k / top-p\n"
    "               p = weight / (sum of the kept weights); then the normalisers. With --json an\n"
    "               object {\"temperature\", ..., \"sum\", \"kept_sum\", \"tokens\": [{\"rank\", \"id\",\n"
    "               \"text\", \"logit\", \"scaled\", \"weight\", \"prob\", \"kept\", \"kept_prob\",\n"
    "               \"sampler_prob\"}], \"samplers\": [{\"stage\", \"active\", \"in\", \"kept\", \"removed\",\n"
    "               \"temperature\", \"top\": [{\"id\", \"prob\", \"rank\"}], \"drawn\"}], \"drawn\"}\n"
    "               After the arithmetic, the chain: per stage the tokens kept, the probability mass\n"
    "               removed and the likeliest tokens' probabilities after it, and the drawn token's\n"
    "               rank and probability at every stage\n"
    "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n";
// clang-format on

/* probs --explain, the chain: one row per stage, what it kept and removed and the probabilities of
 * the likeliest tokens after it, then where the token the seed draws stood at each stage. */
static void print_chain_text(const Tokenizer *tok, const Distribution *d) {
    char buf[1024], chain[128];
    int cols = d->n_chain < 5 ? d->n_chain : 5;
    printf("\nthe chain, in order (%s); probabilities renormalised over the tokens still in:\n",
           sampler_chain_string(&d->settings, chain, sizeof chain));
    printf("%-10s %7s %9s %5s ", "stage", "kept", "removed", "T");
    for (int c = 0; c < cols; c++) {
        printf(" ");
        cli_print_padded(cli_token_shown(buf, sizeof buf, tok, d->chain_ids[c]), 10);
    }
    printf("\n%-10s %7d %9s %5s ", "(model)", d->vocab, "", "1");
    for (int c = 0; c < cols; c++)
        printf(" %9.4f%%", 100.0 * d->chain_prob_in[c]);
    printf("\n");
    for (int i = 0; i < d->n_stages; i++) {
        const ChainStage *st = &d->stages[i];
        printf("%-10s %7d %8.4f%% %5g ", sampler_stage_name(st->kind), st->n_kept,
               100.0 * st->removed, (double)st->temperature);
        for (int c = 0; c < cols; c++)
            if (st->rank[c])
                printf(" %9.4f%%", 100.0 * st->prob[c]);
            else
                printf(" %10s", "cut");
        printf("%s\n", st->active ? "" : "  (off)");
    }
    if (d->drawn >= 0) {
        printf("drawn: ");
        cli_print_padded(cli_token_shown(buf, sizeof buf, tok, d->drawn), 0);
        printf(" (#%d): rank %d, %.4f%% from the model", (int)d->drawn,
               distribution_stage_rank(d, -1, d->drawn), 100.0 * d->chain_prob_in[CHAIN_ROWS]);
        for (int i = 0; i < d->n_stages; i++)
            printf("; after %s rank %d, %.4f%%", sampler_stage_name(d->stages[i].kind),
                   d->stages[i].rank[CHAIN_ROWS], 100.0 * d->stages[i].prob[CHAIN_ROWS]);
        printf("\n");
    }
}

static void print_chain_json(const Distribution *d) {
    printf(", \"samplers\": [");
    for (int i = 0; i < d->n_stages; i++) {
        const ChainStage *st = &d->stages[i];
        printf("%s\n  {\"stage\": \"%s\", \"active\": %s, \"in\": %d, \"kept\": %d, \"removed\": ",
               i ? "," : "", sampler_stage_name(st->kind), st->active ? "true" : "false", st->n_in,
               st->n_kept);
        cli_json_number(stdout, st->removed);
        printf(", \"temperature\": ");
        cli_json_number(stdout, st->temperature);
        printf(", \"top\": [");
        for (int c = 0; c < d->n_chain; c++) {
            printf("%s{\"id\": %d, \"prob\": ", c ? ", " : "", (int)d->chain_ids[c]);
            cli_json_number(stdout, st->prob[c]);
            printf(", \"rank\": %d}", st->rank[c]);
        }
        printf("]");
        if (d->drawn >= 0) {
            printf(", \"drawn\": {\"prob\": ");
            cli_json_number(stdout, st->prob[CHAIN_ROWS]);
            printf(", \"rank\": %d}", st->rank[CHAIN_ROWS]);
        }
        printf("}");
    }
    printf("%s]", d->n_stages ? "\n" : "");
    if (d->drawn >= 0) printf(", \"drawn\": %d", (int)d->drawn);
}

/* probs --explain: the softmax arithmetic of the top rows (explain.h), as JSON, then the chain
 * stage by stage. Each row also carries the sampler's own probability, which the arithmetic must
 * reproduce. */
static void print_explained_json(const Tokenizer *tok, const Distribution *d,
                                 const Explanation *e) {
    printf("{\"temperature\": ");
    cli_json_number(stdout, e->temperature);
    printf(", \"top_k\": %d, \"top_p\": ", e->top_k);
    cli_json_number(stdout, e->top_p);
    printf(", \"vocab\": %d, \"n_kept\": %d, \"max_logit\": ", e->vocab, e->n_kept);
    cli_json_number(stdout, e->max_logit);
    printf(", \"max_scaled\": ");
    cli_json_number(stdout, e->max_scaled);
    printf(", \"sum\": ");
    cli_json_number(stdout, e->sum);
    printf(", \"kept_sum\": ");
    cli_json_number(stdout, e->kept_sum);
    print_chain_json(d);
    printf(", \"tokens\": [");
    for (int r = 0; r < e->n_rows; r++) {
        const ExplainRow *row = &e->rows[r];
        size_t tlen = 0;
        const char *bytes = tokenizer_token_bytes(tok, row->id, &tlen);
        if (!bytes) bytes = "", tlen = 0;
        printf("%s\n  {\"rank\": %d, \"id\": %d, \"text\": ", r ? "," : "", r + 1, (int)row->id);
        json_string(stdout, bytes, tlen);
        printf(", \"logit\": ");
        cli_json_number(stdout, row->logit);
        printf(", \"scaled\": ");
        cli_json_number(stdout, row->scaled);
        printf(", \"weight\": ");
        cli_json_number(stdout, row->weight);
        printf(", \"prob\": ");
        cli_json_number(stdout, row->prob);
        printf(", \"kept\": %s, \"kept_prob\": ", row->kept ? "true" : "false");
        cli_json_number(stdout, row->kept_prob);
        printf(", \"sampler_prob\": ");
        cli_json_number(stdout, d->probs[row->id]);
        printf("}");
    }
    printf("%s]}\n", e->n_rows ? "\n" : "");
}

/* probs --explain as tables: the arithmetic of the top rows (at T = 0 the order), the chain. */
static void print_explained_text(const Tokenizer *tok, const Distribution *d,
                                 const Explanation *e) {
    char buf[1024];
    if (!(e->temperature > 0)) {
        printf("T = 0: no softmax; the sampler takes the first token still in (largest logit, "
               "lowest id)\n");
        printf("%5s %7s  %-24s %12s %8s\n", "rank", "id", "token", "logit", "p");
        for (int r = 0; r < e->n_rows; r++) {
            printf("%5d %7d  ", r + 1, (int)e->rows[r].id);
            cli_print_padded(cli_token_shown(buf, sizeof buf, tok, e->rows[r].id), 24);
            printf(" %12.6f %8.6f\n", e->rows[r].logit, e->rows[r].kept_prob);
        }
        print_chain_text(tok, d);
        return;
    }
    printf("T = %g, max logit %.6f, max/T %.6f; weight = exp(logit/T - max/T), p = weight / sum\n",
           e->temperature, e->max_logit, e->max_scaled);
    printf("%5s %7s  %-20s %12s %12s %14s %12s %12s\n", "rank", "id", "token", "logit", "logit/T",
           "weight", "p (no cut)", "p (kept)");
    for (int r = 0; r < e->n_rows; r++) {
        const ExplainRow *row = &e->rows[r];
        printf("%5d %7d  ", r + 1, (int)row->id);
        cli_print_padded(cli_token_shown(buf, sizeof buf, tok, row->id), 20);
        printf(" %12.6f %12.6f %14.9g %12.9f ", row->logit, row->scaled, row->weight, row->prob);
        if (row->kept)
            printf("%12.9f\n", row->kept_prob);
        else
            printf("%12s\n", "cut");
    }
    printf("normaliser: sum of the weights over all %d tokens = %.9g\n", e->vocab, e->sum);
    if (e->n_kept < e->vocab)
        printf("cut (top-k %d, top-p %g): %d tokens kept, their weights sum to %.9g, the new "
               "normaliser\n",
               e->top_k, e->top_p, e->n_kept, e->kept_sum);
    else
        printf("no cut: every token kept\n");
    print_chain_text(tok, d);
}

/* The distribution's first rows in rank order, as JSON or as a table with the entropies. */
static void print_distribution(const Tokenizer *tok, const Distribution *d, int rows, float temp,
                               bool json) {
    char buf[1024];
    if (json) {
        printf("[");
        for (int k = 0; k < rows; k++) {
            int32_t id = d->order[k];
            size_t tlen = 0;
            const char *bytes = tokenizer_token_bytes(tok, id, &tlen);
            if (!bytes) bytes = "", tlen = 0;
            printf("%s\n  {\"id\": %d, \"text\": ", k ? "," : "", (int)id);
            json_string(stdout, bytes, tlen);
            printf(", \"bytes\": ");
            cli_json_bytes(stdout, bytes, tlen);
            printf(", \"prob\": ");
            cli_json_number(stdout, d->probs[id]);
            printf(", \"prob_t1\": ");
            cli_json_number(stdout, d->probs_t1[id]);
            printf(", \"logit\": ");
            cli_json_number(stdout, d->logits[id]);
            printf("}");
        }
        printf("%s]\n", rows ? "\n" : "");
        return;
    }
    char head[32];
    snprintf(head, sizeof head, "p(T=%g)", temp);
    printf("%5s %7s  %-24s %10s %10s %9s\n", "rank", "id", "token", head, "p(T=1)", "logit");
    for (int k = 0; k < rows; k++) {
        int32_t id = d->order[k];
        printf("%5d %7d  ", k + 1, (int)id);
        cli_print_padded(cli_token_shown(buf, sizeof buf, tok, id), 24);
        printf(" %10.6f %10.6f %9.4f\n", d->probs[id], d->probs_t1[id], d->logits[id]);
    }
    printf("entropy: %.4f bits at T=%g (%d of %d tokens kept), %.4f bits at T=1\n", d->entropy,
           temp, d->n_kept, d->vocab, d->entropy_t1);
}

int cli_probs(int argc, char **argv) {
    const char *model_path = cli_default_model();
    float temp = DEFAULT_TEMP, top_p = 1.0f;
    int top = -1, top_k = 0;
    uint64_t seed = DEFAULT_SEED;
    bool json = false, explain = false;
    SamplerArgs sa = {0};
    sampler_init(&sa.sampler, DEFAULT_TEMP, 0, 1.0f, DEFAULT_SEED);
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &model_path),
        OPTION_FLOAT("--temp", &temp, 0, INFINITY),
        OPTION_INT("--top", &top, 0, 1 << 30),
        OPTION_INT("--top-k", &top_k, 0, 1 << 30),
        OPTION_FLOAT("--top-p", &top_p, 0, 1),
        OPTION_U64("--seed", &seed),
        OPTION_FLAG("--json", &json),
        OPTION_FLAG("--explain", &explain),
        CLI_SAMPLER_OPTIONS(&sa),
    };
    static const char *const names[] = {"PROMPT (or - for standard input)"};
    const OptionSpec spec = {"probs", PROBS_USAGE, opts, OPTIONS_COUNT(opts), names, 1, 1};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;

    CliPrompt prompt;
    CliModel cm;
    if ((r = cli_load_prompt(&prompt, &cm, "probs", model_path, args[0], 0)) != 0) return r;
    int vocab = cm.model.config.vocab_size;
    Sampler *s = &sa.sampler;
    s->temperature = temp, s->top_k = top_k, s->top_p = top_p;
    sampler_reseed(s, seed);
    Distribution d;
    distribution_init(&d, vocab);
    float *logits = model_forward_prompt(&cm.model, prompt.ids, prompt.n_ids, 0);
    distribution_compute_ctx(&d, logits, s, prompt.ids, prompt.n_ids);
    if (explain) {
        Explanation e;
        distribution_note_drawn(&d, sampler_sample(s, &d));
        explain_distribution(&e, &d, top < 0 ? 10 : (top < vocab ? top : vocab));
        if (json)
            print_explained_json(cm.tok, &d, &e);
        else
            print_explained_text(cm.tok, &d, &e);
        explanation_free(&e);
    } else {
        print_distribution(cm.tok, &d, top < 0 ? (json ? vocab : 20) : (top < vocab ? top : vocab),
                           temp, json);
    }
    distribution_free(&d);
    r = cli_finish_output("probs");
    cli_prompt_free(&prompt);
    cli_model_free(&cm);
    return r;
}
