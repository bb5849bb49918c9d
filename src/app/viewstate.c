#include "viewstate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

void ui_init(UiState *ui) {
    memset(ui, 0, sizeof *ui);
    ui->view = VIEW_TOKENS;
    ui->colours = COLOURS_256;
    ui->autoplay_ms = 300;
    ui->cursor_x = ui->cursor_y = -1;
}

void ui_free(UiState *ui) {
    free(ui->hit);
    memset(ui, 0, sizeof *ui);
}

void ui_message(UiState *ui, int error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof ui->message, fmt, ap);
    va_end(ap);
    ui->message_error = error;
}

int screen_hit(const UiState *ui, int x, int y) {
    if (!ui->hit || x < 0 || y < 0 || x >= ui->hit_w || y >= ui->hit_h) return -1;
    return ui->hit[(size_t)y * ui->hit_w + x];
}

void screen_set_hit(UiState *ui, int x, int y, int t) {
    if (!ui->hit || x < 0 || y < 0 || x >= ui->hit_w || y >= ui->hit_h) return;
    ui->hit[(size_t)y * ui->hit_w + x] = t;
}

void screen_clear_hits(UiState *ui, int w, int h) {
    if (ui->hit_w != w || ui->hit_h != h) {
        free(ui->hit);
        ui->hit = gb_malloc(sizeof(int) * ((size_t)w * h + 1));
        ui->hit_w = w;
        ui->hit_h = h;
    }
    for (int i = 0; i < w * h; i++) ui->hit[i] = -1;
}
