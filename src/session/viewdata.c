#include "viewdata.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- the attention summary ---- */

static int side_at(int seq, int k) { return (seq + (1 << k) - 1) >> k; }

static float level0(const Session *s, const AttnPyramid *p, int row, int col) {
    const float *r = session_attention_row(s, p->layer, p->head, row);
    return r ? r[col] : 0;
}

/* Recomputes row i of level k (k >= 1) from level k-1, for rows below the current n. */
static void build_row(AttnPyramid *p, const Session *s, int k, int i) {
    int side = side_at(p->seq, k), child_side = side_at(p->seq, k - 1);
    int child_rows = side_at(p->n, k - 1); /* child rows that hold current positions */
    float *mx = p->max[k] + (size_t)i * side, *sm = p->sum[k] + (size_t)i * side;
    for (int j = 0; j < side; j++) {
        float m = 0, total = 0;
        for (int di = 0; di < 2; di++) {
            int ci = 2 * i + di;
            if (ci >= child_rows) break;
            for (int dj = 0; dj < 2; dj++) {
                int cj = 2 * j + dj;
                if (cj >= child_side) break;
                float vm, vs;
                if (k == 1) {
                    vm = vs = level0(s, p, ci, cj);
                } else {
                    vm = p->max[k - 1][(size_t)ci * child_side + cj];
                    vs = p->sum[k - 1][(size_t)ci * child_side + cj];
                }
                if (vm > m) m = vm;
                total += vs;
            }
        }
        mx[j] = m;
        sm[j] = total;
    }
}

void attn_pyramid_sync(AttnPyramid *p, const Session *s) {
    const Config *c = &s->model.config;
    int full = p->layer != s->layer || p->head != s->head || p->seq != c->seq_len;
    if (p->seq != c->seq_len) {
        for (int k = 0; k < ATTN_LEVELS; k++) {
            free(p->max[k]);
            free(p->sum[k]);
            p->max[k] = p->sum[k] = NULL;
        }
        p->seq = c->seq_len;
        p->n_levels = 1;
        while (p->n_levels < ATTN_LEVELS && side_at(p->seq, p->n_levels - 1) > 1) p->n_levels++;
        for (int k = 1; k < p->n_levels; k++) {
            size_t side = (size_t)side_at(p->seq, k);
            p->max[k] = gb_calloc(side * side, sizeof(float));
            p->sum[k] = gb_calloc(side * side, sizeof(float));
        }
    }
    int n = s->n_tokens;
    if (!full && n == p->n && p->synced == s->version) return;
    int old_n = p->n;
    p->layer = s->layer;
    p->head = s->head;
    p->n = n;
    if (full) {
        for (int k = 1; k < p->n_levels; k++)
            for (int i = 0; i < side_at(n, k); i++) build_row(p, s, k, i);
    } else {
        /* level-0 rows rewritten since the last sync, and the last row when the text got shorter; then
         * level by level the block rows above them (each once: the dirty rows are in order) */
        int *dirty = gb_malloc(sizeof(int) * (size_t)(n + 1));
        int nd = 0;
        for (int r = 0; r < n; r++)
            if (s->written_at[r] > p->synced || (n < old_n && r == n - 1)) dirty[nd++] = r;
        for (int k = 1; k < p->n_levels; k++) {
            int last = -1;
            for (int d = 0; d < nd; d++) {
                int i = dirty[d] >> k;
                if (i == last) continue;
                build_row(p, s, k, i);
                last = i;
            }
        }
        free(dirty);
    }
    p->synced = s->version;
}

float attn_pyramid_get(const AttnPyramid *p, const Session *s, int k, int row, int col, int mean) {
    if (k == 0) return level0(s, p, row, col);
    if (k >= p->n_levels) k = p->n_levels - 1;
    size_t side = (size_t)side_at(p->seq, k);
    if (!mean) return p->max[k][(size_t)row * side + col];
    int z = 1 << k;
    int rows = p->n - row * z, cols = p->n - col * z;
    if (rows > z) rows = z;
    if (cols > z) cols = z;
    if (rows <= 0 || cols <= 0) return 0;
    return p->sum[k][(size_t)row * side + col] / (float)(rows * cols);
}

/* ---- the rest ---- */

const Distribution *session_shown_distribution(const Session *s, int32_t *sampled, int *picked) {
    int sel = session_selected(s);
    *sampled = -1;
    *picked = 0;
    if (sel >= 0 && sel + 1 < s->n_tokens && s->tokens[sel + 1].generated && s->steps[sel + 1].used) {
        *sampled = s->tokens[sel + 1].id;
        *picked = s->tokens[sel + 1].picked;
        return &s->steps[sel + 1].dist;
    }
    return s->has_next ? &s->next : NULL;
}

static void neighbours(ViewData *v, Session *s) {
    int sel = session_selected(s);
    v->focus = s->neigh_token >= 0 ? s->neigh_token : sel >= 0 ? s->tokens[sel].id : -1;
    if (v->focus < 0) {
        v->n_neighbours = 0;
        return;
    }
    if (v->have_neighbours && v->neighbours_of == v->focus) return; /* the embeddings stay; a new model starts afresh */
    v->n_neighbours = session_neighbours(s, v->focus, VIEWDATA_NEIGHBOURS, v->neighbours, v->similarity);
    v->neighbours_of = v->focus;
    v->have_neighbours = 1;
}

static void explanation(ViewData *v, const Session *s) {
    const Sampler *sm = &s->sampler;
    if (!v->shown) return;
    if (v->has_explanation && v->explained == v->shown && v->version == s->version && v->temperature == sm->temperature &&
        v->top_k == sm->top_k && v->top_p == sm->top_p)
        return;
    if (v->has_explanation) explanation_free(&v->explanation);
    if (v->scratch.vocab != v->shown->vocab) {
        if (v->scratch.vocab) distribution_free(&v->scratch);
        distribution_init(&v->scratch, v->shown->vocab);
    }
    /* the held logits re-shaped with today's settings: the sweep never touches them */
    explain_logits(&v->explanation, &v->scratch, v->shown->logits, sm, VIEWDATA_EXPLAIN_ROWS);
    v->has_explanation = 1;
    v->explained = v->shown;
    v->temperature = sm->temperature, v->top_k = sm->top_k, v->top_p = sm->top_p;
}

static void span_strip(SpanStrip *sp, const Session *s) {
    sp->has_span = session_span(s, &sp->a, &sp->b);
    if (!sp->has_span || !s->has_model || !session_attention_row(s, 0, 0, 0)) {
        sp->n = 0;
        return;
    }
    int n = s->n_tokens;
    if (sp->n == n && sp->version == s->version && sp->layer == s->layer && sp->head == s->head &&
        sp->made_a == sp->a && sp->made_b == sp->b)
        return;
    if (n > sp->cap) sp->weights = gb_realloc(sp->weights, sizeof(float) * (size_t)(sp->cap = n));
    float *rec = gb_calloc((size_t)n, sizeof(float)), *giv = gb_calloc((size_t)n, sizeof(float));
    double received = 0;
    sp->given = 0;
    session_span_attention(s, s->layer, s->head, rec, giv, &received, &sp->given);
    for (int t = 0; t < n; t++) sp->weights[t] = t > sp->b ? rec[t] : giv[t];
    sp->from_after = sp->outside = 0;
    for (int t = sp->b + 1; t < n; t++) sp->from_after += rec[t];
    for (int t = 0; t < sp->a; t++) sp->outside += giv[t];
    free(rec);
    free(giv);
    sp->n = n;
    sp->version = s->version, sp->layer = s->layer, sp->head = s->head, sp->made_a = sp->a, sp->made_b = sp->b;
}

const ViewData *session_view_data(Session *s, int with_explanation) {
    if (!s->view_data) {
        s->view_data = gb_calloc(1, sizeof *s->view_data);
        s->view_data->pyr.layer = s->view_data->pyr.head = -1;
    }
    ViewData *v = s->view_data;
    v->shown = session_shown_distribution(s, &v->shown_sampled, &v->shown_picked);
    neighbours(v, s);
    if (with_explanation) explanation(v, s);
    if (s->has_model && session_attention_row(s, 0, 0, 0)) attn_pyramid_sync(&v->pyr, s);
    span_strip(&v->span, s);
    v->version = s->version;
    return v;
}

void viewdata_free(Session *s) {
    ViewData *v = s->view_data;
    if (!v) return;
    if (v->has_explanation) explanation_free(&v->explanation);
    if (v->scratch.vocab) distribution_free(&v->scratch);
    free(v->span.weights);
    for (int k = 0; k < ATTN_LEVELS; k++) {
        free(v->pyr.max[k]);
        free(v->pyr.sum[k]);
    }
    free(v);
    s->view_data = NULL;
}
