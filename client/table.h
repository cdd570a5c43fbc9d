/*
 * table.h - docker-style tables (ls, images, top): a header row, columns
 * padded to their widest cell, three spaces apart.  Every cell is copied
 * with control characters replaced (output_clean): cells hold
 * engine-provided strings, and a name must not drive the terminal.
 */
#ifndef DG_TABLE_H
#define DG_TABLE_H

#include <stddef.h>

struct table {
        size_t ncols;
        size_t nrows; /* the header included */
        size_t cap;   /* rows allocated */
        char **cells; /* nrows * ncols, owned */
        int failed;   /* a row could not be added (memory): print nothing */
};

/* header holds ncols strings.  -1 when out of memory (t is then empty). */
int table_init(struct table *t, size_t ncols, const char *const *header);
/* Appends a row of ncols cells (NULL: empty).  -1 when out of memory. */
int table_add(struct table *t, const char *const *row);
/* Prints the table to stdout.  -1 when a row was lost or the write failed. */
int table_print(struct table *t);
void table_free(struct table *t);

#endif
