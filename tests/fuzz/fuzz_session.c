/* The command language run for real: each input line is parsed and applied to a session on a tiny
 * model (tests/fuzz/corpus/fuzz_gguf/tiny-f32.gguf), as the TUI's prompt and lesson scenes do. Any
 * command with any argument either works or gives an error; afterwards the session is consistent:
 * tokens cover the text exactly, positions stay inside the context, and the views' data (attention
 * rows, neighbours, the PCA map, token labels) can be read for the focused token. `model` (other
 * files), `step N` beyond 64 (time) and the UI-only commands are skipped. */
#include <string.h>

#include "commands.h"
#include "fuzz.h"
#include "session.h"
#include "util.h"

#ifndef GB_ASSETS_DIR
#define GB_ASSETS_DIR "assets"
#endif

static Session g_session;
static int g_open;

static void reset(Session *s) {
    char err[GB_ERRLEN];
    session_set_temp(s, 1.0f, err);
    session_set_topk(s, 0, err);
    session_set_topp(s, 1.0f, err);
    session_set_seed(s, 1);
    session_set_layer(s, 0, err);
    session_set_head(s, 0, err);
    if (session_set_prompt(s, "x", 1, err) != 0) fuzz_fail("the reset prompt failed");
    session_select(s, -1, err);
}

static void check_consistent(Session *s) {
    const Config *c = &s->model.config;
    if (s->n_tokens < 0 || s->n_tokens > c->seq_len || s->n_prompt > s->n_tokens)
        fuzz_fail("token count outside the context");
    uint32_t at = 0;
    for (int i = 0; i < s->n_tokens; i++) {
        const SessionToken *t = &s->tokens[i];
        if (t->id < 0 || t->id >= c->vocab_size) fuzz_fail("a token id outside the vocabulary");
        if (t->start != at || t->end < t->start || t->end > s->text_len) fuzz_fail("token spans do not tile the text");
        size_t len;
        const char *b = tokenizer_token_bytes(s->tok, t->id, &len);
        size_t span = t->end - t->start;
        if (!b) fuzz_fail("a token without bytes");
        if (span == 0 && !tokenizer_is_special(s->tok, t->id)) fuzz_fail("a normal token covers no text");
        if (span != 0 && (len != span || memcmp(b, s->text + t->start, len) != 0))
            fuzz_fail("a token's bytes differ from the text it covers");
        at = t->end;
    }
    if (at != s->text_len) fuzz_fail("the tokens stop before the end of the text");
    int sel = session_selected(s);
    if (sel >= s->n_tokens) fuzz_fail("the selection is past the last token");
    if (sel >= 0) {
        const float *row = session_attention_row(s, s->layer, s->head, sel);
        float sum = 0;
        for (int k = 0; row && k <= sel; k++) sum += row[k];
        (void)sum;
        int32_t ids[8];
        float sims[8];
        int n = session_neighbours(s, s->tokens[sel].id, 8, ids, sims);
        for (int k = 0; k < n; k++)
            if (ids[k] < 0 || ids[k] >= c->vocab_size) fuzz_fail("a neighbour outside the vocabulary");
        char label[64];
        session_token_label(s, s->tokens[sel].id, label, sizeof label);
    }
    (void)session_char_count(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char err[GB_ERRLEN];
    if (!g_open) {
        const char *path = GB_ASSETS_DIR "/../tests/fuzz/corpus/fuzz_gguf/tiny-f32.gguf";
        if (session_open(&g_session, path, 0, err) != 0) {
            fprintf(stderr, "%s\n", err);
            fuzz_fail("fuzz_session: the tiny model does not open");
        }
        g_open = 1;
    }
    Session *s = &g_session;
    reset(s);
    char *text = gb_malloc(size + 1); /* (size + 1) the input, lines NUL-terminated in place */
    memcpy(text, data, size);
    text[size] = 0;
    int lines = 0;
    for (char *line = text; line && lines < 32; lines++) {
        char *nl = memchr(line, '\n', strlen(line));
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
    if (s->has_model) (void)session_pca(s);
    free(text);
    return 0;
}
