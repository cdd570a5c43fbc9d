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

/* The longest engine path an item's can be (an image reference escaped, with a query). */
#define OPS_EACH_PATH_MAX 2048
/* Writes item's engine path (escaped, with any query) into buf; -1 when it does not fit. */
typedef int (*ops_each_path_fn)(const json_t *item, char *buf, size_t len);
/* Records a removed item (the engine's 200 or 204 answer, body as sent) in out. */
typedef void (*ops_each_removed_fn)(struct call *c, json_t *item, const json_t *body,
                                    json_t *out);
/*
 * DELETEs path(item) for each item of todo.  An item the engine refuses
 * (403, 404 gone already, 409 in use) is kept and the next one is tried;
 * any other answer fails the call with the engine's error.  Once every item
 * is answered the call replies out, which removed filled.  Takes a reference
 * to todo and out; keeps its state in the call's (c->state->own).
 */
void ops_remove_each(struct call *c, json_t *todo, json_t *out, ops_each_path_fn path,
                     ops_each_removed_fn removed);

#endif
