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

#endif
