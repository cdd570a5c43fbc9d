/*
 * resolve.c - reference -> full ID, with the ownership check (resolve.h).
 *
 * SECURITY (invariant 3): the engine resolves names and ID prefixes over
 * every tenant's resources, so what it finds is checked against the owner
 * label before anything else; a miss, an ambiguous prefix and another
 * peer's resource all give the same NOT_FOUND message, so a peer cannot
 * tell them apart.
 */
#include <stdio.h>
#include <string.h>

#include "ops_impl.h"
#include "resolve.h"

struct resolve_kind {
        const char *noun;   /* in messages */
        const char *prefix; /* engine path: prefix, reference, suffix */
        const char *suffix;
        const char *id_key;   /* where the full ID is in the inspect document */
        int labels_in_config; /* containers: Config.Labels; others: Labels */
        int hex_id;           /* the full ID is 64 hex digits (else a name) */
};

static const struct resolve_kind kind_container = {
    "container", "/containers/", "/json", "Id", 1, 1};
static const struct resolve_kind kind_network = {"network", "/networks/", "", "Id", 0, 1};
static const struct resolve_kind kind_volume = {"volume", "/volumes/", "", "Name", 0, 0};

/*
 * A reference is an ID, an ID prefix or a name: [A-Za-z0-9][A-Za-z0-9_.-]*,
 * at most OPS_REF_MAX.  The first character rules out "." and "..", which
 * would change the engine path's meaning.
 */
static int resolve_ref_ok(const char *ref)
{
        size_t i;

        if (ref == NULL || ref[0] == '\0')
                return 0;
        for (i = 0; ref[i] != '\0'; i++) {
                char ch = ref[i];
                int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9');
                if (i >= OPS_REF_MAX || !(alnum || (i > 0 && strchr("_.-", ch) != NULL)))
                        return 0;
        }
        return 1;
}

static int resolve_id_ok(const struct resolve_kind *k, const char *id)
{
        size_t i;

        if (!k->hex_id)
                return resolve_ref_ok(id);
        for (i = 0; id[i] != '\0'; i++)
                if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
                        return 0;
        return i == 64;
}

int resolve_owns(const struct call *c, const json_t *labels)
{
        const char *owner;

        if (c->peer->admin)
                return 1;
        owner = json_string_value(json_object_get(labels, c->policy->owner_label));
        return owner != NULL && strcmp(owner, c->peer->name) == 0;
}

static void resolve_not_found(struct call *c, const struct resolve_kind *k, const char *ref)
{
        if (ref != NULL)
                call_fail(c, DG_NOT_FOUND, "no such %s: %s", k->noun, ref);
        else
                call_fail(c, DG_NOT_FOUND, "no such %s", k->noun);
}

static void resolve_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        const struct resolve_kind *k = st->kind;
        const json_t *labels;
        const char *id;
        char full[OPS_REF_MAX + 1];

        c->pending = NULL;
        if (status <= 0 || status >= 500) {
                call_fail_engine(c, status, body);
                return;
        }
        /* 404 missing, 400 ambiguous prefix: both are "not found" to the peer. */
        if (status != 200 || !json_is_object(body)) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        labels = k->labels_in_config
                     ? json_object_get(json_object_get(body, "Config"), "Labels")
                     : json_object_get(body, "Labels");
        if (!resolve_owns(c, labels)) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        id = json_string_value(json_object_get(body, k->id_key));
        if (id == NULL || !resolve_id_ok(k, id)) {
                call_fail(c, DG_INTERNAL, "the engine's %s document has no valid %s", k->noun,
                          k->id_key);
                return;
        }
        /* The inspect document is borrowed; copy the ID out of it for cb. */
        snprintf(full, sizeof(full), "%s", id);
        st->next(c, full, body);
}

static void resolve_start(struct call *c, const struct resolve_kind *k, const char *ref,
                          resolve_cb cb)
{
        struct ops_state *st;

        if (!resolve_ref_ok(ref)) {
                /* Never echo bytes we did not accept. */
                resolve_not_found(c, k, NULL);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->next = cb;
        st->kind = k;
        snprintf(st->ref, sizeof(st->ref), "%s", ref);
        /* The checked shape needs no escaping: [A-Za-z0-9_.-] only. */
        ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, st->ref, k->suffix);
}

void resolve_container(struct call *c, const char *ref, resolve_cb cb)
{
        resolve_start(c, &kind_container, ref, cb);
}

void resolve_network(struct call *c, const char *ref, resolve_cb cb)
{
        resolve_start(c, &kind_network, ref, cb);
}

void resolve_volume(struct call *c, const char *ref, resolve_cb cb)
{
        resolve_start(c, &kind_volume, ref, cb);
}
