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
        struct stream_json j; /* first: stream_json_kind_* take the state as one */
        char prefix[96];      /* the peer's namespace, "alpha.": stripped from names */
        char label[128];      /* the reserved owner label: dropped, and keys under it */
};

/* The peer's own name for an engine-side name. */
static const char *stream_events_name(const struct events *x, const char *s)
{
        size_t n = strlen(x->prefix);

        return n > 0 && strncmp(s, x->prefix, n) == 0 ? s + n : s;
}

static int stream_events_reserved(const struct events *x, const char *key)
{
        size_t n = strlen(x->label);

        return n > 0 && strncmp(key, x->label, n) == 0 && (key[n] == '\0' || key[n] == '.');
}

/* Actor.Attributes: string values only (the engine sends nothing else). */
static json_t *stream_events_attrs(const struct events *x, const json_t *actor)
{
        json_t *out = json_object(), *v;
        const char *k, *val;

        if (out == NULL)
                fatalx("out of memory");
        json_object_foreach(json_object_get(actor, "Attributes"), k, v)
        {
                if (!json_is_string(v) || stream_events_reserved(x, k))
                        continue;
                val = json_string_value(v);
                if (strcmp(k, "name") == 0)
                        val = stream_events_name(x, val);
                if (json_object_set_new(out, k, json_string(val)) == -1)
                        fatalx("out of memory");
        }
        return out;
}

static int stream_events_object(struct stream *st, json_t *ev)
{
        const struct events *x = st->state;
        const json_t *actor = json_object_get(ev, "Actor");
        const char *id = json_string_value(json_object_get(actor, "ID"));
        json_t *rec;

        /* A volume's ID is its name, namespaced like the others. */
        rec =
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "type", stream_json_str(ev, "Type"),
                      "action", stream_json_str(ev, "Action"), "id",
                      id != NULL ? json_string(stream_events_name(x, id)) : json_null(), "time",
                      stream_json_int(ev, "time"), "timeNano", stream_json_int(ev, "timeNano"),
                      "attributes", stream_events_attrs(x, actor));
        if (rec == NULL)
                fatalx("out of memory building an event record");
        if (call_respond(st->c, rec) == -1) {
                /* Only an absurd attribute set gets here (the line was under 1 MiB). */
                json_decref(rec);
                call_fail(st->c, DG_INTERNAL, "event too large for one frame", NULL);
                return -1;
        }
        json_decref(rec);
        return st->dead ? -1 : 0;
}

static void *stream_events_start(struct stream *st, const json_t *opts, char *err,
                                 size_t errlen)
{
        struct events *x;
        const char *prefix = json_string_value(json_object_get(opts, "namePrefix"));
        const char *label = json_string_value(json_object_get(opts, "ownerLabel"));
        size_t want = (prefix != NULL) + (label != NULL);

        /* Either no options (admins) or both, each fitting its buffer. */
        if (!json_is_object(opts) || json_object_size(opts) != want || want == 1 ||
            (prefix != NULL &&
             (strlen(prefix) >= sizeof(x->prefix) || strlen(label) >= sizeof(x->label)))) {
                snprintf(err, errlen, "events: bad options");
                return NULL;
        }
        if ((x = calloc(1, sizeof(*x))) == NULL)
                fatal("calloc");
        if (prefix != NULL) {
                snprintf(x->prefix, sizeof(x->prefix), "%s", prefix);
                snprintf(x->label, sizeof(x->label), "%s", label);
        }
        stream_json_init(&x->j, st, stream_events_object, 0);
        return x;
}

const struct stream_kind stream_events_kind = {
    .name = "events",
    .start = stream_events_start,
    .head = stream_json_kind_head,
    .body = stream_json_kind_body,
    .done = stream_json_kind_done,
    .free = stream_json_kind_free,
};
