/* `glassbox train-tokenizer`: reads the corpus (files, or @LIST) and writes the byte-level BPE
 * vocabulary that src/train/bpe_train.c learns from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_train.h"
#include "cli.h"
#include "files.h"
#include "util.h"

// clang-format off
static const char TRAIN_TOKENIZER_USAGE[] =
    "usage: glassbox train-tokenizer --vocab N --pattern gpt2|cl100k|o200k -o FILE.gguf CORPUS...\n"
    "Trains a byte-level BPE vocabulary of N tokens on the corpus and writes it as GGUF.\n"
    "  CORPUS: text files, or @LIST for a file that names one file per line\n";
// clang-format on

typedef struct {
    char **data;
    size_t *lens;
    size_t n, cap;
} Corpus;

static int corpus_add_file(Corpus *c, const char *path, char *err) {
    char *data;
    size_t len;
    if (gb_read_file(path, &data, &len, err)) return -1;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->data = gb_realloc(c->data, c->cap * sizeof(char *));
        c->lens = gb_realloc(c->lens, c->cap * sizeof(size_t));
    }
    c->data[c->n] = data;
    c->lens[c->n++] = len;
    return 0;
}

static int corpus_add_list(Corpus *c, const char *list, char *err) {
    char *data;
    size_t len;
    if (gb_read_input(GB_INPUT_LIST, list, &data, &len, err)) return -1;
    int rc = 0;
    size_t line = 0;
    for (char *s = data; rc == 0 && s < data + len;) {
        char *e = memchr(s, '\n', (size_t)(data + len - s));
        if (!e) e = data + len;
        *e = 0;
        line++;
        if (e > s && e[-1] == '\r') e[-1] = 0;
        if (*s && corpus_add_file(c, s, err)) {
            char inner[GB_ERRLEN];
            memcpy(inner, err, GB_ERRLEN);
            gb_seterr(err, "%s:%zu: %s", list, line, inner);
            rc = -1;
        }
        s = e + 1;
    }
    free(data);
    return rc;
}

/* --pattern: a pre-tokenizer's name. */
static int parse_pattern(const Option *o, const char *value, char *why) {
    int pattern = pretok_pattern_from_name(value);
    if (pattern < 0) {
        snprintf(why, GB_ERRLEN, "expected gpt2, cl100k or o200k");
        return -1;
    }
    *(int *)o->dest = pattern;
    return 0;
}

/* Trains on the corpus and writes the vocabulary to out: 0, or -1 with err. */
static int train_and_write(const Corpus *corpus, int vocab, int pattern, const char *out,
                           char *err) {
    Tokenizer *t = bpe_train_log((const char *const *)corpus->data, corpus->lens, corpus->n, vocab,
                                 pattern, stderr, err);
    if (!t) return -1;
    GGUFWriter *w = gguf_writer_new();
    tokenizer_add_to_writer(w, t);
    int wr = gguf_writer_write(w, out, err);
    gguf_writer_free(w);
    if (wr == 0)
        fprintf(stderr, "train-tokenizer: wrote %s (%d tokens, pattern %s)\n", out,
                tokenizer_vocab_size(t), pretok_pattern_name(pattern));
    tokenizer_free(t);
    return wr;
}

int cli_train_tokenizer(int argc, char **argv) {
    int vocab = -1, pattern = PRETOK_GPT2;
    const char *out = NULL;
    const Option opts[] = {
        OPTION_INT("--vocab", &vocab, 257, 1 << 24),
        OPTION_CALL("--pattern", &pattern, parse_pattern),
        OPTION_STRING("-o", "--output", &out),
    };
    static const char *const names[] = {"CORPUS (text files or @LIST)"};
    const OptionSpec spec = {
        "train-tokenizer", TRAIN_TOKENIZER_USAGE, opts, OPTIONS_COUNT(opts), names, 0, -1};
    const char **files = gb_malloc((size_t)argc * sizeof *files);
    int n_files, r = options_parse(&spec, argc, argv, files, &n_files);
    const char *missing = NULL;
    if (r == OPTIONS_RUN && vocab < 0)
        missing = "--vocab N is required";
    else if (r == OPTIONS_RUN && !out)
        missing = "-o FILE is required";
    else if (r == OPTIONS_RUN && n_files == 0)
        missing = "no corpus files given";
    if (missing) {
        fprintf(stderr, "glassbox: train-tokenizer: %s (see glassbox train-tokenizer --help)\n",
                missing);
        r = GB_EXIT_USAGE;
    }
    if (r != OPTIONS_RUN) {
        free(files);
        return r;
    }
    char err[GB_ERRLEN];
    Corpus corpus = {0};
    r = GB_EXIT_OK;
    for (int i = 0; i < n_files && r == GB_EXIT_OK; i++)
        if ((files[i][0] == '@' ? corpus_add_list(&corpus, files[i] + 1, err)
                                : corpus_add_file(&corpus, files[i], err)) != 0)
            r = GB_EXIT_USAGE;
    if (r == GB_EXIT_OK && train_and_write(&corpus, vocab, pattern, out, err) != 0)
        r = GB_EXIT_USAGE;
    if (r != GB_EXIT_OK) fprintf(stderr, "glassbox: train-tokenizer: %s\n", err);
    for (size_t i = 0; i < corpus.n; i++)
        free(corpus.data[i]);
    free(corpus.data);
    free(corpus.lens);
    free(files);
    return r;
}
