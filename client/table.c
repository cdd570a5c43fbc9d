/*
 * table.c - docker-style tables for the dockgate tool (table.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "table.h"

#define TABLE_GAP 3

int table_init(struct table *t, size_t ncols, const char *const *header)
{
        memset(t, 0, sizeof(*t));
        t->ncols = ncols;
        if (ncols == 0 || table_add(t, header) == -1) {
                table_free(t);
                t->failed = 1;
                return -1;
        }
        return 0;
}

static int table_grow(struct table *t)
{
        size_t cap = t->cap == 0 ? 16 : t->cap * 2;
        char **cells;

        if (cap > SIZE_MAX / sizeof(*cells) / t->ncols)
                return -1;
        if ((cells = realloc(t->cells, cap * t->ncols * sizeof(*cells))) == NULL)
                return -1;
        t->cells = cells;
        t->cap = cap;
        return 0;
}

int table_add(struct table *t, const char *const *row)
{
        char **cell;
        size_t k;

        if (t->failed || (t->nrows == t->cap && table_grow(t) == -1))
                goto fail;
        cell = t->cells + t->nrows * t->ncols;
        for (k = 0; k < t->ncols; k++) {
                const char *s = row[k] != NULL ? row[k] : "";

                if ((cell[k] = output_clean(s, strlen(s))) == NULL) {
                        while (k-- > 0)
                                free(cell[k]);
                        goto fail;
                }
        }
        t->nrows++;
        return 0;
fail:
        t->failed = 1;
        return -1;
}

int table_print(struct table *t)
{
        size_t r, k, w, *width;

        if (t->failed || (width = calloc(t->ncols, sizeof(*width))) == NULL)
                return -1;
        for (r = 0; r < t->nrows; r++)
                for (k = 0; k < t->ncols; k++)
                        if ((w = output_width(t->cells[r * t->ncols + k])) > width[k])
                                width[k] = w;
        for (r = 0; r < t->nrows; r++) {
                for (k = 0; k < t->ncols; k++) {
                        const char *s = t->cells[r * t->ncols + k];

                        fputs(s, stdout);
                        /* The last column is not padded: no trailing blanks. */
                        if (k == t->ncols - 1)
                                break;
                        for (w = output_width(s); w < width[k] + TABLE_GAP; w++)
                                fputc(' ', stdout);
                }
                fputc('\n', stdout);
        }
        free(width);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

void table_free(struct table *t)
{
        size_t i;

        for (i = 0; i < t->nrows * t->ncols; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->nrows = t->cap = 0;
}
