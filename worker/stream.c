/*
 * stream.c - the engine side of a data-plane call, and the table of kinds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "call.h"
#include "chan.h"
#include "hooks.h"
#include "log.h"
#include "stream.h"
#include "stream_events.h"
#include "stream_pull.h"
#include "stream_stats.h"

/* One read from the engine; its records are queued before the next read. */
#define STREAM_READ_MAX (64u << 10)

static const struct stream_kind *const stream_kinds[] = {
    &stream_logs_kind,     &stream_exec_kind,     &raw_exec_kind,     &raw_attach_kind,
    &raw_archive_get_kind, &raw_archive_put_kind, &stream_stats_kind, &stream_events_kind,
    &stream_pull_kind,     &raw_build_kind,
};

static const struct stream_kind *stream_kind_find(const char *name)
{
        size_t i;

        for (i = 0; i < sizeof(stream_kinds) / sizeof(stream_kinds[0]); i++) {
                if (strcmp(stream_kinds[i]->name, name) == 0)
                        return stream_kinds[i];
        }
        return NULL;
}

static void stream_free(struct stream *st)
{
        if (st->rd != NULL)
                event_free(st->rd);
        /* The kind's own events on fd go before fd does. */
        if (st->state != NULL && st->kind->free != NULL)
                st->kind->free(st->state);
        if (st->fd != -1)
                close(st->fd);
        free(st);
}

void stream_send_end(struct stream *st)
{
        struct msg m;

        msg_init(&m, MSG_STREAM_END);
        m.seq = st->c->seq;
        chan_send(st->s->chan, &m);
        msg_clear(&m);
}

static int stream_http_head(void *arg, int status)
{
        struct stream *st = arg;

        if (st->kind->head != NULL && st->kind->head(st, status) == -1)
                return -1;
        return st->dead ? -1 : 0;
}

static int stream_http_body(void *arg, const char *buf, size_t len)
{
        struct stream *st = arg;

        if (st->kind->body != NULL && st->kind->body(st, buf, len) == -1)
                return -1;
        return st->dead ? -1 : 0;
}

static int stream_http_done(void *arg)
{
        struct stream *st = arg;

        if (st->kind->done != NULL)
                return st->kind->done(st);
        call_complete(st->c);
        return -1;
}

static const struct http_read_cb stream_http_cb = {
    stream_http_head,
    stream_http_body,
    stream_http_done,
};

static void stream_on_read(evutil_socket_t fd, short what, void *arg)
{
        struct stream *st = arg;
        struct session *s = st->s;
        struct call *c = st->c;
        char buf[STREAM_READ_MAX];
        enum http_read_status rc;
        size_t used;
        ssize_t n;

        if (s->done)
                return;
        n = read(fd, buf, sizeof(buf));
        if (n == -1 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n == -1)
                log_debug("engine connection: %s", strerror(errno));

        st->busy = 1;
        rc = http_read_feed(&st->http, buf, n > 0 ? (size_t)n : 0, &used);
        st->busy = 0;
        if (st->dead) {
                /* The kind ended the call from inside the reader. */
                stream_free(st);
                return;
        }
        if (st->http.complete) {
                /* The kind's done() waits for the supervisor: nothing more to read. */
                event_del(st->rd);
                return;
        }
        if (n <= 0) {
                /* EOF (or an error) before the response was complete. */
                call_fail(c, DG_UNAVAILABLE, "engine connection lost", NULL);
                return;
        }
        if (rc == HTTP_READ_ERROR) {
                log_warnx("malformed engine response: %s", http_read_error(&st->http));
                call_fail(c, DG_UNAVAILABLE, "malformed engine response", NULL);
                return;
        }
        if (rc == HTTP_READ_UPGRADE)
                call_fail(c, DG_INTERNAL, "stream kind does not take an upgraded connection",
                          NULL);
        else if (rc == HTTP_READ_STOPPED)
                call_fail(c, DG_INTERNAL, "stream stopped without an answer", NULL);
}

void stream_start(struct call *c, struct msg *m)
{
        struct session *s = c->s;
        const struct stream_kind *kind;
        struct stream *st;
        char err[256];

        if ((kind = stream_kind_find(m->kind)) == NULL) {
                log_warnx("stream kind \"%s\" is not supported", m->kind);
                call_fail(c, DG_INTERNAL, "unsupported stream kind", NULL);
                return;
        }
        /* SECURITY: raw kinds relay the peer's bytes: only for the call that owns the stream.
         */
        if ((kind == &raw_exec_kind || kind == &raw_attach_kind ||
             kind == &raw_archive_get_kind || kind == &raw_archive_put_kind ||
             kind == &raw_build_kind) &&
            s->raw != c) {
                log_warnx("stream kind \"%s\" for a JSON-carriage call", m->kind);
                call_fail(c, DG_INTERNAL, "stream kind does not match the carriage", NULL);
                return;
        }
        if ((st = calloc(1, sizeof(*st))) == NULL)
                fatal("calloc");
        st->s = s;
        st->c = c;
        st->kind = kind;
        st->fd = m->fd;
        m->fd = -1;
        if (evutil_make_socket_nonblocking(st->fd) == -1)
                fatal("fcntl on the engine connection");
        err[0] = '\0';
        if ((st->state = kind->start(st, m->opts, err, sizeof(err))) == NULL) {
                log_warnx("stream %s: %s", kind->name, err);
                stream_free(st);
                call_fail(c, DG_INTERNAL, "bad stream options", NULL);
                return;
        }
        http_read_init(&st->http, &stream_http_cb, st);
        st->rd = event_new(s->base, st->fd, EV_READ | EV_PERSIST, stream_on_read, st);
        if (st->rd == NULL)
                fatalx("event_new");
        if (worker_hooks != NULL)
                worker_hooks->stream(st->fd); /* a test hook (hooks.h) */
        c->stream = st;
        c->state = CALL_STREAMING;
        if (evbuffer_get_length(c->out) > CALL_OUT_HIGH ||
            (s->raw == c && evbuffer_get_length(s->out) > PEER_OUT_HIGH))
                st->paused = 1;
        else if (event_add(st->rd, NULL) == -1)
                fatalx("event_add");
        if (kind->started != NULL)
                kind->started(st); /* last: it may end the call and free st */
}

void stream_msg(struct call *c, struct msg *m)
{
        struct stream *st = c->stream;

        /*
         * Only a kind that asked (done() returned 0 at the end) gets an answer
         * now; a build also hears the supervisor's word on its images before
         * (raw.c checks that it waits for it).
         */
        if (st == NULL || st->dead || st->kind->msg == NULL ||
            (!st->http.complete && st->kind != &raw_build_kind))
                fatalx("%s for call %llu while its stream runs", msg_type_name(m->type),
                       (unsigned long long)m->seq);
        st->kind->msg(st, m);
}

void stream_drop(struct call *c)
{
        struct stream *st = c->stream;

        if (st == NULL)
                return;
        c->stream = NULL;
        if (st->busy) {
                st->dead = 1;
                event_del(st->rd);
                return;
        }
        stream_free(st);
}

void stream_pause(struct call *c)
{
        struct stream *st = c->stream;

        if (st == NULL || st->paused || st->dead)
                return;
        st->paused = 1;
        event_del(st->rd);
}

void stream_resume(struct call *c)
{
        struct stream *st = c->stream;

        if (st == NULL || !st->paused || st->dead || st->http.complete)
                return;
        st->paused = 0;
        if (event_add(st->rd, NULL) == -1)
                fatalx("event_add");
}
