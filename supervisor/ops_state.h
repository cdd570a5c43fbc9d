/*
 * ops_state.h - what a multi-step handler keeps between engine callbacks
 * (c->state, made on first use and freed with the call).
 *
 * A leaf: it knows nothing of the modules that keep things here; each one
 * that stores an owned pointer also stores the function that frees it.
 */
#ifndef DG_OPS_STATE_H
#define DG_OPS_STATE_H

#include <jansson.h>
#include <stdint.h>

#include "broker.h"
#include "bounds.h"

struct quota_hold;
struct op_stream;

struct ops_state {
        /* resolve.c's own (its resolve_cb, spelled out to keep this a leaf) */
        void (*next)(struct call *c, const char *full_id, json_t *inspect);
        const void *kind;
        char ref[OPS_REF_MAX + 1];
        int rstep; /* which reading of ref is being tried */
        /* the handler's */
        char id[DG_ENGINE_ID_MAX + 1]; /* a resolved ID kept for a later step */
        char name[OPS_NAME_MAX + 1];
        json_t *keep; /* a document kept for a later step (owned) */
        int64_t num;
        struct quota_hold *hold; /* quota.c's, released with the state */
        void (*hold_free)(struct quota_hold *);
        struct op_stream *stream; /* exec and attach (op_exec.c); freed with the state */
        void (*stream_free)(struct op_stream *);
        void *own; /* a family's own state (create: its struct create_plan) */
        void (*then)(struct call *c); /* the step after a check (imageown.c's quota) */
        void (*own_free)(void *);
};

/* c's state, made on first use; NULL (and the call answered INTERNAL) when out of memory. */
struct ops_state *ops_state(struct call *c);

#endif
