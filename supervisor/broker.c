/*
 * broker.c - deciding on a worker's call and answering it.
 *
 * SECURITY: the worker already checked the input, but the worker may be
 * compromised; everything is checked again here, and identity comes from
 * the supervisor's record of the connection, never from the message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "auditrec.h"
#include "broker.h"
#include "log.h"
#include "msg.h"
#include "opencall.h"
#include "pool.h"
#include "pool_up.h"
#include "rate.h"
#include "schema.h"

void call_free(struct call *c)
{
        if (c == NULL)
                return;
        if (c->state != NULL && c->state_free != NULL)
                c->state_free(c->state);
        json_decref(c->input);
        policy_unref(c->policy);
        free(c);
}

/*
 * The worker no longer points at c.  Done before pool_send(): a send that
 * overflows kills the worker, and killing cancels (frees) the worker's call.
 */
static void detach(struct call *c)
{
        if (c->oc != NULL && c->oc->call == c)
                c->oc->call = NULL;
        c->oc = NULL;
}

/* The broker owes nothing more for c: detach it from its worker and free it. */
static void finish(struct call *c)
{
        detach(c);
        call_free(c);
}

void broker_cancel(struct call *c)
{
        /* A kept stream that did not end releases what it started in the engine. */
        if (c->kept != NULL && !c->end_seen && c->kept->cancel != NULL)
                c->kept->cancel(c);
        if (c->pending != NULL) {
                engine_cancel(c->pending);
                c->pending = NULL;
        }
        log_debug("call %llu (%s) cancelled", (unsigned long long)c->seq, c->op);
        finish(c);
}

void call_reply(struct call *c, json_t *output)
{
        struct msg m;
        msg_init(&m, MSG_RESULT);
        m.seq = c->seq;
        m.output = output != NULL ? output : json_object();
        /* Invariant 7: the answer waits until its audit record is on disk. */
        uint64_t ticket = auditrec_decision(c, "OK", NULL, NULL, m.output);
        detach(c);
        if (pool_send_held(c->worker, &m, -1, ticket) < 0)
                log_warnx("call %llu (%s): result not delivered", (unsigned long long)c->seq,
                          c->op);
        msg_clear(&m);
        finish(c);
}

static void fail_v(struct call *c, enum dg_err code, json_t *details, const char *fmt,
                   va_list ap)
{
        struct msg m;
        msg_init(&m, MSG_FAIL);
        m.seq = c->seq;
        snprintf(m.code, sizeof(m.code), "%s", dg_err_name(code));
        vsnprintf(m.text, sizeof(m.text), fmt, ap);
        m.details = details;
        log_info("call %llu (%s) by %s: %s: %s", (unsigned long long)c->seq, c->op,
                 c->peer != NULL ? c->peer->name : "-", m.code, m.text);
        uint64_t ticket = c->unaudited ? 0 : auditrec_decision(c, m.code, m.text, NULL, NULL);
        detach(c);
        pool_send_held(c->worker, &m, -1, ticket);
        msg_clear(&m);
        finish(c);
}

void call_fail(struct call *c, enum dg_err code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fail_v(c, code, NULL, fmt, ap);
        va_end(ap);
}

void call_fail_details(struct call *c, enum dg_err code, json_t *details, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fail_v(c, code, details, fmt, ap);
        va_end(ap);
}

void call_fail_engine(struct call *c, int status, json_t *body)
{
        const char *text = json_string_value(json_object_get(body, "message"));
        if (text == NULL)
                text = "the Docker Engine refused the request";
        switch (status) {
        case 0:
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                break;
        case -1:
                call_fail(c, DG_TIMEOUT, "the Docker Engine did not answer in time");
                break;
        case 404:
                call_fail(c, DG_NOT_FOUND, "%s", text);
                break;
        case 409:
                call_fail(c, DG_CONFLICT, "%s", text);
                break;
        default:
                call_fail_details(c, DG_DOCKER_ERROR, json_pack("{s:i}", "status", status),
                                  "%s", text);
                break;
        }
}

/*
 * Sends MSG_STREAM with fd (owned by pool_send from here on, delivered or
 * not), once its audit record is durable.  c is detached from its worker.
 */
static int stream_send(struct call *c, int fd, const char *kind, json_t *opts)
{
        struct msg m;
        int rc;

        msg_init(&m, MSG_STREAM);
        m.seq = c->seq;
        snprintf(m.kind, sizeof(m.kind), "%s", kind);
        m.opts = opts != NULL ? opts : json_object();
        uint64_t ticket = auditrec_decision(c, "OK", NULL, kind, NULL);
        detach(c);
        if ((rc = pool_send_held(c->worker, &m, fd, ticket)) < 0)
                log_warnx("call %llu (%s): stream not delivered", (unsigned long long)c->seq,
                          c->op);
        msg_clear(&m);
        return rc;
}

void call_stream(struct call *c, int fd, const char *kind, json_t *opts)
{
        stream_send(c, fd, kind, opts);
        finish(c);
}

void call_stream_keep(struct call *c, int fd, const char *kind, json_t *opts,
                      const struct call_stream_ops *ops)
{
        struct opencall *oc = c->oc;

        c->kept = ops;
        if (stream_send(c, fd, kind, opts) < 0) {
                /* The worker is gone (or being killed): nothing will end this call. */
                broker_cancel(c);
                return;
        }
        /* Sent, so the worker and its record live: still owed, the exit code after
         * MSG_STREAM_END. */
        c->oc = oc;
        oc->call = c;
}

int broker_stream_end(struct call *c)
{
        if (c->kept == NULL || c->end_seen || c->pending != NULL)
                return -1;
        c->end_seen = 1;
        log_debug("call %llu (%s): stream ended", (unsigned long long)c->seq, c->op);
        c->kept->end(c);
        return 0;
}

int broker_resize(struct call *c, uint32_t rows, uint32_t cols)
{
        if (c->kept == NULL || c->end_seen)
                return -1;
        if (c->kept->resize != NULL)
                c->kept->resize(c, rows, cols);
        return 0;
}

int broker_build_images(struct call *c, const json_t *images)
{
        if (c->kept == NULL || c->end_seen || c->kept->images == NULL)
                return -1;
        c->kept->images(c, images);
        return 0;
}

int call_kept_note(struct call *c, json_t *output)
{
        struct msg m;
        int rc;

        msg_init(&m, MSG_RESULT);
        m.seq = c->seq;
        m.output = output != NULL ? output : json_object();
        rc = pool_send_held(c->worker, &m, -1, 0);
        msg_clear(&m);
        return rc;
}

int call_engine_view(const struct call *c)
{
        return c->worker != NULL && c->worker->docker;
}

void call_set_resource(struct call *c, const char *id)
{
        snprintf(c->resource, sizeof(c->resource), "%s", id != NULL ? id : "");
}

/*
 * A unix stream was identified at hand-off and carries no tokens; a TCP
 * stream's every call carries one; a refused stream carries no call.
 */
static int broker_transport_ok(const struct worker *w, const struct call *c)
{
        if (w->refused)
                return 0;
        /* A TCP call without a token comes here to be refused, and audited (identify). */
        return w->tcp ? 1 : w->peer[0] != '\0' && c->token[0] == '\0';
}

/*
 * Who is calling, against the policy now in force.  A unix stream is
 * looked up again by the kernel's uid and gid (a reload may have changed
 * the mapping); a TCP call by its token, which also binds the stream to
 * that peer at its first call (one stream, one peer; the stream quota is
 * checked then).  Returns -1 after answering the call.
 */
static int broker_identify(struct call *c)
{
        struct worker *w = c->worker;
        const struct peer_policy *pp;
        char id[POLICY_TOKEN_ID_LEN + 1] = "";

        if (!w->tcp) {
                c->peer = policy_by_cred(c->policy, w->peer_uid, w->peer_gid);
                if (c->peer == NULL || strcmp(c->peer->name, w->peer) != 0) {
                        c->peer = NULL;
                        call_fail(c, DG_UNAUTHENTICATED,
                                  "this connection is no longer peer %s in the policy; "
                                  "connect again",
                                  w->peer);
                        return -1;
                }
                return 0;
        }
        if (c->token[0] == '\0') {
                call_fail(c, DG_UNAUTHENTICATED,
                          "auth.token is required on every call over TCP");
                return -1;
        }
        pp = policy_by_token(c->policy, c->token, id);
        explicit_bzero(c->token, sizeof(c->token));
        if (pp == NULL) {
                call_fail(c, DG_UNAUTHENTICATED, "the token is not known to the policy");
                return -1;
        }
        c->peer = pp;
        if (w->peer[0] != '\0' && strcmp(w->peer, pp->name) != 0) {
                call_fail(c, DG_UNAUTHENTICATED,
                          "this stream belongs to another peer; open a new stream for this "
                          "token");
                return -1;
        }
        if (w->peer[0] != '\0')
                return 0;
        if (pp->quotas.streams > 0 && pool_streams(w->sv, pp->name, w) >= pp->quotas.streams) {
                call_fail_details(c, DG_QUOTA_EXCEEDED,
                                  json_pack("{s:s,s:I}", "quota", "streams", "limit",
                                            (json_int_t)pp->quotas.streams),
                                  "quota streams: peer %s has %lld concurrent streams open "
                                  "already",
                                  pp->name, (long long)pp->quotas.streams);
                return -1;
        }
        snprintf(w->peer, sizeof(w->peer), "%s", pp->name);
        snprintf(w->token_id, sizeof(w->token_id), "%s", id);
        snprintf(w->open_peer, sizeof(w->open_peer), "%s", pp->name); /* audit's record */
        if (c->oc != NULL)
                snprintf(c->oc->peer, sizeof(c->oc->peer), "%s", pp->name);
        log_info("worker %d: TCP stream bound to peer %s (token %s)", (int)w->pid, pp->name,
                 id);
        return 0;
}

/* The peer's calls per second (invariant 6): RATE_LIMITED with when to retry. */
static int broker_rate(struct call *c)
{
        long retry_ms;

        if (c->worker->sv->rate == NULL ||
            rate_take(c->worker->sv->rate, c->peer, &retry_ms) == 0)
                return 0;
        call_fail_details(c, DG_RATE_LIMITED,
                          json_pack("{s:I}", "retryAfterMs", (json_int_t)retry_ms),
                          "peer %s is over its rate of %lld calls per second; retry in %ld ms",
                          c->peer->name, (long long)c->peer->quotas.calls_per_second, retry_ms);
        return -1;
}

/* The peer's calls in flight over all its streams (invariant 6). */
static int broker_inflight(struct call *c)
{
        uint32_t max = c->worker->sv->cfg.max_calls_peer;

        if (c->oc == NULL || opencall_count(c->oc, c->peer->name, max) == 0)
                return 0;
        call_fail_details(c, DG_RATE_LIMITED,
                          json_pack("{s:i,s:I}", "retryAfterMs", 10, "limit", (json_int_t)max),
                          "peer %s has %lu calls in flight, as many as it may; retry once one "
                          "ended",
                          c->peer->name, (unsigned long)max);
        return -1;
}

/* The call's input against the policy, then its handler. */
static void broker_checked(struct call *c)
{
        char err[512];

        if (policy_check_call(c->peer, c->op, c->input, err, sizeof(err)) < 0) {
                call_fail(c, DG_FORBIDDEN, "%s", err);
                return;
        }
        c->allowed = 1;
        c->worker->sv->ops->handler[c->desc->id](c);
}

int broker_dispatch(struct call *c)
{
        struct worker *w = c->worker;
        char err[512];
        const struct op_desc *os = op_desc_find(c->op);

        /* What the worker's own checks refuse must never arrive here. */
        if (os == NULL || (c->raw ? !os->carriage_raw : !os->carriage_json) ||
            schema_check(os, c->input, err, sizeof(err)) < 0 || !broker_transport_ok(w, c)) {
                log_warnx("worker %d forwarded a call its checks must refuse (%s)", (int)w->pid,
                          c->op);
                finish(c);
                return -1;
        }
        if (!audit_ok(w->sv->audit)) {
                /* Refused before any effect, so there is nothing to audit or hold. */
                c->unaudited = 1;
                call_fail(c, DG_UNAVAILABLE, "the audit log cannot be written; try again");
                return 0;
        }
        c->policy = policy_ref(w->sv->policy);
        if (broker_identify(c) < 0 || broker_rate(c) < 0 || broker_inflight(c) < 0)
                return 0;
        if (!policy_allows(c->peer, os->verb)) {
                call_fail(c, DG_FORBIDDEN, "operation %s is not allowed for peer %s", c->op,
                          c->peer->name);
                return 0;
        }
        c->desc = os;
        /* A bare image name is the peer's own first (imageown.h), then the policy's. */
        if (w->sv->ops->prepare != NULL)
                w->sv->ops->prepare(c, broker_checked);
        else
                broker_checked(c);
        return 0;
}

/* A MSG_CALL the pool's state table let through: our record of the call, then dispatch. */
static int broker_call_msg(struct worker *w, struct msg *m)
{
        struct call *c = calloc(1, sizeof(*c));

        if (c == NULL)
                fatal("calloc");
        c->worker = w;
        c->seq = m->seq;
        snprintf(c->id, sizeof(c->id), "%s", m->id);
        snprintf(c->op, sizeof(c->op), "%s", m->op);
        c->raw = m->raw;
        c->input = m->input;
        m->input = NULL;
        memcpy(c->token, m->token, sizeof(c->token));
        explicit_bzero(m->token, sizeof(m->token));
        c->engine = w->sv->engine;
        /* Our record of the call, for its end record (it outlives c). */
        c->oc = opencall_new(w, m->seq, m->id, m->op);
        c->oc->call = c;
        return broker_dispatch(c);
}

static int broker_kept(const struct call *c)
{
        return c->kept != NULL;
}

const struct pool_up broker_pool_up = {
    .call = broker_call_msg,
    .cancel = broker_cancel,
    .kept = broker_kept,
    .stream_end = broker_stream_end,
    .resize = broker_resize,
    .build_images = broker_build_images,
    .call_end = auditrec_end,
    .worker_event = auditrec_worker,
};
