/*
 * peer.c - the peer connection of a worker: frames in, frames out.
 *
 * SECURITY: the frame decoder caps every length (MSG_PEER.max_frame) before
 * allocating; everything else about a frame is envelope_parse()'s job.
 * Output is bounded by back-pressure on the engine stream, not by dropping.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "call.h"
#include "log.h"
#include "peer.h"
#include "raw.h"
#include "sent.h"
#include "stream.h"

#define PEER_READ_MAX (64u << 10)
#define PEER_COPY_MAX (16u << 10) /* frames up to this size are copied (peer_send) */

static void peer_unref(const void *data, size_t len, void *arg)
{
        free((void *)data);
}

static void peer_consume(struct session *s, const unsigned char *p, size_t len)
{
        enum frame_status st;
        char *json;
        size_t used, jlen;

        while (len > 0 && !s->closing && !s->done && !s->draining) {
                /* After a raw call.requested, every byte is a chunk (PROTOCOL.md 3). */
                if (s->raw != NULL) {
                        raw_peer_input(s, p, len);
                        return;
                }
                st = frame_dec_feed(&s->dec, p, len, &used, &json, &jlen);
                p += used;
                len -= used;
                switch (st) {
                case FRAME_OK:
                        call_frame(s, json, jlen, FRAME_HDR + jlen);
                        free(json);
                        break;
                case FRAME_NEED_MORE:
                        return;
                case FRAME_ERR_EMPTY:
                        call_protocol_error(s, "", "frame of length 0");
                        return;
                case FRAME_ERR_TOO_BIG:
                        call_protocol_error(s, "", "frame longer than the maximum");
                        return;
                case FRAME_ERR_NOMEM:
                        fatalx("out of memory for a peer frame");
                }
        }
}

static void peer_on_read(evutil_socket_t fd, short what, void *arg)
{
        struct session *s = arg;
        unsigned char buf[PEER_READ_MAX];
        ssize_t n;

        if (s->done)
                return;
        n = read(fd, buf, sizeof(buf));
        if (n == -1 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                if (n == -1)
                        log_debug("peer connection: %s", strerror(errno));
                call_peer_gone(s);
                return;
        }
        if (s->closing) {
                s->progress += (size_t)n; /* the peer is alive: the deadline waits */
                return;                   /* lingering: what the peer still sends is dropped */
        }
        if (s->ncalls == 0)
                session_idle(s, 1); /* peer bytes restart the idle clock */
        peer_consume(s, buf, (size_t)n);
}

/*
 * The last frame is written: send FIN, and wait for the peer to close (or
 * for SESSION_FLUSH_SECS without progress) before closing, so that unread
 * peer bytes cannot make the kernel reset a TCP connection and lose that
 * frame.
 */
static void peer_linger(struct session *s)
{
        if (shutdown(s->peer_fd, SHUT_WR) == -1) {
                session_finish(s);
                return;
        }
        if (event_add(s->peer_rd, NULL) == -1)
                fatalx("event_add");
}

/* Moves up to PEER_QUANTUM of whole frames (at least one) from c's queue to the peer's. */
static void peer_move(struct session *s, struct call *c, size_t quantum)
{
        unsigned char hdr[FRAME_HDR];
        size_t moved = 0, flen;

        while (moved < quantum && evbuffer_copyout(c->out, hdr, sizeof(hdr)) == sizeof(hdr)) {
                flen = FRAME_HDR + ((size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
                                    (size_t)hdr[2] << 8 | (size_t)hdr[3]);
                if (evbuffer_remove_buffer(c->out, s->out, flen) != (int)flen)
                        fatalx("a call's queue lost a frame");
                sent_queued(s, c->seq, flen);
                moved += flen;
        }
}

/* A call's queue went empty or short: its stream may read again; an ended one is done. */
static void peer_call_drained(struct call *c)
{
        if (evbuffer_get_length(c->out) > 0) {
                TAILQ_INSERT_TAIL(&c->s->ready, c, qlink);
                if (evbuffer_get_length(c->out) < CALL_OUT_LOW && c->state == CALL_STREAMING)
                        stream_resume(c);
                return;
        }
        c->queued = 0;
        if (c->state == CALL_STREAMING)
                stream_resume(c);
        call_queue_empty(c);
}

/* Round-robin over the calls with queued frames, while the peer's queue is short. */
static void peer_refill(struct session *s)
{
        struct call *c;

        while (evbuffer_get_length(s->out) < PEER_FILL &&
               (c = TAILQ_FIRST(&s->ready)) != NULL) {
                TAILQ_REMOVE(&s->ready, c, qlink);
                peer_move(s, c, PEER_QUANTUM);
                peer_call_drained(c);
        }
}

void peer_flush_calls(struct session *s)
{
        struct call *c;

        while ((c = TAILQ_FIRST(&s->ready)) != NULL) {
                TAILQ_REMOVE(&s->ready, c, qlink);
                peer_move(s, c, SIZE_MAX);
                c->queued = 0;
                call_queue_empty(c);
        }
        if (evbuffer_get_length(s->out) > 0 && event_add(s->peer_wr, NULL) == -1)
                fatalx("event_add");
}

static void peer_on_write(evutil_socket_t fd, short what, void *arg)
{
        struct session *s = arg;
        size_t left;
        int n;

        if (s->done)
                return;
        if ((n = evbuffer_write(s->out, fd)) == -1) {
                if (errno == EAGAIN || errno == EINTR)
                        return;
                log_debug("peer connection: %s", strerror(errno));
                call_peer_gone(s);
                return;
        }
        /* Counted as sent only now that the socket has it (sent.h). */
        s->progress += (size_t)n;
        sent_written(s, (size_t)n);
        peer_refill(s);
        left = evbuffer_get_length(s->out);
        if (left == 0) {
                event_del(s->peer_wr);
                if (s->closing) {
                        peer_linger(s);
                        return;
                }
        }
        /* Raw carriage writes the peer's queue itself (raw.c): it follows that queue. */
        if (left < PEER_OUT_LOW && s->raw != NULL)
                stream_resume(s->raw);
}

void peer_start(struct session *s)
{
        s->out = evbuffer_new();
        s->peer_rd = event_new(s->base, s->peer_fd, EV_READ | EV_PERSIST, peer_on_read, s);
        s->peer_wr = event_new(s->base, s->peer_fd, EV_WRITE | EV_PERSIST, peer_on_write, s);
        if (s->out == NULL || s->peer_rd == NULL || s->peer_wr == NULL)
                fatalx("cannot set up the peer connection");
        if (event_add(s->peer_rd, NULL) == -1)
                fatalx("event_add");
}

void peer_stop(struct session *s)
{
        if (s->peer_rd != NULL)
                event_free(s->peer_rd);
        if (s->peer_wr != NULL)
                event_free(s->peer_wr);
        if (s->out != NULL)
                evbuffer_free(s->out);
        s->peer_rd = s->peer_wr = NULL;
        s->out = NULL;
        if (s->peer_fd != -1)
                close(s->peer_fd);
        s->peer_fd = -1;
}

/* Queues one frame on buf (the peer's queue or a call's). */
static int peer_queue(struct evbuffer *buf, char *json, size_t len)
{
        unsigned char hdr[FRAME_HDR];

        if (len == 0 || len > FRAME_MAX_SERVER) {
                free(json);
                return -1;
        }
        frame_put_header(hdr, (uint32_t)len);
        if (evbuffer_add(buf, hdr, sizeof(hdr)) == -1)
                fatalx("out of memory queueing a frame");
        /*
         * Small frames (a log record, an answer) are copied: they then share
         * the evbuffer's chains, and a writev carries hundreds of them, where
         * a chain per frame would cost a malloc each and write a few KiB per
         * call.  Big frames are passed by reference, not copied.
         */
        if (len <= PEER_COPY_MAX) {
                if (evbuffer_add(buf, json, len) == -1)
                        fatalx("out of memory queueing a frame");
                free(json);
        } else if (evbuffer_add_reference(buf, json, len, peer_unref, NULL) == -1) {
                fatalx("out of memory queueing a frame");
        }
        return 0;
}

int peer_send_frame(struct session *s, char *json, size_t len)
{
        if (peer_queue(s->out, json, len) == -1)
                return -1;
        sent_queued(s, 0, FRAME_HDR + len);
        if (event_add(s->peer_wr, NULL) == -1)
                fatalx("event_add");
        return 0;
}

int peer_send(struct call *c, char *json, size_t len)
{
        struct session *s = c->s;

        /* In order behind its own queued frames; straight on while the peer's queue is short.
         */
        if (c->queued || (evbuffer_get_length(s->out) >= PEER_FILL && !s->closing)) {
                if (peer_queue(c->out, json, len) == -1)
                        return -1;
                if (!c->queued) {
                        c->queued = 1;
                        TAILQ_INSERT_TAIL(&s->ready, c, qlink);
                }
                if (evbuffer_get_length(c->out) > CALL_OUT_HIGH)
                        stream_pause(c);
        } else if (peer_queue(s->out, json, len) == -1) {
                return -1;
        } else {
                sent_queued(s, c->seq, FRAME_HDR + len);
        }
        c->bytes_out += FRAME_HDR + len;
        if (event_add(s->peer_wr, NULL) == -1)
                fatalx("event_add");
        return 0;
}

size_t peer_queued(const struct session *s)
{
        return evbuffer_get_length(s->out);
}

void peer_stop_reading(struct session *s)
{
        event_del(s->peer_rd);
}

void peer_close(struct session *s)
{
        if (s->closing)
                return;
        peer_flush_calls(s);
        s->closing = 1;
        event_del(s->peer_rd);
        session_idle(s, 1); /* now the flush deadline */
        if (evbuffer_get_length(s->out) == 0)
                peer_linger(s);
}
