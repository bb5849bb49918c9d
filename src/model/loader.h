/* The one way a model file is opened with its tokenizer, for every path that runs one (the CLI, the
 * TUI, lessons, replay, export): the weights, the tokenizer from the same GGUF, and the check that the
 * two agree, so no later lookup (an embedding row, a logit, a token's bytes) can fall off a table. */
#ifndef GB_LOADER_H
#define GB_LOADER_H

#include "model.h"
#include "tokenizer.h"

/* Checks that tok fits m: the same number of tokens as rows in the embedding table and the output
 * head, and BOS/EOS inside it. path names the file in the message. Returns 0, or -1 with err. */
int loader_check(const Model *m, const Tokenizer *tok, const char *path, char *err);

/* model_load (max_seq as there, no probes), tokenizer_from_gguf on the same file, loader_check.
 * Returns 0 with *tok owned by the caller, or -1 with err and nothing left to free. */
int loader_open(Model *m, Tokenizer **tok, const char *path, int max_seq, char *err);

#endif
