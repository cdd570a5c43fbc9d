/*
 * op_network.c - docker/network operations.  A network belongs to the peer
 * whose owner label the supervisor stamped at create; connect and
 * disconnect need both the network and the container to be the peer's.
 * Its name is the peer's own (names.h: "<peer>.<name>" on the engine).
 */
#include <stdio.h>
#include <string.h>

#include "filters.h"
#include "names.h"
#include "ops_impl.h"
#include "profile.h"
#include "redact.h"

static void create_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        const char *id = json_string_value(json_object_get(body, "Id"));

        c->pending = NULL;
        if (status == 409) {
                /* Names are per peer: the holder can only be the caller's own. */
                call_fail(c, DG_CONFLICT, "network name already in use: %s",
                          ops_str(c, "name"));
                return;
        }
        if (status != 201 || id == NULL) {
                call_fail_engine(c, status, body);
                return;
        }
        call_reply(c, json_pack("{s:s}", "networkId", id));
}

/* Built field by field: no driver options, no IPAM, no attachable swarm networks. */
void op_network_create(struct call *c)
{
        const char *name = ops_str(c, "name");
        char engine_name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];
        json_t *body, *labels;

        if (!ops_name_ok(name) || names_engine(c, name, engine_name, sizeof(engine_name)) < 0) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.name: 1 to 128 of [A-Za-z0-9_.-], starting with a letter or "
                          "digit");
                return;
        }
        if ((labels = ops_labels(c)) == NULL)
                return;
        body = json_pack("{s:s,s:b,s:s,s:b,s:b,s:b,s:o}", "Name", engine_name, "CheckDuplicate",
                         1, "Driver", "bridge", "Internal", ops_bool(c, "internal", 0),
                         "Attachable", 0, "EnableIPv6", 0, "Labels", labels);
        if (body == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        ops_send(c, "POST", body, 0, create_done, "/networks/create");
        json_decref(body);
}

static json_t *list_item(const struct call *c, const json_t *in)
{
        const json_t *labels = json_object_get(in, "Labels");
        const char *name = json_string_value(json_object_get(in, "Name"));
        int slash;

        if (name != NULL && (name = names_view(c, name, &slash)) == NULL)
                return NULL;
        return json_pack("{s:s?,s:s?,s:s?,s:b,s:s?,s:o}", "networkId",
                         json_string_value(json_object_get(in, "Id")), "name", name, "driver",
                         json_string_value(json_object_get(in, "Driver")), "internal",
                         json_is_true(json_object_get(in, "Internal")), "created",
                         json_string_value(json_object_get(in, "Created")), "labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object());
}

/* The engine's own list element, redacted as inspect is (the Docker front). */
static json_t *list_item_engine(const struct call *c, const json_t *in)
{
        json_t *out = json_deep_copy(in);

        if (out != NULL)
                redact_network(c, out);
        return out;
}

static void list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        ops_reply_list(c, status, body, NULL, 1,
                       call_engine_view(c) ? list_item_engine : list_item);
}

void op_network_list(struct call *c)
{
        ops_list_owned(c, list_done, "/networks");
}

static void inspect_resolved(struct call *c, const char *id, json_t *inspect)
{
        redact_network(c, inspect);
        call_reply(c, json_incref(inspect));
}

void op_network_inspect(struct call *c)
{
        resolve_network(c, ops_str(c, "networkId"), inspect_resolved);
}

/* The engine answers 403 for a network with containers still on it: a conflict. */
static void remove_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        if (status == 403) {
                c->pending = NULL;
                call_fail(c, DG_CONFLICT, "network %s is in use by containers",
                          ops_str(c, "networkId"));
                return;
        }
        ops_done_empty(status, body, raw, rawlen, arg);
}

static void remove_resolved(struct call *c, const char *id, json_t *inspect)
{
        /* An engine that removes a network in use is asked first (profile.h). */
        if (engine_profile(c->engine)->network_rm_removes_in_use &&
            json_object_size(json_object_get(inspect, "Containers")) > 0) {
                call_fail(c, DG_CONFLICT, "network %s is in use by containers",
                          ops_str(c, "networkId"));
                return;
        }
        ops_send(c, "DELETE", NULL, 0, remove_done, "/networks/%s", id);
}

void op_network_remove(struct call *c)
{
        resolve_network(c, ops_str(c, "networkId"), remove_resolved);
}

/* connect / disconnect: the network first, then the container. */

static void attach_container(struct call *c, const char *cid, json_t *inspect, const char *verb)
{
        struct ops_state *st = c->state;
        json_t *body = json_pack("{s:s}", "Container", cid), *alias, *aliases, *v;
        size_t i;

        if (body == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (strcmp(verb, "disconnect") == 0)
                json_object_set_new(body, "Force", json_false());
        /* On the network, the container answers to the name its peer gave it. */
        else if (st->num && (aliases = json_array()) != NULL) {
                alias = names_view_json(c, json_string_value(json_object_get(inspect, "Name")));
                if (alias != NULL) {
                        const char *a = json_string_value(alias);
                        json_array_append_new(aliases, json_string(a[0] == '/' ? a + 1 : a));
                        json_decref(alias);
                }
                /* Checked in op_network_connect: names, on a network of the peer's own. */
                json_array_foreach(json_object_get(c->input, "aliases"), i, v)
                    json_array_append(aliases, v);
                json_object_set_new(body, "EndpointConfig",
                                    json_pack("{s:o}", "Aliases", aliases));
        }
        ops_send(c, "POST", body, 0, ops_done_empty, "/networks/%s/%s", st->id, verb);
        json_decref(body);
}

static void connect_container(struct call *c, const char *cid, json_t *inspect)
{
        attach_container(c, cid, inspect, "connect");
}

static void disconnect_container(struct call *c, const char *cid, json_t *inspect)
{
        attach_container(c, cid, inspect, "disconnect");
}

static void connect_network(struct call *c, const char *nid, json_t *inspect)
{
        struct ops_state *st = c->state;
        const char *name = json_string_value(json_object_get(inspect, "Name"));

        snprintf(st->id, sizeof(st->id), "%s", nid);
        /* Aliases only on a user network: the engine refuses them on its default ones. */
        st->num = json_object_get(json_object_get(inspect, "Labels"), c->policy->owner_label) !=
                      NULL &&
                  name != NULL && strcmp(name, "bridge") != 0;
        /* SECURITY: on an engine-wide network, other peers' containers would resolve them. */
        if (!st->num && json_array_size(json_object_get(c->input, "aliases")) > 0) {
                call_fail(c, DG_FORBIDDEN,
                          "input.aliases: aliases only on a network of your own");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), connect_container);
}

static void disconnect_network(struct call *c, const char *nid, json_t *inspect)
{
        struct ops_state *st = c->state;

        snprintf(st->id, sizeof(st->id), "%s", nid);
        resolve_container(c, ops_str(c, "containerId"), disconnect_container);
}

static int aliases_ok(const json_t *a)
{
        const json_t *v;
        size_t i;

        json_array_foreach(a, i, v)
        {
                if (!ops_name_ok(json_string_value(v)))
                        return 0;
        }
        return 1;
}

void op_network_connect(struct call *c)
{
        if (!aliases_ok(json_object_get(c->input, "aliases"))) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.aliases: each 1 to 128 of [A-Za-z0-9_.-], starting with a "
                          "letter or digit");
                return;
        }
        resolve_network(c, ops_str(c, "networkId"), connect_network);
}

void op_network_disconnect(struct call *c)
{
        if (json_object_get(c->input, "aliases") != NULL) {
                call_fail(c, DG_INVALID_INPUT, "input.aliases: only for connect");
                return;
        }
        resolve_network(c, ops_str(c, "networkId"), disconnect_network);
}

/*
 * prune: the peer's own networks (its label filters ANDed with the
 * owner's) that no container names, running or not, one at a time.  The
 * engine's containers are listed first: the engine removes a network that
 * only created containers name (and some engines one in use, profile.h).
 * One the engine refuses as in use is kept.  Output {"deleted": [names as
 * the peer sees them]}.
 */
static void prune_removed(struct call *c, json_t *net, const json_t *body, json_t *out)
{
        json_array_append(json_object_get(out, "deleted"), json_object_get(net, "name"));
}

/* Marks the networks a container names (by ID or engine name) as used. */
static void prune_mark(json_t *todo, const char *ref)
{
        json_t *v;
        size_t i;

        if (ref == NULL)
                return;
        json_array_foreach(todo, i, v)
        {
                if (strcmp(ref, json_string_value(json_object_get(v, "ref"))) == 0 ||
                    strcmp(ref, json_string_value(json_object_get(v, "engineName"))) == 0)
                        json_object_set_new(v, "used", json_true());
        }
}

static void prune_users(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *keep = ((struct ops_state *)c->state)->keep, *ctr, *ep, *v;
        json_t *todo = json_object_get(keep, "todo"), *unused = json_object_get(keep, "unused");
        const char *k;
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        json_array_foreach(body, i, ctr)
        {
                prune_mark(todo, json_string_value(json_object_get(
                                     json_object_get(ctr, "HostConfig"), "NetworkMode")));
                json_object_foreach(
                    json_object_get(json_object_get(ctr, "NetworkSettings"), "Networks"), k, ep)
                {
                        prune_mark(todo, k);
                        prune_mark(todo, json_string_value(json_object_get(ep, "NetworkID")));
                }
        }
        json_array_foreach(todo, i, v)
        {
                if (!json_is_true(json_object_get(v, "used")))
                        json_array_append(unused, v);
        }
        ops_remove_each(c, unused, json_object_get(keep, "out"), "/networks/", "",
                        prune_removed);
}

static void prune_listed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st;
        const char *id, *name, *seen;
        json_t *todo, *v;
        int slash;
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->keep = json_pack("{s:[],s:[],s:{s:[]}}", "todo", "unused", "out", "deleted");
        todo = json_object_get(st->keep, "todo");
        json_array_foreach(body, i, v)
        {
                id = json_string_value(json_object_get(v, "Id"));
                name = json_string_value(json_object_get(v, "Name"));
                /* SECURITY: the engine filtered by the owner label; check again. IDs are hex.
                 */
                if (id == NULL || name == NULL ||
                    strspn(id, "0123456789abcdef") != strlen(id) ||
                    !resolve_owns(c, json_object_get(v, "Labels")) || !filters_keep(c, v) ||
                    (seen = names_view(c, name, &slash)) == NULL)
                        continue;
                json_array_append_new(todo, json_pack("{s:s,s:s,s:s,s:b}", "ref", id, "name",
                                                      seen, "engineName", name, "used", 0));
        }
        /* Every container, anyone's: a network another one names is in use all the same. */
        ops_send(c, "GET", NULL, 0, prune_users, "/containers/json?all=1");
}

void op_network_prune(struct call *c)
{
        ops_list_owned(c, prune_listed, "/networks");
}
