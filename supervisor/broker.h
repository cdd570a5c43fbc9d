/*
 * broker.h - the supervisor's decision point for peer calls.
 *
 * A worker's MSG_CALL becomes a struct call.  broker_dispatch() checks the
 * input again against the shared schema (never believing the worker), checks
 * policy, and runs the operation's handler from the table it is given.  The
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
#include "msg.h"
#include "policy.h"
#include "schema.h"

struct worker;
struct call;
struct opencall;

/*
 * A kept stream (call_stream_keep): the worker relays the engine connection
 * and comes back with MSG_STREAM_END when the output ended, and with
 * MSG_RESIZE for TTY size changes.  end answers the call (call_reply with
 * {"exitCode": N}, or call_fail).  resize may be NULL (MSG_RESIZE is then
 * ignored).  cancel, if set, runs when the call goes away before end was
 * called (the peer left or aborted, the worker died or ended the call
 * itself): it releases what the stream started inside the engine.
 */
struct call_stream_ops {
        void (*end)(struct call *c);
        void (*resize)(struct call *c, uint32_t rows, uint32_t cols);
        void (*cancel)(struct call *c);
        /*
         * A build's MSG_BUILD_IMAGES (images: the worker's untrusted list,
         * borrowed); NULL when the stream is not a build (the worker dies).
         */
        void (*images)(struct call *c, const json_t *images);
};

struct call {
        struct worker *worker; /* the stream's worker */
        struct opencall *oc;   /* the worker's record of it (opencall.h), till answered */
        uint64_t seq;          /* the worker's call number */
        char id[129];          /* the peer's call id */
        char op[97];
        const struct op_desc *desc;     /* the operation's descriptor, once dispatched */
        int raw;                        /* raw carriage requested */
        json_t *input;                  /* checked against the op's schema (owned) */
        const struct peer_policy *peer; /* from the supervisor's own record, never the worker */
        struct policy *policy;          /* a reference: survives a reload mid-call */
        struct engine *engine;
        struct engine_req *pending; /* the engine request in flight, if any */
        void *state;                /* handler's own state; freed with state_free */
        void (*state_free)(void *);
        int answered;
        const struct call_stream_ops *kept; /* set by call_stream_keep() */
        int end_seen;                       /* MSG_STREAM_END arrived */
        /* for the audit log (auditrec.c) */
        int allowed;                   /* policy let it through to its handler */
        int unaudited;                 /* refused because the audit log cannot be written */
        char resource[257];            /* full ID of what it acts on, once known */
        char token[MSG_TOKEN_MAX + 1]; /* TCP: the call's bearer token, wiped once checked */
};

typedef void (*op_handler)(struct call *c);

/*
 * What the broker runs for each operation: one handler per row of
 * protocol/ops.def, indexed by enum op_id.  The broker is given its table
 * (sv->ops, set by main.c) and knows handlers only through it.
 */
struct broker_ops {
        op_handler handler[OPID__COUNT];
        /*
         * Before the policy's check of the input: may rewrite it (a bare
         * image name, the peer's own first: imageown.h), then then(c).
         * NULL: none.
         */
        void (*prepare)(struct call *c, op_handler then);
};

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
/*
 * 1 when c came through the Docker-API front (the supervisor's record of
 * the worker): such calls are answered with the engine's documents,
 * redacted and with the peer's own names, for the worker to render.
 */
int call_engine_view(const struct call *c);
/* The full ID of the resource c acts on, for its audit record (resolve.c). */
void call_set_resource(struct call *c, const char *id);
/* Passes fd (an engine connection with the request written) to the worker. */
void call_stream(struct call *c, int fd, const char *kind, json_t *opts /* stolen */);

/*
 * Like call_stream(), but the call stays open: the worker will send
 * MSG_STREAM_END (then ops->end answers it) and possibly MSG_RESIZE.
 */
void call_stream_keep(struct call *c, int fd, const char *kind, json_t *opts /* stolen */,
                      const struct call_stream_ops *ops);
/*
 * The worker's MSG_STREAM_END and MSG_RESIZE for c (pool.c checked the
 * seq).  -1 when c is not a kept stream, or its end was already seen: the
 * caller kills the worker.
 */
int broker_stream_end(struct call *c);
int broker_resize(struct call *c, uint32_t rows, uint32_t cols);
/* The worker's MSG_BUILD_IMAGES for c; -1 (kill the worker) when c takes none. */
int broker_build_images(struct call *c, const json_t *images);
/*
 * A kept stream's word before its end (a build's approval): MSG_RESULT with
 * output (stolen), the call staying open.  -1 when it was not delivered.
 */
int call_kept_note(struct call *c, json_t *output);

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

/* What the pool calls above it (pool_up.h): main.c sets sv->up to it. */
extern const struct pool_up broker_pool_up;

#endif
