/* glassbox lens: the logit lens at the end of a prompt, from the command line (see lens.h). It
 * follows the command line's conventions (cli.h): `-` reads standard input, BOS in front when the
 * vocabulary has one, one-line errors and status 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "json.h"
#include "lens.h"
#include "loader.h"
#include "model.h"
#include "tokenizer.h"
#include "util.h"

// clang-format off
static const char LENS_USAGE[] =
    "usage: glassbox lens [--json] [--top K] [--model FILE] PROMPT|-\n"
    "The logit lens at the last token of PROMPT (BOS in front when the model has one): for every\n"
    "layer l, the residual stream after layer l sent through the final norm and the output head,\n"
    "as if the model stopped there. Prints each layer's likeliest next tokens (T = 1) and, for the\n"
    "token the last layer ranks first, its rank and probability at every layer: the prediction\n"
    "forming layer by layer. The last layer's lens is the model's own prediction.\n"
    "  --top K      tokens a layer (default 5)\n"
    "  --json       {\"prompt\", \"position\", \"chosen\": {\"id\", \"text\"}, \"layers\": [{\"layer\", \"top\":\n"
    "               [{\"id\", \"text\", \"prob\"}], \"chosen_rank\", \"chosen_prob\"}]}, last layer last\n"
    "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n";
// clang-format on

static void token_json(const Tokenizer *tok, int32_t id) {
    size_t n = 0;
    const char *b = tokenizer_token_bytes(tok, id, &n);
    json_string(stdout, b ? b : "", b ? n : 0);
}

static void print_lens(const LensColumn *c, const Tokenizer *tok, const char *prompt,
                       size_t prompt_len, bool json) {
    char buf[256];
    if (json) {
        printf("{\"prompt\": ");
        json_string(stdout, prompt, prompt_len);
        printf(", \"position\": %d, \"chosen\": {\"id\": %d, \"text\": ", c->pos, (int)c->chosen);
        token_json(tok, c->chosen);
        printf("}, \"layers\": [");
        for (int l = 0; l < c->n_layers; l++) {
            printf("%s\n  {\"layer\": %d, \"top\": [", l ? "," : "", l);
            for (int i = 0; i < c->k && c->top[(size_t)l * c->k + i].id >= 0; i++) {
                const LensEntry *e = &c->top[(size_t)l * c->k + i];
                printf("%s{\"id\": %d, \"text\": ", i ? ", " : "", (int)e->id);
                token_json(tok, e->id);
                printf(", \"prob\": ");
                cli_json_number(stdout, e->prob);
                printf("}");
            }
            printf("], \"chosen_rank\": %d, \"chosen_prob\": ", c->chosen_rank[l]);
            cli_json_number(stdout, c->chosen_prob[l]);
            printf("}");
        }
        printf("\n]}\n");
        return;
    }
    printf("logit lens at position %d; following '%s' (#%d), the last layer's top token\n", c->pos,
           cli_token_shown(buf, sizeof buf, tok, c->chosen), (int)c->chosen);
    printf("%5s %6s %9s   the likeliest next tokens if the model stopped after this layer\n",
           "layer", "rank", "p");
    for (int l = 0; l < c->n_layers; l++) {
        printf("%5d %6d %8.4f%%  ", l, c->chosen_rank[l], 100.0 * c->chosen_prob[l]);
        for (int i = 0; i < c->k && c->top[(size_t)l * c->k + i].id >= 0; i++) {
            const LensEntry *e = &c->top[(size_t)l * c->k + i];
            printf(" '%s' %.2f%%", cli_token_shown(buf, sizeof buf, tok, e->id), 100.0 * e->prob);
        }
        printf("\n");
    }
}

int cli_lens(int argc, char **argv) {
    const char *model_path = cli_default_model(), *pos;
    int top = 5;
    bool json = false;
    const Option opts[] = {
        OPTION_FLAG("--json", &json),
        OPTION_STRING("--model", "-m", &model_path),
        OPTION_INT("--top", &top, 1, 1000),
    };
    static const char *const names[] = {"PROMPT (or - for standard input)"};
    const OptionSpec spec = {"lens", LENS_USAGE, opts, OPTIONS_COUNT(opts), names, 1, 1};
    int n_args, r = options_parse(&spec, argc, argv, &pos, &n_args);
    if (r != OPTIONS_RUN) return r;
    char *prompt = NULL, err[GB_ERRLEN];
    size_t prompt_len = 0;
    if (cli_read_text(&prompt, &prompt_len, "lens", pos) != 0) return GB_EXIT_USAGE;
    int rc = GB_EXIT_USAGE, has_model = 0;
    Model m;
    Tokenizer *tok = NULL;
    int32_t *ids = NULL;
    float *scratch = NULL;
    LensColumn col = {0};
    if (loader_open(&m, &tok, model_path, 0, err) != 0) {
        cli_print_open_error("lens", model_path, err);
        goto done;
    }
    has_model = 1;
    if (model_enable_probes(&m, err) != 0) { /* the lens reads the residual after every layer */
        fprintf(stderr, "glassbox: lens: %s\n", err);
        goto done;
    }
    int n = tokenizer_encode_prompt(tok, prompt, prompt_len, &ids, err);
    if (n < 0) {
        fprintf(stderr, "glassbox: lens: %s\n", err);
        goto done;
    }
    if (n == 0 || n > m.config.seq_len) {
        fprintf(stderr,
                "glassbox: lens: the prompt is %d tokens; the model's context holds 1 to %d\n", n,
                m.config.seq_len);
        goto done;
    }
    model_limit_threads(&m);
    if (!model_forward_prompt(&m, ids, n, 0)) {
        fprintf(stderr, "glassbox: lens: a prompt token is outside the model's vocabulary\n");
        goto done;
    }
    scratch = gb_malloc(sizeof(float) * (size_t)m.config.vocab_size);
    lens_column_init(&col, m.config.n_layers, top);
    if (lens_column_compute(&col, &m, n - 1, -1, scratch) != 0) {
        fprintf(stderr, "glassbox: lens: the model keeps no residual probes\n");
        goto done;
    }
    print_lens(&col, tok, prompt, prompt_len, json);
    rc = gb_finish_output(stdout, "lens", "standard output") == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
done:
    lens_column_free(&col);
    free(scratch);
    free(ids);
    if (tok) tokenizer_free(tok);
    if (has_model) model_free(&m);
    free(prompt);
    return rc;
}
