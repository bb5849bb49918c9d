/* Byte-level BPE: GPT-2's byte-to-unicode vocabulary and merges from GGUF, or OpenAI `.tiktoken`
 * rank files; PCRE2 pre-tokenization with the GPT-2, cl100k (llama-3) or o200k split pattern.
 * Any byte string, invalid UTF-8 included, encodes and decodes back to itself. */
#ifndef GB_TOKENIZER_H
#define GB_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

typedef enum {
    PRETOK_GPT2 = 0,   /* r50k / GPT-2: 's|'t|... ?\p{L}+| ?\p{N}+|... */
    PRETOK_CL100K = 1, /* cl100k_base, also llama-3 ("llama-bpe") */
    PRETOK_O200K = 2,  /* o200k_base */
} PretokPattern;

/* One token of an encoded text: its id and the byte span [start, end) of the input it covers. */
typedef struct {
    int32_t id;
    uint32_t start;
    uint32_t end;
} TokenSpan;

typedef struct Tokenizer Tokenizer; /* opaque; see tokenizer.c */

/* From a GGUF file's tokenizer.ggml.* keys (model "gpt2"): tokens, merges, token_type, pre, bos/eos. */
Tokenizer *tokenizer_from_gguf(const GGUFFile *f, char *err);
/* From a .tiktoken rank file. pattern < 0 picks it from the file name (r50k/gpt2, cl100k, o200k). */
Tokenizer *tokenizer_from_tiktoken(const char *path, int pattern, char *err);
/* From a NAME the project ships (gpt2, r50k_base, cl100k_base, o200k_base: looked up in
 * assets/tokenizers/) or a path to a .tiktoken file. */
Tokenizer *tokenizer_open_named(const char *name_or_path, char *err);
void tokenizer_free(Tokenizer *t);

/* Encodes len bytes. *out is malloc'ed (free it); returns the token count, or -1 with err set.
 * Special tokens are never produced from text. */
int tokenizer_encode(const Tokenizer *t, const char *text, size_t len, TokenSpan **out, char *err);
/* Appends the bytes of tokens to a malloc'ed buffer; returns its length (ids out of range: -1). */
long tokenizer_decode(const Tokenizer *t, const int32_t *ids, size_t n, char **out);

int tokenizer_vocab_size(const Tokenizer *t);
/* Raw bytes of a token (not the byte-to-unicode form); NULL for an id out of range. */
const char *tokenizer_token_bytes(const Tokenizer *t, int32_t id, size_t *len);
/* Id of the token whose bytes are exactly (s, len), or -1. */
int32_t tokenizer_find(const Tokenizer *t, const char *s, size_t len);
int32_t tokenizer_bos(const Tokenizer *t); /* -1 when the vocabulary has none */
int32_t tokenizer_eos(const Tokenizer *t);
int tokenizer_pattern(const Tokenizer *t); /* PretokPattern */
const char *pretok_pattern_name(int pattern); /* "gpt2", "cl100k", "o200k" */
/* Parses "gpt2"/"gpt-2"/"r50k", "cl100k"/"llama-bpe"/"llama3", "o200k"; -1 if unknown. */
int pretok_pattern_from_name(const char *name);

/* GPT-2's byte-to-unicode mapping: the UTF-8 form of byte b as it appears in a GGUF vocabulary. */
const char *bpe_byte_to_unicode(uint8_t b);

/* Token text made printable for display: space as ·, tab as →, newline as ⏎, other control bytes and
 * invalid UTF-8 as <0xNN>. Writes into out (size outsz), returns out. */
char *token_display(const char *bytes, size_t len, char *out, size_t outsz);

#endif
