/*
 * pool_chan.c - a worker's channel: reading and decoding what it sends
 * (through the state table, pool_state.c), and its end: a hang-up, a kill,
 * and the close that ends its open calls (audited through sv->up).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "fdpass.h"
#include "log.h"
#include "pool_impl.h"
#include "pool_up.h"

#define DYING_GRACE_S 2 /* a worker that hung up gets this long to exit */

/* Drops a worker's channel; the process itself is reaped by pool_reap(). */
void pool_chan_close(struct worker *w)
{
        struct opencall *oc;
        while ((oc = TAILQ_FIRST(&w->calls)) != NULL) {
                if (oc->call != NULL)
                        w->sv->up->cancel(oc->call); /* clears oc->call */
                /* The call ends with its channel, without the worker's MSG_CALL_END. */
                const char *res =
                    oc->cancelled || w->sv->shutting_down ? "ABORTED" : "INTERNAL";
                w->sv->up->call_end(oc, res, 0, 0, 0);
                account_call_end(w->sv->account, oc->peer, oc->op, res, 0, 0);
                opencall_free(oc);
        }
        pool_outq_clear(w);
        if (w->chan >= 0) {
                event_del(w->ev_read);
                event_del(w->ev_write);
                close(w->chan);
                w->chan = -1;
        }
}

void pool_kill(struct worker *w, const char *reason)
{
        if (reason != NULL)
                log_warnx("worker %d (peer %s): %s; killing it", (int)w->pid,
                          w->peer[0] ? w->peer : "-", reason);
        if (w->state != W_DYING) {
                if (reason != NULL)
                        w->sv->up->worker_event(w, "killed", reason);
                pool_set_state(w, W_DYING);
                w->killed = 1;
                pool_signal(w, SIGKILL);
        }
        pool_chan_close(w);
        pool_refill(w->sv);
}

/* The worker hung up: give it a moment to exit on its own. */
void pool_chan_eof(struct worker *w)
{
        if (w->state != W_DYING) {
                pool_set_state(w, W_DYING);
                pool_arm_deadline(w, DYING_GRACE_S);
        }
        pool_chan_close(w);
        pool_refill(w->sv);
}

void pool_chan_read(evutil_socket_t fd, short what, void *arg)
{
        struct worker *w = arg;
        /* A worker's messages are at most a peer frame plus the message's own keys. */
        size_t max = (size_t)w->sv->cfg.max_frame + 65536;
        for (int i = 0; i < 16 && w->chan >= 0; i++) {
                void *buf;
                size_t len;
                int pfd;
                int rc = fdpass_recv(w->chan, max, &buf, &len, &pfd);
                if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (rc < 0) {
                        pool_kill(w, errno == EMSGSIZE ? "message too large"
                                                       : "unreadable message");
                        return;
                }
                if (rc == 0) {
                        pool_chan_eof(w);
                        return;
                }
                struct msg m;
                char err[256];
                /* SECURITY: no worker message carries an fd; msg_decode refuses one. */
                if (msg_decode(buf, len, pfd, &m, err, sizeof(err)) < 0) {
                        free(buf);
                        pool_kill(w, err);
                        return;
                }
                free(buf);
                if (pool_state_dispatch(w, &m, err, sizeof(err)) < 0)
                        pool_kill(w, err);
                msg_clear(&m);
        }
}
