/*
 * op_df.c - docker/system/df: the disk a peer's own containers and volumes
 * take, from the engine's /system/df.
 *
 * SECURITY (invariant 3): the engine's answer covers every tenant and the
 * host's images and build cache.  Only the caller's own containers and
 * volumes (owner label) are kept, each built from an allowlist of fields:
 * never mount sources, mountpoints or host configs; names as the peer sees
 * them.  Images are shared and owned by nobody: none are listed, and the
 * layers' size is not shown.
 */
#include <stdio.h>
#include <string.h>

#include "filters.h"
#include "names.h"
#include "ops_impl.h"
#include "profile.h"

static void df_copy(json_t *out, const json_t *in, const char *const *keys)
{
        json_t *v;
        size_t i;

        for (i = 0; keys[i] != NULL; i++)
                if ((v = json_object_get(in, keys[i])) != NULL)
                        json_object_set(out, keys[i], v);
}

/*
 * The element is the caller's: by its owner label, or, for an engine whose
 * /system/df carries no labels (profile.h), by its ID ("c:ID") or name
 * ("v:NAME") in owned, read from the engine's labelled lists.
 */
static int df_mine(const struct call *c, const json_t *v, const json_t *owned, char kind,
                   const char *key)
{
        const char *id = json_string_value(json_object_get(v, key));
        char k[300];

        if (owned == NULL)
                return resolve_owns(c, json_object_get(v, "Labels"));
        return id != NULL && snprintf(k, sizeof(k), "%c:%s", kind, id) < (int)sizeof(k) &&
               json_object_get(owned, k) != NULL;
}

static json_t *df_containers(const struct call *c, const json_t *arr, const json_t *owned)
{
        static const char *const keys[] = {"Id",      "Image",  "ImageID",    "Command",
                                           "Created", "SizeRw", "SizeRootFs", "Labels",
                                           "State",   "Status", NULL};
        json_t *out = json_array(), *v, *one, *names, *n;
        size_t i, j;

        json_array_foreach(arr, i, v)
        {
                if (!df_mine(c, v, owned, 'c', "Id") || (one = json_object()) == NULL)
                        continue;
                df_copy(one, v, keys);
                names = json_array();
                json_array_foreach(json_object_get(v, "Names"), j, n)
                {
                        const char *s = json_string_value(n);
                        char slashed[512];
                        json_t *seen;

                        /* "/name" as dockerd writes it (Podman's df: without the '/'). */
                        if (s != NULL && s[0] != '/' &&
                            snprintf(slashed, sizeof(slashed), "/%s", s) < (int)sizeof(slashed))
                                s = slashed;
                        seen = names_view_json(c, s);

                        if (seen != NULL)
                                json_array_append_new(names, seen);
                }
                json_object_set_new(one, "Names", names);
                json_array_append_new(out, one);
        }
        return out;
}

static json_t *df_volumes(const struct call *c, const json_t *arr, const json_t *owned)
{
        static const char *const keys[] = {"Driver",    "Labels",    "Scope",
                                           "CreatedAt", "UsageData", NULL};
        json_t *out = json_array(), *v, *one, *name;
        size_t i;

        json_array_foreach(arr, i, v)
        {
                if (!df_mine(c, v, owned, 'v', "Name") ||
                    (name = names_view_json(
                         c, json_string_value(json_object_get(v, "Name")))) == NULL)
                        continue;
                one = json_object();
                df_copy(one, v, keys);
                json_object_set_new(one, "Name", name);
                json_array_append_new(out, one);
        }
        return out;
}

/* The native shape: one line per container and volume. */
static json_t *df_native(const json_t *doc)
{
        json_t *out = json_pack("{s:[],s:[]}", "containers", "volumes"), *v, *u;
        const char *name;
        size_t i;

        json_array_foreach(json_object_get(doc, "Containers"), i, v)
        {
                name = json_string_value(json_array_get(json_object_get(v, "Names"), 0));
                json_array_append_new(
                    json_object_get(out, "containers"),
                    json_pack("{s:O?,s:s?,s:I,s:I}", "containerId", json_object_get(v, "Id"),
                              "name", name != NULL && name[0] == '/' ? name + 1 : name,
                              "sizeRw", json_integer_value(json_object_get(v, "SizeRw")),
                              "sizeRootFs",
                              json_integer_value(json_object_get(v, "SizeRootFs"))));
        }
        json_array_foreach(json_object_get(doc, "Volumes"), i, v)
        {
                u = json_object_get(v, "UsageData");
                json_array_append_new(
                    json_object_get(out, "volumes"),
                    json_pack("{s:O?,s:I,s:I}", "volumeName", json_object_get(v, "Name"),
                              "size", json_integer_value(json_object_get(u, "Size")),
                              "refCount", json_integer_value(json_object_get(u, "RefCount"))));
        }
        return out;
}

static void df_reply(struct call *c, const json_t *body, const json_t *owned)
{
        json_t *doc;

        doc = json_pack("{s:i,s:[],s:o,s:o,s:[]}", "LayersSize", 0, "Images", "Containers",
                        df_containers(c, json_object_get(body, "Containers"), owned), "Volumes",
                        df_volumes(c, json_object_get(body, "Volumes"), owned), "BuildCache");
        if (doc == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (call_engine_view(c)) {
                call_reply(c, doc); /* the Docker front renders the engine's shape */
                return;
        }
        call_reply(c, df_native(doc));
        json_decref(doc);
}

/* An owned list's IDs (containers) or names (volumes) into st->keep's "owned". */
static int df_owned(struct call *c, int status, json_t *list, char kind, const char *key)
{
        struct ops_state *st = c->state;
        json_t *owned = json_object_get(st->keep, "owned"), *v;
        const char *id;
        char k[300];
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(list)) {
                call_fail_engine(c, status, list);
                return -1;
        }
        json_array_foreach(list, i, v)
        {
                id = json_string_value(json_object_get(v, key));
                if (id != NULL && resolve_owns(c, json_object_get(v, "Labels")) &&
                    snprintf(k, sizeof(k), "%c:%s", kind, id) < (int)sizeof(k))
                        json_object_set_new(owned, k, json_true());
        }
        return 0;
}

static void df_volumes_listed(int status, json_t *body, const char *raw, size_t rawlen,
                              void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;

        if (df_owned(c, status, json_object_get(body, "Volumes"), 'v', "Name") == 0)
                df_reply(c, json_object_get(st->keep, "df"),
                         json_object_get(st->keep, "owned"));
}

static void df_containers_listed(int status, json_t *body, const char *raw, size_t rawlen,
                                 void *arg)
{
        struct call *c = arg;
        char filter[4200];

        if (df_owned(c, status, body, 'c', "Id") < 0 ||
            filters_query(c, filter, sizeof(filter)) == -1)
                return;
        ops_send(c, "GET", NULL, 0, df_volumes_listed, "/volumes?%s", filter);
}

static void df_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st;
        char filter[4200];

        c->pending = NULL;
        if (status != 200 || !json_is_object(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        if (c->peer->admin || !engine_profile(c->engine)->df_without_labels) {
                df_reply(c, body, NULL);
                return;
        }
        /* No labels in the engine's df: ownership from its labelled lists (profile.h). */
        if ((st = ops_state(c)) == NULL ||
            (st->keep = json_pack("{s:O,s:{}}", "df", body, "owned")) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (filters_query(c, filter, sizeof(filter)) == -1)
                return;
        ops_send(c, "GET", NULL, 0, df_containers_listed, "/containers/json?all=1&%s", filter);
}

void op_system_df(struct call *c)
{
        /* The engine walks every layer and volume: allow it time. */
        ops_send(c, "GET", NULL, 60000, df_done, "/system/df");
}
