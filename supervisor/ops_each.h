/*
 * ops_each.h - removing a list of things one engine DELETE at a time (the
 * prunes): in order, each answer read before the next request, so that the
 * engine's in-use refusals decide what is kept.
 */
#ifndef DG_OPS_EACH_H
#define DG_OPS_EACH_H

#include <jansson.h>
#include <stddef.h>

#include "broker.h"

/* Records a removed item (the engine's 200 or 204 answer, body as sent) in out. */
typedef void (*ops_each_removed_fn)(struct call *c, json_t *item, const json_t *body,
                                    json_t *out);
/*
 * DELETEs prefix + ref + suffix for each item of todo, an object whose
 * "ref" (an ID or a name) is escaped into the path: ("/images/",
 * "?force=0&noprune=0").  An item the engine refuses (403, 404 gone
 * already, 409 in use) is kept and the next one is tried; any other answer
 * fails the call with the engine's error.  Once every item is answered the
 * call replies out, which removed filled.  Takes a reference to todo and
 * out; keeps its state in the call's (c->state->own).
 */
void ops_remove_each(struct call *c, json_t *todo, json_t *out, const char *prefix,
                     const char *suffix, ops_each_removed_fn removed);
/*
 * Adds size (bytes, as the engine reported them; ignored unless a
 * non-negative integer) to out's "spaceReclaimed", the prunes' total.
 */
void ops_reclaimed(json_t *out, const json_t *size);

#endif
