/*
 * deadline.c - a stream's clock and its end (session.h): the idle, first-call
 * and flush deadlines, and leaving the event loop.  A leaf: every layer of
 * the worker may end the stream or restart its clock without calling up
 * into session.c.
 */
#include <sys/socket.h>
#include <linux/sock_diag.h>

#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "session.h"

/*
 * Bytes written to the peer connection that the peer has not taken yet
 * (unix: not read; TCP: not acknowledged), from SO_MEMINFO, which
 * getsockopt gives without a syscall the filter refuses.  0 if unknown.
 */
uint32_t session_kernel_queued(const struct session *s)
{
        uint32_t mem[SK_MEMINFO_VARS];
        socklen_t len = sizeof(mem);

        memset(mem, 0, sizeof(mem));
        if (getsockopt(s->peer_fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1)
                return 0;
        return mem[SK_MEMINFO_WMEM_ALLOC] > mem[SK_MEMINFO_WMEM_QUEUED]
                   ? mem[SK_MEMINFO_WMEM_ALLOC]
                   : mem[SK_MEMINFO_WMEM_QUEUED];
}

void session_idle(struct session *s, int idle)
{
        struct timeval tv;

        event_del(s->timer);
        if (s->closing) {
                tv.tv_sec = SESSION_FLUSH_SECS;
                tv.tv_usec = 0;
                s->progress_armed = s->progress;
                s->kq_armed = session_kernel_queued(s);
        } else if (idle && s->seq == 0 && s->first_call > 0) {
                /* A stream that has not made a call yet gets a short deadline (issue 10). */
                tv.tv_sec = s->first_call;
                tv.tv_usec = 0;
        } else if (idle && s->idle_timeout > 0) {
                tv.tv_sec = s->idle_timeout;
                tv.tv_usec = 0;
        } else {
                return;
        }
        if (evtimer_add(s->timer, &tv) == -1)
                fatalx("evtimer_add");
}

void session_finish(struct session *s)
{
        s->done = 1;
        event_base_loopbreak(s->base);
}
