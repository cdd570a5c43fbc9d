/*
 * auditrec.c - the records the supervisor writes to its audit log
 * (auditrec.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auditrec.h"
#include "broker.h"
#include "pool.h"

/*
 * A string for a record.  Text may hold bytes a peer or the engine chose
 * (names, messages); jansson escapes what JSON needs, and bytes that are
 * not UTF-8 become '?', so every line stays one valid JSON object.
 */
static json_t *auditrec_str(const char *s)
{
        json_t *j;
        char buf[MSG_TEXT_MAX + 1];
        size_t i;

        if (s == NULL || s[0] == '\0')
                return json_null();
        if ((j = json_string(s)) != NULL)
                return j;
        snprintf(buf, sizeof(buf), "%s", s);
        for (i = 0; buf[i] != '\0'; i++)
                if ((unsigned char)buf[i] >= 0x80)
                        buf[i] = '?';
        return json_string(buf);
}

static int64_t auditrec_since_us(const struct timespec *t0)
{
        struct timespec now;

        if (t0->tv_sec == 0 && t0->tv_nsec == 0)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
               (now.tv_nsec - t0->tv_nsec) / 1000;
}

/*
 * Who, on which worker: the supervisor's record of the connection.  A call
 * on the Docker-API front names the front and the route it came by (the
 * route is the worker's word, like the call id: for reading, not deciding).
 */
static json_t *auditrec_who(const struct worker *w, const char *peer)
{
        json_t *f;

        if (w->docker) {
                f = json_pack("{s:o,s:I,s:i,s:s}", "peer", auditrec_str(peer), "uid",
                              (json_int_t)w->peer_uid, "worker", (int)w->pid, "front",
                              "docker");
                if (f != NULL && w->open_route[0] != '\0')
                        json_object_set_new(f, "route", auditrec_str(w->open_route));
                return f;
        }
        if (w->tcp)
                return json_pack("{s:o,s:s,s:o,s:i}", "peer", auditrec_str(peer), "transport",
                                 "tcp", "tokenId", auditrec_str(w->token_id), "worker",
                                 (int)w->pid);
        return json_pack("{s:o,s:I,s:i}", "peer", auditrec_str(peer), "uid",
                         (json_int_t)w->peer_uid, "worker", (int)w->pid);
}

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

        struct opencall *oc = c->oc;
        const char *who;

        auditrec_resource(c, output);
        /* The end record, written after the answer, names the same peer and resource. */
        if (oc != NULL) {
                if (c->peer != NULL)
                        snprintf(oc->peer, sizeof(oc->peer), "%s", c->peer->name);
                snprintf(oc->resource, sizeof(oc->resource), "%s", c->resource);
        }
        if (c->peer != NULL)
                snprintf(w->open_peer, sizeof(w->open_peer), "%s", c->peer->name);
        if (a == NULL)
                return 0;
        who = oc != NULL ? oc->peer : w->open_peer;
        if ((f = auditrec_who(w, who)) == NULL)
                return audit_append(a, "decision", NULL);
        json_object_set_new(f, "call", auditrec_str(c->id));
        json_object_set_new(f, "callSeq", json_integer((json_int_t)c->seq));
        json_object_set_new(f, "operation", auditrec_str(c->op));
        json_object_set_new(f, "resource", auditrec_str(c->resource));
        json_object_set_new(f, "decision", json_string(deny ? "deny" : "allow"));
        if (deny)
                json_object_set_new(f, "reason", auditrec_str(message));
        else
                json_object_set_new(f, "reason",
                                    json_string(c->peer != NULL && c->peer->admin
                                                    ? "allowed by policy (admin)"
                                                    : "allowed by policy"));
        json_object_set_new(f, "result", json_string(result));
        if (!deny && message != NULL)
                json_object_set_new(f, "message", auditrec_str(message));
        if (stream != NULL)
                json_object_set_new(f, "stream", auditrec_str(stream));
        if (oc != NULL)
                json_object_set_new(f, "durationUs", json_integer(auditrec_since_us(&oc->t0)));
        /* A kept stream is answered twice: its hand-off decided, its end is a result. */
        return audit_append(a, c->kept != NULL && c->end_seen ? "result" : "decision", f);
}

void auditrec_end(struct opencall *oc, const char *result, uint64_t bytes_in,
                  uint64_t bytes_out, int reported)
{
        struct worker *w = oc->w;
        struct audit *a = w->sv->audit;
        json_t *f;

        if (a == NULL || (f = auditrec_who(w, oc->peer)) == NULL)
                return;
        json_object_set_new(f, "call", auditrec_str(oc->id));
        json_object_set_new(f, "callSeq", json_integer((json_int_t)oc->seq));
        json_object_set_new(f, "operation", auditrec_str(oc->op));
        json_object_set_new(f, "resource", auditrec_str(oc->resource));
        json_object_set_new(f, "result", json_string(result));
        json_object_set_new(f, "durationUs", json_integer(auditrec_since_us(&oc->t0)));
        json_object_set_new(f, "bytesIn", json_integer((json_int_t)bytes_in));
        json_object_set_new(f, "bytesOut", json_integer((json_int_t)bytes_out));
        json_object_set_new(f, "reported", json_boolean(reported));
        audit_append(a, "end", f);
}

void auditrec_worker(struct worker *w, const char *event, const char *detail)
{
        struct audit *a = w->sv->audit;
        json_t *f;

        if (a == NULL ||
            (f = auditrec_who(w, w->open_peer[0] ? w->open_peer : w->peer)) == NULL)
                return;
        json_object_set_new(f, "event", json_string(event));
        /* The operation it was serving, or its last one: what the peer was doing. */
        json_object_set_new(f, "operation", auditrec_str(w->open_op));
        json_object_set_new(f, "inCall", json_boolean(w->ncalls != 0));
        json_object_set_new(f, "detail", auditrec_str(detail));
        audit_append(a, "worker", f);
}
