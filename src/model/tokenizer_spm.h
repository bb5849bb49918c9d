/* SentencePiece (tokenizer.ggml.model = "llama") vocabularies and their merge algorithm, as llama.cpp's
 * llm_tokenizer_spm runs them: internal to the tokenizer (tokenizer.c owns the Tokenizer around it). */
#ifndef GB_TOKENIZER_SPM_H
#define GB_TOKENIZER_SPM_H

#include <stddef.h>
#include <stdint.h>

/* GGUF token types (tokenizer.ggml.token_type). */
enum { TT_UNDEFINED = 0, TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

typedef struct SpmVocab SpmVocab;

/* Builds the vocabulary from n pieces as the file spells them (U+2581 for a space, "<0xAB>" for byte
 * tokens), their scores and their types. Returns NULL with err set (duplicate or empty piece). */
SpmVocab *spm_new(const char *name, int n, const char *const *texts, const size_t *lens, const float *scores,
                  const uint8_t *types, char *err);
void spm_free(SpmVocab *v);

/* Receives each token of an encoded fragment and the bytes [start, end) of the input it covers. */
typedef int (*SpmEmitFn)(void *ctx, int32_t id, size_t start, size_t end);

/* Encodes text[0, len), which lies at offset base of the input: spaces become U+2581 (and one is put in
 * front when add_prefix), then the pair whose merge is the highest-scoring piece merges first (leftmost
 * on ties), and a character that no piece covers falls back to its byte tokens (or unk). */
int spm_encode(const SpmVocab *v, const char *text, size_t len, size_t base, int add_prefix, int32_t unk,
               SpmEmitFn emit, void *ctx, char *err);

/* The piece as the file spells it. */
const char *spm_text(const SpmVocab *v, int32_t id, size_t *len);
float spm_score(const SpmVocab *v, int32_t id);
/* Id of the piece spelled (s, len) exactly, or -1. */
int32_t spm_find(const SpmVocab *v, const char *s, size_t len);
/* The byte token <0xAB> of a byte (or the one-byte piece), -1 when there is neither. */
int32_t spm_byte_token(const SpmVocab *v, uint8_t b);
/* The bytes a token stands for, written to out (at least spm_text's length + 1 bytes): U+2581 as a
 * space, a byte token as its byte, control and user-defined pieces as they are spelt. */
size_t spm_piece_bytes(const SpmVocab *v, int32_t id, int type, char *out);

#endif
