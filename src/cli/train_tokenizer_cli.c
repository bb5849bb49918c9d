/* `glassbox train-tokenizer`: reads the corpus (files, or @LIST) and writes the byte-level BPE
 * vocabulary that src/train/bpe_train.c learns from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_train.h"
#include "cli.h"
#include "files.h"
#include "util.h"

static int usage(const char *msg) {
    fprintf(stderr,
            "glassbox train-tokenizer: %s\n"
            "usage: glassbox train-tokenizer --vocab N --pattern gpt2|cl100k|o200k -o FILE.gguf CORPUS...\n"
            "  CORPUS: text files, or @LIST for a file that names one file per line\n",
            msg);
    return GB_EXIT_USAGE;
}

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

int cli_train_tokenizer(int argc, char **argv) {
    int vocab = -1, pattern = -1;
    const char *out = NULL;
    char err[GB_ERRLEN];
    Corpus corpus = {0};
    int rc = GB_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--vocab") == 0 || strcmp(a, "--pattern") == 0 || strcmp(a, "-o") == 0) && i + 1 >= argc) {
            gb_seterr(err, "%s needs a value", a);
            goto bad;
        }
        if (strcmp(a, "--vocab") == 0) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 257 || v > (1 << 24)) {
                gb_seterr(err, "--vocab %s: expected a whole number from 257 to 16777216", argv[i]);
                goto bad;
            }
            vocab = (int)v;
        } else if (strcmp(a, "--pattern") == 0) {
            pattern = pretok_pattern_from_name(argv[++i]);
            if (pattern < 0) {
                gb_seterr(err, "--pattern %s: expected gpt2, cl100k or o200k", argv[i]);
                goto bad;
            }
        } else if (strcmp(a, "-o") == 0) {
            out = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage("train a byte-level BPE vocabulary");
            rc = GB_EXIT_OK;
            goto done;
        } else if (a[0] == '-' && a[1]) {
            gb_seterr(err, "unknown option %s", a);
            goto bad;
        } else if (a[0] == '@') {
            if (corpus_add_list(&corpus, a + 1, err)) goto failed;
        } else {
            if (corpus_add_file(&corpus, a, err)) goto failed;
        }
    }
    if (vocab < 0) {
        gb_seterr(err, "--vocab N is required");
        goto bad;
    }
    if (pattern < 0) pattern = PRETOK_GPT2;
    if (!out) {
        gb_seterr(err, "-o FILE is required");
        goto bad;
    }
    if (corpus.n == 0) {
        gb_seterr(err, "no corpus files given");
        goto bad;
    }
    {
        Tokenizer *t = bpe_train_log((const char *const *)corpus.data, corpus.lens, corpus.n, vocab, pattern, stderr, err);
        if (!t) goto failed;
        GGUFWriter *w = gguf_writer_new();
        tokenizer_add_to_writer(w, t);
        int wr = gguf_writer_write(w, out, err);
        gguf_writer_free(w);
        if (wr == 0)
            fprintf(stderr, "train-tokenizer: wrote %s (%d tokens, pattern %s)\n", out, tokenizer_vocab_size(t),
                    pretok_pattern_name(pattern));
        tokenizer_free(t);
        if (wr) goto failed;
    }
    rc = GB_EXIT_OK;
    goto done;
bad:
    usage(err);
    goto done;
failed:
    fprintf(stderr, "glassbox train-tokenizer: %s\n", err);
    rc = GB_EXIT_USAGE;
done:
    for (size_t i = 0; i < corpus.n; i++) free(corpus.data[i]);
    free(corpus.data);
    free(corpus.lens);
    return rc;
}
