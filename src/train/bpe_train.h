/* Training a byte-level BPE vocabulary: pre-tokenize a corpus with one of the split patterns, then
 * repeatedly merge the most frequent adjacent pair of tokens inside the chunks. */
#ifndef GB_BPE_TRAIN_H
#define GB_BPE_TRAIN_H

#include <stddef.h>
#include <stdio.h>

#include "tokenizer.h"

/* Trains on n_texts texts (texts[i] of lens[i] bytes, any bytes). The vocabulary is the 256 single
 * bytes (id = byte), then one token per merge in merge order, then "<|endoftext|>" as the last id
 * (special; bos = eos = it): vocab_size ids in all, fewer only when the corpus runs out of pairs.
 * The most frequent pair wins; ties go to the pair with the smaller ids (left, then right).
 * Returns NULL with err set on bad arguments. */
Tokenizer *bpe_train(const char *const *texts, const size_t *lens, size_t n_texts, int vocab_size, int pattern,
                     char *err);
/* The same, reporting progress (merges per second, the latest merges) to log when it is not NULL. */
Tokenizer *bpe_train_log(const char *const *texts, const size_t *lens, size_t n_texts, int vocab_size,
                         int pattern, FILE *log, char *err);

#endif
