/*
 * pool_state.c - the worker state table (STYLE 4): what a worker may send
 * in each state, in which order, and the state changes.  A message the
 * table does not permit, or one out of order, is refused with a reason and
 * the caller (pool.c) kills the worker: unit-tested without processes in
 * tests/unit/test_sv_pool_state.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "admit.h"
#include "log.h"
#include "opencall.h"
#include "pool.h"
#include "pool_up.h"

void pool_set_state(struct worker *w, enum worker_state st)
{
        struct sv *sv = w->sv;
        if (w->state == W_SERVING && st != W_SERVING)
                admit_left(w); /* its place is free: admission counts it no more */
        if (w->state == W_SPAWNED)
                sv->nspawning--;
        else if (w->state == W_READY)
                sv->nready--;
        /*
         * The ready workers are kept as the head of the list, so that a
         * hand-off (pool_take) never walks past every serving one: a worker
         * becoming ready moves to the head, one leaving that state to the tail.
         */
        if (w->state == W_READY || st == W_READY) {
                TAILQ_REMOVE(&sv->workers, w, link);
                if (st == W_READY)
                        TAILQ_INSERT_HEAD(&sv->workers, w, link);
                else
                        TAILQ_INSERT_TAIL(&sv->workers, w, link);
        }
        w->state = st;
        if (st == W_READY)
                sv->nready++;
        else if (st == W_SPAWNED)
                sv->nspawning++;
}

/*
 * The state table (STYLE 4): what each state permits.  Anything else is a
 * protocol violation by a possibly compromised worker, which then dies.
 */
static int on_ready(struct worker *w, struct msg *m);
static int on_call(struct worker *w, struct msg *m);
static int on_cancel(struct worker *w, struct msg *m);
static int on_call_end(struct worker *w, struct msg *m);
static int on_stream_end(struct worker *w, struct msg *m);
static int on_resize(struct worker *w, struct msg *m);
static int on_build_images(struct worker *w, struct msg *m);

static const struct transition {
        enum worker_state state;
        enum msg_type type;
        int (*fn)(struct worker *, struct msg *);
} transitions[] = {
    {W_SPAWNED, MSG_READY, on_ready},
    {W_SERVING, MSG_CALL, on_call},
    {W_SERVING, MSG_CANCEL, on_cancel},
    {W_SERVING, MSG_CALL_END, on_call_end},
    /* Only while a kept stream (broker.h call_stream_keep) is open; checked there. */
    {W_SERVING, MSG_STREAM_END, on_stream_end},
    {W_SERVING, MSG_RESIZE, on_resize},
    {W_SERVING, MSG_BUILD_IMAGES, on_build_images},
};

static int on_ready(struct worker *w, struct msg *m)
{
        pool_set_state(w, W_READY);
        evtimer_del(w->ev_deadline);
        log_debug("worker %d ready", (int)w->pid);
        admit_drain(w->sv);
        return 0;
}

static int on_call(struct worker *w, struct msg *m)
{
        /* Numbered in order, and no more open at once than the worker itself allows. */
        if (m->seq <= w->last_seq || w->ncalls >= w->sv->cfg.max_calls_stream)
                return -1;
        w->last_seq = m->seq;
        snprintf(w->open_op, sizeof(w->open_op), "%s", m->op);
        snprintf(w->open_route, sizeof(w->open_route), "%s", m->route);
        log_debug("worker %d: call %llu %s", (int)w->pid, (unsigned long long)m->seq, m->op);
        return w->sv->up->call(w, m);
}

static int on_cancel(struct worker *w, struct msg *m)
{
        struct opencall *oc = opencall_find(w, m->seq);

        if (oc == NULL)
                return m->seq <= w->last_seq ? 0 : -1; /* a late cancel is harmless */
        oc->cancelled = 1;
        if (oc->call != NULL)
                w->sv->up->cancel(oc->call);
        return 0;
}

static int on_call_end(struct worker *w, struct msg *m)
{
        /*
         * Only a call the broker already answered (or dropped) can end, or a
         * kept stream the worker ends early (an error, the peer's abort):
         * that one is cancelled, which releases what it started.
         */
        struct opencall *oc = opencall_find(w, m->seq);

        if (oc == NULL)
                return -1;
        if (oc->call != NULL) {
                if (!w->sv->up->kept(oc->call))
                        return -1;
                w->sv->up->cancel(oc->call);
        }
        log_debug("call %llu by %s ended: %s, %llu bytes in, %llu bytes out",
                  (unsigned long long)m->seq, w->peer, m->result,
                  (unsigned long long)m->bytes_in, (unsigned long long)m->bytes_out);
        /* Operation and peer are our own record; result and bytes are the worker's word. */
        w->sv->up->call_end(oc, m->result, m->bytes_in, m->bytes_out, 1);
        account_call_end(w->sv->account, oc->peer, oc->op, m->result, m->bytes_in,
                         m->bytes_out);
        opencall_free(oc);
        return 0;
}

/* The kept stream of an open call, or NULL when m is not about one. */
static struct call *kept_call(struct worker *w, const struct msg *m)
{
        struct opencall *oc = opencall_find(w, m->seq);

        return oc != NULL ? oc->call : NULL;
}

static int on_stream_end(struct worker *w, struct msg *m)
{
        struct call *c = kept_call(w, m);

        return c != NULL ? w->sv->up->stream_end(c) : -1;
}

static int on_resize(struct worker *w, struct msg *m)
{
        struct call *c = kept_call(w, m);

        return c != NULL ? w->sv->up->resize(c, m->rows, m->cols) : -1;
}

static int on_build_images(struct worker *w, struct msg *m)
{
        struct call *c = kept_call(w, m);

        return c != NULL ? w->sv->up->build_images(c, m->images) : -1;
}

int pool_state_dispatch(struct worker *w, struct msg *m, char *why, size_t whylen)
{
        for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
                if (transitions[i].state != w->state || transitions[i].type != m->type)
                        continue;
                if (transitions[i].fn(w, m) < 0) {
                        snprintf(why, whylen, "%s out of order", msg_type_name(m->type));
                        return -1;
                }
                return 0;
        }
        snprintf(why, whylen, "%s not allowed in its state", msg_type_name(m->type));
        return -1;
}
