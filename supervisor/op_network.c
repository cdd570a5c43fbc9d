/*
 * op_network.c - docker/network operations.  A network belongs to the peer
 * whose owner label the supervisor stamped at create; connect and
 * disconnect need both the network and the container to be the peer's.
 */
#include <stdio.h>
#include <string.h>

#include "ops_impl.h"

static void create_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        const char *id = json_string_value(json_object_get(body, "Id"));

        c->pending = NULL;
        if (status == 409) {
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
        json_t *body;

        if (!ops_name_ok(name)) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.name: 1 to 128 of [A-Za-z0-9_.-], starting with a letter or "
                          "digit");
                return;
        }
        body =
            json_pack("{s:s,s:b,s:s,s:b,s:b,s:b,s:{s:s}}", "Name", name, "CheckDuplicate", 1,
                      "Driver", "bridge", "Internal", ops_bool(c, "internal", 0), "Attachable",
                      0, "EnableIPv6", 0, "Labels", c->policy->owner_label, c->peer->name);
        if (body == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        ops_send(c, "POST", body, 0, create_done, "/networks/create");
        json_decref(body);
}

static json_t *list_item(const json_t *in)
{
        const json_t *labels = json_object_get(in, "Labels");

        return json_pack("{s:s?,s:s?,s:s?,s:b,s:s?,s:o}", "networkId",
                         json_string_value(json_object_get(in, "Id")), "name",
                         json_string_value(json_object_get(in, "Name")), "driver",
                         json_string_value(json_object_get(in, "Driver")), "internal",
                         json_is_true(json_object_get(in, "Internal")), "created",
                         json_string_value(json_object_get(in, "Created")), "labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object());
}

static void list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *out, *v, *item;
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        out = json_array();
        json_array_foreach(body, i, v)
        {
                if (!resolve_owns(c, json_object_get(v, "Labels")))
                        continue;
                if ((item = list_item(v)) != NULL)
                        json_array_append_new(out, item);
        }
        call_reply(c, out);
}

void op_network_list(struct call *c)
{
        char filter[1200];

        if (ops_owner_filter(c, filter, sizeof(filter)) == -1) {
                call_fail(c, DG_INTERNAL, "owner filter too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, list_done, "/networks%s%s", filter[0] ? "?" : "", filter);
}

static void inspect_resolved(struct call *c, const char *id, json_t *inspect)
{
        call_reply(c, json_incref(inspect));
}

void op_network_inspect(struct call *c)
{
        resolve_network(c, ops_str(c, "networkId"), inspect_resolved);
}

static void remove_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "DELETE", NULL, 0, ops_done_empty, "/networks/%s", id);
}

void op_network_remove(struct call *c)
{
        resolve_network(c, ops_str(c, "networkId"), remove_resolved);
}

/* connect / disconnect: the network first, then the container. */

static void attach_container(struct call *c, const char *cid, const char *verb)
{
        struct ops_state *st = c->state;
        json_t *body = json_pack("{s:s}", "Container", cid);

        if (body == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (strcmp(verb, "disconnect") == 0)
                json_object_set_new(body, "Force", json_false());
        ops_send(c, "POST", body, 0, ops_done_empty, "/networks/%s/%s", st->id, verb);
        json_decref(body);
}

static void connect_container(struct call *c, const char *cid, json_t *inspect)
{
        attach_container(c, cid, "connect");
}

static void disconnect_container(struct call *c, const char *cid, json_t *inspect)
{
        attach_container(c, cid, "disconnect");
}

static void connect_network(struct call *c, const char *nid, json_t *inspect)
{
        struct ops_state *st = c->state;

        snprintf(st->id, sizeof(st->id), "%s", nid);
        resolve_container(c, ops_str(c, "containerId"), connect_container);
}

static void disconnect_network(struct call *c, const char *nid, json_t *inspect)
{
        struct ops_state *st = c->state;

        snprintf(st->id, sizeof(st->id), "%s", nid);
        resolve_container(c, ops_str(c, "containerId"), disconnect_container);
}

void op_network_connect(struct call *c)
{
        resolve_network(c, ops_str(c, "networkId"), connect_network);
}

void op_network_disconnect(struct call *c)
{
        resolve_network(c, ops_str(c, "networkId"), disconnect_network);
}
