/*
 * pool_state.c - the state table (STYLE 4): what a worker may send in each
 * state, and the state changes.  A message the table does not permit, or
 * one out of order, is refused here and the caller kills the worker.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "log.h"
#include "pool_impl.h"

void pool_set_state(struct worker *w, enum worker_state st)
{
        struct sv *sv = w->sv;
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
};

static int on_ready(struct worker *w, struct msg *m)
{
        pool_set_state(w, W_READY);
        evtimer_del(w->ev_deadline);
        log_debug("worker %d ready", (int)w->pid);
        w->sv->calls->ready(w->sv);
        return 0;
}

static int on_call(struct worker *w, struct msg *m)
{
        if (w->open_seq != 0 || m->seq <= w->last_seq)
                return -1; /* calls on a stream are strictly sequential */
        w->last_seq = w->open_seq = m->seq;
        /* Our record of the call, for its end record (it outlives the broker's). */
        snprintf(w->open_op, sizeof(w->open_op), "%s", m->op);
        snprintf(w->open_id, sizeof(w->open_id), "%s", m->id);
        snprintf(w->open_peer, sizeof(w->open_peer), "%s", w->peer);
        w->open_resource[0] = '\0';
        w->open_cancelled = 0;
        clock_gettime(CLOCK_MONOTONIC, &w->open_t0);
        log_debug("worker %d: call %llu %s", (int)w->pid, (unsigned long long)m->seq, m->op);
        return w->sv->calls->call(w, m);
}

static int on_cancel(struct worker *w, struct msg *m)
{
        if (m->seq != w->open_seq)
                return m->seq <= w->last_seq ? 0 : -1; /* a late cancel is harmless */
        w->open_cancelled = 1;
        w->sv->calls->cancel(w);
        return 0;
}

static int on_call_end(struct worker *w, struct msg *m)
{
        /*
         * Only a call the broker already answered (or dropped) can end, or a
         * kept stream the worker ends early (an error, the peer's abort):
         * that one is cancelled, which releases what it started.
         */
        if (m->seq != w->open_seq)
                return -1;
        if (w->sv->calls->call_end(w) < 0)
                return -1;
        log_info("call %llu by %s ended: %s, %llu bytes in, %llu bytes out",
                 (unsigned long long)m->seq, w->peer, m->result,
                 (unsigned long long)m->bytes_in, (unsigned long long)m->bytes_out);
        /* Operation and peer are our own record; result and bytes are the worker's word. */
        pool_audit_end(w, m->result, m->bytes_in, m->bytes_out, 1);
        account_call_end(w->sv->account, w->open_peer, w->open_op, m->result, m->bytes_in,
                         m->bytes_out);
        w->open_seq = 0;
        return 0;
}

static int on_stream_end(struct worker *w, struct msg *m)
{
        return m->seq == w->open_seq ? w->sv->calls->stream_end(w, m->seq) : -1;
}

static int on_resize(struct worker *w, struct msg *m)
{
        return m->seq == w->open_seq ? w->sv->calls->resize(w, m->seq, m->rows, m->cols) : -1;
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
