/* glassbox tokenize: a text's tokens with their ids and byte spans; --batch for tools; the
 * tokenizer lab's modes (--compare, --names, --explain, --file) hand over to lab_cli.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "json.h"
#include "util.h"

// clang-format off
static const char TOKENIZE_USAGE[] =
    "usage: glassbox tokenize [--json] [--special] [--model FILE | --tokenizer NAME|FILE.tiktoken]\n"
    "                         [--compare | --names | --explain] TEXT|-\n"
    "       glassbox tokenize --file FILE [--json] [--model FILE | --tokenizer NAME]\n"
    "Splits TEXT (or standard input, for -) into tokens, one a line: id, the token's text with\n"
    "whitespace made visible (space ·, tab →, newline ⏎, other bytes <0xNN>), and its byte span\n"
    "start-end of the input. A summary (token and byte counts) goes to standard error.\n"
    "  --model FILE       use the model's vocabulary (default: the default model)\n"
    "  --tokenizer NAME   gpt2, r50k_base, cl100k_base, o200k_base, or a .tiktoken file\n"
    "  --json             an array of {\"id\", \"text\", \"bytes\", \"start\", \"end\"}: \"text\" is the\n"
    "                     token's bytes as UTF-8 with invalid bytes replaced by U+FFFD, \"bytes\"\n"
    "                     the exact byte values\n"
    "  --special          control tokens written in TEXT (<s>, <|endoftext|>, ...) become those\n"
    "                     tokens (user-defined ones always do)\n"
    "  --batch            for tools (tools/crosscheck): each line of standard input is a text in\n"
    "                     hexadecimal; each line of output its token ids, separated by spaces\n"
    "The tokenizer lab: the model's tokenizer (or --tokenizer's) beside GPT-2 (r50k_base),\n"
    "cl100k_base and o200k_base:\n"
    "  --compare          TEXT's split and token count under each\n"
    "  --names            TEXT as an identifier (or a line of code) in snake_case, camelCase,\n"
    "                     PascalCase, SCREAMING_SNAKE_CASE, kebab-case and two abbreviations\n"
    "                     (first 4 letters less a final vowel: auth, tok; no vowels after the\n"
    "                     first letter: usr, msg), fewest tokens first, with each split\n"
    "  --explain          BPE step by step: from the bytes, one line per merge (rank, the pair,\n"
    "                     the parts after), lowest rank first, under the one tokenizer\n"
    "  --file FILE        a source file's tokens and bytes/token under each, and its 10 costliest\n"
    "                     lines (with how many tokens are leading whitespace)\n";
// clang-format on

typedef struct {
    const char *model_path, *tok_name, *lab_file;
    bool json, compare, names, explain, special, batch;
} TokenizeArgs;

/* One line of --batch's input, hexadecimal, into bytes; the count, or -1 when it is not
 * hexadecimal. */
static long unhex_line(char *out, const char *line, size_t n) {
    size_t len = 0;
    for (size_t k = 0; k + 1 < n; k += 2) {
        int hi = gb_hexval(line[k]), lo = gb_hexval(line[k + 1]);
        if (hi < 0 || lo < 0) break;
        out[len++] = (char)(hi * 16 + lo);
    }
    return 2 * len == n ? (long)len : -1;
}

/* tokenize --batch: texts in hexadecimal, one a line, on standard input; their ids, a line each. */
static int tokenize_batch(const TokenizeArgs *a) {
    char err[GB_ERRLEN];
    CliModel cm;
    int r = cli_open_named_tokenizer(&cm, "tokenize", a->tok_name, a->model_path);
    if (r != 0) return r;
    char *in;
    size_t n_in;
    if (gb_read_file("-", &in, &n_in, err)) {
        fprintf(stderr, "glassbox: tokenize: %s\n", err);
        cli_model_free(&cm);
        return GB_EXIT_USAGE;
    }
    char *text = gb_malloc(n_in / 2 + 1);
    for (size_t i = 0, line = 1; i < n_in && r == GB_EXIT_OK; line++) {
        size_t e = i;
        while (e < n_in && in[e] != '\n')
            e++;
        long len = unhex_line(text, in + i, e - i);
        if (len < 0) {
            fprintf(stderr, "glassbox: tokenize: standard input, line %zu: not hexadecimal\n",
                    line);
            r = GB_EXIT_USAGE;
            break;
        }
        TokenSpan *spans;
        int n = tokenizer_encode_ex(cm.tok, text, (size_t)len, a->special ? TOKENIZE_SPECIAL : 0,
                                    &spans, err);
        if (n < 0) {
            printf("error: %s\n", err);
        } else {
            for (int k = 0; k < n; k++)
                printf("%s%d", k ? " " : "", (int)spans[k].id);
            printf("\n");
            free(spans);
        }
        i = e + 1;
    }
    free(text);
    free(in);
    cli_model_free(&cm);
    return r;
}

/* The tokens, one a line (id, display form, span) or as JSON, and the summary on standard error. */
static void print_tokens(const Tokenizer *tok, const TokenSpan *spans, int n, size_t len,
                         bool json) {
    size_t bufsz = 64;
    char *buf = gb_malloc(bufsz);
    if (json) printf("[");
    for (int i = 0; i < n; i++) {
        size_t tlen = 0;
        const char *bytes = tokenizer_token_bytes(tok, spans[i].id, &tlen);
        if (!bytes) bytes = "", tlen = 0;
        if (json) {
            printf("%s\n  {\"id\": %d, \"text\": ", i ? "," : "", (int)spans[i].id);
            json_string(stdout, bytes, tlen);
            printf(", \"bytes\": ");
            cli_json_bytes(stdout, bytes, tlen);
            printf(", \"start\": %u, \"end\": %u}", spans[i].start, spans[i].end);
        } else {
            if (bufsz < 8 * tlen + 16) buf = gb_realloc(buf, bufsz = 8 * tlen + 16);
            printf("%d\t%s\t%u-%u\n", (int)spans[i].id, token_display(bytes, tlen, buf, bufsz),
                   spans[i].start, spans[i].end);
        }
    }
    if (json) printf("%s]\n", n ? "\n" : "");
    fprintf(stderr, "%d tokens, %zu bytes (%.2f bytes per token)\n", n, len,
            n ? (double)len / n : 0.0);
    free(buf);
}

/* The plain tokenize of TEXT (arg, or - for standard input). */
static int tokenize_text(const TokenizeArgs *a, const char *arg) {
    char *text, err[GB_ERRLEN];
    size_t len;
    int r = cli_read_text(&text, &len, "tokenize", arg);
    if (r != 0) return r;
    CliModel cm;
    if ((r = cli_open_named_tokenizer(&cm, "tokenize", a->tok_name, a->model_path)) != 0) {
        free(text);
        return r;
    }
    TokenSpan *spans = NULL;
    int n = tokenizer_encode_ex(cm.tok, text, len, a->special ? TOKENIZE_SPECIAL : 0, &spans, err);
    if (n < 0) {
        fprintf(stderr, "glassbox: tokenize: %s\n", err);
        r = GB_EXIT_USAGE;
    } else {
        print_tokens(cm.tok, spans, n, len, a->json);
    }
    free(spans);
    free(text);
    cli_model_free(&cm);
    return r;
}

/* --compare, --names or --explain of TEXT (arg, or - for standard input). */
static int tokenize_lab_text(const TokenizeArgs *a, const char *arg) {
    char *text;
    size_t len;
    int r = cli_read_text(&text, &len, "tokenize", arg);
    if (r != 0) return r;
    int mode = a->compare ? LAB_CLI_COMPARE : a->names ? LAB_CLI_NAMES : LAB_CLI_EXPLAIN;
    r = cli_tokenize_lab(mode, text, len, NULL, a->tok_name, a->model_path, a->json);
    free(text);
    return r;
}

int cli_tokenize(int argc, char **argv) {
    TokenizeArgs a = {.model_path = cli_default_model()};
    const Option opts[] = {
        OPTION_STRING("--model", "-m", &a.model_path),
        OPTION_STRING("--tokenizer", "-t", &a.tok_name),
        OPTION_FLAG("--json", &a.json),
        OPTION_FLAG("--special", &a.special),
        OPTION_FLAG("--batch", &a.batch),
        /* the tokenizer lab (lab_cli.c) */
        OPTION_FLAG("--compare", &a.compare),
        OPTION_FLAG("--names", &a.names),
        OPTION_FLAG("--explain", &a.explain),
        OPTION_STRING("--file", NULL, &a.lab_file),
    };
    static const char *const names[] = {"TEXT (or - for standard input)"};
    const OptionSpec spec = {"tokenize", TOKENIZE_USAGE, opts, OPTIONS_COUNT(opts), names, 0, 1};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;
    if ((int)a.compare + (int)a.names + (int)a.explain + (a.lab_file != NULL) > 1) {
        fprintf(stderr,
                "glassbox: tokenize: --compare, --names, --explain and --file go one at a time\n");
        return GB_EXIT_USAGE;
    }
    if (a.lab_file) {
        if (n_args > 0) {
            fprintf(stderr, "glassbox: tokenize: --file takes no TEXT (got '%s')\n", args[0]);
            return GB_EXIT_USAGE;
        }
        return cli_tokenize_lab(LAB_CLI_FILE, NULL, 0, a.lab_file, a.tok_name, a.model_path,
                                a.json);
    }
    if (a.batch) return tokenize_batch(&a);
    if (n_args == 0) {
        fprintf(stderr, "glassbox: tokenize: missing %s (see glassbox tokenize --help)\n",
                names[0]);
        return GB_EXIT_USAGE;
    }
    if (a.compare || a.names || a.explain) return tokenize_lab_text(&a, args[0]);
    return tokenize_text(&a, args[0]);
}
