/*
 * redact.c - dropping host paths and other peers' names from inspect
 * documents (redact.h).  Keys are removed, never blanked: a peer's client
 * then sees what it would see of a field the engine does not fill.
 */
#include <string.h>

#include "broker.h"
#include "names.h"
#include "redact.h"

static void drop(json_t *obj, const char *const *keys)
{
        for (size_t i = 0; keys[i] != NULL; i++)
                json_object_del(obj, keys[i]);
}

/* Each string of an array as the caller sees it; hidden ones removed. */
static void view_strings(const struct call *c, json_t *arr)
{
        json_t *v;
        size_t i = 0;

        while (i < json_array_size(arr)) {
                v = names_view_json(c, json_string_value(json_array_get(arr, i)));
                if (v == NULL) {
                        json_array_remove(arr, i);
                        continue;
                }
                json_array_set_new(arr, i++, v);
        }
}

/* An object keyed by engine-side names, rekeyed as the caller sees them. */
static void view_keys(const struct call *c, json_t *parent, const char *key)
{
        json_t *obj = json_object_get(parent, key), *out, *v;
        const char *k, *seen;
        int slash;

        if (!json_is_object(obj) || (out = json_object()) == NULL)
                return;
        json_object_foreach(obj, k, v)
        {
                if ((seen = names_view(c, k, &slash)) != NULL)
                        json_object_set(out, seen, v);
        }
        json_object_set_new(parent, key, out);
}

void redact_container(const struct call *c, json_t *doc)
{
        static const char *const host_paths[] = {"LogPath",        "HostnamePath", "HostsPath",
                                                 "ResolvConfPath", "GraphDriver",  NULL};
        static const char *const hc_paths[] = {"Binds", "ContainerIDFile", NULL};
        json_t *hc = json_object_get(doc, "HostConfig");
        json_t *ns = json_object_get(doc, "NetworkSettings"), *m, *ep;
        const char *k;
        size_t i;

        drop(doc, host_paths);
        names_view_key(c, doc, "Name");
        json_array_foreach(json_object_get(doc, "Mounts"), i, m)
        {
                /* A bind's source is a host path; a volume's is its host mountpoint. */
                json_object_del(m, "Source");
                if (json_object_get(m, "Name") != NULL)
                        names_view_key(c, m, "Name");
        }
        if (json_is_object(hc)) {
                drop(hc, hc_paths);
                json_array_foreach(json_object_get(hc, "Mounts"), i, m)
                {
                        /* Volume mounts name their volume here, engine-side. */
                        if (json_is_string(json_object_get(m, "Source")))
                                names_view_key(c, m, "Source");
                }
        }
        if (json_is_object(ns)) {
                json_object_del(ns, "SandboxKey"); /* the netns path on the host */
                view_keys(c, ns, "Networks");
                json_object_foreach(json_object_get(ns, "Networks"), k, ep)
                {
                        view_strings(c, json_object_get(ep, "Aliases"));
                        /* Podman puts the network's engine-side name here, not its ID. */
                        if (json_object_get(ep, "NetworkID") != NULL)
                                names_view_key(c, ep, "NetworkID");
                }
        }
}

void redact_network(const struct call *c, json_t *doc)
{
        static const char *const host[] = {"Options", "Peers", "Services", NULL};
        json_t *ctrs = json_object_get(doc, "Containers"), *out, *v, *name;
        const char *id, *own = c->peer->name;
        size_t n = strlen(own);

        /* Options name the bridge's interface on the host. */
        drop(doc, host);
        names_view_key(c, doc, "Name");
        if (!json_is_object(ctrs) || (out = json_object()) == NULL)
                return;
        json_object_foreach(ctrs, id, v)
        {
                const char *s = json_string_value(json_object_get(v, "Name"));
                /* SECURITY: only the caller's own containers, unless admin. */
                if (s == NULL || (!c->peer->admin && (strncmp(s, own, n) != 0 || s[n] != '.')))
                        continue;
                if ((name = names_view_json(c, s)) == NULL)
                        continue;
                v = json_deep_copy(v);
                json_object_set_new(v, "Name", name);
                json_object_set_new(out, id, v);
        }
        json_object_set_new(doc, "Containers", out);
}

void redact_volume(const struct call *c, json_t *doc)
{
        /* The host directory, and driver details that may name host devices. */
        static const char *const host[] = {"Mountpoint", "Options", "Status", NULL};

        drop(doc, host);
        names_view_key(c, doc, "Name");
}

void redact_image(json_t *doc)
{
        /* The layers' directories on the host. */
        json_object_del(doc, "GraphDriver");
}
