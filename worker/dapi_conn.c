/*
 * dapi_conn.c - one Docker-API peer connection: bytes in and out, one
 * request at a time, the broker call each request becomes, deadlines.
 *
 * SECURITY: the peer is hostile.  A request is read whole (bounded) and
 * answered before the next byte is parsed; bytes that arrive behind a
 * request that is still being answered are a pipelined request, answered
 * 400 once the current answer is out, and the connection closes.  After a
 * hijack (attach, exec start) the peer's bytes are never parsed again:
 * they go to the container only, on the connection whose request the
 * supervisor wrote (invariant 2).  A request that stops making progress
 * gets 408; an idle connection is closed.
 */
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chan.h"
#include "dapi.h"
#include "dapi_create.h"
#include "log.h"
#include "schema.h"

#define DAPI_READ_MAX (64u << 10)
#define DAPI_FLUSH_SECS 10

static void dapi_parse(struct dapi *d);

static void dapi_timer_arm(struct dapi *d)
{
        struct timeval tv = {0, 0};

        event_del(d->timer);
        if (d->state == DA_CLOSING)
                tv.tv_sec = DAPI_FLUSH_SECS;
        else if (d->state == DA_IDLE && d->reader.started)
                tv.tv_sec = DAPI_STALL_SECS;
        else if (d->state == DA_IDLE && d->s->idle_timeout > 0)
                tv.tv_sec = d->s->idle_timeout;
        else
                return;
        if (evtimer_add(d->timer, &tv) == -1)
                fatalx("evtimer_add");
}

static void dapi_close_now(struct dapi *d)
{
        session_finish(d->s);
}

/* Stops reading requests; once the queue is written, FIN, then wait for the peer. */
static void dapi_closing(struct dapi *d)
{
        d->state = DA_CLOSING;
        dapi_timer_arm(d);
        if (evbuffer_get_length(d->out) == 0 && !d->closed_wr) {
                d->closed_wr = 1;
                if (shutdown(d->fd, SHUT_WR) == -1 || d->peer_eof)
                        dapi_close_now(d);
        }
}

static void dapi_request_clear(struct dapi *d)
{
        dpath_clear(&d->path);
        json_decref(d->body);
        d->body = NULL;
        d->route = NULL;
        d->route_name[0] = '\0';
        d->capture[0] = '\0';
        d->head_only = d->upgrade = d->json_carriage = d->quiet = 0;
        d->probing = d->chunked_open = 0;
        json_decref(d->held);
        d->held = NULL;
        d->bytes_in = d->bytes_out = 0;
        dreq_reset(&d->reader);
}

static void dapi_end(struct dapi *d, const char *result, int close)
{
        if (d->relay != NULL) {
                drelay_free(d->relay);
                d->relay = NULL;
        }
        if (d->in_call) {
                chan_call_end(d->s->chan, d->seq, result, d->bytes_in, d->bytes_out);
                d->in_call = 0;
        }
        close = close || d->close_after;
        dapi_request_clear(d);
        if (close || d->state == DA_HIJACKED) {
                dapi_closing(d);
                return;
        }
        d->state = DA_IDLE;
        dapi_timer_arm(d);
        if (evbuffer_get_length(d->in) > 0) {
                /* Sent before the answer it follows: pipelining, which we do not serve. */
                d->close_after = 1;
                dapi_reply_error(d, 400,
                                 "pipelined requests are not supported by the gateway: send "
                                 "each request after the previous answer");
                dapi_closing(d);
                return;
        }
        if (d->rd_paused)
                dapi_peer_resume(d);
        if (d->peer_eof)
                dapi_closing(d);
}

void dapi_finish(struct dapi *d, const char *result)
{
        dapi_end(d, result, 0);
}

void dapi_finish_close(struct dapi *d, const char *result)
{
        dapi_end(d, result, 1);
}

void dapi_send(struct dapi *d, const void *p, size_t n)
{
        if (d->closed_wr)
                return;
        if (evbuffer_add(d->out, p, n) == -1)
                fatalx("out of memory queueing an answer");
        d->bytes_out += n;
        if (event_add(d->wr, NULL) == -1)
                fatalx("event_add");
}

void dapi_peer_pause(struct dapi *d)
{
        if (!d->rd_paused) {
                d->rd_paused = 1;
                event_del(d->rd);
        }
}

void dapi_peer_resume(struct dapi *d)
{
        if (d->rd_paused && !d->peer_eof) {
                d->rd_paused = 0;
                if (event_add(d->rd, NULL) == -1)
                        fatalx("event_add");
        }
}

/* A refusal before any route: the answer says why, the connection closes. */
static void dapi_refuse(struct dapi *d, int status, const char *msg)
{
        d->close_after = 1;
        dapi_reply_error(d, status, "%s", msg);
        dapi_finish_close(d, "PROTOCOL_ERROR");
}

static int dapi_json_ctype(const char *ct)
{
        size_t n = strlen("application/json");

        return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* The body, when the route reads one: strict JSON (dapi_create.h's rules). */
static int dapi_body(struct dapi *d, const struct dreq *q)
{
        char err[256];

        if (q->body_len == 0)
                return 0;
        if (!d->route->body) {
                dapi_reply_error(d, 400, "%s %s takes no request body", d->route->method,
                                 d->route->pattern);
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        if (q->content_type[0] != '\0' && !dapi_json_ctype(q->content_type)) {
                dapi_reply_error(d, 400, "Content-Type must be application/json");
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        if ((d->body = dcreate_parse(q->body, q->body_len, err, sizeof(err))) == NULL) {
                dapi_reply_error(d, 400, "%s", err);
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        return 0;
}

/*
 * Each query key is one the route lists, given once; or a top-level key of the
 * JSON body, ignored: docker-modem (dockerode) repeats a POST's body in its
 * query string, which the engine ignores too.  Nothing of it goes on.
 */
static int dapi_query_ok(struct dapi *d)
{
        const char *k;
        json_t *v;
        size_t i;

        json_object_foreach(d->path.query, k, v)
        {
                for (i = 0; d->route->query != NULL && d->route->query[i] != NULL; i++)
                        if (strcmp(d->route->query[i], k) == 0)
                                break;
                if (d->route->query != NULL && d->route->query[i] != NULL) {
                        if (json_object_get(d->path.repeated, k) != NULL) {
                                dapi_reply_error(d, 400, "query parameter %.64s given twice",
                                                 k);
                                dapi_finish(d, "INVALID_INPUT");
                                return -1;
                        }
                        continue;
                }
                if (json_is_object(d->body) && json_object_get(d->body, k) != NULL)
                        continue;
                dapi_reply_error(d, 400,
                                 "query parameter %.64s is not supported by the gateway "
                                 "on %s %s",
                                 k, d->route->method, d->route->pattern);
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        return 0;
}

static void dapi_send_call(struct dapi *d, const char *op, json_t *input)
{
        char id[32];

        d->seq++;
        d->in_call = 1;
        d->state = DA_WAITING;
        dapi_timer_arm(d);
        snprintf(id, sizeof(id), "http-%" PRIu64, d->seq);
        log_debug("request %" PRIu64 ": %s -> %s", d->seq, d->route_name, op);
        chan_call_route(d->s->chan, d->seq, id, op, d->route->raw && !d->json_carriage, input,
                        NULL, d->route_name);
}

/* An early route's lookup succeeded: the head goes out, then the call itself. */
static void dapi_probed(struct dapi *d)
{
        json_t *input = d->held;

        chan_call_end(d->s->chan, d->seq, "OK", d->bytes_in, 0);
        d->in_call = 0;
        d->probing = 0;
        d->held = NULL;
        dapi_reply_chunked(d, 200, "application/json");
        d->chunked_open = 1;
        dapi_send_call(d, d->route->op, input);
        json_decref(input);
}

static void dapi_call(struct dapi *d, json_t *input)
{
        const struct op_desc *os = op_desc_find(d->route->op);
        char err[512];
        json_t *probe;

        if (os == NULL)
                fatalx("route %s names unknown operation %s", d->route_name, d->route->op);
        if (schema_check(os, input, err, sizeof(err)) == -1) {
                dapi_reply_error(d, 400, "%s", err);
                dapi_finish(d, "INVALID_INPUT");
                return;
        }
        if (d->route->early) {
                probe =
                    json_pack("{s:O}", "containerId", json_object_get(input, "containerId"));
                if (probe == NULL)
                        fatalx("out of memory");
                d->held = json_incref(input);
                d->probing = 1;
                dapi_send_call(d, "docker/container/inspect", probe);
                json_decref(probe);
                return;
        }
        dapi_send_call(d, d->route->op, input);
}

static void dapi_request(struct dapi *d)
{
        struct dreq *q = &d->reader.req;
        const char *method = http_method_str(q->method);
        char err[512];
        int status = 0;
        json_t *input;

        d->head_only = q->method == HTTP_HEAD;
        d->close_after = !q->keep_alive;
        d->upgrade = strstr(q->connection, "upgrade") != NULL && strcmp(q->upgrade, "tcp") == 0;
        d->state = DA_WAITING; /* until answered: later bytes wait */
        event_del(d->timer);
        if (d->s->refusal[0] != '\0') {
                dapi_refuse(d, 429,
                            "quota streams: this peer has as many concurrent connections open "
                            "as its quota allows; close one and retry");
                return;
        }
        if (!d->s->authenticated) {
                dapi_refuse(d, 403,
                            "peer not known to the policy: this uid is not mapped to "
                            "a peer of the gateway");
                return;
        }
        if (dpath_parse(q->url, &d->path, &status, err, sizeof(err)) == -1) {
                dapi_reply_error(d, status, "%s", err);
                dapi_finish(d, "INVALID_INPUT");
                return;
        }
        d->route = droute_find(method, d->path.path, d->capture, sizeof(d->capture), &status);
        if (d->route == NULL) {
                dapi_reply_error(d, status,
                                 status == 405 ? "%s %s: method not allowed"
                                               : "%s %s is not supported by the gateway",
                                 method, d->path.path);
                dapi_finish(d, "INVALID_INPUT");
                return;
        }
        snprintf(d->route_name, sizeof(d->route_name), "%s %s", d->route->method,
                 d->route->pattern);
        if (dapi_body(d, q) == -1 || dapi_query_ok(d) == -1)
                return;
        if (d->route->op == NULL) {
                d->route->in(d, NULL); /* answered by the worker */
                return;
        }
        if ((input = json_object()) == NULL)
                fatalx("out of memory");
        if (d->route->in != NULL && d->route->in(d, input) == -1) {
                json_decref(input);
                return;
        }
        dapi_call(d, input);
        json_decref(input);
}

static void dapi_parse(struct dapi *d)
{
        enum dreq_status st;
        size_t len, used;
        const char *p;

        while (d->state == DA_IDLE && (len = evbuffer_get_length(d->in)) > 0) {
                p = (const char *)evbuffer_pullup(d->in, -1);
                st = dreq_feed(&d->reader, p, len, &used);
                d->bytes_in += used;
                evbuffer_drain(d->in, used);
                if (st == DREQ_ERROR) {
                        log_debug("refused a request: %d %s", d->reader.status, d->reader.err);
                        evbuffer_drain(d->in, evbuffer_get_length(d->in));
                        dapi_refuse(d, d->reader.status, d->reader.err);
                        return;
                }
                if (st == DREQ_MORE)
                        break;
                /* A PUT's body is streamed by its route, then the connection closes. */
                if (st == DREQ_HEAD)
                        d->reader.req.keep_alive = 0;
                dapi_request(d);
        }
        if (d->state == DA_IDLE)
                dapi_timer_arm(d);
}

static void dapi_on_read(evutil_socket_t fd, short what, void *arg)
{
        struct dapi *d = arg;
        char buf[DAPI_READ_MAX];
        ssize_t n;

        if (d->s->done)
                return;
        /* read(), not evbuffer_read(): the sandbox has no ioctl(FIONREAD) nor readv. */
        n = read(fd, buf, sizeof(buf));
        if (n == -1 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n > 0 && evbuffer_add(d->in, buf, (size_t)n) == -1)
                fatalx("out of memory reading the peer");
        if (n <= 0) {
                d->peer_eof = 1;
                event_del(d->rd);
                if (d->state == DA_HIJACKED) {
                        drelay_peer_input(d);
                        return;
                }
                if (d->state == DA_CLOSING || (d->state == DA_IDLE && !d->reader.started)) {
                        dapi_close_now(d);
                        return;
                }
                if (d->in_call) {
                        /* The peer left mid-call: whatever the call holds is released. */
                        chan_cancel(d->s->chan, d->seq);
                }
                dapi_close_now(d);
                return;
        }
        switch (d->state) {
        case DA_HIJACKED:
                drelay_peer_input(d);
                break;
        case DA_IDLE:
                dapi_parse(d);
                break;
        case DA_CLOSING:
                evbuffer_drain(d->in, evbuffer_get_length(d->in)); /* lingering */
                break;
        case DA_STREAMING:
                if (d->route != NULL &&
                    (d->route->relay == DRELAY_PUT || d->route->relay == DRELAY_BUILD)) {
                        drelay_peer_input(d);
                        break;
                }
                /* fall through */
        default:
                if (evbuffer_get_length(d->in) > DAPI_IN_MAX)
                        dapi_peer_pause(d);
                break;
        }
}

static void dapi_on_write(evutil_socket_t fd, short what, void *arg)
{
        struct dapi *d = arg;
        size_t left;

        if (d->s->done)
                return;
        if (evbuffer_write(d->out, fd) == -1) {
                if (errno == EAGAIN || errno == EINTR)
                        return;
                log_debug("peer connection: %s", strerror(errno));
                if (d->in_call)
                        chan_cancel(d->s->chan, d->seq);
                dapi_close_now(d);
                return;
        }
        left = evbuffer_get_length(d->out);
        if (left == 0) {
                event_del(d->wr);
                if (d->state == DA_CLOSING) {
                        dapi_closing(d);
                        return;
                }
        }
        if (left < DAPI_OUT_LOW)
                drelay_resume(d);
}

static void dapi_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct dapi *d = arg;

        if (d->s->done)
                return;
        if (d->state == DA_CLOSING) {
                dapi_close_now(d);
        } else if (d->state == DA_IDLE && d->reader.started) {
                log_debug("a request made no progress for %d seconds", DAPI_STALL_SECS);
                dapi_refuse(d, 408, "request not completed in time");
        } else if (d->state == DA_IDLE) {
                log_debug("idle for %u seconds: closing", d->s->idle_timeout);
                dapi_close_now(d);
        }
}

/* A request whose route streams its body (docker build): its head is routed first. */
static int dapi_streamed(enum http_method method, const char *url)
{
        char err[128], capture[DAPI_CAPTURE_MAX + 1];
        const struct droute *r = NULL;
        struct dpath p;
        int status;

        memset(&p, 0, sizeof(p));
        if (dpath_parse(url, &p, &status, err, sizeof(err)) == 0)
                r = droute_find(http_method_str(method), p.path, capture, sizeof(capture),
                                &status);
        dpath_clear(&p);
        return r != NULL && r->relay == DRELAY_BUILD;
}

struct dapi *dapi_new(struct session *s)
{
        struct dapi *d;

        if ((d = calloc(1, sizeof(*d))) == NULL)
                fatal("calloc");
        d->s = s;
        d->fd = s->peer_fd;
        s->peer_fd = -1;
        d->in = evbuffer_new();
        d->out = evbuffer_new();
        d->rd = event_new(s->base, d->fd, EV_READ | EV_PERSIST, dapi_on_read, d);
        d->wr = event_new(s->base, d->fd, EV_WRITE | EV_PERSIST, dapi_on_write, d);
        d->timer = evtimer_new(s->base, dapi_on_timer, d);
        if (d->in == NULL || d->out == NULL || d->rd == NULL || d->wr == NULL ||
            d->timer == NULL || event_add(d->rd, NULL) == -1)
                fatalx("cannot set up the peer connection");
        dreq_init(&d->reader, DREQ_BODY_MAX);
        d->reader.streamed = dapi_streamed;
        dapi_timer_arm(d);
        return d;
}

void dapi_msg(struct dapi *d, struct msg *m)
{
        int code;

        if (m->type != MSG_RESULT && m->type != MSG_FAIL && m->type != MSG_STREAM)
                fatalx("unexpected %s from the supervisor", msg_type_name(m->type));
        if (!d->in_call || m->seq != d->seq) {
                /* An answer to a call the peer gave up (we sent MSG_CANCEL first). */
                log_debug("dropping %s for call %" PRIu64, msg_type_name(m->type), m->seq);
                return;
        }
        if (d->state == DA_STREAMING && d->route != NULL && d->route->relay == DRELAY_BUILD) {
                drelay_build_msg(d, m);
                return;
        }
        if (d->state != DA_WAITING) {
                /* A kept stream's late answer (the worker ends those itself). */
                log_debug("dropping %s while relaying", msg_type_name(m->type));
                return;
        }
        if (d->probing && m->type == MSG_RESULT) {
                dapi_probed(d);
                return;
        }
        switch (m->type) {
        case MSG_RESULT:
                if (d->route->out != NULL)
                        d->route->out(d, m->output);
                else
                        dapi_reply_json(d, 200, m->output);
                dapi_finish(d, "OK");
                break;
        case MSG_FAIL:
                code = dg_err_parse(m->code);
                if (code <= DG_OK || code >= DG_ERR_COUNT)
                        fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
                dapi_reply_fail(d, (enum dg_err)code, m->text, m->details);
                dapi_finish(d, m->code);
                break;
        default:
                if (d->route->relay == DRELAY_NONE) {
                        dapi_reply_error(d, 500, "the gateway got a stream for %s",
                                         d->route_name);
                        dapi_finish(d, "INTERNAL");
                        break;
                }
                drelay_start(d, m);
                break;
        }
}

void dapi_free(struct dapi *d)
{
        if (d == NULL)
                return;
        if (d->relay != NULL)
                drelay_free(d->relay);
        dapi_request_clear(d);
        dreq_free(&d->reader);
        event_free(d->rd);
        event_free(d->wr);
        event_free(d->timer);
        evbuffer_free(d->in);
        evbuffer_free(d->out);
        close(d->fd);
        free(d);
}
