/*
 * ops_list.c - list answers scoped to the caller's own resources.
 */
#include <string.h>

#include "filters.h"
#include "ops_engine.h"
#include "ops_list.h"
#include "resolve.h"

void ops_reply_list(struct call *c, int status, json_t *body, const char *key, int owned,
                    ops_item_fn item)
{
        json_t *arr = key != NULL ? json_object_get(body, key) : body, *out, *v, *one;
        size_t i;

        c->pending = NULL;
        if (status != 200 || (key != NULL ? !json_is_object(body) : !json_is_array(body))) {
                call_fail_engine(c, status, body);
                return;
        }
        if ((out = json_array()) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        json_array_foreach(arr, i, v)
        {
                if (owned && !resolve_owns(c, json_object_get(v, "Labels")))
                        continue;
                if (!filters_keep(c, v))
                        continue;
                if ((one = item(c, v)) != NULL)
                        json_array_append_new(out, one);
        }
        call_reply(c, out);
}

void ops_list_owned(struct call *c, engine_cb cb, const char *path)
{
        char filter[4200];

        /* The owner's label ANDed with the peer's own filters (filters.h). */
        if (filters_query(c, filter, sizeof(filter)) == -1)
                return;
        ops_send(c, "GET", NULL, 0, cb, "%s%s%s", path,
                 filter[0] == '\0'           ? ""
                 : strchr(path, '?') != NULL ? "&"
                                             : "?",
                 filter);
}
