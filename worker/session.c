/*
 * session.c - the one stream a worker serves: setup, timers, teardown.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "chan.h"
#include "call.h"
#include "dapi.h"
#include "log.h"
#include "peer.h"
#include "raw.h"
#include "sent.h"
#include "session.h"
#include "stream.h"

static void session_on_chan(evutil_socket_t fd, short what, void *arg)
{
        struct session *s = arg;
        struct msg m;

        /* One message per callback: peer and engine events interleave fairly. */
        if (s->done || !chan_recv(s->chan, &m))
                return;
        if (s->dapi != NULL)
                dapi_msg(s->dapi, &m);
        else
                call_msg(s, &m);
        msg_clear(&m);
}

static void session_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct session *s = arg;

        if (s->done || s->dapi != NULL)
                return;
        if (s->closing) {
                uint32_t kq = session_kernel_queued(s);

                if (s->progress != s->progress_armed || kq < s->kq_armed) {
                        session_idle(s, 1); /* the peer is reading: wait on */
                        return;
                }
                log_info("peer took nothing for %d s: closing with %llu bytes unwritten, "
                         "%u bytes unread",
                         SESSION_FLUSH_SECS, (unsigned long long)sent_unwritten(s), kq);
                session_finish(s);
                return;
        }
        if (s->ncalls == 0) {
                if (s->seq == 0 && s->first_call > 0)
                        log_info("no call in the stream's first %u seconds: closing",
                                 s->first_call);
                else
                        log_debug("idle for %u seconds: closing", s->idle_timeout);
                session_finish(s);
        }
}

/* What the calls reach above them (call.h): the peer connection and the streams. */
static const struct call_up session_call_up = {
    .send = peer_send,
    .send_frame = peer_send_frame,
    .flush_calls = peer_flush_calls,
    .stop_reading = peer_stop_reading,
    .close = peer_close,
    .stream_start = stream_start,
    .stream_msg = stream_msg,
    .stream_drop = stream_drop,
    .raw_error = raw_send_error,
};

struct session *session_new(struct event_base *base, int chan, struct msg *peer)
{
        struct session *s;
        socklen_t len;
        int type;

        if (peer->type != MSG_PEER || peer->fd == -1)
                fatalx("session needs MSG_PEER with a descriptor");
        /* SECURITY: look at what we were given before serving it. */
        len = sizeof(type);
        if (getsockopt(peer->fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
                fatal("peer descriptor is not a socket");
        if (type != SOCK_STREAM)
                fatalx("peer descriptor is not a stream socket");
        if ((s = calloc(1, sizeof(*s))) == NULL)
                fatal("calloc");
        s->base = base;
        s->chan = chan;
        s->up = &session_call_up;
        s->peer_fd = peer->fd;
        peer->fd = -1;
        if (evutil_make_socket_nonblocking(s->peer_fd) == -1)
                fatal("fcntl on the peer connection");
        memcpy(s->peer_name, peer->peer, sizeof(s->peer_name));
        s->peer_name[sizeof(s->peer_name) - 1] = '\0';
        s->authenticated = peer->authenticated;
        s->peer_uid = peer->uid;
        s->peer_gid = peer->gid;
        s->tcp = strcmp(peer->transport, "tcp") == 0;
        memcpy(s->refusal, peer->refusal, sizeof(s->refusal));
        s->refusal[sizeof(s->refusal) - 1] = '\0';
        s->max_frame = peer->max_frame;
        s->idle_timeout = peer->idle_timeout;
        s->max_calls = peer->max_calls;
        TAILQ_INIT(&s->calls);
        TAILQ_INIT(&s->ready);
        TAILQ_INIT(&s->ended);
        s->first_call = peer->first_call;
        s->sent = sent_new();
        frame_dec_init(&s->dec, s->max_frame);

        s->chan_ev = event_new(base, chan, EV_READ | EV_PERSIST, session_on_chan, s);
        s->timer = evtimer_new(base, session_on_timer, s);
        if (s->chan_ev == NULL || s->timer == NULL || event_add(s->chan_ev, NULL) == -1)
                fatalx("cannot set up the supervisor channel events");
        if (strcmp(peer->front, "docker") == 0) {
                /* The peer speaks the Docker Engine API: dapi.h owns the connection. */
                s->dapi = dapi_new(s);
                log_debug("serving peer \"%s\" on the Docker-API front%s", s->peer_name,
                          s->authenticated ? "" : " (unauthenticated)");
                return s;
        }
        peer_start(s);
        session_idle(s, 1);
        if (s->tcp)
                log_debug("serving a TCP peer (a token on each call)");
        else
                log_debug("serving peer \"%s\"%s%s", s->peer_name,
                          s->authenticated ? "" : " (unauthenticated)",
                          s->refusal[0] ? " (refused)" : "");
        return s;
}

void session_free(struct session *s)
{
        if (s == NULL)
                return;
        call_free_all(s);
        raw_session_free(s);
        dapi_free(s->dapi);
        /* Ends still waiting for their bytes are reported with what was written. */
        sent_flush(s);
        sent_free(s->sent);
        peer_stop(s);
        if (s->chan_ev != NULL)
                event_free(s->chan_ev);
        if (s->timer != NULL)
                event_free(s->timer);
        frame_dec_free(&s->dec);
        free(s);
}
