#include "loader.h"

#include <string.h>

#include "util.h"

int loader_check(const Model *m, const Tokenizer *tok, const char *path, char *err) {
    int rows = m->config.vocab_size, n = tokenizer_vocab_size(tok);
    /* more tokens than rows: encoding a late token reads past the embedding table (and the views'
     * neighbours past every per-token array); fewer: the model can sample ids with no bytes */
    if (n != rows) {
        gb_seterr(err, "%s: the tokenizer has %d tokens but the embedding table %d rows (token_embd.weight)",
                  path, n, rows);
        return -1;
    }
    int32_t bos = tokenizer_bos(tok), eos = tokenizer_eos(tok);
    if (bos >= rows || eos >= rows) {
        gb_seterr(err, "%s: the BOS/EOS token id (%d/%d) is outside the vocabulary of %d", path, bos, eos, rows);
        return -1;
    }
    return 0;
}

int loader_open(Model *m, Tokenizer **tok, const char *path, int max_seq, char *err) {
    *tok = NULL;
    if (model_load(m, path, max_seq, err) != 0) return -1;
    Tokenizer *t = tokenizer_from_gguf(&m->file, err);
    if (!t || loader_check(m, t, path, err) != 0) {
        if (t) tokenizer_free(t);
        model_free(m);
        return -1;
    }
    *tok = t;
    return 0;
}
