/*
 * dapi_objects.c - the Docker-API front's translations for networks,
 * volumes, images and the system routes (their rows are in dapi_routes.c).
 *
 * Bodies are already strict (dcreate_parse: no duplicate key, no two keys
 * that differ only in case), so a key is looked up without regard to case,
 * as the engine reads it.  Each key of a body is translated to a native
 * input, accepted at its zero or default value only, or refused (403 with
 * the rule); an unknown key is refused with 400.  Nothing is forwarded:
 * driver options, IPAM, swarm scopes and volume drivers never reach the
 * broker, which builds the engine's bodies itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dapi.h"
#include "dapi_create.h"
#include "dapi_objects.h"
#include "log.h"

/* --- body rows --- */

struct dob_row {
        const char *key;
        /* Translates the value into input; NULL: accepted at its zero value only. */
        int (*fn)(struct dapi *d, const char *where, const json_t *v, json_t *input);
        const char *why; /* the rule, when a non-zero value is refused */
};

static int dob_fail(struct dapi *d, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dob_fail(struct dapi *d, int status, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        dapi_reply_error(d, status, "%s", msg);
        dapi_finish(d, status == 403 ? "FORBIDDEN" : "INVALID_INPUT");
        return -1;
}

static int dob_walk(struct dapi *d, const char *where, const struct dob_row *rows,
                    const json_t *obj, json_t *input)
{
        const struct dob_row *r;
        const char *k;
        json_t *v;

        if (json_is_null(obj))
                return 0;
        if (!json_is_object(obj))
                return dob_fail(d, 400, "%s: an object", where[0] ? where : "body");
        json_object_foreach((json_t *)obj, k, v)
        {
                for (r = rows; r->key != NULL; r++)
                        if (strcasecmp(r->key, k) == 0)
                                break;
                if (r->key == NULL)
                        return dob_fail(d, 400, "%s%.64s: unknown field", where, k);
                if (r->fn != NULL) {
                        if (r->fn(d, where, v, input) == -1)
                                return -1;
                } else if (!dcreate_zero(v)) {
                        return dob_fail(d, 403, "%s%s: %s", where, r->key,
                                        r->why != NULL ? r->why
                                                       : "not supported by the gateway (only "
                                                         "its zero value)");
                }
        }
        return 0;
}

static int dob_need_body(struct dapi *d)
{
        if (d->body == NULL)
                return dob_fail(d, 400, "a JSON body is required");
        return 0;
}

static int dob_string(struct dapi *d, const char *where, const char *key, const json_t *v,
                      json_t *input, const char *as)
{
        if (!json_is_string(v) || json_string_length(v) == 0)
                return dob_fail(d, 400, "%s%s: a non-empty string", where, key);
        json_object_set(input, as, (json_t *)v);
        return 0;
}

static int dob_labels(struct dapi *d, const char *where, const json_t *v, json_t *input)
{
        const char *k;
        json_t *e;

        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dob_fail(d, 400, "%sLabels: an object of strings", where);
        json_object_foreach((json_t *)v, k, e)
        {
                if (!json_is_string(e))
                        return dob_fail(d, 400, "%sLabels.%.64s: a string", where, k);
        }
        if (json_object_size(v) > 0)
                json_object_set(input, "labels", (json_t *)v);
        return 0;
}

/* A string that may be empty or the one default the gateway uses. */
static int dob_only(struct dapi *d, const char *where, const char *key, const json_t *v,
                    const char *dflt, const char *why)
{
        const char *s = json_string_value(v);

        if (json_is_null(v) || (s != NULL && (s[0] == '\0' || strcmp(s, dflt) == 0)))
                return 0;
        return dob_fail(d, 403, "%s%s: %s", where, key, why);
}

static int dob_bool(struct dapi *d, const char *where, const char *key, const json_t *v,
                    json_t *input, const char *as)
{
        if (json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return dob_fail(d, 400, "%s%s: a boolean", where, key);
        if (as != NULL)
                json_object_set(input, as, (json_t *)v);
        return 0;
}

/* A list of strings (aliases): copied as the native list. */
static int dob_names(struct dapi *d, const char *where, const char *key, const json_t *v,
                     json_t *input, const char *as)
{
        json_t *e;
        size_t i;

        if (json_is_null(v) || json_array_size(v) == 0)
                return 0;
        if (!json_is_array(v))
                return dob_fail(d, 400, "%s%s: a list of strings", where, key);
        json_array_foreach(v, i, e)
        {
                if (!json_is_string(e))
                        return dob_fail(d, 400, "%s%s: a list of strings", where, key);
        }
        json_object_set(input, as, (json_t *)v);
        return 0;
}

/* --- networks --- */

static int net_name(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_string(d, w, "Name", v, in, "name");
}

static int net_check_dup(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        /* The gateway always refuses a second network of the same name. */
        return dob_bool(d, w, "CheckDuplicate", v, in, NULL);
}

static int net_driver(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_only(d, w, "Driver", v, "bridge",
                        "only bridge networks are supported by the gateway");
}

static int net_internal(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_bool(d, w, "Internal", v, in, "internal");
}

static int net_scope(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_only(d, w, "Scope", v, "local", "only local networks");
}

static int net_attachable(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        /* Compose sets it; it means something to swarm networks only: no effect here. */
        return dob_bool(d, w, "Attachable", v, in, NULL);
}

static int net_labels(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_labels(d, w, v, in);
}

static const struct dob_row ipam_rows[] = {
    {"Driver", NULL, "the gateway uses the default IPAM driver"},
    {"Config", NULL, "address pools are chosen by the engine"},
    {"Options", NULL, "IPAM options are not supported by the gateway"},
    {NULL, NULL, NULL},
};

static int net_ipam(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        json_t *copy;
        int rc;

        if (json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dob_fail(d, 400, "%sIPAM: an object", w);
        /* The CLI names the default driver; that is the zero value here. */
        copy = json_deep_copy(v);
        if (copy == NULL)
                fatalx("out of memory");
        {
                const char *k;
                json_t *e;
                void *tmp;

                json_object_foreach_safe(copy, tmp, k, e)
                {
                        if (strcasecmp(k, "Driver") == 0 && json_is_string(e) &&
                            strcmp(json_string_value(e), "default") == 0)
                                json_object_del(copy, k);
                }
        }
        rc = dob_walk(d, "IPAM.", ipam_rows, copy, in);
        json_decref(copy);
        return rc;
}

#define NET_NO "not supported by the gateway"

static const struct dob_row net_create_rows[] = {
    {"Name", net_name, NULL},
    {"CheckDuplicate", net_check_dup, NULL},
    {"Driver", net_driver, NULL},
    {"Internal", net_internal, NULL},
    {"Scope", net_scope, NULL},
    {"Labels", net_labels, NULL},
    {"IPAM", net_ipam, NULL},
    {"Attachable", net_attachable, NULL},
    {"Ingress", NULL, "ingress networks are " NET_NO},
    {"EnableIPv6", NULL, "IPv6 networks are " NET_NO},
    {"ConfigOnly", NULL, "config-only networks are " NET_NO},
    {"ConfigFrom", NULL, "networks from a config are " NET_NO},
    {"Options", NULL, "driver options are " NET_NO " (they name host interfaces)"},
    {NULL, NULL, NULL},
};

int dob_in_net_create(struct dapi *d, json_t *input)
{
        if (dob_need_body(d) == -1 || dob_walk(d, "", net_create_rows, d->body, input) == -1)
                return -1;
        if (json_object_get(input, "name") == NULL)
                return dob_fail(d, 400, "Name: required");
        return 0;
}

void dob_out_net_create(struct dapi *d, const json_t *o)
{
        json_t *doc =
            json_pack("{s:O,s:s}", "Id", json_object_get(o, "networkId"), "Warning", "");

        dapi_reply_json(d, 201, doc);
        json_decref(doc);
}

static const char *const net_filters[] = {"label", "name", "id", NULL};

int dob_in_net_list(struct dapi *d, json_t *input)
{
        return dq_filters(d, input, net_filters);
}

int dob_in_net(struct dapi *d, json_t *input)
{
        json_object_set_new(input, "networkId", json_string(d->capture));
        return 0;
}

int dob_in_net_inspect(struct dapi *d, json_t *input)
{
        const char *scope = dq_str(d, "scope");
        int verbose;

        if (dq_bool(d, "verbose", 0, &verbose) == -1)
                return -1;
        if (verbose)
                return dob_fail(d, 403, "query parameter verbose: swarm details are " NET_NO);
        if (scope != NULL && scope[0] != '\0' && strcmp(scope, "local") != 0)
                return dob_fail(d, 403, "query parameter scope: only local networks");
        return dob_in_net(d, input);
}

static int ep_aliases(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_names(d, w, "Aliases", v, in, "aliases");
}

/* An endpoint's settings: aliases, and the rest only at zero. */
static const struct dob_row endpoint_rows[] = {
    {"Aliases", ep_aliases, NULL},
    {"IPAMConfig", NULL, "addresses are chosen by the engine"},
    {"Links", NULL, "links are " NET_NO "; use aliases"},
    {"NetworkID", NULL, "name the network in the path"},
    {"EndpointID", NULL, NULL},
    {"Gateway", NULL, NULL},
    {"IPAddress", NULL, "addresses are chosen by the engine"},
    {"IPPrefixLen", NULL, NULL},
    {"IPv6Gateway", NULL, NULL},
    {"GlobalIPv6Address", NULL, "addresses are chosen by the engine"},
    {"GlobalIPv6PrefixLen", NULL, NULL},
    {"MacAddress", NULL, "MAC addresses are chosen by the engine"},
    {"DriverOpts", NULL, "driver options are " NET_NO},
    {NULL, NULL, NULL},
};

static int conn_container(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_string(d, w, "Container", v, in, "containerId");
}

static int conn_endpoint(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_walk(d, "EndpointConfig.", endpoint_rows, v, in);
}

static const struct dob_row net_connect_rows[] = {
    {"Container", conn_container, NULL},
    {"EndpointConfig", conn_endpoint, NULL},
    {NULL, NULL, NULL},
};

static const struct dob_row net_disconnect_rows[] = {
    {"Container", conn_container, NULL},
    {"Force", NULL, "a forced disconnect is " NET_NO},
    {NULL, NULL, NULL},
};

static int dob_in_conn(struct dapi *d, json_t *input, const struct dob_row *rows)
{
        if (dob_need_body(d) == -1 || dob_walk(d, "", rows, d->body, input) == -1)
                return -1;
        if (json_object_get(input, "containerId") == NULL)
                return dob_fail(d, 400, "Container: required");
        return dob_in_net(d, input);
}

int dob_in_net_connect(struct dapi *d, json_t *input)
{
        return dob_in_conn(d, input, net_connect_rows);
}

int dob_in_net_disconnect(struct dapi *d, json_t *input)
{
        return dob_in_conn(d, input, net_disconnect_rows);
}

void dob_out_ok(struct dapi *d, const json_t *o)
{
        dapi_reply(d, 200, "text/plain; charset=utf-8", NULL, 0, NULL);
}

void dob_out_no_content(struct dapi *d, const json_t *o)
{
        dapi_reply_empty(d, 204);
}

/* --- volumes --- */

static int vol_name(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        if (json_is_null(v) || json_string_length(v) == 0)
                return 0; /* the gateway picks one, as the engine would */
        return dob_string(d, w, "Name", v, in, "name");
}

static int vol_driver(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_only(d, w, "Driver", v, "local",
                        "only the local volume driver is supported by the gateway");
}

static int vol_labels(struct dapi *d, const char *w, const json_t *v, json_t *in)
{
        return dob_labels(d, w, v, in);
}

static const struct dob_row vol_create_rows[] = {
    {"Name", vol_name, NULL},
    {"Driver", vol_driver, NULL},
    {"Labels", vol_labels, NULL},
    {"DriverOpts", NULL, "volume driver options are " NET_NO " (they bind host paths)"},
    {"ClusterVolumeSpec", NULL, "cluster volumes are " NET_NO},
    {NULL, NULL, NULL},
};

int dob_in_vol_create(struct dapi *d, json_t *input)
{
        if (dob_need_body(d) == -1)
                return -1;
        return dob_walk(d, "", vol_create_rows, d->body, input);
}

void dob_out_vol_create(struct dapi *d, const json_t *o)
{
        dapi_reply_json(d, 201, o);
}

static const char *const vol_filters[] = {"label", "name", "dangling", NULL};

int dob_in_vol_list(struct dapi *d, json_t *input)
{
        return dq_filters(d, input, vol_filters);
}

void dob_out_vol_list(struct dapi *d, const json_t *o)
{
        json_t *doc = json_pack("{s:O,s:n}", "Volumes", o, "Warnings");

        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

int dob_in_vol(struct dapi *d, json_t *input)
{
        json_object_set_new(input, "volumeName", json_string(d->capture));
        return 0;
}

int dob_in_vol_remove(struct dapi *d, json_t *input)
{
        int force;

        if (dq_bool(d, "force", 0, &force) == -1)
                return -1;
        json_object_set_new(input, "force", json_boolean(force));
        return dob_in_vol(d, input);
}

/* --- images --- */

static const char *const img_list_filters[] = {"label",  "dangling", "reference",
                                               "before", "since",    NULL};

int dob_in_img_list(struct dapi *d, json_t *input)
{
        int all, digests;

        if (dq_bool(d, "all", 0, &all) == -1 || dq_bool(d, "digests", 0, &digests) == -1)
                return -1;
        if (all)
                return dob_fail(d, 403,
                                "query parameter all: intermediate images are not listed by "
                                "the gateway");
        if (dq_str(d, "filter") != NULL && dq_str(d, "filter")[0] != '\0')
                return dob_fail(d, 400, "query parameter filter: use filters");
        return dq_filters(d, input, img_list_filters);
}

int dob_in_img(struct dapi *d, json_t *input)
{
        json_object_set_new(input, "image", json_string(d->capture));
        return 0;
}

int dob_in_img_remove(struct dapi *d, json_t *input)
{
        int force, noprune;

        if (dq_bool(d, "force", 0, &force) == -1 || dq_bool(d, "noprune", 0, &noprune) == -1)
                return -1;
        if (noprune)
                return dob_fail(d, 403,
                                "query parameter noprune: not supported by the gateway");
        json_object_set_new(input, "force", json_boolean(force));
        return dob_in_img(d, input);
}

void dob_out_img_remove(struct dapi *d, const json_t *o)
{
        json_t *doc = json_array(), *v, *s;
        size_t i;

        json_array_foreach(o, i, v)
        {
                if ((s = json_object_get(v, "untagged")) != NULL)
                        json_array_append_new(doc, json_pack("{s:O}", "Untagged", s));
                if ((s = json_object_get(v, "deleted")) != NULL)
                        json_array_append_new(doc, json_pack("{s:O}", "Deleted", s));
        }
        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

/* POST /images/create: a pull from a registry (fromImage); never an import. */
int dob_in_img_pull(struct dapi *d, json_t *input)
{
        const char *from = dq_str(d, "fromImage"), *tag = dq_str(d, "tag"),
                   *src = dq_str(d, "fromSrc"), *platform = dq_str(d, "platform");
        static const char *const refused[] = {"repo", "message", "changes", NULL};
        size_t i;

        if (src != NULL && src[0] != '\0')
                return dob_fail(d, 403,
                                "query parameter fromSrc: importing images is not "
                                "supported by the gateway; pull from a registry");
        for (i = 0; refused[i] != NULL; i++)
                if (dq_str(d, refused[i]) != NULL && dq_str(d, refused[i])[0] != '\0')
                        return dob_fail(d, 403,
                                        "query parameter %s: only for imports, which "
                                        "are not supported by the gateway",
                                        refused[i]);
        if (platform != NULL && platform[0] != '\0')
                return dob_fail(d, 403,
                                "query parameter platform: not supported by the gateway");
        if (from == NULL || from[0] == '\0')
                return dob_fail(d, 400, "query parameter fromImage: required");
        json_object_set_new(input, "image", json_string(from));
        if (tag != NULL && tag[0] != '\0')
                json_object_set_new(input, "tag", json_string(tag));
        return 0;
}

/* --- events --- */

/* since, until: UNIX seconds, maybe with a fraction (the CLI sends nanoseconds). */
static int dob_time(struct dapi *d, const char *key, json_t *input)
{
        const char *s = dq_str(d, key);
        char *end;
        double t;

        if (s == NULL || s[0] == '\0')
                return 0;
        t = strtod(s, &end);
        if (*end != '\0' || !(t >= 0) || t > 1e12)
                return dob_fail(d, 400, "query parameter %s: a UNIX time in seconds", key);
        json_object_set_new(input, key, json_integer((json_int_t)t));
        return 0;
}

int dob_in_events(struct dapi *d, json_t *input)
{
        static const char *const keys[] = {"type",      "label", "event",
                                           "container", "image", NULL};
        json_t *f, *kept, *types, *v;
        const char *s;
        size_t i;

        if (dob_time(d, "since", input) == -1 || dob_time(d, "until", input) == -1 ||
            dq_filters(d, input, keys) == -1)
                return -1;
        /* type=X filters are the native input types; the others stay filters. */
        f = json_object_get(input, "filters");
        if (f == NULL)
                return 0;
        if ((kept = json_array()) == NULL || (types = json_array()) == NULL)
                fatalx("out of memory");
        json_array_foreach(f, i, v)
        {
                s = json_string_value(v);
                if (strncmp(s, "type=", 5) == 0)
                        json_array_append_new(types, json_string(s + 5));
                else
                        json_array_append(kept, v);
        }
        if (json_array_size(kept) > 0)
                json_object_set_new(input, "filters", kept);
        else {
                json_object_del(input, "filters");
                json_decref(kept);
        }
        if (json_array_size(types) > 0)
                json_object_set_new(input, "types", types);
        else
                json_decref(types);
        return 0;
}

/* --- prunes of the peer's own containers, networks and volumes --- */

static const char *const prune_filters[] = {"label", "label!", "until", NULL};
static const char *const vol_prune_filters[] = {"label", "label!", NULL}; /* the engine's */

int dob_in_prune(struct dapi *d, json_t *input)
{
        return dq_filters(d, input, prune_filters);
}

int dob_in_vol_prune(struct dapi *d, json_t *input)
{
        return dq_filters(d, input, vol_prune_filters);
}

void dob_out_net_prune(struct dapi *d, const json_t *o)
{
        json_t *doc = json_pack("{s:O}", "NetworksDeleted", json_object_get(o, "deleted"));

        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

void dob_reply_pruned(struct dapi *d, const json_t *o, const char *key)
{
        /* As the broker summed it from the engine's sizes (0 where it has none). */
        json_int_t freed = json_integer_value(json_object_get(o, "spaceReclaimed"));
        json_t *doc = json_pack("{s:O,s:I}", key, json_object_get(o, "deleted"),
                                "SpaceReclaimed", freed > 0 ? freed : 0);

        dapi_reply_json(d, 200, doc);
        json_decref(doc);
}

void dob_out_vol_prune(struct dapi *d, const json_t *o)
{
        dob_reply_pruned(d, o, "VolumesDeleted");
}

/* POST /images/{name}/tag: the new name must be in the peer's namespace (the broker checks). */
int dob_in_img_tag(struct dapi *d, json_t *input)
{
        const char *repo = dq_str(d, "repo"), *tag = dq_str(d, "tag");

        if (repo == NULL || repo[0] == '\0')
                return dob_fail(d, 400, "query parameter repo: required");
        json_object_set_new(input, "repo", json_string(repo));
        if (tag != NULL && tag[0] != '\0')
                json_object_set_new(input, "tag", json_string(tag));
        return dob_in_img(d, input);
}

void dob_out_created(struct dapi *d, const json_t *o)
{
        dapi_reply_empty(d, 201);
}

static const char *const img_prune_filters[] = {"dangling", NULL};

int dob_in_img_prune(struct dapi *d, json_t *input)
{
        return dq_filters(d, input, img_prune_filters);
}

void dob_out_img_prune(struct dapi *d, const json_t *o)
{
        json_t *doc = json_array(), *v, *out;
        json_int_t freed;
        size_t i;

        json_array_foreach(json_object_get(o, "untagged"), i, v)
            json_array_append_new(doc, json_pack("{s:O}", "Untagged", v));
        json_array_foreach(json_object_get(o, "deleted"), i, v)
            json_array_append_new(doc, json_pack("{s:O}", "Deleted", v));
        freed = json_integer_value(json_object_get(o, "spaceReclaimed"));
        out = json_pack("{s:o,s:I}", "ImagesDeleted", doc, "SpaceReclaimed",
                        freed > 0 ? freed : 0);
        dapi_reply_json(d, 200, out);
        json_decref(out);
}
