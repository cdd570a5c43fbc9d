/*
 * dapi_relay.c - the engine connection of a Docker-front data-plane call.
 *
 * The supervisor dialled the engine and wrote the request (invariant 2);
 * the worker reads the engine's answer with http_parser and passes it on
 * in the engine's own format, which is what Docker clients read:
 *
 * - chunked (logs, stats, events, pull): the body, re-chunked to the peer
 *   on its kept connection;
 * - hijack (attach, exec start): Engine 20.10 answers 200 and hijacks
 *   without an Upgrade header; once that answer is read, the peer gets 101
 *   UPGRADED (or 200, for clients that did not ask to upgrade) and the two
 *   connections become one byte pipe: the engine's bytes (raw with a TTY,
 *   else in its 8-byte multiplexed frames) to the peer, the peer's bytes to
 *   the container's stdin, the peer's half-close to a half-close.  Peer
 *   bytes are never written before the engine's answer was read (the engine
 *   drops them: DESIGN.md), and never parsed as a request again.
 *
 * An engine refusal (status not 2xx) is answered with its status and its
 * message.  Back-pressure both ways: the side that reads stops while the
 * other has more than DAPI_OUT_HIGH queued.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dapi.h"
#include "http.h"
#include "log.h"

#define DRELAY_READ_MAX (64u << 10)
#define DRELAY_ERR_MAX (64u << 10)

struct drelay {
        struct dapi *d;
        int fd;
        struct event *rd, *wr;
        struct http_read http;
        int status;
        int ok;                 /* a 2xx answer */
        int paused;             /* not reading the engine */
        int eof;                /* the engine's answer ended */
        struct evbuffer *err;   /* a refusal's body */
        struct evbuffer *toeng; /* peer bytes for the engine (hijack) */
        int wclosed;            /* the engine side is half-closed */
        struct devents *events; /* DRELAY_EVENTS: the presentation of each line */
        int bad;                /* the engine sent what cannot be presented */
        int peer_eof_seen;
};

static void drelay_engine_error(struct drelay *r)
{
        struct dapi *d = r->d;
        size_t n = evbuffer_get_length(r->err);
        char *txt = malloc(n + 1);
        json_t *doc;
        const char *msg = NULL;

        if (txt == NULL)
                fatal("malloc");
        evbuffer_copyout(r->err, txt, n);
        txt[n] = '\0';
        doc = json_loadb(txt, n, 0, NULL);
        msg = json_string_value(json_object_get(doc, "message"));
        dapi_reply_error(d, r->status, "%s",
                         msg != NULL ? msg : "the engine refused the request");
        json_decref(doc);
        free(txt);
        dapi_finish(d, "DOCKER_ERROR");
}

static int drelay_head(void *arg, int status)
{
        struct drelay *r = arg;
        struct dapi *d = r->d;

        r->status = status;
        r->ok = status >= 200 && status < 300;
        if (!r->ok)
                return 0;
        if (d->route->relay == DRELAY_HIJACK) {
                dapi_reply_hijack(d, d->route->ctype);
                d->state = DA_HIJACKED;
                /* Bytes the peer sent behind its request are the first of stdin. */
                drelay_peer_input(d);
        } else {
                dapi_reply_chunked(d, 200, d->route->ctype);
        }
        return 0;
}

static int drelay_body(void *arg, const char *buf, size_t len)
{
        struct drelay *r = arg;
        struct dapi *d = r->d;

        if (!r->ok) {
                if (evbuffer_get_length(r->err) + len <= DRELAY_ERR_MAX)
                        evbuffer_add(r->err, buf, len);
                return 0;
        }
        if (d->route->relay == DRELAY_HIJACK)
                dapi_send(d, buf, len);
        else if (r->events != NULL) {
                if (!r->bad && devents_feed(r->events, d, buf, len) == -1) {
                        log_warnx("events: an engine line that cannot be presented");
                        r->bad = 1;
                        return -1;
                }
        } else if (len > 0)
                dapi_chunk(d, buf, len);
        return 0;
}

static int drelay_done(void *arg)
{
        struct drelay *r = arg;

        r->eof = 1;
        return 0;
}

static const struct http_read_cb drelay_cb = {drelay_head, drelay_body, drelay_done};

/* The engine's answer ended (or broke): the request ends. */
static void drelay_end(struct drelay *r, int broken)
{
        struct dapi *d = r->d;

        if (!r->ok && r->status != 0 && !broken) {
                drelay_engine_error(r);
                return;
        }
        if (r->status == 0) {
                dapi_reply_error(d, 503, "engine connection lost");
                dapi_finish_close(d, "UNAVAILABLE");
                return;
        }
        if (d->state == DA_HIJACKED) {
                /* The session is over: the peer gets FIN after the last bytes. */
                dapi_finish_close(d, "OK");
                return;
        }
        if (broken) {
                /* Mid-body: the peer must not take a cut stream for a whole one. */
                dapi_finish_close(d, "UNAVAILABLE");
                return;
        }
        dapi_chunk(d, NULL, 0);
        dapi_finish(d, "OK");
}

static void drelay_on_read(evutil_socket_t fd, short what, void *arg)
{
        struct drelay *r = arg;
        char buf[DRELAY_READ_MAX];
        enum http_read_status rc;
        size_t used;
        ssize_t n;

        n = read(fd, buf, sizeof(buf));
        if (n == -1 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n == -1)
                log_debug("engine connection: %s", strerror(errno));
        rc = http_read_feed(&r->http, buf, n > 0 ? (size_t)n : 0, &used);
        if (r->eof || r->http.complete) {
                drelay_end(r, 0);
                return;
        }
        if (n <= 0 || rc == HTTP_READ_ERROR || rc == HTTP_READ_STOPPED ||
            rc == HTTP_READ_UPGRADE) {
                if (rc == HTTP_READ_ERROR)
                        log_warnx("malformed engine response: %s", http_read_error(&r->http));
                drelay_end(r, 1);
                return;
        }
        if (evbuffer_get_length(r->d->out) > DAPI_OUT_HIGH && !r->paused) {
                r->paused = 1;
                event_del(r->rd);
        }
}

static void drelay_on_write(evutil_socket_t fd, short what, void *arg)
{
        struct drelay *r = arg;
        struct dapi *d = r->d;

        if (evbuffer_write(r->toeng, fd) == -1 && errno != EAGAIN && errno != EINTR) {
                log_debug("engine connection (write): %s", strerror(errno));
                evbuffer_drain(r->toeng, evbuffer_get_length(r->toeng));
        }
        if (evbuffer_get_length(r->toeng) == 0) {
                event_del(r->wr);
                if (r->peer_eof_seen && !r->wclosed) {
                        r->wclosed = 1;
                        (void)shutdown(r->fd, SHUT_WR);
                }
        }
        if (evbuffer_get_length(r->toeng) < DAPI_OUT_LOW)
                dapi_peer_resume(d);
}

void drelay_peer_input(struct dapi *d)
{
        struct drelay *r = d->relay;

        if (r == NULL || d->state != DA_HIJACKED)
                return;
        if (evbuffer_get_length(d->in) > 0) {
                evbuffer_add_buffer(r->toeng, d->in);
                if (event_add(r->wr, NULL) == -1)
                        fatalx("event_add");
        }
        if (evbuffer_get_length(r->toeng) > DAPI_OUT_HIGH)
                dapi_peer_pause(d);
        if (d->peer_eof && !r->peer_eof_seen) {
                /* Half-close: the container sees the end of its input, output goes on. */
                r->peer_eof_seen = 1;
                if (evbuffer_get_length(r->toeng) == 0 && !r->wclosed) {
                        r->wclosed = 1;
                        (void)shutdown(r->fd, SHUT_WR);
                }
        }
}

void drelay_resume(struct dapi *d)
{
        struct drelay *r = d->relay;

        if (r == NULL || !r->paused)
                return;
        r->paused = 0;
        if (event_add(r->rd, NULL) == -1)
                fatalx("event_add");
}

void drelay_start(struct dapi *d, struct msg *m)
{
        struct drelay *r;

        if ((r = calloc(1, sizeof(*r))) == NULL)
                fatal("calloc");
        r->d = d;
        r->fd = m->fd;
        m->fd = -1;
        if (evutil_make_socket_nonblocking(r->fd) == -1)
                fatal("fcntl on the engine connection");
        r->err = evbuffer_new();
        r->toeng = evbuffer_new();
        r->rd = event_new(d->s->base, r->fd, EV_READ | EV_PERSIST, drelay_on_read, r);
        r->wr = event_new(d->s->base, r->fd, EV_WRITE | EV_PERSIST, drelay_on_write, r);
        if (r->err == NULL || r->toeng == NULL || r->rd == NULL || r->wr == NULL ||
            event_add(r->rd, NULL) == -1)
                fatalx("cannot set up the engine connection");
        http_read_init(&r->http, &drelay_cb, r);
        if (d->route->relay == DRELAY_EVENTS && (r->events = devents_new(m->opts)) == NULL)
                fatalx("events: bad stream options from the supervisor");
        d->relay = r;
        d->state = DA_STREAMING;
}

void drelay_free(struct drelay *r)
{
        if (r == NULL)
                return;
        event_free(r->rd);
        event_free(r->wr);
        evbuffer_free(r->err);
        evbuffer_free(r->toeng);
        devents_free(r->events);
        close(r->fd);
        free(r);
}
