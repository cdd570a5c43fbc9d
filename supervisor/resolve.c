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

static const struct resolve_kind kinds[] = {
    [RESOLVE_CONTAINER] = {"container", "/containers/", "/json", "/containers/json?all=1&",
                           "Id", 1, 1},
    [RESOLVE_NETWORK] = {"network", "/networks/", "", "/networks?", "Id", 0, 1},
    [RESOLVE_VOLUME] = {"volume", "/volumes/", "", "", "Name", 0, 0},
};

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
        return k->hex_id ? hex_len(id) == DG_ENGINE_ID_MAX : resolve_ref_ok(id);
}

int resolve_owned(const struct resolve_who *who, const json_t *labels)
{
        const char *owner;

        if (who->admin)
                return 1;
        owner = json_string_value(json_object_get(labels, who->owner_label));
        return owner != NULL && strcmp(owner, who->peer) == 0;
}

static struct resolve_who who_of(const struct call *c)
{
        struct resolve_who w = {c->peer->name, c->policy->owner_label, c->peer->admin};

        return w;
}

int resolve_owns(const struct call *c, const json_t *labels)
{
        struct resolve_who w = who_of(c);

        return resolve_owned(&w, labels);
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

/* --- the order of lookups, and what each accepts (pure) --- */

int resolve_first(enum resolve_kind_id kind, const char *ref)
{
        if (!resolve_ref_ok(ref))
                return RESOLVE_NONE;
        /* A full ID names nothing else: engine-side names all hold a '.'. */
        return kinds[kind].hex_id && hex_len(ref) == DG_ENGINE_ID_MAX ? RESOLVE_ID
                                                                      : RESOLVE_NAME;
}

int resolve_next(enum resolve_kind_id kind, const char *ref, int admin, int step)
{
        if (step != RESOLVE_NAME)
                return RESOLVE_NONE; /* a full ID, the engine's own reading, a prefix: done */
        /* An admin sees everything: the engine's own ID, name, prefix order. */
        if (admin)
                return RESOLVE_ENGINE;
        return kinds[kind].list[0] != '\0' && hex_len(ref) > 0 ? RESOLVE_PREFIX : RESOLVE_NONE;
}

int resolve_accepts(enum resolve_kind_id kind, int step, const char *ref,
                    const struct resolve_who *who, const json_t *doc)
{
        const struct resolve_kind *k = &kinds[kind];
        const char *id, *name;
        char want[OPS_REF_MAX + POLICY_NAME_MAX + 2];

        if (step == RESOLVE_NAME) {
                /* The engine matched the namespaced name exactly, or this is not it. */
                name = doc_name(doc);
                if (names_engine_of(who->peer, ref, want, sizeof(want)) < 0 || name == NULL ||
                    strcmp(name, want) != 0)
                        return 0;
        }
        if (!resolve_owned(who, doc_labels(k, doc)))
                return 0;
        id = json_string_value(json_object_get(doc, k->id_key));
        if (id == NULL || !resolve_id_ok(k, id))
                return -1;
        if (step == RESOLVE_ID && strcmp(id, ref) != 0)
                return 0;
        return 1;
}

const char *resolve_pick(const char *ref, const struct resolve_who *who, const json_t *list)
{
        const char *id, *match = NULL;
        size_t i, n = strlen(ref);
        const json_t *v;
        int count = 0;

        json_array_foreach(list, i, v)
        {
                id = json_string_value(json_object_get(v, "Id"));
                if (id == NULL || strncmp(id, ref, n) != 0 ||
                    !resolve_owned(who, json_object_get(v, "Labels")))
                        continue;
                match = id;
                count++;
        }
        return count == 1 && hex_len(match) == DG_ENGINE_ID_MAX ? match : NULL;
}

/* --- the lookups, one engine request at a time --- */

/* An inspect document came back for the step in st->rstep. */
static void resolve_found(struct call *c, json_t *body)
{
        struct ops_state *st = c->state;
        const struct resolve_kind *k = st->kind;
        struct resolve_who w = who_of(c);
        char full[OPS_REF_MAX + 1];
        int ok =
            resolve_accepts((enum resolve_kind_id)(k - kinds), st->rstep, st->ref, &w, body);

        if (ok < 0) {
                call_fail(c, DG_INTERNAL, "the engine's %s document has no valid %s", k->noun,
                          k->id_key);
                return;
        }
        if (ok == 0) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        /* The inspect document is borrowed; copy the ID out of it for cb. */
        snprintf(full, sizeof(full), "%s", json_string_value(json_object_get(body, k->id_key)));
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
        st->rstep =
            resolve_next((enum resolve_kind_id)((const struct resolve_kind *)st->kind - kinds),
                         st->ref, c->peer->admin, st->rstep);
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
        struct resolve_who w = who_of(c);
        const char *match;

        c->pending = NULL;
        if (status <= 0 || status >= 500) {
                call_fail_engine(c, status, body);
                return;
        }
        if (status != 200 || (match = resolve_pick(st->ref, &w, body)) == NULL) {
                resolve_not_found(c, k, st->ref);
                return;
        }
        st->rstep = RESOLVE_FOUND;
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
        case RESOLVE_ID:
        case RESOLVE_ENGINE:
                ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, st->ref,
                         k->suffix);
                return;
        case RESOLVE_NAME:
                if (names_engine(c, st->ref, name, sizeof(name)) < 0)
                        break;
                /* The checked shape needs no escaping: [A-Za-z0-9_.-] only. */
                ops_send(c, "GET", NULL, 0, resolve_done, "%s%s%s", k->prefix, name, k->suffix);
                return;
        case RESOLVE_PREFIX:
                resolve_prefix(c);
                return;
        default:
                break;
        }
        resolve_not_found(c, k, st->ref);
}

static void resolve_start(struct call *c, enum resolve_kind_id kind, const char *ref,
                          resolve_cb cb)
{
        const struct resolve_kind *k = &kinds[kind];
        struct ops_state *st;
        int first = resolve_first(kind, ref);

        if (first == RESOLVE_NONE) {
                /* Never echo bytes we did not accept. */
                resolve_not_found(c, k, NULL);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->next = cb;
        st->kind = k;
        snprintf(st->ref, sizeof(st->ref), "%s", ref);
        st->rstep = first;
        resolve_step(c);
}

void resolve_container(struct call *c, const char *ref, resolve_cb cb)
{
        resolve_start(c, RESOLVE_CONTAINER, ref, cb);
}

void resolve_network(struct call *c, const char *ref, resolve_cb cb)
{
        resolve_start(c, RESOLVE_NETWORK, ref, cb);
}

void resolve_volume(struct call *c, const char *ref, resolve_cb cb)
{
        resolve_start(c, RESOLVE_VOLUME, ref, cb);
}
