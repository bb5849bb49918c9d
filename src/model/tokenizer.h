/* Byte-level BPE: GPT-2's byte-to-unicode vocabulary and merges from GGUF, or OpenAI `.tiktoken`
 * rank files; PCRE2 pre-tokenization with the GPT-2, cl100k (llama-3) or o200k split pattern, or any
 * of llama.cpp's BPE pre-tokenizers (tokenizer.ggml.pre: smollm, qwen2, deepseek-coder, ...).
 * SentencePiece (tokenizer.ggml.model "llama": scores, U+2581 for spaces, byte fallback), as llama.cpp
 * runs it. Special tokens in the text are found first, as llama.cpp's parse_special does.
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
    /* llama.cpp's other BPE pre-tokenizers (tokenizer.ggml.pre; the regexes are in pretok.c) */
    PRETOK_DEFAULT = 3,        /* "default": punctuation runs, GPT-2, digit runs, then digits in threes */
    PRETOK_STARCODER = 4,      /* starcoder, smollm, refact, ...: each digit alone, then GPT-2 */
    PRETOK_QWEN2 = 5,          /* qwen2, stablelm2: cl100k with each digit alone */
    PRETOK_DEEPSEEK_CODER = 6, /* newlines, letters, punctuation, CJK, digits: five regexes in turn */
    PRETOK_DEEPSEEK_LLM = 7,
    PRETOK_DEEPSEEK3 = 8,
    PRETOK_FALCON = 9,
    PRETOK_BLOOM = 10, /* bloom, poro-chat, gpt3-finnish */
    PRETOK_VIKING = 11,
    PRETOK_SPM = 12, /* SentencePiece: no regex (each fragment is one chunk) */
    PRETOK_COUNT
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
/* The same over len bytes in memory (tests, fuzzing); path names it in messages and, when pattern < 0,
 * tells the family as the file name would. */
Tokenizer *tokenizer_from_tiktoken_memory(const char *path, const char *data, size_t len, int pattern,
                                          char *err);
/* From a NAME the project ships (gpt2, r50k_base, cl100k_base, o200k_base: looked up in
 * assets/tokenizers/), a path to a .tiktoken file, or a path ending in .gguf (its vocabulary). */
Tokenizer *tokenizer_open_named(const char *name_or_path, char *err);
void tokenizer_free(Tokenizer *t);

/* Encodes len bytes. *out is malloc'ed (free it); returns the token count, or -1 with err set.
 * Control and unknown tokens are never produced from text; user-defined ones (token_type 4) are, where
 * their text occurs (llama.cpp matches them before anything else too). For SentencePiece the first
 * token's span covers the text without the space put in front. */
int tokenizer_encode(const Tokenizer *t, const char *text, size_t len, TokenSpan **out, char *err);
/* The same with flags: TOKENIZE_SPECIAL, control and unknown tokens' texts become those tokens too
 * (llama.cpp's parse_special, node-llama-cpp's tokenize(text, true)); TOKENIZE_CONTINUATION, the text
 * continues other text (a continuation to score, a choice after a prompt): SentencePiece puts no space
 * in front of it. */
enum { TOKENIZE_SPECIAL = 1, TOKENIZE_CONTINUATION = 2 };
int tokenizer_encode_ex(const Tokenizer *t, const char *text, size_t len, int flags, TokenSpan **out, char *err);
/* Appends the bytes of tokens to a malloc'ed buffer; returns its length (ids out of range: -1).
 * SentencePiece: the space encoding put in front of the text (and after each special token) is taken
 * off again, so decode(encode(x)) == x. */
long tokenizer_decode(const Tokenizer *t, const int32_t *ids, size_t n, char **out);

int tokenizer_vocab_size(const Tokenizer *t);
/* Raw bytes of a token (not the byte-to-unicode form; for SentencePiece, U+2581 as a space and a byte
 * token <0xAB> as its byte); NULL for an id out of range. An id inside the
 * range that no token uses (cl100k's 100256, say) has no bytes: "" with *len 0 (decode rejects it). */
const char *tokenizer_token_bytes(const Tokenizer *t, int32_t id, size_t *len);
/* Id of the token whose bytes are exactly (s, len), or -1. */
int32_t tokenizer_find(const Tokenizer *t, const char *s, size_t len);
int32_t tokenizer_bos(const Tokenizer *t); /* -1 when the vocabulary has none */
/* The token every prompt starts with: BOS when the vocabulary has one, unless the file says
 * tokenizer.ggml.add_bos_token = false; else -1. The one rule for the CLI, the TUI and eval (our
 * models are trained on documents separated by <|endoftext|>, so it is the context they expect). */
int32_t tokenizer_prompt_bos(const Tokenizer *t);
/* Encodes a prompt as the model reads it: tokenizer_prompt_bos in front (when there is one), then the
 * text's tokens. *ids is malloc'ed (free it); returns the count, or -1 with err set. */
int tokenizer_encode_prompt(const Tokenizer *t, const char *text, size_t len, int32_t **ids, char *err);
int32_t tokenizer_eos(const Tokenizer *t);
int tokenizer_pattern(const Tokenizer *t); /* PretokPattern */
const char *pretok_pattern_name(int pattern); /* "gpt2", "cl100k", "o200k", "starcoder", ... */
/* Parses a short name (pretok_pattern_name's), "r50k", "cl100k_base", ..., or any tokenizer.ggml.pre
 * name llama.cpp knows that glassbox supports ("llama-bpe", "smollm", ...); -1 if unknown. */
int pretok_pattern_from_name(const char *name);
/* The pattern of a tokenizer.ggml.pre name (len bytes, not NUL-terminated), -1 when unsupported;
 * *ignore_merges (may be NULL) tells whether a chunk that is a token is taken whole (llama-bpe). */
int pretok_from_gguf_pre(const char *s, size_t len, int *ignore_merges);
/* The tokenizer.ggml.pre name the writer uses for a pattern. */
const char *pretok_gguf_name(int pattern);
/* The supported tokenizer.ggml.pre names, for messages and the help. */
const char *pretok_supported_names(void);

/* GPT-2's byte-to-unicode mapping: the UTF-8 form of byte b as it appears in a GGUF vocabulary. */
const char *bpe_byte_to_unicode(uint8_t b);

/* Token text made printable for display: space as ·, tab as →, newline as ⏎, other control bytes and
 * invalid UTF-8 as <0xNN>. Writes into out (size outsz), returns out. */
char *token_display(const char *bytes, size_t len, char *out, size_t outsz);

/* True for a special token: control (<|endoftext|>, <s>: decodable, produced from text only with
 * TOKENIZE_SPECIAL), unknown, unused or user-defined (found in text wherever it occurs). */
int tokenizer_is_special(const Tokenizer *t, int32_t id);
/* SentencePiece (tokenizer.ggml.model "llama") rather than byte-level BPE. */
int tokenizer_is_sentencepiece(const Tokenizer *t);
/* SentencePiece with add_space_prefix: a space is put in front of the text. */
int tokenizer_adds_space_prefix(const Tokenizer *t);
/* GGUF token type of an id (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte); -1 out of
 * range. */
int tokenizer_token_type(const Tokenizer *t, int32_t id);
/* SentencePiece score of a piece (0 for BPE). */
float tokenizer_token_score(const Tokenizer *t, int32_t id);
/* Number of merge rules (GGUF-style tokenizers; 0 for a tiktoken rank file). */
size_t tokenizer_n_merges(const Tokenizer *t);

/* The merge of two adjacent parts, as the engine sees it: its rank (the merge rule's index, or for a
 * tiktoken vocabulary the id of the concatenated token) and *result, the merged id; -1 when the pair
 * does not merge (or an id is not a normal token). Lower ranks merge first, leftmost on ties. */
int32_t tokenizer_pair_rank(const Tokenizer *t, int32_t left, int32_t right, int32_t *result);
/* True when a chunk that is itself a token becomes that token without merging (tiktoken, llama-bpe). */
int tokenizer_takes_whole_chunks(const Tokenizer *t);

/* Builds a byte-level BPE tokenizer from raw token bytes (not the byte-to-unicode form).
 * special[i] (may be NULL: none) marks tokens never produced from text. merges holds n_merges pairs
 * of ids (left, right) in rank order; each must merge into the token whose bytes are the
 * concatenation. name prefixes error messages. bos/eos may be -1. */
Tokenizer *tokenizer_from_merges(const char *name, int n_tokens, const char *const *bytes,
                                 const size_t *lens, const uint8_t *special, const int32_t *merges,
                                 size_t n_merges, int pattern, int32_t bos, int32_t eos, char *err);

/* A SentencePiece tokenizer from n pieces as a GGUF file spells them (U+2581 for a space, "<0xAB>"
 * for byte tokens), their scores (may be NULL: all 0) and token types. unk may be -1. */
Tokenizer *tokenizer_from_spm(const char *name, int n, const char *const *texts, const size_t *lens,
                              const float *scores, const uint8_t *types, int32_t bos, int32_t eos, int32_t unk,
                              int add_space_prefix, char *err);
/* A SentencePiece vocabulary made from a byte-level BPE one: <unk> <s> </s> and the 256 byte tokens
 * (llama's layout), then each token that is whole UTF-8 text, spaces as U+2581, scored -id. */
Tokenizer *tokenizer_to_spm(const Tokenizer *bpe, char *err);
/* Switches a BPE tokenizer to another pre-tokenizer (a tokenizer.ggml.pre name, written back as it is,
 * or a short name). Returns 0, or -1 with err set. */
int tokenizer_set_pretokenizer(Tokenizer *t, const char *name, char *err);

/* Writes tokenizer.ggml.{model,pre,tokens,token_type,merges,bos_token_id,eos_token_id}: tokens and
 * merges in GPT-2's byte-to-unicode form, merges in rank order (derived from the ranks for a tiktoken
 * vocabulary), special tokens as their text with token_type 3 (control). */
void tokenizer_add_to_writer(GGUFWriter *w, const Tokenizer *t);

/* Chunks of at most n bytes are merged by a simple scan, longer ones by the heap engine (both give
 * the same tokens; exposed so tests can compare them). Default 16; 0 forces the heap. */
void tokenizer_set_small_chunk_limit(Tokenizer *t, int n);

/* ---- pre-tokenization ----
 * Splits text into chunks with the pattern's regex. Invalid UTF-8 never reaches the regex: the text
 * is cut into maximal valid runs, and each run of invalid bytes becomes one chunk of its own. The
 * chunks cover the text exactly, in order. */
typedef struct Pretokenizer Pretokenizer;
Pretokenizer *pretok_new(int pattern, char *err);
void pretok_free(Pretokenizer *p);
/* Calls fn(ctx, start, end) for each chunk [start, end); fn returning nonzero stops (returns -1). */
typedef int (*PretokChunkFn)(void *ctx, size_t start, size_t end);
int pretok_each(const Pretokenizer *p, const char *text, size_t len, PretokChunkFn fn, void *ctx,
                char *err);
/* One-shot split: *ends (malloc'ed) receives the end offset of each chunk; returns the count or -1. */
long pretokenize(int pattern, const char *text, size_t len, size_t **ends, char *err);
/* The regex of a pattern, as given to PCRE2 (the first, for a pattern of several; NULL for none). */
const char *pretok_pattern_regex(int pattern);
/* The NULL-terminated list of a pattern's regexes, applied in sequence; returns their count, or -1. */
int pretok_pattern_regexes(int pattern, const char *const **regexes);

#endif
