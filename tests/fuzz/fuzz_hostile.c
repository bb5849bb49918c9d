/* The TUI's command path on hostile models: the first input byte picks a model (context of 1, 2, 3 or
 * 8 positions; 0 to 44 special tokens after the 256 byte tokens; an embedding table with as many rows
 * as tokens, one fewer or one more; 1 or 2 layers and heads), the rest are command lines run as the
 * TUI's prompt runs them (commands_run on a Session). Properties: a model whose tokenizer and
 * embedding table disagree never opens (loader_check); one that opens survives every command with the
 * session consistent and every view's data readable, under ASan and UBSan. Models are written once per
 * choice into a temporary directory and their sessions kept, as the TUI keeps one. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fuzz.h"
#include "gguf.h"
#include "session.h"
#include "tokenizer.h"
#include "util.h"

enum { N_MODELS = 256 };
static Session g_sessions[N_MODELS];
static int g_state[N_MODELS]; /* 0 not tried, 1 open, -1 refused */
static char g_dir[64];

typedef struct {
    int ctx, extra, rows_delta, layers, heads;
} Choice;

static Choice choose(uint8_t b) {
    static const int ctxs[4] = {1, 2, 3, 8}, extras[4] = {0, 1, 5, 44}, deltas[4] = {0, 0, -1, 1};
    return (Choice){ctxs[b & 3], extras[(b >> 2) & 3], deltas[(b >> 4) & 3], 1 + ((b >> 6) & 1), 1 + (b >> 7)};
}

static uint32_t g_lcg = 1;
static float next_weight(void) {
    g_lcg = g_lcg * 1103515245u + 12345u;
    return ((float)(g_lcg >> 8) / 16777216.0f - 0.5f) * 0.2f;
}

static void add_tensor(GGUFWriter *w, const char *name, uint64_t cols, uint64_t rows, int ones) {
    size_t n = (size_t)(cols * (rows ? rows : 1));
    float *v = gb_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = ones ? 1.0f : next_weight();
    uint64_t ne[2] = {cols, rows};
    gguf_writer_add_tensor(w, name, GGML_TYPE_F32, rows ? 2 : 1, ne, v);
    free(v);
}

/* Writes the model of choice c to path. */
static void write_model(const Choice *c, const char *path) {
    enum { DIM = 8 };
    int n_tok = 256 + c->extra, rows = n_tok + c->rows_delta;
    GGUFWriter *w = gguf_writer_new();
    gguf_writer_set_string(w, "general.architecture", "llama");
    gguf_writer_set_string(w, "general.name", "hostile");
    gguf_writer_set_u32(w, "llama.context_length", (uint32_t)c->ctx);
    gguf_writer_set_u32(w, "llama.embedding_length", DIM);
    gguf_writer_set_u32(w, "llama.block_count", (uint32_t)c->layers);
    gguf_writer_set_u32(w, "llama.feed_forward_length", 2 * DIM);
    gguf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)c->heads);
    gguf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)c->heads);
    const char **strs = gb_malloc((size_t)n_tok * sizeof *strs);
    size_t *lens = gb_malloc((size_t)n_tok * sizeof *lens);
    int32_t *types = gb_malloc((size_t)n_tok * sizeof *types);
    char (*specials)[16] = gb_malloc((size_t)(c->extra + 1) * sizeof *specials);
    for (int i = 0; i < n_tok; i++) {
        if (i < 256) {
            strs[i] = bpe_byte_to_unicode((uint8_t)i);
            types[i] = 1;
        } else {
            snprintf(specials[i - 256], sizeof specials[0], "<|s%d|>", i - 256);
            strs[i] = specials[i - 256];
            types[i] = 3;
        }
        lens[i] = strlen(strs[i]);
    }
    gguf_writer_set_string(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_set_array_strings(w, "tokenizer.ggml.tokens", strs, lens, (uint64_t)n_tok);
    gguf_writer_set_array_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n_tok);
    if (c->extra) {
        gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)(n_tok - 1));
        gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(n_tok - 1));
    }
    add_tensor(w, "token_embd.weight", DIM, (uint64_t)rows, 0);
    char name[64];
    for (int l = 0; l < c->layers; l++) {
        static const char *const mats[] = {"attn_q", "attn_k", "attn_v", "attn_output"};
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        add_tensor(w, name, DIM, 0, 1);
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, mats[k]);
            add_tensor(w, name, DIM, DIM, 0);
        }
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        add_tensor(w, name, DIM, 0, 1);
        snprintf(name, sizeof name, "blk.%d.ffn_gate.weight", l);
        add_tensor(w, name, DIM, 2 * DIM, 0);
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", l);
        add_tensor(w, name, DIM, 2 * DIM, 0);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l);
        add_tensor(w, name, 2 * DIM, DIM, 0);
    }
    add_tensor(w, "output_norm.weight", DIM, 0, 1);
    char err[GB_ERRLEN];
    if (gguf_writer_write(w, path, err) != 0) {
        fprintf(stderr, "%s\n", err);
        fuzz_fail("fuzz_hostile: cannot write the model");
    }
    gguf_writer_free(w);
    free(strs);
    free(lens);
    free(types);
    free(specials);
}

static void cleanup(void) {
    for (int i = 0; i < N_MODELS; i++)
        if (g_state[i] == 1) session_free(&g_sessions[i]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (g_dir[0] && system(cmd) != 0) fprintf(stderr, "fuzz_hostile: could not remove %s\n", g_dir);
}

/* The session of choice b, opened on first use; NULL when the loader refused the model (as it must
 * exactly when tokens and rows disagree). */
static Session *session_for(uint8_t b) {
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof g_dir, "/tmp/glassbox-fuzz-hostile-XXXXXX");
        if (!mkdtemp(g_dir)) fuzz_fail("fuzz_hostile: no temporary directory");
        atexit(cleanup);
    }
    if (g_state[b] == 0) {
        Choice c = choose(b);
        char path[128], err[GB_ERRLEN];
        snprintf(path, sizeof path, "%s/m%03d.gguf", g_dir, b);
        write_model(&c, path);
        int rc = session_open(&g_sessions[b], path, 0, err);
        if ((rc == 0) != (c.rows_delta == 0)) {
            fprintf(stderr, "model %d: %s\n", b, rc ? err : "opened");
            fuzz_fail("the loader's verdict does not match the tokenizer/embedding agreement");
        }
        g_state[b] = rc == 0 ? 1 : -1;
    }
    return g_state[b] == 1 ? &g_sessions[b] : NULL;
}

static void check_consistent(Session *s) {
    const Config *c = &s->model.config;
    if (s->n_tokens < 0 || s->n_tokens > c->seq_len || s->n_prompt > s->n_tokens)
        fuzz_fail("token count outside the context");
    uint32_t at = 0;
    for (int i = 0; i < s->n_tokens; i++) {
        const SessionToken *t = &s->tokens[i];
        if (t->id < 0 || t->id >= c->vocab_size) fuzz_fail("a token id outside the vocabulary");
        size_t len;
        if (!tokenizer_token_bytes(s->tok, t->id, &len)) fuzz_fail("a token without bytes");
        if (t->start != at || t->end < t->start || t->end > s->text_len) fuzz_fail("token spans do not tile the text");
        at = t->end;
    }
    if (at != s->text_len) fuzz_fail("the tokens stop before the end of the text");
    int sel = session_selected(s);
    if (sel >= s->n_tokens) fuzz_fail("the selection is past the last token");
    if (sel >= 0) {
        const float *row = session_attention_row(s, s->layer, s->head, sel);
        volatile float sum = 0;
        for (int k = 0; row && k <= sel; k++) sum += row[k];
        int32_t ids[8];
        float sims[8];
        int n = session_neighbours(s, s->tokens[sel].id, 8, ids, sims);
        for (int k = 0; k < n; k++)
            if (ids[k] < 0 || ids[k] >= c->vocab_size) fuzz_fail("a neighbour outside the vocabulary");
        char label[64];
        session_token_label(s, s->tokens[sel].id, label, sizeof label);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    Session *s = session_for(data[0]);
    if (!s) return 0;
    char err[GB_ERRLEN];
    session_set_temp(s, 1.0f, err);
    session_set_seed(s, 1);
    session_set_layer(s, 0, err);
    session_set_head(s, 0, err);
    session_select(s, -1, err);
    if (session_set_prompt(s, "", 0, err) != 0 && session_set_prompt(s, "x", 1, err) != 0)
        fuzz_fail("fuzz_hostile: neither an empty nor a one-byte prompt fits");
    char *text = gb_malloc(size); /* the command lines, NUL-terminated in place */
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    int lines = 0;
    for (char *line = text; line && lines < 32; lines++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        Command cmd;
        if (commands_parse(line, &cmd, err) == 0) {
            int skip = cmd.id == CMD_MODEL || cmd.id == CMD_QUIT || cmd.id == CMD_HELP ||
                       ((cmd.id == CMD_STEP || cmd.id == CMD_BACK) && cmd.inum > 64);
            if (!skip) {
                err[0] = 0;
                CommandResult r = commands_run(s, &cmd, err);
                if (r == CMDR_ERROR && !err[0]) fuzz_fail("a command failed without a message");
                check_consistent(s);
            }
            command_free(&cmd);
        }
        line = nl ? nl + 1 : NULL;
    }
    (void)session_pca(s);
    free(text);
    return 0;
}
