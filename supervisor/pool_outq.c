/*
 * pool_outq.c - a worker's out-queue: messages (and an fd each, at most)
 * waiting for the channel, each held until the audit log is durable up to
 * its ticket (invariant 7), and the write that drains it.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "fdpass.h"
#include "log.h"
#include "pool_impl.h"

#define OUTQ_MAX (64u << 20)

int pool_send(struct worker *w, const struct msg *m, int fd)
{
        return pool_send_held(w, m, fd, 0);
}

int pool_send_held(struct worker *w, const struct msg *m, int fd, uint64_t ticket)
{
        char *buf;
        size_t len;
        if (w->chan < 0 || w->state == W_DYING) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        /* The encoder checks the fd against the type's schema; it stays ours. */
        struct msg withfd = *m;
        withfd.fd = fd;
        if (msg_encode(&withfd, &buf, &len) < 0) {
                log_warnx("worker %d: cannot encode %s", (int)w->pid, msg_type_name(m->type));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (w->outq_bytes + len > OUTQ_MAX) {
                free(buf);
                if (fd >= 0)
                        close(fd);
                pool_kill(w, "not reading its channel");
                return -1;
        }
        struct outmsg *om = calloc(1, sizeof(*om));
        if (om == NULL)
                fatal("calloc");
        om->buf = buf;
        om->len = len;
        om->fd = fd;
        om->ticket = ticket > audit_durable(w->sv->audit) ? ticket : 0;
        int was_empty = TAILQ_EMPTY(&w->outq);
        TAILQ_INSERT_TAIL(&w->outq, om, link);
        w->outq_bytes += len;
        /*
         * Arm the write event only while something is queued.  A message
         * alone in the queue is written as soon as the current callback
         * returns, without a round through epoll (the channel is almost
         * always writable): hand-offs and answers are latency.
         */
        if (was_empty && om->ticket == 0)
                event_active(w->ev_write, EV_WRITE, 1);
        else
                event_add(w->ev_write, NULL);
        return 0;
}

void pool_chan_write(evutil_socket_t fd, short what, void *arg)
{
        struct worker *w = arg;
        struct outmsg *om;
        while ((om = TAILQ_FIRST(&w->outq)) != NULL) {
                /* Invariant 7: held until its audit record is durable (pool_release). */
                if (om->ticket > audit_durable(w->sv->audit))
                        return;
                if (fdpass_send(w->chan, om->buf, om->len, om->fd) < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK) {
                                event_add(w->ev_write, NULL);
                                return;
                        }
                        log_warn("worker %d: send", (int)w->pid);
                        pool_chan_eof(w);
                        return;
                }
                TAILQ_REMOVE(&w->outq, om, link);
                w->outq_bytes -= om->len;
                if (om->fd >= 0)
                        close(om->fd);
                free(om->buf);
                free(om);
        }
}

void pool_outq_clear(struct worker *w)
{
        struct outmsg *om;
        while ((om = TAILQ_FIRST(&w->outq)) != NULL) {
                TAILQ_REMOVE(&w->outq, om, link);
                if (om->fd >= 0)
                        close(om->fd);
                free(om->buf);
                free(om);
        }
        w->outq_bytes = 0;
}

/* The audit log is durable further: wake the workers whose next message it held. */
void pool_release(void *arg)
{
        struct sv *sv = arg;
        struct worker *w;
        TAILQ_FOREACH(w, &sv->workers, link)
        {
                struct outmsg *om = TAILQ_FIRST(&w->outq);
                if (om != NULL && om->ticket != 0 && w->chan >= 0)
                        event_add(w->ev_write, NULL);
        }
}
