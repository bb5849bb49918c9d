#include "theme.h"

#include <math.h>
#include <stdlib.h>

Style ui_style(const UiState *ui, uint32_t fg, uint32_t bg, int attr) {
    Style s = {fg, bg, (uint8_t)attr};
    if (ui->colours == COLOURS_NONE) s.fg = s.bg = 0;
    if (ui->big) { /* projector mode: high contrast, no faint text */
        s.attr &= (uint8_t)~ATTR_DIM;
        s.attr |= ATTR_BOLD;
        if (COLOR_IS_IDX(s.fg) && (s.fg & 0xff) >= 232) s.fg = COLOR_IDX(231);
    }
    return s;
}

int rgb_to_xterm256(int r, int g, int b) {
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    int idx[3], v[3] = {r, g, b};
    for (int i = 0; i < 3; i++) {
        int best = 0;
        for (int j = 1; j < 6; j++)
            if (abs(level[j] - v[i]) < abs(level[best] - v[i])) best = j;
        idx[i] = best;
    }
    int cr = level[idx[0]], cg = level[idx[1]], cb = level[idx[2]];
    int cube_d = (cr - r) * (cr - r) + (cg - g) * (cg - g) + (cb - b) * (cb - b);
    int grey = (r + g + b) / 3;
    int gi = grey < 8 ? 0 : grey > 238 ? 23 : (grey - 8) / 10;
    int gv = 8 + 10 * gi;
    int grey_d = (gv - r) * (gv - r) + (gv - g) * (gv - g) + (gv - b) * (gv - b);
    if (grey_d < cube_d) return 232 + gi;
    return 16 + 36 * idx[0] + 6 * idx[1] + idx[2];
}

void xterm256_to_rgb(int idx, int *r, int *g, int *b) {
    static const int basic[16][3] = {{0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
                                     {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
                                     {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
                                     {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    if (idx < 16) {
        *r = basic[idx][0], *g = basic[idx][1], *b = basic[idx][2];
    } else if (idx < 232) {
        idx -= 16;
        *r = level[idx / 36], *g = level[(idx / 6) % 6], *b = level[idx % 6];
    } else {
        *r = *g = *b = 8 + 10 * (idx - 232);
    }
}

/* A dark-to-bright heat ramp (black, purple, red, orange, pale yellow). */
static void heat_rgb(float t, int *r, int *g, int *b) {
    static const float stops[5][3] = {{10, 8, 30}, {90, 20, 120}, {200, 50, 80}, {250, 140, 30}, {252, 250, 190}};
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    float x = t * 4;
    int i = (int)x;
    if (i > 3) i = 3;
    float f = x - (float)i;
    *r = (int)lroundf(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]));
    *g = (int)lroundf(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]));
    *b = (int)lroundf(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]));
}

uint32_t ui_heat(const UiState *ui, float t) {
    int r, g, b;
    heat_rgb(t, &r, &g, &b);
    if (ui->colours == COLOURS_RGB) return COLOR_RGB(r, g, b);
    if (ui->colours == COLOURS_256) return COLOR_IDX(rgb_to_xterm256(r, g, b));
    return COLOR_DEFAULT;
}

uint32_t ui_prob_colour(const UiState *ui, float p) {
    float t = p > 0 ? (log10f(p) + 3.0f) / 3.0f : 0; /* 0.001 .. 1 on a log scale */
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    int r = t < 0.5f ? 200 : (int)(200 - (t - 0.5f) * 2 * 150);
    int g = t < 0.5f ? (int)(60 + t * 2 * 140) : 200;
    int b = 60;
    if (ui->colours == COLOURS_RGB) return COLOR_RGB(r, g, b);
    if (ui->colours == COLOURS_256) return COLOR_IDX(rgb_to_xterm256(r, g, b));
    return COLOR_DEFAULT;
}

static const char *const SHADES_UNICODE[] = {" ", "\u2591", "\u2592", "\u2593", "\u2588"};
static const char *const SHADES_ASCII[] = {" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"};

int ui_shade_levels(const Canvas *c) { return c->ascii ? 10 : 5; }

const char *ui_shade(const Canvas *c, float t) {
    int n = ui_shade_levels(c);
    if (!(t > 0)) return " ";
    if (t > 1) t = 1;
    int i = 1 + (int)(t * (float)(n - 1) - 1e-6f); /* any t > 0 shows at least the faintest mark */
    if (i > n - 1) i = n - 1;
    if (i < 1) i = 1;
    return c->ascii ? SHADES_ASCII[i] : SHADES_UNICODE[i];
}

void ui_bar(Canvas *c, int x, int y, int maxw, float frac, Style s) {
    static const char *const EIGHTHS[8] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
    if (maxw <= 0) return;
    if (!(frac > 0)) frac = 0;
    if (frac > 1) frac = 1;
    int eighths = (int)lroundf(frac * (float)maxw * 8);
    int full = eighths / 8, rest = eighths % 8;
    for (int i = 0; i < full; i++) canvas_put_text(c, x + i, y, 1, c->ascii ? "#" : "\u2588", s);
    if (rest && full < maxw) {
        if (c->ascii) {
            if (rest >= 4) canvas_put_text(c, x + full, y, 1, "#", s);
        } else {
            canvas_put_text(c, x + full, y, 1, EIGHTHS[rest], s);
        }
    }
}

