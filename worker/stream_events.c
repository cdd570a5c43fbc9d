/*
 * stream_events.c - kind "events" (stream_events.h).
 *
 * SECURITY: the worker does not decide which events a peer may see; it
 * cannot, being the peer's side.  The supervisor asked the engine for the
 * peer's events only (owner label filter), and this module only reshapes
 * what came: fields named here are copied, everything else is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "stream_events.h"
#include "stream_json.h"

struct events {
        struct stream_json j;
};

static json_t *stream_events_str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s != NULL ? json_string(s) : json_null();
}

static json_t *stream_events_int(const json_t *o, const char *key)
{
        const json_t *v = json_object_get(o, key);

        return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

/* Actor.Attributes: string values only (the engine sends nothing else). */
static json_t *stream_events_attrs(const json_t *actor)
{
        json_t *out = json_object(), *v;
        const char *k;

        if (out == NULL)
                fatalx("out of memory");
        json_object_foreach(json_object_get(actor, "Attributes"), k, v)
        {
                if (json_is_string(v) &&
                    json_object_set_new(out, k, json_string(json_string_value(v))) == -1)
                        fatalx("out of memory");
        }
        return out;
}

static int stream_events_object(struct stream *st, json_t *ev)
{
        const json_t *actor = json_object_get(ev, "Actor");
        json_t *rec;

        rec = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "type", stream_events_str(ev, "Type"),
                        "action", stream_events_str(ev, "Action"), "id",
                        stream_events_str(actor, "ID"), "time", stream_events_int(ev, "time"),
                        "timeNano", stream_events_int(ev, "timeNano"), "attributes",
                        stream_events_attrs(actor));
        if (rec == NULL)
                fatalx("out of memory building an event record");
        if (call_respond(st->s, rec) == -1) {
                /* Only an absurd attribute set gets here (the line was under 1 MiB). */
                json_decref(rec);
                call_fail(st->s, DG_INTERNAL, "event too large for one frame", NULL);
                return -1;
        }
        json_decref(rec);
        return st->dead ? -1 : 0;
}

static void *stream_events_start(struct stream *st, const json_t *opts, char *err,
                                 size_t errlen)
{
        struct events *x;

        if (!json_is_object(opts) || json_object_size(opts) != 0) {
                snprintf(err, errlen, "events take no options");
                return NULL;
        }
        if ((x = calloc(1, sizeof(*x))) == NULL)
                fatal("calloc");
        stream_json_init(&x->j, st, stream_events_object, 0);
        return x;
}

static int stream_events_head(struct stream *st, int status)
{
        return stream_json_head(&((struct events *)st->state)->j, status);
}

static int stream_events_body(struct stream *st, const char *buf, size_t len)
{
        return stream_json_body(&((struct events *)st->state)->j, buf, len);
}

/* An "until" was reached (or the engine ended the stream): a clean end. */
static int stream_events_done(struct stream *st)
{
        if (stream_json_done(&((struct events *)st->state)->j) == -1 || st->dead)
                return -1;
        call_complete(st->s);
        return -1;
}

static void stream_events_free(void *state)
{
        struct events *x = state;

        stream_json_clear(&x->j);
        free(x);
}

const struct stream_kind stream_events_kind = {
    .name = "events",
    .start = stream_events_start,
    .head = stream_events_head,
    .body = stream_events_body,
    .done = stream_events_done,
    .free = stream_events_free,
};
