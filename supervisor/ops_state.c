/*
 * ops_state.c - a call's handler state, made on first use, freed with the call.
 */
#include <stdlib.h>

#include "ops_state.h"

static void ops_state_free(void *p)
{
        struct ops_state *st = p;

        json_decref(st->keep);
        if (st->hold != NULL && st->hold_free != NULL)
                st->hold_free(st->hold);
        if (st->stream != NULL && st->stream_free != NULL)
                st->stream_free(st->stream);
        if (st->own != NULL && st->own_free != NULL)
                st->own_free(st->own);
        free(st);
}

struct ops_state *ops_state(struct call *c)
{
        struct ops_state *st;

        if (c->state != NULL)
                return c->state;
        if ((st = calloc(1, sizeof(*st))) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        c->state = st;
        c->state_free = ops_state_free;
        return st;
}
