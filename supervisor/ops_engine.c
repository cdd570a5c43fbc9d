/*
 * ops_engine.c - a handler's engine requests and their common answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_engine.h"
#include "pool.h"
#include "quota.h"

int ops_send(struct call *c, const char *method, json_t *body, long timeout_ms, engine_cb cb,
             const char *fmt, ...)
{
        char path[2048];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(path, sizeof(path), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(path)) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return -1;
        }
        /* Counted in the peer's own share of engine connections (quota.h). */
        c->pending =
            engine_request_as(c->engine,
                              c->peer != NULL ? quota_engine_share(c->worker->sv->quota,
                                                                   c->peer->name, timeout_ms)
                                              : NULL,
                              method, path, body, timeout_ms, cb, c);
        if (c->pending == NULL) {
                call_fail(c, DG_INTERNAL, "the engine request could not be started");
                return -1;
        }
        return 0;
}

void ops_done_empty(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        /* 304: already in the asked state (start, stop), which is what the peer wants. */
        if ((status >= 200 && status < 300) || status == 304)
                call_reply(c, json_object());
        else
                ops_fail_engine(c, status, body);
}

void ops_fail_engine(struct call *c, int status, json_t *body)
{
        const char *text = json_string_value(json_object_get(body, "message"));

        /* 400 is the engine refusing a value the peer gave ("Invalid signal: X"). */
        if (status == 400 && text != NULL)
                call_fail(c, DG_INVALID_INPUT, "%s", text);
        else
                call_fail_engine(c, status, body);
}

void ops_stream(struct call *c, const char *method, const char *path, const char *headers,
                const char *kind, json_t *opts)
{
        int fd;

        if ((fd = engine_dial(c->engine, method, path, headers, NULL)) == -1) {
                json_decref(opts);
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                return;
        }
        call_stream(c, fd, kind, opts);
}

int ops_peer_filter(const struct call *c, char *buf, size_t len)
{
        char label[256], esc[1024];
        json_t *f;
        char *txt;
        int rc;

        if (engine_path(label, sizeof(label), "%s=%s", c->policy->owner_label, c->peer->name))
                return -1;
        if ((f = json_pack("{s:[s]}", "label", label)) == NULL)
                return -1;
        txt = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        if (txt == NULL)
                return -1;
        rc = engine_escape(esc, sizeof(esc), txt);
        free(txt);
        if (rc == -1)
                return -1;
        return engine_path(buf, len, "filters=%s", esc);
}
