/*
 * auditrec.c - the broker's audit record of each answer (auditrec.h); the
 * records of workers are pool_audit.c's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auditrec.h"
#include "broker.h"
#include "pool.h"

/* Codes that are policy saying no, whichever step said it. */
static int auditrec_is_denial(const char *result)
{
        static const char *const deny[] = {"UNAUTHENTICATED", "FORBIDDEN", "QUOTA_EXCEEDED",
                                           "RATE_LIMITED", NULL};
        for (size_t i = 0; deny[i] != NULL; i++)
                if (strcmp(result, deny[i]) == 0)
                        return 1;
        return 0;
}

/* The ID of what a create made, when the broker did not resolve one. */
static void auditrec_resource(struct call *c, const json_t *output)
{
        static const char *const keys[] = {"containerId", "networkId", "volumeName", NULL};
        const char *id;

        if (c->resource[0] != '\0' || !json_is_object(output))
                return;
        for (size_t i = 0; keys[i] != NULL; i++)
                if ((id = json_string_value(json_object_get(output, keys[i]))) != NULL) {
                        call_set_resource(c, id);
                        return;
                }
}

uint64_t auditrec_decision(struct call *c, const char *result, const char *message,
                           const char *stream, const json_t *output)
{
        struct worker *w = c->worker;
        struct audit *a = w->sv->audit;
        int deny = !c->allowed || auditrec_is_denial(result);
        json_t *f;

        auditrec_resource(c, output);
        /* The end record, written after the answer, names the same peer and resource. */
        if (c->peer != NULL)
                snprintf(w->open_peer, sizeof(w->open_peer), "%s", c->peer->name);
        snprintf(w->open_resource, sizeof(w->open_resource), "%s", c->resource);
        if (a == NULL)
                return 0;
        if ((f = pool_audit_who(w, w->open_peer)) == NULL)
                return audit_append(a, "decision", NULL);
        json_object_set_new(f, "call", pool_audit_str(c->id));
        json_object_set_new(f, "callSeq", json_integer((json_int_t)c->seq));
        json_object_set_new(f, "operation", pool_audit_str(c->op));
        json_object_set_new(f, "resource", pool_audit_str(c->resource));
        json_object_set_new(f, "decision", json_string(deny ? "deny" : "allow"));
        if (deny)
                json_object_set_new(f, "reason", pool_audit_str(message));
        else
                json_object_set_new(f, "reason",
                                    json_string(c->peer != NULL && c->peer->admin
                                                    ? "allowed by policy (admin)"
                                                    : "allowed by policy"));
        json_object_set_new(f, "result", json_string(result));
        if (!deny && message != NULL)
                json_object_set_new(f, "message", pool_audit_str(message));
        if (stream != NULL)
                json_object_set_new(f, "stream", pool_audit_str(stream));
        json_object_set_new(f, "durationUs", json_integer(pool_audit_since_us(&w->open_t0)));
        /* A kept stream is answered twice: its hand-off decided, its end is a result. */
        return audit_append(a, c->kept != NULL && c->end_seen ? "result" : "decision", f);
}
