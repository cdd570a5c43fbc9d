/*
 * call.c - one stream's calls: peer frames in, broker messages out, and the
 * supervisor's answers turned into terminal frames.
 *
 * SECURITY: the peer is hostile.  Every frame goes through envelope_parse()
 * and every input through ops_check() before anything reaches the
 * supervisor, and the supervisor checks again.  A frame that breaks the
 * protocol ends the stream (PROTOCOL_ERROR, then close).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "chan.h"
#include "evil.h"
#include "log.h"
#include "ops.h"
#include "peer.h"
#include "raw.h"
#include "sent.h"
#include "stream.h"

/* Queues a call.error frame for id (which need not be the call in flight). */
static void call_send_error(struct session *s, const char *id, enum dg_err code,
                            const char *message, json_t *details)
{
        char *json;
        size_t len;

        json = envelope_error(id, code, message, details, &len);
        if (json == NULL) /* a message that cannot be JSON: say less */
                json = envelope_error(id, code, dg_err_name(code), NULL, &len);
        if (json == NULL || peer_send(s, json, len) == -1)
                fatalx("cannot build a call.error frame");
}

/* After the terminal frame of the call in flight. */
static void call_end(struct session *s, const char *result)
{
        stream_drop(s);
        /* MSG_CALL_END follows once the call's bytes are written (sent.h). */
        sent_end(s, s->seq, result, s->bytes_in);
        s->state = CALL_IDLE;
        /* A raw-carriage call owns the stream to its end (PROTOCOL.md 3). */
        if (s->raw)
                peer_close(s);
        else
                session_idle(s, 1);
}

/* The call in flight stops without its terminal frame: the stream is going away. */
static void call_cancel(struct session *s)
{
        if (s->state == CALL_IDLE)
                return;
        chan_cancel(s->chan, s->seq);
        stream_drop(s);
        /* Late answers for this call are dropped (call_msg). */
        s->aborted_seq = s->seq;
        s->state = CALL_IDLE;
}

void call_protocol_error(struct session *s, const char *id, const char *message)
{
        log_debug("protocol error: %s", message);
        call_cancel(s);
        call_send_error(s, envelope_id_valid(id) ? id : "", DG_PROTOCOL_ERROR, message, NULL);
        peer_close(s);
}

void call_peer_gone(struct session *s)
{
        log_debug("peer closed the stream%s", s->state != CALL_IDLE ? " during a call" : "");
        call_cancel(s);
        session_finish(s);
}

static void call_requested(struct session *s, struct envelope *env, size_t nbytes)
{
        char err[512];

        if (s->state != CALL_IDLE) {
                call_protocol_error(s, env->id, "a call is already in flight on this stream");
                return;
        }
        if (s->refusal[0] != '\0') {
                /* The supervisor refused the stream (a quota): say so once, then close. */
                int code = dg_err_parse(s->refusal);
                call_send_error(s, env->id, code > DG_OK ? (enum dg_err)code : DG_UNAVAILABLE,
                                code == DG_QUOTA_EXCEEDED
                                    ? "quota streams: this peer has as many concurrent streams "
                                      "open as its quota allows; close one and retry"
                                    : "stream refused",
                                NULL);
                peer_close(s);
                return;
        }
        /*
         * A unix peer the policy does not know never gets a worker (the
         * supervisor refuses it at accept); this is the last line.  A TCP
         * call without a token goes to the broker, which refuses it and
         * audits the refusal.
         */
        if (!s->tcp && !s->authenticated) {
                char msg[160];

                snprintf(msg, sizeof(msg),
                         "uid %u (gid %u) is not known to the policy; ask the operator to map it",
                         (unsigned)s->peer_uid, (unsigned)s->peer_gid);
                call_send_error(s, env->id, DG_UNAUTHENTICATED, msg, NULL);
                peer_close(s);
                return;
        }
#ifdef DG_EVIL
        if (evil_call(s, env))
                return;
#endif
        if (ops_check(env, err, sizeof(err)) == -1) {
                call_send_error(s, env->id, DG_INVALID_INPUT, err, NULL);
                if (env->carriage == CARRIAGE_RAW)
                        peer_close(s);
                return;
        }
        if (strlen(env->operation) > MSG_OP_MAX)
                fatalx("operation name longer than MSG_OP_MAX passed the schema");

        s->seq++;
        s->state = CALL_WAITING;
        snprintf(s->id, sizeof(s->id), "%s", env->id);
        snprintf(s->op, sizeof(s->op), "%s", env->operation);
        s->raw = env->carriage == CARRIAGE_RAW;
        s->bytes_in = nbytes;
        /* A peer that pipelines: the last call's end must precede this MSG_CALL. */
        sent_flush(s);
        session_idle(s, 0);
        log_debug("call %" PRIu64 ": %s", s->seq, s->op);
        /* SECURITY: the token is the supervisor's to judge; a unix stream sends none. */
        chan_call(s->chan, s->seq, s->id, s->op, s->raw, env->input, s->tcp ? env->token : NULL);
}

static void call_aborted(struct session *s, struct envelope *env, size_t nbytes)
{
        char *json;
        size_t len;

        if (s->state == CALL_IDLE)
                return; /* raced with the call's end: nothing to stop */
        if (strcmp(env->id, s->id) != 0) {
                call_protocol_error(s, env->id, "call.aborted for a call not in flight");
                return;
        }
        s->bytes_in += nbytes;
        chan_cancel(s->chan, s->seq);
        stream_drop(s);
        /* Late answers for this call are dropped (call_msg). */
        s->aborted_seq = s->seq;
        if ((json = envelope_aborted(s->id, &len)) == NULL || peer_send(s, json, len) == -1)
                fatalx("cannot build a call.aborted frame");
        call_end(s, dg_err_name(DG_ABORTED));
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

int call_respond(struct session *s, json_t *output)
{
        char *json;
        size_t len;

        if ((json = envelope_responded(s->id, output, &len)) == NULL)
                return -1;
        if (peer_send(s, json, len) == -1)
                return -1;
        return 0;
}

void call_complete(struct session *s)
{
        char *json;
        size_t len;

        if ((json = envelope_completed(s->id, &len)) == NULL || peer_send(s, json, len) == -1)
                fatalx("cannot build a call.completed frame");
        call_end(s, dg_err_name(DG_OK));
}

void call_fail(struct session *s, enum dg_err code, const char *message, json_t *details)
{
        /* After a raw call's call.responded, only chunks: the error is a control chunk. */
        if (s->raw_started)
                raw_send_error(s, code, message);
        else
                call_send_error(s, s->id, code, message, details);
        call_end(s, dg_err_name(code));
}

void call_finish_raw(struct session *s, enum dg_err result)
{
        call_end(s, dg_err_name(result));
}

static void call_result(struct session *s, struct msg *m)
{
        if (s->state != CALL_WAITING)
                fatalx("MSG_RESULT for call %" PRIu64 " while streaming", m->seq);
        if (call_respond(s, m->output) == -1) {
                call_fail(s, DG_INTERNAL, "result too large for one frame", NULL);
                return;
        }
        call_complete(s);
}

static void call_failed(struct session *s, struct msg *m)
{
        int code = dg_err_parse(m->code);

        if (code <= DG_OK || code >= DG_ERR_COUNT)
                fatalx("MSG_FAIL with unknown code \"%s\"", m->code);
        call_fail(s, (enum dg_err)code, m->text, m->details);
        /* A caller the policy does not know gets no further tries on this stream. */
        if (code == DG_UNAUTHENTICATED)
                peer_close(s);
}

void call_msg(struct session *s, struct msg *m)
{
        if (m->type != MSG_RESULT && m->type != MSG_FAIL && m->type != MSG_STREAM)
                fatalx("unexpected %s from the supervisor", msg_type_name(m->type));
        if (s->state == CALL_IDLE || m->seq != s->seq) {
                /*
                 * The supervisor may have answered a call before it read our
                 * MSG_CANCEL; such answers precede anything about later calls
                 * on the channel, so only the last aborted call can be late.
                 */
                if (s->aborted_seq != 0 && m->seq == s->aborted_seq) {
                        log_debug("dropping %s for aborted call %" PRIu64,
                                  msg_type_name(m->type), m->seq);
                        return;
                }
                fatalx("%s for call %" PRIu64 ", which is not in flight",
                       msg_type_name(m->type), m->seq);
        }
        switch (m->type) {
        case MSG_RESULT:
        case MSG_FAIL:
                /* A kept stream (exec, attach) gets its exit code while streaming. */
                if (s->state == CALL_STREAMING)
                        stream_msg(s, m);
                else if (m->type == MSG_RESULT)
                        call_result(s, m);
                else
                        call_failed(s, m);
                break;
        case MSG_STREAM:
                if (s->state != CALL_WAITING)
                        fatalx("second MSG_STREAM for call %" PRIu64, m->seq);
                stream_start(s, m);
                break;
        default:
                break;
        }
}
