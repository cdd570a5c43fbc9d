/*
 * broker.h - the supervisor's decision point for peer calls.
 *
 * A worker's MSG_CALL becomes a struct call.  broker_dispatch() checks the
 * input again against the shared schema (never believing the worker), checks
 * policy, and runs the operation's handler from the op table (ops.c).  The
 * handler answers exactly once through call_reply(), call_fail() or
 * call_stream(), possibly later from an engine callback.  If the worker dies
 * first, the broker cancels c->pending and frees the call; handlers must keep
 * every engine request they start in c->pending (one at a time) so that it
 * can be cancelled.
 */
#ifndef DG_BROKER_H
#define DG_BROKER_H

#include <jansson.h>
#include <stdint.h>

#include "engine.h"
#include "errors.h"
#include "policy.h"

struct worker;

struct call {
        struct worker *worker;         /* the stream's worker */
        uint64_t seq;                  /* the worker's call number */
        char id[129];                  /* the peer's call id */
        char op[97];
        int raw;                       /* raw carriage requested */
        json_t *input;                 /* checked against the op's schema (owned) */
        const struct peer_policy *peer; /* from the supervisor's own record, never the worker */
        struct policy *policy;          /* a reference: survives a reload mid-call */
        struct engine *engine;
        struct engine_req *pending;    /* the engine request in flight, if any */
        void *state;                   /* handler's own state; freed with state_free */
        void (*state_free)(void *);
        int answered;
};

typedef void (*op_handler)(struct call *c);

struct op_entry {
        const char *name; /* operation id, as in protocol/schema.c */
        op_handler handler;
};

/* NULL-name-terminated table of every operation the broker serves (ops.c). */
extern const struct op_entry op_table[];

/* Answers with output (stolen).  The call is then finished. */
void call_reply(struct call *c, json_t *output);
/* Answers with an error; fmt is the peer-facing message. */
void call_fail(struct call *c, enum dg_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with a details object (stolen, may be NULL). */
void call_fail_details(struct call *c, enum dg_err code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * Maps an engine answer to PROTOCOL.md codes: 0 -> UNAVAILABLE, -1 ->
 * TIMEOUT, 404 -> NOT_FOUND, 409 -> CONFLICT, else DOCKER_ERROR with
 * details.status and the engine's message.
 */
void call_fail_engine(struct call *c, int status, json_t *body);
/* Passes fd (an engine connection with the request written) to the worker. */
void call_stream(struct call *c, int fd, const char *kind, json_t *opts /* stolen */);

/*
 * Called by the worker channel with a call it just decoded.  Returns -1 when
 * the worker sent what its own checks must have refused (an input outside
 * the schema, a carriage the operation lacks): the call is freed and the
 * caller kills the worker.  Otherwise 0; the call is answered now or later.
 */
int broker_dispatch(struct call *c);
/* The worker is gone or asked to cancel: cancel pending work and free c. */
void broker_cancel(struct call *c);
void call_free(struct call *c);

#endif
