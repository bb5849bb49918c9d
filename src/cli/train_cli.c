/* `glassbox train`: its options, the loop that trains, checkpoints and evaluates, and the GGUF it
 * writes. The trainer itself (forward, backward, AdamW, data, checkpoint) is src/train/train.c. */
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

// clang-format off
static const char TRAIN_USAGE[] =
    "usage: glassbox train --tokenizer VOCAB.gguf --train FILE|@LIST --heldout FILE|@LIST -o OUT.gguf\n"
    "  model:    --dim 192 --layers 4 --heads 6 --kv-heads 6 --ffn 512 --ctx 256\n"
    "  budget:   --batch 16  --steps N | --tokens N (default 30M)\n"
    "  optimise: --lr 3e-3 --warmup 200 --seed 1\n"
    "  start:    --init MODEL.gguf: from that model's weights, not random ones (fine-tuning, or a\n"
    "            longer --ctx); it must have the shape asked for, and its vocabulary (--tokenizer\n"
    "            MODEL.gguf uses the model's own)\n"
    "  run:      --eval-every 500 --log-every 10 --threads N (all cores)\n"
    "            --checkpoint FILE (OUT.ckpt) --checkpoint-every-sec 120 --resume\n"
    "            --export: write the checkpoint's weights as they stand (a run in progress)\n"
    "  output:   --type f32|f16|bf16|q8_0\n"
    "A @LIST names one file per line. Documents are separated by the tokenizer's end-of-text token.\n"
    "SIGINT/SIGTERM finish the step, save the checkpoint and exit (130/143); --resume continues it\n"
    "to exactly the weights of an uninterrupted run. On a machine shared with other work, "
    "OMP_WAIT_POLICY=passive\nkeeps the threads from stalling each other.\n";
// clang-format on

static void format_duration(char *out, size_t n, double sec) {
    long s = sec < 0 ? 0 : (long)(sec + 0.5);
    if (s >= 3600)
        snprintf(out, n, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else
        snprintf(out, n, "%ldm%02lds", s / 60, s % 60);
}

typedef struct {
    const char *tokenizer, *train, *heldout, *out, *checkpoint, *type, *init;
    long dim, layers, heads, kv_heads, ffn, ctx, batch, steps, tokens, warmup, seed, eval_every,
        log_every, ckpt_sec, threads;
    float lr;
    bool resume;
    bool export_only; /* --export: write the checkpoint's weights as they stand, no training */
} TrainArgs;

/* What the options must also agree on among themselves; 0, or -1 after a message. */
static int check_train_args(TrainArgs *a) {
    if (!a->tokenizer || !a->train || !a->out) {
        fprintf(stderr, "glassbox: train: --tokenizer, --train and -o are required (see glassbox "
                        "train --help)\n");
        return -1;
    }
    if (a->kv_heads < 0) a->kv_heads = a->heads;
    if (a->lr <= 0) {
        fprintf(stderr, "glassbox: train: --lr must be positive\n");
        return -1;
    }
    if (a->dim % a->heads || a->heads % a->kv_heads || (a->dim / a->heads) % 2) {
        fprintf(stderr,
                "glassbox: train: --dim %ld must split into --heads %ld of even size, and the "
                "heads into "
                "--kv-heads %ld groups\n",
                a->dim, a->heads, a->kv_heads);
        return -1;
    }
    if (a->steps && a->tokens) {
        fprintf(stderr, "glassbox: train: give --steps or --tokens, not both\n");
        return -1;
    }
    if (!a->steps) {
        long tokens = a->tokens ? a->tokens : 30000000L;
        long per_step = a->batch * a->ctx;
        a->steps = (tokens + per_step - 1) / per_step;
    }
    return 0;
}

/* The options into a; OPTIONS_RUN, or the exit status. Every number has bounds: 0 where it would
 * divide (--log-every) or allocate nothing, and sizes whose buffers could not be allocated, are
 * refused here with the option's name. */
static int parse_train_args(TrainArgs *a, int argc, char **argv) {
    memset(a, 0, sizeof(*a));
    a->dim = 192, a->layers = 4, a->heads = 6, a->kv_heads = -1, a->ffn = 512, a->ctx = 256;
    a->batch = 16, a->warmup = 200, a->seed = 1, a->eval_every = 500, a->log_every = 10;
    a->ckpt_sec = 120, a->lr = 3e-3f, a->type = "f32";
    const Option opts[] = {
        OPTION_LONG("--dim", &a->dim, 2, 4096),
        OPTION_LONG("--layers", &a->layers, 1, 256),
        OPTION_LONG("--heads", &a->heads, 1, 256),
        OPTION_LONG("--kv-heads", &a->kv_heads, 1, 256),
        OPTION_LONG("--ffn", &a->ffn, 1, 1 << 16),
        OPTION_LONG("--ctx", &a->ctx, 2, 1 << 16),
        OPTION_LONG("--batch", &a->batch, 1, 1 << 16),
        OPTION_LONG("--steps", &a->steps, 0, 1000000000L),
        OPTION_LONG("--tokens", &a->tokens, 0, 1000000000000L),
        OPTION_LONG("--warmup", &a->warmup, 0, 1000000000L),
        OPTION_LONG("--seed", &a->seed, 0, 9000000000000000L),
        OPTION_LONG("--eval-every", &a->eval_every, 0, 1000000000L),
        OPTION_LONG("--log-every", &a->log_every, 1, 1000000000L),
        OPTION_LONG("--checkpoint-every-sec", &a->ckpt_sec, 0, 1000000000L),
        OPTION_LONG("--threads", &a->threads, 0, 1024),
        OPTION_FLOAT("--lr", &a->lr, 0, 1e30),
        OPTION_STRING("--tokenizer", NULL, &a->tokenizer),
        OPTION_STRING("--train", NULL, &a->train),
        OPTION_STRING("--heldout", NULL, &a->heldout),
        OPTION_STRING("-o", "--output", &a->out),
        OPTION_STRING("--checkpoint", NULL, &a->checkpoint),
        OPTION_STRING("--type", NULL, &a->type),
        OPTION_STRING("--init", NULL, &a->init),
        OPTION_FLAG("--resume", &a->resume),
        OPTION_FLAG("--export", &a->export_only),
    };
    const OptionSpec spec = {"train", TRAIN_USAGE, opts, OPTIONS_COUNT(opts), NULL, 0, 0};
    const char *args[1];
    int n_args, r = options_parse(&spec, argc, argv, args, &n_args);
    if (r != OPTIONS_RUN) return r;
    if (a->export_only) a->resume = true; /* the weights are the checkpoint's */
    return check_train_args(a) == 0 ? OPTIONS_RUN : GB_EXIT_USAGE;
}

static uint32_t parse_type(const char *s) {
    if (!strcmp(s, "f32") || !strcmp(s, "F32")) return GGML_TYPE_F32;
    if (!strcmp(s, "f16") || !strcmp(s, "F16")) return GGML_TYPE_F16;
    if (!strcmp(s, "bf16") || !strcmp(s, "BF16")) return GGML_TYPE_BF16;
    if (!strcmp(s, "q8_0") || !strcmp(s, "Q8_0")) return GGML_TYPE_Q8_0;
    return UINT32_MAX;
}

/* Fails now, not after hours of training, when the output cannot be written. */
static int check_output_folder(const char *out) {
    char *dir = gb_strdup(out);
    char *slash = strrchr(dir, '/');
    const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
    int writable = access(d, W_OK) == 0;
    if (!writable) fprintf(stderr, "glassbox: train: -o %s: cannot write in folder %s\n", out, d);
    free(dir);
    return writable ? 0 : -1;
}

/* The tokenizer and the tokens to train on and to hold out. */
typedef struct {
    GGUFFile vocab_file;
    bool has_vocab;
    Tokenizer *tok;
    int32_t eot;           /* the separator between documents */
    uint32_t *token_bytes; /* (vocab) each token's length in bytes, 0 for eot: for bits per byte */
    int32_t *train_ids, *held_ids;
    size_t n_train, n_held;
} TrainData;

static void train_data_free(TrainData *d) {
    free(d->token_bytes);
    free(d->train_ids);
    free(d->held_ids);
    if (d->tok) tokenizer_free(d->tok);
    if (d->has_vocab) gguf_close(&d->vocab_file);
}

/* Opens the vocabulary and tokenizes the data; 0, or the exit status after a message. */
static int load_data(TrainData *d, const TrainArgs *a) {
    char err[GB_ERRLEN];
    memset(d, 0, sizeof *d);
    if (gguf_open(&d->vocab_file, a->tokenizer, err) != 0) goto fail;
    d->has_vocab = true;
    if (!(d->tok = tokenizer_from_gguf(&d->vocab_file, err))) goto fail;
    int V = tokenizer_vocab_size(d->tok);
    /* the weights, their gradients and Adam's two moments: 4 copies; keep one under 2^28 floats */
    double params =
        (double)V * a->dim + (double)a->layers * (4.0 * a->dim * a->dim + 3.0 * a->dim * a->ffn);
    if (params > (double)(1 << 28)) {
        fprintf(stderr,
                "glassbox: train: %.0f parameters (vocabulary %d, --dim %ld, --layers %ld, --ffn "
                "%ld) is more "
                "than glassbox trains (at most %d)\n",
                params, V, a->dim, a->layers, a->ffn, 1 << 28);
        return GB_EXIT_USAGE;
    }
    d->eot = tokenizer_eos(d->tok);
    if (d->eot < 0) d->eot = tokenizer_find(d->tok, "<|endoftext|>", 13);
    d->token_bytes = gb_malloc((size_t)V * sizeof(uint32_t));
    for (int i = 0; i < V; i++) {
        size_t len = 0;
        d->token_bytes[i] =
            tokenizer_token_bytes(d->tok, i, &len) && i != d->eot ? (uint32_t)len : 0;
    }
    double t0 = gb_now();
    size_t train_bytes = 0, held_bytes = 0;
    if (train_tokenize_files(d->tok, a->train, d->eot, &d->train_ids, &d->n_train, &train_bytes,
                             err) != 0 ||
        (a->heldout && train_tokenize_files(d->tok, a->heldout, d->eot, &d->held_ids, &d->n_held,
                                            &held_bytes, err) != 0))
        goto fail;
    printf("data: %zu training tokens (%zu bytes, %.2f bytes/token), %zu held-out tokens; "
           "tokenized in %.1fs\n",
           d->n_train, train_bytes, d->n_train ? (double)train_bytes / d->n_train : 0.0, d->n_held,
           gb_now() - t0);
    if (d->n_train <= (size_t)a->ctx + 1) {
        fprintf(stderr, "glassbox: train: %s: only %zu tokens, need more than --ctx %ld\n",
                a->train, d->n_train, a->ctx);
        return GB_EXIT_USAGE;
    }
    return GB_EXIT_OK;
fail:
    fprintf(stderr, "glassbox: train: %s\n", err);
    return GB_EXIT_USAGE;
}

static void eval_and_print(TrainModel *m, const TrainData *d, long step) {
    if (!d->held_ids || d->n_held <= 1) return;
    double t0 = gb_now(), bpb = 0;
    double nats = train_evaluate(m, d->held_ids, d->n_held, d->eot, d->token_bytes, &bpb);
    printf("eval  step %ld: held-out loss %.4f nats/token, %.4f bits/byte (%.1fs)\n", step, nats,
           bpb, gb_now() - t0);
    fflush(stdout);
}

/* --init: m's weights from the model at path; 0, or -1 after a message. */
static int init_from_model(TrainModel *m, const char *path) {
    char err[GB_ERRLEN];
    Model src;
    if (model_load(&src, path, 0, err) != 0) {
        fprintf(stderr, "glassbox: train: --init: %s\n", err);
        return -1;
    }
    int r = train_load_weights(m, &src, err);
    if (r != 0)
        fprintf(stderr, "glassbox: train: --init %s: %s\n", path, err);
    else
        printf("init: the weights of %s (trained for a context of %d)\n", path,
               src.config.context_length);
    model_free(&src);
    return r;
}

/* The model of a's shape, its weights initialised (or --init's), or taken from the checkpoint
 * (--resume) at *step; 0, or the exit status after a message (the model then freed). */
static int build_model(TrainModel *m, TrainOptions *o, long *step, const TrainArgs *a,
                       const TrainData *d, const char *ckpt_path, uint64_t data_hash) {
    char err[GB_ERRLEN];
    Config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dim = (int)a->dim, cfg.hidden_dim = (int)a->ffn, cfg.n_layers = (int)a->layers;
    cfg.n_heads = (int)a->heads, cfg.n_kv_heads = (int)a->kv_heads,
    cfg.vocab_size = tokenizer_vocab_size(d->tok);
    cfg.rope_base = 10000.0f, cfg.norm_eps = 1e-5f;
    if (train_model_build(m, &cfg, (int)a->batch, (int)a->ctx, err) != 0) {
        fprintf(stderr, "glassbox: train: %s\n", err);
        return GB_EXIT_USAGE;
    }
    *o = train_default_options();
    o->total_steps = a->steps, o->warmup = a->warmup, o->lr = a->lr, o->seed = (uint64_t)a->seed;
    *step = 0;
    train_init_weights(m, o->seed);
    if (a->init && init_from_model(m, a->init) != 0) {
        train_model_free(m);
        return GB_EXIT_USAGE;
    }
    if (!a->resume) return GB_EXIT_OK;
    if (access(ckpt_path, F_OK) != 0) {
        printf("resume: no checkpoint at %s, starting from step 0\n", ckpt_path);
    } else if (train_checkpoint_load(m, o, data_hash, step, ckpt_path, err) != 0) {
        fprintf(stderr, "glassbox: train: %s (to start afresh, remove %s)\n", err, ckpt_path);
        train_model_free(m);
        return GB_EXIT_USAGE;
    } else {
        printf("resume: %s at step %ld of %ld\n", ckpt_path, *step, o->total_steps);
    }
    return GB_EXIT_OK;
}

/* Trains from *step to the last step or a stop signal: a log line every --log-every steps, an eval
 * every --eval-every, a checkpoint every --checkpoint-every-sec seconds. */
static void train_loop(TrainModel *m, const TrainOptions *o, long *step, const TrainArgs *a,
                       const TrainData *d, const char *ckpt_path, uint64_t data_hash) {
    char err[GB_ERRLEN];
    int32_t *inputs = gb_malloc((size_t)m->B * m->T * sizeof(int32_t));
    int32_t *targets = gb_malloc((size_t)m->B * m->T * sizeof(int32_t));
    double start = gb_now(), last_log = start, last_ckpt = start;
    double window_train_sec = 0; /* time in train_step since the last log line */
    double sec_per_step = 0;     /* moving average of wall time a step (evals included), for ETA */
    long first_step = *step, last_log_step = *step;
    double loss_sum = 0;
    int loss_n = 0;
    while (*step < o->total_steps && !stop_signal) {
        float norm;
        double t_step = gb_now();
        float loss = train_step(m, o, d->train_ids, d->n_train, *step, inputs, targets, &norm);
        double now = gb_now();
        window_train_sec += now - t_step;
        long s = ++*step;
        loss_sum += loss, loss_n++;
        if (s % a->log_every == 0 || s == o->total_steps || s == first_step + 1) {
            long n = s - last_log_step;
            double tps = (double)n * m->B * m->T / window_train_sec;
            double wall = (now - last_log) / (double)n;
            sec_per_step = s == first_step + 1 ? wall : 0.7 * sec_per_step + 0.3 * wall;
            char el[32], eta[32];
            format_duration(el, sizeof(el), now - start);
            format_duration(eta, sizeof(eta), sec_per_step * (double)(o->total_steps - s));
            printf("step %6ld/%ld | loss %.4f | lr %.2e | grad %.2f | %6.0f tok/s | elapsed %s | "
                   "eta %s\n",
                   s, o->total_steps, loss_sum / loss_n,
                   (double)train_lr(s - 1, o->total_steps, o->warmup, o->lr), (double)norm, tps, el,
                   eta);
            fflush(stdout);
            loss_sum = 0, loss_n = 0, window_train_sec = 0;
            last_log = now, last_log_step = s;
        }
        if (a->eval_every > 0 && s % a->eval_every == 0 && s < o->total_steps)
            eval_and_print(m, d, s);
        if (a->ckpt_sec > 0 && now - last_ckpt >= (double)a->ckpt_sec && s < o->total_steps) {
            if (train_checkpoint_save(m, o, s, data_hash, ckpt_path, err) != 0)
                fprintf(stderr, "glassbox: train: warning: checkpoint not saved: %s\n", err);
            last_ckpt = gb_now();
        }
    }
    free(inputs);
    free(targets);
}

/* The trained weights and the vocabulary as GGUF at a->out; 0, or -1 after a message. */
static int write_model(const TrainModel *m, const Tokenizer *tok, const TrainArgs *a,
                       uint32_t type) {
    char err[GB_ERRLEN];
    GGUFWriter *w = gguf_writer_new();
    Model view;
    train_model_view(&view, m);
    model_add_to_writer(w, &view, type);
    train_view_free(&view);
    tokenizer_add_to_writer(w, tok);
    int wr = gguf_writer_write(w, a->out, err);
    gguf_writer_free(w);
    if (wr != 0) fprintf(stderr, "glassbox: train: %s\n", err);
    return wr;
}

/* After SIGINT/SIGTERM: the checkpoint saved; the exit status 128 + the signal. */
static int save_on_signal(TrainModel *m, const TrainOptions *o, long step, const char *ckpt_path,
                          uint64_t data_hash) {
    char err[GB_ERRLEN];
    int sig = stop_signal;
    if (train_checkpoint_save(m, o, step, data_hash, ckpt_path, err) != 0)
        fprintf(stderr, "glassbox: train: %s\n", err);
    else
        printf(
            "stopped by signal %d at step %ld; checkpoint saved to %s (continue with --resume)\n",
            sig, step, ckpt_path);
    return 128 + sig;
}

int cli_train(int argc, char **argv) {
    TrainArgs a;
    int r = parse_train_args(&a, argc, argv);
    if (r != OPTIONS_RUN) return r;
    uint32_t out_type = parse_type(a.type);
    if (out_type == UINT32_MAX) {
        fprintf(stderr, "glassbox: train: --type: expected f32, f16, bf16 or q8_0, got '%s'\n",
                a.type);
        return GB_EXIT_USAGE;
    }
    if (check_output_folder(a.out) != 0) return GB_EXIT_USAGE;
    int threads = a.threads > 0 ? (int)a.threads : omp_get_num_procs();
    omp_set_num_threads(threads);

    TrainData d;
    if ((r = load_data(&d, &a)) != 0) {
        train_data_free(&d);
        return r;
    }
    char *ckpt_path = a.checkpoint ? gb_strdup(a.checkpoint) : gb_malloc(strlen(a.out) + 6);
    if (!a.checkpoint) sprintf(ckpt_path, "%s.ckpt", a.out);
    uint64_t data_hash = train_data_hash(d.train_ids, d.n_train);
    TrainModel m;
    TrainOptions o;
    long step;
    if ((r = build_model(&m, &o, &step, &a, &d, ckpt_path, data_hash)) != 0) goto out_data;
    printf("model: dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d, ctx %d: %zu parameters\n"
           "train: %ld steps of %d x %d tokens (%.1fM tokens, %.2f epochs), lr %g, warm-up %ld, "
           "seed %ld, %d threads\n",
           m.config.dim, m.config.n_layers, m.config.n_heads, m.config.n_kv_heads,
           m.config.hidden_dim, tokenizer_vocab_size(d.tok), m.T, m.n_params, o.total_steps, m.B,
           m.T, (double)o.total_steps * m.B * m.T / 1e6,
           (double)o.total_steps * m.B * m.T / d.n_train, (double)o.lr, o.warmup, a.seed, threads);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double start = gb_now();
    if (!a.export_only) train_loop(&m, &o, &step, &a, &d, ckpt_path, data_hash);
    if (stop_signal) {
        r = save_on_signal(&m, &o, step, ckpt_path, data_hash);
    } else {
        eval_and_print(&m, &d, step);
        r = write_model(&m, d.tok, &a, out_type) == 0 ? GB_EXIT_OK : GB_EXIT_FAIL;
        if (r == GB_EXIT_OK)
            printf("wrote %s (%s, %zu parameters) in %.1f minutes\n", a.out, a.type, m.n_params,
                   (gb_now() - start) / 60.0);
    }
    train_model_free(&m);
out_data:
    free(ckpt_path);
    train_data_free(&d);
    return r;
}
