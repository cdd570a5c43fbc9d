/*
 * call.c - one stream's calls: peer frames in, broker messages out, and the
 * supervisor's answers turned into terminal frames (call.h).
 *
 * SECURITY: the peer is hostile.  Every frame goes through envelope_parse()
 * and every input through ops_check() before anything reaches the
 * supervisor, and the supervisor checks again.  A frame that breaks the
 * protocol ends the stream (PROTOCOL_ERROR, then close).  The number of
 * calls in flight is bounded (s->max_calls) before anything is allocated
 * for one, and the supervisor holds the worker to the same bound.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "call.h"
#include "chan.h"
#include "hooks.h"
#include "log.h"
#include "ops.h"
#include "sent.h"

/* Queues a call.error frame for id, outside any call (none was started for it). */
static void call_send_error(struct session *s, const char *id, enum dg_err code,
                            const char *message, json_t *details)
{
        char *json;
        size_t len;

        json = envelope_error(id, code, message, details, &len);
        if (json == NULL) /* a message that cannot be JSON: say less */
                json = envelope_error(id, code, dg_err_name(code), NULL, &len);
        if (json == NULL || s->up->send_frame(s, json, len) == -1)
                fatalx("cannot build a call.error frame");
}

struct call *call_find(struct session *s, uint64_t seq)
{
        struct call *c;

        TAILQ_FOREACH(c, &s->calls, link)
        {
                if (c->seq == seq)
                        return c;
        }
        return NULL;
}

static struct call *call_find_id(struct session *s, const char *id)
{
        struct call *c;

        TAILQ_FOREACH(c, &s->calls, link)
        {
                if (strcmp(c->id, id) == 0)
                        return c;
        }
        return NULL;
}

/* A late answer for seq is dropped, not taken for a supervisor bug. */
static void call_drop_later(struct session *s, uint64_t seq)
{
        s->dropped[s->ndropped++ % SESSION_ENDED_RING] = seq;
}

static int call_dropped(const struct session *s, uint64_t seq)
{
        unsigned i, n = s->ndropped < SESSION_ENDED_RING ? s->ndropped : SESSION_ENDED_RING;

        for (i = 0; i < n; i++) {
                if (s->dropped[i] == seq)
                        return 1;
        }
        return 0;
}

/* The ended call's MSG_CALL_END follows once its bytes are written (sent.h). */
static void call_report(struct call *c)
{
        if (!c->end_pending)
                return;
        c->end_pending = 0;
        sent_end(c->s, c->seq, c->end_result, c->bytes_in);
}

void call_queue_empty(struct call *c)
{
        if (c->state == CALL_ENDED)
                call_report(c);
}

static void call_reap(evutil_socket_t fd, short what, void *arg)
{
        struct session *s = arg;
        struct call *c, *next;

        for (c = TAILQ_FIRST(&s->ended); c != NULL; c = next) {
                next = TAILQ_NEXT(c, link);
                if (c->queued)
                        continue; /* freed by peer.c once its frames moved on */
                TAILQ_REMOVE(&s->ended, c, link);
                evbuffer_free(c->out);
                free(c);
        }
}

void call_free_all(struct session *s)
{
        struct call *c;

        while ((c = TAILQ_FIRST(&s->calls)) != NULL) {
                c->s->up->stream_drop(c);
                TAILQ_REMOVE(&s->calls, c, link);
                TAILQ_INSERT_TAIL(&s->ended, c, link);
        }
        while ((c = TAILQ_FIRST(&s->ready)) != NULL) {
                TAILQ_REMOVE(&s->ready, c, qlink);
                c->queued = 0;
        }
        /* Ends still held are reported (with what was written: sent_flush). */
        TAILQ_FOREACH(c, &s->ended, link)
        call_report(c);
        call_reap(-1, 0, s);
        if (s->reap != NULL)
                event_free(s->reap);
        s->reap = NULL;
}

/*
 * Takes c out of flight.  It is freed off this callback (stream kinds may
 * still hold it up the stack), and only once its queued frames moved on.
 */
static void call_retire(struct call *c)
{
        struct session *s = c->s;

        c->s->up->stream_drop(c);
        c->state = CALL_ENDED;
        TAILQ_REMOVE(&s->calls, c, link);
        TAILQ_INSERT_TAIL(&s->ended, c, link);
        s->ncalls--;
        if (s->raw == c)
                s->raw = NULL;
        if (s->reap == NULL && (s->reap = event_new(s->base, -1, 0, call_reap, s)) == NULL)
                fatalx("event_new");
        event_active(s->reap, EV_TIMEOUT, 1);
}

/* After the terminal frame of c. */
static void call_end(struct call *c, const char *result)
{
        struct session *s = c->s;
        int raw = c->raw;

        if (strlen(result) >= sizeof(c->end_result))
                fatalx("call result name too long");
        strcpy(c->end_result, result);
        c->end_pending = 1;
        call_retire(c);
        /* Frames still in its own queue: reported once they moved on (peer.c). */
        if (!c->queued)
                call_report(c);
        /* A raw-carriage call owns the stream to its end (PROTOCOL.md 3). */
        if (raw || (s->ncalls == 0 && s->draining))
                s->up->close(s);
        else if (s->ncalls == 0)
                session_idle(s, 1);
}

void call_cancel_sent(struct call *c)
{
        chan_cancel(c->s->chan, c->seq);
        /* Late answers for this call are dropped (call_msg). */
        call_drop_later(c->s, c->seq);
}

/* Every call in flight stops without its terminal frame: the stream is going away. */
static void call_cancel_all(struct session *s)
{
        struct call *c;

        while ((c = TAILQ_FIRST(&s->calls)) != NULL) {
                call_cancel_sent(c);
                call_retire(c);
        }
}

void call_protocol_error(struct session *s, const char *id, const char *message)
{
        log_debug("protocol error: %s", message);
        call_cancel_all(s);
        /* What the calls already produced goes out before the error (issue 10). */
        s->up->flush_calls(s);
        call_send_error(s, envelope_id_valid(id) ? id : "", DG_PROTOCOL_ERROR, message, NULL);
        s->up->close(s);
}

void call_peer_gone(struct session *s)
{
        log_debug("peer closed the stream%s", s->ncalls > 0 ? " during a call" : "");
        call_cancel_all(s);
        session_finish(s);
}

/* The stream will not take calls any more: every call in flight stops, then it closes. */
static void call_close_stream(struct session *s)
{
        call_cancel_all(s);
        s->up->flush_calls(s);
        s->up->close(s);
}

/* Answers a call.requested that gets no call of its own; 1 when it was answered. */
static int call_refuse(struct session *s, struct envelope *env)
{
        char err[512];

        if (s->refusal[0] != '\0') {
                /* The supervisor refused the stream (a quota): say so once, then close. */
                int code = dg_err_parse(s->refusal);
                call_send_error(s, env->id, code > DG_OK ? (enum dg_err)code : DG_UNAVAILABLE,
                                code == DG_QUOTA_EXCEEDED
                                    ? "quota streams: this peer has as many concurrent streams "
                                      "open as its quota allows; close one and retry"
                                    : "stream refused",
                                NULL);
                call_close_stream(s);
                return 1;
        }
        /*
         * A unix peer the policy does not know never gets a worker (the
         * supervisor refuses it at accept); this is the last line.  A TCP
         * call without a token goes to the broker, which refuses it and
         * audits the refusal.
         */
        if (!s->tcp && !s->authenticated) {
                char msg[160];

                snprintf(
                    msg, sizeof(msg),
                    "uid %u (gid %u) is not known to the policy; ask the operator to map it",
                    (unsigned)s->peer_uid, (unsigned)s->peer_gid);
                call_send_error(s, env->id, DG_UNAUTHENTICATED, msg, NULL);
                call_close_stream(s);
                return 1;
        }
        if (worker_hooks != NULL && worker_hooks->call(s, env))
                return 1; /* a test hook took it (hooks.h) */
        if (ops_check(env, err, sizeof(err)) == -1) {
                call_send_error(s, env->id, DG_INVALID_INPUT, err, NULL);
                /* What follows a raw call.requested is chunks: no frame can be read. */
                if (env->carriage == CARRIAGE_RAW)
                        call_close_stream(s);
                return 1;
        }
        if (env->carriage == CARRIAGE_RAW && s->ncalls > 0) {
                /*
                 * A raw call owns the whole stream; what follows it is chunks,
                 * so no further frame can be read: the calls in flight finish,
                 * then the stream closes.
                 */
                call_send_error(s, env->id, DG_CONFLICT,
                                "a raw-carriage call owns the whole stream: send it on a "
                                "stream with no other call in flight",
                                NULL);
                s->draining = 1;
                s->up->stop_reading(s);
                return 1;
        }
        /* Calls whose end is not reported yet still count: the supervisor holds them open. */
        if (s->nopen >= s->max_calls) {
                json_t *d = json_pack("{s:i,s:I}", "retryAfterMs", 10, "limit",
                                      (json_int_t)s->max_calls);
                char msg[160];

                snprintf(msg, sizeof(msg),
                         "%u calls are in flight on this stream, as many as it allows; "
                         "retry once one ended",
                         s->max_calls);
                call_send_error(s, env->id, DG_RATE_LIMITED, msg, d);
                json_decref(d);
                return 1;
        }
        return 0;
}

static void call_requested(struct session *s, struct envelope *env, size_t nbytes)
{
        struct call *c;

        if (call_find_id(s, env->id) != NULL) {
                call_protocol_error(s, env->id, "a call with this id is already in flight");
                return;
        }
        if (call_refuse(s, env))
                return;
        if (strlen(env->operation) > MSG_OP_MAX)
                fatalx("operation name longer than MSG_OP_MAX passed the schema");

        if ((c = calloc(1, sizeof(*c))) == NULL || (c->out = evbuffer_new()) == NULL)
                fatal("calloc");
        c->s = s;
        c->seq = ++s->seq;
        c->state = CALL_WAITING;
        snprintf(c->id, sizeof(c->id), "%s", env->id);
        snprintf(c->op, sizeof(c->op), "%s", env->operation);
        c->raw = env->carriage == CARRIAGE_RAW;
        c->bytes_in = nbytes;
        TAILQ_INSERT_TAIL(&s->calls, c, link);
        s->nopen++;
        if (s->ncalls++ == 0)
                session_idle(s, 0);
        if (c->raw)
                s->raw = c;
        log_debug("call %" PRIu64 ": %s", c->seq, c->op);
        /* SECURITY: the token is the supervisor's to judge; a unix stream sends none. */
        chan_call(s->chan, c->seq, c->id, c->op, c->raw, env->input,
                  s->tcp ? env->token : NULL);
}

static void call_aborted(struct session *s, struct envelope *env, size_t nbytes)
{
        struct call *c;
        char *json;
        size_t len;

        /* Not in flight: it raced with its own end (nothing to stop), or never was. */
        if ((c = call_find_id(s, env->id)) == NULL)
                return;
        c->bytes_in += nbytes;
        call_cancel_sent(c);
        c->s->up->stream_drop(c);
        if ((json = envelope_aborted(c->id, &len)) == NULL ||
            c->s->up->send(c, json, len) == -1)
                fatalx("cannot build a call.aborted frame");
        call_end(c, dg_err_name(DG_ABORTED));
}

void call_frame(struct session *s, const char *json, size_t len, size_t nbytes)
{
        struct envelope env;
        char err[512];

        memset(&env, 0, sizeof(env));
        if (envelope_parse(json, len, &env, err, sizeof(err)) == -1) {
                env.id[ENV_ID_MAX] = '\0';
                call_protocol_error(s, env.id, err);
                envelope_clear(&env);
                return;
        }
        switch (env.type) {
        case ENV_CALL_REQUESTED:
                call_requested(s, &env, nbytes);
                break;
        case ENV_CALL_ABORTED:
                call_aborted(s, &env, nbytes);
                break;
        default:
                call_protocol_error(s, env.id, "unknown frame type");
                break;
        }
        envelope_clear(&env);
}

int call_respond(struct call *c, json_t *output)
{
        char *json;
        size_t len;

        if ((json = envelope_responded(c->id, output, &len)) == NULL)
                return -1;
        if (c->s->up->send(c, json, len) == -1)
                return -1;
        return 0;
}

void call_complete(struct call *c)
{
        char *json;
        size_t len;

        if ((json = envelope_completed(c->id, &len)) == NULL ||
            c->s->up->send(c, json, len) == -1)
                fatalx("cannot build a call.completed frame");
        call_end(c, dg_err_name(DG_OK));
}

void call_fail(struct call *c, enum dg_err code, const char *message, json_t *details)
{
        char *json;
        size_t len;

        /* After a raw call's call.responded, only chunks: the error is a control chunk. */
        if (c->raw_started) {
                c->s->up->raw_error(c, code, message);
        } else {
                json = envelope_error(c->id, code, message, details, &len);
                if (json == NULL) /* a message that cannot be JSON: say less */
                        json = envelope_error(c->id, code, dg_err_name(code), NULL, &len);
                if (json == NULL || c->s->up->send(c, json, len) == -1)
                        fatalx("cannot build a call.error frame");
        }
        /* A kept stream ended here may still get the supervisor's answer: drop it. */
        if (c->state == CALL_STREAMING)
                call_drop_later(c->s, c->seq);
        call_end(c, dg_err_name(code));
}

void call_finish_raw(struct call *c, enum dg_err result)
{
        call_end(c, dg_err_name(result));
}

static void call_result(struct call *c, struct msg *m)
{
        if (c->state != CALL_WAITING)
                fatalx("MSG_RESULT for call %" PRIu64 " while streaming", m->seq);
        if (call_respond(c, m->output) == -1) {
                call_fail(c, DG_INTERNAL, "result too large for one frame", NULL);
                return;
        }
        call_complete(c);
}

static void call_failed(struct call *c, struct msg *m)
{
        struct session *s = c->s;
        int code = dg_err_parse(m->code);

        if (code <= DG_OK || code >= DG_ERR_COUNT)
                fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
        call_fail(c, (enum dg_err)code, m->text, m->details);
        /* A caller the policy does not know gets no further tries on this stream. */
        if (code == DG_UNAUTHENTICATED)
                call_close_stream(s);
}

void call_msg(struct session *s, struct msg *m)
{
        struct call *c;

        if (m->type != MSG_RESULT && m->type != MSG_FAIL && m->type != MSG_STREAM)
                fatalx("unexpected %s from the supervisor", msg_type_name(m->type));
        if ((c = call_find(s, m->seq)) == NULL) {
                /*
                 * The supervisor may have answered a call before it read our
                 * MSG_CANCEL (or a kept stream's MSG_CALL_END): such answers
                 * are dropped.  Anything else is a bug there.
                 */
                if (call_dropped(s, m->seq)) {
                        log_debug("dropping %s for ended call %" PRIu64, msg_type_name(m->type),
                                  m->seq);
                        return;
                }
                fatalx("%s for call %" PRIu64 ", which is not in flight",
                       msg_type_name(m->type), m->seq);
        }
        switch (m->type) {
        case MSG_RESULT:
        case MSG_FAIL:
                /* A kept stream (exec, attach) gets its exit code while streaming. */
                if (c->state == CALL_STREAMING)
                        c->s->up->stream_msg(c, m);
                else if (m->type == MSG_RESULT)
                        call_result(c, m);
                else
                        call_failed(c, m);
                break;
        case MSG_STREAM:
                if (c->state != CALL_WAITING)
                        fatalx("second MSG_STREAM for call %" PRIu64, m->seq);
                c->s->up->stream_start(c, m);
                break;
        default:
                break;
        }
}
