/* `glassbox tokenize --compare / --names / --explain TEXT` and `--file FILE` (the tokenizer lab on
 * the command line), and the tokenizer lines of `glassbox bench`. tokenize_cli.c parses the options
 * and hands over. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "files.h"
#include "gguf.h"
#include "json.h"
#include "tokenlab.h"
#include "util.h"

/* ---- output helpers ---- */

/* The display form (token_display) of bytes, in a buffer grown as needed. */
typedef struct {
    char *buf;
    size_t cap;
} Shown;

static const char *show(Shown *sh, const char *bytes, size_t n) {
    if (sh->cap < 8 * n + 16) sh->buf = gb_realloc(sh->buf, sh->cap = 8 * n + 16);
    return token_display(bytes, n, sh->buf, sh->cap);
}

static const char *show_token(Shown *sh, const Tokenizer *t, int32_t id) {
    size_t n = 0;
    const char *b = tokenizer_token_bytes(t, id, &n);
    return b ? show(sh, b, n) : "?";
}

/* ---- the tokenizers of a lab command ----
 * Row 0 is the model's own (or --tokenizer's), then r50k, cl100k and o200k. */
enum { LAB_ROWS = 1 + LAB_N_SHIPPED };

typedef struct {
    const Tokenizer *tok[LAB_ROWS];
    const char *label[LAB_ROWS];
    const char *name[LAB_ROWS]; /* for JSON: "model", "r50k_base", ... */
    Tokenizer *own;             /* row 0, owned */
    char own_label[96];
    LabVocabs shipped;
} LabSet;

static void labset_free(LabSet *ls) {
    tokenizer_free(ls->own);
    lab_vocabs_free(&ls->shipped);
}

/* Opens the own tokenizer (tok_name, else the model's) and, when all, the shipped three. */
static int labset_open(LabSet *ls, const char *tok_name, const char *model_path, int all) {
    memset(ls, 0, sizeof *ls);
    char err[GB_ERRLEN];
    if (tok_name) {
        ls->own = tokenizer_open_named(tok_name, err);
        snprintf(ls->own_label, sizeof ls->own_label, "%s", gb_base_name(tok_name));
    } else {
        GGUFFile f;
        if (gguf_open(&f, model_path, err) == 0) {
            ls->own = tokenizer_from_gguf(&f, err);
            gguf_close(&f);
        }
        snprintf(ls->own_label, sizeof ls->own_label, "model (%s)", gb_base_name(model_path));
    }
    if (!ls->own) {
        fprintf(stderr, "glassbox: tokenize: %s\n", err);
        return GB_EXIT_USAGE;
    }
    ls->tok[0] = ls->own;
    ls->label[0] = ls->own_label;
    ls->name[0] = tok_name ? tok_name : "model";
    for (int i = 0; all && i < LAB_N_SHIPPED; i++) {
        ls->tok[1 + i] = lab_vocab(&ls->shipped, i, err);
        if (!ls->tok[1 + i]) {
            fprintf(stderr, "glassbox: tokenize: %s\n", err);
            labset_free(ls);
            return GB_EXIT_FAIL;
        }
        ls->label[1 + i] = lab_shipped_label(i);
        ls->name[1 + i] = lab_shipped_name(i);
    }
    return GB_EXIT_OK;
}

/* Encodes or prints the error; returns the count or -1. */
static int encode_or_say(const Tokenizer *t, const char *text, size_t len, TokenSpan **spans) {
    char err[GB_ERRLEN];
    int n = tokenizer_encode(t, text, len, spans, err);
    if (n < 0) fprintf(stderr, "glassbox: tokenize: %s\n", err);
    return n;
}

/* The split as display forms separated by single spaces (spaces inside tokens show as ·). */
static void print_split(const Tokenizer *t, const TokenSpan *spans, int n, Shown *sh) {
    for (int i = 0; i < n; i++) {
        if (i) fputc(' ', stdout);
        fputs(show_token(sh, t, spans[i].id), stdout);
    }
}

static void json_split(const char *text, const TokenSpan *spans, int n) {
    printf("[");
    for (int i = 0; i < n; i++) {
        printf("%s{\"id\": %d, \"text\": ", i ? ", " : "", (int)spans[i].id);
        json_string(stdout, text + spans[i].start, spans[i].end - spans[i].start);
        printf("}");
    }
    printf("]");
}

/* ---- --compare ---- */

static int lab_compare(LabSet *ls, const char *text, size_t len, int json) {
    Shown sh = {0};
    int r = GB_EXIT_OK;
    if (json) {
        printf("{\"text\": ");
        json_string(stdout, text, len);
        printf(", \"bytes\": %zu, \"tokenizers\": [", len);
    } else {
        printf("%-22s %6s  %s\n", "tokenizer", "tokens",
               "split (space = next token, \u00b7 = a space)");
    }
    for (int k = 0; k < LAB_ROWS; k++) {
        TokenSpan *spans = NULL;
        int n = encode_or_say(ls->tok[k], text, len, &spans);
        if (n < 0) {
            r = GB_EXIT_USAGE;
            break;
        }
        if (json) {
            printf("%s\n  {\"name\": ", k ? "," : "");
            json_string(stdout, ls->name[k], strlen(ls->name[k]));
            printf(", \"label\": ");
            json_string(stdout, ls->label[k], strlen(ls->label[k]));
            printf(", \"count\": %d, \"tokens\": ", n);
            json_split(text, spans, n);
            printf("}");
        } else {
            cli_print_padded(ls->label[k], 22);
            printf(" %6d  ", n);
            print_split(ls->tok[k], spans, n, &sh);
            printf("\n");
        }
        free(spans);
    }
    if (json && r == GB_EXIT_OK) printf("\n]}\n");
    free(sh.buf);
    return r;
}

/* ---- --names ---- */

typedef struct {
    int style;
    char *text;
    size_t len;
    int count[LAB_ROWS];
    int total;
} Variant;

static int cmp_variant(const void *a, const void *b) {
    const Variant *x = a, *y = b;
    if (x->total != y->total) return x->total < y->total ? -1 : 1;
    return (x->style > y->style) - (x->style < y->style);
}

static int lab_names(LabSet *ls, const char *text, size_t len, int json) {
    Variant v[STYLE_COUNT];
    Shown sh = {0};
    int r = GB_EXIT_OK;
    for (int s = 0; s < STYLE_COUNT; s++) {
        v[s].style = s;
        v[s].text = lab_restyle(text, len, s, &v[s].len);
        v[s].total = 0;
        for (int k = 0; k < LAB_ROWS; k++) {
            TokenSpan *spans = NULL;
            v[s].count[k] = encode_or_say(ls->tok[k], v[s].text, v[s].len, &spans);
            free(spans);
            if (v[s].count[k] < 0) r = GB_EXIT_USAGE;
            v[s].total += v[s].count[k];
        }
    }
    if (r != GB_EXIT_OK) goto done;
    qsort(v, STYLE_COUNT, sizeof v[0],
          cmp_variant); /* cheapest first, over all four vocabularies */
    LabSpan words[64];
    int nw = lab_split_words(text, len, words, 64);
    if (nw > 64) nw = 64;
    if (json) {
        printf("{\"text\": ");
        json_string(stdout, text, len);
        printf(", \"words\": [");
        for (int i = 0; i < nw; i++) {
            if (i) printf(", ");
            json_string(stdout, text + words[i].start, words[i].end - words[i].start);
        }
        printf("], \"tokenizers\": [");
        for (int k = 0; k < LAB_ROWS; k++) {
            if (k) printf(", ");
            json_string(stdout, ls->name[k], strlen(ls->name[k]));
        }
        printf("], \"variants\": [");
    } else {
        printf("words:");
        for (int i = 0; i < nw; i++)
            printf(" %.*s", (int)(words[i].end - words[i].start), text + words[i].start);
        printf("\nvariants, fewest tokens first (the total adds the four vocabularies):\n");
        printf("%-22s %5s %5s %6s %5s %5s  %s\n", "style", "own", "r50k", "cl100k", "o200k",
               "total", "text");
    }
    for (int s = 0; s < STYLE_COUNT; s++) {
        if (json) {
            printf("%s\n  {\"style\": \"%s\", \"text\": ", s ? "," : "",
                   lab_style_name(v[s].style));
            json_string(stdout, v[s].text, v[s].len);
            printf(", \"valid_python\": %s, \"total\": %d, \"counts\": {",
                   lab_style_valid_python(v[s].style) ? "true" : "false", v[s].total);
            for (int k = 0; k < LAB_ROWS; k++) {
                printf("%s", k ? ", " : "");
                json_string(stdout, ls->name[k], strlen(ls->name[k]));
                printf(": %d", v[s].count[k]);
            }
            printf("}, \"splits\": {");
            for (int k = 0; k < LAB_ROWS; k++) {
                TokenSpan *spans = NULL;
                int n = encode_or_say(ls->tok[k], v[s].text, v[s].len, &spans);
                printf("%s", k ? ", " : "");
                json_string(stdout, ls->name[k], strlen(ls->name[k]));
                printf(": ");
                json_split(v[s].text, spans, n < 0 ? 0 : n);
                free(spans);
            }
            printf("}}");
        } else {
            char style[64];
            snprintf(style, sizeof style, "%s%s", lab_style_name(v[s].style),
                     lab_style_valid_python(v[s].style) ? "" : " (!py)");
            printf("%-22s %5d %5d %6d %5d %5d  %.*s\n", style, v[s].count[0], v[s].count[1],
                   v[s].count[2], v[s].count[3], v[s].total, (int)v[s].len, v[s].text);
            for (int k = 0; k < LAB_ROWS; k++) {
                TokenSpan *spans = NULL;
                int n = encode_or_say(ls->tok[k], v[s].text, v[s].len, &spans);
                printf("    ");
                cli_print_padded(ls->label[k], 22);
                printf(" %3d  ", n);
                print_split(ls->tok[k], spans, n < 0 ? 0 : n, &sh);
                printf("\n");
                free(spans);
            }
        }
    }
    if (json)
        printf("\n]}\n");
    else
        printf("(!py: not a valid Python name: kebab-case reads as a subtraction)\n");
done:
    for (int s = 0; s < STYLE_COUNT; s++)
        free(v[s].text);
    free(sh.buf);
    return r;
}

/* ---- --explain ---- */

static int lab_explain(const Tokenizer *t, const char *name, const char *text, size_t len,
                       int json) {
    char err[GB_ERRLEN];
    LabReplay rp;
    if (lab_replay(t, text, len, &rp, err) != 0) {
        fprintf(stderr, "glassbox: tokenize: --explain: %s\n", err);
        return GB_EXIT_USAGE;
    }
    Shown sh = {0}, sh2 = {0};
    int32_t *ids = gb_malloc((len + 1) * sizeof(int32_t));
    uint32_t *starts = gb_malloc((len + 2) * sizeof(uint32_t));
    int final_tokens = 0;
    for (int c = 0; c < rp.n_chunks; c++)
        final_tokens += lab_replay_state(&rp, c, rp.chunks[c].n_merges, ids, starts);
    if (json) {
        printf("{\"tokenizer\": ");
        json_string(stdout, name, strlen(name));
        printf(", \"text\": ");
        json_string(stdout, text, len);
        printf(", \"merges\": %d, \"count\": %d, \"chunks\": [", rp.total_merges, final_tokens);
    } else {
        printf("BPE merges of %zu bytes under %s: %d chunk%s, %d merges, %d tokens\n", len, name,
               rp.n_chunks, rp.n_chunks == 1 ? "" : "s", rp.total_merges, final_tokens);
    }
    for (int c = 0; c < rp.n_chunks; c++) {
        const LabChunk *ch = &rp.chunks[c];
        const char *cs = text + ch->start;
        if (json) {
            printf("%s\n  {\"text\": ", c ? "," : "");
            json_string(stdout, cs, ch->end - ch->start);
            printf(", \"steps\": [");
        } else {
            printf("chunk %d: \"%s\" (%d bytes)\n", c + 1, show(&sh, cs, ch->end - ch->start),
                   ch->n_bytes);
        }
        for (int k = 0; k <= ch->n_merges; k++) {
            int np = lab_replay_state(&rp, c, k, ids, starts);
            const LabMerge *m = k > 0 ? &ch->merges[k - 1] : NULL;
            if (json) {
                if (k == 0) continue;
                printf("%s{\"rank\": %d, ", k > 1 ? ", " : "",
                       m->rank == LAB_WHOLE_CHUNK ? -1 : (int)m->rank);
                if (m->rank == LAB_WHOLE_CHUNK) {
                    printf("\"whole\": true, ");
                } else {
                    printf("\"left\": ");
                    size_t ln = 0, rn = 0;
                    const char *lb = tokenizer_token_bytes(t, m->left, &ln);
                    const char *rb = tokenizer_token_bytes(t, m->right, &rn);
                    json_string(stdout, lb, ln);
                    printf(", \"right\": ");
                    json_string(stdout, rb, rn);
                    printf(", ");
                }
                printf("\"id\": %d, \"parts\": [", (int)m->result);
                for (int i = 0; i < np; i++) {
                    if (i) printf(", ");
                    json_string(stdout, cs + starts[i], starts[i + 1] - starts[i]);
                }
                printf("]}");
                continue;
            }
            char pair[256];
            if (k == 0) {
                printf("  %-12s %-26s ", "bytes", "");
            } else if (m->rank == LAB_WHOLE_CHUNK) {
                printf("  %-12s %-26s ", "whole", "the chunk is a token");
            } else {
                /* the two parts, each in its display form */
                size_t ln = 0, rn = 0;
                const char *lb = tokenizer_token_bytes(t, m->left, &ln);
                const char *rb = tokenizer_token_bytes(t, m->right, &rn);
                snprintf(pair, sizeof pair, "%s + ", show(&sh, lb, ln));
                size_t pl = strlen(pair);
                snprintf(pair + pl, sizeof pair - pl, "%s", show(&sh2, rb, rn));
                char rank[32];
                snprintf(rank, sizeof rank, "rank %d", (int)m->rank);
                printf("  %-12s ", rank);
                cli_print_padded(pair, 26);
                printf(" ");
            }
            for (int i = 0; i < np; i++) {
                if (i) fputc(' ', stdout);
                fputs(show(&sh, cs + starts[i], starts[i + 1] - starts[i]), stdout);
            }
            printf("\n");
        }
        if (json) {
            int np = lab_replay_state(&rp, c, ch->n_merges, ids, starts);
            printf("], \"tokens\": [");
            for (int i = 0; i < np; i++)
                printf("%s%d", i ? ", " : "", (int)ids[i]);
            printf("]}");
        }
    }
    if (json) printf("\n]}\n");
    free(ids);
    free(starts);
    free(sh.buf);
    free(sh2.buf);
    lab_replay_free(&rp);
    return GB_EXIT_OK;
}

/* ---- --file ---- */

enum { COSTLIEST = 10 };

static int lab_file(LabSet *ls, const char *path, int json) {
    char err[GB_ERRLEN];
    char *text;
    size_t len;
    if (gb_read_file(path, &text, &len, err) != 0) {
        fprintf(stderr, "glassbox: tokenize: --file: %s\n", err);
        return GB_EXIT_USAGE;
    }
    int counts[LAB_ROWS];
    LabLineCost *lines = NULL;
    int n_lines = 0, r = GB_EXIT_OK;
    for (int k = 0; k < LAB_ROWS; k++) {
        LabLineCost *l = NULL;
        int nl = 0;
        if (lab_line_costs(ls->tok[k], text, len, &l, &nl, &counts[k], err) != 0) {
            fprintf(stderr, "glassbox: tokenize: %s: %s\n", path, err);
            r = GB_EXIT_USAGE;
            break;
        }
        if (k == 0)
            lines = l, n_lines = nl; /* the costliest lines: under the own tokenizer */
        else
            free(l);
    }
    if (r != GB_EXIT_OK) goto done;
    int indent_total = 0;
    for (int i = 0; i < n_lines; i++)
        indent_total += lines[i].indent_tokens;
    lab_sort_costliest(lines, n_lines);
    int top = n_lines < COSTLIEST ? n_lines : COSTLIEST;
    Shown sh = {0};
    if (json) {
        printf("{\"file\": ");
        json_string(stdout, path, strlen(path));
        printf(", \"bytes\": %zu, \"lines\": %d, \"tokenizers\": [", len, n_lines);
        for (int k = 0; k < LAB_ROWS; k++) {
            printf("%s\n  {\"name\": ", k ? "," : "");
            json_string(stdout, ls->name[k], strlen(ls->name[k]));
            printf(", \"count\": %d, \"bytes_per_token\": %.4f}", counts[k],
                   counts[k] ? (double)len / counts[k] : 0.0);
        }
        printf("\n], \"indent_tokens\": %d, \"costliest\": [", indent_total);
        for (int i = 0; i < top; i++) {
            printf("%s\n  {\"line\": %d, \"tokens\": %d, \"indent_tokens\": %d, \"text\": ",
                   i ? "," : "", lines[i].line, lines[i].tokens, lines[i].indent_tokens);
            json_string(stdout, text + lines[i].start, lines[i].end - lines[i].start);
            printf("}");
        }
        printf("\n]}\n");
    } else {
        printf("%s: %zu bytes, %d lines\n", path, len, n_lines);
        printf("%-22s %8s %12s\n", "tokenizer", "tokens", "bytes/token");
        for (int k = 0; k < LAB_ROWS; k++) {
            cli_print_padded(ls->label[k], 22);
            printf(" %8d %12.2f\n", counts[k], counts[k] ? (double)len / counts[k] : 0.0);
        }
        printf("\ncostliest lines under %s (%d tokens of leading whitespace in the whole file):\n",
               ls->label[0], indent_total);
        printf("%6s %6s %7s  %s\n", "line", "tokens", "indent", "text");
        for (int i = 0; i < top; i++) {
            uint32_t n = lines[i].end - lines[i].start;
            const char *shown = show(&sh, text + lines[i].start, n > 100 ? 100 : n);
            printf("%6d %6d %7d  %s%s\n", lines[i].line, lines[i].tokens, lines[i].indent_tokens,
                   shown, n > 100 ? "\u2026" : "");
        }
    }
    free(sh.buf);
done:
    free(lines);
    free(text);
    return r;
}

int cli_tokenize_lab(int mode, const char *text, size_t len, const char *file, const char *tok_name,
                     const char *model_path, int json) {
    LabSet ls;
    int r = labset_open(&ls, tok_name, model_path, mode != LAB_CLI_EXPLAIN);
    if (r != GB_EXIT_OK) return r;
    switch (mode) {
    case LAB_CLI_COMPARE:
        r = lab_compare(&ls, text, len, json);
        break;
    case LAB_CLI_NAMES:
        r = lab_names(&ls, text, len, json);
        break;
    case LAB_CLI_EXPLAIN:
        r = lab_explain(ls.own, tok_name ? tok_name : ls.own_label, text, len, json);
        break;
    case LAB_CLI_FILE:
        r = lab_file(&ls, file, json);
        break;
    default:
        r = GB_EXIT_USAGE;
        break;
    }
    labset_free(&ls);
    if (r == GB_EXIT_OK && fflush(stdout) != 0) r = GB_EXIT_FAIL;
    return r;
}

/* ---- bench: encoding speed against tiktoken's ---- */

/* Python standard library sources the way scripts/tiktoken-bench.mjs picks them, so the figures
 * compare: every .py below the stdlib directory except tests (directories site-packages,
 * dist-packages, test, tests, idle_test, __pycache__, config-*; files test_*), in byte order of
 * their relative paths, joined, cut to the first max bytes and back to a whole UTF-8 character. */
typedef struct {
    char **paths;
    size_t n, cap;
} PathList;

static void list_py(const char *root, const char *rel, PathList *out) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
        char r[4096], full[8192];
        snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", nm);
        snprintf(full, sizeof full, "%s/%s", root, r);
        struct stat st;
        if (lstat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            static const char *const skip[] = {"site-packages", "dist-packages", "test",
                                               "tests",         "idle_test",     "__pycache__"};
            int skipped = strncmp(nm, "config-", 7) == 0;
            for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
                skipped |= strcmp(nm, skip[i]) == 0;
            if (!skipped) list_py(root, r, out);
        } else if (S_ISREG(st.st_mode)) {
            size_t l = strlen(nm);
            if (l > 3 && strcmp(nm + l - 3, ".py") == 0 && strncmp(nm, "test_", 5) != 0) {
                if (out->n == out->cap)
                    out->paths = gb_realloc(out->paths, (out->cap = out->cap ? 2 * out->cap : 256) *
                                                            sizeof(char *));
                out->paths[out->n++] = gb_strdup(r);
            }
        }
    }
    closedir(d);
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *stdlib_text(size_t max, size_t *len, size_t *n_files, char *where, size_t wsz) {
    char root[4096];
    if (gb_python_stdlib(root, sizeof root) != 0) return NULL;
    PathList pl = {0};
    list_py(root, "", &pl);
    qsort(pl.paths, pl.n, sizeof(char *), cmp_path); /* strcmp: byte order, as Buffer.compare */
    /* read a few bytes past max: the cut looks at the first byte it leaves out */
    size_t want = max + 4, cap = want + 1, n = 0;
    char *all = gb_malloc(cap);
    for (size_t i = 0; i < pl.n && n < want; i++) {
        char full[8192], err[GB_ERRLEN], *data;
        size_t dl;
        snprintf(full, sizeof full, "%s/%s", root, pl.paths[i]);
        if (gb_read_file(full, &data, &dl, err) == 0) {
            size_t take = dl < want - n ? dl : want - n;
            memcpy(all + n, data, take);
            n += take;
            free(data);
        }
    }
    if (n > max) { /* as the node script: step back while the cut would split a character */
        size_t cut = max;
        while (cut > 0 && ((unsigned char)all[cut] & 0xC0) == 0x80)
            cut--;
        n = cut;
    }
    all[n] = 0;
    *len = n;
    *n_files = pl.n;
    snprintf(where, wsz, "%s", root);
    for (size_t i = 0; i < pl.n; i++)
        free(pl.paths[i]);
    free(pl.paths);
    return all;
}

/* Best time of runs encodes of text. */
static double best_encode(const Tokenizer *t, const char *text, size_t len, int runs, int *count) {
    double best = 1e30;
    char err[GB_ERRLEN];
    for (int r = 0; r < runs; r++) {
        TokenSpan *spans = NULL;
        double t0 = gb_now();
        *count = tokenizer_encode(t, text, len, &spans, err);
        double dt = gb_now() - t0;
        free(spans);
        if (dt < best) best = dt;
    }
    return best;
}

void cli_bench_lab(void) {
    char err[GB_ERRLEN], where[4096];
    LabVocabs v = {0};
    size_t len = 0, n_files = 0;
    char *text = stdlib_text((size_t)4 << 20, &len, &n_files, where, sizeof where);
    if (!text) {
        printf("tokenizer vs tiktoken: no python3 standard library found\n");
        return;
    }
    printf("tokenizer vs tiktoken: %zu stdlib files from %s, first %zu bytes (the text of "
           "scripts/tiktoken-bench.mjs)\n",
           n_files, where, len);
    static const int which[] = {LAB_CL100K, LAB_O200K};
    for (int i = 0; i < 2; i++) {
        double t0 = gb_now();
        const Tokenizer *t = lab_vocab(&v, which[i], err);
        double load = gb_now() - t0;
        if (!t) {
            printf("  %s: %s\n", lab_shipped_name(which[i]), err);
            continue;
        }
        int n = 0;
        double best = best_encode(t, text, len, 3, &n);
        printf("  glassbox %s: %.2f MB/s (%d tokens, %.3f s, best of 3; rank file loaded in %.0f "
               "ms)\n",
               lab_shipped_name(which[i]), len / 1e6 / best, n, best, load * 1e3);
    }
    free(text);
    /* pathological lines: one character repeated over 1 MiB, a single chunk for the merge engine */
    size_t big = 1 << 20;
    char *line = gb_malloc(big);
    static const char repeated[] = {'a', ' ', '.'};
    for (int i = 0; i < 2; i++) {
        const Tokenizer *t = lab_vocab(&v, which[i], err);
        if (!t) continue;
        printf("  glassbox %s: a line of 1 MiB of one character:", lab_shipped_name(which[i]));
        for (size_t k = 0; k < sizeof repeated; k++) {
            memset(line, repeated[k], big);
            int n = 0;
            double dt = best_encode(t, line, big, 1, &n);
            printf("%s '%c' %.0f ms (%d tokens)", k ? "," : "", repeated[k], dt * 1e3, n);
        }
        printf("\n");
    }
    free(line);
    lab_vocabs_free(&v);
}
