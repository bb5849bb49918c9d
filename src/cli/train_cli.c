/* `glassbox train`: its options, the loop that trains, checkpoints and evaluates, and the GGUF it
 * writes. The trainer itself (forward, backward, AdamW, data, checkpoint) is src/train/train.c. */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"
#include "gguf.h"
#include "tokenizer.h"
#include "train.h"
#include "util.h"

/* The one mutable global: set by the signal handler, read between steps. */
static volatile sig_atomic_t stop_signal = 0;
static void on_stop_signal(int sig) {
    stop_signal = sig;
}

static void train_usage(FILE *f) {
    fprintf(
        f,
        "usage: glassbox train --tokenizer VOCAB.gguf --train FILE|@LIST --heldout "
        "FILE|@LIST -o OUT.gguf\n"
        "  model:    --dim 192 --layers 4 --heads 6 --kv-heads 6 --ffn 512 --ctx 256\n"
        "  budget:   --batch 16  --steps N | --tokens N (default 30M)\n"
        "  optimise: --lr 3e-3 --warmup 200 --seed 1\n"
        "  run:      --eval-every 500 --log-every 10 --threads N (all cores)\n"
        "            --checkpoint FILE (OUT.ckpt) --checkpoint-every-sec 120 --resume\n"
        "            --export: write the checkpoint's weights as they stand (a run in progress)\n"
        "  output:   --type f32|f16|bf16|q8_0\n"
        "A @LIST names one file per line. Documents are separated by the tokenizer's "
        "end-of-text token.\n"
        "SIGINT/SIGTERM finish the step, save the checkpoint and exit (130/143); --resume "
        "continues it\n"
        "to exactly the weights of an uninterrupted run. On a machine shared with other work, "
        "OMP_WAIT_POLICY=passive\nkeeps the threads from stalling each other.\n");
}


static void format_duration(char *out, size_t n, double sec) {
    long s = sec < 0 ? 0 : (long)(sec + 0.5);
    if (s >= 3600)
        snprintf(out, n, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else
        snprintf(out, n, "%ldm%02lds", s / 60, s % 60);
}

/* Parses a positive integer option value (k/M suffixes allowed, as in 15M). */
static int parse_long(const char *opt, const char *s, long *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s && (*end == 'k' || *end == 'K'))
        v *= 1e3, end++;
    else if (end != s && *end == 'M')
        v *= 1e6, end++;
    else if (end != s && (*end == 'G' || *end == 'B'))
        v *= 1e9, end++;
    if (end == s || *end || errno || v < 0 || v > 9e15 || v != (double)(long)v) {
        fprintf(stderr, "glassbox train: %s: '%s' is not a non-negative integer\n", opt, s);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e30) {
        fprintf(stderr, "glassbox train: %s: '%s' is not a non-negative number\n", opt, s);
        return -1;
    }
    *out = (float)v;
    return 0;
}

typedef struct {
    const char *tokenizer, *train, *heldout, *out, *checkpoint, *type;
    long dim, layers, heads, kv_heads, ffn, ctx, batch, steps, tokens, warmup, seed, eval_every,
        log_every, ckpt_sec, threads;
    float lr;
    int resume;
    int export_only; /* --export: write the checkpoint's weights as they stand, no training */
} TrainArgs;

static int parse_train_args(TrainArgs *a, int argc, char **argv) {
    memset(a, 0, sizeof(*a));
    a->dim = 192, a->layers = 4, a->heads = 6, a->kv_heads = -1, a->ffn = 512, a->ctx = 256;
    a->batch = 16, a->warmup = 200, a->seed = 1, a->eval_every = 500, a->log_every = 10;
    a->ckpt_sec = 120, a->lr = 3e-3f, a->type = "f32";
    /* every number has bounds: 0 where it would divide (--log-every) or allocate nothing, and sizes
     * whose buffers could not be allocated, are refused here with the option's name */
    struct {
        const char *name;
        long *v;
        long min, max;
    } longs[] = {{"--dim", &a->dim, 2, 4096},
                 {"--layers", &a->layers, 1, 256},
                 {"--heads", &a->heads, 1, 256},
                 {"--kv-heads", &a->kv_heads, 1, 256},
                 {"--ffn", &a->ffn, 1, 1 << 16},
                 {"--ctx", &a->ctx, 2, 1 << 16},
                 {"--batch", &a->batch, 1, 1 << 16},
                 {"--steps", &a->steps, 0, 1000000000L},
                 {"--tokens", &a->tokens, 0, 1000000000000L},
                 {"--warmup", &a->warmup, 0, 1000000000L},
                 {"--seed", &a->seed, 0, 9000000000000000L},
                 {"--eval-every", &a->eval_every, 0, 1000000000L},
                 {"--log-every", &a->log_every, 1, 1000000000L},
                 {"--checkpoint-every-sec", &a->ckpt_sec, 0, 1000000000L},
                 {"--threads", &a->threads, 0, 1024}};
    struct {
        const char *name;
        const char **v;
    } strs[] = {{"--tokenizer", &a->tokenizer},
                {"--train", &a->train},
                {"--heldout", &a->heldout},
                {"-o", &a->out},
                {"--output", &a->out},
                {"--checkpoint", &a->checkpoint},
                {"--type", &a->type}};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            train_usage(stdout);
            return 1;
        }
        if (!strcmp(arg, "--export")) {
            a->export_only = a->resume = 1;
            continue;
        }
        if (!strcmp(arg, "--resume")) {
            a->resume = 1;
            continue;
        }
        int done = 0;
        if (i + 1 < argc) {
            for (size_t k = 0; k < sizeof(longs) / sizeof(longs[0]) && !done; k++)
                if (!strcmp(arg, longs[k].name)) {
                    if (parse_long(arg, argv[++i], longs[k].v) != 0) return -1;
                    if (*longs[k].v < longs[k].min || *longs[k].v > longs[k].max) {
                        fprintf(stderr, "glassbox train: %s: expected an integer in [%ld, %ld], got '%s'\n", arg,
                                longs[k].min, longs[k].max, argv[i]);
                        return -1;
                    }
                    done = 1;
                }
            for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]) && !done; k++)
                if (!strcmp(arg, strs[k].name)) {
                    *strs[k].v = argv[++i];
                    done = 1;
                }
            if (!done && !strcmp(arg, "--lr")) {
                if (parse_float(arg, argv[++i], &a->lr) != 0) return -1;
                done = 1;
            }
        }
        if (!done) {
            fprintf(stderr, "glassbox train: unknown option or missing value: %s (see --help)\n",
                    arg);
            return -1;
        }
    }
    if (!a->tokenizer || !a->train || !a->out) {
        fprintf(stderr, "glassbox train: --tokenizer, --train and -o are required (see --help)\n");
        return -1;
    }
    if (a->kv_heads < 0) a->kv_heads = a->heads;
    if (a->dim < 2 || a->layers < 1 || a->heads < 1 || a->kv_heads < 1 || a->ffn < 1 ||
        a->ctx < 2 || a->batch < 1 || a->dim > 65536 || a->ffn > 1 << 20 || a->layers > 1024 ||
        a->ctx > 1 << 16 || a->batch > 1 << 16 || a->lr <= 0) {
        fprintf(stderr, "glassbox train: model sizes, batch and lr must be positive (and sane)\n");
        return -1;
    }
    if (a->dim % a->heads || a->heads % a->kv_heads || (a->dim / a->heads) % 2) {
        fprintf(stderr,
                "glassbox train: --dim %ld must split into --heads %ld of even size, and the heads "
                "into "
                "--kv-heads %ld groups\n",
                a->dim, a->heads, a->kv_heads);
        return -1;
    }
    if (a->steps && a->tokens) {
        fprintf(stderr, "glassbox train: give --steps or --tokens, not both\n");
        return -1;
    }
    if (!a->steps) {
        long tokens = a->tokens ? a->tokens : 30000000L;
        long per_step = a->batch * a->ctx;
        a->steps = (tokens + per_step - 1) / per_step;
    }
    return 0;
}

static uint32_t parse_type(const char *s) {
    if (!strcmp(s, "f32") || !strcmp(s, "F32")) return GGML_TYPE_F32;
    if (!strcmp(s, "f16") || !strcmp(s, "F16")) return GGML_TYPE_F16;
    if (!strcmp(s, "bf16") || !strcmp(s, "BF16")) return GGML_TYPE_BF16;
    if (!strcmp(s, "q8_0") || !strcmp(s, "Q8_0")) return GGML_TYPE_Q8_0;
    return UINT32_MAX;
}

static void eval_and_print(TrainModel *m, const int32_t *tokens, size_t n, int32_t skip,
                           const uint32_t *token_bytes, long step) {
    if (!tokens || n <= 1) return;
    double t0 = gb_now(), bpb = 0;
    double nats = train_evaluate(m, tokens, n, skip, token_bytes, &bpb);
    printf("eval  step %ld: held-out loss %.4f nats/token, %.4f bits/byte (%.1fs)\n", step, nats,
           bpb, gb_now() - t0);
    fflush(stdout);
}

int cli_train(int argc, char **argv) {
    TrainArgs a;
    int pr = parse_train_args(&a, argc, argv);
    if (pr != 0) return pr > 0 ? GB_EXIT_OK : GB_EXIT_USAGE;
    uint32_t out_type = parse_type(a.type);
    if (out_type == UINT32_MAX) {
        fprintf(stderr, "glassbox train: --type %s: expected f32, f16, bf16 or q8_0\n", a.type);
        return GB_EXIT_USAGE;
    }
    /* fail now, not after hours of training, when the output cannot be written */
    {
        char *dir = gb_strdup(a.out);
        char *slash = strrchr(dir, '/');
        const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
        int writable = access(d, W_OK) == 0;
        if (!writable)
            fprintf(stderr, "glassbox train: -o %s: cannot write in folder %s\n", a.out, d);
        free(dir);
        if (!writable) return GB_EXIT_USAGE;
    }
    int threads = a.threads > 0 ? (int)a.threads : omp_get_num_procs();
    omp_set_num_threads(threads);

    char err[GB_ERRLEN];
    int status = GB_EXIT_FAIL;
    GGUFFile vocab_file;
    Tokenizer *tok = NULL;
    int32_t *train_ids = NULL, *held_ids = NULL, *inputs = NULL, *targets = NULL;
    uint32_t *token_bytes = NULL;
    size_t n_train = 0, n_held = 0, train_bytes = 0, held_bytes = 0;
    TrainModel m;
    int have_model = 0, have_vocab = 0;
    char *ckpt_path = NULL;

    if (gguf_open(&vocab_file, a.tokenizer, err) != 0) {
        fprintf(stderr, "glassbox train: %s\n", err);
        return GB_EXIT_USAGE;
    }
    have_vocab = 1;
    tok = tokenizer_from_gguf(&vocab_file, err);
    if (!tok) {
        fprintf(stderr, "glassbox train: %s\n", err);
        status = GB_EXIT_USAGE;
        goto out;
    }
    int V = tokenizer_vocab_size(tok);
    /* the weights, their gradients and Adam's two moments: 4 copies; keep one under 2^28 floats */
    double params = (double)V * a.dim + (double)a.layers * (4.0 * a.dim * a.dim + 3.0 * a.dim * a.ffn);
    if (params > (double)(1 << 28)) {
        fprintf(stderr, "glassbox train: %.0f parameters (vocabulary %d, --dim %ld, --layers %ld, --ffn %ld) is more "
                "than glassbox trains (at most %d)\n", params, V, a.dim, a.layers, a.ffn, 1 << 28);
        status = GB_EXIT_USAGE;
        goto out;
    }
    int32_t eot = tokenizer_eos(tok);
    if (eot < 0) eot = tokenizer_find(tok, "<|endoftext|>", 13);
    token_bytes = gb_malloc((size_t)V * sizeof(uint32_t));
    for (int i = 0; i < V; i++) {
        size_t len = 0;
        token_bytes[i] = tokenizer_token_bytes(tok, i, &len) && i != eot ? (uint32_t)len : 0;
    }

    double t0 = gb_now();
    if (train_tokenize_files(tok, a.train, eot, &train_ids, &n_train, &train_bytes, err) != 0) {
        fprintf(stderr, "glassbox train: %s\n", err);
        status = GB_EXIT_USAGE;
        goto out;
    }
    if (a.heldout &&
        train_tokenize_files(tok, a.heldout, eot, &held_ids, &n_held, &held_bytes, err) != 0) {
        fprintf(stderr, "glassbox train: %s\n", err);
        status = GB_EXIT_USAGE;
        goto out;
    }
    printf("data: %zu training tokens (%zu bytes, %.2f bytes/token), %zu held-out tokens; "
           "tokenized in %.1fs\n",
           n_train, train_bytes, n_train ? (double)train_bytes / n_train : 0.0, n_held,
           gb_now() - t0);
    if (n_train <= (size_t)a.ctx + 1) {
        fprintf(stderr, "glassbox train: %s: only %zu tokens, need more than --ctx %ld\n", a.train,
                n_train, a.ctx);
        status = GB_EXIT_USAGE;
        goto out;
    }

    Config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dim = (int)a.dim, cfg.hidden_dim = (int)a.ffn, cfg.n_layers = (int)a.layers;
    cfg.n_heads = (int)a.heads, cfg.n_kv_heads = (int)a.kv_heads, cfg.vocab_size = V;
    cfg.rope_base = 10000.0f, cfg.norm_eps = 1e-5f;
    if (train_model_build(&m, &cfg, (int)a.batch, (int)a.ctx, err) != 0) {
        fprintf(stderr, "glassbox train: %s\n", err);
        status = GB_EXIT_USAGE;
        goto out;
    }
    have_model = 1;
    TrainOptions o = train_default_options();
    o.total_steps = a.steps, o.warmup = a.warmup, o.lr = a.lr, o.seed = (uint64_t)a.seed;
    uint64_t data_hash = train_data_hash(train_ids, n_train);
    if (a.checkpoint) {
        ckpt_path = gb_strdup(a.checkpoint);
    } else {
        ckpt_path = gb_malloc(strlen(a.out) + 6);
        sprintf(ckpt_path, "%s.ckpt", a.out);
    }

    long step = 0;
    train_init_weights(&m, o.seed);
    if (a.resume) {
        if (access(ckpt_path, F_OK) != 0) {
            printf("resume: no checkpoint at %s, starting from step 0\n", ckpt_path);
        } else if (train_checkpoint_load(&m, &o, data_hash, &step, ckpt_path, err) != 0) {
            fprintf(stderr, "glassbox train: %s (to start afresh, remove %s)\n", err, ckpt_path);
            status = GB_EXIT_USAGE;
            goto out;
        } else {
            printf("resume: %s at step %ld of %ld\n", ckpt_path, step, o.total_steps);
        }
    }
    printf("model: dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d, ctx %d: %zu parameters\n"
           "train: %ld steps of %d x %d tokens (%.1fM tokens, %.2f epochs), lr %g, warm-up %ld, "
           "seed %ld, %d threads\n",
           m.config.dim, m.config.n_layers, m.config.n_heads, m.config.n_kv_heads,
           m.config.hidden_dim, V, m.T, m.n_params, o.total_steps, m.B, m.T,
           (double)o.total_steps * m.B * m.T / 1e6, (double)o.total_steps * m.B * m.T / n_train,
           (double)o.lr, o.warmup, a.seed, threads);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    inputs = gb_malloc((size_t)m.B * m.T * sizeof(int32_t));
    targets = gb_malloc((size_t)m.B * m.T * sizeof(int32_t));
    double start = gb_now(), last_log = start, last_ckpt = start;
    double window_train_sec = 0; /* time in train_step since the last log line */
    double sec_per_step = 0;     /* moving average of wall time a step (evals included), for ETA */
    long first_step = step, last_log_step = step;
    double loss_sum = 0;
    int loss_n = 0;
    while (step < o.total_steps && !stop_signal && !a.export_only) {
        float norm;
        double t_step = gb_now();
        float loss = train_step(&m, &o, train_ids, n_train, step, inputs, targets, &norm);
        double now = gb_now();
        window_train_sec += now - t_step;
        step++;
        loss_sum += loss, loss_n++;
        if (step % a.log_every == 0 || step == o.total_steps || step == first_step + 1) {
            long n = step - last_log_step;
            double tps = (double)n * m.B * m.T / window_train_sec;
            double wall = (now - last_log) / (double)n;
            sec_per_step = step == first_step + 1 ? wall : 0.7 * sec_per_step + 0.3 * wall;
            char el[32], eta[32];
            format_duration(el, sizeof(el), now - start);
            format_duration(eta, sizeof(eta), sec_per_step * (double)(o.total_steps - step));
            printf("step %6ld/%ld | loss %.4f | lr %.2e | grad %.2f | %6.0f tok/s | elapsed %s | "
                   "eta %s\n",
                   step, o.total_steps, loss_sum / loss_n,
                   (double)train_lr(step - 1, o.total_steps, o.warmup, o.lr), (double)norm, tps, el,
                   eta);
            fflush(stdout);
            loss_sum = 0, loss_n = 0, window_train_sec = 0;
            last_log = now, last_log_step = step;
        }
        if (a.eval_every > 0 && step % a.eval_every == 0 && step < o.total_steps)
            eval_and_print(&m, held_ids, n_held, eot, token_bytes, step);
        if (a.ckpt_sec > 0 && now - last_ckpt >= (double)a.ckpt_sec && step < o.total_steps) {
            if (train_checkpoint_save(&m, &o, step, data_hash, ckpt_path, err) != 0)
                fprintf(stderr, "glassbox train: warning: checkpoint not saved: %s\n", err);
            last_ckpt = gb_now();
        }
    }
    if (stop_signal) {
        int sig = stop_signal;
        if (train_checkpoint_save(&m, &o, step, data_hash, ckpt_path, err) != 0) {
            fprintf(stderr, "glassbox train: %s\n", err);
        } else {
            printf("stopped by signal %d at step %ld; checkpoint saved to %s (continue with "
                   "--resume)\n",
                   sig, step, ckpt_path);
        }
        status = 128 + sig;
        goto out;
    }
    eval_and_print(&m, held_ids, n_held, eot, token_bytes, step);

    GGUFWriter *w = gguf_writer_new();
    Model view;
    train_model_view(&view, &m);
    model_add_to_writer(w, &view, out_type);
    train_view_free(&view);
    tokenizer_add_to_writer(w, tok);
    if (gguf_writer_write(w, a.out, err) != 0) {
        fprintf(stderr, "glassbox train: %s\n", err);
        gguf_writer_free(w);
        goto out;
    }
    gguf_writer_free(w);
    printf("wrote %s (%s, %zu parameters) in %.1f minutes\n", a.out, a.type, m.n_params,
           (gb_now() - start) / 60.0);
    status = GB_EXIT_OK;

out:
    free(inputs);
    free(targets);
    free(train_ids);
    free(held_ids);
    free(token_bytes);
    free(ckpt_path);
    if (have_model) train_model_free(&m);
    if (tok) tokenizer_free(tok);
    if (have_vocab) gguf_close(&vocab_file);
    return status;
}
