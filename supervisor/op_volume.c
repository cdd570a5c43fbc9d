/*
 * op_volume.c - docker/volume operations.  A volume belongs to the peer
 * whose owner label the supervisor stamped at create.  Its name is the
 * peer's own (names.h: "<peer>.<name>" on the engine); a volume created
 * without a name gets 64 random hex digits, as the engine would give it.
 */
#include <stdio.h>
#include <string.h>

#include "filters.h"
#include "names.h"
#include "ops_impl.h"
#include "redact.h"

/*
 * The engine answers a create for an existing name with the existing
 * volume, labels and all: a volume that does not carry the peer's label was
 * not made by this call.
 */
static void create_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        const char *name = json_string_value(json_object_get(body, "Name"));
        const char *owner;

        c->pending = NULL;
        if ((status != 200 && status != 201) || name == NULL) {
                call_fail_engine(c, status, body);
                return;
        }
        owner = json_string_value(
            json_object_get(json_object_get(body, "Labels"), c->policy->owner_label));
        if (owner == NULL || strcmp(owner, c->peer->name) != 0) {
                call_fail(c, DG_CONFLICT, "volume name already in use: %s", st->name);
                return;
        }
        if (call_engine_view(c)) {
                /* The Docker front answers with the volume's document. */
                redact_volume(c, body);
                call_reply(c, json_incref(body));
                return;
        }
        call_reply(c, json_pack("{s:s}", "volumeName", st->name));
}

/* Built field by field: SECURITY: never driver options (local ones bind host paths). */
void op_volume_create(struct call *c)
{
        const char *name = ops_str(c, "name");
        char engine_name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];
        struct ops_state *st;
        json_t *body, *labels;

        if (name != NULL && (!ops_name_ok(name) || strlen(name) < 2)) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.name: 2 to 128 of [A-Za-z0-9_.-], starting with a letter or "
                          "digit");
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        if (name != NULL)
                snprintf(st->name, sizeof(st->name), "%s", name);
        else if (names_random(st->name, sizeof(st->name), "", 64) < 0) {
                call_fail(c, DG_INTERNAL, "no randomness for a name");
                return;
        }
        if (names_engine(c, st->name, engine_name, sizeof(engine_name)) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.name: too long");
                return;
        }
        if ((labels = ops_labels(c)) == NULL)
                return;
        body = json_pack("{s:s,s:s,s:o}", "Name", engine_name, "Driver", "local", "Labels",
                         labels);
        if (body == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        ops_send(c, "POST", body, 0, create_done, "/volumes/create");
        json_decref(body);
}

static json_t *list_item(const struct call *c, const json_t *in)
{
        const json_t *labels = json_object_get(in, "Labels");
        const char *name = json_string_value(json_object_get(in, "Name"));
        int slash;

        if (name != NULL && (name = names_view(c, name, &slash)) == NULL)
                return NULL;
        /* Not the host mountpoint: a peer has no use for host paths. */
        return json_pack("{s:s?,s:s?,s:s?,s:o}", "volumeName", name, "driver",
                         json_string_value(json_object_get(in, "Driver")), "created",
                         json_string_value(json_object_get(in, "CreatedAt")), "labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object());
}

/* The engine's own list element, redacted as inspect is (the Docker front). */
static json_t *list_item_engine(const struct call *c, const json_t *in)
{
        json_t *out = json_deep_copy(in);

        if (out != NULL)
                redact_volume(c, out);
        return out;
}

static void list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        ops_reply_list(c, status, body, "Volumes", 1,
                       call_engine_view(c) ? list_item_engine : list_item);
}

void op_volume_list(struct call *c)
{
        ops_list_owned(c, list_done, "/volumes");
}

static void inspect_resolved(struct call *c, const char *name, json_t *inspect)
{
        redact_volume(c, inspect);
        call_reply(c, json_incref(inspect));
}

void op_volume_inspect(struct call *c)
{
        resolve_volume(c, ops_str(c, "volumeName"), inspect_resolved);
}

/* SECURITY: the engine's text names the volume engine-side and the containers using it. */
static void remove_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        if (status == 409) {
                c->pending = NULL;
                call_fail(c, DG_CONFLICT, "volume %s is in use by a container",
                          ops_str(c, "volumeName"));
                return;
        }
        ops_done_empty(status, body, raw, rawlen, arg);
}

static void remove_resolved(struct call *c, const char *name, json_t *inspect)
{
        ops_send(c, "DELETE", NULL, 0, remove_done, "/volumes/%s?force=%d", name,
                 ops_bool(c, "force", 0));
}

void op_volume_remove(struct call *c)
{
        resolve_volume(c, ops_str(c, "volumeName"), remove_resolved);
}

/*
 * prune: the peer's own volumes (its label filters ANDed with the owner's)
 * that no container uses, one removal at a time: the engine refuses one in
 * use (409), which is then kept.  Output {"deleted": [names as the peer
 * sees them], "spaceReclaimed": bytes}: the sizes the engine's disk usage
 * reports for the removed ones (asked only when there is one to remove).
 */
static void prune_removed(struct call *c, json_t *item, const json_t *body, json_t *out)
{
        json_array_append_new(
            json_object_get(out, "deleted"),
            names_view_json(c, json_string_value(json_object_get(item, "ref"))));
        ops_reclaimed(out, json_object_get(item, "size"));
}

/* /system/df: each candidate's UsageData.Size, then the removals. */
static void prune_sized(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        json_t *todo = json_object_get(st->keep, "todo"), *v, *item;
        const char *name;
        size_t i, j;

        c->pending = NULL;
        /* Without the sizes the prune still runs: SpaceReclaimed is then 0. */
        if (status == 200)
                json_array_foreach(json_object_get(body, "Volumes"), i, v)
                {
                        name = json_string_value(json_object_get(v, "Name"));
                        json_array_foreach(todo, j, item)
                        {
                                if (name != NULL && json_equal(json_object_get(item, "ref"),
                                                               json_object_get(v, "Name")))
                                        json_object_set(
                                            item, "size",
                                            json_object_get(json_object_get(v, "UsageData"),
                                                            "Size"));
                        }
                }
        ops_remove_each(c, todo, json_object_get(st->keep, "out"), "/volumes/", "",
                        prune_removed);
}

static void prune_listed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st;
        json_t *todo, *v;
        const char *name;
        int slash;
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(json_object_get(body, "Volumes"))) {
                call_fail_engine(c, status, body);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->keep =
            json_pack("{s:[],s:{s:[],s:i}}", "todo", "out", "deleted", "spaceReclaimed", 0);
        todo = json_object_get(st->keep, "todo");
        json_array_foreach(json_object_get(body, "Volumes"), i, v)
        {
                name = json_string_value(json_object_get(v, "Name"));
                /* SECURITY: the engine filtered by the owner label; check again. */
                if (name != NULL && resolve_owns(c, json_object_get(v, "Labels")) &&
                    filters_keep(c, v) && names_view(c, name, &slash) != NULL)
                        json_array_append_new(todo, json_pack("{s:s}", "ref", name));
        }
        if (json_array_size(todo) > 0)
                ops_send(c, "GET", NULL, 0, prune_sized, "/system/df");
        else
                ops_remove_each(c, todo, json_object_get(st->keep, "out"), "/volumes/", "",
                                prune_removed);
}

void op_volume_prune(struct call *c)
{
        ops_list_owned(c, prune_listed, "/volumes");
}
