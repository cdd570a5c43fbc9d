/*
 * output.h - how the dockgate tool prints what the server sends.
 */
#ifndef DG_OUTPUT_H
#define DG_OUTPUT_H

#include <jansson.h>
#include <stddef.h>

#include "dgclient.h"

/* One frame as one line on stdout: its bytes as received when they fit on a line. */
void output_frame_line(const struct dgc_frame *f);
/*
 * One output record {"stream", "text" | "base64"}: its bytes, decoded, to
 * stdout or stderr.  -1 with err filled in when the record is malformed or
 * cannot be written.
 */
int output_record(json_t *rec, char *err, size_t errlen);
/*
 * docker/container/list's output as a table (table.h); -1 when it is not
 * an array, or when the table cannot be built or written.
 */
int output_ps(json_t *list);
/*
 * A malloc'd copy of s[0..len) with control characters replaced by '?':
 * for engine-provided strings printed to a terminal.  NULL: out of memory.
 */
char *output_clean(const char *s, size_t len);
/* output_clean of a JSON string ("" for anything else). */
char *output_clean_json(json_t *v);
/* Columns a string takes on a terminal, counted as code points. */
size_t output_width(const char *s);
/* Any JSON value, indented. */
void output_json(json_t *v);
/* An object as "key: value" lines, nested objects indented. */
void output_kv(json_t *obj, int depth);

#endif
