#include "canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util.h"

void canvas_init(Canvas *c, int w, int h) {
    memset(c, 0, sizeof *c);
    canvas_resize(c, w, h);
}

void canvas_resize(Canvas *c, int w, int h) {
    if (w < 0) w = 0;
    if (h < 0) h = 0;
    free(c->cells);
    c->w = w;
    c->h = h;
    c->cells = gb_calloc((size_t)w * (size_t)h + 1, sizeof(Cell));
    canvas_clear(c, (Style){0, 0, 0});
}

void canvas_free(Canvas *c) {
    free(c->cells);
    c->cells = NULL;
    c->w = c->h = 0;
}

void canvas_clear(Canvas *c, Style s) {
    for (int i = 0; i < c->w * c->h; i++) {
        Cell *cell = &c->cells[i];
        cell->text[0] = ' ';
        cell->text[1] = 0;
        cell->width = 1;
        cell->style = s;
    }
}

Cell *canvas_cell(Canvas *c, int x, int y) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return NULL;
    return &c->cells[(size_t)y * c->w + x];
}

/* Display width of one code point: 0 for combining marks, 2 for wide ones, -1 for controls. */
static int cp_width(int32_t cp) {
    if (cp < 0) return -1;
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) return -1;
    if (cp < 0x7f) return 1;
    int w = wcwidth((wchar_t)cp);
    if (w < 0) return 1; /* printable in Unicode but unknown to the locale: give it one cell */
    return w;
}

int text_width(const char *text, int n) {
    int w = 0;
    for (int i = 0; i < n;) {
        int32_t cp;
        int len = utf8_decode(text + i, n - i, &cp);
        int cw = cp_width(cp);
        w += cw < 0 ? 1 : cw;
        i += len;
    }
    return w;
}

int text_fit(const char *text, int n, int maxw) {
    int w = 0, i = 0;
    while (i < n) {
        int32_t cp;
        int len = utf8_decode(text + i, n - i, &cp);
        int cw = cp_width(cp);
        if (cw < 0) cw = 1;
        if (w + cw > maxw) break;
        w += cw;
        i += len;
    }
    return i;
}

static void set_cell(Cell *cell, const char *bytes, int len, int width, Style s) {
    if (len > CELL_TEXT_MAX - 1) len = CELL_TEXT_MAX - 1;
    memcpy(cell->text, bytes, (size_t)len);
    cell->text[len] = 0;
    cell->width = (uint8_t)width;
    cell->style = s;
}

/* Before overwriting a cell, break up a wide character it is part of so no half remains. */
static void unhook(Canvas *c, int x, int y) {
    Cell *cell = canvas_cell(c, x, y);
    if (!cell) return;
    if (cell->width == 0) {
        Cell *left = canvas_cell(c, x - 1, y);
        if (left && left->width == 2) set_cell(left, " ", 1, 1, left->style);
    } else if (cell->width == 2) {
        Cell *right = canvas_cell(c, x + 1, y);
        if (right) set_cell(right, " ", 1, 1, right->style);
    }
}

int canvas_put_textn(Canvas *c, int x, int y, int maxw, const char *text, int n, Style s) {
    if (y < 0 || y >= c->h || maxw <= 0) return 0;
    int col = 0;
    int last = -1; /* column of the last cell written, for combining marks */
    for (int i = 0; i < n && text[i];) {
        int32_t cp;
        int len = utf8_decode(text + i, n - i, &cp);
        int cw = cp_width(cp);
        const char *bytes = text + i;
        int blen = len;
        if (cw == 0 && cp >= 0) {
            /* a combining mark: append to the previous cell when there is room */
            Cell *prev = last >= 0 ? canvas_cell(c, x + last, y) : NULL;
            if (prev && !c->ascii) {
                size_t have = strlen(prev->text);
                if (have + (size_t)len < CELL_TEXT_MAX) {
                    memcpy(prev->text + have, bytes, (size_t)len);
                    prev->text[have + len] = 0;
                }
            }
            i += len;
            continue;
        }
        if (cw < 0) { /* control or invalid: a replacement character */
            bytes = c->ascii ? "?" : "\xef\xbf\xbd";
            blen = c->ascii ? 1 : 3;
            cw = 1;
        } else if (c->ascii && cp >= 0x80) {
            bytes = cw == 2 ? "??" : "?";
            blen = cw;
        }
        if (col + cw > maxw) {
            if (cw == 2 && col < maxw) { /* a wide character at the edge: pad instead of splitting */
                unhook(c, x + col, y);
                Cell *cell = canvas_cell(c, x + col, y);
                if (cell) set_cell(cell, " ", 1, 1, s);
                col++;
            }
            break;
        }
        int cx = x + col;
        if (cx >= 0 && cx + cw <= c->w) {
            unhook(c, cx, y);
            if (cw == 2) unhook(c, cx + 1, y);
            if (c->ascii && cw == 2) {
                set_cell(canvas_cell(c, cx, y), "?", 1, 1, s);
                set_cell(canvas_cell(c, cx + 1, y), "?", 1, 1, s);
            } else {
                set_cell(canvas_cell(c, cx, y), bytes, blen, cw, s);
                if (cw == 2) set_cell(canvas_cell(c, cx + 1, y), "", 0, 0, s);
            }
            last = col;
        } else if (cx < c->w && cx >= 0) {
            /* wide character that would cross the right edge of the canvas */
            unhook(c, cx, y);
            set_cell(canvas_cell(c, cx, y), " ", 1, 1, s);
            last = -1;
        } else {
            last = -1;
        }
        col += cw;
        i += len;
    }
    return col;
}

int canvas_put_text(Canvas *c, int x, int y, int maxw, const char *text, Style s) {
    return canvas_put_textn(c, x, y, maxw, text, (int)strlen(text), s);
}

int canvas_printf(Canvas *c, int x, int y, int maxw, Style s, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return canvas_put_text(c, x, y, maxw, buf, s);
}

void canvas_put_glyph(Canvas *c, int x, int y, const char *glyph, Style s) {
    canvas_put_text(c, x, y, 2, glyph, s);
}

void canvas_fill(Canvas *c, Rect r, const char *glyph, Style s) {
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) {
            if (!canvas_cell(c, x, y)) continue;
            canvas_put_text(c, x, y, 1, glyph, s);
        }
}

void canvas_style_rect(Canvas *c, Rect r, Style s) {
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) {
            Cell *cell = canvas_cell(c, x, y);
            if (cell) cell->style = s;
        }
}

void canvas_box(Canvas *c, Rect r, const char *title, Style s) {
    if (r.w < 2 || r.h < 2) return;
    const char *h = c->ascii ? "-" : "─", *v = c->ascii ? "|" : "│";
    const char *tl = c->ascii ? "+" : "┌", *tr = c->ascii ? "+" : "┐";
    const char *bl = c->ascii ? "+" : "└", *br = c->ascii ? "+" : "┘";
    for (int x = r.x + 1; x < r.x + r.w - 1; x++) {
        canvas_put_text(c, x, r.y, 1, h, s);
        canvas_put_text(c, x, r.y + r.h - 1, 1, h, s);
    }
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        canvas_put_text(c, r.x, y, 1, v, s);
        canvas_put_text(c, r.x + r.w - 1, y, 1, v, s);
    }
    canvas_put_text(c, r.x, r.y, 1, tl, s);
    canvas_put_text(c, r.x + r.w - 1, r.y, 1, tr, s);
    canvas_put_text(c, r.x, r.y + r.h - 1, 1, bl, s);
    canvas_put_text(c, r.x + r.w - 1, r.y + r.h - 1, 1, br, s);
    if (title && *title && r.w > 4) {
        Style ts = s;
        ts.attr |= ATTR_BOLD;
        int used = canvas_put_text(c, r.x + 2, r.y, r.w - 4, " ", ts);
        used += canvas_put_text(c, r.x + 2 + used, r.y, r.w - 4 - used, title, ts);
        canvas_put_text(c, r.x + 2 + used, r.y, r.w - 4 - used, " ", ts);
    }
}

char *canvas_row_text(const Canvas *c, int y) {
    size_t cap = (size_t)c->w * CELL_TEXT_MAX + 1, n = 0;
    char *out = gb_malloc(cap);
    if (y >= 0 && y < c->h)
        for (int x = 0; x < c->w; x++) {
            const Cell *cell = &c->cells[(size_t)y * c->w + x];
            if (cell->width == 0) continue;
            size_t len = strlen(cell->text);
            memcpy(out + n, cell->text, len);
            n += len;
        }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = 0;
    return out;
}

int canvas_find(const Canvas *c, const char *needle, int *fx, int *fy) {
    for (int y = 0; y < c->h; y++) {
        /* map byte offsets of the row text back to columns */
        for (int x = 0; x < c->w; x++) {
            const Cell *cell = &c->cells[(size_t)y * c->w + x];
            if (cell->width == 0) continue;
            size_t nl = strlen(needle), k = 0;
            int cx = x;
            size_t off = 0; /* offset inside cell text */
            while (k < nl && cx < c->w) {
                const Cell *cc = &c->cells[(size_t)y * c->w + cx];
                if (cc->width == 0) {
                    cx++;
                    continue;
                }
                size_t tl = strlen(cc->text);
                if (off >= tl) {
                    cx++;
                    off = 0;
                    continue;
                }
                if (cc->text[off] != needle[k]) break;
                off++;
                k++;
            }
            if (k == nl) {
                if (fx) *fx = x;
                if (fy) *fy = y;
                return 1;
            }
        }
    }
    return 0;
}
