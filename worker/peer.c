/*
 * peer.c - the peer connection of a worker: frames in, frames out.
 *
 * SECURITY: the frame decoder caps every length (MSG_PEER.max_frame) before
 * allocating; everything else about a frame is envelope_parse()'s job.
 * Output is bounded by back-pressure on the engine stream, not by dropping.
 */
#include <sys/socket.h>

#include <errno.h>
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

        while (len > 0 && !s->closing && !s->done) {
                /* After a raw call.requested, every byte is a chunk (PROTOCOL.md 3). */
                if (s->raw && s->state != CALL_IDLE) {
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
        if (s->state == CALL_IDLE)
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
        left = evbuffer_get_length(s->out);
        if (left == 0) {
                event_del(s->peer_wr);
                if (s->closing) {
                        peer_linger(s);
                        return;
                }
        }
        if (left < PEER_OUT_LOW)
                stream_resume(s);
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

int peer_send(struct session *s, char *json, size_t len)
{
        unsigned char hdr[FRAME_HDR];

        if (len == 0 || len > FRAME_MAX_SERVER) {
                free(json);
                return -1;
        }
        frame_put_header(hdr, (uint32_t)len);
        if (evbuffer_add(s->out, hdr, sizeof(hdr)) == -1)
                fatalx("out of memory queueing a frame");
        /*
         * Small frames (a log record, an answer) are copied: they then share
         * the evbuffer's chains, and a writev carries hundreds of them, where
         * a chain per frame would cost a malloc each and write a few KiB per
         * call.  Big frames are passed by reference, not copied.
         */
        if (len <= PEER_COPY_MAX) {
                if (evbuffer_add(s->out, json, len) == -1)
                        fatalx("out of memory queueing a frame");
                free(json);
        } else if (evbuffer_add_reference(s->out, json, len, peer_unref, NULL) == -1) {
                fatalx("out of memory queueing a frame");
        }
        sent_queued(s, s->state != CALL_IDLE ? s->seq : 0, FRAME_HDR + len);
        if (event_add(s->peer_wr, NULL) == -1)
                fatalx("event_add");
        if (evbuffer_get_length(s->out) > PEER_OUT_HIGH)
                stream_pause(s);
        return 0;
}

size_t peer_queued(const struct session *s)
{
        return evbuffer_get_length(s->out);
}

void peer_close(struct session *s)
{
        if (s->closing)
                return;
        s->closing = 1;
        event_del(s->peer_rd);
        session_idle(s, 1); /* now the flush deadline */
        if (evbuffer_get_length(s->out) == 0)
                peer_linger(s);
}
