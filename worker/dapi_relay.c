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
 * - archive (docker cp): the engine's tar, chunked, under the engine's
 *   X-Docker-Container-Path-Stat header (checked to be base64 and nothing
 *   else before it is written); for HEAD only that head, and the engine
 *   connection is dropped unread.
 *
 * - put (docker cp in): the peer's request body, however it is framed,
 *   goes through the tar checker (tar.h, as the native archive/put) and on
 *   as the chunked body the supervisor's request announced; a refused entry
 *   answers 403 (or 400) and drops the engine connection mid-body, so the
 *   engine applies nothing from that entry on.  The engine's answer, once
 *   the body ended, is the answer.
 *
 * - build (docker build): the body as put's, through dapi_build.c's checks
 *   (the tar rules, the size cap, the Dockerfile read); its last chunk is
 *   held until the supervisor approved the Dockerfile's images
 *   (MSG_BUILD_IMAGES, then MSG_RESULT).  The engine's progress goes on
 *   chunked, each line re-written (dapi_build.c); when it ended the
 *   supervisor is told (MSG_STREAM_END) and its {imageId, tags} ends the
 *   answer.  A refusal before the engine answered is the answer's status;
 *   one after it (the build's time is up) an error record, as the engine
 *   ends a failed build.
 *
 * An engine refusal (status not 2xx) is answered with its status and its
 * message.  Back-pressure both ways: the side that reads stops while the
 * other has more than DAPI_OUT_HIGH queued.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "dapi.h"
#include "http.h"
#include "log.h"
#include "tar.h"

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
        int answered; /* HEAD of an archive: the answer went out, the rest is not read */
        struct tar_check *tar; /* DRELAY_PUT */
        enum tar_status tar_failed;
        int put_done;         /* the body's last chunk is queued */
        struct event *stall;  /* DRELAY_PUT: the body's lack of progress (DAPI_STALL_SECS) */
        struct dbuild *build; /* DRELAY_BUILD */
        int build_refused;    /* its context was refused */
        int held;             /* its images went to the supervisor: the last chunk waits */
        int approved;         /* ... and it went */
        int waiting;          /* the progress ended: the supervisor's {imageId, tags} is owed */
};

#define DRELAY_STAT_HEADER "X-Docker-Container-Path-Stat"

/* The engine's path stat: base64 (RFC 4648) and nothing else, or NULL. */
static const char *drelay_stat(const struct drelay *r)
{
        const char *v = r->http.keep_value;
        size_t i;

        if (!r->http.keep_seen || r->http.keep_long || v[0] == '\0')
                return NULL;
        for (i = 0; v[i] != '\0'; i++)
                if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
                      (v[i] >= '0' && v[i] <= '9') || v[i] == '+' || v[i] == '/' ||
                      v[i] == '='))
                        return NULL;
        return v;
}

/* An archive's head: -1 to stop reading the engine (HEAD, or no stat). */
static int drelay_archive_head(struct drelay *r)
{
        struct dapi *d = r->d;
        const char *stat = drelay_stat(r);
        char hdr[HTTP_KEEP_VALUE_MAX + sizeof(DRELAY_STAT_HEADER) + 8];

        if (stat == NULL) {
                log_warnx("archive: the engine's answer has no usable path stat");
                dapi_reply_error(d, 502, "the engine's answer has no path stat");
                r->answered = 1;
                return -1;
        }
        snprintf(hdr, sizeof(hdr), DRELAY_STAT_HEADER ": %s\r\n", stat);
        if (d->head_only) {
                dapi_reply(d, 200, NULL, NULL, 0, hdr);
                r->answered = 1;
                return -1;
        }
        dapi_reply_chunked_with(d, 200, d->route->ctype, hdr);
        return 0;
}

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
        /* A HEAD was asked of the engine too (statOnly): its refusal has no body to read. */
        if (!r->ok && d->head_only && d->route->relay == DRELAY_ARCHIVE) {
                dapi_reply_error(d, status, "the engine refused the request");
                r->answered = 1;
                return -1;
        }
        if (!r->ok)
                return 0;
        if (d->route->relay == DRELAY_HIJACK) {
                dapi_reply_hijack(d, d->route->ctype);
                d->state = DA_HIJACKED;
                /* Bytes the peer sent behind its request are the first of stdin. */
                drelay_peer_input(d);
        } else if (d->route->relay == DRELAY_ARCHIVE) {
                return drelay_archive_head(r);
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
        else if (r->build != NULL) {
                if (!r->bad && dbuild_progress(r->build, d, buf, len) == -1) {
                        log_warnx("build: an engine line that cannot be presented");
                        r->bad = 1;
                        return -1;
                }
        } else if (r->events != NULL) {
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

/* A build's progress ended well: the supervisor looks the image up, then the answer ends. */
static void drelay_build_end(struct drelay *r)
{
        struct dapi *d = r->d;
        struct msg m;

        if (dbuild_progress_end(r->build, d)) {
                /* The engine said why (RUN failed...); the call ends, which ends the build. */
                dapi_chunk(d, NULL, 0);
                dapi_finish_close(d, "DOCKER_ERROR");
                return;
        }
        if (!r->approved) {
                dbuild_fail_record(d, "the engine ended the build early");
                dapi_chunk(d, NULL, 0);
                dapi_finish_close(d, "DOCKER_ERROR");
                return;
        }
        event_del(r->rd);
        r->waiting = 1;
        msg_init(&m, MSG_STREAM_END);
        m.seq = d->seq;
        chan_send(d->s->chan, &m);
        msg_clear(&m);
}

/* The engine's answer ended (or broke): the request ends. */
static void drelay_end(struct drelay *r, int broken)
{
        struct dapi *d = r->d;

        if (r->build != NULL && r->ok && !broken && !r->bad) {
                drelay_build_end(r);
                return;
        }
        if (d->route->relay == DRELAY_PUT && r->ok && !broken) {
                dapi_reply(d, 200, NULL, NULL, 0, NULL);
                dapi_finish(d, "OK");
                return;
        }
        if (r->answered) {
                dapi_finish(d, r->ok && drelay_stat(r) != NULL ? "OK" : "DOCKER_ERROR");
                return;
        }
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
        if (r->waiting)
                return;
        if (r->eof || r->http.complete || r->answered) {
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

static void drelay_put_emit(void *arg, const unsigned char *p, size_t n)
{
        struct drelay *r = arg;

        if (n == 0)
                return;
        if (evbuffer_add_printf(r->toeng, "%zx\r\n", n) == -1 ||
            evbuffer_add(r->toeng, p, n) == -1 || evbuffer_add(r->toeng, "\r\n", 2) == -1)
                fatalx("out of memory");
}

static int drelay_put_body(void *arg, const char *p, size_t n)
{
        struct drelay *r = arg;
        enum tar_status st;

        if (r->build != NULL) {
                if (dbuild_context(r->build, (const unsigned char *)p, n) == -1) {
                        r->build_refused = 1;
                        return -1;
                }
                return 0;
        }
        st = tar_check_feed(r->tar, (const unsigned char *)p, n);
        if (st != TAR_OK) {
                r->tar_failed = st;
                return -1;
        }
        return 0;
}

/* A build's context ended: its images go to the supervisor; -1 once refused. */
static int drelay_build_held(struct drelay *r)
{
        struct msg m;
        json_t *images;

        if (dbuild_context_end(r->build, &images) == -1) {
                r->build_refused = 1;
                return -1;
        }
        msg_init(&m, MSG_BUILD_IMAGES);
        m.seq = r->d->seq;
        m.images = images;
        chan_send(r->d->s->chan, &m);
        msg_clear(&m);
        r->held = 1;
        r->put_done = 1;
        return 0;
}

/* A build's context refused: its status and the checker's words; the engine is dropped. */
static void drelay_build_refused(struct drelay *r)
{
        const char *code, *why;
        int status;

        why = dbuild_error(r->build, &status, &code);
        log_info("build context refused: %s", why);
        dapi_reply_error(r->d, status, "%s", why);
        dapi_finish_close(r->d, code);
}

/*
 * A PUT body that stalls midway: 408 and the connection closed (the engine's
 * too, mid-body: it applies nothing from the entry it was in).  Time spent
 * waiting for the engine to take what is queued is not the peer's.
 */
static void drelay_put_stalled(evutil_socket_t fd, short what, void *arg)
{
        struct drelay *r = arg;
        struct timeval tv = {DAPI_STALL_SECS, 0};

        if (r->put_done || r->d->s->done)
                return;
        if (evbuffer_get_length(r->toeng) > 0) {
                evtimer_add(r->stall, &tv);
                return;
        }
        log_info("archive put: the body made no progress for %d seconds", DAPI_STALL_SECS);
        dapi_reply_error(r->d, 408, "request body not completed in time: no progress for %d s",
                         DAPI_STALL_SECS);
        dapi_finish_close(r->d, "TIMEOUT");
}

static void drelay_put_progress(struct drelay *r)
{
        struct timeval tv = {DAPI_STALL_SECS, 0};

        if (r->stall == NULL)
                return;
        if (r->put_done)
                evtimer_del(r->stall);
        else if (evtimer_add(r->stall, &tv) == -1)
                fatalx("evtimer_add");
}

/* The PUT body held and arriving, through the request reader and the checker. */
static void drelay_put_input(struct drelay *r)
{
        struct dapi *d = r->d;
        enum dreq_status st = DREQ_MORE;
        enum tar_status ts;
        size_t len, used;
        const char *p;

        while (!r->put_done && (len = evbuffer_get_length(d->in)) > 0) {
                p = (const char *)evbuffer_pullup(d->in, -1);
                st = dreq_feed(&d->reader, p, len, &used);
                d->bytes_in += used;
                evbuffer_drain(d->in, used);
                if (r->tar_failed != TAR_OK || r->build_refused || st == DREQ_ERROR)
                        break;
                if (st == DREQ_DONE && r->build != NULL) {
                        if (drelay_build_held(r) == -1)
                                break;
                } else if (st == DREQ_DONE) {
                        if ((ts = tar_check_end(r->tar)) != TAR_OK) {
                                r->tar_failed = ts;
                                break;
                        }
                        r->put_done = 1;
                        if (evbuffer_add(r->toeng, "0\r\n\r\n", 5) == -1)
                                fatalx("out of memory");
                }
                if (used > 0)
                        drelay_put_progress(r);
                if (used == 0)
                        break;
        }
        if (r->build_refused) {
                drelay_build_refused(r);
                return;
        }
        if (r->tar_failed != TAR_OK) {
                log_info("archive put refused: %s", tar_check_error(r->tar));
                dapi_reply_error(d, r->tar_failed == TAR_FORBIDDEN ? 403 : 400, "%s",
                                 tar_check_error(r->tar));
                dapi_finish_close(d, r->tar_failed == TAR_FORBIDDEN ? "FORBIDDEN"
                                                                    : "INVALID_INPUT");
                return;
        }
        if (st == DREQ_ERROR) {
                dapi_reply_error(d, d->reader.status, "%s", d->reader.err);
                dapi_finish_close(d, "INVALID_INPUT");
                return;
        }
        if (evbuffer_get_length(r->toeng) > 0 && event_add(r->wr, NULL) == -1)
                fatalx("event_add");
        if (evbuffer_get_length(r->toeng) > DAPI_OUT_HIGH)
                dapi_peer_pause(d);
}

void drelay_peer_input(struct dapi *d)
{
        struct drelay *r = d->relay;

        if (r != NULL && (d->route->relay == DRELAY_PUT || d->route->relay == DRELAY_BUILD) &&
            d->state == DA_STREAMING) {
                drelay_put_input(r);
                return;
        }
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
        if (d->route->relay == DRELAY_ARCHIVE)
                http_read_keep(&r->http, DRELAY_STAT_HEADER);
        if (d->route->relay == DRELAY_EVENTS && (r->events = devents_new(m->opts)) == NULL)
                fatalx("events: bad stream options from the supervisor");
        d->relay = r;
        d->state = DA_STREAMING;
        if (d->route->relay == DRELAY_BUILD) {
                char err[256];

                if ((r->build = dbuild_new(m->opts, d->quiet, drelay_put_emit, r, err,
                                           sizeof(err))) == NULL)
                        fatalx("build: bad stream options from the supervisor: %s", err);
        }
        if (d->route->relay == DRELAY_PUT || d->route->relay == DRELAY_BUILD) {
                if (r->build == NULL && (r->tar = tar_check_new(drelay_put_emit, r)) == NULL)
                        fatalx("out of memory");
                if (r->build == NULL) {
                        if ((r->stall = evtimer_new(d->s->base, drelay_put_stalled, r)) == NULL)
                                fatalx("evtimer_new");
                        drelay_put_progress(r);
                }
                dreq_body_stream(&d->reader, drelay_put_body, r);
                drelay_put_input(r);
        }
}

void drelay_build_msg(struct dapi *d, struct msg *m)
{
        struct drelay *r = d->relay;
        int code;

        if (r == NULL || r->build == NULL)
                fatalx("%s for a request that is no build", msg_type_name(m->type));
        if (m->type == MSG_FAIL) {
                code = dg_err_parse(m->code);
                if (code <= DG_OK || code >= DG_ERR_COUNT)
                        fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
                if (r->ok) {
                        /* The progress is under way: the engine's way to end a failed build. */
                        dbuild_fail_record(d, m->text);
                        dapi_chunk(d, NULL, 0);
                } else
                        dapi_reply_fail(d, (enum dg_err)code, m->text, m->details);
                dapi_finish_close(d, m->code);
                return;
        }
        if (m->type != MSG_RESULT)
                fatalx("unexpected %s for a build", msg_type_name(m->type));
        if (!r->waiting) {
                if (!r->held || r->approved)
                        fatalx("MSG_RESULT for a build not waiting for approval");
                r->approved = 1;
                if (evbuffer_add(r->toeng, "0\r\n\r\n", 5) == -1 ||
                    event_add(r->wr, NULL) == -1)
                        fatalx("out of memory");
                return;
        }
        dbuild_result(r->build, d, m->output);
        dapi_chunk(d, NULL, 0);
        dapi_finish_close(d, "OK");
}

void drelay_free(struct drelay *r)
{
        if (r == NULL)
                return;
        event_free(r->rd);
        event_free(r->wr);
        if (r->stall != NULL)
                event_free(r->stall);
        evbuffer_free(r->err);
        evbuffer_free(r->toeng);
        devents_free(r->events);
        tar_check_free(r->tar);
        dbuild_free(r->build);
        close(r->fd);
        free(r);
}
