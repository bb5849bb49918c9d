/* Pieces shared by the instructor kit's subcommands (kit_cli.c) and its TUI commands. */
#ifndef GB_KIT_H
#define GB_KIT_H

#include <stddef.h>
#include <stdio.h>

void kit_json_number(FILE *f, double v); /* null for NaN and infinities */
int kit_read_text(const char *cmd, const char *arg, char **text, size_t *len);
const char *kit_option(int argc, char **argv, int *i, const char *name, int *missing);

#endif
