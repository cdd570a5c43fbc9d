/*
 * raw.c - raw carriage: the chunk relay between the peer and an engine
 * connection (raw.h).
 *
 * Engine to peer: the response's status decides the one JSON answer (a
 * success gives call.responded, anything else call.error); after it, body
 * bytes become stdout/stderr chunks as soon as they are read (demultiplexed
 * from Docker's 8-byte frame headers unless a TTY is used), never held for
 * a line end.  Peer to engine: stdin chunks are written to the connection,
 * and only after its answer was read (Engine 20.10 drops bytes that come
 * before: DESIGN.md), or become the chunked body of archive/put through the
 * tar checker.  The zero-length stdin chunk half-closes the connection
 * (shutdown SHUT_WR), so that the process sees end of input while its
 * output keeps flowing.
 *
 * Two findings on Engine 20.10 shape what a TTY session does: its attach
 * code closes the output together with the input on a TTY, so half-closing
 * a TTY session would end it; there the zero-length stdin chunk only stops
 * the input, and the session ends with the process.  And it eats its
 * "detach" key sequence from TTY input; the supervisor sets one no real
 * input contains (supervisor/op_exec.c).
 *
 * SECURITY: chunks and control JSON come from a hostile peer and container
 * output is hostile bytes: every chunk is bounded (chunk.h), control is
 * parsed strictly (anything unknown ends the call with PROTOCOL_ERROR), and
 * bytes are relayed, never interpreted, except tar headers (tar.c).  The
 * worker writes to the engine only on connections whose request the
 * supervisor wrote (invariant 2).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "b64.h"
#include "build.h"
#include "call.h"
#include "chan.h"
#include "chunk.h"
#include "dstream.h"
#include "log.h"
#include "raw.h"
#include "sent.h"
#include "stream.h"
#include "stream_json.h"
#include "tar.h"

#define RAW_ERR_MAX (64u << 10)  /* an error body kept for its message */
#define RAW_SYSERR_MAX 512       /* an in-band engine error kept for its message */
#define RAW_PUMP_MAX (64u << 10) /* peer bytes decoded per step */
#define RAW_PUMP_GZ (4u << 10)   /* ... for a build's gzip context */

enum raw_mode {
        RAW_HIJACK, /* raw_exec, attach */
        RAW_GET,    /* archive_get */
        RAW_PUT,    /* archive_put */
        RAW_BUILD   /* build: a put whose end waits for the supervisor (build.h) */
};

/* The peer side of a raw call; it outlives the relay (bytes may precede it). */
struct raw_in {
        struct evbuffer *buf; /* peer bytes not decoded yet */
        struct chunk_dec dec;
        int paused; /* the peer is not read: buf is full */
        char ctl[RAW_CONTROL_MAX];
        size_t ctl_len;
};

/* The relay, as the stream kind's state. */
struct raw {
        struct stream *st;
        struct session *s;
        struct call *c;
        enum raw_mode mode;
        int tty, use_stdin;
        int responded; /* call.responded sent: chunks flow both ways */
        int status;    /* the engine's HTTP status */
        char *err;     /* a failure's body, or an in-band error, for the message */
        size_t errlen;

        /* The engine's multiplexed output (dstream.h). */
        struct dstream mux;
        enum chunk_type out_type;
        int systemerr;

        /* Towards the engine. */
        struct evbuffer *toeng;
        struct event *wr;
        int stdin_eof; /* the peer's zero-length stdin chunk came */
        int wclosed;   /* nothing more is written to the engine */
        int ended;     /* the output ended: MSG_STREAM_END sent */
        struct tar_check *tar;

        /* RAW_BUILD */
        struct build_ctx *build;
        int held;     /* the context ended; its last chunk waits for approval */
        int approved; /* MSG_RESULT came for the images: the last chunk went */
        struct stream_json j;
        char image_id[128]; /* the engine's "aux" ID record */
};

static void raw_pump(struct session *s);

/* --- towards the peer --- */

static void raw_out(struct call *c, enum chunk_type type, const void *p, size_t n)
{
        struct session *s = c->s;
        unsigned char hdr[CHUNK_HDR];
        size_t take;

        do {
                take = n > CHUNK_MAX ? CHUNK_MAX : n;
                chunk_put_header(hdr, type, (uint32_t)take);
                if (evbuffer_add(s->out, hdr, sizeof(hdr)) == -1 ||
                    (take > 0 && evbuffer_add(s->out, p, take) == -1))
                        fatalx("out of memory queueing a chunk");
                sent_queued(s, c->seq, CHUNK_HDR + take);
                p = (const unsigned char *)p + take;
                n -= take;
        } while (n > 0);
        if (event_add(s->peer_wr, NULL) == -1)
                fatalx("event_add");
        if (evbuffer_get_length(s->out) > PEER_OUT_HIGH)
                stream_pause(c);
}

static void raw_control_out(struct call *c, json_t *o)
{
        char *txt;

        if (o == NULL || (txt = json_dumps(o, JSON_COMPACT)) == NULL)
                fatalx("cannot build a control chunk");
        json_decref(o);
        raw_out(c, CHUNK_CONTROL, txt, strlen(txt));
        free(txt);
}

void raw_send_error(struct call *c, enum dg_err code, const char *message)
{
        json_t *o;

        o = json_pack("{s:s,s:s,s:s}", "type", "error", "code", dg_err_name(code), "message",
                      message);
        if (o == NULL) /* not UTF-8: say less */
                o = json_pack("{s:s,s:s,s:s}", "type", "error", "code", dg_err_name(code),
                              "message", dg_err_name(code));
        raw_control_out(c, o);
}

static void raw_exit(struct raw *r, json_int_t code)
{
        raw_control_out(r->c, json_pack("{s:s,s:I}", "type", "exit", "exitCode", code));
        call_finish_raw(r->c, DG_OK);
}

/* The one JSON answer of a raw call: from here on, chunks only. */
static void raw_respond(struct raw *r)
{
        json_t *o;

        if (r->mode == RAW_HIJACK)
                o = json_pack("{s:s,s:b}", "carriage", "raw", "tty", r->tty);
        else
                o = json_pack("{s:s}", "carriage", "raw");
        if (o == NULL || call_respond(r->c, o) == -1)
                fatalx("cannot build call.responded");
        json_decref(o);
        r->responded = 1;
        r->c->raw_started = 1;
}

/* --- the relay of the call in flight --- */

static int raw_is_kind(const struct stream_kind *k)
{
        return k == &raw_exec_kind || k == &raw_attach_kind || k == &raw_archive_get_kind ||
               k == &raw_archive_put_kind || k == &raw_build_kind;
}

/* The relay whose chunks flow now, or NULL (none, not started, or the call ended). */
static struct raw *raw_active(struct session *s)
{
        struct call *c = s->raw;
        struct raw *r;

        if (c == NULL || c->stream == NULL || c->stream->dead ||
            !raw_is_kind(c->stream->kind) || c->state != CALL_STREAMING || s->closing ||
            s->done)
                return NULL;
        r = c->stream->state;
        return r->responded ? r : NULL;
}

static void raw_peer_error(struct session *s, const char *message)
{
        log_debug("raw carriage: %s", message);
        /* A late exit code for it is dropped (call_fail while streaming). */
        if (s->raw != NULL)
                call_fail(s->raw, DG_PROTOCOL_ERROR, message, NULL);
}

/* --- towards the engine --- */

static void raw_want_write(struct raw *r)
{
        if (evbuffer_get_length(r->toeng) > 0) {
                if (!r->wclosed && event_add(r->wr, NULL) == -1)
                        fatalx("event_add");
                return;
        }
        /* Everything is written: a finished stdin becomes the half-close. */
        if (r->stdin_eof && r->mode == RAW_HIJACK && !r->tty && !r->wclosed) {
                r->wclosed = 1;
                if (shutdown(r->st->fd, SHUT_WR) == -1)
                        log_debug("engine connection: shutdown: %s", strerror(errno));
        }
}

static void raw_on_write(evutil_socket_t fd, short what, void *arg)
{
        struct raw *r = arg;
        struct session *s = r->s;

        if (evbuffer_write(r->toeng, fd) == -1) {
                if (errno == EAGAIN || errno == EINTR)
                        return;
                /*
                 * The engine stopped reading (the process closed its input, or
                 * the put was answered early): the rest is dropped, and the
                 * engine's answer is still read.
                 */
                log_debug("engine connection: %s; input dropped from here on", strerror(errno));
                r->wclosed = 1;
                evbuffer_drain(r->toeng, evbuffer_get_length(r->toeng));
        }
        if (evbuffer_get_length(r->toeng) == 0) {
                event_del(r->wr);
                raw_want_write(r);
        }
        if (evbuffer_get_length(r->toeng) < RAW_QUEUE_LOW)
                raw_pump(s); /* may end the call and free r */
}

/* tar.c's checked bytes, as chunks of the request body. */
static void raw_put_emit(void *arg, const unsigned char *p, size_t n)
{
        struct raw *r = arg;

        if (n == 0 || r->wclosed)
                return;
        if (evbuffer_add_printf(r->toeng, "%zx\r\n", n) == -1 ||
            evbuffer_add(r->toeng, p, n) == -1 || evbuffer_add(r->toeng, "\r\n", 2) == -1)
                fatalx("out of memory");
}

static void raw_tar_fail(struct raw *r, enum tar_status st)
{
        /* Ending the call closes the connection mid-body: the engine applies no more. */
        call_fail(r->c, st == TAR_FORBIDDEN ? DG_FORBIDDEN : DG_INVALID_INPUT,
                  tar_check_error(r->tar), NULL);
}

static void raw_stdin(struct raw *r, const unsigned char *p, size_t n)
{
        enum tar_status st;

        if (r->stdin_eof) {
                raw_peer_error(r->s, "stdin chunk after the end of stdin");
                return;
        }
        /* No stdin for this session, or the engine stopped reading it: dropped. */
        if (!r->use_stdin || r->wclosed || n == 0)
                return;
        if (r->mode == RAW_BUILD) {
                char why[512];
                /* counted, inflated when gzip, and checked (build.h) */
                enum dg_err e = build_ctx_feed(r->build, p, n, why, sizeof(why));

                if (e != DG_OK) {
                        call_fail(r->c, e, why, NULL);
                        return;
                }
        } else if (r->mode == RAW_PUT) {
                if ((st = tar_check_feed(r->tar, p, n)) != TAR_OK) {
                        raw_tar_fail(r, st);
                        return;
                }
        } else if (evbuffer_add(r->toeng, p, n) == -1) {
                fatalx("out of memory");
        }
        raw_want_write(r);
}

/*
 * The build's context ended: its Dockerfile's images go to the supervisor,
 * and the last chunk of the body waits for the answer (raw_msg).  The
 * engine starts nothing before it: its reader drains the body to its end
 * before the build begins.
 */
static void raw_build_held(struct raw *r)
{
        enum tar_status st;
        char why[512];
        enum dg_err e;
        json_t *images;
        struct msg m;

        if ((e = build_ctx_end(r->build, why, sizeof(why))) != DG_OK) {
                call_fail(r->c, e, why, NULL);
                return;
        }
        if ((st = tar_check_end(r->tar)) != TAR_OK) {
                raw_tar_fail(r, st);
                return;
        }
        if ((e = build_ctx_images(r->build, &images, why, sizeof(why))) != DG_OK) {
                call_fail(r->c, e, why, NULL);
                return;
        }
        msg_init(&m, MSG_BUILD_IMAGES);
        m.seq = r->c->seq;
        m.images = images;
        chan_send(r->s->chan, &m);
        msg_clear(&m);
        r->held = 1;
}

static void raw_stdin_end(struct raw *r)
{
        enum tar_status st;

        if (r->stdin_eof) {
                raw_peer_error(r->s, "stdin ended twice");
                return;
        }
        r->stdin_eof = 1;
        if (!r->use_stdin || r->wclosed)
                return;
        if (r->mode == RAW_BUILD) {
                raw_build_held(r);
                return;
        }
        if (r->mode == RAW_PUT) {
                if ((st = tar_check_end(r->tar)) != TAR_OK) {
                        raw_tar_fail(r, st);
                        return;
                }
                /* The last chunk of the body. */
                if (evbuffer_add(r->toeng, "0\r\n\r\n", 5) == -1)
                        fatalx("out of memory");
        }
        raw_want_write(r);
}

static void raw_resize(struct raw *r, json_int_t rows, json_int_t cols)
{
        struct msg m;

        /* Only a TTY has a size; once the output ended the supervisor is done with it. */
        if (!r->tty || r->mode != RAW_HIJACK || r->ended)
                return;
        msg_init(&m, MSG_RESIZE);
        m.seq = r->c->seq;
        m.rows = (uint32_t)rows;
        m.cols = (uint32_t)cols;
        chan_send(r->s->chan, &m);
        msg_clear(&m);
}

static void raw_abort(struct raw *r)
{
        log_debug("raw carriage: the peer aborted");
        call_cancel_sent(r->c); /* a late answer for it is dropped (call.c) */
        raw_send_error(r->c, DG_ABORTED, "the call was stopped");
        call_finish_raw(r->c, DG_ABORTED);
}

/* A size field of a resize control: an integer 1..MSG_TTY_MAX. */
static int raw_tty_size(json_t *o, const char *key, json_int_t *v)
{
        json_t *j = json_object_get(o, key);

        if (!json_is_integer(j) || json_integer_value(j) < 1 ||
            json_integer_value(j) > MSG_TTY_MAX)
                return -1;
        *v = json_integer_value(j);
        return 0;
}

/* One control chunk from the peer: exactly {"type":"resize","rows","cols"} or {"type":"abort"}.
 */
static void raw_control_in(struct raw *r, const char *p, size_t n)
{
        json_error_t je;
        json_int_t rows, cols;
        const char *type;
        json_t *o;

        o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
        type = json_string_value(json_object_get(o, "type"));
        if (!json_is_object(o) || type == NULL) {
                json_decref(o);
                raw_peer_error(r->s, "control chunk: not a JSON object with a type");
                return;
        }
        if (strcmp(type, "resize") == 0 && json_object_size(o) == 3 &&
            raw_tty_size(o, "rows", &rows) == 0 && raw_tty_size(o, "cols", &cols) == 0) {
                json_decref(o);
                raw_resize(r, rows, cols);
                return;
        }
        if (strcmp(type, "abort") == 0 && json_object_size(o) == 1) {
                json_decref(o);
                raw_abort(r);
                return;
        }
        json_decref(o);
        raw_peer_error(r->s, "control chunk: not a resize {rows, cols: 1..10000} or an abort");
}

static void raw_piece(struct raw *r, struct raw_in *in, const unsigned char *p, size_t n)
{
        switch (in->dec.type) {
        case CHUNK_STDIN:
                raw_stdin(r, p, n);
                break;
        case CHUNK_CONTROL:
                if (n > RAW_CONTROL_MAX - in->ctl_len) {
                        raw_peer_error(r->s, "control chunk longer than 4096 bytes");
                        return;
                }
                memcpy(in->ctl + in->ctl_len, p, n);
                in->ctl_len += n;
                break;
        default:
                raw_peer_error(r->s, "a peer sends only stdin and control chunks");
                break;
        }
}

static void raw_chunk_end(struct raw *r, struct raw_in *in)
{
        size_t n = in->ctl_len;

        switch (in->dec.type) {
        case CHUNK_STDIN:
                if (in->dec.len == 0)
                        raw_stdin_end(r);
                break;
        case CHUNK_CONTROL:
                in->ctl_len = 0;
                raw_control_in(r, in->ctl, n);
                break;
        default:
                raw_peer_error(r->s, "a peer sends only stdin and control chunks");
                break;
        }
}

/* Decodes chunks from p[0..n); returns the bytes consumed. */
static size_t raw_decode(struct session *s, struct raw_in *in, const unsigned char *p, size_t n)
{
        const unsigned char *piece;
        enum chunk_status cs;
        size_t off = 0, used, plen;
        struct raw *r;

        while ((r = raw_active(s)) != NULL) {
                if (evbuffer_get_length(r->toeng) > RAW_QUEUE_HIGH)
                        return off; /* the engine is behind: wait for it */
                cs = chunk_dec_feed(&in->dec, p + off, n - off, &used, &piece, &plen);
                off += used;
                switch (cs) {
                case CHUNK_PIECE:
                        raw_piece(r, in, piece, plen);
                        break;
                case CHUNK_END:
                        raw_chunk_end(r, in);
                        break;
                case CHUNK_NEED_MORE:
                        return off;
                case CHUNK_ERR_TYPE:
                        raw_peer_error(s, "unknown chunk type");
                        return n;
                case CHUNK_ERR_TOO_BIG:
                        raw_peer_error(s, "chunk longer than 1 MiB");
                        return n;
                }
        }
        return n; /* the call ended: the rest does not matter */
}

/* Stops reading the peer while too much of its input waits, and starts again. */
static void raw_in_flow(struct session *s)
{
        struct raw_in *in = s->rawin;
        size_t n = evbuffer_get_length(in->buf);

        if (s->closing || s->done)
                return;
        if (!in->paused && n > RAW_QUEUE_HIGH) {
                in->paused = 1;
                event_del(s->peer_rd);
        } else if (in->paused && n < RAW_QUEUE_LOW) {
                in->paused = 0;
                if (event_add(s->peer_rd, NULL) == -1)
                        fatalx("event_add");
        }
}

/* Decodes what the peer sent, as far as the engine side takes it. */
static void raw_pump(struct session *s)
{
        struct raw_in *in = s->rawin;
        struct evbuffer_iovec v;
        struct raw *r;
        size_t n, used;

        if (in == NULL)
                return;
        while ((r = raw_active(s)) != NULL && evbuffer_get_length(in->buf) > 0 &&
               evbuffer_get_length(r->toeng) <= RAW_QUEUE_HIGH) {
                if (evbuffer_peek(in->buf, -1, NULL, &v, 1) < 1)
                        break;
                n = v.iov_len < RAW_PUMP_MAX ? v.iov_len : RAW_PUMP_MAX;
                /*
                 * A gzip context inflates up to ~1000 times: 4 KiB a step keeps
                 * what one step queues for the engine to a few MiB.
                 */
                if (r->mode == RAW_BUILD && build_ctx_gzip(r->build) && n > RAW_PUMP_GZ)
                        n = RAW_PUMP_GZ;
                used = raw_decode(s, in, v.iov_base, n);
                evbuffer_drain(in->buf, used);
                if (used == 0)
                        break;
        }
        raw_in_flow(s);
}

void raw_peer_input(struct session *s, const unsigned char *p, size_t len)
{
        struct raw_in *in = s->rawin;

        if (in == NULL) {
                if ((in = calloc(1, sizeof(*in))) == NULL || (in->buf = evbuffer_new()) == NULL)
                        fatalx("out of memory");
                chunk_dec_init(&in->dec);
                s->rawin = in;
        }
        if (evbuffer_add(in->buf, p, len) == -1)
                fatalx("out of memory");
        if (s->raw != NULL)
                s->raw->bytes_in += len;
        raw_pump(s);
}

void raw_session_free(struct session *s)
{
        if (s->rawin == NULL)
                return;
        evbuffer_free(s->rawin->buf);
        free(s->rawin);
        s->rawin = NULL;
}

/* --- the engine's response --- */

static void raw_keep_err(struct raw *r, const char *p, size_t n, size_t max)
{
        if (r->err == NULL && (r->err = malloc(max)) == NULL)
                fatal("malloc");
        if (n > max - r->errlen)
                n = max - r->errlen;
        memcpy(r->err + r->errlen, p, n);
        r->errlen += n;
}

/* Docker's frame type 3: the engine reports an error inside the stream. */
static void raw_systemerr(struct raw *r)
{
        char msg[RAW_SYSERR_MAX + 1];

        snprintf(msg, sizeof(msg), "%.*s", (int)r->errlen, r->err != NULL ? r->err : "");
        if (!utf8_valid(msg, strlen(msg)))
                snprintf(msg, sizeof(msg), "engine error in the stream");
        call_fail(r->c, DG_DOCKER_ERROR, msg, NULL);
}

static void raw_demux(struct raw *r, const unsigned char *p, size_t len)
{
        size_t take;
        uint8_t type;

        while (len > 0 && !r->st->dead) {
                if (dstream_in_header(&r->mux)) {
                        take = dstream_header(&r->mux, p, len);
                        p += take;
                        len -= take;
                        if (dstream_in_header(&r->mux))
                                break;
                        type = r->mux.type;
                        r->out_type = type == DSTREAM_STDERR ? CHUNK_STDERR : CHUNK_STDOUT;
                        r->systemerr = type == DSTREAM_SYSTEMERR;
                        if (!dstream_type_known(type))
                                log_warnx(
                                    "engine stream: unknown frame type %u, sent as stdout",
                                    type);
                        if (r->mux.left == 0)
                                dstream_next(&r->mux); /* nothing to pass on */
                        continue;
                }
                take = len < r->mux.left ? len : r->mux.left;
                if (r->systemerr)
                        raw_keep_err(r, (const char *)p, take, RAW_SYSERR_MAX);
                else
                        raw_out(r->c, r->out_type, p, take);
                p += take;
                len -= take;
                r->mux.left -= (uint32_t)take;
                if (r->mux.left == 0) {
                        dstream_next(&r->mux);
                        if (r->systemerr) {
                                raw_systemerr(r);
                                return;
                        }
                }
        }
}

static int raw_success(const struct raw *r)
{
        return r->status == 200;
}

static int raw_head(struct stream *st, int status)
{
        struct raw *r = st->state;

        r->status = status;
        if (!raw_success(r) || r->mode == RAW_PUT || r->mode == RAW_BUILD)
                return 0; /* an error's body, or the put's answer: read on */
        /* Hijacked (or the tar follows): the session is up, stdin may flow. */
        raw_respond(r);
        raw_pump(r->s);
        return 0;
}

static int raw_body(struct stream *st, const char *buf, size_t len)
{
        struct raw *r = st->state;

        if (!raw_success(r)) {
                raw_keep_err(r, buf, len, RAW_ERR_MAX);
                return 0;
        }
        switch (r->mode) {
        case RAW_GET:
                raw_out(r->c, CHUNK_STDOUT, buf, len);
                break;
        case RAW_HIJACK:
                if (r->tty)
                        raw_out(r->c, CHUNK_STDOUT, buf, len);
                else
                        raw_demux(r, (const unsigned char *)buf, len);
                break;
        case RAW_PUT:
                break; /* the answer to a put has no body worth passing on */
        case RAW_BUILD:
                return stream_json_body(&r->j, buf, len);
        }
        return 0;
}

static int raw_done(struct stream *st)
{
        struct raw *r = st->state;

        if (!raw_success(r)) {
                stream_logs_engine_error(st, r->status, r->err, r->errlen);
                return -1;
        }
        if (r->mode == RAW_BUILD) {
                if (stream_json_done(&r->j) == -1)
                        return -1;
                if (!r->approved) {
                        call_fail(r->c, DG_DOCKER_ERROR, "the engine ended the build early",
                                  NULL);
                        return -1;
                }
                r->ended = 1;
                r->wclosed = 1;
                stream_send_end(st);
                return 0; /* the image's ID and tags come as MSG_RESULT (raw_msg) */
        }
        if (r->mode != RAW_HIJACK) {
                raw_exit(r, 0);
                return -1;
        }
        if (dstream_mid(&r->mux))
                log_warnx("engine stream ended inside a frame");
        /* The output ended; the engine closed the connection: nothing more to write. */
        r->ended = 1;
        r->wclosed = 1;
        evbuffer_drain(r->toeng, evbuffer_get_length(r->toeng));
        event_del(r->wr);
        stream_send_end(st);
        return 0; /* the exit code comes as MSG_RESULT (raw_msg) */
}

/*
 * The supervisor's word on a build: before the output ended, MSG_RESULT
 * approves the images (the body's last chunk goes) and MSG_FAIL refuses
 * them or stops the build (its time is up): the call ends and the engine
 * connection is dropped, so the engine builds nothing or stops.  After it,
 * MSG_RESULT carries the image's ID and tags for the exit control chunk.
 */
static void raw_build_msg(struct raw *r, struct msg *m)
{
        json_t *o, *id;
        int err;

        if (m->type == MSG_FAIL) {
                err = dg_err_parse(m->code);
                if (err <= DG_OK || err >= DG_ERR_COUNT)
                        fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
                call_fail(r->c, (enum dg_err)err, m->text, NULL);
                return;
        }
        if (!r->ended) {
                if (!r->held || r->approved)
                        fatalx("MSG_RESULT for a build not waiting for approval");
                r->approved = 1;
                if (evbuffer_add(r->toeng, "0\r\n\r\n", 5) == -1)
                        fatalx("out of memory");
                raw_want_write(r);
                return;
        }
        if (!json_is_object(m->output))
                fatalx("MSG_RESULT for a build: not an object");
        o = json_deep_copy(m->output);
        id = json_object_get(o, "imageId");
        if (o == NULL || json_object_set_new(o, "type", json_string("exit")) == -1 ||
            json_object_set_new(o, "exitCode", json_integer(0)) == -1 ||
            (id == NULL && r->image_id[0] != '\0' &&
             json_object_set_new(o, "imageId", json_string(r->image_id)) == -1))
                fatalx("out of memory");
        raw_control_out(r->c, o);
        call_finish_raw(r->c, DG_OK);
}

/* One record of the build's output: text goes out as stdout, an error ends the call. */
static int raw_build_record(struct stream *st, json_t *rec)
{
        struct raw *r = st->state;
        const char *text = json_string_value(json_object_get(rec, "stream"));
        const char *id = json_string_value(json_object_get(json_object_get(rec, "aux"), "ID"));
        const char *e =
            json_string_value(json_object_get(json_object_get(rec, "errorDetail"), "message"));
        char buf[RAW_SYSERR_MAX + 1];

        if (e == NULL)
                e = json_string_value(json_object_get(rec, "error"));
        if (e != NULL || json_object_get(rec, "error") != NULL) {
                snprintf(buf, sizeof(buf), "%s",
                         e != NULL && e[0] != '\0' ? e : "the build failed");
                if (!utf8_valid(buf, strlen(buf)))
                        snprintf(buf, sizeof(buf), "the build failed");
                call_fail(st->c, DG_DOCKER_ERROR, buf, NULL);
                return -1;
        }
        if (id != NULL && strlen(id) < sizeof(r->image_id))
                snprintf(r->image_id, sizeof(r->image_id), "%s", id);
        if (text != NULL && text[0] != '\0')
                raw_out(st->c, CHUNK_STDOUT, text, strlen(text));
        return st->dead ? -1 : 0;
}

static void raw_msg(struct stream *st, struct msg *m)
{
        struct raw *r = st->state;
        json_t *code;
        int err;

        if (r->mode == RAW_BUILD) {
                raw_build_msg(r, m);
                return;
        }
        if (r->mode != RAW_HIJACK || !r->ended)
                fatalx("%s for a raw stream whose output did not end", msg_type_name(m->type));
        if (m->type == MSG_RESULT) {
                code = json_object_get(m->output, "exitCode");
                if (!json_is_integer(code)) {
                        call_fail(r->c, DG_INTERNAL, "no exit code", NULL);
                        return;
                }
                raw_exit(r, json_integer_value(code));
                return;
        }
        err = dg_err_parse(m->code);
        if (err <= DG_OK || err >= DG_ERR_COUNT)
                fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
        call_fail(r->c, (enum dg_err)err, m->text, NULL);
}

static void *raw_start(struct stream *st, const json_t *opts, char *err, size_t errlen)
{
        const struct stream_kind *k = st->kind;
        json_t *tty = json_object_get(opts, "tty"), *in = json_object_get(opts, "stdin");
        struct raw *r;

        if ((r = calloc(1, sizeof(*r))) == NULL)
                fatal("calloc");
        r->st = st;
        r->s = st->s;
        r->c = st->c;
        r->mode = k == &raw_archive_get_kind   ? RAW_GET
                  : k == &raw_archive_put_kind ? RAW_PUT
                  : k == &raw_build_kind       ? RAW_BUILD
                                               : RAW_HIJACK;
        if (r->mode == RAW_HIJACK) {
                if (!json_is_object(opts) || json_object_size(opts) != 2 ||
                    !json_is_boolean(tty) || !json_is_boolean(in)) {
                        snprintf(err, errlen, "%s wants exactly {tty, stdin}", k->name);
                        free(r);
                        return NULL;
                }
                r->tty = json_is_true(tty);
                r->use_stdin = json_is_true(in);
        } else if (r->mode == RAW_BUILD) {
                if ((r->build = build_ctx_new(opts, err, errlen)) == NULL) {
                        free(r);
                        return NULL;
                }
        } else if (!json_is_object(opts) || json_object_size(opts) != 0) {
                snprintf(err, errlen, "%s takes no options", k->name);
                free(r);
                return NULL;
        }
        if (r->mode == RAW_PUT || r->mode == RAW_BUILD) {
                r->use_stdin = 1;
                if ((r->tar = tar_check_new(raw_put_emit, r)) == NULL)
                        fatalx("out of memory");
        }
        if (r->mode == RAW_BUILD) {
                build_ctx_watch(r->build, r->tar);
                stream_json_init(&r->j, st, raw_build_record, 0);
        }
        if ((r->toeng = evbuffer_new()) == NULL ||
            (r->wr = event_new(st->s->base, st->fd, EV_WRITE | EV_PERSIST, raw_on_write, r)) ==
                NULL)
                fatalx("cannot set up the engine side of a raw stream");
        return r;
}

/* archive/put: the request's body is ours to write from the start. */
static void raw_started(struct stream *st)
{
        struct raw *r = st->state;

        if (r->mode != RAW_PUT && r->mode != RAW_BUILD)
                return;
        raw_respond(r);
        raw_pump(r->s); /* may end the call and free r */
}

static void raw_free(void *state)
{
        struct raw *r = state;

        event_free(r->wr);
        evbuffer_free(r->toeng);
        tar_check_free(r->tar);
        build_ctx_free(r->build);
        if (r->mode == RAW_BUILD)
                stream_json_clear(&r->j);
        free(r->err);
        free(r);
}

#define RAW_KIND(n)                                                                            \
        {                                                                                      \
                n, raw_start, raw_head, raw_body, raw_done, raw_free, raw_started, raw_msg     \
        }

const struct stream_kind raw_exec_kind = RAW_KIND("raw_exec");
const struct stream_kind raw_attach_kind = RAW_KIND("attach");
const struct stream_kind raw_archive_get_kind = RAW_KIND("archive_get");
const struct stream_kind raw_archive_put_kind = RAW_KIND("archive_put");
const struct stream_kind raw_build_kind = RAW_KIND("build");
