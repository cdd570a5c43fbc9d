/*
 * resolve.c - reference -> full ID, with the ownership check (resolve.h).
 *
 * A reference is tried, as the engine itself would, as a full ID, then as
 * a name, then as an ID prefix; but names are the caller's own (names.h:
 * "<peer>.<ref>" on the engine) and a prefix is matched among the caller's
 * own resources only (a list filtered by owner label), so that neither
 * another peer's names nor another peer's IDs can capture, shadow or make
 * ambiguous a lookup.  An admin's reference falls back to the engine's own
 * resolution over everything.
 *
 * SECURITY (invariant 3): whatever the engine finds is checked against the
 * owner label before anything else; a miss, an ambiguous prefix and
 * another peer's resource all give the same NOT_FOUND message, so a peer
 * cannot tell them apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "bounds.h"
#include "ops_engine.h"
#include "ops_input.h"
#include "ops_state.h"
#include "resolve.h"

struct resolve_kind {
        const char *noun;   /* in messages */
        const char *prefix; /* engine path: prefix, reference, suffix */
        const char *suffix;
        const char *list;     /* engine path listing them ("" : no prefix lookups) */
        const char *id_key;   /* where the full ID is in the inspect document */
        int labels_in_config; /* containers: Config.Labels; others: Labels */
        int hex_id;           /* the full ID is 64 hex digits (else a name) */
};

static const struct resolve_kind kind_container = {
    "container", "/containers/", "/json", "/containers/json?all=1&", "Id", 1, 1};
static const struct resolve_kind kind_network = {
    "network", "/networks/", "", "/networks?", "Id", 0, 1};
static const struct resolve_kind kind_volume = {"volume", "/volumes/", "", "", "Name", 0, 0};

/* The lookup steps, in order. */
enum { STEP_ID, STEP_NAME, STEP_ENGINE, STEP_PREFIX, STEP_FOUND };

/*
 * A reference is an ID, an ID prefix or a name: [A-Za-z0-9][A-Za-z0-9_.-]*,
 * at most OPS_REF_MAX.  The first character rules out "." and "..", which
 * would change the engine path's meaning.
 */
static int resolve_ref_ok(const char *ref)
{
        return ops_word_ok(ref, OPS_REF_MAX);
}

/* Lower-case hex digits only: what an ID or its prefix is made of. */
static size_t hex_len(const char *s)
{
        size_t n = strspn(s, "0123456789abcdef");

        return s[n] == '\0' ? n : 0;
}

static int resolve_id_ok(const struct resolve_kind *k, const char *id)
{
        return k->hex_id ? hex_len(id) == 64 : resolve_ref_ok(id);
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

static void resolve_step(struct call *c);

static const json_t *doc_labels(const struct resolve_kind *k, const json_t *doc)
{
        return k->labels_in_config ? json_object_get(json_object_get(doc, "Config"), "Labels")
                                   : json_object_get(doc, "Labels");
}

/* The name the engine holds for doc, without a container's leading '/'. */
static const char *doc_name(const json_t *doc)
{
        const char *n = json_string_value(json_object_get(doc, "Name"));

        return n != NULL && n[0] == '/' ? n + 1 : n;
}

/* An inspect document came back for the step in st->rstep. */
static void resolve_found(struct call *c, json_t *body)
{
        struct ops_state *st = c->state;
        const struct resolve_kind *k = st->kind;
        const char *id, *name;
        char full[OPS_REF_MAX + 1], want[OPS_REF_MAX + POLICY_NAME_MAX + 2];

        if (st->rstep == STEP_NAME) {
                /* The engine matched the namespaced name exactly, or this is not it. */
                name = doc_name(body);
                if (names_engine(c, st->ref, want, sizeof(want)) < 0 || name == NULL ||
                    strcmp(name, want) != 0) {
                        resolve_not_found(c, k, st->ref);
                        return;
                }
        }
        if (!resolve_owns(c, doc_labels(k, body))) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        id = json_string_value(json_object_get(body, k->id_key));
        if (id == NULL || !resolve_id_ok(k, id)) {
                call_fail(c, DG_INTERNAL, "the engine's %s document has no valid %s", k->noun,
                          k->id_key);
                return;
        }
        if (st->rstep == STEP_ID && strcmp(id, st->ref) != 0) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        /* The inspect document is borrowed; copy the ID out of it for cb. */
        snprintf(full, sizeof(full), "%s", id);
        call_set_resource(c, full); /* for the audit record */
        st->next(c, full, body);
}

static void resolve_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;

        c->pending = NULL;
        if (status <= 0 || status >= 500) {
                call_fail_engine(c, status, body);
                return;
        }
        if (status == 200 && json_is_object(body)) {
                resolve_found(c, body);
                return;
        }
        /* 404 missing, 400 ambiguous prefix: go on to the next way of reading ref. */
        if (st->rstep == STEP_FOUND || st->rstep == STEP_ENGINE || st->rstep == STEP_ID) {
                resolve_not_found(c, st->kind, st->ref);
                return;
        }
        st->rstep++;
        resolve_step(c);
}

/*
 * The caller's resources whose ID starts with ref: exactly one, or not
 * found.  The prefix is matched here, never by the engine's "id" filter:
 * that one resolves a prefix over every tenant's containers first, so
 * another peer's ID could make the caller's own prefix ambiguous.
 */
static void resolve_listed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        const struct resolve_kind *k = st->kind;
        const char *id, *match = NULL;
        size_t i, n = strlen(st->ref);
        json_t *v;
        int count = 0;

        c->pending = NULL;
        if (status <= 0 || status >= 500) {
                call_fail_engine(c, status, body);
                return;
        }
        json_array_foreach(body, i, v)
        {
                id = json_string_value(json_object_get(v, "Id"));
                if (id == NULL || strncmp(id, st->ref, n) != 0 ||
                    !resolve_owns(c, json_object_get(v, "Labels")))
                        continue;
                match = id;
                count++;
        }
        if (status != 200 || count != 1 || hex_len(match) != 64) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        st->rstep = STEP_FOUND;
        /* Fetched again by full ID: the document handlers get, checked once more. */
        ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, match, k->suffix);
}

static void resolve_prefix(struct call *c)
{
        struct ops_state *st = c->state;
        const struct resolve_kind *k = st->kind;
        char filter[1200];

        if (ops_peer_filter(c, filter, sizeof(filter)) == -1) {
                call_fail(c, DG_INTERNAL, "owner filter too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, resolve_listed, "%s%s", k->list, filter);
}

static void resolve_step(struct call *c)
{
        struct ops_state *st = c->state;
        const struct resolve_kind *k = st->kind;
        char name[OPS_REF_MAX + POLICY_NAME_MAX + 2];

        switch (st->rstep) {
        case STEP_NAME:
                if (names_engine(c, st->ref, name, sizeof(name)) < 0)
                        break;
                /* The checked shape needs no escaping: [A-Za-z0-9_.-] only. */
                ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, name, k->suffix);
                return;
        case STEP_ENGINE:
                if (!c->peer->admin) {
                        st->rstep = STEP_PREFIX;
                        resolve_step(c);
                        return;
                }
                /* An admin sees everything: the engine's own ID, name, prefix order. */
                ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, st->ref,
                         k->suffix);
                return;
        case STEP_PREFIX:
                if (k->list[0] == '\0' || hex_len(st->ref) == 0)
                        break;
                resolve_prefix(c);
                return;
        default:
                break;
        }
        resolve_not_found(c, k, st->ref);
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
        if (k->hex_id && hex_len(ref) == 64) {
                /* A full ID names nothing else: engine-side names all hold a '.'. */
                st->rstep = STEP_ID;
                ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, st->ref,
                         k->suffix);
                return;
        }
        st->rstep = STEP_NAME;
        resolve_step(c);
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
