/*
 * names.h - per-peer namespaces for the names of containers, networks and
 * volumes.
 *
 * Scheme: a resource that peer P names N is "P.N" on the engine.  Peer
 * names are [a-z0-9][a-z0-9_-]* (no '.'), so the first '.' always ends the
 * namespace, and two peers' names never meet: both may call a container
 * "db".  Every name the engine holds for a peer's resource contains a '.',
 * and an ID prefix never does, so no name a peer picks can capture another
 * peer's lookup of an ID prefix.  Peers see and use their names without
 * the namespace; an admin's own names are stripped likewise, and it sees
 * other peers' names whole ("beta.db").
 */
#ifndef DG_NAMES_H
#define DG_NAMES_H

#include <jansson.h>
#include <stddef.h>

struct call;

/* "<peer>.<name>" into buf; -1 when it does not fit. */
int names_engine(const struct call *c, const char *name, char *buf, size_t len);
/* The same for the peer named peer. */
int names_engine_of(const char *peer, const char *name, char *buf, size_t len);
/*
 * How the caller sees an engine-side name (a leading '/', as containers
 * have, is kept): its own with the namespace stripped; another peer's is
 * NULL (for non-admins); any other name as it is.  The result points into
 * engine_name.
 */
const char *names_view(const struct call *c, const char *engine_name, int *slash);
/* The same as a new JSON string (with the '/' kept), or NULL. */
json_t *names_view_json(const struct call *c, const char *engine_name);
/* Replaces the string at key in obj by its view; removes it when hidden. */
void names_view_key(const struct call *c, json_t *obj, const char *key);
/* A fresh random name: prefix followed by hex digits (ndigits <= 64). */
int names_random(char *buf, size_t len, const char *prefix, size_t ndigits);

#endif
