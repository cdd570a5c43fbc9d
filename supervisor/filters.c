/*
 * filters.c - server-side filters on lists and events (filters.h).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "engine.h"
#include "enginetime.h"
#include "filters.h"
#include "names.h"
#include "ops_impl.h"
#include "profile.h"

enum filters_kind {
        FK_CONTAINER,
        FK_NETWORK,
        FK_VOLUME,
        FK_EVENT,
        FK_PRUNE,
        FK_PRUNE_AGED,
        FK_IMAGE,
        FK_NONE
};

static const char *const filters_keys[][9] = {
    [FK_CONTAINER] = {"label", "name", "status", "id", "ancestor", "network", "health",
                      "exited", NULL},
    [FK_NETWORK] = {"label", "name", "id", NULL},
    [FK_VOLUME] = {"label", "name", "dangling", NULL},
    [FK_EVENT] = {"label", "event", "container", "image", NULL},
    [FK_PRUNE] = {"label", "label!", NULL},
    [FK_PRUNE_AGED] = {"label", "label!", "until", NULL},
    [FK_IMAGE] = {"label", "dangling", "reference", "before", "since", NULL},
    [FK_NONE] = {NULL},
};

static enum filters_kind filters_kind_of(const struct call *c)
{
        if (strcmp(c->op, "docker/container/list") == 0)
                return FK_CONTAINER;
        if (strcmp(c->op, "docker/network/list") == 0)
                return FK_NETWORK;
        if (strcmp(c->op, "docker/volume/list") == 0)
                return FK_VOLUME;
        if (strcmp(c->op, "docker/system/events") == 0)
                return FK_EVENT;
        if (strcmp(c->op, "docker/volume/prune") == 0)
                return FK_PRUNE;
        if (strcmp(c->op, "docker/image/list") == 0)
                return FK_IMAGE;
        if (strcmp(c->op, "docker/network/prune") == 0 ||
            strcmp(c->op, "docker/container/prune") == 0)
                return FK_PRUNE_AGED;
        return FK_NONE;
}

static int filters_in(const char *s, const char *const *set)
{
        for (; *set != NULL; set++)
                if (strcmp(s, *set) == 0)
                        return 1;
        return 0;
}

static int filters_chars(const char *s, size_t max, const char *allowed)
{
        size_t n = strlen(s);

        return n >= 1 && n <= max && strspn(s, allowed) == n;
}

#define FILTERS_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define FILTERS_HEX "0123456789abcdef"

static int filters_printable(const char *s, size_t max)
{
        size_t n = strlen(s), i;

        if (n < 1 || n > max)
                return 0;
        for (i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return 0;
        return 1;
}

static int filters_bad(struct call *c, const char *key, const char *why)
{
        call_fail(c, DG_INVALID_INPUT, "input.filters: %s: %s", key, why);
        return -1;
}

/* A network the peer may name: none, an engine-wide one it may join, an ID, or its own. */
static int filters_network(struct call *c, const char *v, char *out, size_t len)
{
        if (strcmp(v, "none") == 0 || policy_network_allowed(c->peer, v) ||
            (strlen(v) >= 12 && filters_chars(v, DG_ENGINE_ID_MAX, FILTERS_HEX)))
                return snprintf(out, len, "%s", v) < (int)len ? 0 : -1;
        if (!ops_name_ok(v))
                return -1;
        return names_engine(c, v, out, len);
}

/* A container named in an events filter: an ID (prefix), or one of the peer's names. */
static int filters_container(struct call *c, const char *v, char *out, size_t len)
{
        if (filters_chars(v, DG_ENGINE_ID_MAX, FILTERS_HEX))
                return snprintf(out, len, "%s", v) < (int)len ? 0 : -1;
        if (!ops_name_ok(v))
                return -1;
        return names_engine(c, v, out, len);
}

/* How many of the input's filters start with prefix ("network="). */
static size_t filters_count(const struct call *c, const char *prefix)
{
        json_t *in = json_object_get(c->input, "filters"), *v;
        size_t i, n = 0;

        json_array_foreach(in, i, v)
        {
                if (json_is_string(v) &&
                    strncmp(json_string_value(v), prefix, strlen(prefix)) == 0)
                        n++;
        }
        return n;
}

/* The list element is on no network but "none" (Podman: Networks null). */
static int filters_no_network(const json_t *item)
{
        const json_t *nets =
            json_object_get(json_object_get(item, "NetworkSettings"), "Networks");
        const char *k;
        json_t *v;

        json_object_foreach((json_t *)nets, k, v)
        {
                if (strcmp(k, "none") != 0)
                        return 0;
        }
        return 1;
}

/* One "key=value": checked, then added to f under key (the engine's value may differ). */
static int filters_one(struct call *c, enum filters_kind kind, const char *kv, json_t *f)
{
        static const char *const statuses[] = {"created", "restarting", "running", "removing",
                                               "paused",  "exited",     "dead",    NULL};
        static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
        const char *eq = strchr(kv, '='), *owner = c->policy->owner_label, *v;
        char key[16], val[600], qual[620];
        json_t *arr;
        char *end;
        long n;

        if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
                call_fail(c, DG_INVALID_INPUT, "input.filters: each one is key=value");
                return -1;
        }
        snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
        v = eq + 1;
        if (!filters_in(key, filters_keys[kind])) {
                char list[128] = "";
                const char *const *k;
                for (k = filters_keys[kind]; *k != NULL; k++)
                        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                                 list[0] ? ", " : "", *k);
                call_fail(c, DG_INVALID_INPUT, "input.filters: unknown key %s (known: %s)", key,
                          list);
                return -1;
        }
        if (strcmp(key, "label") == 0 || strcmp(key, "label!") == 0) {
                if (!filters_printable(v, 512))
                        return filters_bad(c, key,
                                           "a key or key=value of printable characters");
                if (strncmp(v, owner, strlen(owner)) == 0) {
                        call_fail(c, DG_FORBIDDEN,
                                  "input.filters: %s: the prefix %s is "
                                  "reserved",
                                  key, owner);
                        return -1;
                }
                if (key[5] == '!')
                        return 0; /* applied here (filters_keep): the lists have no label! */
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "until") == 0) {
                double t;

                if (enginetime_parse(v, time(NULL), &t) < 0)
                        return filters_bad(c, key,
                                           "a duration before now (24h, 90m), UNIX seconds or "
                                           "an RFC 3339 date");
                return 0; /* applied here (filters_keep), to each element's Created */
        } else if (strcmp(key, "name") == 0) {
                if (!filters_printable(v, 128))
                        return filters_bad(c, key, "1 to 128 printable characters");
                return 0; /* applied here, to the names the peer sees (filters_keep) */
        } else if (strcmp(key, "status") == 0) {
                if (!filters_in(v, statuses))
                        return filters_bad(c, key,
                                           "one of created, restarting, running, removing, "
                                           "paused, exited, dead");
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "health") == 0) {
                if (!filters_in(v, healths))
                        return filters_bad(c, key, "one of starting, healthy, unhealthy, none");
                if (strcmp(v, "none") == 0 &&
                    engine_profile(c->engine)->health_none_unmatched) {
                        call_fail(c, DG_INVALID_INPUT,
                                  "input.filters: health=none is not "
                                  "supported on %s",
                                  profile_display_name(engine_profile(c->engine)));
                        return -1;
                }
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "id") == 0) {
                if (!filters_chars(v, DG_ENGINE_ID_MAX, FILTERS_HEX))
                        return filters_bad(c, key, "1 to 64 lowercase hex digits");
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "reference") == 0) {
                /* the engine's pattern: a reference whose path parts may hold '*' */
                if (!filters_chars(v, 256, FILTERS_ALNUM "._/:@*-"))
                        return filters_bad(c, key, "an image reference, '*' as a wildcard");
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "before") == 0 || strcmp(key, "since") == 0) {
                if (!filters_chars(v, 256, FILTERS_ALNUM "._/:@-"))
                        return filters_bad(c, key, "an image reference or ID");
                return 0; /* applied here, against the peer's own list (op_image.c) */
        } else if (strcmp(key, "ancestor") == 0 || strcmp(key, "image") == 0) {
                if (!filters_chars(v, 256, FILTERS_ALNUM "._/:@-"))
                        return filters_bad(c, key, "an image reference or ID");
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "network") == 0) {
                if (strcmp(v, "none") == 0 &&
                    engine_profile(c->engine)->network_none_unmatched) {
                        if (filters_count(c, "network=") > 1) {
                                call_fail(c, DG_INVALID_INPUT,
                                          "input.filters: network=none beside other networks "
                                          "is not supported on %s",
                                          profile_display_name(engine_profile(c->engine)));
                                return -1;
                        }
                        return 0; /* applied here (filters_keep) */
                }
                if (filters_network(c, v, val, sizeof(val)) < 0)
                        return filters_bad(c, key, "one of your networks, by name or ID");
        } else if (strcmp(key, "container") == 0) {
                if (filters_container(c, v, val, sizeof(val)) < 0)
                        return filters_bad(c, key, "one of your containers, by name or ID");
        } else if (strcmp(key, "exited") == 0) {
                n = strtol(v, &end, 10);
                if (*v == '\0' || *end != '\0' || n < 0 || n > 255)
                        return filters_bad(c, key, "an exit code 0..255");
                snprintf(val, sizeof(val), "%ld", n);
        } else if (strcmp(key, "dangling") == 0) {
                if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
                        return filters_bad(c, key, "true or false");
                snprintf(val, sizeof(val), "%s", v);
        } else if (strcmp(key, "event") == 0) {
                if (!filters_chars(v, 64, FILTERS_ALNUM "_: -"))
                        return filters_bad(c, key, "an event action such as start or die");
                snprintf(val, sizeof(val), "%s", v);
        }
        if ((arr = json_object_get(f, key)) == NULL) {
                arr = json_array();
                json_object_set_new(f, key, arr);
        }
        json_array_append_new(arr, json_string(val));
        /* The engine's own name for a container's removal (profile.h), ORed. */
        if (strcmp(key, "event") == 0 && strcmp(val, "destroy") == 0 &&
            engine_profile(c->engine)->container_destroy_action != NULL)
                json_array_append_new(
                    arr, json_string(engine_profile(c->engine)->container_destroy_action));
        /* Values are ORed: the engine's qualified spelling of the same image too (profile.h).
         */
        if ((strcmp(key, "ancestor") == 0 || strcmp(key, "image") == 0) &&
            profile_qualified_ref(engine_profile(c->engine), v, qual, sizeof(qual)))
                json_array_append_new(arr, json_string(qual));
        return 0;
}

static int filters_add(struct call *c, enum filters_kind kind, json_t *f)
{
        json_t *in = json_object_get(c->input, "filters"), *v;
        size_t i;

        json_array_foreach(in, i, v)
        {
                if (!json_is_string(v) || filters_one(c, kind, json_string_value(v), f) < 0)
                        return -1;
        }
        return 0;
}

int filters_query(struct call *c, char *buf, size_t len)
{
        char label[256], esc[4096];
        json_t *f = json_object();
        char *txt;
        int rc;

        buf[0] = '\0';
        if (f == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return -1;
        }
        /* Images are shared: no owner label (the list is the same for everyone). */
        if (!c->peer->admin && filters_kind_of(c) != FK_IMAGE) {
                if (engine_path(label, sizeof(label), "%s=%s", c->policy->owner_label,
                                c->peer->name) < 0) {
                        json_decref(f);
                        call_fail(c, DG_INTERNAL, "owner label too long");
                        return -1;
                }
                json_object_set_new(f, "label", json_pack("[s]", label));
        }
        if (filters_add(c, filters_kind_of(c), f) < 0) {
                json_decref(f);
                return -1;
        }
        if (json_object_size(f) == 0) {
                json_decref(f);
                return 0;
        }
        txt = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        rc = txt != NULL ? engine_escape(esc, sizeof(esc), txt) : -1;
        free(txt);
        if (rc < 0 || engine_path(buf, len, "filters=%s", esc) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.filters: too long");
                return -1;
        }
        return 0;
}

int filters_events(struct call *c, json_t *f)
{
        return filters_add(c, FK_EVENT, f);
}

/* "web" matches names holding it; "^web", names starting with it; "web$", ending. */
static int filters_name_match(const char *pat, const char *name)
{
        size_t pn = strlen(pat), nn = strlen(name);
        int head = pat[0] == '^', tail = pn > (size_t)head && pat[pn - 1] == '$';
        const char *core = pat + head;
        size_t cn = pn - (size_t)head - (size_t)tail;

        if (cn > nn)
                return 0;
        if (head && tail)
                return cn == nn && strncmp(name, core, cn) == 0;
        if (head)
                return strncmp(name, core, cn) == 0;
        if (tail)
                return strncmp(name + nn - cn, core, cn) == 0;
        for (size_t i = 0; i + cn <= nn; i++)
                if (strncmp(name + i, core, cn) == 0)
                        return 1;
        return 0;
}

/* Any of the item's names, as the peer sees them, matches pat. */
static int filters_item_named(const struct call *c, const json_t *item, const char *pat)
{
        json_t *names = json_object_get(item, "Names"), *v;
        const char *s;
        size_t i;
        int slash;

        if (names == NULL) {
                s = json_string_value(json_object_get(item, "Name"));
                s = s != NULL ? names_view(c, s, &slash) : NULL;
                return s != NULL && filters_name_match(pat, s + (s[0] == '/'));
        }
        json_array_foreach(names, i, v)
        {
                s = json_is_string(v) ? names_view(c, json_string_value(v), &slash) : NULL;
                if (s != NULL && filters_name_match(pat, s + (s[0] == '/')))
                        return 1;
        }
        return 0;
}

/* The item carries the label "key" or "key=value" (spec). */
static int filters_labelled(const json_t *item, const char *spec)
{
        const char *eq = strchr(spec, '=');
        json_t *labels = json_object_get(item, "Labels"), *v;
        char key[520];

        snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - spec) : (int)strlen(spec), spec);
        v = json_object_get(labels, key);
        return v != NULL &&
               (eq == NULL ||
                strcmp(json_string_value(v) ? json_string_value(v) : "", eq + 1) == 0);
}

/* Created before the until value; an element without a readable Created is kept out. */
static int filters_before(const json_t *item, const char *until)
{
        double t, created;

        return enginetime_parse(until, time(NULL), &t) == 0 &&
               enginetime_created(json_object_get(item, "Created"), &created) == 0 &&
               created < t;
}

int filters_keep(const struct call *c, const json_t *item)
{
        json_t *in = json_object_get(c->input, "filters"), *v;
        const char *s;
        size_t i;
        int any = 0, hit = 0;

        /* Name values are ORed, as the engine does for every key's values. */
        json_array_foreach(in, i, v)
        {
                s = json_string_value(v);
                if (s == NULL)
                        continue;
                /*
                 * label= again, ANDed: Podman ORs a volume list's label
                 * filters (docs/engines.md); dockerd has already applied them.
                 */
                if (strncmp(s, "label=", 6) == 0 && !filters_labelled(item, s + 6))
                        return 0;
                /* label! and until are ANDed, as the engine's prunes do. */
                if (strncmp(s, "label!=", 7) == 0 && filters_labelled(item, s + 7))
                        return 0;
                if (strncmp(s, "until=", 6) == 0 && !filters_before(item, s + 6))
                        return 0;
                if (strcmp(s, "network=none") == 0 &&
                    engine_profile(c->engine)->network_none_unmatched &&
                    !filters_no_network(item))
                        return 0;
                if (strncmp(s, "name=", 5) != 0)
                        continue;
                any = 1;
                hit |= filters_item_named(c, item, s + 5);
        }
        return !any || hit;
}

/* pattern matches the familiar reference, or its name without the tag (as dockerd's). */
static int filters_ref_match(const char *pattern, const char *ref)
{
        const char *slash = strrchr(ref, '/'), *colon = strrchr(slash ? slash : ref, ':');
        char name[600];

        if (fnmatch(pattern, ref, FNM_PATHNAME) == 0)
                return 1;
        if (colon == NULL || (size_t)(colon - ref) >= sizeof(name))
                return 0;
        snprintf(name, sizeof(name), "%.*s", (int)(colon - ref), ref);
        return fnmatch(pattern, name, FNM_PATHNAME) == 0;
}

int filters_tag_kept(const struct call *c, const char *tag)
{
        json_t *in = json_object_get(c->input, "filters"), *v;
        const char *s;
        size_t i;
        int any = 0;

        json_array_foreach(in, i, v)
        {
                s = json_string_value(v);
                if (s == NULL || strncmp(s, "reference=", 10) != 0)
                        continue;
                if (filters_ref_match(s + 10, tag))
                        return 1;
                any = 1;
        }
        return !any;
}
