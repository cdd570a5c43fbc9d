/*
 * ops_impl.h - what the operation families (op_*.c) include: their
 * handlers (ops.h, from protocol/ops.def), the helpers for reading the
 * checked input (ops_input.h), talking to the engine (ops_engine.h),
 * answering lists (ops_list.h), removing one item after another
 * (ops_each.h) and keeping state (ops_state.h), and what
 * several families share beyond those.
 *
 * Every handler answers its call exactly once.  Every engine request it
 * starts lives in c->pending, and each engine callback clears c->pending
 * first.  c->state belongs to this layer only: it is a struct ops_state,
 * made on first use by ops_state() and freed with the call.
 */
#ifndef DG_OPS_IMPL_H
#define DG_OPS_IMPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "broker.h"
#include "ops.h"
#include "ops_each.h"
#include "ops_engine.h"
#include "ops_input.h"
#include "ops_list.h"
#include "ops_state.h"
#include "quota.h"
#include "resolve.h"

struct sv;

/*
 * What a kept stream's handler (exec, attach) keeps until the stream ends
 * (op_exec.c): the engine IDs, and the TTY resize in flight; at most one
 * is, a newer size waits for it and replaces any older waiting one.
 */
struct op_stream {
        struct call *c;
        char cid[DG_ENGINE_ID_MAX + 1]; /* the container */
        char eid[DG_ENGINE_ID_MAX + 1]; /* the exec instance; "" for attach */
        struct engine_req *resize;
        uint32_t want_rows, want_cols; /* a size waiting for the one in flight; 0: none */
        struct event *retry;           /* exec: polling until the exit code is recorded */
        int tries;
};

/* docker/container/wait until the container is healthy (op_health.c). */
void op_health_wait(struct call *c, const char *id);
/* A kept stream's state, made in c's ops_state; NULL after answering INTERNAL. */
struct op_stream *op_stream_new(struct call *c, const char *cid);
void op_stream_free(struct op_stream *os);
/* MSG_RESIZE of a kept exec or attach: POST .../resize, one at a time. */
void op_stream_resize(struct call *c, uint32_t rows, uint32_t cols);
/*
 * What op_exec.c (docker/container/exec) shares with op_execid.c (exec
 * instances by ID): the one set of exec checks and the engine body they
 * allow (NULL after failing the call), the env check (0 after failing),
 * the start of a kept exec stream in c's op_stream (ops NULL: exec's own
 * end and cancel), and those two hooks.
 */
json_t *op_exec_prepare(struct call *c, const char *id, json_t *inspect, int tty, int in);
int op_exec_input_ok(struct call *c);
void op_exec_stream(struct call *c, const char *eid, int tty, int in,
                    const struct call_stream_ops *ops);
void op_exec_end(struct call *c);
void op_exec_cancel(struct call *c);
/* The engine's answer to POST /containers/{id}/exec: its ID, or NULL after failing c. */
const char *op_exec_made(struct call *c, int status, json_t *body);
/* The detach keys every TTY exec and attach gets (see op_exec.c). */
extern const char op_detach_keys[];

#endif
