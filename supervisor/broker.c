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

#include "broker.h"
#include "log.h"
#include "msg.h"
#include "pool.h"
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

/* The broker owes nothing more for c: detach it from its worker and free it. */
static void finish(struct call *c)
{
        if (c->worker != NULL && c->worker->call == c)
                c->worker->call = NULL;
        call_free(c);
}

void broker_cancel(struct call *c)
{
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
        if (pool_send(c->worker, &m, -1) < 0)
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
        pool_send(c->worker, &m, -1);
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
                call_fail_details(c, DG_DOCKER_ERROR, json_pack("{s:i}", "status", status), "%s",
                                  text);
                break;
        }
}

void call_stream(struct call *c, int fd, const char *kind, json_t *opts)
{
        struct msg m;
        msg_init(&m, MSG_STREAM);
        m.seq = c->seq;
        snprintf(m.kind, sizeof(m.kind), "%s", kind);
        m.opts = opts != NULL ? opts : json_object();
        /* pool_send owns fd from here on, delivered or not. */
        if (pool_send(c->worker, &m, fd) < 0)
                log_warnx("call %llu (%s): stream not delivered", (unsigned long long)c->seq,
                          c->op);
        msg_clear(&m);
        finish(c);
}

static const struct op_entry *op_lookup(const char *name)
{
        for (const struct op_entry *e = op_table; e->name != NULL; e++)
                if (strcmp(e->name, name) == 0)
                        return e;
        return NULL;
}

int broker_dispatch(struct call *c)
{
        struct worker *w = c->worker;
        char err[512];
        const struct op_schema *os = schema_find(c->op);

        /* What the worker's own checks refuse must never arrive here. */
        if (os == NULL || (c->raw ? !os->carriage_raw : !os->carriage_json) ||
            schema_check(os, c->input, err, sizeof(err)) < 0 || w->peer[0] == '\0') {
                log_warnx("worker %d forwarded a call its checks must refuse (%s)", (int)w->pid,
                          c->op);
                finish(c);
                return -1;
        }
        c->policy = policy_ref(w->sv->policy);
        c->peer = policy_by_name(c->policy, w->peer);
        if (c->peer == NULL) {
                call_fail(c, DG_UNAUTHENTICATED, "peer %s is no longer known to the policy",
                          w->peer);
                return 0;
        }
        if (!policy_allows(c->peer, c->op)) {
                call_fail(c, DG_FORBIDDEN, "operation %s is not allowed for peer %s", c->op,
                          c->peer->name);
                return 0;
        }
        const struct op_entry *e = op_lookup(c->op);
        if (e == NULL) {
                call_fail(c, DG_INVALID_INPUT, "operation %s is not available on this server",
                          c->op);
                return 0;
        }
        e->handler(c);
        return 0;
}
