/*
 * ops_list.h - answering a list operation: only what the caller owns, each
 * element shaped for the peer.
 */
#ifndef DG_OPS_LIST_H
#define DG_OPS_LIST_H

#include <jansson.h>

#include "broker.h"

/* Shapes one element of an engine list for the peer; NULL leaves it out. */
typedef json_t *(*ops_item_fn)(const struct call *c, const json_t *in);
/*
 * Answers a list from an engine callback: the engine's array (body itself,
 * or body[key] when key is not NULL; a null there is an empty list), each
 * element shaped by item and, when owned is set, kept only if the caller
 * owns it (the engine filtered by label already; checked again, it costs
 * nothing).
 */
void ops_reply_list(struct call *c, int status, json_t *body, const char *key, int owned,
                    ops_item_fn item);
/* GET path (which may hold a query already) with filters_query()'s filter (filters.h). */
void ops_list_owned(struct call *c, engine_cb cb, const char *path);
#endif
