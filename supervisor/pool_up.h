/*
 * pool_up.h - what the worker pool calls above it.
 *
 * The pool (pool.c, pool_state.c) sits below the broker: processes, their
 * channels and the state table.  It reaches the broker and the audit
 * records only through this table, which main.c gives it (sv->up, set to
 * broker_pool_up, broker.c).  Nothing in the pool includes broker.h.
 */
#ifndef DG_POOL_UP_H
#define DG_POOL_UP_H

#include <jansson.h>
#include <stdint.h>

struct call;
struct msg;
struct opencall;
struct worker;

struct pool_up {
        /*
         * A MSG_CALL the state table let through (numbered in order, within
         * the worker's bound): the broker takes its fields and answers it now
         * or later.  -1 when the worker sent what its own checks must refuse:
         * the caller kills it.
         */
        int (*call)(struct worker *w, struct msg *m);
        /* The worker cancelled c, ended it early, or is gone: cancel and free c. */
        void (*cancel)(struct call *c);
        /* 1 when c is a kept stream (broker.h call_stream_keep). */
        int (*kept)(const struct call *c);
        /* MSG_STREAM_END and MSG_RESIZE for a kept stream; -1: kill the worker. */
        int (*stream_end)(struct call *c);
        int (*resize)(struct call *c, uint32_t rows, uint32_t cols);
        /* MSG_BUILD_IMAGES for a kept build stream; -1: kill the worker. */
        int (*build_images)(struct call *c, const json_t *images);
        /* An open call ended (auditrec.h auditrec_end). */
        void (*call_end)(struct opencall *oc, const char *result, uint64_t bytes_in,
                         uint64_t bytes_out, int reported);
        /* A worker event: "killed", "sandbox-violation", "crash" (auditrec_worker). */
        void (*worker_event)(struct worker *w, const char *event, const char *detail);
};

#endif
