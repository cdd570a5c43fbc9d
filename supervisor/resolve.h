/*
 * resolve.h - turning a peer's reference to a resource into its full ID,
 * checking ownership on the way (DESIGN.md invariant 3).
 *
 * A reference (full ID, unique ID prefix or name) is checked for shape,
 * looked up by the engine, and then the owner label on what the engine
 * found is compared with the calling peer.  A resource owned by another peer
 * answers NOT_FOUND with exactly the message a missing one gets.  On success
 * cb runs with the full ID and the engine's inspect document (borrowed: valid
 * during cb only; json_incref() it to keep it).  On failure the call is
 * answered and cb never runs.
 */
#ifndef DG_RESOLVE_H
#define DG_RESOLVE_H

#include <jansson.h>

struct call;

typedef void (*resolve_cb)(struct call *c, const char *full_id, json_t *inspect);

void resolve_container(struct call *c, const char *ref, resolve_cb cb);
void resolve_network(struct call *c, const char *ref, resolve_cb cb);
void resolve_volume(struct call *c, const char *ref, resolve_cb cb);

/* 1 when labels (an object or NULL) carry the peer's owner label, or the peer is admin. */
int resolve_owns(const struct call *c, const json_t *labels);

/*
 * The pure parts the lookups are made of (tests/unit/test_sv_resolve.c).
 * A reference is read, in order: as a full ID (64 hex digits: nothing
 * else), else as a name in the caller's namespace ("<peer>.<ref>" on the
 * engine), then (an admin) as the engine itself reads it, or (anyone else)
 * as an ID prefix among the caller's own resources (containers and networks:
 * hex digits only).  Each lookup the engine answers 404 or 400 goes on to the
 * next; RESOLVE_NONE is NOT_FOUND.
 */
enum resolve_kind_id { RESOLVE_CONTAINER, RESOLVE_NETWORK, RESOLVE_VOLUME };
enum { RESOLVE_ID, RESOLVE_NAME, RESOLVE_ENGINE, RESOLVE_PREFIX, RESOLVE_FOUND, RESOLVE_NONE };
struct resolve_who {
        const char *peer;
        const char *owner_label;
        int admin;
};
/* The first lookup of ref; RESOLVE_NONE when ref is not a reference at all. */
int resolve_first(enum resolve_kind_id kind, const char *ref);
/* The lookup after step found nothing. */
int resolve_next(enum resolve_kind_id kind, const char *ref, int admin, int step);
/*
 * Does the engine's inspect document doc, found by step, answer ref for who?
 * 1 yes; 0 no (NOT_FOUND: another's, another name, another ID); -1 when doc
 * lacks a valid ID.
 */
int resolve_accepts(enum resolve_kind_id kind, int step, const char *ref,
                    const struct resolve_who *who, const json_t *doc);
/* The one resource of list (the engine's) owned by who whose ID starts with ref, or NULL. */
const char *resolve_pick(const char *ref, const struct resolve_who *who, const json_t *list);
/* resolve_owns() for who. */
int resolve_owned(const struct resolve_who *who, const json_t *labels);

#endif
