/*
 * op_watch.c - subscriptions that watch the engine: docker/container/stats
 * and docker/system/events.  Both are data plane: the request is written
 * here and the connection goes to the worker, which parses the engine's
 * JSON stream (worker/stream_stats.c, worker/stream_events.c).
 *
 * SECURITY (invariant 3): what a peer may see of the engine's events is
 * decided in the supervisor, never by the worker, which is the peer's side.
 * A non-admin peer's request names the types container, network and volume
 * (and the peer's own filters), and the supervisor reads the engine's
 * stream itself (evrelay.c): a container event passes when its actor's
 * attributes carry the peer's owner label, a network or volume event when
 * the actor is one of the peer's own (Engine 20.10 puts no labels in
 * those events, so no engine filter can tell).  Admins get every event
 * they ask for, straight from the engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evrelay.h"
#include "filters.h"
#include "ops_impl.h"
#include "pool.h"
#include "profile.h"

#define WATCH_FILTER_MAX 2048 /* the escaped filters value */

/* --- stats --- */

static void stats_resolved(struct call *c, const char *id, json_t *inspect)
{
        int stream = ops_bool(c, "stream", 1);
        char path[256];

        if (engine_path(path, sizeof(path), "/containers/%s/stats?stream=%d", id, stream) ==
            -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        /*
         * The Docker front relays the engine's samples: their "name" is shown
         * as the peer's own, without the namespace, by the worker's line
         * presenter (worker/dapi_events.c), as for events.
         */
        if (call_engine_view(c) && !c->peer->admin)
                ops_stream(c, "GET", path, NULL, "stats",
                           json_pack("{s:b,s:s+,s:s}", "stream", stream, "namePrefix",
                                     c->peer->name, ".", "ownerLabel", c->policy->owner_label));
        else
                ops_stream(c, "GET", path, NULL, "stats", json_pack("{s:b}", "stream", stream));
}

/* stream (default true, as the engine's): samples every second until the container stops. */
void op_container_stats(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), stats_resolved);
}

/* --- events --- */

static int events_type_known(const char *t)
{
        static const char *const types[] = {"container", "image",  "volume", "network",
                                            "daemon",    "plugin", "node",   "service",
                                            "secret",    "config", NULL};
        size_t i;

        for (i = 0; types[i] != NULL; i++)
                if (strcmp(t, types[i]) == 0)
                        return 1;
        return 0;
}

/* The types a non-admin peer owns actors of. */
static int events_type_owned(const char *t)
{
        return strcmp(t, "container") == 0 || strcmp(t, "network") == 0 ||
               strcmp(t, "volume") == 0;
}

/*
 * {"type": [...], ...the peer's filters}, or NULL after answering the call.
 * The owner label is not in it: for a non-admin, evrelay.c checks each
 * event's owner.
 */
static json_t *events_filter(struct call *c)
{
        json_t *in = json_object_get(c->input, "types"), *types, *f, *v;
        const char *t;
        size_t i;

        if ((f = json_object()) == NULL || (types = json_array()) == NULL) {
                json_decref(f);
                call_fail(c, DG_INTERNAL, "out of memory");
                return NULL;
        }
        json_object_set_new(f, "type", types);
        json_array_foreach(in, i, v)
        {
                t = json_string_value(v);
                if (t == NULL || !events_type_known(t)) {
                        json_decref(f);
                        call_fail(c, DG_INVALID_INPUT,
                                  "input.types: each one of container, image, volume, network, "
                                  "daemon, plugin, node, service, secret, config");
                        return NULL;
                }
                if (!c->peer->admin && !events_type_owned(t)) {
                        json_decref(f);
                        call_fail(c, DG_FORBIDDEN,
                                  "input.types: peer %s sees events about its containers, "
                                  "networks and volumes only",
                                  c->peer->name);
                        return NULL;
                }
                json_array_append_new(types, json_string(t));
        }
        if (filters_events(c, f) < 0) {
                json_decref(f);
                return NULL;
        }
        if (c->peer->admin) {
                if (json_array_size(types) == 0)
                        json_object_del(f, "type");
                return f;
        }
        if (json_array_size(types) == 0) {
                json_array_append_new(types, json_string("container"));
                json_array_append_new(types, json_string("network"));
                json_array_append_new(types, json_string("volume"));
        }
        /*
         * An engine that ORs several label filters (profile.h) would not
         * narrow the stream by the peer's labels as asked: refused there.
         */
        if (engine_profile(c->engine)->events_labels_ored &&
            json_array_size(json_object_get(f, "label")) > 0) {
                json_decref(f);
                call_fail(c, DG_INVALID_INPUT,
                          "input.filters: label filters on events are not supported on %s "
                          "(it ORs them with the peer's owner label)",
                          profile_display_name(engine_profile(c->engine)));
                return NULL;
        }
        /*
         * The peer's own label filters go to the engine: they narrow the
         * stream (to container events: network and volume events carry no
         * labels, as on the engine itself).
         */
        return f;
}

/*
 * "&since=N" and "&until=N" as asked; both are checked integers (schema.c).
 * An engine that answers nothing for an until already past (profile.h) is
 * asked for its events up to now instead ("&stream=false"), and *cut gets
 * until: the relay drops what comes after it.  Otherwise *cut is -1.
 */
static int events_times(struct call *c, char *buf, size_t len, long long *cut)
{
        int64_t since = ops_int(c, "since", -1), until = ops_int(c, "until", -1);
        char s[40] = "", u[40] = "";

        *cut = -1;

        if (since >= 0 && until >= 0 && until < since) {
                call_fail(c, DG_INVALID_INPUT, "input.until: not before input.since");
                return -1;
        }
        if (since >= 0)
                snprintf(s, sizeof(s), "&since=%lld", (long long)since);
        if (until >= 0 && engine_profile(c->engine)->events_until_past_empty &&
            until <= (int64_t)time(NULL)) {
                *cut = (long long)until;
                snprintf(u, sizeof(u), "&stream=false");
        } else if (until >= 0)
                snprintf(u, sizeof(u), "&until=%lld", (long long)until);
        if (engine_path(buf, len, "%s%s", s, u) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return -1;
        }
        return 0;
}

/*
 * Without until the subscription runs until the peer aborts it; with one,
 * the engine ends the stream once until has passed: call.completed.
 */
void op_system_events(struct call *c)
{
        char times[100], esc[WATCH_FILTER_MAX], path[WATCH_FILTER_MAX + 200];
        long long cut;
        json_t *f;
        char *txt;
        int rc, fd;

        if (events_times(c, times, sizeof(times), &cut) == -1 || (f = events_filter(c)) == NULL)
                return;
        txt = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(f);
        if (txt == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        rc = engine_escape(esc, sizeof(esc), txt);
        free(txt);
        if (rc == -1 ||
            engine_path(path, sizeof(path), "/events?filters=%s%s", esc, times) == -1) {
                call_fail(c, DG_INTERNAL, "events filter too long");
                return;
        }
        /* Straight from the engine, unless the relay has to cut or rename (profile.h). */
        if (c->peer->admin && cut < 0 &&
            engine_profile(c->engine)->container_destroy_action == NULL) {
                ops_stream(c, "GET", path, NULL, "events", json_object());
                return;
        }
        if (c->peer->admin) { /* every event, through the relay */
                if ((fd = evrelay_start(c->worker->sv->evrelays, path, NULL, "", cut)) == -1) {
                        call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                        return;
                }
                call_stream(c, fd, "events", json_object());
                return;
        }
        /*
         * The supervisor's filter (evrelay.c), then presentation only: the
         * worker shows a non-admin its own names without the namespace, and
         * drops the reserved labels, as inspect and list do.
         */
        if ((fd = evrelay_start(c->worker->sv->evrelays, path, c->peer->name,
                                c->policy->owner_label, cut)) == -1) {
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                return;
        }
        call_stream(c, fd, "events",
                    json_pack("{s:s+,s:s}", "namePrefix", c->peer->name, ".", "ownerLabel",
                              c->policy->owner_label));
}
