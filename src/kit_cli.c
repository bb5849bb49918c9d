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
#include "kit.h"
#include "score.h"
#include "tokenizer.h"
#include "util.h"

/* ---- small shared pieces ---- */

/* Writes bytes as a JSON string: printable ASCII and valid-looking UTF-8 kept, controls escaped, other
 * bytes (broken UTF-8) as U+FFFD, so the output always parses. */
void kit_json_string(FILE *f, const char *bytes, size_t n) {
    const unsigned char *s = (const unsigned char *)bytes;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c >= 0x80) {
            int32_t cp;
            int len = utf8_decode((const char *)s + i, (int)(n - i > 4 ? 4 : n - i), &cp);
            if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF)) fputs("\\ufffd", f), len = 1;
            else fwrite(s + i, 1, (size_t)len, f);
            i += (size_t)len;
            continue;
        }
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else fputc((int)c, f);
        i++;
    }
    fputc('"', f);
}

void kit_json_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.9g", v);
    else fputs("null", f);
}

/* The bytes of a TEXT argument ("-": standard input). Returns 0, or prints the error and returns 2. */
int kit_read_text(const char *cmd, const char *arg, char **text, size_t *len) {
    if (strcmp(arg, "-") == 0) {
        char err[GB_ERRLEN];
        if (gb_read_file("-", text, len, err) != 0) {
            fprintf(stderr, "glassbox: %s: standard input: %s\n", cmd, err);
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
    "usage: glassbox score [--json] [--ids] [--model FILE] PROMPT|- CONTINUATION\n"
    "Teacher-forced scoring: feeds CONTINUATION after PROMPT token by token, whatever the model would\n"
    "have sampled, and prints for each of its tokens the probability the model gave it (T = 1, no\n"
    "top-k / top-p), its rank in that distribution (1 = the likeliest) and its surprisal -log2 p in\n"
    "bits; then the total and the mean. The prompt and the continuation are tokenised separately and\n"
    "the continuation's tokens follow the prompt's (BOS in front when the model has one), as generate\n"
    "builds a text, so a generated text scores the steps that wrote it when it tokenises back into them.\n"
    "  --ids        CONTINUATION is token ids (\"481 292 117\"): score exactly those tokens\n"
    "  --json       {\"prompt\", \"continuation\", \"tokens\": [{\"id\", \"text\", \"start\", \"end\", \"prob\",\n"
    "               \"logprob\", \"rank\", \"bits\"}], \"total_bits\", \"mean_bits\"} (logprob natural)\n"
    "  --model FILE the model (default: $GLASSBOX_MODEL, else assets/glassbox.gguf)\n";

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
    TokenSpan *pspans = NULL, *cspans = NULL;
    int32_t *prefix = NULL, *ids = NULL;
    ScoreResult res = {0};
    if (model_load(&m, model_path, 0, err) != 0) {
        fprintf(stderr, "glassbox: score: %s\n", err);
        goto done;
    }
    has_model = 1;
    m.probes.enabled = 0;
    if (!(tok = tokenizer_from_gguf(&m.file, err))) {
        fprintf(stderr, "glassbox: score: %s\n", err);
        goto done;
    }
    int np = tokenizer_encode(tok, prompt, prompt_len, &pspans, err);
    if (np < 0) {
        fprintf(stderr, "glassbox: score: %s\n", err);
        goto done;
    }
    int32_t bos = tokenizer_bos(tok);
    int n_prefix = np + (bos >= 0);
    prefix = gb_malloc((size_t)(n_prefix + 1) * sizeof *prefix);
    int k = 0;
    if (bos >= 0) prefix[k++] = bos;
    for (int i = 0; i < np; i++) prefix[k++] = pspans[i].id;
    int nc;
    if (by_ids) {
        nc = parse_ids(cont, &ids, err);
    } else {
        nc = tokenizer_encode(tok, cont, cont_len, &cspans, err);
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
    if (score_tokens(&res, &m, prefix, n_prefix, ids, nc, err) != 0) {
        fprintf(stderr, "glassbox: %s\n", err);
        goto done;
    }
    for (int i = 0; i < res.n && cspans; i++) res.tokens[i].start = cspans[i].start, res.tokens[i].end = cspans[i].end;
    char buf[512];
    if (json) {
        printf("{\"prompt\": ");
        kit_json_string(stdout, prompt, prompt_len);
        printf(", \"continuation\": ");
        kit_json_string(stdout, cont, cont_len);
        printf(", \"tokens\": [");
        for (int i = 0; i < res.n; i++) {
            const ScoredToken *t = &res.tokens[i];
            size_t tl = 0;
            const char *b = tokenizer_token_bytes(tok, t->id, &tl);
            if (!b) b = "", tl = 0;
            printf("%s\n  {\"id\": %d, \"text\": ", i ? "," : "", (int)t->id);
            kit_json_string(stdout, b, tl);
            printf(", \"start\": %u, \"end\": %u, \"prob\": ", t->start, t->end);
            kit_json_number(stdout, t->prob);
            printf(", \"logprob\": ");
            kit_json_number(stdout, t->logprob);
            printf(", \"rank\": %d, \"bits\": ", t->rank);
            kit_json_number(stdout, t->bits);
            printf("}");
        }
        printf("\n], \"total_bits\": ");
        kit_json_number(stdout, res.total_bits);
        printf(", \"mean_bits\": ");
        kit_json_number(stdout, res.mean_bits);
        printf("}\n");
    } else {
        printf("%4s %7s  %-20s %12s %7s %8s\n", "#", "id", "token", "p (T=1)", "rank", "bits");
        for (int i = 0; i < res.n; i++) {
            const ScoredToken *t = &res.tokens[i];
            size_t tl = 0;
            const char *b = tokenizer_token_bytes(tok, t->id, &tl);
            token_display(b ? b : "", b ? tl : 0, buf, sizeof buf);
            int pad = 20 - text_width(buf, (int)strlen(buf));
            printf("%4d %7d  %s%*s %12.6g %7d %8.3f\n", i + 1, (int)t->id, buf, pad > 0 ? pad : 0, "", t->prob,
                   t->rank, t->bits);
        }
        printf("total %.3f bits over %d tokens, mean %.3f bits a token (%.1f bits a byte of the continuation)\n",
               res.total_bits, res.n, res.mean_bits, cont_len && !by_ids ? res.total_bits / (double)cont_len : 0.0);
    }
    rc = fflush(stdout) == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
done:
    score_free(&res);
    free(ids);
    free(prefix);
    free(pspans);
    free(cspans);
    if (tok) tokenizer_free(tok);
    if (has_model) model_free(&m);
    free(prompt);
    free(cont);
    return rc;
}
